//! List Tasks and Get Task Counts over a task store: parameters in, response bodies out.

use std::time::Duration;

use serde_json::Value;

use crate::bind::Mode;
use crate::error::{Error, ErrorKind, Parameter};
use crate::exec::{Deadline, Page};
use crate::filter::{Filter, Options};
use crate::plan::Plan;
use crate::query::{CountsParams, ListParams, SkipToken, next_link};
use crate::response::{Projection, counts_body, list_body, select_names_in};
use crate::schema::{self, Schema};
use crate::store::Store;

/// The `timeout` in seconds when a request gives none, as in the service.
const DEFAULT_TIMEOUT_SECONDS: u32 = 30;

/// A List Tasks page with what its body needs besides the tasks.
struct Listed<'s> {
    page: Page<'s>,
    projection: Projection,
    next: Option<String>,
}

/// A task store with the Batch list operations on top.
#[derive(Default)]
pub struct Engine {
    store: Store,
}

impl Engine {
    /// Creates an engine over `store`.
    pub fn new(store: Store) -> Self {
        Engine { store }
    }

    /// Returns the store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Returns the store for inserts and updates.
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// Runs List Tasks and returns the response body.
    ///
    /// `service_url` is the account URL for `odata.metadata`, and `list_url` the URL of
    /// this job's task list, which `odata.nextLink` extends with the parameters.
    ///
    /// # Errors
    ///
    /// Besides the errors of the parameters, returns [`ErrorKind::OperationTimedOut`] when
    /// evaluating the page takes longer than the request's `timeout` (30 seconds when
    /// absent): see [`Engine::list_until`].
    pub fn list(
        &self,
        params: &ListParams,
        mode: Mode,
        service_url: &str,
        list_url: &str,
    ) -> Result<Value, Error> {
        self.list_until(params, mode, service_url, list_url, &deadline(params))
    }

    /// Runs List Tasks and returns the response body as JSON text, the text that
    /// `serde_json::to_string` writes for the body of [`Engine::list`].
    ///
    /// Each task is projected from its stored text without parsing it into a tree, which
    /// makes this several times faster than [`Engine::list`] followed by serializing.
    ///
    /// # Errors
    ///
    /// The errors of [`Engine::list`].
    pub fn list_text(
        &self,
        params: &ListParams,
        mode: Mode,
        service_url: &str,
        list_url: &str,
    ) -> Result<String, Error> {
        let listed = self.run_list(params, mode, list_url, &deadline(params))?;
        let stored: usize = listed.page.tasks.iter().map(|json| json.len()).sum();
        let mut body = String::with_capacity(stored + 256);
        body.push_str("{\"odata.metadata\":");
        push_json_string(&mut body, &format!("{service_url}/$metadata#tasks"));
        body.push_str(",\"value\":[");
        for (index, json) in listed.page.tasks.iter().enumerate() {
            if index > 0 {
                body.push(',');
            }
            listed
                .projection
                .write_text(json, &mut body)
                .map_err(stored_task_invalid)?;
        }
        body.push(']');
        if let Some(link) = &listed.next {
            body.push_str(",\"odata.nextLink\":");
            push_json_string(&mut body, link);
        }
        body.push('}');
        Ok(body)
    }

    /// Runs List Tasks like [`Engine::list`], with `deadline` in place of the one the
    /// request's `timeout` sets.
    ///
    /// A page that is not evaluated by the deadline is an [`ErrorKind::OperationTimedOut`]
    /// error about the `timeout` parameter. Its Batch code is the service's
    /// `OperationTimedOut`, but the server sends it with HTTP 400 rather than the service's
    /// 500. The filter requested the work, so a retry would time out again, and the
    /// retry policies of HTTP clients, the Azure SDKs' among them, retry a 500.
    pub fn list_until(
        &self,
        params: &ListParams,
        mode: Mode,
        service_url: &str,
        list_url: &str,
        deadline: &Deadline,
    ) -> Result<Value, Error> {
        let listed = self.run_list(params, mode, list_url, deadline)?;
        let tasks = project(&listed.projection, &listed.page.tasks)?;
        Ok(list_body(service_url, tasks, listed.next))
    }

