//! The query string of a request.
//!
//! [`decode_query`] splits the raw query string into percent-decoded name and value pairs.
//!
//! # Errors
//!
//! Errors about the raw query string point into it ([`Parameter::QueryString`]).
//!
//! [`Parameter::QueryString`]: crate::error::Parameter::QueryString

mod decode;

pub use decode::{QueryParam, decode_query};
