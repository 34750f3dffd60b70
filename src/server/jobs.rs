//! Job operations: add, get, list and delete, enough of the job model for the SDKs.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use super::body;
use super::context::{Params, RequestContext};
use super::reply::{self, ApiError};
use super::state::{AppState, Job};
use crate::bind::Mode;
use crate::engine::Engine;
use crate::exec::reference;
use crate::filter::{Filter, Options};
use crate::plan::Plan;
use crate::query::{ListParams, SkipToken, next_link};
use crate::response::{Projection, collection_body};
use crate::schema;

/// `POST /jobs`: Add Job. Returns 201 Created.
pub(crate) async fn add(
    State(state): State<Arc<AppState>>,
    Extension(context): Extension<RequestContext>,
    request_body: Body,
) -> Result<Response, ApiError> {
    let json = body::read_json(request_body).await?;
    let job =
        body::new_job_from_body(json, context.api_version, &context.service_url, state.now())?;
    let response = reply::created(&job);
    state.add_job(job, Vec::new()).await?;
    Ok(response)
}

/// `GET /jobs/{jobId}`: Get Job, with `$select` and `$expand` as List Jobs has them.
pub(crate) async fn get(
    State(state): State<Arc<AppState>>,
    Extension(context): Extension<RequestContext>,
    Path(job_id): Path<String>,
    Params(params): Params<ListParams>,
) -> Result<Response, ApiError> {
    let select = Engine::check_select_in(&schema::JOB, &params)?;
    let job = state.job(&job_id)?;
    let projection =
        Projection::new(params.api_version, select, params.expand_stats).schema(&schema::JOB);
    let metadata = format!("{}/$metadata#jobs/@Element", context.service_url);
    let body = with_metadata(&metadata, &projection.apply(job.json.clone()));
    Ok(reply::entity(body, &job.json))
}

/// `GET /jobs`: List Jobs in job id order, with `$filter` in strict mode (the documented
/// List Jobs table), `$select`, `$expand`, `maxresults` and `$skiptoken` as List Tasks has
/// them.
///
/// Jobs have no indexes: the filter runs on each job's JSON with the reference evaluator,
/// because a server has few jobs and many tasks.
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    Extension(context): Extension<RequestContext>,
    Params(params): Params<ListParams>,
) -> Result<Response, ApiError> {
    let plan = match &params.filter {
        Some(text) => {
            let options = Options::new(params.api_version)
                .schema(&schema::JOB)
                .mode(Mode::Strict);
            Filter::compile(text, &options)?.plan().clone()
        }
        None => Plan::Const(true),
    };
    let select = Engine::check_select_in(&schema::JOB, &params)?;
    let projection =
        Projection::new(params.api_version, select, params.expand_stats).schema(&schema::JOB);

    // Jobs are in folded id order, the order skip tokens use.
    let after = params.skip_token.as_ref().map(SkipToken::last_id);
    let mut matches = state
        .jobs()
        .into_iter()
        .filter(|job| after.is_none_or(|after| job.folded_id.as_str() > after))
        .filter(|job| reference::matches(&plan, &job.json));
    let page: Vec<Arc<Job>> = matches.by_ref().take(params.max_results as usize).collect();
    let more = matches.next().is_some();

    let next = match (more, page.last()) {
        (true, Some(last)) => {
            let list_url = format!("{}/jobs", context.service_url);
            Some(next_link(
                &list_url,
                &params,
                &SkipToken::new(&last.folded_id),
            ))
        }
        _ => None,
    };
    let jobs = page
        .iter()
        .map(|job| projection.apply(job.json.clone()))
        .collect();
    let body = collection_body(&context.service_url, "jobs", jobs, next);
    Ok(reply::json(StatusCode::OK, body))
}

/// `DELETE /jobs/{jobId}`: Delete Job with its tasks. Returns 202 Accepted, as the service
/// does, although the job is gone when the response is sent.
pub(crate) async fn delete(
    State(state): State<Arc<AppState>>,
    Path(job_id): Path<String>,
) -> Result<Response, ApiError> {
    state.delete_job(&job_id).await?;
    Ok(reply::empty(StatusCode::ACCEPTED))
}

/// Returns `entity` with `odata.metadata` in front, as single-entity responses have it.
pub(crate) fn with_metadata(metadata: &str, entity: &Value) -> Value {
    let mut body = Map::new();
    body.insert("odata.metadata".into(), metadata.into());
    if let Value::Object(fields) = entity {
        body.extend(fields.clone());
    }
    Value::Object(body)
}
