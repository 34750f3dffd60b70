//! The `$filter` parser: nom combinators over the lexer's tokens.
//!
//! The grammar, lowest precedence first, in the notation of `grammar/filter.abnf`, which
//! also defines the tokens:
//!
//! ```text
//! filter   = or-expr
//! or-expr  = and-expr *( "or" and-expr )
//! and-expr = term *( "and" term )
//! term     = operand [ compare-op operand / "in" "(" literal *( "," literal ) ")" ]
//! operand  = "not" operand / "(" or-expr ")" / call / literal / property
//! call     = function "(" or-expr "," or-expr ")"
//! ```
//!
//! A comparison does not chain, and `not` binds tighter than a comparison, so
//! `not state eq 'active'` is `(not state) eq 'active'`, which the binder rejects with a hint.
//!
//! # Input safety
//!
//! The parser looks at most two tokens ahead and never backtracks, so it runs in time linear
//! in the number of tokens. It recurses once per parenthesis and per `not`, and checks
//! [`Limits::max_depth`] before each recursion, so hostile nesting returns an error instead
//! of overflowing the stack. `and` and `or` chains are built as n-ary nodes, so a long flat
//! chain makes a shallow tree that is also dropped without deep recursion.

use std::cell::Cell;

use nom::Parser as _;
use nom::multi::separated_list1;

use super::tokens::{PResult, SyntaxError, Tokens, fail, unexpected};
use super::{CompareOp, Expr, ExprKind, Function, Literal};
use crate::error::{Error, ErrorKind, Parameter};
use crate::lexer::{Token, TokenKind, tokenize};
use crate::span::Span;

/// Limits on the size and nesting of a filter, so that hostile input cannot take unbounded
/// time, memory or stack.
///
/// The defaults are far above what a hand-written filter needs:
///
/// ```
/// use batch_odata::syntax::Limits;
///
/// let limits = Limits::default();
/// assert_eq!(limits.max_length, 65_536);
/// assert_eq!(limits.max_depth, 64);
/// assert_eq!(limits.max_terms, 4096);
/// assert_eq!(limits.max_in_list, 1000);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Maximum filter length in bytes, checked before lexing.
    pub max_length: usize,
    /// Maximum nesting depth of parentheses (groups and function calls) and `not`.
    ///
    /// The parser recurses once per level, so this bounds its stack use. Parentheses nested
    /// 64 deep took about 1 MiB of stack in an unoptimized build and about 200 KiB in a
    /// release build (x86-64, rustc 1.95), so the default fits a 2 MiB thread stack.
    /// A larger value is capped at [`Limits::DEPTH_CAP`].
    pub max_depth: usize,
    /// Maximum number of terms: comparisons, `in` tests, function calls, and operands that
    /// stand alone, such as `not x` or each argument of a function call.
    pub max_terms: usize,
    /// Maximum number of values in one `in` list.
    pub max_in_list: usize,
}

impl Limits {
    /// The nesting depth that no [`Limits::max_depth`] can raise the parser's limit above,
    /// so that a filter at any limit compiles and runs on a 2 MiB thread stack, in an
    /// unoptimized build as well.
    ///
    /// `tests/input_limits.rs` checks filters at this depth on a 2 MiB stack. In a trial
    /// with the cap raised, that test passed at 400 levels and overflowed at 1000. The
    /// trial built this crate unoptimized (x86-64, rustc 1.95), so 96 leaves a margin of
    /// about four for other compilers and targets.
    ///
    /// ```
    /// use batch_odata::error::ErrorKind;
    /// use batch_odata::syntax::{Limits, parse};
    ///
    /// let limits = Limits { max_depth: usize::MAX, ..Limits::default() };
    /// assert_eq!(limits.depth(), Limits::DEPTH_CAP);
    /// let deep = format!("{}x{}", "(".repeat(100_000), ")".repeat(100_000));
    /// let limits = Limits { max_length: usize::MAX, ..limits };
    /// let error = parse(&deep, &limits).unwrap_err();
    /// assert_eq!(error.kind(), &ErrorKind::NestingTooDeep { max: Limits::DEPTH_CAP });
    /// ```
    pub const DEPTH_CAP: usize = 96;

    /// Returns the nesting depth the parser allows: [`Limits::max_depth`], capped at
    /// [`Limits::DEPTH_CAP`].
    pub fn depth(&self) -> usize {
        self.max_depth.min(Limits::DEPTH_CAP)
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_length: 65_536,
            max_depth: 64,
            max_terms: 4096,
            max_in_list: 1000,
        }
    }
}

/// Parses a filter into its syntax tree.
///
/// # Errors
///
/// Returns an [`Error`] about [`Parameter::Filter`] for:
///
/// * input longer than [`Limits::max_length`], or blank input;
/// * any lexical error of [`tokenize`];
/// * a token that the grammar does not allow where it appears, or an unbalanced parenthesis;
/// * a keyword in the wrong case, such as `AND`;
/// * an unknown function, or a call with the wrong number of arguments;
/// * input beyond the other [`Limits`].
///
/// ```
/// use batch_odata::syntax::{CompareOp, ExprKind, Limits, parse};
///
/// let expr = parse("(state eq 'running') and startswith(id, 'render')", &Limits::default())
///     .unwrap();
/// let ExprKind::And(terms) = &expr.kind else { panic!("expected and") };
/// assert!(matches!(terms[0].kind, ExprKind::Compare { op: CompareOp::Eq, .. }));
///
/// let error = parse("state EQ 'running'", &Limits::default()).unwrap_err();
/// assert_eq!(error.to_string(), "keywords are case-sensitive; write 'eq'");
/// ```
pub fn parse(input: &str, limits: &Limits) -> Result<Expr, Error> {
    if input.len() > limits.max_length {
        let kind = ErrorKind::InputTooLong {
            max: limits.max_length,
        };
        // The span starts at the first char that does not fit, which may begin before the
        // limit, so that slicing the input by the span cannot split a char.
        let start = (0..=limits.max_length)
            .rev()
            .find(|&index| input.is_char_boundary(index))
            .unwrap_or(0);
        let span = Span::new(start, input.len());
        return Err(Error::new(kind, Parameter::Filter, span, input));
    }
    let tokens = tokenize(input)?;
    if tokens.is_empty() {
        return Err(Error::whole(
            ErrorKind::FilterEmpty,
            Parameter::Filter,
            input,
        ));
    }

    let parser = Parser {
        limits,
        terms: Cell::new(0),
    };
    parser
        .filter(Tokens::new(&tokens, input))
        .map_err(|error| error.into_error(input))
}

