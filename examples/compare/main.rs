//! Runs the query set on batch-odata and on SQLite over the same generated tasks, checks
//! that both return the same tasks, and prints the median latency of each with the ratio.
//!
//! ```sh
//! cargo run --release --example compare -- --tasks 1000000
//! ```
//!
//! The tasks come from `batch_odata::generate` and are written once to an NDJSON file.
//! Each engine then runs in its own child process, one after the other, so that each peak
//! resident set size (`VmHWM`) is its own and the two never compete for the CPU. Both load
//! the file, run Get Task Counts, the compile of a 100-byte filter, the count and the
//! pages of each query, and a mixed workload of state transitions and queries. The parent
//! fails with exit status 1 when the engines disagree on any count or on any id of any
//! page, in order. It prints a table and writes the figures as JSON to `--out`.
//!
//! Counts reuse the compiled filter on batch-odata's side and the prepared statement on
//! SQLite's, and the compile and `prepare` of a 100-byte filter are measured on their own.
//! Pages are whole List Tasks requests: batch-odata's go through `Engine::list`, which
//! compiles the filter, and both serialize the body with `$select=id,state,executionInfo`.
//!
//! Times are medians of at least five runs. Ratios are SQLite's time over batch-odata's, so
//! 100 means batch-odata is 100 times faster. Only ratios from one run compare well,
//! because absolute times move with the load on the machine.

mod batch;
mod common;
mod queries;
mod sqlite;

use std::collections::HashMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use clap::{Parser, ValueEnum};
use serde_json::json;

use common::{EngineReport, Measurement};

#[derive(Parser)]
#[command(about = "Compare batch-odata with SQLite on generated tasks")]
struct Args {
    /// Number of generated tasks.
    #[arg(long, default_value_t = 1_000_000)]
    tasks: u64,
    /// Seed of the task generator.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// State transitions in the mixed workload; at most the number of tasks.
    #[arg(long, default_value_t = 100_000)]
    changes: u64,
    /// Batches of transitions in the mixed workload, each followed by queries 2 to 4.
    #[arg(long, default_value_t = 20)]
    rounds: u64,
    /// Folder for the NDJSON data file and the SQLite database. Defaults to the system's
    /// temporary folder.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// File the JSON report is written to.
    #[arg(long, default_value = "compare.json")]
    out: PathBuf,
    /// Run one engine and print its report as JSON, as the child processes do.
    #[arg(long, value_enum, hide = true)]
    engine: Option<Engine>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Engine {
    Batch,
    Sqlite,
}

impl Engine {
    fn flag(self) -> &'static str {
        match self {
            Engine::Batch => "batch",
            Engine::Sqlite => "sqlite",
        }
    }
}

type Failure = Box<dyn std::error::Error>;

fn main() -> Result<ExitCode, Failure> {
    let args = Args::parse();
    let folder = args.data_dir.clone().unwrap_or_else(std::env::temp_dir);
    let data = folder.join(format!("batch-odata-{}-{}.ndjson", args.tasks, args.seed));
    let changes = args.changes.min(args.tasks);

    if let Some(engine) = args.engine {
        let report = match engine {
            Engine::Batch => batch::run(&data, args.tasks, changes, args.rounds)?,
            Engine::Sqlite => {
                let database = folder.join(format!("batch-odata-{}.sqlite", args.tasks));
                sqlite::run(&data, &database, args.tasks, changes, args.rounds)?
            }
        };
        serde_json::to_writer(std::io::stdout().lock(), &report)?;
        return Ok(ExitCode::SUCCESS);
    }

    write_data(&data, args.tasks, args.seed)?;
    let mut reports = Vec::new();
    for engine in [Engine::Batch, Engine::Sqlite] {
        eprintln!("running {} ...", engine.flag());
        reports.push(run_child(engine, &args, &folder)?);
    }
    let [ours, theirs] = <[EngineReport; 2]>::try_from(reports).map_err(|_| "two reports")?;

    let mismatches = compare_results(&ours, &theirs);
    let rows = print_table(&ours, &theirs);
    print_totals(&ours, &theirs);
    write_json(&args, &ours, &theirs, rows)?;

    if mismatches.is_empty() {
        println!("\nboth engines returned the same counts and ids for every query");
        return Ok(ExitCode::SUCCESS);
    }
    for mismatch in &mismatches {
        eprintln!("MISMATCH: {mismatch}");
    }
    eprintln!("{} results differ between the engines", mismatches.len());
    Ok(ExitCode::FAILURE)
}

