//! The PostgreSQL side: the same tasks loaded through `PgTasks::insert` into the table
//! layout of `batch_odata::sql`, and the queries compiled by `sql::page_query` and
//! `sql::count_query`, the SQL that `batch-odata serve --postgres` runs.
//!
//! The server is the one at `--postgres URL`, or else a throwaway cluster on a free
//! loopback port, created with `initdb` and deleted when the process ends. Tasks are
//! added in transactions of 50,000, then `ANALYZE` gives the planner statistics; both count
//! as load time. The job is `compare-N`, emptied first when it exists.
//!
//! Memory is the server's: the sum of `VmRSS` and of `VmHWM` over the postmaster and its
//! children (read from `/proc`, so 0 for a server on another machine). Each process counts
//! the shared buffers it touched, so the sum counts shared memory more than once.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::Instant;

use batch_odata::bind::Mode;
use batch_odata::engine::Engine;
use batch_odata::filter::Filter;
use batch_odata::plan::Plan;
use batch_odata::query::{ListParams, SkipToken};
use batch_odata::response::Projection;
use batch_odata::sql::client::PgTasks;
use batch_odata::sql::count_query;
use batch_odata::sql::layout::{COUNTS, TASKS};
use batch_odata::store::TaskCounts;
use batch_odata::task::TaskRecord;
use batch_odata::version::ApiVersion;
use tokio::runtime::Runtime;

use crate::cluster::Cluster;
use crate::common::{
    EngineReport, Failure, LIST_URL, Measurement, Mixed, SERVICE_URL, body_ids, keep, list_params,
    median_ns, process_kib, run_mixed, transitions,
};
use crate::queries::{Query, mixed_set, query_set};

/// Tasks per insert transaction while loading.
const LOAD_BATCH: usize = 50_000;

/// A connected client and the runtime that drives it.
struct Database {
    runtime: Runtime,
    tasks: PgTasks,
    job: String,
    /// The process id of the postmaster, when it runs on this machine.
    postmaster: Option<String>,
}

impl Database {
    /// Connects to the server at `url`, for the job of a run over `tasks` tasks.
    fn connect(url: &str, tasks: u64) -> Result<Database, Failure> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let connected = runtime.block_on(PgTasks::connect(url))?;
        let backend: i32 = runtime
            .block_on(connected.client().query_one("SELECT pg_backend_pid()", &[]))?
            .get(0);
        Ok(Database {
            runtime,
            tasks: connected,
            job: format!("compare-{tasks}"),
            postmaster: parent(&backend.to_string()),
        })
    }

    fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        self.runtime.block_on(future)
    }

    /// Returns the sum of a `/proc` status field over the postmaster and its children.
    fn server_kib(&self, field: &str) -> u64 {
        let Some(postmaster) = &self.postmaster else {
            return 0;
        };
        let children = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| entry.file_name().into_string().ok())
            .filter(|pid| pid.bytes().all(|byte| byte.is_ascii_digit()))
            .filter(|pid| parent(pid).as_ref() == Some(postmaster));
        std::iter::once(postmaster.clone())
            .chain(children)
            .map(|pid| process_kib(&pid, field))
            .sum()
    }
}

/// Returns the parent process id of a process.
fn parent(pid: &str) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("PPid:"))
        .map(|rest| rest.trim().to_owned())
}

