//! The text of [`crate::store::Store::explain`].

use std::fmt::Write;

use super::Node;
use super::leaf::{Access, Leaf};
use crate::plan::Predicate;
use crate::span::Span;

/// Returns the bound plan, one node per line, indented two spaces per level.
pub(crate) fn explain(node: &Node) -> String {
    let mut out = String::new();
    write_node(&mut out, node, 0);
    out
}

fn write_node(out: &mut String, node: &Node, depth: usize) {
    let indent = "  ".repeat(depth);
    match node {
        Node::Const(value) => {
            let _ = writeln!(out, "{indent}{value}");
        }
        Node::And(children) | Node::Or(children) => {
            let keyword = if matches!(node, Node::And(_)) {
                "and"
            } else {
                "or"
            };
            let _ = writeln!(out, "{indent}{keyword}");
            for child in children {
                write_node(out, child, depth + 1);
            }
        }
        Node::Not(child) => {
            let _ = writeln!(out, "{indent}not");
            write_node(out, child, depth + 1);
        }
        Node::Leaf(leaf) => {
            let _ = writeln!(out, "{indent}{}  [{}]", predicate(leaf), access(leaf));
        }
    }
}

/// Returns the predicate in filter syntax, with its strings folded. A merged leaf shows the
/// tests it serves joined by the operator that was between them.
fn predicate(leaf: &Leaf) -> String {
    // Only `or` merges id lookups and bitmaps, and only `and` merges ranges.
    let joiner = match leaf.access {
        Access::IdLookup { .. } | Access::Bitmap { .. } => "or",
        _ => "and",
    };
    let text = |test: &crate::plan::Test| {
        let predicate = Predicate {
            property: leaf.property,
            test: test.clone(),
            span: Span::default(),
        };
        predicate.to_string()
    };
    let mut out = text(&leaf.test);
    for test in &leaf.merged {
        let _ = write!(out, " {joiner} {}", text(test));
    }
    out
}

/// Returns the name of the structure that serves the leaf.
fn access(leaf: &Leaf) -> String {
    let path = leaf.property.path;
    match &leaf.access {
        Access::Constant(true) => "constant: every task".to_owned(),
        Access::Constant(false) => "constant: no task".to_owned(),
        Access::Unheld => "not held: no task".to_owned(),
        Access::IdLookup { .. } => "id lookup".to_owned(),
        Access::IdRange { .. } => "id range".to_owned(),
        Access::IdPrefix { .. } => "id prefix".to_owned(),
        Access::IdScan | Access::Scan => format!("scan: {path}"),
        Access::Bitmap { .. } => format!("bitmap: {path}"),
        Access::Presence => format!("presence: {path}"),
        Access::Ordered { .. } => format!("range: {path}"),
    }
}
