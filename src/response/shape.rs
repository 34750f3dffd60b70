//! Task projection: `$select`, `$expand=stats` and the api-version's view of a task.

use serde::de::{self, IgnoredAny};
use serde_json::{Map, Value};

use super::members::{Items, Malformed, Member, Members};

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

/// Returns the paths of `schema` that `version` lacks and the paths with such a nested
/// path, whose values must be reshaped, both sorted.
fn missing_paths(schema: &Schema, version: ApiVersion) -> (Vec<&'static str>, Vec<&'static str>) {
    // The properties are sorted by path, so the missing paths are too.
    let missing: Vec<&'static str> = schema
        .properties
        .iter()
        .filter(|property| !property.exists_in(version))
        .map(|property| property.path)
        .collect();
    // `shape` names an array's items `path[]`, and `path[]/x` has the ancestor `path[]`
    // too, so the ancestors of a path are its prefixes before each `/` and each `[]`.
    let mut reshaped: Vec<&'static str> = missing
        .iter()
        .flat_map(|path| {
            let ends = path.match_indices(['/', '[']).map(|(end, _)| end);
            ends.map(|end| &path[..end])
        })
        .collect();
    reshaped.sort_unstable();
    reshaped.dedup();
    (missing, reshaped)
}

/// The projection of stored tasks, or of other entities such as jobs, into a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Projection {
    schema: &'static Schema,
    version: ApiVersion,
    select: Option<Vec<String>>,
    expand_stats: bool,
    /// The schema paths the api-version lacks, sorted.
    missing: Vec<&'static str>,
    /// The paths with a nested path in `missing`, sorted, whose values must be reshaped.
    /// Other values are copied as they are stored.
    reshaped: Vec<&'static str>,
}

impl Projection {
    /// Creates a projection for an api-version, with the checked `$select` names (all
    /// properties when `None`) and whether `$expand=stats` was requested.
    pub fn new(version: ApiVersion, select: Option<Vec<String>>, expand_stats: bool) -> Self {
        let (missing, reshaped) = missing_paths(&schema::TASK, version);
        Projection {
            schema: &schema::TASK,
            version,
            select,
            expand_stats,
            missing,
            reshaped,
        }
    }

    /// Projects a stored task from its JSON text and appends the projected JSON to `out`,
    /// as `serde_json::to_string(&self.apply(task))` writes it when the stored text is
    /// compact JSON as serde_json writes it, which the store keeps.
    ///
    /// A scanner splits the text into members, borrowing it: a member is copied as it is
    /// unless the api-version lacks one of its nested properties, and with `$select` the
    /// scan stops once every selected member is written. So the text must not repeat a
    /// member name, which serde_json's output never does. Errors are the text's JSON
    /// syntax errors in the part scanned: with `$select`, text after the last selected
    /// member is not checked.
    pub fn write_text(&self, task: &str, out: &mut String) -> Result<(), serde_json::Error> {
        let start = out.len();
        if self.write_task(task, out).is_err() {
            out.truncate(start);
            // The scanner checks the structure only, so serde_json names the error. Valid
            // JSON that is not an object gets a general error.
            return Err(serde_json::from_str::<IgnoredAny>(task)
                .err()
                .unwrap_or_else(|| de::Error::custom("the stored task is not a JSON object")));
        }
        Ok(())
    }

    fn write_task(&self, task: &str, out: &mut String) -> Result<(), Malformed> {
        // Stored text has no repeated names, so once every selected name is written the
        // rest of the task can be skipped.
        let selected = self.select.as_ref().map(|names| {
            let stats = self.expand_stats && !names.iter().any(|name| name == "stats");
            names.len() + usize::from(stats)
        });
        let mut path = String::new();
        let mut written = 0;
        out.push('{');
        for member in Members::new(task) {
            let Member { name, value } = member?;
            if !(self.wants(&name) && self.has(&name)) {
                continue;
            }
            if written > 0 {
                out.push(',');
            }
            push_key(out, &name);
            path.clear();
            path.push_str(&name);
            let paths = Paths {
                missing: &self.missing,
                reshaped: &self.reshaped,
            };
            write_shaped(paths, &mut path, value, out)?;
            written += 1;
            if selected == Some(written) {
                break;
            }
        }
        out.push('}');
        Ok(())
    }

