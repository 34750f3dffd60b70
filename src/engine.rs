//! List Tasks and Get Task Counts over a task store: parameters in, response bodies out.

use serde_json::Value;

use crate::bind::Mode;
use crate::error::{Error, ErrorKind, Parameter};
use crate::exec::Page;
use crate::filter::{Filter, Options};
use crate::plan::Plan;
use crate::query::{CountsParams, ListParams, SkipToken, next_link};
use crate::response::{Projection, counts_body, list_body, select_names};
use crate::store::Store;

/// A List Tasks page with what its body needs besides the tasks.
struct Listed<'s> {
    page: Page<'s>,
    projection: Projection,
    next: Option<String>,
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
    pub fn list(
        &self,
        params: &ListParams,
        mode: Mode,
        service_url: &str,
        list_url: &str,
    ) -> Result<Value, Error> {
        let listed = self.run_list(params, mode, list_url)?;
        let tasks = listed
            .page
            .tasks
            .iter()
            .map(|json| serde_json::from_str(json).map(|task| listed.projection.apply(task)))
            .collect::<Result<Vec<Value>, _>>()
            .map_err(stored_task_invalid)?;
        Ok(list_body(service_url, tasks, listed.next))
    }

    /// Runs List Tasks and returns the response body as JSON text, the text that
    /// `serde_json::to_string` writes for the body of [`Engine::list`].
    ///
    /// Each task is projected from its stored text without parsing it into a tree, which
    /// makes this several times faster than [`Engine::list`] followed by serializing.
    pub fn list_text(
        &self,
        params: &ListParams,
        mode: Mode,
        service_url: &str,
        list_url: &str,
    ) -> Result<String, Error> {
        let listed = self.run_list(params, mode, list_url)?;
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

    /// Compiles the filter, checks `$select` and reads the page of a List Tasks request.
    fn run_list(
        &self,
        params: &ListParams,
        mode: Mode,
        list_url: &str,
    ) -> Result<Listed<'_>, Error> {
        let plan = match &params.filter {
            Some(text) => {
                let options = Options::new(params.api_version).mode(mode);
                Filter::compile(text, &options)?.plan().clone()
            }
            None => Plan::Const(true),
        };
        let select = Engine::check_select(params)?;
        let projection = Projection::new(params.api_version, select, params.expand_stats);

        // TODO(#5): enforce `params.timeout` as a work budget, so that a filter of many
        // unindexed predicates cannot run for minutes over millions of tasks.
        let after = params.skip_token.as_ref().map(SkipToken::last_id);
        let page = self.store.page(&plan, after, params.max_results as usize);
        let next = match (page.more, page.last_folded_id) {
            (true, Some(last)) => Some(next_link(list_url, params, &SkipToken::new(last))),
            _ => None,
        };
        Ok(Listed {
            page,
            projection,
            next,
        })
    }

    /// Checks the `$select` names of a request against its api-version.
    pub fn check_select(params: &ListParams) -> Result<Option<Vec<String>>, Error> {
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
        select_names(&items, text, params.api_version).map(Some)
    }

    /// Returns the Get Task Counts body. [`CountsParams`] has already rejected api-versions
    /// older than 2017-06-01.5.1, which lack the operation.
    pub fn counts(&self, params: &CountsParams, service_url: &str) -> Value {
        counts_body(service_url, &self.store.counts(), params.api_version)
    }
}
