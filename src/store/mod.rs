//! The task store: tasks in rows, with an index or a column for every scalar property.
//!
//! Each task gets a dense row number (`u32`). A removed task's row goes on a free list and
//! the next insert reuses it, and `live` is the bitmap of rows that hold a task. What serves
//! a property depends on its type:
//!
//! | property | structure | estimated cost per task with a value |
//! |---|---|---|
//! | `id` | `ids.rs`: B-tree of folded ids, and a column of them by row | about 60 bytes |
//! | enum and Boolean | `bitmap.rs`: a roaring bitmap per value | at most about 2 bytes |
//! | List Tasks filter table: `executionInfo/exitCode`, date-times | `ordered.rs` | 20 bytes |
//! | any other scalar | none: read from the task's JSON when a filter tests it | 0 |
//!
//! Every ordered index also has a bitmap of the rows with a value, which costs at most
//! about 2 bytes per present row. Each task keeps its compact JSON in a column of text
//! chunks, at 8 bytes per task beyond the text.
//!
//! Only the documented filter properties of List Tasks and the enums get an index, because
//! an index per scalar would cost more than the text it repeats. Tasks as Batch returns
//! them carry hundreds of bytes of urls, paths and command lines. A filter on any other
//! property, such as `nodeInfo/poolId eq 'pool'` in extended mode, reads that property
//! from the JSON of each candidate task, as a database reads an unindexed column.
//!
//! `examples/store_scale.rs` and `examples/compare` measure the memory; BENCHMARKS.md has
//! the figures.
//!
//! Get Task Counts are counters updated by every insert, replace and remove. Queries are in
//! [`crate::exec`].

mod bitmap;
mod columns;
mod counts;
mod ids;
mod ordered;

pub use counts::TaskCounts;

pub(crate) use bitmap::{BitmapIndex, Labels};
pub(crate) use ids::{IdIndex, prefix_end};
pub(crate) use ordered::OrderedIndex;

use columns::StringColumn;

use std::io::BufRead;
use std::sync::OnceLock;

use roaring::RoaringBitmap;

use crate::error::{Error, ErrorKind, Parameter};
use crate::fold::fold_case;
use crate::plan::Value;
use crate::schema::{self, PropertyDef, PropertyType};
use crate::task::{TaskRecord, duplicate_id, read_tasks};

/// Estimated bytes of an id index entry: a 24-byte key and a 4-byte row in a B-tree node
/// about two-thirds full.
const ID_ENTRY: usize = 42;

/// Tasks with their indexes, ready for queries.
///
/// ```
/// use batch_odata::store::Store;
/// use batch_odata::task::TaskRecord;
///
/// let text = "{\"id\":\"a\",\"state\":\"active\"}\n{\"id\":\"b\",\"state\":\"running\"}";
/// let mut store = Store::load(text)?;
/// store.upsert(TaskRecord::parse(r#"{"id":"A","state":"completed"}"#)?)?;
/// assert_eq!(store.len(), 2);
/// assert_eq!(store.counts().completed, 1);
/// assert_eq!(store.get("a"), Some(r#"{"id":"A","state":"completed"}"#));
/// assert!(store.remove("B"));
/// # Ok::<(), batch_odata::error::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Store {
    /// The compact JSON of each task, by row.
    json: StringColumn,
    /// The folded id of each task, by row.
    folded_ids: StringColumn,
    /// One past the highest row number given out, live or free.
    row_limit: u64,
    free: Vec<u32>,
    live: RoaringBitmap,
    ids: IdIndex,
    /// The structure for each property, indexed by [`PropertyDef::id`].
    slots: Vec<Slot>,
    counts: TaskCounts,
}

/// The structure that stores one property's values.
#[derive(Clone, Debug)]
pub(crate) enum Slot {
    /// Objects, arrays and paths inside arrays, which filters do not compare.
    Unheld,
    /// The task id, held by the id index.
    Id,
    /// An enum or Boolean property.
    Bitmap(BitmapIndex),
    /// An integer or date-time property of the List Tasks filter table.
    Ordered(OrderedIndex),
    /// Any other scalar property, read from the task's JSON.
    Stored,
}

impl Slot {
    fn for_property(property: &PropertyDef) -> Slot {
        if property.is_in_collection() || !property.ty.is_scalar() {
            return Slot::Unheld;
        }
        if property.path == "id" {
            return Slot::Id;
        }
        let filterable = schema::STRICT_LIST_TASKS
            .iter()
            .any(|rule| rule.path == property.path);
        match property.ty {
            PropertyType::Enum(values) => Slot::Bitmap(BitmapIndex::new(Labels::Enum(values))),
            PropertyType::Boolean => Slot::Bitmap(BitmapIndex::new(Labels::Boolean)),
            PropertyType::Int32 | PropertyType::Int64 | PropertyType::DateTime if filterable => {
                Slot::Ordered(OrderedIndex::default())
            }
            PropertyType::Object | PropertyType::Array => Slot::Unheld,
            _ => Slot::Stored,
        }
    }

