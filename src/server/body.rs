//! Request bodies, and the server-set fields of new and changed jobs and tasks.

use axum::body::Body;
use axum::http::StatusCode;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::{Map, Value, json};

use super::MAX_BODY_BYTES;
use super::reply::{self, ApiError};
use crate::datetime::DateTime;
use crate::error::ErrorKind;
use crate::schema;
use crate::task::TaskRecord;
use crate::version::ApiVersion;

/// The maximum length of a job or task id, as the service documents it.
const MAX_ID_LENGTH: usize = 64;

/// The `constraints` of a task that sets none, as a 2018 service response shows them: no
/// wall-clock limit, no retention limit (both `TimeSpan.MaxValue`) and no retries.
const MAX_TIME_SPAN: &str = "P10675199DT2H48M5.4775807S";

/// Fields of jobs and tasks that only the server sets; a request body's values for them
/// are dropped.
const READ_ONLY: [&str; 11] = [
    "odata.metadata",
    "url",
    "eTag",
    "creationTime",
    "lastModified",
    "state",
    "stateTransitionTime",
    "previousState",
    "previousStateTransitionTime",
    "executionInfo",
    "stats",
];

/// Task fields that only the server sets, besides [`READ_ONLY`].
const TASK_READ_ONLY: [&str; 1] = ["nodeInfo"];

/// Reads a JSON request body of at most [`MAX_BODY_BYTES`].
///
/// # Errors
///
/// Returns 413 `RequestBodyTooLarge` for a larger body and 400 `InvalidRequestBody` naming
/// the problem for a body that cannot be read or is not JSON.
pub(crate) async fn read_json(body: Body) -> Result<Value, ApiError> {
    let bytes = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
            let error = reply::from_status(StatusCode::PAYLOAD_TOO_LARGE);
            return Err(error.with("MaxLimit", MAX_BODY_BYTES.to_string()));
        }
        Err(error) => {
            return Err(ApiError::body_invalid(format!(
                "reading the body failed: {error}"
            )));
        }
    };
    serde_json::from_slice(&bytes)
        .map_err(|error| ApiError::body_invalid(format!("the body is not valid JSON: {error}")))
}

/// Returns the object of a body, or 400 for any other JSON value.
pub(crate) fn object(value: Value, what: &str) -> Result<Map<String, Value>, ApiError> {
    match value {
        Value::Object(object) => Ok(object),
        other => Err(ApiError::body_invalid(format!(
            "expected {what} as a JSON object, found {}",
            json_kind(&other)
        ))),
    }
}

/// Builds a new task from a Task Add body: checks it, drops read-only fields and adds the
/// fields the server sets. `job_url` is the URL of the job.
pub(crate) fn new_task(
    body: Value,
    version: ApiVersion,
    job_url: &str,
    now: DateTime,
) -> Result<TaskRecord, ApiError> {
    let mut fields = object(body, "a task")?;
    check_version_fields(&fields, version)?;
    let id = take_id(&mut fields)?;
    match fields.get("commandLine") {
        Some(Value::String(_)) => {}
        None | Some(Value::Null) => return Err(missing("commandLine")),
        Some(other) => return Err(invalid_value("commandLine", &other.to_string())),
    }
    let client_constraints = fields.remove("constraints");
    for name in READ_ONLY.iter().chain(&TASK_READ_ONLY) {
        fields.remove(*name);
    }

    let time = now.to_utc_string();
    let mut task = Map::new();
    task.insert("id".into(), id.clone().into());
    task.insert("url".into(), format!("{job_url}/tasks/{id}").into());
    task.insert("eTag".into(), etag(now).into());
    task.insert("creationTime".into(), time.clone().into());
    task.insert("lastModified".into(), time.clone().into());
    task.insert("state".into(), "active".into());
    task.insert("stateTransitionTime".into(), time.into());
    task.extend(fields);
    task.insert("constraints".into(), constraints(client_constraints)?);
    task.insert(
        "executionInfo".into(),
        json!({"retryCount": 0, "requeueCount": 0}),
    );
    record(task)
}

/// Builds a new job from a Job Add body.
pub(crate) fn new_job_from_body(
    body: Value,
    version: ApiVersion,
    service_url: &str,
    now: DateTime,
) -> Result<Value, ApiError> {
    let mut fields = object(body, "a job")?;
    check_version_fields(&fields, version)?;
    let id = take_id(&mut fields)?;
    // A null is an absent property, as in the task body.
    fields.retain(|_, value| !value.is_null());
    for name in READ_ONLY {
        fields.remove(name);
    }
    check_job_fields(&fields)?;
    Ok(new_job(&id, fields, service_url, now))
}

