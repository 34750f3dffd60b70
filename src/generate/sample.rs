//! The random choices behind one synthetic task: state, times, outcome and optional parts.
//!
//! Sampling is kept apart from writing, so the rules that keep a task consistent are all in
//! this file. For example, a running task has a start time and a node, and a failed task has
//! used all its retries. The JSON writer only lays out what it is given.

use super::rng::SplitMix64;

/// One tick is 100 ns, the resolution of Batch date-times.
pub(crate) const SECOND: i64 = 10_000_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
pub(crate) const DAY: i64 = 24 * HOUR;

/// 2018-12-01T00:00:00Z in ticks since 0001-01-01T00:00:00Z, the start of the window that
/// creation times are drawn from.
pub(crate) const WINDOW_START: i64 = 636_792_192_000_000_000;

/// The length of the creation-time window.
pub(crate) const WINDOW_LENGTH: i64 = 30 * DAY;

/// The number of compute nodes in the synthetic pool.
pub(crate) const NODE_COUNT: u64 = 100;

/// A task state, written in lower case as the service does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    Active,
    Preparing,
    Running,
    Completed,
}

impl State {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            State::Active => "active",
            State::Preparing => "preparing",
            State::Running => "running",
            State::Completed => "completed",
        }
    }
}

/// `executionInfo/result`. The service writes this enum capitalized (the 2018-03-01.6.1
/// recording has `"Failure"`), unlike `state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TaskResult {
    Success,
    Failure,
}

impl TaskResult {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TaskResult::Success => "Success",
            TaskResult::Failure => "Failure",
        }
    }
}

/// `executionInfo/failureInfo`, with the category capitalized as the service writes it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) category: &'static str,
    pub(crate) code: &'static str,
    pub(crate) message: &'static str,
}

/// The failure of a task whose command line exited with a nonzero code.
const EXIT_CODE_FAILURE: Failure = Failure {
    category: "UserError",
    code: "FailureExitCode",
    message: "The task exited with an exit code representing a failure",
};

/// The failure of a task terminated while it waited, as in the 2018-03-01.6.1 recording.
const TASK_ENDED: Failure = Failure {
    category: "UserError",
    code: "TaskEnded",
    message: "Task Was Ended by User Request",
};

/// Failures while the node prepared the task, before its command line ran. The codes are
/// members of the SDKs' `TaskFailureInformationCodes`.
const PRE_START_FAILURES: [Failure; 3] = [
    Failure {
        category: "ServerError",
        code: "BlobDownloadMiscError",
        message: "An error occurred while downloading a resource file required for the task",
    },
    Failure {
        category: "ServerError",
        code: "BlobDownloadTimedOut",
        message: "A timeout occurred while downloading a resource file required for the task",
    },
    Failure {
        category: "ServerError",
        code: "ResourceFileWriteFailed",
        message: "The compute node could not write a resource file required for the task",
    },
];

/// Nonzero exit codes that are not in `1..=255`: -1 and the Windows NTSTATUS values for
/// Ctrl+C exit (0xC000013A), access violation (0xC0000005) and an unhandled .NET exception
/// (0xE0434352), as signed 32-bit integers.
const NEGATIVE_EXIT_CODES: [i32; 4] = [-1, -1_073_741_510, -1_073_741_819, -532_462_766];

/// The `maxWallClockTime` and `retentionTime` the service reports when none was set: .NET
/// `TimeSpan.MaxValue`, as in every example response.
pub(crate) const UNLIMITED: &str = "P10675199DT2H48M5.4775807S";

/// The command line and display name of a task; both include the task's number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Work {
    /// `cmd /c "render.exe --frame N"`, display name `Frame N`.
    RenderFrame,
    /// `/bin/bash -c 'python3 process.py --part N'`, display name `Partition N`.
    ProcessPartition,
    /// `cmd /c "echo hello world"` with no display name, as in the SDK test recording.
    HelloWorld,
}

impl Work {
    /// Returns true when the command line runs on a Linux node, false for Windows.
    pub(crate) fn is_linux(self) -> bool {
        self == Work::ProcessPartition
    }
}

