//! Lays out a sampled task as CloudTask JSON in the 2018-12-01.8.0 shape.
//!
//! Properties come in the order the service sends them in the recorded and documented
//! responses: identity and times, then the command line and its settings, then
//! `constraints`, `executionInfo` and `nodeInfo`.

use super::json::{JsonWriter, Text};
use super::sample::{Container, Execution, Node, Task, User, Work};
use super::{ACCOUNT_URL, JOB_ID, POOL_ID};

/// The blob storage account that resource and output files point at.
const STORAGE_URL: &str = "https://mystorage.blob.core.windows.net";

/// The node id before and after the node number, in the service's `tvm-` format.
const NODE_ID_PREFIX: &str = "tvm-1960513842_";
const NODE_ID_SUFFIX: &str = "-20181130t220311z";

/// Writes `task` as one compact JSON object, with the id's number zero-padded to
/// `id_width` digits.
pub(crate) fn write_task(out: &mut Vec<u8>, task: &Task, id_width: usize) {
    let id = |text: &mut Text<'_>| push_task_id(text, task.index, id_width);
    let mut json = JsonWriter::new(out);
    json.begin_object();

    json.key("id").string_from(id);
    if task.has_display_name {
        json.key("displayName").string_from(|text| {
            text.push(display_name_prefix(task.work));
            text.decimal(task.index, 1);
        });
    }
    json.key("url").string_from(|text| {
        push_job_url(text);
        text.push("/tasks/");
        id(text);
    });

    // The service's eTag is the lastModified time in ticks, in hexadecimal. For example, the
    // recorded eTag 0x8D588B2C2C1A1A9 goes with lastModified 2018-03-13T07:19:29.5819177Z.
    let last_modified = task.last_modified();
    json.key("eTag")
        .string_from(|text| text.hex_upper(last_modified as u64));
    json.key("creationTime").date_time(task.creation_time);
    json.key("lastModified").date_time(last_modified);
    json.key("state").string(task.state.as_str());
    json.key("stateTransitionTime")
        .date_time(task.state_transition_time);
    if let Some((state, time)) = task.previous {
        json.key("previousState").string(state.as_str());
        json.key("previousStateTransitionTime").date_time(time);
    }
    json.key("commandLine")
        .string_from(|text| push_command_line(text, task));

    write_settings(&mut json, task);
    write_user_identity(&mut json, task.user);
    write_policies(&mut json, task);
    write_constraints(&mut json, task);
    write_execution_info(&mut json, &task.execution, task.extras.container);
    write_node_info(&mut json, task, id_width);
    write_references(&mut json, task, id_width);

    json.end_object();
}

/// Writes what the task brings to its node: container, files, environment and affinity.
fn write_settings(json: &mut JsonWriter<'_>, task: &Task) {
    let extras = &task.extras;
    if let Some(container) = extras.container {
        json.key("containerSettings").begin_object();
        json.key("imageName").string(container.image);
        json.end_object();
    }
    if extras.resource_files > 0 {
        write_resource_files(json, task);
    }
    if extras.output_files {
        write_output_files(json, task);
    }
    if extras.environment_settings {
        json.key("environmentSettings").begin_array();
        json.begin_object();
        json.key("name").string("TASK_NUMBER");
        json.key("value")
            .string_from(|text| text.decimal(task.index, 1));
        json.end_object();
        json.begin_object();
        json.key("name").string("OUTPUT_DIR");
        json.key("value").string("output");
        json.end_object();
        json.end_array();
    }
    if let Some(node) = extras.affinity_node {
        json.key("affinityInfo").begin_object();
        json.key("affinityId").string_from(|text| {
            text.push("TVM:");
            push_node_id(text, node);
        });
        json.end_object();
    }
}

/// Writes one input file by URL and, for some tasks, a folder of tools by container prefix,
/// in the `httpUrl` / `storageContainerUrl` shape that 2018-12-01.8.0 introduced.
fn write_resource_files(json: &mut JsonWriter<'_>, task: &Task) {
    json.key("resourceFiles").begin_array();
    json.begin_object();
    json.key("httpUrl").string_from(|text| {
        text.push(STORAGE_URL);
        text.push("/inputs/part-");
        text.decimal(task.index, 1);
        text.push(".dat");
    });
    json.key("filePath").string_from(|text| {
        text.push("inputs/part-");
        text.decimal(task.index, 1);
        text.push(".dat");
    });
    json.end_object();
    if task.extras.resource_files > 1 {
        json.begin_object();
        json.key("storageContainerUrl").string_from(|text| {
            text.push(STORAGE_URL);
            text.push("/tools");
        });
        json.key("blobPrefix").string("bin/");
        json.key("filePath").string("tools");
        // fileMode is a Linux permission mode, which the service ignores on Windows nodes.
        if task.work.is_linux() {
            json.key("fileMode").string("0755");
        }
        json.end_object();
    }
    json.end_array();
}

