use std::collections::BTreeSet;

use serde_json::Value;

use super::*;
use crate::schema::{self, PropertyType};
use crate::version::ApiVersion;

const SAMPLE_SIZE: u64 = 10_000;

fn ndjson(count: u64, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    write_ndjson(&mut out, count, seed).expect("writing to a Vec cannot fail");
    out
}

fn sample(seed: u64) -> Vec<Value> {
    generate(SAMPLE_SIZE, seed).collect()
}

fn text<'a>(task: &'a Value, pointer: &str) -> Option<&'a str> {
    task.pointer(pointer).and_then(Value::as_str)
}

fn time(task: &Value, pointer: &str) -> Option<i64> {
    text(task, pointer).map(|value| parse_ticks(value).unwrap_or_else(|| panic!("{value}")))
}

/// Parses `YYYY-MM-DDThh:mm:ss[.f{1,7}]Z` into ticks since 0001-01-01, independently of
/// the writer, so the tests check the format rather than repeat it.
fn parse_ticks(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() >= 20
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b'T'
        && bytes[13] == b':'
        && bytes[16] == b':'
        && text.ends_with('Z');
    if !shape_ok {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let fraction = &text[19..text.len() - 1];
    let fraction_ticks = match fraction.strip_prefix('.') {
        None if fraction.is_empty() => 0,
        Some(digits)
            if (1..=7).contains(&digits.len())
                && !digits.ends_with('0')
                && digits.bytes().all(|b| b.is_ascii_digit()) =>
        {
            format!("{digits:0<7}").parse::<i64>().ok()?
        }
        _ => return None,
    };

    // Howard Hinnant's days_from_civil, with days counted from 0001-01-01.
    let shifted_year = if month <= 2 { year - 1 } else { year };
    let era = shifted_year.div_euclid(400);
    let year_of_era = shifted_year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468 + 719_162;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second;
    Some(seconds * 10_000_000 + fraction_ticks)
}

#[test]
fn same_seed_gives_same_bytes() {
    let first = ndjson(2_000, 7);
    assert_eq!(first, ndjson(2_000, 7));
    assert_ne!(first, ndjson(2_000, 8));
}

#[test]
fn output_is_pinned_across_builds() {
    // FNV-1a of the whole output. A change here means every existing data set changes:
    // update the digest only for an intended change to the generator.
    let bytes = ndjson(SAMPLE_SIZE, 0);
    let digest = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    assert_eq!(bytes.len(), 12_470_504);
    assert_eq!(digest, 0xab07_5d7e_97a5_67df);
}

#[test]
fn first_tasks_snapshot() {
    let tasks: Vec<Value> = generate(5, 0).collect();
    insta::assert_json_snapshot!(tasks);
}

#[test]
fn iterator_matches_ndjson() {
    let bytes = ndjson(500, 3);
    let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
    assert_eq!(lines.len(), 500);
    for (line, task) in lines.iter().zip(generate(500, 3)) {
        assert_eq!(line.last(), Some(&b'\n'));
        let parsed: Value = serde_json::from_slice(line).expect("each line is one JSON value");
        assert_eq!(parsed, task);
    }
}

#[test]
fn smaller_count_is_prefix() {
    let small: Vec<Value> = generate(50, 9).collect();
    let large: Vec<Value> = generate(5_000, 9).take(50).collect();
    assert_eq!(small, large);
}

#[test]
fn ids_are_in_order_and_padded() {
    for (index, task) in generate(1_000, 1).enumerate() {
        assert_eq!(task["id"], format!("task-{index:07}"));
    }
    let last = generate(10_000_001, 1).nth(10_000_000);
    assert_eq!(
        last.map(|task| task["id"].clone()),
        Some("task-10000000".into())
    );
}

#[test]
fn id_width_grows_past_ten_million() {
    assert_eq!(id_width(0), 7);
    assert_eq!(id_width(1), 7);
    assert_eq!(id_width(10_000_000), 7);
    assert_eq!(id_width(10_000_001), 8);
    assert_eq!(id_width(u64::MAX), 20);
}

#[test]
fn size_hint_counts_down() {
    let mut generator = generate(3, 0);
    assert_eq!(generator.size_hint(), (3, Some(3)));
    generator.next();
    assert_eq!(generator.size_hint(), (2, Some(2)));
    assert_eq!(generator.by_ref().count(), 2);
    assert_eq!(generator.next(), None);
    assert_eq!(generate(0, 0).count(), 0);
}

/// Checks that every property of `value` exists at `path` in the 2018-12-01.8.0 schema with
/// a matching JSON type, and records the paths seen.
fn check_schema(id: &str, path: &str, value: &Value, seen: &mut BTreeSet<String>) {
    let Some(object) = value.as_object() else {
        panic!("{id}: {path:?} is not an object");
    };
    for (name, child) in object {
        let child_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}/{name}")
        };
        let property = schema::lookup(&child_path)
            .unwrap_or_else(|| panic!("{id}: {child_path} is not a CloudTask property"));
        assert!(
            property.exists_in(ApiVersion::V2018_12_01_8_0),
            "{id}: {child_path} is not in 2018-12-01.8.0"
        );
        assert!(
            matches_type(property.ty, child),
            "{id}: {child_path} = {child} is not {}",
            property.ty.name()
        );
        seen.insert(child_path.clone());

        match child {
            Value::Object(_) => check_schema(id, &child_path, child, seen),
            Value::Array(elements) => {
                for element in elements.iter().filter(|element| element.is_object()) {
                    check_schema(id, &format!("{child_path}[]"), element, seen);
                }
            }
            _ => {}
        }
    }
}

