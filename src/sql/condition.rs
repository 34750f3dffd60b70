//! Plans as `WHERE` conditions over the typed columns of [`super::layout`].
//!
//! Each predicate becomes a condition whose result equals the engine's for every task,
//! null rules included. SQL's three-valued logic needs care: `exitcode < 5` is NULL, not
//! false, for a task without an exit code. In a positive position (under no `NOT`) a NULL
//! condition drops the row just as false would, because `AND` and `OR` treat NULL like false
//! there. Under `NOT` a NULL would stay NULL and drop the row, where the engine's `not` keeps
//! it, so a condition that can be NULL is wrapped in `COALESCE(..., FALSE)` there.

use std::cmp::Ordering;
use std::ops::RangeInclusive;

use super::Param;
use super::layout::{ColumnType, column_name, column_type};
use crate::exec::compare::{self, integer_range};
use crate::plan::{Plan, Predicate, Test, Value};
use crate::schema::PropertyType;
use crate::store::prefix_end;
use crate::syntax::CompareOp;

/// A condition: a constant, or SQL text that may be NULL when `nullable` is set.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Condition {
    Const(bool),
    Sql { text: String, nullable: bool },
}

impl Condition {
    fn sql(text: String, nullable: bool) -> Condition {
        Condition::Sql { text, nullable }
    }

    /// Returns the SQL text, with constants as `TRUE` and `FALSE`.
    pub(super) fn text(&self) -> &str {
        match self {
            Condition::Const(true) => "TRUE",
            Condition::Const(false) => "FALSE",
            Condition::Sql { text, .. } => text,
        }
    }
}

/// Collects the bind parameters while a query's text is built.
#[derive(Debug, Default)]
pub(super) struct Params {
    pub(super) values: Vec<Param>,
}

impl Params {
    /// Adds a parameter and returns its placeholder with a cast, such as `$2::bigint`. The
    /// cast fixes the type the server infers, so an Int32 column compares with a bigint.
    pub(super) fn bind(&mut self, value: Param) -> String {
        let cast = value.sql_type();
        self.values.push(value);
        format!("${}::{cast}", self.values.len())
    }
}

/// Translates a plan into a condition. `negated` is true under an odd number of `NOT`s.
pub(super) fn translate(plan: &Plan, params: &mut Params, negated: bool) -> Condition {
    match plan {
        Plan::Const(value) => Condition::Const(*value),
        Plan::And(children) => combine(children, params, negated, true),
        Plan::Or(children) => combine(children, params, negated, false),
        Plan::Not(child) => match translate(child, params, !negated) {
            Condition::Const(value) => Condition::Const(!value),
            Condition::Sql {
                text,
                nullable: true,
            } => Condition::sql(format!("NOT COALESCE({text}, FALSE)"), false),
            // Every text that starts with `(` is wrapped whole by this module.
            Condition::Sql { text, .. } if text.starts_with('(') => {
                Condition::sql(format!("NOT {text}"), false)
            }
            Condition::Sql { text, .. } => Condition::sql(format!("NOT ({text})"), false),
        },
        Plan::Leaf(predicate) => match leaf(predicate, params) {
            Condition::Sql {
                text,
                nullable: true,
            } if negated => Condition::sql(format!("COALESCE({text}, FALSE)"), false),
            condition => condition,
        },
    }
}

/// Joins the children's conditions with `AND` (`conjunction`) or `OR`, folding constants.
fn combine(children: &[Plan], params: &mut Params, negated: bool, conjunction: bool) -> Condition {
    let mut terms = Vec::new();
    let mut nullable = false;
    let bound_before = params.values.len();
    for child in children {
        match translate(child, params, negated) {
            // The identity of the operator drops out; its absorbing element decides it, and
            // the parameters of the terms before it go unused.
            Condition::Const(value) if value == conjunction => {}
            Condition::Const(value) => {
                params.values.truncate(bound_before);
                return Condition::Const(value);
            }
            Condition::Sql {
                text,
                nullable: child_nullable,
            } => {
                nullable |= child_nullable;
                terms.push(text);
            }
        }
    }
    match terms.len() {
        0 => Condition::Const(conjunction),
        1 => Condition::sql(terms.remove(0), nullable),
        _ => {
            let joint = if conjunction { " AND " } else { " OR " };
            Condition::sql(format!("({})", terms.join(joint)), nullable)
        }
    }
}

