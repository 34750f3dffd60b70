//! Small task sets and changes to them, generated from fuzzer bytes.

use arbitrary::{Arbitrary, Result, Unstructured};
use serde_json::{Map, Value};

/// Ids that differ in case, in folding (`ß`, final sigma) and by prefixes, so that the id
/// order, case-insensitive uniqueness and prefix tests all get exercised.
pub const IDS: [&str; 12] = [
    "task-1",
    "Task-10",
    "TASK-2",
    "task-20",
    "müller",
    "MÜLLER-2",
    "ßa",
    "ssa",
    "σς",
    "a'b",
    "z",
    "",
];
/// The task states, in the case the service writes them.
pub const STATES: [&str; 4] = ["active", "preparing", "running", "completed"];
/// `executionInfo/result` values: absent, or in varied case.
pub const RESULTS: [Option<&str>; 4] = [None, Some("success"), Some("Failure"), Some("FAILURE")];
/// Date-times that coincide in UTC, differ by one tick, or have an offset.
pub const TIMES: [&str; 4] = [
    "2018-12-01T00:00:00Z",
    "2018-12-01T00:00:00.0000001Z",
    "2018-12-01T02:00:00+02:00",
    "2018-12-02T12:30:00Z",
];

/// One task's JSON, built from fuzzer bytes.
#[derive(Clone, Debug)]
pub struct TaskJson(pub Map<String, Value>);

impl TaskJson {
    /// Returns the task's id.
    pub fn id(&self) -> &str {
        self.0.get("id").and_then(Value::as_str).unwrap_or_default()
    }
}

impl<'a> Arbitrary<'a> for TaskJson {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut task = Map::new();
        task.insert("id".into(), (*u.choose(&IDS)?).into());
        if u.ratio(7, 8)? {
            task.insert("state".into(), (*u.choose(&STATES)?).into());
        }
        if u.arbitrary()? {
            task.insert("creationTime".into(), (*u.choose(&TIMES)?).into());
        }
        if u.ratio(3, 4)? {
            let mut execution = Map::new();
            if let Some(result) = u.choose(&RESULTS)? {
                execution.insert("result".into(), (*result).into());
            }
            if u.arbitrary()? {
                execution.insert("exitCode".into(), u.int_in_range(-3..=4)?.into());
            }
            execution.insert("retryCount".into(), u.int_in_range(0..=3)?.into());
            task.insert("executionInfo".into(), Value::Object(execution));
        }
        Ok(TaskJson(task))
    }
}

/// A change to a store, applied to the store and to a plain model of it alike.
#[derive(Arbitrary, Debug)]
pub enum Change {
    /// Inserts a new task or replaces the one with the same id, ignoring case.
    Upsert(TaskJson),
    /// Removes the task with an id, ignoring case, if there is one.
    Remove(IdChoice),
    /// Replaces a stored task by a copy in another state, as a running job would.
    SetState(IdChoice, StateChoice),
}

impl Change {
    /// Returns the change in the form `batch_odata::harness` applies.
    pub fn into_job(self) -> batch_odata::harness::Change {
        use batch_odata::harness::Change as JobChange;
        match self {
            Change::Upsert(task) => JobChange::Upsert(task.0),
            Change::Remove(id) => JobChange::Remove(id.id()),
            Change::SetState(id, state) => JobChange::SetState(id.id(), state.state().to_owned()),
        }
    }
}

/// An index into [`IDS`], optionally with its case changed.
#[derive(Arbitrary, Debug)]
pub struct IdChoice {
    index: u8,
    upper: bool,
}

impl IdChoice {
    /// Returns the id that this choice names.
    pub fn id(&self) -> String {
        let id = IDS[usize::from(self.index) % IDS.len()];
        if self.upper {
            id.to_uppercase()
        } else {
            id.to_owned()
        }
    }
}

/// An index into [`STATES`].
#[derive(Arbitrary, Debug)]
pub struct StateChoice(u8);

impl StateChoice {
    /// Returns the state that this choice names.
    pub fn state(&self) -> &'static str {
        STATES[usize::from(self.0) % STATES.len()]
    }
}
