//! Entry points of the fuzzing harness: the checks that the fuzz targets in `fuzz/` run on
//! every input, and that `tests/fuzz_regressions.rs` replays on stable Rust.
//!
//! Unlike the rest of the crate, these functions panic, because a panic is how a fuzzer
//! learns that an input broke a promise of the library. Each one takes input in the form
//! its target generates and checks these promises:
//!
//! - [`check_filter`]: any text as `$filter` and as `$select` parses, binds for every
//!   api-version in both modes and normalizes without panicking, also under tight limits.
//!   Printing a parsed filter gives text that parses to the same tree.
//! - [`check_query_string`]: any raw query string decodes or fails cleanly; accepted List
//!   Tasks parameters survive a trip through `odata.nextLink`.
//! - [`check_print_round_trip`]: a syntax tree prints to text that parses back to it.
//! - [`check_differential`]: the store's pages, counts and Get Task Counts equal what the
//!   reference evaluator finds in a plain model of the tasks, after every change.
//! - [`check_tasks_json`]: both task loaders agree on the tasks or on the first error.
//!
//! Every error they meet must pass [`check_error`].
//!
//! ```
//! use batch_odata::harness;
//!
//! harness::check_filter(b"state eq 'active' and not (id in ('a', 'b'))");
//! harness::check_query_string(b"api-version=2018-12-01.8.0&$filter=id%20eq%20'x'");
//! ```

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::bind::{Mode, bind};
use crate::error::Error;
use crate::exec::reference;
use crate::filter::{Filter, Options};
use crate::fold::fold_case;
use crate::plan::{Plan, normalize};
use crate::query::{CountsParams, ListParams, SkipToken, decode_query, next_link};
use crate::store::{Store, TaskCounts};
use crate::syntax::{Expr, Limits, parse, print};
use crate::task::{TaskRecord, load_tasks};
use crate::version::ApiVersion;

/// Checks what every error must satisfy: its span lies inside its input on char
/// boundaries, and it renders without panicking.
pub fn check_error(error: &Error) {
    let input = error.input();
    let span = error.span();
    assert!(span.start <= span.end, "span {span} is reversed: {error:?}");
    assert!(
        span.end <= input.len(),
        "span {span} outside input of {} bytes: {error:?}",
        input.len()
    );
    assert!(
        input.is_char_boundary(span.start) && input.is_char_boundary(span.end),
        "span {span} splits a char: {error:?}"
    );
    let _ = error.render();
    let _ = error.to_string();
}

/// Checks bytes as `$filter` text and as a `$select` value: the checks of the `parse`
/// target. Bytes that are not UTF-8 are skipped, because query strings arrive decoded.
pub fn check_filter(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check_select(text);
    check_tight_limits(text);

    let expr = match parse(text, &Limits::default()) {
        Ok(expr) => expr,
        Err(error) => return check_error(&error),
    };
    check_print_round_trip(&expr);
    for version in ApiVersion::ALL {
        for mode in [Mode::Strict, Mode::Extended] {
            match bind(&expr, text, version, mode) {
                Ok(plan) => drop(normalize(plan)),
                Err(error) => check_error(&error),
            }
        }
    }
}

/// Runs the text as a `$select` value through the List Tasks parameter checks.
fn check_select(text: &str) {
    let pairs = [
        ("api-version".to_owned(), "2018-12-01.8.0".to_owned()),
        ("$select".to_owned(), text.to_owned()),
    ];
    if let Err(error) = ListParams::from_pairs(&pairs) {
        check_error(&error);
    }
}

/// Parses with limits small enough for short inputs to reach, so that the error paths of
/// every limit run, including a length limit that falls inside a multi-byte char.
fn check_tight_limits(text: &str) {
    let tight = Limits {
        max_length: Limits::default().max_length,
        max_depth: 3,
        max_terms: 4,
        max_in_list: 2,
    };
    let short = Limits {
        max_length: text.len().saturating_sub(1),
        ..tight
    };
    for limits in [tight, short] {
        if let Err(error) = parse(text, &limits) {
            check_error(&error);
        }
    }
}

