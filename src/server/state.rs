//! Jobs in memory and the write path that keeps them equal to the database.
//!
//! Each job has an [`Engine`] behind a `std::sync::RwLock` and a writer mutex. A write to a
//! job holds the writer mutex from its checks until it is applied, so writes to one job
//! happen one at a time and a check such as "the id is free" still holds when the write
//! lands. The database commit, which waits for the disk, happens under the writer mutex
//! only; the engine's write lock is taken afterwards just to apply the change in memory.
//! List Tasks and Get Task Counts read under the engine's read lock, so each sees the
//! tasks between two whole writes.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use axum::http::StatusCode;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use tokio::sync::{Mutex, MutexGuard};

use super::body;
use super::config::{Config, JobImport};
use super::reply::ApiError;
use super::storage::{self, Storage, StorageError, StoredJob, TaskWrite};
use crate::dataset;
use crate::datetime::DateTime;
use crate::engine::Engine;
use crate::fold::fold_case;
use crate::store::Store;
use crate::task::{TaskRecord, load_tasks_from_reader};
use crate::version::ApiVersion;

/// Loads with more tasks than this show a progress bar on a terminal.
const PROGRESS_MIN_TASKS: usize = 100_000;

/// The id of the job that contains the built-in data set.
const DEMO_JOB_ID: &str = "demo";

/// The server's shared state.
pub(crate) struct AppState {
    pub(crate) config: Config,
    storage: Storage,
    /// Jobs by folded id.
    jobs: RwLock<BTreeMap<String, Arc<Job>>>,
    /// Serializes job adds and deletes.
    jobs_writer: Mutex<()>,
    clock: Clock,
    /// The PostgreSQL task store of `--postgres`, which then serves task adds and reads.
    pub(crate) postgres: Option<super::postgres::PgBackend>,
}

/// One job: its JSON and its tasks.
pub(crate) struct Job {
    pub(crate) folded_id: String,
    pub(crate) json: Value,
    writer: Mutex<()>,
    /// Set when the job is deleted, for writers that found it before the delete.
    deleted: AtomicBool,
    engine: RwLock<Engine>,
}

/// A change to one task.
pub(crate) enum TaskChange {
    /// Insert the task, or replace the one with its id.
    Put(TaskRecord),
    /// Delete the task with this id.
    Delete(String),
}

/// The right to write to one job, held from the checks until the write is applied.
pub(crate) struct JobWriter<'a> {
    pub(crate) job: &'a Job,
    _guard: MutexGuard<'a, ()>,
}

impl AppState {
    /// Builds the jobs in memory from the database's contents.
    pub(crate) fn new(config: Config, storage: Storage, stored: Vec<StoredJob>) -> AppState {
        let total: usize = stored.iter().map(StoredJob::task_count).sum();
        let progress = progress_bar(total);
        let mut jobs = BTreeMap::new();
        for job in stored {
            if let Some(job) = Job::from_stored(job, &progress) {
                jobs.insert(job.folded_id.clone(), Arc::new(job));
            }
        }
        progress.finish_and_clear();
        AppState {
            config,
            storage,
            jobs: RwLock::new(jobs),
            jobs_writer: Mutex::new(()),
            clock: Clock::default(),
            postgres: None,
        }
    }

    /// Returns the current time, later than every time returned before, so that each
    /// write gets its own `eTag`.
    pub(crate) fn now(&self) -> DateTime {
        self.clock.now()
    }

    /// Returns the job with this id, ignoring case.
    pub(crate) fn job(&self, id: &str) -> Result<Arc<Job>, ApiError> {
        read(&self.jobs)
            .get(&fold_case(id))
            .cloned()
            .ok_or_else(ApiError::job_not_found)
    }

    /// Returns every job in folded id order.
    pub(crate) fn jobs(&self) -> Vec<Arc<Job>> {
        read(&self.jobs).values().cloned().collect()
    }

