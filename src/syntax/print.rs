//! Printer stub; replaced by the canonical printer.

use super::Expr;

/// Prints a filter in canonical form.
pub fn print(_expr: &Expr) -> String {
    unimplemented!("replaced by the canonical printer")
}
