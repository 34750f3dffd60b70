//! Generated syntax trees print to canonical text that parses back to the same tree, and
//! printing that tree gives the same text.

#![no_main]

use batch_odata::syntax::{Limits, parse, print};
use batch_odata_fuzz::strip_spans;
use batch_odata_fuzz::tree::Tree;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|tree: Tree| {
    let expr = tree.to_expr();
    let printed = print(&expr);
    let limits = Limits {
        max_length: usize::MAX,
        ..Limits::default()
    };
    let parsed = match parse(&printed, &limits) {
        Ok(parsed) => parsed,
        Err(error) => panic!(
            "{expr:?}\nprints {printed:?}\nwhich fails: {}",
            error.render()
        ),
    };
    assert_eq!(strip_spans(&parsed), expr, "printed: {printed:?}");
    assert_eq!(print(&parsed), printed);
});
