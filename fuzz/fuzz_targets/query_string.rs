//! Arbitrary raw query strings through decoding and the List Tasks and Get Task Counts
//! parameter checks: see `batch_odata::harness::check_query_string`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| batch_odata::harness::check_query_string(data));
