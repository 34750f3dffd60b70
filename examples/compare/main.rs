//! Runs the query set on batch-odata, SQLite and PostgreSQL over the same generated tasks,
//! checks that all return the same tasks, and prints the median latency of each with the
//! ratios.
//!
//! ```sh
//! cargo run --release --example compare -- --tasks 1000000
//! cargo run --release --example compare -- --tasks 10000000 --skip postgres
//! cargo run --release --example compare -- --tasks 100000 --postgres "host=127.0.0.1 user=postgres"
//! ```
//!
//! The tasks come from `batch_odata::generate` and are written once to an NDJSON file.
//! Each engine then runs in its own child process, one after the other, so that each peak
//! resident set size (`VmHWM`) is its own and they never compete for the CPU. PostgreSQL
//! runs on the server at `--postgres URL`, or else on a throwaway cluster that its child
//! process starts on a free loopback port (see `postgres.rs`). Each loads
//! the file, run Get Task Counts, the compile of a 100-byte filter, the count and the
//! pages of each query, and a mixed workload of state transitions and queries. The parent
//! fails with exit status 1 when SQLite or PostgreSQL disagrees with batch-odata on any
//! count or on any id of any page, in order. It prints a table and writes the figures as JSON to `--out`.
//!
//! Counts reuse the compiled filter on batch-odata's and PostgreSQL's side and the prepared
//! statement on SQLite's, and the compile of a 100-byte filter is measured on its own.
//! Pages are whole List Tasks requests: batch-odata's go through `Engine::list` and
//! PostgreSQL's through the steps of `serve --postgres`, both compiling the filter, and all
//! serialize the body with `$select=id,state,executionInfo`.
//!
//! Times are medians of at least five runs. Ratios are another engine's time over
//! batch-odata's, so 100 means batch-odata is 100 times faster. Only ratios from one run compare well,
//! because absolute times move with the load on the machine.

mod batch;
#[path = "../../tests/common/postgres.rs"]
mod cluster;
mod common;
mod postgres;
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

use common::{EngineReport, Failure, Measurement};

