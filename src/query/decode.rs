//! Splitting and percent-decoding a raw query string.

use crate::error::{Error, ErrorKind, Parameter};
use crate::span::Span;

/// One decoded `name=value` pair of a query string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryParam {
    /// The decoded name, such as `$filter`.
    pub name: String,
    /// The decoded value. It is empty for a part without `=`.
    pub value: String,
    /// The span of the still-encoded value in the raw query string. For a part without `=`
    /// it is the empty span at the end of the part.
    pub span: Span,
}

/// Splits a raw query string into parameters and percent-decodes each name and value once.
///
/// The string is split on `&` first, then each part at its first `=`, so an encoded `%26`
/// or `%3D` stays inside the value it belongs to. A `+` decodes to a space, as in HTML form
/// encoding, which ASP.NET servers also apply to query strings. A literal plus must
/// therefore be sent as `%2B`, and a raw `+03:00` offset in a filter arrives as ` 03:00`.
/// A leading `?` is ignored and empty parts, such as the one in `a=1&&b=2`, are skipped.
/// Names and values are otherwise kept as written: no trimming, no case changes, and
/// duplicates are returned in order.
///
/// ```
/// use batch_odata::query::decode_query;
///
/// let params = decode_query("?$filter=id%20eq%20'a%26b'&flag").unwrap();
/// assert_eq!(params[0].name, "$filter");
/// assert_eq!(params[0].value, "id eq 'a&b'");
/// assert_eq!(params[1].name, "flag");
/// assert_eq!(params[1].value, "");
/// ```
///
/// # Errors
///
/// Returns an error about [`Parameter::QueryString`] with
/// - [`ErrorKind::PercentEncodingInvalid`] and the span of the escape when a `%` is not
///   followed by two hex digits,
/// - [`ErrorKind::Utf8Invalid`] and the span of the whole part when the decoded bytes of its
///   name or value are not UTF-8, as in `%C3%28`.
pub fn decode_query(raw: &str) -> Result<Vec<QueryParam>, Error> {
    let start = usize::from(raw.starts_with('?'));
    let mut params = Vec::new();
    let mut part_start = start;
    for part in raw[start..].split('&') {
        let part_span = Span::new(part_start, part_start + part.len());
        part_start = part_span.end + 1;
        if !part.is_empty() {
            params.push(decode_part(raw, part_span)?);
        }
    }
    Ok(params)
}

/// Decodes the part of `raw` at `span`, which contains no `&`.
fn decode_part(raw: &str, span: Span) -> Result<QueryParam, Error> {
    let part = &raw[span.range()];
    let (name_span, value_span) = match part.find('=') {
        Some(eq) => (
            Span::new(span.start, span.start + eq),
            Span::new(span.start + eq + 1, span.end),
        ),
        None => (span, Span::at(span.end)),
    };

    let to_string = |bytes: Vec<u8>| {
        String::from_utf8(bytes)
            .map_err(|_| Error::new(ErrorKind::Utf8Invalid, Parameter::QueryString, span, raw))
    };
    let name = to_string(percent_decode(raw, name_span)?)?;
    let value = to_string(percent_decode(raw, value_span)?)?;
    Ok(QueryParam {
        name,
        value,
        span: value_span,
    })
}

/// Percent-decodes the text of `raw` at `span`, with `+` decoding to a space.
fn percent_decode(raw: &str, span: Span) -> Result<Vec<u8>, Error> {
    let bytes = &raw.as_bytes()[span.range()];
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                decoded.push(b' ');
                i += 1;
            }
            b'%' => {
                let byte = bytes.get(i + 1..i + 3).and_then(hex_byte).ok_or_else(|| {
                    let escape = escape_span(raw, span.start + i, span.end);
                    Error::new(
                        ErrorKind::PercentEncodingInvalid,
                        Parameter::QueryString,
                        escape,
                        raw,
                    )
                })?;
                decoded.push(byte);
                i += 3;
            }
            byte => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    Ok(decoded)
}

/// Returns the byte that two ASCII hex digits spell, in either case.
fn hex_byte(digits: &[u8]) -> Option<u8> {
    let [high, low] = digits else {
        return None;
    };
    let high = char::from(*high).to_digit(16)?;
    let low = char::from(*low).to_digit(16)?;
    u8::try_from(high * 16 + low).ok()
}

