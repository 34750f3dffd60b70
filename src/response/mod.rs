//! Response bodies: List Tasks pages with `$select`/`$expand` projection and api-version
//! shaping, Get Task Counts, and Batch error bodies.

mod members;
mod shape;

pub use shape::{Projection, select_names, select_names_in};

use serde_json::{Map, Value, json};

use crate::error::{Error, ErrorKind};
use crate::store::TaskCounts;
use crate::version::ApiVersion;

/// Builds a List Tasks body: `odata.metadata`, `value` and, when more tasks follow,
/// `odata.nextLink`.
pub fn list_body(service_url: &str, tasks: Vec<Value>, next_link: Option<String>) -> Value {
    collection_body(service_url, "tasks", tasks, next_link)
}

/// Builds a list body of any entity set, such as `jobs` for List Jobs, as [`list_body`]
/// does for tasks.
pub fn collection_body(
    service_url: &str,
    entity_set: &str,
    items: Vec<Value>,
    next_link: Option<String>,
) -> Value {
    let mut body = Map::new();
    body.insert(
        "odata.metadata".into(),
        format!("{service_url}/$metadata#{entity_set}").into(),
    );
    body.insert("value".into(), Value::Array(items));
    if let Some(link) = next_link {
        body.insert("odata.nextLink".into(), link.into());
    }
    Value::Object(body)
}

/// Builds a Get Task Counts body as the api-version shapes it: `validationStatus` exists
/// only from 2017-06-01.5.1 to 2018-03-01.6.1.
///
/// The counts are exact at the moment they are read, so they are always `validated`.
pub fn counts_body(service_url: &str, counts: &TaskCounts, version: ApiVersion) -> Value {
    let mut body = Map::new();
    body.insert(
        "odata.metadata".into(),
        format!("{service_url}/$metadata#taskcounts/@Element").into(),
    );
    body.insert("active".into(), clamp(counts.active).into());
    body.insert("running".into(), clamp(counts.running).into());
    body.insert("completed".into(), clamp(counts.completed).into());
    body.insert("succeeded".into(), clamp(counts.succeeded).into());
    body.insert("failed".into(), clamp(counts.failed).into());
    if version.has_task_counts_validation_status() {
        body.insert("validationStatus".into(), "validated".into());
    }
    Value::Object(body)
}

/// Converts a count to the int32 of the wire format, saturating at `i32::MAX`.
fn clamp(count: u64) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}

/// Builds a Batch error body for `error`.
///
/// `values` names the query parameter, its value and the reason, and for errors inside a
/// parameter's text also the byte span (`Span`, as `start..end`), so a client can point at
/// the fault. The message ends with `RequestId:` and `Time:` lines, as the service writes.
pub fn error_body(service_url: &str, error: &Error, request_id: &str, time: &str) -> Value {
    let mut values = vec![("QueryParameterName", error.parameter().name().to_owned())];
    if !matches!(error.kind(), ErrorKind::ParameterMissing) {
        values.push(("QueryParameterValue", error.input().to_owned()));
        values.push(("Reason", error.to_string()));
        values.push(("Span", error.span().to_string()));
    }
    let message = ErrorMessage {
        code: error.code(),
        text: error.code_message(),
        request_id,
        time,
    };
    service_error_body(service_url, &message, &values)
}

/// The `code` and `message` of a Batch error body.
#[derive(Clone, Copy, Debug)]
pub struct ErrorMessage<'a> {
    /// The error code, such as `JobNotFound`.
    pub code: &'a str,
    /// The service's sentence for the code, such as `The specified job does not exist.`
    pub text: &'a str,
    /// The request id that the message's `RequestId:` line repeats.
    pub request_id: &'a str,
    /// The UTC time of the `Time:` line, with 7 fractional digits.
    pub time: &'a str,
}

/// Builds a Batch error body from its parts, for errors that are not about a query
/// parameter, such as a job that does not exist. `values` become the `{key, value}` details.
pub fn service_error_body(
    service_url: &str,
    message: &ErrorMessage<'_>,
    values: &[(&str, String)],
) -> Value {
    let ErrorMessage {
        code,
        text,
        request_id,
        time,
    } = message;
    let mut body = json!({
        "odata.metadata": format!(
            "{service_url}/$metadata#Microsoft.Azure.Batch.Protocol.Entities.Container.errors/@Element"
        ),
        "code": code,
        "message": {
            "lang": "en-US",
            "value": format!("{text}\nRequestId:{request_id}\nTime:{time}"),
        },
    });
    if !values.is_empty() {
        body["values"] = values
            .iter()
            .map(|(key, value)| detail(key, value))
            .collect();
    }
    body
}

fn detail(key: &str, value: &str) -> Value {
    json!({ "key": key, "value": value })
}
