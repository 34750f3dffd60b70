//! Errors as data: a kind, the query parameter it concerns, a span and a copy of the input.
//!
//! Library callers inspect the fields. The CLI and the server render them, either as text
//! with a caret line under the span ([`Error::render`]) or as a Batch error body.

use std::fmt;

use unicode_width::UnicodeWidthStr;

use crate::span::Span;
use crate::version::ApiVersion;

/// The query parameter, or other input, that an error concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Parameter {
    /// The `api-version` query parameter.
    ApiVersion,
    /// The `$filter` query parameter.
    Filter,
    /// The `$select` query parameter.
    Select,
    /// The `$expand` query parameter.
    Expand,
    /// The `maxresults` query parameter.
    MaxResults,
    /// The `timeout` query parameter.
    Timeout,
    /// The `$skiptoken` query parameter.
    SkipToken,
    /// The raw query string as a whole, before it is split into parameters.
    QueryString,
    /// Task data being loaded, such as an NDJSON file.
    Tasks,
}

impl Parameter {
    /// Returns the name as written in a URL, such as `$filter`.
    pub const fn name(self) -> &'static str {
        match self {
            Parameter::ApiVersion => "api-version",
            Parameter::Filter => "$filter",
            Parameter::Select => "$select",
            Parameter::Expand => "$expand",
            Parameter::MaxResults => "maxresults",
            Parameter::Timeout => "timeout",
            Parameter::SkipToken => "$skiptoken",
            Parameter::QueryString => "query string",
            Parameter::Tasks => "tasks",
        }
    }
}

