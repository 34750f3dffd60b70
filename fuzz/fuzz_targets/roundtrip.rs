//! Generated syntax trees print to canonical text that parses back to the same tree: see
//! `batch_odata::harness::check_print_round_trip`.

#![no_main]

use batch_odata_fuzz::tree::Tree;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|tree: Tree| batch_odata::harness::check_print_round_trip(&tree.to_expr()));
