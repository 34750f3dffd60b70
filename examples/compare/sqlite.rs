//! The SQLite side: the same tasks in a table with typed, folded columns and the indexes a
//! careful user would create, queried with the hand translations of `queries.rs`.
//!
//! The database is a file in WAL mode with `synchronous=NORMAL`, and its 8 GB page cache
//! fits the whole database up to about 4M tasks, so queries run from memory like
//! batch-odata's. Beyond that, pages not in SQLite's cache come from the kernel's. Rows are inserted
//! in transactions of 100,000 and the indexes are built after them, then `ANALYZE`
//! gives the planner statistics. Pages project `$select` in SQL with `json_object` and
//! the `->` operators, and the body is the projected rows joined, as a server over
//! SQLite would build it.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::{Duration, Instant};

use batch_odata::datetime::DateTime;
use batch_odata::fold::fold_case;
use batch_odata::query::{ListParams, SkipToken, next_link};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, params_from_iter};
use serde::Deserialize;

use crate::common::{
    EngineReport, Failure, LIST_URL, Measurement, Mixed, PAGE_SIZE, SERVICE_URL, keep, list_params,
    median_ns, run_mixed, status_kib, transitions,
};
use crate::queries::{Arg, Query, mixed_set, query_set};

/// Tasks inserted per transaction while loading.
const LOAD_BATCH: usize = 100_000;

/// Write transactions of the mixed workload between two checkpoints that restart the
/// write-ahead log.
const CHECKPOINT_EVERY: usize = 20;

const SCHEMA: &str = "
    CREATE TABLE tasks (
        id TEXT NOT NULL,
        fid TEXT NOT NULL,
        state TEXT,
        result TEXT,
        exit_code INTEGER,
        creation_time INTEGER,
        transition_time INTEGER,
        json TEXT NOT NULL
    );";

const INDEXES: &str = "
    CREATE UNIQUE INDEX tasks_fid ON tasks (fid);
    CREATE INDEX tasks_state ON tasks (state);
    CREATE INDEX tasks_result ON tasks (result);
    CREATE INDEX tasks_exit_code ON tasks (exit_code);
    CREATE INDEX tasks_creation_time ON tasks (creation_time);
    CREATE INDEX tasks_transition_time ON tasks (transition_time);
    ANALYZE;";

/// The fields of a task that have columns. serde skips the rest of the JSON.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fields {
    id: String,
    state: Option<String>,
    creation_time: Option<String>,
    state_transition_time: Option<String>,
    execution_info: Option<ExecutionFields>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecutionFields {
    result: Option<String>,
    exit_code: Option<i64>,
}

/// Extracts the column values of one task, in `INSERT` order.
fn columns(json: &str) -> Result<[SqlValue; 8], Failure> {
    let fields: Fields = serde_json::from_str(json)?;
    let folded = |text: Option<String>| text.map_or(SqlValue::Null, |t| fold_case(&t).into());
    let ticks = |text: Option<String>| -> Result<SqlValue, Failure> {
        Ok(match text {
            Some(text) => DateTime::parse_iso(&text)
                .map_err(|error| format!("{text}: {error:?}"))?
                .ticks()
                .into(),
            None => SqlValue::Null,
        })
    };
    let (result, exit_code) = match fields.execution_info {
        Some(info) => (info.result, info.exit_code),
        None => (None, None),
    };
    Ok([
        SqlValue::Text(fold_case(&fields.id)),
        SqlValue::Text(fields.id),
        folded(fields.state),
        folded(result),
        exit_code.map_or(SqlValue::Null, SqlValue::Integer),
        ticks(fields.creation_time)?,
        ticks(fields.state_transition_time)?,
        SqlValue::Text(json.to_owned()),
    ])
}