/// The kind of an error. Kinds are named subject first, and [`fmt::Display`] gives a short
/// lower-case message without a trailing period.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ErrorKind {
    // api-version
    /// A required query parameter is absent.
    ParameterMissing,
    /// The api-version is not of the form `YYYY-MM-DD.major.minor`.
    ApiVersionMalformed,
    /// The api-version is well formed but was never published.
    ApiVersionUnknown {
        /// The newest published version older than the requested one.
        before: Option<ApiVersion>,
        /// The oldest published version newer than the requested one.
        after: Option<ApiVersion>,
    },
    /// The operation does not exist in the requested api-version.
    OperationUnsupported {
        /// The operation, such as `Get Task Counts`.
        operation: &'static str,
        /// The first version that has it.
        since: ApiVersion,
    },

    // Lexer
    /// A character that starts no token.
    CharacterUnexpected,
    /// A string literal without its closing quote.
    StringUnterminated,
    /// An integer literal outside the 64-bit range.
    IntegerOverflow,
    /// A number literal that is not a valid integer or decimal.
    NumberInvalid,
    /// A property path with an empty segment, such as `executionInfo/` or `a//b`.
    PropertyPathInvalid,
    /// A duration string that does not parse, compared with a duration property.
    DurationInvalid {
        /// The reason, such as `years and months have no fixed length`.
        reason: String,
    },
    /// A date-time literal that does not parse.
    DateTimeInvalid {
        /// The reason, such as `hour out of range`.
        reason: String,
    },

    // Parser
    /// The filter is empty or only white space.
    FilterEmpty,
    /// A token where another was expected.
    TokenUnexpected {
        /// The expected token, such as `a comparison operator`.
        expected: &'static str,
        /// The token found, or `end of input`.
        found: String,
    },
    /// An opening parenthesis without its closing one.
    ParenthesisUnclosed,
    /// A closing parenthesis without an opening one.
    ParenthesisUnopened,
    /// A keyword or function name written in the wrong case, such as `AND`.
    KeywordCase {
        /// The spelling the service accepts.
        expected: &'static str,
    },
    /// A function name that is not supported.
    FunctionUnknown {
        /// The name as written.
        name: String,
    },
    /// A function called with the wrong number of arguments.
    FunctionArity {
        /// The function name.
        name: &'static str,
        /// How many arguments it takes.
        expected: usize,
        /// How many were given.
        found: usize,
    },

    // Input limits
    /// The input is longer than the configured limit.
    InputTooLong {
        /// The limit in bytes.
        max: usize,
    },
    /// Parentheses and `not` are nested deeper than the configured limit.
    NestingTooDeep {
        /// The maximum depth.
        max: usize,
    },
    /// The filter has more terms than the configured limit.
    TermsTooMany {
        /// The maximum number of terms.
        max: usize,
    },
    /// An `in` list has more values than the configured limit.
    InListTooLong {
        /// The maximum number of values.
        max: usize,
    },
    /// `$select` names more properties than the configured limit.
    SelectTooLong {
        /// The maximum number of items.
        max: usize,
    },

    // Binder
    /// A property that exists in no api-version.
    PropertyUnknown {
        /// The closest known property name, if one is close enough to suggest.
        suggestion: Option<String>,
    },
    /// A property that exists only in later api-versions.
    PropertyNotYetAdded {
        /// The first version that has it.
        since: ApiVersion,
    },
    /// A property that existed only in earlier api-versions.
    PropertyRemoved {
        /// The last version that had it.
        until: ApiVersion,
        /// The property that replaced it, if any.
        replacement: Option<&'static str>,
    },
    /// A property that the documented filter table of this api-version lacks, but a later
    /// version's table has.
    PropertyNotFilterable {
        /// The first version whose table has it.
        since: ApiVersion,
    },
    /// A property that no documented filter table has, in strict mode.
    PropertyNotDocumented {
        /// The properties the table of this api-version allows.
        documented: Vec<&'static str>,
    },
    /// An object or collection property, which has no single value to compare.
    PropertyNotScalar,
    /// An operator or function the property does not allow.
    OperatorNotAllowed {
        /// The operator as written.
        operator: String,
        /// The operators the property allows.
        allowed: Vec<&'static str>,
    },
    /// A value whose type does not match what the operator needs.
    TypeMismatch {
        /// The type needed, such as `DateTime`.
        expected: String,
        /// The type found.
        found: String,
        /// A rewrite of the expression that would type-check, if there is an obvious one.
        hint: Option<String>,
    },
    /// A string that is not one of an enum property's values.
    EnumValueUnknown {
        /// The valid values.
        valid: Vec<&'static str>,
    },
    /// A form that the selected mode does not accept, such as a bare date-time in strict mode.
    SyntaxNotAllowed {
        /// The form to write instead.
        hint: String,
    },

    // $select, $expand, maxresults and other parameters
    /// A `$select` item that names no top-level property of the api-version.
    SelectPropertyUnknown {
        /// The closest known property name, if one is close enough to suggest.
        suggestion: Option<String>,
    },
    /// A `$select` or `$expand` item that is empty, such as in `id,,state`.
    SelectItemEmpty,
    /// An `$expand` value other than `stats`.
    ExpandUnsupported,
    /// A number parameter outside its allowed range.
    ValueOutOfRange {
        /// The smallest allowed value.
        min: i64,
        /// The largest allowed value.
        max: i64,
    },
    /// A number parameter that is not an integer.
    IntegerInvalid,
    /// A `$skiptoken` that this engine did not issue, or that was altered.
    SkipTokenInvalid,
    /// The same parameter given twice.
    ParameterDuplicate,
    /// A parameter given both as a flag and inside a raw query string.
    ParameterConflict,
    /// A `%` escape that is not followed by two hex digits.
    PercentEncodingInvalid,
    /// Bytes that are not UTF-8 after percent-decoding.
    Utf8Invalid,

    // Task data
    /// Task data that is not valid JSON or not a task.
    TaskInvalid {
        /// The 1-based line of the input for NDJSON, or the 1-based position of the task in a
        /// JSON array or in the `value` array of a List Tasks body. It is 0 for a problem in
        /// a body outside its tasks, such as a missing `value` array.
        line: usize,
        /// The field at fault, if one is.
        field: Option<String>,
        /// The reason the task is invalid.
        reason: String,
    },
    /// Two tasks whose ids are equal when case is ignored.
    TaskIdDuplicate {
        /// The line or position of the second one, counted as for [`ErrorKind::TaskInvalid`],
        /// or 0 when the task was not read from text.
        line: usize,
        /// The id.
        id: String,
    },
    /// Task data that could not be read, such as a file whose read failed part way.
    TaskReadFailed {
        /// The 1-based line being read, for NDJSON, or the position of the task being read.
        line: usize,
        /// The error the reader returned.
        reason: String,
    },
    /// The store has a task in every row number it can give out.
    StoreFull {
        /// The maximum number of tasks.
        max: u64,
    },
    /// A task id that names no task.
    TaskNotFound {
        /// The id.
        id: String,
    },

    // Execution
    /// Evaluating a List Tasks page took longer than the request's `timeout`.
    OperationTimedOut {
        /// The time allowed, in seconds.
        seconds: u32,
    },
}

/// An error with the kind, the parameter and the span of the input it concerns.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    kind: ErrorKind,
    parameter: Parameter,
    span: Span,
    input: String,
}

impl Error {
    /// Creates an error about `span` of `input`, the text of `parameter`.
    pub fn new(kind: ErrorKind, parameter: Parameter, span: Span, input: &str) -> Self {
        Error {
            kind,
            parameter,
            span,
            input: input.to_owned(),
        }
    }

