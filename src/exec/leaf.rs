//! Leaves: one predicate, bound to the store structure that serves it.

use std::ops::{Bound, RangeInclusive};

use roaring::RoaringBitmap;

use super::Deadline;
use super::compare::{self, Scalar};
use crate::plan::{Predicate, Test, Value};
use crate::schema::{PropertyDef, PropertyType};
use crate::store::{Labels, Slot, Store, prefix_end};
use crate::syntax::CompareOp;
use crate::task::stored_value;

/// A predicate with its strings folded and the way the store serves it.
#[derive(Clone, Debug)]
pub(crate) struct Leaf {
    pub(crate) property: &'static PropertyDef,
    pub(crate) test: Test,
    /// The tests of sibling leaves merged into this one, which `access` serves too.
    pub(crate) merged: Vec<Test>,
    pub(crate) access: Access,
}

/// The store structure that finds the rows of a leaf, with the data it needs.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Access {
    /// The result does not depend on the task, such as `id eq null` or a constant of the
    /// wrong type: every row, or none.
    Constant(bool),
    /// A property the store does not hold, such as an object: no row.
    Unheld,
    /// `id eq`, `id ne` (`negate`) or `id in`: look up each id.
    IdLookup { ids: Vec<String>, negate: bool },
    /// `id gt`, `ge`, `lt` or `le`: a range of the id index.
    IdRange {
        start: Bound<String>,
        end: Bound<String>,
    },
    /// `startswith(id, ...)`: the ids from the prefix up to `end`, the first string past
    /// every id with the prefix (`None` when there is no such string).
    IdPrefix { prefix: String, end: Option<String> },
    /// `endswith` or `contains` on the id: test each candidate's id.
    IdScan,
    /// An enum or Boolean property: the union of the bitmaps of the matching values, and of
    /// the rows without a value when `null` is set.
    Bitmap { codes: Vec<usize>, null: bool },
    /// `eq null` or `ne null` on an ordered index: its bitmap of present rows.
    Presence,
    /// A comparison or `in` on an ordered index: the rows whose values are in `ranges`
    /// (sorted and disjoint), or the other rows with `negate`.
    Ordered {
        ranges: Vec<RangeInclusive<i64>>,
        negate: bool,
    },
    /// A test on a property without an index: read each candidate's value from its JSON.
    Scan,
}

impl Leaf {
    pub(crate) fn new(predicate: &Predicate, store: &Store) -> Leaf {
        let property = predicate.property;
        let test = compare::prepare(&predicate.test);
        let access = match store.slot(property) {
            Slot::Unheld => Access::Unheld,
            Slot::Id => id_access(&test),
            Slot::Bitmap(index) => bitmap_access(index.labels(), &test),
            Slot::Ordered(_) => ordered_access(property.ty, &test),
            Slot::Stored => stored_access(property.ty, &test),
        };
        Leaf {
            property,
            test,
            merged: Vec::new(),
            access,
        }
    }

    /// Returns true when evaluating the leaf visits every candidate row.
    pub(crate) fn scans(&self) -> bool {
        matches!(self.access, Access::IdScan | Access::Scan)
    }

    /// Returns a rank of evaluation cost: cheaper leaves narrow the candidates first.
    pub(crate) fn rank(&self) -> u8 {
        match self.access {
            Access::Constant(_) | Access::Unheld => 0,
            Access::IdLookup { .. } | Access::Bitmap { .. } | Access::Presence => 1,
            Access::IdRange { .. } | Access::IdPrefix { .. } | Access::Ordered { .. } => 2,
            Access::IdScan | Access::Scan => 4,
        }
    }

