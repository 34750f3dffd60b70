//! `Engine::list_text` writes the same bytes as serializing `Engine::list`'s body, for every
//! api-version, `$select`, `$expand` and page of the example and generated tasks.

use batch_odata::bind::Mode;
use batch_odata::engine::Engine;
use batch_odata::generate::generate;
use batch_odata::query::ListParams;
use batch_odata::store::Store;
use batch_odata::version::ApiVersion;

const SERVICE_URL: &str = "https://account.region.batch.azure.com";
const LIST_URL: &str = "https://account.region.batch.azure.com/jobs/job-1/tasks";

/// Returns the example tasks, some pretty-printed, and 300 generated tasks, as NDJSON.
fn tasks() -> String {
    let mut text = include_str!("../fixtures/tasks/examples.ndjson").to_owned();
    text.push('\n');
    // Text that is not written as serde_json writes it takes the general parse path.
    text.push_str("{ \"id\": \"spaced\", \"state\": \"active\", \"x\": 1E2 }\n");
    text.push_str("{\"id\":\"esc\\u0041ped\",\"displayName\":\"a\\/b\",\"n\":-0}\n");
    let mut generator = generate(300, 7);
    let mut buffer = Vec::new();
    while generator.write_next(&mut buffer) {
        buffer.push(b'\n');
    }
    text.push_str(&String::from_utf8(buffer).expect("generated tasks are UTF-8"));
    text
}

/// Returns the query strings to compare, with every api-version.
fn queries() -> Vec<String> {
    let shapes = [
        "",
        "&$select=id,state,executionInfo",
        "&$select=id,stats&$expand=stats",
        "&$expand=stats",
        "&$select=executionInfo,id&maxresults=7",
        "&$filter=state eq 'active'&maxresults=5",
        "&$filter=startswith(id,'esc')",
        "&$select=id,nodeInfo,constraints&$filter=executionInfo/exitCode ne 0&maxresults=40",
    ];
    let mut queries = Vec::new();
    for version in ApiVersion::ALL {
        for shape in shapes {
            queries.push(format!("api-version={version}{shape}"));
        }
    }
    queries
}

#[test]
fn list_text_equals_serialized_list() {
    let engine = Engine::new(Store::load(&tasks()).expect("tasks load"));
    for query in queries() {
        let Ok(params) = ListParams::from_query(&query) else {
            continue;
        };
        let list = engine.list(&params, Mode::Extended, SERVICE_URL, LIST_URL);
        let text = engine.list_text(&params, Mode::Extended, SERVICE_URL, LIST_URL);
        match (list, text) {
            (Ok(body), Ok(text)) => {
                let expected = serde_json::to_string(&body).expect("body serializes");
                assert_eq!(text, expected, "{query}");
            }
            (Err(expected), Err(error)) => assert_eq!(error, expected, "{query}"),
            (list, text) => panic!("{query}: list gave {list:?}, list_text gave {text:?}"),
        }
    }
}

#[test]
fn list_text_follows_next_links() {
    let engine = Engine::new(Store::load(&tasks()).expect("tasks load"));
    let params =
        ListParams::from_query("api-version=2018-08-01.7.0&maxresults=100").expect("valid query");
    let text = engine
        .list_text(&params, Mode::Strict, SERVICE_URL, LIST_URL)
        .expect("first page");
    let body: serde_json::Value = serde_json::from_str(&text).expect("body is JSON");
    let tasks = body["value"].as_array().expect("value array");
    assert_eq!(tasks.len(), 100);
    assert!(body["odata.nextLink"].is_string(), "{text}");
}
