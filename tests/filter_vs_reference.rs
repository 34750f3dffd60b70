//! Random filter text through the whole pipeline against the reference evaluator.
//!
//! Each case generates a small job and a filter from a grammar over real properties. The
//! filter is parsed and bound; the reference evaluator runs the bound plan on the task JSON,
//! and the store runs the normalized plan. Both must list the same ids in folded order and
//! count the same, so a bug in parsing precedence, binding, normalization or the indexes
//! shows up as a difference.

mod common;

use batch_odata::bind::{Mode, bind};
use batch_odata::syntax::{Limits, parse};
use batch_odata::version::ApiVersion;
use common::filters::filter;
use common::{check_against_reference, job};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

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
        check_against_reference(&tasks, &bound, &text)?;
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
