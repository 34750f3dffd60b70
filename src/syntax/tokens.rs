//! The token slice as a nom input, and the parser's error type.

use std::iter::Enumerate;
use std::slice::Iter;

use nom::error::ParseError;
use nom::{IResult, Input, Needed};

use crate::error::{Error, ErrorKind, Parameter};
use crate::lexer::{Token, TokenKind};
use crate::span::Span;

/// The maximum length of token text quoted in an error message, in chars.
const MAX_QUOTED_CHARS: usize = 40;

/// The tokens left to parse, with the filter text they were read from.
#[derive(Clone, Copy, Debug)]
pub(super) struct Tokens<'t> {
    tokens: &'t [Token],
    source: &'t str,
}

/// The result of a parser over [`Tokens`].
pub(super) type PResult<'t, T> = IResult<Tokens<'t>, T, SyntaxError>;

impl<'t> Tokens<'t> {
    pub(super) fn new(tokens: &'t [Token], source: &'t str) -> Tokens<'t> {
        Tokens { tokens, source }
    }

    /// Returns the next token, or `None` at the end of the input.
    pub(super) fn first(self) -> Option<&'t Token> {
        self.tokens.first()
    }

    /// Returns the token after the next one.
    pub(super) fn second(self) -> Option<&'t Token> {
        self.tokens.get(1)
    }

    /// Returns the tokens after the first `count`, or none when fewer are left.
    pub(super) fn skip(self, count: usize) -> Tokens<'t> {
        let tokens = self.tokens.get(count..).unwrap_or_default();
        Tokens { tokens, ..self }
    }

    /// Returns the span of the next token, or an empty span at the end of the input.
    fn next_span(self) -> Span {
        self.first()
            .map_or(Span::at(self.source.len()), |token| token.span)
    }

    /// Describes the next token for a `found ...` message.
    fn describe_next(self) -> String {
        let Some(token) = self.first() else {
            return "end of input".to_owned();
        };
        let text = self.source.get(token.span.range()).unwrap_or_default();
        let text = match text.char_indices().nth(MAX_QUOTED_CHARS) {
            Some((cut, _)) => format!("{}...", &text[..cut]),
            None => text.to_owned(),
        };
        match token.kind {
            TokenKind::String(_) => format!("string {text}"),
            TokenKind::Int(_) | TokenKind::Decimal(_) => format!("number {text}"),
            TokenKind::DateTime { .. } => format!("date-time {text}"),
            _ => format!("'{text}'"),
        }
    }
}

/// nom's view of the tokens. Only the methods that the combinators in use call matter, but
/// all are implemented faithfully, treating one token as one unit.
impl<'t> Input for Tokens<'t> {
    type Item = &'t Token;
    type Iter = Iter<'t, Token>;
    type IterIndices = Enumerate<Iter<'t, Token>>;

    fn input_len(&self) -> usize {
        self.tokens.len()
    }

    fn take(&self, index: usize) -> Self {
        Tokens {
            tokens: &self.tokens[..index],
            ..*self
        }
    }

    fn take_from(&self, index: usize) -> Self {
        Tokens {
            tokens: &self.tokens[index..],
            ..*self
        }
    }

    fn take_split(&self, index: usize) -> (Self, Self) {
        (self.take_from(index), self.take(index))
    }

    fn position<P>(&self, predicate: P) -> Option<usize>
    where
        P: Fn(Self::Item) -> bool,
    {
        self.tokens.iter().position(predicate)
    }

    fn iter_elements(&self) -> Self::Iter {
        self.tokens.iter()
    }

    fn iter_indices(&self) -> Self::IterIndices {
        self.tokens.iter().enumerate()
    }

    fn slice_index(&self, count: usize) -> Result<usize, Needed> {
        if count <= self.tokens.len() {
            Ok(count)
        } else {
            Err(Needed::new(count - self.tokens.len()))
        }
    }
}

/// A syntax error with the span of the filter it concerns.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct SyntaxError {
    kind: ErrorKind,
    span: Span,
}

impl SyntaxError {
    pub(super) fn new(kind: ErrorKind, span: Span) -> SyntaxError {
        SyntaxError { kind, span }
    }

    /// Creates a [`ErrorKind::TokenUnexpected`] about the next token of `input`.
    pub(super) fn unexpected(input: Tokens<'_>, expected: &'static str) -> SyntaxError {
        let found = input.describe_next();
        let kind = ErrorKind::TokenUnexpected { expected, found };
        SyntaxError::new(kind, input.next_span())
    }

    /// Converts the error into a crate [`Error`] about the filter `source`.
    pub(super) fn into_error(self, source: &str) -> Error {
        Error::new(self.kind, Parameter::Filter, self.span, source)
    }
}

/// nom creates errors of its own only when a combinator fails on its own terms, such as a
/// list whose item consumed nothing. The grammar's parsers always consume a token before
/// they succeed, so this is a fallback that still names the token found.
impl<'t> ParseError<Tokens<'t>> for SyntaxError {
    fn from_error_kind(input: Tokens<'t>, _kind: nom::error::ErrorKind) -> Self {
        SyntaxError::unexpected(input, "a valid filter")
    }

    fn append(_input: Tokens<'t>, _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

/// Returns a parse failure, which stops the parse: no combinator backtracks past it.
pub(super) fn fail<T>(kind: ErrorKind, span: Span) -> Result<T, nom::Err<SyntaxError>> {
    Err(nom::Err::Failure(SyntaxError::new(kind, span)))
}

/// Returns a parse failure about the next token of `input`.
pub(super) fn unexpected<T>(
    input: Tokens<'_>,
    expected: &'static str,
) -> Result<T, nom::Err<SyntaxError>> {
    Err(nom::Err::Failure(SyntaxError::unexpected(input, expected)))
}
