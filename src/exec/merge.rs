//! Merging of sibling leaves that one store structure serves together.
//!
//! - Under `and`, comparisons on the same ordered property become one leaf whose ranges are
//!   the intersection: `creationTime ge a and creationTime lt b` is one range `a..b`, so it
//!   is counted with two binary searches instead of intersecting two bitmaps.
//! - Under `or`, `id eq` and `id in` leaves become one id lookup: an `or` of 20 ids is 20
//!   lookups instead of 20 evaluations, each within the rows no earlier one matched.
//! - Under `or`, leaves on the bitmaps of one enum or Boolean property become one leaf
//!   over the union of their values, which ranks as one bitmap when `and` orders its
//!   children, so `(state eq 'running' or state eq 'preparing') and ...` narrows the
//!   candidates to those states before any range.
//!
//! A merged leaf keeps the tests it replaced, so that `explain` still shows each of them.

use std::ops::RangeInclusive;

use super::Node;
use super::leaf::{Access, Leaf};

/// Merges the ordered-range leaves of an `and` that share a property.
pub(super) fn merge_and(children: Vec<Node>) -> Vec<Node> {
    merge_leaves(children, |into, leaf| {
        let (
            Access::Ordered {
                ranges: kept,
                negate: false,
            },
            Access::Ordered {
                ranges,
                negate: false,
            },
        ) = (&mut into.access, &leaf.access)
        else {
            return false;
        };
        if !std::ptr::eq(into.property, leaf.property) {
            return false;
        }
        *kept = intersect(kept, ranges);
        true
    })
}

/// Merges the id lookups of an `or` into one, and the bitmap leaves of each property.
pub(super) fn merge_or(children: Vec<Node>) -> Vec<Node> {
    merge_leaves(children, |into, leaf| {
        if let (
            Access::Bitmap {
                codes: kept,
                null: kept_null,
            },
            Access::Bitmap { codes, null },
        ) = (&mut into.access, &leaf.access)
        {
            if !std::ptr::eq(into.property, leaf.property) {
                return false;
            }
            kept.extend(codes);
            kept.sort_unstable();
            kept.dedup();
            *kept_null |= *null;
            return true;
        }
        let (
            Access::IdLookup {
                ids: kept,
                negate: false,
            },
            Access::IdLookup { ids, negate: false },
        ) = (&mut into.access, &leaf.access)
        else {
            return false;
        };
        kept.extend(ids.iter().cloned());
        kept.sort_unstable();
        kept.dedup();
        true
    })
}

/// Folds each leaf into the first earlier leaf that `merge` accepts it into, keeping the
/// order of the remaining children.
fn merge_leaves(children: Vec<Node>, merge: impl Fn(&mut Leaf, &Leaf) -> bool) -> Vec<Node> {
    let mut merged: Vec<Node> = Vec::with_capacity(children.len());
    for child in children {
        let Node::Leaf(leaf) = child else {
            merged.push(child);
            continue;
        };
        let target = merged.iter_mut().find_map(|node| match node {
            Node::Leaf(into) => merge(into, &leaf).then_some(into),
            _ => None,
        });
        match target {
            Some(into) => {
                into.merged.push(leaf.test);
                into.merged.extend(leaf.merged);
            }
            None => merged.push(Node::Leaf(leaf)),
        }
    }
    merged
}

/// Returns the integers in both lists of sorted, disjoint ranges, as such a list.
fn intersect(a: &[RangeInclusive<i64>], b: &[RangeInclusive<i64>]) -> Vec<RangeInclusive<i64>> {
    let mut both = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let start = *a[i].start().max(b[j].start());
        let end = *a[i].end().min(b[j].end());
        if start <= end {
            both.push(start..=end);
        }
        // The range that ends first cannot overlap anything after the other's current one.
        if a[i].end() < b[j].end() {
            i += 1;
        } else {
            j += 1;
        }
    }
    both
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intersect_keeps_overlaps() {
        let a = [0..=10, 20..=30, 40..=i64::MAX];
        let b = [5..=25, 30..=45];
        assert_eq!(intersect(&a, &b), [5..=10, 20..=25, 30..=30, 40..=45]);
    }

    #[test]
    fn intersect_of_disjoint_is_empty() {
        assert!(intersect(&[0..=1], &[2..=3]).is_empty());
        assert!(intersect(&[], &[2..=3]).is_empty());
    }
}