    /// Returns true when the task in `row` passes the leaf.
    pub(crate) fn matches_row(&self, store: &Store, row: u32) -> bool {
        match (&self.access, store.slot(self.property)) {
            (Access::Constant(result), _) => *result,
            (Access::Unheld, _) => false,
            // One bitmap lookup per code, where reading the row's value could take one per
            // value of the enum.
            (Access::Bitmap { codes, null }, Slot::Bitmap(index)) => {
                if *null {
                    let other = (0..index.len()).filter(|code| !codes.contains(code));
                    !other.into_iter().any(|code| index.rows(code).contains(row))
                } else {
                    codes.iter().any(|&code| index.rows(code).contains(row))
                }
            }
            // Merged leaves have no single test, so these read what `access` holds.
            (Access::IdLookup { ids, negate }, _) => {
                let found = store
                    .folded_id_at(row)
                    .is_some_and(|id| ids.binary_search_by(|probe| (**probe).cmp(id)).is_ok());
                found != *negate
            }
            (Access::Ordered { ranges, negate }, Slot::Ordered(index)) => {
                let inside = index.get(row).is_some_and(|value| in_ranges(ranges, value));
                inside != *negate
            }
            (_, Slot::Stored) => {
                let json = store.task_at(row);
                let value = json.and_then(|json| stored_value(json, self.property));
                compare::test_matches(&self.test, value.as_ref().map(Scalar::of))
            }
            _ => compare::test_matches(&self.test, row_value(store, self.property, row)),
        }
    }

    /// Returns the rows of `candidates` that pass the leaf. Once the deadline has passed,
    /// a scan stops and the result is partial.
    pub(crate) fn within(
        &self,
        store: &Store,
        candidates: &RoaringBitmap,
        deadline: &Deadline,
    ) -> RoaringBitmap {
        let slot = store.slot(self.property);
        match (&self.access, slot) {
            (Access::Constant(true), _) => candidates.clone(),
            (Access::Constant(false) | Access::Unheld, _) => RoaringBitmap::new(),
            (Access::IdLookup { ids, negate }, _) => {
                let found: RoaringBitmap =
                    ids.iter().filter_map(|id| store.ids().get(id)).collect();
                if *negate {
                    candidates - found
                } else {
                    found & candidates
                }
            }
            (Access::IdRange { .. } | Access::IdPrefix { .. }, _) => {
                // Few candidates are cheaper to test one by one than a long range to walk.
                if candidates.len().saturating_mul(8) < store.len() as u64 {
                    return self.scan(store, candidates, deadline);
                }
                self.id_rows(store) & candidates
            }
            (Access::Bitmap { codes, null }, Slot::Bitmap(index)) => {
                if *null {
                    let mut rows = candidates.clone();
                    for code in (0..index.len()).filter(|code| !codes.contains(code)) {
                        rows -= index.rows(code);
                    }
                    rows
                } else {
                    let mut rows = RoaringBitmap::new();
                    for &code in codes {
                        rows |= index.rows(code) & candidates;
                    }
                    rows
                }
            }
            (Access::Presence, slot) => {
                let Some(present) = present_rows(slot) else {
                    return self.scan(store, candidates, deadline);
                };
                match self.test {
                    Test::IsNull => candidates - present,
                    _ => present & candidates,
                }
            }
            (Access::Ordered { ranges, negate }, Slot::Ordered(index)) => {
                let count: u64 = ranges.iter().map(|range| index.count(range.clone())).sum();
                // Testing a candidate is one column read, while each row of a range costs
                // a sort step, so few candidates are tested one by one.
                if candidates.len() < count {
                    let present = candidates & index.present();
                    let inside = present
                        .iter()
                        .take_while(|_| !deadline.tick())
                        .filter(|&row| in_ranges(ranges, index.get_present(row)));
                    // The rows iterate in increasing order, so the filtered rows do too.
                    let inside = RoaringBitmap::from_sorted_iter(inside).unwrap_or_default();
                    return if *negate { candidates - inside } else { inside };
                }
                let rows = if count > index.present().len() / 2 {
                    let outside = compare::complement(ranges);
                    index.present() - union(outside.into_iter().map(|range| index.rows(range)))
                } else {
                    union(ranges.iter().map(|range| index.rows(range.clone())))
                };
                if *negate {
                    candidates - rows
                } else {
                    rows & candidates
                }
            }
            _ => self.scan(store, candidates, deadline),
        }
    }