    /// Stores and adds a job, failing with 409 `JobExists` when its id is taken.
    pub(crate) async fn add_job(
        &self,
        json: Value,
        tasks: Vec<TaskRecord>,
    ) -> Result<(), ApiError> {
        let id = json["id"].as_str().unwrap_or_default();
        let folded_id = fold_case(id);
        let _guard = self.jobs_writer.lock().await;
        if read(&self.jobs).contains_key(&folded_id) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "JobExists",
                "The specified job already exists.",
            ));
        }

        let rows: Vec<(String, String)> = tasks
            .iter()
            .map(|task| (task.folded_id().to_owned(), task.json().to_owned()))
            .collect();
        let storage = self.storage.clone();
        let (key, text) = (folded_id.clone(), json.to_string());
        storage::run_blocking(move || storage.put_job(&key, &text, &rows))
            .await
            .map_err(storage_failed)?;

        let store = Store::from_records(tasks).map_err(ApiError::from)?;
        let job = Job::new(folded_id.clone(), json, Engine::new(store));
        write(&self.jobs).insert(folded_id, Arc::new(job));
        Ok(())
    }

    /// Deletes a job and its tasks.
    pub(crate) async fn delete_job(&self, id: &str) -> Result<(), ApiError> {
        let _guard = self.jobs_writer.lock().await;
        let job = self.job(id)?;
        let _writer = job.writer.lock().await;
        // The tasks go first: a failure between the two leaves an empty job, never tasks
        // that a new job with the same id would find.
        if let Some(postgres) = &self.postgres {
            postgres.delete_job(&job.folded_id).await?;
        }
        let storage = self.storage.clone();
        let key = job.folded_id.clone();
        storage::run_blocking(move || storage.delete_job(&key))
            .await
            .map_err(storage_failed)?;
        job.deleted.store(true, Ordering::SeqCst);
        write(&self.jobs).remove(&job.folded_id);
        Ok(())
    }

    /// Adds a job with the tasks of a file through the write path of Add Job: the job and
    /// all its tasks are committed in one transaction, or nothing is. Returns the number
    /// of tasks.
    pub(crate) async fn import_job(&self, import: &JobImport) -> Result<usize, String> {
        let started = Instant::now();
        let context = |reason: &dyn std::fmt::Display| {
            format!(
                "importing job '{}' from {} failed: {reason}",
                import.job_id,
                import.path.display()
            )
        };
        let path = import.path.clone();
        let tasks = tokio::task::spawn_blocking(move || {
            let file = File::open(&path).map_err(|error| error.to_string())?;
            load_tasks_from_reader(BufReader::new(file)).map_err(|error| error.to_string())
        })
        .await
        .map_err(|error| context(&error))?
        .map_err(|reason| context(&reason))?;

        let count = tasks.len();
        let service_url = format!("http://{}", self.config.listen);
        let body = serde_json::json!({ "id": import.job_id, "poolInfo": { "poolId": "imported" } });
        let json = body::new_job_from_body(body, ApiVersion::LATEST, &service_url, self.now())
            .map_err(|error| context(&error))?;
        self.add_job(json, tasks)
            .await
            .map_err(|error| context(&error))?;
        tracing::info!(
            job = %import.job_id,
            tasks = count,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "imported a job"
        );
        Ok(count)
    }

    /// Adds the job that contains the built-in data set.
    pub(crate) async fn add_demo_job(&self) -> Result<(), StorageError> {
        let tasks = dataset::builtin().map_err(|error| StorageError::from_data(&error))?;
        let count = tasks.len();
        let service_url = format!("http://{}", self.config.listen);
        let mut fields = serde_json::Map::new();
        fields.insert(
            "poolInfo".into(),
            serde_json::json!({ "poolId": "demo-pool" }),
        );
        let json = body::new_job(DEMO_JOB_ID, fields, &service_url, self.now());
        match self.add_job(json, tasks).await {
            Ok(()) => {
                tracing::info!(job = DEMO_JOB_ID, tasks = count, "added the demo job");
                Ok(())
            }
            Err(error) => Err(StorageError::from_data(&format!(
                "adding the demo job failed with {}",
                error.code()
            ))),
        }
    }

    /// Stores changes to a job's tasks in one transaction, then applies them in memory.
    pub(crate) async fn commit(
        &self,
        writer: &JobWriter<'_>,
        changes: Vec<TaskChange>,
    ) -> Result<(), ApiError> {
        let writes: Vec<TaskWrite> = changes
            .iter()
            .map(|change| match change {
                TaskChange::Put(record) => TaskWrite::Put {
                    folded_id: record.folded_id().to_owned(),
                    json: record.json().to_owned(),
                },
                TaskChange::Delete(folded_id) => TaskWrite::Delete {
                    folded_id: folded_id.clone(),
                },
            })
            .collect();
        let storage = self.storage.clone();
        let key = writer.job.folded_id.clone();
        storage::run_blocking(move || storage.write_tasks(&key, &writes))
            .await
            .map_err(storage_failed)?;

        let mut engine = write(&writer.job.engine);
        for change in changes {
            match change {
                TaskChange::Put(record) => {
                    // Only a full store fails, and the id count was checked before the
                    // commit, so this is a broken invariant: log it rather than panic.
                    if let Err(error) = engine.store_mut().upsert(record) {
                        tracing::error!(%error, job = %writer.job.folded_id, "applying a stored task failed");
                    }
                }
                TaskChange::Delete(folded_id) => {
                    engine.store_mut().remove(&folded_id);
                }
            }
        }
        Ok(())
    }
}