/// Builds a job with the fields the server sets, followed by `fields`.
pub(crate) fn new_job(
    id: &str,
    mut fields: Map<String, Value>,
    service_url: &str,
    now: DateTime,
) -> Value {
    let time = now.to_utc_string();
    let pool_id = fields
        .get("poolInfo")
        .and_then(|pool| pool.get("poolId"))
        .cloned();
    let mut job = Map::new();
    job.insert("id".into(), id.into());
    job.insert("url".into(), format!("{service_url}/jobs/{id}").into());
    job.insert("eTag".into(), etag(now).into());
    job.insert("lastModified".into(), time.clone().into());
    job.insert("creationTime".into(), time.clone().into());
    job.insert("state".into(), "active".into());
    job.insert("stateTransitionTime".into(), time.clone().into());
    if !fields.contains_key("priority") {
        job.insert("priority".into(), 0.into());
    }
    job.append(&mut fields);
    let mut execution = json!({ "startTime": time });
    if let Some(pool_id) = pool_id {
        execution["poolId"] = pool_id;
    }
    job.insert("executionInfo".into(), execution);
    Value::Object(job)
}

/// Moves a task to `state`, keeping the previous state as the service does, and stamps it.
pub(crate) fn set_state(task: &mut Map<String, Value>, state: &str, now: DateTime) {
    let time = now.to_utc_string();
    if let Some(previous) = task.get("state").cloned() {
        task.insert("previousState".into(), previous);
    }
    if let Some(previous) = task.get("stateTransitionTime").cloned() {
        task.insert("previousStateTransitionTime".into(), previous);
    }
    task.insert("state".into(), state.into());
    task.insert("stateTransitionTime".into(), time.into());
    stamp(task, now);
}

/// Completes a task: sets its state, and its end time and result in `info`, the task's
/// `executionInfo`, which the caller took out with [`take_object`] and puts back. A task
/// with `failure_info` fails with it, and any other task succeeds.
pub(crate) fn complete(
    task: &mut Map<String, Value>,
    info: &mut Map<String, Value>,
    now: DateTime,
    failure_info: Option<Value>,
) {
    set_state(task, "completed", now);
    info.insert("endTime".into(), now.to_utc_string().into());
    match failure_info {
        None => {
            info.insert("result".into(), "success".into());
        }
        Some(failure_info) => {
            info.insert("result".into(), "failure".into());
            info.insert("failureInfo".into(), failure_info);
        }
    }
}

/// Sets `lastModified` and a new `eTag`.
pub(crate) fn stamp(task: &mut Map<String, Value>, now: DateTime) {
    task.insert("lastModified".into(), now.to_utc_string().into());
    task.insert("eTag".into(), etag(now).into());
}

/// Removes and returns the object under `name`, or an empty object when there is none.
/// The caller puts it back after changing it.
pub(crate) fn take_object(task: &mut Map<String, Value>, name: &str) -> Map<String, Value> {
    match task.remove(name) {
        Some(Value::Object(object)) => object,
        _ => Map::new(),
    }
}

/// Parses a task the server changed. The task came from the store or from [`new_task`],
/// so a failure is a client error only for values the client supplied.
pub(crate) fn record(task: Map<String, Value>) -> Result<TaskRecord, ApiError> {
    TaskRecord::from_json(Value::Object(task)).map_err(|error| match error.kind() {
        ErrorKind::TaskInvalid { field, reason, .. } => {
            let error = ApiError::new(
                StatusCode::BAD_REQUEST,
                "InvalidPropertyValue",
                "The value provided for one of the properties in the request body is invalid.",
            );
            error
                .with("PropertyName", field.clone().unwrap_or_default())
                .with("Reason", reason.clone())
        }
        _ => ApiError::from(error),
    })
}

/// An `eTag` as the service writes it: `0x` and upper-case hex digits. The server uses the
/// ticks of the change, which its clock keeps unique.
fn etag(now: DateTime) -> String {
    format!("0x{:X}", now.ticks())
}

/// Merges a body's `constraints` over the defaults.
fn constraints(client: Option<Value>) -> Result<Value, ApiError> {
    let mut merged = json!({
        "maxWallClockTime": MAX_TIME_SPAN,
        "retentionTime": MAX_TIME_SPAN,
        "maxTaskRetryCount": 0,
    });
    match client {
        None | Some(Value::Null) => {}
        Some(Value::Object(fields)) => {
            for (name, value) in fields {
                merged[name] = value;
            }
        }
        Some(other) => return Err(invalid_value("constraints", &other.to_string())),
    }
    Ok(merged)
}

