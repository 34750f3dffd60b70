//! A PostgreSQL client for the task tables: migrations, adds, pages, counts.
//!
//! Writes update the Get Task Counts counters of the job in the same transaction as the
//! tasks, so the counters always equal what a `count(*)` by state and result would return,
//! and reading them is one primary key lookup whatever the size of the job.

use std::fmt;

use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, GenericClient, NoTls};

use super::layout::{COUNTS, Cell, ColumnType, TASKS, VERSIONS, cells, column_name, columns};
use super::{Param, Query, count_query, layout, page_query};
use crate::plan::Plan;
use crate::store::TaskCounts;
use crate::task::TaskRecord;

/// The key of the advisory lock that serializes migrations of concurrent starts.
const MIGRATION_LOCK: i64 = 0x6261_7463_685f_6f64;

/// A failed database operation.
#[derive(Debug)]
pub enum ClientError {
    /// The server or the connection reported an error.
    Database(tokio_postgres::Error),
    /// A task id, ignoring case, is already in the job.
    TaskIdDuplicate,
    /// The database schema is newer than this build supports.
    SchemaTooNew {
        /// The version recorded in the database.
        found: i32,
        /// The newest version this build creates.
        supported: i32,
    },
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Database(error) => match error.as_db_error() {
                Some(db) => write!(f, "PostgreSQL error {}: {}", db.code().code(), db.message()),
                None => write!(f, "PostgreSQL connection failed: {error}"),
            },
            ClientError::TaskIdDuplicate => f.write_str("a task with this id already exists"),
            ClientError::SchemaTooNew { found, supported } => write!(
                f,
                "the database schema is at version {found}, newer than version {supported} \
                 that this build supports; upgrade batch-odata"
            ),
        }
    }
}

impl std::error::Error for ClientError {}

impl From<tokio_postgres::Error> for ClientError {
    fn from(error: tokio_postgres::Error) -> Self {
        if error.code() == Some(&SqlState::UNIQUE_VIOLATION) {
            ClientError::TaskIdDuplicate
        } else {
            ClientError::Database(error)
        }
    }
}

/// One page of List Tasks results from the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgPage {
    /// The JSON of each matching task, in folded-id order.
    pub tasks: Vec<String>,
    /// The folded id of the last task of the page, or `None` when the page is empty.
    pub last_folded_id: Option<String>,
    /// True when more matching tasks follow the page.
    pub more: bool,
}

/// A connection to a database with the task tables.
pub struct PgTasks {
    client: Client,
}

impl PgTasks {
    /// Connects to `url` (such as `postgresql://user@127.0.0.1:5432/db`, or the key-value
    /// form `host=... user=...`) without TLS, and runs the migrations the database lacks.
    ///
    /// Must run inside a Tokio runtime, which drives the connection.
    pub async fn connect(url: &str) -> Result<PgTasks, ClientError> {
        let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
        // A broken connection also fails the client's next call, which reports it.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let mut tasks = PgTasks { client };
        tasks.migrate().await?;
        Ok(tasks)
    }

