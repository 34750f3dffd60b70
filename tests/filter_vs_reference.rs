//! Random filter text through the whole pipeline against the reference evaluator.
//!
//! Each case generates a small job and a filter from a grammar over real properties. The
//! filter is parsed and bound; the reference evaluator runs the bound plan on the task JSON,
//! and the store runs the normalized plan. Both must list the same ids in folded order and
//! count the same, so a bug in parsing precedence, binding, normalization or the indexes
//! shows up as a difference.

use batch_odata::bind::{Mode, bind};
use batch_odata::exec::reference;
use batch_odata::fold::fold_case;
use batch_odata::plan::normalize;
use batch_odata::store::Store;
use batch_odata::syntax::{Limits, parse};
use batch_odata::version::ApiVersion;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::Value;

mod support;

use support::filters::{filter, job};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn store_lists_what_reference_matches(tasks in job(), text in filter()) {
        let expr = match parse(&text, &Limits::default()) {
            Ok(expr) => expr,
            // Generated text is valid except for precedence surprises the grammar allows,
            // such as a comparison of comparisons; those must fail cleanly, never panic.
            Err(_) => return Ok(()),
        };
        let bound = match bind(&expr, &text, ApiVersion::LATEST, Mode::Extended) {
            Ok(plan) => plan,
            Err(_) => return Ok(()),
        };
        let normalized = normalize(bound.clone());

        let lines: Vec<String> = tasks.iter().map(Value::to_string).collect();
        let store = Store::load(&lines.join("\n")).expect("generated tasks load");

        let mut expected: Vec<String> = tasks
            .iter()
            .filter(|task| reference::matches(&bound, task))
            .map(|task| task["id"].as_str().unwrap_or_default().to_owned())
            .collect();
        expected.sort_by_key(|id| fold_case(id));

        let mut listed = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = store.page(&normalized, after.as_deref(), 3);
            for json in &page.tasks {
                let task: Value = serde_json::from_str(json).expect("stored JSON");
                listed.push(task["id"].as_str().unwrap_or_default().to_owned());
            }
            match (page.more, page.last_folded_id) {
                (true, Some(last)) => after = Some(last.to_owned()),
                _ => break,
            }
        }
        prop_assert_eq!(&listed, &expected, "filter: {}\nplan: {}", text, normalized);
        prop_assert_eq!(store.count(&normalized), expected.len() as u64, "filter: {}", text);
    }
}

#[test]
fn generated_filters_mostly_compile() {
    // Guards the property test above against a generator that produces only errors.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut compiled = 0;
    for _ in 0..500 {
        let text = filter().new_tree(&mut runner).expect("a filter").current();
        let ok = parse(&text, &Limits::default())
            .ok()
            .and_then(|expr| bind(&expr, &text, ApiVersion::LATEST, Mode::Extended).ok())
            .is_some();
        compiled += usize::from(ok);
    }
    assert!(
        compiled > 450,
        "only {compiled} of 500 generated filters compiled"
    );
}
