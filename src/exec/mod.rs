//! Query execution: runs a [`Plan`] over a [`Store`] for List Tasks pages and counts.
//!
//! A plan is first bound to the store: each predicate is paired with the index that serves
//! it, or with a read of the property from each task's JSON (see [`Store::explain`]). Evaluation then narrows a candidate bitmap,
//! starting from every live row:
//!
//! - `and` evaluates its children in order of cost, each within the rows the earlier ones
//!   kept, so a scan only visits rows that the indexed children already matched;
//! - `or` evaluates each child within the rows no earlier child matched;
//! - `not` is the candidates minus what its child matches within them.
//!
//! A leaf over an index combines bitmaps. A leaf without an index, or one whose index would
//! return far more rows than there are candidates, tests the candidates one by one.
//!
//! Semantics: values compare ignoring case. A task without a value passes only `eq null`
//! and `ne` tests. A constant of a kind the property does not compare with, such as a string
//! against `executionInfo/exitCode`, is equal to no value. Predicates on objects, arrays and
//! paths inside arrays match no task. [`reference::matches`] states the same rules directly
//! on task JSON.
//!
//! Evaluation recurses once per plan level. Plans bound from filters are as deep as the
//! parser's nesting limit allows.
//! NOTE: a hand-built plan nested many thousands of levels deep can overflow the stack.

pub(crate) mod compare;
mod deadline;
mod explain;
mod leaf;
mod merge;
mod page;
pub mod reference;

pub use deadline::Deadline;
pub use page::Page;

use roaring::RoaringBitmap;

use self::leaf::Leaf;
use crate::plan::Plan;
use crate::store::Store;

/// A plan bound to the store structures that serve its leaves.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    Const(bool),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Leaf(Leaf),
}

impl Node {
    /// Binds a plan to the store and orders the children of `and` and `or` by cost.
    pub(crate) fn bind(plan: &Plan, store: &Store) -> Node {
        match plan {
            Plan::Const(value) => Node::Const(*value),
            Plan::And(children) => {
                let merged = merge::merge_and(bind_children(children, store));
                single(children.len(), merged).unwrap_or_else(Node::And)
            }
            Plan::Or(children) => {
                let merged = merge::merge_or(bind_children(children, store));
                single(children.len(), merged).unwrap_or_else(Node::Or)
            }
            Plan::Not(child) => Node::Not(Box::new(Node::bind(child, store))),
            Plan::Leaf(predicate) => Node::Leaf(Leaf::new(predicate, store)),
        }
    }

    /// Returns a rank of evaluation cost. A subtree with a scan ranks last.
    fn rank(&self) -> u8 {
        match self {
            Node::Const(_) => 0,
            Node::Leaf(leaf) => leaf.rank(),
            Node::Not(child) => child.rank(),
            Node::And(children) | Node::Or(children) => {
                let highest = children.iter().map(Node::rank).max().unwrap_or(0);
                if highest >= 4 { 4 } else { 3 }
            }
        }
    }

    /// Returns true when evaluating the node visits every row it is given, so that
    /// evaluating it over the whole store is a full scan.
    fn scans_all(&self) -> bool {
        match self {
            Node::Const(_) => false,
            Node::Leaf(leaf) => leaf.scans(),
            Node::Not(child) => child.scans_all(),
            Node::And(children) => !children.is_empty() && children.iter().all(Node::scans_all),
            Node::Or(children) => children.iter().any(Node::scans_all),
        }
    }

    /// Returns the rows of `candidates` that the node matches. Once the deadline has
    /// passed, the result is partial.
    fn within(
        &self,
        store: &Store,
        candidates: &RoaringBitmap,
        deadline: &Deadline,
    ) -> RoaringBitmap {
        match self {
            Node::Const(true) => candidates.clone(),
            Node::Const(false) => RoaringBitmap::new(),
            Node::Leaf(leaf) => leaf.within(store, candidates, deadline),
            Node::Not(child) => candidates - child.within(store, candidates, deadline),
            Node::And(children) => {
                let mut rows = candidates.clone();
                for child in children {
                    if rows.is_empty() || deadline.expired() {
                        break;
                    }
                    rows = child.within(store, &rows, deadline);
                }
                rows
            }
            Node::Or(children) => {
                let mut matched = RoaringBitmap::new();
                let mut rest = candidates.clone();
                for child in children {
                    if rest.is_empty() || deadline.expired() {
                        break;
                    }
                    let rows = child.within(store, &rest, deadline);
                    rest -= &rows;
                    matched |= rows;
                }
                matched
            }
        }
    }