/// Translates one predicate.
fn leaf(predicate: &Predicate, params: &mut Params) -> Condition {
    let property = predicate.property;
    let test = compare::prepare(&predicate.test);
    if property.path == "id" {
        return id_leaf(&test, params);
    }
    // Objects, arrays and paths inside arrays match no task, as in the engine.
    let Some(column_ty) = column_type(property) else {
        return Condition::Const(false);
    };
    let column = Column {
        name: format!("\"{}\"", column_name(property)),
        ty: property.ty,
        column_ty,
        nullable: true,
    };
    column.test(&test, params)
}

/// `id` is never null, and its column contains the folded id.
fn id_leaf(test: &Test, params: &mut Params) -> Condition {
    match test {
        Test::IsNull => Condition::Const(false),
        Test::IsNotNull => Condition::Const(true),
        _ => Column {
            name: "id_folded".to_owned(),
            ty: PropertyType::String,
            column_ty: ColumnType::Text,
            nullable: false,
        }
        .test(test, params),
    }
}

/// A column with the schema type of its property.
struct Column {
    name: String,
    ty: PropertyType,
    column_ty: ColumnType,
    nullable: bool,
}

impl Column {
    fn sql(&self, text: String) -> Condition {
        Condition::sql(text, self.nullable)
    }

    fn is_null(&self) -> Condition {
        if self.nullable {
            Condition::sql(format!("{} IS NULL", self.name), false)
        } else {
            Condition::Const(false)
        }
    }

    fn is_not_null(&self) -> Condition {
        if self.nullable {
            Condition::sql(format!("{} IS NOT NULL", self.name), false)
        } else {
            Condition::Const(true)
        }
    }

    /// Returns `column <> value`, true also when the column is null.
    fn not_equal(&self, value: String) -> Condition {
        if self.nullable {
            let column = &self.name;
            Condition::sql(format!("({column} IS NULL OR {column} <> {value})"), false)
        } else {
            Condition::sql(format!("{} <> {value}", self.name), false)
        }
    }

    fn test(&self, test: &Test, params: &mut Params) -> Condition {
        match test {
            Test::IsNull => self.is_null(),
            Test::IsNotNull => self.is_not_null(),
            Test::Compare(op, value) if !compare::compatible(self.ty, value) => {
                Condition::Const(*op == CompareOp::Ne)
            }
            Test::Compare(op, value) => match self.column_ty {
                ColumnType::Integer | ColumnType::BigInt => {
                    self.integer_compare(*op, value, params)
                }
                ColumnType::Double => self.double_compare(*op, value, params),
                ColumnType::Text | ColumnType::Boolean => {
                    if let Value::Str(text) = value
                        && let Some(nul) = text.find('\0')
                    {
                        return self.compare_before_nul(*op, &text[..nul], params);
                    }
                    let Some(param) = scalar_param(value) else {
                        return Condition::Const(*op == CompareOp::Ne);
                    };
                    let placeholder = params.bind(param);
                    self.compare(*op, placeholder)
                }
            },
            Test::StartsWith(text) | Test::EndsWith(text) | Test::Contains(text)
                if text.contains('\0') =>
            {
                Condition::Const(false)
            }
            Test::StartsWith(_) | Test::EndsWith(_) | Test::Contains(_)
                if !compare::is_text(self.ty) =>
            {
                Condition::Const(false)
            }
            Test::StartsWith(prefix) => self.starts_with(prefix, params),
            Test::EndsWith(suffix) => self.like(format!("%{}", escape_like(suffix)), params),
            Test::Contains(infix) => self.like(format!("%{}%", escape_like(infix)), params),
            Test::In(values) => self.any_of(values, params),
        }
    }

    /// Returns `column op value` for an operator other than `ne`, or the null-safe `ne`.
    fn compare(&self, op: CompareOp, value: String) -> Condition {
        let symbol = match op {
            CompareOp::Ne => return self.not_equal(value),
            CompareOp::Eq => "=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
        };
        self.sql(format!("{} {symbol} {value}", self.name))
    }

    /// Compares with a string that has a NUL char after `before`. PostgreSQL text cannot
    /// hold NUL, so no stored value has one, and a value `v` orders against the constant as
    /// against `before` with `lt` and `ge` moved to `le` and `gt`: `v < 'a\0b'` exactly when
    /// `v <= 'a'`.
    fn compare_before_nul(&self, op: CompareOp, before: &str, params: &mut Params) -> Condition {
        let op = match op {
            CompareOp::Eq => return Condition::Const(false),
            CompareOp::Ne => return Condition::Const(true),
            CompareOp::Lt | CompareOp::Le => CompareOp::Le,
            CompareOp::Gt | CompareOp::Ge => CompareOp::Gt,
        };
        let placeholder = params.bind(Param::Text(before.to_owned()));
        self.compare(op, placeholder)
    }

