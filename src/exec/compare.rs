//! Comparisons between stored values and plan constants, and their translation into
//! integer ranges for the ordered indexes.
//!
//! A comparison between kinds that do not go together, such as a string constant against
//! an integer property, has no order: `eq`, `gt`, `ge`, `lt`, `le` and `in` are false and
//! `ne` is true. Integers and doubles compare by their exact numeric values.

use std::cmp::Ordering;
use std::ops::RangeInclusive;

use crate::fold::fold_case;
use crate::plan::{Test, Value};
use crate::schema::PropertyType;
use crate::syntax::CompareOp;

/// A stored value of one row, borrowed from its column or index.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Scalar<'a> {
    /// A folded string or enum value.
    Str(&'a str),
    /// An Int32 or Int64 value.
    Int(i64),
    /// A Double value.
    Double(f64),
    /// A Boolean value.
    Bool(bool),
    /// A date-time or duration in ticks.
    Ticks(i64),
}

impl<'a> Scalar<'a> {
    /// Borrows a converted value, such as one read from a task's JSON.
    pub(crate) fn of(value: &'a Value) -> Scalar<'a> {
        match value {
            Value::Str(text) => Scalar::Str(text),
            Value::Int(number) => Scalar::Int(*number),
            Value::Double(number) => Scalar::Double(*number),
            Value::Bool(flag) => Scalar::Bool(*flag),
            Value::Ticks(ticks) => Scalar::Ticks(*ticks),
        }
    }
}

/// 2^63, the first double above every i64.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// Returns true when a constant has the kind that values of the property compare with.
pub(crate) fn compatible(ty: PropertyType, value: &Value) -> bool {
    matches!(
        (ty, value),
        (PropertyType::String | PropertyType::Enum(_), Value::Str(_))
            | (
                PropertyType::Int32 | PropertyType::Int64 | PropertyType::Double,
                Value::Int(_) | Value::Double(_)
            )
            | (PropertyType::Boolean, Value::Bool(_))
            | (
                PropertyType::DateTime | PropertyType::Duration,
                Value::Ticks(_)
            )
    )
}

/// Returns true for types whose values `startswith`, `endswith` and `contains` apply to.
pub(crate) fn is_text(ty: PropertyType) -> bool {
    matches!(ty, PropertyType::String | PropertyType::Enum(_))
}

/// Returns the test with every string constant case-folded.
///
/// Plans already carry folded strings; folding again costs one pass per query and keeps a
/// hand-built plan with `'Active'` from silently matching nothing.
pub(crate) fn prepare(test: &Test) -> Test {
    let fold_value = |value: &Value| match value {
        Value::Str(text) => Value::Str(fold_case(text)),
        other => other.clone(),
    };
    match test {
        Test::Compare(op, value) => Test::Compare(*op, fold_value(value)),
        Test::StartsWith(text) => Test::StartsWith(fold_case(text)),
        Test::EndsWith(text) => Test::EndsWith(fold_case(text)),
        Test::Contains(text) => Test::Contains(fold_case(text)),
        Test::In(values) => Test::In(values.iter().map(fold_value).collect()),
        Test::IsNull | Test::IsNotNull => test.clone(),
    }
}

/// Returns true when a row's value, `None` for null, passes a prepared test.
pub(crate) fn test_matches(test: &Test, value: Option<Scalar>) -> bool {
    match (test, value) {
        (Test::IsNull, value) => value.is_none(),
        (Test::IsNotNull, value) => value.is_some(),
        (Test::Compare(CompareOp::Ne, constant), value) => {
            value.is_none_or(|value| compare(value, constant) != Some(Ordering::Equal))
        }
        (_, None) => false,
        (Test::Compare(op, constant), Some(value)) => {
            compare(value, constant).is_some_and(|order| holds(*op, order))
        }
        (Test::StartsWith(prefix), Some(Scalar::Str(text))) => text.starts_with(prefix.as_str()),
        (Test::EndsWith(suffix), Some(Scalar::Str(text))) => text.ends_with(suffix.as_str()),
        (Test::Contains(infix), Some(Scalar::Str(text))) => text.contains(infix.as_str()),
        (Test::StartsWith(_) | Test::EndsWith(_) | Test::Contains(_), Some(_)) => false,
        (Test::In(constants), Some(value)) => constants
            .iter()
            .any(|constant| compare(value, constant) == Some(Ordering::Equal)),
    }
}

/// Returns true when `order`, the order of a value relative to a constant, satisfies `op`.
pub(crate) fn holds(op: CompareOp, order: Ordering) -> bool {
    match op {
        CompareOp::Eq => order.is_eq(),
        CompareOp::Ne => order.is_ne(),
        CompareOp::Gt => order.is_gt(),
        CompareOp::Ge => order.is_ge(),
        CompareOp::Lt => order.is_lt(),
        CompareOp::Le => order.is_le(),
    }
}

/// Returns the order of a value relative to a constant, or `None` when they do not compare.
pub(crate) fn compare(value: Scalar, constant: &Value) -> Option<Ordering> {
    match (value, constant) {
        (Scalar::Str(a), Value::Str(b)) => Some(a.cmp(b.as_str())),
        (Scalar::Int(a), Value::Int(b)) => Some(a.cmp(b)),
        (Scalar::Int(a), Value::Double(b)) => compare_int_double(a, *b),
        (Scalar::Double(a), Value::Int(b)) => compare_int_double(*b, a).map(Ordering::reverse),
        (Scalar::Double(a), Value::Double(b)) => a.partial_cmp(b),
        (Scalar::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Scalar::Ticks(a), Value::Ticks(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// Compares an integer with a double exactly, without rounding the integer to a double.
fn compare_int_double(a: i64, b: f64) -> Option<Ordering> {
    if b.is_nan() {
        return None;
    }
    if b >= TWO_POW_63 {
        return Some(Ordering::Less);
    }
    if b < -TWO_POW_63 {
        return Some(Ordering::Greater);
    }
    // In this range the integer part of b converts to i64 exactly.
    let whole = b.trunc();
    match a.cmp(&(whole as i64)) {
        Ordering::Equal => 0.0.partial_cmp(&(b - whole)),
        order => Some(order),
    }
}

/// Returns the integers `v` with `v op constant`, for `op` other than `ne`, or `None` when
/// there are none. The constant must be an integer, a double or ticks.
pub(crate) fn integer_range(op: CompareOp, constant: &Value) -> Option<RangeInclusive<i64>> {
    let (low, high) = match constant {
        Value::Int(c) | Value::Ticks(c) => {
            let c = *c;
            match op {
                CompareOp::Eq | CompareOp::Ne => (Some(c), Some(c)),
                CompareOp::Gt => (c.checked_add(1), Some(i64::MAX)),
                CompareOp::Ge => (Some(c), Some(i64::MAX)),
                CompareOp::Lt => (Some(i64::MIN), c.checked_sub(1)),
                CompareOp::Le => (Some(i64::MIN), Some(c)),
            }
        }
        Value::Double(d) => double_bounds(op, *d)?,
        Value::Str(_) | Value::Bool(_) => return None,
    };
    let range = low?..=high?;
    (range.start() <= range.end()).then_some(range)
}

/// Returns the integer bounds for a comparison with a double; a `None` bound means the
/// range is empty.
fn double_bounds(op: CompareOp, d: f64) -> Option<(Option<i64>, Option<i64>)> {
    if d.is_nan() {
        return None;
    }
    let bounds = match op {
        CompareOp::Eq | CompareOp::Ne => {
            let exact = (d.fract() == 0.0).then(|| to_integer(d)).flatten();
            (exact, exact)
        }
        // The smallest integer above d is floor(d) + 1, and so on.
        CompareOp::Gt => (lower_bound(d.floor(), 1), Some(i64::MAX)),
        CompareOp::Ge => (lower_bound(d.ceil(), 0), Some(i64::MAX)),
        CompareOp::Lt => (Some(i64::MIN), upper_bound(d.ceil(), -1)),
        CompareOp::Le => (Some(i64::MIN), upper_bound(d.floor(), 0)),
    };
    Some(bounds)
}

/// Converts an integral double to i64 when it is in range.
fn to_integer(d: f64) -> Option<i64> {
    (-TWO_POW_63..TWO_POW_63).contains(&d).then_some(d as i64)
}

/// Returns `whole + step` as a lower bound: `i64::MIN` below the i64 range, `None` above.
fn lower_bound(whole: f64, step: i64) -> Option<i64> {
    if whole < -TWO_POW_63 {
        return Some(i64::MIN);
    }
    to_integer(whole)?.checked_add(step)
}

/// Returns `whole + step` as an upper bound: `i64::MAX` above the i64 range, `None` below.
fn upper_bound(whole: f64, step: i64) -> Option<i64> {
    if whole >= TWO_POW_63 {
        return Some(i64::MAX);
    }
    to_integer(whole)?.checked_add(step)
}

/// Sorts ranges and merges the ones that overlap or touch.
pub(crate) fn merge_ranges(mut ranges: Vec<RangeInclusive<i64>>) -> Vec<RangeInclusive<i64>> {
    ranges.sort_by_key(|range| *range.start());
    let mut merged: Vec<RangeInclusive<i64>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start().saturating_sub(1) <= *last.end() => {
                *last = *last.start()..=(*last.end()).max(*range.end());
            }
            _ => merged.push(range),
        }
    }
    merged
}

/// Returns the integers outside sorted, disjoint ranges, as ranges.
pub(crate) fn complement(ranges: &[RangeInclusive<i64>]) -> Vec<RangeInclusive<i64>> {
    let mut gaps = Vec::with_capacity(ranges.len() + 1);
    let mut next = Some(i64::MIN);
    for range in ranges {
        if let Some(start) = next
            && start < *range.start()
        {
            gaps.push(start..=range.start() - 1);
        }
        next = range.end().checked_add(1);
    }
    if let Some(start) = next {
        gaps.push(start..=i64::MAX);
    }
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(op: CompareOp, constant: Value) -> Option<(i64, i64)> {
        integer_range(op, &constant).map(|range| (*range.start(), *range.end()))
    }

    #[test]
    fn integer_range_of_integers() {
        assert_eq!(range(CompareOp::Gt, Value::Int(3)), Some((4, i64::MAX)));
        assert_eq!(range(CompareOp::Lt, Value::Int(3)), Some((i64::MIN, 2)));
        assert_eq!(range(CompareOp::Gt, Value::Int(i64::MAX)), None);
        assert_eq!(range(CompareOp::Lt, Value::Ticks(i64::MIN)), None);
        assert_eq!(range(CompareOp::Eq, Value::Str("1".into())), None);
    }

    #[test]
    fn integer_range_of_doubles() {
        assert_eq!(
            range(CompareOp::Gt, Value::Double(1.5)),
            Some((2, i64::MAX))
        );
        assert_eq!(
            range(CompareOp::Ge, Value::Double(1.5)),
            Some((2, i64::MAX))
        );
        assert_eq!(
            range(CompareOp::Lt, Value::Double(-1.5)),
            Some((i64::MIN, -2))
        );
        assert_eq!(
            range(CompareOp::Le, Value::Double(-1.5)),
            Some((i64::MIN, -2))
        );
        assert_eq!(
            range(CompareOp::Gt, Value::Double(2.0)),
            Some((3, i64::MAX))
        );
        assert_eq!(range(CompareOp::Eq, Value::Double(2.0)), Some((2, 2)));
        assert_eq!(range(CompareOp::Eq, Value::Double(2.5)), None);
        assert_eq!(range(CompareOp::Gt, Value::Double(1e300)), None);
        assert_eq!(
            range(CompareOp::Gt, Value::Double(-1e300)),
            Some((i64::MIN, i64::MAX))
        );
        assert_eq!(
            range(CompareOp::Le, Value::Double(1e300)),
            Some((i64::MIN, i64::MAX))
        );
        assert_eq!(range(CompareOp::Eq, Value::Double(f64::NAN)), None);
    }

    #[test]
    fn compare_int_double_is_exact() {
        let big = Scalar::Int(i64::MAX);
        assert_eq!(
            compare(big, &Value::Double(TWO_POW_63)),
            Some(Ordering::Less)
        );
        let near = Scalar::Int((1 << 53) + 1);
        assert_eq!(
            compare(near, &Value::Double((1u64 << 53) as f64)),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare(Scalar::Int(2), &Value::Double(2.5)),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare(Scalar::Int(-2), &Value::Double(-2.5)),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare(Scalar::Double(2.5), &Value::Int(2)),
            Some(Ordering::Greater)
        );
        assert_eq!(compare(Scalar::Int(1), &Value::Str("1".into())), None);
    }

    #[test]
    fn null_matches_only_ne_and_is_null() {
        let constant = Value::Int(1);
        for op in CompareOp::ALL {
            let expected = op == CompareOp::Ne;
            assert_eq!(
                test_matches(&Test::Compare(op, constant.clone()), None),
                expected
            );
        }
        assert!(test_matches(&Test::IsNull, None));
        assert!(!test_matches(&Test::IsNotNull, None));
        assert!(!test_matches(&Test::StartsWith(String::new()), None));
        assert!(!test_matches(&Test::In(vec![constant]), None));
    }

    #[test]
    fn mismatched_kinds_are_unequal() {
        let value = Some(Scalar::Int(1));
        let text = Value::Str("1".into());
        assert!(test_matches(
            &Test::Compare(CompareOp::Ne, text.clone()),
            value
        ));
        assert!(!test_matches(
            &Test::Compare(CompareOp::Eq, text.clone()),
            value
        ));
        assert!(!test_matches(&Test::Compare(CompareOp::Ge, text), value));
        assert!(!test_matches(&Test::StartsWith("1".into()), value));
    }

    #[test]
    fn ranges_merge_and_complement() {
        let merged = merge_ranges(vec![5..=6, 1..=2, 3..=3, 10..=12, 11..=11]);
        assert_eq!(merged, vec![1..=3, 5..=6, 10..=12]);
        let gaps = complement(&merged);
        assert_eq!(gaps, vec![i64::MIN..=0, 4..=4, 7..=9, 13..=i64::MAX]);
        assert_eq!(complement(&[i64::MIN..=i64::MAX]), vec![]);
        assert_eq!(complement(&[]), vec![i64::MIN..=i64::MAX]);
    }
}
