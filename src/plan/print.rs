//! Plans printed as filter text, with constants in canonical form.
//!
//! String values print case-folded because the plan only keeps the folded value.

use std::fmt;

use super::{Plan, Predicate, Test, Value};
use crate::datetime::{DateTime, format_duration};
use crate::schema::PropertyType;

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Plan::Const(value) => write!(f, "{value}"),
            Plan::Leaf(predicate) => write!(f, "{predicate}"),
            Plan::Not(child) => write!(f, "not ({child})"),
            Plan::And(children) => write_chain(f, children, " and "),
            Plan::Or(children) => write_chain(f, children, " or "),
        }
    }
}

/// Writes the children joined by `separator`, parenthesizing `or` inside `and` and any
/// chain inside a chain of the same operator, so the text re-reads as the same tree.
fn write_chain(f: &mut fmt::Formatter<'_>, children: &[Plan], separator: &str) -> fmt::Result {
    for (index, child) in children.iter().enumerate() {
        if index > 0 {
            f.write_str(separator)?;
        }
        match child {
            Plan::And(_) | Plan::Or(_) => write!(f, "({child})")?,
            _ => write!(f, "{child}")?,
        }
    }
    Ok(())
}

impl fmt::Display for Predicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.property.path;
        let ty = self.property.ty;
        match &self.test {
            Test::Compare(op, v) => write!(f, "{path} {op} {}", Constant { value: v, ty }),
            Test::IsNull => write!(f, "{path} eq null"),
            Test::IsNotNull => write!(f, "{path} ne null"),
            Test::StartsWith(text) => write!(f, "startswith({path}, {})", quoted(text)),
            Test::EndsWith(text) => write!(f, "endswith({path}, {})", quoted(text)),
            Test::Contains(text) => write!(f, "contains({path}, {})", quoted(text)),
            Test::In(values) => {
                write!(f, "{path} in (")?;
                for (index, v) in values.iter().enumerate() {
                    if index > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", Constant { value: v, ty })?;
                }
                f.write_str(")")
            }
        }
    }
}

/// A constant with the property type that decides how ticks print.
struct Constant<'a> {
    value: &'a Value,
    ty: PropertyType,
}

impl fmt::Display for Constant<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.value, self.ty) {
            (Value::Str(text), _) => f.write_str(&quoted(text)),
            (Value::Int(n), _) => write!(f, "{n}"),
            (Value::Double(x), _) => write!(f, "{x:?}"),
            (Value::Bool(b), _) => write!(f, "{b}"),
            (Value::Ticks(t), PropertyType::Duration) => write!(f, "'{}'", format_duration(*t)),
            (Value::Ticks(t), _) => {
                write!(f, "DateTime'{}'", DateTime::from_ticks(*t).to_utc_string())
            }
        }
    }
}

fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
