//! The indexed executor against the reference evaluator, on random tasks and random plans.
//!
//! Each proptest builds a small store, runs random plans through `evaluate`, `count` and
//! `page`, and compares the results with `reference::matches` applied to the task JSON. The
//! second one also upserts and removes tasks first. Ids mix case and non-ASCII letters whose
//! folding differs from plain lower-casing, and every task property is sometimes missing
//! or null. The two run 10,000 cases together.

use std::collections::BTreeMap;

use batch_odata::exec::reference;
use batch_odata::fold::fold_case;
use batch_odata::plan::{Plan, Test, Value};
use batch_odata::store::{Store, TaskCounts};
use batch_odata::syntax::CompareOp;
use batch_odata::task::TaskRecord;
use proptest::prelude::*;
use serde_json::{Value as Json, json};

mod common;

use common::plans::{
    EXIT_CODES, TIMES, leaf, pick, plan_strategy, pool, task_strategy, tasks_strategy, ticks,
};

fn id_of(json: &str) -> String {
    let task: Json = serde_json::from_str(json).expect("stored JSON parses");
    fold_case(task["id"].as_str().expect("stored task has an id"))
}

/// Returns the folded ids of the tasks the reference evaluator matches, sorted.
fn expected(plan: &Plan, tasks: &BTreeMap<String, Json>) -> Vec<String> {
    tasks
        .iter()
        .filter(|(_, task)| reference::matches(plan, task))
        .map(|(id, _)| id.clone())
        .collect()
}

/// Walks every page with `limit` and returns the folded ids in order.
fn all_pages(store: &Store, plan: &Plan, limit: usize) -> Result<Vec<String>, TestCaseError> {
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..=store.len() {
        let page = store.page(plan, after.as_deref(), limit);
        prop_assert!(page.tasks.len() <= limit);
        let page_ids: Vec<String> = page.tasks.iter().map(|json| id_of(json)).collect();
        prop_assert_eq!(page.last_folded_id, page_ids.last().map(String::as_str));
        ids.extend(page_ids);
        if !page.more {
            return Ok(ids);
        }
        prop_assert!(
            !page.tasks.is_empty(),
            "a page with more must make progress"
        );
        after = page.last_folded_id.map(str::to_owned);
    }
    Err(TestCaseError::fail("paging did not finish"))
}

/// Checks evaluate, count and paging against the reference for one plan.
fn check(
    store: &Store,
    tasks: &BTreeMap<String, Json>,
    plan: &Plan,
    limit: usize,
) -> Result<(), TestCaseError> {
    let expected = expected(plan, tasks);

    let mut evaluated: Vec<String> = store
        .evaluate(plan)
        .iter()
        .map(|row| row_id(store, row))
        .collect::<Result<_, _>>()?;
    evaluated.sort();
    prop_assert_eq!(&evaluated, &expected, "evaluate\n{}", store.explain(plan));
    prop_assert_eq!(
        store.count(plan),
        expected.len() as u64,
        "count\n{}",
        store.explain(plan)
    );
    prop_assert_eq!(
        &all_pages(store, plan, limit)?,
        &expected,
        "pages of {}",
        limit
    );
    prop_assert_eq!(&all_pages(store, plan, 1000)?, &expected, "one page");
    Ok(())
}

/// Returns the folded id of the task in a row.
fn row_id(store: &Store, row: u32) -> Result<String, TestCaseError> {
    let json = store.task_at(row);
    prop_assert!(json.is_some(), "evaluate returned the empty row {}", row);
    let id = store.folded_id_at(row).map(str::to_owned);
    let from_json = json.map(id_of);
    prop_assert_eq!(&id, &from_json);
    Ok(id.unwrap_or_default())
}

fn recount(tasks: &BTreeMap<String, Json>) -> TaskCounts {
    let mut counts = TaskCounts::default();
    for task in tasks.values() {
        let state = task["state"].as_str().map(fold_case);
        let result = task["executionInfo"]["result"].as_str().map(fold_case);
        match state.as_deref() {
            Some("active") => counts.active += 1,
            Some("running" | "preparing") => counts.running += 1,
            Some("completed") => counts.completed += 1,
            _ => {}
        }
        match result.as_deref() {
            Some("success") => counts.succeeded += 1,
            Some("failure") => counts.failed += 1,
            _ => {}
        }
    }
    counts
}

fn model(tasks: &[Json]) -> BTreeMap<String, Json> {
    tasks
        .iter()
        .map(|task| {
            (
                fold_case(task["id"].as_str().unwrap_or_default()),
                task.clone(),
            )
        })
        .collect()
}

fn failure(error: batch_odata::error::Error) -> TestCaseError {
    TestCaseError::fail(error.to_string())
}

fn record_of(task: &Json) -> Result<TaskRecord, TestCaseError> {
    TaskRecord::from_json(task.clone()).map_err(failure)
}

