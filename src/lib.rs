//! batch-odata compiles the OData `$filter` and `$select` parameters of Azure Batch List
//! Tasks into typed query plans, checks them against the task schema of the requested
//! api-version, and runs them over roaring bitmap indexes, so List Tasks and Get Task Counts
//! stay fast over millions of tasks.
//!
//! # Example
//!
//! ```
//! use batch_odata::filter::Filter;
//! use batch_odata::store::Store;
//! use batch_odata::task::load_tasks;
//! use batch_odata::version::ApiVersion;
//!
//! let tasks = load_tasks(concat!(
//!     r#"{"id": "task-1", "state": "completed", "executionInfo": {"exitCode": 0, "result": "success"}}"#, "\n",
//!     r#"{"id": "task-2", "state": "completed", "executionInfo": {"exitCode": 3, "result": "failure"}}"#, "\n",
//!     r#"{"id": "task-3", "state": "active"}"#, "\n",
//! ))?;
//! let mut store = Store::new();
//! for task in tasks {
//!     store.insert(task)?;
//! }
//!
//! let filter = Filter::parse("state eq 'Completed' and executionInfo/exitCode ne 0", ApiVersion::LATEST)?;
//! assert_eq!(store.count(filter.plan()), 1);
//! assert_eq!(store.counts().failed, 1);
//! # Ok::<(), batch_odata::error::Error>(())
//! ```
//!
//! The pipeline has one module per stage: [`version`] → [`lexer`] → [`syntax`] → [`bind`]
//! → [`plan`] → [`store`] and [`exec`] → [`response`]. [`filter::Filter`] chains the
//! first stages and [`engine::Engine`] runs whole requests.
//!
//! # Supported syntax
//!
//! The grammar is written down in `grammar/filter.abnf`. In short:
//!
//! - comparisons `eq ne gt ge lt le`, combined with `and`, `or`, `not` and parentheses;
//!   precedence from tightest: `not`, comparisons, `and`, `or`, all left-associative;
//! - `startswith(property, 'prefix')`, and as extensions `endswith`, `contains` and
//!   `property in ('a', 'b')`;
//! - literals: strings in single quotes with `''` for a quote, integers (negative too),
//!   decimals, `true`, `false`, `null`, and `DateTime'...'` holding a W3C-DTF value with up
//!   to 7 fractional digits and any UTC offset, or an RFC 1123 value;
//! - property paths such as `executionInfo/exitCode`; the documented name
//!   `lastModifiedTime` is accepted for `lastModified`.
//!
//! Two binding modes ([`bind::Mode`]) decide what is accepted. Strict mode allows the
//! documented List Tasks property and operator table of the api-version, like the
//! service. Extended mode (the default) allows every scalar property of the version's
//! schema, `not`, `in`, `endswith`, `contains`, boolean constants and bare ISO 8601
//! date-times. Strict mode also accepts three forms the documentation neither shows nor
//! forbids: `lastModified` beside the documented `lastModifiedTime`, a literal on the left
//! (`'active' eq state`), and comparisons with `null`.
//!
//! Duration properties, such as `constraints/maxWallClockTime`, compare with ISO 8601
//! duration strings such as `'PT1H30M'` or `'P2DT3H'`. Years and months are rejected
//! because their length varies.
//!
//! # Semantics
//!
//! - Property names and keywords are case-sensitive: `AND` and `STARTSWITH` are errors
//!   whose message gives the lower-case spelling. The `DateTime` prefix is not
//!   (`datetime'...'` works).
//! - Values compare case-insensitively with Unicode case folding ([`fold`]):
//!   `state eq 'Active'` matches active tasks, `startswith(id, 'TASK')` matches `task-1`,
//!   `'mü'` matches `Müller`. Task ids are unique ignoring case, and tasks are listed in
//!   the order of their folded ids.
//! - A missing value is null: `executionInfo/exitCode eq null` matches tasks that never
//!   ran; `ne null` matches only tasks with the value; `exitCode ne 0` includes tasks
//!   without an exit code (in OData `null ne 0` is true); `lt`, `le`, `gt` and `ge` against
//!   a missing value are false, and `not` keeps those rules.
//! - `not` binds tighter than comparisons, so `not state eq 'active'` means
//!   `(not state) eq 'active'`, a type error whose message shows `not (state eq 'active')`.
//! - Each api-version has its own schema: a property added later, removed earlier, or (in
//!   strict mode) not yet filterable is an error that names the version that changes it.
//! - Raw query strings are split on `&` first, then each part is percent-decoded once with
//!   `+` meaning a space, as ASP.NET servers do. So `%26` stays inside a literal, `%2B` is a
//!   plus, and a raw `+03:00` offset arrives as ` 03:00` and is rejected with a message that
//!   says to send `%2B`.
//!
//! # Input limits
//!
//! Every limit has its own error kind, and its span shows where the input passed it:
//!
//! | limit | default | error kind | span |
//! |---|---|---|---|
//! | [`syntax::Limits::max_length`] | 65,536 bytes | `InputTooLong` | from the first char that does not fit to the end |
//! | [`syntax::Limits::max_depth`] | 64, capped at [`syntax::Limits::DEPTH_CAP`] | `NestingTooDeep` | the `(` or `not` one level too deep |
//! | [`syntax::Limits::max_terms`] | 4096 | `TermsTooMany` | the first term past the limit |
//! | [`syntax::Limits::max_in_list`] | 1000 | `InListTooLong` | the first value past the limit |
//! | [`query::ParamLimits`] `$select` items | 100 | `SelectTooLong` | from the first item past the limit to the end |
//! | `timeout` of List Tasks | 30 seconds | `OperationTimedOut` | the `timeout` value, or empty when absent |
//!
//! The length limit is checked first, before lexing, so an oversized filter costs no
//! more than that check. The parser checks depth before it recurses and builds `and`/`or`
//! chains as flat lists, so no input can overflow the stack. Binding, normalization,
//! execution and dropping the trees recurse once per nesting level of the parsed filter,
//! so the depth limit bounds them too: a filter at every default limit compiles and runs
//! on a 2 MiB thread stack, in an unoptimized build as well. A caller may raise
//! `max_depth`, but the parser never allows more than [`syntax::Limits::DEPTH_CAP`]
//! levels, which keeps that guarantee whatever the caller sets. [`lexer::tokenize`] has no
//! limit of its own and takes memory in proportion to its input, so bound the input
//! before calling it directly.
//!
//! [`engine::Engine::list`] stops evaluating a page once the request's `timeout` (at most
//! 30 seconds, as in the service) has passed, and returns `OperationTimedOut`. Scans and
//! walks read the clock every 4096 rows. The service sends this code with HTTP 500, but
//! the server sends it with 400. The filter requested the work, so a retry would time out
//! again, and the retry policies of HTTP clients, the Azure SDKs' among them, retry a 500.
//!
//! # Errors
//!
//! Every failure is an [`error::Error`]: a kind named subject first
//! (`PropertyUnknown`, `StringUnterminated`), the query parameter it concerns, a byte span
//! and a copy of the input. [`error::Error::render`] draws the input with a caret line
//! under the span; [`response::error_body`] builds the Batch error body with `code`,
//! `message` and `values`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod bind;
pub mod dataset;
pub mod datetime;
pub mod engine;
pub mod error;
pub mod exec;
pub mod filter;
pub mod fold;
pub mod generate;
pub mod harness;
pub mod lexer;
pub mod plan;
pub mod query;
pub mod response;
pub mod schema;
#[cfg(feature = "server")]
pub mod server;
pub mod span;
pub mod sql;
pub mod store;
pub mod syntax;
pub mod task;
pub mod version;
