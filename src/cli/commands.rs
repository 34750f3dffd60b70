//! The subcommands.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};

use batch_odata::bind::Mode;
use batch_odata::dataset;
use batch_odata::engine::Engine;
use batch_odata::error::Error;
use batch_odata::filter::{Filter, Options};
use batch_odata::generate;
use batch_odata::plan::Plan;
use batch_odata::query::{CountsParams, ListParams, SkipToken};
use batch_odata::response::error_body;
use batch_odata::sql::page_query;
use batch_odata::store::Store;
use batch_odata::version::ApiVersion;

#[cfg(feature = "server")]
use super::ServeArgs;
use super::request::{Rejection, collect};
use super::{
    CheckArgs, CountsArgs, ExplainArgs, Failure, Format, GenArgs, ListArgs, SqlArgs, TasksArg,
};

/// The service address the CLI writes into `odata.metadata` and `odata.nextLink`: the
/// address `batch-odata serve` listens on by default.
const SERVICE_URL: &str = "http://127.0.0.1:8080";

/// The job whose tasks the CLI lists, for `odata.nextLink`.
const LIST_URL: &str = "http://127.0.0.1:8080/jobs/default/tasks";

pub(super) fn check(args: CheckArgs) -> Result<(), Failure> {
    let request = &args.request;
    let collected = collect(
        request.query.as_deref(),
        &[
            ("api-version", request.api_version.as_deref()),
            ("$filter", request.filter.as_deref()),
            ("$select", request.select.as_deref()),
        ],
    );
    let pairs = match collected {
        Ok(pairs) => Ok(pairs),
        Err(Rejection::Invalid(error)) => Err(error),
        Err(Rejection::Usage(message)) => return Err(usage_error(&message)),
    };
    let mode = mode(request.strict);
    let checked = pairs
        .and_then(|pairs| ListParams::from_pairs(&pairs))
        .and_then(|params| {
            warn_ignored(&params.original);
            let plan = match &params.filter {
                Some(text) => Some(compile(text, params.api_version, mode)?.plan().to_string()),
                None => None,
            };
            Engine::check_select(&params)?;
            Ok(plan)
        });
    match (checked, args.format) {
        (Ok(plan), Format::Text) => match plan {
            Some(plan) => emit(&format!("valid\nplan: {plan}\n")),
            None => emit("valid\n"),
        },
        (Ok(plan), Format::Json) => print_json(&serde_json::json!({ "valid": true, "plan": plan })),
        (Err(error), Format::Text) => invalid(&error),
        (Err(error), Format::Json) => {
            print_json(&error_body(SERVICE_URL, &error, &request_id(), &now()))?;
            Err(Failure::Invalid)
        }
    }
}

pub(super) fn list(args: ListArgs) -> Result<(), Failure> {
    let request = &args.request;
    let pairs = collect(
        request.query.as_deref(),
        &[
            ("api-version", request.api_version.as_deref()),
            ("$filter", request.filter.as_deref()),
            ("$select", request.select.as_deref()),
            ("$expand", args.expand.as_deref()),
            ("maxresults", args.maxresults.as_deref()),
            ("$skiptoken", args.skiptoken.as_deref()),
        ],
    )
    .or_else(rejected)?;
    let params = ListParams::from_pairs(&pairs).or_else(|e| invalid(&e))?;
    warn_ignored(&params.original);
    let engine = Engine::new(load(&args.tasks)?);
    let body = engine
        .list(&params, mode(request.strict), SERVICE_URL, LIST_URL)
        .or_else(|e| invalid(&e))?;
    print_json(&body)
}

pub(super) fn counts(args: CountsArgs) -> Result<(), Failure> {
    let pairs = collect(None, &[("api-version", args.api_version.as_deref())]).or_else(rejected)?;
    let params = CountsParams::from_pairs(&pairs).or_else(|e| invalid(&e))?;
    let engine = Engine::new(load(&args.tasks)?);
    print_json(&engine.counts(&params, SERVICE_URL))
}

pub(super) fn explain(args: ExplainArgs) -> Result<(), Failure> {
    let pairs = collect(None, &[("api-version", args.api_version.as_deref())]).or_else(rejected)?;
    let params = ListParams::from_pairs(&pairs).or_else(|e| invalid(&e))?;
    let filter =
        compile(&args.filter, params.api_version, mode(args.strict)).or_else(|e| invalid(&e))?;
    emit(&Store::new().explain(filter.plan()))
}

/// Prints the PostgreSQL query of the List Tasks page of the request.
pub(super) fn sql(args: SqlArgs) -> Result<(), Failure> {
    let request = &args.request;
    let pairs = collect(
        request.query.as_deref(),
        &[
            ("api-version", request.api_version.as_deref()),
            ("$filter", request.filter.as_deref()),
            ("$select", request.select.as_deref()),
            ("maxresults", args.maxresults.as_deref()),
            ("$skiptoken", args.skiptoken.as_deref()),
        ],
    )
    .or_else(rejected)?;
    let params = ListParams::from_pairs(&pairs).or_else(|e| invalid(&e))?;
    warn_ignored(&params.original);
    let plan = match &params.filter {
        Some(text) => compile(text, params.api_version, mode(request.strict))
            .or_else(|e| invalid(&e))?
            .plan()
            .clone(),
        None => Plan::Const(true),
    };
    // The projection runs on each returned row's JSON, as for the built-in store.
    Engine::check_select(&params).or_else(|e| invalid(&e))?;
    let after = params.skip_token.as_ref().map(SkipToken::last_id);
    let query = page_query(&args.job, &plan, after, params.max_results as usize);
    emit(&query.to_string())
}

