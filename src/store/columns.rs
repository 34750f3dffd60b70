//! Columns: one value for every row. Numbers serve the ordered indexes' tests of single
//! rows; strings hold each task's JSON and folded id.
//!
//! Each column has a `present` bitmap of the rows that have a value. A column allocates
//! nothing until the first value arrives.

use std::collections::HashMap;

use roaring::RoaringBitmap;

/// A column of fixed-size numbers, indexed by row.
///
/// Costs `size_of::<T>()` bytes per row up to the highest row that has a value, plus the
/// `present` bitmap (at most about 2 bytes per present row, about 1 bit when dense).
#[derive(Clone, Debug, Default)]
pub(crate) struct NumberColumn<T> {
    values: Vec<T>,
    present: RoaringBitmap,
}

impl<T: Copy + Default> NumberColumn<T> {
    pub(crate) fn get(&self, row: u32) -> Option<T> {
        if self.present.contains(row) {
            self.values.get(row as usize).copied()
        } else {
            None
        }
    }

    /// Returns the row's value without checking [`NumberColumn::present`], for callers that
    /// iterate present rows. A row without a value gives a stale value or the default.
    pub(crate) fn get_unchecked(&self, row: u32) -> T {
        self.values.get(row as usize).copied().unwrap_or_default()
    }

    pub(crate) fn set(&mut self, row: u32, value: T) {
        let index = row as usize;
        if index >= self.values.len() {
            self.values.resize(index + 1, T::default());
        }
        self.values[index] = value;
        self.present.insert(row);
    }

    /// Removes the row's value and returns it.
    pub(crate) fn clear(&mut self, row: u32) -> Option<T> {
        let old = self.get(row);
        self.present.remove(row);
        old
    }

    /// Returns the rows that have a value.
    pub(crate) fn present(&self) -> &RoaringBitmap {
        &self.present
    }

    /// Returns the heap bytes the column uses, an estimate for the bitmap.
    pub(crate) fn heap_size(&self) -> usize {
        self.values.capacity() * size_of::<T>() + self.present.serialized_size()
    }
}

/// Bits of a packed span that hold the length; the rest hold the offset.
const LENGTH_BITS: u32 = 24;

/// The length field of a span whose value is in `StringColumn::long` instead of the arena.
const LONG: u64 = (1 << LENGTH_BITS) - 1;

/// The first arena offset that no longer fits in a packed span.
const MAX_OFFSET: u64 = 1 << (64 - LENGTH_BITS);

/// Bytes of one arena chunk. A value never spans two chunks, so the arena grows a chunk at
/// a time instead of copying itself to twice its size, which would briefly need three
/// times the text's memory. Values of this size or more go to the side table.
const CHUNK: usize = 4 << 20;

/// Arena bytes held by replaced values before [`StringColumn`] considers compacting.
const MIN_GARBAGE: usize = 1 << 20;

/// A column of strings, stored back to back in an arena of fixed-size chunks, indexed by
/// row.
///
/// Each row costs an 8-byte span that packs a 40-bit arena offset and a 24-bit length,
/// plus the string's bytes. That avoids one heap allocation per value. Values of 4 MiB or
/// more, and values past a 1 TiB arena, go to a side table instead. Replacing or removing
/// a value leaves its bytes in the arena as garbage until garbage outweighs live bytes,
/// when the arena is rebuilt.
#[derive(Clone, Debug, Default)]
pub(crate) struct StringColumn {
    /// Chunks of `CHUNK` bytes of capacity; the offset of a byte is its chunk's index times
    /// `CHUNK` plus its position in the chunk.
    chunks: Vec<String>,
    spans: Vec<u64>,
    long: HashMap<u32, Box<str>>,
    present: RoaringBitmap,
    /// Bytes of the chunks written so far, live and garbage.
    used: usize,
    garbage: usize,
}

impl StringColumn {
    pub(crate) fn get(&self, row: u32) -> Option<&str> {
        if !self.present.contains(row) {
            return None;
        }
        let span = *self.spans.get(row as usize)?;
        let length = (span & LONG) as usize;
        if length == LONG as usize {
            return self.long.get(&row).map(|value| &**value);
        }
        let offset = (span >> LENGTH_BITS) as usize;
        let chunk = self.chunks.get(offset / CHUNK)?;
        let start = offset % CHUNK;
        chunk.get(start..start + length)
    }

    pub(crate) fn set(&mut self, row: u32, value: &str) {
        self.clear(row);
        let index = row as usize;
        if index >= self.spans.len() {
            self.spans.resize(index + 1, 0);
        }
        self.spans[index] = match self.push(value) {
            Some(offset) => offset << LENGTH_BITS | value.len() as u64,
            None => {
                self.long.insert(row, value.into());
                LONG
            }
        };
        self.present.insert(row);
    }