    /// Returns true when the node matches the task in `row`.
    fn matches_row(&self, store: &Store, row: u32) -> bool {
        match self {
            Node::Const(value) => *value,
            Node::Leaf(leaf) => leaf.matches_row(store, row),
            Node::Not(child) => !child.matches_row(store, row),
            Node::And(children) => children.iter().all(|child| child.matches_row(store, row)),
            Node::Or(children) => children.iter().any(|child| child.matches_row(store, row)),
        }
    }

    /// Returns the number of matching tasks, from index sizes where it can.
    fn count(&self, store: &Store) -> u64 {
        let live = store.live();
        match self {
            Node::Const(true) => live.len(),
            Node::Const(false) => 0,
            Node::Leaf(leaf) => leaf
                .count(store)
                .unwrap_or_else(|| leaf.within(store, live, &Deadline::never()).len()),
            Node::Not(child) => live.len().saturating_sub(child.count(store)),
            _ => self.within(store, live, &Deadline::never()).len(),
        }
    }
}

/// Returns the one leaf that merging the `bound` children of an `and` or `or` left, so that
/// it is counted from its index, or gives the children back.
fn single(bound: usize, mut merged: Vec<Node>) -> Result<Node, Vec<Node>> {
    if bound > 1 && merged.len() == 1 {
        merged.pop().ok_or_else(Vec::new)
    } else {
        Err(merged)
    }
}

fn bind_children(children: &[Plan], store: &Store) -> Vec<Node> {
    let mut nodes: Vec<Node> = children
        .iter()
        .map(|child| Node::bind(child, store))
        .collect();
    nodes.sort_by_key(Node::rank);
    nodes
}

impl Store {
    /// Returns the rows of the tasks that match the plan.
    ///
    /// ```
    /// use batch_odata::plan::{Plan, Predicate, Test, Value};
    /// use batch_odata::schema;
    /// use batch_odata::span::Span;
    /// use batch_odata::store::Store;
    /// use batch_odata::syntax::CompareOp;
    ///
    /// let store = Store::load("{\"id\":\"a\",\"state\":\"Active\"}\n{\"id\":\"b\"}")?;
    /// let plan = Plan::Leaf(Predicate {
    ///     property: schema::lookup("state").unwrap(),
    ///     test: Test::Compare(CompareOp::Ne, Value::Str("active".into())),
    ///     span: Span::default(),
    /// });
    /// assert_eq!(store.count(&plan), 1);
    /// let page = store.page(&plan, None, 10);
    /// assert_eq!(page.tasks, [r#"{"id":"b"}"#]);
    /// # Ok::<(), batch_odata::error::Error>(())
    /// ```
    pub fn evaluate(&self, plan: &Plan) -> RoaringBitmap {
        Node::bind(plan, self).within(self, self.live(), &Deadline::never())
    }

    /// Returns the number of tasks that match the plan.
    ///
    /// A single indexed predicate, or its negation, is counted from index sizes without
    /// listing rows: an enum value, a range of an ordered index, or an id lookup.
    pub fn count(&self, plan: &Plan) -> u64 {
        Node::bind(plan, self).count(self)
    }