/// Writes uploads of stdout on completion and of stderr on failure, like the second task of
/// the 2018-03-01.6.1 recording.
fn write_output_files(json: &mut JsonWriter<'_>, task: &Task) {
    json.key("outputFiles").begin_array();
    for (pattern, condition) in [
        ("stdout.txt", "TaskCompletion"),
        ("stderr.txt", "TaskFailure"),
    ] {
        json.begin_object();
        json.key("filePattern").string_from(|text| {
            text.push("../");
            text.push(pattern);
        });
        json.key("destination").begin_object();
        json.key("container").begin_object();
        json.key("containerUrl").string_from(|text| {
            text.push(STORAGE_URL);
            text.push("/outputs");
        });
        json.key("path").string_from(|text| {
            text.push(JOB_ID);
            text.push("/part-");
            text.decimal(task.index, 1);
            text.push("/");
            text.push(pattern);
        });
        json.end_object();
        json.end_object();
        json.key("uploadOptions").begin_object();
        json.key("uploadCondition").string(condition);
        json.end_object();
        json.end_object();
    }
    json.end_array();
}

fn write_user_identity(json: &mut JsonWriter<'_>, user: User) {
    json.key("userIdentity").begin_object();
    match user {
        User::AutoUser {
            scope,
            elevation_level,
        } => {
            json.key("autoUser").begin_object();
            if let Some(scope) = scope {
                json.key("scope").string(scope);
            }
            json.key("elevationLevel").string(elevation_level);
            json.end_object();
        }
        User::Named(name) => {
            json.key("username").string(name);
        }
    }
    json.end_object();
}

/// Writes the token, exit-condition and multi-instance settings, each on a few tasks.
fn write_policies(json: &mut JsonWriter<'_>, task: &Task) {
    let extras = &task.extras;
    if extras.authentication_token {
        json.key("authenticationTokenSettings").begin_object();
        json.key("access").begin_array();
        json.string("job");
        json.end_array();
        json.end_object();
    }
    if extras.exit_conditions {
        // The exit conditions of the first task in the 2018-03-01.6.1 recording.
        json.key("exitConditions").begin_object();
        json.key("exitCodes").begin_array();
        json.begin_object();
        json.key("code").int(1);
        write_job_action(json, "exitOptions", "terminate");
        json.end_object();
        json.end_array();
        json.key("exitCodeRanges").begin_array();
        json.begin_object();
        json.key("start").int(2);
        json.key("end").int(4);
        write_job_action(json, "exitOptions", "disable");
        json.end_object();
        json.end_array();
        write_job_action(json, "default", "none");
        json.end_object();
    }
    if let Some(count) = extras.multi_instance_count {
        json.key("multiInstanceSettings").begin_object();
        json.key("numberOfInstances").int(count);
        // MS-MPI on Windows needs its daemon started on every node first.
        let coordination = if task.work.is_linux() {
            "/bin/bash -c 'echo coordination ready'"
        } else {
            "cmd /c start cmd /c smpd.exe -d"
        };
        json.key("coordinationCommandLine").string(coordination);
        json.end_object();
    }
}

fn write_job_action(json: &mut JsonWriter<'_>, key: &str, action: &str) {
    json.key(key).begin_object();
    json.key("jobAction").string(action);
    json.end_object();
}

fn write_constraints(json: &mut JsonWriter<'_>, task: &Task) {
    let constraints = &task.constraints;
    json.key("constraints").begin_object();
    json.key("maxWallClockTime")
        .string(constraints.max_wall_clock_time);
    json.key("retentionTime").string(constraints.retention_time);
    json.key("maxTaskRetryCount")
        .int(i64::from(constraints.max_task_retry_count));
    json.end_object();
}

