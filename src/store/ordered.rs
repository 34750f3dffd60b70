//! Ordered indexes: the rows of one integer or date-time property sorted by value, so that a
//! range is found by binary search and counted without visiting its rows.
//!
//! The index is a sorted run of `(value, row)` pairs plus two small sorted sets: pairs added
//! since the run was built, and pairs of the run that have been removed. A range count is
//! two binary searches in the run plus a walk of the small sets, and an update touches only
//! the small sets. When they hold more than `max(4096, 8 * sqrt(run length))` pairs, they are
//! merged into the run in place, in one pass over it. That limit is 8000 pairs at 1M tasks
//! and 25,298 at 10M. A changed value adds two pairs, so at 10M tasks a merge comes about
//! every 12,600 changes, and a range count walks at most 25,298 pending pairs. A larger
//! factor makes updates cheaper and counts slower. The values also stay in a column by row,
//! so that a single row can be tested without a search.
//!
//! Cost per task with a value: 12 bytes in the run (an `i64` and a `u32` stored in two
//! vectors) plus 8 bytes in the column, plus the column's `present` bitmap.

use std::collections::BTreeSet;
use std::ops::RangeInclusive;

use roaring::RoaringBitmap;

use super::columns::NumberColumn;

/// Pairs in the small sets that always fit before a merge, however small the run.
const MIN_MERGE: usize = 4096;

/// The rows of one property, sorted by value.
#[derive(Clone, Debug, Default)]
pub(crate) struct OrderedIndex {
    column: NumberColumn<i64>,
    /// Values of the run, sorted together with `run_rows` by `(value, row)`.
    run_values: Vec<i64>,
    run_rows: Vec<u32>,
    /// Pairs not in the run.
    added: BTreeSet<(i64, u32)>,
    /// Pairs of the run that are no longer in the index.
    removed: BTreeSet<(i64, u32)>,
}

impl OrderedIndex {
    pub(crate) fn get(&self, row: u32) -> Option<i64> {
        self.column.get(row)
    }

    /// Returns the value of a row in [`OrderedIndex::present`] without checking that it is.
    /// For another row, it returns a stale value or 0.
    pub(crate) fn get_present(&self, row: u32) -> i64 {
        self.column.get_unchecked(row)
    }

    /// Returns the rows that have a value.
    pub(crate) fn present(&self) -> &RoaringBitmap {
        self.column.present()
    }

    pub(crate) fn set(&mut self, row: u32, value: i64) {
        self.clear(row);
        self.column.set(row, value);
        if !self.removed.remove(&(value, row)) {
            self.added.insert((value, row));
        }
        self.merge_if_large();
    }

    pub(crate) fn clear(&mut self, row: u32) {
        let Some(value) = self.column.clear(row) else {
            return;
        };
        if !self.added.remove(&(value, row)) {
            self.removed.insert((value, row));
        }
        self.merge_if_large();
    }

    /// Sets the row's value in the column only, for loading many tasks at once. The
    /// sorted run is out of date until [`OrderedIndex::rebuild`] runs.
    pub(crate) fn set_unsorted(&mut self, row: u32, value: i64) {
        self.column.set(row, value);
    }

    /// Rebuilds the sorted run from the column, after loading with `set_unsorted`.
    pub(crate) fn rebuild(&mut self) {
        let mut pairs: Vec<(i64, u32)> = Vec::with_capacity(self.present().len() as usize);
        for row in self.present() {
            if let Some(value) = self.column.get(row) {
                pairs.push((value, row));
            }
        }
        pairs.sort_unstable();
        self.run_values = pairs.iter().map(|&(value, _)| value).collect();
        self.run_rows = pairs.iter().map(|&(_, row)| row).collect();
        self.added.clear();
        self.removed.clear();
    }

    /// Returns the number of rows whose value is in `range`.
    pub(crate) fn count(&self, range: RangeInclusive<i64>) -> u64 {
        // BTreeSet::range panics on a reversed range, which is empty anyway.
        if range.is_empty() {
            return 0;
        }
        let run = self.run_span(&range);
        let pairs = pair_range(&range);
        let added = self.added.range(pairs.clone()).count();
        let removed = self.removed.range(pairs).count();
        // The removed pairs are a subset of the run, so this never goes below zero.
        (run.len() + added).saturating_sub(removed) as u64
    }

    /// Returns the rows whose value is in `range`.
    pub(crate) fn rows(&self, range: RangeInclusive<i64>) -> RoaringBitmap {
        if range.is_empty() {
            return RoaringBitmap::new();
        }
        let run = self.run_span(&range);
        let mut rows = self.run_rows[run].to_vec();
        rows.sort_unstable();
        // Rows of the run are unique, so the sorted vector is strictly increasing.
        let mut bitmap = RoaringBitmap::from_sorted_iter(rows).unwrap_or_default();

        // A row has at most one live pair, and a removed pair leaves its row with a live
        // pair only in `added`, so removing before adding is exact.
        let pairs = pair_range(&range);
        for &(_, row) in self.removed.range(pairs.clone()) {
            bitmap.remove(row);
        }
        for &(_, row) in self.added.range(pairs) {
            bitmap.insert(row);
        }
        bitmap
    }