fn matches_type(ty: PropertyType, value: &Value) -> bool {
    let as_i64 = value.as_i64();
    match ty {
        PropertyType::String => value.is_string(),
        PropertyType::Int32 => as_i64.is_some_and(|n| i32::try_from(n).is_ok()),
        PropertyType::Int64 => as_i64.is_some(),
        PropertyType::Double => value.is_number(),
        PropertyType::Boolean => value.is_boolean(),
        PropertyType::DateTime => value.as_str().and_then(parse_ticks).is_some(),
        PropertyType::Duration => value.as_str().is_some_and(|text| text.starts_with('P')),
        PropertyType::Enum(values) => value
            .as_str()
            .is_some_and(|text| values.contains(&text.to_lowercase().as_str())),
        PropertyType::Object => value.is_object(),
        // The only arrays of scalars are authenticationTokenSettings/access and
        // dependsOn/taskIds, both arrays of strings.
        PropertyType::Array => value
            .as_array()
            .is_some_and(|elements| elements.iter().all(|e| e.is_object() || e.is_string())),
    }
}

#[test]
fn tasks_match_schema() {
    let mut seen = BTreeSet::new();
    for task in sample(0) {
        let id = task["id"].as_str().unwrap_or("?").to_owned();
        check_schema(&id, "", &task, &mut seen);
    }

    // Every optional part occurs in the sample, so the walk above checked it.
    for path in [
        "displayName",
        "previousState",
        "containerSettings/imageName",
        "resourceFiles[]/httpUrl",
        "resourceFiles[]/storageContainerUrl",
        "resourceFiles[]/fileMode",
        "outputFiles[]/destination/container/containerUrl",
        "outputFiles[]/uploadOptions/uploadCondition",
        "environmentSettings[]/value",
        "affinityInfo/affinityId",
        "userIdentity/username",
        "userIdentity/autoUser/scope",
        "authenticationTokenSettings/access",
        "exitConditions/exitCodeRanges[]/exitOptions/jobAction",
        "exitConditions/default/jobAction",
        "multiInstanceSettings/numberOfInstances",
        "executionInfo/containerInfo/containerId",
        "executionInfo/failureInfo/message",
        "executionInfo/lastRetryTime",
        "executionInfo/lastRequeueTime",
        "nodeInfo/taskRootDirectoryUrl",
        "dependsOn/taskIds",
        "applicationPackageReferences[]/version",
    ] {
        assert!(seen.contains(path), "no task has {path}");
    }
}

fn share(part: usize, whole: usize) -> f64 {
    part as f64 / whole as f64
}

fn assert_share(name: &str, part: usize, whole: usize, expected: f64, tolerance: f64) {
    let actual = share(part, whole);
    assert!(
        (actual - expected).abs() <= tolerance,
        "{name}: {actual:.4} of {whole}, expected {expected} ± {tolerance}"
    );
}

#[test]
fn states_follow_expected_mix() {
    for seed in [0, 1] {
        let tasks = sample(seed);
        let count = |state: &str| tasks.iter().filter(|t| t["state"] == state).count();
        let total = tasks.len();
        assert_share("active", count("active"), total, 0.20, 0.02);
        assert_share("preparing", count("preparing"), total, 0.05, 0.01);
        assert_share("running", count("running"), total, 0.15, 0.02);
        assert_share("completed", count("completed"), total, 0.60, 0.02);
    }
}

