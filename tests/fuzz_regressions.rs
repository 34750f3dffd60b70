//! Replays fuzz inputs on stable Rust, with the checks of the byte-input fuzz targets in
//! `fuzz/fuzz_targets/`: the `parse`, `query_string` and `tasks_json` targets.
//!
//! Two sources are replayed: the hand-written seeds in `fuzz/corpus/TARGET/seed-*`, and
//! every file in `fuzz/artifacts-replay/TARGET/`, where an input that crashed or hung a
//! target is kept after its fix. Findings of the structured targets (`roundtrip`,
//! `differential`) are written out as named tests at the end of this file instead.

use std::fs;
use std::path::Path;

use batch_odata::bind::{Mode, bind};
use batch_odata::error::Error;
use batch_odata::filter::{Filter, Options};
use batch_odata::plan::{Plan, normalize};
use batch_odata::query::{CountsParams, ListParams, decode_query};
use batch_odata::store::Store;
use batch_odata::syntax::{Limits, parse, print};
use batch_odata::task::load_tasks;
use batch_odata::version::ApiVersion;

/// Checks that an error's span lies inside its input on char boundaries, and that it
/// renders.
fn check_error(error: &Error) {
    let input = error.input();
    let span = error.span();
    assert!(span.start <= span.end, "{error:?}");
    assert!(span.end <= input.len(), "{error:?}");
    assert!(input.is_char_boundary(span.start), "{error:?}");
    assert!(input.is_char_boundary(span.end), "{error:?}");
    let _ = error.render();
}

/// Runs the checks of the `parse` target.
fn replay_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let pairs = [
        ("api-version".to_owned(), "2018-12-01.8.0".to_owned()),
        ("$select".to_owned(), text.to_owned()),
    ];
    if let Err(error) = ListParams::from_pairs(&pairs) {
        check_error(&error);
    }
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

    let expr = match parse(text, &Limits::default()) {
        Ok(expr) => expr,
        Err(error) => return check_error(&error),
    };
    let printed = print(&expr);
    let unbounded = Limits {
        max_length: usize::MAX,
        ..Limits::default()
    };
    let reparsed = parse(&printed, &unbounded).unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(print(&reparsed), printed);
    for version in ApiVersion::ALL {
        for mode in [Mode::Strict, Mode::Extended] {
            match bind(&expr, text, version, mode) {
                Ok(plan) => drop(normalize(plan)),
                Err(error) => check_error(&error),
            }
        }
    }
}

/// Runs the checks of the `query_string` target, except the `odata.nextLink` round trip.
fn replay_query_string(data: &[u8]) {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(error) = decode_query(raw) {
        check_error(&error);
    }
    if let Err(error) = CountsParams::from_query(raw) {
        check_error(&error);
    }
    match ListParams::from_query(raw) {
        Ok(params) => {
            if let Some(filter) = &params.filter
                && let Err(error) = Filter::compile(filter, &Options::new(params.api_version))
            {
                check_error(&error);
            }
        }
        Err(error) => check_error(&error),
    }
}

/// Runs the checks of the `tasks_json` target.
fn replay_tasks_json(data: &[u8]) {
    let from_reader = Store::load_from_reader(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match (load_tasks(text), from_reader) {
        (Ok(records), Ok(store)) => {
            assert_eq!(store.len(), records.len());
            assert_eq!(store.count(&Plan::Const(true)), records.len() as u64);
        }
        (Err(records_error), Err(store_error)) => {
            check_error(&records_error);
            assert_eq!(records_error.to_string(), store_error.to_string());
        }
        (records, store) => panic!("loaders disagree: {:?} vs {:?}", records.err(), store.err()),
    }
}

/// Replays the seeds and kept artifacts of one target, and returns how many ran.
fn replay_files(target: &str, replay: fn(&[u8])) -> usize {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut paths = Vec::new();
    for (folder, prefix) in [("corpus", "seed-"), ("artifacts-replay", "")] {
        let Ok(entries) = fs::read_dir(fuzz.join(folder).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a readable folder").path();
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if name.starts_with(prefix) {
                paths.push(path);
            }
        }
    }
    for path in &paths {
        let data = fs::read(path).expect("a readable file");
        eprintln!("replaying {}", path.display());
        replay(&data);
    }
    paths.len()
}

#[test]
fn parse_files_replay() {
    assert!(replay_files("parse", replay_parse) > 0);
}

#[test]
fn query_string_files_replay() {
    assert!(replay_files("query_string", replay_query_string) > 0);
}

#[test]
fn tasks_json_files_replay() {
    assert!(replay_files("tasks_json", replay_tasks_json) > 0);
}
