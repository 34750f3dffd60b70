//! Task records: one CloudTask JSON object, checked against the schema, with its filterable
//! values extracted and typed.
//!
//! A [`TaskRecord`] is what the store indexes. It keeps the task's compact JSON text for
//! responses and the value of every scalar property path of [`schema::PROPERTIES`] that the
//! task has, converted to the property's type. Paths inside arrays, such as
//! `resourceFiles[]/filePath`, are not extracted, and fields the schema does not know are
//! kept in the JSON text untouched.

mod fast;
mod load;
mod stored;

pub use load::{load_tasks, load_tasks_from_reader, read_tasks};
pub(crate) use stored::stored_value;

use std::sync::OnceLock;

use serde_json::{Map, Value as Json};

use crate::datetime::{self, DateTime};
use crate::error::{Error, ErrorKind, Parameter};
use crate::fold::fold_case;
use crate::plan::Value;
use crate::schema::{self, PropertyDef, PropertyType};

/// One task, validated and ready to be stored.
///
/// ```
/// use batch_odata::plan::Value;
/// use batch_odata::schema;
/// use batch_odata::task::TaskRecord;
///
/// let text = r#"{"id": "Task-1", "state": "Active", "executionInfo": {"exitCode": 3}}"#;
/// let task = TaskRecord::parse(text)?;
/// assert_eq!(task.folded_id(), "task-1");
/// let state = schema::lookup("state").unwrap();
/// assert_eq!(task.value(state), Some(&Value::Str("active".into())));
/// # Ok::<(), batch_odata::error::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TaskRecord {
    id: String,
    folded_id: String,
    json: String,
    values: Vec<(&'static PropertyDef, Value)>,
}

/// A problem with one task, before the loader adds the line it was on.
#[derive(Debug)]
pub(crate) struct FieldError {
    pub(crate) field: Option<String>,
    pub(crate) reason: String,
}

impl FieldError {
    fn new(field: Option<&str>, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.map(str::to_owned),
            reason: reason.into(),
        }
    }

    /// Converts to an error about the task on `line`.
    pub(crate) fn at_line(self, line: usize) -> Error {
        let kind = ErrorKind::TaskInvalid {
            line,
            field: self.field,
            reason: self.reason,
        };
        Error::whole(kind, Parameter::Tasks, "")
    }
}

impl TaskRecord {
    /// Parses one task from the text of a JSON object.
    ///
    /// Text that is already compact JSON as serde_json writes it is kept as it is and read
    /// in one pass without building a tree; other text is parsed and written compactly.
    ///
    /// Errors are [`ErrorKind::TaskInvalid`] with line 1, because the text is a single task.
    pub fn parse(text: &str) -> Result<TaskRecord, Error> {
        if let Some(record) = fast::parse_canonical(text) {
            return Ok(record);
        }
        let json: Json = serde_json::from_str(text)
            .map_err(|error| FieldError::new(None, error.to_string()).at_line(1))?;
        TaskRecord::from_json(json)
    }

    /// Creates a record from a parsed JSON task.
    ///
    /// The task must be an object with a non-empty string `id`. Every property in the schema
    /// must have its schema type where present. A JSON `null` counts as absent.
    /// Errors are [`ErrorKind::TaskInvalid`] with line 1, naming the field at fault.
    pub fn from_json(json: Json) -> Result<TaskRecord, Error> {
        TaskRecord::build(json).map_err(|error| error.at_line(1))
    }

    pub(crate) fn build(json: Json) -> Result<TaskRecord, FieldError> {
        let Json::Object(object) = &json else {
            let reason = format!("expected a JSON object, found {}", kind_name(&json));
            return Err(FieldError::new(None, reason));
        };
        let id = match object.get("id") {
            Some(Json::String(id)) if !id.is_empty() => id.clone(),
            Some(Json::String(_)) => {
                return Err(FieldError::new(Some("id"), "id must not be empty"));
            }
            None | Some(Json::Null) => {
                return Err(FieldError::new(Some("id"), "required property is missing"));
            }
            Some(other) => {
                let reason = format!("expected a string, found {}", kind_name(other));
                return Err(FieldError::new(Some("id"), reason));
            }
        };

        let mut values = Vec::new();
        collect(object, schema_members(), &mut values)?;
        values.sort_unstable_by_key(|(property, _)| property.id);

        let folded_id = fold_case(&id);
        // serde_json fails to serialize only maps with non-string keys, which a Value never has.
        let json = serde_json::to_string(&json)
            .map_err(|error| FieldError::new(None, error.to_string()))?;
        Ok(TaskRecord {
            id,
            folded_id,
            json,
            values,
        })
    }