    /// Creates an error that covers the whole of `input`.
    pub fn whole(kind: ErrorKind, parameter: Parameter, input: &str) -> Self {
        Error::new(kind, parameter, Span::new(0, input.len()), input)
    }

    /// Returns what went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Returns the parameter the error concerns.
    pub fn parameter(&self) -> Parameter {
        self.parameter
    }

    /// Returns the byte span in [`Error::input`].
    pub fn span(&self) -> Span {
        self.span
    }

    /// Returns the text the span points into.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// Returns the Batch error code a service sends for this error.
    pub fn code(&self) -> &'static str {
        match self.kind {
            ErrorKind::ParameterMissing => "MissingRequiredQueryParameter",
            ErrorKind::ValueOutOfRange { .. } => "OutOfRangeQueryParameterValue",
            ErrorKind::OperationUnsupported { .. } => "UnsupportedRequestVersion",
            ErrorKind::TaskNotFound { .. } => "TaskNotFound",
            ErrorKind::OperationTimedOut { .. } => "OperationTimedOut",
            ErrorKind::StoreFull { .. } => "InternalError",
            ErrorKind::TaskInvalid { .. }
            | ErrorKind::TaskIdDuplicate { .. }
            | ErrorKind::TaskReadFailed { .. } => "InvalidRequestBody",
            _ => "InvalidQueryParameterValue",
        }
    }

    /// Returns the service's message for [`Error::code`], a full sentence.
    pub fn code_message(&self) -> &'static str {
        match self.code() {
            "MissingRequiredQueryParameter" => {
                "A query parameter that's mandatory for this request is not specified."
            }
            "OutOfRangeQueryParameterValue" => {
                "One of the query parameters specified in the request URI is outside the \
                 permissible range."
            }
            "UnsupportedRequestVersion" => "The specified request version is not supported.",
            "TaskNotFound" => "The specified task does not exist.",
            "OperationTimedOut" => {
                "The operation could not be completed within the permitted time."
            }
            "InternalError" => {
                "The server encountered an internal error. Please retry the request."
            }
            "InvalidRequestBody" => "The specified request body is not valid.",
            _ => "Value for one of the query parameters specified in the request URI is invalid.",
        }
    }

    /// Renders the message, then the line of the input that contains the span with a caret
    /// line under the span.
    ///
    /// ```
    /// use batch_odata::error::{Error, ErrorKind, Parameter};
    /// use batch_odata::span::Span;
    ///
    /// let error = Error::new(ErrorKind::StringUnterminated, Parameter::Filter, Span::new(9, 13), "state eq 'act");
    /// assert_eq!(error.render(), "$filter: string literal has no closing quote\n  state eq 'act\n           ^^^^\n");
    /// ```
    pub fn render(&self) -> String {
        let mut out = format!("{}: {}\n", self.parameter.name(), self);
        if self.input.is_empty() && self.span.is_empty() {
            return out;
        }

        // Draw the line that contains the span start. A span running past it is cut at its end.
        let start = floor_char_boundary(&self.input, self.span.start.min(self.input.len()));
        let line_start = self.input[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.input[start..]
            .find('\n')
            .map_or(self.input.len(), |i| start + i);
        let end = floor_char_boundary(&self.input, self.span.end.clamp(start, line_end));
        let line = printable(&self.input[line_start..line_end]);
        let pad = printable(&self.input[line_start..start]).width();
        let carets = printable(&self.input[start..end]).width().max(1);
        out.push_str(&format!(
            "  {line}\n  {}{}\n",
            " ".repeat(pad),
            "^".repeat(carets)
        ));
        out
    }
}

/// Returns `text` safe to print on a terminal: a tab becomes a space and any other control
/// character U+FFFD, so the input cannot move the cursor or change colours, and the caret
/// line's width stays in step with the text above it.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// Returns the largest char boundary of `text` at or before `index`.
fn floor_char_boundary(text: &str, index: usize) -> usize {
    (0..=index.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)
    }
}

