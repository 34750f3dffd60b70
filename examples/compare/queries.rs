//! The query set, each filter with its hand translation to SQL.
//!
//! The SQL runs over the table that `sqlite.rs` creates. Its text columns hold values folded
//! with `fold_case`, so equality and ranges on them ignore case the way batch-odata does,
//! and literals are folded before they are bound. Two OData rules need care in SQL:
//!
//! - `ne` is true against a missing value (in OData `null ne 0` is true), so
//!   `exitCode ne 0` becomes `(exit_code IS NULL OR exit_code <> 0)`;
//! - `not (state eq 'active')` is true for a task without a state, so it becomes
//!   `state IS NOT 'active'`, which SQLite evaluates as true for NULL.
//!
//! `startswith(id, p)` becomes the range `fid >= p AND fid < p'`, where `p'` is `p` with its
//! last char raised by one, which the index on `fid` serves. `LIKE` would fold ASCII only,
//! and SQLite does not use an index for `LIKE` unless `case_sensitive_like` is on.
//! Date-times are stored as 100 ns ticks since 0001-01-01, because ISO text with a varying
//! number of fractional digits does not sort in time order.

use batch_odata::datetime::DateTime;
use batch_odata::fold::fold_case;

/// A value bound to a `?` of the SQL text.
#[derive(Clone, Debug)]
pub enum Arg {
    Text(String),
    Int(i64),
}

/// One query of the set, for both engines.
#[derive(Clone, Debug)]
pub struct Query {
    /// The short name shown in the table, such as `2 active`.
    pub name: String,
    /// The `$filter` text.
    pub filter: String,
    /// The `WHERE` condition with `?` placeholders.
    pub sql: String,
    pub args: Vec<Arg>,
    /// The number of List Tasks pages to fetch, following the skip token.
    pub pages: usize,
}

impl Query {
    fn new(name: &str, filter: String, sql: &str, args: Vec<Arg>) -> Query {
        Query {
            name: name.to_owned(),
            filter,
            sql: sql.to_owned(),
            args,
            pages: 1,
        }
    }
}

/// Returns the ticks of an ISO 8601 date-time written in this file.
fn ticks(text: &str) -> i64 {
    DateTime::parse_iso(text)
        .map(DateTime::ticks)
        .unwrap_or_else(|error| panic!("invalid date-time {text}: {error:?}"))
}

fn text(value: &str) -> Arg {
    Arg::Text(fold_case(value))
}

/// Returns the digits of the generated ids for `count` tasks, which the generator pads to
/// at least seven.
pub fn id_digits(count: u64) -> usize {
    let largest = count.saturating_sub(1);
    largest
        .checked_ilog10()
        .map_or(1, |log| log as usize + 1)
        .max(7)
}

/// Returns queries 2 to 10 for a data set of `count` generated tasks. Query 1, Get Task
/// Counts, and query 11, the mixed workload, have no filter and are run on their own.
pub fn query_set(count: u64) -> Vec<Query> {
    // Creation times are uniform over the 30 days from 2018-12-01, so 7 h 12 min is 1%.
    let day_start = "2018-12-10T00:00:00Z";
    let day_end = "2018-12-10T07:12:00Z";
    let mid_month = "2018-12-15T00:00:00Z";
    let digits = id_digits(count);

    // Twenty ids spread over the data set, written in upper case to exercise folding.
    let ids: Vec<String> = (0..20u64)
        .map(|k| format!("TASK-{:0digits$}", (k * 48_611 + 17) % count.max(1)))
        .collect();
    let id_filter = ids
        .iter()
        .map(|id| format!("id eq '{id}'"))
        .collect::<Vec<_>>()
        .join(" or ");
    let id_sql = format!("fid IN ({})", vec!["?"; ids.len()].join(", "));

    let mut everything = Query::new(
        "10 everything",
        "creationTime ge DateTime'2000-01-01T00:00:00Z'".into(),
        "creation_time >= ?",
        vec![Arg::Int(ticks("2000-01-01T00:00:00Z"))],
    );
    everything.pages = 10;

    vec![
        Query::new(
            "2 active",
            "state eq 'active'".into(),
            "state = ?",
            vec![text("active")],
        ),
        Query::new(
            "3 failure",
            "executionInfo/result eq 'failure'".into(),
            "result = ?",
            vec![text("failure")],
        ),
        Query::new(
            "4 completed, exit ne 0",
            "state eq 'completed' and executionInfo/exitCode ne 0".into(),
            "state = ? AND (exit_code IS NULL OR exit_code <> ?)",
            vec![text("completed"), Arg::Int(0)],
        ),
        Query::new(
            "5 id prefix",
            "startswith(id,'task-0012')".into(),
            "fid >= ? AND fid < ?",
            vec![text("task-0012"), text("task-0013")],
        ),
        Query::new(
            "6 creation 1%",
            format!(
                "creationTime ge DateTime'{day_start}' and creationTime lt DateTime'{day_end}'"
            ),
            "creation_time >= ? AND creation_time < ?",
            vec![Arg::Int(ticks(day_start)), Arg::Int(ticks(day_end))],
        ),
        Query::new(
            "7 running, old",
            format!(
                "(state eq 'running' or state eq 'preparing') and \
                 stateTransitionTime lt DateTime'{mid_month}'"
            ),
            "state IN (?, ?) AND transition_time < ?",
            vec![
                text("running"),
                text("preparing"),
                Arg::Int(ticks(mid_month)),
            ],
        ),
        Query::new(
            "8 20 ids",
            id_filter,
            &id_sql,
            ids.iter().map(|id| text(id)).collect(),
        ),
        Query::new(
            "9 exit 1..10, not active",
            "executionInfo/exitCode gt 0 and executionInfo/exitCode le 10 \
             and not (state eq 'active')"
                .into(),
            "exit_code > ? AND exit_code <= ? AND state IS NOT ?",
            vec![Arg::Int(0), Arg::Int(10), text("active")],
        ),
        Query::new(
            "10 nothing",
            "executionInfo/exitCode gt 1000".into(),
            "exit_code > ?",
            vec![Arg::Int(1000)],
        ),
        everything,
    ]
}

/// Returns the queries of the mixed workload: 2, 3 and 4.
pub fn mixed_set(count: u64) -> Vec<Query> {
    query_set(count).into_iter().take(3).collect()
}
