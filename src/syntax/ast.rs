//! Syntax tree node types.

use std::fmt;

use crate::datetime::DateTime;
use crate::span::Span;

/// A node of the syntax tree with the span of the text it was parsed from.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// The node's kind.
    pub kind: ExprKind,
    /// The bytes of the filter this node covers, parentheses around it excluded.
    pub span: Span,
}

impl Expr {
    /// Returns a copy with every span set to the default, so that trees compare by shape.
    ///
    /// This recurses once per nesting level, which the parser's depth limit bounds.
    pub fn without_spans(&self) -> Expr {
        let strip_all = |exprs: &[Expr]| exprs.iter().map(Expr::without_spans).collect();
        let kind = match &self.kind {
            ExprKind::Or(operands) => ExprKind::Or(strip_all(operands)),
            ExprKind::And(operands) => ExprKind::And(strip_all(operands)),
            ExprKind::Not(operand) => ExprKind::Not(Box::new(operand.without_spans())),
            ExprKind::Compare {
                op, left, right, ..
            } => ExprKind::Compare {
                op: *op,
                op_span: Span::default(),
                left: Box::new(left.without_spans()),
                right: Box::new(right.without_spans()),
            },
            ExprKind::In { operand, list } => ExprKind::In {
                operand: Box::new(operand.without_spans()),
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
}

/// The kinds of syntax tree nodes.
///
/// `and` and `or` chains are n-ary so that a long flat chain such as an `or` of many ids
/// builds a shallow tree. A parenthesized chain inside another chain of the same operator
/// stays a separate child, so printing reproduces the grouping.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// `a or b or ...`, at least two operands.
    Or(Vec<Expr>),
    /// `a and b and ...`, at least two operands.
    And(Vec<Expr>),
    /// `not a`.
    Not(Box<Expr>),
    /// `left op right`.
    Compare {
        /// The comparison operator.
        op: CompareOp,
        /// The span of the operator keyword.
        op_span: Span,
        /// The left operand.
        left: Box<Expr>,
        /// The right operand.
        right: Box<Expr>,
    },
    /// `operand in (v1, v2, ...)`, with at least one value.
    In {
        /// The value tested for membership.
        operand: Box<Expr>,
        /// The list of values.
        list: Vec<Expr>,
    },
    /// A function call such as `startswith(id, 'task')`.
    Call {
        /// The function.
        function: Function,
        /// The span of the function name.
        name_span: Span,
        /// The arguments in order.
        args: Vec<Expr>,
    },
    /// A property path such as `executionInfo/exitCode`, as written.
    Property(String),
    /// A literal value.
    Literal(Literal),
}

/// The comparison operators of OData.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`.
    Eq,
    /// `ne`.
    Ne,
    /// `gt`.
    Gt,
    /// `ge`.
    Ge,
    /// `lt`.
    Lt,
    /// `le`.
    Le,
}

impl CompareOp {
    /// Every operator, in the order the Batch documentation lists them.
    pub const ALL: [CompareOp; 6] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Gt,
        CompareOp::Ge,
        CompareOp::Lt,
        CompareOp::Le,
    ];

    /// Returns the keyword, such as `eq`.
    pub const fn keyword(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    /// Returns the operator for the keyword, which must be lower case.
    pub fn from_keyword(word: &str) -> Option<CompareOp> {
        CompareOp::ALL.into_iter().find(|op| op.keyword() == word)
    }

    /// Returns the operator with its operands swapped: `a lt b` is `b gt a`.
    pub const fn flipped(self) -> CompareOp {
        match self {
            CompareOp::Eq => CompareOp::Eq,
            CompareOp::Ne => CompareOp::Ne,
            CompareOp::Gt => CompareOp::Lt,
            CompareOp::Ge => CompareOp::Le,
            CompareOp::Lt => CompareOp::Gt,
            CompareOp::Le => CompareOp::Ge,
        }
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

/// The functions the parser knows. Batch documents only `startswith`; the others are
/// extensions that only the extended binding mode accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Function {
    /// `startswith(property, 'prefix')`.
    StartsWith,
    /// `endswith(property, 'suffix')`.
    EndsWith,
    /// `contains(property, 'infix')`.
    Contains,
}

impl Function {
    /// Every function.
    pub const ALL: [Function; 3] = [Function::StartsWith, Function::EndsWith, Function::Contains];

    /// Returns the name, such as `startswith`.
    pub const fn name(self) -> &'static str {
        match self {
            Function::StartsWith => "startswith",
            Function::EndsWith => "endswith",
            Function::Contains => "contains",
        }
    }

    /// Returns the function for a name, which must be lower case.
    pub fn from_name(name: &str) -> Option<Function> {
        Function::ALL.into_iter().find(|f| f.name() == name)
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A literal value as written in the filter.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// A single-quoted string, with `''` already turned into `'`.
    String(String),
    /// An integer, possibly negative.
    Int(i64),
    /// A number with a fraction or exponent, such as `1.5` or `2e3`.
    Decimal(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// A date-time, written `DateTime'...'` (prefixed) or as a bare ISO 8601 value.
    DateTime {
        /// The instant and the offset it was written with.
        value: DateTime,
        /// True when written with the `DateTime'...'` prefix.
        prefixed: bool,
    },
}
