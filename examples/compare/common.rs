//! What both engine processes share: the report they print, timing, memory and the
//! transitions of the mixed workload.

use std::fs::File;
use std::hint::black_box;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use batch_odata::query::ListParams;
use batch_odata::version::ApiVersion;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An error of a comparison step.
pub type Failure = Box<dyn std::error::Error>;

/// Tasks per List Tasks page, the service's maximum.
pub const PAGE_SIZE: usize = 1000;

/// The `$select` of every List Tasks request.
pub const SELECT: &str = "id,state,executionInfo";

/// The account URL in response bodies.
pub const SERVICE_URL: &str = "https://account.region.batch.azure.com";

/// The task list URL that `odata.nextLink` extends.
pub const LIST_URL: &str = "https://account.region.batch.azure.com/jobs/job-1/tasks";

/// Everything one engine process measured, printed as JSON on its standard output.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct EngineReport {
    pub engine: String,
    pub tasks: u64,
    pub load_seconds: f64,
    /// Resident set size after loading, in KiB.
    pub rss_after_load_kib: u64,
    /// Peak resident set size of the process (`VmHWM`), in KiB.
    pub peak_rss_kib: u64,
    /// The engine's own estimate of its heap bytes, when it has one.
    pub heap_bytes: Option<u64>,
    /// Bytes of task JSON the engine stores.
    pub json_bytes: u64,
    pub measurements: Vec<Measurement>,
    pub mixed: Mixed,
}

/// The result and median latency of one operation.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct Measurement {
    pub name: String,
    /// The match count, or the five Get Task Counts counters.
    pub counts: Vec<u64>,
    /// The ids returned, in order, for pages.
    pub ids: Vec<String>,
    pub median_ns: f64,
    pub samples: usize,
}

/// The mixed workload: state transitions applied while queries 2 to 4 run.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct Mixed {
    pub transitions: u64,
    pub transition_seconds: f64,
    pub queries: u64,
    pub query_seconds: f64,
    /// Get Task Counts and the counts of queries 2 to 4 after the last transition.
    pub counts_after: Vec<u64>,
}

/// Transitions applied per write: per write lock of batch-odata's store, per transaction of
/// SQLite and PostgreSQL.
pub const WRITE_BATCH: usize = 1000;

/// Runs the mixed workload on two threads: this one passes the transitions to `write`
/// in batches of [`WRITE_BATCH`], while the other calls `query` in a loop until the writes
/// end. `query` runs queries 2 to 4 once and returns how many queries it ran. Each rate
/// is its work's count over its own thread's time.
pub fn run_mixed(
    texts: &[String],
    mut write: impl FnMut(&[String]) -> Result<(), Failure>,
    mut query: impl FnMut() -> Result<u64, Failure> + Send,
) -> Result<Mixed, Failure> {
    let writing = AtomicBool::new(true);
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let started = Instant::now();
            let mut queries = 0;
            // One round at least, so that even a short write phase measures queries.
            loop {
                // The error crosses back to this thread as text, because `Failure` is not
                // `Send`.
                queries += query().map_err(|error| error.to_string())?;
                if !writing.load(Ordering::Acquire) {
                    return Ok((queries, started.elapsed().as_secs_f64()));
                }
            }
        });
        let started = Instant::now();
        let written = texts.chunks(WRITE_BATCH).try_for_each(&mut write);
        let transition_seconds = started.elapsed().as_secs_f64();
        writing.store(false, Ordering::Release);
        let read: Result<(u64, f64), String> = reader
            .join()
            .unwrap_or_else(|_| Err("the query thread panicked".into()));
        written?;
        let (queries, query_seconds) = read?;
        Ok(Mixed {
            transitions: texts.len() as u64,
            transition_seconds,
            queries,
            query_seconds,
            counts_after: Vec::new(),
        })
    })
}

