//! Filter text from a grammar over real properties, with constants that fall on and between
//! the values of [`super::job`]'s tasks.

use proptest::prelude::*;

use super::{IDS, TIMES};

pub fn op() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(&["eq", "ne", "gt", "ge", "lt", "le"][..])
}

pub fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

pub fn leaf() -> impl Strategy<Value = String> {
    // An id, a prefix of one, or one in upper case, so comparisons fall between ids too.
    let id =
        (proptest::sample::select(IDS), 1..8usize, any::<bool>()).prop_map(|(id, n, upper)| {
            let prefix: String = id.chars().take(n).collect();
            if upper { prefix.to_uppercase() } else { prefix }
        });
    prop_oneof![
        (
            proptest::sample::select(&["eq", "ne"][..]),
            proptest::sample::select(&["Active", "RUNNING", "completed", "preparing"][..])
        )
            .prop_map(|(op, state)| format!("state {op} '{state}'")),
        (
            proptest::sample::select(&["eq", "ne"][..]),
            proptest::sample::select(&["success", "failure", "null"][..])
        )
            .prop_map(|(op, result)| match result {
                "null" => format!("executionInfo/result {op} null"),
                other => format!("executionInfo/result {op} '{other}'"),
            }),
        (op(), -3i64..4).prop_map(|(op, code)| format!("executionInfo/exitCode {op} {code}")),
        proptest::sample::select(&["eq", "ne"][..])
            .prop_map(|op| format!("executionInfo/exitCode {op} null")),
        (op(), proptest::sample::select(TIMES))
            .prop_map(|(op, time)| format!("creationTime {op} DateTime'{time}'")),
        (op(), id.clone()).prop_map(|(op, id)| format!("id {op} {}", quoted(&id))),
        (
            proptest::sample::select(&["startswith", "endswith", "contains"][..]),
            proptest::sample::select(&["TASK", "task-1", "Ü", "ss", "Σ", "'", "2", ""][..])
        )
            .prop_map(|(function, text)| format!("{function}(id, {})", quoted(text))),
        proptest::collection::vec(id, 1..4).prop_map(|ids| {
            let list: Vec<String> = ids.iter().map(|id| quoted(id)).collect();
            format!("id in ({})", list.join(", "))
        }),
        (-3i64..4).prop_map(|code| format!("executionInfo/exitCode in ({code}, null)")),
        proptest::sample::select(&["true", "false"][..]).prop_map(str::to_owned),
    ]
}

pub fn filter() -> impl Strategy<Value = String> {
    leaf().prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|f| format!("not ({f})")),
            inner.clone().prop_map(|f| format!("({f})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} or {b}")),
            (
                inner,
                proptest::sample::select(&["eq true", "ne true", "eq false"][..])
            )
                .prop_map(|(a, test)| format!("({a}) {test}")),
        ]
    })
}
