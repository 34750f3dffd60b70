//! Deterministic synthetic tasks of one job, for tests, benchmarks and the built-in data set.
//!
//! [`write_ndjson`] writes `count` CloudTask objects in the 2018-12-01.8.0 wire shape, one per
//! line, and [`generate`] yields the same tasks as `serde_json::Value`s. Tasks come in id
//! order: `task-0000000`, `task-0000001`, … with the number zero-padded to seven digits, or
//! to as many as `count - 1` needs when that is more. So `startswith(id,'task-0012')` selects
//! one task in a thousand of ten million.
//!
//! # Determinism
//!
//! The same `(count, seed)` gives byte-identical output on every platform and build. All
//! random choices come from a SplitMix64 generator written in this crate, seeded per task
//! from `(seed, index)`, and no value depends on floating point, hash map order or the clock.
//! A task's content depends only on the seed and its index, except that the id width depends
//! on `count`, so a smaller data set is a prefix of a larger one with the same id width. A
//! test pins a digest of the output, so an accidental change fails `cargo test`.
//!
//! # Shape of the data
//!
//! * States: about 20% `active`, 5% `preparing`, 15% `running`, 60% `completed`.
//! * Completed tasks: about 83% exit with code 0 and result `Success`. About 15% exit with
//!   a nonzero code (mostly 1, else 2 to 255, and for one Windows task in ten a negative code
//!   such as -1073741510), with result `Failure` and a `UserError` / `FailureExitCode`
//!   failure. A failed task has used all of its `maxTaskRetryCount` retries.
//!   1.5% fail with a `ServerError` while downloading resource files, with a start time but
//!   no exit code. 0.5% are ended while active: no start time, no exit code, `TaskEnded`.
//! * Running tasks have a start time and a node. Preparing tasks have a node but no start
//!   time, because the service sets `startTime` only in the running and completed states.
//!   Active tasks have only `retryCount` and `requeueCount` in `executionInfo`, and no node.
//! * `creationTime` is uniform over the 30 days from 2018-12-01T00:00:00Z. Later times
//!   follow from it, so they may fall after the window. Every time is at or after the one
//!   before it: creation, optional requeue, preparing, start, end. `lastModified` is the
//!   latest time in the task and `eTag` is that time in ticks, in hexadecimal, as the service
//!   writes it.
//! * Date-times have up to seven fractional digits with trailing zeros dropped, as the
//!   service writes them (`2018-03-13T07:19:20.9236757Z`, `2018-03-13T07:19:22.319598Z`).
//! * Enum casing follows the real service, which writes `state` in lower case but
//!   `executionInfo/result` and `failureInfo/category` capitalized (`Failure`, `UserError`).
//!   Batch compares values ignoring case, so consumers must too.
//! * Optional parts appear on about this share of tasks: `displayName` 40%,
//!   `environmentSettings` 30%, `resourceFiles` 20%, `outputFiles` 10%, `containerSettings`
//!   5%, `exitConditions`, `dependsOn` (on the previous task) and
//!   `applicationPackageReferences` 3% each, `affinityInfo` and `authenticationTokenSettings`
//!   2% each, `multiInstanceSettings` 1%. `stats` is never present, because List Tasks
//!   returns it only with `$expand=stats`.
//!
//! # Example
//!
//! ```
//! use batch_odata::generate::{generate, write_ndjson};
//!
//! let mut ndjson = Vec::new();
//! write_ndjson(&mut ndjson, 3, 42).unwrap();
//! let lines: Vec<&[u8]> = ndjson.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
//! assert_eq!(lines.len(), 3);
//!
//! let tasks: Vec<serde_json::Value> = generate(3, 42).collect();
//! assert_eq!(tasks[2]["id"], "task-0000002");
//! let first: serde_json::Value = serde_json::from_slice(lines[0]).unwrap();
//! assert_eq!(first, tasks[0]);
//! ```

mod json;
mod layout;
mod rng;
mod sample;

#[cfg(test)]
mod tests;

use std::io::{self, Write};
use std::iter::FusedIterator;

use sample::Task;

/// The Batch account URL in every generated `url`, `nodeUrl` and `taskRootDirectoryUrl`.
pub const ACCOUNT_URL: &str = "https://myaccount.westus2.batch.azure.com";

