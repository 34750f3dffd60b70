//! The id index: every task's folded id, in code point order, with its row.
//!
//! It serves `id eq`, `id in`, ranges (`gt`, `ge`, `lt`, `le`), `startswith` as the range from
//! the prefix to [`prefix_end`], and the walks in id order that List Tasks pages take.
//! Keys are [`CompactString`]s, which hold ids of up to 24 bytes inside the B-tree node,
//! so a lookup compares keys without following a pointer per node, and a typical id costs
//! no allocation of its own. Cost per task: a 28-byte entry (key and row), about 40 bytes
//! with the tree's spare room when nodes are two-thirds full, plus the id's bytes for ids
//! longer than 24 bytes.

use std::collections::BTreeMap;
use std::ops::Bound;

use compact_str::CompactString;

/// Folded ids and their rows, ordered by id.
#[derive(Clone, Debug, Default)]
pub(crate) struct IdIndex {
    rows: BTreeMap<CompactString, u32>,
}

impl IdIndex {
    pub(crate) fn get(&self, folded_id: &str) -> Option<u32> {
        self.rows.get(folded_id).copied()
    }

    pub(crate) fn insert(&mut self, folded_id: &str, row: u32) {
        self.rows.insert(CompactString::from(folded_id), row);
    }

    pub(crate) fn remove(&mut self, folded_id: &str) -> Option<u32> {
        self.rows.remove(folded_id)
    }

    /// Returns the ids and rows between two bounds, in id order.
    pub(crate) fn range<'a>(
        &'a self,
        start: Bound<&str>,
        end: Bound<&str>,
    ) -> impl Iterator<Item = (&'a str, u32)> + use<'a> {
        // BTreeMap::range panics when start is after end, or when both are the same
        // excluded bound, so those empty ranges return nothing without calling it.
        let empty = match (start, end) {
            (Bound::Included(s), Bound::Included(e)) => s > e,
            (Bound::Included(s) | Bound::Excluded(s), Bound::Excluded(e))
            | (Bound::Excluded(s), Bound::Included(e)) => s >= e,
            _ => false,
        };
        let entries = (!empty).then(|| self.rows.range::<str, _>((start, end)));
        entries.into_iter().flatten().map(|(id, &row)| (&**id, row))
    }

    /// Returns the number of ids between two bounds.
    ///
    /// The ids inside and outside the bounds are counted in turns until either side runs
    /// out, so the cost is twice the smaller side, not the size of the range.
    pub(crate) fn count(&self, start: Bound<&str>, end: Bound<&str>) -> u64 {
        let mut inside = self.range(start, end);
        let mut outside = self.outside(start, end);
        let mut counted = 0;
        loop {
            if inside.next().is_none() {
                return counted;
            }
            if outside.next().is_none() {
                return (self.rows.len() as u64).saturating_sub(counted);
            }
            counted += 1;
        }
    }

    /// Returns the rows of the ids between two bounds, or the rows of the ids outside them
    /// when those are fewer. The flag is true for the rows inside.
    ///
    /// The sides are walked in turns, as in [`IdIndex::count`].
    pub(crate) fn smaller_side(&self, start: Bound<&str>, end: Bound<&str>) -> (bool, Vec<u32>) {
        let mut inside = self.range(start, end);
        let mut outside = self.outside(start, end);
        let mut inside_rows = Vec::new();
        let mut outside_rows = Vec::new();
        loop {
            match inside.next() {
                Some((_, row)) => inside_rows.push(row),
                None => return (true, inside_rows),
            }
            match outside.next() {
                Some((_, row)) => outside_rows.push(row),
                None => return (false, outside_rows),
            }
        }
    }

    /// Returns the ids before `start` and after `end`, with their rows.
    fn outside<'a>(
        &'a self,
        start: Bound<&str>,
        end: Bound<&str>,
    ) -> impl Iterator<Item = (&'a str, u32)> + use<'a> {
        let before = match start {
            Bound::Included(id) => Some(self.range(Bound::Unbounded, Bound::Excluded(id))),
            Bound::Excluded(id) => Some(self.range(Bound::Unbounded, Bound::Included(id))),
            Bound::Unbounded => None,
        };
        let after = match end {
            Bound::Included(id) => Some(self.range(Bound::Excluded(id), Bound::Unbounded)),
            Bound::Excluded(id) => Some(self.range(Bound::Included(id), Bound::Unbounded)),
            Bound::Unbounded => None,
        };
        before
            .into_iter()
            .flatten()
            .chain(after.into_iter().flatten())
    }

    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }
}