    /// Returns the underlying client, for statements this type does not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Brings the schema to the newest version, one transaction for all missing steps.
    async fn migrate(&mut self) -> Result<(), ClientError> {
        let migrations = layout::migrations();
        let supported = migrations.len() as i32;
        let transaction = self.client.transaction().await?;
        transaction
            .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        transaction
            .batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {VERSIONS} (\n    version integer PRIMARY KEY,\n    \
                 applied_at timestamptz NOT NULL DEFAULT now()\n)"
            ))
            .await?;
        let row = transaction
            .query_one(&format!("SELECT max(version) FROM {VERSIONS}"), &[])
            .await?;
        let found: i32 = row.get::<_, Option<i32>>(0).unwrap_or(0);
        if found > supported {
            return Err(ClientError::SchemaTooNew { found, supported });
        }
        for (index, statements) in migrations.iter().enumerate().skip(found as usize) {
            for statement in statements {
                transaction.batch_execute(statement).await?;
            }
            let version = index as i32 + 1;
            transaction
                .execute(
                    &format!("INSERT INTO {VERSIONS} (version) VALUES ($1)"),
                    &[&version],
                )
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Adds tasks to a job in one transaction: all of them, or none when an id is already in
    /// the job or repeats within `records` ([`ClientError::TaskIdDuplicate`]).
    pub async fn insert(&mut self, job: &str, records: &[TaskRecord]) -> Result<(), ClientError> {
        let transaction = self.client.transaction().await?;
        copy_in(&transaction, job, records).await?;
        add_counts(&transaction, job, signed(&tally(records))).await?;
        transaction.commit().await?;
        Ok(())
    }

    /// Writes new versions of tasks in one transaction: each record replaces the task with
    /// its id in the job, or is added when the job has none, and the Get Task Counts
    /// counters move from the old versions to the new ones, as
    /// [`crate::store::Store::upsert`] does. An id that repeats within `records` fails with
    /// [`ClientError::TaskIdDuplicate`] and changes nothing.
    pub async fn upsert(&mut self, job: &str, records: &[TaskRecord]) -> Result<(), ClientError> {
        let state = column_of("state");
        let result = column_of("executionInfo/result");
        let folded: Vec<&str> = records.iter().map(TaskRecord::folded_id).collect();
        let transaction = self.client.transaction().await?;
        let removed = transaction
            .query(
                &format!(
                    "DELETE FROM {TASKS} WHERE job_id = $1 AND id_folded = ANY($2) \
                     RETURNING \"{state}\", \"{result}\""
                ),
                &[&job, &folded],
            )
            .await?;
        let mut old = TaskCounts::default();
        for row in &removed {
            let state: Option<&str> = row.get(0);
            let result: Option<&str> = row.get(1);
            old.tally(state, result, true);
        }
        copy_in(&transaction, job, records).await?;
        let (new, old) = (signed(&tally(records)), signed(&old));
        let delta = std::array::from_fn(|index| new[index] - old[index]);
        add_counts(&transaction, job, delta).await?;
        transaction.commit().await?;
        Ok(())
    }

    /// Returns the JSON of the task with this id in the job, ignoring case.
    pub async fn get(&self, job: &str, id: &str) -> Result<Option<String>, ClientError> {
        let row = self
            .client
            .query_opt(
                &format!("SELECT json FROM {TASKS} WHERE job_id = $1 AND id_folded = $2"),
                &[&job, &crate::fold::fold_case(id)],
            )
            .await?;
        Ok(row.map(|row| row.get(0)))
    }

    /// Returns the folded ids among `folded_ids` that the job has.
    pub async fn existing(
        &self,
        job: &str,
        folded_ids: &[String],
    ) -> Result<Vec<String>, ClientError> {
        let rows = self
            .client
            .query(
                &format!("SELECT id_folded FROM {TASKS} WHERE job_id = $1 AND id_folded = ANY($2)"),
                &[&job, &folded_ids],
            )
            .await?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    /// Returns up to `limit` tasks of the job that match the plan, in folded-id order after
    /// the folded id `after`, as [`crate::store::Store::page`] does.
    pub async fn page(
        &self,
        job: &str,
        plan: &Plan,
        after: Option<&str>,
        limit: usize,
    ) -> Result<PgPage, ClientError> {
        let rows = run(&self.client, &page_query(job, plan, after, limit)).await?;
        let more = rows.len() > limit;
        let mut tasks = Vec::with_capacity(rows.len().min(limit));
        let mut last_folded_id = None;
        for row in rows.iter().take(limit) {
            last_folded_id = Some(row.get::<_, String>(0));
            tasks.push(row.get::<_, String>(1));
        }
        Ok(PgPage {
            tasks,
            last_folded_id,
            more,
        })
    }

    /// Returns the number of tasks of the job that match the plan.
    pub async fn count(&self, job: &str, plan: &Plan) -> Result<u64, ClientError> {
        let rows = run(&self.client, &count_query(job, plan)).await?;
        let count: i64 = rows.first().map_or(0, |row| row.get(0));
        Ok(count.max(0) as u64)
    }

    /// Returns the Get Task Counts counters of the job.
    pub async fn counts(&self, job: &str) -> Result<TaskCounts, ClientError> {
        let row = self
            .client
            .query_opt(
                &format!(
                    "SELECT active, running, completed, succeeded, failed FROM {COUNTS} \
                     WHERE job_id = $1"
                ),
                &[&job],
            )
            .await?;
        let Some(row) = row else {
            return Ok(TaskCounts::default());
        };
        let read = |index: usize| row.get::<_, i64>(index).max(0) as u64;
        Ok(TaskCounts {
            active: read(0),
            running: read(1),
            completed: read(2),
            succeeded: read(3),
            failed: read(4),
        })
    }

    /// Removes every task of the job and its counters, in one transaction.
    pub async fn delete_job(&mut self, job: &str) -> Result<(), ClientError> {
        let transaction = self.client.transaction().await?;
        for table in [TASKS, COUNTS] {
            transaction
                .execute(&format!("DELETE FROM {table} WHERE job_id = $1"), &[&job])
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }
}

/// Runs a compiled query with its parameters.
async fn run(
    client: &impl GenericClient,
    query: &Query,
) -> Result<Vec<tokio_postgres::Row>, ClientError> {
    let params: Vec<&(dyn ToSql + Sync)> = query.params.iter().map(Param::as_sql).collect();
    Ok(client.query(&query.text, &params).await?)
}

impl Param {
    /// Returns the value as tokio-postgres binds it.
    pub fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Param::Text(value) => value,
            Param::Int(value) => value,
            Param::Double(value) => value,
            Param::Bool(value) => value,
            Param::TextList(values) => values,
            Param::IntList(values) => values,
            Param::DoubleList(values) => values,
            Param::BoolList(values) => values,
        }
    }
}

