//! Typed request parameters of List Tasks and Get Task Counts.

use super::decode::decode_query;
use super::skiptoken::SkipToken;
use crate::error::{Error, ErrorKind, Parameter};
use crate::span::Span;
use crate::version::{ApiVersion, VersionError};

/// The default and the maximum of `maxresults`, the number of tasks in one page.
const MAX_RESULTS: u32 = 1000;

/// The `timeout` in seconds that the service uses in place of any larger value.
const TIMEOUT_MAX_SECONDS: u32 = 30;

/// The largest `timeout` accepted before it is replaced, the maximum of the int32 the
/// service declares for it.
const TIMEOUT_LIMIT: u32 = i32::MAX.unsigned_abs();

/// The parameters that List Tasks reads. Any other name is ignored.
const LIST_PARAMETERS: [Parameter; 7] = [
    Parameter::ApiVersion,
    Parameter::Filter,
    Parameter::Select,
    Parameter::Expand,
    Parameter::MaxResults,
    Parameter::Timeout,
    Parameter::SkipToken,
];

/// The parameters that Get Task Counts reads. Any other name is ignored.
const COUNTS_PARAMETERS: [Parameter; 2] = [Parameter::ApiVersion, Parameter::Timeout];

/// Limits on parameter values that keep a single request's work bounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamLimits {
    /// Maximum number of items in `$select`.
    pub max_select_items: usize,
}

impl Default for ParamLimits {
    /// Allows 100 `$select` items. CloudTask has at most 26 top-level properties in any
    /// api-version, so only a list with repeats or unknown names reaches the limit.
    fn default() -> Self {
        ParamLimits {
            max_select_items: 100,
        }
    }
}

/// One property name in `$select`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectItem {
    /// The name as written, without the spaces around it. Names are case-sensitive.
    pub name: String,
    /// The span of the name in the decoded `$select` value.
    pub span: Span,
}

/// The checked query parameters of a List Tasks request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListParams {
    /// The `api-version`.
    pub api_version: ApiVersion,
    /// The `$filter` text, not yet parsed. An empty value is kept as `Some("")`.
    pub filter: Option<String>,
    /// The `$select` items, or `None` to return every property.
    pub select: Option<Vec<SelectItem>>,
    /// Whether `$expand` requests `stats`.
    pub expand_stats: bool,
    /// The maximum number of tasks in one page, from `maxresults`, 1000 by default.
    pub max_results: u32,
    /// The `timeout` in seconds, with values above 30 replaced by 30, or `None` when absent.
    pub timeout: Option<u32>,
    /// The position to resume from, from `$skiptoken`.
    pub skip_token: Option<SkipToken>,
    /// Every decoded parameter except `$skiptoken`, in request order and including the
    /// unknown ones, for building `odata.nextLink`.
    pub original: Vec<(String, String)>,
}

impl ListParams {
    /// Decodes a raw query string and checks its parameters with the default limits.
    ///
    /// ```
    /// use batch_odata::query::ListParams;
    /// use batch_odata::version::ApiVersion;
    ///
    /// let params =
    ///     ListParams::from_query("api-version=2018-08-01.7.0&maxresults=50&$expand=stats")
    ///         .unwrap();
    /// assert_eq!(params.api_version, ApiVersion::V2018_08_01_7_0);
    /// assert_eq!(params.max_results, 50);
    /// assert!(params.expand_stats);
    /// ```
    ///
    /// # Errors
    ///
    /// Returns the errors of [`decode_query`] and of [`ListParams::from_pairs_with`].
    pub fn from_query(raw: &str) -> Result<ListParams, Error> {
        ListParams::from_query_with(raw, &ParamLimits::default())
    }

    /// Decodes a raw query string and checks its parameters with the given limits.
    ///
    /// # Errors
    ///
    /// Returns the errors of [`decode_query`] and of [`ListParams::from_pairs_with`].
    pub fn from_query_with(raw: &str, limits: &ParamLimits) -> Result<ListParams, Error> {
        ListParams::from_pairs_with(&decoded_pairs(raw)?, limits)
    }

