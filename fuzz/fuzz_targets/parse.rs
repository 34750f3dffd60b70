//! Arbitrary bytes as `$filter` and `$select` text for every api-version and both binding
//! modes: see `batch_odata::harness::check_filter`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| batch_odata::harness::check_filter(data));