/// Checks that a tree prints to text that parses back to the same tree apart from spans,
/// and that the parsed tree prints to the same text: the checks of the `roundtrip` target.
///
/// Canonical text can be longer than its source (`1e300` prints every digit), so the
/// re-parse lifts the length limit but keeps the others.
pub fn check_print_round_trip(expr: &Expr) {
    let printed = print(expr);
    let unbounded = Limits {
        max_length: usize::MAX,
        ..Limits::default()
    };
    let reparsed = match parse(&printed, &unbounded) {
        Ok(reparsed) => reparsed,
        Err(error) => panic!(
            "{expr:?}\nprints {printed:?}\nwhich fails to parse: {}",
            error.render()
        ),
    };
    assert_eq!(
        reparsed.without_spans(),
        expr.without_spans(),
        "printed: {printed:?}"
    );
    assert_eq!(print(&reparsed), printed);
}

/// Checks bytes as a raw query string: the checks of the `query_string` target.
pub fn check_query_string(data: &[u8]) {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(error) = decode_query(raw) {
        check_error(&error);
    }
    if let Err(error) = CountsParams::from_query(raw) {
        check_error(&error);
    }

    let params = match ListParams::from_query(raw) {
        Ok(params) => params,
        Err(error) => return check_error(&error),
    };
    if let Some(filter) = &params.filter
        && let Err(error) = Filter::compile(filter, &Options::new(params.api_version))
    {
        check_error(&error);
    }
    check_next_link(&params);
}