    /// Checks decoded `(name, value)` pairs with the default limits.
    ///
    /// # Errors
    ///
    /// Returns the errors of [`ListParams::from_pairs_with`].
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<ListParams, Error> {
        ListParams::from_pairs_with(pairs, &ParamLimits::default())
    }

    /// Checks decoded `(name, value)` pairs against the rules of List Tasks.
    ///
    /// Names are matched exactly, so `$Filter` is an unknown parameter. Unknown parameters
    /// are ignored, as the service ignores them, but kept in [`ListParams::original`].
    ///
    /// # Errors
    ///
    /// Each error is about one parameter and spans its decoded value. The first of these
    /// is returned:
    /// - [`ErrorKind::ParameterDuplicate`] for the second occurrence of a known parameter,
    /// - [`ErrorKind::ParameterMissing`], [`ErrorKind::ApiVersionMalformed`] or
    ///   [`ErrorKind::ApiVersionUnknown`] for `api-version`,
    /// - [`ErrorKind::SelectItemEmpty`] or [`ErrorKind::SelectTooLong`] for `$select`, where
    ///   an empty value counts as one empty item,
    /// - [`ErrorKind::SelectItemEmpty`] or [`ErrorKind::ExpandUnsupported`] for `$expand`,
    /// - [`ErrorKind::IntegerInvalid`] or [`ErrorKind::ValueOutOfRange`] for `maxresults`
    ///   (1 to 1000) and `timeout` (1 to 2147483647),
    /// - [`ErrorKind::SkipTokenInvalid`] for `$skiptoken`.
    pub fn from_pairs_with(
        pairs: &[(String, String)],
        limits: &ParamLimits,
    ) -> Result<ListParams, Error> {
        let known = Known::collect(pairs, &LIST_PARAMETERS)?;
        let api_version = parse_api_version(known.get(Parameter::ApiVersion))?;

        let select = known
            .get(Parameter::Select)
            .map(|value| parse_select(value, limits))
            .transpose()?;
        let expand_stats = match known.get(Parameter::Expand) {
            Some(value) => parse_expand(value)?,
            None => false,
        };
        let max_results = match known.get(Parameter::MaxResults) {
            Some(value) => parse_integer(Parameter::MaxResults, value, 1, MAX_RESULTS)?,
            None => MAX_RESULTS,
        };
        let timeout = known
            .get(Parameter::Timeout)
            .map(parse_timeout)
            .transpose()?;
        let skip_token = known
            .get(Parameter::SkipToken)
            .map(SkipToken::decode)
            .transpose()?;

        let original = pairs
            .iter()
            .filter(|(name, _)| name != Parameter::SkipToken.name())
            .cloned()
            .collect();
        Ok(ListParams {
            api_version,
            filter: known.get(Parameter::Filter).map(str::to_owned),
            select,
            expand_stats,
            max_results,
            timeout,
            skip_token,
            original,
        })
    }
}

/// The checked query parameters of a Get Task Counts request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountsParams {
    /// The `api-version`, one that has Get Task Counts.
    pub api_version: ApiVersion,
    /// The `timeout` in seconds, with values above 30 replaced by 30, or `None` when absent.
    pub timeout: Option<u32>,
}

impl CountsParams {
    /// Decodes a raw query string and checks its parameters.
    ///
    /// ```
    /// use batch_odata::query::CountsParams;
    ///
    /// let params = CountsParams::from_query("api-version=2018-12-01.8.0&timeout=90").unwrap();
    /// assert_eq!(params.timeout, Some(30));
    /// assert!(CountsParams::from_query("api-version=2017-05-01.5.0").is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// Returns the errors of [`decode_query`] and of [`CountsParams::from_pairs`].
    pub fn from_query(raw: &str) -> Result<CountsParams, Error> {
        CountsParams::from_pairs(&decoded_pairs(raw)?)
    }

