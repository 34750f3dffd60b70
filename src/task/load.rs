//! Loading tasks from NDJSON, from a List Tasks response body, or from a JSON array.
//!
//! The format is chosen from the first non-blank line:
//!
//! - A line that starts with `[` opens a JSON array of tasks.
//! - A line that is a whole JSON object with a `value` member and no `id` is a List Tasks
//!   body written on one line.
//! - Any other whole JSON object is a task, and the lines after it are NDJSON.
//! - A line that starts with `{` but does not close it opens a multi-line List Tasks body.
//!
//! NDJSON is read in batches of lines that other threads parse, and multi-line documents
//! one task at a time. A body written on one line is parsed as a whole first, so it takes
//! memory for the parsed JSON of all its tasks.

use std::collections::HashSet;
use std::io::{self, BufRead, Cursor, Read};
use std::ops::Range;
use std::sync::mpsc;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value as Json};

use super::{FieldError, TaskRecord, duplicate_id};
use crate::error::{Error, ErrorKind, Parameter};

/// A callback that receives each task with its line, as [`read_tasks`] passes them.
type Visit<'a> = dyn FnMut(usize, TaskRecord) -> Result<(), Error> + 'a;

/// Loads every task from text in any of the accepted formats.
///
/// Errors name a line: the 1-based line of the text for NDJSON, or the 1-based position of
/// the task in the array for a JSON array or a List Tasks body. On any error no task is
/// returned. Ids must be unique when case is ignored, otherwise the error is
/// [`ErrorKind::TaskIdDuplicate`] at the second one.
///
/// ```
/// use batch_odata::task::load_tasks;
///
/// let ndjson = "{\"id\": \"b\"}\n\n{\"id\": \"a\", \"state\": \"active\"}\n";
/// assert_eq!(load_tasks(ndjson)?.len(), 2);
///
/// let body = r#"{"odata.metadata": "https://x/$metadata#tasks", "value": [{"id": "a"}]}"#;
/// assert_eq!(load_tasks(body)?[0].id(), "a");
/// assert!(load_tasks("{\"id\": \"a\"}\n{\"id\": \"A\"}").is_err());
/// # Ok::<(), batch_odata::error::Error>(())
/// ```
pub fn load_tasks(text: &str) -> Result<Vec<TaskRecord>, Error> {
    load_tasks_from_reader(text.as_bytes())
}

/// Loads every task from a reader, as [`load_tasks`] does from text.
///
/// The text is never held as a whole, except for a List Tasks body written on one line, but
/// all the records are. To build a store from a large file without holding its records,
/// use [`crate::store::Store::load_from_reader`].
pub fn load_tasks_from_reader(reader: impl BufRead) -> Result<Vec<TaskRecord>, Error> {
    // Ids are checked as the tasks arrive, so that a duplicate is reported before an
    // invalid task after it, as `Store::load_from_reader` reports it on the same text.
    let mut records = Vec::new();
    let mut seen = HashSet::new();
    read_tasks(reader, |line, record| {
        if !seen.insert(record.folded_id().to_owned()) {
            return Err(duplicate_id(line, record.id()));
        }
        records.push(record);
        Ok(())
    })?;
    Ok(records)
}

