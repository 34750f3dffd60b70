//! Helpers shared by the fuzz targets: checks that every target applies, and the generators
//! that turn fuzzer bytes into filters, syntax trees and task sets.

pub mod filter;
pub mod tasks;
pub mod tree;

use batch_odata::error::Error;
use batch_odata::span::Span;
use batch_odata::syntax::{Expr, ExprKind};

/// Checks what every error must satisfy: its span lies inside its input, on char
/// boundaries, and it renders without panicking.
pub fn check_error(error: &Error) {
    let input = error.input();
    let span = error.span();
    assert!(
        span.start <= span.end && span.end <= input.len(),
        "span {span} outside input of {} bytes: {error:?}",
        input.len()
    );
    assert!(
        input.is_char_boundary(span.start) && input.is_char_boundary(span.end),
        "span {span} splits a char: {error:?}"
    );
    let _ = error.render();
    let _ = error.to_string();
}

/// Returns the tree with every span set to the default, to compare shapes.
pub fn strip_spans(expr: &Expr) -> Expr {
    let strip_all = |exprs: &[Expr]| exprs.iter().map(strip_spans).collect();
    let kind = match &expr.kind {
        ExprKind::Or(operands) => ExprKind::Or(strip_all(operands)),
        ExprKind::And(operands) => ExprKind::And(strip_all(operands)),
        ExprKind::Not(operand) => ExprKind::Not(Box::new(strip_spans(operand))),
        ExprKind::Compare {
            op, left, right, ..
        } => ExprKind::Compare {
            op: *op,
            op_span: Span::default(),
            left: Box::new(strip_spans(left)),
            right: Box::new(strip_spans(right)),
        },
        ExprKind::In { operand, list } => ExprKind::In {
            operand: Box::new(strip_spans(operand)),
            list: strip_all(list),
        },
        ExprKind::Call { function, args, .. } => ExprKind::Call {
            function: *function,
            name_span: Span::default(),
            args: strip_all(args),
        },
        ExprKind::Property(path) => ExprKind::Property(path.clone()),
        ExprKind::Literal(literal) => ExprKind::Literal(literal.clone()),
    };
    Expr {
        kind,
        span: Span::default(),
    }
}