    /// Returns the number of tasks that pass the leaf when an index gives it without
    /// listing the rows, or `None` when it does not.
    pub(crate) fn count(&self, store: &Store) -> Option<u64> {
        let live = store.live().len();
        let slot = store.slot(self.property);
        let count = match (&self.access, slot) {
            (Access::Constant(true), _) => live,
            (Access::Constant(false) | Access::Unheld, _) => 0,
            (Access::IdLookup { ids, negate }, _) => {
                let found = ids
                    .iter()
                    .filter(|id| store.ids().get(id).is_some())
                    .count() as u64;
                if *negate {
                    live.saturating_sub(found)
                } else {
                    found
                }
            }
            (Access::Bitmap { codes, null }, Slot::Bitmap(index)) => {
                let matched: u64 = codes.iter().map(|&code| index.rows(code).len()).sum();
                let nulls = if *null {
                    let valued: u64 = (0..index.len()).map(|code| index.rows(code).len()).sum();
                    live.saturating_sub(valued)
                } else {
                    0
                };
                matched + nulls
            }
            (Access::Presence, slot) => {
                let present = present_rows(slot)?.len();
                match self.test {
                    Test::IsNull => live.saturating_sub(present),
                    _ => present,
                }
            }
            (Access::Ordered { ranges, negate }, Slot::Ordered(index)) => {
                let matched: u64 = ranges.iter().map(|range| index.count(range.clone())).sum();
                if *negate {
                    live.saturating_sub(matched)
                } else {
                    matched
                }
            }
            (Access::IdRange { .. } | Access::IdPrefix { .. }, _) => {
                let (start, end) = self.id_bounds()?;
                store.ids().count(start, end)
            }
            _ => return None,
        };
        Some(count)
    }

    /// Returns the id bounds of an id range or prefix leaf.
    pub(crate) fn id_bounds(&self) -> Option<(Bound<&str>, Bound<&str>)> {
        match &self.access {
            Access::IdRange { start, end } => Some((as_str(start), as_str(end))),
            Access::IdPrefix { prefix, end } => {
                let end = end.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
                Some((Bound::Included(prefix), end))
            }
            _ => None,
        }
    }

    /// Returns the rows of an id range or prefix leaf, listing the ids inside the bounds or
    /// outside them, whichever are fewer.
    fn id_rows(&self, store: &Store) -> RoaringBitmap {
        let Some((start, end)) = self.id_bounds() else {
            return RoaringBitmap::new();
        };
        let (inside, mut rows) = store.ids().smaller_side(start, end);
        rows.sort_unstable();
        // Each id has its own row, so the sorted rows are strictly increasing.
        let rows = RoaringBitmap::from_sorted_iter(rows).unwrap_or_default();
        if inside { rows } else { store.live() - rows }
    }

    /// Tests each candidate row until the deadline passes.
    fn scan(
        &self,
        store: &Store,
        candidates: &RoaringBitmap,
        deadline: &Deadline,
    ) -> RoaringBitmap {
        let rows = candidates
            .iter()
            .take_while(|_| !deadline.tick())
            .filter(|&row| self.matches_row(store, row));
        // The candidates iterate in increasing order, so the filtered rows do too.
        RoaringBitmap::from_sorted_iter(rows).unwrap_or_default()
    }
}

/// Returns the value of a property for a row, read from its index, or `None` for a
/// property without one.
pub(crate) fn row_value<'s>(
    store: &'s Store,
    property: &PropertyDef,
    row: u32,
) -> Option<Scalar<'s>> {
    match store.slot(property) {
        Slot::Unheld | Slot::Stored => None,
        Slot::Id => store.folded_id_at(row).map(Scalar::Str),
        Slot::Bitmap(index) => match (index.labels(), index.code_of(row)?) {
            (Labels::Enum(values), code) => values.get(code).map(|value| Scalar::Str(value)),
            (Labels::Boolean, code) => Some(Scalar::Bool(code == 1)),
        },
        Slot::Ordered(index) => {
            let value = index.get(row)?;
            Some(match property.ty {
                PropertyType::DateTime | PropertyType::Duration => Scalar::Ticks(value),
                _ => Scalar::Int(value),
            })
        }
    }
}

/// Returns the rows with a value for an ordered index.
fn present_rows(slot: &Slot) -> Option<&RoaringBitmap> {
    match slot {
        Slot::Ordered(index) => Some(index.present()),
        Slot::Unheld | Slot::Id | Slot::Bitmap(_) | Slot::Stored => None,
    }
}

