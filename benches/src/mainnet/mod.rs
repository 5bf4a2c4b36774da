//! The `mainnet` suite: the 55 recorded mainnet blocks of `../shared/blocks`, each on the pre-state it
//! reads, through parevm sequential, parevm parallel at each thread count, and revm.
//!
//! ```text
//! target/blocks/mainnet (conformance's replay loader) -> block::MainnetBlock (envs, InMemoryState)
//!     -> reference::RevmBlock (same pre-state as a CacheDB, same block env, same txs)
//!     -> suite::check: ours sequential vs header (gas, bloom, receipts root); parallel == sequential per
//!        thread count (status, gas, logs, write set); revm == ours (gas, success, logs per tx)
//!     -> suite::measure: rotated rounds, medians -> report: per-block table, aggregate, CSV, SVG
//! ```
//! Transactions only, as in replay: no withdrawals, system calls or rewards (the fixtures hold none).

pub mod block;
pub mod reference;
pub mod report;
pub mod suite;

pub use suite::{run_suite, BlockRow, MainnetOptions};
