//! `serve --postgres` over HTTP against a throwaway PostgreSQL cluster: task adds, Get Task,
//! List Tasks with filters and paging through `odata.nextLink`, and Get Task Counts.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use batch_odata::server::{Config, Server};
use reqwest::blocking::Client;
use serde_json::{Value, json};

mod common;

use common::postgres::Cluster;

const V8: &str = "api-version=2018-12-01.8.0";

/// A server on a loopback port whose tasks live in PostgreSQL, stopped on drop.
struct PgServer {
    base: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    data_dir: PathBuf,
}

impl PgServer {
    fn start(url: String) -> PgServer {
        // Tests run in parallel in one process, so each server gets a directory of its own.
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let data_dir = std::env::temp_dir().join(format!(
            "batch-odata-pg-server-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&data_dir);
        let mut config = Config::new("127.0.0.1:0".parse().expect("an address"), &data_dir);
        config.postgres = Some(url);
        let (address_tx, address_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
            runtime.block_on(async move {
                let server = Server::bind(config).await.expect("the server starts");
                address_tx
                    .send(server.local_addr().expect("a bound address"))
                    .expect("the test waits for the address");
                let shutdown = async {
                    let _ = shutdown_rx.await;
                };
                server.run(shutdown).await.expect("the server runs");
            });
        });
        let address = address_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server reports its address");
        PgServer {
            base: format!("http://{address}"),
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
            data_dir,
        }
    }

    fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.base)
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Returns an HTTP client whose requests time out after 30 seconds.
fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

fn post(client: &Client, url: &str, body: &Value) -> (u16, Value) {
    let response = client
        .post(url)
        .header("content-type", "application/json; odata=minimalmetadata")
        .body(body.to_string())
        .send()
        .expect("a response");
    let status = response.status().as_u16();
    let text = response.text().expect("a body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn get(client: &Client, url: &str) -> (u16, Value) {
    let response = client.get(url).send().expect("a response");
    let status = response.status().as_u16();
    let text = response.text().expect("a body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Lists every page of a filter and returns the ids in order.
fn list_ids(client: &Client, server: &PgServer, filter: &str, page_size: u32) -> Vec<String> {
    let filter = filter.replace(' ', "%20").replace('\'', "%27");
    let mut url = server.url(&format!(
        "/jobs/job-1/tasks?{V8}&$filter={filter}&maxresults={page_size}"
    ));
    let mut ids = Vec::new();
    for _ in 0..100 {
        let (status, body) = get(client, &url);
        assert_eq!(status, 200, "{body}");
        let page = body["value"].as_array().expect("a value array");
        assert!(page.len() <= page_size as usize);
        ids.extend(
            page.iter()
                .map(|task| task["id"].as_str().expect("an id").to_owned()),
        );
        match body["odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => return ids,
        }
    }
    panic!("paging did not end");
}

#[test]
fn postgres_server_adds_lists_and_counts() {
    let cluster = Cluster::start();
    let server = PgServer::start(cluster.url());
    let client = client();

    let (status, body) = post(
        &client,
        &server.url(&format!("/jobs?{V8}")),
        &json!({"id": "job-1", "poolInfo": {"poolId": "pool"}}),
    );
    assert_eq!(status, 201, "{body}");

    let tasks: Vec<Value> = (0..25)
        .map(|i| json!({"id": format!("Task-{i:02}"), "commandLine": format!("run {}", i % 4)}))
        .collect();
    let (status, body) = post(
        &client,
        &server.url(&format!("/jobs/job-1/addtaskcollection?{V8}")),
        &json!({ "value": tasks }),
    );
    assert_eq!(status, 200, "{body}");
    let results = body["value"].as_array().expect("results");
    assert_eq!(results.len(), 25);
    assert!(
        results.iter().all(|result| result["status"] == "success"),
        "{body}"
    );

    let add_url = server.url(&format!("/jobs/job-1/tasks?{V8}"));
    let (status, body) = post(
        &client,
        &add_url,
        &json!({"id": "extra", "commandLine": "x"}),
    );
    assert_eq!(status, 201, "{body}");
    let (status, body) = post(
        &client,
        &add_url,
        &json!({"id": "EXTRA", "commandLine": "x"}),
    );
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "TaskExists");

    let (status, body) = post(
        &client,
        &server.url(&format!("/jobs/job-1/addtaskcollection?{V8}")),
        &json!({"value": [
            {"id": "task-03", "commandLine": "x"},
            {"id": "new-1", "commandLine": "x"},
            {"id": "NEW-1", "commandLine": "x"},
        ]}),
    );
    assert_eq!(status, 200, "{body}");
    let statuses: Vec<&str> = body["value"]
        .as_array()
        .expect("results")
        .iter()
        .map(|result| result["status"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        statuses,
        ["clienterror", "success", "clienterror"],
        "{body}"
    );
    assert_eq!(body["value"][0]["error"]["code"], "TaskExists");

    let (status, body) = get(
        &client,
        &server.url(&format!("/jobs/job-1/tasks/TASK-07?{V8}")),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], "Task-07");
    let (status, body) = get(
        &client,
        &server.url(&format!("/jobs/job-1/tasks/nope?{V8}")),
    );
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["code"], "TaskNotFound");

    let (status, body) = get(
        &client,
        &server.url(&format!("/jobs/job-1/taskcounts?{V8}")),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["active"], 27, "{body}");
    assert_eq!(body["completed"], 0, "{body}");

    let expected: Vec<String> = (10..20).map(|i| format!("Task-{i}")).collect();
    assert_eq!(
        list_ids(&client, &server, "startswith(id, 'task-1')", 3),
        expected
    );
    let mut all: Vec<String> = (0..25).map(|i| format!("Task-{i:02}")).collect();
    all.extend(["extra".to_owned(), "new-1".to_owned()]);
    all.sort_by_key(|id| id.to_lowercase());
    assert_eq!(list_ids(&client, &server, "state eq 'active'", 7), all);
    assert!(list_ids(&client, &server, "state eq 'completed'", 7).is_empty());

    let (status, body) = get(
        &client,
        &server.url(&format!(
            "/jobs/job-1/tasks?{V8}&$filter=commandLine%20eq%20'x'"
        )),
    );
    assert_eq!(
        status, 400,
        "strict mode rejects undocumented properties: {body}"
    );
}

#[test]
fn postgres_server_rejects_nul_and_empties_deleted_jobs() {
    let cluster = Cluster::start();
    let server = PgServer::start(cluster.url());
    let client = client();
    let job = json!({"id": "job-1", "poolInfo": {"poolId": "pool"}});
    let (status, body) = post(&client, &server.url(&format!("/jobs?{V8}")), &job);
    assert_eq!(status, 201, "{body}");

    // PostgreSQL text cannot contain NUL, so a task with one is a client error, never a
    // 500. The other tasks of its collection are still added.
    let add_url = server.url(&format!("/jobs/job-1/tasks?{V8}"));
    let (status, body) = post(
        &client,
        &add_url,
        &json!({"id": "nul", "commandLine": "a\u{0}b"}),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "InvalidPropertyValue");
    let (status, body) = post(
        &client,
        &server.url(&format!("/jobs/job-1/addtaskcollection?{V8}")),
        &json!({"value": [
            {"id": "kept", "commandLine": "x"},
            {"id": "nul", "commandLine": "x", "environmentSettings": [{"name": "\u{0}", "value": "v"}]},
        ]}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"][0]["status"], "success", "{body}");
    assert_eq!(body["value"][1]["status"], "clienterror", "{body}");
    assert_eq!(body["value"][1]["error"]["code"], "InvalidPropertyValue");
    // A backslash followed by `u0000` is ordinary text.
    let (status, body) = post(
        &client,
        &add_url,
        &json!({"id": "backslash", "commandLine": "\\u0000"}),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        list_ids(&client, &server, "state eq 'active'", 10),
        ["backslash", "kept"]
    );

    // A job added again after Delete Job starts without the old job's tasks and counts.
    let job_url = server.url(&format!("/jobs/job-1?{V8}"));
    let status = client.delete(&job_url).send().expect("a response").status();
    assert_eq!(status.as_u16(), 202);
    let (status, body) = post(&client, &server.url(&format!("/jobs?{V8}")), &job);
    assert_eq!(status, 201, "{body}");
    assert!(list_ids(&client, &server, "state eq 'active'", 10).is_empty());
    let (status, body) = get(
        &client,
        &server.url(&format!("/jobs/job-1/taskcounts?{V8}")),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["active"], 0, "{body}");
}
