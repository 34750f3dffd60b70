//! A reference evaluator: the filter semantics applied directly to task JSON, with no index,
//! for tests to check the store against.
//!
//! It reads each property by walking its path through the task's objects and converts the
//! value by the property's type, then applies these rules:
//!
//! - Strings and enum values compare after [`fold_case`] on both sides, in code point order.
//! - A missing or `null` value passes only `eq null` (`IsNull`) and `ne` comparisons.
//! - Integers and doubles compare by exact numeric value. Date-times and durations compare
//!   as ticks. Booleans order `false` before `true`.
//! - A constant of another kind than the value, such as a string against an integer, is
//!   unequal to it and unordered: `ne` passes, every other comparison and `in` fail.
//! - `startswith`, `endswith` and `contains` pass only for string and enum values.
//! - Predicates on objects, arrays and paths inside arrays pass for no task.
//!
//! It shares no code with the store's evaluation beyond case folding and date-time parsing.

use std::cmp::Ordering;

use serde_json::Value as Json;

use crate::datetime::{DateTime, parse_duration};
use crate::fold::fold_case;
use crate::plan::{Plan, Predicate, Test, Value};
use crate::schema::PropertyType;
use crate::syntax::CompareOp;

/// A task's value converted by its property's type.
enum Typed {
    Text(String),
    Integer(i64),
    Real(f64),
    Flag(bool),
    Ticks(i64),
    /// A value whose JSON does not fit the property's type. It is not null, and it is
    /// unequal to and unordered with every constant.
    Unfit,
}

/// Returns true when the task passes the plan.
///
/// ```
/// use batch_odata::exec::reference::matches;
/// use batch_odata::plan::{Plan, Predicate, Test};
/// use batch_odata::schema;
/// use batch_odata::span::Span;
///
/// let plan = Plan::Leaf(Predicate {
///     property: schema::lookup("id").unwrap(),
///     test: Test::StartsWith("task-".into()),
///     span: Span::default(),
/// });
/// assert!(matches(&plan, &serde_json::json!({"id": "TASK-7"})));
/// assert!(!matches(&Plan::Not(Box::new(plan)), &serde_json::json!({"id": "TASK-7"})));
/// ```
pub fn matches(plan: &Plan, task: &Json) -> bool {
    match plan {
        Plan::Const(value) => *value,
        Plan::And(children) => children.iter().all(|child| matches(child, task)),
        Plan::Or(children) => children.iter().any(|child| matches(child, task)),
        Plan::Not(child) => !matches(child, task),
        Plan::Leaf(predicate) => passes(predicate, task),
    }
}

fn passes(predicate: &Predicate, task: &Json) -> bool {
    let property = predicate.property;
    if property.is_in_collection() || !property.ty.is_scalar() {
        return false;
    }
    let value = read_path(task, property.path).map(|json| typed(property.ty, json));

    match &predicate.test {
        Test::IsNull => value.is_none(),
        Test::IsNotNull => value.is_some(),
        Test::Compare(CompareOp::Ne, constant) => match &value {
            None => true,
            Some(value) => order(value, constant) != Some(Ordering::Equal),
        },
        Test::Compare(op, constant) => match &value {
            None => false,
            Some(value) => match order(value, constant) {
                None => false,
                Some(found) => match op {
                    CompareOp::Eq => found == Ordering::Equal,
                    CompareOp::Ne => found != Ordering::Equal,
                    CompareOp::Gt => found == Ordering::Greater,
                    CompareOp::Ge => found != Ordering::Less,
                    CompareOp::Lt => found == Ordering::Less,
                    CompareOp::Le => found != Ordering::Greater,
                },
            },
        },
        Test::StartsWith(prefix) => text(&value).is_some_and(|t| t.starts_with(&fold_case(prefix))),
        Test::EndsWith(suffix) => text(&value).is_some_and(|t| t.ends_with(&fold_case(suffix))),
        Test::Contains(infix) => text(&value).is_some_and(|t| t.contains(&fold_case(infix))),
        Test::In(constants) => match &value {
            None => false,
            Some(value) => constants
                .iter()
                .any(|constant| order(value, constant) == Some(Ordering::Equal)),
        },
    }
}

/// Returns the value at a `/`-separated path, or `None` when it or a parent is missing or
/// null, or a parent is not an object.
fn read_path<'a>(task: &'a Json, path: &str) -> Option<&'a Json> {
    let mut current = task;
    for name in path.split('/') {
        current = current.as_object()?.get(name)?;
    }
    if current.is_null() {
        None
    } else {
        Some(current)
    }
}

fn typed(ty: PropertyType, json: &Json) -> Typed {
    let converted = match ty {
        PropertyType::String | PropertyType::Enum(_) => {
            json.as_str().map(|s| Typed::Text(fold_case(s)))
        }
        PropertyType::Int32 | PropertyType::Int64 => json.as_i64().map(Typed::Integer),
        PropertyType::Double => json.as_f64().map(Typed::Real),
        PropertyType::Boolean => json.as_bool().map(Typed::Flag),
        PropertyType::DateTime => json
            .as_str()
            .and_then(|s| DateTime::parse_iso(s).ok())
            .map(|t| Typed::Ticks(t.ticks())),
        PropertyType::Duration => json
            .as_str()
            .and_then(|s| parse_duration(s).ok())
            .map(Typed::Ticks),
        PropertyType::Object | PropertyType::Array => None,
    };
    converted.unwrap_or(Typed::Unfit)
}

fn text(value: &Option<Typed>) -> Option<&str> {
    match value {
        Some(Typed::Text(text)) => Some(text),
        _ => None,
    }
}