/// Returns the span of a bad escape, which is the `%` at `percent` and up to two chars after
/// it that lie before `end`. Counting chars, not bytes, keeps the span on char boundaries.
fn escape_span(raw: &str, percent: usize, end: usize) -> Span {
    let after: usize = raw[percent + 1..end]
        .chars()
        .take(2)
        .map(char::len_utf8)
        .sum();
    Span::new(percent, percent + 1 + after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Returns the decoded `(name, value)` pairs of `raw`, panicking on an error.
    fn pairs(raw: &str) -> Vec<(String, String)> {
        decode_query(raw)
            .unwrap()
            .into_iter()
            .map(|param| (param.name, param.value))
            .collect()
    }

    fn pair(name: &str, value: &str) -> (String, String) {
        (name.to_owned(), value.to_owned())
    }

    /// Returns the kind and span of the error that decoding `raw` returns.
    fn error(raw: &str) -> (ErrorKind, Span) {
        let error = decode_query(raw).unwrap_err();
        assert_eq!(error.parameter(), Parameter::QueryString);
        assert_eq!(error.input(), raw);
        (error.kind().clone(), error.span())
    }

    #[test]
    fn decode_splits_on_ampersand_then_first_equals() {
        assert_eq!(
            pairs("a=1&b=x=y&c"),
            [pair("a", "1"), pair("b", "x=y"), pair("c", "")]
        );
    }

    #[test]
    fn decode_skips_empty_parts_and_leading_question_mark() {
        assert_eq!(pairs("?&a=1&&b=2&"), [pair("a", "1"), pair("b", "2")]);
        assert_eq!(pairs(""), []);
        assert_eq!(pairs("?"), []);
    }

    #[test]
    fn decode_ignores_only_the_first_question_mark() {
        assert_eq!(pairs("??a=1"), [pair("?a", "1")]);
        assert_eq!(pairs("a=?"), [pair("a", "?")]);
    }

    #[test]
    fn decode_keeps_empty_names_and_values() {
        assert_eq!(pairs("=x"), [pair("", "x")]);
        assert_eq!(pairs("="), [pair("", "")]);
        assert_eq!(pairs("a="), [pair("a", "")]);
    }

    #[test]
    fn decode_keeps_duplicates_in_order() {
        assert_eq!(pairs("a=1&a=2"), [pair("a", "1"), pair("a", "2")]);
    }

    #[test]
    fn decode_keeps_escaped_ampersand_inside_filter() {
        assert_eq!(
            pairs("$filter=id%20eq%20'a%26b=c'&x=1"),
            [pair("$filter", "id eq 'a&b=c'"), pair("x", "1")]
        );
    }

    #[test]
    fn decode_turns_plus_into_space() {
        assert_eq!(pairs("a=x+y"), [pair("a", "x y")]);
        assert_eq!(pairs("a=%2B"), [pair("a", "+")]);
        assert_eq!(pairs("a=%2b"), [pair("a", "+")]);
        assert_eq!(pairs("a+b=1"), [pair("a b", "1")]);
    }

    #[test]
    fn decode_turns_raw_plus_offset_into_space() {
        let raw = "$filter=creationTime%20gt%202018-01-01T00:00:00+03:00";
        assert_eq!(
            pairs(raw),
            [pair("$filter", "creationTime gt 2018-01-01T00:00:00 03:00")]
        );
    }

    #[test]
    fn decode_decodes_only_once() {
        assert_eq!(pairs("a=%2541"), [pair("a", "%41")]);
    }

    #[test]
    fn decode_decodes_names() {
        assert_eq!(
            pairs("%24filter=1&a%3Db=2"),
            [pair("$filter", "1"), pair("a=b", "2")]
        );
    }

    #[test]
    fn decode_accepts_utf8_escapes_and_raw_non_ascii() {
        assert_eq!(pairs("a=%C3%BC&b=ü"), [pair("a", "ü"), pair("b", "ü")]);
    }

    #[test]
    fn decode_records_value_spans() {
        let raw = "?a=12&&b&c=";
        let spans: Vec<Span> = decode_query(raw).unwrap().iter().map(|p| p.span).collect();
        assert_eq!(spans, [Span::new(3, 5), Span::at(8), Span::at(11)]);
        assert_eq!(&raw[3..5], "12");
    }

    #[test]
    fn decode_rejects_lone_percent() {
        assert_eq!(
            error("a=1&b=%"),
            (ErrorKind::PercentEncodingInvalid, Span::new(6, 7))
        );
    }

    #[test]
    fn decode_rejects_percent_with_one_digit() {
        assert_eq!(
            error("b=%2"),
            (ErrorKind::PercentEncodingInvalid, Span::new(2, 4))
        );
        assert_eq!(
            error("b=%2&c=1"),
            (ErrorKind::PercentEncodingInvalid, Span::new(2, 4))
        );
    }

    #[test]
    fn decode_rejects_percent_with_non_hex_digits() {
        assert_eq!(
            error("b=%zz"),
            (ErrorKind::PercentEncodingInvalid, Span::new(2, 5))
        );
        assert_eq!(
            error("b=%+1"),
            (ErrorKind::PercentEncodingInvalid, Span::new(2, 5))
        );
    }

    #[test]
    fn decode_rejects_bad_escape_in_name() {
        assert_eq!(
            error("x=1&%g1=2"),
            (ErrorKind::PercentEncodingInvalid, Span::new(4, 7))
        );
    }

    #[test]
    fn decode_escape_span_covers_whole_chars() {
        assert_eq!(
            error("b=%ü1"),
            (ErrorKind::PercentEncodingInvalid, Span::new(2, 6))
        );
    }

    #[test]
    fn decode_rejects_invalid_utf8() {
        assert_eq!(
            error("a=1&b=%C3%28&c=2"),
            (ErrorKind::Utf8Invalid, Span::new(4, 12))
        );
        assert_eq!(error("%FF=1"), (ErrorKind::Utf8Invalid, Span::new(0, 5)));
    }

    #[test]
    fn decode_errors_render() {
        let rendered: String = ["a=1&$filter=id%20eq%20'%zz'", "b=%", "x=%C3%28&y=2"]
            .into_iter()
            .map(|raw| decode_query(raw).unwrap_err().render())
            .collect();
        insta::assert_snapshot!(rendered);
    }

    proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let raw = String::from_utf8_lossy(&bytes);
            let _ = decode_query(&raw);
        }

        #[test]
        fn decode_never_panics_on_query_like_text(raw in "[?&=%+a-f0-9üx]{0,40}") {
            if let Ok(params) = decode_query(&raw) {
                for param in params {
                    prop_assert!(param.span.end <= raw.len());
                    prop_assert!(raw.is_char_boundary(param.span.start));
                }
            }
        }
    }
}
