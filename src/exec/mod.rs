//! Query execution over task data.

pub mod reference;