/// Returns true when `value` is in one of the sorted, disjoint `ranges`.
fn in_ranges(ranges: &[RangeInclusive<i64>], value: i64) -> bool {
    match ranges {
        [range] => range.contains(&value),
        _ => ranges
            .binary_search_by(|range| {
                if *range.end() < value {
                    std::cmp::Ordering::Less
                } else if *range.start() > value {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok(),
    }
}

fn union(bitmaps: impl Iterator<Item = RoaringBitmap>) -> RoaringBitmap {
    let mut rows = RoaringBitmap::new();
    for bitmap in bitmaps {
        rows |= bitmap;
    }
    rows
}

fn as_str(bound: &Bound<String>) -> Bound<&str> {
    match bound {
        Bound::Included(text) => Bound::Included(text),
        Bound::Excluded(text) => Bound::Excluded(text),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn id_access(test: &Test) -> Access {
    match test {
        Test::IsNull => Access::Constant(false),
        Test::IsNotNull => Access::Constant(true),
        Test::Compare(op, Value::Str(id)) => {
            let id = id.clone();
            match op {
                CompareOp::Eq | CompareOp::Ne => Access::IdLookup {
                    ids: vec![id],
                    negate: *op == CompareOp::Ne,
                },
                CompareOp::Gt => Access::IdRange {
                    start: Bound::Excluded(id),
                    end: Bound::Unbounded,
                },
                CompareOp::Ge => Access::IdRange {
                    start: Bound::Included(id),
                    end: Bound::Unbounded,
                },
                CompareOp::Lt => Access::IdRange {
                    start: Bound::Unbounded,
                    end: Bound::Excluded(id),
                },
                CompareOp::Le => Access::IdRange {
                    start: Bound::Unbounded,
                    end: Bound::Included(id),
                },
            }
        }
        Test::Compare(op, _) => Access::Constant(*op == CompareOp::Ne),
        Test::In(values) => {
            let mut ids: Vec<String> = values
                .iter()
                .filter_map(|value| match value {
                    Value::Str(id) => Some(id.clone()),
                    _ => None,
                })
                .collect();
            ids.sort_unstable();
            ids.dedup();
            Access::IdLookup { ids, negate: false }
        }
        Test::StartsWith(prefix) => Access::IdPrefix {
            prefix: prefix.clone(),
            end: prefix_end(prefix),
        },
        Test::EndsWith(_) | Test::Contains(_) => Access::IdScan,
    }
}

fn bitmap_access(labels: Labels, test: &Test) -> Access {
    let values: Vec<Scalar> = match labels {
        Labels::Enum(values) => values.iter().map(|value| Scalar::Str(value)).collect(),
        Labels::Boolean => vec![Scalar::Bool(false), Scalar::Bool(true)],
    };
    let codes = (0..values.len())
        .filter(|&code| compare::test_matches(test, Some(values[code])))
        .collect();
    let null = compare::test_matches(test, None);
    Access::Bitmap { codes, null }
}

fn ordered_access(ty: PropertyType, test: &Test) -> Access {
    match test {
        Test::IsNull | Test::IsNotNull => Access::Presence,
        Test::Compare(op, value) if !compare::compatible(ty, value) => {
            Access::Constant(*op == CompareOp::Ne)
        }
        Test::Compare(op, value) => Access::Ordered {
            ranges: compare::integer_range(*op, value).into_iter().collect(),
            negate: *op == CompareOp::Ne,
        },
        Test::In(values) => {
            let ranges = values
                .iter()
                .filter(|value| compare::compatible(ty, value))
                .filter_map(|value| compare::integer_range(CompareOp::Eq, value))
                .collect();
            Access::Ordered {
                ranges: compare::merge_ranges(ranges),
                negate: false,
            }
        }
        Test::StartsWith(_) | Test::EndsWith(_) | Test::Contains(_) => Access::Constant(false),
    }
}

fn stored_access(ty: PropertyType, test: &Test) -> Access {
    match test {
        Test::Compare(op, value) if !compare::compatible(ty, value) => {
            Access::Constant(*op == CompareOp::Ne)
        }
        Test::StartsWith(_) | Test::EndsWith(_) | Test::Contains(_) if !compare::is_text(ty) => {
            Access::Constant(false)
        }
        _ => Access::Scan,
    }
}