/// Writes `executionInfo`: times and exit code, then container and failure details, then the
/// retry and requeue counters, which the service always sends.
fn write_execution_info(
    json: &mut JsonWriter<'_>,
    execution: &Execution,
    container: Option<Container>,
) {
    json.key("executionInfo").begin_object();
    if let Some(start) = execution.start_time {
        json.key("startTime").date_time(start);
    }
    if let Some(end) = execution.end_time {
        json.key("endTime").date_time(end);
    }
    if let Some(exit_code) = execution.exit_code {
        json.key("exitCode").int(i64::from(exit_code));
    }

    if let (Some(state), Some(container)) = (execution.container_state, container) {
        json.key("containerInfo").begin_object();
        json.key("containerId")
            .string_from(|text| text.hex_lower_16(container.id));
        json.key("state").string(state);
        json.end_object();
    }
    if let Some(failure) = execution.failure {
        json.key("failureInfo").begin_object();
        json.key("category").string(failure.category);
        json.key("code").string(failure.code);
        json.key("message").string(failure.message);
        json.end_object();
    }
    if let Some(result) = execution.result {
        json.key("result").string(result.as_str());
    }

    json.key("retryCount").int(i64::from(execution.retry_count));
    if let Some(time) = execution.last_retry_time {
        json.key("lastRetryTime").date_time(time);
    }
    json.key("requeueCount")
        .int(i64::from(execution.requeue_count));
    if let Some(time) = execution.last_requeue_time {
        json.key("lastRequeueTime").date_time(time);
    }
    json.end_object();
}

/// Writes `nodeInfo` with the fields the documentation's running-task example shows.
fn write_node_info(json: &mut JsonWriter<'_>, task: &Task, id_width: usize) {
    let node = match task.node {
        Node::Absent => return,
        Node::Empty => {
            json.key("nodeInfo").begin_object();
            json.end_object();
            return;
        }
        Node::Assigned(node) => node,
    };
    let root_directory = |text: &mut Text<'_>| {
        text.push("tasks/");
        text.push(JOB_ID);
        text.push("/job-1/");
        push_task_id(text, task.index, id_width);
        text.push("/wd");
    };

    json.key("nodeInfo").begin_object();
    json.key("affinityId").string_from(|text| {
        text.push("TVM:");
        push_node_id(text, node);
    });
    json.key("nodeUrl")
        .string_from(|text| push_node_url(text, node));
    json.key("poolId").string(POOL_ID);
    json.key("nodeId")
        .string_from(|text| push_node_id(text, node));
    json.key("taskRootDirectory").string_from(root_directory);
    json.key("taskRootDirectoryUrl").string_from(|text| {
        push_node_url(text, node);
        text.push("/files/");
        root_directory(text);
    });
    json.end_object();
}

/// Writes the task's dependency on the previous task and its application package.
fn write_references(json: &mut JsonWriter<'_>, task: &Task, id_width: usize) {
    if task.extras.depends_on_previous {
        json.key("dependsOn").begin_object();
        json.key("taskIds").begin_array();
        json.string_from(|text| push_task_id(text, task.index.saturating_sub(1), id_width));
        json.end_array();
        json.end_object();
    }
    if task.extras.application_package {
        json.key("applicationPackageReferences").begin_array();
        json.begin_object();
        json.key("applicationId").string("ffmpeg");
        json.key("version").string("4.1");
        json.end_object();
        json.end_array();
    }
}

fn push_task_id(text: &mut Text<'_>, index: u64, id_width: usize) {
    text.push("task-");
    text.decimal(index, id_width);
}

fn push_job_url(text: &mut Text<'_>) {
    text.push(ACCOUNT_URL);
    text.push("/jobs/");
    text.push(JOB_ID);
}

fn push_node_id(text: &mut Text<'_>, node: u64) {
    text.push(NODE_ID_PREFIX);
    text.decimal(node, 1);
    text.push(NODE_ID_SUFFIX);
}

fn push_node_url(text: &mut Text<'_>, node: u64) {
    text.push(ACCOUNT_URL);
    text.push("/pools/");
    text.push(POOL_ID);
    text.push("/nodes/");
    push_node_id(text, node);
}

fn display_name_prefix(work: Work) -> &'static str {
    match work {
        Work::RenderFrame => "Frame ",
        Work::ProcessPartition => "Partition ",
        Work::HelloWorld => "Task ",
    }
}

fn push_command_line(text: &mut Text<'_>, task: &Task) {
    match task.work {
        Work::RenderFrame => {
            text.push("cmd /c \"render.exe --frame ");
            text.decimal(task.index, 1);
            text.push("\"");
        }
        Work::ProcessPartition => {
            text.push("/bin/bash -c 'python3 process.py --part ");
            text.decimal(task.index, 1);
            text.push("'");
        }
        Work::HelloWorld => text.push("cmd /c \"echo hello world\""),
    }
}
