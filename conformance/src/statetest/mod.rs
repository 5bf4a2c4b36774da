//! The state-test runner behind `parevm statetest`: official EEST / ethereum/tests state tests, one
//! transaction each, checked against the expected state root and logs hash.
//!
//! ```text
//! *.json --fixture--> StateTest --build--> InMemoryState + Env --evm_core::TxExecution--> writes
//!        --InMemoryState::apply--> state_root / logs_hash --compare--> CaseResult --report--> Summary
//! ```
//!
//! - [`fixture`]: serde types; malformed input is a [`FixtureError`] naming the file and JSON path.
//! - [`build`]: pre-state and [`parevm_evm_core::Env`] of one case (tx type inference, blob schedule).
//! - [`runner`]: one file, its tests, their cases; panics in the EVM become failed cases.
//! - [`suite`]: many files in parallel; [`report`]: results and totals; [`skip`]: the skip list.

pub mod build;
pub mod diff;
pub mod error;
pub mod fixture;
pub mod quantity;
pub mod report;
pub mod runner;
pub mod signer;
pub mod skip;
pub mod suite;
pub mod trace;

pub use error::{CaseError, FixtureError};
pub use report::{CaseResult, CaseStatus, Counts, Summary};
pub use runner::{install_panic_hook, run_file, RunOptions};
pub use skip::SkipList;
pub use suite::{collect_files, run_files, SuiteError, SuiteOptions};

#[cfg(test)]
mod tests;
