//! OP receipts: Ethereum's status, cumulative gas and logs, and for deposits the sender's nonce before the
//! deposit (`depositNonce`, Regolith on) and `depositReceiptVersion` = 1 (Canyon on).

use crate::fork::OpFork;
use op_alloy_consensus::{OpReceiptEnvelope, OpTxEnvelope, OpTxType};
use parevm_evm_core::TxOutcome;

/// The receipt of `tx` after `outcome`, with the block's cumulative gas so far.
pub fn op_receipt(
    tx: &OpTxEnvelope,
    outcome: &TxOutcome,
    cumulative_gas_used: u64,
    deposit_nonce: Option<u64>,
    fork: OpFork,
) -> OpReceiptEnvelope {
    let ty: OpTxType = tx.tx_type();
    let is_deposit = ty == OpTxType::Deposit;
    let version = (is_deposit && fork.is_active(OpFork::Canyon)).then_some(1);
    OpReceiptEnvelope::from_parts(
        outcome.status.is_success(),
        cumulative_gas_used,
        &outcome.logs,
        ty,
        if is_deposit { deposit_nonce } else { None },
        version,
    )
}
