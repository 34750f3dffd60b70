//! A generated filter over a small generated job, checked after every change to the job:
//! see `batch_odata::harness::check_differential`.

#![no_main]

use arbitrary::Arbitrary;
use batch_odata::harness::{self, Change as JobChange};
use batch_odata_fuzz::filter::FilterText;
use batch_odata_fuzz::tasks::{Change, TaskJson};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    filter: FilterText,
    tasks: Vec<TaskJson>,
    changes: Vec<Change>,
    page_size: u8,
}

fuzz_target!(|input: Input| {
    let tasks: Vec<_> = input.tasks.into_iter().map(|task| task.0).collect();
    let changes: Vec<JobChange> = input.changes.into_iter().map(Change::into_job).collect();
    let page_size = usize::from(input.page_size % 4) + 1;
    harness::check_differential(&input.filter.0, &tasks, &changes, page_size);
});
