//! Task JSON with odd but legal content survives loading, listing with and without
//! `$select`, paging and counting.
//!
//! The store keeps each task as compact JSON with its fields in their original order, so
//! a task listed without `$select` at the latest api-version must equal the compact form
//! of its input byte for byte. The one documented exception is a number beyond 64 bits,
//! which serde_json reads as the nearest double.

use batch_odata::bind::Mode;
use batch_odata::engine::Engine;
use batch_odata::query::{CountsParams, ListParams};
use batch_odata::store::Store;
use batch_odata::task::load_tasks;
use serde_json::{Value, json};

const SERVICE_URL: &str = "https://account.region.batch.azure.com";
const LIST_URL: &str = "https://account.region.batch.azure.com/jobs/job-1/tasks";
const VERSION: &str = "2018-12-01.8.0";

/// Returns NDJSON lines of tasks whose ids, strings and extra fields are unusual.
fn odd_lines() -> Vec<String> {
    let huge_command = format!("cmd /c echo {}", "x".repeat(1 << 20));
    let mut lines = vec![
        // An astral char, a combining accent, right-to-left text and folding letters.
        r#"{"id":"😀-1","state":"active"}"#.to_owned(),
        "{\"id\":\"e\u{301}-combining\",\"state\":\"running\"}".to_owned(),
        r#"{"id":"مهمة-2","state":"completed","executionInfo":{"exitCode":0,"result":"success"}}"#
            .to_owned(),
        r#"{"id":"Straße","state":"completed","executionInfo":{"exitCode":-2147483648,"result":"failure"}}"#
            .to_owned(),
        // Escapes: a quote, a backslash, a control char, a surrogate pair and a slash.
        r#"{"id":"a\"b\\c\u0001d\ud83d\ude00\/e","state":"preparing","displayName":"tab\there"}"#
            .to_owned(),
        // No optional object at all, and an id only.
        r#"{"id":"bare"}"#.to_owned(),
        // Unknown fields, nested, with 64-bit edge numbers.
        r#"{"id":"extra","state":"active","x-custom":{"nested":[1,{"deeper":null}],"big":18446744073709551615,"neg":-9223372036854775808,"f":1.5e300},"zzz":true}"#
            .to_owned(),
    ];
    lines.push(
        json!({"id": "huge-command", "state": "active", "commandLine": huge_command}).to_string(),
    );
    lines
}

/// Returns the compact JSON the store promises for an input line.
fn compact(line: &str) -> String {
    let value: Value = serde_json::from_str(line).expect("a valid test line");
    value.to_string()
}

fn engine(lines: &[String]) -> Engine {
    Engine::new(Store::load(&lines.join("\n")).expect("odd tasks load"))
}

fn list(engine: &Engine, query: &str) -> Value {
    let params = ListParams::from_query(&format!("api-version={VERSION}&{query}"))
        .unwrap_or_else(|error| panic!("{}", error.render()));
    engine
        .list(&params, Mode::Extended, SERVICE_URL, LIST_URL)
        .unwrap_or_else(|error| panic!("{}", error.render()))
}

fn counts(engine: &Engine) -> Value {
    let params = CountsParams::from_query(&format!("api-version={VERSION}")).expect("valid");
    engine.counts(&params, SERVICE_URL)
}

fn listed(body: &Value) -> Vec<Value> {
    body["value"].as_array().expect("a value array").clone()
}

#[test]
fn odd_tasks_load_whole() {
    let lines = odd_lines();
    let records = load_tasks(&lines.join("\n")).expect("odd tasks load");
    assert_eq!(records.len(), lines.len());
    let engine = engine(&lines);
    assert_eq!(engine.store().len(), lines.len());
    for line in &lines {
        let id = serde_json::from_str::<Value>(line).expect("valid")["id"].clone();
        let id = id.as_str().expect("a string id");
        assert_eq!(engine.store().get(id), Some(compact(line).as_str()), "{id}");
    }
}

