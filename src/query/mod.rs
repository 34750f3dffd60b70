//! The query string of a request: decoding, typed parameters and continuation tokens.
//!
//! [`decode_query`] splits the raw query string into percent-decoded name and value pairs.
//! [`ListParams`] and [`CountsParams`] check those pairs against the rules of List Tasks and
//! Get Task Counts. A [`SkipToken`] marks where the next page of a listing starts.
//!
//! # Example
//!
//! ```
//! use batch_odata::query::ListParams;
//!
//! let params = ListParams::from_query(
//!     "api-version=2018-12-01.8.0&$filter=state%20eq%20'active'&$select=id,%20state",
//! )
//! .unwrap();
//! assert_eq!(params.filter.as_deref(), Some("state eq 'active'"));
//! assert_eq!(params.max_results, 1000);
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
mod params;
mod skiptoken;

pub use decode::{QueryParam, decode_query};
pub use params::{CountsParams, ListParams, ParamLimits, SelectItem};
pub use skiptoken::SkipToken;