    /// Checks decoded `(name, value)` pairs against the rules of Get Task Counts.
    ///
    /// Names are matched exactly and unknown parameters, `$filter` included, are ignored.
    ///
    /// # Errors
    ///
    /// Returns the `api-version` and `timeout` errors of [`ListParams::from_pairs_with`],
    /// and [`ErrorKind::OperationUnsupported`] when the api-version is older than
    /// 2017-06-01.5.1, the first one with Get Task Counts.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<CountsParams, Error> {
        let known = Known::collect(pairs, &COUNTS_PARAMETERS)?;
        let version_text = known.get(Parameter::ApiVersion);
        let api_version = parse_api_version(version_text)?;
        if !api_version.has_task_counts() {
            let kind = ErrorKind::OperationUnsupported {
                operation: "Get Task Counts",
                since: ApiVersion::V2017_06_01_5_1,
            };
            let text = version_text.unwrap_or_default();
            return Err(Error::whole(kind, Parameter::ApiVersion, text));
        }

        let timeout = known
            .get(Parameter::Timeout)
            .map(parse_timeout)
            .transpose()?;
        Ok(CountsParams {
            api_version,
            timeout,
        })
    }
}

/// Decodes a raw query string into owned `(name, value)` pairs.
fn decoded_pairs(raw: &str) -> Result<Vec<(String, String)>, Error> {
    let params = decode_query(raw)?;
    Ok(params
        .into_iter()
        .map(|param| (param.name, param.value))
        .collect())
}

/// The values of the parameters that an operation reads, at most one each.
struct Known<'a> {
    values: Vec<(Parameter, &'a str)>,
}

impl<'a> Known<'a> {
    /// Collects the pairs named by one of `parameters`, rejecting a name given twice.
    fn collect(pairs: &'a [(String, String)], parameters: &[Parameter]) -> Result<Self, Error> {
        let mut values: Vec<(Parameter, &str)> = Vec::new();
        for (name, value) in pairs {
            let Some(&parameter) = parameters.iter().find(|p| p.name() == name) else {
                continue;
            };
            if values.iter().any(|(seen, _)| *seen == parameter) {
                return Err(Error::whole(
                    ErrorKind::ParameterDuplicate,
                    parameter,
                    value,
                ));
            }
            values.push((parameter, value));
        }
        Ok(Known { values })
    }

    /// Returns the value of `parameter`, if it was given.
    fn get(&self, parameter: Parameter) -> Option<&'a str> {
        self.values
            .iter()
            .find(|(seen, _)| *seen == parameter)
            .map(|(_, value)| *value)
    }
}

/// Parses the `api-version` value, which every operation requires; `None` means the
/// parameter is absent.
///
/// # Errors
///
/// Returns [`ErrorKind::ParameterMissing`], [`ErrorKind::ApiVersionMalformed`] or
/// [`ErrorKind::ApiVersionUnknown`] about [`Parameter::ApiVersion`].
pub fn parse_api_version(text: Option<&str>) -> Result<ApiVersion, Error> {
    let Some(text) = text else {
        return Err(Error::new(
            ErrorKind::ParameterMissing,
            Parameter::ApiVersion,
            Span::at(0),
            "",
        ));
    };
    ApiVersion::parse(text).map_err(|error| {
        let kind = match error {
            VersionError::Malformed => ErrorKind::ApiVersionMalformed,
            VersionError::Unknown { before, after } => {
                ErrorKind::ApiVersionUnknown { before, after }
            }
        };
        Error::whole(kind, Parameter::ApiVersion, text)
    })
}

/// Parses a `$select` value: a comma list of property names with optional spaces around
/// each name.
fn parse_select(value: &str, limits: &ParamLimits) -> Result<Vec<SelectItem>, Error> {
    let mut items = Vec::new();
    for (start, item) in split_list(value) {
        let Some(span) = trimmed_span(start, item) else {
            let span = Span::new(start, start + item.len());
            return Err(Error::new(
                ErrorKind::SelectItemEmpty,
                Parameter::Select,
                span,
                value,
            ));
        };
        if items.len() == limits.max_select_items {
            let kind = ErrorKind::SelectTooLong {
                max: limits.max_select_items,
            };
            let rest = Span::new(span.start, value.len());
            return Err(Error::new(kind, Parameter::Select, rest, value));
        }
        items.push(SelectItem {
            name: value[span.range()].to_owned(),
            span,
        });
    }
    Ok(items)
}

