//! Helpers that the HTTP test suites share: a server on its own thread, and requests with
//! a timeout.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Duration;

use batch_odata::server::{Config, Server, SharedKey};
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::Value;

pub const ACCOUNT: &str = "testaccount";
pub const KEY: &str = "c2VjcmV0LWtleS1mb3ItdGVzdHM=";

/// A server running on its own thread and runtime.
pub struct TestServer {
    pub base: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    pub fn start(data_dir: &Path, with_key: bool) -> TestServer {
        let mut config = Config::new("127.0.0.1:0".parse().unwrap(), data_dir);
        if with_key {
            config.shared_key = Some(SharedKey::new(ACCOUNT, KEY).unwrap());
        }
        TestServer::start_with(config)
    }

    pub fn start_with(config: Config) -> TestServer {
        let (address_tx, address_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(async move {
                let server = Server::bind(config).await.expect("the server starts");
                address_tx.send(server.local_addr().unwrap()).unwrap();
                let shutdown = async {
                    let _ = shutdown_rx.await;
                };
                server.run(shutdown).await.expect("the server runs");
            });
        });
        let address = address_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the server reports its address");
        TestServer {
            base: format!("http://{address}"),
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        }
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.base)
    }

    /// Stops the server and waits until its database is closed.
    pub fn stop(mut self) {
        self.shutdown_now();
    }

    pub fn shutdown_now(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().expect("the server thread ends cleanly");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}

/// Returns a new empty directory for one test.
pub fn data_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("batch-odata-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

pub fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

pub fn send(request: RequestBuilder) -> Response {
    request.send().expect("the request gets a response")
}

pub fn body(response: Response) -> Value {
    let text = response.text().expect("a readable body");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("a JSON body: {text:?}"))
}

pub fn post_json(server: &TestServer, path_and_query: &str, value: &Value) -> Response {
    send(
        client()
            .post(server.url(path_and_query))
            .header("content-type", "application/json; odata=minimalmetadata")
            .body(value.to_string()),
    )
}

pub fn get(server: &TestServer, path_and_query: &str) -> Response {
    send(client().get(server.url(path_and_query)))
}