/// The keywords of the grammar. They are case-sensitive, and a keyword in another case is
/// reported as such rather than read as a property name where a keyword is expected.
const KEYWORDS: [&str; 13] = [
    "and", "or", "not", "eq", "ne", "gt", "ge", "lt", "le", "in", "true", "false", "null",
];

/// The number of arguments that every supported function takes.
const FUNCTION_ARITY: usize = 2;

/// The expectation reported where an operand is missing.
const EXPECTED_OPERAND: &str = "a property, a literal or '('";

/// A node with the extent of its text, which includes the parentheses around it, unlike the
/// node's own span. A parent's span is built from its children's extents.
struct Parsed {
    expr: Expr,
    extent: Span,
}

impl Parsed {
    /// Creates a node whose span is its extent.
    fn new(kind: ExprKind, extent: Span) -> Parsed {
        Parsed {
            expr: Expr { kind, span: extent },
            extent,
        }
    }
}

/// The parser's state: its limits and the number of terms seen so far.
struct Parser<'l> {
    limits: &'l Limits,
    terms: Cell<usize>,
}

impl Parser<'_> {
    /// Parses the whole filter, which must consume every token.
    fn filter(&self, input: Tokens<'_>) -> Result<Expr, SyntaxError> {
        let (rest, parsed) = match self.or_expr(input, 0) {
            Ok(done) => done,
            Err(nom::Err::Error(error) | nom::Err::Failure(error)) => return Err(error),
            Err(nom::Err::Incomplete(_)) => {
                return Err(SyntaxError::unexpected(input, "a complete filter"));
            }
        };

        // Each term checks what follows it, so only `)` or `,` can be left over.
        match rest.first() {
            None => Ok(parsed.expr),
            Some(token) if token.kind == TokenKind::ParenClose => {
                Err(SyntaxError::new(ErrorKind::ParenthesisUnopened, token.span))
            }
            Some(_) => Err(SyntaxError::unexpected(rest, "'and', 'or' or end of input")),
        }
    }

    /// Parses `and-expr *( "or" and-expr )`.
    fn or_expr<'t>(&self, input: Tokens<'t>, depth: usize) -> PResult<'t, Parsed> {
        let and_expr = |input| self.and_expr(input, depth);
        let (rest, operands) = separated_list1(keyword("or"), and_expr).parse(input)?;
        Ok((rest, chain(operands, ExprKind::Or)))
    }

    /// Parses `term *( "and" term )`.
    fn and_expr<'t>(&self, input: Tokens<'t>, depth: usize) -> PResult<'t, Parsed> {
        let term = |input| self.term(input, depth);
        let (rest, operands) = separated_list1(keyword("and"), term).parse(input)?;
        Ok((rest, chain(operands, ExprKind::And)))
    }

    /// Parses an operand, optionally followed by a comparison or an `in` list, and checks that
    /// what follows can end the term.
    fn term<'t>(&self, input: Tokens<'t>, depth: usize) -> PResult<'t, Parsed> {
        let (rest, left) = self.operand(input, depth)?;
        let Some(next) = rest.first() else {
            return self.bare_term(rest, left);
        };
        if let TokenKind::Identifier(word) = &next.kind {
            if let Some(op) = CompareOp::from_keyword(word) {
                return self.comparison(rest.skip(1), left, op, next.span, depth);
            }
            if word == "in" {
                return self.in_list(rest.skip(1), left);
            }
        }
        self.bare_term(rest, left)
    }

    /// Finishes a term that is an operand alone, such as `not x` or a function call.
    fn bare_term<'t>(&self, rest: Tokens<'t>, operand: Parsed) -> PResult<'t, Parsed> {
        // A call counts as a term where it is parsed, so it is not counted twice here.
        if !matches!(operand.expr.kind, ExprKind::Call { .. }) {
            self.count_term(operand.extent)?;
        }
        check_term_end(rest, TermEnd::Operand)?;
        Ok((rest, operand))
    }

    /// Parses the right operand of `left op`, where `rest` starts after the operator.
    fn comparison<'t>(
        &self,
        rest: Tokens<'t>,
        left: Parsed,
        op: CompareOp,
        op_span: Span,
        depth: usize,
    ) -> PResult<'t, Parsed> {
        let (rest, right) = self.operand(rest, depth)?;
        let extent = left.extent.to(right.extent);
        self.count_term(extent)?;
        check_term_end(rest, TermEnd::Comparison)?;

        let kind = ExprKind::Compare {
            op,
            op_span,
            left: Box::new(left.expr),
            right: Box::new(right.expr),
        };
        Ok((rest, Parsed::new(kind, extent)))
    }

    /// Parses `"(" literal *( "," literal ) ")"` after `operand in`.
    fn in_list<'t>(&self, rest: Tokens<'t>, operand: Parsed) -> PResult<'t, Parsed> {
        let Some(open) = rest.first().filter(|t| t.kind == TokenKind::ParenOpen) else {
            return unexpected(rest, "'(' to start the list of values");
        };

        let mut count = 0;
        let value = |input: Tokens<'t>| {
            count += 1;
            if count > self.limits.max_in_list {
                let max = self.limits.max_in_list;
                let span = input.first().map_or(open.span, |token| token.span);
                return fail(ErrorKind::InListTooLong { max }, span);
            }
            literal(input, "a literal value")
        };
        let (rest, values) =
            separated_list1(punctuation(TokenKind::Comma), value).parse(rest.skip(1))?;
        let (rest, close) = close_parenthesis(rest, open, "',' or ')'")?;

        let extent = operand.extent.to(close.span);
        self.count_term(extent)?;
        check_term_end(rest, TermEnd::Comparison)?;
        let kind = ExprKind::In {
            operand: Box::new(operand.expr),
            list: values.into_iter().map(|value| value.expr).collect(),
        };
        Ok((rest, Parsed::new(kind, extent)))
    }

    /// Parses `"not" operand / "(" or-expr ")" / call / literal / property`.
    fn operand<'t>(&self, input: Tokens<'t>, depth: usize) -> PResult<'t, Parsed> {
        let Some(token) = input.first() else {
            return unexpected(input, EXPECTED_OPERAND);
        };
        match &token.kind {
            TokenKind::ParenOpen => self.group(input, token, depth),
            TokenKind::ParenClose | TokenKind::Comma => unexpected(input, EXPECTED_OPERAND),
            TokenKind::Identifier(word) => self.word_operand(input, token, word, depth),
            _ => literal(input, EXPECTED_OPERAND),
        }
    }

    /// Parses an operand that starts with a name: `not`, a keyword literal, a call or a
    /// property.
    fn word_operand<'t>(
        &self,
        input: Tokens<'t>,
        token: &'t Token,
        word: &str,
        depth: usize,
    ) -> PResult<'t, Parsed> {
        match word {
            "not" => return self.not(input, token, depth),
            "true" | "false" | "null" => return literal(input, EXPECTED_OPERAND),
            _ if KEYWORDS.contains(&word) => return unexpected(input, EXPECTED_OPERAND),
            _ => {}
        }
        // Only the keywords that can start an operand are reported here. An operator such as
        // `AND` in this position is more likely a property name, which the binder checks.
        if let Some(expected) = keyword_in_other_case(word)
            && ["not", "true", "false", "null"].contains(&expected)
        {
            return fail(ErrorKind::KeywordCase { expected }, token.span);
        }

        if input
            .second()
            .is_some_and(|t| t.kind == TokenKind::ParenOpen)
        {
            return self.call(input, token, word, depth);
        }
        let kind = ExprKind::Property(word.to_owned());
        Ok((input.skip(1), Parsed::new(kind, token.span)))
    }

    /// Parses `"not" operand`, where `keyword` is the `not`.
    fn not<'t>(&self, input: Tokens<'t>, keyword: &Token, depth: usize) -> PResult<'t, Parsed> {
        self.check_depth(depth, keyword.span)?;
        let (rest, operand) = self.operand(input.skip(1), depth + 1)?;
        let extent = keyword.span.to(operand.extent);
        let kind = ExprKind::Not(Box::new(operand.expr));
        Ok((rest, Parsed::new(kind, extent)))
    }

    /// Parses `"(" or-expr ")"`. The node keeps the span of the inner expression, and its
    /// extent covers the parentheses.
    fn group<'t>(&self, input: Tokens<'t>, open: &Token, depth: usize) -> PResult<'t, Parsed> {
        self.check_depth(depth, open.span)?;
        let (rest, inner) = self.or_expr(input.skip(1), depth + 1)?;
        let (rest, close) = close_parenthesis(rest, open, "')'")?;
        let extent = open.span.to(close.span);
        Ok((
            rest,
            Parsed {
                expr: inner.expr,
                extent,
            },
        ))
    }

    /// Parses `function "(" or-expr "," or-expr ")"`, where `name` is followed by the `(`.
    /// Other numbers of arguments parse but fail with [`ErrorKind::FunctionArity`].
    fn call<'t>(
        &self,
        input: Tokens<'t>,
        name: &Token,
        word: &str,
        depth: usize,
    ) -> PResult<'t, Parsed> {
        let function = match Function::from_name(word) {
            Some(function) => function,
            None => return fail(unknown_function(word), name.span),
        };
        let Some(open) = input.second() else {
            return unexpected(input.skip(1), "'('");
        };
        self.check_depth(depth, open.span)?;

        let rest = input.skip(2);
        let (rest, args) = match rest.first() {
            Some(token) if token.kind == TokenKind::ParenClose => (rest, Vec::new()),
            _ => {
                let arg = |input| self.or_expr(input, depth + 1);
                separated_list1(punctuation(TokenKind::Comma), arg).parse(rest)?
            }
        };
        let (rest, close) = close_parenthesis(rest, open, "',' or ')'")?;

        let extent = name.span.to(close.span);
        if args.len() != FUNCTION_ARITY {
            let kind = ErrorKind::FunctionArity {
                name: function.name(),
                expected: FUNCTION_ARITY,
                found: args.len(),
            };
            return fail(kind, extent);
        }
        self.count_term(extent)?;
        let kind = ExprKind::Call {
            function,
            name_span: name.span,
            args: args.into_iter().map(|arg| arg.expr).collect(),
        };
        Ok((rest, Parsed::new(kind, extent)))
    }

    /// Fails when one more level of nesting at `depth` would pass the limit. It is called
    /// before each recursion, so the recursion depth never exceeds the limit.
    fn check_depth(&self, depth: usize, span: Span) -> Result<(), nom::Err<SyntaxError>> {
        let max = self.limits.depth();
        if depth >= max {
            return fail(ErrorKind::NestingTooDeep { max }, span);
        }
        Ok(())
    }

    /// Counts one term and fails when there are more than the limit.
    fn count_term(&self, span: Span) -> Result<(), nom::Err<SyntaxError>> {
        let terms = self.terms.get() + 1;
        self.terms.set(terms);
        if terms > self.limits.max_terms {
            let max = self.limits.max_terms;
            return fail(ErrorKind::TermsTooMany { max }, span);
        }
        Ok(())
    }
}

