//! The `$filter` lexer: text to tokens with byte spans.
//!
//! Keywords such as `and`, `eq` and `true` come out as [`TokenKind::Identifier`], and the
//! parser decides what they mean, so that it can tell `AND` (a keyword in the wrong case)
//! from a property name.
//!
//! # Input safety
//!
//! Lexing takes time linear in the input and never panics. The logos automaton only picks
//! the kind of token from its first bytes. Strings, numbers, paths and date-times are then
//! read by hand-written scanners that look at each byte once, so no pattern backtracks over
//! a long run such as megabytes of `'` or digits.

use logos::Logos;

use crate::datetime::{DateTime, DateTimeError};
use crate::error::{Error, ErrorKind, Parameter};
use crate::span::Span;

/// A token and the bytes of the filter it was read from.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// The kind of token, with its value.
    pub kind: TokenKind,
    /// The bytes of the input the token covers.
    pub span: Span,
}

/// The kinds of tokens.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenKind {
    /// `(`.
    ParenOpen,
    /// `)`.
    ParenClose,
    /// `,`.
    Comma,
    /// A single-quoted string, with each `''` turned into `'`.
    String(String),
    /// An integer such as `42` or `-1`.
    Int(i64),
    /// A number with a fraction or an exponent, such as `1.5` or `-2.0e3`.
    Decimal(f64),
    /// A date-time, written `DateTime'...'` (the prefix in any case) or as a bare ISO value
    /// such as `2011-05-08T08:49:37Z`.
    DateTime {
        /// The instant and the offset it was written with.
        value: DateTime,
        /// True when written with the `DateTime'...'` prefix.
        prefixed: bool,
    },
    /// A name such as `state` or `and`, or a property path of names joined by `/`, such as
    /// `executionInfo/exitCode`.
    Identifier(String),
}

/// Splits a filter into tokens, skipping spaces and tabs.
///
/// # Errors
///
/// Returns the first lexical error, about [`Parameter::Filter`] and `input`:
///
/// * [`ErrorKind::CharacterUnexpected`] on a character that starts no token;
/// * [`ErrorKind::StringUnterminated`], spanning from the opening quote to the end of input;
/// * [`ErrorKind::IntegerOverflow`] or [`ErrorKind::NumberInvalid`] on a bad number;
/// * [`ErrorKind::PropertyPathInvalid`] on an empty path segment, as in `a//b`;
/// * [`ErrorKind::DateTimeInvalid`], spanning the bad field inside the literal.
///
/// # Memory
///
/// `tokenize` has no limit of its own: it returns one 48-byte [`Token`] per token, at most
/// one per input byte (as in `,,,,`), plus the text of identifiers and strings. So a
/// caller must bound the input length first, as [`crate::syntax::parse`] does with
/// [`Limits::max_length`](crate::syntax::Limits::max_length) before it calls `tokenize`.
///
/// ```
/// use batch_odata::lexer::{TokenKind, tokenize};
///
/// let tokens = tokenize("executionInfo/exitCode lt -1").unwrap();
/// let kinds: Vec<TokenKind> = tokens.into_iter().map(|token| token.kind).collect();
/// assert_eq!(
///     kinds,
///     [
///         TokenKind::Identifier("executionInfo/exitCode".into()),
///         TokenKind::Identifier("lt".into()),
///         TokenKind::Int(-1),
///     ]
/// );
/// ```
pub fn tokenize(input: &str) -> Result<Vec<Token>, Error> {
    let mut tokens = Vec::new();
    let mut lexer = Raw::lexer(input);
    while let Some(raw) = lexer.next() {
        let span = Span::from(lexer.span());
        let kind = match raw {
            Ok(Raw::ParenOpen) => TokenKind::ParenOpen,
            Ok(Raw::ParenClose) => TokenKind::ParenClose,
            Ok(Raw::Comma) => TokenKind::Comma,
            Ok(Raw::String(text)) => TokenKind::String(text),
            Ok(Raw::Number(kind) | Raw::Word(kind)) => kind,
            Err(error) => return Err(Error::new(error.kind, Parameter::Filter, error.span, input)),
        };
        tokens.push(Token { kind, span });
    }
    Ok(tokens)
}

/// A lexical error before it is given the input.
#[derive(Clone, Debug, PartialEq)]
struct LexError {
    kind: ErrorKind,
    span: Span,
}

impl LexError {
    fn new(kind: ErrorKind, span: Span) -> LexError {
        LexError { kind, span }
    }

