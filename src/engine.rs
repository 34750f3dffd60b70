//! List Tasks and Get Task Counts over a task store: parameters in, response bodies out.

use serde_json::Value;

use crate::bind::Mode;
use crate::error::{Error, ErrorKind, Parameter};
use crate::filter::{Filter, Options};
use crate::plan::Plan;
use crate::query::{CountsParams, ListParams, SkipToken, next_link};
use crate::response::{Projection, counts_body, list_body, select_names_in};
use crate::schema::{self, Schema};
use crate::store::Store;

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
        let tasks = page
            .tasks
            .iter()
            .map(|json| serde_json::from_str(json).map(|task| projection.apply(task)))
            .collect::<Result<Vec<Value>, _>>()
            .map_err(|e| {
                // Stored tasks were serialized by the store itself, so this is a broken
                // invariant rather than bad input; report it instead of panicking.
                let kind = ErrorKind::TaskInvalid {
                    line: 0,
                    field: None,
                    reason: e.to_string(),
                };
                Error::new(kind, Parameter::Tasks, Default::default(), "")
            })?;
        let next = match (page.more, page.last_folded_id) {
            (true, Some(last)) => Some(next_link(list_url, params, &SkipToken::new(last))),
            _ => None,
        };
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