/// Returns how the value orders against the constant, or `None` when they do not compare.
fn order(value: &Typed, constant: &Value) -> Option<Ordering> {
    match (value, constant) {
        (Typed::Text(a), Value::Str(b)) => Some(a.as_str().cmp(fold_case(b).as_str())),
        (Typed::Integer(a), Value::Int(b)) => Some(a.cmp(b)),
        (Typed::Integer(a), Value::Double(b)) => integer_against_real(*a, *b),
        (Typed::Real(a), Value::Int(b)) => integer_against_real(*b, *a).map(Ordering::reverse),
        (Typed::Real(a), Value::Double(b)) => a.partial_cmp(b),
        (Typed::Flag(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Typed::Ticks(a), Value::Ticks(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// Orders an integer against a double exactly, using the double's floor as an i128.
fn integer_against_real(a: i64, b: f64) -> Option<Ordering> {
    if b.is_nan() {
        return None;
    }
    // Every i64 lies strictly between these, so larger doubles need no conversion.
    if b >= 1e19 {
        return Some(Ordering::Less);
    }
    if b <= -1e19 {
        return Some(Ordering::Greater);
    }
    let floor = b.floor();
    let a = i128::from(a);
    let floor_int = floor as i128;
    if a > floor_int {
        // a >= floor + 1 > b.
        Some(Ordering::Greater)
    } else if a < floor_int || b > floor {
        Some(Ordering::Less)
    } else {
        Some(Ordering::Equal)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schema;
    use crate::span::Span;

    fn leaf(path: &str, test: Test) -> Plan {
        Plan::Leaf(Predicate {
            property: schema::lookup(path).expect(path),
            test,
            span: Span::default(),
        })
    }

    fn compare(path: &str, op: CompareOp, value: Value) -> Plan {
        leaf(path, Test::Compare(op, value))
    }

    #[test]
    fn null_passes_only_ne_and_is_null() {
        let task = json!({"id": "a", "executionInfo": {"exitCode": null}});
        for op in CompareOp::ALL {
            let plan = compare("executionInfo/exitCode", op, Value::Int(0));
            assert_eq!(matches(&plan, &task), op == CompareOp::Ne, "{op:?}");
        }
        assert!(matches(
            &leaf("executionInfo/exitCode", Test::IsNull),
            &task
        ));
        assert!(!matches(&leaf("state", Test::In(vec![])), &task));
        assert!(!matches(
            &leaf("state", Test::StartsWith(String::new())),
            &task
        ));
    }

    #[test]
    fn strings_compare_folded() {
        let task = json!({"id": "Straße-Σ", "state": "Completed"});
        let state = compare("state", CompareOp::Eq, Value::Str("COMPLETED".into()));
        assert!(matches(&state, &task));
        assert!(!matches(&leaf("id", Test::EndsWith("SSE-ς".into())), &task));
        assert!(matches(&leaf("id", Test::EndsWith("ße-ς".into())), &task));
        let before = compare("id", CompareOp::Lt, Value::Str("STRASSE".into()));
        assert!(!matches(&before, &task));
    }

    #[test]
    fn numbers_compare_exactly() {
        let task =
            json!({"id": "a", "executionInfo": {"exitCode": 2}, "stats": {"readIOGiB": 2.5}});
        let code = |op, value| compare("executionInfo/exitCode", op, value);
        assert!(matches(&code(CompareOp::Lt, Value::Double(2.5)), &task));
        assert!(matches(&code(CompareOp::Eq, Value::Double(2.0)), &task));
        assert!(matches(&code(CompareOp::Gt, Value::Double(-1e300)), &task));
        assert!(!matches(
            &code(CompareOp::Eq, Value::Str("2".into())),
            &task
        ));
        assert!(matches(&code(CompareOp::Ne, Value::Str("2".into())), &task));
        let read = compare("stats/readIOGiB", CompareOp::Gt, Value::Int(2));
        assert!(matches(&read, &task));
    }

    #[test]
    fn integer_against_real_at_the_edges() {
        // i64::MAX as f64 rounds up to 2^63, one more than i64::MAX.
        let max = i64::MAX;
        assert_eq!(
            integer_against_real(max, i64::MAX as f64),
            Some(Ordering::Less)
        );
        assert_eq!(
            integer_against_real(i64::MIN, i64::MIN as f64),
            Some(Ordering::Equal)
        );
        assert_eq!(integer_against_real(-3, -2.5), Some(Ordering::Less));
        assert_eq!(integer_against_real(-2, -2.5), Some(Ordering::Greater));
        assert_eq!(integer_against_real(0, f64::NAN), None);
    }

    #[test]
    fn objects_and_arrays_match_nothing() {
        let task = json!({"id": "a", "executionInfo": {}, "resourceFiles": [{"filePath": "x"}]});
        assert!(!matches(&leaf("executionInfo", Test::IsNotNull), &task));
        assert!(!matches(&leaf("executionInfo", Test::IsNull), &task));
        let path = compare(
            "resourceFiles[]/filePath",
            CompareOp::Ne,
            Value::Str("y".into()),
        );
        assert!(!matches(&path, &task));
    }

    #[test]
    fn date_times_compare_as_ticks() {
        let task = json!({"id": "a", "creationTime": "2018-03-13T08:19:20+01:00"});
        let utc = DateTime::parse_iso("2018-03-13T07:19:20Z")
            .expect("valid")
            .ticks();
        assert!(matches(
            &compare("creationTime", CompareOp::Eq, Value::Ticks(utc)),
            &task
        ));
        assert!(matches(
            &compare("creationTime", CompareOp::Lt, Value::Ticks(utc + 1)),
            &task
        ));
    }
}