    /// Compares an integer or ticks column as a range of integers, which compares exactly
    /// with a double constant too: `exitCode lt 2.5` is `exitCode <= 2`.
    fn integer_compare(&self, op: CompareOp, value: &Value, params: &mut Params) -> Condition {
        if op == CompareOp::Ne {
            return match integer_range(CompareOp::Eq, value) {
                Some(range) => {
                    let placeholder = params.bind(Param::Int(*range.start()));
                    self.not_equal(placeholder)
                }
                None => Condition::Const(true),
            };
        }
        match integer_range(op, value) {
            Some(range) => self.range(range, params),
            None => Condition::Const(false),
        }
    }

    fn range(&self, range: RangeInclusive<i64>, params: &mut Params) -> Condition {
        let (low, high) = range.into_inner();
        let column = &self.name;
        match (low == i64::MIN, high == i64::MAX) {
            (true, true) => self.is_not_null(),
            (true, false) => self.sql(format!("{column} <= {}", params.bind(Param::Int(high)))),
            (false, true) => self.sql(format!("{column} >= {}", params.bind(Param::Int(low)))),
            (false, false) if low == high => {
                self.sql(format!("{column} = {}", params.bind(Param::Int(low))))
            }
            (false, false) => {
                let low = params.bind(Param::Int(low));
                let high = params.bind(Param::Int(high));
                self.sql(format!("{column} BETWEEN {low} AND {high}"))
            }
        }
    }

    /// Compares a double column with a number, exactly as the engine does even when an
    /// integer constant has no double of equal value.
    fn double_compare(&self, op: CompareOp, value: &Value, params: &mut Params) -> Condition {
        match exact_double(op, value) {
            DoubleTest::Const(result) => Condition::Const(result),
            DoubleTest::Compare(op, number) => {
                let placeholder = params.bind(Param::Double(number));
                self.compare(op, placeholder)
            }
        }
    }

    /// `startswith` as a range of the column: the prefix up to the first string past every
    /// string with the prefix, so a B-tree index serves it.
    fn starts_with(&self, prefix: &str, params: &mut Params) -> Condition {
        if prefix.is_empty() {
            return self.is_not_null();
        }
        let column = &self.name;
        let low = params.bind(Param::Text(prefix.to_owned()));
        match prefix_end(prefix) {
            Some(end) => {
                let high = params.bind(Param::Text(end));
                self.sql(format!("({column} >= {low} AND {column} < {high})"))
            }
            None => self.sql(format!("{column} >= {low}")),
        }
    }

    fn like(&self, pattern: String, params: &mut Params) -> Condition {
        let placeholder = params.bind(Param::Text(pattern));
        self.sql(format!("{} LIKE {placeholder} ESCAPE '\\'", self.name))
    }

    /// `in` as `= ANY(array)` of the constants that can equal a value of the column.
    fn any_of(&self, values: &[Value], params: &mut Params) -> Condition {
        let compatible = values
            .iter()
            .filter(|value| compare::compatible(self.ty, value));
        let param = match self.column_ty {
            ColumnType::Text => Param::TextList(
                compatible
                    .filter_map(|value| match value {
                        // No stored text has a NUL, as `compare_before_nul` explains.
                        Value::Str(text) if !text.contains('\0') => Some(text.clone()),
                        _ => None,
                    })
                    .collect(),
            ),
            ColumnType::Boolean => Param::BoolList(
                compatible
                    .filter_map(|value| match value {
                        Value::Bool(flag) => Some(*flag),
                        _ => None,
                    })
                    .collect(),
            ),
            ColumnType::Integer | ColumnType::BigInt => {
                let mut numbers: Vec<i64> = compatible
                    .filter_map(|value| integer_range(CompareOp::Eq, value))
                    .map(|range| *range.start())
                    .collect();
                numbers.sort_unstable();
                numbers.dedup();
                Param::IntList(numbers)
            }
            ColumnType::Double => Param::DoubleList(
                compatible
                    .filter_map(|value| match exact_double(CompareOp::Eq, value) {
                        DoubleTest::Compare(_, number) => Some(number),
                        DoubleTest::Const(_) => None,
                    })
                    .collect(),
            ),
        };
        if param.is_empty_list() {
            return Condition::Const(false);
        }
        let placeholder = params.bind(param);
        self.sql(format!("{} = ANY({placeholder})", self.name))
    }
}

/// Returns the parameter of a text or Boolean constant.
fn scalar_param(value: &Value) -> Option<Param> {
    match value {
        Value::Str(text) => Some(Param::Text(text.clone())),
        Value::Bool(flag) => Some(Param::Bool(*flag)),
        _ => None,
    }
}

