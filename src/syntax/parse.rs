//! Parser stub; replaced by the nom parser.

use super::Expr;
use crate::error::Error;

/// Limits on filter size and nesting.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Maximum filter length in bytes.
    pub max_length: usize,
    /// Maximum nesting depth of parentheses and `not`.
    pub max_depth: usize,
    /// Maximum number of terms.
    pub max_terms: usize,
    /// Maximum number of values in an `in` list.
    pub max_in_list: usize,
}

/// Parses a filter.
pub fn parse(_input: &str, _limits: &Limits) -> Result<Expr, Error> {
    unimplemented!("replaced by the nom parser")
}
