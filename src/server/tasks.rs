//! Task operations: add, add collection, get, list, delete, terminate and Get Task Counts.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::body;
use super::context::{Params, RequestContext};
use super::jobs::with_metadata;
use super::postgres;
use super::reply::{self, ApiError};
use super::state::{AppState, Job, TaskChange};
use crate::bind::Mode;
use crate::datetime::DateTime;
use crate::engine::Engine;
use crate::fold::fold_case;
use crate::query::{CountsParams, ListParams};
use crate::response::Projection;
use crate::task::TaskRecord;

/// The maximum number of tasks in one Add Task Collection call, as the service documents it.
const MAX_COLLECTION_TASKS: usize = 100;

/// `POST /jobs/{jobId}/tasks`: Add Task. Returns 201 Created.
pub(crate) async fn add(
    State(state): State<Arc<AppState>>,
    Extension(context): Extension<RequestContext>,
    Path(job_id): Path<String>,
    request_body: Body,
) -> Result<Response, ApiError> {
    let job = state.job(&job_id)?;
    let json = body::read_json(request_body).await?;
    let record = body::new_task(
        json,
        context.api_version,
        &job_url(&context.service_url, &job),
        state.now(),
    )?;
    let task: Value = serde_json::from_str(record.json()).unwrap_or_default();

    let writer = job.writer().await?;
    if let Some(postgres) = &state.postgres {
        postgres::storable(&record)?;
        postgres.add(&job.folded_id, &[record]).await?;
    } else {
        if writer.job.engine().store().get(record.id()).is_some() {
            return Err(ApiError::task_exists());
        }
        state.commit(&writer, vec![TaskChange::Put(record)]).await?;
    }
    Ok(reply::created(&task))
}

/// `POST /jobs/{jobId}/addtaskcollection`: Add Task Collection.
///
/// Each task gets its own result in the order given: `success` with its `eTag`, or
/// `clienterror` with a Batch error, such as `TaskExists` for an id that is taken or
/// repeated in the same call. The tasks that succeed are stored in one transaction.
pub(crate) async fn add_collection(
    State(state): State<Arc<AppState>>,
    Extension(context): Extension<RequestContext>,
    Path(job_id): Path<String>,
    request_body: Body,
) -> Result<Response, ApiError> {
    let job = state.job(&job_id)?;
    let mut collection = body::object(body::read_json(request_body).await?, "a task collection")?;
    let Some(Value::Array(items)) = collection.remove("value") else {
        return Err(ApiError::body_invalid("expected a 'value' array of tasks"));
    };
    if items.is_empty() || items.len() > MAX_COLLECTION_TASKS {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "InvalidPropertyValue",
            "The value provided for one of the properties in the request body is invalid.",
        )
        .with("PropertyName", "value")
        .with("Reason", "a task collection holds 1 to 100 tasks"));
    }

    let url = job_url(&context.service_url, &job);
    let now = state.now();
    let built: Vec<(String, Result<TaskRecord, ApiError>)> = items
        .into_iter()
        .map(|item| {
            let id = item["id"].as_str().unwrap_or_default().to_owned();
            (id, body::new_task(item, context.api_version, &url, now))
        })
        .collect();

    let writer = job.writer().await?;
    let mut outcomes = Vec::with_capacity(built.len());
    let mut changes = Vec::new();
    let mut taken: Vec<String> = match &state.postgres {
        Some(postgres) => {
            postgres
                .existing(&job.folded_id, &folded_ids(&built))
                .await?
        }
        None => Vec::new(),
    };
    {
        let engine = writer.job.engine();
        for (id, result) in built {
            let outcome = result.and_then(|record| {
                if state.postgres.is_some() {
                    postgres::storable(&record)?;
                }
                let folded = record.folded_id().to_owned();
                if engine.store().get(&folded).is_some() || taken.contains(&folded) {
                    return Err(ApiError::task_exists());
                }
                taken.push(folded);
                let task: Value = serde_json::from_str(record.json()).unwrap_or_default();
                changes.push(TaskChange::Put(record));
                Ok(task)
            });
            outcomes.push((id, outcome));
        }
    }
    match &state.postgres {
        Some(postgres) => {
            let records: Vec<TaskRecord> = changes
                .into_iter()
                .filter_map(|change| match change {
                    TaskChange::Put(record) => Some(record),
                    TaskChange::Delete(_) => None,
                })
                .collect();
            if !records.is_empty() {
                postgres.add(&job.folded_id, &records).await?;
            }
        }
        None if !changes.is_empty() => state.commit(&writer, changes).await?,
        None => {}
    }

    let time = DateTime::now().to_utc_string();
    let results: Vec<Value> = outcomes
        .into_iter()
        .map(|(id, outcome)| match outcome {
            Ok(task) => json!({
                "status": "success",
                "taskId": id,
                "eTag": task["eTag"],
                "lastModified": task["lastModified"],
                "location": task["url"],
            }),
            Err(error) => {
                let mut detail = error.body(&context.service_url, &context.request_id, &time);
                if let Value::Object(fields) = &mut detail {
                    fields.shift_remove("odata.metadata");
                }
                let status = if error.status().is_server_error() {
                    "servererror"
                } else {
                    "clienterror"
                };
                json!({ "status": status, "taskId": id, "error": detail })
            }
        })
        .collect();
    let body = json!({
        "odata.metadata": format!("{}/$metadata#taskaddresult", context.service_url),
        "value": results,
    });
    Ok(reply::json(StatusCode::OK, body))
}