/// Writes the generated tasks to `path` unless an earlier run left them there.
fn write_data(path: &Path, tasks: u64, seed: u64) -> Result<(), Failure> {
    if path.metadata().is_ok_and(|meta| meta.len() > 0) {
        return Ok(());
    }
    let started = Instant::now();
    let partial = path.with_extension("partial");
    batch_odata::generate::write_ndjson(BufWriter::new(File::create(&partial)?), tasks, seed)?;
    std::fs::rename(&partial, path)?;
    eprintln!(
        "generated {tasks} tasks in {:.1?} into {}",
        started.elapsed(),
        path.display()
    );
    Ok(())
}

fn run_child(engine: Engine, args: &Args, folder: &Path) -> Result<EngineReport, Failure> {
    let output = Command::new(std::env::current_exe()?)
        .args(["--engine", engine.flag()])
        .args(["--tasks", &args.tasks.to_string()])
        .args(["--seed", &args.seed.to_string()])
        .args(["--changes", &args.changes.to_string()])
        .args(["--rounds", &args.rounds.to_string()])
        .arg("--data-dir")
        .arg(folder)
        .stderr(std::process::Stdio::inherit())
        .output()?;
    if !output.status.success() {
        return Err(format!("the {} process failed: {}", engine.flag(), output.status).into());
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// Returns a line for every measurement whose counts or ids differ between the reports.
fn compare_results(ours: &EngineReport, theirs: &EngineReport) -> Vec<String> {
    let by_name: HashMap<&str, &Measurement> = theirs
        .measurements
        .iter()
        .map(|m| (m.name.as_str(), m))
        .collect();
    let mut mismatches = Vec::new();
    for measurement in &ours.measurements {
        let Some(other) = by_name.get(measurement.name.as_str()) else {
            mismatches.push(format!("{}: missing from SQLite", measurement.name));
            continue;
        };
        if measurement.counts != other.counts {
            mismatches.push(format!(
                "{}: counts {:?} (batch-odata) != {:?} (SQLite)",
                measurement.name, measurement.counts, other.counts
            ));
        }
        if measurement.ids != other.ids {
            let first = measurement
                .ids
                .iter()
                .zip(&other.ids)
                .position(|(a, b)| a != b)
                .unwrap_or(measurement.ids.len().min(other.ids.len()));
            mismatches.push(format!(
                "{}: {} ids (batch-odata) vs {} (SQLite), first difference at {first}",
                measurement.name,
                measurement.ids.len(),
                other.ids.len()
            ));
        }
    }
    if ours.mixed.counts_after != theirs.mixed.counts_after {
        mismatches.push(format!(
            "11 mixed: counts after {:?} (batch-odata) != {:?} (SQLite)",
            ours.mixed.counts_after, theirs.mixed.counts_after
        ));
    }
    mismatches
}

/// Returns a duration in nanoseconds with a unit that keeps three significant digits.
fn human(ns: f64) -> String {
    match ns {
        ns if ns < 1e3 => format!("{ns:.0} ns"),
        ns if ns < 1e6 => format!("{:.2} µs", ns / 1e3),
        ns if ns < 1e9 => format!("{:.2} ms", ns / 1e6),
        ns => format!("{:.2} s", ns / 1e9),
    }
}

fn print_table(ours: &EngineReport, theirs: &EngineReport) -> Vec<serde_json::Value> {
    println!(
        "\n| query | matches | batch-odata | SQLite | SQLite / batch-odata |\n|---|---:|---:|---:|---:|"
    );
    let mut rows = Vec::new();
    for (measurement, other) in ours.measurements.iter().zip(&theirs.measurements) {
        let matches = match (measurement.counts.as_slice(), measurement.ids.len()) {
            ([count], _) => count.to_string(),
            ([], 0) => String::new(),
            ([], ids) => ids.to_string(),
            (counters, _) => format!("{counters:?}"),
        };
        let ratio = other.median_ns / measurement.median_ns;
        println!(
            "| {} | {matches} | {} | {} | {ratio:.1} |",
            measurement.name,
            human(measurement.median_ns),
            human(other.median_ns)
        );
        rows.push(json!({
            "query": measurement.name,
            "matches": matches,
            "batch_odata_ns": measurement.median_ns,
            "sqlite_ns": other.median_ns,
            "ratio": ratio,
        }));
    }
    rows
}

fn print_totals(ours: &EngineReport, theirs: &EngineReport) {
    println!("\n| | batch-odata | SQLite |\n|---|---:|---:|");
    let tasks = ours.tasks as f64;
    let line = |name: &str, a: String, b: String| println!("| {name} | {a} | {b} |");
    line(
        "load (tasks/s)",
        format!("{:.0}", tasks / ours.load_seconds),
        format!("{:.0}", tasks / theirs.load_seconds),
    );
    line(
        "load (µs per task)",
        format!("{:.2}", ours.load_seconds * 1e6 / tasks),
        format!("{:.2}", theirs.load_seconds * 1e6 / tasks),
    );
    let mib = |kib: u64| format!("{:.0} MiB", kib as f64 / 1024.0);
    line(
        "RSS after load",
        mib(ours.rss_after_load_kib),
        mib(theirs.rss_after_load_kib),
    );
    line(
        "peak RSS (VmHWM)",
        mib(ours.peak_rss_kib),
        mib(theirs.peak_rss_kib),
    );
    line(
        "stored JSON (bytes per task)",
        format!("{:.0}", ours.json_bytes as f64 / tasks),
        format!("{:.0}", theirs.json_bytes as f64 / tasks),
    );
    let beyond_json = |report: &EngineReport| {
        let bytes = report.rss_after_load_kib as f64 * 1024.0 - report.json_bytes as f64;
        format!("{:.0}", bytes / tasks)
    };
    line(
        "RSS after load minus JSON (bytes per task)",
        beyond_json(ours),
        beyond_json(theirs),
    );
    if let Some(heap) = ours.heap_bytes {
        line(
            "heap estimate minus JSON (bytes per task)",
            format!("{:.0}", (heap as f64 - ours.json_bytes as f64) / tasks),
            "n/a".into(),
        );
    }
    let rate = |count: u64, seconds: f64| format!("{:.0}", count as f64 / seconds);
    line(
        "11 mixed: transitions/s",
        rate(ours.mixed.transitions, ours.mixed.transition_seconds),
        rate(theirs.mixed.transitions, theirs.mixed.transition_seconds),
    );
    line(
        "11 mixed: queries/s (counts and pages of 2-4)",
        rate(ours.mixed.queries, ours.mixed.query_seconds),
        rate(theirs.mixed.queries, theirs.mixed.query_seconds),
    );
}

fn write_json(
    args: &Args,
    ours: &EngineReport,
    theirs: &EngineReport,
    rows: Vec<serde_json::Value>,
) -> Result<(), Failure> {
    let engine = |report: &EngineReport| {
        json!({
            "engine": report.engine,
            "load_seconds": report.load_seconds,
            "tasks_per_second": report.tasks as f64 / report.load_seconds,
            "rss_after_load_kib": report.rss_after_load_kib,
            "peak_rss_kib": report.peak_rss_kib,
            "heap_bytes": report.heap_bytes,
            "json_bytes": report.json_bytes,
            "mixed": report.mixed,
        })
    };
    let document = json!({
        "tasks": args.tasks,
        "seed": args.seed,
        "cpus": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "engines": [engine(ours), engine(theirs)],
        "queries": rows,
    });
    serde_json::to_writer_pretty(BufWriter::new(File::create(&args.out)?), &document)?;
    println!("\nwrote {}", args.out.display());
    Ok(())
}
