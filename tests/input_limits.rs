//! Hostile filters end in a clear error or a correct result, in bounded time and memory, on
//! an 8 MiB stack like a main thread and on a 2 MiB stack like a worker thread.
//!
//! Each case runs through `Filter::compile` with the default limits, and again with the
//! length limit lifted so that the deeper checks (nesting, terms) are the ones that stop it.
//! The largest plans that the default limits accept also run through the executor.

use std::thread;
use std::time::{Duration, Instant};

use batch_odata::error::ErrorKind;
use batch_odata::exec::reference;
use batch_odata::filter::{Filter, Options};
use batch_odata::lexer::Token;
use batch_odata::plan::Plan;
use batch_odata::store::Store;
use batch_odata::syntax::Limits;
use batch_odata::version::ApiVersion;

const MAIN_STACK: usize = 8 << 20;
const WORKER_STACK: usize = 2 << 20;

/// A generous bound for any one case in a test build on a busy machine, because a
/// quadratic step on these inputs would take minutes.
const TIME_BOUND: Duration = Duration::from_secs(20);

/// Runs `case` on a thread with each stack size, so a stack overflow aborts the test.
fn on_both_stacks(case: impl Fn() + Send + Sync + Copy + 'static) {
    for stack in [MAIN_STACK, WORKER_STACK] {
        let started = Instant::now();
        thread::Builder::new()
            .stack_size(stack)
            .spawn(case)
            .expect("spawn a test thread")
            .join()
            .expect("the case does not panic");
        let elapsed = started.elapsed();
        assert!(elapsed < TIME_BOUND, "{elapsed:?} on a {stack}-byte stack");
    }
}

fn options(limits: Limits) -> Options {
    Options::new(ApiVersion::LATEST).limits(limits)
}

/// Default limits except the length, which is lifted so the other limits are reached.
fn without_length_limit() -> Limits {
    Limits {
        max_length: usize::MAX,
        ..Limits::default()
    }
}

fn compile_error(text: &str, limits: Limits) -> ErrorKind {
    match Filter::compile(text, &options(limits)) {
        Ok(filter) => panic!("compiled to {}", filter.plan()),
        Err(error) => error.kind().clone(),
    }
}

fn nested_parentheses(depth: usize) -> String {
    format!("{}id eq 'x'{}", "(".repeat(depth), ")".repeat(depth))
}

fn nested_not(depth: usize) -> String {
    format!("{}(id eq 'x')", "not ".repeat(depth))
}

fn or_of_ids(terms: usize) -> String {
    vec!["id eq 'x'"; terms].join(" or ")
}

/// Returns 50 tasks, half of them active.
fn tasks() -> Vec<serde_json::Value> {
    let state = |i| if i % 2 == 0 { "active" } else { "completed" };
    (0..50)
        .map(|i| serde_json::json!({"id": format!("task-{i}"), "state": state(i)}))
        .collect()
}

/// Checks that the store's count, bitmap and page all equal the reference evaluator's
/// count of matches.
fn run_plan(plan: &Plan) {
    let expected = tasks()
        .iter()
        .filter(|task| reference::matches(plan, task))
        .count();
    run_plan_expecting(plan, expected as u64);
}

/// Checks that the store's count, bitmap and page all find `expected` tasks. Large plans
/// skip the reference evaluator, which folds both sides of every comparison and so takes
/// seconds on a 100,000-leaf plan in an unoptimized build.
fn run_plan_expecting(plan: &Plan, expected: u64) {
    let lines: Vec<String> = tasks().iter().map(ToString::to_string).collect();
    let store = Store::load(&lines.join("\n")).expect("generated tasks load");

    assert_eq!(store.count(plan), expected);
    assert_eq!(store.evaluate(plan).len(), expected);
    let page = store.page(plan, None, 1000);
    assert_eq!(page.tasks.len() as u64, expected);
}

#[test]
fn parentheses_100k_deep_fail_cleanly() {
    on_both_stacks(|| {
        let text = nested_parentheses(100_000);
        let kind = compile_error(&text, Limits::default());
        assert!(matches!(kind, ErrorKind::InputTooLong { max: 65_536 }));
        let kind = compile_error(&text, without_length_limit());
        assert!(matches!(kind, ErrorKind::NestingTooDeep { max: 64 }));
    });
}

#[test]
fn not_100k_deep_fails_cleanly() {
    on_both_stacks(|| {
        let text = nested_not(100_000);
        let kind = compile_error(&text, Limits::default());
        assert!(matches!(kind, ErrorKind::InputTooLong { .. }));
        let kind = compile_error(&text, without_length_limit());
        assert!(matches!(kind, ErrorKind::NestingTooDeep { max: 64 }));
    });
}