/// A comparison of a double column, decided in Rust or left to the server.
#[derive(Debug, PartialEq)]
enum DoubleTest {
    Const(bool),
    Compare(CompareOp, f64),
}

/// Rewrites `column op constant` for a double column as a comparison with a double that
/// PostgreSQL evaluates exactly.
///
/// An integer without an exact double lies strictly between two neighbouring doubles `low`
/// and `high`, so a value is below it exactly when it is at most `low`: `lt n` becomes
/// `le low`, `gt n` becomes `ge high`, and `eq n` holds for no value. A NaN constant is
/// unordered, so only `ne` holds.
fn exact_double(op: CompareOp, value: &Value) -> DoubleTest {
    let number = match value {
        Value::Double(number) if number.is_nan() => {
            return DoubleTest::Const(op == CompareOp::Ne);
        }
        Value::Double(number) => *number,
        Value::Int(integer) => {
            let nearest = *integer as f64;
            match compare::compare(compare::Scalar::Int(*integer), &Value::Double(nearest)) {
                Some(Ordering::Equal) | None => nearest,
                Some(order) => {
                    // The integer is above its nearest double, or below it.
                    let (low, high) = if order == Ordering::Greater {
                        (nearest, nearest.next_up())
                    } else {
                        (nearest.next_down(), nearest)
                    };
                    return match op {
                        CompareOp::Eq => DoubleTest::Const(false),
                        CompareOp::Ne => DoubleTest::Const(true),
                        CompareOp::Lt | CompareOp::Le => DoubleTest::Compare(CompareOp::Le, low),
                        CompareOp::Gt | CompareOp::Ge => DoubleTest::Compare(CompareOp::Ge, high),
                    };
                }
            }
        }
        _ => return DoubleTest::Const(op == CompareOp::Ne),
    };
    DoubleTest::Compare(op, number)
}

/// Escapes `%`, `_` and the escape character `\` so that a LIKE pattern matches the text
/// literally.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_eq(value: &str) -> Plan {
        Plan::Leaf(Predicate {
            property: crate::schema::lookup("state").expect("state"),
            test: Test::Compare(CompareOp::Eq, Value::Str(value.into())),
            span: crate::span::Span::default(),
        })
    }

    #[test]
    fn absorbed_terms_leave_no_parameters() {
        let mut params = Params::default();
        let plan = Plan::Or(vec![state_eq("active"), Plan::Const(true)]);
        assert_eq!(translate(&plan, &mut params, false), Condition::Const(true));
        assert!(params.values.is_empty());
    }

    #[test]
    fn negation_keeps_null_rows() {
        let mut params = Params::default();
        let plan = Plan::Not(Box::new(state_eq("active")));
        let condition = translate(&plan, &mut params, false);
        assert_eq!(
            condition.text(),
            "NOT (COALESCE(\"state\" = $1::text, FALSE))"
        );
    }

    #[test]
    fn nul_in_constant_compares_before_it() {
        let mut params = Params::default();
        let plan = Plan::Leaf(Predicate {
            property: crate::schema::lookup("commandLine").expect("commandLine"),
            test: Test::Compare(CompareOp::Lt, Value::Str("a\0b".into())),
            span: crate::span::Span::default(),
        });
        let condition = translate(&plan, &mut params, false);
        assert_eq!(condition.text(), "\"commandline\" <= $1::text");
        assert_eq!(params.values, [Param::Text("a".into())]);
        assert_eq!(
            translate(&state_eq("a\0"), &mut Params::default(), false),
            Condition::Const(false)
        );
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
        assert_eq!(escape_like("plain"), "plain");
    }

    #[test]
    fn integers_without_a_double_compare_exactly() {
        let big = Value::Int((1 << 53) + 1);
        assert_eq!(exact_double(CompareOp::Eq, &big), DoubleTest::Const(false));
        assert_eq!(exact_double(CompareOp::Ne, &big), DoubleTest::Const(true));
        let below = (1u64 << 53) as f64;
        assert_eq!(
            exact_double(CompareOp::Lt, &big),
            DoubleTest::Compare(CompareOp::Le, below)
        );
        assert_eq!(
            exact_double(CompareOp::Gt, &big),
            DoubleTest::Compare(CompareOp::Ge, below + 2.0)
        );
        assert_eq!(
            exact_double(CompareOp::Gt, &Value::Int(3)),
            DoubleTest::Compare(CompareOp::Gt, 3.0)
        );
        assert_eq!(
            exact_double(CompareOp::Eq, &Value::Double(f64::NAN)),
            DoubleTest::Const(false)
        );
    }
}