pub(super) fn generate(args: GenArgs) -> Result<(), Failure> {
    let stdout = io::stdout().lock();
    match generate::write_ndjson(BufWriter::new(stdout), args.count, args.seed) {
        Ok(()) => Ok(()),
        // A closed pipe, as in `gen | head`, is a normal way for the reader to stop.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(error) => {
            eprintln!("error: writing tasks failed: {error}");
            Err(Failure::Invalid)
        }
    }
}

/// Runs the server until Ctrl-C or SIGTERM, logging to standard error (`RUST_LOG` sets the
/// level, `info` by default).
#[cfg(feature = "server")]
pub(super) fn serve(args: ServeArgs) -> Result<(), Failure> {
    use batch_odata::server::{Config, Server, SharedKey, shutdown_signal};

    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(io::stderr)
        .with_ansi(io::IsTerminal::is_terminal(&io::stderr()))
        .init();

    let mut config = Config::new(args.listen, args.data_dir);
    config.simulate = args.simulate;
    config.demo = !args.no_demo;
    config.postgres = args.postgres;
    config.imports = args.import_job;
    if let (Some(account), Some(key)) = (&args.account, &args.key) {
        config.shared_key = Some(SharedKey::new(account, key).map_err(|error| {
            eprintln!("error: {error}");
            Failure::Usage
        })?);
    } else {
        tracing::warn!("no --account and --key: requests are not authenticated");
    }

    let runtime = tokio::runtime::Runtime::new().map_err(|error| {
        eprintln!("error: starting the async runtime failed: {error}");
        Failure::Invalid
    })?;
    let served = runtime.block_on(async {
        let server = Server::bind(config).await?;
        server.run(shutdown_signal()).await
    });
    served.map_err(|error| {
        tracing::error!(%error, "the server stopped with an error");
        eprintln!("error: {error}");
        Failure::Invalid
    })
}

fn mode(strict: bool) -> Mode {
    if strict { Mode::Strict } else { Mode::Extended }
}

fn compile(text: &str, version: ApiVersion, mode: Mode) -> Result<Filter, Error> {
    Filter::compile(text, &Options::new(version).mode(mode))
}

/// Loads the task data named by `--tasks`, or the built-in data set, streaming a file so
/// that only the store's copy of each task is held.
fn load(arg: &TasksArg) -> Result<Store, Failure> {
    let loaded = match &arg.tasks {
        None => dataset::builtin().and_then(Store::from_records),
        Some(path) if path.as_os_str() == "-" => Store::load_from_reader(io::stdin().lock()),
        Some(path) => {
            let file = File::open(path).map_err(|error| {
                eprintln!("error: opening {} failed: {error}", path.display());
                Failure::Invalid
            })?;
            Store::load_from_reader(BufReader::with_capacity(1 << 20, file))
        }
    };
    loaded.or_else(|e| invalid(&e))
}

/// Prints an error rendered with a caret line and returns the exit-1 failure.
fn invalid<T>(error: &Error) -> Result<T, Failure> {
    eprint!("{}", error.render());
    Err(Failure::Invalid)
}

/// Prints a usage error and returns the exit-2 failure.
fn usage_error(message: &str) -> Failure {
    eprintln!("{message}");
    Failure::Usage
}

/// Maps a rejected request to its failure: exit 1 for an invalid query, 2 for usage.
fn rejected<T>(rejection: Rejection) -> Result<T, Failure> {
    match rejection {
        Rejection::Invalid(error) => invalid(&error),
        Rejection::Usage(message) => Err(usage_error(&message)),
    }
}

/// Warns about parameters that List Tasks ignores but that look like a misspelled one,
/// such as `$Filter`. Parameter names are case-sensitive, so the engine ignores them.
fn warn_ignored(parameters: &[(String, String)]) {
    const KNOWN: [&str; 7] = [
        "api-version",
        "$filter",
        "$select",
        "$expand",
        "maxresults",
        "timeout",
        "$skiptoken",
    ];
    for (name, _) in parameters {
        let misspelled = !KNOWN.contains(&name.as_str())
            && (name.starts_with('$')
                || KNOWN.iter().any(|known| known.eq_ignore_ascii_case(name)));
        if misspelled {
            eprintln!(
                "warning: ignoring unknown parameter '{name}'; parameter names are case-sensitive"
            );
        }
    }
}

/// Writes `text` to standard output. A closed pipe, as in `list | head`, ends the output
/// quietly; any other write failure is reported and fails the command.
fn emit(text: &str) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(error) => {
            eprintln!("error: writing the output failed: {error}");
            Err(Failure::Invalid)
        }
    }
}

fn print_json(value: &serde_json::Value) -> Result<(), Failure> {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    emit(&text)
}

/// Returns a request id for error bodies; the CLI has no request, so it is all zeros.
fn request_id() -> String {
    "00000000-0000-0000-0000-000000000000".to_owned()
}

/// Returns the current UTC time as the service writes it in error messages.
fn now() -> String {
    batch_odata::datetime::DateTime::now().to_utc_string()
}
