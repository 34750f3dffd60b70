//! A generated filter over a small generated job, checked after every change to the job.
//! The ids the store lists page by page, and its counts, must equal what the reference
//! evaluator finds in a plain model of the same tasks.

#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use batch_odata::bind::{Mode, bind};
use batch_odata::exec::reference;
use batch_odata::fold::fold_case;
use batch_odata::plan::{Plan, normalize};
use batch_odata::store::{Store, TaskCounts};
use batch_odata::syntax::{Limits, parse};
use batch_odata::task::TaskRecord;
use batch_odata::version::ApiVersion;
use batch_odata_fuzz::filter::FilterText;
use batch_odata_fuzz::tasks::{Change, TaskJson};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

#[derive(Arbitrary, Debug)]
struct Input {
    filter: FilterText,
    tasks: Vec<TaskJson>,
    changes: Vec<Change>,
    page_size: u8,
}

/// The tasks the store should hold, by folded id.
type Model = BTreeMap<String, Value>;

fuzz_target!(|input: Input| {
    let text = &input.filter.0;
    let Ok(expr) = parse(text, &Limits::default()) else {
        return;
    };
    let Ok(bound) = bind(&expr, text, ApiVersion::LATEST, Mode::Extended) else {
        return;
    };
    let normalized = normalize(bound.clone());
    let page_size = usize::from(input.page_size % 4) + 1;

    let mut store = Store::new();
    let mut model = Model::new();
    for task in &input.tasks {
        upsert(&mut store, &mut model, task.0.clone());
    }
    check(&store, &model, &bound, &normalized, page_size, text);

    for change in &input.changes {
        match change {
            Change::Upsert(task) => upsert(&mut store, &mut model, task.0.clone()),
            Change::Remove(id) => {
                let removed = store.remove(&id.id());
                assert_eq!(removed, model.remove(&fold_case(&id.id())).is_some());
            }
            Change::SetState(id, state) => {
                let Some(json) = model.get(&fold_case(&id.id())) else {
                    continue;
                };
                let mut task = json.as_object().cloned().unwrap_or_default();
                task.insert("state".into(), state.state().into());
                upsert(&mut store, &mut model, task);
            }
        }
        check(&store, &model, &bound, &normalized, page_size, text);
    }
});

/// Upserts a task into both the store and the model, unless the task is invalid.
fn upsert(store: &mut Store, model: &mut Model, task: serde_json::Map<String, Value>) {
    let json = Value::Object(task);
    let Ok(record) = TaskRecord::parse(&json.to_string()) else {
        return;
    };
    let key = record.folded_id().to_owned();
    let replaced = store.upsert(record).expect("a small store has free rows");
    assert_eq!(replaced, model.insert(key, json).is_some());
}

fn check(store: &Store, model: &Model, bound: &Plan, normalized: &Plan, size: usize, text: &str) {
    let expected: Vec<String> = model
        .values()
        .filter(|task| reference::matches(bound, task))
        .map(|task| fold_case(task["id"].as_str().unwrap_or_default()))
        .collect();
    let normalized_matches = model
        .values()
        .filter(|task| reference::matches(normalized, task))
        .count();
    assert_eq!(
        normalized_matches,
        expected.len(),
        "normalize changed {text:?}"
    );

    let listed = list_all(store, normalized, size);
    assert_eq!(listed, expected, "filter {text:?}, plan {normalized}");
    assert_eq!(store.count(normalized), expected.len() as u64, "{text:?}");
    assert_eq!(store.evaluate(normalized).len(), expected.len() as u64);
    assert_eq!(store.len(), model.len());
    assert_eq!(store.counts(), tally(model));
}

/// Lists every match by following pages of `size` tasks, and returns their folded ids.
fn list_all(store: &Store, plan: &Plan, size: usize) -> Vec<String> {
    let mut listed = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.page(plan, after.as_deref(), size);
        assert!(page.tasks.len() <= size);
        for json in &page.tasks {
            let task: Value = serde_json::from_str(json).expect("stored JSON");
            listed.push(fold_case(task["id"].as_str().unwrap_or_default()));
        }
        match (page.more, page.last_folded_id) {
            (true, Some(last)) => after = Some(last.to_owned()),
            (true, None) => panic!("a page with more tasks has no last id"),
            (false, _) => return listed,
        }
    }
}

/// Computes Get Task Counts from the model.
fn tally(model: &Model) -> TaskCounts {
    let mut counts = TaskCounts::default();
    for task in model.values() {
        let folded = |value: Option<&Value>| value.and_then(Value::as_str).map(fold_case);
        match folded(task.get("state")).as_deref() {
            Some("active") => counts.active += 1,
            Some("running" | "preparing") => counts.running += 1,
            Some("completed") => counts.completed += 1,
            _ => {}
        }
        match folded(task.pointer("/executionInfo/result")).as_deref() {
            Some("success") => counts.succeeded += 1,
            Some("failure") => counts.failed += 1,
            _ => {}
        }
    }
    counts
}