/// `userIdentity`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum User {
    /// `autoUser` with an optional `scope` and an `elevationLevel`.
    AutoUser {
        scope: Option<&'static str>,
        elevation_level: &'static str,
    },
    /// A named user account of the pool.
    Named(&'static str),
}

/// `constraints`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Constraints {
    pub(crate) max_wall_clock_time: &'static str,
    /// `max_wall_clock_time` in ticks, `i64::MAX` when unlimited.
    pub(crate) max_wall_clock_ticks: i64,
    pub(crate) retention_time: &'static str,
    /// -1 means unlimited retries.
    pub(crate) max_task_retry_count: i32,
}

/// `nodeInfo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    /// The task was never assigned to a node.
    Absent,
    /// `"nodeInfo": {}`, which the service returned for a task ended before it was scheduled.
    Empty,
    /// The node number, in `1..=NODE_COUNT`.
    Assigned(u64),
}

/// `executionInfo`. Times are ticks since 0001-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Execution {
    pub(crate) start_time: Option<i64>,
    pub(crate) end_time: Option<i64>,
    pub(crate) exit_code: Option<i32>,
    /// `executionInfo/containerInfo/state`, present for started tasks in a container.
    pub(crate) container_state: Option<&'static str>,
    pub(crate) failure: Option<&'static Failure>,
    pub(crate) result: Option<TaskResult>,
    pub(crate) retry_count: i32,
    pub(crate) last_retry_time: Option<i64>,
    pub(crate) requeue_count: i32,
    pub(crate) last_requeue_time: Option<i64>,
}

/// `containerSettings/imageName` and the id of the container the task ran in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Container {
    pub(crate) image: &'static str,
    pub(crate) id: u64,
}

/// Optional parts of a task, each present in a small share of tasks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Extras {
    pub(crate) container: Option<Container>,
    /// 1 for one file by `httpUrl`, 2 for a container prefix as well.
    pub(crate) resource_files: u8,
    pub(crate) output_files: bool,
    pub(crate) environment_settings: bool,
    /// The node number the task prefers.
    pub(crate) affinity_node: Option<u64>,
    pub(crate) authentication_token: bool,
    pub(crate) exit_conditions: bool,
    pub(crate) multi_instance_count: Option<i64>,
    /// The task depends on the task before it.
    pub(crate) depends_on_previous: bool,
    pub(crate) application_package: bool,
}

/// Every value of one synthetic task. Times are ticks since 0001-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Task {
    pub(crate) index: u64,
    pub(crate) work: Work,
    pub(crate) has_display_name: bool,
    pub(crate) state: State,
    pub(crate) creation_time: i64,
    pub(crate) state_transition_time: i64,
    pub(crate) previous: Option<(State, i64)>,
    pub(crate) user: User,
    pub(crate) constraints: Constraints,
    pub(crate) execution: Execution,
    pub(crate) node: Node,
    pub(crate) extras: Extras,
}

impl Task {
    /// Draws task `index` of the data set with this seed.
    pub(crate) fn sample(seed: u64, index: u64) -> Task {
        let mut rng = SplitMix64::for_task(seed, index);

        // The parts that do not depend on the state come first, so adding a state rule
        // never reshuffles them.
        let work = rng.pick(&[Work::RenderFrame, Work::ProcessPartition, Work::HelloWorld]);
        let has_display_name = work != Work::HelloWorld && rng.chance(600);
        let user = sample_user(&mut rng);
        let constraints = sample_constraints(&mut rng);
        let extras = sample_extras(&mut rng, index, work);
        let creation_time = WINDOW_START + rng.below(WINDOW_LENGTH as u64) as i64;

        let mut task = Task {
            index,
            work,
            has_display_name,
            state: State::Active,
            creation_time,
            state_transition_time: creation_time,
            previous: None,
            user,
            constraints,
            execution: Execution::default(),
            node: Node::Absent,
            extras,
        };
        match rng.below(100) {
            0..20 => {}
            20..25 => task.prepare(&mut rng),
            25..40 => task.run(&mut rng),
            _ => task.complete(&mut rng),
        }
        task
    }