/// Reads tasks one at a time and passes each, with its line, to `visit`.
///
/// Lines are counted as in [`load_tasks`]. Reading stops at the first error, including one
/// that `visit` returns. Ids are not checked for duplicates. Returns the number of tasks read.
pub fn read_tasks<R: BufRead>(
    mut reader: R,
    mut visit: impl FnMut(usize, TaskRecord) -> Result<(), Error>,
) -> Result<usize, Error> {
    let mut buffer = String::new();
    let mut line = 0;
    loop {
        line += 1;
        buffer.clear();
        if read_line(&mut reader, &mut buffer, line)? == 0 {
            return Ok(0);
        }
        // A byte order mark can only start the first line.
        let text = if line == 1 {
            buffer.trim_start_matches('\u{feff}')
        } else {
            &buffer
        };
        if !text.trim().is_empty() {
            break;
        }
    }

    let first = buffer.trim_start_matches('\u{feff}').trim();
    // Where the document starts in the input, so that errors after it give real positions.
    let start = Position {
        line,
        column: buffer.len() - buffer.trim_start_matches('\u{feff}').trim_start().len(),
    };
    // The newline that `trim` removed keeps serde_json's line count equal to the input's.
    let head = || Cursor::new(format!("{first}\n").into_bytes());
    if first.starts_with('[') {
        return read_document(head().chain(reader), start, &mut visit);
    }
    match serde_json::from_str::<Json>(first) {
        Ok(Json::Object(object)) if is_body(&object) => read_body(object, reader, &mut visit),
        Ok(json) => {
            let record = TaskRecord::build(json).map_err(|error| error.at_line(line))?;
            visit(line, record)?;
            read_lines(reader, line, &mut visit).map(|count| count + 1)
        }
        Err(error) if error.is_eof() && first.starts_with('{') => {
            read_document(head().chain(reader), start, &mut visit)
        }
        Err(error) => Err(FieldError::new(None, syntax_reason(&error)).at_line(line)),
    }
}

/// The 1-based line and the 0-based byte column where a streamed document starts.
#[derive(Clone, Copy, Debug)]
struct Position {
    line: usize,
    column: usize,
}

/// Returns true for a List Tasks body rather than a task: it has `value` and no `id`.
fn is_body(object: &Map<String, Json>) -> bool {
    object.contains_key("value") && !object.contains_key("id")
}

/// Lines per batch that a parsing thread takes at a time: enough to make handing a batch
/// over cheap next to parsing it, about 1.3 MB of tasks as Batch returns them.
const BATCH_LINES: usize = 1024;

/// The maximum number of threads that parse NDJSON besides the one that reads and visits.
const MAX_PARSERS: usize = 8;

/// NDJSON lines read back to back into one string, with the 1-based line number and byte
/// range of each line that is not blank.
#[derive(Default)]
struct Batch {
    text: String,
    lines: Vec<(usize, Range<usize>)>,
}

/// The tasks of a batch in order, up to and including the first line that failed.
type Parsed = Vec<(usize, Result<TaskRecord, Error>)>;

/// Reads NDJSON tasks after the first one, which was on line `line`.
///
/// Parsing is most of the work of a load, so other threads parse batches of lines while
/// this one reads the next batches and visits the parsed tasks in line order. The result,
/// including which error is reported, is the same as parsing one line after another: a
/// batch's errors are only looked at after every earlier batch was visited, and a read
/// error only after every line before it.
fn read_lines(mut reader: impl BufRead, line: usize, visit: &mut Visit) -> Result<usize, Error> {
    let mut next_line = line + 1;
    let (batch, end) = read_batch(&mut reader, &mut next_line);
    let parsers = std::thread::available_parallelism()
        .map_or(1, |cores| cores.get())
        .min(MAX_PARSERS);
    if end != BatchEnd::Full || parsers < 2 {
        // A short input is not worth starting threads for.
        let mut count = visit_parsed(parse_batch(batch), visit)?;
        let mut end = end;
        while end == BatchEnd::Full {
            let (batch, batch_end) = read_batch(&mut reader, &mut next_line);
            count += visit_parsed(parse_batch(batch), visit)?;
            end = batch_end;
        }
        return end.result(count);
    }

    std::thread::scope(|scope| {
        let mut pipeline = Pipeline::start(scope, parsers);
        pipeline.send(batch);
        let mut end = BatchEnd::Full;
        let mut count = 0;
        loop {
            while end == BatchEnd::Full && pipeline.in_flight() < 2 * parsers {
                let (batch, batch_end) = read_batch(&mut reader, &mut next_line);
                pipeline.send(batch);
                end = batch_end;
            }
            let Some(parsed) = pipeline.receive() else {
                return end.result(count);
            };
            count += visit_parsed(parsed, visit)?;
        }
    })
}