    /// Compiles the filter, checks `$select` and reads the page of a List Tasks request.
    fn run_list(
        &self,
        params: &ListParams,
        mode: Mode,
        list_url: &str,
        deadline: &Deadline,
    ) -> Result<Listed<'_>, Error> {
        let plan = Engine::list_plan(params, mode)?;
        let select = Engine::check_select(params)?;
        let projection = Projection::new(params.api_version, select, params.expand_stats);

        let after = params.skip_token.as_ref().map(SkipToken::last_id);
        let limit = params.max_results as usize;
        let Some(page) = self.store.page_until(&plan, after, limit, deadline) else {
            return Err(timed_out(params));
        };
        let next = next_page(params, list_url, page.more, page.last_folded_id);
        Ok(Listed {
            page,
            projection,
            next,
        })
    }

    /// Compiles the `$filter` of a List Tasks request in `mode`; no filter matches every
    /// task.
    pub fn list_plan(params: &ListParams, mode: Mode) -> Result<Plan, Error> {
        match &params.filter {
            Some(text) => {
                let options = Options::new(params.api_version).mode(mode);
                Ok(Filter::compile(text, &options)?.plan().clone())
            }
            None => Ok(Plan::Const(true)),
        }
    }

    /// Builds a List Tasks body from one page of stored task JSON: each task projected for
    /// the request, and `odata.nextLink` after `last_folded_id` when `more` tasks follow.
    /// Any task store can fill the page, such as [`crate::sql`] queries.
    pub fn page_body(
        params: &ListParams,
        projection: &Projection,
        tasks: &[&str],
        more: bool,
        last_folded_id: Option<&str>,
        service_url: &str,
        list_url: &str,
    ) -> Result<Value, Error> {
        let tasks = project(projection, tasks)?;
        let next = next_page(params, list_url, more, last_folded_id);
        Ok(list_body(service_url, tasks, next))
    }

    /// Checks the `$select` names of a request against its api-version.
    pub fn check_select(params: &ListParams) -> Result<Option<Vec<String>>, Error> {
        Engine::check_select_in(&schema::TASK, params)
    }

    /// Checks the `$select` names of a request against `schema` in its api-version.
    pub fn check_select_in(
        schema: &Schema,
        params: &ListParams,
    ) -> Result<Option<Vec<String>>, Error> {
        let Some(items) = &params.select else {
            return Ok(None);
        };
        let text = params
            .original
            .iter()
            .find(|(name, _)| name == "$select")
            .map_or("", |(_, value)| value.as_str());
        let items: Vec<_> = items
            .iter()
            .map(|item| (item.name.clone(), item.span))
            .collect();
        select_names_in(schema, &items, text, params.api_version).map(Some)
    }

    /// Returns the Get Task Counts body. [`CountsParams`] has already rejected api-versions
    /// older than 2017-06-01.5.1, which lack the operation.
    pub fn counts(&self, params: &CountsParams, service_url: &str) -> Value {
        counts_body(service_url, &self.store.counts(), params.api_version)
    }
}

/// Returns the deadline that the `timeout` of a request sets.
fn deadline(params: &ListParams) -> Deadline {
    let seconds = params.timeout.unwrap_or(DEFAULT_TIMEOUT_SECONDS);
    Deadline::after(Duration::from_secs(seconds.into()))
}

/// Returns the `odata.nextLink` of a page: after `last_folded_id` when `more` tasks follow.
fn next_page(
    params: &ListParams,
    list_url: &str,
    more: bool,
    last_folded_id: Option<&str>,
) -> Option<String> {
    match (more, last_folded_id) {
        (true, Some(last)) => Some(next_link(list_url, params, &SkipToken::new(last))),
        _ => None,
    }
}

/// Parses each stored task and projects it for the request.
fn project(projection: &Projection, tasks: &[&str]) -> Result<Vec<Value>, Error> {
    tasks
        .iter()
        .map(|json| serde_json::from_str(json).map(|task| projection.apply(task)))
        .collect::<Result<Vec<Value>, _>>()
        .map_err(stored_task_invalid)
}

