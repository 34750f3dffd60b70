//! Snapshots of the PostgreSQL queries that filters compile to: every filter form of the
//! grammar and the semantic fixture cases, each with its parameters.

use batch_odata::bind::Mode;
use batch_odata::filter::{Filter, Options};
use batch_odata::sql::{count_query, page_query};
use batch_odata::version::ApiVersion;
use serde_json::Value;

/// One filter per form: each operator on each kind of column, the functions, `in`, null,
/// `not` over each kind of predicate, constants, and predicates that match nothing.
const FORMS: &[&str] = &[
    "state eq 'Active'",
    "state ne 'completed'",
    "state lt 'running'",
    "executionInfo/result eq null",
    "executionInfo/result ne null",
    "id eq 'Task-1'",
    "id ne 'Task-1'",
    "id gt 'task-5' and id le 'TASK-9'",
    "startswith(id, 'Task-')",
    "startswith(id, '')",
    "endswith(id, '_1%')",
    "contains(commandLine, 'C:\\dir')",
    "not startswith(displayName, 'x')",
    "id in ('a', 'B', 'a')",
    "executionInfo/exitCode eq 0",
    "executionInfo/exitCode ne 0",
    "executionInfo/exitCode gt 1 and executionInfo/exitCode le 9",
    "executionInfo/exitCode lt 2.5",
    "executionInfo/exitCode eq 2.5",
    "executionInfo/exitCode ge -1e300",
    "executionInfo/exitCode in (1, 2, 3, null)",
    "not (executionInfo/exitCode lt 0)",
    "not (executionInfo/exitCode in (1, 2))",
    "executionInfo/exitCode eq 'one'",
    "executionInfo/exitCode ne 'one'",
    "stats/readIOGiB gt 1.5",
    "stats/readIOps ge 9007199254740993",
    "runElevated eq true",
    "runElevated ne true",
    "creationTime ge 2018-12-01T00:00:00.1234567Z",
    "creationTime lt DateTime'2018-12-01T02:00:00+02:00'",
    "constraints/maxWallClockTime gt duration'PT1H'",
    "executionInfo eq null",
    "resourceFiles/filePath eq 'x'",
    "true",
    "false",
    "not (state eq 'active' or executionInfo/exitCode gt 0)",
    "(state eq 'active') eq false",
];

fn render(filter: &str, version: ApiVersion, mode: Mode) -> String {
    match Filter::compile(filter, &Options::new(version).mode(mode)) {
        Ok(compiled) => {
            let page = page_query("job-1", compiled.plan(), Some("task-7"), 100);
            let count = count_query("job-1", compiled.plan());
            format!("$filter={filter}\n{page}{count}\n")
        }
        Err(error) => format!("$filter={filter}\nerror: {error}\n\n"),
    }
}

#[test]
fn filter_forms_compile_to_sql() {
    let text: String = FORMS
        .iter()
        .map(|filter| render(filter, ApiVersion::LATEST, Mode::Extended))
        .collect();
    insta::assert_snapshot!(text);
}

#[test]
fn semantic_cases_compile_to_sql() {
    let cases: Value = serde_json::from_str(
        &std::fs::read_to_string("fixtures/cases/semantics.json").expect("the cases file"),
    )
    .expect("JSON");
    let text: String = cases["cases"]
        .as_array()
        .expect("a cases array")
        .iter()
        .filter(|case| case.get("ids").is_some())
        .map(|case| {
            let version = case["api_version"]
                .as_str()
                .map_or(ApiVersion::LATEST, |v| {
                    ApiVersion::parse(v).expect("a known version")
                });
            let mode = match case["mode"].as_str() {
                Some("strict") => Mode::Strict,
                _ => Mode::Extended,
            };
            render(case["filter"].as_str().expect("a filter"), version, mode)
        })
        .collect();
    insta::assert_snapshot!(text);
}