    /// Creates the error for text that starts no token, covering its first char.
    fn unexpected_character(lexer: &mut logos::Lexer<'_, Raw>) -> LexError {
        let start = lexer.span().start;
        let width = lexer.source()[start..]
            .chars()
            .next()
            .map_or(0, char::len_utf8);
        LexError::new(
            ErrorKind::CharacterUnexpected,
            Span::new(start, start + width),
        )
    }
}

/// Logos requires a default error. This one is only a placeholder, because the error
/// callback and the scanners create every error that [`tokenize`] returns.
impl Default for LexError {
    fn default() -> LexError {
        LexError::new(ErrorKind::CharacterUnexpected, Span::default())
    }
}

/// The patterns that logos matches. Callbacks extend a match past its first bytes by hand,
/// and return the finished [`TokenKind`] where one pattern can start several kinds.
#[derive(Logos)]
#[logos(error(LexError, LexError::unexpected_character))]
#[logos(skip r"[ \t]+")]
enum Raw {
    #[token("(")]
    ParenOpen,
    #[token(")")]
    ParenClose,
    #[token(",")]
    Comma,
    #[token("'", lex_string)]
    String(String),
    #[regex("-?[0-9]", lex_number)]
    Number(TokenKind),
    #[regex("[A-Za-z_][A-Za-z0-9_]*", lex_word)]
    Word(TokenKind),
}

/// Reads the rest of a string literal after its opening quote, turning `''` into `'`.
fn lex_string(lexer: &mut logos::Lexer<'_, Raw>) -> Result<String, LexError> {
    let start = lexer.span().start;
    let rest = lexer.remainder();
    let mut text = String::new();
    let mut pos = 0;
    loop {
        let Some(quote) = rest[pos..].find('\'') else {
            let span = Span::new(start, lexer.source().len());
            return Err(LexError::new(ErrorKind::StringUnterminated, span));
        };
        text.push_str(&rest[pos..pos + quote]);
        pos += quote + 1;
        if rest.as_bytes().get(pos) != Some(&b'\'') {
            break;
        }
        text.push('\'');
        pos += 1;
    }
    lexer.bump(pos);
    Ok(text)
}

/// Reads a number, or a bare date-time when the match starts with a 4-digit year and `-`.
fn lex_number(lexer: &mut logos::Lexer<'_, Raw>) -> Result<TokenKind, LexError> {
    let start = lexer.span().start;
    let bytes = &lexer.source().as_bytes()[start..];
    let negative = bytes[0] == b'-';
    let integer_end = usize::from(negative) + count_digits(&bytes[usize::from(negative)..]);

    let (kind, len) = if !negative && integer_end == 4 && bytes.get(4) == Some(&b'-') {
        scan_bare_date_time(lexer.source(), start)?
    } else {
        scan_number(lexer.source(), start, integer_end)?
    };
    lexer.bump(len - lexer.span().len());
    Ok(kind)
}

/// Reads a decimal or integer whose integer digits end at `start + integer_end`, and returns
/// it with its length.
fn scan_number(
    source: &str,
    start: usize,
    integer_end: usize,
) -> Result<(TokenKind, usize), LexError> {
    let bytes = &source.as_bytes()[start..];
    let mut end = integer_end;
    let mut is_decimal = false;
    if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
        end += 1 + count_digits(&bytes[end + 1..]);
        is_decimal = true;
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(end + 1), Some(b'+' | b'-')));
        let digits = count_digits(bytes.get(end + 1 + sign..).unwrap_or_default());
        if digits > 0 {
            end += 1 + sign + digits;
            is_decimal = true;
        }
    }

    // A number glued to a name char or a dot, as in `1.`, `1e`, `1.5.2` or `12ab`, is one
    // malformed number rather than a number followed by something else.
    let glued = bytes[end..]
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        .count();
    let span = Span::new(start, start + end);
    if glued > 0 {
        let span = Span::new(start, start + end + glued);
        return Err(LexError::new(ErrorKind::NumberInvalid, span));
    }

    let text = &source[span.range()];
    let kind = if is_decimal {
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() => TokenKind::Decimal(value),
            _ => return Err(LexError::new(ErrorKind::NumberInvalid, span)),
        }
    } else {
        match text.parse::<i64>() {
            Ok(value) => TokenKind::Int(value),
            Err(_) => return Err(LexError::new(ErrorKind::IntegerOverflow, span)),
        }
    };
    Ok((kind, end))
}