    /// Returns true when `$select` and `$expand` keep the top-level member `name`.
    fn wants(&self, name: &str) -> bool {
        match &self.select {
            Some(names) => {
                names.iter().any(|n| n == name) || (name == "stats" && self.expand_stats)
            }
            None => name != "stats" || self.expand_stats,
        }
    }

    /// Sets the model of the projected entities, such as [`schema::JOB`] for jobs.
    pub fn schema(mut self, schema: &'static Schema) -> Self {
        (self.missing, self.reshaped) = missing_paths(schema, self.version);
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
            if self.wants(&name) && self.has(&name) {
                let value = self.shape(&name, value);
                projected.insert(name, value);
            }
        }
        Value::Object(projected)
    }

    /// Returns false only for a path that some api-version defines but this one lacks.
    fn has(&self, path: &str) -> bool {
        self.missing.binary_search(&path).is_err()
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

/// The paths that reshaping a value checks: the sorted [`Projection`] lists, or the part of
/// them under the value being written.
#[derive(Clone, Copy)]
struct Paths<'p> {
    missing: &'p [&'static str],
    reshaped: &'p [&'static str],
}

impl<'p> Paths<'p> {
    /// Returns the paths that start with `prefix`, such as `executionInfo/`: a few at most,
    /// so the children of one value are checked without searching the whole lists.
    fn under(self, prefix: &str) -> Paths<'p> {
        let under = |paths: &'p [&'static str]| {
            let start = paths.partition_point(|path| *path < prefix);
            let count = paths[start..]
                .iter()
                .take_while(|path| path.starts_with(prefix))
                .count();
            &paths[start..start + count]
        };
        Paths {
            missing: under(self.missing),
            reshaped: under(self.reshaped),
        }
    }
}

/// Appends a stored value as [`Projection::shape`] shapes it, copying every part that needs
/// no change. `path` is the value's schema path, and is the same on return. `paths`
/// include every missing and reshaped path under it.
fn write_shaped(
    paths: Paths,
    path: &mut String,
    text: &str,
    out: &mut String,
) -> Result<(), Malformed> {
    if !paths.reshaped.contains(&path.as_str()) {
        out.push_str(text);
        return Ok(());
    }
    let parent = path.len();
    match text.as_bytes().first() {
        Some(b'{') => {
            path.push('/');
            let children = paths.under(path);
            let mut written = 0;
            out.push('{');
            for member in Members::new(text) {
                let Member { name, value } = member?;
                path.push_str(&name);
                if !children.missing.contains(&path.as_str()) {
                    if written > 0 {
                        out.push(',');
                    }
                    push_key(out, &name);
                    write_shaped(children, path, value, out)?;
                    written += 1;
                }
                path.truncate(parent + 1);
            }
            out.push('}');
        }
        Some(b'[') => {
            path.push_str("[]");
            let items = paths.under(path);
            out.push('[');
            for (index, item) in Items::new(text).enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_shaped(items, path, item?, out)?;
            }
            out.push(']');
        }
        _ => out.push_str(text),
    }
    path.truncate(parent);
    Ok(())
}

/// Appends a member name as a JSON string and a colon.
fn push_key(out: &mut String, name: &str) {
    if name
        .bytes()
        .any(|byte| byte == b'"' || byte == b'\\' || byte < 0x20)
    {
        // serde_json fails to serialize only maps with non-string keys, not strings.
        out.push_str(&serde_json::to_string(name).unwrap_or_default());
    } else {
        out.push('"');
        out.push_str(name);
        out.push('"');
    }
    out.push(':');
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
