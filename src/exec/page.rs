//! List Tasks pages: matching tasks in folded-id order, from a cursor.
//!
//! A page comes either from walking the id index from the cursor and keeping the matching
//! rows, or from evaluating the plan and sorting the matches by id. Walking stops after
//! `limit + 1` matches, so with `m` matches among `n` tasks spread evenly it visits about
//! `(limit + 1) * n / m` ids. Sorting costs about two steps per match. The cheaper one runs:
//!
//! 1. A sample of 256 rows estimates `m`, and the number of tasks in the id window below.
//!    When that makes a walk cheaper, the walk tests each row against the plan without
//!    evaluating it, which saves listing every match of a plan like `state ne 'completed'`.
//!    It gives up after four times its expected length.
//! 2. Otherwise the plan is evaluated, which gives `m` exactly. A walk that tests the
//!    evaluated rows gives up after as many steps as sorting would cost, and the matches are
//!    sorted instead.
//!
//! Giving up matters because matches are often not spread evenly, such as
//! `creationTime gt ...` when ids grow with creation time. It at most doubles the cost of
//! the better choice. A plan that no index serves keeps walking in step 1, because
//! evaluating it would scan every task.
//!
//! A walk starts no earlier and stops no later than the `id` predicates at the top of the
//! plan allow, so `id gt 'x'` or `startswith(id, 'x')` never walks the ids before `x`. All
//! matches are in this id window, so `n` above is the number of tasks in the window.

use std::ops::Bound;

use roaring::RoaringBitmap;

use super::leaf::{Access, Leaf};
use super::{Deadline, Node};
use crate::fold::fold_case;
use crate::plan::Plan;
use crate::store::Store;

/// Rows tested to estimate how many tasks a plan matches.
const SAMPLE_SIZE: u64 = 256;

/// Steps a walk that tests rows against the plan may take beyond four times its expected
/// length, so that a short expected walk is not given up on a small unevenness.
const MIN_WALK_BUDGET: u64 = 1024;

/// The cost of sorting one match, in steps of a walk. With `examples/store_scale.rs` on 1M
/// tasks (2-core Xeon VM), a walk step took 40 to 60 ns and sorting took 60 to 140 ns per
/// match, so 2 is a rough middle.
const SORT_STEPS_PER_MATCH: u64 = 2;

/// One page of List Tasks results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<'s> {
    /// The JSON of each matching task, in folded-id order.
    pub tasks: Vec<&'s str>,
    /// The folded id of the last task of the page, from which the next page continues.
    /// `None` when the page is empty.
    pub last_folded_id: Option<&'s str>,
    /// True when more matching tasks follow the page.
    pub more: bool,
}

