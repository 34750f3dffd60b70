//! The HTTP server's contract: status codes, headers and bodies of the Batch operations,
//! Shared Key, durability across restarts and crashes.
//!
//! Servers listen on 127.0.0.1 with a port the system picks. Every request has a timeout and
//! every loop a fixed bound.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use batch_odata::server::{Config, JobImport, Server};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::blocking::Response;
use serde_json::{Value, json};
use sha2::Sha256;

mod support;

use support::{ACCOUNT, KEY, TestServer, body, client, data_dir, get, post_json, send};

const V8: &str = "api-version=2018-12-01.8.0";
const V61: &str = "api-version=2018-03-01.6.1";

fn add_job(server: &TestServer, id: &str) {
    let job = json!({"id": id, "poolInfo": {"poolId": "pool"}});
    let response = post_json(server, &format!("/jobs?{V8}"), &job);
    assert_eq!(response.status(), 201);
}

/// Adds tasks `{prefix}{n:04}` for n in `range`, 100 per call.
fn add_tasks(server: &TestServer, job: &str, prefix: &str, range: std::ops::Range<usize>) {
    let ids: Vec<usize> = range.collect();
    for chunk in ids.chunks(100) {
        let tasks: Vec<Value> = chunk
            .iter()
            .map(|n| json!({"id": format!("{prefix}{n:04}"), "commandLine": "echo"}))
            .collect();
        let path = format!("/jobs/{job}/addtaskcollection?{V8}");
        let response = post_json(server, &path, &json!({ "value": tasks }));
        assert_eq!(response.status(), 200);
        let results = body(response);
        for result in results["value"].as_array().unwrap() {
            assert_eq!(result["status"], "success", "{result}");
        }
    }
}

/// Follows `odata.nextLink` from `first` and returns every task id, at most 200 pages.
fn list_all_ids(server: &TestServer, first: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut url = server.url(first);
    for _ in 0..200 {
        let page = body(send(client().get(&url)));
        for task in page["value"].as_array().expect("a value array") {
            ids.push(task["id"].as_str().unwrap().to_owned());
        }
        match page["odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => return ids,
        }
    }
    panic!("more than 200 pages");
}