/// The reason a batch ended.
#[derive(Debug, PartialEq)]
enum BatchEnd {
    /// The batch is full and the input may go on.
    Full,
    /// The input ended.
    Input,
    /// A line could not be read. The batch contains the lines before it.
    Failed(Error),
}

impl BatchEnd {
    /// Returns the count of tasks read, or the read error once the lines before it are
    /// visited.
    fn result(self, count: usize) -> Result<usize, Error> {
        match self {
            BatchEnd::Failed(error) => Err(error),
            BatchEnd::Full | BatchEnd::Input => Ok(count),
        }
    }
}

/// Reads up to [`BATCH_LINES`] non-blank lines.
fn read_batch(reader: &mut impl BufRead, next_line: &mut usize) -> (Batch, BatchEnd) {
    let mut batch = Batch::default();
    while batch.lines.len() < BATCH_LINES {
        let line = *next_line;
        let start = batch.text.len();
        match read_line(reader, &mut batch.text, line) {
            Ok(0) => return (batch, BatchEnd::Input),
            Ok(_) => {}
            Err(error) => {
                // The line's valid part may have been appended.
                batch.text.truncate(start);
                return (batch, BatchEnd::Failed(error));
            }
        }
        *next_line += 1;
        if !batch.text[start..].trim().is_empty() {
            batch.lines.push((line, start..batch.text.len()));
        }
    }
    (batch, BatchEnd::Full)
}

/// Parses the lines of a batch until the first that fails.
fn parse_batch(batch: Batch) -> Parsed {
    let mut parsed = Vec::with_capacity(batch.lines.len());
    for (line, range) in batch.lines {
        let text = batch.text[range].trim();
        let record = match super::fast::parse_canonical(text) {
            Some(record) => Ok(record),
            None => parse_line(text, line),
        };
        let failed = record.is_err();
        parsed.push((line, record));
        if failed {
            break;
        }
    }
    parsed
}

/// Passes the parsed tasks to `visit` in order and returns how many it took, or the
/// first error.
fn visit_parsed(parsed: Parsed, visit: &mut Visit) -> Result<usize, Error> {
    let mut count = 0;
    for (line, record) in parsed {
        visit(line, record?)?;
        count += 1;
    }
    Ok(count)
}

/// Parsing threads, each with a queue of batches in and a queue of parsed batches out.
/// Batches go to the threads in turn, so taking results in the same turn keeps line order.
struct Pipeline {
    batches: Vec<mpsc::SyncSender<Batch>>,
    results: Vec<mpsc::Receiver<Parsed>>,
    sent: usize,
    received: usize,
}

impl Pipeline {
    /// Starts `parsers` threads in `scope`. They end when the pipeline is dropped, which
    /// closes their queues, so an early return cannot leave one waiting.
    fn start<'scope>(scope: &'scope std::thread::Scope<'scope, '_>, parsers: usize) -> Pipeline {
        let mut pipeline = Pipeline {
            batches: Vec::with_capacity(parsers),
            results: Vec::with_capacity(parsers),
            sent: 0,
            received: 0,
        };
        for _ in 0..parsers {
            let (batch_in, batch_out) = mpsc::sync_channel::<Batch>(2);
            let (parsed_in, parsed_out) = mpsc::sync_channel::<Parsed>(2);
            scope.spawn(move || {
                for batch in batch_out {
                    if parsed_in.send(parse_batch(batch)).is_err() {
                        return;
                    }
                }
            });
            pipeline.batches.push(batch_in);
            pipeline.results.push(parsed_out);
        }
        pipeline
    }

    fn in_flight(&self) -> usize {
        self.sent - self.received
    }

    fn send(&mut self, batch: Batch) {
        let parser = self.sent % self.batches.len();
        // A parser stops only when its queues close, which happens only when the pipeline
        // is dropped, so the send succeeds.
        let _ = self.batches[parser].send(batch);
        self.sent += 1;
    }

    /// Returns the parsed batch that was sent first among those not yet received, or
    /// `None` when every batch was received.
    fn receive(&mut self) -> Option<Parsed> {
        if self.received == self.sent {
            return None;
        }
        let parser = self.received % self.results.len();
        self.received += 1;
        // The queue closes early only when its parser panicked, and then the scope panics
        // too once the threads are joined, so no task is silently left out.
        self.results[parser].recv().ok()
    }
}