pub fn run(
    url: Option<&str>,
    data: &Path,
    tasks: u64,
    changes: u64,
) -> Result<EngineReport, Failure> {
    // Declared first so that it is dropped last, after the connection closes.
    let cluster = url.is_none().then(Cluster::start);
    let url = match (url, &cluster) {
        (Some(url), _) => url.to_owned(),
        (None, Some(cluster)) => cluster.url(),
        (None, None) => unreachable!("a cluster is started when no URL is given"),
    };
    let mut database = Database::connect(&url, tasks)?;

    let started = Instant::now();
    load(&mut database, data)?;
    let load_seconds = started.elapsed().as_secs_f64();

    let client = database.tasks.client();
    let json_bytes: i64 = database
        .block_on(client.query_one(
            &format!(
                "SELECT coalesce(sum(octet_length(json)), 0)::bigint FROM {TASKS} WHERE job_id = $1"
            ),
            &[&database.job],
        ))?
        .get(0);
    let table_bytes: i64 = database
        .block_on(client.query_one(&format!("SELECT pg_total_relation_size('{TASKS}')"), &[]))?
        .get(0);
    eprintln!(
        "PostgreSQL: {TASKS} with its indexes and TOAST takes {:.0} MiB",
        table_bytes as f64 / 1_048_576.0
    );
    let mut report = EngineReport {
        engine: "PostgreSQL".into(),
        tasks,
        load_seconds,
        rss_after_load_kib: database.server_kib("VmRSS"),
        json_bytes: json_bytes as u64,
        ..EngineReport::default()
    };

    let (median, samples) = median_ns(|| keep(counts(&database)));
    report.measurements.push(Measurement {
        name: "1 counts".into(),
        counts: counts(&database)?,
        median_ns: median,
        samples,
        ..Measurement::default()
    });

    // The compile is the filter's parse, bind and normalize, its translation to SQL, and
    // the server's parse of the statement.
    let compiled = &query_set(tasks)[5].filter;
    let (median, samples) = median_ns(|| keep(prepare(&database, compiled).is_ok()));
    report.measurements.push(Measurement {
        name: format!("compile ({} bytes)", compiled.len()),
        median_ns: median,
        samples,
        ..Measurement::default()
    });

    for query in query_set(tasks) {
        report.measurements.push(measure_count(&database, &query)?);
        report.measurements.push(measure_pages(&database, &query)?);
    }

    let texts = transitions(data, tasks, changes)?;
    let reader = Database::connect(&url, tasks)?;
    report.mixed = mixed(&mut database, &reader, &texts, tasks)?;
    report.peak_rss_kib = database.server_kib("VmHWM");
    Ok(report)
}

/// Empties the job, then adds the tasks of the data file in transactions of
/// [`LOAD_BATCH`] and runs `ANALYZE`.
fn load(database: &mut Database, data: &Path) -> Result<(), Failure> {
    let job = database.job.clone();
    let client = database.tasks.client();
    for table in [TASKS, COUNTS] {
        database
            .block_on(client.execute(&format!("DELETE FROM {table} WHERE job_id = $1"), &[&job]))?;
    }
    let mut batch = Vec::with_capacity(LOAD_BATCH);
    let mut lines = BufReader::with_capacity(1 << 20, File::open(data)?).lines();
    loop {
        let line = lines.next().transpose()?;
        if let Some(line) = &line
            && !line.trim().is_empty()
        {
            batch.push(TaskRecord::parse(line)?);
        }
        if batch.len() == LOAD_BATCH || (line.is_none() && !batch.is_empty()) {
            database
                .runtime
                .block_on(database.tasks.insert(&job, &batch))?;
            batch.clear();
        }
        if line.is_none() {
            break;
        }
    }
    database.block_on(
        database
            .tasks
            .client()
            .batch_execute(&format!("ANALYZE {TASKS}; ANALYZE {COUNTS}")),
    )?;
    Ok(())
}

fn counts_vector(counts: TaskCounts) -> Vec<u64> {
    vec![
        counts.active,
        counts.running,
        counts.completed,
        counts.succeeded,
        counts.failed,
    ]
}

/// Returns Get Task Counts: the job's row of maintained counters.
fn counts(database: &Database) -> Result<Vec<u64>, Failure> {
    Ok(counts_vector(
        database.block_on(database.tasks.counts(&database.job))?,
    ))
}

/// Compiles a filter to the count query and has the server parse it.
fn prepare(database: &Database, filter: &str) -> Result<(), Failure> {
    let compiled = Filter::parse(filter, ApiVersion::LATEST)?;
    let query = count_query(&database.job, compiled.plan());
    keep(database.block_on(database.tasks.client().prepare(&query.text))?);
    Ok(())
}

