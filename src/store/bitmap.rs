//! Bitmap indexes: one roaring bitmap of rows per value, for enum and Boolean properties.
//!
//! A row is in at most one bitmap, and in none when the task has no value. Every test on
//! such a property is a union of some of the bitmaps, because the values are few and known
//! up front. The bitmaps together cost at most about 2 bytes per task that has a value,
//! and about 1 bit per task per value when a value is common.

use roaring::RoaringBitmap;

use crate::plan::Value;

/// The values a bitmap index distinguishes, in code order.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Labels {
    /// An enum's values, folded, as the schema lists them.
    Enum(&'static [&'static str]),
    /// `false` (code 0) and `true` (code 1).
    Boolean,
}

impl Labels {
    fn len(self) -> usize {
        match self {
            Labels::Enum(values) => values.len(),
            Labels::Boolean => 2,
        }
    }

    /// Returns the code of a value, or `None` for a value outside the labels.
    pub(crate) fn code(self, value: &Value) -> Option<usize> {
        match (self, value) {
            (Labels::Enum(values), Value::Str(text)) => values.iter().position(|v| v == text),
            (Labels::Boolean, Value::Bool(flag)) => Some(usize::from(*flag)),
            _ => None,
        }
    }
}

/// The rows of each value of one enum or Boolean property.
#[derive(Clone, Debug)]
pub(crate) struct BitmapIndex {
    labels: Labels,
    bitmaps: Vec<RoaringBitmap>,
}

impl BitmapIndex {
    pub(crate) fn new(labels: Labels) -> Self {
        BitmapIndex {
            labels,
            bitmaps: vec![RoaringBitmap::new(); labels.len()],
        }
    }

    pub(crate) fn labels(&self) -> Labels {
        self.labels
    }

    /// Returns the rows that have the value with this code.
    pub(crate) fn rows(&self, code: usize) -> &RoaringBitmap {
        &self.bitmaps[code]
    }

    /// Returns the code of the row's value, or `None` when the row has no value.
    pub(crate) fn code_of(&self, row: u32) -> Option<usize> {
        self.bitmaps.iter().position(|bitmap| bitmap.contains(row))
    }

    /// Sets the row's value. A value outside the labels leaves the row without one, which
    /// does not happen for loaded tasks because the task loader rejects such values.
    pub(crate) fn set(&mut self, row: u32, value: &Value) {
        self.clear(row);
        if let Some(code) = self.labels.code(value) {
            self.bitmaps[code].insert(row);
        }
    }

    /// Removes the row's value and returns its code.
    pub(crate) fn clear(&mut self, row: u32) -> Option<usize> {
        let code = self.code_of(row)?;
        self.bitmaps[code].remove(row);
        Some(code)
    }

    /// Returns the number of codes.
    pub(crate) fn len(&self) -> usize {
        self.bitmaps.len()
    }

    /// Returns the heap bytes the bitmaps use, an estimate.
    pub(crate) fn heap_size(&self) -> usize {
        self.bitmaps
            .iter()
            .map(RoaringBitmap::serialized_size)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmap_index_moves_rows_between_values() {
        let mut index = BitmapIndex::new(Labels::Enum(&["active", "completed"]));
        index.set(4, &Value::Str("active".into()));
        assert_eq!(index.code_of(4), Some(0));
        index.set(4, &Value::Str("completed".into()));
        assert_eq!(index.code_of(4), Some(1));
        assert!(index.rows(0).is_empty());
        assert_eq!(index.clear(4), Some(1));
        assert_eq!(index.code_of(4), None);
    }

    #[test]
    fn bitmap_index_codes_booleans() {
        let mut index = BitmapIndex::new(Labels::Boolean);
        index.set(1, &Value::Bool(true));
        index.set(2, &Value::Bool(false));
        assert_eq!(index.code_of(1), Some(1));
        assert_eq!(index.code_of(2), Some(0));
        index.set(2, &Value::Str("true".into()));
        assert_eq!(index.code_of(2), None);
    }
}
