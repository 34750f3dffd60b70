//! A Batch-compatible HTTP server over the engine, with durable storage.
//!
//! The server answers the job and task operations that the Azure Batch SDKs call (add, get,
//! list, delete, terminate, Get Task Counts) with the paths, headers and bodies of the Batch
//! REST API, so the SDKs work against it unchanged. Every acknowledged write is committed
//! to a redb database and synced to disk before the response is sent. At start the jobs and
//! tasks are loaded from it into one in-memory [`Engine`](crate::engine::Engine) per job.
//!
//! | file | what it holds |
//! |---|---|
//! | `config.rs` | [`Config`]: listen address, data directory, Shared Key account |
//! | `storage.rs` | the redb database: one table of jobs, one table of tasks per job |
//! | `state.rs` | jobs in memory, the per-job locks, and the write path |
//! | `context.rs` | the per-request middleware: request id, api-version, auth, headers, log |
//! | `auth.rs` | Shared Key verification |
//! | `reply.rs` | errors as Batch error bodies, JSON responses |
//! | `body.rs` | request bodies: size limit, JSON, removed fields, new tasks and jobs |
//! | `jobs.rs`, `tasks.rs` | the handlers |
//! | `simulate.rs` | the background task that moves tasks to completion |
//!
//! # Limits
//!
//! Request bodies are limited to [`MAX_BODY_BYTES`]; a larger body is rejected with 413
//! `RequestBodyTooLarge`. Add Task Collection takes at most 100 tasks, as the service does.

mod auth;
mod body;
mod config;
mod context;
mod jobs;
mod postgres;
mod reply;
mod simulate;
mod state;
mod storage;
mod tasks;

pub use config::{Config, ConfigError, DEFAULT_DATA_DIR, DEFAULT_LISTEN, JobImport, SharedKey};
pub use storage::StorageError;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::routing::{get, post};
use tokio::net::TcpListener;

use state::AppState;
use storage::Storage;

/// The maximum size of a request body in bytes: 4 MiB. The service takes at most 100
/// tasks in one Add Task Collection call, which fits well within it.
pub const MAX_BODY_BYTES: usize = 4 << 20;

/// A server with its database open and its listener bound, ready to [`Server::run`].
pub struct Server {
    state: Arc<AppState>,
    listener: TcpListener,
    simulate: Option<f64>,
}