fn error_code(response: Response) -> String {
    body(response)["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn api_version_is_checked_first() {
    let server = TestServer::start(&data_dir("api-version"), false);

    let response = get(&server, "/jobs/none/tasks");
    assert_eq!(response.status(), 400);
    assert!(response.headers().contains_key("request-id"));
    let missing = body(response);
    assert_eq!(missing["code"], "MissingRequiredQueryParameter");
    assert_eq!(missing["values"][0]["value"], "api-version");
    let message = missing["message"]["value"].as_str().unwrap();
    assert!(message.contains("\nRequestId:"), "{message}");
    assert!(message.contains("\nTime:"), "{message}");

    let unknown = get(&server, "/jobs/none/tasks?api-version=2018-12-01.9.9");
    assert_eq!(unknown.status(), 400);
    assert_eq!(error_code(unknown), "InvalidQueryParameterValue");

    let malformed = get(&server, "/jobs?api-version=latest");
    assert_eq!(malformed.status(), 400);
}

#[test]
fn add_get_list_and_filter() {
    let server = TestServer::start(&data_dir("add-get-list"), false);
    add_job(&server, "job-1");
    add_tasks(&server, "job-1", "task-", 0..30);

    let response = send(
        client()
            .get(server.url(&format!("/jobs/job-1/tasks/task-0007?{V8}")))
            .header("client-request-id", "4d4b3c1e-0000-4000-8000-000000000001")
            .header("return-client-request-id", "true"),
    );
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(
        headers["content-type"],
        "application/json;odata=minimalmetadata"
    );
    assert_eq!(headers["dataserviceversion"], "3.0");
    assert_eq!(
        headers["client-request-id"],
        "4d4b3c1e-0000-4000-8000-000000000001"
    );
    assert!(headers.contains_key("last-modified"));
    let task = body(response);
    assert_eq!(headers["etag"].to_str().unwrap(), task["eTag"]);
    assert!(
        task["odata.metadata"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#tasks/@Element")
    );
    assert_eq!(task["state"], "active");
    assert_eq!(task["executionInfo"]["retryCount"], 0);

    let filter = "startswith(id,%20'task-001')";
    let ids = list_all_ids(&server, &format!("/jobs/job-1/tasks?{V8}&$filter={filter}"));
    let expected: Vec<String> = (10..20).map(|n| format!("task-{n:04}")).collect();
    assert_eq!(ids, expected);

    let selected = body(get(
        &server,
        &format!("/jobs/job-1/tasks?{V8}&$select=id,state&maxresults=2"),
    ));
    assert_eq!(
        selected["value"][0],
        json!({"id": "task-0000", "state": "active"})
    );
    assert!(selected["odata.nextLink"].is_string());
}

#[test]
fn list_jobs_filters_selects_and_pages() {
    let server = TestServer::start(&data_dir("list-jobs"), false);
    for n in 0..7 {
        add_job(&server, &format!("job-{n}"));
    }
    let other = json!({"id": "other-1", "poolInfo": {"poolId": "gpu-pool"}, "priority": 5});
    assert_eq!(
        post_json(&server, &format!("/jobs?{V8}"), &other).status(),
        201
    );

    let all = body(get(&server, &format!("/jobs?{V8}")));
    assert!(
        all["odata.metadata"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#jobs")
    );
    assert_eq!(all["value"].as_array().unwrap().len(), 8);
    assert!(all.get("odata.nextLink").is_none());

    let prefix = "$filter=startswith(id,%20'JOB-')&maxresults=2";
    let ids = list_all_ids(&server, &format!("/jobs?{V8}&{prefix}"));
    let expected: Vec<String> = (0..7).map(|n| format!("job-{n}")).collect();
    assert_eq!(ids, expected);

    let pool = "$filter=executionInfo/poolId%20eq%20'gpu-pool'%20and%20state%20eq%20'active'";
    let ids = list_all_ids(&server, &format!("/jobs?{V8}&{pool}"));
    assert_eq!(ids, ["other-1"]);

    let times = "$filter=creationTime%20gt%20DateTime'2000-01-01T00:00:00Z'%20and%20\
                 executionInfo/endTime%20eq%20null";
    assert_eq!(
        list_all_ids(&server, &format!("/jobs?{V8}&{times}")).len(),
        8
    );

    let selected = body(get(
        &server,
        &format!("/jobs?{V8}&$filter=id%20ge%20'other'&$select=id,%20priority"),
    ));
    assert_eq!(selected["value"], json!([{"id": "other-1", "priority": 5}]));
}

#[test]
fn get_job_applies_select() {
    let server = TestServer::start(&data_dir("get-job-select"), false);
    let job = json!({"id": "job-1", "poolInfo": {"poolId": "pool"}, "priority": 5});
    assert_eq!(
        post_json(&server, &format!("/jobs?{V8}"), &job).status(),
        201
    );

    let selected = body(get(
        &server,
        &format!("/jobs/job-1?{V8}&$select=id,priority"),
    ));
    assert!(
        selected["odata.metadata"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#jobs/@Element")
    );
    assert_eq!(selected["id"], "job-1");
    assert_eq!(selected["priority"], 5);
    assert!(selected.get("poolInfo").is_none(), "{selected}");
    assert!(selected.get("state").is_none(), "{selected}");

    let whole = body(get(&server, &format!("/jobs/job-1?{V8}")));
    assert_eq!(whole["poolInfo"]["poolId"], "pool");

    let response = get(&server, &format!("/jobs/job-1?{V8}&$select=commandLine"));
    assert_eq!(response.status(), 400);
    let error = body(response);
    assert_eq!(error["values"][0]["value"], "$select", "{error}");
}

#[test]
fn list_jobs_rejects_task_only_filters() {
    let server = TestServer::start(&data_dir("list-jobs-errors"), false);
    add_job(&server, "job-1");

    let cases = [
        ("$filter=priority%20eq%201", "$filter"),
        ("$filter=executionInfo/exitCode%20eq%200", "$filter"),
        ("$filter=state%20eq%20'running'", "$filter"),
        (
            "$filter=lastModifiedTime%20gt%20DateTime'2020-01-01T00:00:00Z'",
            "$filter",
        ),
        ("$filter=startswith(executionInfo/poolId,%201)", "$filter"),
        ("$select=commandLine", "$select"),
        ("maxresults=1001", "maxresults"),
    ];
    for (query, parameter) in cases {
        let response = get(&server, &format!("/jobs?{V8}&{query}"));
        assert_eq!(response.status(), 400, "{query}");
        let error = body(response);
        assert!(
            error["code"].as_str().unwrap().contains("QueryParameter"),
            "{query}: {error}"
        );
        assert_eq!(error["values"][0]["key"], "QueryParameterName", "{query}");
        assert_eq!(error["values"][0]["value"], parameter, "{query}");
    }
}

#[test]
fn paging_survives_concurrent_adds() {
    let server = TestServer::start(&data_dir("paging"), false);
    add_job(&server, "job-1");
    add_tasks(&server, "job-1", "t-", 0..250);

    let mut seen: Vec<String> = Vec::new();
    let mut url = server.url(&format!("/jobs/job-1/tasks?{V8}&maxresults=40"));
    for page_number in 0..100 {
        let page = body(send(client().get(&url)));
        for task in page["value"].as_array().unwrap() {
            seen.push(task["id"].as_str().unwrap().to_owned());
        }
        // New ids sort between, before and after the existing ones.
        let extra = format!("/jobs/job-1/addtaskcollection?{V8}");
        let tasks = json!({"value": [
            {"id": format!("t-0{page_number:02}5x"), "commandLine": "echo"},
            {"id": format!("a-{page_number}"), "commandLine": "echo"},
            {"id": format!("z-{page_number}"), "commandLine": "echo"},
        ]});
        assert_eq!(post_json(&server, &extra, &tasks).status(), 200);
        match page["odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }

    for n in 0..250 {
        let id = format!("t-{n:04}");
        let times = seen.iter().filter(|seen_id| **seen_id == id).count();
        assert_eq!(times, 1, "{id} was listed {times} times");
    }
    let mut sorted = seen.clone();
    sorted.sort_by_key(|id| id.to_lowercase());
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "a task was listed twice");
}

#[test]
fn terminate_and_counts() {
    let server = TestServer::start(&data_dir("terminate"), false);
    add_job(&server, "job-1");
    add_tasks(&server, "job-1", "task-", 0..5);

    let terminate = |id: &str| {
        send(client().post(server.url(&format!("/jobs/job-1/tasks/{id}/terminate?{V8}"))))
    };
    assert_eq!(terminate("task-0001").status(), 204);
    assert_eq!(terminate("task-0002").status(), 204);
    let again = terminate("task-0002");
    assert_eq!(again.status(), 409);
    assert_eq!(error_code(again), "TaskCompleted");

    let task = body(get(&server, &format!("/jobs/job-1/tasks/task-0001?{V8}")));
    assert_eq!(task["state"], "completed");
    assert_eq!(task["previousState"], "active");
    assert_eq!(task["executionInfo"]["result"], "failure");
    assert_eq!(task["executionInfo"]["failureInfo"]["code"], "TaskEnded");
    assert_eq!(
        task["executionInfo"]["failureInfo"]["category"],
        "usererror"
    );

    let counts = body(get(&server, &format!("/jobs/job-1/taskcounts?{V8}")));
    assert_eq!(counts["active"], 3);
    assert_eq!(counts["completed"], 2);
    assert_eq!(counts["failed"], 2);
    assert_eq!(counts["succeeded"], 0);
    assert!(counts.get("validationStatus").is_none());
    let old_counts = body(get(&server, &format!("/jobs/job-1/taskcounts?{V61}")));
    assert_eq!(old_counts["validationStatus"], "validated");

    let filter = "executionInfo/result%20eq%20'failure'";
    let failed = list_all_ids(&server, &format!("/jobs/job-1/tasks?{V8}&$filter={filter}"));
    assert_eq!(failed, ["task-0001", "task-0002"]);
}

#[test]
fn missing_and_duplicate_resources() {
    let server = TestServer::start(&data_dir("not-found"), false);
    add_job(&server, "job-1");
    add_tasks(&server, "job-1", "task-", 0..1);

    let no_job = get(&server, &format!("/jobs/job-2/tasks?{V8}"));
    assert_eq!(no_job.status(), 404);
    assert_eq!(error_code(no_job), "JobNotFound");
    let no_task = get(&server, &format!("/jobs/job-1/tasks/task-9?{V8}"));
    assert_eq!(no_task.status(), 404);
    assert_eq!(error_code(no_task), "TaskNotFound");

    let job = json!({"id": "JOB-1", "poolInfo": {"poolId": "p"}});
    let duplicate_job = post_json(&server, &format!("/jobs?{V8}"), &job);
    assert_eq!(duplicate_job.status(), 409);
    assert_eq!(error_code(duplicate_job), "JobExists");
    let task = json!({"id": "TASK-0000", "commandLine": "echo"});
    let duplicate_task = post_json(&server, &format!("/jobs/job-1/tasks?{V8}"), &task);
    assert_eq!(duplicate_task.status(), 409);
    assert_eq!(error_code(duplicate_task), "TaskExists");

    let delete = send(client().delete(server.url(&format!("/jobs/job-1/tasks/task-0000?{V8}"))));
    assert_eq!(delete.status(), 200);
    let deleted = get(&server, &format!("/jobs/job-1/tasks/task-0000?{V8}"));
    assert_eq!(deleted.status(), 404);
    let delete_job = send(client().delete(server.url(&format!("/jobs/job-1?{V8}"))));
    assert_eq!(delete_job.status(), 202);
    assert_eq!(get(&server, &format!("/jobs/job-1?{V8}")).status(), 404);
}

#[test]
fn old_version_shapes_tasks() {
    let server = TestServer::start(&data_dir("shaping"), false);
    add_job(&server, "job-1");
    add_tasks(&server, "job-1", "task-", 0..1);
    let path = format!("/jobs/job-1/tasks/task-0000/terminate?{V8}");
    assert_eq!(send(client().post(server.url(&path))).status(), 204);

    let old = "api-version=2017-01-01.4.0";
    let task = body(get(&server, &format!("/jobs/job-1/tasks/task-0000?{old}")));
    assert_eq!(task["state"], "completed");
    assert!(task["executionInfo"].get("result").is_none(), "{task}");
    assert!(task["executionInfo"].get("failureInfo").is_none(), "{task}");

    let listed = body(get(&server, &format!("/jobs/job-1/tasks?{old}")));
    assert!(listed["value"][0]["executionInfo"].get("result").is_none());

    let filter = "executionInfo/result%20eq%20'failure'";
    let too_old = get(
        &server,
        &format!("/jobs/job-1/tasks?{V61}&$filter={filter}"),
    );
    assert_eq!(too_old.status(), 400);

    let elevated = json!({"id": "e1", "commandLine": "echo", "runElevated": true});
    let rejected = post_json(&server, &format!("/jobs/job-1/tasks?{V8}"), &elevated);
    assert_eq!(rejected.status(), 400);
    let accepted = post_json(
        &server,
        "/jobs/job-1/tasks?api-version=2016-07-01.3.1",
        &elevated,
    );
    assert_eq!(accepted.status(), 201);
}

#[test]
fn bodies_are_limited_and_checked() {
    let server = TestServer::start(&data_dir("bodies"), false);
    add_job(&server, "job-1");

    let huge = format!(
        "{{\"id\":\"t\",\"commandLine\":\"{}\"}}",
        "x".repeat(5 << 20)
    );
    let response = send(
        client()
            .post(server.url(&format!("/jobs/job-1/tasks?{V8}")))
            .body(huge),
    );
    assert_eq!(response.status(), 413);
    assert_eq!(error_code(response), "RequestBodyTooLarge");

    let cases: [(&str, &str); 6] = [
        ("{not json", "InvalidRequestBody"),
        ("[]", "InvalidRequestBody"),
        ("{\"commandLine\":\"x\"}", "MissingRequiredProperty"),
        ("{\"id\":\"t\"}", "MissingRequiredProperty"),
        ("{\"id\":7,\"commandLine\":\"x\"}", "InvalidPropertyValue"),
        (
            "{\"id\":\"t\",\"commandLine\":\"x\",\"priority\":\"high\"}",
            "",
        ),
    ];
    for (text, code) in cases {
        let response = send(
            client()
                .post(server.url(&format!("/jobs/job-1/tasks?{V8}")))
                .body(text),
        );
        let status = response.status().as_u16();
        if code.is_empty() {
            assert!(status == 201 || status == 400, "{text}: {status}");
        } else {
            assert_eq!(status, 400, "{text}");
            assert_eq!(error_code(response), code, "{text}");
        }
    }

    let too_many: Vec<Value> = (0..101)
        .map(|n| json!({"id": format!("c{n}"), "commandLine": "x"}))
        .collect();
    let path = format!("/jobs/job-1/addtaskcollection?{V8}");
    let response = post_json(&server, &path, &json!({ "value": too_many }));
    assert_eq!(response.status(), 400);
}

#[test]
fn limits_return_batch_errors() {
    let server = TestServer::start(&data_dir("limits"), false);
    add_job(&server, "job-1");

    // The filter's 64 KiB length limit is out of reach here: an HTTP URI is shorter.
    let deep_filter = format!("{}id%20eq%20'a'{}", "(".repeat(65), ")".repeat(65));
    let select_items = vec!["id"; 101].join(",");
    let cases = [
        (
            format!("$filter={deep_filter}"),
            "$filter",
            "InvalidQueryParameterValue",
        ),
        (
            "maxresults=1001".to_owned(),
            "maxresults",
            "OutOfRangeQueryParameterValue",
        ),
        (
            "maxresults=0".to_owned(),
            "maxresults",
            "OutOfRangeQueryParameterValue",
        ),
        (
            format!("$select={select_items}"),
            "$select",
            "InvalidQueryParameterValue",
        ),
    ];
    for (query, parameter, code) in &cases {
        for path in ["/jobs/job-1/tasks", "/jobs"] {
            let response = get(&server, &format!("{path}?{V8}&{query}"));
            assert_eq!(response.status(), 400, "{path} {parameter}");
            let error = body(response);
            assert_eq!(error["code"], *code, "{path} {parameter}");
            assert_eq!(error["values"][0]["key"], "QueryParameterName");
            assert_eq!(error["values"][0]["value"], *parameter, "{path}");
        }
    }

    let huge = "x".repeat(batch_odata::server::MAX_BODY_BYTES + 1);
    let response = send(
        client()
            .post(server.url(&format!("/jobs/job-1/addtaskcollection?{V8}")))
            .body(huge),
    );
    assert_eq!(response.status(), 413);
    let error = body(response);
    assert_eq!(error["code"], "RequestBodyTooLarge");
    assert_eq!(error["values"][0]["key"], "MaxLimit");
    assert_eq!(error["values"][0]["value"], "4194304");

    let too_many: Vec<Value> = (0..101)
        .map(|n| json!({"id": format!("c{n}"), "commandLine": "x"}))
        .collect();
    let path = format!("/jobs/job-1/addtaskcollection?{V8}");
    let error = body(post_json(&server, &path, &json!({ "value": too_many })));
    assert_eq!(error["code"], "InvalidPropertyValue");
    assert_eq!(error["values"][0]["value"], "value");
}

#[test]
fn hostile_requests_never_get_5xx() {
    let server = TestServer::start(&data_dir("hostile"), false);
    add_job(&server, "job-1");
    let paths = [
        format!("/jobs/job-1/tasks?{V8}&maxresults=0"),
        format!("/jobs/job-1/tasks?{V8}&maxresults=99999999999999999999"),
        format!("/jobs/job-1/tasks?{V8}&$filter=((((("),
        format!("/jobs/job-1/tasks?{V8}&$skiptoken=garbage"),
        format!("/jobs/job-1/tasks?{V8}&%zz=1"),
        format!("/jobs/job-1/tasks/%FF%FE?{V8}"),
        format!("/jobs/job-1/tasks?{V8}&$select=nothing"),
        format!("/jobs/job-1/tasks?{V8}&$expand=everything"),
        "/jobs/job-1/taskcounts?api-version=2017-05-01.5.0".to_owned(),
        format!("/jobs?{V8}&$filter=priority%20eq%201"),
        format!("/jobs?{V8}&$skiptoken=garbage"),
        format!("/jobs/job-1/tasks/x/y/z?{V8}"),
    ];
    for path in &paths {
        let status = get(&server, path).status();
        assert!(status.is_client_error(), "{path}: {status}");
    }
    let bodies = [
        "{\"value\": 5}",
        "{\"value\": [1, \"x\", null]}",
        "{\"value\": [{\"id\": \"ok\", \"commandLine\": \"x\", \"constraints\": 4}]}",
        "\u{0}\u{1}",
    ];
    for text in bodies {
        let response = send(
            client()
                .post(server.url(&format!("/jobs/job-1/addtaskcollection?{V8}")))
                .body(text),
        );
        assert!(response.status().as_u16() < 500, "{text}");
    }
}

/// Signs a request as the Python SDK does and returns the Authorization value.
fn shared_key(method: &str, path_and_query: &str, content_type: &str, date: &str) -> String {
    shared_key_with(KEY, method, path_and_query, content_type, date)
}

fn shared_key_with(
    key: &str,
    method: &str,
    path_and_query: &str,
    content_type: &str,
    date: &str,
) -> String {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut text = format!("{method}\n\n\n\n\n{content_type}\n\n\n\n\n\n\nocp-date:{date}\n");
    text.push_str(&format!("/{ACCOUNT}{path}"));
    let mut params: Vec<(String, String)> = query
        .split('&')
        .filter_map(|part| part.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.replace("%20", " ")))
        .collect();
    params.sort();
    for (name, value) in params {
        text.push_str(&format!("\n{name}:{value}"));
    }
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(&STANDARD.decode(key).unwrap()).unwrap();
    mac.update(text.as_bytes());
    let signature = STANDARD.encode(mac.finalize().into_bytes());
    format!("SharedKey {ACCOUNT}:{signature}")
}

fn signed_get(
    server: &TestServer,
    path_and_query: &str,
    authorization: &str,
    date: &str,
) -> Response {
    send(
        client()
            .get(server.url(path_and_query))
            .header("content-type", "application/json; charset=utf-8")
            .header("ocp-date", date)
            .header("authorization", authorization),
    )
}

#[test]
fn shared_key_accepts_and_rejects() {
    let server = TestServer::start(&data_dir("shared-key"), true);
    let content_type = "application/json; charset=utf-8";
    let now = httpdate::fmt_http_date(SystemTime::now());
    let path = format!("/jobs?{V8}&$select=id,%20state");

    let good = shared_key("GET", &path, content_type, &now);
    let accepted = signed_get(&server, &path, &good, &now);
    assert_eq!(accepted.status(), 200);

    let wrong_key = shared_key_with("b3RoZXIta2V5", "GET", &path, content_type, &now);
    let rejected = signed_get(&server, &path, &wrong_key, &now);
    assert_eq!(rejected.status(), 403);
    assert_eq!(error_code(rejected), "AuthenticationFailed");

    let other_path = format!("/jobs/other?{V8}");
    let replayed = signed_get(&server, &other_path, &good, &now);
    assert_eq!(replayed.status(), 403);

    let old = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(20 * 60));
    let stale = shared_key("GET", &path, content_type, &old);
    let too_old = signed_get(&server, &path, &stale, &old);
    assert_eq!(too_old.status(), 403);

    let malformed = signed_get(&server, &path, "SharedKey nocolon", &now);
    assert_eq!(malformed.status(), 400);
    assert_eq!(error_code(malformed), "InvalidAuthenticationInfo");

    let unsigned = get(&server, &format!("/jobs?{V8}"));
    assert_eq!(unsigned.status(), 403);

    let no_version = get(&server, "/jobs");
    assert_eq!(no_version.status(), 400);
    assert_eq!(error_code(no_version), "MissingRequiredQueryParameter");
}

#[test]
fn restart_keeps_data() {
    let dir = data_dir("restart");
    let server = TestServer::start(&dir, false);
    add_job(&server, "job-1");
    add_tasks(&server, "job-1", "task-", 0..150);
    let path = format!("/jobs/job-1/tasks/task-0003/terminate?{V8}");
    assert_eq!(send(client().post(server.url(&path))).status(), 204);
    let path = format!("/jobs/job-1/tasks/task-0004?{V8}");
    assert_eq!(send(client().delete(server.url(&path))).status(), 200);
    let mut before = body(get(&server, &format!("/jobs/job-1/tasks/task-0003?{V8}")));
    server.stop();

    // The new server has another port, so odata.metadata differs; the task does not.
    let server = TestServer::start(&dir, false);
    let mut after = body(get(&server, &format!("/jobs/job-1/tasks/task-0003?{V8}")));
    before["odata.metadata"].take();
    after["odata.metadata"].take();
    assert_eq!(after, before);
    let ids = list_all_ids(&server, &format!("/jobs/job-1/tasks?{V8}&maxresults=100"));
    assert_eq!(ids.len(), 149);
    assert!(!ids.contains(&"task-0004".to_owned()));
    let counts = body(get(&server, &format!("/jobs/job-1/taskcounts?{V8}")));
    assert_eq!(counts["completed"], 1);
    assert_eq!(counts["active"], 148);
}

#[test]
fn import_job_loads_and_persists() {
    let dir = data_dir("import");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("tasks.ndjson");
    let lines: Vec<String> = (0..250)
        .map(|n| {
            let state = if n % 5 == 0 { "completed" } else { "active" };
            json!({"id": format!("t-{n:03}"), "state": state, "commandLine": "x"}).to_string()
        })
        .collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let import = |job: &str| JobImport {
        job_id: job.to_owned(),
        path: file.clone(),
    };
    let data = dir.join("data");
    let mut config = Config::new("127.0.0.1:0".parse().unwrap(), &data);
    config.imports = vec![import("big")];
    let server = TestServer::start_with(config);
    let counts = body(get(&server, &format!("/jobs/big/taskcounts?{V8}")));
    assert_eq!(counts["completed"], 50);
    assert_eq!(counts["active"], 200);
    server.stop();

    // The job is in the database: a plain restart serves it, and importing it again fails.
    let server = TestServer::start(&data, false);
    let filter = "$filter=state%20eq%20'completed'&maxresults=7";
    let ids = list_all_ids(&server, &format!("/jobs/big/tasks?{V8}&{filter}"));
    assert_eq!(ids.len(), 50);
    server.stop();
    let mut again = Config::new("127.0.0.1:0".parse().unwrap(), &data);
    again.imports = vec![import("BIG")];
    let error = start_error(again);
    assert!(error.contains("'BIG'"), "{error}");
    assert!(error.contains("JobExists"), "{error}");

    std::fs::write(&file, "{\"id\": \"a\"}\n{\"id\": \"A\"}\n").unwrap();
    let mut duplicate = Config::new("127.0.0.1:0".parse().unwrap(), &data);
    duplicate.imports = vec![import("other")];
    let error = start_error(duplicate);
    assert!(error.contains("duplicate task id"), "{error}");
    let mut missing = Config::new("127.0.0.1:0".parse().unwrap(), &data);
    missing.imports = vec![JobImport {
        job_id: "other".to_owned(),
        path: dir.join("missing.ndjson"),
    }];
    let error = start_error(missing);
    assert!(error.contains("missing.ndjson"), "{error}");
}

/// Returns the error that keeps a server with `config` from starting.
fn start_error(config: Config) -> String {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    match runtime.block_on(Server::bind(config)) {
        Ok(_) => panic!("the server started"),
        Err(error) => error.to_string(),
    }
}

/// Starts the binary on a free port and returns it with its base URL, read from the
/// "listening" log line.
fn spawn_binary(dir: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_batch-odata"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-demo",
            "--data-dir",
        ])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(rest) = line.split("address=").nth(1)
            && line.contains("listening")
        {
            let address = rest.split_whitespace().next().unwrap().to_owned();
            // Keep draining the log so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines.by_ref() {});
            return (child, format!("http://{address}"));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not report its address");
}

#[test]
fn crash_keeps_acknowledged_tasks() {
    let dir = data_dir("crash");
    let (child, base) = spawn_binary(&dir);
    let child = Arc::new(std::sync::Mutex::new(child));
    let http = client();
    let job = json!({"id": "job-1", "poolInfo": {"poolId": "p"}});
    let response = send(http.post(format!("{base}/jobs?{V8}")).body(job.to_string()));
    assert_eq!(response.status(), 201);

    // Kill the server with SIGKILL from another thread once 40 writes were acknowledged,
    // while the loop below keeps writing.
    let acknowledged_writes = Arc::new(AtomicUsize::new(0));
    let killer = {
        let child = Arc::clone(&child);
        let acknowledged_writes = Arc::clone(&acknowledged_writes);
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while acknowledged_writes.load(Ordering::SeqCst) < 40 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            child.lock().unwrap().kill().expect("SIGKILL is delivered");
        })
    };

    let mut acknowledged: Vec<String> = Vec::new();
    let mut terminated: Vec<String> = Vec::new();
    let started = Instant::now();
    for n in 0..2_000 {
        if started.elapsed() > Duration::from_secs(60) {
            break;
        }
        let ids: Vec<String> = (0..5).map(|k| format!("task-{n:04}-{k}")).collect();
        let tasks: Vec<Value> = ids
            .iter()
            .map(|id| json!({"id": id, "commandLine": "echo"}))
            .collect();
        let url = format!("{base}/jobs/job-1/addtaskcollection?{V8}");
        let Ok(response) = http
            .post(url)
            .body(json!({ "value": tasks }).to_string())
            .send()
        else {
            break;
        };
        if response.status() != 200 {
            break;
        }
        acknowledged.extend(ids);
        if n % 3 == 0 {
            let id = format!("task-{n:04}-0");
            let url = format!("{base}/jobs/job-1/tasks/{id}/terminate?{V8}");
            match http.post(url).send() {
                Ok(response) if response.status() == 204 => terminated.push(id),
                _ => break,
            }
        }
        acknowledged_writes.fetch_add(1, Ordering::SeqCst);
    }
    killer.join().unwrap();
    let _ = child.lock().unwrap().wait();
    assert!(
        acknowledged.len() >= 40 * 5,
        "too few writes before the kill"
    );

    let server = TestServer::start(&dir, false);
    let ids = list_all_ids(&server, &format!("/jobs/job-1/tasks?{V8}"));
    for id in &acknowledged {
        assert!(ids.contains(id), "acknowledged task {id} was lost");
    }
    for id in &terminated {
        let task = body(get(&server, &format!("/jobs/job-1/tasks/{id}?{V8}")));
        assert_eq!(task["state"], "completed", "{id}");
    }

    let listed = list_all_ids(
        &server,
        &format!("/jobs/job-1/tasks?{V8}&$filter=state%20eq%20'completed'"),
    );
    let counts = body(get(&server, &format!("/jobs/job-1/taskcounts?{V8}")));
    assert_eq!(counts["completed"], listed.len());
    assert_eq!(counts["active"], ids.len() - listed.len());
    assert_eq!(counts["failed"], listed.len());
}

#[test]
fn simulator_completes_tasks() {
    let mut config = Config::new("127.0.0.1:0".parse().unwrap(), data_dir("simulate"));
    config.simulate = Some(500.0);
    let server = TestServer::start_with(config);
    add_job(&server, "job-1");
    add_tasks(&server, "job-1", "task-", 0..5);

    let deadline = Instant::now() + Duration::from_secs(20);
    let mut counts = Value::Null;
    while Instant::now() < deadline {
        counts = body(get(&server, &format!("/jobs/job-1/taskcounts?{V8}")));
        if counts["completed"] == 5 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(counts["completed"], 5, "{counts}");
    let succeeded = counts["succeeded"].as_u64().unwrap();
    let failed = counts["failed"].as_u64().unwrap();
    assert_eq!(succeeded + failed, 5);

    let task = body(get(&server, &format!("/jobs/job-1/tasks/task-0000?{V8}")));
    assert!(task["executionInfo"]["exitCode"].is_number(), "{task}");
    assert!(task["executionInfo"]["startTime"].is_string(), "{task}");
}
