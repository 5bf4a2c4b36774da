//! What can go wrong in a blockchain test: malformed fixtures ([`FixtureError`], naming file and case) and
//! cases whose outcome differs from the fixture ([`CaseError`], naming the block and what differed).

use parevm_block::{BlockError, DecodeError};
use std::path::PathBuf;

/// A fixture that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The file cannot be read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not a blockchain-test file.
    #[error("{file}: not a blockchain-test file: {source}")]
    Json {
        /// The file.
        file: PathBuf,
        /// The error.
        source: serde_json::Error,
    },
    /// A field of a case does not parse.
    #[error("{file}: {case}: {what}")]
    Field {
        /// The file.
        file: PathBuf,
        /// The test name.
        case: String,
        /// Which field and why.
        what: String,
    },
    /// A block the fixture says is valid (or the genesis) is not RLP of a block.
    #[error("{file}: {case}: block {block}: malformed RLP: {source}")]
    Rlp {
        /// The file.
        file: PathBuf,
        /// The test name.
        case: String,
        /// `genesis` or the block's position (1-based).
        block: String,
        /// The decoding error.
        source: DecodeError,
    },
}

/// A case whose outcome differs from the fixture.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// The fixture is malformed.
    #[error(transparent)]
    Fixture(#[from] FixtureError),
    /// The genesis does not match its header.
    #[error("genesis: {0}")]
    Genesis(String),
    /// A block the fixture says is valid was rejected.
    #[error("block {index} (number {number}) rejected: {error}{detail}")]
    Rejected {
        /// Position in `blocks` (1-based).
        index: usize,
        /// Block number.
        number: u64,
        /// Why it was rejected.
        error: BlockError,
        /// Extra diagnostics (a post-state diff), starting with a separator when present.
        detail: String,
    },
    /// A block the fixture says is invalid was accepted.
    #[error("block {index} (number {number}) accepted, but the fixture expects {expected}")]
    Accepted {
        /// Position in `blocks` (1-based).
        index: usize,
        /// Block number.
        number: u64,
        /// The expected exception(s).
        expected: String,
    },
    /// A block the fixture says is invalid was rejected, but for another reason than the fixture names.
    #[error("block {index} rejected with {got} ({error}), but the fixture expects {expected}")]
    WrongException {
        /// Position in `blocks` (1-based).
        index: usize,
        /// The expected exception(s).
        expected: String,
        /// The EEST name of the rejection.
        got: &'static str,
        /// The rejection.
        error: String,
    },
    /// The chain head differs from `lastblockhash`.
    #[error("last block hash {got}, fixture expects {expected}")]
    LastBlockHash {
        /// `lastblockhash`.
        expected: String,
        /// Our head.
        got: String,
    },
    /// The final state differs from `postState` / `postStateHash`.
    #[error("post state differs: {0}")]
    PostState(String),
    /// The EVM or the executor panicked.
    #[error("panicked: {0}")]
    Panic(String),
}

impl CaseError {
    /// A short category for summaries.
    pub fn category(&self) -> &'static str {
        match self {
            CaseError::Fixture(_) => "fixture",
            CaseError::Genesis(_) => "genesis",
            CaseError::Rejected { error, .. } => block_error_category(error),
            CaseError::Accepted { .. } => "accepted invalid block",
            CaseError::WrongException { .. } => "exception mismatch",
            CaseError::LastBlockHash { .. } => "last block hash",
            CaseError::PostState(_) => "post state",
            CaseError::Panic(_) => "panic",
        }
    }
}

/// A short category for a rejection.
pub fn block_error_category(e: &BlockError) -> &'static str {
    match e {
        BlockError::Header(_) => "header",
        BlockError::NoFork { .. } => "no fork",
        BlockError::Signature { .. } | BlockError::TxForm { .. } => "tx form",
        BlockError::InvalidTx { .. } => "invalid tx",
        BlockError::BlockGasExceeded { .. } => "block gas",
        BlockError::State(_) => "state backend",
        BlockError::SystemContractEmpty(_) | BlockError::SystemCallFailed { .. } => "system call",
        BlockError::DepositLayout { .. } => "deposit",
        BlockError::GasUsed { .. } => "gas used",
        BlockError::ReceiptsRoot { .. } => "receipts root",
        BlockError::LogsBloom { .. } => "logs bloom",
        BlockError::StateRoot { .. } => "state root",
        BlockError::RequestsHash { .. } => "requests hash",
        BlockError::Parallel(_) => "parallel",
        BlockError::ParallelMismatch(_) => "parallel mismatch",
    }
}