impl std::error::Error for Error {}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::ParameterMissing => write!(f, "required query parameter is missing"),
            ErrorKind::ApiVersionMalformed => {
                write!(f, "api-version is not of the form YYYY-MM-DD.major.minor")
            }
            ErrorKind::ApiVersionUnknown { before, after } => {
                write!(f, "unknown api-version")?;
                match (before, after) {
                    (Some(b), Some(a)) => write!(f, "; the nearest published ones are {b} and {a}"),
                    (Some(b), None) => write!(f, "; the newest published one is {b}"),
                    (None, Some(a)) => write!(f, "; the oldest published one is {a}"),
                    (None, None) => Ok(()),
                }
            }
            ErrorKind::OperationUnsupported { operation, since } => {
                write!(f, "{operation} is not supported before api-version {since}")
            }
            ErrorKind::CharacterUnexpected => write!(f, "unexpected character"),
            ErrorKind::StringUnterminated => write!(f, "string literal has no closing quote"),
            ErrorKind::IntegerOverflow => write!(f, "integer literal is out of the 64-bit range"),
            ErrorKind::NumberInvalid => write!(f, "invalid number literal"),
            ErrorKind::PropertyPathInvalid => write!(
                f,
                "invalid property path; join names with a single '/', as in executionInfo/exitCode"
            ),
            ErrorKind::DurationInvalid { reason } => {
                write!(f, "invalid ISO 8601 duration: {reason}")
            }
            ErrorKind::DateTimeInvalid { reason } => {
                write!(f, "invalid DateTime literal: {reason}")
            }
            ErrorKind::FilterEmpty => write!(f, "filter is empty"),
            ErrorKind::TokenUnexpected { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
            ErrorKind::ParenthesisUnclosed => write!(f, "parenthesis is not closed"),
            ErrorKind::ParenthesisUnopened => {
                write!(f, "closing parenthesis has no opening one")
            }
            ErrorKind::KeywordCase { expected } => {
                write!(f, "keywords are case-sensitive; write '{expected}'")
            }
            ErrorKind::FunctionUnknown { name } => write!(
                f,
                "unknown function '{name}'; supported: startswith, endswith, contains"
            ),
            ErrorKind::FunctionArity {
                name,
                expected,
                found,
            } => {
                write!(f, "{name} takes {expected} arguments, found {found}")
            }
            ErrorKind::InputTooLong { max } => write!(f, "input is longer than {max} bytes"),
            ErrorKind::NestingTooDeep { max } => {
                write!(
                    f,
                    "parentheses and 'not' are nested deeper than {max} levels"
                )
            }
            ErrorKind::TermsTooMany { max } => write!(f, "filter has more than {max} terms"),
            ErrorKind::InListTooLong { max } => write!(f, "'in' list has more than {max} values"),
            ErrorKind::SelectTooLong { max } => write!(f, "$select names more than {max} items"),
            ErrorKind::PropertyUnknown { suggestion } => {
                write!(f, "unknown property")?;
                match suggestion {
                    Some(name) => write!(f, "; did you mean '{name}'?"),
                    None => Ok(()),
                }
            }
            ErrorKind::PropertyNotYetAdded { since } => {
                write!(f, "property does not exist before api-version {since}")
            }
            ErrorKind::PropertyRemoved { until, replacement } => {
                write!(f, "property was removed after api-version {until}")?;
                match replacement {
                    Some(name) => write!(f, "; use '{name}'"),
                    None => Ok(()),
                }
            }
            ErrorKind::PropertyNotFilterable { since } => {
                write!(f, "property is filterable only from api-version {since}")
            }
            ErrorKind::PropertyNotDocumented { documented } => write!(
                f,
                "property is not filterable in strict mode; documented: {}",
                documented.join(", ")
            ),
            ErrorKind::PropertyNotScalar => {
                write!(
                    f,
                    "property is an object or collection; filter on a property inside it"
                )
            }
            ErrorKind::OperatorNotAllowed { operator, allowed } => {
                write!(f, "operator '{operator}' is not allowed on this property")?;
                if allowed.is_empty() {
                    Ok(())
                } else {
                    write!(f, "; allowed: {}", allowed.join(", "))
                }
            }
            ErrorKind::TypeMismatch {
                expected,
                found,
                hint,
            } => {
                write!(f, "expected {expected}, found {found}")?;
                match hint {
                    Some(hint) => write!(f, "; did you mean {hint}?"),
                    None => Ok(()),
                }
            }
            ErrorKind::EnumValueUnknown { valid } => {
                write!(f, "unknown value; valid values: {}", valid.join(", "))
            }
            ErrorKind::SyntaxNotAllowed { hint } => {
                write!(f, "not accepted in strict mode; {hint}")
            }
            ErrorKind::SelectPropertyUnknown { suggestion } => {
                write!(f, "unknown property")?;
                match suggestion {
                    Some(name) => write!(f, "; did you mean '{name}'?"),
                    None => Ok(()),
                }
            }
            ErrorKind::SelectItemEmpty => write!(f, "empty item in list"),
            ErrorKind::ExpandUnsupported => write!(f, "only 'stats' can be expanded"),
            ErrorKind::ValueOutOfRange { min, max } => {
                write!(f, "value is out of range; allowed: {min} to {max}")
            }
            ErrorKind::IntegerInvalid => write!(f, "value is not an integer"),
            ErrorKind::SkipTokenInvalid => {
                write!(
                    f,
                    "invalid $skiptoken; use the odata.nextLink of the previous page"
                )
            }
            ErrorKind::ParameterDuplicate => write!(f, "parameter is given more than once"),
            ErrorKind::ParameterConflict => {
                write!(
                    f,
                    "parameter is given both as a flag and in the query string"
                )
            }
            ErrorKind::PercentEncodingInvalid => {
                write!(
                    f,
                    "invalid percent-encoding; '%' must be followed by two hex digits"
                )
            }
            ErrorKind::Utf8Invalid => write!(f, "value is not valid UTF-8 after percent-decoding"),
            ErrorKind::TaskInvalid {
                line,
                field,
                reason,
            } => {
                // Line 0 marks a problem outside any one task, such as a body without `value`.
                match line {
                    0 => write!(f, "invalid task data")?,
                    line => write!(f, "invalid task on line {line}")?,
                }
                if let Some(field) = field {
                    write!(f, ", field '{field}'")?;
                }
                write!(f, ": {reason}")
            }
            ErrorKind::TaskIdDuplicate { line: 0, id } => {
                write!(f, "duplicate task id '{id}'; ids are unique ignoring case")
            }
            ErrorKind::TaskIdDuplicate { line, id } => {
                write!(
                    f,
                    "duplicate task id '{id}' on line {line}; ids are unique ignoring case"
                )
            }
            ErrorKind::TaskReadFailed { line, reason } => {
                write!(f, "failed to read tasks at line {line}: {reason}")
            }
            ErrorKind::StoreFull { max } => {
                write!(f, "the store is full; it holds at most {max} tasks")
            }
            ErrorKind::TaskNotFound { id } => write!(f, "task '{id}' not found"),
            ErrorKind::OperationTimedOut { seconds } => write!(
                f,
                "the page was not evaluated within the timeout of {seconds} s; \
                 narrow the filter with indexed properties such as state or id"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_points_at_span_on_its_line() {
        let error = Error::new(
            ErrorKind::CharacterUnexpected,
            Parameter::Filter,
            Span::new(14, 15),
            "id eq 'a'\nand # x",
        );
        assert_eq!(
            error.render(),
            "$filter: unexpected character\n  and # x\n      ^\n"
        );
    }

    #[test]
    fn render_counts_chars_not_bytes() {
        let error = Error::new(
            ErrorKind::CharacterUnexpected,
            Parameter::Filter,
            Span::new(5, 6),
            "'ü' ! x",
        );
        assert_eq!(
            error.render(),
            "$filter: unexpected character\n  'ü' ! x\n      ^\n"
        );
    }

    #[test]
    fn render_aligns_wide_chars_and_tabs() {
        let input = "displayName eq '日本'\tAND x";
        let start = input.find("AND").expect("the test input has AND");
        let error = Error::new(
            ErrorKind::CharacterUnexpected,
            Parameter::Filter,
            Span::new(start, start + 3),
            input,
        );
        let rendered = error.render();
        let lines: Vec<&str> = rendered.lines().collect();
        assert_eq!(lines[1], "  displayName eq '日本' AND x");
        assert_eq!(lines[2], "                        ^^^");
    }

    #[test]
    fn render_replaces_control_chars() {
        let input = "id eq '\u{1b}[31m' x";
        let error = Error::new(
            ErrorKind::CharacterUnexpected,
            Parameter::Filter,
            Span::new(13, 14),
            input,
        );
        let rendered = error.render();
        assert!(!rendered.contains('\u{1b}'));
        assert!(rendered.contains("'\u{fffd}[31m' x"));
        assert!(rendered.ends_with("              ^\n"));
    }

    #[test]
    fn render_marks_end_of_input() {
        let error = Error::new(
            ErrorKind::ParenthesisUnclosed,
            Parameter::Filter,
            Span::at(3),
            "(id",
        );
        assert_eq!(
            error.render(),
            "$filter: parenthesis is not closed\n  (id\n     ^\n"
        );
    }

    #[test]
    fn render_survives_spans_off_char_boundaries() {
        let error = Error::new(
            ErrorKind::CharacterUnexpected,
            Parameter::Filter,
            Span::new(2, 99),
            "ßß",
        );
        assert!(error.render().contains('^'));
    }
}