/// Removes and checks the `id`: 1 to 64 ASCII letters, digits, hyphens and underscores.
fn take_id(fields: &mut Map<String, Value>) -> Result<String, ApiError> {
    let id = match fields.remove("id") {
        Some(Value::String(id)) => id,
        None | Some(Value::Null) => return Err(missing("id")),
        Some(other) => return Err(invalid_value("id", &other.to_string())),
    };
    let valid_chars = id
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
    if id.is_empty() || id.len() > MAX_ID_LENGTH || !valid_chars {
        return Err(invalid_value("id", &id).with(
            "Reason",
            "ids have 1 to 64 letters, digits, hyphens and underscores",
        ));
    }
    Ok(id)
}

/// Rejects a body that uses a property the api-version does not have, such as
/// `runElevated` from 2017-01-01.4.0 on, as the service rejects it.
fn check_version_fields(fields: &Map<String, Value>, version: ApiVersion) -> Result<(), ApiError> {
    match first_missing_path(fields, "", version) {
        Some(path) => Err(ApiError::body_invalid(format!(
            "property '{path}' does not exist in api-version {version}"
        ))
        .with("PropertyName", path)),
        None => Ok(()),
    }
}

/// Returns the first property path under `prefix` that some api-version knows but
/// `version` does not. Paths inside arrays end their array's name with `[]`.
fn first_missing_path(
    fields: &Map<String, Value>,
    prefix: &str,
    version: ApiVersion,
) -> Option<String> {
    for (name, value) in fields {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        if schema::lookup(&path).is_some_and(|property| !property.exists_in(version)) {
            return Some(path);
        }
        let found = match value {
            Value::Object(children) => first_missing_path(children, &path, version),
            Value::Array(items) => {
                let item_path = format!("{path}[]");
                items.iter().find_map(|item| match item {
                    Value::Object(children) => first_missing_path(children, &item_path, version),
                    _ => None,
                })
            }
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// The JSON type a property of a job body must have.
#[derive(Clone, Copy)]
enum Kind {
    String,
    Integer,
    Boolean,
    Object,
}

/// Checks the properties of an Add Job body that the server keeps and returns: their JSON
/// types, `poolInfo` with a `poolId` or an `autoPoolSpecification`, `priority` from -1000
/// to 1000, and the name-value lists. Other properties are stored as they are.
fn check_job_fields(fields: &Map<String, Value>) -> Result<(), ApiError> {
    let Some(Value::Object(pool)) = fields.get("poolInfo") else {
        return match fields.get("poolInfo") {
            None => Err(missing("poolInfo")),
            Some(other) => Err(invalid_value("poolInfo", &other.to_string())),
        };
    };
    check_kinds(
        pool,
        "poolInfo/",
        &[
            ("poolId", Kind::String),
            ("autoPoolSpecification", Kind::Object),
        ],
    )?;
    if !pool.contains_key("poolId") && !pool.contains_key("autoPoolSpecification") {
        return Err(missing("poolInfo/poolId"));
    }
    check_kinds(
        fields,
        "",
        &[
            ("displayName", Kind::String),
            ("priority", Kind::Integer),
            ("usesTaskDependencies", Kind::Boolean),
            ("constraints", Kind::Object),
        ],
    )?;
    if let Some(priority) = fields.get("priority").and_then(Value::as_i64)
        && !(-1000..=1000).contains(&priority)
    {
        return Err(invalid_value("priority", &priority.to_string()));
    }
    if let Some(Value::Object(constraints)) = fields.get("constraints") {
        check_kinds(
            constraints,
            "constraints/",
            &[
                ("maxWallClockTime", Kind::String),
                ("maxTaskRetryCount", Kind::Integer),
            ],
        )?;
    }
    for list in ["metadata", "commonEnvironmentSettings"] {
        check_name_values(fields, list)?;
    }
    Ok(())
}

/// Checks that each of `properties` present in `object` has its kind; integers must fit
/// in 32 bits, as the service's are.
fn check_kinds(
    object: &Map<String, Value>,
    prefix: &str,
    properties: &[(&str, Kind)],
) -> Result<(), ApiError> {
    for &(name, kind) in properties {
        let Some(value) = object.get(name) else {
            continue;
        };
        let fits = match kind {
            Kind::String => value.is_string(),
            Kind::Integer => value
                .as_i64()
                .is_some_and(|number| i32::try_from(number).is_ok()),
            Kind::Boolean => value.is_boolean(),
            Kind::Object => value.is_object(),
        };
        if !fits {
            return Err(invalid_value(
                &format!("{prefix}{name}"),
                &value.to_string(),
            ));
        }
    }
    Ok(())
}

/// Checks a list of name-value pairs such as `metadata`: an array of objects, each with a
/// string `name` and, when present, a string `value`.
fn check_name_values(fields: &Map<String, Value>, list: &str) -> Result<(), ApiError> {
    let Some(value) = fields.get(list) else {
        return Ok(());
    };
    let Value::Array(items) = value else {
        return Err(invalid_value(list, &value.to_string()));
    };
    for item in items {
        let Value::Object(pair) = item else {
            return Err(invalid_value(list, &item.to_string()));
        };
        let prefix = format!("{list}/");
        check_kinds(
            pair,
            &prefix,
            &[("name", Kind::String), ("value", Kind::String)],
        )?;
        if !pair.contains_key("name") {
            return Err(missing(&format!("{list}/name")));
        }
    }
    Ok(())
}

fn missing(property: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "MissingRequiredProperty",
        "A required property was not specified in the request body.",
    )
    .with("PropertyName", property)
}

fn invalid_value(property: &str, value: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "InvalidPropertyValue",
        "The value provided for one of the properties in the request body is invalid.",
    )
    .with("PropertyName", property)
    .with("PropertyValue", value)
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a Boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime {
        DateTime::parse("2024-01-02T03:04:05Z").unwrap()
    }

    #[test]
    fn new_task_sets_server_fields() {
        let body = json!({"id": "t1", "commandLine": "echo", "state": "completed"});
        let task = new_task(body, ApiVersion::LATEST, "http://h/jobs/j", now()).unwrap();
        let json: Value = serde_json::from_str(task.json()).unwrap();
        assert_eq!(json["state"], "active");
        assert_eq!(json["url"], "http://h/jobs/j/tasks/t1");
        assert_eq!(json["executionInfo"]["retryCount"], 0);
        assert_eq!(json["constraints"]["maxTaskRetryCount"], 0);
    }

    #[test]
    fn removed_property_is_rejected() {
        let body = json!({"id": "t1", "commandLine": "echo", "runElevated": true});
        let error = new_task(body, ApiVersion::LATEST, "u", now()).unwrap_err();
        assert_eq!(error.code(), "InvalidRequestBody");
        let old = json!({"id": "t1", "commandLine": "echo", "runElevated": true});
        assert!(new_task(old, ApiVersion::V2016_07_01_3_1, "u", now()).is_ok());
    }

    #[test]
    fn id_characters_are_checked() {
        let body = json!({"id": "a b", "commandLine": "echo"});
        let error = new_task(body, ApiVersion::LATEST, "u", now()).unwrap_err();
        assert_eq!(error.code(), "InvalidPropertyValue");
    }

    #[test]
    fn job_body_types_are_checked() {
        let url = "http://127.0.0.1:1";
        let version = ApiVersion::LATEST;
        let valid = json!({"id": "j", "poolInfo": {"poolId": "p"}, "priority": -1000,
            "metadata": [{"name": "n", "value": "v"}],
            "commonEnvironmentSettings": [{"name": "n"}], "displayName": null});
        let job = new_job_from_body(valid, version, url, now()).expect("a valid job");
        assert!(job.get("displayName").is_none());
        let invalid = [
            (json!({"id": "j", "poolInfo": {}}), "poolInfo/poolId"),
            (json!({"id": "j", "poolInfo": []}), "poolInfo"),
            (
                json!({"id": "j", "poolInfo": {"poolId": 1}}),
                "poolInfo/poolId",
            ),
            (
                json!({"id": "j", "poolInfo": {"poolId": "p"}, "priority": false}),
                "priority",
            ),
            (
                json!({"id": "j", "poolInfo": {"poolId": "p"}, "priority": 1001}),
                "priority",
            ),
            (
                json!({"id": "j", "poolInfo": {"poolId": "p"}, "metadata": [{"name": "n", "value": 1}]}),
                "metadata/value",
            ),
            (
                json!({"id": "j", "poolInfo": {"poolId": "p"}, "commonEnvironmentSettings": [{"value": "v"}]}),
                "commonEnvironmentSettings/name",
            ),
            (
                json!({"id": "j", "poolInfo": {"poolId": "p"}, "constraints": {"maxTaskRetryCount": 1.5}}),
                "constraints/maxTaskRetryCount",
            ),
        ];
        for (body, property) in invalid {
            let error = new_job_from_body(body.clone(), version, url, now())
                .expect_err("an invalid job body");
            assert_eq!(error.status(), StatusCode::BAD_REQUEST, "{body}");
            let detail = error.body(url, "r", "t");
            assert_eq!(detail["values"][0]["value"], property, "{body}: {detail}");
        }
    }

    #[test]
    fn command_line_is_required() {
        let body = json!({"id": "a"});
        let error = new_task(body, ApiVersion::LATEST, "u", now()).unwrap_err();
        assert_eq!(error.code(), "MissingRequiredProperty");
    }
}
