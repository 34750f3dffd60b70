//! The table layout: one typed column per scalar property, the indexes, and the migrations
//! that create them.

use crate::plan::Value;
use crate::schema::{self, PropertyDef, PropertyType};
use crate::task::TaskRecord;

/// The table of tasks of every job.
pub const TASKS: &str = "batch_odata_tasks";

/// The table of Get Task Counts counters, one row per job.
pub const COUNTS: &str = "batch_odata_task_counts";

/// The table that records which migrations ran.
pub const VERSIONS: &str = "batch_odata_schema_version";

/// The PostgreSQL type of a property's column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// Folded text, compared in code point order.
    Text,
    /// A 32-bit integer.
    Integer,
    /// A 64-bit integer, also used for date-times and durations in 100 ns ticks.
    BigInt,
    /// A double.
    Double,
    /// A Boolean.
    Boolean,
}

impl ColumnType {
    /// Returns the type as written in DDL. Text columns use the "C" collation, so that
    /// comparisons and `ORDER BY` follow byte order, which for UTF-8 is code point order: the
    /// order the engine compares folded strings and ids in.
    pub fn ddl(self) -> &'static str {
        match self {
            ColumnType::Text => "text COLLATE \"C\"",
            ColumnType::Integer => "integer",
            ColumnType::BigInt => "bigint",
            ColumnType::Double => "double precision",
            ColumnType::Boolean => "boolean",
        }
    }
}

/// Returns the column type of a property, or `None` for properties without a column:
/// `id` (stored as `id_folded`), objects, arrays and paths inside arrays.
pub fn column_type(property: &PropertyDef) -> Option<ColumnType> {
    if property.is_in_collection() || property.path == "id" {
        return None;
    }
    match property.ty {
        PropertyType::String | PropertyType::Enum(_) => Some(ColumnType::Text),
        PropertyType::Int32 => Some(ColumnType::Integer),
        PropertyType::Int64 | PropertyType::DateTime | PropertyType::Duration => {
            Some(ColumnType::BigInt)
        }
        PropertyType::Double => Some(ColumnType::Double),
        PropertyType::Boolean => Some(ColumnType::Boolean),
        PropertyType::Object | PropertyType::Array => None,
    }
}

/// Returns the column name of a property: the path in lower case with `__` for `/`, such as
/// `executioninfo__exitcode`. `id` is `id_folded`.
pub fn column_name(property: &PropertyDef) -> String {
    if property.path == "id" {
        return "id_folded".to_owned();
    }
    property.path.to_ascii_lowercase().replace('/', "__")
}

/// Returns the properties that have a column, in [`schema::PROPERTIES`] order.
pub fn columns() -> impl Iterator<Item = (&'static PropertyDef, ColumnType)> {
    schema::PROPERTIES
        .iter()
        .filter_map(|property| column_type(property).map(|ty| (property, ty)))
}

/// Returns true when the documented List Tasks filter table has the property, so that its
/// column gets an index.
fn documented(property: &PropertyDef) -> bool {
    schema::STRICT_LIST_TASKS
        .iter()
        .any(|rule| rule.path == property.path)
}

/// The migrations in order: migration `i` brings the schema to version `i + 1`.
///
/// A migration never changes once released, because a database that ran it keeps its
/// result. A new schema property therefore needs a new migration that adds its column,
/// and the layout tests fail until there is one.
pub fn migrations() -> Vec<Vec<String>> {
    vec![initial()]
}

