//! Syntax trees generated from fuzzer bytes, for the round-trip target.
//!
//! [`Tree`] mirrors [`ExprKind`] and derives `Arbitrary`, and [`Tree::to_expr`] repairs what
//! the parser could never return: chains of fewer than two operands, calls without two
//! arguments, empty `in` lists, non-finite decimals, invalid names and date-times out of
//! range. Depth and size are bounded so that the printed text stays within the default
//! parser limits.

use arbitrary::Arbitrary;
use batch_odata::datetime::{DateTime, MAX_TICKS, TICKS_PER_MINUTE};
use batch_odata::span::Span;
use batch_odata::syntax::{CompareOp, Expr, ExprKind, Function, Literal};

/// The depth below which every node becomes a leaf. The parser's default limit is 64.
const MAX_DEPTH: usize = 12;
/// The maximum operands of a chain, arguments of a call and values of an `in` list.
const MAX_WIDTH: usize = 6;

/// Name segments that are valid property path parts, including words that look like
/// keywords in another case, which the parser must still read as names.
const SEGMENTS: [&str; 14] = [
    "state",
    "id",
    "executionInfo",
    "exitCode",
    "AND",
    "Or",
    "EQ",
    "In",
    "x_1",
    "_",
    "datetime",
    "DateTimeOffset",
    "startswith",
    "e10",
];

/// A syntax tree node shaped like [`ExprKind`].
#[derive(Arbitrary, Debug)]
pub enum Tree {
    /// `a or b ...`.
    Or(Vec<Tree>),
    /// `a and b ...`.
    And(Vec<Tree>),
    /// `not a`.
    Not(Box<Tree>),
    /// `left op right`.
    Compare(u8, Box<Tree>, Box<Tree>),
    /// `operand in (...)`.
    In(Box<Tree>, Vec<LiteralTree>),
    /// `function(a, b)`.
    Call(u8, Vec<Tree>),
    /// A property path made of segments picked by index.
    Property(Vec<u8>),
    /// A literal.
    Literal(LiteralTree),
}

/// A literal shaped like [`Literal`].
#[derive(Arbitrary, Debug)]
pub enum LiteralTree {
    /// A string with any chars, quotes included.
    String(String),
    /// Any integer.
    Int(i64),
    /// Any decimal; non-finite values become zero.
    Decimal(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// A date-time from ticks, an offset in minutes, and whether it is prefixed.
    DateTime(i64, i16, bool),
}

impl Tree {
    /// Converts the generated tree to a syntax tree that the parser could return.
    pub fn to_expr(&self) -> Expr {
        self.build(0)
    }

    fn build(&self, depth: usize) -> Expr {
        if depth >= MAX_DEPTH {
            return node(ExprKind::Property("id".into()));
        }
        let child = |tree: &Tree| tree.build(depth + 1);
        let kind = match self {
            Tree::Or(operands) => ExprKind::Or(chain(operands, depth)),
            Tree::And(operands) => ExprKind::And(chain(operands, depth)),
            Tree::Not(operand) => ExprKind::Not(Box::new(child(operand))),
            Tree::Compare(op, left, right) => ExprKind::Compare {
                op: CompareOp::ALL[usize::from(*op) % CompareOp::ALL.len()],
                op_span: Span::default(),
                left: Box::new(child(left)),
                right: Box::new(child(right)),
            },
            Tree::In(operand, list) => {
                let mut list: Vec<Expr> = list.iter().take(MAX_WIDTH).map(literal).collect();
                if list.is_empty() {
                    list.push(node(ExprKind::Literal(Literal::Null)));
                }
                ExprKind::In {
                    operand: Box::new(child(operand)),
                    list,
                }
            }
            Tree::Call(function, args) => {
                let function = Function::ALL[usize::from(*function) % Function::ALL.len()];
                let leaf = || node(ExprKind::Property("id".into()));
                let first = args.first().map_or_else(leaf, child);
                let second = args.get(1).map_or_else(leaf, child);
                ExprKind::Call {
                    function,
                    name_span: Span::default(),
                    args: vec![first, second],
                }
            }
            Tree::Property(segments) => ExprKind::Property(path(segments)),
            Tree::Literal(value) => return literal(value),
        };
        node(kind)
    }
}

/// Builds the operands of a chain: at least two, at most [`MAX_WIDTH`].
fn chain(operands: &[Tree], depth: usize) -> Vec<Expr> {
    let mut exprs: Vec<Expr> = operands
        .iter()
        .take(MAX_WIDTH)
        .map(|tree| tree.build(depth + 1))
        .collect();
    while exprs.len() < 2 {
        exprs.push(node(ExprKind::Property("id".into())));
    }
    exprs
}

fn path(segments: &[u8]) -> String {
    let names: Vec<&str> = segments
        .iter()
        .take(4)
        .map(|index| SEGMENTS[usize::from(*index) % SEGMENTS.len()])
        .collect();
    if names.is_empty() {
        "id".to_owned()
    } else {
        names.join("/")
    }
}

fn literal(value: &LiteralTree) -> Expr {
    let literal = match value {
        LiteralTree::String(text) => Literal::String(text.clone()),
        LiteralTree::Int(value) => Literal::Int(*value),
        LiteralTree::Decimal(value) if value.is_finite() => Literal::Decimal(*value),
        LiteralTree::Decimal(_) => Literal::Decimal(0.0),
        LiteralTree::Bool(value) => Literal::Bool(*value),
        LiteralTree::Null => Literal::Null,
        LiteralTree::DateTime(ticks, offset, prefixed) => Literal::DateTime {
            value: date_time(*ticks, *offset),
            prefixed: *prefixed,
        },
    };
    node(ExprKind::Literal(literal))
}

/// Builds a date-time in range by printing it with an offset and parsing that back, since
/// the offset is only settable through text.
fn date_time(ticks: i64, offset_minutes: i16) -> DateTime {
    let utc = DateTime::from_ticks(ticks.rem_euclid(MAX_TICKS + 1));
    // Offsets up to ±14:00 are valid; pick one that keeps the local time in range.
    let offset = i64::from(offset_minutes).rem_euclid(29 * 60) - 14 * 60;
    let local = utc.ticks() + offset * TICKS_PER_MINUTE;
    if offset == 0 || !(0..=MAX_TICKS).contains(&local) {
        return utc;
    }
    let text = DateTime::from_ticks(local).to_utc_string();
    let sign = if offset < 0 { '-' } else { '+' };
    let zone = format!("{sign}{:02}:{:02}", offset.abs() / 60, offset.abs() % 60);
    let with_offset = format!("{}{zone}", text.trim_end_matches('Z'));
    DateTime::parse_iso(&with_offset).unwrap_or(utc)
}

fn node(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}