/// Reads a bare ISO date-time such as `2011-05-08T08:49:37Z` at `start` and returns it with
/// its length.
fn scan_bare_date_time(source: &str, start: usize) -> Result<(TokenKind, usize), LexError> {
    let bytes = &source.as_bytes()[start..];
    let mut len = bytes
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'.' | b'+' | b'-'))
        .count();

    // In a URL query an unencoded `+` arrives as a space, so `...T08:49:37 02:00` is one
    // date-time whose offset sign was lost. Taking the ` 02:00` lets the date-time parser
    // explain that, where the parser would only report an unexpected number.
    let text = &source[start..start + len];
    let time = text.find(['T', 't']).map(|t| &text[t..]);
    let has_zone = time.is_none_or(|time| time.contains(['Z', 'z', '+', '-']));
    if !has_zone && is_spaced_offset(&bytes[len..]) {
        len += " 00:00".len();
    }

    let text = &source[start..start + len];
    let value = DateTime::parse_iso(text).map_err(|error| date_time_error(error, start))?;
    let kind = TokenKind::DateTime {
        value,
        prefixed: false,
    };
    Ok((kind, len))
}

/// Returns true when `bytes` starts with ` hh:mm` and no further digit.
fn is_spaced_offset(bytes: &[u8]) -> bool {
    let shape = b" 00:00";
    bytes.len() >= shape.len()
        && bytes.iter().zip(shape).all(|(b, s)| match s {
            b'0' => b.is_ascii_digit(),
            _ => b == s,
        })
        && !bytes.get(shape.len()).is_some_and(u8::is_ascii_digit)
}

/// Reads the rest of a property path after its first name, or a `DateTime'...'` literal when
/// the name is `DateTime` in any case and a quote follows.
fn lex_word(lexer: &mut logos::Lexer<'_, Raw>) -> Result<TokenKind, LexError> {
    let start = lexer.span().start;
    let source = lexer.source();
    let name_end = lexer.span().end;
    if source[start..name_end].eq_ignore_ascii_case("datetime")
        && source.as_bytes().get(name_end) == Some(&b'\'')
    {
        let (value, end) = scan_prefixed_date_time(source, start, name_end + 1)?;
        lexer.bump(end - name_end);
        return Ok(TokenKind::DateTime {
            value,
            prefixed: true,
        });
    }

    let end = scan_path_segments(source, name_end)?;
    lexer.bump(end - name_end);
    Ok(TokenKind::Identifier(source[start..end].to_owned()))
}

/// Reads the text of a `DateTime'...'` literal from `content_start`, just after the quote,
/// and returns the value and the end of the closing quote.
fn scan_prefixed_date_time(
    source: &str,
    start: usize,
    content_start: usize,
) -> Result<(DateTime, usize), LexError> {
    let Some(len) = source[content_start..].find('\'') else {
        let span = Span::new(start, source.len());
        return Err(LexError::new(ErrorKind::StringUnterminated, span));
    };
    let text = &source[content_start..content_start + len];
    let value = DateTime::parse(text).map_err(|error| date_time_error(error, content_start))?;
    Ok((value, content_start + len + 1))
}

/// Reads `/name` segments from `pos` and returns where the path ends.
fn scan_path_segments(source: &str, mut pos: usize) -> Result<usize, LexError> {
    let bytes = source.as_bytes();
    while bytes.get(pos) == Some(&b'/') {
        let name = &bytes[pos + 1..];
        if !name
            .first()
            .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_')
        {
            let span = Span::new(pos, pos + 1);
            return Err(LexError::new(ErrorKind::PropertyPathInvalid, span));
        }
        let len = name
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_')
            .count();
        pos += 1 + len;
    }
    Ok(pos)
}

fn count_digits(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_digit()).count()
}

