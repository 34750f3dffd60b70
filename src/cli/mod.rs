//! Command-line parsing and the subcommands.
//!
//! Exit status: 0 on success, 1 for an invalid request or input (the error is printed), 2 for
//! a usage error such as an unknown flag or a parameter given both as a flag and in `--query`.

mod commands;
mod request;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Compile Azure Batch OData `$filter` and `$select` parameters and run List Tasks and Get
/// Task Counts over task data.
#[derive(Debug, Parser)]
#[command(name = "batch-odata", version, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate `$filter` and `$select` for an api-version without running them.
    Check(CheckArgs),
    /// Run List Tasks and print the response body.
    List(ListArgs),
    /// Run Get Task Counts and print the response body.
    Counts(CountsArgs),
    /// Print the normalized plan of a filter and the index that serves each predicate.
    Explain(ExplainArgs),
    /// Print the PostgreSQL query of a List Tasks page and its parameters.
    Sql(SqlArgs),
    /// Write deterministic CloudTask JSON, one task per line, to standard output.
    Gen(GenArgs),
    /// Serve the Batch job and task operations over HTTP, storing data in --data-dir.
    #[cfg(feature = "server")]
    Serve(ServeArgs),
}

/// The request parameters that `check`, `list` and `explain` share.
#[derive(Debug, Args)]
struct RequestArgs {
    /// The api-version of the request. The CLI defaults to 2018-12-01.8.0, while the HTTP
    /// API has no default and rejects a request without one.
    #[arg(long, value_name = "VERSION")]
    api_version: Option<String>,
    /// Accept only the documented List Tasks filter properties and forms, like the service.
    #[arg(long)]
    strict: bool,
    /// The `$filter` expression, such as "state eq 'active'".
    #[arg(long, value_name = "FILTER")]
    filter: Option<String>,
    /// The `$select` list, such as "id,state".
    #[arg(long, value_name = "PROPERTIES")]
    select: Option<String>,
    /// A raw URL query string such as "api-version=...&$filter=...", decoded as the server
    /// decodes it. A parameter may come from here or from its flag, not both.
    #[arg(long, value_name = "QUERY")]
    query: Option<String>,
}

#[derive(Debug, Args)]
struct CheckArgs {
    #[command(flatten)]
    request: RequestArgs,
    /// The output format. `text` renders an error with a caret under the fault on standard
    /// error, and `json` prints a Batch error body on standard output.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
struct TasksArg {
    /// Task data: NDJSON (one task per line) or a List Tasks JSON body; `-` reads standard
    /// input. Without it, the built-in data set: the example tasks plus a generated job of
    /// 100,000 tasks (seed 0).
    #[arg(long, value_name = "PATH")]
    tasks: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ListArgs {
    #[command(flatten)]
    tasks: TasksArg,
    #[command(flatten)]
    request: RequestArgs,
    /// The `$expand` list; only `stats` is supported.
    #[arg(long, value_name = "EXPAND")]
    expand: Option<String>,
    /// The maximum number of tasks in the page, 1 to 1000 (default 1000).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    maxresults: Option<String>,
    /// The `$skiptoken` from the `odata.nextLink` of the previous page.
    #[arg(long, value_name = "TOKEN")]
    skiptoken: Option<String>,
}

#[derive(Debug, Args)]
struct CountsArgs {
    #[command(flatten)]
    tasks: TasksArg,
    /// The api-version of the request; the CLI defaults to 2018-12-01.8.0.
    #[arg(long, value_name = "VERSION")]
    api_version: Option<String>,
}

#[derive(Debug, Args)]
struct ExplainArgs {
    /// The api-version to check against; the CLI defaults to 2018-12-01.8.0.
    #[arg(long, value_name = "VERSION")]
    api_version: Option<String>,
    /// Accept only the documented List Tasks filter properties and forms.
    #[arg(long)]
    strict: bool,
    /// The `$filter` expression.
    #[arg(long, value_name = "FILTER")]
    filter: String,
}

#[derive(Debug, Args)]
struct SqlArgs {
    #[command(flatten)]
    request: RequestArgs,
    /// The job whose tasks the query lists.
    #[arg(long, value_name = "JOB", default_value = "default")]
    job: String,
    /// The maximum number of tasks in the page, 1 to 1000 (default 1000).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    maxresults: Option<String>,
    /// The `$skiptoken` of the page to continue after.
    #[arg(long, value_name = "TOKEN")]
    skiptoken: Option<String>,
}

#[derive(Debug, Args)]
struct GenArgs {
    /// How many tasks to write.
    #[arg(long, value_name = "N")]
    count: u64,
    /// The seed; the same count and seed always give the same bytes.
    #[arg(long, value_name = "SEED", default_value_t = 0)]
    seed: u64,
}

#[cfg(feature = "server")]
#[derive(Debug, Args)]
struct ServeArgs {
    /// The address to listen on. Without --account and --key only loopback addresses are
    /// allowed.
    #[arg(long, value_name = "ADDRESS", default_value = batch_odata::server::DEFAULT_LISTEN)]
    listen: std::net::SocketAddr,
    /// The directory of the database; created when missing.
    #[arg(long, value_name = "DIR", default_value = batch_odata::server::DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
    /// The Batch account name that Shared Key signatures must use; requires --key.
    #[arg(long, value_name = "NAME", requires = "key")]
    account: Option<String>,
    /// The account key as Base64 text; requires --account. Requests without a valid Shared
    /// Key signature are then rejected.
    #[arg(long, value_name = "BASE64KEY", requires = "account")]
    key: Option<String>,
    /// Move unfinished tasks towards completion at this many state transitions per second.
    #[arg(long, value_name = "RATE")]
    simulate: Option<f64>,
    /// Keep tasks in this PostgreSQL database (a URL such as
    /// postgresql://user@127.0.0.1/db, or key=value settings) instead of the data directory,
    /// which then keeps only jobs. The tables are created on first use.
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
    /// Start a new data directory empty, without the demo job that contains the built-in data
    /// set.
    #[arg(long)]
    no_demo: bool,
    /// Add job JOB_ID with the tasks of FILE (NDJSON, such as `batch-odata gen` writes, or a
    /// List Tasks body) before serving, in one synced transaction. The job must not exist.
    /// Repeatable. Not with --postgres, whose tasks are added over HTTP.
    #[arg(long, value_name = "JOB_ID=FILE", conflicts_with = "postgres")]
    import_job: Vec<batch_odata::server::JobImport>,
}

/// The failure of a command, which decides the exit status.
enum Failure {
    /// An invalid request or input, already printed: exit 1.
    Invalid,
    /// A usage error, already printed: exit 2.
    Usage,
}

/// Parses the arguments and runs the command.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => commands::check(args),
        Command::List(args) => commands::list(args),
        Command::Counts(args) => commands::counts(args),
        Command::Explain(args) => commands::explain(args),
        Command::Sql(args) => commands::sql(args),
        Command::Gen(args) => commands::generate(args),
        #[cfg(feature = "server")]
        Command::Serve(args) => commands::serve(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Invalid) => ExitCode::from(1),
        Err(Failure::Usage) => ExitCode::from(2),
    }
}