fn store_of(tasks: &[Json]) -> Result<Store, TestCaseError> {
    let records: Vec<TaskRecord> = tasks.iter().map(record_of).collect::<Result<_, _>>()?;
    Store::from_records(records).map_err(failure)
}

/// Returns a strategy for random tasks with several random plans each.
fn case_strategy() -> impl Strategy<Value = (Vec<Json>, Vec<Plan>, usize)> {
    tasks_strategy(40).prop_flat_map(|tasks| {
        let plans = proptest::collection::vec(plan_strategy(pool(&tasks)), 1..4);
        (Just(tasks), plans, 1usize..5)
    })
}

#[derive(Clone, Debug)]
enum Change {
    Upsert(Json),
    Remove(String),
}

fn changes_strategy(ids: Vec<String>) -> impl Strategy<Value = Vec<Change>> {
    let change = prop_oneof![
        2 => task_strategy().prop_map(Change::Upsert),
        1 => (proptest::sample::select(ids.clone()), pick(&[false, true])).prop_map(|(id, upper)| {
            Change::Remove(if upper { id.to_uppercase() } else { id })
        }),
        1 => (task_strategy(), proptest::sample::select(ids)).prop_map(|(mut task, id)| {
            task["id"] = json!(id.to_uppercase());
            Change::Upsert(task)
        }),
    ];
    proptest::collection::vec(change, 0..12)
}

fn mutation_strategy() -> impl Strategy<Value = (Vec<Json>, Vec<Change>, Vec<Plan>, usize)> {
    tasks_strategy(24).prop_flat_map(|tasks| {
        let changes = changes_strategy(pool(&tasks));
        let plans = proptest::collection::vec(plan_strategy(pool(&tasks)), 1..4);
        (Just(tasks), changes, plans, 1usize..4)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6000))]

    #[test]
    fn store_matches_reference((tasks, plans, limit) in case_strategy()) {
        let store = store_of(&tasks)?;
        let tasks = model(&tasks);
        prop_assert_eq!(store.counts(), recount(&tasks));
        for plan in &plans {
            check(&store, &tasks, plan, limit)?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn store_matches_reference_after_changes((tasks, changes, plans, limit) in mutation_strategy()) {
        let mut store = Store::new();
        for task in &tasks {
            store.insert(record_of(task)?).map_err(failure)?;
        }
        let mut model = model(&tasks);
        for change in changes {
            match change {
                Change::Upsert(task) => {
                    let id = fold_case(task["id"].as_str().unwrap_or_default());
                    let replaced = store.upsert(record_of(&task)?).map_err(failure)?;
                    prop_assert_eq!(replaced, model.insert(id, task).is_some());
                }
                Change::Remove(id) => {
                    prop_assert_eq!(store.remove(&id), model.remove(&fold_case(&id)).is_some());
                }
            }
        }
        prop_assert_eq!(store.len(), model.len());
        prop_assert_eq!(store.counts(), recount(&model));
        for plan in &plans {
            check(&store, &model, plan, limit)?;
        }
    }
}

/// Enough changes to merge the ordered indexes' pending pairs into their runs several
/// times, which the small proptest stores never do.
#[test]
fn store_matches_reference_across_index_merges() {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |bound: u64| {
        // A 64-bit linear congruential generator keeps the test deterministic.
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % bound
    };
    let task = |id: u64, next: &mut dyn FnMut(u64) -> u64| {
        let time = TIMES[next(TIMES.len() as u64) as usize];
        let code = EXIT_CODES[next(EXIT_CODES.len() as u64) as usize];
        json!({"id": format!("T-{id}"), "creationTime": time, "executionInfo": {"exitCode": code}})
    };

    let initial: Vec<Json> = (0..3000).map(|id| task(id, &mut next)).collect();
    let mut store = store_of(&initial).expect("valid tasks");
    let mut model = model(&initial);
    for _ in 0..12_000 {
        let id = next(4000);
        if next(4) == 0 {
            let removed = store.remove(&format!("t-{id}"));
            assert_eq!(removed, model.remove(&format!("t-{id}")).is_some());
        } else {
            let json = task(id, &mut next);
            let record = TaskRecord::from_json(json.clone()).expect("valid task");
            store.upsert(record).expect("upsert");
            model.insert(format!("t-{id}"), json);
        }
    }

    let mut plans = Vec::new();
    for op in CompareOp::ALL {
        for code in [-1, 0, 3] {
            plans.push(leaf(
                "executionInfo/exitCode",
                Test::Compare(op, Value::Int(code)),
            ));
        }
        for time in TIMES {
            plans.push(leaf(
                "creationTime",
                Test::Compare(op, Value::Ticks(ticks(time))),
            ));
        }
    }
    for plan in &plans {
        let expected = expected(plan, &model);
        assert_eq!(store.count(plan), expected.len() as u64, "{plan:?}");
        assert_eq!(
            store.evaluate(plan).len(),
            expected.len() as u64,
            "{plan:?}"
        );
    }
}
