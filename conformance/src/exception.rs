//! EEST exception names: what the fixtures' `expectException` says, and the name each typed error of
//! evm-core (a rejected transaction) and of the block executor (a rejected block) stands for.
//!
//! ```text
//! InvalidTx / BlockError / DecodeError --name--> "TransactionException.X" | "BlockException.Y"
//! "A|B" (expectException) --Expected::parse--> {A, B} --matches(name)--> matched / mismatch
//! ```
//!
//! A case passes only when the error raised has a name among the fixture's alternatives; a different
//! error is an exception mismatch, reported per fork. The names are those of the execution-spec-tests
//! `TransactionException` and `BlockException` enums.

use parevm_block::{BlockError, DecodeError, HeaderError};
use parevm_evm_core::{InvalidTx, SpecId};
use std::fmt;

/// The exception(s) a fixture expects: alternatives joined by `|`, any one of which is right.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    names: Vec<String>,
}

impl Expected {
    /// Parses `expectException` (`TransactionException.A|BlockException.B`).
    pub fn parse(text: &str) -> Self {
        Self {
            names: text
                .split('|')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }

    /// The alternatives.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// True when `name` is one of the alternatives.
    pub fn matches(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names.join("|"))
    }
}

/// The EEST name of a transaction rejected by evm-core under `spec`.
pub fn tx_exception(e: &InvalidTx, spec: SpecId) -> &'static str {
    match e {
        InvalidTx::NonceMismatch { tx, state } if tx < state => {
            "TransactionException.NONCE_MISMATCH_TOO_LOW"
        }
        InvalidTx::NonceMismatch { .. } => "TransactionException.NONCE_MISMATCH_TOO_HIGH",
        InvalidTx::NonceOverflow => "TransactionException.NONCE_IS_MAX",
        InvalidTx::InsufficientFunds { .. } => "TransactionException.INSUFFICIENT_ACCOUNT_FUNDS",
        InvalidTx::IntrinsicGasTooLow { .. } => "TransactionException.INTRINSIC_GAS_TOO_LOW",
        InvalidTx::FloorGasTooLow { .. } => {
            "TransactionException.INTRINSIC_GAS_BELOW_FLOOR_GAS_COST"
        }
        InvalidTx::GasLimitAboveBlock(_) => "TransactionException.GAS_ALLOWANCE_EXCEEDED",
        InvalidTx::GasLimitAboveCap(_) => "TransactionException.GAS_LIMIT_EXCEEDS_MAXIMUM",
        InvalidTx::FeeBelowBaseFee => "TransactionException.INSUFFICIENT_MAX_FEE_PER_GAS",
        InvalidTx::PriorityFeeAboveMaxFee => {
            "TransactionException.PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS"
        }
        InvalidTx::FeeOverflow => "TransactionException.GASLIMIT_PRICE_PRODUCT_OVERFLOW",
        InvalidTx::TypeNotSupported(1) => "TransactionException.TYPE_1_TX_PRE_FORK",
        InvalidTx::TypeNotSupported(2) => "TransactionException.TYPE_2_TX_PRE_FORK",
        InvalidTx::TypeNotSupported(3) => "TransactionException.TYPE_3_TX_PRE_FORK",
        InvalidTx::TypeNotSupported(4) => "TransactionException.TYPE_4_TX_PRE_FORK",
        InvalidTx::TypeNotSupported(_) => "TransactionException.TYPE_NOT_SUPPORTED",
        InvalidTx::ChainIdMismatch => "TransactionException.INVALID_CHAINID",
        InvalidTx::SenderHasCode(_) => "TransactionException.SENDER_NOT_EOA",
        InvalidTx::InitCodeTooLarge(_) => "TransactionException.INITCODE_SIZE_EXCEEDED",
        InvalidTx::EmptyBlobs => "TransactionException.TYPE_3_TX_ZERO_BLOBS",
        // From Osaka a transaction has its own blob cap (EIP-7594), below the block's; before, the only
        // cap is the block's blob gas.
        InvalidTx::TooManyBlobs(_) if spec.is_enabled_in(SpecId::OSAKA) => {
            "TransactionException.TYPE_3_TX_BLOB_COUNT_EXCEEDED"
        }
        InvalidTx::TooManyBlobs(_) => {
            "TransactionException.TYPE_3_TX_MAX_BLOB_GAS_ALLOWANCE_EXCEEDED"
        }
        InvalidTx::InvalidBlobVersion => {
            "TransactionException.TYPE_3_TX_INVALID_BLOB_VERSIONED_HASH"
        }
        InvalidTx::BlobFeeTooLow => "TransactionException.INSUFFICIENT_MAX_FEE_PER_BLOB_GAS",
        InvalidTx::CreateNotAllowed(3) => "TransactionException.TYPE_3_TX_CONTRACT_CREATION",
        InvalidTx::CreateNotAllowed(_) => "TransactionException.TYPE_4_TX_CONTRACT_CREATION",
        InvalidTx::EmptyAuthorizationList => "TransactionException.TYPE_4_EMPTY_AUTHORIZATION_LIST",
        // Chain-specific rules have no EEST name; the name says so, and matches nothing.
        InvalidTx::Chain(_) => "parevm.ChainRule",
    }
}