/// Runs `operation` repeatedly and returns the median nanoseconds per run and the number
/// of samples. Fast operations are repeated within a sample so that a sample lasts at
/// least 20 µs, which keeps the timer's own cost out of the figure.
pub fn median_ns(mut operation: impl FnMut()) -> (f64, usize) {
    let started = Instant::now();
    operation();
    let first = started.elapsed();
    let floor = Duration::from_micros(20);
    let inner = if first < floor {
        (floor.as_nanos() / first.as_nanos().max(10)).clamp(1, 100_000) as u32
    } else {
        1
    };

    let budget = Duration::from_millis(500);
    let began = Instant::now();
    let mut samples = Vec::new();
    while samples.len() < 5 || (began.elapsed() < budget && samples.len() < 101) {
        let started = Instant::now();
        for _ in 0..inner {
            operation();
        }
        samples.push(started.elapsed().as_nanos() as f64 / f64::from(inner));
    }
    samples.sort_by(f64::total_cmp);
    (samples[samples.len() / 2], samples.len())
}

/// Returns a field of `/proc/self/status` in KiB, such as `VmHWM`, or 0 where there is
/// no such file.
pub fn status_kib(field: &str) -> u64 {
    process_kib("self", field)
}

/// Returns a field of `/proc/PROCESS/status` in KiB, or 0 where there is no such file or
/// field.
pub fn process_kib(process: &str, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{process}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Returns the List Tasks parameters of a query's first page.
pub fn list_params(filter: &str) -> ListParams {
    let pairs = [
        ("api-version", ApiVersion::LATEST.as_str()),
        ("$filter", filter),
        ("$select", SELECT),
        ("maxresults", "1000"),
    ];
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    ListParams::from_pairs(&pairs).unwrap_or_else(|error| panic!("{filter}: {error}"))
}

/// Returns the ids of the tasks in a List Tasks body, in order.
pub fn body_ids(body: &Value) -> Vec<String> {
    body["value"]
        .as_array()
        .map(|tasks| {
            tasks
                .iter()
                .map(|task| task["id"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The next state of a task in the mixed workload, cycling through the states.
fn next_state(state: &str) -> &'static str {
    match state {
        "active" => "preparing",
        "preparing" => "running",
        "running" => "completed",
        _ => "active",
    }
}

/// Returns `count` state transitions as whole task JSON, the form both engines store.
///
/// Transition `k` moves the task on line `(k * 7919) % tasks` of the data file to its next
/// state and sets `stateTransitionTime`, `previousState` and `previousStateTransitionTime`.
/// 7919 is prime, so the tasks are distinct while `count` is below `tasks` and 7919 does
/// not divide `tasks`.
pub fn transitions(data: &Path, tasks: u64, count: u64) -> std::io::Result<Vec<String>> {
    let mut wanted: Vec<(u64, usize)> = (0..count)
        .map(|k| ((k * 7919) % tasks.max(1), k as usize))
        .collect();
    wanted.sort_unstable();
    let mut texts = vec![String::new(); count as usize];
    let mut next = wanted.iter().peekable();
    for (index, line) in BufReader::new(File::open(data)?).lines().enumerate() {
        let line = line?;
        while let Some(&&(wanted_index, k)) = next.peek() {
            if wanted_index != index as u64 {
                break;
            }
            texts[k] = transition(&line, k);
            next.next();
        }
        if next.peek().is_none() {
            break;
        }
    }
    Ok(texts)
}

fn transition(line: &str, k: usize) -> String {
    let mut task: Value = serde_json::from_str(line).expect("generated task JSON");
    let state = task["state"].as_str().unwrap_or("active").to_owned();
    let previous_time = task["stateTransitionTime"].clone();
    let time = format!("2019-01-01T{:02}:{:02}:00Z", (k / 60) % 24, k % 60);
    task["previousState"] = state.clone().into();
    task["previousStateTransitionTime"] = previous_time;
    task["state"] = next_state(&state).into();
    task["stateTransitionTime"] = time.into();
    serde_json::to_string(&task).expect("a JSON value serializes")
}

/// Keeps the optimizer from discarding a result.
pub fn keep<T>(value: T) {
    black_box(value);
}
