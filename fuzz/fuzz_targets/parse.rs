//! Arbitrary bytes as `$filter` and `$select` text for every api-version and both binding
//! modes: parsing, binding and normalizing must never panic, every error must point into
//! its input (also under tight limits), and a parsed filter must print to text that
//! parses to the same tree.

#![no_main]

use batch_odata::bind::{Mode, bind};
use batch_odata::plan::normalize;
use batch_odata::query::ListParams;
use batch_odata::syntax::{Limits, parse, print};
use batch_odata::version::ApiVersion;
use batch_odata_fuzz::{check_error, strip_spans};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check_select(text);
    check_tight_limits(text);

    let expr = match parse(text, &Limits::default()) {
        Ok(expr) => expr,
        Err(error) => return check_error(&error),
    };

    // Canonical text can be longer than its source (`1e300` prints every digit), so the
    // re-parse lifts the length limit but keeps the others.
    let printed = print(&expr);
    let unbounded = Limits {
        max_length: usize::MAX,
        ..Limits::default()
    };
    let reparsed = match parse(&printed, &unbounded) {
        Ok(reparsed) => reparsed,
        Err(error) => panic!(
            "printed text fails to parse: {printed:?}\n{}",
            error.render()
        ),
    };
    assert_eq!(
        strip_spans(&expr),
        strip_spans(&reparsed),
        "printed: {printed:?}"
    );
    assert_eq!(print(&reparsed), printed);

    for version in ApiVersion::ALL {
        for mode in [Mode::Strict, Mode::Extended] {
            match bind(&expr, text, version, mode) {
                Ok(plan) => drop(normalize(plan)),
                Err(error) => check_error(&error),
            }
        }
    }
});

/// Runs the text as a `$select` value through the List Tasks parameter checks.
fn check_select(text: &str) {
    let pairs = [
        ("api-version".to_owned(), "2018-12-01.8.0".to_owned()),
        ("$select".to_owned(), text.to_owned()),
    ];
    if let Err(error) = ListParams::from_pairs(&pairs) {
        check_error(&error);
    }
}

/// Parses with limits small enough for short inputs to reach, so that the error paths of
/// every limit run, including a length limit that falls inside a multi-byte char.
fn check_tight_limits(text: &str) {
    let tight = Limits {
        max_length: Limits::default().max_length,
        max_depth: 3,
        max_terms: 4,
        max_in_list: 2,
    };
    let short = Limits {
        max_length: text.len().saturating_sub(1),
        ..tight
    };
    for limits in [tight, short] {
        if let Err(error) = parse(text, &limits) {
            check_error(&error);
        }
    }
}