    /// Sets the row's value. With `bulk`, an ordered index only updates its column and
    /// must be rebuilt before it is queried.
    ///
    /// A value of the wrong kind for the slot is ignored: [`TaskRecord`] converts every
    /// value to its property's type, so that does not happen.
    fn set(&mut self, row: u32, value: &Value, bulk: bool) {
        match (self, value) {
            (Slot::Bitmap(index), value) => index.set(row, value),
            (Slot::Ordered(index), Value::Int(number) | Value::Ticks(number)) if bulk => {
                index.set_unsorted(row, *number)
            }
            (Slot::Ordered(index), Value::Int(number) | Value::Ticks(number)) => {
                index.set(row, *number)
            }
            _ => {}
        }
    }

    fn clear(&mut self, row: u32) {
        match self {
            Slot::Unheld | Slot::Id | Slot::Stored => {}
            Slot::Bitmap(index) => {
                index.clear(row);
            }
            Slot::Ordered(index) => index.clear(row),
        }
    }

    fn heap_size(&self) -> usize {
        match self {
            Slot::Unheld | Slot::Id | Slot::Stored => 0,
            Slot::Bitmap(index) => index.heap_size(),
            Slot::Ordered(index) => index.heap_size(),
        }
    }
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

impl Store {
    /// Creates an empty store.
    pub fn new() -> Store {
        Store {
            json: StringColumn::default(),
            folded_ids: StringColumn::default(),
            row_limit: 0,
            free: Vec::new(),
            live: RoaringBitmap::new(),
            ids: IdIndex::default(),
            slots: schema::PROPERTIES.iter().map(Slot::for_property).collect(),
            counts: TaskCounts::default(),
        }
    }

    /// Builds a store from text in any format [`crate::task::load_tasks`] accepts.
    pub fn load(text: &str) -> Result<Store, Error> {
        Store::load_from_reader(text.as_bytes())
    }

    /// Builds a store from a reader, one task at a time, without holding all the records.
    ///
    /// Errors are those of [`crate::task::load_tasks`]: the first invalid task, or the
    /// first id that repeats an earlier one when case is ignored.
    pub fn load_from_reader(reader: impl BufRead) -> Result<Store, Error> {
        let mut store = Store::new();
        read_tasks(reader, |line, record| store.add_unique(line, record, true))?;
        store.rebuild_ordered();
        Ok(store)
    }

    /// Builds a store from records. A duplicate id is reported at its 1-based position.
    pub fn from_records(records: impl IntoIterator<Item = TaskRecord>) -> Result<Store, Error> {
        let mut store = Store::new();
        for (index, record) in records.into_iter().enumerate() {
            store.add_unique(index + 1, record, true)?;
        }
        store.rebuild_ordered();
        Ok(store)
    }

    /// Inserts a task whose id, ignoring case, is not in the store yet.
    ///
    /// Returns [`ErrorKind::TaskIdDuplicate`] with line 0 when the id is taken, and
    /// [`ErrorKind::StoreFull`] when every row number is in use.
    pub fn insert(&mut self, record: TaskRecord) -> Result<(), Error> {
        self.add_unique(0, record, false)
    }

    /// Replaces the task with the record's id, ignoring case, or inserts it. Returns true
    /// when a task was replaced. Fails only with [`ErrorKind::StoreFull`].
    pub fn upsert(&mut self, record: TaskRecord) -> Result<bool, Error> {
        let replaced = match self.ids.get(record.folded_id()) {
            Some(row) => {
                self.remove_row(row);
                true
            }
            None => false,
        };
        self.add(record, false)?;
        Ok(replaced)
    }

    /// Removes the task with this id, ignoring case. Returns false when there is none.
    pub fn remove(&mut self, id: &str) -> bool {
        match self.ids.get(&fold_case(id)) {
            Some(row) => {
                self.remove_row(row);
                true
            }
            None => false,
        }
    }

    /// Returns the JSON of the task with this id, ignoring case.
    pub fn get(&self, id: &str) -> Option<&str> {
        let row = self.ids.get(&fold_case(id))?;
        self.json.get(row)
    }

    /// Returns the number of tasks.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Returns true when the store has no task.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns the Get Task Counts counters.
    pub fn counts(&self) -> TaskCounts {
        self.counts
    }

    /// Returns an estimate of the heap bytes the store uses. Bitmaps are counted at their
    /// serialized size, the id index at an estimate per entry.
    pub fn heap_size(&self) -> usize {
        let slots: usize = self.slots.iter().map(Slot::heap_size).sum();
        self.json.heap_size()
            + self.folded_ids.heap_size()
            + self.ids.len() * ID_ENTRY
            + slots
            + self.live.serialized_size()
            + self.free.capacity() * 4
    }

