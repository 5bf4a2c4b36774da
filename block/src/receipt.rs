//! Typed receipts (EIP-2718 envelopes from Berlin on) with their blooms, and the two block-level
//! digests they give: the receipts root and the logs bloom.
//!
//! Before Byzantium (EIP-658) a receipt carries the state root after its transaction instead of a
//! status flag; [`ReceiptStatus::PostState`] holds it.

use alloy_consensus::{proofs, Eip658Value, Receipt, ReceiptEnvelope, TxType};
use alloy_primitives::{Bloom, Log, B256};

/// A typed receipt with its bloom.
pub type TypedReceipt = ReceiptEnvelope<Log>;

/// What a receipt says about its transaction's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiptStatus {
    /// Byzantium on: success flag.
    Status(bool),
    /// Before Byzantium: the state root after the transaction.
    PostState(B256),
}

/// Builds the receipt of a transaction of EIP-2718 type `tx_type`.
///
/// An unknown type falls back to a legacy envelope; the executor only builds receipts for transactions
/// the EVM accepted, so that cannot happen for a valid block.
pub fn build_receipt(
    tx_type: u8,
    status: ReceiptStatus,
    cumulative_gas_used: u64,
    logs: Vec<Log>,
) -> TypedReceipt {
    let status = match status {
        ReceiptStatus::Status(ok) => Eip658Value::Eip658(ok),
        ReceiptStatus::PostState(root) => Eip658Value::PostState(root),
    };
    let receipt = Receipt {
        status,
        cumulative_gas_used,
        logs,
    }
    .with_bloom();
    let ty = TxType::try_from(tx_type).unwrap_or(TxType::Legacy);
    ReceiptEnvelope::from_typed(ty, receipt)
}

/// The receipts root: an ordered trie of the EIP-2718 encoded receipts.
pub fn receipts_root(receipts: &[TypedReceipt]) -> B256 {
    proofs::calculate_receipt_root(receipts)
}

/// The block bloom: the OR of every receipt's bloom.
pub fn logs_bloom(receipts: &[TypedReceipt]) -> Bloom {
    receipts
        .iter()
        .fold(Bloom::ZERO, |acc, r| acc | *r.logs_bloom())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Address, LogData};
    use alloy_trie::EMPTY_ROOT_HASH;

    #[test]
    fn empty_block_digests() {
        assert_eq!(receipts_root(&[]), EMPTY_ROOT_HASH);
        assert_eq!(logs_bloom(&[]), Bloom::ZERO);
    }

    #[test]
    fn bloom_covers_every_log_and_type_changes_root() {
        let log = Log {
            address: Address::repeat_byte(1),
            data: LogData::new_unchecked(vec![B256::repeat_byte(2)], Default::default()),
        };
        let legacy = build_receipt(0, ReceiptStatus::Status(true), 21_000, vec![log.clone()]);
        let typed = build_receipt(2, ReceiptStatus::Status(true), 21_000, vec![log.clone()]);
        let bloom = logs_bloom(std::slice::from_ref(&legacy));
        assert!(bloom.contains_input(alloy_primitives::BloomInput::Raw(&log.address[..])));
        assert_eq!(logs_bloom(&[legacy.clone(), typed.clone()]), bloom);
        assert_ne!(receipts_root(&[legacy]), receipts_root(&[typed]));
    }
}