#[derive(Parser)]
#[command(about = "Compare batch-odata with SQLite and PostgreSQL on generated tasks")]
struct Args {
    /// Number of generated tasks.
    #[arg(long, default_value_t = 1_000_000)]
    tasks: u64,
    /// Seed of the task generator.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// State transitions in the mixed workload; at most the number of tasks.
    #[arg(long, default_value_t = 1_000_000)]
    changes: u64,
    /// Folder for the NDJSON data file and the SQLite database. Defaults to the system's
    /// temporary folder.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Connection string of a PostgreSQL server to run on, such as
    /// `host=127.0.0.1 user=postgres`. Without it, a throwaway cluster is started on a free
    /// loopback port.
    #[arg(long)]
    postgres: Option<String>,
    /// Engines to leave out of the run, such as `postgres`, comma-separated. batch-odata
    /// always runs.
    #[arg(long, value_enum, value_delimiter = ',')]
    skip: Vec<Engine>,
    /// File the JSON report is written to.
    #[arg(long, default_value = "compare.json")]
    out: PathBuf,
    /// Run one engine and print its report as JSON, as the child processes do.
    #[arg(long, value_enum, hide = true)]
    engine: Option<Engine>,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Engine {
    Batch,
    Sqlite,
    Postgres,
}

impl Engine {
    fn flag(self) -> &'static str {
        match self {
            Engine::Batch => "batch",
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

fn main() -> Result<ExitCode, Failure> {
    let args = Args::parse();
    let folder = args.data_dir.clone().unwrap_or_else(std::env::temp_dir);
    let data = folder.join(format!("batch-odata-{}-{}.ndjson", args.tasks, args.seed));
    let changes = args.changes.min(args.tasks);

    if let Some(engine) = args.engine {
        let report = match engine {
            Engine::Batch => batch::run(&data, args.tasks, changes)?,
            Engine::Sqlite => {
                let database = folder.join(format!("batch-odata-{}.sqlite", args.tasks));
                sqlite::run(&data, &database, args.tasks, changes)?
            }
            Engine::Postgres => {
                postgres::run(args.postgres.as_deref(), &data, args.tasks, changes)?
            }
        };
        serde_json::to_writer(std::io::stdout().lock(), &report)?;
        return Ok(ExitCode::SUCCESS);
    }

    if args.skip.contains(&Engine::Batch) {
        return Err("batch-odata is what the others are compared with, so it always runs".into());
    }
    write_data(&data, args.tasks, args.seed)?;
    let mut reports = Vec::new();
    for engine in [Engine::Batch, Engine::Sqlite, Engine::Postgres] {
        if args.skip.contains(&engine) {
            continue;
        }
        eprintln!("running {} ...", engine.flag());
        reports.push(run_child(engine, &args, &folder)?);
    }

    let mut mismatches = Vec::new();
    for other in &reports[1..] {
        mismatches.extend(compare_results(&reports[0], other));
    }
    let rows = print_table(&reports);
    print_totals(&reports);
    write_json(&args, &reports, rows)?;

    if mismatches.is_empty() {
        println!("\nall engines returned the same counts and ids for every query");
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
        .arg("--data-dir")
        .arg(folder)
        .args(args.postgres.iter().flat_map(|url| ["--postgres", url]))
        .stderr(std::process::Stdio::inherit())
        .output()?;
    if !output.status.success() {
        return Err(format!("the {} process failed: {}", engine.flag(), output.status).into());
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// Returns a line for every measurement whose counts or ids differ between batch-odata's
/// report and another engine's.
fn compare_results(ours: &EngineReport, theirs: &EngineReport) -> Vec<String> {
    let other_name = &theirs.engine;
    let by_name: HashMap<&str, &Measurement> = theirs
        .measurements
        .iter()
        .map(|m| (m.name.as_str(), m))
        .collect();
    let mut mismatches = Vec::new();
    for measurement in &ours.measurements {
        let Some(other) = by_name.get(measurement.name.as_str()) else {
            mismatches.push(format!("{}: missing from {other_name}", measurement.name));
            continue;
        };
        if measurement.counts != other.counts {
            mismatches.push(format!(
                "{}: counts {:?} (batch-odata) != {:?} ({other_name})",
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
                "{}: {} ids (batch-odata) vs {} ({other_name}), first difference at {first}",
                measurement.name,
                measurement.ids.len(),
                other.ids.len()
            ));
        }
    }
    if ours.mixed.counts_after != theirs.mixed.counts_after {
        mismatches.push(format!(
            "11 mixed: counts after {:?} (batch-odata) != {:?} ({other_name})",
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

/// Prints a row per measurement with each engine's median and the others' ratios to
/// batch-odata, the first report, and returns the rows for the JSON report.
fn print_table(reports: &[EngineReport]) -> Vec<serde_json::Value> {
    let (ours, others) = reports.split_first().expect("batch-odata's report");
    let names: Vec<&str> = others.iter().map(|report| report.engine.as_str()).collect();
    let mut header = String::from("| query | matches | batch-odata |");
    for name in &names {
        header.push_str(&format!(" {name} |"));
    }
    for name in &names {
        header.push_str(&format!(" {name} / batch-odata |"));
    }
    println!(
        "\n{header}\n|---|---:|{}",
        "---:|".repeat(1 + 2 * names.len())
    );
    let mut rows = Vec::new();
    for (index, measurement) in ours.measurements.iter().enumerate() {
        let matches = match (measurement.counts.as_slice(), measurement.ids.len()) {
            ([count], _) => count.to_string(),
            ([], 0) => String::new(),
            ([], ids) => ids.to_string(),
            (counters, _) => format!("{counters:?}"),
        };
        let times: Vec<f64> = others
            .iter()
            .map(|report| report.measurements[index].median_ns)
            .collect();
        let ratios: Vec<f64> = times.iter().map(|ns| ns / measurement.median_ns).collect();
        let mut line = format!(
            "| {} | {matches} | {} |",
            measurement.name,
            human(measurement.median_ns)
        );
        for ns in &times {
            line.push_str(&format!(" {} |", human(*ns)));
        }
        for ratio in &ratios {
            line.push_str(&format!(" {ratio:.1} |"));
        }
        println!("{line}");
        rows.push(json!({
            "query": measurement.name,
            "matches": matches,
            "batch_odata_ns": measurement.median_ns,
            "sqlite_ns": times[0],
            "ratio": ratios[0],
            "postgres_ns": times.get(1),
            "postgres_ratio": ratios.get(1),
        }));
    }
    rows
}

fn print_totals(reports: &[EngineReport]) {
    let names: Vec<&str> = reports
        .iter()
        .map(|report| report.engine.as_str())
        .collect();
    println!(
        "\n| | {} |\n|---|{}",
        names.join(" | "),
        "---:|".repeat(names.len())
    );
    let tasks = reports[0].tasks as f64;
    let line = |name: &str, cell: &dyn Fn(&EngineReport) -> String| {
        let cells: Vec<String> = reports.iter().map(cell).collect();
        println!("| {name} | {} |", cells.join(" | "));
    };
    line("load (tasks/s)", &|report| {
        format!("{:.0}", tasks / report.load_seconds)
    });
    line("load (µs per task)", &|report| {
        format!("{:.2}", report.load_seconds * 1e6 / tasks)
    });
    let mib = |kib: u64| format!("{:.0} MiB", kib as f64 / 1024.0);
    line("RSS after load", &|report| mib(report.rss_after_load_kib));
    line("peak RSS (VmHWM)", &|report| mib(report.peak_rss_kib));
    line("stored JSON (bytes per task)", &|report| {
        format!("{:.0}", report.json_bytes as f64 / tasks)
    });
    line("RSS after load minus JSON (bytes per task)", &|report| {
        let bytes = report.rss_after_load_kib as f64 * 1024.0 - report.json_bytes as f64;
        format!("{:.0}", bytes / tasks)
    });
    line("heap estimate minus JSON (bytes per task)", &|report| {
        report.heap_bytes.map_or("n/a".into(), |heap| {
            format!("{:.0}", (heap as f64 - report.json_bytes as f64) / tasks)
        })
    });
    line("11 mixed: transitions/s", &|report| {
        format!(
            "{:.0}",
            report.mixed.transitions as f64 / report.mixed.transition_seconds
        )
    });
    line("11 mixed: queries/s (counts and pages of 2-4)", &|report| {
        format!(
            "{:.0}",
            report.mixed.queries as f64 / report.mixed.query_seconds
        )
    });
}

fn write_json(
    args: &Args,
    reports: &[EngineReport],
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
        "engines": reports.iter().map(engine).collect::<Vec<_>>(),
        "queries": rows,
    });
    serde_json::to_writer_pretty(BufWriter::new(File::create(&args.out)?), &document)?;
    println!("\nwrote {}", args.out.display());
    Ok(())
}
