//! The batch-odata side: load the data file into a store, run the query set through
//! `Filter` and `Engine`, as a server would, and the mixed workload through `Store::upsert`.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::RwLock;
use std::time::Instant;

use batch_odata::bind::Mode;
use batch_odata::engine::Engine;
use batch_odata::filter::Filter;
use batch_odata::query::ListParams;
use batch_odata::store::{Store, TaskCounts};
use batch_odata::task::TaskRecord;
use batch_odata::version::ApiVersion;

use crate::common::{
    EngineReport, Failure, LIST_URL, Measurement, Mixed, SERVICE_URL, body_ids, keep, list_params,
    median_ns, run_mixed, status_kib, transitions,
};
use crate::queries::{Query, mixed_set, query_set};

pub fn run(data: &Path, tasks: u64, changes: u64) -> Result<EngineReport, Failure> {
    let started = Instant::now();
    let store = Store::load_from_reader(BufReader::with_capacity(1 << 20, File::open(data)?))?;
    let load_seconds = started.elapsed().as_secs_f64();
    let json_bytes: usize = (0..store.len() as u32)
        .filter_map(|row| store.task_at(row))
        .map(str::len)
        .sum();
    let mut report = EngineReport {
        engine: "batch-odata".into(),
        tasks,
        load_seconds,
        rss_after_load_kib: status_kib("VmRSS"),
        heap_bytes: Some(store.heap_size() as u64),
        json_bytes: json_bytes as u64,
        ..EngineReport::default()
    };
    let engine = Engine::new(store);

    let (median, samples) = median_ns(|| keep(engine.store().counts()));
    report.measurements.push(Measurement {
        name: "1 counts".into(),
        counts: counts_vector(engine.store().counts()),
        median_ns: median,
        samples,
        ..Measurement::default()
    });

    // Query 7 is about 100 bytes long, the size the compile target is stated for.
    let compiled = &query_set(tasks)[5].filter;
    let (median, samples) = median_ns(|| keep(Filter::parse(compiled, ApiVersion::LATEST)));
    report.measurements.push(Measurement {
        name: format!("compile ({} bytes)", compiled.len()),
        median_ns: median,
        samples,
        ..Measurement::default()
    });

    for query in query_set(tasks) {
        report.measurements.push(measure_count(&engine, &query)?);
        report.measurements.push(measure_pages(&engine, &query)?);
    }

    let texts = transitions(data, tasks, changes)?;
    report.mixed = mixed(engine, &texts, tasks)?;
    report.peak_rss_kib = status_kib("VmHWM");
    Ok(report)
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

/// Returns the filtered count, compiling the filter as a request would.
fn count(engine: &Engine, filter: &str) -> Result<u64, Failure> {
    let compiled = Filter::parse(filter, ApiVersion::LATEST)?;
    Ok(engine.store().count(compiled.plan()))
}

/// Measures the count with the filter compiled once, as SQLite's side reuses its prepared
/// statement. The compile is measured on its own.
fn measure_count(engine: &Engine, query: &Query) -> Result<Measurement, Failure> {
    let matches = count(engine, &query.filter)?;
    let compiled = Filter::parse(&query.filter, ApiVersion::LATEST)?;
    let (median, samples) = median_ns(|| keep(engine.store().count(compiled.plan())));
    Ok(Measurement {
        name: format!("{} count", query.name),
        counts: vec![matches],
        median_ns: median,
        samples,
        ..Measurement::default()
    })
}

/// Returns the bodies of up to `pages` List Tasks pages, serialized to text as a server
/// sends them, following `odata.nextLink` as a client does.
fn pages(engine: &Engine, params: &ListParams, pages: usize) -> Result<Vec<String>, Failure> {
    let mut params = params.clone();
    let mut bodies = Vec::new();
    for _ in 0..pages {
        let body = engine.list_text(&params, Mode::Extended, SERVICE_URL, LIST_URL)?;
        let next = next_link(&body)?;
        bodies.push(body);
        let Some(link) = next else {
            break;
        };
        let query = link.split_once('?').map_or("", |(_, query)| query);
        params = ListParams::from_query(query)?;
    }
    Ok(bodies)
}

/// Returns the `odata.nextLink` of a List Tasks body, the last member when present.
fn next_link(body: &str) -> Result<Option<String>, Failure> {
    const MEMBER: &str = ",\"odata.nextLink\":";
    let Some(start) = body.rfind(MEMBER) else {
        return Ok(None);
    };
    let link = body[start + MEMBER.len()..].trim_end_matches('}');
    Ok(Some(serde_json::from_str(link)?))
}

/// Returns the task ids of List Tasks bodies, in order.
fn page_ids(bodies: &[String]) -> Result<Vec<String>, Failure> {
    let mut ids = Vec::new();
    for body in bodies {
        ids.extend(body_ids(&serde_json::from_str(body)?));
    }
    Ok(ids)
}

fn measure_pages(engine: &Engine, query: &Query) -> Result<Measurement, Failure> {
    let params = list_params(&query.filter);
    let ids = page_ids(&pages(engine, &params, query.pages)?)?;
    let (median, samples) = median_ns(|| keep(pages(engine, &params, query.pages)));
    Ok(Measurement {
        name: format!("{} page x{}", query.name, query.pages),
        ids,
        median_ns: median,
        samples,
        ..Measurement::default()
    })
}

/// Applies the transitions while another thread runs the count and first page of queries
/// 2 to 4, sharing the engine through a `RwLock` as the server shares a job's store. Each
/// batch is parsed outside the lock and applied under one write lock; each query takes
/// the read lock.
fn mixed(engine: Engine, texts: &[String], tasks: u64) -> Result<Mixed, Failure> {
    let queries = mixed_set(tasks);
    let params: Vec<ListParams> = queries.iter().map(|q| list_params(&q.filter)).collect();
    let shared = RwLock::new(engine);
    let write = |chunk: &[String]| {
        let records = chunk
            .iter()
            .map(|text| TaskRecord::parse(text))
            .collect::<Result<Vec<_>, _>>()?;
        let mut engine = shared.write().map_err(|error| error.to_string())?;
        for record in records {
            engine.store_mut().upsert(record)?;
        }
        Ok(())
    };
    let query = || {
        for (query, params) in queries.iter().zip(&params) {
            let engine = shared.read().map_err(|error| error.to_string())?;
            keep(count(&engine, &query.filter)?);
            drop(engine);
            let engine = shared.read().map_err(|error| error.to_string())?;
            keep(pages(&engine, params, 1)?);
        }
        Ok(2 * queries.len() as u64)
    };
    let mut mixed = run_mixed(texts, write, query)?;
    let engine = shared.into_inner().map_err(|error| error.to_string())?;
    mixed.counts_after = counts_vector(engine.store().counts());
    for query in &queries {
        mixed.counts_after.push(count(&engine, &query.filter)?);
    }
    Ok(mixed)
}
