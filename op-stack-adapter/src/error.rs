//! Why an OP block could not be built or executed, and why a fixture or genesis file could not be read:
//! each error names what and where (transaction index, key, file).

use alloy_primitives::{Address, B256};
use parevm_evm_core::{ExecStatus, InvalidTx, ViewError};

/// A block that cannot be built from its attributes, or executed.
#[derive(Debug, thiserror::Error)]
pub enum OpBlockError {
    /// A transaction's bytes do not decode.
    #[error("transaction {index}: malformed: {reason}")]
    TxForm {
        /// Index in the block.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A transaction type this engine does not execute (the experimental 0x7D).
    #[error("transaction {index}: unsupported transaction type {ty:#04x}")]
    UnsupportedTxType {
        /// Index in the block.
        index: usize,
        /// The EIP-2718 type byte.
        ty: u8,
    },
    /// The signature does not recover.
    #[error("transaction {index}: bad signature: {reason}")]
    Signature {
        /// Index in the block.
        index: usize,
        /// What the recovery said.
        reason: String,
    },
    /// A transaction the EVM rejects (a forced transaction must be valid).
    #[error("transaction {index}: invalid: {source}")]
    InvalidTx {
        /// Index in the block.
        index: usize,
        /// Why.
        source: InvalidTx,
    },
    /// A transaction's gas limit is more than the block has left.
    #[error("transaction {index}: gas limit {gas_limit} above the {available} left in the block")]
    BlockGasExceeded {
        /// Index in the block.
        index: usize,
        /// The transaction's gas limit.
        gas_limit: u64,
        /// Gas left in the block.
        available: u64,
    },
    /// Jovian: the block's DA footprint is above its gas limit.
    #[error("transaction {index}: DA footprint {footprint} above the block gas limit {gas_limit}")]
    DaFootprintExceeded {
        /// Index in the block.
        index: usize,
        /// DA footprint so far.
        footprint: u64,
        /// Block gas limit.
        gas_limit: u64,
    },
    /// A deposit where none may be (after a user transaction).
    #[error("transaction {index}: a deposit after a non-deposit transaction")]
    DepositOutOfPlace {
        /// Index in the block.
        index: usize,
    },
    /// The attributes lack a field the fork requires.
    #[error("payload attributes: {0}")]
    Attributes(String),
    /// A block-level system call failed.
    #[error("system call to {address} ended with {status:?}")]
    SystemCall {
        /// The system contract.
        address: Address,
        /// How it ended.
        status: ExecStatus,
    },
    /// The state could not be read (a missing witness node, a backend failure).
    #[error("state: {0}")]
    State(#[from] ViewError),
    /// The parallel executor failed.
    #[error("parallel execution: {0}")]
    Parallel(String),
    /// Block-crate failure (system calls).
    #[error(transparent)]
    Block(#[from] parevm_block::BlockError),
    /// A field of the given block's header differs from what executing its transactions gives.
    #[error("{field}: the block says {expected}, execution gives {got}")]
    HeaderMismatch {
        /// The header field (JSON name).
        field: &'static str,
        /// The given block's value.
        expected: String,
        /// The executed block's value.
        got: String,
    },
    /// The built block does not hash as expected.
    #[error("block hash {got}, expected {expected}")]
    HashMismatch {
        /// Expected hash.
        expected: B256,
        /// Built block's hash.
        got: B256,
    },
}
