//! The compiled SQL on a real PostgreSQL server against the bitmap engine.
//!
//! Each test starts a throwaway cluster (see `common/postgres.rs`), loads the same tasks
//! into a job there and into a [`Store`], and checks that both list the same task JSON, byte
//! for byte, in the same order, through every page of skip tokens, and count the same. The
//! cases are the semantic fixture cases, random filter text on small jobs, random plans on
//! tasks with missing and null values, and random filters on a generated job.

use std::cell::{Cell, RefCell};

use batch_odata::bind::Mode;
use batch_odata::filter::{Filter, Options};
use batch_odata::generate;
use batch_odata::plan::Plan;
use batch_odata::query::SkipToken;
use batch_odata::sql::client::{ClientError, PgTasks};
use batch_odata::store::Store;
use batch_odata::task::TaskRecord;
use batch_odata::version::ApiVersion;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use tokio::runtime::Runtime;

mod common;

use common::postgres::Cluster;
use common::{filters, plans};

/// A cluster with a connected client.
struct Database {
    runtime: Runtime,
    tasks: RefCell<PgTasks>,
    next_job: Cell<u32>,
    _cluster: Cluster,
}

impl Database {
    fn start() -> Database {
        let cluster = Cluster::start();
        let runtime = Runtime::new().expect("a Tokio runtime");
        let tasks = runtime
            .block_on(PgTasks::connect(&cluster.url()))
            .unwrap_or_else(|error| panic!("connecting to the test cluster failed: {error}"));
        Database {
            runtime,
            tasks: RefCell::new(tasks),
            next_job: Cell::new(0),
            _cluster: cluster,
        }
    }

    /// Loads the records into a new job and returns its id.
    fn load(&self, records: &[TaskRecord]) -> String {
        let job = format!("job-{}", self.next_job.get());
        self.next_job.set(self.next_job.get() + 1);
        let mut tasks = self.tasks.borrow_mut();
        self.runtime
            .block_on(tasks.insert(&job, records))
            .unwrap_or_else(|error| panic!("loading {} tasks failed: {error}", records.len()));
        job
    }

    /// Lists every page of `limit` tasks, continuing through encoded skip tokens.
    fn pages(&self, job: &str, plan: &Plan, limit: usize) -> Vec<String> {
        let tasks = self.tasks.borrow();
        let mut listed = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let after = token
                .as_deref()
                .map(|text| SkipToken::decode(text).expect("a token this test encoded"));
            let page = self
                .runtime
                .block_on(tasks.page(job, plan, after.as_ref().map(SkipToken::last_id), limit))
                .unwrap_or_else(|error| panic!("listing failed for {plan}: {error}"));
            assert!(page.tasks.len() <= limit);
            listed.extend(page.tasks);
            match (page.more, page.last_folded_id) {
                (true, Some(last)) => token = Some(SkipToken::new(&last).encode()),
                (true, None) => panic!("a page with more tasks must not be empty: {plan}"),
                (false, _) => return listed,
            }
        }
    }

    fn count(&self, job: &str, plan: &Plan) -> u64 {
        let tasks = self.tasks.borrow();
        self.runtime
            .block_on(tasks.count(job, plan))
            .unwrap_or_else(|error| panic!("counting failed for {plan}: {error}"))
    }
}

/// Lists every page of `limit` tasks from the store.
fn store_pages(store: &Store, plan: &Plan, limit: usize) -> Vec<String> {
    let mut listed = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.page(plan, after.as_deref(), limit);
        listed.extend(page.tasks.iter().map(|json| json.to_string()));
        match (page.more, page.last_folded_id) {
            (true, Some(last)) => after = Some(last.to_owned()),
            _ => return listed,
        }
    }
}

/// Returns the ids of listed task JSON, for readable failures.
fn ids(tasks: &[String]) -> Vec<String> {
    tasks
        .iter()
        .map(|json| {
            let task: Value = serde_json::from_str(json).expect("task JSON");
            task["id"].as_str().unwrap_or_default().to_owned()
        })
        .collect()
}

