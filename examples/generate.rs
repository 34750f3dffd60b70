//! Writes synthetic tasks as NDJSON to stdout and reports the rate on stderr.
//!
//! Usage: `cargo run --release --example generate -- COUNT [SEED] > tasks.ndjson`

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Instant;

use batch_odata::generate::write_ndjson;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parse = |index: usize, default: Option<u64>| match args.get(index) {
        Some(text) => text.parse::<u64>().ok(),
        None => default,
    };
    let (Some(count), Some(seed)) = (parse(0, None), parse(1, Some(0))) else {
        eprintln!("usage: generate COUNT [SEED]  (both non-negative integers)");
        return ExitCode::from(2);
    };

    let started = Instant::now();
    let stdout = io::stdout().lock();
    if let Err(error) = write_ndjson(stdout, count, seed) {
        eprintln!("error: writing tasks failed: {error}");
        return ExitCode::FAILURE;
    }
    let seconds = started.elapsed().as_secs_f64();
    let _ = writeln!(
        io::stderr(),
        "{count} tasks in {seconds:.3} s ({:.0} tasks/s)",
        count as f64 / seconds
    );
    ExitCode::SUCCESS
}