/// Parses one NDJSON line through a `serde_json::Value`, which reports any error.
fn parse_line(text: &str, line: usize) -> Result<TaskRecord, Error> {
    let json: Json = serde_json::from_str(text)
        .map_err(|error| FieldError::new(None, syntax_reason(&error)).at_line(line))?;
    TaskRecord::build(json).map_err(|error| error.at_line(line))
}

/// Reads the tasks of a List Tasks body that was written on one line, then checks that
/// only blank lines follow it.
fn read_body(
    mut body: Map<String, Json>,
    mut reader: impl BufRead,
    visit: &mut Visit,
) -> Result<usize, Error> {
    let Some(Json::Array(tasks)) = body.remove("value") else {
        return Err(outside_tasks("expected 'value' to be an array of tasks"));
    };
    let mut count = 0;
    for (index, json) in tasks.into_iter().enumerate() {
        let position = index + 1;
        let record = TaskRecord::build(json).map_err(|error| error.at_line(position))?;
        visit(position, record)?;
        count += 1;
    }

    let mut buffer = String::new();
    let mut line = 1;
    loop {
        line += 1;
        buffer.clear();
        if read_line(&mut reader, &mut buffer, line)? == 0 {
            return Ok(count);
        }
        if !buffer.trim().is_empty() {
            let reason = format!("unexpected text on line {line} after the List Tasks body");
            return Err(outside_tasks(&reason));
        }
    }
}

/// Streams the tasks of a JSON array of tasks, or of the `value` array of a List Tasks body.
///
/// `start` is where the document starts in the input, for the position of text after it.
fn read_document(reader: impl Read, start: Position, visit: &mut Visit) -> Result<usize, Error> {
    let mut state = DocumentState {
        visit,
        current: 0,
        count: 0,
        failure: None,
    };
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let result = Document(&mut state).deserialize(&mut deserializer);

    if let Some(error) = state.failure.take() {
        return Err(error);
    }
    match result {
        Ok(()) => {}
        Err(error) if error.is_io() => return Err(read_failed(state.current, error.to_string())),
        Err(error) => {
            return Err(FieldError::new(None, error.to_string()).at_line(state.current));
        }
    }
    match deserializer.end() {
        Ok(()) => Ok(state.count),
        Err(error) if error.is_io() => Err(read_failed(0, error.to_string())),
        Err(error) => {
            // serde_json counts from the start of the document, 1-based, and its column is
            // that of the last byte read, the first byte of the unexpected text.
            let line = start.line + error.line() - 1;
            let column = error.column() + if error.line() == 1 { start.column } else { 0 };
            let reason =
                format!("unexpected text at line {line}, column {column}, after the tasks");
            Err(outside_tasks(&reason))
        }
    }
}

/// Progress through a streamed document, shared by its serde visitors.
struct DocumentState<'v> {
    visit: &'v mut Visit<'v>,
    /// The 1-based position of the task being parsed, or 0 outside the tasks.
    current: usize,
    count: usize,
    /// The error that stopped reading, when it came from a task rather than from serde.
    failure: Option<Error>,
}

