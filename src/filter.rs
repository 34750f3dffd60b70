//! The one-line entry point: a `$filter` compiled for one api-version and mode.

use crate::bind::{Mode, bind_schema};
use crate::error::Error;
use crate::plan::{Plan, normalize};
use crate::schema::{self, Schema};
use crate::syntax::{Expr, Limits, parse};
use crate::version::ApiVersion;

/// Options for compiling a filter.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The model the filter is checked against: [`schema::TASK`] unless set.
    pub schema: &'static Schema,
    /// The api-version whose schema the filter is checked against.
    pub version: ApiVersion,
    /// The binding mode: the properties and forms accepted.
    pub mode: Mode,
    /// Size and nesting limits.
    pub limits: Limits,
}

impl Options {
    /// Creates options for task filters in `version`, in extended mode with default limits.
    pub fn new(version: ApiVersion) -> Self {
        Options {
            schema: &schema::TASK,
            version,
            mode: Mode::Extended,
            limits: Limits::default(),
        }
    }

    /// Sets the model, such as [`schema::JOB`] for List Jobs.
    pub fn schema(mut self, schema: &'static Schema) -> Self {
        self.schema = schema;
        self
    }

    /// Sets the binding mode.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets the input limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

/// A compiled `$filter`: the syntax tree and the normalized plan.
#[derive(Clone, Debug)]
pub struct Filter {
    syntax: Expr,
    plan: Plan,
}

impl Filter {
    /// Compiles a filter for `version` in extended mode.
    ///
    /// ```
    /// use batch_odata::filter::Filter;
    /// use batch_odata::version::ApiVersion;
    ///
    /// let filter = Filter::parse("state eq 'Active' and not (executionInfo/exitCode lt 0)", ApiVersion::LATEST)?;
    /// assert_eq!(
    ///     filter.plan().to_string(),
    ///     "state eq 'active' and (executionInfo/exitCode ge 0 or executionInfo/exitCode eq null)"
    /// );
    /// # Ok::<(), batch_odata::error::Error>(())
    /// ```
    pub fn parse(text: &str, version: ApiVersion) -> Result<Filter, Error> {
        Filter::compile(text, &Options::new(version))
    }

    /// Compiles a filter with explicit options.
    pub fn compile(text: &str, options: &Options) -> Result<Filter, Error> {
        let syntax = parse(text, &options.limits)?;
        let bound = bind_schema(&syntax, text, options.schema, options.version, options.mode)?;
        let plan = normalize(bound);
        Ok(Filter { syntax, plan })
    }

    /// Returns the syntax tree.
    pub fn syntax(&self) -> &Expr {
        &self.syntax
    }

    /// Returns the normalized plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }
}
