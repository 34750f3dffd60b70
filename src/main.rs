//! The `batch-odata` command: validate filters, list and count tasks, explain plans and
//! generate task data.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