    /// Returns the JSON of the task in a row, such as a row of [`Store::evaluate`].
    pub fn task_at(&self, row: u32) -> Option<&str> {
        self.json.get(row)
    }

    /// Returns the folded id of the task in a row.
    pub fn folded_id_at(&self, row: u32) -> Option<&str> {
        self.folded_ids.get(row)
    }

    /// Returns one past the highest row number given out, live or free.
    pub(crate) fn row_limit(&self) -> usize {
        self.row_limit as usize
    }

    pub(crate) fn live(&self) -> &RoaringBitmap {
        &self.live
    }

    pub(crate) fn ids(&self) -> &IdIndex {
        &self.ids
    }

    /// Returns the structure of a property, or [`Slot::Unheld`] for a definition that is not
    /// an entry of [`schema::PROPERTIES`].
    pub(crate) fn slot(&self, property: &PropertyDef) -> &Slot {
        let index = property.id as usize;
        let known = schema::PROPERTIES
            .get(index)
            .is_some_and(|entry| std::ptr::eq(entry, property) || entry.path == property.path);
        match self.slots.get(index) {
            Some(slot) if known => slot,
            _ => &Slot::Unheld,
        }
    }

    /// Adds a record whose id must be new. The error for a duplicate names `line`.
    fn add_unique(&mut self, line: usize, record: TaskRecord, bulk: bool) -> Result<(), Error> {
        if self.ids.get(record.folded_id()).is_some() {
            return Err(duplicate_id(line, record.id()));
        }
        self.add(record, bulk).map(|_| ())
    }

    /// Adds a record whose id is not in the store and returns its row.
    fn add(&mut self, record: TaskRecord, bulk: bool) -> Result<u32, Error> {
        let row = self.allocate_row()?;
        let state = text_value(&record, "state");
        let result = text_value(&record, "executionInfo/result");
        self.counts.tally(state, result, true);

        let (folded_id, json, values) = record.into_parts();
        for (property, value) in &values {
            if let Some(slot) = self.slots.get_mut(property.id as usize) {
                slot.set(row, value, bulk);
            }
        }
        self.ids.insert(&folded_id, row);
        self.folded_ids.set(row, &folded_id);
        self.json.set(row, &json);
        self.live.insert(row);
        Ok(row)
    }

    fn remove_row(&mut self, row: u32) {
        if !self.live.contains(row) {
            return;
        }
        let state = self.label("state", row);
        let result = self.label("executionInfo/result", row);
        self.counts.tally(state, result, false);

        for slot in &mut self.slots {
            slot.clear(row);
        }
        if let Some(folded_id) = self.folded_ids.get(row) {
            self.ids.remove(folded_id);
        }
        self.folded_ids.clear(row);
        self.json.clear(row);
        self.live.remove(row);
        self.free.push(row);
    }

    /// Returns a free row, reusing the most recently freed one.
    fn allocate_row(&mut self) -> Result<u32, Error> {
        if let Some(row) = self.free.pop() {
            return Ok(row);
        }
        let row = u32::try_from(self.row_limit).map_err(|_| {
            let max = 1 << 32;
            Error::whole(ErrorKind::StoreFull { max }, Parameter::Tasks, "")
        })?;
        self.row_limit += 1;
        Ok(row)
    }

    /// Returns the folded value of an enum property for a row.
    fn label(&self, path: &str, row: u32) -> Option<&'static str> {
        let property = counted_property(path)?;
        let Slot::Bitmap(index) = self.slot(property) else {
            return None;
        };
        match (index.labels(), index.code_of(row)?) {
            (Labels::Enum(values), code) => values.get(code).copied(),
            (Labels::Boolean, _) => None,
        }
    }

    fn rebuild_ordered(&mut self) {
        for slot in &mut self.slots {
            if let Slot::Ordered(index) = slot {
                index.rebuild();
            }
        }
    }
}

/// Returns `state` or `executionInfo/result`, looked up once, because every insert and
/// remove reads them for Get Task Counts.
fn counted_property(path: &str) -> Option<&'static PropertyDef> {
    static STATE: OnceLock<Option<&'static PropertyDef>> = OnceLock::new();
    static RESULT: OnceLock<Option<&'static PropertyDef>> = OnceLock::new();
    match path {
        "state" => *STATE.get_or_init(|| schema::lookup("state")),
        "executionInfo/result" => *RESULT.get_or_init(|| schema::lookup("executionInfo/result")),
        _ => schema::lookup(path),
    }
}