/// Builds an n-ary `and` or `or` node, or returns the only operand.
fn chain(mut operands: Vec<Parsed>, make: fn(Vec<Expr>) -> ExprKind) -> Parsed {
    if operands.len() == 1
        && let Some(only) = operands.pop()
    {
        return only;
    }
    let extent = match (operands.first(), operands.last()) {
        (Some(first), Some(last)) => first.extent.to(last.extent),
        _ => Span::default(),
    };
    let exprs = operands.into_iter().map(|operand| operand.expr).collect();
    Parsed::new(make(exprs), extent)
}

/// Parses a literal: a string, number or date-time token, or `true`, `false` or `null`.
fn literal<'t>(input: Tokens<'t>, expected: &'static str) -> PResult<'t, Parsed> {
    let Some(token) = input.first() else {
        return unexpected(input, expected);
    };
    let value = match &token.kind {
        TokenKind::String(text) => Literal::String(text.clone()),
        TokenKind::Int(value) => Literal::Int(*value),
        TokenKind::Decimal(value) => Literal::Decimal(*value),
        TokenKind::DateTime { value, prefixed } => Literal::DateTime {
            value: *value,
            prefixed: *prefixed,
        },
        TokenKind::Identifier(word) => match word.as_str() {
            "true" => Literal::Bool(true),
            "false" => Literal::Bool(false),
            "null" => Literal::Null,
            _ => match keyword_in_other_case(word) {
                Some(expected @ ("true" | "false" | "null")) => {
                    return fail(ErrorKind::KeywordCase { expected }, token.span);
                }
                _ => return unexpected(input, expected),
            },
        },
        TokenKind::ParenOpen | TokenKind::ParenClose | TokenKind::Comma => {
            return unexpected(input, expected);
        }
    };
    Ok((
        input.skip(1),
        Parsed::new(ExprKind::Literal(value), token.span),
    ))
}

