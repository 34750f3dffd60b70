//! The OpenAPI description `openapi/batch-odata.json` against the server: it names exactly
//! the routes and methods the server serves, and real responses of every operation match
//! its status codes and schemas.

mod support;

use std::collections::BTreeSet;

use batch_odata::server::ROUTES;
use reqwest::Method;
use reqwest::blocking::Response;
use serde_json::{Value, json};
use support::{TestServer, client, data_dir, send};

const V8: &str = "api-version=2018-12-01.8.0";
const V61: &str = "api-version=2018-03-01.6.1";

/// The methods probed on every path.
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

fn description() -> Value {
    let text = include_str!("../openapi/batch-odata.json");
    serde_json::from_str(text).expect("the description is JSON")
}

/// Returns the `(path, method)` pairs the description documents, methods in upper case.
fn documented_operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method.to_lowercase()).is_some() {
                operations.insert((path.clone(), method.to_owned()));
            }
        }
    }
    operations
}

/// Replaces the path parameters of a template with ids that exist.
fn concrete(template: &str) -> String {
    template
        .replace("{jobId}", "job-1")
        .replace("{taskId}", "task-1")
}

#[test]
fn routes_match_description() {
    let doc = description();
    let routes: BTreeSet<(String, String)> = ROUTES
        .iter()
        .flat_map(|(path, methods)| {
            methods
                .iter()
                .map(|method| (path.to_string(), method.to_string()))
        })
        .collect();
    assert_eq!(routes, documented_operations(&doc));
}

#[test]
fn server_serves_exactly_the_routes() {
    let server = TestServer::start(&data_dir("openapi-routes"), false);
    add_job_and_task(&server);

    // A method a path lacks gets 405 from the router. A documented one reaches a handler,
    // which never returns 405 or the fallback's InvalidUri.
    for (template, methods) in ROUTES {
        let url = server.url(&format!("{}?{V8}", concrete(template)));
        for method in METHODS {
            let request = client()
                .request(Method::from_bytes(method.as_bytes()).unwrap(), &url)
                .header("content-type", "application/json")
                .body("{}");
            let response = send(request);
            let status = response.status().as_u16();
            let code = error_code(response);
            if methods.contains(&method) {
                assert_ne!(status, 405, "{method} {template}");
                assert_ne!(code, "InvalidUri", "{method} {template}");
            } else {
                assert_eq!(status, 405, "{method} {template}");
                assert_eq!(code, "UnsupportedHttpVerb", "{method} {template}");
            }
        }
    }

    let unknown = send(client().get(server.url(&format!("/pools?{V8}"))));
    assert_eq!(unknown.status(), 404);
    assert_eq!(error_code(unknown), "InvalidUri");
}

#[test]
fn responses_match_schemas() {
    let doc = description();
    let server = TestServer::start(&data_dir("openapi-responses"), false);
    let check = |method: &str, template: &str, response: Response| {
        check_response(&doc, method, template, response)
    };
    let post = |path: &str, body: &Value| {
        send(
            client()
                .post(server.url(path))
                .header("content-type", "application/json")
                .body(body.to_string()),
        )
    };
    let get = |path: &str| send(client().get(server.url(path)));
    let delete = |path: &str| send(client().delete(server.url(path)));

    let job = json!({"id": "job-1", "poolInfo": {"poolId": "pool"}, "priority": 3});
    check("post", "/jobs", post(&format!("/jobs?{V8}"), &job));
    check("post", "/jobs", post(&format!("/jobs?{V8}"), &job));
    check(
        "post",
        "/jobs",
        post(&format!("/jobs?{V8}"), &json!({"id": "x"})),
    );
    check("get", "/jobs", get(&format!("/jobs?{V8}")));
    check("get", "/jobs", get(&format!("/jobs?{V8}&$select=id,state")));
    check(
        "get",
        "/jobs",
        get(&format!("/jobs?{V8}&$filter=priority%20eq%201")),
    );
    check("get", "/jobs/{jobId}", get(&format!("/jobs/job-1?{V8}")));
    check(
        "get",
        "/jobs/{jobId}",
        get(&format!("/jobs/job-1?{V8}&$select=id,priority")),
    );
    check("get", "/jobs/{jobId}", get(&format!("/jobs/none?{V8}")));

    let task = json!({"id": "task-1", "commandLine": "echo"});
    check(
        "post",
        "/jobs/{jobId}/tasks",
        post(&format!("/jobs/job-1/tasks?{V8}"), &task),
    );
    check(
        "post",
        "/jobs/{jobId}/tasks",
        post(&format!("/jobs/job-1/tasks?{V8}"), &task),
    );
    let collection = json!({"value": [
        {"id": "task-2", "commandLine": "echo"},
        {"id": "task-1", "commandLine": "echo"},
        {"id": "bad id", "commandLine": "echo"},
    ]});
    let add_collection = "/jobs/{jobId}/addtaskcollection";
    check(
        "post",
        add_collection,
        post(&format!("/jobs/job-1/addtaskcollection?{V8}"), &collection),
    );

    let tasks = "/jobs/{jobId}/tasks";
    check(
        "get",
        tasks,
        get(&format!("/jobs/job-1/tasks?{V8}&maxresults=1")),
    );
    check(
        "get",
        tasks,
        get(&format!("/jobs/job-1/tasks?{V8}&$expand=stats")),
    );
    check(
        "get",
        tasks,
        get(&format!("/jobs/job-1/tasks?{V8}&$filter=state%20eq%20'x'")),
    );
    check("get", tasks, get(&format!("/jobs/none/tasks?{V8}")));
    let one = "/jobs/{jobId}/tasks/{taskId}";
    check(
        "get",
        one,
        get(&format!("/jobs/job-1/tasks/task-1?{V8}&$select=id,state")),
    );
    check("get", one, get(&format!("/jobs/job-1/tasks/none?{V8}")));

    let terminate = "/jobs/{jobId}/tasks/{taskId}/terminate";
    let terminate_url = format!("/jobs/job-1/tasks/task-1/terminate?{V8}");
    check("post", terminate, post(&terminate_url, &json!({})));
    check("post", terminate, post(&terminate_url, &json!({})));
    let counts = "/jobs/{jobId}/taskcounts";
    check("get", counts, get(&format!("/jobs/job-1/taskcounts?{V8}")));
    check("get", counts, get(&format!("/jobs/job-1/taskcounts?{V61}")));
    check(
        "get",
        counts,
        get("/jobs/job-1/taskcounts?api-version=2017-05-01.5.0"),
    );
    check("get", one, get(&format!("/jobs/job-1/tasks/task-1?{V61}")));

    check(
        "delete",
        one,
        delete(&format!("/jobs/job-1/tasks/task-2?{V8}")),
    );
    check(
        "delete",
        one,
        delete(&format!("/jobs/job-1/tasks/task-2?{V8}")),
    );
    check(
        "delete",
        "/jobs/{jobId}",
        delete(&format!("/jobs/job-1?{V8}")),
    );
    check(
        "delete",
        "/jobs/{jobId}",
        delete(&format!("/jobs/job-1?{V8}")),
    );
}