    /// Returns the id as the task writes it.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Returns the id case-folded with [`fold_case`], the key that orders and identifies tasks.
    pub fn folded_id(&self) -> &str {
        &self.folded_id
    }

    /// Returns the task as compact JSON, with its fields in their original order.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// Returns the typed value of a scalar property, or `None` when the task has no value.
    ///
    /// Strings and enum values are case-folded. Date-times and durations are ticks. The `id`
    /// property and paths inside arrays are not stored here.
    pub fn value(&self, property: &PropertyDef) -> Option<&Value> {
        self.values
            .iter()
            .find(|(candidate, _)| candidate.id == property.id)
            .map(|(_, value)| value)
    }

    /// Returns every scalar value the task has, in [`schema::PROPERTIES`] order.
    pub fn values(&self) -> impl Iterator<Item = (&'static PropertyDef, &Value)> {
        self.values
            .iter()
            .map(|(property, value)| (*property, value))
    }

    /// Splits the record into its folded id, its JSON and its values.
    pub(crate) fn into_parts(self) -> (String, String, Vec<(&'static PropertyDef, Value)>) {
        (self.folded_id, self.json, self.values)
    }
}

/// A member name of an object in the schema, with the members of its value when that is an
/// object too. Paths inside arrays are left out.
#[derive(Debug)]
struct Member {
    name: &'static str,
    /// The property at this path. Every parent of a schema path is itself in the schema,
    /// so this is `None` only if the generated tables break that rule.
    property: Option<&'static PropertyDef>,
    /// The members of the value, sorted by name.
    members: Vec<Member>,
}

/// Returns the top-level members of the schema as a tree, built once, so that a task is
/// read in one pass over its own fields instead of one lookup per schema path.
fn schema_members() -> &'static [Member] {
    static MEMBERS: OnceLock<Vec<Member>> = OnceLock::new();
    MEMBERS.get_or_init(|| {
        let mut root: Vec<Member> = Vec::new();
        for property in schema::PROPERTIES {
            if property.is_in_collection() {
                continue;
            }
            let mut members = &mut root;
            let mut names = property.path.split('/').peekable();
            while let Some(name) = names.next() {
                let index = match members.iter().position(|member| member.name == name) {
                    Some(index) => index,
                    None => {
                        members.push(Member {
                            name,
                            property: None,
                            members: Vec::new(),
                        });
                        members.len() - 1
                    }
                };
                let member = &mut members[index];
                if names.peek().is_none() {
                    member.property = Some(property);
                }
                members = &mut member.members;
            }
        }
        sort_members(&mut root);
        root
    })
}

fn sort_members(members: &mut [Member]) {
    members.sort_unstable_by_key(|member| member.name);
    for member in members {
        sort_members(&mut member.members);
    }
}

