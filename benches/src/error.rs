//! Why a benchmark could not be set up or run.

use std::path::PathBuf;

/// A benchmark failure, with the file, contract or engine it concerns.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A data file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A data file is not valid hex.
    #[error("{path} is not hex: {source}")]
    Hex {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: alloy_primitives::hex::FromHexError,
    },
    /// Building a case failed (a deployment did not succeed, a code did not match its reference).
    #[error("setting up {case}: {reason}")]
    Setup {
        /// The case.
        case: String,
        /// What went wrong.
        reason: String,
    },
    /// An engine rejected the transaction.
    #[error("{engine} rejected the {case} transaction: {reason}")]
    Rejected {
        /// `parevm` or `revm`.
        engine: &'static str,
        /// The case.
        case: String,
        /// The engine's error.
        reason: String,
    },
    /// The two engines disagree, so timing them would compare different work.
    #[error("engines disagree on {case}: {what}")]
    Mismatch {
        /// The case.
        case: String,
        /// What differs.
        what: String,
    },
    /// A recorded mainnet block could not be read.
    #[error(transparent)]
    Replay(#[from] parevm_conformance::replay::ReplayError),
    /// Writing results failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}
