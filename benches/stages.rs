//! Criterion benches, one group per stage of a request: `lex+parse`, `bind`, `plan`
//! (normalize) and `compile` (all three) over the filters of `benches/corpus/filters.txt`,
//! then `count`, `page`, `counts` and `update` over stores of generated tasks.
//!
//! ```sh
//! cargo bench --bench stages
//! BATCH_ODATA_BENCH_TASKS=10000,100000 cargo bench --bench stages -- count
//! ```
//!
//! The store sizes come from `BATCH_ODATA_BENCH_TASKS`, a comma-separated list that
//! defaults to 10,000, 100,000 and 1,000,000 tasks. Each size is generated with seed 42,
//! loaded, benched and dropped before the next, so only one store is in memory at a time.
//! Benchmark ids end in the store size, such as `count/q7/100000`.

use std::hint::black_box;
use std::time::Duration;

use batch_odata::bind::{Mode, bind};
use batch_odata::engine::Engine;
use batch_odata::filter::Filter;
use batch_odata::plan::normalize;
use batch_odata::query::ListParams;
use batch_odata::store::Store;
use batch_odata::syntax::{Limits, parse};
use batch_odata::task::TaskRecord;
use batch_odata::version::ApiVersion;
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};

const CORPUS: &str = include_str!("corpus/filters.txt");

/// The corpus filters that the store benches run: the query set of `examples/compare`.
const STORE_QUERIES: [&str; 10] = [
    "q2",
    "q3",
    "q4",
    "q5",
    "q6",
    "q7",
    "q8",
    "q9",
    "q10-nothing",
    "q10-everything",
];

/// Tasks whose state the update bench changes and restores.
const TRANSITIONS: usize = 1000;

/// Returns the named filters of the corpus.
fn corpus() -> Vec<(&'static str, &'static str)> {
    CORPUS
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            line.split_once('\t')
                .expect("corpus lines are NAME<TAB>FILTER")
        })
        .collect()
}

fn filter(name: &str) -> &'static str {
    corpus()
        .into_iter()
        .find(|(candidate, _)| *candidate == name)
        .map(|(_, text)| text)
        .unwrap_or_else(|| panic!("no filter {name} in the corpus"))
}

fn compile_stages(c: &mut Criterion) {
    let limits = Limits::default();
    let version = ApiVersion::LATEST;

    let mut group = c.benchmark_group("lex+parse");
    for (name, text) in corpus() {
        group.bench_with_input(BenchmarkId::from_parameter(name), text, |b, text| {
            b.iter(|| parse(black_box(text), &limits))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("bind");
    for (name, text) in corpus() {
        let syntax = parse(text, &limits).expect(text);
        group.bench_with_input(BenchmarkId::from_parameter(name), &syntax, |b, syntax| {
            b.iter(|| bind(black_box(syntax), text, version, Mode::Extended))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("plan");
    for (name, text) in corpus() {
        let syntax = parse(text, &limits).expect(text);
        let plan = bind(&syntax, text, version, Mode::Extended).expect(text);
        group.bench_with_input(BenchmarkId::from_parameter(name), &plan, |b, plan| {
            b.iter_batched(|| plan.clone(), normalize, BatchSize::SmallInput)
        });
    }
    group.finish();

    let mut group = c.benchmark_group("compile");
    for (name, text) in corpus() {
        group.bench_with_input(BenchmarkId::from_parameter(name), text, |b, text| {
            b.iter(|| Filter::parse(black_box(text), version))
        });
    }
    group.finish();
}

/// Returns the store sizes to bench.
fn sizes() -> Vec<u64> {
    let text =
        std::env::var("BATCH_ODATA_BENCH_TASKS").unwrap_or_else(|_| "10000,100000,1000000".into());
    text.split(',')
        .map(|size| {
            size.trim()
                .parse()
                .expect("BATCH_ODATA_BENCH_TASKS must be comma-separated task counts")
        })
        .collect()
}

fn build_store(tasks: u64) -> Store {
    let mut ndjson = Vec::new();
    batch_odata::generate::write_ndjson(&mut ndjson, tasks, 42).expect("writing to a Vec");
    Store::load_from_reader(ndjson.as_slice()).expect("generated tasks load")
}

fn list_params(filter: &str) -> ListParams {
    let pairs: Vec<(String, String)> = [
        ("api-version", ApiVersion::LATEST.as_str()),
        ("$filter", filter),
        ("$select", "id,state,executionInfo"),
        ("maxresults", "1000"),
    ]
    .iter()
    .map(|(name, value)| (name.to_string(), value.to_string()))
    .collect();
    ListParams::from_pairs(&pairs).expect("valid List Tasks parameters")
}

/// Returns pairs of task JSON for the update bench: each task in its next state, then
/// back in its original one, so that cycling through them leaves the store as it was.
fn transitions(store: &Store, tasks: u64) -> Vec<String> {
    let step = (tasks / TRANSITIONS as u64).max(1);
    let mut texts = Vec::new();
    for row in (0..tasks).step_by(step as usize).take(TRANSITIONS) {
        let Some(original) = store.task_at(row as u32) else {
            continue;
        };
        let mut task: serde_json::Value = serde_json::from_str(original).expect("stored JSON");
        let next = match task["state"].as_str() {
            Some("active") => "running",
            Some("running" | "preparing") => "completed",
            _ => "active",
        };
        task["state"] = next.into();
        task["stateTransitionTime"] = "2019-01-01T00:00:00Z".into();
        texts.push(task.to_string());
        texts.push(original.to_owned());
    }
    texts
}

fn store_stages(c: &mut Criterion) {
    for tasks in sizes() {
        let mut engine = Engine::new(build_store(tasks));

        let mut group = c.benchmark_group("count");
        for name in STORE_QUERIES {
            let compiled = Filter::parse(filter(name), ApiVersion::LATEST).expect(name);
            group.bench_function(BenchmarkId::new(name, tasks), |b| {
                b.iter(|| engine.store().count(black_box(compiled.plan())))
            });
        }
        group.finish();

        let mut group = c.benchmark_group("page");
        for name in STORE_QUERIES {
            let params = list_params(filter(name));
            group.bench_function(BenchmarkId::new(name, tasks), |b| {
                b.iter(|| {
                    engine
                        .list_text(
                            &params,
                            Mode::Extended,
                            "https://a",
                            "https://a/jobs/j/tasks",
                        )
                        .expect("List Tasks")
                })
            });
        }
        group.finish();

        let mut group = c.benchmark_group("counts");
        group.bench_function(BenchmarkId::from_parameter(tasks), |b| {
            b.iter(|| engine.store().counts())
        });
        group.finish();

        let texts = transitions(engine.store(), tasks);
        let mut group = c.benchmark_group("update");
        group.bench_function(BenchmarkId::new("parse+upsert", tasks), |b| {
            let mut next = texts.iter().cycle();
            b.iter(|| {
                let text = next.next().expect("a cycle never ends");
                let record = TaskRecord::parse(text).expect("valid task");
                engine.store_mut().upsert(record).expect("store has room")
            })
        });
        group.finish();
    }
}

criterion_group! {
    name = stages;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = compile_stages, store_stages
}
criterion_main!(stages);