#[test]
fn listing_returns_tasks_byte_for_byte() {
    let lines = odd_lines();
    let engine = engine(&lines);
    let before = counts(&engine);

    let body = list(&engine, "maxresults=1000");
    let tasks = listed(&body);
    assert_eq!(tasks.len(), lines.len());
    assert!(body.get("odata.nextLink").is_none());
    let mut expected: Vec<String> = lines.iter().map(|line| compact(line)).collect();
    let mut actual: Vec<String> = tasks.iter().map(Value::to_string).collect();
    expected.sort();
    actual.sort();
    assert_eq!(actual, expected);

    assert_eq!(counts(&engine), before);
    assert_eq!(engine.store().len(), lines.len());
}

#[test]
fn counts_match_states() {
    let engine = engine(&odd_lines());
    let body = counts(&engine);
    assert_eq!(body["active"], 3);
    assert_eq!(body["running"], 2);
    assert_eq!(body["completed"], 2);
    assert_eq!(body["succeeded"], 1);
    assert_eq!(body["failed"], 1);
}

#[test]
fn select_keeps_only_named_fields() {
    let lines = odd_lines();
    let engine = engine(&lines);
    let body = list(&engine, "$select=id,commandLine&maxresults=1000");
    let tasks = listed(&body);
    assert_eq!(tasks.len(), lines.len());
    for (task, line) in tasks.iter().zip(sorted_inputs(&lines)) {
        let object = task.as_object().expect("a task object");
        assert_eq!(object["id"], line["id"]);
        assert_eq!(object.get("commandLine"), line.get("commandLine"));
        let names: Vec<&str> = object.keys().map(String::as_str).collect();
        assert!(
            names
                .iter()
                .all(|name| ["id", "commandLine"].contains(name)),
            "{names:?}"
        );
    }
}

/// Returns the input tasks in the order List Tasks returns them, by folded id.
fn sorted_inputs(lines: &[String]) -> Vec<Value> {
    let mut tasks: Vec<Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).expect("valid"))
        .collect();
    tasks.sort_by_key(|task| batch_odata::fold::fold_case(task["id"].as_str().unwrap_or("")));
    tasks
}

#[test]
fn pages_of_one_list_every_task_once() {
    let lines = odd_lines();
    let engine = engine(&lines);
    let mut ids = Vec::new();
    let mut query = "maxresults=1".to_owned();
    for _ in 0..=lines.len() {
        let body = list(&engine, &query);
        ids.extend(listed(&body).iter().map(|task| task["id"].clone()));
        let Some(link) = body["odata.nextLink"].as_str() else {
            break;
        };
        let (_, next) = link.split_once('?').expect("a next link has a query");
        query = next.replace(&format!("api-version={VERSION}&"), "");
    }
    let expected: Vec<Value> = sorted_inputs(&lines)
        .iter()
        .map(|task| task["id"].clone())
        .collect();
    assert_eq!(ids, expected);
}

#[test]
fn filters_find_odd_ids() {
    let engine = engine(&odd_lines());
    let cases = [
        ("id%20eq%20'%F0%9F%98%80-1'", "😀-1"),
        ("startswith(id,%20'E%CC%81')", "e\u{301}-combining"),
        ("id%20eq%20'STRA%E1%BA%9EE'", "Straße"),
        (
            "id%20eq%20'a%22b%5Cc%01d%F0%9F%98%80%2Fe'",
            "a\"b\\c\u{1}d😀/e",
        ),
        ("contains(commandLine,%20'xxxxxxxx')", "huge-command"),
    ];
    for (filter, id) in cases {
        let body = list(&engine, &format!("$filter={filter}"));
        let ids: Vec<Value> = listed(&body)
            .iter()
            .map(|task| task["id"].clone())
            .collect();
        assert_eq!(ids, [json!(id)], "{filter}");
    }

    // Folding maps each char to one char, so `ß` does not match `SS`.
    let body = list(&engine, "$filter=id%20eq%20'STRASSE'");
    assert_eq!(listed(&body), Vec::<Value>::new());
}

#[test]
fn number_beyond_64_bits_becomes_double() {
    let line = r#"{"id":"wide","x":123456789012345678901234567890}"#;
    let engine = engine(&[line.to_owned()]);
    let tasks = listed(&list(&engine, "maxresults=10"));
    assert_eq!(tasks[0]["x"], json!(1.2345678901234568e29));
}