#[test]
fn filter_of_10_mb_fails_cleanly() {
    on_both_stacks(|| {
        let text = or_of_ids(1_000_000);
        assert!(text.len() > 10_000_000);
        let kind = compile_error(&text, Limits::default());
        assert!(matches!(kind, ErrorKind::InputTooLong { .. }));
        let kind = compile_error(&text, without_length_limit());
        assert!(matches!(kind, ErrorKind::TermsTooMany { max: 4096 }));

        let string = format!("id eq '{}'", "''".repeat(5_000_000));
        let kind = compile_error(&string, Limits::default());
        assert!(matches!(kind, ErrorKind::InputTooLong { .. }));
        let filter = Filter::compile(&string, &options(without_length_limit()));
        assert!(filter.is_ok(), "a 10 MB string literal is valid");
    });
}

#[test]
fn or_of_100k_ids_fails_or_runs() {
    on_both_stacks(|| {
        let text = or_of_ids(100_000);
        let kind = compile_error(&text, Limits::default());
        assert!(matches!(kind, ErrorKind::InputTooLong { .. }));
        let kind = compile_error(&text, without_length_limit());
        assert!(matches!(kind, ErrorKind::TermsTooMany { max: 4096 }));

        // With every limit lifted the chain is still a flat list, so it compiles and runs.
        let unlimited = Limits {
            max_length: usize::MAX,
            max_terms: usize::MAX,
            ..Limits::default()
        };
        let text = vec!["id eq 'task-7'"; 100_000].join(" or ");
        let filter = Filter::compile(&text, &options(unlimited)).expect("a flat chain");
        run_plan_expecting(filter.plan(), 1);
    });
}

#[test]
fn deepest_accepted_filters_run() {
    on_both_stacks(|| {
        let max_depth = Limits::default().max_depth;
        let deep = [
            nested_parentheses(max_depth),
            nested_not(max_depth - 1),
            alternating(max_depth),
        ];
        for text in deep {
            let filter = Filter::compile(&text, &options(Limits::default()));
            let filter = filter.unwrap_or_else(|error| panic!("{}", error.render()));
            run_plan(filter.plan());
        }
        let kind = compile_error(&nested_parentheses(max_depth + 1), Limits::default());
        assert!(matches!(kind, ErrorKind::NestingTooDeep { .. }));
    });
}

/// Returns `not (… and (not (… or (…))))` nested `depth` deep, counting each `not` and
/// each parenthesis. Normalization cannot flatten alternating `and` and `or`, so the plan
/// keeps a third of that depth.
fn alternating(depth: usize) -> String {
    let mut text = "id eq 'task-1'".to_owned();
    for level in 0..depth / 3 {
        let op = if level % 2 == 0 { "and" } else { "or" };
        text = format!("not (state eq 'active' {op} ({text}))");
    }
    text
}

#[test]
fn widest_accepted_filter_runs() {
    on_both_stacks(|| {
        let terms = Limits::default().max_terms;
        let text = (0..terms)
            .map(|i| format!("id eq 'task-{}'", i % 100))
            .collect::<Vec<_>>()
            .join(" or ");
        let filter = Filter::compile(&text, &options(without_length_limit())).expect("compiles");
        run_plan(filter.plan());

        let list = (0..Limits::default().max_in_list)
            .map(|i| format!("'task-{i}'"))
            .collect::<Vec<_>>()
            .join(",");
        let filter = Filter::compile(&format!("id in ({list})"), &options(Limits::default()));
        run_plan(filter.expect("compiles").plan());
    });
}

#[test]
fn token_is_48_bytes() {
    // The lexer documents its memory use as 48 bytes per token plus string text.
    assert_eq!(size_of::<Token>(), 48);
}

/// Limits that raise the nesting depth as far as a caller can.
fn unbounded_depth() -> Limits {
    Limits {
        max_length: usize::MAX,
        max_depth: usize::MAX,
        ..Limits::default()
    }
}

#[test]
fn raised_depth_limit_is_capped() {
    on_both_stacks(|| {
        let cap = Limits::DEPTH_CAP;
        for text in [nested_parentheses(100_000), nested_not(100_000)] {
            let kind = compile_error(&text, unbounded_depth());
            assert_eq!(kind, ErrorKind::NestingTooDeep { max: cap });
        }
        let kind = compile_error(&nested_parentheses(cap + 1), unbounded_depth());
        assert_eq!(kind, ErrorKind::NestingTooDeep { max: cap });
    });
}

#[test]
fn filters_at_depth_cap_run() {
    on_both_stacks(|| {
        let cap = Limits::DEPTH_CAP;
        let deep = [
            nested_parentheses(cap),
            nested_not(cap - 1),
            alternating(cap),
        ];
        for text in deep {
            let filter = Filter::compile(&text, &options(unbounded_depth()));
            let filter = filter.unwrap_or_else(|error| panic!("{}", error.render()));
            run_plan(filter.plan());
        }
    });
}
