//! Filter text strategies: small jobs with mixed-case and non-ASCII ids, and filters from a
//! grammar over real properties whose constants fall on and between the jobs' values.

use batch_odata::fold::fold_case;
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

pub fn op() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(&["eq", "ne", "gt", "ge", "lt", "le"][..])
}

pub fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

pub fn leaf() -> impl Strategy<Value = String> {
    // An id, a prefix of one, or one in upper case, so comparisons fall between ids too.
    let id =
        (proptest::sample::select(IDS), 1..8usize, any::<bool>()).prop_map(|(id, n, upper)| {
            let prefix: String = id.chars().take(n).collect();
            if upper { prefix.to_uppercase() } else { prefix }
        });
    prop_oneof![
        (
            proptest::sample::select(&["eq", "ne"][..]),
            proptest::sample::select(&["Active", "RUNNING", "completed", "preparing"][..])
        )
            .prop_map(|(op, state)| format!("state {op} '{state}'")),
        (
            proptest::sample::select(&["eq", "ne"][..]),
            proptest::sample::select(&["success", "failure", "null"][..])
        )
            .prop_map(|(op, result)| match result {
                "null" => format!("executionInfo/result {op} null"),
                other => format!("executionInfo/result {op} '{other}'"),
            }),
        (op(), -3i64..4).prop_map(|(op, code)| format!("executionInfo/exitCode {op} {code}")),
        proptest::sample::select(&["eq", "ne"][..])
            .prop_map(|op| format!("executionInfo/exitCode {op} null")),
        (op(), proptest::sample::select(TIMES))
            .prop_map(|(op, time)| format!("creationTime {op} DateTime'{time}'")),
        (op(), id.clone()).prop_map(|(op, id)| format!("id {op} {}", quoted(&id))),
        (
            proptest::sample::select(&["startswith", "endswith", "contains"][..]),
            proptest::sample::select(&["TASK", "task-1", "Ü", "ss", "Σ", "'", "2", ""][..])
        )
            .prop_map(|(function, text)| format!("{function}(id, {})", quoted(text))),
        proptest::collection::vec(id, 1..4).prop_map(|ids| {
            let list: Vec<String> = ids.iter().map(|id| quoted(id)).collect();
            format!("id in ({})", list.join(", "))
        }),
        (-3i64..4).prop_map(|code| format!("executionInfo/exitCode in ({code}, null)")),
        proptest::sample::select(&["true", "false"][..]).prop_map(str::to_owned),
    ]
}

pub fn filter() -> impl Strategy<Value = String> {
    leaf().prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|f| format!("not ({f})")),
            inner.clone().prop_map(|f| format!("({f})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} or {b}")),
            (
                inner,
                proptest::sample::select(&["eq true", "ne true", "eq false"][..])
            )
                .prop_map(|(a, test)| format!("({a}) {test}")),
        ]
    })
}
