//! The id index: every task's folded id, in code point order, with its row.
//!
//! It serves `id eq`, `id in`, ranges (`gt`, `ge`, `lt`, `le`), `startswith` as the range of
//! ids that start with the prefix, and the walks in id order that List Tasks pages take.
//! The folded id is shared with the row through an `Arc<str>`, so it is stored once.
//! Cost per task: the `Arc` allocation (16 bytes of counts plus the id's bytes, rounded up
//! by the allocator) and a B-tree entry of 20 bytes, about 30 bytes with the tree's spare
//! room. The estimate assumes nodes two-thirds full.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

/// Folded ids and their rows, ordered by id.
#[derive(Clone, Debug, Default)]
pub(crate) struct IdIndex {
    rows: BTreeMap<Arc<str>, u32>,
}

impl IdIndex {
    pub(crate) fn get(&self, folded_id: &str) -> Option<u32> {
        self.rows.get(folded_id).copied()
    }

    pub(crate) fn insert(&mut self, folded_id: Arc<str>, row: u32) {
        self.rows.insert(folded_id, row);
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

    /// Returns the ids that start with `prefix` and their rows, in id order.
    pub(crate) fn prefixed<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, u32)> {
        // The ids with a prefix are contiguous in code point order, starting at the prefix.
        self.range(Bound::Included(prefix), Bound::Unbounded)
            .take_while(move |(id, _)| id.starts_with(prefix))
    }

    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(ids: &[&str]) -> IdIndex {
        let mut index = IdIndex::default();
        for (row, id) in ids.iter().enumerate() {
            index.insert(Arc::from(*id), row as u32);
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
    fn id_index_finds_prefixes() {
        let index = index(&["task-1", "task-10", "task-2", "tas", "tb"]);
        assert_eq!(ids(index.prefixed("task-1")), ["task-1", "task-10"]);
        assert_eq!(ids(index.prefixed("")).len(), 5);
        assert!(ids(index.prefixed("u")).is_empty());
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
