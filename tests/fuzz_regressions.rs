//! Replays fuzz inputs on stable Rust, with the checks that the byte-input fuzz targets
//! (`parse`, `query_string` and `tasks_json`) run: the functions of `batch_odata::harness`.
//!
//! Two sources are replayed: the hand-written seeds in `fuzz/corpus/TARGET/seed-*`, and
//! every file in `fuzz/artifacts-replay/TARGET/`, where an input that crashed or hung a
//! target is kept after its fix. Findings of the structured targets (`roundtrip`,
//! `differential`) are written out as named tests at the end of this file instead.

use std::fs;
use std::path::Path;

use batch_odata::harness::{
    Change, check_differential, check_filter, check_print_round_trip, check_query_string,
    check_tasks_json,
};
use batch_odata::syntax::{Limits, parse};
use serde_json::{Map, Value, json};

/// Replays the seeds and kept artifacts of one target, and returns how many ran.
fn replay_files(target: &str, replay: fn(&[u8])) -> usize {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut paths = Vec::new();
    for (folder, prefix) in [("corpus", "seed-"), ("artifacts-replay", "")] {
        let Ok(entries) = fs::read_dir(fuzz.join(folder).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a readable folder").path();
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if name.starts_with(prefix) {
                paths.push(path);
            }
        }
    }
    for path in &paths {
        let data = fs::read(path).expect("a readable file");
        eprintln!("replaying {}", path.display());
        replay(&data);
    }
    paths.len()
}

#[test]
fn parse_files_replay() {
    assert!(replay_files("parse", check_filter) > 0);
}

#[test]
fn query_string_files_replay() {
    assert!(replay_files("query_string", check_query_string) > 0);
}

#[test]
fn tasks_json_files_replay() {
    assert!(replay_files("tasks_json", check_tasks_json) > 0);
}

/// Returns a task with an id, a state and an optional exit code.
fn task(id: &str, state: &str, exit_code: Option<i64>) -> Map<String, Value> {
    let mut task = json!({"id": id, "state": state});
    if let Some(code) = exit_code {
        task["executionInfo"] = json!({"exitCode": code, "result": "success"});
    }
    task.as_object().cloned().expect("an object")
}

#[test]
fn differential_job_with_changes() {
    let tasks = [
        task("task-1", "active", None),
        task("Task-10", "completed", Some(0)),
        task("ßa", "completed", Some(3)),
        task("ssa", "running", None),
    ];
    let changes = [
        Change::SetState("TASK-1".into(), "completed".into()),
        Change::Remove("SSA".into()),
        Change::Upsert(task("σς", "completed", Some(-1))),
        Change::Remove("missing".into()),
    ];
    for filter in [
        "executionInfo/exitCode ne 0",
        "state eq 'completed' and not startswith(id, 'TASK')",
        "id in ('ssa', 'ΣΣ') or executionInfo/exitCode lt 0",
    ] {
        for page_size in 1..=3 {
            check_differential(filter, &tasks, &changes, page_size);
        }
    }
}

#[test]
fn round_trip_of_nested_filter() {
    let text = "not (a eq 1 or (b eq 'x''y' and c in (1.5, null))) and startswith(d, '')";
    let expr = parse(text, &Limits::default()).expect("a valid filter");
    check_print_round_trip(&expr);
}
