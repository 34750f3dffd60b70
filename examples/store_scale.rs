//! Measures loading, memory and query times of the store on synthetic tasks.
//!
//! Run with `cargo run --release --example store_scale -- 1000000`. The tasks copy the shape
//! of real List Tasks output: about 600 bytes of JSON each, with a url, an eTag, four
//! date-times, a command line, two durations and a few integers. States cycle through the
//! four values, and one completed task in ten failed. The resident set size is read from
//! `/proc/self/status`, so it is printed on Linux only.

use std::fmt::Write;
use std::time::{Duration, Instant};

use batch_odata::datetime::DateTime;
use batch_odata::plan::{Plan, Predicate, Test, Value};
use batch_odata::schema;
use batch_odata::span::Span;
use batch_odata::store::Store;
use batch_odata::syntax::CompareOp;
use batch_odata::task::TaskRecord;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: usize = match std::env::args().nth(1) {
        Some(text) => text.parse()?,
        None => 1_000_000,
    };

    let text = tasks(count);
    println!(
        "{count} tasks, {} bytes of NDJSON per task",
        text.len() / count.max(1)
    );
    let started = Instant::now();
    let mut store = Store::load(&text)?;
    let elapsed = started.elapsed();
    drop(text);
    println!(
        "load: {elapsed:.2?}, {:.2?} per task",
        elapsed / count.max(1) as u32
    );
    println!(
        "heap estimate: {} MiB, {} bytes per task; {}",
        store.heap_size() >> 20,
        store.heap_size() / count.max(1),
        resident_size()
    );

    println!(
        "\n{:48} {:>9} {:>10} {:>10} {:>10}",
        "plan", "matches", "count", "evaluate", "page"
    );
    for (name, plan) in plans()? {
        report(&store, &name, &plan);
    }

    let changes = count.min(100_000);
    let started = Instant::now();
    for i in 0..changes {
        let id = (i * 7919) % count.max(1);
        let json = format!(
            concat!(
                r#"{{"id":"task-{id:08}","state":"completed","#,
                r#""creationTime":"2018-04-01T00:00:00Z","#,
                r#""executionInfo":{{"exitCode":{code},"result":"success"}}}}"#,
            ),
            id = id,
            code = i % 5
        );
        store.upsert(TaskRecord::parse(&json)?)?;
    }
    println!("\n{changes} upserts: {:.2?}", started.elapsed());
    for (name, plan) in plans()?.into_iter().skip(2).take(2) {
        report(&store, &name, &plan);
    }
    Ok(())
}

/// Prints the match count and the times of count, evaluate and a first page of 1000.
fn report(store: &Store, name: &str, plan: &Plan) {
    let (matches, count) = timed(|| store.count(plan));
    let (_, evaluate) = timed(|| store.evaluate(plan));
    let (_, page) = timed(|| store.page(plan, None, 1000).tasks.len());
    println!("{name:48} {matches:>9} {count:>10.2?} {evaluate:>10.2?} {page:>10.2?}");
}

fn timed<T>(run: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let output = run();
    (output, started.elapsed())
}

/// Returns `count` tasks as NDJSON.
fn tasks(count: usize) -> String {
    let states = ["active", "running", "completed", "preparing"];
    let mut text = String::with_capacity(count * 620);
    for i in 0..count {
        let state = states[(i * 7 + i / 13) % 4];
        let time = format!(
            "2018-03-{:02}T{:02}:{:02}:{:02}.9236757Z",
            1 + (i / 86_400) % 28,
            (i / 3600) % 24,
            (i / 60) % 60,
            i % 60
        );
        let result = match (state, i % 10) {
            ("completed", 0) => r#","result":"Failure","exitCode":1"#,
            ("completed", _) => r#","result":"success","exitCode":0"#,
            _ => "",
        };
        let _ = writeln!(
            text,
            concat!(
                r#"{{"id":"Task-{i:08}","#,
                r#""url":"https://account.region.batch.azure.com/jobs/job-1/tasks/task-{i:08}","#,
                r#""eTag":"0x8D588B2BD987D15","creationTime":"{time}","lastModified":"{time}","#,
                r#""state":"{state}","stateTransitionTime":"{time}","#,
                r#""commandLine":"cmd /c \"echo hello world {i}\"","#,
                r#""userIdentity":{{"autoUser":{{"elevationLevel":"nonadmin"}}}},"#,
                r#""constraints":{{"maxWallClockTime":"P10675199DT2H48M5.4775807S","#,
                r#""retentionTime":"P10675199DT2H48M5.4775807S","maxTaskRetryCount":0}},"#,
                r#""executionInfo":{{"retryCount":0,"requeueCount":0{result}}}}}"#,
            ),
            i = i,
            time = time,
            state = state,
            result = result,
        );
    }
    text
}

fn leaf(path: &str, test: Test) -> Result<Plan, String> {
    let property = schema::lookup(path).ok_or_else(|| format!("no property {path}"))?;
    Ok(Plan::Leaf(Predicate {
        property,
        test,
        span: Span::default(),
    }))
}

fn eq(path: &str, value: &str) -> Result<Plan, String> {
    leaf(path, Test::Compare(CompareOp::Eq, Value::Str(value.into())))
}

fn plans() -> Result<Vec<(String, Plan)>, Box<dyn std::error::Error>> {
    let noon = DateTime::parse_iso("2018-03-01T12:00:00Z")?.ticks();
    Ok(vec![
        ("state eq 'running'".into(), eq("state", "running")?),
        (
            "state ne 'completed'".into(),
            leaf(
                "state",
                Test::Compare(CompareOp::Ne, Value::Str("completed".into())),
            )?,
        ),
        (
            "creationTime ge 2018-03-01T12:00Z".into(),
            leaf(
                "creationTime",
                Test::Compare(CompareOp::Ge, Value::Ticks(noon)),
            )?,
        ),
        (
            "executionInfo/exitCode gt 0".into(),
            leaf(
                "executionInfo/exitCode",
                Test::Compare(CompareOp::Gt, Value::Int(0)),
            )?,
        ),
        (
            "startswith(id, 'task-0012')".into(),
            leaf("id", Test::StartsWith("task-0012".into()))?,
        ),
        (
            "id gt 'task-009'".into(),
            leaf(
                "id",
                Test::Compare(CompareOp::Gt, Value::Str("task-009".into())),
            )?,
        ),
        ("id eq 'task-00500000'".into(), eq("id", "task-00500000")?),
        (
            "state eq 'completed' and result eq 'failure'".into(),
            Plan::And(vec![
                eq("state", "completed")?,
                eq("executionInfo/result", "failure")?,
            ]),
        ),
        (
            "contains(commandLine, 'world 1') and running".into(),
            Plan::And(vec![
                leaf("commandLine", Test::Contains("world 1".into()))?,
                eq("state", "running")?,
            ]),
        ),
        (
            "contains(commandLine, 'world 99999')".into(),
            leaf("commandLine", Test::Contains("world 99999".into()))?,
        ),
        (
            "contains(commandLine, 'hello')".into(),
            leaf("commandLine", Test::Contains("hello".into()))?,
        ),
    ])
}

/// Returns the resident set size line of `/proc/self/status`, or a note where there is none.
fn resident_size() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS"))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "resident size unknown".into())
}