pub fn run(
    data: &Path,
    database: &Path,
    tasks: u64,
    changes: u64,
) -> Result<EngineReport, Failure> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
    }
    let mut connection = open(database)?;
    connection.execute_batch(SCHEMA)?;

    let started = Instant::now();
    load(&mut connection, data)?;
    connection.execute_batch(INDEXES)?;
    let load_seconds = started.elapsed().as_secs_f64();

    let json_bytes: i64 = connection.query_row(
        "SELECT sum(length(CAST(json AS BLOB))) FROM tasks",
        [],
        |row| row.get(0),
    )?;
    let mut report = EngineReport {
        engine: "SQLite".into(),
        tasks,
        load_seconds,
        rss_after_load_kib: status_kib("VmRSS"),
        json_bytes: json_bytes as u64,
        ..EngineReport::default()
    };

    let (median, samples) = median_ns(|| keep(counts(&connection)));
    report.measurements.push(Measurement {
        name: "1 counts".into(),
        counts: counts(&connection)?,
        median_ns: median,
        samples,
        ..Measurement::default()
    });

    // Preparing a statement without the cache is SQLite's parse, bind and plan.
    let compiled = &query_set(tasks)[5];
    let sql = format!("SELECT count(*) FROM tasks WHERE {}", compiled.sql);
    let (median, samples) = median_ns(|| keep(connection.prepare(&sql).is_ok()));
    report.measurements.push(Measurement {
        name: format!("compile ({} bytes)", compiled.filter.len()),
        median_ns: median,
        samples,
        ..Measurement::default()
    });

    for query in query_set(tasks) {
        report
            .measurements
            .push(measure_count(&connection, &query)?);
        report
            .measurements
            .push(measure_pages(&connection, &query)?);
    }

    let texts = transitions(data, tasks, changes)?;
    report.mixed = mixed(&mut connection, database, &texts, tasks)?;
    report.peak_rss_kib = status_kib("VmHWM");
    Ok(report)
}

/// Inserts the tasks in transactions of `LOAD_BATCH`. One transaction for the whole file
/// would grow the write-ahead log to the size of the table, because a checkpoint copies
/// only committed pages. Batches keep it to one batch's pages.
/// Opens a connection with the settings of every connection of the run.
fn open(database: &Path) -> Result<Connection, Failure> {
    let connection = Connection::open(database)?;
    // A checkpoint that restarts the log waits for readers this long.
    connection.busy_timeout(Duration::from_secs(60))?;
    connection.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -8000000;",
    )?;
    Ok(connection)
}

fn load(connection: &mut Connection, data: &Path) -> Result<(), Failure> {
    const INSERT: &str = "INSERT INTO tasks (fid, id, state, result, exit_code, \
                          creation_time, transition_time, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
    let mut lines = BufReader::with_capacity(1 << 20, File::open(data)?).lines();
    let mut more = true;
    while more {
        let transaction = connection.transaction()?;
        {
            let mut insert = transaction.prepare_cached(INSERT)?;
            let mut inserted = 0;
            more = false;
            for line in lines.by_ref() {
                let line = line?;
                if line.trim().is_empty() {
                    continue;
                }
                insert.execute(params_from_iter(columns(&line)?))?;
                inserted += 1;
                if inserted == LOAD_BATCH {
                    more = true;
                    break;
                }
            }
        }
        transaction.commit()?;
    }
    Ok(())
}

/// Returns the five Get Task Counts counters from two grouped counts.
fn counts(connection: &Connection) -> Result<Vec<u64>, Failure> {
    let mut counts = vec![0u64; 5];
    let mut states =
        connection.prepare_cached("SELECT state, count(*) FROM tasks GROUP BY state")?;
    let mut rows = states.query([])?;
    while let Some(row) = rows.next()? {
        let state: Option<String> = row.get(0)?;
        let count: i64 = row.get(1)?;
        let slot = match state.as_deref() {
            Some("active") => 0,
            Some("running" | "preparing") => 1,
            Some("completed") => 2,
            _ => continue,
        };
        counts[slot] += count as u64;
    }
    let mut results =
        connection.prepare_cached("SELECT result, count(*) FROM tasks GROUP BY result")?;
    let mut rows = results.query([])?;
    while let Some(row) = rows.next()? {
        let result: Option<String> = row.get(0)?;
        let count: i64 = row.get(1)?;
        match result.as_deref() {
            Some("success") => counts[3] += count as u64,
            Some("failure") => counts[4] += count as u64,
            _ => {}
        }
    }
    Ok(counts)
}

fn bound(args: &[Arg]) -> Vec<SqlValue> {
    args.iter()
        .map(|arg| match arg {
            Arg::Text(text) => SqlValue::Text(text.clone()),
            Arg::Int(number) => SqlValue::Integer(*number),
        })
        .collect()
}

fn count(connection: &Connection, query: &Query) -> Result<u64, Failure> {
    let sql = format!("SELECT count(*) FROM tasks WHERE {}", query.sql);
    let mut statement = connection.prepare_cached(&sql)?;
    let count: i64 = statement.query_row(params_from_iter(bound(&query.args)), |row| row.get(0))?;
    Ok(count as u64)
}

fn measure_count(connection: &Connection, query: &Query) -> Result<Measurement, Failure> {
    let matches = count(connection, query)?;
    let (median, samples) = median_ns(|| keep(count(connection, query)));
    Ok(Measurement {
        name: format!("{} count", query.name),
        counts: vec![matches],
        median_ns: median,
        samples,
        ..Measurement::default()
    })
}

