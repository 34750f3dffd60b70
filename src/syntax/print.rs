//! The canonical printer: a syntax tree back to filter text.
//!
//! The output uses single spaces, lower-case keywords, `''` inside strings and parentheses
//! only where precedence needs them. For every tree that [`parse`](fn@super::parse) returns,
//! parsing the printed text gives the same tree apart from spans.

use std::fmt::Write as _;

use super::{Expr, ExprKind, Literal};

/// Prints a syntax tree as canonical filter text.
///
/// A tree built by hand prints too, with two exceptions that do not parse back: a
/// [`Literal::Decimal`] that is infinite or NaN, and names that are not valid properties.
///
/// ```
/// use batch_odata::syntax::{Limits, parse, print};
///
/// let expr = parse("not(state  eq 'it''s')  and x eq -1.50", &Limits::default());
/// assert_eq!(print(&expr.unwrap()), "not (state eq 'it''s') and x eq -1.5");
/// ```
pub fn print(expr: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, expr);
    out
}

// Writing to a String cannot fail, so the results of `write!` below are ignored.

fn write_expr(out: &mut String, expr: &Expr) {
    match &expr.kind {
        // A chain inside a chain of the same operator was grouped in the source, and an `or`
        // inside an `and` needs its parentheses for precedence.
        ExprKind::Or(operands) => {
            write_chain(out, operands, "or", |kind| matches!(kind, ExprKind::Or(_)));
        }
        ExprKind::And(operands) => {
            let needs_parentheses =
                |kind: &ExprKind| matches!(kind, ExprKind::Or(_) | ExprKind::And(_));
            write_chain(out, operands, "and", needs_parentheses);
        }
        ExprKind::Not(operand) => {
            out.push_str("not ");
            write_operand(out, operand);
        }
        ExprKind::Compare {
            op, left, right, ..
        } => {
            write_operand(out, left);
            let _ = write!(out, " {op} ");
            write_operand(out, right);
        }
        ExprKind::In { operand, list } => {
            write_operand(out, operand);
            out.push_str(" in (");
            write_list(out, list, write_operand);
            out.push(')');
        }
        ExprKind::Call { function, args, .. } => {
            let _ = write!(out, "{function}(");
            write_list(out, args, write_expr);
            out.push(')');
        }
        ExprKind::Property(path) => out.push_str(path),
        ExprKind::Literal(literal) => write_literal(out, literal),
    }
}

/// Writes `a op b op ...`, with parentheses around the operands that `needs_parentheses`
/// picks.
fn write_chain(
    out: &mut String,
    operands: &[Expr],
    keyword: &str,
    needs_parentheses: impl Fn(&ExprKind) -> bool,
) {
    for (index, operand) in operands.iter().enumerate() {
        if index > 0 {
            let _ = write!(out, " {keyword} ");
        }
        if needs_parentheses(&operand.kind) {
            write_parenthesized(out, operand);
        } else {
            write_expr(out, operand);
        }
    }
}

/// Writes an operand of a comparison, `in` or `not`. Only a `not`, a call, a literal or a
/// property can stand there without parentheses.
fn write_operand(out: &mut String, expr: &Expr) {
    match expr.kind {
        ExprKind::Or(_) | ExprKind::And(_) | ExprKind::Compare { .. } | ExprKind::In { .. } => {
            write_parenthesized(out, expr);
        }
        _ => write_expr(out, expr),
    }
}

fn write_parenthesized(out: &mut String, expr: &Expr) {
    out.push('(');
    write_expr(out, expr);
    out.push(')');
}

fn write_list(out: &mut String, items: &[Expr], write_item: fn(&mut String, &Expr)) {
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        write_item(out, item);
    }
}

fn write_literal(out: &mut String, literal: &Literal) {
    match literal {
        Literal::String(text) => {
            let _ = write!(out, "'{}'", text.replace('\'', "''"));
        }
        Literal::Int(value) => {
            let _ = write!(out, "{value}");
        }
        Literal::Decimal(value) => write_decimal(out, *value),
        Literal::Bool(value) => {
            let _ = write!(out, "{value}");
        }
        Literal::Null => out.push_str("null"),
        Literal::DateTime {
            value,
            prefixed: true,
        } => {
            let _ = write!(out, "DateTime'{value}'");
        }
        Literal::DateTime {
            value,
            prefixed: false,
        } => {
            let _ = write!(out, "{value}");
        }
    }
}

