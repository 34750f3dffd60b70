//! Arbitrary bytes through the task loaders: see `batch_odata::harness::check_tasks_json`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| batch_odata::harness::check_tasks_json(data));