fn add_job_and_task(server: &TestServer) {
    let job = json!({"id": "job-1", "poolInfo": {"poolId": "pool"}});
    let task = json!({"id": "task-1", "commandLine": "echo"});
    for (path, value) in [("/jobs", job), ("/jobs/job-1/tasks", task)] {
        let response = send(
            client()
                .post(server.url(&format!("{path}?{V8}")))
                .header("content-type", "application/json")
                .body(value.to_string()),
        );
        assert_eq!(response.status(), 201, "{path}");
    }
}

fn error_code(response: Response) -> String {
    let text = response.text().unwrap_or_default();
    let body: Value = serde_json::from_str(&text).unwrap_or_default();
    body["code"].as_str().unwrap_or_default().to_owned()
}

/// Checks that the operation documents the response's status, that its JSON body matches
/// the documented schema, and that a documented body is present.
fn check_response(doc: &Value, method: &str, template: &str, response: Response) {
    let status = response.status().as_u16().to_string();
    let operation = &doc["paths"][template][method];
    assert!(
        operation.is_object(),
        "{method} {template} is not described"
    );
    let described = resolve(doc, &operation["responses"][&status]);
    assert!(
        described.is_object(),
        "{method} {template}: status {status} is not described"
    );

    let request_id = response.headers()["request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        uuid_like(&request_id),
        "{method} {template}: request-id {request_id}"
    );
    let text = response.text().expect("a readable body");
    let schema = &described["content"]["application/json"]["schema"];
    if schema.is_null() {
        assert!(text.is_empty(), "{method} {template} {status}: {text}");
        return;
    }
    let instance: Value = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("{method} {template} {status}: not JSON: {text}"));
    let errors = schema_errors(doc, schema, &instance);
    assert!(
        errors.is_empty(),
        "{method} {template} {status}: {errors:?}\n{instance}"
    );
}

/// Validates `instance` against `schema`, whose `$ref`s point into the description's
/// components, and returns the errors.
fn schema_errors(doc: &Value, schema: &Value, instance: &Value) -> Vec<String> {
    let root = json!({"allOf": [schema], "components": doc["components"]});
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&root)
        .expect("the schema compiles");
    validator
        .iter_errors(instance)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect()
}

#[test]
fn schemas_reject_wrong_bodies() {
    let doc = description();
    let counts = json!({"$ref": "#/components/schemas/TaskCounts"});
    let valid = json!({"active": 1, "running": 0, "completed": 0, "succeeded": 0, "failed": 0});
    assert!(schema_errors(&doc, &counts, &valid).is_empty());
    let wrong = json!({"active": "1", "running": 0, "completed": 0, "succeeded": 0});
    assert_eq!(schema_errors(&doc, &counts, &wrong).len(), 2);

    let list = json!({"$ref": "#/components/schemas/CloudTaskList"});
    let bad_time = json!({"value": [{"id": "a", "creationTime": "yesterday"}]});
    assert_eq!(schema_errors(&doc, &list, &bad_time).len(), 1);
    let bad_state = json!({"value": [{"id": "a", "state": "sleeping"}]});
    assert_eq!(schema_errors(&doc, &list, &bad_state).len(), 1);
}

/// Follows a `$ref` to `#/components/...` one level.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str() {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            doc.pointer(pointer).unwrap_or(&Value::Null)
        }
        None => value,
    }
}

fn uuid_like(text: &str) -> bool {
    let groups: Vec<usize> = text.split('-').map(str::len).collect();
    groups == [8, 4, 4, 4, 12] && text.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
}
