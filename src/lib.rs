//! batch-odata compiles Azure Batch OData `$filter` and `$select` parameters into typed query
//! plans and runs them over roaring bitmap indexes of tasks.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod bind;
pub mod datetime;
pub mod error;
pub mod exec;
pub mod filter;
pub mod fold;
pub mod generate;
pub mod lexer;
pub mod plan;
pub mod query;
pub mod schema;
pub mod span;
pub mod store;
pub mod syntax;
pub mod task;
pub mod version;
