//! Helpers shared by the integration tests: random jobs, filters and plans, the check that
//! the store lists what the reference evaluator matches, the ABNF reader behind the grammar
//! tests, and throwaway PostgreSQL clusters.

// Each test crate uses only some of these helpers.
#![allow(dead_code)]

pub mod abnf;
pub mod filters;
pub mod plans;
pub mod postgres;

use batch_odata::exec::reference;
use batch_odata::fold::fold_case;
use batch_odata::plan::{Plan, normalize};
use batch_odata::store::Store;
use proptest::prelude::*;
use serde_json::{Map, Value};

pub const IDS: &[&str] = &[
    "task-1",
    "Task-10",
    "TASK-2",
    "task-20",
    "müller",
    "MÜLLER-2",
    "ßa",
    "σς",
    "a'b",
    "z",
];
pub const STATES: &[&str] = &["active", "preparing", "running", "completed"];
pub const TIMES: &[&str] = &[
    "2018-12-01T00:00:00Z",
    "2018-12-01T00:00:00.0000001Z",
    "2018-12-01T02:00:00+02:00",
    "2018-12-02T12:30:00Z",
];

pub fn task() -> impl Strategy<Value = Map<String, Value>> {
    (
        proptest::sample::select(IDS),
        proptest::sample::select(STATES),
        proptest::option::of(proptest::sample::select(
            &["success", "Failure", "FAILURE"][..],
        )),
        proptest::option::of(-3i64..4),
        proptest::option::of(proptest::sample::select(TIMES)),
    )
        .prop_map(|(id, state, result, exit_code, created)| {
            let mut task = Map::new();
            task.insert("id".into(), id.into());
            task.insert("state".into(), state.into());
            if let Some(created) = created {
                task.insert("creationTime".into(), created.into());
            }
            let mut execution = Map::new();
            if let Some(result) = result {
                execution.insert("result".into(), result.into());
            }
            if let Some(code) = exit_code {
                execution.insert("exitCode".into(), code.into());
            }
            task.insert("executionInfo".into(), Value::Object(execution));
            task
        })
}

/// Generates a job whose ids are unique ignoring case, as the store requires.
pub fn job() -> impl Strategy<Value = Vec<Value>> {
    proptest::collection::vec(task(), 0..12).prop_map(|tasks| {
        let mut seen = std::collections::HashSet::new();
        tasks
            .into_iter()
            .filter(|task| seen.insert(fold_case(task["id"].as_str().unwrap_or_default())))
            .map(Value::Object)
            .collect()
    })
}

/// Checks that the store, running the normalized plan, lists page by page and counts
/// exactly the tasks that the reference evaluator matches with the bound plan.
pub fn check_against_reference(
    tasks: &[Value],
    bound: &Plan,
    text: &str,
) -> Result<(), TestCaseError> {
    let normalized = normalize(bound.clone());
    let lines: Vec<String> = tasks.iter().map(Value::to_string).collect();
    let store = Store::load(&lines.join("\n")).expect("generated tasks load");

    let mut expected: Vec<String> = tasks
        .iter()
        .filter(|task| reference::matches(bound, task))
        .map(|task| task["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    expected.sort_by_key(|id| fold_case(id));

    let mut listed = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.page(&normalized, after.as_deref(), 3);
        for json in &page.tasks {
            let task: Value = serde_json::from_str(json).expect("stored JSON");
            listed.push(task["id"].as_str().unwrap_or_default().to_owned());
        }
        match (page.more, page.last_folded_id) {
            (true, Some(last)) => after = Some(last.to_owned()),
            _ => break,
        }
    }
    prop_assert_eq!(&listed, &expected, "filter: {}\nplan: {}", text, normalized);
    prop_assert_eq!(
        store.count(&normalized),
        expected.len() as u64,
        "filter: {}",
        text
    );
    Ok(())
}