impl Store {
    /// Returns up to `limit` matching tasks in folded-id order, starting after the task
    /// whose folded id is `after_folded_id`, which need not exist.
    ///
    /// With `limit` 0 the page is empty, and `more` is true when any task matches after
    /// the cursor. A plan that no index serves is evaluated on a sample of tasks first, to
    /// estimate how dense its matches are.
    ///
    /// ```
    /// use batch_odata::plan::{Plan, Predicate, Test};
    /// use batch_odata::schema;
    /// use batch_odata::span::Span;
    /// use batch_odata::store::Store;
    ///
    /// let store = Store::load("{\"id\":\"b-2\"}\n{\"id\":\"B-1\"}\n{\"id\":\"a\"}")?;
    /// let plan = Plan::Leaf(Predicate {
    ///     property: schema::lookup("id").unwrap(),
    ///     test: Test::StartsWith("b-".into()),
    ///     span: Span::default(),
    /// });
    /// let first = store.page(&plan, None, 1);
    /// assert_eq!(first.tasks, [r#"{"id":"B-1"}"#]);
    /// assert!(first.more);
    /// let second = store.page(&plan, first.last_folded_id, 1);
    /// assert_eq!(second.tasks, [r#"{"id":"b-2"}"#]);
    /// assert!(!second.more);
    /// # Ok::<(), batch_odata::error::Error>(())
    /// ```
    pub fn page(&self, plan: &Plan, after_folded_id: Option<&str>, limit: usize) -> Page<'_> {
        // A deadline that never passes never stops a scan.
        self.page_until(plan, after_folded_id, limit, &Deadline::never())
            .expect("a page without a deadline completes")
    }

    /// Returns the page [`Store::page`] returns, or `None` when evaluating it takes past
    /// `deadline`.
    ///
    /// Walks and scans check the deadline every few thousand rows. Index lookups and the
    /// final sort of the matches are not checked, because their cost grows with the number
    /// of matches rather than with the work a filter requests.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use batch_odata::exec::Deadline;
    /// use batch_odata::plan::Plan;
    /// use batch_odata::store::Store;
    ///
    /// let store = Store::load("{\"id\":\"a\"}")?;
    /// let deadline = Deadline::after(Duration::from_secs(30));
    /// let page = store.page_until(&Plan::Const(true), None, 10, &deadline);
    /// assert_eq!(page.map(|page| page.tasks.len()), Some(1));
    /// # Ok::<(), batch_odata::error::Error>(())
    /// ```
    pub fn page_until(
        &self,
        plan: &Plan,
        after_folded_id: Option<&str>,
        limit: usize,
        deadline: &Deadline,
    ) -> Option<Page<'_>> {
        let node = Node::bind(plan, self);
        let window = IdWindow::of(&node);
        let after = after_folded_id.map(fold_case);
        let after = after.as_deref();

        let sample = self
            .indexed_sample(&node, &window)
            .unwrap_or_else(|| self.sample(&node, &window));
        if let Some(expected) = self.expected_walk(limit, sample.matches, sample.window) {
            let budget = if node.scans_all() {
                u64::MAX
            } else {
                expected.saturating_mul(4).saturating_add(MIN_WALK_BUDGET)
            };
            let walked = self.walk(&window, after, limit, budget, |row| {
                !deadline.tick() && node.matches_row(self, row)
            });
            if deadline.expired() {
                return None;
            }
            if walked.is_some() {
                return walked;
            }
        }

        let matches = node.within(self, self.live(), deadline);
        if deadline.expired() {
            return None;
        }
        if self
            .expected_walk(limit, matches.len(), sample.window)
            .is_some()
        {
            let budget = SORT_STEPS_PER_MATCH * matches.len();
            let walked = self.walk(&window, after, limit, budget, |row| matches.contains(row));
            if walked.is_some() {
                return walked;
            }
        }
        Some(self.sort(&matches, after, limit))
    }

    /// Returns the number of ids a walk for a page is expected to visit when `matched`
    /// tasks match among `window` tasks in the id window, or `None` when sorting the
    /// matches is expected to cost less.
    fn expected_walk(&self, limit: usize, matched: u64, window: u64) -> Option<u64> {
        if matched == 0 {
            return None;
        }
        // Every match is in the window, so the window has at least as many tasks.
        let window = u128::from(window.max(matched).min(self.live().len()));
        let walk_length = ((limit as u128 + 1) * window / u128::from(matched)).min(window);
        let cheaper = walk_length <= u128::from(SORT_STEPS_PER_MATCH * matched);
        // The walk length is at most the number of tasks, so it fits in u64.
        cheaper.then_some(walk_length as u64)
    }

    /// Returns the exact number of tasks the node matches, and the number in the id window,
    /// when an index counts them at less cost than the sample. That is so for one leaf over
    /// a bitmap, an ordered index or one id, and for its negation.
    fn indexed_sample(&self, node: &Node, window: &IdWindow) -> Option<Sample> {
        let live = self.live().len();
        // An id range is counted by walking it. Ids looked up narrow the window to the
        // span from the first to the last, which can hold many more tasks than the
        // matches, so only a single id gives the window's size.
        let count = |leaf: &Leaf| match &leaf.access {
            Access::IdLookup { ids, negate: false } if ids.len() > 1 => None,
            _ if leaf.id_bounds().is_some() => None,
            _ => leaf.count(self),
        };
        let matches = match node {
            Node::Const(true) => live,
            Node::Const(false) => 0,
            Node::Leaf(leaf) => count(leaf)?,
            Node::Not(child) => match &**child {
                Node::Leaf(leaf) => live.saturating_sub(count(leaf)?),
                _ => return None,
            },
            Node::And(_) | Node::Or(_) => return None,
        };
        // Of the leaves counted here, only a single id narrows the window, to its match.
        let window = if window.is_unbounded() { live } else { matches };
        Some(Sample { matches, window })
    }

    /// Estimates the number of tasks the node matches, and the number in the id window,
    /// from a sample of row numbers spread evenly over those given out.
    fn sample(&self, node: &Node, window: &IdWindow) -> Sample {
        let rows = self.row_limit() as u64;
        let size = SAMPLE_SIZE.min(rows);
        let mut tested = 0;
        let mut matches = 0;
        let mut in_window = 0;
        for i in 0..size {
            let Ok(row) = u32::try_from(i * rows / size) else {
                continue;
            };
            let Some(id) = self.folded_id_at(row) else {
                continue;
            };
            tested += 1;
            matches += u64::from(node.matches_row(self, row));
            in_window += u64::from(window.contains(id));
        }
        let live = self.live().len();
        let scale = |hits: u64| (hits * live).checked_div(tested).unwrap_or(0);
        Sample {
            matches: scale(matches),
            window: scale(in_window),
        }
    }

    /// Walks the id index after the cursor, within the window, and keeps the rows that
    /// `matches` accepts. Returns `None` when the page needs more than `budget` ids.
    fn walk(
        &self,
        window: &IdWindow,
        after: Option<&str>,
        limit: usize,
        budget: u64,
        matches: impl Fn(u32) -> bool,
    ) -> Option<Page<'_>> {
        let mut page = Page {
            tasks: Vec::new(),
            last_folded_id: None,
            more: false,
        };
        let cursor = after.map_or(Bound::Unbounded, Bound::Excluded);
        let start = later_start(window.start, cursor);
        for (steps, (id, row)) in self.ids().range(start, Bound::Unbounded).enumerate() {
            if steps as u64 >= budget {
                return None;
            }
            if window.is_past(id) {
                break;
            }
            if !matches(row) {
                continue;
            }
            if page.tasks.len() == limit {
                page.more = true;
                break;
            }
            if let Some(task) = self.task_at(row) {
                page.tasks.push(task);
                page.last_folded_id = Some(id);
            }
        }
        Some(page)
    }

    /// Sorts the matching rows after the cursor by folded id and keeps the first `limit`.
    fn sort(&self, matches: &RoaringBitmap, after: Option<&str>, limit: usize) -> Page<'_> {
        let mut entries: Vec<(&str, &str)> = matches
            .iter()
            .filter_map(|row| Some((self.folded_id_at(row)?, self.task_at(row)?)))
            .filter(|(id, _)| after.is_none_or(|after| *id > after))
            .collect();
        let more = entries.len() > limit;
        if more {
            entries.select_nth_unstable_by(limit, |a, b| a.0.cmp(b.0));
            entries.truncate(limit);
        }
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        Page {
            last_folded_id: entries.last().map(|(id, _)| *id),
            tasks: entries.into_iter().map(|(_, task)| task).collect(),
            more,
        }
    }
}