/// Checks that the `odata.nextLink` of accepted parameters parses back to the same
/// api-version, filter, `maxresults`, `$select` names and skip token.
fn check_next_link(params: &ListParams) {
    let last_id = params
        .skip_token
        .as_ref()
        .map_or("task-1", SkipToken::last_id)
        .to_owned();
    let link = next_link(
        "https://b.example/jobs/j/tasks",
        params,
        &SkipToken::new(&last_id),
    );
    let (_, query) = link.split_once('?').expect("a next link has a query");
    let next = match ListParams::from_query(query) {
        Ok(next) => next,
        Err(error) => panic!("next link {link:?} is rejected: {}", error.render()),
    };
    assert_eq!(next.api_version, params.api_version, "{link}");
    assert_eq!(next.filter, params.filter, "{link}");
    assert_eq!(next.max_results, params.max_results, "{link}");
    let names = |params: &ListParams| {
        let items = params.select.as_ref()?;
        Some(
            items
                .iter()
                .map(|item| item.name.clone())
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(names(&next), names(params), "{link}");
    let next_id = next.skip_token.as_ref().map(SkipToken::last_id);
    assert_eq!(next_id, Some(last_id.as_str()), "{link}");
}

/// Checks bytes as a task file: the checks of the `tasks_json` target. `load_tasks` and
/// `Store::load_from_reader` must both fail with the same error, or both load every task,
/// and a loaded store must list and look up exactly the loaded tasks.
pub fn check_tasks_json(data: &[u8]) {
    let from_reader = Store::load_from_reader(data);
    let Ok(text) = std::str::from_utf8(data) else {
        if let Err(error) = &from_reader {
            check_error(error);
        }
        return;
    };

    match (load_tasks(text), from_reader) {
        (Ok(records), Ok(store)) => {
            assert_eq!(store.len(), records.len());
            assert_eq!(store.count(&Plan::Const(true)), records.len() as u64);
            for record in &records {
                assert_eq!(store.get(record.id()), Some(record.json()));
            }
            let page = store.page(&Plan::Const(true), None, records.len() + 1);
            assert_eq!(page.tasks.len(), records.len());
            assert!(!page.more);
        }
        (Err(records_error), Err(store_error)) => {
            check_error(&records_error);
            assert_eq!(records_error.to_string(), store_error.to_string());
        }
        (Ok(records), Err(error)) => panic!(
            "{} tasks load but the store fails: {}",
            records.len(),
            error.render()
        ),
        (Err(error), Ok(store)) => panic!(
            "the store loads {} tasks but load_tasks fails: {}",
            store.len(),
            error.render()
        ),
    }
}

/// A change to a job, applied to the store and to the plain model of it alike.
#[derive(Clone, Debug)]
pub enum Change {
    /// Inserts a new task or replaces the one with the same id, ignoring case.
    Upsert(Map<String, Value>),
    /// Removes the task with this id, ignoring case, if there is one.
    Remove(String),
    /// Replaces the task with this id, if there is one, by a copy in this state.
    SetState(String, String),
}

/// The tasks the store should hold, by folded id.
type Model = BTreeMap<String, Value>;

/// Checks a filter over a job that changes: the checks of the `differential` target.
///
/// After the tasks are loaded and after each change, the ids the store lists in pages of
/// `page_size`, `Store::count`, `Store::evaluate` and Get Task Counts must equal what the
/// reference evaluator finds in a plain model of the tasks. The normalized plan must
/// match the same tasks as the bound one. Filters that do not parse or bind in extended
/// mode at the latest api-version, and tasks that are not valid, are skipped.
pub fn check_differential(
    filter: &str,
    tasks: &[Map<String, Value>],
    changes: &[Change],
    page_size: usize,
) {
    let Ok(expr) = parse(filter, &Limits::default()) else {
        return;
    };
    let Ok(bound) = bind(&expr, filter, ApiVersion::LATEST, Mode::Extended) else {
        return;
    };
    let filter_under_test = FilterUnderTest {
        normalized: normalize(bound.clone()),
        bound,
        filter,
        page_size: page_size.max(1),
    };

    let mut store = Store::new();
    let mut model = Model::new();
    for task in tasks {
        upsert(&mut store, &mut model, task.clone());
    }
    filter_under_test.check(&store, &model);

    for change in changes {
        match change {
            Change::Upsert(task) => upsert(&mut store, &mut model, task.clone()),
            Change::Remove(id) => {
                let removed = store.remove(id);
                assert_eq!(removed, model.remove(&fold_case(id)).is_some());
            }
            Change::SetState(id, state) => {
                let Some(json) = model.get(&fold_case(id)) else {
                    continue;
                };
                let mut task = json.as_object().cloned().unwrap_or_default();
                task.insert("state".into(), state.as_str().into());
                upsert(&mut store, &mut model, task);
            }
        }
        filter_under_test.check(&store, &model);
    }
}

/// Upserts a task into both the store and the model, unless the task is invalid.
fn upsert(store: &mut Store, model: &mut Model, task: Map<String, Value>) {
    let json = Value::Object(task);
    let Ok(record) = TaskRecord::parse(&json.to_string()) else {
        return;
    };
    let key = record.folded_id().to_owned();
    let replaced = store.upsert(record).expect("a small store has free rows");
    assert_eq!(replaced, model.insert(key, json).is_some());
}

/// The filter of a differential check, bound and normalized.
struct FilterUnderTest<'f> {
    bound: Plan,
    normalized: Plan,
    filter: &'f str,
    page_size: usize,
}

impl FilterUnderTest<'_> {
    /// Compares the store with the reference evaluator over the model.
    fn check(&self, store: &Store, model: &Model) {
        let text = self.filter;
        let expected: Vec<String> = model
            .values()
            .filter(|task| reference::matches(&self.bound, task))
            .map(|task| fold_case(task["id"].as_str().unwrap_or_default()))
            .collect();
        let normalized_matches = model
            .values()
            .filter(|task| reference::matches(&self.normalized, task))
            .count();
        assert_eq!(
            normalized_matches,
            expected.len(),
            "normalize changed {text:?}"
        );

        let listed = list_all(store, &self.normalized, self.page_size);
        assert_eq!(
            listed, expected,
            "filter {text:?}, plan {}",
            self.normalized
        );
        assert_eq!(
            store.count(&self.normalized),
            expected.len() as u64,
            "{text:?}"
        );
        assert_eq!(
            store.evaluate(&self.normalized).len(),
            expected.len() as u64
        );
        assert_eq!(store.len(), model.len());
        assert_eq!(store.counts(), tally(model));
    }
}

/// Lists every match by following pages of `size` tasks, and returns their folded ids.
fn list_all(store: &Store, plan: &Plan, size: usize) -> Vec<String> {
    let mut listed = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.page(plan, after.as_deref(), size);
        assert!(page.tasks.len() <= size);
        for json in &page.tasks {
            let task: Value = serde_json::from_str(json).expect("the store contains valid JSON");
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
