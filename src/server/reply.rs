//! Responses: JSON bodies with the Batch headers, and errors as Batch error bodies.
//!
//! A handler returns an [`ApiError`] without knowing the request id. Its response carries
//! the error as an extension, and the middleware in `context.rs` writes the body, because
//! only the middleware knows the request id and the service URL that the body repeats.

use axum::Json;
use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::datetime::DateTime;
use crate::error::Error;
use crate::response::{ErrorMessage, error_body, service_error_body};

/// The content type of every JSON response, as the service sends it.
pub(crate) const JSON_CONTENT_TYPE: &str = "application/json;odata=minimalmetadata";

/// An error response: either an engine error about a query parameter, or a service error
/// with its own code.
#[derive(Clone, Debug)]
pub(crate) enum ApiError {
    /// An error from the query pipeline, rendered by [`error_body`].
    Query(Box<Error>),
    /// Any other Batch error.
    Service {
        status: StatusCode,
        code: &'static str,
        message: &'static str,
        values: Vec<(&'static str, String)>,
    },
}

impl ApiError {
    /// Creates a service error without details.
    pub(crate) fn new(status: StatusCode, code: &'static str, message: &'static str) -> ApiError {
        ApiError::Service {
            status,
            code,
            message,
            values: Vec::new(),
        }
    }

    /// Adds a `{key, value}` detail to a service error.
    pub(crate) fn with(mut self, key: &'static str, value: impl Into<String>) -> ApiError {
        if let ApiError::Service { values, .. } = &mut self {
            values.push((key, value.into()));
        }
        self
    }

    pub(crate) fn job_not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "JobNotFound",
            "The specified job does not exist.",
        )
    }

    pub(crate) fn task_not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "TaskNotFound",
            "The specified task does not exist.",
        )
    }

    pub(crate) fn task_exists() -> ApiError {
        ApiError::new(
            StatusCode::CONFLICT,
            "TaskExists",
            "The specified task already exists.",
        )
    }

    /// A request body that is not valid, with the reason in the details.
    pub(crate) fn body_invalid(reason: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequestBody",
            "The specified request body is not valid.",
        )
        .with("Reason", reason)
    }

    /// A server-side failure, such as a database write that failed. Its cause is logged
    /// where it happens, not sent to the client.
    pub(crate) fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "The server encountered an internal error. Please retry the request.",
        )
    }

    /// Returns the HTTP status.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            ApiError::Query(error) => match error.code() {
                "TaskNotFound" => StatusCode::NOT_FOUND,
                "InternalError" => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::BAD_REQUEST,
            },
            ApiError::Service { status, .. } => *status,
        }
    }

    /// Returns the Batch error code.
    pub(crate) fn code(&self) -> &str {
        match self {
            ApiError::Query(error) => error.code(),
            ApiError::Service { code, .. } => code,
        }
    }

    /// Builds the Batch error body.
    pub(crate) fn body(&self, service_url: &str, request_id: &str, time: &str) -> Value {
        match self {
            ApiError::Query(error) => error_body(service_url, error, request_id, time),
            ApiError::Service {
                code,
                message,
                values,
                ..
            } => {
                let message = ErrorMessage {
                    code,
                    text: message,
                    request_id,
                    time,
                };
                service_error_body(service_url, &message, values)
            }
        }
    }
}

impl std::fmt::Display for ApiError {
    /// Writes the code and the message of a query error, or the code and the details of a
    /// service error, for logs and start-up errors.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Query(error) => write!(f, "{}: {error}", error.code()),
            ApiError::Service { code, values, .. } => {
                write!(f, "{code}")?;
                for (key, value) in values {
                    write!(f, ", {key} {value}")?;
                }
                Ok(())
            }
        }
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> ApiError {
        ApiError::Query(Box::new(error))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Converts an error response that did not come from an [`ApiError`], such as axum's 405
/// for a method a path lacks, into one.
pub(crate) fn from_status(status: StatusCode) -> ApiError {
    match status {
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            status,
            "UnsupportedHttpVerb",
            "The resource doesn't support the specified HTTP verb.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            status,
            "RequestBodyTooLarge",
            "The request body is too large and exceeds the maximum permissible limit.",
        ),
        StatusCode::NOT_FOUND => ApiError::new(
            status,
            "ResourceNotFound",
            "The specified resource does not exist.",
        ),
        _ if status.is_server_error() => ApiError::internal(),
        _ => ApiError::new(
            StatusCode::BAD_REQUEST,
            "InvalidUri",
            "The requested URI does not represent any resource on the server.",
        ),
    }
}