/// `GET /jobs/{jobId}/tasks/{taskId}`: Get Task, with `$select` and `$expand`.
pub(crate) async fn get(
    State(state): State<Arc<AppState>>,
    Extension(context): Extension<RequestContext>,
    Path((job_id, task_id)): Path<(String, String)>,
    Params(params): Params<ListParams>,
) -> Result<Response, ApiError> {
    let select = Engine::check_select(&params)?;
    let job = state.job(&job_id)?;
    let task = match &state.postgres {
        Some(postgres) => postgres.get(&job.folded_id, &task_id).await?,
        None => stored_task(&job, &task_id)?,
    };

    let projection = Projection::new(params.api_version, select, params.expand_stats);
    let metadata = format!("{}/$metadata#tasks/@Element", context.service_url);
    let body = with_metadata(&metadata, &projection.apply(task.clone()));
    Ok(reply::entity(body, &task))
}

/// `GET /jobs/{jobId}/tasks`: List Tasks, run by the engine in strict mode, as the service
/// accepts only its documented filter table.
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    Extension(context): Extension<RequestContext>,
    Path(job_id): Path<String>,
    Params(params): Params<ListParams>,
) -> Result<Response, ApiError> {
    let job = state.job(&job_id)?;
    let list_url = format!("{}/tasks", job_url(&context.service_url, &job));
    if let Some(postgres) = &state.postgres {
        let service_url = &context.service_url;
        let body = postgres
            .list(&job.folded_id, &params, service_url, &list_url)
            .await?;
        return Ok(reply::json(StatusCode::OK, body));
    }
    let body = job
        .engine()
        .list_text(&params, Mode::Strict, &context.service_url, &list_url)?;
    Ok(reply::json_text(StatusCode::OK, body))
}

/// `GET /jobs/{jobId}/taskcounts`: Get Task Counts.
pub(crate) async fn counts(
    State(state): State<Arc<AppState>>,
    Extension(context): Extension<RequestContext>,
    Path(job_id): Path<String>,
    Params(params): Params<CountsParams>,
) -> Result<Response, ApiError> {
    let job = state.job(&job_id)?;
    let body = match &state.postgres {
        Some(postgres) => {
            postgres
                .counts(&job.folded_id, &params, &context.service_url)
                .await?
        }
        None => job.engine().counts(&params, &context.service_url),
    };
    Ok(reply::json(StatusCode::OK, body))
}

/// `DELETE /jobs/{jobId}/tasks/{taskId}`: Delete Task. Returns 200 OK.
pub(crate) async fn delete(
    State(state): State<Arc<AppState>>,
    Path((job_id, task_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let job = state.job(&job_id)?;
    reject_on_postgres(&state)?;
    let writer = job.writer().await?;
    stored_task(writer.job, &task_id)?;
    let change = TaskChange::Delete(fold_case(&task_id));
    state.commit(&writer, vec![change]).await?;
    Ok(reply::empty(StatusCode::OK))
}

/// `POST /jobs/{jobId}/tasks/{taskId}/terminate`: Terminate Task. Returns 204 No Content.
///
/// The task completes with the failure the service records for it: result `failure` and
/// failureInfo category `usererror`, code `TaskEnded`.
pub(crate) async fn terminate(
    State(state): State<Arc<AppState>>,
    Path((job_id, task_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let job = state.job(&job_id)?;
    reject_on_postgres(&state)?;
    let writer = job.writer().await?;
    let Value::Object(mut task) = stored_task(writer.job, &task_id)? else {
        return Err(ApiError::internal());
    };
    if task.get("state").and_then(Value::as_str) == Some("completed") {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "TaskCompleted",
            "The specified task is already completed.",
        ));
    }

    let mut info = body::take_object(&mut task, "executionInfo");
    let failure_info = json!({
        "category": "usererror",
        "code": "TaskEnded",
        "message": "Task Was Ended by User Request",
    });
    body::complete(&mut task, &mut info, state.now(), Some(failure_info));
    task.insert("executionInfo".into(), Value::Object(info));
    let record = body::record(task)?;
    state.commit(&writer, vec![TaskChange::Put(record)]).await?;
    Ok(reply::empty(StatusCode::NO_CONTENT))
}

/// Fails with 501 when tasks live in PostgreSQL.
///
/// NOTE: the PostgreSQL task store adds, reads and lists tasks, and deletes whole jobs, but
/// Delete Task and Terminate Task are not built for it.
fn reject_on_postgres(state: &AppState) -> Result<(), ApiError> {
    match state.postgres {
        Some(_) => Err(ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            "This operation is not served for tasks stored in PostgreSQL.",
        )),
        None => Ok(()),
    }
}

/// Returns the folded ids of the tasks built for a collection.
fn folded_ids(built: &[(String, Result<TaskRecord, ApiError>)]) -> Vec<String> {
    built
        .iter()
        .filter_map(|(_, record)| record.as_ref().ok())
        .map(|record| record.folded_id().to_owned())
        .collect()
}

/// Returns the stored JSON of a task, or 404 `TaskNotFound`.
fn stored_task(job: &Job, task_id: &str) -> Result<Value, ApiError> {
    let engine = job.engine();
    let text = engine
        .store()
        .get(task_id)
        .ok_or_else(ApiError::task_not_found)?;
    serde_json::from_str(text).map_err(|error| {
        tracing::error!(%error, job = %job.folded_id, task = task_id, "stored task is not JSON");
        ApiError::internal()
    })
}

/// Returns the URL of a job at the address the client used, which can differ from the
/// address in the job's stored `url`, such as after a restart on another port.
fn job_url(service_url: &str, job: &Job) -> String {
    let id = job.json["id"].as_str().unwrap_or_default();
    format!("{service_url}/jobs/{id}")
}
