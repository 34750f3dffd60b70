//! Task projection: `$select`, `$expand=stats` and the api-version's view of a task.

use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Parameter};
use crate::schema::{self, Schema};
use crate::span::Span;
use crate::version::ApiVersion;

/// Checks `$select` items against the api-version's top-level task properties and returns
/// the names. Names are case-sensitive.
///
/// `items` are the names with their spans in `input`, the `$select` text.
pub fn select_names(
    items: &[(String, Span)],
    input: &str,
    version: ApiVersion,
) -> Result<Vec<String>, Error> {
    select_names_in(&schema::TASK, items, input, version)
}

/// Checks `$select` items against the top-level properties of `schema` in the api-version,
/// as [`select_names`] does for tasks.
pub fn select_names_in(
    schema: &Schema,
    items: &[(String, Span)],
    input: &str,
    version: ApiVersion,
) -> Result<Vec<String>, Error> {
    let mut names = Vec::with_capacity(items.len());
    for (name, span) in items {
        if !schema.top_level_names(version).any(|known| known == name) {
            return Err(Error::new(
                unselectable(schema, name, version),
                Parameter::Select,
                *span,
                input,
            ));
        }
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    Ok(names)
}

/// Returns why `name` is not a top-level property of `version`: added later, removed
/// earlier, or unknown in every api-version.
fn unselectable(schema: &Schema, name: &str, version: ApiVersion) -> ErrorKind {
    match schema
        .lookup(name)
        .filter(|property| !property.path.contains('/'))
    {
        Some(property) if version < property.first_version() => ErrorKind::PropertyNotYetAdded {
            since: property.first_version(),
        },
        Some(property) => ErrorKind::PropertyRemoved {
            until: property.last_version(),
            replacement: None,
        },
        None => {
            let suggestion =
                schema::suggest(name, schema.top_level_names(version)).map(str::to_owned);
            ErrorKind::SelectPropertyUnknown { suggestion }
        }
    }
}

/// The projection of stored tasks, or of other entities such as jobs, into a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Projection {
    schema: &'static Schema,
    version: ApiVersion,
    select: Option<Vec<String>>,
    expand_stats: bool,
}

impl Projection {
    /// Creates a projection for an api-version, with the checked `$select` names (all
    /// properties when `None`) and whether `$expand=stats` was requested.
    pub fn new(version: ApiVersion, select: Option<Vec<String>>, expand_stats: bool) -> Self {
        Projection {
            schema: &schema::TASK,
            version,
            select,
            expand_stats,
        }
    }

    /// Sets the model of the projected entities, such as [`schema::JOB`] for jobs.
    pub fn schema(mut self, schema: &'static Schema) -> Self {
        self.schema = schema;
        self
    }

    /// Projects a stored task. Properties the api-version lacks are dropped, properties
    /// that no api-version defines pass through, only selected top-level properties are
    /// kept, and `stats` is kept only when selected or expanded.
    ///
    /// NOTE: numbers pass through serde_json's number type, so an integer beyond 64 bits in
    /// an unknown property comes back as the nearest double, and `1E2` as `100.0`.
    pub fn apply(&self, task: Value) -> Value {
        let Value::Object(object) = task else {
            return task;
        };
        let mut projected = Map::with_capacity(object.len());
        for (name, value) in object {
            let wanted = match &self.select {
                Some(names) => names.contains(&name) || (name == "stats" && self.expand_stats),
                None => name != "stats" || self.expand_stats,
            };
            if wanted && self.has(&name) {
                let value = self.shape(&name, value);
                projected.insert(name, value);
            }
        }
        Value::Object(projected)
    }

    /// Returns false only for a path that some api-version defines but this one lacks.
    fn has(&self, path: &str) -> bool {
        self.schema
            .lookup(path)
            .is_none_or(|property| property.exists_in(self.version))
    }

    /// Drops nested properties the api-version does not have.
    fn shape(&self, path: &str, value: Value) -> Value {
        match value {
            Value::Object(object) => {
                let mut shaped = Map::with_capacity(object.len());
                for (name, child) in object {
                    let child_path = format!("{path}/{name}");
                    if self.has(&child_path) {
                        let child = self.shape(&child_path, child);
                        shaped.insert(name, child);
                    }
                }
                Value::Object(shaped)
            }
            Value::Array(items) => {
                let item_path = format!("{path}[]");
                Value::Array(
                    items
                        .into_iter()
                        .map(|item| self.shape(&item_path, item))
                        .collect(),
                )
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn select_rejects_unknown_names_with_suggestion() {
        let items = vec![
            ("id".to_owned(), Span::new(0, 2)),
            ("stat".to_owned(), Span::new(3, 7)),
        ];
        let error = select_names(&items, "id,stat", ApiVersion::LATEST).expect_err("unknown");
        assert_eq!(error.span(), Span::new(3, 7));
        assert_eq!(
            error.kind(),
            &ErrorKind::SelectPropertyUnknown {
                suggestion: Some("state".to_owned())
            }
        );
    }

    #[test]
    fn select_names_version_of_missing_property() {
        let items = vec![("containerSettings".to_owned(), Span::new(0, 17))];
        let error = select_names(&items, "containerSettings", ApiVersion::V2017_05_01_5_0)
            .expect_err("added in 2017-09-01.6.0");
        assert_eq!(
            error.kind(),
            &ErrorKind::PropertyNotYetAdded {
                since: ApiVersion::V2017_09_01_6_0
            }
        );
        let items = vec![("runElevated".to_owned(), Span::new(0, 11))];
        let error = select_names(&items, "runElevated", ApiVersion::LATEST).expect_err("removed");
        assert!(matches!(error.kind(), ErrorKind::PropertyRemoved { .. }));
    }

    #[test]
    fn select_is_case_sensitive() {
        let items = vec![("Id".to_owned(), Span::new(0, 2))];
        assert!(select_names(&items, "Id", ApiVersion::LATEST).is_err());
    }

    #[test]
    fn projection_keeps_selected_and_unknown_order() {
        let task = json!({"id": "a", "state": "active", "stats": {"url": "u"}, "url": "x"});
        let projection = Projection::new(
            ApiVersion::LATEST,
            Some(vec!["state".into(), "id".into()]),
            false,
        );
        assert_eq!(
            projection.apply(task),
            json!({"id": "a", "state": "active"})
        );
    }

    #[test]
    fn projection_adds_stats_only_when_expanded() {
        let task = json!({"id": "a", "stats": {"url": "u"}});
        let plain = Projection::new(ApiVersion::LATEST, None, false);
        assert_eq!(plain.apply(task.clone()), json!({"id": "a"}));
        let expanded = Projection::new(ApiVersion::LATEST, None, true);
        assert_eq!(
            expanded.apply(task),
            json!({"id": "a", "stats": {"url": "u"}})
        );
    }

    #[test]
    fn projection_drops_fields_the_version_lacks() {
        let task = json!({
            "id": "a",
            "containerSettings": {"imageName": "x"},
            "executionInfo": {"result": "success", "exitCode": 0},
            "customField": 1
        });
        let old = Projection::new(ApiVersion::V2017_01_01_4_0, None, false);
        assert_eq!(
            old.apply(task),
            json!({"id": "a", "executionInfo": {"exitCode": 0}, "customField": 1})
        );
    }
}
