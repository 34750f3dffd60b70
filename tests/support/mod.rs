//! Code shared by the integration tests. Each test crate uses part of it.
#![allow(dead_code)]

pub mod filters;
pub mod plans;
pub mod postgres;
