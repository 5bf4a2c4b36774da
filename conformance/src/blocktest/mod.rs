//! The blockchain-test runner behind `parevm blocktest`: official EEST blockchain tests, each a genesis
//! and a chain of blocks, imported through the block executor and checked against the fixture.
//!
//! ```text
//! *.json --fixture--> BlockchainTest --alloc--> InMemoryState (genesis root and hash checked)
//!        --per block: decode_block -> BlockInput -> BlockExecutor::execute (rolled back if invalid)
//!        --expectException? must be rejected : must be accepted--> lastblockhash, postState
//!        --> CaseResult --report--> Summary
//! ```
//!
//! - [`fixture`]: serde types; [`network`]: fork schedule from `network` and `blobSchedule`.
//! - [`alloc`]: allocations to state and state diffs; [`runner`]: one test.
//! - [`suite`]: files in parallel with the skip list; [`report`]: results and totals.
//! - [`trace`]: EIP-3155 traces of every transaction (`--trace`).

pub mod alloc;
pub mod error;
pub mod fixture;
pub mod network;
pub mod persistent;
pub mod report;
pub mod runner;
pub mod suite;
pub mod trace;

pub use error::{CaseError, FixtureError};
pub use report::{CaseResult, Status, Summary};
pub use runner::{run_case, CaseOptions};
pub use suite::{run_file, run_files, BlocktestOptions, DEFAULT_SKIP_LIST};

#[cfg(test)]
mod tests;
