//! Checks the example task fixtures: `fixtures/tasks/examples.ndjson` must hold the tasks of
//! the example responses unchanged, with unique ids, and its expected Get Task Counts body must
//! match a plain recount.

use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;

use batch_odata::fold::fold_case;
use serde_json::{Map, Value, json};

fn fixture_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(relative)
}

fn read_text(relative: &str) -> String {
    let path = fixture_path(relative);
    fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn read_json(relative: &str) -> Value {
    serde_json::from_str(&read_text(relative))
        .unwrap_or_else(|error| panic!("{relative}: invalid JSON: {error}"))
}

fn example_tasks() -> Vec<Value> {
    read_text("tasks/examples.ndjson")
        .lines()
        .enumerate()
        .map(|(index, line)| {
            serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("line {}: invalid JSON: {error}", index + 1))
        })
        .collect()
}

fn id(task: &Value) -> &str {
    task["id"].as_str().unwrap_or_default()
}

fn array_at(document: &Value, pointer: &str) -> Vec<Value> {
    document
        .pointer(pointer)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no array at {pointer}"))
        .clone()
}

/// Returns the tasks of the example responses in the source order that
/// `fixtures/tasks/README.md` gives, keeping the first task of each id compared ignoring case.
fn tasks_from_sources() -> Vec<Value> {
    let terminated =
        read_json("examples/2018-03-01.6.1_task-get-terminated.recorded-exchange.json");
    let mut terminated_task: Map<String, Value> = terminated["response"]["body"]
        .as_object()
        .expect("the Get Task body is an object")
        .clone();
    terminated_task.remove("odata.metadata");

    let recorded = read_json("examples/2018-03-01.6.1_task-list.recorded-exchange.json");
    let swagger = read_json("examples/2018-12-01.8.0_task-list.swagger-example.json");
    let docs = read_json("examples/docs-2017_task-list.docs-example.json");
    let sources = [
        vec![Value::Object(terminated_task)],
        array_at(&recorded, "/response/body/value"),
        array_at(&swagger, "/responses/200/body/value"),
        array_at(&docs, "/value"),
    ];

    let mut seen = HashSet::new();
    sources
        .into_iter()
        .flatten()
        .filter(|task| seen.insert(fold_case(id(task))))
        .collect()
}

fn equals_ignoring_case(value: &Value, expected: &str) -> bool {
    value
        .as_str()
        .is_some_and(|text| fold_case(text) == expected)
}

#[test]
fn ndjson_lines_are_task_objects() {
    let text = read_text("tasks/examples.ndjson");
    assert!(text.ends_with('\n'));
    for (index, line) in text.lines().enumerate() {
        let task: Value = serde_json::from_str(line)
            .unwrap_or_else(|error| panic!("line {}: invalid JSON: {error}", index + 1));
        assert!(task.is_object(), "line {}", index + 1);
        assert!(task["id"].is_string(), "line {}", index + 1);
        assert!(!line.contains('\r'), "line {}", index + 1);
    }
    assert_eq!(text.lines().count(), 12);
}

#[test]
fn ids_are_unique_ignoring_case() {
    let mut seen = HashSet::new();
    for task in example_tasks() {
        assert!(
            seen.insert(fold_case(id(&task))),
            "duplicate id {}",
            id(&task)
        );
    }
}

#[test]
fn tasks_match_their_sources() {
    let tasks = example_tasks();
    let expected = tasks_from_sources();
    let ids: Vec<&str> = tasks.iter().map(id).collect();
    let expected_ids: Vec<&str> = expected.iter().map(id).collect();
    assert_eq!(ids, expected_ids);
    for (task, source) in tasks.iter().zip(&expected) {
        assert_eq!(task, source, "{}", id(task));
    }
}

#[test]
fn duplicate_id_keeps_terminated_task() {
    let tasks = example_tasks();
    let task6 = tasks
        .iter()
        .find(|task| id(task) == "batch_task6_98da0af6")
        .expect("batch_task6_98da0af6 is in the fixture");
    assert_eq!(task6["state"], "completed");
    assert!(task6.get("odata.metadata").is_none());
}

#[test]
fn expected_counts_match_recount() {
    let tasks = example_tasks();
    let count = |keep: &dyn Fn(&Value) -> bool| tasks.iter().filter(|task| keep(task)).count();
    let state_is = |task: &Value, state: &str| equals_ignoring_case(&task["state"], state);
    let result_is =
        |task: &Value, result: &str| equals_ignoring_case(&task["executionInfo"]["result"], result);

    let recount = json!({
        "active": count(&|task| state_is(task, "active")),
        "running": count(&|task| state_is(task, "running") || state_is(task, "preparing")),
        "completed": count(&|task| state_is(task, "completed")),
        "succeeded": count(&|task| result_is(task, "success")),
        "failed": count(&|task| result_is(task, "failure")),
    });
    assert_eq!(read_json("tasks/examples.expected-counts.json"), recount);
}

#[test]
fn example_files_are_json() {
    let directory = fixture_path("examples");
    let mut checked = 0;
    for entry in fs::read_dir(&directory).expect("fixtures/examples exists") {
        let path = entry.expect("directory entry is readable").path();
        if path
            .extension()
            .is_some_and(|extension| extension == "json")
        {
            let text = fs::read_to_string(&path).expect("example file is readable");
            let parsed: Result<Value, _> = serde_json::from_str(&text);
            assert!(parsed.is_ok(), "{}: {:?}", path.display(), parsed.err());
            checked += 1;
        }
    }
    assert_eq!(checked, 11);
}