/// Version 1: the tasks table, its indexes and the counters table.
fn initial() -> Vec<String> {
    let mut definitions = vec![
        "job_id text COLLATE \"C\" NOT NULL".to_owned(),
        "id_folded text COLLATE \"C\" NOT NULL".to_owned(),
        // The compact JSON exactly as the engine stores it, returned byte for byte.
        "json text NOT NULL".to_owned(),
        "doc jsonb GENERATED ALWAYS AS (json::jsonb) STORED".to_owned(),
    ];
    for (property, ty) in columns() {
        definitions.push(format!("\"{}\" {}", column_name(property), ty.ddl()));
    }
    definitions.push("PRIMARY KEY (job_id, id_folded)".to_owned());

    let mut statements = vec![
        "CREATE EXTENSION IF NOT EXISTS pg_trgm".to_owned(),
        format!(
            "CREATE TABLE {TASKS} (\n    {}\n)",
            definitions.join(",\n    ")
        ),
    ];
    for (property, ty) in columns().filter(|(property, _)| documented(property)) {
        let column = column_name(property);
        // Enum columns have few values, so the id behind the value keeps each value's
        // tasks in id order and a page is one index range scan.
        let key = if ty == ColumnType::Text {
            format!("job_id, \"{column}\", id_folded")
        } else {
            format!("job_id, \"{column}\"")
        };
        statements.push(format!("CREATE INDEX {TASKS}_{column} ON {TASKS} ({key})"));
    }
    // `endswith` and `contains` on ids are LIKE patterns, which trigrams serve.
    statements.push(format!(
        "CREATE INDEX {TASKS}_id_trigrams ON {TASKS} USING gin (id_folded gin_trgm_ops)"
    ));
    statements.push(format!(
        "CREATE TABLE {COUNTS} (\n    job_id text COLLATE \"C\" PRIMARY KEY,\n    \
         active bigint NOT NULL DEFAULT 0,\n    running bigint NOT NULL DEFAULT 0,\n    \
         completed bigint NOT NULL DEFAULT 0,\n    succeeded bigint NOT NULL DEFAULT 0,\n    \
         failed bigint NOT NULL DEFAULT 0\n)"
    ));
    statements
}

/// A column value of one task, as bound to an `INSERT` or a `COPY`.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// No value.
    Null,
    /// Folded text.
    Text(String),
    /// An integer or ticks.
    Int(i64),
    /// A double.
    Double(f64),
    /// A Boolean.
    Bool(bool),
}

/// Returns the cells of a task for [`columns`], in order.
pub fn cells(record: &TaskRecord) -> Vec<Cell> {
    let mut values = record.values().peekable();
    let mut cells = Vec::new();
    for (property, _) in columns() {
        // Both sequences are in schema order, so one pass pairs them.
        while values
            .peek()
            .is_some_and(|(candidate, _)| candidate.id < property.id)
        {
            values.next();
        }
        let cell = match values.peek() {
            Some((candidate, value)) if candidate.id == property.id => match value {
                Value::Str(text) => Cell::Text(text.clone()),
                Value::Int(number) | Value::Ticks(number) => Cell::Int(*number),
                Value::Double(number) => Cell::Double(*number),
                Value::Bool(flag) => Cell::Bool(*flag),
            },
            _ => Cell::Null,
        };
        cells.push(cell);
    }
    cells
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn column_names_are_unique_and_short() {
        let mut seen = HashSet::new();
        for (property, _) in columns() {
            let name = column_name(property);
            assert!(
                name.len() <= 63,
                "{name} exceeds PostgreSQL's identifier length"
            );
            assert!(seen.insert(name.clone()), "{name} repeats");
        }
        assert!(!seen.contains("id_folded"));
    }

    #[test]
    fn every_scalar_property_has_a_column() {
        let held = schema::PROPERTIES
            .iter()
            .filter(|p| p.ty.is_scalar() && !p.is_in_collection() && p.path != "id");
        let names: HashSet<String> = columns().map(|(p, _)| column_name(p)).collect();
        let ddl = migrations().concat().join("\n");
        for property in held {
            let name = column_name(property);
            assert!(names.contains(&name), "{} has no column", property.path);
            assert!(
                ddl.contains(&format!("\"{name}\"")),
                "no migration adds the column of {}",
                property.path
            );
        }
    }

    #[test]
    fn initial_migration_is_unchanged() {
        insta::assert_snapshot!(initial().join(";\n\n"));
    }

    #[test]
    fn cells_follow_columns() {
        let record = TaskRecord::parse(
            r#"{"id":"A","state":"Active","executionInfo":{"exitCode":3},"runElevated":true}"#,
        )
        .expect("valid task");
        let cells = cells(&record);
        let cell = |path: &str| {
            let index = columns()
                .position(|(p, _)| p.path == path)
                .expect("a column");
            cells[index].clone()
        };
        assert_eq!(cells.len(), columns().count());
        assert_eq!(cell("state"), Cell::Text("active".into()));
        assert_eq!(cell("executionInfo/exitCode"), Cell::Int(3));
        assert_eq!(cell("runElevated"), Cell::Bool(true));
        assert_eq!(cell("displayName"), Cell::Null);
    }
}