/// Checks one plan on both sides with two page sizes; returns a description of the first
/// difference.
fn compare(
    database: &Database,
    job: &str,
    store: &Store,
    plan: &Plan,
    limit: usize,
) -> Result<(), String> {
    for limit in [limit, 1000] {
        let expected = store_pages(store, plan, limit);
        let listed = database.pages(job, plan, limit);
        if listed != expected {
            return Err(format!(
                "plan {plan}, pages of {limit}: PostgreSQL listed {:?}, the engine {:?}",
                ids(&listed),
                ids(&expected)
            ));
        }
    }
    let expected = store.count(plan);
    let counted = database.count(job, plan);
    if counted != expected {
        return Err(format!(
            "plan {plan}: PostgreSQL counted {counted}, the engine {expected}"
        ));
    }
    Ok(())
}

fn records(tasks: &[Value]) -> Vec<TaskRecord> {
    tasks
        .iter()
        .map(|task| TaskRecord::from_json(task.clone()).expect("a valid task"))
        .collect()
}

#[test]
fn semantic_cases_match_engine() {
    let database = Database::start();
    let data = std::fs::read_to_string("fixtures/tasks/semantics.ndjson").expect("fixture");
    let store = Store::load(&data).expect("the semantic fixture loads");
    let tasks: Vec<Value> = data
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON"))
        .collect();
    let job = database.load(&records(&tasks));
    let cases: Value = serde_json::from_str(
        &std::fs::read_to_string("fixtures/cases/semantics.json").expect("fixture"),
    )
    .expect("JSON");

    let mut compared = 0;
    let mut failures = Vec::new();
    for case in cases["cases"].as_array().expect("a cases array") {
        let Some(expected) = case.get("ids") else {
            continue;
        };
        let version = case["api_version"]
            .as_str()
            .map_or(ApiVersion::LATEST, |v| {
                ApiVersion::parse(v).expect("a known version")
            });
        let mode = match case["mode"].as_str() {
            Some("strict") => Mode::Strict,
            _ => Mode::Extended,
        };
        let text = case["filter"].as_str().expect("a filter");
        let filter = Filter::compile(text, &Options::new(version).mode(mode)).expect(text);
        let listed = ids(&database.pages(&job, filter.plan(), 1000));
        let expected: Vec<String> = serde_json::from_value(expected.clone()).expect("ids");
        if listed != expected {
            failures.push(format!("{text}: listed {listed:?}, expected {expected:?}"));
        }
        if let Err(difference) = compare(&database, &job, &store, filter.plan(), 2) {
            failures.push(difference);
        }
        compared += 1;
    }
    assert!(compared >= 40, "only {compared} cases with ids");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn random_filters_match_engine() {
    let database = Database::start();
    let mut runner = TestRunner::new(Config::with_cases(300));
    let result = runner.run(&(common::job(), filters::filter()), |(tasks, text)| {
        let Ok(filter) = Filter::parse(&text, ApiVersion::LATEST) else {
            return Ok(());
        };
        let store = Store::from_records(records(&tasks)).expect("unique ids");
        let job = database.load(&records(&tasks));
        compare(&database, &job, &store, filter.plan(), 3).map_err(TestCaseError::fail)
    });
    if let Err(error) = result {
        panic!("{error}");
    }
}

#[test]
fn random_plans_match_engine() {
    let database = Database::start();
    let mut runner = TestRunner::new(Config::with_cases(300));
    let strategy = plans::tasks_strategy(40).prop_flat_map(|tasks| {
        let plans = proptest::collection::vec(plans::plan_strategy(plans::pool(&tasks)), 1..4);
        (Just(tasks), plans, 1usize..5)
    });
    let result = runner.run(&strategy, |(tasks, plans, limit)| {
        let records = records(&tasks);
        let store = Store::from_records(records.clone()).expect("unique ids");
        let job = database.load(&records);
        let counts = database
            .runtime
            .block_on(database.tasks.borrow().counts(&job))
            .map_err(|error| TestCaseError::fail(error.to_string()))?;
        prop_assert_eq!(counts, store.counts());
        for plan in &plans {
            // The executor takes any plan; the normalized form is what filters produce.
            compare(&database, &job, &store, plan, limit).map_err(TestCaseError::fail)?;
            let normalized = batch_odata::plan::normalize(plan.clone());
            compare(&database, &job, &store, &normalized, limit).map_err(TestCaseError::fail)?;
        }
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
}

#[test]
fn generated_job_matches_engine() {
    let database = Database::start();
    let tasks: Vec<Value> = generate::generate(3000, 11).collect();
    let records = records(&tasks);
    let store = Store::from_records(records.clone()).expect("generated ids are unique");
    let job = database.load(&records);
    let counts = database
        .runtime
        .block_on(database.tasks.borrow().counts(&job))
        .expect("counts");
    assert_eq!(counts, store.counts());

    let mut fixed = vec![
        "state eq 'completed' and executionInfo/exitCode ne 0".to_owned(),
        "executionInfo/result eq 'failure' or startswith(id, 'task-00001')".to_owned(),
        "not (executionInfo/exitCode lt 0) and creationTime ge 2018-12-06T00:00:00Z".to_owned(),
        "contains(commandLine, '--part 1') and state ne 'active'".to_owned(),
        "endswith(id, '7') or executionInfo/endTime eq null".to_owned(),
    ];
    let mut runner = TestRunner::deterministic();
    for _ in 0..60 {
        fixed.push(
            filters::filter()
                .new_tree(&mut runner)
                .expect("a filter")
                .current(),
        );
    }
    let mut failures = Vec::new();
    for text in &fixed {
        let Ok(filter) = Filter::parse(text, ApiVersion::LATEST) else {
            continue;
        };
        if let Err(difference) = compare(&database, &job, &store, filter.plan(), 700) {
            failures.push(difference);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn upserts_move_counts_like_engine() {
    let database = Database::start();
    let tasks: Vec<Value> = generate::generate(2000, 5).collect();
    let mut store = Store::from_records(records(&tasks)).expect("generated ids are unique");
    let job = database.load(&records(&tasks));

    // Every third task moves to the next state and loses its result; two new tasks join.
    let mut changed: Vec<Value> = tasks
        .iter()
        .step_by(3)
        .map(|task| {
            let mut task = task.clone();
            let next = match task["state"].as_str() {
                Some("active") => "running",
                Some("running" | "preparing") => "completed",
                _ => "active",
            };
            task["state"] = next.into();
            if let Some(info) = task.get_mut("executionInfo").and_then(Value::as_object_mut) {
                info.remove("result");
            }
            task
        })
        .collect();
    for id in ["NEW-1", "new-2"] {
        let mut task = tasks[0].clone();
        task["id"] = id.into();
        changed.push(task);
    }
    let changed = records(&changed);
    database
        .runtime
        .block_on(database.tasks.borrow_mut().upsert(&job, &changed))
        .unwrap_or_else(|error| panic!("upsert failed: {error}"));
    for record in &changed {
        store.upsert(record.clone()).expect("a valid record");
    }

    let counts = database
        .runtime
        .block_on(database.tasks.borrow().counts(&job))
        .expect("counts");
    assert_eq!(counts, store.counts());
    assert_ne!(
        counts,
        Store::from_records(records(&tasks)).unwrap().counts()
    );
    for text in [
        "state eq 'active'",
        "executionInfo/result eq 'failure'",
        "state ne 'completed'",
    ] {
        let filter = Filter::parse(text, ApiVersion::LATEST).expect("a valid filter");
        compare(&database, &job, &store, filter.plan(), 500)
            .unwrap_or_else(|difference| panic!("{difference}"));
    }

    let repeated = vec![changed[0].clone(), changed[0].clone()];
    let error = database
        .runtime
        .block_on(database.tasks.borrow_mut().upsert(&job, &repeated))
        .expect_err("a repeated id");
    assert!(matches!(error, ClientError::TaskIdDuplicate), "{error}");
    let after = database
        .runtime
        .block_on(database.tasks.borrow().counts(&job))
        .expect("counts");
    assert_eq!(after, counts);
}