/// Returns the folded string value of a property of a record.
fn text_value<'r>(record: &'r TaskRecord, path: &str) -> Option<&'r str> {
    match record.value(counted_property(path)?)? {
        Value::Str(text) => Some(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(text: &str) -> TaskRecord {
        TaskRecord::parse(text).expect(text)
    }

    fn rows_with(store: &Store, path: &str, value: &Value) -> Vec<u32> {
        let property = schema::lookup(path).expect(path);
        store
            .live()
            .iter()
            .filter(|&row| match store.slot(property) {
                Slot::Bitmap(index) => index.code_of(row) == index.labels().code(value),
                Slot::Ordered(index) => match value {
                    Value::Int(n) | Value::Ticks(n) => index.get(row) == Some(*n),
                    _ => false,
                },
                _ => false,
            })
            .collect()
    }

    #[test]
    fn insert_rejects_ids_that_differ_in_case() {
        let mut store = Store::new();
        store
            .insert(record(r#"{"id":"Task-Σ"}"#))
            .expect("first insert");
        let error = store
            .insert(record(r#"{"id":"TASK-ς"}"#))
            .expect_err("same id ignoring case");
        assert_eq!(
            error.kind(),
            &ErrorKind::TaskIdDuplicate {
                line: 0,
                id: "TASK-ς".into()
            }
        );
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn upsert_moves_every_index() {
        let mut store = Store::new();
        let old = r#"{"id":"a","state":"active","creationTime":"2018-01-01T00:00:00Z",
                      "commandLine":"x"}"#;
        store.insert(record(old)).expect("insert");
        let new =
            r#"{"id":"A","state":"completed","executionInfo":{"exitCode":2,"result":"success"}}"#;
        assert_eq!(store.upsert(record(new)), Ok(true));

        let active = Value::Str("active".into());
        let completed = Value::Str("completed".into());
        assert!(rows_with(&store, "state", &active).is_empty());
        assert_eq!(rows_with(&store, "state", &completed), [0]);
        assert_eq!(
            rows_with(&store, "executionInfo/exitCode", &Value::Int(2)),
            [0]
        );
        let Slot::Ordered(created) = store.slot(schema::lookup("creationTime").expect("property"))
        else {
            panic!("creationTime has an ordered index");
        };
        assert_eq!(created.count(i64::MIN..=i64::MAX), 0);
        assert_eq!(store.get("a"), Some(new));
    }

    #[test]
    fn counts_follow_changes() {
        let mut store = Store::new();
        store
            .insert(record(r#"{"id":"a","state":"active"}"#))
            .expect("insert a");
        store
            .insert(record(r#"{"id":"b","state":"preparing"}"#))
            .expect("insert b");
        let done = r#"{"id":"b","state":"completed","executionInfo":{"result":"Failure"}}"#;
        store.upsert(record(done)).expect("upsert b");
        let counts = store.counts();
        assert_eq!(counts.active, 1);
        assert_eq!(counts.running, 0);
        assert_eq!(counts.completed, 1);
        assert_eq!(counts.failed, 1);

        assert!(store.remove("B"));
        assert_eq!(store.counts().completed, 0);
        assert_eq!(store.counts().failed, 0);
        assert!(!store.remove("b"));
    }

    #[test]
    fn removed_rows_are_reused() {
        let mut store = Store::load("{\"id\":\"a\"}\n{\"id\":\"b\"}").expect("load");
        assert!(store.remove("a"));
        assert_eq!(store.task_at(0), None);
        store.insert(record(r#"{"id":"c"}"#)).expect("insert c");
        assert_eq!(store.folded_id_at(0), Some("c"));
        assert_eq!(store.len(), 2);
        assert_eq!(store.row_limit(), 2);
    }

    #[test]
    fn get_ignores_case() {
        let store = Store::load(r#"{"id":"Straße-Ü"}"#).expect("load");
        assert_eq!(store.get("STRASSE-ü"), None);
        assert_eq!(store.get("straße-ü"), Some(r#"{"id":"Straße-Ü"}"#));
    }

    #[test]
    fn load_reports_duplicate_line() {
        let error = Store::load("{\"id\":\"a\"}\n\n{\"id\":\"A\"}").expect_err("duplicate");
        assert_eq!(
            error.kind(),
            &ErrorKind::TaskIdDuplicate {
                line: 3,
                id: "A".into()
            }
        );
    }

    #[test]
    fn bulk_load_builds_ordered_runs() {
        let text: String = (0..100)
            .map(|i| {
                format!(
                    "{{\"id\":\"t{i}\",\"executionInfo\":{{\"exitCode\":{}}}}}\n",
                    i % 10
                )
            })
            .collect();
        let store = Store::load(&text).expect("load");
        let Slot::Ordered(codes) =
            store.slot(schema::lookup("executionInfo/exitCode").expect("property"))
        else {
            panic!("exitCode has an ordered index");
        };
        assert_eq!(codes.count(3..=4), 20);
        assert!(store.heap_size() > text.len());
    }
}