    /// Appends a value to the arena and returns its offset, or `None` when it belongs in
    /// the side table.
    fn push(&mut self, value: &str) -> Option<u64> {
        if value.len() >= CHUNK {
            return None;
        }
        let room = self.chunks.last().map(|chunk| CHUNK - chunk.len());
        if room.is_none_or(|room| room < value.len()) {
            self.chunks.push(String::with_capacity(CHUNK));
        }
        let index = self.chunks.len() - 1;
        let offset = (index * CHUNK + self.chunks[index].len()) as u64;
        if offset + value.len() as u64 > MAX_OFFSET {
            return None;
        }
        self.chunks[index].push_str(value);
        self.used += value.len();
        Some(offset)
    }

    pub(crate) fn clear(&mut self, row: u32) {
        if !self.present.remove(row) {
            return;
        }
        let length = self.spans.get(row as usize).map_or(0, |span| span & LONG);
        if length == LONG {
            self.long.remove(&row);
        } else {
            self.garbage += length as usize;
        }
        if self.garbage > MIN_GARBAGE && self.garbage > self.used / 2 {
            self.compact();
        }
    }

    /// Returns the heap bytes the column uses, an estimate for the bitmap and side table.
    pub(crate) fn heap_size(&self) -> usize {
        let long: usize = self.long.values().map(|value| value.len() + 32).sum();
        let chunks: usize = self.chunks.iter().map(String::capacity).sum();
        chunks + self.spans.capacity() * 8 + long + self.present.serialized_size()
    }

    /// Copies the live values into new chunks, dropping the garbage.
    fn compact(&mut self) {
        let present = std::mem::take(&mut self.present);
        let mut compacted = StringColumn {
            spans: std::mem::take(&mut self.spans),
            long: std::mem::take(&mut self.long),
            ..StringColumn::default()
        };
        for row in &present {
            let span = compacted.spans[row as usize];
            let length = span & LONG;
            if length == LONG {
                continue;
            }
            let offset = (span >> LENGTH_BITS) as usize;
            let start = offset % CHUNK;
            let value = &self.chunks[offset / CHUNK][start..start + length as usize];
            // The value fitted before, at a higher offset, so it fits again.
            let offset = compacted.push(value).unwrap_or_default();
            compacted.spans[row as usize] = offset << LENGTH_BITS | length;
        }
        compacted.present = present;
        *self = compacted;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_column_tracks_presence() {
        let mut column = NumberColumn::<i32>::default();
        assert_eq!(column.get(5), None);
        column.set(5, -7);
        assert_eq!(column.get(5), Some(-7));
        assert_eq!(column.get(4), None);
        assert_eq!(column.clear(5), Some(-7));
        assert_eq!(column.get(5), None);
        assert!(column.present().is_empty());
    }

    #[test]
    fn string_column_takes_an_empty_first_value() {
        let mut column = StringColumn::default();
        column.set(0, "");
        assert_eq!(column.get(0), Some(""));
    }

    #[test]
    fn string_column_replaces_values() {
        let mut column = StringColumn::default();
        column.set(2, "abc");
        column.set(0, "");
        column.set(2, "xyz!");
        assert_eq!(column.get(2), Some("xyz!"));
        assert_eq!(column.get(0), Some(""));
        assert_eq!(column.get(1), None);
        column.clear(2);
        assert_eq!(column.get(2), None);
        assert_eq!(column.present.len(), 1);
    }

    #[test]
    fn string_column_compacts_garbage() {
        let mut column = StringColumn::default();
        let big = "x".repeat(MIN_GARBAGE);
        column.set(0, "keep");
        column.set(1, &big);
        column.set(1, "small");
        column.set(2, &big);
        column.clear(2);
        assert_eq!(column.garbage, 0);
        assert_eq!(column.used, "keep".len() + "small".len());
        assert_eq!(column.get(0), Some("keep"));
        assert_eq!(column.get(1), Some("small"));
    }

    #[test]
    fn string_column_starts_new_chunk() {
        let mut column = StringColumn::default();
        let half = "y".repeat(CHUNK / 2 + 1);
        for row in 0..3 {
            column.set(row, &half);
        }
        column.set(3, "z");
        assert_eq!(column.chunks.len(), 3);
        assert!((0..3).all(|row| column.get(row) == Some(half.as_str())));
        assert_eq!(column.get(3), Some("z"));
    }

    #[test]
    fn string_column_keeps_long_values_aside() {
        let mut column = StringColumn::default();
        let long = "ü".repeat(CHUNK / 2);
        column.set(3, &long);
        assert_eq!(column.get(3), Some(long.as_str()));
        assert!(column.chunks.is_empty());
        column.clear(3);
        assert!(column.long.is_empty());
    }
}