/// What a term ended with, which decides the message when the next token cannot follow it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TermEnd {
    /// An operand alone, which a comparison operator could still follow.
    Operand,
    /// A comparison or an `in` list, which only `and` or `or` can continue.
    Comparison,
}

/// Checks that the token after a term can end it: `and`, `or`, `)`, `,` or the end of the
/// input.
fn check_term_end(rest: Tokens<'_>, term_end: TermEnd) -> Result<(), nom::Err<SyntaxError>> {
    let expected = match term_end {
        TermEnd::Operand => "an operator such as 'eq', 'and' or 'or'",
        TermEnd::Comparison => "'and' or 'or'",
    };
    let Some(token) = rest.first() else {
        return Ok(());
    };
    let TokenKind::Identifier(word) = &token.kind else {
        return match token.kind {
            TokenKind::ParenClose | TokenKind::Comma => Ok(()),
            _ => unexpected(rest, expected),
        };
    };

    if word == "and" || word == "or" {
        return Ok(());
    }
    if let Some(expected) = keyword_in_other_case(word) {
        return fail(ErrorKind::KeywordCase { expected }, token.span);
    }
    let is_operator = CompareOp::from_keyword(word).is_some() || word == "in";
    if is_operator && term_end == TermEnd::Comparison {
        return unexpected(rest, "'and' or 'or' because comparisons do not chain");
    }
    unexpected(rest, expected)
}

/// Returns the error for a call of a function that is not supported as written.
fn unknown_function(word: &str) -> ErrorKind {
    let in_other_case = Function::ALL
        .into_iter()
        .find(|function| function.name().eq_ignore_ascii_case(word));
    match in_other_case {
        Some(function) => ErrorKind::KeywordCase {
            expected: function.name(),
        },
        None => ErrorKind::FunctionUnknown {
            name: word.to_owned(),
        },
    }
}

/// Returns the keyword that `word` spells in another case, such as `and` for `AND`.
fn keyword_in_other_case(word: &str) -> Option<&'static str> {
    KEYWORDS
        .into_iter()
        .find(|keyword| *keyword != word && keyword.eq_ignore_ascii_case(word))
}

/// Matches the keyword `word` exactly. A mismatch is a recoverable error, so that a list
/// separated by the keyword ends there.
fn keyword<'t>(
    word: &'static str,
) -> impl nom::Parser<Tokens<'t>, Output = &'t Token, Error = SyntaxError> {
    move |input: Tokens<'t>| match input.first() {
        Some(token) if matches!(&token.kind, TokenKind::Identifier(w) if w == word) => {
            Ok((input.skip(1), token))
        }
        _ => Err(nom::Err::Error(SyntaxError::unexpected(input, word))),
    }
}

/// Matches one punctuation token. A mismatch is a recoverable error, as for [`keyword`].
fn punctuation<'t>(
    kind: TokenKind,
) -> impl nom::Parser<Tokens<'t>, Output = &'t Token, Error = SyntaxError> {
    move |input: Tokens<'t>| match input.first() {
        Some(token) if token.kind == kind => Ok((input.skip(1), token)),
        _ => Err(nom::Err::Error(SyntaxError::unexpected(
            input,
            "punctuation",
        ))),
    }
}