impl Job {
    fn new(folded_id: String, json: Value, engine: Engine) -> Job {
        Job {
            folded_id,
            json,
            writer: Mutex::new(()),
            deleted: AtomicBool::new(false),
            engine: RwLock::new(engine),
        }
    }

    /// Builds a job from the database, skipping tasks that no longer parse and logging
    /// them, so one bad row does not keep the server from starting.
    fn from_stored(stored: StoredJob, progress: &ProgressBar) -> Option<Job> {
        let json: Value = match serde_json::from_str(&stored.json) {
            Ok(json) => json,
            Err(error) => {
                tracing::error!(%error, "skipping a stored job that is not valid JSON");
                return None;
            }
        };
        let folded_id = fold_case(json["id"].as_str().unwrap_or_default());
        // Each task is parsed as the store takes it, so the parsed records of the whole
        // job are never held at once.
        let records = stored.tasks.iter().filter_map(|text| {
            progress.inc(1);
            TaskRecord::parse(text)
                .inspect_err(
                    |error| tracing::error!(%error, job = %folded_id, "skipping a stored task"),
                )
                .ok()
        });
        let store = match Store::from_records(records) {
            Ok(store) => store,
            Err(error) => {
                tracing::error!(%error, job = %folded_id, "skipping a stored job");
                return None;
            }
        };
        Some(Job::new(folded_id, json, Engine::new(store)))
    }

    /// Returns the engine for reading; readers see whole writes only.
    pub(crate) fn engine(&self) -> RwLockReadGuard<'_, Engine> {
        read(&self.engine)
    }

    /// Waits for the right to write to this job.
    ///
    /// # Errors
    ///
    /// Returns 404 `JobNotFound` when the job was deleted while waiting.
    pub(crate) async fn writer(&self) -> Result<JobWriter<'_>, ApiError> {
        let guard = self.writer.lock().await;
        if self.deleted.load(Ordering::SeqCst) {
            return Err(ApiError::job_not_found());
        }
        Ok(JobWriter {
            job: self,
            _guard: guard,
        })
    }
}

impl StorageError {
    fn from_data(reason: &dyn std::fmt::Display) -> StorageError {
        StorageError::new("preparing data", reason)
    }
}

/// Logs a failed database write and returns the 500 response for it.
fn storage_failed(error: StorageError) -> ApiError {
    tracing::error!(%error, "database write failed");
    ApiError::internal()
}

/// Takes a read lock. A panic while a lock was held leaves the data as the last whole
/// write made it, because writers only call infallible store methods, so a poisoned lock
/// is still used.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// A source of strictly increasing times in 100 ns ticks.
#[derive(Default)]
struct Clock {
    last_ticks: AtomicI64,
}

impl Clock {
    fn now(&self) -> DateTime {
        let system = DateTime::now().ticks();
        let mut last = self.last_ticks.load(Ordering::SeqCst);
        loop {
            let next = system.max(last + 1);
            match self
                .last_ticks
                .compare_exchange(last, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return DateTime::from_ticks(next),
                Err(current) => last = current,
            }
        }
    }
}

/// Shows a progress bar on standard error for large loads. indicatif draws nothing when
/// standard error is not a terminal.
fn progress_bar(total: usize) -> ProgressBar {
    if total < PROGRESS_MIN_TASKS {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) = ProgressStyle::with_template("loading tasks {bar:40} {pos}/{len} {eta}") {
        bar.set_style(style);
    }
    bar
}
