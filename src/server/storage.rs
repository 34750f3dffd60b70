//! The database, the source of truth: a redb file with a table of jobs and a table of
//! tasks per job.
//!
//! Keys are case-folded ids, because Batch ids are unique ignoring case; values are the
//! JSON the server returns. Every write is one transaction committed with redb's default
//! durability, which syncs the file before `commit` returns, so an acknowledged write
//! survives a crash. The calls block, so the async handlers run them on the blocking pool.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

/// Folded job id → job JSON.
const JOBS: TableDefinition<&str, &str> = TableDefinition::new("jobs");

/// The name of the file inside the data directory.
const FILE_NAME: &str = "batch-odata.redb";

/// Returns the name of the task table of a job: folded task id → task JSON.
fn task_table_name(folded_job_id: &str) -> String {
    format!("tasks/{folded_job_id}")
}

/// A failed database operation.
#[derive(Debug)]
pub struct StorageError {
    context: &'static str,
    reason: String,
}

impl StorageError {
    pub(crate) fn new(context: &'static str, error: impl fmt::Display) -> StorageError {
        StorageError {
            context,
            reason: error.to_string(),
        }
    }
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: {}", self.context, self.reason)
    }
}

impl std::error::Error for StorageError {}

/// One job as stored: its JSON and its tasks' JSON, in folded id order.
pub(crate) struct StoredJob {
    pub(crate) json: String,
    pub(crate) tasks: Vec<String>,
}

impl StoredJob {
    pub(crate) fn task_count(&self) -> usize {
        self.tasks.len()
    }
}

/// A write to one job's task table.
pub(crate) enum TaskWrite {
    /// Insert or replace the task with this folded id.
    Put { folded_id: String, json: String },
    /// Delete the task with this folded id.
    Delete { folded_id: String },
}

/// The open database. Clones share it.
#[derive(Clone)]
pub(crate) struct Storage {
    database: Arc<Database>,
}

impl Storage {
    /// Opens the database in `data_dir`, creating the directory and the file when missing.
    pub(crate) fn open(data_dir: &Path) -> Result<Storage, StorageError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|error| StorageError::new("creating the data directory", error))?;
        let database = Database::create(data_dir.join(FILE_NAME))
            .map_err(|error| StorageError::new("opening the database", error))?;
        let storage = Storage {
            database: Arc::new(database),
        };
        storage.create_tables()?;
        Ok(storage)
    }

    /// Creates the jobs table, so that reads of a new database find it.
    fn create_tables(&self) -> Result<(), StorageError> {
        self.write("creating the tables", |transaction| {
            transaction.open_table(JOBS)?;
            Ok(())
        })
    }

    /// Reads every job and its tasks.
    pub(crate) fn load(&self) -> Result<Vec<StoredJob>, StorageError> {
        let read = || -> Result<Vec<StoredJob>, redb::Error> {
            let transaction = self.database.begin_read()?;
            let mut jobs = Vec::new();
            for entry in transaction.open_table(JOBS)?.iter()? {
                let (key, value) = entry?;
                let name = task_table_name(key.value());
                let mut tasks = Vec::new();
                match transaction.open_table(TableDefinition::<&str, &str>::new(&name)) {
                    Ok(table) => {
                        for entry in table.iter()? {
                            tasks.push(entry?.1.value().to_owned());
                        }
                    }
                    Err(redb::TableError::TableDoesNotExist(_)) => {}
                    Err(error) => return Err(error.into()),
                }
                let json = value.value().to_owned();
                jobs.push(StoredJob { json, tasks });
            }
            Ok(jobs)
        };
        read().map_err(|error| StorageError::new("reading the database", error))
    }

    /// Stores a new job with its first tasks in one transaction.
    pub(crate) fn put_job(
        &self,
        folded_id: &str,
        json: &str,
        tasks: &[(String, String)],
    ) -> Result<(), StorageError> {
        self.write("storing a job", |transaction| {
            transaction.open_table(JOBS)?.insert(folded_id, json)?;
            let name = task_table_name(folded_id);
            let mut table = transaction.open_table(TableDefinition::<&str, &str>::new(&name))?;
            for (task_id, task_json) in tasks {
                table.insert(task_id.as_str(), task_json.as_str())?;
            }
            Ok(())
        })
    }

    /// Deletes a job and all its tasks in one transaction.
    pub(crate) fn delete_job(&self, folded_id: &str) -> Result<(), StorageError> {
        self.write("deleting a job", |transaction| {
            transaction.open_table(JOBS)?.remove(folded_id)?;
            let name = task_table_name(folded_id);
            transaction.delete_table(TableDefinition::<&str, &str>::new(&name))?;
            Ok(())
        })
    }

    /// Applies writes to one job's tasks in one transaction.
    pub(crate) fn write_tasks(
        &self,
        folded_job_id: &str,
        writes: &[TaskWrite],
    ) -> Result<(), StorageError> {
        self.write("storing tasks", |transaction| {
            let name = task_table_name(folded_job_id);
            let mut table = transaction.open_table(TableDefinition::<&str, &str>::new(&name))?;
            for write in writes {
                match write {
                    TaskWrite::Put { folded_id, json } => {
                        table.insert(folded_id.as_str(), json.as_str())?;
                    }
                    TaskWrite::Delete { folded_id } => {
                        table.remove(folded_id.as_str())?;
                    }
                }
            }
            Ok(())
        })
    }

    /// Runs `body` in a write transaction and commits it, which syncs the file.
    fn write(
        &self,
        context: &'static str,
        body: impl FnOnce(&redb::WriteTransaction) -> Result<(), redb::Error>,
    ) -> Result<(), StorageError> {
        let run = || -> Result<(), redb::Error> {
            let transaction = self.database.begin_write()?;
            body(&transaction)?;
            transaction.commit()?;
            Ok(())
        };
        run().map_err(|error| StorageError::new(context, error))
    }
}

/// Loads the database on the blocking pool.
pub(crate) async fn load_in_background(storage: Storage) -> Result<Vec<StoredJob>, StorageError> {
    run_blocking(move || storage.load()).await
}

/// Runs a blocking database call on the blocking pool.
pub(crate) async fn run_blocking<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, StorageError> + Send + 'static,
) -> Result<T, StorageError> {
    tokio::task::spawn_blocking(call)
        .await
        .map_err(|error| StorageError::new("running a database call", error))?
}
