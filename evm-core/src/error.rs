//! Why a transaction is invalid (it cannot be included at all). Halts inside execution are not errors:
//! they are [`crate::outcome::ExecStatus`] values.

use crate::view::ViewError;
use alloy_primitives::{Address, U256};

/// A transaction that cannot be included in a block, with the reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidTx {
    /// Sender nonce does not match.
    #[error("nonce mismatch: tx {tx}, state {state}")]
    NonceMismatch {
        /// Nonce in the transaction.
        tx: u64,
        /// Sender's nonce in state.
        state: u64,
    },
    /// Nonce would overflow (EIP-2681).
    #[error("sender nonce at maximum")]
    NonceOverflow,
    /// Sender cannot pay `gas_limit * max_fee + value (+ blob fee)`.
    #[error("insufficient funds: balance {balance}, need {needed}")]
    InsufficientFunds {
        /// Sender balance.
        balance: U256,
        /// Amount required up front.
        needed: U256,
    },
    /// Gas limit below the intrinsic cost.
    #[error("intrinsic gas too low: limit {limit}, need {needed}")]
    IntrinsicGasTooLow {
        /// Transaction gas limit.
        limit: u64,
        /// Intrinsic gas needed.
        needed: u64,
    },
    /// Gas limit covers the intrinsic cost but not the EIP-7623 calldata floor.
    #[error("gas limit {limit} below the calldata floor {floor}")]
    FloorGasTooLow {
        /// Transaction gas limit.
        limit: u64,
        /// The EIP-7623 floor.
        floor: u64,
    },
    /// Gas limit above the block gas limit.
    #[error("gas limit {0} above block gas limit")]
    GasLimitAboveBlock(u64),
    /// Gas limit above the EIP-7825 cap.
    #[error("gas limit {0} above transaction cap")]
    GasLimitAboveCap(u64),
    /// max fee per gas below the block base fee.
    #[error("max fee per gas below base fee")]
    FeeBelowBaseFee,
    /// Priority fee greater than max fee.
    #[error("priority fee greater than max fee")]
    PriorityFeeAboveMaxFee,
    /// Fee arithmetic overflows 256 bits.
    #[error("fee overflow")]
    FeeOverflow,
    /// Transaction type not enabled in this fork.
    #[error("transaction type {0} not supported in this fork")]
    TypeNotSupported(u8),
    /// Wrong chain id.
    #[error("chain id mismatch")]
    ChainIdMismatch,
    /// Sender has code that is not a delegation (EIP-3607).
    #[error("sender {0} has code")]
    SenderHasCode(Address),
    /// Init code larger than the EIP-3860 limit.
    #[error("init code too large: {0} bytes")]
    InitCodeTooLarge(usize),
    /// Blob transaction with no blobs.
    #[error("blob transaction without blobs")]
    EmptyBlobs,
    /// Too many blobs.
    #[error("too many blobs: {0}")]
    TooManyBlobs(usize),
    /// A versioned hash with the wrong version byte.
    #[error("invalid blob versioned hash version")]
    InvalidBlobVersion,
    /// max fee per blob gas below the blob base fee.
    #[error("max fee per blob gas below blob base fee")]
    BlobFeeTooLow,
    /// Blob and set-code transactions cannot create contracts.
    #[error("transaction type {0} cannot create a contract")]
    CreateNotAllowed(u8),
    /// Set-code transaction with an empty authorization list.
    #[error("empty authorization list")]
    EmptyAuthorizationList,
    /// Chain-specific rule failed (OP-Stack and others).
    #[error("chain rule: {0}")]
    Chain(String),
}

/// Why executing a transaction produced no outcome.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// The transaction is invalid; state is unchanged.
    #[error("invalid transaction: {0}")]
    Invalid(#[from] InvalidTx),
    /// The state view failed or is not ready.
    #[error(transparent)]
    View(#[from] ViewError),
}