#[test]
fn results_follow_expected_mix() {
    let tasks = sample(0);
    let completed: Vec<&Value> = tasks.iter().filter(|t| t["state"] == "completed").collect();
    let total = completed.len();
    let count = |keep: &dyn Fn(&Value) -> bool| completed.iter().filter(|t| keep(t)).count();

    let success = count(&|t| t["executionInfo"]["result"] == "Success");
    let nonzero_exit = count(&|t| {
        t["executionInfo"]["exitCode"]
            .as_i64()
            .is_some_and(|c| c != 0)
    });
    let negative_exit = count(&|t| {
        t["executionInfo"]["exitCode"]
            .as_i64()
            .is_some_and(|c| c < 0)
    });
    let no_exit = count(&|t| t["executionInfo"].get("exitCode").is_none());
    let server_error = count(&|t| t["executionInfo"]["failureInfo"]["category"] == "ServerError");

    assert_share("success", success, total, 0.83, 0.02);
    assert_share("nonzero exit", nonzero_exit, total, 0.15, 0.02);
    // Only the two Windows command lines of three can exit with a negative code.
    assert_share("negative exit", negative_exit, total, 0.01, 0.005);
    assert_share("no exit code", no_exit, total, 0.02, 0.008);
    assert_share("server error", server_error, total, 0.015, 0.006);
}

#[test]
fn exit_codes_span_their_range() {
    let codes: BTreeSet<i64> = sample(0)
        .iter()
        .filter_map(|t| t["executionInfo"]["exitCode"].as_i64())
        .collect();
    for code in [-1_073_741_510, -1, 0, 1, 2, 255] {
        assert!(codes.contains(&code), "no task exited with {code}");
    }
    for task in sample(0).iter().filter(|t| {
        t["commandLine"]
            .as_str()
            .is_some_and(|c| c.starts_with("/bin/bash"))
    }) {
        let code = task["executionInfo"]["exitCode"].as_i64().unwrap_or(0);
        assert!(
            (0..=255).contains(&code),
            "{}: Linux exit code {code}",
            task["id"]
        );
    }
    assert!(codes.iter().all(|&code| code <= 255));
    assert!(
        codes.len() > 200,
        "only {} distinct exit codes",
        codes.len()
    );
}