/// Estimates from a sample of tasks.
#[derive(Clone, Copy, Debug)]
struct Sample {
    /// The number of tasks that match the plan.
    matches: u64,
    /// The number of tasks whose ids are in the id window.
    window: u64,
}

/// The folded ids that can match a plan, from the `id` predicates at its top: the plan's
/// leaf, or the leaves directly under a top-level `and`.
#[derive(Clone, Debug)]
struct IdWindow<'a> {
    start: Bound<&'a str>,
    end: Bound<&'a str>,
}

impl<'a> IdWindow<'a> {
    fn unbounded() -> Self {
        IdWindow {
            start: Bound::Unbounded,
            end: Bound::Unbounded,
        }
    }

    fn is_unbounded(&self) -> bool {
        self.start == Bound::Unbounded && self.end == Bound::Unbounded
    }

    fn of(node: &'a Node) -> Self {
        let mut window = IdWindow::unbounded();
        match node {
            Node::Leaf(leaf) => window.narrow(leaf),
            Node::And(children) => {
                for child in children {
                    if let Node::Leaf(leaf) = child {
                        window.narrow(leaf);
                    }
                }
            }
            _ => {}
        }
        window
    }

    fn narrow(&mut self, leaf: &'a Leaf) {
        let bounds = match &leaf.access {
            // The ids of a lookup are sorted.
            Access::IdLookup { ids, negate: false } => match (ids.first(), ids.last()) {
                (Some(first), Some(last)) => {
                    Some((Bound::Included(&**first), Bound::Included(&**last)))
                }
                _ => None,
            },
            _ => leaf.id_bounds(),
        };
        if let Some((start, end)) = bounds {
            self.start = later_start(self.start, start);
            self.end = earlier_end(self.end, end);
        }
    }

