//! Generators that turn fuzzer bytes into filters, syntax trees and task sets. The checks
//! the targets run on them live in `batch_odata::harness`, so that `cargo test` replays
//! findings with the same code.

pub mod filter;
pub mod tasks;
pub mod tree;