/// Returns the smallest string above every string that starts with `prefix`, or `None`
/// when there is none, so that the ids with the prefix are the range from `prefix` up to it.
///
/// It is the prefix with its last char replaced by the next char in code point order. A
/// last char with no next one, `char::MAX`, is dropped and the one before it is raised.
pub(crate) fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        // The search skips the surrogate gap, which is not made of chars.
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(ids: &[&str]) -> IdIndex {
        let mut index = IdIndex::default();
        for (row, id) in ids.iter().enumerate() {
            index.insert(id, row as u32);
        }
        index
    }

    fn ids<'a>(entries: impl Iterator<Item = (&'a str, u32)>) -> Vec<&'a str> {
        entries.map(|(id, _)| id).collect()
    }

    #[test]
    fn id_index_walks_in_code_point_order() {
        let index = index(&["task-b", "task-a", "ü", "z"]);
        let all = index.range(Bound::Unbounded, Bound::Unbounded);
        assert_eq!(ids(all), ["task-a", "task-b", "z", "ü"]);
        let after = index.range(Bound::Excluded("task-a"), Bound::Unbounded);
        assert_eq!(ids(after), ["task-b", "z", "ü"]);
        let after_missing = index.range(Bound::Excluded("task-aa"), Bound::Unbounded);
        assert_eq!(ids(after_missing), ["task-b", "z", "ü"]);
    }

    #[test]
    fn prefix_end_bounds_prefixed_ids() {
        assert_eq!(prefix_end("task-1").as_deref(), Some("task-2"));
        assert_eq!(prefix_end("a\u{d7ff}").as_deref(), Some("a\u{e000}"));
        assert_eq!(prefix_end("a\u{10ffff}").as_deref(), Some("b"));
        assert_eq!(prefix_end("\u{10ffff}"), None);
        assert_eq!(prefix_end(""), None);

        let index = index(&[
            "task-1",
            "task-10",
            "task-1\u{10ffff}",
            "task-2",
            "tas",
            "tb",
        ]);
        let end = prefix_end("task-1");
        let end = end.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
        let prefixed = ids(index.range(Bound::Included("task-1"), end));
        assert_eq!(prefixed, ["task-1", "task-10", "task-1\u{10ffff}"]);
    }

    #[test]
    fn id_index_counts_either_side() {
        let names: Vec<String> = (0..50).map(|i| format!("id-{i:02}")).collect();
        let index = index(&names.iter().map(String::as_str).collect::<Vec<_>>());
        let cases = [
            (Bound::Included("id-10"), Bound::Excluded("id-13"), 3),
            (Bound::Excluded("id-10"), Bound::Unbounded, 39),
            (Bound::Unbounded, Bound::Included("id-48"), 49),
            (Bound::Unbounded, Bound::Unbounded, 50),
            (Bound::Included("x"), Bound::Unbounded, 0),
        ];
        for (start, end, expected) in cases {
            assert_eq!(index.count(start, end), expected, "{start:?} {end:?}");
            let (inside, rows) = index.smaller_side(start, end);
            let size = if inside { rows.len() } else { 50 - rows.len() };
            assert_eq!(size as u64, expected, "{start:?} {end:?}");
            assert!(rows.len() <= 25, "{start:?} {end:?} took the larger side");
        }
    }

    #[test]
    fn id_index_answers_empty_ranges() {
        let index = index(&["a", "b", "c"]);
        let cases = [
            (Bound::Included("c"), Bound::Included("a")),
            (Bound::Excluded("b"), Bound::Excluded("b")),
            (Bound::Included("b"), Bound::Excluded("b")),
            (Bound::Excluded("b"), Bound::Included("b")),
        ];
        for (start, end) in cases {
            assert!(ids(index.range(start, end)).is_empty(), "{start:?} {end:?}");
        }
        let inclusive = ids(index.range(Bound::Included("b"), Bound::Included("b")));
        assert_eq!(inclusive, ["b"]);
    }
}
