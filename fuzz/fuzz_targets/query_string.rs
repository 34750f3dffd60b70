//! Arbitrary raw query strings through decoding and the List Tasks and Get Task Counts
//! parameter checks. Accepted List Tasks parameters must survive a trip through
//! `odata.nextLink`, and an accepted `$filter` must compile or fail cleanly.

#![no_main]

use batch_odata::filter::{Filter, Options};
use batch_odata::query::{CountsParams, ListParams, SkipToken, decode_query, next_link};
use batch_odata_fuzz::check_error;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(error) = decode_query(raw) {
        check_error(&error);
    }
    if let Err(error) = CountsParams::from_query(raw) {
        check_error(&error);
    }

    let params = match ListParams::from_query(raw) {
        Ok(params) => params,
        Err(error) => return check_error(&error),
    };
    if let Some(filter) = &params.filter
        && let Err(error) = Filter::compile(filter, &Options::new(params.api_version))
    {
        check_error(&error);
    }

    let last_id = params
        .skip_token
        .as_ref()
        .map_or("task-1", SkipToken::last_id)
        .to_owned();
    let link = next_link(
        "https://b.example/jobs/j/tasks",
        &params,
        &SkipToken::new(&last_id),
    );
    let (_, query) = link.split_once('?').expect("a next link has a query");
    let next = match ListParams::from_query(query) {
        Ok(next) => next,
        Err(error) => panic!("next link {link:?} is rejected: {}", error.render()),
    };
    assert_eq!(next.api_version, params.api_version, "{link}");
    assert_eq!(next.filter, params.filter, "{link}");
    assert_eq!(next.max_results, params.max_results, "{link}");
    let names = |params: &ListParams| {
        let items = params.select.as_ref()?;
        Some(
            items
                .iter()
                .map(|item| item.name.clone())
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(names(&next), names(&params), "{link}");
    let next_id = next.skip_token.as_ref().map(SkipToken::last_id);
    assert_eq!(next_id, Some(last_id.as_str()), "{link}");
});
