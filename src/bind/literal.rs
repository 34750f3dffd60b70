//! Literal conversion to property types, and comparison of two constants.

use std::cmp::Ordering;

use crate::datetime::{DateTime, parse_duration};
use crate::fold::fold_case;
use crate::plan::Value;
use crate::schema::{PropertyDef, PropertyType};
use crate::syntax::{CompareOp, Literal};

/// A literal that does not fit the property type.
pub(super) struct Mismatch {
    pub found: &'static str,
    pub hint: Option<String>,
    /// The reason a string of the right type did not parse, such as a malformed duration.
    pub invalid: Option<String>,
}

/// Returns the type name of a literal for error messages.
pub(super) fn type_name(literal: &Literal) -> &'static str {
    match literal {
        Literal::String(_) => "String",
        Literal::Int(_) => "Int",
        Literal::Decimal(_) => "Decimal",
        Literal::Bool(_) => "Boolean",
        Literal::Null => "null",
        Literal::DateTime { .. } => "DateTime",
    }
}

/// Converts a non-null literal to a value of the property's type.
pub(super) fn convert(property: &PropertyDef, literal: &Literal) -> Result<Value, Mismatch> {
    let mismatch = |hint: Option<String>| Mismatch {
        found: type_name(literal),
        hint,
        invalid: None,
    };
    match (property.ty, literal) {
        (PropertyType::String | PropertyType::Enum(_), Literal::String(text)) => {
            Ok(Value::Str(fold_case(text)))
        }
        (PropertyType::String | PropertyType::Enum(_), Literal::Int(n)) => {
            Err(mismatch(Some(format!("'{n}'"))))
        }
        (PropertyType::Int32 | PropertyType::Int64, Literal::Int(n)) => Ok(Value::Int(*n)),
        (PropertyType::Int32 | PropertyType::Int64, Literal::String(text)) => Err(mismatch(
            text.trim().parse::<i64>().ok().map(|n| n.to_string()),
        )),
        (PropertyType::Double, Literal::Int(n)) => Ok(Value::Double(*n as f64)),
        (PropertyType::Double, Literal::Decimal(x)) => Ok(Value::Double(*x)),
        (PropertyType::Boolean, Literal::Bool(b)) => Ok(Value::Bool(*b)),
        (PropertyType::DateTime, Literal::DateTime { value, .. }) => {
            Ok(Value::Ticks(value.ticks()))
        }
        (PropertyType::DateTime, Literal::String(text)) => {
            let hint = DateTime::parse(text)
                .ok()
                .map(|_| format!("DateTime'{text}'"));
            Err(mismatch(hint))
        }
        (PropertyType::Duration, Literal::String(text)) => parse_duration(text)
            .map(Value::Ticks)
            .map_err(|error| Mismatch {
                invalid: Some(error.reason),
                ..mismatch(None)
            }),
        _ => Err(mismatch(None)),
    }
}

/// Compares two constants, or returns `None` when their types cannot be compared.
/// `null` equals only `null`, and ordering comparisons with `null` are false.
pub(super) fn compare_constants(a: &Literal, op: CompareOp, b: &Literal) -> Option<bool> {
    let ordering = match (a, b) {
        (Literal::Null, Literal::Null) => Some(Ordering::Equal),
        (Literal::Null, _) | (_, Literal::Null) => None,
        (Literal::String(x), Literal::String(y)) => Some(fold_case(x).cmp(&fold_case(y))),
        (Literal::Int(x), Literal::Int(y)) => Some(x.cmp(y)),
        (Literal::Decimal(x), Literal::Decimal(y)) => x.partial_cmp(y),
        (Literal::Int(x), Literal::Decimal(y)) => compare_int_decimal(*x, *y),
        (Literal::Decimal(x), Literal::Int(y)) => {
            compare_int_decimal(*y, *x).map(Ordering::reverse)
        }
        (Literal::Bool(x), Literal::Bool(y)) => Some(x.cmp(y)),
        (Literal::DateTime { value: x, .. }, Literal::DateTime { value: y, .. }) => {
            Some(x.ticks().cmp(&y.ticks()))
        }
        _ => return None,
    };
    Some(match ordering {
        Some(ordering) => match op {
            CompareOp::Eq => ordering == Ordering::Equal,
            CompareOp::Ne => ordering != Ordering::Equal,
            CompareOp::Gt => ordering == Ordering::Greater,
            CompareOp::Ge => ordering != Ordering::Less,
            CompareOp::Lt => ordering == Ordering::Less,
            CompareOp::Le => ordering != Ordering::Greater,
        },
        // Exactly one side is null, or a NaN: unequal and unordered.
        None => op == CompareOp::Ne,
    })
}

/// Compares an integer with a double exactly, without rounding the integer to a double:
/// `9007199254740993` is greater than `9007199254740992.0`. Returns `None` for NaN.
fn compare_int_decimal(int: i64, decimal: f64) -> Option<Ordering> {
    if decimal.is_nan() {
        return None;
    }
    // 2^63 is exactly representable; every double at or beyond it is outside the i64 range.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if decimal >= LIMIT {
        return Some(Ordering::Less);
    }
    if decimal < -LIMIT {
        return Some(Ordering::Greater);
    }
    let whole = decimal.trunc();
    // `whole` is integral and within range, so the conversion is exact.
    let ordering = int.cmp(&(whole as i64));
    Some(ordering.then_with(|| {
        0.0f64
            .partial_cmp(&(decimal - whole))
            .unwrap_or(Ordering::Equal)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_decimal_comparison_is_exact() {
        assert_eq!(
            compare_int_decimal(9_007_199_254_740_993, 9_007_199_254_740_992.0),
            Some(Ordering::Greater)
        );
        assert_eq!(compare_int_decimal(1, 1.5), Some(Ordering::Less));
        assert_eq!(compare_int_decimal(-1, -1.5), Some(Ordering::Greater));
        assert_eq!(compare_int_decimal(2, 2.0), Some(Ordering::Equal));
        assert_eq!(compare_int_decimal(i64::MAX, 1e19), Some(Ordering::Less));
        assert_eq!(
            compare_int_decimal(i64::MIN, -1e19),
            Some(Ordering::Greater)
        );
        assert_eq!(compare_int_decimal(0, f64::NAN), None);
    }
}