#[test]
fn times_are_consistent() {
    let window_end = parse_ticks("2018-12-31T00:00:00Z").expect("valid date-time");
    let window_start = parse_ticks("2018-12-01T00:00:00Z").expect("valid date-time");
    for task in sample(2) {
        let id = &task["id"];
        let creation = time(&task, "/creationTime").expect("creationTime");
        let transition = time(&task, "/stateTransitionTime").expect("stateTransitionTime");
        let last_modified = time(&task, "/lastModified").expect("lastModified");
        let all_times = [
            "/creationTime",
            "/stateTransitionTime",
            "/previousStateTransitionTime",
            "/executionInfo/startTime",
            "/executionInfo/endTime",
            "/executionInfo/lastRetryTime",
            "/executionInfo/lastRequeueTime",
        ]
        .map(|pointer| time(&task, pointer));

        assert!((window_start..window_end).contains(&creation), "{id}");
        assert!(transition >= creation, "{id}");
        if let Some(previous) = time(&task, "/previousStateTransitionTime") {
            assert!((creation..=transition).contains(&previous), "{id}");
        }
        let start = time(&task, "/executionInfo/startTime");
        if let Some(start) = start {
            assert!(start >= creation, "{id}");
        }
        if let Some(end) = time(&task, "/executionInfo/endTime") {
            assert!(end >= start.unwrap_or(creation), "{id}");
            assert_eq!(end, transition, "{id}");
        }
        if let Some(requeue) = time(&task, "/executionInfo/lastRequeueTime") {
            assert!(requeue >= creation, "{id}");
            assert!(start.is_some_and(|start| start > requeue), "{id}");
        }
        assert_eq!(
            Some(last_modified),
            all_times.into_iter().flatten().max(),
            "{id}"
        );
        assert_eq!(task["eTag"], format!("0x{last_modified:X}"), "{id}");
    }
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .map(|object| object.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn active_tasks_have_not_started() {
    for task in sample(0).iter().filter(|t| t["state"] == "active") {
        let id = &task["id"];
        assert_eq!(
            keys(&task["executionInfo"]),
            ["retryCount", "requeueCount"],
            "{id}"
        );
        assert_eq!(task["executionInfo"]["retryCount"], 0, "{id}");
        assert_eq!(task["executionInfo"]["requeueCount"], 0, "{id}");
        assert!(task.get("nodeInfo").is_none(), "{id}");
        assert!(task.get("previousState").is_none(), "{id}");
        assert_eq!(task["stateTransitionTime"], task["creationTime"], "{id}");
    }
}

#[test]
fn preparing_tasks_wait_on_node() {
    for task in sample(0).iter().filter(|t| t["state"] == "preparing") {
        let id = &task["id"];
        assert_eq!(task["previousState"], "active", "{id}");
        assert!(task["nodeInfo"]["nodeId"].is_string(), "{id}");
        assert!(task["executionInfo"].get("startTime").is_none(), "{id}");
        assert!(task["executionInfo"].get("result").is_none(), "{id}");
    }
}

#[test]
fn running_tasks_have_start_only() {
    for task in sample(0).iter().filter(|t| t["state"] == "running") {
        let id = &task["id"];
        let execution = &task["executionInfo"];
        assert!(execution["startTime"].is_string(), "{id}");
        assert_eq!(execution["startTime"], task["stateTransitionTime"], "{id}");
        for absent in ["endTime", "exitCode", "result", "failureInfo"] {
            assert!(execution.get(absent).is_none(), "{id} has {absent}");
        }
        assert!(task["nodeInfo"]["nodeUrl"].is_string(), "{id}");
        let previous = task["previousState"].as_str();
        assert!(matches!(previous, Some("active" | "preparing")), "{id}");
    }
}

#[test]
fn completed_results_match_exit_codes() {
    for task in sample(0).iter().filter(|t| t["state"] == "completed") {
        let id = &task["id"];
        let execution = &task["executionInfo"];
        let exit_code = execution["exitCode"].as_i64();
        let failure = &execution["failureInfo"];
        assert!(execution["endTime"].is_string(), "{id}");
        match execution["result"].as_str() {
            Some("Success") => {
                assert_eq!(exit_code, Some(0), "{id}");
                assert!(failure.is_null(), "{id}");
            }
            Some("Failure") if exit_code.is_some() => {
                assert_ne!(exit_code, Some(0), "{id}");
                assert_eq!(failure["category"], "UserError", "{id}");
                assert_eq!(failure["code"], "FailureExitCode", "{id}");
                let retries = &task["constraints"]["maxTaskRetryCount"];
                if retries.as_i64().is_some_and(|n| n >= 0) {
                    assert_eq!(&execution["retryCount"], retries, "{id}");
                }
            }
            Some("Failure") if failure["code"] == "TaskEnded" => {
                assert!(execution.get("startTime").is_none(), "{id}");
                assert_eq!(task["nodeInfo"], serde_json::json!({}), "{id}");
                assert_eq!(task["previousState"], "active", "{id}");
            }
            Some("Failure") => {
                assert_eq!(failure["category"], "ServerError", "{id}");
                assert!(task["resourceFiles"].is_array(), "{id}");
                assert!(execution["startTime"].is_string(), "{id}");
                assert!(task["nodeInfo"]["nodeId"].is_string(), "{id}");
            }
            other => panic!("{id}: result {other:?}"),
        }
        if execution["startTime"].is_string() {
            assert_eq!(task["previousState"], "running", "{id}");
        }
    }
}

#[test]
fn run_times_respect_wall_clock() {
    let hour = 3_600 * 10_000_000;
    let mut limited = 0;
    for task in sample(0)
        .iter()
        .filter(|t| t["executionInfo"]["exitCode"].is_i64())
    {
        let limit = match task["constraints"]["maxWallClockTime"].as_str() {
            Some("PT1H") => hour,
            Some("PT4H") => 4 * hour,
            Some("P1D") => 24 * hour,
            Some(sample::UNLIMITED) => i64::MAX,
            other => panic!("{}: maxWallClockTime {other:?}", task["id"]),
        };
        let start = time(task, "/executionInfo/startTime").expect("startTime");
        let end = time(task, "/executionInfo/endTime").expect("endTime");
        assert!(end - start < limit, "{}", task["id"]);
        limited += usize::from(limit < i64::MAX);
    }
    assert!(
        limited > 100,
        "only {limited} tasks with a wall-clock limit ran"
    );
}
