//! Tasks kept in PostgreSQL (`serve --postgres URL`) in place of the built-in store.
//!
//! Jobs stay in the server's own database; each job's tasks live in the PostgreSQL task
//! table under the job's folded id. List Tasks, Get Task, Get Task Counts and task adds go
//! to PostgreSQL through [`crate::sql`], which returns the same tasks, order and counts as
//! the built-in store.
//! Get Task Counts reads counters that every add updates in its own transaction, because
//! counting a state with an index-only scan still visits every matching index entry.

use axum::http::StatusCode;
use serde_json::Value;
use tokio::sync::Mutex;

use super::reply::ApiError;
use crate::engine::Engine;
use crate::query::{CountsParams, ListParams, SkipToken};
use crate::response::{Projection, counts_body};
use crate::sql::client::{ClientError, PgTasks};
use crate::task::TaskRecord;

/// The PostgreSQL task backend.
///
/// NOTE: one connection serves every request in turn, so PostgreSQL requests do not run
/// in parallel. A connection pool would let them.
pub(crate) struct PgBackend {
    tasks: Mutex<PgTasks>,
}

impl PgBackend {
    /// Connects and runs the migrations the database lacks.
    pub(crate) async fn connect(url: &str) -> Result<PgBackend, ClientError> {
        let tasks = PgTasks::connect(url).await?;
        Ok(PgBackend {
            tasks: Mutex::new(tasks),
        })
    }

    /// Returns the List Tasks body of a job, with the filter checked in strict mode as the
    /// service does.
    pub(crate) async fn list(
        &self,
        job: &str,
        params: &ListParams,
        service_url: &str,
        list_url: &str,
    ) -> Result<Value, ApiError> {
        let plan = Engine::list_plan(params, crate::bind::Mode::Strict)?;
        let select = Engine::check_select(params)?;
        let projection = Projection::new(params.api_version, select, params.expand_stats);
        let after = params.skip_token.as_ref().map(SkipToken::last_id);
        let limit = params.max_results as usize;
        let page = self
            .tasks
            .lock()
            .await
            .page(job, &plan, after, limit)
            .await
            .map_err(|error| failed(job, &error))?;
        let tasks: Vec<&str> = page.tasks.iter().map(String::as_str).collect();
        let last = page.last_folded_id.as_deref();
        let body = Engine::page_body(
            params,
            &projection,
            &tasks,
            page.more,
            last,
            service_url,
            list_url,
        )?;
        Ok(body)
    }

    /// Returns the Get Task Counts body of a job.
    pub(crate) async fn counts(
        &self,
        job: &str,
        params: &CountsParams,
        service_url: &str,
    ) -> Result<Value, ApiError> {
        let counts = self
            .tasks
            .lock()
            .await
            .counts(job)
            .await
            .map_err(|error| failed(job, &error))?;
        Ok(counts_body(service_url, &counts, params.api_version))
    }

    /// Returns the stored JSON of a task, or 404 `TaskNotFound`.
    pub(crate) async fn get(&self, job: &str, task_id: &str) -> Result<Value, ApiError> {
        let text = self
            .tasks
            .lock()
            .await
            .get(job, task_id)
            .await
            .map_err(|error| failed(job, &error))?
            .ok_or_else(ApiError::task_not_found)?;
        serde_json::from_str(&text).map_err(|error| {
            tracing::error!(%error, job, task = task_id, "stored task is not JSON");
            ApiError::internal()
        })
    }

    /// Returns the folded ids among `folded_ids` that the job already has.
    pub(crate) async fn existing(
        &self,
        job: &str,
        folded_ids: &[String],
    ) -> Result<Vec<String>, ApiError> {
        self.tasks
            .lock()
            .await
            .existing(job, folded_ids)
            .await
            .map_err(|error| failed(job, &error))
    }

    /// Removes the tasks and counters of a job, so that a new job with the same id starts
    /// empty.
    pub(crate) async fn delete_job(&self, job: &str) -> Result<(), ApiError> {
        self.tasks
            .lock()
            .await
            .delete_job(job)
            .await
            .map_err(|error| failed(job, &error))
    }

    /// Adds tasks to a job in one transaction, or fails with 409 `TaskExists` when one of
    /// the ids is taken. Check each task with [`storable`] first.
    pub(crate) async fn add(&self, job: &str, records: &[TaskRecord]) -> Result<(), ApiError> {
        match self.tasks.lock().await.insert(job, records).await {
            Ok(()) => Ok(()),
            Err(ClientError::TaskIdDuplicate) => Err(ApiError::task_exists()),
            Err(error) => Err(failed(job, &error)),
        }
    }
}

/// Returns 400 `InvalidPropertyValue` for a task that PostgreSQL cannot store. Its text
/// columns and `jsonb` cannot contain a NUL character, which the task's JSON writes as
/// `\u0000`, while the built-in store keeps such a task.
pub(crate) fn storable(record: &TaskRecord) -> Result<(), ApiError> {
    if !has_nul(record.json()) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::BAD_REQUEST,
        "InvalidPropertyValue",
        "The value provided for one of the properties in the request body is invalid.",
    )
    .with("PropertyName", "task")
    .with(
        "Reason",
        "the task contains a NUL character (\\u0000), which the PostgreSQL task store cannot store",
    ))
}

/// Returns true when JSON text has a `\u0000` escape, telling it from an escaped
/// backslash followed by `u0000`.
fn has_nul(json: &str) -> bool {
    let bytes = json.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'\\' {
            if bytes[index + 1..].starts_with(b"u0000") {
                return true;
            }
            index += 2;
        } else {
            index += 1;
        }
    }
    false
}

/// Logs a database failure and returns the 500 error the client gets.
fn failed(job: &str, error: &ClientError) -> ApiError {
    tracing::error!(%error, job, "PostgreSQL request failed");
    ApiError::internal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_nul_tells_escape_from_backslash() {
        assert!(has_nul(r#"{"id":"a","commandLine":"a\u0000b"}"#));
        assert!(has_nul(r#"{"id":"a","commandLine":"\\\u0000"}"#));
        assert!(!has_nul(r#"{"id":"a","commandLine":"\\u0000"}"#));
        assert!(!has_nul(r#"{"id":"a","commandLine":"u0000 \u0001"}"#));
    }
}
