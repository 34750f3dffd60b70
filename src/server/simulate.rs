//! The simulator: a background task that runs tasks to completion, like compute nodes
//! would, so that states, results and counts change over time.
//!
//! Each step takes the next job, round robin, and the first task in id order that is not
//! completed. It moves that task one state on: `active` to `preparing` or `running`,
//! `preparing` to `running`, and `running` to `completed` with an exit code. Nine in ten
//! tasks exit with code 0 and result `success`; the rest exit with 1 to 3 and result
//! `failure`. Each step is a write like any other, committed before the next one.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::body;
use super::state::{AppState, Job, TaskChange};
use crate::bind::Mode;
use crate::datetime::DateTime;
use crate::filter::{Filter, Options};
use crate::plan::Plan;
use crate::version::ApiVersion;

/// The tasks the simulator still has work for.
const UNFINISHED: &str = "state ne 'completed'";

/// Runs transitions at `rate` per second until the task is aborted.
pub(crate) async fn run(state: Arc<AppState>, rate: f64) {
    let plan = match Filter::compile(
        UNFINISHED,
        &Options::new(ApiVersion::LATEST).mode(Mode::Extended),
    ) {
        Ok(filter) => filter.plan().clone(),
        Err(error) => {
            tracing::error!(%error, "the simulator's filter does not compile; not simulating");
            return;
        }
    };
    tracing::info!(rate, "simulating task state transitions per second");
    let mut interval = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut step: u64 = 0;
    let mut next_job = 0;
    loop {
        interval.tick().await;
        let jobs = state.jobs();
        if jobs.is_empty() {
            continue;
        }
        // Try each job once, starting after the one that moved last.
        for offset in 0..jobs.len() {
            let index = (next_job + offset) % jobs.len();
            match advance(&state, &jobs[index], &plan, step).await {
                Ok(true) => {
                    next_job = index + 1;
                    step += 1;
                    break;
                }
                Ok(false) => {}
                Err(code) => {
                    tracing::warn!(job = %jobs[index].folded_id, code, "simulated transition failed");
                    break;
                }
            }
        }
    }
}

/// Moves the job's first unfinished task one state on. Returns false when every task is
/// completed, and the error code when the write fails.
async fn advance(state: &AppState, job: &Job, plan: &Plan, step: u64) -> Result<bool, String> {
    let Ok(writer) = job.writer().await else {
        return Ok(false);
    };
    let task = {
        let engine = writer.job.engine();
        let page = engine.store().page(plan, None, 1);
        page.tasks.first().map(|text| text.to_string())
    };
    let Some(Value::Object(mut task)) = task.and_then(|text| serde_json::from_str(&text).ok())
    else {
        return Ok(false);
    };

    let now = state.now();
    let current = task
        .get("state")
        .and_then(Value::as_str)
        .unwrap_or("active")
        .to_owned();
    let mut info = body::take_object(&mut task, "executionInfo");
    match current.as_str() {
        "active" if step.is_multiple_of(4) => body::set_state(&mut task, "preparing", now),
        "active" | "preparing" => {
            body::set_state(&mut task, "running", now);
            info.insert("startTime".into(), now.to_utc_string().into());
        }
        _ => {
            finish(&mut task, &mut info, step, now);
        }
    }
    task.insert("executionInfo".into(), Value::Object(info));

    let record = body::record(task).map_err(|error| error.code().to_owned())?;
    state
        .commit(&writer, vec![TaskChange::Put(record)])
        .await
        .map_err(|error| error.code().to_owned())?;
    Ok(true)
}

/// Completes a task, with a failing exit code for one step in ten.
fn finish(task: &mut Map<String, Value>, info: &mut Map<String, Value>, step: u64, now: DateTime) {
    let exit_code = if step % 10 == 7 {
        1 + (step / 10) % 3
    } else {
        0
    };
    info.insert("exitCode".into(), exit_code.into());
    let failure_info = (exit_code != 0).then(|| {
        json!({
            "category": "usererror",
            "code": "FailureExitCode",
            "message": "The task exited with an exit code representing a failure",
        })
    });
    body::complete(task, info, now, failure_info);
}