fn count(database: &Database, plan: &Plan) -> Result<u64, Failure> {
    Ok(database.block_on(database.tasks.count(&database.job, plan))?)
}

/// Measures the count with the filter compiled once, as the other engines do.
fn measure_count(database: &Database, query: &Query) -> Result<Measurement, Failure> {
    let compiled = Filter::parse(&query.filter, ApiVersion::LATEST)?;
    let matches = count(database, compiled.plan())?;
    let (median, samples) = median_ns(|| keep(count(database, compiled.plan())));
    Ok(Measurement {
        name: format!("{} count", query.name),
        counts: vec![matches],
        median_ns: median,
        samples,
        ..Measurement::default()
    })
}

/// Returns the ids of `pages` List Tasks pages, each a whole request as `serve --postgres`
/// handles it: the filter compiled, the page query run, the body built from the stored
/// JSON with the `$select` projection, and serialized to text.
fn pages(database: &Database, params: &ListParams, pages: usize) -> Result<Vec<String>, Failure> {
    let mut params = params.clone();
    let mut ids = Vec::new();
    for _ in 0..pages {
        let plan = Engine::list_plan(&params, Mode::Extended)?;
        let select = Engine::check_select(&params)?;
        let projection = Projection::new(params.api_version, select, params.expand_stats);
        let after = params.skip_token.as_ref().map(SkipToken::last_id);
        let page = database.block_on(database.tasks.page(
            &database.job,
            &plan,
            after,
            params.max_results as usize,
        ))?;
        let tasks: Vec<&str> = page.tasks.iter().map(String::as_str).collect();
        let body = Engine::page_body(
            &params,
            &projection,
            &tasks,
            page.more,
            page.last_folded_id.as_deref(),
            SERVICE_URL,
            LIST_URL,
        )?;
        keep(serde_json::to_string(&body)?);
        ids.extend(body_ids(&body));
        match page.last_folded_id {
            Some(last) if page.more => params.skip_token = Some(SkipToken::new(&last)),
            _ => break,
        }
    }
    Ok(ids)
}

fn measure_pages(database: &Database, query: &Query) -> Result<Measurement, Failure> {
    let params = list_params(&query.filter);
    let ids = pages(database, &params, query.pages)?;
    let (median, samples) = median_ns(|| keep(pages(database, &params, query.pages)));
    Ok(Measurement {
        name: format!("{} page x{}", query.name, query.pages),
        ids,
        median_ns: median,
        samples,
        ..Measurement::default()
    })
}

/// Applies the transitions through `PgTasks::upsert`, one transaction per batch, while
/// another thread runs the count and first page of queries 2 to 4 over the `reader`
/// connection.
fn mixed(
    database: &mut Database,
    reader: &Database,
    texts: &[String],
    tasks: u64,
) -> Result<Mixed, Failure> {
    let queries = mixed_set(tasks);
    let params: Vec<ListParams> = queries.iter().map(|q| list_params(&q.filter)).collect();
    let write = |chunk: &[String]| {
        let records = chunk
            .iter()
            .map(|text| TaskRecord::parse(text))
            .collect::<Result<Vec<_>, _>>()?;
        database
            .runtime
            .block_on(database.tasks.upsert(&database.job, &records))?;
        Ok(())
    };
    let query = || {
        for (query, params) in queries.iter().zip(&params) {
            let compiled = Filter::parse(&query.filter, ApiVersion::LATEST)?;
            keep(count(reader, compiled.plan())?);
            keep(pages(reader, params, 1)?);
        }
        Ok(2 * queries.len() as u64)
    };
    let mut mixed = run_mixed(texts, write, query)?;
    mixed.counts_after = counts(database)?;
    for query in &queries {
        let compiled = Filter::parse(&query.filter, ApiVersion::LATEST)?;
        mixed.counts_after.push(count(database, compiled.plan())?);
    }
    Ok(mixed)
}