impl DocumentState<'_> {
    /// Keeps `error` to return later and gives serde an error that unwinds its parse.
    fn fail<E: de::Error>(&mut self, error: Error) -> E {
        self.failure = Some(error);
        E::custom("task rejected")
    }

    fn read_tasks<'de, A: SeqAccess<'de>>(&mut self, mut seq: A) -> Result<(), A::Error> {
        loop {
            self.current = self.count + 1;
            let Some(json) = seq.next_element::<Json>()? else {
                self.current = 0;
                return Ok(());
            };
            let position = self.current;
            let record =
                TaskRecord::build(json).map_err(|error| self.fail(error.at_line(position)))?;
            (self.visit)(position, record).map_err(|error| self.fail(error))?;
            self.count += 1;
        }
    }
}

/// The top of a streamed document: an array of tasks or a List Tasks body.
struct Document<'s, 'v>(&'s mut DocumentState<'v>);

impl<'de> DeserializeSeed<'de> for Document<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Document<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a List Tasks body or a JSON array of tasks")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.0.read_tasks(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<String>()? {
            if key != "value" {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            if found {
                return Err(self
                    .0
                    .fail(outside_tasks("the body has two 'value' members")));
            }
            found = true;
            map.next_value_seed(Tasks(&mut *self.0))?;
        }
        if found {
            Ok(())
        } else {
            Err(self
                .0
                .fail(outside_tasks("expected a 'value' array of tasks")))
        }
    }
}

/// The `value` member of a List Tasks body.
struct Tasks<'s, 'v>(&'s mut DocumentState<'v>);

impl<'de> DeserializeSeed<'de> for Tasks<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Tasks<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of tasks")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.0.read_tasks(seq)
    }
}

/// Reads one line, turning read errors into task errors at `line`.
fn read_line(reader: &mut impl BufRead, buffer: &mut String, line: usize) -> Result<usize, Error> {
    reader.read_line(buffer).map_err(|error| {
        if error.kind() == io::ErrorKind::InvalidData {
            FieldError::new(None, "line is not valid UTF-8").at_line(line)
        } else {
            read_failed(line, error.to_string())
        }
    })
}

fn read_failed(line: usize, reason: String) -> Error {
    Error::whole(
        ErrorKind::TaskReadFailed { line, reason },
        Parameter::Tasks,
        "",
    )
}

/// Returns an error about a body outside its tasks, which has line 0.
fn outside_tasks(reason: &str) -> Error {
    FieldError::new(None, reason).at_line(0)
}

