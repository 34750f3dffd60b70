//! The schema-free syntax tree of a `$filter` expression, its parser and its printer.
//!
//! Nothing here knows about properties, types or api-versions: `fooBar eq 'x'` parses fine
//! and is rejected later by [`crate::bind`]. Every node carries the [`Span`](crate::span::Span) of the text it
//! was parsed from.

mod ast;
mod parse;
mod print;
mod tokens;

pub use ast::{CompareOp, Expr, ExprKind, Function, Literal};
pub use parse::{Limits, parse};
pub use print::print;
