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
            .map_err(|_| mismatch(None)),
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
        (Literal::Int(x), Literal::Decimal(y)) => (*x as f64).partial_cmp(y),
        (Literal::Decimal(x), Literal::Int(y)) => x.partial_cmp(&(*y as f64)),
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
