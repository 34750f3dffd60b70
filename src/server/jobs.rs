//! Job operations: add, get, list and delete, enough of the job model for the SDKs.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use super::body;
use super::context::RequestContext;
use super::reply::{self, ApiError};
use super::state::AppState;
use super::tasks::{entity_headers, location_headers};
use crate::query::decode_query;

/// `POST /jobs`: Add Job. Returns 201 Created.
pub(crate) async fn add(
    State(state): State<Arc<AppState>>,
    Extension(context): Extension<RequestContext>,
    request_body: Body,
) -> Result<Response, ApiError> {
    let json = body::read_json(request_body).await?;
    let job =
        body::new_job_from_body(json, context.api_version, &context.service_url, state.now())?;
    let url = job["url"].as_str().unwrap_or_default().to_owned();
    let headers = entity_headers(&job);
    state.add_job(job, Vec::new()).await?;

    let mut response = reply::empty(StatusCode::CREATED);
    response.headers_mut().extend(headers);
    location_headers(&mut response, &url);
    Ok(response)
}

/// `GET /jobs/{jobId}`: Get Job.
pub(crate) async fn get(
    State(state): State<Arc<AppState>>,
    Extension(context): Extension<RequestContext>,
    Path(job_id): Path<String>,
) -> Result<Response, ApiError> {
    let job = state.job(&job_id)?;
    let metadata = format!("{}/$metadata#jobs/@Element", context.service_url);
    let body = with_metadata(&metadata, &job.json);
    let mut response = reply::json(StatusCode::OK, body);
    response.headers_mut().extend(entity_headers(&job.json));
    Ok(response)
}

/// `GET /jobs`: List Jobs, all in one page.
///
/// TODO(#3): `$filter`, `$select` and paging of List Jobs; a `$filter` is rejected so that
/// a client never mistakes the full list for a filtered one.
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    Extension(context): Extension<RequestContext>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = decode_query(query.as_deref().unwrap_or(""))?;
    if let Some(filter) = params.iter().find(|param| param.name == "$filter") {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "InvalidQueryParameterValue",
            "Value for one of the query parameters specified in the request URI is invalid.",
        )
        .with("QueryParameterName", "$filter")
        .with("QueryParameterValue", filter.value.clone())
        .with("Reason", "this server does not filter jobs"));
    }

    let jobs: Vec<Value> = state.jobs().iter().map(|job| job.json.clone()).collect();
    let body = serde_json::json!({
        "odata.metadata": format!("{}/$metadata#jobs", context.service_url),
        "value": jobs,
    });
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