/// The EEST name of a block that does not decode.
pub fn decode_exception(e: &DecodeError) -> &'static str {
    match e {
        DecodeError::CreateNotAllowed { tx_type: 3, .. } => {
            "TransactionException.TYPE_3_TX_CONTRACT_CREATION"
        }
        DecodeError::CreateNotAllowed { .. } => "TransactionException.TYPE_4_TX_CONTRACT_CREATION",
        DecodeError::FeeOverflow { .. } => "TransactionException.GASLIMIT_PRICE_PRODUCT_OVERFLOW",
        DecodeError::HeaderFields { .. } => "BlockException.INCORRECT_BLOCK_FORMAT",
        DecodeError::Rlp(_) | DecodeError::TrailingBytes(_) => {
            "BlockException.RLP_STRUCTURES_ENCODING"
        }
    }
}

/// The EEST name of a block rejected by the block executor under `spec` (the block's fork).
pub fn block_exception(e: &BlockError, spec: SpecId) -> &'static str {
    match e {
        BlockError::Header(h) => header_exception(h, spec),
        BlockError::NoFork { .. } => "BlockException.INCORRECT_BLOCK_FORMAT",
        BlockError::Signature { .. } => "TransactionException.INVALID_SIGNATURE_VRS",
        BlockError::TxForm { .. } => "TransactionException.INVALID_CHAINID",
        BlockError::InvalidTx { source, .. } => tx_exception(source, spec),
        BlockError::BlockGasExceeded { .. } => "TransactionException.GAS_ALLOWANCE_EXCEEDED",
        BlockError::State(_) => "parevm.StateBackend",
        BlockError::SystemContractEmpty(_) => "BlockException.SYSTEM_CONTRACT_EMPTY",
        BlockError::SystemCallFailed { .. } => "BlockException.SYSTEM_CONTRACT_CALL_FAILED",
        BlockError::DepositLayout { .. } => "BlockException.INVALID_DEPOSIT_EVENT_LAYOUT",
        BlockError::GasUsed { .. } => "BlockException.INVALID_GAS_USED",
        BlockError::ReceiptsRoot { .. } => "BlockException.INVALID_RECEIPTS_ROOT",
        BlockError::LogsBloom { .. } => "BlockException.INVALID_LOG_BLOOM",
        BlockError::StateRoot { .. } => "BlockException.INVALID_STATE_ROOT",
        BlockError::RequestsHash { .. } => "BlockException.INVALID_REQUESTS",
        BlockError::Parallel(_) | BlockError::ParallelMismatch(_) => "parevm.ParallelExecutor",
    }
}