/// Moves a date-time error from its own text to the filter, where the text starts at `offset`.
fn date_time_error(error: DateTimeError, offset: usize) -> LexError {
    let span = Span::new(error.span.start + offset, error.span.end + offset);
    LexError::new(
        ErrorKind::DateTimeInvalid {
            reason: error.reason,
        },
        span,
    )
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use proptest::prelude::*;

    use super::*;

    fn kinds(input: &str) -> Vec<TokenKind> {
        match tokenize(input) {
            Ok(tokens) => tokens.into_iter().map(|token| token.kind).collect(),
            Err(error) => panic!("{}", error.render()),
        }
    }

    /// Returns the error kind and the text under its span.
    fn error(input: &str) -> (ErrorKind, &str) {
        match tokenize(input) {
            Ok(tokens) => panic!("{input} lexed as {tokens:?}"),
            Err(error) => (error.kind().clone(), &input[error.span().range()]),
        }
    }

    fn ident(text: &str) -> TokenKind {
        TokenKind::Identifier(text.to_owned())
    }

    fn date_time(text: &str, prefixed: bool) -> TokenKind {
        let value = DateTime::parse(text).unwrap();
        TokenKind::DateTime { value, prefixed }
    }

    #[test]
    fn spans_cover_token_text() {
        let input = "(state eq 'a''b')";
        let spans: Vec<&str> = tokenize(input)
            .unwrap()
            .iter()
            .map(|token| &input[token.span.range()])
            .collect();
        assert_eq!(spans, ["(", "state", "eq", "'a''b'", ")"]);
    }

    #[test]
    fn punctuation_and_white_space() {
        use TokenKind::*;
        assert_eq!(kinds(" (\t,) "), [ParenOpen, Comma, ParenClose]);
        assert_eq!(kinds(""), []);
        assert_eq!(kinds(" \t "), []);
    }

    #[test]
    fn strings_unescape_doubled_quotes() {
        assert_eq!(kinds("'it''s'"), [TokenKind::String("it's".into())]);
        assert_eq!(kinds("''"), [TokenKind::String(String::new())]);
        assert_eq!(kinds("''''"), [TokenKind::String("'".into())]);
        assert_eq!(kinds("'a b\tü'"), [TokenKind::String("a b\tü".into())]);
        assert_eq!(kinds("'a''''b'"), [TokenKind::String("a''b".into())]);
    }

    #[test]
    fn string_unterminated_spans_to_end() {
        assert_eq!(error("id eq 'abc"), (ErrorKind::StringUnterminated, "'abc"));
        assert_eq!(error("id eq 'a''"), (ErrorKind::StringUnterminated, "'a''"));
        assert_eq!(error("'''"), (ErrorKind::StringUnterminated, "'''"));
    }

    #[test]
    fn integers_and_decimals() {
        use TokenKind::*;
        assert_eq!(kinds("0 42 -1"), [Int(0), Int(42), Int(-1)]);
        assert_eq!(kinds("9223372036854775807"), [Int(i64::MAX)]);
        assert_eq!(kinds("-9223372036854775808"), [Int(i64::MIN)]);
        assert_eq!(
            kinds("1.5 -2.0e3 1e-7 2E+2"),
            [
                Decimal(1.5),
                Decimal(-2000.0),
                Decimal(1e-7),
                Decimal(200.0)
            ]
        );
    }

    #[test]
    fn numbers_end_at_punctuation() {
        use TokenKind::*;
        assert_eq!(
            kinds("(1,2)"),
            [ParenOpen, Int(1), Comma, Int(2), ParenClose]
        );
    }

    #[test]
    fn integer_overflow_is_reported() {
        let (kind, at) = error("x eq 9223372036854775808");
        assert_eq!(kind, ErrorKind::IntegerOverflow);
        assert_eq!(at, "9223372036854775808");
        assert_eq!(error("-9223372036854775809").0, ErrorKind::IntegerOverflow);
    }

    #[test]
    fn malformed_numbers_are_one_error() {
        let cases = ["1.", "1e", "1e+", "1.5.2", "12ab", "1_000", "1ee5", "1e999"];
        for text in cases {
            let (kind, at) = error(text);
            assert_eq!(kind, ErrorKind::NumberInvalid, "{text}");
            assert_eq!(
                at.trim_end_matches('+'),
                text.trim_end_matches('+'),
                "{text}"
            );
        }
    }

    #[test]
    fn paths_join_names_with_slash() {
        assert_eq!(
            kinds("executionInfo/exitCode"),
            [ident("executionInfo/exitCode")]
        );
        assert_eq!(kinds("_a/b_1/C"), [ident("_a/b_1/C")]);
        assert_eq!(kinds("and"), [ident("and")]);
    }

    #[test]
    fn paths_reject_empty_segments() {
        assert_eq!(
            error("executionInfo/ eq 1"),
            (ErrorKind::PropertyPathInvalid, "/")
        );
        assert_eq!(error("a//b"), (ErrorKind::PropertyPathInvalid, "/"));
        assert_eq!(error("a/1"), (ErrorKind::PropertyPathInvalid, "/"));
        assert_eq!(error("a eq /b").0, ErrorKind::CharacterUnexpected);
    }

    #[test]
    fn date_time_prefix_ignores_case() {
        let iso = "2011-05-08T08:49:37Z";
        for prefix in ["DateTime", "datetime", "DATETIME", "dateTime"] {
            let input = format!("{prefix}'{iso}'");
            assert_eq!(kinds(&input), [date_time(iso, true)], "{input}");
        }
    }

    #[test]
    fn date_time_prefix_accepts_rfc1123() {
        let rfc = "Sun, 08 May 2011 08:49:37 GMT";
        assert_eq!(kinds(&format!("DateTime'{rfc}'")), [date_time(rfc, true)]);
    }

    #[test]
    fn date_time_without_quote_is_a_name() {
        use TokenKind::*;
        assert_eq!(
            kinds("DateTime 'x'"),
            [ident("DateTime"), String("x".into())]
        );
        assert_eq!(
            kinds("DateTimes'x'"),
            [ident("DateTimes"), String("x".into())]
        );
    }

    #[test]
    fn bare_date_times_are_iso() {
        use TokenKind::*;
        let iso = "2011-05-08T08:49:37.25+02:00";
        assert_eq!(kinds(iso), [date_time(iso, false)]);
        assert_eq!(
            kinds("(2011-05-08)"),
            [ParenOpen, date_time("2011-05-08", false), ParenClose]
        );
        assert_eq!(kinds("2011"), [Int(2011)]);
        assert_eq!(kinds("-2011"), [Int(-2011)]);
    }

    #[test]
    fn date_time_errors_point_inside_literal() {
        let (kind, at) = error("t gt DateTime'2011-13-08T08:49:37Z'");
        let reason = "month 13 is out of range 01 to 12".to_owned();
        assert_eq!(kind, ErrorKind::DateTimeInvalid { reason });
        assert_eq!(at, "13");

        let (kind, at) = error("t gt 2011-05-08T25:00Z");
        let reason = "hour 25 is out of range 00 to 23".to_owned();
        assert_eq!(kind, ErrorKind::DateTimeInvalid { reason });
        assert_eq!(at, "25");
    }

    #[test]
    fn date_time_decoded_plus_is_explained() {
        for input in [
            "t gt DateTime'2011-05-08T08:49:37 02:00'",
            "t gt 2011-05-08T08:49:37 02:00",
        ] {
            let (kind, at) = error(input);
            let reason = "the '+' of the offset was decoded as a space; send it as %2B".to_owned();
            assert_eq!(kind, ErrorKind::DateTimeInvalid { reason }, "{input}");
            assert_eq!(at, " ", "{input}");
        }
    }

    #[test]
    fn date_time_unterminated_spans_to_end() {
        let (kind, at) = error("t gt DateTime'2011-05-08");
        assert_eq!(kind, ErrorKind::StringUnterminated);
        assert_eq!(at, "DateTime'2011-05-08");
    }

    #[test]
    fn unexpected_character_covers_one_char() {
        assert_eq!(error("id eq ü"), (ErrorKind::CharacterUnexpected, "ü"));
        assert_eq!(error("a\nb"), (ErrorKind::CharacterUnexpected, "\n"));
        assert_eq!(error("a - 1"), (ErrorKind::CharacterUnexpected, "-"));
        assert_eq!(error("a eq \"x\""), (ErrorKind::CharacterUnexpected, "\""));
        assert_eq!(error("🦀"), (ErrorKind::CharacterUnexpected, "🦀"));
    }

    #[test]
    fn errors_concern_the_filter() {
        let error = tokenize("ü").unwrap_err();
        assert_eq!(error.parameter(), Parameter::Filter);
        assert_eq!(error.input(), "ü");
    }

    /// Checks that lexing 10 MB of one repeated pattern finishes within seconds, as a linear
    /// scan does.
    fn assert_fast(pattern: &str) {
        let input = pattern.repeat(10_000_000 / pattern.len());
        let started = Instant::now();
        let _ = tokenize(&input);
        let elapsed = started.elapsed();
        assert!(
            elapsed < Duration::from_secs(5),
            "{pattern:?} took {elapsed:?}"
        );
    }

    #[test]
    fn large_inputs_lex_in_linear_time() {
        for pattern in [
            "(",
            "'",
            "''",
            "1",
            "a/",
            "a",
            "2011-",
            "1.",
            " ",
            "DateTime'",
            "é",
        ] {
            assert_fast(pattern);
        }
    }

    proptest! {
        #[test]
        fn never_panics(input in "\\PC{0,64}") {
            let _ = tokenize(&input);
        }

        #[test]
        fn never_panics_on_token_soup(
            input in "([()', /._a-zA-Z0-9:+TZ-]|DateTime'|''|eq| ){0,40}"
        ) {
            let _ = tokenize(&input);
        }
    }
}