/// Returns the ids of `pages` List Tasks pages. Each page fetches one row more than it
/// returns, to know whether another page follows. SQLite projects the `$select` members
/// itself with its JSON functions, and the body is assembled from the projected text.
fn pages(
    connection: &Connection,
    query: &Query,
    params: &ListParams,
) -> Result<Vec<String>, Failure> {
    let projected = "SELECT id, fid, json_object('id', json ->> '$.id', \
                     'state', json ->> '$.state', 'executionInfo', json -> '$.executionInfo') \
                     FROM tasks";
    let first = format!(
        "{projected} WHERE ({}) ORDER BY fid LIMIT {}",
        query.sql,
        PAGE_SIZE + 1
    );
    let next = format!(
        "{projected} WHERE ({}) AND fid > ? ORDER BY fid LIMIT {}",
        query.sql,
        PAGE_SIZE + 1
    );
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..query.pages {
        let mut args = bound(&query.args);
        let mut statement = match &after {
            Some(last) => {
                args.push(SqlValue::Text(last.clone()));
                connection.prepare_cached(&next)?
            }
            None => connection.prepare_cached(&first)?,
        };
        let mut rows = statement.query(params_from_iter(args))?;
        let mut body =
            format!("{{\"odata.metadata\":\"{SERVICE_URL}/$metadata#tasks\",\"value\":[");
        let mut page_ids = Vec::with_capacity(PAGE_SIZE);
        let mut last = None;
        let mut more = false;
        while let Some(row) = rows.next()? {
            if page_ids.len() == PAGE_SIZE {
                more = true;
                break;
            }
            if !page_ids.is_empty() {
                body.push(',');
            }
            page_ids.push(row.get::<_, String>(0)?);
            last = Some(row.get::<_, String>(1)?);
            body.push_str(row.get_ref(2)?.as_str()?);
        }
        body.push(']');
        if let (Some(last), true) = (&last, more) {
            let link = next_link(LIST_URL, params, &SkipToken::new(last));
            body.push_str(",\"odata.nextLink\":");
            body.push_str(&serde_json::to_string(&link)?);
        }
        body.push('}');
        keep(body);
        ids.extend(page_ids);
        if !more {
            break;
        }
        after = last;
    }
    Ok(ids)
}

fn measure_pages(connection: &Connection, query: &Query) -> Result<Measurement, Failure> {
    let params = list_params(&query.filter);
    let ids = pages(connection, query, &params)?;
    let (median, samples) = median_ns(|| keep(pages(connection, query, &params)));
    Ok(Measurement {
        name: format!("{} page x{}", query.name, query.pages),
        ids,
        median_ns: median,
        samples,
        ..Measurement::default()
    })
}

/// Applies the transitions, one transaction per batch, while another thread runs the
/// count and first page of queries 2 to 4 on a second connection, which WAL mode lets read
/// while the first writes.
///
/// The automatic checkpoint copies pages back but cannot restart the log while the reader
/// has a query open, which it nearly always has, so the log would grow by every update
/// (10 GB at 1M tasks). Every [`CHECKPOINT_EVERY`] transactions the writer runs a
/// checkpoint that waits for a gap between the reader's queries and restarts the log, as
/// a server over SQLite with steady readers has to.
fn mixed(
    connection: &mut Connection,
    database: &Path,
    texts: &[String],
    tasks: u64,
) -> Result<Mixed, Failure> {
    let queries = mixed_set(tasks);
    let params: Vec<ListParams> = queries.iter().map(|q| list_params(&q.filter)).collect();
    let reader = open(database)?;
    let mut written = 0;
    let write = |chunk: &[String]| {
        written += 1;
        if written % CHECKPOINT_EVERY == 0 {
            connection.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))?;
        }
        let transaction = connection.transaction()?;
        {
            let mut update = transaction.prepare_cached(
                "UPDATE tasks SET id = ?2, state = ?3, result = ?4, exit_code = ?5, \
                 creation_time = ?6, transition_time = ?7, json = ?8 WHERE fid = ?1",
            )?;
            for text in chunk {
                update.execute(params_from_iter(columns(text)?))?;
            }
        }
        transaction.commit()?;
        Ok(())
    };
    let (set, pairs) = (&queries, &params);
    // The reader connection moves into the query thread, since a connection is not `Sync`.
    let query = move || {
        for (query, params) in set.iter().zip(pairs) {
            keep(count(&reader, query)?);
            keep(pages(&reader, query, params)?);
        }
        Ok(2 * set.len() as u64)
    };
    let mut mixed = run_mixed(texts, write, query)?;
    mixed.counts_after = counts(connection)?;
    for query in &queries {
        mixed.counts_after.push(count(connection, query)?);
    }
    Ok(mixed)
}