/// Writes a decimal so that it reads back as the same `f64` and as a decimal, not an integer.
/// Rust's `Debug` output is the shortest text that round-trips, and for finite values it
/// always has a `.` or an exponent, such as `2.0` or `1e-7`.
fn write_decimal(out: &mut String, value: f64) {
    let text = format!("{value:?}");
    let looks_decimal = text.contains(['.', 'e']) || !value.is_finite();
    out.push_str(&text);
    if !looks_decimal {
        out.push_str(".0");
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::datetime::{DateTime, MAX_TICKS};
    use crate::span::Span;
    use crate::syntax::{CompareOp, Function, Limits, parse};

    fn reprint(input: &str) -> String {
        match parse(input, &Limits::default()) {
            Ok(expr) => print(&expr),
            Err(error) => panic!("{}", error.render()),
        }
    }

    #[test]
    fn prints_canonical_spacing_and_case() {
        let cases = [
            (
                "(state  eq 'running')and startswith(id,'renderTask')",
                "state eq 'running' and startswith(id, 'renderTask')",
            ),
            ("id in ('a','b')", "id in ('a', 'b')"),
            ("a eq 'it''s'", "a eq 'it''s'"),
            (
                "x eq 1.50 or y eq -2E3 or z eq 1e-7",
                "x eq 1.5 or y eq -2000.0 or z eq 1e-7",
            ),
            (
                "t gt datetime'2011-05-08T10:49:37.50+02:00'",
                "t gt DateTime'2011-05-08T10:49:37.5+02:00'",
            ),
            (
                "t gt DateTime'Sun, 08 May 2011 08:49:37 GMT'",
                "t gt DateTime'2011-05-08T08:49:37Z'",
            ),
            ("t gt 2011-05-08", "t gt 2011-05-08T00:00:00Z"),
            ("a eq true or b eq null", "a eq true or b eq null"),
        ];
        for (input, printed) in cases {
            assert_eq!(reprint(input), printed, "{input}");
        }
    }

    #[test]
    fn prints_parentheses_only_for_precedence() {
        let cases = [
            ("(a eq 1) and (b eq 2)", "a eq 1 and b eq 2"),
            ("(a or b) and c", "(a or b) and c"),
            ("(a and b) or c", "a and b or c"),
            ("(a or b) or c", "(a or b) or c"),
            ("a and (b and c)", "a and (b and c)"),
            ("not (state eq 'active')", "not (state eq 'active')"),
            ("not state eq 'active'", "not state eq 'active'"),
            ("not (not a)", "not not a"),
            ("not (a)", "not a"),
            ("(a eq b) eq c", "(a eq b) eq c"),
            ("a eq (b eq c)", "a eq (b eq c)"),
            ("(a in (1)) eq true", "(a in (1)) eq true"),
            ("(a or b) in (1)", "(a or b) in (1)"),
            ("startswith((a or b), 'x')", "startswith(a or b, 'x')"),
            ("not startswith(id, 'x')", "not startswith(id, 'x')"),
        ];
        for (input, printed) in cases {
            assert_eq!(reprint(input), printed, "{input}");
        }
    }

    #[test]
    fn decimals_stay_decimals() {
        let mut out = String::new();
        write_decimal(&mut out, 2.0);
        assert_eq!(out, "2.0");
        out.clear();
        write_decimal(&mut out, 1e300);
        assert_eq!(out, "1e300");
    }

    fn name() -> impl Strategy<Value = String> {
        let segment = "[a-z_][a-zA-Z0-9_]{0,6}";
        prop::collection::vec(segment, 1..3)
            .prop_map(|segments| segments.join("/"))
            .prop_filter("keyword", |path| {
                ![
                    "and", "or", "not", "eq", "ne", "gt", "ge", "lt", "le", "in", "true", "false",
                    "null",
                ]
                .iter()
                .any(|keyword| keyword.eq_ignore_ascii_case(path))
            })
    }

    fn date_time() -> impl Strategy<Value = DateTime> {
        // Parsing is the only public way to give a value an offset, so build it from text.
        (
            0..=MAX_TICKS,
            -14..=14_i16,
            prop::sample::select(vec![0, 30, 45]),
        )
            .prop_filter_map("outside 0001 to 9999", |(ticks, hours, minutes)| {
                let offset = hours * 60 + hours.signum() * minutes;
                let utc = DateTime::from_ticks(ticks).to_utc_string();
                let text = utc.trim_end_matches('Z');
                let sign = if offset < 0 { '-' } else { '+' };
                let magnitude = offset.unsigned_abs();
                let zoned = format!("{text}{sign}{:02}:{:02}", magnitude / 60, magnitude % 60);
                DateTime::parse(&zoned).ok()
            })
    }

    fn literal() -> impl Strategy<Value = Literal> {
        prop_oneof![
            "\\PC{0,8}".prop_map(Literal::String),
            any::<i64>().prop_map(Literal::Int),
            any::<f64>()
                .prop_filter("finite", |value| value.is_finite())
                .prop_map(Literal::Decimal),
            any::<bool>().prop_map(Literal::Bool),
            Just(Literal::Null),
            (date_time(), any::<bool>())
                .prop_map(|(value, prefixed)| Literal::DateTime { value, prefixed }),
        ]
    }

    fn node(kind: ExprKind) -> Expr {
        Expr {
            kind,
            span: Span::default(),
        }
    }

    /// Generates trees of the shapes that the parser builds: chains of two or more operands,
    /// two-argument calls and `in` lists of literals.
    fn expr() -> impl Strategy<Value = Expr> {
        let leaf = prop_oneof![
            name().prop_map(|path| node(ExprKind::Property(path))),
            literal().prop_map(|literal| node(ExprKind::Literal(literal))),
        ];
        leaf.prop_recursive(5, 48, 4, |inner| {
            let operands = prop::collection::vec(inner.clone(), 2..4);
            let values = prop::collection::vec(literal(), 1..4);
            prop_oneof![
                operands
                    .clone()
                    .prop_map(|operands| node(ExprKind::Or(operands))),
                operands.prop_map(|operands| node(ExprKind::And(operands))),
                inner
                    .clone()
                    .prop_map(|operand| node(ExprKind::Not(Box::new(operand)))),
                (
                    inner.clone(),
                    prop::sample::select(CompareOp::ALL.to_vec()),
                    inner.clone()
                )
                    .prop_map(|(left, op, right)| {
                        node(ExprKind::Compare {
                            op,
                            op_span: Span::default(),
                            left: Box::new(left),
                            right: Box::new(right),
                        })
                    }),
                (inner.clone(), values).prop_map(|(operand, values)| {
                    let list = values
                        .into_iter()
                        .map(|v| node(ExprKind::Literal(v)))
                        .collect();
                    node(ExprKind::In {
                        operand: Box::new(operand),
                        list,
                    })
                }),
                (
                    prop::sample::select(Function::ALL.to_vec()),
                    inner.clone(),
                    inner
                )
                    .prop_map(|(function, first, second)| {
                        node(ExprKind::Call {
                            function,
                            name_span: Span::default(),
                            args: vec![first, second],
                        })
                    }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn print_then_parse_round_trips(expr in expr()) {
            let printed = print(&expr);
            let parsed = parse(&printed, &Limits::default());
            let parsed = parsed.map_err(|error| error.render());
            prop_assert_eq!(parsed.as_ref().map(Expr::without_spans), Ok(expr), "{}", printed);
        }

        #[test]
        fn print_is_a_fixed_point(expr in expr()) {
            let printed = print(&expr);
            let reparsed = parse(&printed, &Limits::default()).map(|expr| print(&expr));
            prop_assert_eq!(reparsed.map_err(|error| error.render()), Ok(printed));
        }
    }
}