/// Parses an `$expand` value and returns whether it requests `stats`, the only property the
/// service expands. An empty value expands nothing.
fn parse_expand(value: &str) -> Result<bool, Error> {
    if value.trim_ascii().is_empty() {
        return Ok(false);
    }
    for (start, item) in split_list(value) {
        let error = |kind, span| Error::new(kind, Parameter::Expand, span, value);
        let Some(span) = trimmed_span(start, item) else {
            let span = Span::new(start, start + item.len());
            return Err(error(ErrorKind::SelectItemEmpty, span));
        };
        if &value[span.range()] != "stats" {
            return Err(error(ErrorKind::ExpandUnsupported, span));
        }
    }
    Ok(true)
}

/// Splits a comma list into its items, each with its byte offset in `value`.
fn split_list(value: &str) -> impl Iterator<Item = (usize, &str)> {
    value.split(',').scan(0, |next_start, item| {
        let start = *next_start;
        *next_start += item.len() + 1;
        Some((start, item))
    })
}

/// Returns the span of `item`, which starts at `start`, without its surrounding ASCII white
/// space, or `None` when nothing else is left.
fn trimmed_span(start: usize, item: &str) -> Option<Span> {
    let trimmed = item.trim_ascii();
    if trimmed.is_empty() {
        return None;
    }
    let leading = item.len() - item.trim_ascii_start().len();
    Some(Span::new(start + leading, start + leading + trimmed.len()))
}

/// Parses a `timeout` value and replaces values above 30 seconds by 30, as the service does.
fn parse_timeout(text: &str) -> Result<u32, Error> {
    let seconds = parse_integer(Parameter::Timeout, text, 1, TIMEOUT_LIMIT)?;
    Ok(seconds.min(TIMEOUT_MAX_SECONDS))
}

