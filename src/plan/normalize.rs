//! Plan normalization: `not` pushed down to predicates, `and`/`or` flattened, constants
//! folded.

use super::{Plan, Predicate, Test};
use crate::syntax::CompareOp;

/// Rewrites a plan into normal form without changing which tasks it matches.
///
/// In the result, `Not` wraps only a single predicate that has no null-safe complement
/// (such as `startswith`), no `And` has an `And` child and no `Or` an `Or` child, and
/// `Const` appears only as the whole plan.
///
/// Negation keeps OData's null rules: `not (exitCode lt 5)` matches tasks without an exit
/// code, so it becomes `exitCode ge 5 or exitCode eq null`, never just `exitCode ge 5`.
pub fn normalize(plan: Plan) -> Plan {
    push_down(plan, false)
}

/// Normalizes `plan`, or its negation when `negate` is set.
fn push_down(plan: Plan, negate: bool) -> Plan {
    match plan {
        Plan::Const(value) => Plan::Const(value != negate),
        Plan::Not(child) => push_down(*child, !negate),
        Plan::And(children) if negate => or(children.into_iter().map(|c| push_down(c, true))),
        Plan::And(children) => and(children.into_iter().map(|c| push_down(c, false))),
        Plan::Or(children) if negate => and(children.into_iter().map(|c| push_down(c, true))),
        Plan::Or(children) => or(children.into_iter().map(|c| push_down(c, false))),
        Plan::Leaf(predicate) if negate => negate_predicate(predicate),
        Plan::Leaf(predicate) => Plan::Leaf(predicate),
    }
}

/// Returns the complement of a predicate, null rules included.
fn negate_predicate(predicate: Predicate) -> Plan {
    let Predicate {
        property,
        test,
        span,
    } = predicate;
    let with = |test| {
        Plan::Leaf(Predicate {
            property,
            test,
            span,
        })
    };
    match test {
        // `eq` is false and `ne` true on null, so they are each other's exact complement.
        Test::Compare(CompareOp::Eq, value) => with(Test::Compare(CompareOp::Ne, value)),
        Test::Compare(CompareOp::Ne, value) => with(Test::Compare(CompareOp::Eq, value)),
        Test::IsNull => with(Test::IsNotNull),
        Test::IsNotNull => with(Test::IsNull),
        // An ordering test is false on null, so its complement also matches null.
        Test::Compare(op, value) => {
            let opposite = match op {
                CompareOp::Lt => CompareOp::Ge,
                CompareOp::Le => CompareOp::Gt,
                CompareOp::Gt => CompareOp::Le,
                _ => CompareOp::Lt,
            };
            or([with(Test::Compare(opposite, value)), with(Test::IsNull)].into_iter())
        }
        test @ (Test::StartsWith(_) | Test::EndsWith(_) | Test::Contains(_) | Test::In(_)) => {
            Plan::Not(Box::new(with(test)))
        }
    }
}

/// Builds a flattened, constant-folded conjunction.
fn and(children: impl Iterator<Item = Plan>) -> Plan {
    let mut terms = Vec::new();
    for child in children {
        match child {
            Plan::Const(true) => {}
            Plan::Const(false) => return Plan::Const(false),
            Plan::And(grandchildren) => terms.extend(grandchildren),
            other => terms.push(other),
        }
    }
    collapse(terms, true)
}

/// Builds a flattened, constant-folded disjunction.
fn or(children: impl Iterator<Item = Plan>) -> Plan {
    let mut terms = Vec::new();
    for child in children {
        match child {
            Plan::Const(false) => {}
            Plan::Const(true) => return Plan::Const(true),
            Plan::Or(grandchildren) => terms.extend(grandchildren),
            other => terms.push(other),
        }
    }
    collapse(terms, false)
}

/// Turns an empty list into the identity constant and a single term into itself.
fn collapse(mut terms: Vec<Plan>, conjunction: bool) -> Plan {
    match terms.len() {
        0 => Plan::Const(conjunction),
        1 => terms.pop().unwrap_or(Plan::Const(conjunction)),
        _ if conjunction => Plan::And(terms),
        _ => Plan::Or(terms),
    }
}
