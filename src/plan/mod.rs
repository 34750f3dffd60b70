//! Query plans: a bound filter as a tree of typed predicates over schema properties.
//!
//! [`crate::bind`] produces a plan that mirrors the filter's syntax. [`normalize`] rewrites it
//! into the form the executor runs: `and`/`or` flattened, constants folded, `not` pushed down
//! to single predicates.

mod normalize;
mod print;

pub use normalize::normalize;

use crate::schema::PropertyDef;
use crate::span::Span;
use crate::syntax::CompareOp;

/// A boolean expression over the properties of one task.
#[derive(Clone, Debug, PartialEq)]
pub enum Plan {
    /// Matches every task (`true`) or none (`false`).
    Const(bool),
    /// Matches the tasks that every child matches.
    And(Vec<Plan>),
    /// Matches the tasks that some child matches.
    Or(Vec<Plan>),
    /// Matches the tasks that the child does not match.
    Not(Box<Plan>),
    /// A test of one property.
    Leaf(Predicate),
}

/// A test of one property of a task.
#[derive(Clone, Debug, PartialEq)]
pub struct Predicate {
    /// The property tested.
    pub property: &'static PropertyDef,
    /// The test.
    pub test: Test,
    /// The span of the filter text this predicate came from.
    pub span: Span,
}

/// What a predicate tests. A task without the property (a null value) matches only
/// `IsNull`, `Compare(Ne, _)`; every other test is false for it, as in OData where
/// `null ne 0` is true and `null lt 0` is false.
#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    /// Compares the value with a non-null constant.
    Compare(CompareOp, Value),
    /// True when the task has no value for the property.
    IsNull,
    /// True when the task has a value for the property.
    IsNotNull,
    /// True when the folded string value starts with the folded prefix.
    StartsWith(String),
    /// True when the folded string value ends with the folded suffix.
    EndsWith(String),
    /// True when the folded string value contains the folded infix.
    Contains(String),
    /// True when the value equals one of the constants.
    In(Vec<Value>),
}

/// A typed constant, already converted to the property's type.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string or enum value, case-folded with [`crate::fold::fold_case`].
    Str(String),
    /// An integer.
    Int(i64),
    /// A double.
    Double(f64),
    /// A boolean.
    Bool(bool),
    /// A date-time or a duration, in 100 ns ticks (date-times since 0001-01-01T00:00:00Z).
    Ticks(i64),
}
