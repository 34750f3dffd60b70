//! The middleware around every request: request id, the `api-version` check, Shared Key
//! authentication, error bodies, the Batch response headers and the request log line.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::uri::Authority;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth;
use super::reply::{self, ApiError};
use super::state::AppState;
use crate::datetime::DateTime;
use crate::query::{CountsParams, ListParams, decode_query, parse_api_version};
use crate::version::ApiVersion;

/// The request data handlers use besides the request's own parts.
#[derive(Clone, Debug)]
pub(crate) struct RequestContext {
    /// The api-version, already checked.
    pub(crate) api_version: ApiVersion,
    /// The `request-id` of the response, which error messages repeat.
    pub(crate) request_id: String,
    /// The URL of the service as the client reached it, such as `http://127.0.0.1:8080`,
    /// for `odata.metadata`, `url` and `odata.nextLink`.
    pub(crate) service_url: String,
}

/// Runs one request: checks it, calls the handler, then adds the headers and logs it.
pub(crate) async fn handle(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let service_url = service_url(request.headers(), state.config.listen);
    let echoed_id = echoed_client_request_id(request.headers());

    let mut response = match admit(&state, &request) {
        Ok(api_version) => {
            let context = RequestContext {
                api_version,
                request_id: request_id.clone(),
                service_url: service_url.clone(),
            };
            request.extensions_mut().insert(context);
            next.run(request).await
        }
        Err(error) => error.into_response(),
    };

    let error = error_of(&response);
    if let Some(error) = &error {
        let time = DateTime::now().to_utc_string();
        let body = error.body(&service_url, &request_id, &time);
        response = reply::json(error.status(), body);
    }
    add_headers(response.headers_mut(), &request_id, echoed_id);

    let status = response.status().as_u16();
    let latency = started.elapsed();
    let code = error.as_ref().map_or("", ApiError::code);
    tracing::info!(%method, %path, status, %request_id, ?latency, code, "request");
    response
}

/// Checks the api-version, then the Shared Key signature when an account is configured.
/// The service checks the api-version first: a request without one gets 400 even
/// without credentials.
fn admit(state: &AppState, request: &Request) -> Result<ApiVersion, ApiError> {
    let params = decode_query(request.uri().query().unwrap_or(""))?;
    let version = params
        .iter()
        .find(|param| param.name == "api-version")
        .map(|param| param.value.as_str());
    let api_version = parse_api_version(version)?;
    if let Some(account) = &state.config.shared_key {
        auth::verify(account, request.method(), request.uri(), request.headers())?;
    }
    Ok(api_version)
}

/// Returns the error a response stands for: the [`ApiError`] a handler returned, or one
/// made from the status of an error response that axum produced itself.
fn error_of(response: &Response) -> Option<ApiError> {
    if let Some(error) = response.extensions().get::<ApiError>() {
        return Some(error.clone());
    }
    let status = response.status();
    (status.is_client_error() || status.is_server_error()).then(|| reply::from_status(status))
}

/// Returns the `client-request-id` to echo, which clients request with
/// `return-client-request-id: true`.
fn echoed_client_request_id(headers: &HeaderMap) -> Option<HeaderValue> {
    let requested = headers
        .get("return-client-request-id")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("true"));
    if requested {
        headers.get("client-request-id").cloned()
    } else {
        None
    }
}

fn add_headers(headers: &mut HeaderMap, request_id: &str, echoed_id: Option<HeaderValue>) {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("request-id", value);
    }
    if let Some(value) = echoed_id {
        headers.insert("client-request-id", value);
    }
    headers.insert("dataserviceversion", HeaderValue::from_static("3.0"));
}

/// Returns `http://` and the request's Host, or the listen address when the Host header is
/// missing or not a valid authority.
fn service_url(headers: &HeaderMap, listen: SocketAddr) -> String {
    let host = headers
        .get("host")
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<Authority>().ok());
    match host {
        Some(authority) => format!("http://{authority}"),
        None => format!("http://{listen}"),
    }
}

/// The checked query parameters of an operation, extracted from the raw query string, so a
/// handler receives them typed or the request gets the parameter's 400 error body.
pub(crate) struct Params<T>(pub(crate) T);

/// Query parameter sets that parse from a raw query string.
pub(crate) trait FromQuery: Sized {
    fn from_query(raw: &str) -> Result<Self, crate::error::Error>;
}

impl FromQuery for ListParams {
    fn from_query(raw: &str) -> Result<Self, crate::error::Error> {
        ListParams::from_query(raw)
    }
}

impl FromQuery for CountsParams {
    fn from_query(raw: &str) -> Result<Self, crate::error::Error> {
        CountsParams::from_query(raw)
    }
}

impl<T: FromQuery, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let raw = parts.uri.query().unwrap_or("");
        Ok(Params(T::from_query(raw)?))
    }
}
