//! The subcommands.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};

use batch_odata::bind::Mode;
use batch_odata::dataset;
use batch_odata::engine::Engine;
use batch_odata::error::Error;
use batch_odata::filter::{Filter, Options};
use batch_odata::generate;
use batch_odata::query::{CountsParams, ListParams};
use batch_odata::response::error_body;
use batch_odata::store::Store;
use batch_odata::version::ApiVersion;

#[cfg(feature = "server")]
use super::ServeArgs;
use super::request::collect;
use super::{CheckArgs, CountsArgs, ExplainArgs, Failure, Format, GenArgs, ListArgs, TasksArg};

/// The service address the CLI writes into `odata.metadata` and `odata.nextLink`: the
/// address `batch-odata serve` listens on by default.
const SERVICE_URL: &str = "http://127.0.0.1:8080";

/// The job whose tasks the CLI lists, for `odata.nextLink`.
const LIST_URL: &str = "http://127.0.0.1:8080/jobs/default/tasks";

pub(super) fn check(args: CheckArgs) -> Result<(), Failure> {
    let request = &args.request;
    let pairs = collect(
        request.query.as_deref(),
        &[
            ("api-version", request.api_version.as_deref()),
            ("$filter", request.filter.as_deref()),
            ("$select", request.select.as_deref()),
        ],
    )?;
    let mode = mode(request.strict);
    let checked = ListParams::from_pairs(&pairs).and_then(|params| {
        let plan = match &params.filter {
            Some(text) => Some(compile(text, params.api_version, mode)?.plan().to_string()),
            None => None,
        };
        Engine::check_select(&params)?;
        Ok(plan)
    });
    match (checked, args.format) {
        (Ok(plan), Format::Text) => {
            println!("valid");
            if let Some(plan) = plan {
                println!("plan: {plan}");
            }
            Ok(())
        }
        (Ok(plan), Format::Json) => {
            print_json(&serde_json::json!({ "valid": true, "plan": plan }));
            Ok(())
        }
        (Err(error), Format::Text) => invalid(&error),
        (Err(error), Format::Json) => {
            print_json(&error_body(SERVICE_URL, &error, &request_id(), &now()));
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
    )?;
    let params = ListParams::from_pairs(&pairs).or_else(|e| invalid(&e))?;
    let engine = Engine::new(load(&args.tasks)?);
    let body = engine
        .list(&params, mode(request.strict), SERVICE_URL, LIST_URL)
        .or_else(|e| invalid(&e))?;
    print_json(&body);
    Ok(())
}

pub(super) fn counts(args: CountsArgs) -> Result<(), Failure> {
    let pairs = collect(None, &[("api-version", args.api_version.as_deref())])?;
    let params = CountsParams::from_pairs(&pairs).or_else(|e| invalid(&e))?;
    let engine = Engine::new(load(&args.tasks)?);
    print_json(&engine.counts(&params, SERVICE_URL));
    Ok(())
}

pub(super) fn explain(args: ExplainArgs) -> Result<(), Failure> {
    let pairs = collect(None, &[("api-version", args.api_version.as_deref())])?;
    let params = ListParams::from_pairs(&pairs).or_else(|e| invalid(&e))?;
    let filter =
        compile(&args.filter, params.api_version, mode(args.strict)).or_else(|e| invalid(&e))?;
    print!("{}", Store::new().explain(filter.plan()));
    Ok(())
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

fn print_json(value: &serde_json::Value) {
    let mut stdout = io::stdout().lock();
    // A closed pipe only means the reader stopped early; there is nothing left to report to.
    let _ = serde_json::to_writer_pretty(&mut stdout, value)
        .and_then(|()| writeln!(stdout).map_err(serde_json::Error::io));
}

/// Returns a request id for error bodies; the CLI has no request, so it is all zeros.
fn request_id() -> String {
    "00000000-0000-0000-0000-000000000000".to_owned()
}

/// Returns the current UTC time as the service writes it in error messages.
fn now() -> String {
    batch_odata::datetime::DateTime::now().to_utc_string()
}
