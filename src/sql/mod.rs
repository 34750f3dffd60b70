//! Plans compiled to PostgreSQL queries, for tasks kept in a PostgreSQL database.
//!
//! A bound, normalized [`Plan`] becomes one parameterized query over the table layout of
//! [`layout`]. Constants travel only as bind parameters and never appear in the SQL text.
//! The query matches, orders and counts exactly as the engine does:
//!
//! - Every scalar property has a typed column: folded text (`COLLATE "C"`, so comparisons
//!   and `ORDER BY` are in code point order, the engine's order), integers, doubles,
//!   Booleans, and date-times and durations as `bigint` 100 ns ticks, because PostgreSQL
//!   timestamps keep only microseconds. Folding is done in Rust by [`crate::fold`], never
//!   by the server's `lower()`, whose rules differ.
//! - A missing value is SQL NULL. Null rules follow OData: `ne` is true for it and ordering
//!   comparisons are false, also under `not` (see `condition.rs`).
//! - `startswith` is a range of the column, and `endswith` and `contains` are `LIKE`
//!   patterns with `%`, `_` and `\` escaped.
//! - Pages are in folded-id order and continue after the folded id of a skip token
//!   ([`crate::query::SkipToken::last_id`]): keyset paging on the primary key.
//! - The `json` column keeps the task's compact JSON as the engine stores it, so a response
//!   built from it with [`crate::response`] is byte for byte the engine's. The `doc` column
//!   has the same task as `jsonb` for ad hoc queries.
//!
//! With the `postgres` feature, [`client`] runs these queries on a server.

#[cfg(feature = "postgres")]
pub mod client;
mod condition;
pub mod layout;

use std::fmt;

use self::condition::{Condition, Params, translate};
use self::layout::TASKS;
use crate::plan::Plan;

/// One SQL statement with its bind parameters, `$1` being the first.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The SQL text, which refers to every value as a `$n` placeholder.
    pub text: String,
    /// The parameter values in placeholder order.
    pub params: Vec<Param>,
}

/// A bind parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    /// A `text` value.
    Text(String),
    /// A `bigint` value.
    Int(i64),
    /// A `double precision` value.
    Double(f64),
    /// A `boolean` value.
    Bool(bool),
    /// A `text[]` value.
    TextList(Vec<String>),
    /// A `bigint[]` value.
    IntList(Vec<i64>),
    /// A `double precision[]` value.
    DoubleList(Vec<f64>),
    /// A `boolean[]` value.
    BoolList(Vec<bool>),
}

impl Param {
    /// Returns the SQL type name the placeholder is cast to.
    pub fn sql_type(&self) -> &'static str {
        match self {
            Param::Text(_) => "text",
            Param::Int(_) => "bigint",
            Param::Double(_) => "float8",
            Param::Bool(_) => "boolean",
            Param::TextList(_) => "text[]",
            Param::IntList(_) => "bigint[]",
            Param::DoubleList(_) => "float8[]",
            Param::BoolList(_) => "boolean[]",
        }
    }

    fn is_empty_list(&self) -> bool {
        match self {
            Param::TextList(list) => list.is_empty(),
            Param::IntList(list) => list.is_empty(),
            Param::DoubleList(list) => list.is_empty(),
            Param::BoolList(list) => list.is_empty(),
            _ => false,
        }
    }
}

impl fmt::Display for Param {
    /// Writes the value as an SQL literal, for reading: `'it''s'`, `ARRAY[1, 2]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn list<T>(f: &mut fmt::Formatter<'_>, items: &[T], item: fn(&T) -> String) -> fmt::Result {
            let items: Vec<String> = items.iter().map(item).collect();
            write!(f, "ARRAY[{}]", items.join(", "))
        }
        let text = |text: &String| format!("'{}'", text.replace('\'', "''"));
        match self {
            Param::Text(value) => f.write_str(&text(value)),
            Param::Int(value) => write!(f, "{value}"),
            Param::Double(value) => write!(f, "{value:?}"),
            Param::Bool(value) => write!(f, "{value}"),
            Param::TextList(values) => list(f, values, text),
            Param::IntList(values) => list(f, values, |value| value.to_string()),
            Param::DoubleList(values) => list(f, values, |value| format!("{value:?}")),
            Param::BoolList(values) => list(f, values, |value| value.to_string()),
        }
    }
}

impl fmt::Display for Query {
    /// Writes the SQL text, then each parameter on an SQL comment line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.text)?;
        for (index, param) in self.params.iter().enumerate() {
            writeln!(f, "-- ${} {}: {param}", index + 1, param.sql_type())?;
        }
        Ok(())
    }
}

/// Returns the query for one List Tasks page of a job: up to `limit + 1` rows of
/// `(id_folded, json)` in folded-id order after the folded id `after`. The extra row shows
/// whether more tasks follow.
///
/// ```
/// use batch_odata::filter::Filter;
/// use batch_odata::sql::{Param, page_query};
/// use batch_odata::version::ApiVersion;
///
/// let filter = Filter::parse("state eq 'Active'", ApiVersion::LATEST)?;
/// let query = page_query("job-1", filter.plan(), Some("task-7"), 100);
/// assert!(query.text.contains("\"state\" = $3::text"));
/// assert_eq!(query.params[2], Param::Text("active".into()));
/// assert_eq!(query.params[3], Param::Int(101));
/// # Ok::<(), batch_odata::error::Error>(())
/// ```
pub fn page_query(job: &str, plan: &Plan, after: Option<&str>, limit: usize) -> Query {
    let mut params = Params::default();
    let mut terms = vec![format!(
        "job_id = {}",
        params.bind(Param::Text(job.to_owned()))
    )];
    if let Some(after) = after {
        let after = crate::fold::fold_case(after);
        terms.push(format!("id_folded > {}", params.bind(Param::Text(after))));
    }
    push_condition(&mut terms, plan, &mut params);
    let fetch = i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1);
    let limit = params.bind(Param::Int(fetch));
    let text = format!(
        "SELECT id_folded, json\nFROM {TASKS}\nWHERE {}\nORDER BY id_folded\nLIMIT {limit}",
        terms.join("\n  AND ")
    );
    Query {
        text,
        params: params.values,
    }
}

/// Returns the query that counts a job's tasks that match the plan.
pub fn count_query(job: &str, plan: &Plan) -> Query {
    let mut params = Params::default();
    let mut terms = vec![format!(
        "job_id = {}",
        params.bind(Param::Text(job.to_owned()))
    )];
    push_condition(&mut terms, plan, &mut params);
    let text = format!(
        "SELECT count(*)\nFROM {TASKS}\nWHERE {}",
        terms.join("\n  AND ")
    );
    Query {
        text,
        params: params.values,
    }
}

/// Adds the plan's condition to the `WHERE` terms, unless it is always true.
fn push_condition(terms: &mut Vec<String>, plan: &Plan, params: &mut Params) {
    let condition = translate(plan, params, false);
    if condition != Condition::Const(true) {
        terms.push(condition.text().to_owned());
    }
}
