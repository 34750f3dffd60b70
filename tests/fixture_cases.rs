//! Runs the semantic cases of `fixtures/cases/semantics.json` over
//! `fixtures/tasks/semantics.ndjson`: each filter's ids in list order, or its error kind,
//! through the indexed store and through the reference evaluator.

use batch_odata::bind::Mode;
use batch_odata::exec::reference;
use batch_odata::filter::{Filter, Options};
use batch_odata::store::Store;
use batch_odata::version::ApiVersion;
use serde_json::Value;

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// Returns the name of an error kind, such as `PropertyUnknown`.
fn kind_name(error: &batch_odata::error::Error) -> String {
    let debug = format!("{:?}", error.kind());
    debug
        .split([' ', '{', '('])
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn semantic_cases_hold() {
    let data = read("fixtures/tasks/semantics.ndjson");
    let store = Store::load(&data).expect("the semantic fixture loads");
    let tasks: Vec<Value> = data
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect();
    let cases: Value = serde_json::from_str(&read("fixtures/cases/semantics.json")).expect("JSON");
    let cases = cases["cases"].as_array().expect("a cases array");
    assert!(cases.len() >= 60);

    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().expect("a name");
        let filter = case["filter"].as_str().expect("a filter");
        let version = case["api_version"]
            .as_str()
            .map_or(ApiVersion::LATEST, |v| {
                ApiVersion::parse(v).expect("a known version")
            });
        let mode = match case["mode"].as_str() {
            Some("strict") => Mode::Strict,
            _ => Mode::Extended,
        };
        let compiled = Filter::compile(filter, &Options::new(version).mode(mode));

        match (compiled, case.get("ids"), case.get("error")) {
            (Ok(compiled), Some(expected), None) => {
                let expected: Vec<&str> = expected
                    .as_array()
                    .expect("an ids array")
                    .iter()
                    .map(|id| id.as_str().expect("a string id"))
                    .collect();
                let page = store.page(compiled.plan(), None, 1000);
                let listed: Vec<String> = page
                    .tasks
                    .iter()
                    .map(|json| {
                        let task: Value = serde_json::from_str(json).expect("stored JSON");
                        task["id"].as_str().expect("an id").to_owned()
                    })
                    .collect();
                if listed != expected {
                    failures.push(format!("{name}: listed {listed:?}, expected {expected:?}"));
                }
                let count = store.count(compiled.plan());
                if count != expected.len() as u64 {
                    failures.push(format!(
                        "{name}: counted {count}, expected {}",
                        expected.len()
                    ));
                }
                let mut by_reference: Vec<&str> = tasks
                    .iter()
                    .filter(|task| reference::matches(compiled.plan(), task))
                    .map(|task| task["id"].as_str().expect("an id"))
                    .collect();
                by_reference.sort_by_key(|id| batch_odata::fold::fold_case(id));
                if by_reference != expected {
                    failures.push(format!(
                        "{name}: reference {by_reference:?}, expected {expected:?}"
                    ));
                }
            }
            (Err(error), None, Some(expected)) => {
                let kind = kind_name(&error);
                if kind != expected.as_str().expect("an error kind") {
                    failures.push(format!(
                        "{name}: error {kind} ({error}), expected {expected}"
                    ));
                }
            }
            (Ok(compiled), _, Some(expected)) => {
                failures.push(format!(
                    "{name}: compiled to {}, expected {expected}",
                    compiled.plan()
                ));
            }
            (Err(error), _, _) => failures.push(format!("{name}: unexpected error: {error}")),
            (Ok(_), _, _) => failures.push(format!("{name}: case has neither ids nor error")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
