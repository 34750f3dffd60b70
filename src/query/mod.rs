//! The query string of a request: decoding, typed parameters, continuation tokens and
//! `odata.nextLink` URLs.
//!
//! A request flows through three steps. [`decode_query`] splits the raw query string into
//! percent-decoded name and value pairs. [`ListParams`] and [`CountsParams`] check those pairs
//! against the rules of List Tasks and Get Task Counts. [`next_link`] builds the URL of the
//! next page from the checked parameters and a [`SkipToken`].
//!
//! # Example
//!
//! ```
//! use batch_odata::query::{ListParams, SkipToken, next_link};
//!
//! let params = ListParams::from_query(
//!     "api-version=2018-12-01.8.0&$filter=state%20eq%20'active'&$select=id,%20state",
//! )
//! .unwrap();
//! assert_eq!(params.filter.as_deref(), Some("state eq 'active'"));
//! assert_eq!(params.max_results, 1000);
//!
//! let base = "https://account.region.batch.azure.com/jobs/job-1/tasks";
//! let link = next_link(base, &params, &SkipToken::new("task-7"));
//! let next = ListParams::from_query(link.split_once('?').unwrap().1).unwrap();
//! assert_eq!(next.filter, params.filter);
//! assert_eq!(next.skip_token.unwrap().last_id(), "task-7");
//! ```
//!
//! # Errors
//!
//! Errors about the raw query string point into it ([`Parameter::QueryString`]). Errors about
//! one parameter point into that parameter's decoded value, so a `$select` error shows the
//! `$select` text with a caret line under the bad item.
//!
//! [`Parameter::QueryString`]: crate::error::Parameter::QueryString

mod decode;
mod link;
mod params;
mod skiptoken;

pub use decode::{QueryParam, decode_query};
pub use link::next_link;
pub use params::{CountsParams, ListParams, ParamLimits, SelectItem, parse_api_version};
pub use skiptoken::SkipToken;