/// Parses a decimal integer, an optional sign then ASCII digits, that must lie in
/// `min..=max`.
fn parse_integer(parameter: Parameter, text: &str, min: u32, max: u32) -> Result<u32, Error> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::whole(ErrorKind::IntegerInvalid, parameter, text));
    }

    // A digit string too long for i64 is still an integer, so it is out of range rather
    // than invalid.
    let out_of_range = || {
        let kind = ErrorKind::ValueOutOfRange {
            min: min.into(),
            max: max.into(),
        };
        Error::whole(kind, parameter, text)
    };
    let number: i64 = text.parse().map_err(|_| out_of_range())?;
    u32::try_from(number)
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(out_of_range)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERSION: &str = "api-version=2018-12-01.8.0";

    /// Parses `VERSION&extra` as List Tasks parameters.
    fn list(extra: &str) -> Result<ListParams, Error> {
        ListParams::from_query(&format!("{VERSION}&{extra}"))
    }

    /// Returns the error of parsing `VERSION&extra` as List Tasks parameters.
    fn list_error(extra: &str) -> Error {
        list(extra).unwrap_err()
    }

    /// Returns the kind, parameter, span and input of an error, to compare in one line.
    fn parts(error: &Error) -> (ErrorKind, Parameter, Span, &str) {
        (
            error.kind().clone(),
            error.parameter(),
            error.span(),
            error.input(),
        )
    }

    fn names(params: &ListParams) -> Vec<&str> {
        let items = params.select.as_deref().unwrap_or_default();
        items.iter().map(|item| item.name.as_str()).collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn list_defaults() {
        let params = ListParams::from_query(VERSION).unwrap();
        assert_eq!(params.api_version, ApiVersion::V2018_12_01_8_0);
        assert_eq!(params.filter, None);
        assert_eq!(params.select, None);
        assert!(!params.expand_stats);
        assert_eq!(params.max_results, 1000);
        assert_eq!(params.timeout, None);
        assert_eq!(params.skip_token, None);
        assert_eq!(params.original, pairs(&[("api-version", "2018-12-01.8.0")]));
    }

    #[test]
    fn list_reads_every_parameter() {
        let token = SkipToken::new("task-9");
        let raw = format!(
            "$filter=state%20eq%20'active'&{VERSION}&$select=id,state&$expand=stats\
             &maxresults=10&timeout=20&$skiptoken={}",
            token.encode()
        );
        let params = ListParams::from_query(&raw).unwrap();
        assert_eq!(params.filter.as_deref(), Some("state eq 'active'"));
        assert_eq!(names(&params), ["id", "state"]);
        assert!(params.expand_stats);
        assert_eq!(params.max_results, 10);
        assert_eq!(params.timeout, Some(20));
        assert_eq!(params.skip_token, Some(token));
    }

    #[test]
    fn list_keeps_original_order_without_skiptoken() {
        let token = SkipToken::new("a").encode();
        let raw = format!("x=1&$skiptoken={token}&{VERSION}&$Filter=y&x=2");
        let params = ListParams::from_query(&raw).unwrap();
        let expected = pairs(&[
            ("x", "1"),
            ("api-version", "2018-12-01.8.0"),
            ("$Filter", "y"),
            ("x", "2"),
        ]);
        assert_eq!(params.original, expected);
    }

    #[test]
    fn list_matches_names_exactly() {
        let params = list("$Filter=x&MaxResults=0&$SELECT=,").unwrap();
        assert_eq!(params.filter, None);
        assert_eq!(params.max_results, 1000);
        assert_eq!(params.select, None);
    }

    #[test]
    fn list_keeps_empty_filter() {
        assert_eq!(list("$filter=").unwrap().filter.as_deref(), Some(""));
    }

    #[test]
    fn list_from_pairs_matches_from_query() {
        let from_pairs = ListParams::from_pairs(&pairs(&[
            ("api-version", "2018-12-01.8.0"),
            ("$filter", "id eq 'a&b'"),
        ]));
        let from_query = list("$filter=id%20eq%20'a%26b'");
        assert_eq!(from_pairs, from_query);
    }

    #[test]
    fn list_rejects_duplicates() {
        let error = list_error("$filter=a&$filter=b");
        let expected = (
            ErrorKind::ParameterDuplicate,
            Parameter::Filter,
            Span::new(0, 1),
            "b",
        );
        assert_eq!(parts(&error), expected);

        let error = list_error("api-version=2018-12-01.8.0");
        assert_eq!(error.kind(), &ErrorKind::ParameterDuplicate);
        assert_eq!(error.parameter(), Parameter::ApiVersion);
    }

    #[test]
    fn list_allows_duplicate_unknown_parameters() {
        assert!(list("x=1&x=2").is_ok());
    }

    #[test]
    fn api_version_missing() {
        let error = ListParams::from_query("$filter=x").unwrap_err();
        let expected = (
            ErrorKind::ParameterMissing,
            Parameter::ApiVersion,
            Span::at(0),
            "",
        );
        assert_eq!(parts(&error), expected);
        assert_eq!(error.code(), "MissingRequiredQueryParameter");
    }

    #[test]
    fn api_version_malformed() {
        let error = ListParams::from_query("api-version=2018-12-01").unwrap_err();
        let expected = (
            ErrorKind::ApiVersionMalformed,
            Parameter::ApiVersion,
            Span::new(0, 10),
            "2018-12-01",
        );
        assert_eq!(parts(&error), expected);
    }

    #[test]
    fn api_version_unknown() {
        let error = ListParams::from_query("api-version=2018-10-01.7.5").unwrap_err();
        let kind = ErrorKind::ApiVersionUnknown {
            before: Some(ApiVersion::V2018_08_01_7_0),
            after: Some(ApiVersion::V2018_12_01_8_0),
        };
        assert_eq!(error.kind(), &kind);
        assert_eq!(error.span(), Span::new(0, 14));
    }

    #[test]
    fn select_allows_spaces_around_items() {
        let params = list("$select=id,%20state%20,+stats").unwrap();
        assert_eq!(names(&params), ["id", "state", "stats"]);
        let spans: Vec<Span> = params.select.unwrap().iter().map(|i| i.span).collect();
        assert_eq!(spans, [Span::new(0, 2), Span::new(4, 9), Span::new(12, 17)]);
    }

    #[test]
    fn select_keeps_case_and_repeats() {
        let params = list("$select=ID,id,id").unwrap();
        assert_eq!(names(&params), ["ID", "id", "id"]);
    }

    #[test]
    fn select_rejects_empty_items() {
        let cases = [
            ("id,,state", Span::at(3)),
            ("id,%20,state", Span::new(3, 4)),
            (",id", Span::at(0)),
            ("id,", Span::at(3)),
            ("", Span::at(0)),
        ];
        for (value, span) in cases {
            let error = list_error(&format!("$select={value}"));
            assert_eq!(error.kind(), &ErrorKind::SelectItemEmpty, "{value:?}");
            assert_eq!(error.parameter(), Parameter::Select, "{value:?}");
            assert_eq!(error.span(), span, "{value:?}");
        }
    }

    #[test]
    fn select_limits_item_count() {
        let limits = ParamLimits {
            max_select_items: 2,
        };
        let ok = ListParams::from_query_with(&format!("{VERSION}&$select=a,b"), &limits);
        assert!(ok.is_ok());

        let raw = format!("{VERSION}&$select=a,b,%20c,d");
        let error = ListParams::from_query_with(&raw, &limits).unwrap_err();
        let expected = (
            ErrorKind::SelectTooLong { max: 2 },
            Parameter::Select,
            Span::new(5, 8),
            "a,b, c,d",
        );
        assert_eq!(parts(&error), expected);
    }

    #[test]
    fn select_default_limit_is_100() {
        let items = vec!["id"; 100].join(",");
        assert!(list(&format!("$select={items}")).is_ok());
        let error = list_error(&format!("$select={items},id"));
        assert_eq!(error.kind(), &ErrorKind::SelectTooLong { max: 100 });
    }

    #[test]
    fn expand_accepts_stats_or_nothing() {
        assert!(list("$expand=stats").unwrap().expand_stats);
        assert!(list("$expand=%20stats%20,stats").unwrap().expand_stats);
        assert!(!list("$expand=").unwrap().expand_stats);
        assert!(!list("$expand=%20").unwrap().expand_stats);
    }

    #[test]
    fn expand_rejects_other_items() {
        let error = list_error("$expand=stats,%20files");
        let expected = (
            ErrorKind::ExpandUnsupported,
            Parameter::Expand,
            Span::new(7, 12),
            "stats, files",
        );
        assert_eq!(parts(&error), expected);
        assert_eq!(
            list_error("$expand=Stats").kind(),
            &ErrorKind::ExpandUnsupported
        );
    }

    #[test]
    fn expand_rejects_empty_items() {
        let error = list_error("$expand=stats,");
        let expected = (
            ErrorKind::SelectItemEmpty,
            Parameter::Expand,
            Span::at(6),
            "stats,",
        );
        assert_eq!(parts(&error), expected);
    }

    #[test]
    fn max_results_accepts_1_to_1000() {
        assert_eq!(list("maxresults=1").unwrap().max_results, 1);
        assert_eq!(list("maxresults=1000").unwrap().max_results, 1000);
        assert_eq!(list("maxresults=%2B7").unwrap().max_results, 7);
        assert_eq!(list("maxresults=007").unwrap().max_results, 7);
    }

    #[test]
    fn max_results_rejects_out_of_range() {
        let range = ErrorKind::ValueOutOfRange { min: 1, max: 1000 };
        for value in ["0", "1001", "-1", "-0", "99999999999999999999999"] {
            let error = list_error(&format!("maxresults={value}"));
            let expected = (range.clone(), Parameter::MaxResults, value);
            let found = (error.kind().clone(), error.parameter(), error.input());
            assert_eq!(found, expected);
        }
    }

    #[test]
    fn max_results_rejects_non_integers() {
        for value in [
            "", "ten", "1.5", "1e3", "%2B", "--1", "%201", "1%20", "0x10", "١",
        ] {
            let error = list_error(&format!("maxresults={value}"));
            assert_eq!(error.kind(), &ErrorKind::IntegerInvalid, "{value:?}");
            assert_eq!(error.parameter(), Parameter::MaxResults, "{value:?}");
        }
    }

    #[test]
    fn timeout_caps_at_30() {
        assert_eq!(list("timeout=1").unwrap().timeout, Some(1));
        assert_eq!(list("timeout=30").unwrap().timeout, Some(30));
        assert_eq!(list("timeout=31").unwrap().timeout, Some(30));
        assert_eq!(list("timeout=2147483647").unwrap().timeout, Some(30));
    }

    #[test]
    fn timeout_rejects_bad_values() {
        let range = ErrorKind::ValueOutOfRange {
            min: 1,
            max: 2_147_483_647,
        };
        assert_eq!(list_error("timeout=0").kind(), &range);
        assert_eq!(list_error("timeout=2147483648").kind(), &range);
        let error = list_error("timeout=30s");
        assert_eq!(error.kind(), &ErrorKind::IntegerInvalid);
        assert_eq!(error.parameter(), Parameter::Timeout);
    }

    #[test]
    fn skiptoken_rejects_foreign_text() {
        let error = list_error("$skiptoken=page-2");
        let expected = (
            ErrorKind::SkipTokenInvalid,
            Parameter::SkipToken,
            Span::new(0, 6),
            "page-2",
        );
        assert_eq!(parts(&error), expected);
    }

    #[test]
    fn list_checks_api_version_before_other_values() {
        let error = ListParams::from_query("maxresults=0").unwrap_err();
        assert_eq!(error.kind(), &ErrorKind::ParameterMissing);
    }

    #[test]
    fn list_passes_decode_errors_through() {
        let error = ListParams::from_query("api-version=%zz").unwrap_err();
        assert_eq!(error.kind(), &ErrorKind::PercentEncodingInvalid);
        assert_eq!(error.parameter(), Parameter::QueryString);
    }

    #[test]
    fn counts_reads_version_and_timeout() {
        let params = CountsParams::from_query("api-version=2017-06-01.5.1&timeout=5").unwrap();
        assert_eq!(params.api_version, ApiVersion::V2017_06_01_5_1);
        assert_eq!(params.timeout, Some(5));
    }

    #[test]
    fn counts_ignores_list_parameters() {
        let raw = format!("{VERSION}&$filter=a&$filter=b&maxresults=0&$skiptoken=x");
        let params = CountsParams::from_query(&raw).unwrap();
        assert_eq!(params.timeout, None);
    }

    #[test]
    fn counts_rejects_versions_without_the_operation() {
        let error = CountsParams::from_query("api-version=2017-05-01.5.0").unwrap_err();
        let kind = ErrorKind::OperationUnsupported {
            operation: "Get Task Counts",
            since: ApiVersion::V2017_06_01_5_1,
        };
        assert_eq!(error.kind(), &kind);
        assert_eq!(error.parameter(), Parameter::ApiVersion);
        assert_eq!(error.input(), "2017-05-01.5.0");
    }

    #[test]
    fn counts_rejects_bad_values() {
        let missing = CountsParams::from_query("timeout=5").unwrap_err();
        assert_eq!(missing.kind(), &ErrorKind::ParameterMissing);
        let duplicate = CountsParams::from_query(&format!("{VERSION}&timeout=5&timeout=6"));
        assert_eq!(
            duplicate.unwrap_err().kind(),
            &ErrorKind::ParameterDuplicate
        );
        let invalid = CountsParams::from_query(&format!("{VERSION}&timeout=x")).unwrap_err();
        assert_eq!(invalid.kind(), &ErrorKind::IntegerInvalid);
    }

    #[test]
    fn param_errors_render() {
        let queries = [
            "$filter=x",
            "api-version=2018-12-01",
            "api-version=2019-01-01.9.0",
            "api-version=2018-12-01.8.0&$select=id,%20,state",
            "api-version=2018-12-01.8.0&$expand=stats,files",
            "api-version=2018-12-01.8.0&maxresults=5000",
            "api-version=2018-12-01.8.0&timeout=soon",
            "api-version=2018-12-01.8.0&$filter=a&$filter=b",
            "api-version=2018-12-01.8.0&$skiptoken=AQB0YXNr",
        ];
        let rendered: String = queries
            .into_iter()
            .map(|raw| ListParams::from_query(raw).unwrap_err().render())
            .collect();
        insta::assert_snapshot!(rendered);
    }

    #[test]
    fn counts_error_renders() {
        let error = CountsParams::from_query("api-version=2016-07-01.3.1").unwrap_err();
        insta::assert_snapshot!(error.render());
    }
}