/// Converts a JSON error in a stored task to an error about the task.
///
/// Stored tasks were serialized by the store itself, so this is a broken invariant rather
/// than bad input; it is reported instead of panicking.
fn stored_task_invalid(error: serde_json::Error) -> Error {
    let kind = ErrorKind::TaskInvalid {
        line: 0,
        field: None,
        reason: error.to_string(),
    };
    Error::new(kind, Parameter::Tasks, Default::default(), "")
}

/// Appends `text` as a JSON string.
fn push_json_string(out: &mut String, text: &str) {
    // serde_json fails to serialize only maps with non-string keys, not strings.
    out.push_str(&serde_json::to_string(text).unwrap_or_default());
}

/// Returns the error for a List Tasks page that was not evaluated in time, about the
/// request's `timeout` value, or about no text when the default applied.
fn timed_out(params: &ListParams) -> Error {
    let seconds = params.timeout.unwrap_or(DEFAULT_TIMEOUT_SECONDS);
    let text = params
        .original
        .iter()
        .find(|(name, _)| name == "timeout")
        .map_or("", |(_, value)| value.as_str());
    Error::whole(
        ErrorKind::OperationTimedOut { seconds },
        Parameter::Timeout,
        text,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::Span;

    const URL: &str = "https://account.region.batch.azure.com/jobs/job/tasks";

    /// Returns an engine over `count` active tasks that each run a different command.
    fn engine(count: usize) -> Engine {
        let lines: Vec<String> = (0..count)
            .map(|i| format!(r#"{{"id":"task-{i}","state":"active","commandLine":"run {i}"}}"#))
            .collect();
        Engine::new(Store::load(&lines.join("\n")).expect("generated tasks load"))
    }

    fn params(query: &str) -> ListParams {
        ListParams::from_query(&format!("api-version=2018-12-01.8.0&{query}")).expect("valid")
    }

    #[test]
    fn scan_past_deadline_times_out() {
        let engine = engine(10_000);
        let params = params("$filter=contains(commandLine,'none')&timeout=5");
        let expired = Deadline::after(Duration::ZERO);
        let result = engine.list_until(&params, Mode::Extended, URL, URL, &expired);
        let error = result.expect_err("a scan of 10,000 rows checks the deadline");
        assert_eq!(error.kind(), &ErrorKind::OperationTimedOut { seconds: 5 });
        assert_eq!(error.code(), "OperationTimedOut");
        assert_eq!(error.parameter(), Parameter::Timeout);
        assert_eq!(error.input(), "5");
        assert_eq!(error.span(), Span::new(0, 1));
    }

    #[test]
    fn default_timeout_is_named_without_text() {
        let engine = engine(10_000);
        let params = params("$filter=contains(commandLine,'none')");
        let expired = Deadline::after(Duration::ZERO);
        let result = engine.list_until(&params, Mode::Extended, URL, URL, &expired);
        let error = result.expect_err("a scan of 10,000 rows checks the deadline");
        assert_eq!(error.kind(), &ErrorKind::OperationTimedOut { seconds: 30 });
        assert_eq!(error.input(), "");
    }

    #[test]
    fn short_page_finishes_before_first_check() {
        let engine = engine(10_000);
        let params = params("$filter=state%20eq%20'active'&maxresults=10");
        let expired = Deadline::after(Duration::ZERO);
        let body = engine.list_until(&params, Mode::Extended, URL, URL, &expired);
        let body = body.expect("a walk of 11 rows never reads the clock");
        assert_eq!(body["value"].as_array().map(Vec::len), Some(10));
    }

    #[test]
    fn timeout_budget_allows_full_scan() {
        let engine = engine(10_000);
        let params = params("$filter=contains(commandLine,'none')&timeout=30");
        let body = engine
            .list(&params, Mode::Extended, URL, URL)
            .expect("in time");
        assert_eq!(body["value"].as_array().map(Vec::len), Some(0));
    }
}