/// The EEST name of a header rule.
fn header_exception(e: &HeaderError, spec: SpecId) -> &'static str {
    match e {
        HeaderError::ParentHash { .. } => "BlockException.UNKNOWN_PARENT",
        HeaderError::Number { .. } => "BlockException.INVALID_BLOCK_NUMBER",
        HeaderError::Timestamp { .. } => "BlockException.INVALID_BLOCK_TIMESTAMP_OLDER_THAN_PARENT",
        HeaderError::GasUsedAboveLimit { .. } => "BlockException.GAS_USED_OVERFLOW",
        HeaderError::GasLimit { .. } => "BlockException.INVALID_GASLIMIT",
        HeaderError::BaseFee { .. } => "BlockException.INVALID_BASEFEE_PER_GAS",
        HeaderError::ExtraDataTooLong(_) => "BlockException.EXTRA_DATA_TOO_BIG",
        HeaderError::MissingField(_) | HeaderError::UnexpectedField(_) => {
            "BlockException.INCORRECT_BLOCK_FORMAT"
        }
        HeaderError::PostMergeField("difficulty") => {
            "BlockException.IMPORT_IMPOSSIBLE_DIFFICULTY_OVER_PARIS"
        }
        HeaderError::PostMergeField(_) => "BlockException.IMPORT_IMPOSSIBLE_UNCLES_OVER_PARIS",
        HeaderError::ExcessBlobGas { .. } => "BlockException.INCORRECT_EXCESS_BLOB_GAS",
        HeaderError::BlobGasUsed { .. } => "BlockException.INCORRECT_BLOB_GAS_USED",
        HeaderError::BlobGasAboveMax { .. } => "BlockException.BLOB_GAS_USED_ABOVE_LIMIT",
        HeaderError::TxBlobCount { .. } if spec.is_enabled_in(SpecId::OSAKA) => {
            "TransactionException.TYPE_3_TX_BLOB_COUNT_EXCEEDED"
        }
        HeaderError::TxBlobCount { .. } => {
            "TransactionException.TYPE_3_TX_MAX_BLOB_GAS_ALLOWANCE_EXCEEDED"
        }
        HeaderError::TransactionsRoot { .. } => "BlockException.INVALID_TRANSACTIONS_ROOT",
        HeaderError::OmmersHash { .. } => "BlockException.INVALID_UNCLES_HASH",
        HeaderError::Ommers(_) => "BlockException.UNCLE_PARENT_INCORRECT",
        HeaderError::WithdrawalsRoot { .. } => "BlockException.INVALID_WITHDRAWALS_ROOT",
        HeaderError::BlockTooLarge { .. } => "BlockException.RLP_BLOCK_LIMIT_EXCEEDED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::U256;

    #[test]
    fn alternatives_split_on_pipes() {
        let e = Expected::parse(
            "TransactionException.INSUFFICIENT_ACCOUNT_FUNDS|TransactionException.INTRINSIC_GAS_TOO_LOW",
        );
        assert_eq!(e.names().len(), 2);
        assert!(e.matches("TransactionException.INTRINSIC_GAS_TOO_LOW"));
        assert!(!e.matches("TransactionException.NONCE_IS_MAX"));
        assert_eq!(
            e.to_string(),
            "TransactionException.INSUFFICIENT_ACCOUNT_FUNDS|TransactionException.INTRINSIC_GAS_TOO_LOW"
        );
    }

    #[test]
    fn nonce_direction_and_blob_caps_are_named() {
        let low = InvalidTx::NonceMismatch { tx: 1, state: 2 };
        let high = InvalidTx::NonceMismatch { tx: 3, state: 2 };
        assert_eq!(
            tx_exception(&low, SpecId::CANCUN),
            "TransactionException.NONCE_MISMATCH_TOO_LOW"
        );
        assert_eq!(
            tx_exception(&high, SpecId::CANCUN),
            "TransactionException.NONCE_MISMATCH_TOO_HIGH"
        );
        let blobs = InvalidTx::TooManyBlobs(7);
        assert_eq!(
            tx_exception(&blobs, SpecId::PRAGUE),
            "TransactionException.TYPE_3_TX_MAX_BLOB_GAS_ALLOWANCE_EXCEEDED"
        );
        assert_eq!(
            tx_exception(&blobs, SpecId::OSAKA),
            "TransactionException.TYPE_3_TX_BLOB_COUNT_EXCEEDED"
        );
        let funds = InvalidTx::InsufficientFunds {
            balance: U256::ZERO,
            needed: U256::from(1),
        };
        let wrapped = BlockError::InvalidTx {
            index: 0,
            source: funds,
        };
        assert_eq!(
            block_exception(&wrapped, SpecId::CANCUN),
            "TransactionException.INSUFFICIENT_ACCOUNT_FUNDS"
        );
    }
}
