//! Arbitrary bytes through the task loaders. Each load either fails or loads every task:
//! `load_tasks` and `Store::load_from_reader` must agree on which, on the first error, and
//! on the number of tasks, and a loaded store must list exactly the loaded ids.

#![no_main]

use batch_odata::plan::Plan;
use batch_odata::store::Store;
use batch_odata::task::load_tasks;
use batch_odata_fuzz::check_error;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let from_reader = Store::load_from_reader(data);
    let Ok(text) = std::str::from_utf8(data) else {
        if let Err(error) = &from_reader {
            check_error(error);
        }
        return;
    };

    match (load_tasks(text), from_reader) {
        (Ok(records), Ok(store)) => {
            assert_eq!(store.len(), records.len());
            assert_eq!(store.count(&Plan::Const(true)), records.len() as u64);
            for record in &records {
                assert_eq!(store.get(record.id()), Some(record.json()));
            }
            let page = store.page(&Plan::Const(true), None, records.len() + 1);
            assert_eq!(page.tasks.len(), records.len());
            assert!(!page.more);
        }
        (Err(records_error), Err(store_error)) => {
            check_error(&records_error);
            assert_eq!(records_error.to_string(), store_error.to_string());
        }
        (Ok(records), Err(error)) => {
            panic!(
                "{} tasks load but the store fails: {}",
                records.len(),
                error.render()
            )
        }
        (Err(error), Ok(store)) => {
            panic!(
                "the store loads {} tasks but load_tasks fails: {}",
                store.len(),
                error.render()
            )
        }
    }
});
