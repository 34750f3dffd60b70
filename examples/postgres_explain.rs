//! Loads a generated job into PostgreSQL and prints `EXPLAIN ANALYZE` of the compiled
//! queries, the observations behind the scaling notes in ARCHITECTURE.md.
//!
//! ```sh
//! cargo run --release --example postgres_explain -- "host=127.0.0.1 user=postgres" 100000
//! ```
//!
//! The database must be one the user may create tables in. The job is named `explain-N`
//! and replaced on each run.

use std::time::Instant;

use batch_odata::filter::Filter;
use batch_odata::generate;
use batch_odata::sql::client::PgTasks;
use batch_odata::sql::{Param, Query, count_query, page_query};
use batch_odata::task::TaskRecord;
use batch_odata::version::ApiVersion;
use tokio_postgres::types::ToSql;

/// Filters of the List Tasks filter table, as clients send them.
const FILTERS: &[&str] = &[
    "state eq 'active'",
    "state eq 'completed' and executionInfo/exitCode ne 0",
    "executionInfo/result eq 'failure'",
    "startswith(id, 'task-00012')",
    "executionInfo/exitCode gt 100",
    "creationTime ge 2018-12-06T12:00:00Z",
    "contains(id, '777')",
    "contains(commandLine, '--part 7')",
];

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: postgres_explain URL [COUNT]")?;
    let count: u64 = args.next().map_or(Ok(100_000), |text| text.parse())?;

    let mut tasks = PgTasks::connect(&url).await?;
    let job = format!("explain-{count}");
    tasks
        .client()
        .execute("DELETE FROM batch_odata_tasks WHERE job_id = $1", &[&job])
        .await?;
    tasks
        .client()
        .execute(
            "DELETE FROM batch_odata_task_counts WHERE job_id = $1",
            &[&job],
        )
        .await?;

    let started = Instant::now();
    let records: Vec<TaskRecord> = generate::generate(count, 0)
        .map(TaskRecord::from_json)
        .collect::<Result<_, _>>()?;
    for chunk in records.chunks(50_000) {
        tasks.insert(&job, chunk).await?;
    }
    tasks
        .client()
        .batch_execute("ANALYZE batch_odata_tasks")
        .await?;
    println!(
        "loaded {count} tasks in {:.1} s\n",
        started.elapsed().as_secs_f64()
    );

    for text in FILTERS {
        let filter = Filter::parse(text, ApiVersion::LATEST)?;
        println!("=== $filter={text}");
        explain(&tasks, &page_query(&job, filter.plan(), None, 1000)).await?;
        explain(&tasks, &count_query(&job, filter.plan())).await?;
    }
    Ok(())
}

/// Prints the plan the server runs for a query, with its row counts and timings.
async fn explain(tasks: &PgTasks, query: &Query) -> Result<(), tokio_postgres::Error> {
    let params: Vec<&(dyn ToSql + Sync)> = query.params.iter().map(Param::as_sql).collect();
    let rows = tasks
        .client()
        .query(
            &format!("EXPLAIN (ANALYZE, COSTS OFF) {}", query.text),
            &params,
        )
        .await?;
    for row in rows {
        println!("  {}", row.get::<_, String>(0));
    }
    println!();
    Ok(())
}
