//! The conformance corpus in `fixtures/conformance/filters.json`: filter forms from the
//! OData ABNF and the Batch documentation, each with its expected verdict.
//!
//! An entry gives its input in one of three forms. `filter` is the `$filter` text as the
//! library receives it, `query` the still percent-encoded `$filter` value of a query
//! string, and `raw_query` a whole query string. It is compiled in `mode` (`strict` or
//! `extended`, by default extended) for `api_version` (by default the latest). `expect` is
//! `valid`, or the name of the expected [`ErrorKind`] variant, with `span` the expected
//! byte range, `at` the text under it, and `error_input` the text the span points into
//! when that is not the input as given. A valid filter must also select exactly the
//! tasks that the reference evaluator selects from a small job.

use std::fs;
use std::path::Path;

use batch_odata::bind::Mode;
use batch_odata::error::Error;
use batch_odata::exec::reference;
use batch_odata::filter::{Filter, Options};
use batch_odata::query::ListParams;
use batch_odata::store::Store;
use batch_odata::version::ApiVersion;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct Entry {
    note: String,
    filter: Option<String>,
    query: Option<String>,
    raw_query: Option<String>,
    mode: Option<String>,
    api_version: Option<String>,
    expect: String,
    span: Option<[usize; 2]>,
    at: Option<String>,
    error_input: Option<String>,
}

impl Entry {
    fn version(&self) -> ApiVersion {
        match &self.api_version {
            Some(text) => {
                ApiVersion::parse(text).unwrap_or_else(|_| panic!("{}: bad api_version", self.note))
            }
            None => ApiVersion::LATEST,
        }
    }

    fn mode(&self) -> Mode {
        match self.mode.as_deref() {
            None | Some("extended") => Mode::Extended,
            Some("strict") => Mode::Strict,
            Some(other) => panic!("{}: unknown mode {other}", self.note),
        }
    }

    /// Compiles the entry's filter, decoding it from a query string first if it is one.
    fn compile(&self) -> Result<Filter, Error> {
        let options = Options::new(self.version()).mode(self.mode());
        if let Some(filter) = &self.filter {
            return Filter::compile(filter, &options);
        }
        let raw = match (&self.query, &self.raw_query) {
            (Some(query), None) => format!("api-version={}&$filter={query}", self.version()),
            (None, Some(raw)) => raw.clone(),
            _ => panic!("{}: give one of filter, query or raw_query", self.note),
        };
        let params = ListParams::from_query(&raw)?;
        let filter = params.filter.as_deref().expect("the entry has a $filter");
        Filter::compile(filter, &options)
    }

    /// Returns the text that an expected error's span points into.
    fn error_input(&self) -> &str {
        let inputs = [&self.error_input, &self.filter, &self.raw_query];
        let input = inputs.into_iter().find_map(Option::as_deref);
        input.unwrap_or_else(|| panic!("{}: error_input is needed", self.note))
    }
}

/// Returns the variant name of an error kind, such as `TokenUnexpected`.
fn kind_name(error: &Error) -> String {
    let debug = format!("{:?}", error.kind());
    debug
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

fn load_entries() -> Vec<Entry> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/conformance/filters.json");
    let text = fs::read_to_string(&path).expect("the conformance corpus is readable");
    serde_json::from_str(&text).expect("the conformance corpus is valid")
}

/// Returns a small job whose tasks differ in every property the corpus filters on.
fn job() -> Vec<Value> {
    vec![
        json!({"id": "task-1", "state": "active", "creationTime": "2011-05-08T08:00:00Z",
               "commandLine": "render frame 1"}),
        json!({"id": "renderTask-2", "state": "running", "creationTime": "2018-12-01T00:00:00Z",
               "executionInfo": {"startTime": "2018-12-01T01:00:00Z", "retryCount": 3}}),
        json!({"id": "Müller", "state": "completed", "lastModified": "2018-11-30T00:00:00Z",
               "executionInfo": {"exitCode": 0, "result": "success", "retryCount": 0,
                                 "startTime": "2018-12-01T00:00:00Z",
                                 "endTime": "2018-12-01T12:00:00Z"}}),
        json!({"id": "it's", "state": "completed", "constraints": {"maxWallClockTime": "PT2H"},
               "executionInfo": {"exitCode": -2147483648, "result": "failure"}}),
        json!({"id": "ßa-1", "state": "completed", "stateTransitionTime": "2018-03-13T07:19:21Z",
               "executionInfo": {"exitCode": 2147483647, "result": "Failure"}}),
        json!({"id": "😀-task", "state": "preparing"}),
    ]
}

/// Checks that the store and the reference evaluator select the same tasks.
fn check_semantics(entry: &Entry, filter: &Filter, job: &[Value], store: &Store) {
    let plan = filter.plan();
    let expected = job
        .iter()
        .filter(|task| reference::matches(plan, task))
        .count() as u64;
    assert_eq!(store.count(plan), expected, "{}", entry.note);
    assert_eq!(store.evaluate(plan).len(), expected, "{}", entry.note);
}

#[test]
fn conformance_corpus_verdicts() {
    let entries = load_entries();
    assert!(entries.len() >= 150, "{} entries", entries.len());
    let job = job();
    let lines: Vec<String> = job.iter().map(Value::to_string).collect();
    let store = Store::load(&lines.join("\n")).expect("the job loads");

    let mut failures = Vec::new();
    for entry in &entries {
        let outcome = entry.compile();
        let failure = match (entry.expect.as_str(), outcome) {
            ("valid", Ok(filter)) => {
                check_semantics(entry, &filter, &job, &store);
                None
            }
            ("valid", Err(error)) => Some(format!("expected valid, got {}", error.render())),
            (_, Ok(filter)) => Some(format!("expected an error, compiled to {}", filter.plan())),
            (expected, Err(error)) => check_error(entry, expected, &error),
        };
        if let Some(failure) = failure {
            failures.push(format!("{}: {failure}", entry.note));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Compares an error with the entry's expected kind, span and text.
fn check_error(entry: &Entry, expected: &str, error: &Error) -> Option<String> {
    let kind = kind_name(error);
    let span = error.span();
    let [start, end] = entry.span.expect("an error entry has a span");
    let at = entry.at.as_deref().expect("an error entry has at");
    let actual = (kind.as_str(), error.input(), [span.start, span.end]);
    let expected_parts = (expected, entry.error_input(), [start, end]);
    if actual != expected_parts || error.input().get(start..end) != Some(at) {
        return Some(format!(
            "expected {expected_parts:?}, got {actual:?}\n{}",
            error.render()
        ));
    }
    None
}