/// The id of the job that the generated tasks belong to.
pub const JOB_ID: &str = "myjob";

/// The id of the pool that runs the generated tasks.
pub const POOL_ID: &str = "mypool";

/// The minimum number of digits in a generated task id.
const MIN_ID_DIGITS: usize = 7;

/// Bytes of NDJSON that [`write_ndjson`] collects before each write to its output.
const WRITE_CHUNK: usize = 64 * 1024;

/// A deterministic source of `count` synthetic tasks, in id order.
///
/// As an iterator it yields each task as a `serde_json::Value`, which it builds by parsing
/// the task's text. [`Generator::write_next`] writes that text and skips the parse.
#[derive(Clone, Debug)]
pub struct Generator {
    seed: u64,
    count: u64,
    next_index: u64,
    id_width: usize,
    /// Scratch space for the text that the iterator parses into a `Value`.
    line: Vec<u8>,
}

impl Generator {
    /// Creates a generator of `count` tasks drawn with `seed`.
    pub fn new(count: u64, seed: u64) -> Generator {
        Generator {
            seed,
            count,
            next_index: 0,
            id_width: id_width(count),
            line: Vec::new(),
        }
    }

    /// Returns the number of tasks not yet generated.
    pub fn remaining(&self) -> u64 {
        self.count - self.next_index
    }

    /// Appends the next task to `out` as compact JSON without a trailing newline, and
    /// returns false, writing nothing, once all tasks have been generated.
    pub fn write_next(&mut self, out: &mut Vec<u8>) -> bool {
        if self.next_index >= self.count {
            return false;
        }
        let task = Task::sample(self.seed, self.next_index);
        layout::write_task(out, &task, self.id_width);
        self.next_index += 1;
        true
    }
}

impl Iterator for Generator {
    type Item = serde_json::Value;

    fn next(&mut self) -> Option<serde_json::Value> {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        let written = self.write_next(&mut line);
        // The writer escapes every string and balances every bracket, and the tests parse
        // its output for many seeds, so a parse failure here is a bug in this module.
        let task = written
            .then(|| serde_json::from_slice(&line).expect("generated task JSON is well formed"));
        self.line = line;
        task
    }

    /// Skips `n` tasks without generating them, which the per-task seeding allows.
    fn nth(&mut self, n: usize) -> Option<serde_json::Value> {
        let skipped = u64::try_from(n).unwrap_or(u64::MAX);
        self.next_index = self.next_index.saturating_add(skipped).min(self.count);
        self.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match usize::try_from(self.remaining()) {
            Ok(remaining) => (remaining, Some(remaining)),
            Err(_) => (usize::MAX, None),
        }
    }
}

impl FusedIterator for Generator {}

/// Returns an iterator over `count` synthetic tasks drawn with `seed`, as JSON values.
///
/// See the [module documentation](self) for what the tasks look like.
pub fn generate(count: u64, seed: u64) -> Generator {
    Generator::new(count, seed)
}

/// Writes `count` synthetic tasks drawn with `seed` to `out` as NDJSON: one compact JSON
/// object per line, each line ending in `\n`.
///
/// Output is collected in 64 KiB chunks, so `out` needs no `BufWriter`. The function flushes
/// `out` at the end and returns the first write error.
pub fn write_ndjson(mut out: impl Write, count: u64, seed: u64) -> io::Result<()> {
    let mut generator = Generator::new(count, seed);
    let mut chunk = Vec::with_capacity(WRITE_CHUNK + 4096);
    while generator.write_next(&mut chunk) {
        chunk.push(b'\n');
        if chunk.len() >= WRITE_CHUNK {
            out.write_all(&chunk)?;
            chunk.clear();
        }
    }
    out.write_all(&chunk)?;
    out.flush()
}

/// Returns the number of digits in the task ids of a data set of `count` tasks.
fn id_width(count: u64) -> usize {
    let largest_index = count.saturating_sub(1);
    let digits = largest_index
        .checked_ilog10()
        .map_or(1, |log| log as usize + 1);
    digits.max(MIN_ID_DIGITS)
}
