//! List Tasks pages: matching tasks in folded-id order, from a cursor.
//!
//! A page comes either from walking the id index from the cursor and keeping the matching
//! rows, or from evaluating the plan and sorting the matches by id. Walking stops after
//! `limit + 1` matches, so with `m` matches among `n` tasks spread evenly it visits about
//! `(limit + 1) * n / m` ids. Sorting costs about two steps per match. The cheaper one runs.
//! Matches are often not spread evenly, such as `creationTime gt ...` when ids grow with
//! creation time. So a walk that has visited as many ids as sorting would cost gives up,
//! and the matches are sorted instead, which at most doubles the cost of the better choice.
//!
//! A walk starts no earlier and stops no later than the `id` predicates at the top of the
//! plan allow, so `id gt 'x'` or `startswith(id, 'x')` never walks the ids before `x`.

use std::ops::Bound;

use roaring::RoaringBitmap;

use super::Node;
use super::leaf::{Access, Leaf};
use crate::fold::fold_case;
use crate::plan::Plan;
use crate::store::Store;

/// Live rows tested to estimate how many tasks a plan with no index matches.
const SAMPLE_SIZE: u64 = 256;

/// The estimated cost of sorting one match, in steps of a walk: reading the row's id and
/// about two comparisons, against one id and one bitmap lookup per step.
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
        let node = Node::bind(plan, self);
        let window = IdWindow::of(&node);
        let after = after_folded_id.map(fold_case);
        let after = after.as_deref();

        // Evaluating a plan that no index serves scans every task, while a walk may stop
        // early, so a sample decides whether to skip the evaluation.
        // That walk has no budget, because giving up would lead to the full scan.
        if node.scans_all() && self.walk_is_cheaper(limit, self.estimate_matches(&node)) {
            let walked = self.walk(&window, after, limit, u64::MAX, |row| {
                node.matches_row(self, row)
            });
            if let Some(page) = walked {
                return page;
            }
        }

        let matches = node.within(self, self.live());
        if self.walk_is_cheaper(limit, matches.len()) {
            let budget = SORT_STEPS_PER_MATCH * matches.len();
            let walked = self.walk(&window, after, limit, budget, |row| matches.contains(row));
            if let Some(page) = walked {
                return page;
            }
        }
        self.sort(&matches, after, limit)
    }

    /// Returns true when walking the id index for a page is expected to cost less than
    /// sorting `matched` matches.
    fn walk_is_cheaper(&self, limit: usize, matched: u64) -> bool {
        if matched == 0 {
            return false;
        }
        let tasks = u128::from(self.live().len());
        let walk_length = ((limit as u128 + 1) * tasks / u128::from(matched)).min(tasks);
        walk_length <= u128::from(SORT_STEPS_PER_MATCH * matched)
    }

    /// Returns an estimate of the number of tasks the node matches, from a sample of rows
    /// spread evenly over the live ones.
    fn estimate_matches(&self, node: &Node) -> u64 {
        let live = self.live();
        let tasks = live.len();
        let sample = SAMPLE_SIZE.min(tasks);
        if sample == 0 {
            return 0;
        }
        let hits = (0..sample)
            .filter_map(|i| u32::try_from(i * tasks / sample).ok())
            .filter_map(|rank| live.select(rank))
            .filter(|&row| node.matches_row(self, row))
            .count() as u64;
        hits * tasks / sample
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

/// The folded ids that can match a plan, from the `id` predicates at its top: the plan's
/// leaf, or the leaves directly under a top-level `and`.
#[derive(Clone, Debug)]
struct IdWindow<'a> {
    start: Bound<&'a str>,
    end: Bound<&'a str>,
    /// Prefixes that every matching id starts with.
    prefixes: Vec<&'a str>,
}

impl<'a> IdWindow<'a> {
    fn unbounded() -> Self {
        IdWindow {
            start: Bound::Unbounded,
            end: Bound::Unbounded,
            prefixes: Vec::new(),
        }
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
        match &leaf.access {
            Access::IdRange { start, end } => {
                self.start = later_start(self.start, start.as_ref().map(String::as_str));
                self.end = earlier_end(self.end, end.as_ref().map(String::as_str));
            }
            Access::IdPrefix(prefix) => {
                self.start = later_start(self.start, Bound::Included(prefix));
                self.prefixes.push(prefix);
            }
            // The ids of a lookup are sorted.
            Access::IdLookup { ids, negate: false } => {
                if let (Some(first), Some(last)) = (ids.first(), ids.last()) {
                    self.start = later_start(self.start, Bound::Included(first));
                    self.end = earlier_end(self.end, Bound::Included(last));
                }
            }
            _ => {}
        }
    }

    /// Returns true when `id`, and so every id after it, is past the window.
    fn is_past(&self, id: &str) -> bool {
        let past_end = match self.end {
            Bound::Included(end) => id > end,
            Bound::Excluded(end) => id >= end,
            Bound::Unbounded => false,
        };
        past_end
            || self
                .prefixes
                .iter()
                .any(|prefix| id > *prefix && !id.starts_with(prefix))
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
        assert_eq!(window.end, Bound::Excluded("y"));
        assert!(!window.is_past("c"));
        assert!(!window.is_past("cz"));
        assert!(window.is_past("d"));
        assert!(window.is_past("y"));
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
        assert!(store.walk_is_cheaper(100, store.estimate_matches(&dense_node)));
        assert!(!store.walk_is_cheaper(100, store.estimate_matches(&sparse_node)));
        assert_eq!(store.page(&dense, None, 100).tasks.len(), 100);
        assert_eq!(store.page(&sparse, None, 1000).tasks.len(), 272);
    }
}