/// Consumes the `)` that closes `open`, failing with [`ErrorKind::ParenthesisUnclosed`] at
/// the end of the input and expecting `expected` before any other token.
fn close_parenthesis<'t>(
    rest: Tokens<'t>,
    open: &Token,
    expected: &'static str,
) -> PResult<'t, &'t Token> {
    match rest.first() {
        Some(token) if token.kind == TokenKind::ParenClose => Ok((rest.skip(1), token)),
        Some(_) => unexpected(rest, expected),
        None => fail(ErrorKind::ParenthesisUnclosed, open.span),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use proptest::prelude::*;

    use super::*;

    fn parse_ok(input: &str) -> Expr {
        parse(input, &Limits::default()).unwrap_or_else(|error| panic!("{}", error.render()))
    }

    fn parse_err(input: &str) -> Error {
        match parse(input, &Limits::default()) {
            Ok(expr) => panic!("{input} parsed as {expr:?}"),
            Err(error) => error,
        }
    }

    /// Returns the error kind and the text under its span.
    fn error_at(input: &str) -> (ErrorKind, &str) {
        let error = parse_err(input);
        (error.kind().clone(), &input[error.span().range()])
    }

    /// Writes the tree as an s-expression, so that an expected shape fits on one line.
    fn sexp(expr: &Expr) -> String {
        let list = |head: &str, items: &[&Expr]| {
            let items: Vec<String> = items.iter().map(|item| sexp(item)).collect();
            format!("({head} {})", items.join(" "))
        };
        match &expr.kind {
            ExprKind::Or(operands) => list("or", &operands.iter().collect::<Vec<_>>()),
            ExprKind::And(operands) => list("and", &operands.iter().collect::<Vec<_>>()),
            ExprKind::Not(operand) => list("not", &[operand]),
            ExprKind::Compare {
                op, left, right, ..
            } => list(op.keyword(), &[left, right]),
            ExprKind::In {
                operand,
                list: values,
            } => {
                let mut items = vec![&**operand];
                items.extend(values);
                list("in", &items)
            }
            ExprKind::Call { function, args, .. } => {
                list(function.name(), &args.iter().collect::<Vec<_>>())
            }
            ExprKind::Property(path) => path.clone(),
            ExprKind::Literal(literal) => format!("{literal:?}"),
        }
    }

    fn shape(input: &str) -> String {
        sexp(&parse_ok(input))
    }

    fn text_of(input: &str, span: Span) -> &str {
        &input[span.range()]
    }

    #[test]
    fn batch_examples_snapshot() {
        let cases = [
            (
                "running_and_prefix",
                "(state eq 'running') and startswith(id, 'renderTask')",
            ),
            (
                "exit_code_nonzero",
                "(executionInfo/exitCode lt 0) or (executionInfo/exitCode gt 0)",
            ),
            (
                "created_after_iso",
                "creationTime gt DateTime'2011-05-08T08:49:37Z'",
            ),
            (
                "transition_after_rfc1123",
                "stateTransitionTime gt DateTime'Sun, 08 May 2011 08:49:37 GMT'",
            ),
            ("not_binds_tighter", "not state eq 'active'"),
            ("in_list", "id in ('a','b')"),
            (
                "nested_parentheses",
                "((a eq 1 or (b eq 2)) and not (c ne 3))",
            ),
            (
                "negative_numbers",
                "executionInfo/exitCode ge -1 and x lt -2.5e-3",
            ),
            (
                "bare_date_time",
                "creationTime le 2011-05-08T08:49:37.25+02:00",
            ),
            (
                "literals",
                "a eq true or b ne null or c eq false or d eq 'it''s'",
            ),
        ];
        for (name, input) in cases {
            insta::with_settings!({ description => input }, {
                insta::assert_debug_snapshot!(name, parse_ok(input));
            });
        }
    }

    #[test]
    fn precedence_or_below_and() {
        assert_eq!(
            shape("a eq 1 or b eq 2 and c eq 3"),
            "(or (eq a Int(1)) (and (eq b Int(2)) (eq c Int(3))))"
        );
        assert_eq!(
            shape("a eq 1 and b eq 2 or c eq 3"),
            "(or (and (eq a Int(1)) (eq b Int(2))) (eq c Int(3)))"
        );
    }

    #[test]
    fn flat_chains_are_n_ary() {
        assert_eq!(shape("a or b or c"), "(or a b c)");
        assert_eq!(shape("a and b and c"), "(and a b c)");
    }

    #[test]
    fn grouped_chains_stay_separate() {
        assert_eq!(shape("(a or b) or c"), "(or (or a b) c)");
        assert_eq!(shape("a and (b and c)"), "(and a (and b c))");
        assert_eq!(shape("((a))"), "a");
    }

    #[test]
    fn not_binds_tighter_than_comparison() {
        assert_eq!(
            shape("not state eq 'active'"),
            "(eq (not state) String(\"active\"))"
        );
        assert_eq!(
            shape("not (state eq 'active')"),
            "(not (eq state String(\"active\")))"
        );
        assert_eq!(shape("not not a"), "(not (not a))");
        assert_eq!(shape("not(a)"), "(not a)");
        assert_eq!(shape("a eq not b"), "(eq a (not b))");
    }

    #[test]
    fn calls_take_expressions() {
        assert_eq!(
            shape("startswith(id, 'a')"),
            "(startswith id String(\"a\"))"
        );
        assert_eq!(
            shape("endswith(id,'a') eq true"),
            "(eq (endswith id String(\"a\")) Bool(true))"
        );
        assert_eq!(shape("contains(a or b, c)"), "(contains (or a b) c)");
    }

    #[test]
    fn in_takes_literals() {
        assert_eq!(shape("id in ('a')"), "(in id String(\"a\"))");
        assert_eq!(
            shape("x in (1, -2.5, null, true)"),
            "(in x Int(1) Decimal(-2.5) Null Bool(true))"
        );
    }

    #[test]
    fn keyword_like_names_are_properties() {
        assert_eq!(shape("andy eq 1"), "(eq andy Int(1))");
        assert_eq!(shape("DateTime eq 1"), "(eq DateTime Int(1))");
        assert_eq!(shape("Eq eq 1"), "(eq Eq Int(1))");
    }

    #[test]
    fn spans_cover_node_text() {
        let input = "(a eq 1) or not b in (2, 3) and startswith(c, 'x')";
        let expr = parse_ok(input);
        assert_eq!(text_of(input, expr.span), input);
        let ExprKind::Or(operands) = &expr.kind else {
            panic!("expected or: {expr:?}");
        };
        assert_eq!(text_of(input, operands[0].span), "a eq 1");
        assert_eq!(
            text_of(input, operands[1].span),
            "not b in (2, 3) and startswith(c, 'x')"
        );

        let ExprKind::And(terms) = &operands[1].kind else {
            panic!("expected and: {:?}", operands[1]);
        };
        assert_eq!(text_of(input, terms[0].span), "not b in (2, 3)");
        let ExprKind::Call {
            name_span, args, ..
        } = &terms[1].kind
        else {
            panic!("expected call: {:?}", terms[1]);
        };
        assert_eq!(text_of(input, *name_span), "startswith");
        assert_eq!(text_of(input, args[1].span), "'x'");
    }

    #[test]
    fn chain_span_includes_child_parentheses() {
        let input = "(a) and (b)";
        assert_eq!(text_of(input, parse_ok(input).span), input);
        let input = " ( (a) ) ";
        assert_eq!(text_of(input, parse_ok(input).span), "a");
    }

    #[test]
    fn comparison_spans_operator() {
        let input = "(x) ge 2";
        let expr = parse_ok(input);
        let ExprKind::Compare { op_span, .. } = expr.kind else {
            panic!("expected comparison: {expr:?}");
        };
        assert_eq!(text_of(input, op_span), "ge");
        assert_eq!(text_of(input, expr.span), "(x) ge 2");
    }

    #[test]
    fn keywords_are_case_sensitive() {
        let cases = [
            ("a eq 1 AND b eq 2", "and", "AND"),
            ("a eq 1 Or b eq 2", "or", "Or"),
            ("a EQ 1", "eq", "EQ"),
            ("a Ne 1", "ne", "Ne"),
            ("a IN (1)", "in", "IN"),
            ("NOT a eq 1", "not", "NOT"),
            ("Not(a)", "not", "Not"),
            ("STARTSWITH(id, 'a')", "startswith", "STARTSWITH"),
            ("a eq True", "true", "True"),
            ("a eq NULL", "null", "NULL"),
            ("a in (FALSE)", "false", "FALSE"),
            ("(a) OR b", "or", "OR"),
            ("a eq 1 eQ 2", "eq", "eQ"),
        ];
        for (input, expected, at) in cases {
            assert_eq!(
                error_at(input),
                (ErrorKind::KeywordCase { expected }, at),
                "{input}"
            );
        }
    }

    #[test]
    fn comparisons_do_not_chain() {
        let (kind, at) = error_at("a eq b eq c");
        let expected = "'and' or 'or' because comparisons do not chain";
        let found = "'eq'".to_owned();
        assert_eq!(kind, ErrorKind::TokenUnexpected { expected, found });
        assert_eq!(at, "eq");
        assert!(matches!(
            error_at("a in (1) in (2)").0,
            ErrorKind::TokenUnexpected { .. }
        ));
    }

    #[test]
    fn unexpected_tokens_name_expectation() {
        let unexpected = |expected: &'static str, found: &str| ErrorKind::TokenUnexpected {
            expected,
            found: found.to_owned(),
        };
        let cases = [
            (
                "a b",
                unexpected("an operator such as 'eq', 'and' or 'or'", "'b'"),
                "b",
            ),
            ("a eq 1 b", unexpected("'and' or 'or'", "'b'"), "b"),
            (
                "a eq 1 'x'",
                unexpected("'and' or 'or'", "string 'x'"),
                "'x'",
            ),
            ("a eq", unexpected(EXPECTED_OPERAND, "end of input"), ""),
            (
                "a eq 1 and",
                unexpected(EXPECTED_OPERAND, "end of input"),
                "",
            ),
            ("or a", unexpected(EXPECTED_OPERAND, "'or'"), "or"),
            ("a eq and", unexpected(EXPECTED_OPERAND, "'and'"), "and"),
            ("()", unexpected(EXPECTED_OPERAND, "')'"), ")"),
            (
                "a eq 1, b",
                unexpected("'and', 'or' or end of input", "','"),
                ",",
            ),
            ("(a, b)", unexpected("')'", "','"), ","),
            (
                "a in 1",
                unexpected("'(' to start the list of values", "number 1"),
                "1",
            ),
            ("a in ()", unexpected("a literal value", "')'"), ")"),
            ("a in (b)", unexpected("a literal value", "'b'"), "b"),
            ("a in (1 2)", unexpected("',' or ')'", "number 2"), "2"),
            (
                "startswith(a 'b')",
                unexpected("an operator such as 'eq', 'and' or 'or'", "string 'b'"),
                "'b'",
            ),
            ("a eq 2011-05-08 x", unexpected("'and' or 'or'", "'x'"), "x"),
        ];
        for (input, kind, at) in cases {
            assert_eq!(error_at(input), (kind, at), "{input}");
        }
    }

    #[test]
    fn long_found_text_is_cut() {
        let input = format!("a eq 1 '{}'", "x".repeat(100));
        let ErrorKind::TokenUnexpected { found, .. } = parse_err(&input).kind().clone() else {
            panic!("expected an unexpected token");
        };
        assert_eq!(found, format!("string '{}...", "x".repeat(39)));
    }

    #[test]
    fn parentheses_must_balance() {
        assert_eq!(error_at("(a eq 1"), (ErrorKind::ParenthesisUnclosed, "("));
        assert_eq!(error_at("((a eq 1)"), (ErrorKind::ParenthesisUnclosed, "("));
        assert_eq!(
            error_at("startswith(a, 'b'"),
            (ErrorKind::ParenthesisUnclosed, "(")
        );
        assert_eq!(
            error_at("a in (1, 2"),
            (ErrorKind::ParenthesisUnclosed, "(")
        );
        assert_eq!(error_at("a eq 1)"), (ErrorKind::ParenthesisUnopened, ")"));
        assert_eq!(error_at("(a) )"), (ErrorKind::ParenthesisUnopened, ")"));
    }

    #[test]
    fn functions_are_checked() {
        let unknown = ErrorKind::FunctionUnknown {
            name: "substringof".to_owned(),
        };
        assert_eq!(error_at("substringof('a', id)"), (unknown, "substringof"));
        let arity = |found| ErrorKind::FunctionArity {
            name: "startswith",
            expected: 2,
            found,
        };
        assert_eq!(error_at("startswith(id)"), (arity(1), "startswith(id)"));
        assert_eq!(error_at("startswith()"), (arity(0), "startswith()"));
        assert_eq!(
            error_at("startswith(a, b, c)"),
            (arity(3), "startswith(a, b, c)")
        );
    }

    #[test]
    fn blank_filter_is_empty() {
        assert_eq!(parse_err("").kind(), &ErrorKind::FilterEmpty);
        assert_eq!(error_at(" \t "), (ErrorKind::FilterEmpty, " \t "));
    }

    #[test]
    fn lexer_errors_pass_through() {
        assert_eq!(error_at("a eq 'x"), (ErrorKind::StringUnterminated, "'x"));
        assert_eq!(error_at("a eq ü"), (ErrorKind::CharacterUnexpected, "ü"));
    }

    fn limits() -> Limits {
        Limits {
            max_length: 40,
            max_depth: 3,
            max_terms: 3,
            max_in_list: 2,
        }
    }

    fn limit_error(input: &str) -> (ErrorKind, &str) {
        match parse(input, &limits()) {
            Ok(expr) => panic!("{input} parsed as {expr:?}"),
            Err(error) => (error.kind().clone(), &input[error.span().range()]),
        }
    }

    #[test]
    fn length_limit_is_checked_first() {
        let input = format!("{}'", "a".repeat(40));
        assert_eq!(
            limit_error(&input),
            (ErrorKind::InputTooLong { max: 40 }, "'")
        );
        assert!(parse(&"a".repeat(40), &limits()).is_ok());
    }

    #[test]
    fn length_limit_span_starts_on_char() {
        // '€' is 3 bytes, so the 40-byte limit falls inside the first one.
        let input = format!("{}€€", "a".repeat(38));
        assert_eq!(
            limit_error(&input),
            (ErrorKind::InputTooLong { max: 40 }, "€€")
        );
    }

    #[test]
    fn depth_limit_is_capped() {
        let raised = Limits {
            max_depth: Limits::DEPTH_CAP + 1000,
            ..Limits::default()
        };
        assert_eq!(raised.depth(), Limits::DEPTH_CAP);
        assert_eq!(Limits::default().depth(), 64);
        let deep = format!("{}a{}", "(".repeat(200), ")".repeat(200));
        let error = parse(&deep, &raised).unwrap_err();
        let max = Limits::DEPTH_CAP;
        assert_eq!(error.kind(), &ErrorKind::NestingTooDeep { max });
        // The span is the parenthesis that opens one level too many.
        assert_eq!(error.span(), Span::new(max, max + 1));
        let at_cap = format!("{}a{}", "(".repeat(max), ")".repeat(max));
        assert!(parse(&at_cap, &raised).is_ok());
    }

    #[test]
    fn depth_limit_counts_parentheses_and_not() {
        let too_deep = ErrorKind::NestingTooDeep { max: 3 };
        assert!(parse("((not a))", &limits()).is_ok());
        assert_eq!(limit_error("(((not a)))"), (too_deep.clone(), "not"));
        assert_eq!(limit_error("not not not not a"), (too_deep.clone(), "not"));
        assert!(parse("not not not a", &limits()).is_ok());
        let input = "((startswith(a, (b))))";
        let error = parse(input, &limits()).unwrap_err();
        assert_eq!(error.kind(), &too_deep);
        assert_eq!(error.span(), Span::new(16, 17));
    }

    #[test]
    fn terms_limit_counts_conditions() {
        let too_many = ErrorKind::TermsTooMany { max: 3 };
        assert!(parse("a eq 1 or b or c in (1)", &limits()).is_ok());
        assert_eq!(limit_error("a or b or c or d"), (too_many.clone(), "d"));
        let call = "startswith(a, 'b') eq c";
        assert_eq!(limit_error(call), (too_many.clone(), call));
        assert_eq!(
            limit_error("a or b or x in (1) or d"),
            (too_many.clone(), "d")
        );
        assert_eq!(limit_error("a or b or c or d eq 1"), (too_many, "d eq 1"));
    }

    #[test]
    fn in_list_limit_counts_values() {
        assert!(parse("a in (1, 2)", &limits()).is_ok());
        let too_long = ErrorKind::InListTooLong { max: 2 };
        assert_eq!(limit_error("a in (1, 2, 3)"), (too_long, "3"));
    }

    #[test]
    fn default_limits_fit_real_filters() {
        let terms: Vec<String> = (0..1000).map(|i| format!("id eq 'task-{i}'")).collect();
        let long = terms.join(" or ");
        assert!(long.len() < Limits::default().max_length);
        assert!(parse(&long, &Limits::default()).is_ok());
    }

    fn error_render_cases() -> Vec<(&'static str, String)> {
        let mut cases: Vec<(&'static str, String)> = [
            ("character_unexpected", "state eq \"active\""),
            ("string_unterminated", "id eq 'task"),
            (
                "integer_overflow",
                "executionInfo/exitCode lt 99999999999999999999",
            ),
            ("number_invalid", "executionInfo/exitCode lt 1.5.2"),
            ("property_path_invalid", "executionInfo/ eq 1"),
            (
                "date_time_invalid",
                "creationTime gt DateTime'2011-02-29T08:49:37Z'",
            ),
            (
                "date_time_plus_decoded",
                "creationTime gt DateTime'2011-05-08T08:49:37 02:00'",
            ),
            ("filter_empty", "  "),
            ("token_unexpected_operator", "state 'active'"),
            ("token_unexpected_chain", "a eq b eq c"),
            ("token_unexpected_end", "state eq"),
            ("parenthesis_unclosed", "(state eq 'active'"),
            ("parenthesis_unopened", "state eq 'active')"),
            ("keyword_case", "state eq 'active' AND id eq 'a'"),
            ("function_unknown", "substringof('a', id)"),
            ("function_arity", "startswith(id)"),
        ]
        .into_iter()
        .map(|(name, input)| (name, input.to_owned()))
        .collect();
        cases.push(("input_too_long", format!("id eq '{}'", "x".repeat(65_536))));
        cases.push((
            "nesting_too_deep",
            format!("{}a{}", "(".repeat(65), ")".repeat(65)),
        ));
        let terms = vec!["id eq 'x'"; 4097].join(" or ");
        cases.push(("terms_too_many", terms));
        let values = vec!["1"; 1001].join(",");
        cases.push(("in_list_too_long", format!("x in ({values})")));
        cases
    }

    #[test]
    fn error_renders_snapshot() {
        for (name, input) in error_render_cases() {
            let rendered = parse_err(&input).render();
            // The long inputs would make unreadable snapshots, so only the message is kept.
            let rendered = if input.len() > 200 {
                rendered.lines().next().unwrap_or_default().to_owned()
            } else {
                rendered
            };
            insta::assert_snapshot!(format!("error_{name}"), rendered);
        }
    }

    /// Runs `parse` on a thread with a 2 MiB stack, the default for spawned threads, and
    /// returns whether it finished within a few seconds.
    fn parses_on_small_stack(input: String, limits: Limits) -> Result<Expr, Error> {
        let started = Instant::now();
        let handle = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || parse(&input, &limits))
            .expect("spawning a test thread");
        let result = handle
            .join()
            .expect("parse panicked or overflowed its stack");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "took {:?}",
            started.elapsed()
        );
        result
    }

    fn unlimited_length() -> Limits {
        Limits {
            max_length: usize::MAX,
            max_terms: usize::MAX,
            ..Limits::default()
        }
    }

    #[test]
    fn hostile_nesting_fails_fast() {
        let deep_parentheses = format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000));
        let deep_not = format!("{}a", "not ".repeat(100_000));
        for input in [deep_parentheses, deep_not] {
            let too_long = parses_on_small_stack(input.clone(), Limits::default());
            assert!(matches!(
                too_long.unwrap_err().kind(),
                ErrorKind::InputTooLong { .. }
            ));
            let too_deep = parses_on_small_stack(input, unlimited_length());
            assert!(matches!(
                too_deep.unwrap_err().kind(),
                ErrorKind::NestingTooDeep { .. }
            ));
        }
    }

    #[test]
    fn max_depth_fits_small_stack() {
        // Wrap the filter until it is nested exactly to the limit, mixing the recursive paths:
        // a group adds one level, `not (...)` two and a call one.
        let max_depth = Limits::default().max_depth;
        let mut input = "a eq 1".to_owned();
        let mut depth = 0;
        while depth < max_depth {
            input = match depth % 3 {
                0 => format!("x and ({input} or b)"),
                1 if depth + 2 <= max_depth => format!("not ({input})"),
                _ => format!("startswith({input}, 'x')"),
            };
            depth += if input.starts_with("not") { 2 } else { 1 };
        }
        let parsed = parses_on_small_stack(input.clone(), unlimited_length());
        assert!(parsed.is_ok(), "{}", parsed.unwrap_err().render());

        let one_more = format!("({input})");
        let too_deep = parses_on_small_stack(one_more, unlimited_length());
        assert!(matches!(
            too_deep.unwrap_err().kind(),
            ErrorKind::NestingTooDeep { .. }
        ));
    }

    #[test]
    fn long_or_chain_parses_flat() {
        let input = vec!["id eq 'x'"; 100_000].join(" or ");
        let too_long = parses_on_small_stack(input.clone(), Limits::default());
        assert!(matches!(
            too_long.unwrap_err().kind(),
            ErrorKind::InputTooLong { .. }
        ));
        let expr = parses_on_small_stack(input, unlimited_length()).unwrap();
        let ExprKind::Or(operands) = &expr.kind else {
            panic!("expected or");
        };
        assert_eq!(operands.len(), 100_000);
        let dropped = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || drop(expr))
            .expect("spawning a test thread")
            .join();
        assert!(dropped.is_ok());
    }

    proptest! {
        #[test]
        fn never_panics(input in "\\PC{0,80}") {
            let _ = parse(&input, &Limits::default());
        }

        #[test]
        fn never_panics_on_token_soup(
            input in concat!(
                "((and|or|not|eq|in|AND|x|startswith|foo|DateTime'2011-05-08'|'s'|1|-2.5",
                "|true|null|[(),]) ){0,30}"
            )
        ) {
            let _ = parse(&input, &Limits::default());
        }
    }
}