/// The handler for paths that name no operation.
pub(crate) async fn unknown_resource() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "InvalidUri",
        "The requested URI does not represent any resource on the server.",
    )
}

/// A JSON response with the Batch content type.
pub(crate) fn json(status: StatusCode, body: Value) -> Response {
    with_json_type((status, Json(body)).into_response())
}

/// Returns a response whose body is JSON text written elsewhere, such as a List Tasks
/// page that [`crate::engine::Engine::list_text`] wrote from the stored task text.
pub(crate) fn json_text(status: StatusCode, body: String) -> Response {
    with_json_type((status, body).into_response())
}

fn with_json_type(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(JSON_CONTENT_TYPE),
    );
    response
}

/// A response without a body, such as 201 Created for an added task.
pub(crate) fn empty(status: StatusCode) -> Response {
    status.into_response()
}

/// Returns a 200 response with a job or task as its body and the entity's `ETag` and
/// `Last-Modified` headers, as Get Job and Get Task send them.
pub(crate) fn entity(body: Value, entity: &Value) -> Response {
    let mut response = json(StatusCode::OK, body);
    response.headers_mut().extend(entity_headers(entity));
    response
}

/// Returns a 201 Created response for a new job or task, with its `ETag`, `Last-Modified`,
/// `Location` and `DataServiceId` headers.
pub(crate) fn created(entity: &Value) -> Response {
    let mut response = empty(StatusCode::CREATED);
    response.headers_mut().extend(entity_headers(entity));
    location_headers(&mut response, entity["url"].as_str().unwrap_or_default());
    response
}

/// Returns the `ETag` and `Last-Modified` headers of a job or task.
fn entity_headers(entity: &Value) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(value) = entity["eTag"]
        .as_str()
        .and_then(|etag| HeaderValue::from_str(etag).ok())
    {
        headers.insert(header::ETAG, value);
    }
    let modified = entity["lastModified"]
        .as_str()
        .and_then(|text| DateTime::parse_iso(text).ok())
        .and_then(http_date);
    if let Some(value) = modified.and_then(|text| HeaderValue::from_str(&text).ok()) {
        headers.insert(header::LAST_MODIFIED, value);
    }
    headers
}

/// Adds the `Location` and `DataServiceId` headers of a created job or task.
fn location_headers(response: &mut Response, url: &str) {
    if let Ok(value) = HeaderValue::from_str(url) {
        response
            .headers_mut()
            .insert(header::LOCATION, value.clone());
        response.headers_mut().insert("dataserviceid", value);
    }
}

/// Formats a date-time as an HTTP date (RFC 1123), or `None` before 1970.
fn http_date(time: DateTime) -> Option<String> {
    // Ticks from 0001-01-01 to the Unix epoch, 1970-01-01.
    const UNIX_EPOCH_TICKS: i64 = 621_355_968_000_000_000;
    let since_epoch = u64::try_from(time.ticks().checked_sub(UNIX_EPOCH_TICKS)?).ok()?;
    let system = SystemTime::UNIX_EPOCH + Duration::from_nanos(since_epoch.saturating_mul(100));
    Some(httpdate::fmt_http_date(system))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn http_date_formats_rfc1123() {
        let time = DateTime::parse("2018-03-13T07:19:29.5819177Z").unwrap();
        assert_eq!(
            http_date(time).as_deref(),
            Some("Tue, 13 Mar 2018 07:19:29 GMT")
        );
    }

    #[test]
    fn entity_headers_carry_etag() {
        let task = json!({"id": "a", "eTag": "0x1", "lastModified": "2018-03-13T07:19:29Z"});
        let headers = entity_headers(&task);
        assert_eq!(headers[header::ETAG], "0x1");
        assert_eq!(
            headers[header::LAST_MODIFIED],
            "Tue, 13 Mar 2018 07:19:29 GMT"
        );
    }
}
