//! The query string of a request.
//!
//! [`decode_query`] splits the raw query string into percent-decoded name and value pairs. A
//! [`SkipToken`] marks where the next page of a listing starts.
//!
//! # Errors
//!
//! Errors about the raw query string point into it ([`Parameter::QueryString`]).
//!
//! [`Parameter::QueryString`]: crate::error::Parameter::QueryString

mod decode;
mod skiptoken;

pub use decode::{QueryParam, decode_query};
pub use skiptoken::SkipToken;