    /// Returns the latest time in the task, which is its `lastModified`.
    pub(crate) fn last_modified(&self) -> i64 {
        let execution = &self.execution;
        [
            Some(self.creation_time),
            Some(self.state_transition_time),
            self.previous.map(|(_, time)| time),
            execution.start_time,
            execution.end_time,
            execution.last_retry_time,
            execution.last_requeue_time,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(self.creation_time)
    }

    /// Makes the task wait on its node for the job preparation task. The start time stays
    /// absent because the service sets it only in the running and completed states.
    fn prepare(&mut self, rng: &mut SplitMix64) {
        let assigned = self.creation_time + queue_wait(rng);
        self.enter(State::Preparing, assigned);
        self.node = Node::Assigned(rng.between(1, NODE_COUNT as i64) as u64);
    }

    /// Starts the task, directly from active or after the preparing state.
    fn run(&mut self, rng: &mut SplitMix64) {
        let mut start = self.creation_time + queue_wait(rng);
        if rng.chance(20) {
            // The task was requeued once, for example because its node was preempted, and
            // waited in the active state again.
            self.execution.requeue_count = 1;
            self.execution.last_requeue_time = Some(start);
            start += queue_wait(rng);
        }
        if rng.chance(250) {
            self.enter(State::Preparing, start);
            start += rng.between(SECOND, 10 * MINUTE);
        }
        self.enter(State::Running, start);
        self.execution.start_time = Some(start);
        self.node = Node::Assigned(rng.between(1, NODE_COUNT as i64) as u64);
        if self.extras.container.is_some() {
            self.execution.container_state = Some("running");
        }
    }

    /// Finishes the task: about 83% succeed, 15% exit with a nonzero code, 1.5% fail
    /// before their command line runs and 0.5% are ended while still active. Tasks with
    /// unlimited retries that would fail with an exit code succeed instead.
    fn complete(&mut self, rng: &mut SplitMix64) {
        let outcome = rng.below(1000);
        if outcome < 5 {
            self.end_while_active(rng);
            return;
        }

        self.run(rng);
        let start = self.state_transition_time;
        if outcome < 20 {
            // Resource files are downloaded in the running state, so the task has a start
            // time and a node but no exit code. A failed download needs a file to download.
            self.extras.resource_files = self.extras.resource_files.max(1);
            let end = start + rng.between(SECOND, 5 * MINUTE);
            self.finish(end, TaskResult::Failure, None);
            self.execution.failure = Some(&PRE_START_FAILURES[rng.below(3) as usize]);
            self.execution.container_state = None;
            return;
        }

        let end = start + run_time(rng, self.constraints.max_wall_clock_ticks);
        // The service retries a failing task without end when maxTaskRetryCount is -1, so
        // such a task completes only once it succeeds.
        let unlimited_retries = self.constraints.max_task_retry_count < 0;
        let exit_code = if outcome < 170 && !unlimited_retries {
            nonzero_exit_code(rng, self.work)
        } else {
            0
        };
        if exit_code == 0 {
            self.finish(end, TaskResult::Success, Some(0));
            self.execution.retry_count = self.successful_retries(rng);
        } else {
            self.finish(end, TaskResult::Failure, Some(exit_code));
            self.execution.failure = Some(&EXIT_CODE_FAILURE);
            // The service retries a failed task until maxTaskRetryCount is used up.
            self.execution.retry_count = self.constraints.max_task_retry_count;
        }
        if self.execution.retry_count > 0 {
            // startTime is the start of the latest attempt, which is the latest retry.
            self.execution.last_retry_time = Some(start);
        }
        if self.extras.container.is_some() {
            self.execution.container_state = Some("exited");
        }
    }

    /// Ends the task before any node picked it up, like the terminated task of the
    /// 2018-03-01.6.1 recording: no start time, no exit code and an empty `nodeInfo`.
    fn end_while_active(&mut self, rng: &mut SplitMix64) {
        let end = self.creation_time + queue_wait(rng);
        self.finish(end, TaskResult::Failure, None);
        self.execution.failure = Some(&TASK_ENDED);
        self.node = Node::Empty;
    }

    /// Moves the task to the completed state at `end`.
    fn finish(&mut self, end: i64, result: TaskResult, exit_code: Option<i32>) {
        self.enter(State::Completed, end);
        self.execution.end_time = Some(end);
        self.execution.exit_code = exit_code;
        self.execution.result = Some(result);
    }

    /// Moves the task to `state` at `time`, remembering the state it left.
    fn enter(&mut self, state: State, time: i64) {
        self.previous = Some((self.state, self.state_transition_time));
        self.state = state;
        self.state_transition_time = time;
    }

    /// Returns the retry count of a task that succeeded: usually 0, sometimes it needed
    /// some of its allowed retries.
    fn successful_retries(&self, rng: &mut SplitMix64) -> i32 {
        let allowed = self.constraints.max_task_retry_count;
        if allowed == 0 || !rng.chance(100) {
            return 0;
        }
        let max_retries = if allowed < 0 { 5 } else { allowed };
        rng.between(1, i64::from(max_retries)) as i32
    }
}

fn sample_user(rng: &mut SplitMix64) -> User {
    match rng.below(100) {
        0..70 => User::AutoUser {
            scope: Some("task"),
            elevation_level: "nonadmin",
        },
        70..80 => User::AutoUser {
            scope: Some("pool"),
            elevation_level: "admin",
        },
        80..92 => User::AutoUser {
            scope: None,
            elevation_level: "nonadmin",
        },
        _ => User::Named("task-user"),
    }
}

fn sample_constraints(rng: &mut SplitMix64) -> Constraints {
    let (max_wall_clock_time, max_wall_clock_ticks) = match rng.below(100) {
        0..80 => (UNLIMITED, i64::MAX),
        80..90 => ("PT1H", HOUR),
        90..95 => ("PT4H", 4 * HOUR),
        _ => ("P1D", DAY),
    };
    let retention_time = if rng.chance(850) { UNLIMITED } else { "P7D" };
    let max_task_retry_count = match rng.below(100) {
        0..60 => 0,
        60..98 => rng.between(1, 3) as i32,
        _ => -1,
    };
    Constraints {
        max_wall_clock_time,
        max_wall_clock_ticks,
        retention_time,
        max_task_retry_count,
    }
}

fn sample_extras(rng: &mut SplitMix64, index: u64, work: Work) -> Extras {
    let image = if work.is_linux() {
        "ubuntu:18.04"
    } else {
        "mcr.microsoft.com/windows/servercore:ltsc2019"
    };
    let container = rng.chance(50).then(|| Container {
        image,
        id: rng.next_u64(),
    });
    let resource_files = match rng.below(100) {
        0..15 => 1,
        15..20 => 2,
        _ => 0,
    };
    Extras {
        container,
        resource_files,
        output_files: rng.chance(100),
        environment_settings: rng.chance(300),
        affinity_node: rng
            .chance(20)
            .then(|| rng.between(1, NODE_COUNT as i64) as u64),
        authentication_token: rng.chance(20),
        exit_conditions: rng.chance(30),
        multi_instance_count: rng.chance(10).then(|| rng.between(2, 8)),
        depends_on_previous: index > 0 && rng.chance(30),
        application_package: rng.chance(30),
    }
}

/// Returns the time from creation (or a requeue) until a node picks the task up: at least
/// half a second, usually seconds to minutes, at most two hours.
fn queue_wait(rng: &mut SplitMix64) -> i64 {
    SECOND / 2 + rng.skewed_below((2 * HOUR) as u64) as i64
}

/// Returns how long a task's command line ran: at least a second, at most six hours, and
/// less than its `maxWallClockTime`, which would have stopped it.
fn run_time(rng: &mut SplitMix64, max_wall_clock_ticks: i64) -> i64 {
    let limit = max_wall_clock_ticks.min(6 * HOUR);
    SECOND + rng.skewed_below((limit - SECOND) as u64) as i64
}

/// Returns a failing exit code: mostly 1, otherwise spread over `2..=255`, and on Windows 1
/// in 10 one of the negative codes that Windows processes end with. Linux exit statuses are
/// a single byte, so they are never negative.
fn nonzero_exit_code(rng: &mut SplitMix64, work: Work) -> i32 {
    match rng.below(10) {
        0..4 => 1,
        9 if !work.is_linux() => rng.pick(&NEGATIVE_EXIT_CODES),
        _ => rng.between(2, 255) as i32,
    }
}
