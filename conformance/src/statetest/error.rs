//! Errors of the state-test runner: a fixture that cannot be read ([`FixtureError`]) and a case that
//! did not match its expectation ([`CaseError`]).

use alloy_primitives::B256;
use std::path::PathBuf;

/// A fixture file or test that cannot be used as written.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Bad JSON, bad hex, a missing field or a value out of range.
    #[error("{file}: at `{path}`: {message}")]
    Malformed {
        /// The file.
        file: PathBuf,
        /// JSON path of the offending value (`test.pre.0x….balance`).
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// The test parsed but is inconsistent (an index out of range, no gas price, …).
    #[error("{file}: test `{test}`: {message}")]
    Invalid {
        /// The file.
        file: PathBuf,
        /// The test name.
        test: String,
        /// What is wrong.
        message: String,
    },
}

/// Why one case (test × fork × indexes) failed.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// The fixture is unusable.
    #[error(transparent)]
    Fixture(#[from] FixtureError),
    /// The post key is not a fork this runner knows.
    #[error("unknown fork `{0}`")]
    UnknownFork(String),
    /// The fixture expects the transaction to be rejected, but it executed.
    #[error("expected exception {expected}, but the transaction was valid ({status}, gas used {gas_used})")]
    ExpectedException {
        /// The expected exception(s).
        expected: String,
        /// How execution ended.
        status: String,
        /// Gas charged.
        gas_used: u64,
    },
    /// The transaction was rejected, as expected, but for another reason than the fixture names.
    #[error(
        "expected exception {expected}, but the transaction was rejected with {got} ({error})"
    )]
    WrongException {
        /// The expected exception(s).
        expected: String,
        /// The EEST name of the error raised.
        got: &'static str,
        /// The error raised.
        error: String,
    },
    /// The transaction was rejected, but the fixture expects it to execute.
    #[error("unexpected invalid transaction: {0}")]
    UnexpectedException(String),
    /// The state view failed (should not happen with the in-memory state).
    #[error("execution error: {0}")]
    Execution(String),
    /// The EVM panicked.
    #[error("panic: {0}")]
    Panic(String),
    /// Logs hash mismatch.
    #[error("logs hash mismatch: expected {expected}, got {got} ({count} logs)")]
    Logs {
        /// Expected hash.
        expected: B256,
        /// Computed hash.
        got: B256,
        /// Number of logs produced.
        count: usize,
    },
    /// State root mismatch; `diff` lists the differing accounts and fields.
    #[error("state root mismatch: expected {expected}, got {got}{}", fmt_diff(.diff))]
    StateRoot {
        /// Expected root.
        expected: B256,
        /// Computed root.
        got: B256,
        /// Differences against the fixture's post allocation (one line each).
        diff: Vec<String>,
    },
}

fn fmt_diff(diff: &[String]) -> String {
    diff.iter().map(|l| format!("\n    {l}")).collect()
}

impl CaseError {
    /// A short category name for summaries (`state-root`, `logs`, `expected-exception`, …).
    pub fn category(&self) -> &'static str {
        match self {
            CaseError::Fixture(_) => "fixture",
            CaseError::UnknownFork(_) => "unknown-fork",
            CaseError::ExpectedException { .. } => "expected-exception",
            CaseError::WrongException { .. } => "exception-mismatch",
            CaseError::UnexpectedException(_) => "unexpected-exception",
            CaseError::Execution(_) => "execution-error",
            CaseError::Panic(_) => "panic",
            CaseError::Logs { .. } => "logs",
            CaseError::StateRoot { .. } => "state-root",
        }
    }
}