    /// Returns the heap bytes the index uses, an estimate for the bitmap and the sets.
    pub(crate) fn heap_size(&self) -> usize {
        let pair_sets = (self.added.len() + self.removed.len()) * 24;
        self.column.heap_size()
            + self.run_values.capacity() * 8
            + self.run_rows.capacity() * 4
            + pair_sets
    }

    /// Returns the positions of the run whose value is in `range`.
    fn run_span(&self, range: &RangeInclusive<i64>) -> std::ops::Range<usize> {
        let start = self
            .run_values
            .partition_point(|value| value < range.start());
        let end = self
            .run_values
            .partition_point(|value| value <= range.end());
        start..end.max(start)
    }

    fn merge_if_large(&mut self) {
        let limit = MIN_MERGE.max(8 * self.run_values.len().isqrt());
        if self.added.len() + self.removed.len() > limit {
            self.merge();
        }
    }

    /// Merges the small sets into the run in place, without allocating a new run.
    fn merge(&mut self) {
        // Drop the removed pairs and move the retained ones forward. The run and the set are
        // both sorted by (value, row), so one pass finds every removed pair.
        let mut removed = self.removed.iter().copied().peekable();
        let mut retained = 0;
        for read in 0..self.run_values.len() {
            let pair = (self.run_values[read], self.run_rows[read]);
            while removed.next_if(|gone| *gone < pair).is_some() {}
            if removed.next_if_eq(&pair).is_some() {
                continue;
            }
            self.run_values[retained] = pair.0;
            self.run_rows[retained] = pair.1;
            retained += 1;
        }
        self.run_values.truncate(retained);
        self.run_rows.truncate(retained);

        // Merge the added pairs from the back, so that each run pair moves once.
        let total = retained + self.added.len();
        self.run_values.resize(total, 0);
        self.run_rows.resize(total, 0);
        let mut read = retained;
        let mut write = total;
        for &(value, row) in self.added.iter().rev() {
            while read > 0 && (self.run_values[read - 1], self.run_rows[read - 1]) > (value, row) {
                read -= 1;
                write -= 1;
                self.run_values[write] = self.run_values[read];
                self.run_rows[write] = self.run_rows[read];
            }
            write -= 1;
            self.run_values[write] = value;
            self.run_rows[write] = row;
        }

        self.added.clear();
        self.removed.clear();
    }
}

/// Returns the pairs whose value is in `range`, for searching the small sets.
fn pair_range(range: &RangeInclusive<i64>) -> RangeInclusive<(i64, u32)> {
    (*range.start(), 0)..=(*range.end(), u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Returns the rows with a value in `range`, counted the slow way from the column.
    fn expected(index: &OrderedIndex, range: RangeInclusive<i64>) -> Vec<u32> {
        index
            .present()
            .iter()
            .filter(|&row| index.get(row).is_some_and(|value| range.contains(&value)))
            .collect()
    }

    fn check(index: &OrderedIndex, range: RangeInclusive<i64>) {
        let rows: Vec<u32> = index.rows(range.clone()).iter().collect();
        assert_eq!(rows, expected(index, range.clone()), "rows in {range:?}");
        assert_eq!(
            index.count(range.clone()),
            rows.len() as u64,
            "count in {range:?}"
        );
    }

    #[test]
    fn ordered_index_counts_ranges() {
        let mut index = OrderedIndex::default();
        for (row, value) in [(0, 5), (1, -2), (2, 5), (3, 9)] {
            index.set(row, value);
        }
        check(&index, 5..=5);
        check(&index, i64::MIN..=4);
        check(&index, 6..=i64::MAX);
        #[allow(
            clippy::reversed_empty_ranges,
            reason = "an empty range must count zero"
        )]
        check(&index, 9..=1);
    }

    #[test]
    fn ordered_index_survives_updates_around_merges() {
        let mut index = OrderedIndex::default();
        let mut state: u64 = 7;
        for step in 0..(3 * MIN_MERGE as u32) {
            // A small linear congruential generator keeps the test deterministic.
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let row = (state >> 33) as u32 % 1000;
            let value = (state >> 45) as i64 % 50 - 25;
            if step % 3 == 0 {
                index.clear(row);
            } else {
                index.set(row, value);
            }
            if step % 997 == 0 {
                check(&index, -10..=10);
            }
        }
        for low in -30..30 {
            check(&index, low..=low + 7);
        }
        index.rebuild();
        check(&index, -25..=25);
    }

    #[test]
    fn ordered_index_readds_removed_pair() {
        let mut index = OrderedIndex::default();
        index.set(1, 3);
        index.rebuild();
        index.clear(1);
        index.set(1, 3);
        check(&index, 3..=3);
        assert!(index.added.is_empty());
        assert!(index.removed.is_empty());
    }

    #[test]
    fn ordered_index_loads_unsorted() {
        let mut index = OrderedIndex::default();
        for row in 0..100 {
            index.set_unsorted(row, i64::from(row % 7));
        }
        index.rebuild();
        check(&index, 2..=3);
    }
}