/// Checks and converts the fields of `object` that are in the schema, recursing into nested
/// objects. A field set to `null` counts as absent.
fn collect(
    object: &Map<String, Json>,
    members: &[Member],
    values: &mut Vec<(&'static PropertyDef, Value)>,
) -> Result<(), FieldError> {
    for (name, json) in object {
        let Ok(index) = members.binary_search_by(|member| member.name.cmp(name)) else {
            continue;
        };
        let member = &members[index];
        if json.is_null() {
            continue;
        }
        if let Some(property) = member.property
            && property.path != "id"
            && let Some(value) = convert(property, json)?
        {
            values.push((property, value));
        }
        if let Json::Object(inner) = json {
            collect(inner, &member.members, values)?;
        }
    }
    Ok(())
}

/// Checks a present JSON value against the property's type and converts scalars.
///
/// Objects and arrays are checked but return `None`, because only scalars are stored.
fn convert(property: &PropertyDef, json: &Json) -> Result<Option<Value>, FieldError> {
    let mismatch = |expected: &str| {
        let reason = format!("expected {expected}, found {}", kind_name(json));
        FieldError::new(Some(property.path), reason)
    };
    let value = match property.ty {
        PropertyType::String => Value::Str(fold_case(
            json.as_str().ok_or_else(|| mismatch("a string"))?,
        )),
        PropertyType::Enum(allowed) => {
            let text = json.as_str().ok_or_else(|| mismatch("a string"))?;
            let folded = fold_case(text);
            if !allowed.contains(&folded.as_str()) {
                let reason = format!("'{text}' is not one of {}", allowed.join(", "));
                return Err(FieldError::new(Some(property.path), reason));
            }
            Value::Str(folded)
        }
        PropertyType::Int32 => {
            let number = integer(property, json)?;
            if i32::try_from(number).is_err() {
                let reason = format!("{number} is out of the Int32 range");
                return Err(FieldError::new(Some(property.path), reason));
            }
            Value::Int(number)
        }
        PropertyType::Int64 => Value::Int(integer(property, json)?),
        PropertyType::Double => Value::Double(json.as_f64().ok_or_else(|| mismatch("a number"))?),
        PropertyType::Boolean => {
            Value::Bool(json.as_bool().ok_or_else(|| mismatch("true or false"))?)
        }
        PropertyType::DateTime => {
            let text = json.as_str().ok_or_else(|| mismatch("a DateTime string"))?;
            let parsed = DateTime::parse_iso(text).map_err(|error| {
                FieldError::new(
                    Some(property.path),
                    format!("invalid DateTime: {}", error.reason),
                )
            })?;
            Value::Ticks(parsed.ticks())
        }
        PropertyType::Duration => {
            let text = json.as_str().ok_or_else(|| mismatch("a Duration string"))?;
            let ticks = datetime::parse_duration(text).map_err(|error| {
                FieldError::new(
                    Some(property.path),
                    format!("invalid Duration: {}", error.reason),
                )
            })?;
            Value::Ticks(ticks)
        }
        PropertyType::Object => {
            return if json.is_object() {
                Ok(None)
            } else {
                Err(mismatch("an object"))
            };
        }
        PropertyType::Array => {
            return if json.is_array() {
                Ok(None)
            } else {
                Err(mismatch("an array"))
            };
        }
    };
    Ok(Some(value))
}

/// Returns a JSON integer that fits in an i64.
fn integer(property: &PropertyDef, json: &Json) -> Result<i64, FieldError> {
    if let Some(number) = json.as_i64() {
        return Ok(number);
    }
    let reason = if json.is_u64() {
        format!("{json} is out of the Int64 range")
    } else {
        format!("expected an integer, found {}", kind_name(json))
    };
    Err(FieldError::new(Some(property.path), reason))
}

/// Returns the error for a task whose id repeats an earlier one when case is ignored.
pub(crate) fn duplicate_id(line: usize, id: &str) -> Error {
    let kind = ErrorKind::TaskIdDuplicate {
        line,
        id: id.to_owned(),
    };
    Error::whole(kind, Parameter::Tasks, "")
}

/// Returns the JSON kind of a value for error messages, such as `a number`.
pub(crate) fn kind_name(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(number) if number.is_f64() => "a decimal number",
        Json::Number(_) => "an integer",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(text: &str) -> TaskRecord {
        TaskRecord::parse(text).expect(text)
    }

    fn value(task: &TaskRecord, path: &str) -> Option<Value> {
        let property = schema::lookup(path).expect(path);
        task.value(property).cloned()
    }

    fn failure(text: &str) -> (Option<String>, String) {
        let error = TaskRecord::parse(text).expect_err(text);
        match error.kind().clone() {
            ErrorKind::TaskInvalid { field, reason, .. } => (field, reason),
            other => panic!("expected TaskInvalid, found {other:?}"),
        }
    }

    #[test]
    fn record_extracts_typed_values() {
        let task = record(
            r#"{"id":"T1","state":"Completed","creationTime":"0001-01-01T00:00:01Z",
                "executionInfo":{"exitCode":-3,"result":"Failure"},
                "constraints":{"maxWallClockTime":"PT1S"},"stats":{"readIOGiB":1.5,"readIOps":9},
                "runElevated":true,"commandLine":"Cmd /C Echo"}"#,
        );
        assert_eq!(value(&task, "state"), Some(Value::Str("completed".into())));
        assert_eq!(value(&task, "creationTime"), Some(Value::Ticks(10_000_000)));
        assert_eq!(value(&task, "executionInfo/exitCode"), Some(Value::Int(-3)));
        assert_eq!(
            value(&task, "executionInfo/result"),
            Some(Value::Str("failure".into()))
        );
        assert_eq!(
            value(&task, "constraints/maxWallClockTime"),
            Some(Value::Ticks(10_000_000))
        );
        assert_eq!(value(&task, "stats/readIOGiB"), Some(Value::Double(1.5)));
        assert_eq!(value(&task, "stats/readIOps"), Some(Value::Int(9)));
        assert_eq!(value(&task, "runElevated"), Some(Value::Bool(true)));
        assert_eq!(
            value(&task, "commandLine"),
            Some(Value::Str("cmd /c echo".into()))
        );
        assert_eq!(value(&task, "displayName"), None);
    }

    #[test]
    fn record_keeps_compact_json_in_order() {
        let task = record("{ \"id\" : \"B\", \"zeta\": 1, \"alpha\": {\"x\": [1, 2]} }");
        assert_eq!(task.json(), r#"{"id":"B","zeta":1,"alpha":{"x":[1,2]}}"#);
        assert_eq!(task.id(), "B");
        assert_eq!(task.folded_id(), "b");
    }

    #[test]
    fn record_treats_null_as_absent() {
        let task = record(r#"{"id":"a","state":null,"executionInfo":null}"#);
        assert_eq!(value(&task, "state"), None);
        assert_eq!(value(&task, "executionInfo/exitCode"), None);
    }

    #[test]
    fn record_requires_string_id() {
        let missing = (
            Some("id".to_owned()),
            "required property is missing".to_owned(),
        );
        assert_eq!(failure(r#"{"state":"active"}"#), missing);
        assert_eq!(failure(r#"{"id":null}"#), missing);
        assert_eq!(
            failure(r#"{"id":""}"#),
            (Some("id".into()), "id must not be empty".into())
        );
        assert_eq!(
            failure(r#"{"id":7}"#),
            (
                Some("id".into()),
                "expected a string, found an integer".into()
            )
        );
        assert_eq!(
            failure("[1]"),
            (None, "expected a JSON object, found an array".into())
        );
    }

    #[test]
    fn record_rejects_mismatched_types() {
        let cases = [
            (
                r#"{"id":"a","executionInfo":{"exitCode":1.5}}"#,
                "executionInfo/exitCode",
            ),
            (
                r#"{"id":"a","executionInfo":{"exitCode":4294967296}}"#,
                "executionInfo/exitCode",
            ),
            (
                r#"{"id":"a","stats":{"readIOps":18446744073709551615}}"#,
                "stats/readIOps",
            ),
            (r#"{"id":"a","stats":{"readIOGiB":"1"}}"#, "stats/readIOGiB"),
            (r#"{"id":"a","runElevated":"true"}"#, "runElevated"),
            (r#"{"id":"a","creationTime":"yesterday"}"#, "creationTime"),
            (
                r#"{"id":"a","constraints":{"retentionTime":"P1M"}}"#,
                "constraints/retentionTime",
            ),
            (r#"{"id":"a","state":"sleeping"}"#, "state"),
            (r#"{"id":"a","executionInfo":[]}"#, "executionInfo"),
            (r#"{"id":"a","resourceFiles":{}}"#, "resourceFiles"),
            (r#"{"id":"a","commandLine":["x"]}"#, "commandLine"),
        ];
        for (text, path) in cases {
            assert_eq!(failure(text).0.as_deref(), Some(path), "{text}");
        }
    }

    #[test]
    fn record_messages_name_the_problem() {
        assert_eq!(
            failure(r#"{"id":"a","executionInfo":{"exitCode":4294967296}}"#).1,
            "4294967296 is out of the Int32 range"
        );
        assert_eq!(
            failure(r#"{"id":"a","state":"Sleeping"}"#).1,
            "'Sleeping' is not one of active, preparing, running, completed"
        );
        assert_eq!(
            failure(r#"{"id":"a","creationTime":"2018-02-30T00:00:00Z"}"#).1,
            "invalid DateTime: day 30 is out of range 01 to 28 in 2018-02"
        );
    }

    #[test]
    fn record_ignores_paths_inside_arrays() {
        let task = record(r#"{"id":"a","resourceFiles":[{"filePath":7}]}"#);
        assert_eq!(value(&task, "resourceFiles[]/filePath"), None);
    }

    #[test]
    fn schema_members_all_have_properties() {
        fn check(members: &[Member]) {
            for member in members {
                assert!(member.property.is_some(), "{} has no property", member.name);
                check(&member.members);
            }
        }
        check(schema_members());
        let execution = schema_members()
            .iter()
            .find(|member| member.name == "executionInfo")
            .expect("executionInfo member");
        assert!(
            execution
                .members
                .iter()
                .any(|member| member.name == "exitCode")
        );
    }

    #[test]
    fn fixtures_load() {
        let recorded = load_tasks(include_str!(
            "../../fixtures/tasks/task-list-2018-03-01.6.1.json"
        ))
        .expect("recorded List Tasks body");
        assert_eq!(recorded.len(), 9);
        let terminated = load_tasks(include_str!(
            "../../fixtures/tasks/task-terminated-2018-03-01.6.1.ndjson"
        ))
        .expect("terminated task");
        let result = value(&terminated[0], "executionInfo/result");
        assert_eq!(result, Some(Value::Str("failure".into())));
        let documented = load_tasks(include_str!(
            "../../fixtures/tasks/task-list-docs-2017.json"
        ))
        .expect("documented List Tasks body");
        assert_eq!(
            value(&documented[0], "state"),
            Some(Value::Str("running".into()))
        );
    }

    #[test]
    fn record_keeps_unknown_fields() {
        let task = record(r#"{"id":"a","requiredSlots":2,"executionInfo":{"extra":{"x":1}}}"#);
        assert!(task.json().contains(r#""requiredSlots":2"#));
        assert!(task.json().contains(r#""extra":{"x":1}"#));
    }
}