    /// Returns the plan bound to this store, one node per line, each leaf followed by the
    /// structure that serves it in brackets. Children appear in evaluation order.
    ///
    /// ```
    /// use batch_odata::plan::{Plan, Predicate, Test, Value};
    /// use batch_odata::schema;
    /// use batch_odata::span::Span;
    /// use batch_odata::store::Store;
    /// use batch_odata::syntax::CompareOp;
    ///
    /// let leaf = |path, test| Plan::Leaf(Predicate {
    ///     property: schema::lookup(path).unwrap(),
    ///     test,
    ///     span: Span::default(),
    /// });
    /// let plan = Plan::And(vec![
    ///     leaf("commandLine", Test::Contains("echo".into())),
    ///     leaf("state", Test::Compare(CompareOp::Eq, Value::Str("active".into()))),
    /// ]);
    /// let expected = "\
    /// and
    ///   state eq 'active'  [bitmap: state]
    ///   contains(commandLine, 'echo')  [scan: commandLine]
    /// ";
    /// assert_eq!(Store::new().explain(&plan), expected);
    /// ```
    pub fn explain(&self, plan: &Plan) -> String {
        explain::explain(&Node::bind(plan, self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datetime::DateTime;
    use crate::plan::{Predicate, Test, Value};
    use crate::schema;
    use crate::span::Span;
    use crate::syntax::CompareOp;

    pub(super) fn leaf(path: &str, test: Test) -> Plan {
        Plan::Leaf(Predicate {
            property: schema::lookup(path).expect(path),
            test,
            span: Span::default(),
        })
    }

    pub(super) fn compare(path: &str, op: CompareOp, value: Value) -> Plan {
        leaf(path, Test::Compare(op, value))
    }

    pub(super) fn text(value: &str) -> Value {
        Value::Str(value.into())
    }

    fn ticks(text: &str) -> Value {
        Value::Ticks(DateTime::parse_iso(text).expect(text).ticks())
    }

    /// Returns a store of `count` tasks `task-0000`, ... whose state, exit code and creation time
    /// cycle with different periods.
    pub(super) fn store(count: usize) -> Store {
        let states = ["active", "running", "completed"];
        let text: String = (0..count)
            .map(|i| {
                format!(
                    "{{\"id\":\"Task-{i:04}\",\"state\":\"{}\",\
                     \"creationTime\":\"2018-01-01T00:{:02}:00Z\",\
                     \"executionInfo\":{{\"exitCode\":{}}},\"commandLine\":\"run {}\"}}\n",
                    states[i % 3],
                    i % 60,
                    i % 7,
                    i % 11
                )
            })
            .collect();
        Store::load(&text).expect("valid tasks")
    }

    pub(super) fn ids(page: &Page) -> Vec<String> {
        page.tasks
            .iter()
            .map(|json| {
                let task: serde_json::Value = serde_json::from_str(json).expect("JSON");
                task["id"].as_str().unwrap_or_default().to_owned()
            })
            .collect()
    }

    #[test]
    fn explain_names_every_structure() {
        let plan = Plan::Or(vec![
            Plan::And(vec![
                compare("commandLine", CompareOp::Eq, text("x")),
                compare("creationTime", CompareOp::Ge, ticks("2018-01-01T00:00:00Z")),
                compare("state", CompareOp::Eq, text("Active")),
            ]),
            Plan::Not(Box::new(leaf("id", Test::StartsWith("task-0012".into())))),
            compare("id", CompareOp::Gt, text("m")),
            leaf("id", Test::In(vec![text("a"), text("b")])),
            leaf("id", Test::EndsWith("7".into())),
            leaf(
                "executionInfo/exitCode",
                Test::In(vec![Value::Int(1), Value::Int(2)]),
            ),
            leaf("displayName", Test::IsNull),
            compare("executionInfo/exitCode", CompareOp::Eq, text("0")),
            leaf("executionInfo", Test::IsNotNull),
            leaf(
                "runElevated",
                Test::Compare(CompareOp::Ne, Value::Bool(true)),
            ),
            Plan::Const(false),
        ]);
        insta::assert_snapshot!(store(3).explain(&plan));
    }

    #[test]
    fn count_from_indexes_equals_evaluate() {
        let store = store(500);
        let plans = [
            compare("state", CompareOp::Eq, text("active")),
            compare("state", CompareOp::Ne, text("active")),
            leaf("state", Test::IsNull),
            compare("executionInfo/exitCode", CompareOp::Lt, Value::Double(2.5)),
            compare("executionInfo/exitCode", CompareOp::Ne, Value::Int(3)),
            compare("creationTime", CompareOp::Gt, ticks("2018-01-01T00:30:00Z")),
            leaf(
                "id",
                Test::In(vec![text("task-0001"), text("TASK-0001"), text("x")]),
            ),
            compare("id", CompareOp::Ne, text("task-0001")),
            leaf("commandLine", Test::IsNotNull),
            leaf("displayName", Test::IsNull),
            Plan::Not(Box::new(leaf("commandLine", Test::Contains("1".into())))),
            Plan::And(vec![
                compare("creationTime", CompareOp::Ge, ticks("2018-01-01T00:10:00Z")),
                compare("creationTime", CompareOp::Lt, ticks("2018-01-01T00:20:00Z")),
            ]),
            Plan::Or(vec![
                compare("id", CompareOp::Eq, text("task-0001")),
                compare("id", CompareOp::Eq, text("TASK-0002")),
                compare("id", CompareOp::Eq, text("x")),
            ]),
        ];
        for plan in &plans {
            assert_eq!(store.count(plan), store.evaluate(plan).len(), "{plan:?}");
        }
    }

    #[test]
    fn siblings_merge_into_one_leaf() {
        let store = store(500);
        let range = Plan::And(vec![
            compare("executionInfo/exitCode", CompareOp::Gt, Value::Int(0)),
            compare("state", CompareOp::Ne, text("active")),
            compare("executionInfo/exitCode", CompareOp::Le, Value::Int(3)),
        ]);
        let expected = "\
and
  state ne 'active'  [bitmap: state]
  executionInfo/exitCode gt 0 and executionInfo/exitCode le 3  [range: executionInfo/exitCode]
";
        assert_eq!(store.explain(&range), expected);
        let by_row = store.live().iter().filter(|&row| {
            let node = Node::bind(&range, &store);
            node.matches_row(&store, row)
        });
        assert_eq!(
            store.evaluate(&range).iter().collect::<Vec<_>>(),
            by_row.collect::<Vec<_>>()
        );

        let ids = Plan::Or(vec![
            compare("id", CompareOp::Eq, text("task-0003")),
            compare("id", CompareOp::Eq, text("task-0001")),
        ]);
        assert_eq!(
            store.explain(&ids),
            "id eq 'task-0003' or id eq 'task-0001'  [id lookup]\n"
        );
        assert_eq!(store.count(&ids), 2);

        let states = Plan::Or(vec![
            compare("state", CompareOp::Eq, text("running")),
            leaf("state", Test::IsNull),
            compare("state", CompareOp::Eq, text("active")),
        ]);
        assert_eq!(
            store.explain(&states),
            "state eq 'running' or state eq null or state eq 'active'  [bitmap: state]\n"
        );
        assert_eq!(store.count(&states), store.evaluate(&states).len());
        assert_eq!(store.count(&states), 334);
        assert!(Node::bind(&ids, &store).matches_row(&store, 1));
        assert!(!Node::bind(&ids, &store).matches_row(&store, 2));
    }

    #[test]
    fn ordered_leaf_uses_complement_for_wide_ranges() {
        let store = store(300);
        let wide = compare("creationTime", CompareOp::Ge, ticks("2018-01-01T00:01:00Z"));
        let narrow = compare("creationTime", CompareOp::Lt, ticks("2018-01-01T00:01:00Z"));
        let all = store.evaluate(&Plan::Const(true));
        assert_eq!(store.evaluate(&wide).len(), 295);
        assert_eq!(store.evaluate(&wide) | store.evaluate(&narrow), all);
    }

    #[test]
    fn empty_and_or_are_constants() {
        let store = store(4);
        assert_eq!(store.count(&Plan::And(vec![])), 4);
        assert_eq!(store.count(&Plan::Or(vec![])), 0);
        assert_eq!(store.page(&Plan::Or(vec![]), None, 10).tasks.len(), 0);
    }
}
