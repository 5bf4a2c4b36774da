//! Why the chain service refused a request: a transaction the pool will not take, a block or state that is
//! not there, or a failure inside block building.

use alloy_primitives::{B256, U256};
use parevm_evm_core::{InvalidTx, ViewError};

/// Why a transaction was not accepted into the pool. The messages are the ones geth and anvil use, since
/// clients match on them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The same transaction is already in the pool.
    #[error("transaction already imported")]
    AlreadyKnown(B256),
    /// Its nonce is below the sender's current nonce.
    #[error("nonce too low")]
    NonceTooLow {
        /// Nonce of the transaction.
        tx: u64,
        /// The sender's nonce in the head state.
        state: u64,
    },
    /// It replaces a pooled transaction without paying more.
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    /// The pool holds as many transactions as it may.
    #[error("txpool is full")]
    PoolFull,
    /// The sender cannot pay for gas and value.
    #[error("insufficient funds for gas * price + value")]
    InsufficientFunds {
        /// The sender's balance.
        balance: U256,
        /// What the transaction may cost.
        cost: U256,
    },
    /// It carries another chain's id.
    #[error("invalid chain id")]
    ChainId,
    /// Its gas limit is above the block's.
    #[error("exceeds block gas limit")]
    GasLimit,
    /// Its gas limit is above the EIP-7825 cap the chain enforces.
    #[error("transaction gas limit {0} exceeds the maximum allowed gas limit {cap}", cap = crate::builder::TX_GAS_LIMIT_CAP)]
    GasLimitAboveCap(u64),
    /// A creation whose init code is longer than the chain allows (EIP-3860).
    #[error("max initcode size exceeded: code size {size} limit {limit}")]
    InitCodeTooLarge {
        /// Length of the init code.
        size: usize,
        /// The chain's limit.
        limit: usize,
    },
    /// Its gas limit is below its intrinsic gas.
    #[error("intrinsic gas too low")]
    IntrinsicGas,
    /// Its max fee is below the next block's base fee.
    #[error("max fee per gas less than block base fee")]
    FeeCapTooLow,
    /// Its priority fee is above its max fee.
    #[error("max priority fee per gas higher than max fee per gas")]
    TipAboveFeeCap,
    /// The signature does not recover a sender.
    #[error("invalid transaction signature")]
    Signature,
    /// The transaction type is not enabled on this chain.
    #[error("transaction type not supported")]
    TxType,
    /// Its nonce is 2^64 - 1, which no account can reach a transaction with (EIP-2681).
    #[error("nonce has max value")]
    NonceMax,
    /// The EVM rejects it for another reason.
    #[error("{0}")]
    Invalid(InvalidTx),
}

/// Failures of the chain service.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// The pool refused a transaction.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// No block with this number or hash.
    #[error("block not found: {0}")]
    BlockNotFound(String),
    /// State at this block has been pruned from history.
    #[error("state at block {0} is no longer kept (history limit)")]
    StatePruned(u64),
    /// A state read failed.
    #[error(transparent)]
    State(#[from] ViewError),
    /// Block building failed inside the engine.
    #[error("block building failed: {0}")]
    Build(String),
    /// A rollback deeper than the chain.
    #[error("{0}")]
    Rollback(String),
    /// A snapshot id that does not exist (or was used already).
    #[error("unknown snapshot {0}")]
    UnknownSnapshot(u64),
    /// The state root could not be computed (its in-memory trie is inconsistent).
    #[error("state root: {0}")]
    Root(#[from] parevm_storage::StoreError),
    /// The durable copy of the chain could not keep a change.
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
}