/// Writes the tasks with `COPY ... FROM STDIN (FORMAT binary)`, the fastest way to load
/// rows, which also checks the primary key.
async fn copy_in(
    client: &tokio_postgres::Transaction<'_>,
    job: &str,
    records: &[TaskRecord],
) -> Result<(), ClientError> {
    let layout: Vec<ColumnType> = columns().map(|(_, ty)| ty).collect();
    let mut names = vec!["job_id".to_owned(), "id_folded".into(), "json".into()];
    names.extend(columns().map(|(property, _)| format!("\"{}\"", column_name(property))));
    let mut types = vec![Type::TEXT, Type::TEXT, Type::TEXT];
    types.extend(layout.iter().map(|ty| match ty {
        ColumnType::Text => Type::TEXT,
        ColumnType::Integer => Type::INT4,
        ColumnType::BigInt => Type::INT8,
        ColumnType::Double => Type::FLOAT8,
        ColumnType::Boolean => Type::BOOL,
    }));

    let statement = format!(
        "COPY {TASKS} ({}) FROM STDIN (FORMAT binary)",
        names.join(", ")
    );
    let sink = client.copy_in(&statement).await?;
    let writer = BinaryCopyInWriter::new(sink, &types);
    tokio::pin!(writer);
    for record in records {
        let mut row: Vec<Box<dyn ToSql + Sync + Send>> = Vec::with_capacity(types.len());
        row.push(Box::new(job.to_owned()));
        row.push(Box::new(record.folded_id().to_owned()));
        row.push(Box::new(record.json().to_owned()));
        for (cell, ty) in cells(record).into_iter().zip(&layout) {
            row.push(boxed(cell, *ty));
        }
        let values: Vec<&(dyn ToSql + Sync)> = row
            .iter()
            .map(|value| value.as_ref() as &(dyn ToSql + Sync))
            .collect();
        writer.as_mut().write(&values).await?;
    }
    writer.finish().await?;
    Ok(())
}

/// Returns a cell as the Rust type of its column.
fn boxed(cell: Cell, ty: ColumnType) -> Box<dyn ToSql + Sync + Send> {
    match (cell, ty) {
        (Cell::Text(text), _) => Box::new(Some(text)),
        // TaskRecord checks the Int32 range, so the conversion keeps every stored value.
        (Cell::Int(number), ColumnType::Integer) => Box::new(i32::try_from(number).ok()),
        (Cell::Int(number), _) => Box::new(Some(number)),
        (Cell::Double(number), _) => Box::new(Some(number)),
        (Cell::Bool(flag), _) => Box::new(Some(flag)),
        (Cell::Null, ColumnType::Text) => Box::new(None::<String>),
        (Cell::Null, ColumnType::Integer) => Box::new(None::<i32>),
        (Cell::Null, ColumnType::BigInt) => Box::new(None::<i64>),
        (Cell::Null, ColumnType::Double) => Box::new(None::<f64>),
        (Cell::Null, ColumnType::Boolean) => Box::new(None::<bool>),
    }
}

/// Returns the counters that adding the records raises.
fn tally(records: &[TaskRecord]) -> TaskCounts {
    let text = |record: &TaskRecord, path: &str| match crate::schema::lookup(path)
        .and_then(|property| record.value(property))
    {
        Some(crate::plan::Value::Str(text)) => Some(text.clone()),
        _ => None,
    };
    let mut counts = TaskCounts::default();
    for record in records {
        let state = text(record, "state");
        let result = text(record, "executionInfo/result");
        counts.tally(state.as_deref(), result.as_deref(), true);
    }
    counts
}

/// Returns the column name of a property that every API version's schema has.
fn column_of(path: &str) -> String {
    column_name(crate::schema::lookup(path).expect("a property of every schema"))
}

/// Returns the five counters in the order of the counts table's columns, as `bigint`s.
fn signed(counts: &TaskCounts) -> [i64; 5] {
    [
        counts.active,
        counts.running,
        counts.completed,
        counts.succeeded,
        counts.failed,
    ]
    .map(|count| i64::try_from(count).unwrap_or(i64::MAX))
}

/// Adds `values` (in [`signed`] order, negative to lower a counter) to the job's counters,
/// creating its row on the first add. The row lock this takes orders concurrent writers
/// of one job.
async fn add_counts(
    client: &impl GenericClient,
    job: &str,
    values: [i64; 5],
) -> Result<(), ClientError> {
    client
        .execute(
            &format!(
                "INSERT INTO {COUNTS} AS c (job_id, active, running, completed, succeeded, \
                 failed) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (job_id) DO UPDATE SET \
                 active = c.active + excluded.active, running = c.running + excluded.running, \
                 completed = c.completed + excluded.completed, \
                 succeeded = c.succeeded + excluded.succeeded, \
                 failed = c.failed + excluded.failed"
            ),
            &[
                &job, &values[0], &values[1], &values[2], &values[3], &values[4],
            ],
        )
        .await?;
    Ok(())
}
