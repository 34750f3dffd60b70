//! The built-in data set that the CLI uses without `--tasks`: the tasks of the real and
//! documented example responses, plus a generated job.

use crate::error::{Error, ErrorKind, Parameter};
use crate::generate::Generator;
use crate::task::{TaskRecord, load_tasks};

/// The tasks of the example responses, one JSON object per line.
const EXAMPLE_TASKS: &str = include_str!("../fixtures/tasks/examples.ndjson");

/// How many tasks the generated job has.
pub const GENERATED_TASKS: u64 = 100_000;

/// The seed of the generated job.
pub const GENERATED_SEED: u64 = 0;

/// Returns the built-in tasks: the 12 example tasks, then a generated job of
/// [`GENERATED_TASKS`] tasks with seed [`GENERATED_SEED`].
pub fn builtin() -> Result<Vec<TaskRecord>, Error> {
    let mut records = load_tasks(EXAMPLE_TASKS)?;
    records.reserve(GENERATED_TASKS as usize);
    let mut generator = Generator::new(GENERATED_TASKS, GENERATED_SEED);
    let mut buffer = Vec::new();
    while generator.write_next(&mut buffer) {
        let record = std::str::from_utf8(&buffer)
            .map_err(|e| e.to_string())
            .and_then(|text| TaskRecord::parse(text).map_err(|e| e.to_string()))
            .map_err(|reason| {
                // The generator writes valid tasks, so a failure here is a bug: name the task.
                let kind = ErrorKind::TaskInvalid {
                    line: records.len() + 1,
                    field: None,
                    reason,
                };
                Error::whole(kind, Parameter::Tasks, "")
            })?;
        records.push(record);
        buffer.clear();
    }
    Ok(records)
}
