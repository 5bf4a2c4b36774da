//! Why a block is invalid: one variant per reason, with the numbers that disagreed.
//!
//! [`HeaderError`] covers what can be checked before execution (the header against its parent and
//! against the body); [`BlockError`] adds what execution finds (invalid transactions, failed system
//! calls, malformed deposit logs) and the post-execution comparisons with the header.

use alloy_primitives::{Address, Bloom, B256};
use parevm_evm_core::{ExecStatus, InvalidTx, ViewError};

/// A header that does not follow from its parent or does not match its body.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// `parentHash` is not the hash of the parent.
    #[error("parent hash {got} is not the parent's hash {expected}")]
    ParentHash {
        /// Hash of the parent block.
        expected: B256,
        /// `parentHash` in the header.
        got: B256,
    },
    /// The number is not the parent's plus one.
    #[error("block number {got} does not follow parent {parent}")]
    Number {
        /// Parent number.
        parent: u64,
        /// Header number.
        got: u64,
    },
    /// The timestamp is not after the parent's.
    #[error("timestamp {got} not after parent timestamp {parent}")]
    Timestamp {
        /// Parent timestamp.
        parent: u64,
        /// Header timestamp.
        got: u64,
    },
    /// Gas used exceeds the gas limit.
    #[error("gas used {used} above gas limit {limit}")]
    GasUsedAboveLimit {
        /// Header gas used.
        used: u64,
        /// Header gas limit.
        limit: u64,
    },
    /// The gas limit moved by parent/1024 or more, or fell below the minimum.
    #[error("gas limit {got} out of bounds for parent gas limit {parent}")]
    GasLimit {
        /// Parent gas limit (doubled at the London transition).
        parent: u64,
        /// Header gas limit.
        got: u64,
    },
    /// The EIP-1559 base fee does not follow from the parent.
    #[error("base fee {got:?}, expected {expected}")]
    BaseFee {
        /// Base fee computed from the parent.
        expected: u64,
        /// Base fee in the header.
        got: Option<u64>,
    },
    /// `extraData` longer than 32 bytes.
    #[error("extra data of {0} bytes (at most 32)")]
    ExtraDataTooLong(usize),
    /// A header field the fork requires is missing.
    #[error("header field {0} missing for this fork")]
    MissingField(&'static str),
    /// A header field the fork does not know is present.
    #[error("header field {0} not allowed in this fork")]
    UnexpectedField(&'static str),
    /// A proof-of-work field is non-zero after the Merge (EIP-3675).
    #[error("{0} must be zero or empty after the merge")]
    PostMergeField(&'static str),
    /// `excessBlobGas` does not follow from the parent (EIP-4844, EIP-7918).
    #[error("excess blob gas {got}, expected {expected}")]
    ExcessBlobGas {
        /// Value computed from the parent.
        expected: u64,
        /// Value in the header.
        got: u64,
    },
    /// `blobGasUsed` does not equal the blobs of the transactions.
    #[error("blob gas used {got}, transactions use {expected}")]
    BlobGasUsed {
        /// Blob gas of the transactions.
        expected: u64,
        /// Value in the header.
        got: u64,
    },
    /// More blob gas than the fork allows per block.
    #[error("blob gas {used} above the block maximum {max}")]
    BlobGasAboveMax {
        /// Blob gas of the transactions.
        used: u64,
        /// The fork's maximum.
        max: u64,
    },
    /// One transaction carries more blobs than a transaction may (EIP-7594; the block's maximum before).
    #[error("transaction {index} has {blobs} blobs, at most {max} allowed")]
    TxBlobCount {
        /// Transaction index in the block.
        index: usize,
        /// Its blobs.
        blobs: usize,
        /// The cap.
        max: u64,
    },
    /// `transactionsRoot` does not match the body.
    #[error("transactions root {got}, body gives {expected}")]
    TransactionsRoot {
        /// Root of the body's transactions.
        expected: B256,
        /// Root in the header.
        got: B256,
    },
    /// `ommersHash` does not match the body.
    #[error("ommers hash {got}, body gives {expected}")]
    OmmersHash {
        /// Hash of the body's ommers.
        expected: B256,
        /// Hash in the header.
        got: B256,
    },
    /// More than two ommers, or an ommer that is not a recent non-ancestor.
    #[error("invalid ommers: {0}")]
    Ommers(String),
    /// `withdrawalsRoot` does not match the body.
    #[error("withdrawals root {got:?}, body gives {expected:?}")]
    WithdrawalsRoot {
        /// Root of the body's withdrawals (`None` without withdrawals).
        expected: Option<B256>,
        /// Root in the header.
        got: Option<B256>,
    },
    /// The RLP-encoded block exceeds the EIP-7934 limit.
    #[error("block of {size} bytes exceeds the {max}-byte RLP limit")]
    BlockTooLarge {
        /// Encoded size of the block.
        size: usize,
        /// The limit.
        max: usize,
    },
}

/// A block that cannot be appended to its parent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// The header is invalid.
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// No fork is scheduled for this block.
    #[error("no fork scheduled at block {number}, timestamp {timestamp}")]
    NoFork {
        /// Block number.
        number: u64,
        /// Block timestamp.
        timestamp: u64,
    },
    /// A transaction's signature does not recover a sender.
    #[error("transaction {index}: invalid signature: {reason}")]
    Signature {
        /// Transaction index in the block.
        index: usize,
        /// What was wrong.
        reason: String,
    },
    /// A transaction form the fork does not accept (EIP-155 chain id before Spurious Dragon...).
    #[error("transaction {index}: {reason}")]
    TxForm {
        /// Transaction index in the block.
        index: usize,
        /// What was wrong.
        reason: String,
    },
    /// A transaction is invalid against the state.
    #[error("transaction {index}: {source}")]
    InvalidTx {
        /// Transaction index in the block.
        index: usize,
        /// Why.
        source: InvalidTx,
    },
    /// A transaction's gas limit exceeds the gas left in the block.
    #[error(
        "transaction {index}: gas limit {gas_limit} above the {available} gas left in the block"
    )]
    BlockGasExceeded {
        /// Transaction index in the block.
        index: usize,
        /// Its gas limit.
        gas_limit: u64,
        /// Block gas limit minus gas used so far.
        available: u64,
    },
    /// The state backend failed.
    #[error("state backend: {0}")]
    State(#[from] ViewError),
    /// A request system contract has no code (EIP-7002, EIP-7251).
    #[error("system contract {0} has no code")]
    SystemContractEmpty(Address),
    /// A request system contract call did not succeed (EIP-7002, EIP-7251).
    #[error("system call to {address} ended {status:?}")]
    SystemCallFailed {
        /// The system contract.
        address: Address,
        /// How the call ended.
        status: ExecStatus,
    },
    /// A deposit contract log has the wrong layout (EIP-6110).
    #[error("transaction {tx}: deposit log {log}: {reason}")]
    DepositLayout {
        /// Transaction index in the block.
        tx: usize,
        /// Log index in the transaction.
        log: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// Header `gasUsed` differs from execution.
    #[error("gas used {got}, execution used {expected}")]
    GasUsed {
        /// Gas used by execution.
        expected: u64,
        /// Header value.
        got: u64,
    },
    /// Header `receiptsRoot` differs from execution.
    #[error("receipts root {got}, execution gives {expected}")]
    ReceiptsRoot {
        /// Root of the computed receipts.
        expected: B256,
        /// Header value.
        got: B256,
    },
    /// Header `logsBloom` differs from execution.
    #[error("logs bloom differs from execution")]
    LogsBloom {
        /// Bloom of the computed receipts.
        expected: Box<Bloom>,
        /// Header value.
        got: Box<Bloom>,
    },
    /// Header `stateRoot` differs from execution.
    #[error("state root {got}, execution gives {expected}")]
    StateRoot {
        /// Root after execution.
        expected: B256,
        /// Header value.
        got: B256,
    },
    /// Header `requestsHash` differs from execution (EIP-7685).
    #[error("requests hash {got:?}, execution gives {expected}")]
    RequestsHash {
        /// Hash of the computed requests.
        expected: B256,
        /// Header value.
        got: Option<B256>,
    },
    /// The parallel executor failed.
    #[error("parallel execution: {0}")]
    Parallel(String),
    /// A checked run ([`crate::TxRunner::Checked`]): the parallel results differ from the sequential ones.
    #[error("parallel result differs from the sequential one: {0}")]
    ParallelMismatch(String),
}

impl BlockError {
    /// Wraps a transaction failure with its index.
    pub fn tx(index: usize, err: parevm_evm_core::TxError) -> Self {
        match err {
            parevm_evm_core::TxError::Invalid(source) => BlockError::InvalidTx { index, source },
            parevm_evm_core::TxError::View(v) => BlockError::State(v),
        }
    }
}