    /// Returns true when `id` is in the window.
    fn contains(&self, id: &str) -> bool {
        let after_start = match self.start {
            Bound::Included(start) => id >= start,
            Bound::Excluded(start) => id > start,
            Bound::Unbounded => true,
        };
        after_start && !self.is_past(id)
    }

    /// Returns true when `id`, and so every id after it, is past the window.
    fn is_past(&self, id: &str) -> bool {
        match self.end {
            Bound::Included(end) => id > end,
            Bound::Excluded(end) => id >= end,
            Bound::Unbounded => false,
        }
    }
}

/// Returns the later of two start bounds.
fn later_start<'a>(a: Bound<&'a str>, b: Bound<&'a str>) -> Bound<&'a str> {
    match (a, b) {
        (Bound::Unbounded, other) | (other, Bound::Unbounded) => other,
        (Bound::Included(x), Bound::Included(y)) => Bound::Included(x.max(y)),
        (Bound::Excluded(x), Bound::Excluded(y)) => Bound::Excluded(x.max(y)),
        (Bound::Included(x), Bound::Excluded(y)) | (Bound::Excluded(y), Bound::Included(x)) => {
            if x > y {
                Bound::Included(x)
            } else {
                Bound::Excluded(y)
            }
        }
    }
}

/// Returns the earlier of two end bounds.
fn earlier_end<'a>(a: Bound<&'a str>, b: Bound<&'a str>) -> Bound<&'a str> {
    match (a, b) {
        (Bound::Unbounded, other) | (other, Bound::Unbounded) => other,
        (Bound::Included(x), Bound::Included(y)) => Bound::Included(x.min(y)),
        (Bound::Excluded(x), Bound::Excluded(y)) => Bound::Excluded(x.min(y)),
        (Bound::Included(x), Bound::Excluded(y)) | (Bound::Excluded(y), Bound::Included(x)) => {
            if x < y {
                Bound::Included(x)
            } else {
                Bound::Excluded(y)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{compare, ids, leaf, store, text};
    use super::*;
    use crate::plan::{Test, Value};
    use crate::syntax::CompareOp;

    #[test]
    fn walk_and_sort_agree() {
        let store = store(2000);
        let plans = [
            Plan::Const(true),
            compare("state", CompareOp::Eq, text("running")),
            compare("executionInfo/exitCode", CompareOp::Ge, Value::Int(5)),
            Plan::And(vec![
                compare("state", CompareOp::Ne, text("active")),
                leaf("commandLine", Test::EndsWith(" 3".into())),
            ]),
            leaf("id", Test::StartsWith("task-01".into())),
            compare("id", CompareOp::Eq, text("TASK-1999")),
            Plan::And(vec![
                compare("id", CompareOp::Gt, text("task-0100")),
                compare("id", CompareOp::Le, text("task-0150")),
                leaf("id", Test::StartsWith("task-01".into())),
                compare("state", CompareOp::Eq, text("active")),
            ]),
            leaf(
                "id",
                Test::In(vec![text("task-0005"), text("task-0700"), text("x")]),
            ),
        ];
        for plan in &plans {
            let node = Node::bind(plan, &store);
            let window = IdWindow::of(&node);
            let matches = store.evaluate(plan);
            for after in [None, Some("task-0500"), Some("task-0500x"), Some("zzz")] {
                for limit in [0, 1, 7, 1000, 5000] {
                    let context = format!("{plan:?} after {after:?} limit {limit}");
                    let sorted = store.sort(&matches, after, limit);
                    let unbounded = IdWindow::unbounded();
                    let walked = store.walk(&unbounded, after, limit, u64::MAX, |row| {
                        matches.contains(row)
                    });
                    assert_eq!(walked.as_ref(), Some(&sorted), "{context}");
                    let windowed =
                        store.walk(&window, after, limit, u64::MAX, |row| matches.contains(row));
                    assert_eq!(windowed.as_ref(), Some(&sorted), "window {context}");
                }
            }
        }
    }

    #[test]
    fn narrow_window_makes_walk_cheaper() {
        let store = store(3000);
        assert_eq!(store.expected_walk(10, 30, 3000), None);
        assert_eq!(store.expected_walk(10, 30, 30), Some(11));
        assert_eq!(store.expected_walk(10, 30, 0), Some(11));
        assert_eq!(store.expected_walk(10, 0, 30), None);
        let prefix = leaf("id", Test::StartsWith("task-01".into()));
        let node = Node::bind(&prefix, &store);
        let sample = store.sample(&node, &IdWindow::of(&node));
        assert_eq!(sample.matches, sample.window);
    }

    #[test]
    fn window_follows_top_level_id_predicates() {
        let store = store(3);
        let plan = Plan::And(vec![
            compare("id", CompareOp::Ge, text("b")),
            compare("id", CompareOp::Gt, text("b")),
            compare("id", CompareOp::Lt, text("y")),
            leaf("id", Test::StartsWith("c".into())),
            Plan::Or(vec![compare("id", CompareOp::Lt, text("a"))]),
        ]);
        let node = Node::bind(&plan, &store);
        let window = IdWindow::of(&node);
        assert_eq!(window.start, Bound::Included("c"));
        assert_eq!(window.end, Bound::Excluded("d"));
        assert!(!window.is_past("c"));
        assert!(!window.is_past("cz"));
        assert!(window.is_past("d"));
    }

    #[test]
    fn walk_gives_up_past_budget() {
        let store = store(100);
        let late = compare("id", CompareOp::Ge, text("task-0090"));
        let matches = store.evaluate(&late);
        let all = IdWindow::unbounded();
        assert_eq!(
            store.walk(&all, None, 5, 50, |row| matches.contains(row)),
            None
        );
        let within = store.walk(&all, None, 5, 100, |row| matches.contains(row));
        assert_eq!(within.map(|page| page.tasks.len()), Some(5));
        assert_eq!(
            ids(&store.page(&late, None, 3)),
            ["Task-0090", "Task-0091", "Task-0092"]
        );
    }

    #[test]
    fn page_continues_after_cursor() {
        let store = store(30);
        let plan = compare("executionInfo/exitCode", CompareOp::Eq, Value::Int(0));
        let first = store.page(&plan, None, 2);
        assert_eq!(ids(&first), ["Task-0000", "Task-0007"]);
        assert_eq!(first.last_folded_id, Some("task-0007"));
        assert!(first.more);
        let second = store.page(&plan, first.last_folded_id, 10);
        assert_eq!(ids(&second), ["Task-0014", "Task-0021", "Task-0028"]);
        assert!(!second.more);
    }

    #[test]
    fn page_of_zero_reports_more() {
        let store = store(5);
        let plan = compare("state", CompareOp::Eq, text("completed"));
        let page = store.page(&plan, None, 0);
        assert!(page.tasks.is_empty());
        assert_eq!(page.last_folded_id, None);
        assert!(page.more);
        assert!(!store.page(&plan, Some("task-0004"), 0).more);
    }

    #[test]
    fn scan_plans_page_both_ways() {
        let store = store(3000);
        let dense = leaf("commandLine", Test::StartsWith("run".into()));
        let sparse = leaf("commandLine", Test::EndsWith("run 10".into()));
        let dense_node = Node::bind(&dense, &store);
        let sparse_node = Node::bind(&sparse, &store);
        let all = IdWindow::unbounded();
        let dense_sample = store.sample(&dense_node, &all);
        assert_eq!(dense_sample.matches, 3000);
        assert_eq!(dense_sample.window, 3000);
        assert_eq!(
            store.expected_walk(100, dense_sample.matches, 3000),
            Some(101)
        );
        let sparse_sample = store.sample(&sparse_node, &all);
        assert_eq!(store.expected_walk(100, sparse_sample.matches, 3000), None);
        assert_eq!(store.page(&dense, None, 100).tasks.len(), 100);
        assert_eq!(store.page(&sparse, None, 1000).tasks.len(), 272);
    }
}