/// Returns serde's message for a one-line JSON error with the column but not the line,
/// which the caller reports itself.
fn syntax_reason(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(end) => format!("{} at column {}", &message[..end], error.column()),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(result: Result<Vec<TaskRecord>, Error>) -> ErrorKind {
        result.expect_err("loading should fail").kind().clone()
    }

    fn invalid(line: usize, field: Option<&str>, reason: &str) -> ErrorKind {
        ErrorKind::TaskInvalid {
            line,
            field: field.map(str::to_owned),
            reason: reason.to_owned(),
        }
    }

    fn ids(records: &[TaskRecord]) -> Vec<&str> {
        records.iter().map(TaskRecord::id).collect()
    }

    #[test]
    fn ndjson_skips_blank_lines() {
        let records = load_tasks("\n{\"id\":\"a\"}\r\n  \n{\"id\":\"b\"}").expect("valid NDJSON");
        assert_eq!(ids(&records), ["a", "b"]);
    }

    #[test]
    fn ndjson_error_names_line() {
        let text = "{\"id\":\"a\"}\n\n{\"id\":\"b\",\"state\":7}\n";
        assert_eq!(
            kind(load_tasks(text)),
            invalid(3, Some("state"), "expected a string, found an integer")
        );
    }

    /// Returns NDJSON of `count` tasks across several parsing batches.
    fn many_lines(count: usize) -> Vec<Vec<u8>> {
        (0..count)
            .map(|i| format!("{{\"id\":\"t{i}\",\"state\":\"active\"}}\n").into_bytes())
            .collect()
    }

    #[test]
    fn ndjson_batches_keep_order() {
        let text = many_lines(3 * BATCH_LINES + 7).concat();
        let tasks = load_tasks_from_reader(&text[..]).expect("valid tasks");
        assert_eq!(tasks.len(), 3 * BATCH_LINES + 7);
        assert!(
            tasks
                .iter()
                .enumerate()
                .all(|(i, task)| task.id() == format!("t{i}"))
        );
    }

    #[test]
    fn ndjson_batches_report_first_error() {
        let mut lines = many_lines(3000);
        lines[2799] = b"{\"id\":\"x\",\"state\":7}\n".to_vec();
        lines[2899] = b"{\"id\":\"\xff\"}\n".to_vec();
        let late = kind(load_tasks_from_reader(&lines.concat()[..]));
        assert_eq!(
            late,
            invalid(2800, Some("state"), "expected a string, found an integer")
        );

        lines[1499] = b"{\"id\":\"\xff\"}\n".to_vec();
        let early = kind(load_tasks_from_reader(&lines.concat()[..]));
        assert_eq!(early, invalid(1500, None, "line is not valid UTF-8"));

        lines[1199] = b"{\"id\":\"T1\"}\n".to_vec();
        let duplicate = kind(load_tasks_from_reader(&lines.concat()[..]));
        assert_eq!(
            duplicate,
            ErrorKind::TaskIdDuplicate {
                line: 1200,
                id: "T1".into()
            }
        );
    }

    #[test]
    fn ndjson_syntax_error_gives_column() {
        assert_eq!(
            kind(load_tasks("{\"id\":\"a\"}\n{\"id\" \"b\"}")),
            invalid(2, None, "expected `:` at column 7")
        );
    }

    #[test]
    fn ndjson_rejects_two_objects_on_a_line() {
        let error = kind(load_tasks("{\"id\":\"a\"} {\"id\":\"b\"}"));
        assert!(
            matches!(error, ErrorKind::TaskInvalid { line: 1, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn ndjson_rejects_invalid_utf8() {
        let bytes: &[u8] = b"{\"id\":\"a\"}\n{\"id\":\"\xff\"}\n";
        assert_eq!(
            kind(load_tasks_from_reader(bytes)),
            invalid(2, None, "line is not valid UTF-8")
        );
    }

    #[test]
    fn duplicate_ids_ignore_case() {
        let text =
            "{\"id\":\"x\"}\n{\"id\":\"Task\"}\n{\"id\":\"y\"}\n{\"id\":\"tASK\"}\n{\"id\":\"X\"}";
        assert_eq!(
            kind(load_tasks(text)),
            ErrorKind::TaskIdDuplicate {
                line: 4,
                id: "tASK".into()
            }
        );
    }

    #[test]
    fn duplicate_id_before_later_error() {
        // A JSON array whose second task repeats the first id, then a stray byte after it.
        let text = "[\n{\"id\": \"a\"},\n{\"id\": \"A\"}\n]\u{14}";
        let duplicate = ErrorKind::TaskIdDuplicate {
            line: 2,
            id: "A".into(),
        };
        assert_eq!(kind(load_tasks(text)), duplicate);
        let store = crate::store::Store::load(text);
        assert_eq!(store.map(|_| ()).unwrap_err().kind(), &duplicate);
    }

    #[test]
    fn body_on_one_line() {
        let body = r#"{"odata.metadata":"m","value":[{"id":"b"},{"id":"a"}],"odata.nextLink":"n"}"#;
        assert_eq!(ids(&load_tasks(body).expect("valid body")), ["b", "a"]);
    }

    #[test]
    fn body_pretty_printed_streams() {
        let body = r#"{
  "odata.metadata": "m",
  "value": [
    {"id": "a"},
    {
      "id": "b"
    }
  ]
}
"#;
        assert_eq!(ids(&load_tasks(body).expect("valid body")), ["a", "b"]);
    }

    #[test]
    fn body_error_gives_task_position() {
        let body =
            "{\n\"value\": [\n{\"id\": \"a\"},\n{\"id\": \"b\", \"creationTime\": \"soon\"}\n]}";
        let error = kind(load_tasks(body));
        let ErrorKind::TaskInvalid { line, field, .. } = error else {
            panic!("expected TaskInvalid, found {error:?}");
        };
        assert_eq!(line, 2);
        assert_eq!(field.as_deref(), Some("creationTime"));
    }

    #[test]
    fn body_syntax_error_gives_task_position() {
        let body = "{\"value\": [\n{\"id\": \"a\"},\n{\"id\": \"b\",}\n]}";
        let error = kind(load_tasks(body));
        assert!(
            matches!(error, ErrorKind::TaskInvalid { line: 2, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn body_without_value_is_rejected() {
        let error = kind(load_tasks("{\n\"odata.metadata\": \"m\"\n}"));
        assert_eq!(error, invalid(0, None, "expected a 'value' array of tasks"));
    }

    #[test]
    fn body_with_text_after_is_rejected() {
        let error = kind(load_tasks("{\"value\": []}\n{\"id\": \"a\"}"));
        let expected = "unexpected text on line 2 after the List Tasks body";
        assert_eq!(error, invalid(0, None, expected));
    }

    #[test]
    fn array_of_tasks_streams() {
        let text = "[\n{\"id\": \"a\"},\n{\"id\": \"b\"}\n]";
        assert_eq!(ids(&load_tasks(text).expect("valid array")), ["a", "b"]);
        assert_eq!(
            ids(&load_tasks("[{\"id\":\"c\"}]").expect("one line")),
            ["c"]
        );
    }

    #[test]
    fn array_with_trailing_text_is_rejected() {
        let error = kind(load_tasks("[{\"id\": \"a\"}] x"));
        let expected = "unexpected text at line 1, column 15, after the tasks";
        assert_eq!(error, invalid(0, None, expected));
    }

    #[test]
    fn trailing_text_position_counts_skipped_lines() {
        let error = kind(load_tasks("\n\n  [\n{\"id\": \"a\"}\n]\n\u{14}"));
        let expected = "unexpected text at line 6, column 1, after the tasks";
        assert_eq!(error, invalid(0, None, expected));
        let error = kind(load_tasks("\n  [{\"id\": \"a\"}] x"));
        let expected = "unexpected text at line 2, column 17, after the tasks";
        assert_eq!(error, invalid(0, None, expected));
    }

    #[test]
    fn empty_input_has_no_tasks() {
        assert!(load_tasks("").expect("empty").is_empty());
        assert!(load_tasks("\n \n").expect("blank").is_empty());
        assert!(load_tasks("[]").expect("empty array").is_empty());
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let records = load_tasks("\u{feff}{\"id\":\"a\"}").expect("BOM then NDJSON");
        assert_eq!(ids(&records), ["a"]);
    }

    #[test]
    fn read_tasks_stops_on_visit_error() {
        let text = "[{\"id\":\"a\"},{\"id\":\"b\"},{\"id\":\"c\"}]";
        let mut seen = Vec::new();
        let result = read_tasks(text.as_bytes(), |line, record| {
            if record.id() == "b" {
                return Err(duplicate_id(line, record.id()));
            }
            seen.push(record.id().to_owned());
            Ok(())
        });
        let error = result.expect_err("visit fails on b");
        assert_eq!(
            error.kind(),
            &ErrorKind::TaskIdDuplicate {
                line: 2,
                id: "b".into()
            }
        );
        assert_eq!(seen, ["a"]);
    }

    #[test]
    fn read_failure_is_reported() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk gone"))
            }
        }
        let reader = io::BufReader::new(Cursor::new(b"{\"id\":\"a\"}\n".to_vec()).chain(Failing));
        let error = kind(load_tasks_from_reader(reader));
        assert!(
            matches!(error, ErrorKind::TaskReadFailed { line: 2, .. }),
            "{error:?}"
        );
    }
}