/// The error that stopped the server or kept it from starting.
#[derive(Debug)]
pub enum StartError {
    /// The configuration is not allowed, such as a public address without a key.
    Config(ConfigError),
    /// The database could not be opened, read or written.
    Storage(StorageError),
    /// A job could not be imported: its file could not be read or contains invalid tasks,
    /// or the job exists.
    Import(String),
    /// The listen address could not be bound, or serving failed.
    Io(std::io::Error),
    /// The PostgreSQL database of `--postgres` could not be reached or migrated.
    Postgres(crate::sql::client::ClientError),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Config(error) => write!(f, "{error}"),
            StartError::Storage(error) => write!(f, "{error}"),
            StartError::Import(reason) => write!(f, "{reason}"),
            StartError::Io(error) => write!(f, "{error}"),
            StartError::Postgres(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for StartError {}

impl Server {
    /// Opens the database, loads every job and its tasks into memory, imports the jobs of
    /// [`Config::imports`], and binds the listen address. It adds the demo job when the
    /// database has no job and the configuration enables it, imports none and keeps tasks
    /// in the data directory rather than PostgreSQL.
    ///
    /// # Errors
    ///
    /// Returns [`StartError::Config`] for a non-loopback address without a Shared Key,
    /// [`StartError::Storage`] when the database cannot be opened or read,
    /// [`StartError::Import`] when a job cannot be imported, and
    /// [`StartError::Io`] when the address cannot be bound.
    pub async fn bind(config: Config) -> Result<Server, StartError> {
        config.check().map_err(StartError::Config)?;
        let started = Instant::now();
        let storage = Storage::open(&config.data_dir).map_err(StartError::Storage)?;
        let jobs = storage::load_in_background(storage.clone())
            .await
            .map_err(StartError::Storage)?;
        let job_count = jobs.len();
        let task_count: usize = jobs.iter().map(|job| job.task_count()).sum();
        let simulate = config.simulate;
        // The demo job's tasks live in the server's own database, so a PostgreSQL task
        // store starts without it.
        let demo = config.demo
            && jobs.is_empty()
            && config.imports.is_empty()
            && config.postgres.is_none();
        let postgres = match &config.postgres {
            Some(url) => Some(
                postgres::PgBackend::connect(url)
                    .await
                    .map_err(StartError::Postgres)?,
            ),
            None => None,
        };
        let imports = config.imports.clone();
        let data_dir = config.data_dir.display().to_string();
        let mut state = AppState::new(config, storage, jobs);
        state.postgres = postgres;
        let state = Arc::new(state);
        tracing::info!(
            jobs = job_count,
            tasks = task_count,
            elapsed_ms = started.elapsed().as_millis() as u64,
            data_dir,
            "loaded the database"
        );
        for import in &imports {
            state.import_job(import).await.map_err(StartError::Import)?;
        }
        if demo {
            state.add_demo_job().await.map_err(StartError::Storage)?;
        }
        let listener = TcpListener::bind(state.config.listen)
            .await
            .map_err(StartError::Io)?;
        Ok(Server {
            state,
            listener,
            simulate,
        })
    }

    /// Returns the address the server listens on, with the port the system chose for port 0.
    pub fn local_addr(&self) -> Result<SocketAddr, std::io::Error> {
        self.listener.local_addr()
    }

    /// Serves requests until `shutdown` completes, then lets open requests finish.
    ///
    /// # Errors
    ///
    /// Returns [`StartError::Io`] when accepting connections fails.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let address = self.local_addr().map_err(StartError::Io)?;
        let auth = if self.state.config.shared_key.is_some() {
            "Shared Key"
        } else {
            "none (loopback only)"
        };
        tracing::info!(%address, authentication = auth, "listening");

        let simulator = self
            .simulate
            .map(|rate| tokio::spawn(simulate::run(Arc::clone(&self.state), rate)));
        let app = router(Arc::clone(&self.state));
        let served = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
        if let Some(simulator) = simulator {
            simulator.abort();
            // An aborted task reports cancellation, which is the expected outcome here.
            let _ = simulator.await;
        }
        tracing::info!(%address, "stopped");
        served.map_err(StartError::Io)
    }
}

/// The Batch operations the server implements: each path template with its methods, the
/// routes [`router`] builds. `openapi/batch-odata.json` describes exactly these, and
/// `tests/openapi.rs` checks both against the running server.
pub const ROUTES: [(&str, &[&str]); 7] = [
    ("/jobs", &["GET", "POST"]),
    ("/jobs/{jobId}", &["GET", "DELETE"]),
    ("/jobs/{jobId}/tasks", &["GET", "POST"]),
    ("/jobs/{jobId}/addtaskcollection", &["POST"]),
    ("/jobs/{jobId}/taskcounts", &["GET"]),
    ("/jobs/{jobId}/tasks/{taskId}", &["GET", "DELETE"]),
    ("/jobs/{jobId}/tasks/{taskId}/terminate", &["POST"]),
];

/// Builds the routes of the Batch operations the server implements.
fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/jobs", post(jobs::add).get(jobs::list))
        .route("/jobs/{job_id}", get(jobs::get).delete(jobs::delete))
        .route("/jobs/{job_id}/tasks", post(tasks::add).get(tasks::list))
        .route(
            "/jobs/{job_id}/addtaskcollection",
            post(tasks::add_collection),
        )
        .route("/jobs/{job_id}/taskcounts", get(tasks::counts))
        .route(
            "/jobs/{job_id}/tasks/{task_id}",
            get(tasks::get).delete(tasks::delete),
        )
        .route(
            "/jobs/{job_id}/tasks/{task_id}/terminate",
            post(tasks::terminate),
        )
        .fallback(reply::unknown_resource)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            context::handle,
        ))
        .with_state(state)
}

/// Waits for Ctrl-C or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "listening for Ctrl-C failed");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "listening for SIGTERM failed");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("received Ctrl-C, stopping"),
        () = terminate => tracing::info!("received SIGTERM, stopping"),
    }
}
