//! The `batch-odata` command's contract: arguments, output streams and exit codes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const SEMANTICS: &str = "fixtures/tasks/semantics.ndjson";
const EXAMPLES: &str = "fixtures/tasks/examples.ndjson";

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_batch-odata"))
        .args(args)
        .output()
        .expect("the batch-odata binary runs")
}

fn run_with_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_batch-odata"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the batch-odata binary starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("writing stdin");
    child
        .wait_with_output()
        .expect("the batch-odata binary finishes")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).expect("stdout is JSON")
}

fn ids(body: &Value) -> Vec<String> {
    body["value"]
        .as_array()
        .expect("a value array")
        .iter()
        .map(|task| task["id"].as_str().expect("a string id").to_owned())
        .collect()
}

#[test]
fn check_accepts_valid_filter() {
    let output = run(&[
        "check",
        "--filter",
        "state eq 'Active' and executionInfo/exitCode ne 0",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("valid\n"));
    assert!(stdout(&output).contains("plan: state eq 'active' and executionInfo/exitCode ne 0"));
}

#[test]
fn check_renders_caret_under_error() {
    let output = run(&["check", "--filter", "state EQ 'active'"]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stderr(&output), @r"
    $filter: keywords are case-sensitive; write 'eq'
      state EQ 'active'
            ^^
    ");
}

#[test]
fn check_json_prints_batch_error_body() {
    let output = run(&[
        "check",
        "--format",
        "json",
        "--filter",
        "state eq 'deleted'",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let body = json(&output);
    assert_eq!(body["code"], "InvalidQueryParameterValue");
    assert_eq!(body["message"]["lang"], "en-US");
    let message = body["message"]["value"].as_str().expect("a message");
    assert!(message.contains("\nRequestId:"), "{message}");
    assert!(message.contains("\nTime:"), "{message}");
    let values = body["values"].as_array().expect("values");
    assert!(values.contains(&serde_json::json!({"key": "QueryParameterName", "value": "$filter"})));
    assert!(values.contains(&serde_json::json!({"key": "Span", "value": "9..18"})));
}

#[test]
fn check_strict_mode_follows_version() {
    let filter = "executionInfo/result eq 'failure'";
    let old = run(&[
        "check",
        "--strict",
        "--api-version",
        "2018-03-01.6.1",
        "--filter",
        filter,
    ]);
    assert_eq!(old.status.code(), Some(1));
    assert!(stderr(&old).contains("filterable only from api-version 2018-08-01.7.0"));
    let new = run(&[
        "check",
        "--strict",
        "--api-version",
        "2018-08-01.7.0",
        "--filter",
        filter,
    ]);
    assert_eq!(new.status.code(), Some(0), "{}", stderr(&new));
}

#[test]
fn check_rejects_bad_api_versions() {
    let malformed = run(&[
        "check",
        "--api-version",
        "2018-12-01",
        "--filter",
        "id eq 'a'",
    ]);
    assert_eq!(malformed.status.code(), Some(1));
    let unknown = run(&[
        "check",
        "--api-version",
        "2018-10-01.7.5",
        "--filter",
        "id eq 'a'",
    ]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("2018-08-01.7.0 and 2018-12-01.8.0"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn check_decodes_raw_query() {
    let query =
        "api-version=2018-12-01.8.0&$filter=displayName%20eq%20'a%26b'%20and%20id%20eq%20'x'";
    let output = run(&["check", "--query", query]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("displayName eq 'a&b'"));
}

#[test]
fn check_explains_plus_in_offset() {
    let query = "$filter=creationTime gt DateTime'2018-01-01T00:00:00+03:00'";
    let output = run(&["check", "--query", query]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("%2B"), "{}", stderr(&output));
    let encoded = "$filter=creationTime gt DateTime'2018-01-01T00:00:00%2B03:00'";
    assert_eq!(run(&["check", "--query", encoded]).status.code(), Some(0));
}

#[test]
fn flag_and_query_conflict_is_usage_error() {
    let output = run(&[
        "check",
        "--query",
        "$filter=id eq 'a'",
        "--filter",
        "id eq 'b'",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("$filter"));
}

#[test]
fn unknown_flag_is_usage_error() {
    assert_eq!(run(&["check", "--nope"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn list_pages_in_id_order() {
    let mut args = vec![
        "list",
        "--tasks",
        SEMANTICS,
        "--select",
        "id, state",
        "--maxresults",
        "4",
    ];
    let first = run(&args);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let body = json(&first);
    assert_eq!(ids(&body), ["alpha'quote", "Müller-5", "task-1", "task-10"]);
    assert_eq!(
        body["value"][0],
        serde_json::json!({"id": "alpha'quote", "state": "active"})
    );
    assert!(
        body["odata.metadata"]
            .as_str()
            .expect("metadata")
            .ends_with("$metadata#tasks")
    );

    let mut seen = ids(&body);
    let mut link = body["odata.nextLink"]
        .as_str()
        .expect("a next link")
        .to_owned();
    for _ in 0..10 {
        let query = link.split_once('?').expect("a query string").1.to_owned();
        args = vec!["list", "--tasks", SEMANTICS, "--query", &query];
        let page = json(&run(&args));
        seen.extend(ids(&page));
        match page["odata.nextLink"].as_str() {
            Some(next) => link = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            "alpha'quote",
            "Müller-5",
            "task-1",
            "task-10",
            "TASK-2",
            "Task-3",
            "task-4",
            "task-6",
            "zeta"
        ]
    );
}

#[test]
fn list_filters_and_expands() {
    let output = run(&[
        "list",
        "--tasks",
        SEMANTICS,
        "--filter",
        "executionInfo/exitCode ne 0 and state eq 'completed'",
        "--expand",
        "stats",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let body = json(&output);
    assert_eq!(ids(&body), ["Müller-5", "task-4", "zeta"]);
    assert!(body.get("odata.nextLink").is_none());
}

#[test]
fn list_rejects_bad_parameters() {
    let cases: [&[&str]; 4] = [
        &["--maxresults", "0"],
        &["--maxresults", "1001"],
        &["--select", "id,Stat"],
        &["--skiptoken", "not-a-token"],
    ];
    for extra in cases {
        let mut args = vec!["list", "--tasks", SEMANTICS];
        args.extend_from_slice(extra);
        let output = run(&args);
        assert_eq!(output.status.code(), Some(1), "{extra:?}");
        assert!(
            stderr(&output).contains('^'),
            "{extra:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn list_reads_stdin() {
    let task = r#"{"id": "only", "state": "active"}"#;
    let output = run_with_stdin(&["list", "--tasks", "-"], task);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(ids(&json(&output)), ["only"]);
}

#[test]
fn broken_task_file_names_line_and_field() {
    let tasks = "{\"id\": \"a\", \"state\": \"active\"}\n{\"id\": \"b\", \"creationTime\": \"yesterday\"}\n";
    let output = run_with_stdin(&["counts", "--tasks", "-"], tasks);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("line 2"), "{message}");
    assert!(message.contains("creationTime"), "{message}");
    assert!(stdout(&output).is_empty());
}

#[test]
fn counts_match_example_data() {
    let output = run(&["counts", "--tasks", EXAMPLES]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let body = json(&output);
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string("fixtures/tasks/examples.expected-counts.json")
            .expect("expected counts"),
    )
    .expect("expected counts are JSON");
    for counter in ["active", "running", "completed", "succeeded", "failed"] {
        assert_eq!(body[counter], expected[counter], "{counter}");
    }
    assert!(body.get("validationStatus").is_none());
}

#[test]
fn counts_follow_api_version() {
    let old = run(&[
        "counts",
        "--tasks",
        EXAMPLES,
        "--api-version",
        "2018-03-01.6.1",
    ]);
    assert_eq!(json(&old)["validationStatus"], "validated");
    let too_old = run(&[
        "counts",
        "--tasks",
        EXAMPLES,
        "--api-version",
        "2017-05-01.5.0",
    ]);
    assert_eq!(too_old.status.code(), Some(1));
}

#[test]
fn builtin_data_has_examples_and_generated_job() {
    let output = run(&["counts"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let body = json(&output);
    let total: u64 = ["active", "running", "completed"]
        .iter()
        .map(|counter| body[counter].as_u64().expect("a count"))
        .sum();
    assert_eq!(total, 100_012);
}

#[test]
fn gen_is_deterministic_ndjson() {
    let first = run(&["gen", "--count", "3", "--seed", "7"]);
    assert_eq!(first.status.code(), Some(0));
    assert_eq!(stdout(&first).lines().count(), 3);
    for line in stdout(&first).lines() {
        let task: Value = serde_json::from_str(line).expect("each line is JSON");
        assert!(task["id"].is_string());
    }
    assert_eq!(
        first.stdout,
        run(&["gen", "--count", "3", "--seed", "7"]).stdout
    );
}

#[test]
fn explain_names_indexes() {
    let output = run(&[
        "explain",
        "--filter",
        "state eq 'active' and (startswith(id, 'task-1') or creationTime ge DateTime'2018-12-02T00:00:00Z') and commandLine eq 'x'",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn hostile_arguments_never_crash() {
    // Linux limits one argument to 128 KiB, so these stay below it. The parser's own
    // limits stop them long before, at 64 levels of nesting and 64 KiB of filter.
    let long = "(".repeat(60_000);
    let nots = "not ".repeat(15_000);
    let too_long = "x".repeat(100_000);
    for filter in [
        long.as_str(),
        nots.as_str(),
        too_long.as_str(),
        "'",
        "%",
        "DateTime'",
        "id eq 99999999999999999999",
    ] {
        let output = run(&["check", "--filter", filter]);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{:?}",
            &filter[..filter.len().min(20)]
        );
    }
    for query in [
        "$filter=id%20eq%20'%00'%20and%20%FF",
        "%",
        "$filter=%E2%82",
        "$filter=%00",
    ] {
        let output = run(&["check", "--query", query]);
        assert_eq!(output.status.code(), Some(1), "{query}");
    }
    // Empty parts and nameless parameters carry nothing to check.
    assert_eq!(run(&["check", "--query", "&&=&="]).status.code(), Some(0));
}
