//! OP receipts as RPC shows them (op-alloy-rpc-types `OpTransactionReceipt`): the Ethereum fields from the
//! stored EIP-2718 receipts, plus what an OP user reads from them: `l1Fee`, `l1GasPrice`, `l1GasUsed`, the
//! fee scalars (`l1FeeScalar` before Ecotone, `l1BaseFeeScalar`/`l1BlobBaseFee`/`l1BlobBaseFeeScalar` from
//! it), `operatorFeeScalar`/`operatorFeeConstant` (Isthmus, when non-zero), and a deposit's `depositNonce`
//! and `depositReceiptVersion`.
//!
//! ```text
//! stored block (header, body, senders, receipts) + L1Block storage at that block (the inputs the block's
//! L1-info deposit wrote, read with op-stack-adapter's L1FeeInputs)
//!   -> per transaction: gas used, effective price, logs with block-wide indexes, created address,
//!      L1 fee = the same formula the block was charged with
//! ```

use crate::engine_api::EngineError;
use crate::eth::{decode_receipt, server};
use crate::service::OpNode;
use alloy_consensus::{BlockBody, Transaction as _};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use op_alloy_consensus::{OpReceipt, OpReceiptEnvelope, OpTxEnvelope};
use op_alloy_rpc_types::{L1BlockInfo, OpTransactionReceipt};
use parevm_evm_core::rules::RuleState;
use parevm_evm_core::{StateView, ViewError};
use parevm_op_stack_adapter::rules::l1_fee::{estimated_size, L1FeeInputs};
use parevm_op_stack_adapter::OpFork;

/// `RuleState` over a read-only view (the L1Block slots of a stored block).
struct ViewRules<'a>(&'a dyn StateView);

impl RuleState for ViewRules<'_> {
    fn storage(&mut self, address: Address, slot: U256) -> Result<U256, ViewError> {
        self.0.storage(address, slot)
    }
}

fn to_u128(v: U256) -> u128 {
    u128::try_from(v).unwrap_or(u128::MAX)
}

/// Calldata gas of an encoding (4 per zero byte, 16 per other).
fn calldata_gas(tx: &[u8]) -> u64 {
    tx.iter().map(|b| if *b == 0 { 4u64 } else { 16 }).sum()
}

/// The L1 fields of a non-deposit transaction's receipt.
fn l1_info(fork: OpFork, inputs: &L1FeeInputs, encoded: &[u8]) -> L1BlockInfo {
    let l1_gas_used = if fork.is_active(OpFork::Fjord) {
        U256::from(estimated_size(encoded)) * U256::from(16) / U256::from(1_000_000u64)
    } else {
        let mut gas = U256::from(calldata_gas(encoded));
        if !fork.is_active(OpFork::Regolith) {
            gas += U256::from(68 * 16);
        }
        if !fork.is_active(OpFork::Ecotone) || inputs.empty_ecotone_scalars {
            gas += inputs.overhead;
        }
        gas
    };
    let ecotone = fork.is_active(OpFork::Ecotone) && !inputs.empty_ecotone_scalars;
    let isthmus = fork.is_active(OpFork::Isthmus);
    let nonzero = |v: U256| (!v.is_zero()).then(|| to_u128(v));
    L1BlockInfo {
        l1_gas_price: Some(to_u128(inputs.l1_base_fee)),
        l1_gas_used: Some(to_u128(l1_gas_used)),
        l1_fee: Some(to_u128(inputs.l1_fee(fork, encoded))),
        l1_fee_scalar: (!ecotone).then(|| to_u128(inputs.base_fee_scalar) as f64 / 1_000_000.0),
        l1_base_fee_scalar: ecotone.then(|| to_u128(inputs.base_fee_scalar)),
        l1_blob_base_fee: ecotone.then(|| to_u128(inputs.blob_base_fee)),
        l1_blob_base_fee_scalar: ecotone.then(|| to_u128(inputs.blob_base_fee_scalar)),
        operator_fee_scalar: if isthmus {
            nonzero(inputs.operator_fee_scalar)
        } else {
            None
        },
        operator_fee_constant: if isthmus {
            nonzero(inputs.operator_fee_constant)
        } else {
            None
        },
        da_footprint_gas_scalar: fork
            .is_active(OpFork::Jovian)
            .then_some(inputs.da_footprint_gas_scalar),
    }
}

/// The receipts of canonical block `hash` as RPC shows them; `None` when the block is unknown.
pub fn block_receipts(
    n: &OpNode,
    hash: B256,
) -> Result<Option<Vec<OpTransactionReceipt>>, EngineError> {
    let s = n.store();
    let st = |e: parevm_storage::StoreError| server(e.to_string());
    let Some(number) = s.number_by_hash(&hash).map_err(st)? else {
        return Ok(None);
    };
    let Some(header) = s.header_by_hash(&hash).map_err(st)? else {
        return Ok(None);
    };
    let body: BlockBody<OpTxEnvelope> = s
        .body(&hash)
        .map_err(st)?
        .ok_or_else(|| server(format!("block {hash} has no stored body")))?;
    let senders = s.senders(&hash).map_err(st)?.unwrap_or_default();
    let stored: Vec<Bytes> = s.receipts_rlp(&hash).map_err(st)?.unwrap_or_default();
    let fork = n.fork_at(header.timestamp);
    let inputs = if body.transactions.iter().any(|t| !t.is_deposit()) {
        let state = s.state_at(number).map_err(st)?;
        L1FeeInputs::read(fork, &mut ViewRules(&state)).map_err(|e| server(e.to_string()))?
    } else {
        L1FeeInputs::default()
    };
    let base_fee = header.base_fee_per_gas;
    let mut out = Vec::with_capacity(body.transactions.len());
    let mut cursor = ReceiptCursor::new(&header, hash);
    for (i, tx) in body.transactions.iter().enumerate() {
        let envelope: OpReceiptEnvelope = stored
            .get(i)
            .map(decode_receipt)
            .transpose()?
            .ok_or_else(|| server(format!("block {hash}: no receipt for transaction {i}")))?;
        let from = senders
            .get(i)
            .copied()
            .ok_or_else(|| server(format!("block {hash}: no sender for transaction {i}")))?;
        let gas_used = cursor.gas_used(envelope.cumulative_gas_used());
        let tx_hash = tx.tx_hash();
        let deposit_nonce = match &envelope {
            OpReceiptEnvelope::Deposit(d) => d.receipt.deposit_nonce,
            _ => None,
        };
        let contract_address = match tx.kind() {
            TxKind::Create => Some(from.create(deposit_nonce.unwrap_or_else(|| tx.nonce()))),
            TxKind::Call(_) => None,
        };
        let bloom = *envelope.logs_bloom();
        let mut map_log = |inner| cursor.log(inner, tx_hash, i);
        let receipt: OpReceipt<alloy_rpc_types_eth::Log> = match envelope {
            OpReceiptEnvelope::Legacy(r) => OpReceipt::Legacy(r.receipt.map_logs(&mut map_log)),
            OpReceiptEnvelope::Eip2930(r) => OpReceipt::Eip2930(r.receipt.map_logs(&mut map_log)),
            OpReceiptEnvelope::Eip1559(r) => OpReceipt::Eip1559(r.receipt.map_logs(&mut map_log)),
            OpReceiptEnvelope::Eip7702(r) => OpReceipt::Eip7702(r.receipt.map_logs(&mut map_log)),
            OpReceiptEnvelope::PostExec(r) => OpReceipt::PostExec(r.receipt.map_logs(&mut map_log)),
            OpReceiptEnvelope::Deposit(r) => OpReceipt::Deposit(r.receipt.map_logs(&mut map_log)),
        };
        let effective_gas_price = if tx.is_deposit() {
            0
        } else {
            tx.effective_gas_price(base_fee)
        };
        let l1_block_info = if tx.is_deposit() {
            L1BlockInfo::default()
        } else {
            l1_info(fork, &inputs, &tx.encoded_2718())
        };
        out.push(OpTransactionReceipt {
            inner: alloy_rpc_types_eth::TransactionReceipt {
                inner: alloy_consensus::ReceiptWithBloom {
                    receipt,
                    logs_bloom: bloom,
                },
                transaction_hash: tx_hash,
                transaction_index: Some(i as u64),
                block_hash: Some(hash),
                block_number: Some(header.number),
                gas_used,
                effective_gas_price,
                blob_gas_used: None,
                blob_gas_price: None,
                from,
                to: tx.to(),
                contract_address,
            },
            l1_block_info,
            op_gas_refund: None,
        });
    }
    Ok(Some(out))
}

/// Walks a block's receipts in order for their RPC form (OP here, Ethereum in [`crate::ethereum`]): each
/// transaction's own gas from the cumulative gas of its receipt, and each log's place in the block.
pub struct ReceiptCursor {
    hash: B256,
    number: u64,
    timestamp: u64,
    previous_cumulative: u64,
    log_index: u64,
}

impl ReceiptCursor {
    /// The start of block `hash` with `header`.
    pub fn new(header: &alloy_consensus::Header, hash: B256) -> Self {
        Self {
            hash,
            number: header.number,
            timestamp: header.timestamp,
            previous_cumulative: 0,
            log_index: 0,
        }
    }

    /// The gas of the next transaction, whose receipt says `cumulative`.
    pub fn gas_used(&mut self, cumulative: u64) -> u64 {
        let used = cumulative.saturating_sub(self.previous_cumulative);
        self.previous_cumulative = cumulative;
        used
    }

    /// `inner` as the block's next log, emitted by transaction `index` (`tx_hash`).
    pub fn log(
        &mut self,
        inner: alloy_primitives::Log,
        tx_hash: B256,
        index: usize,
    ) -> alloy_rpc_types_eth::Log {
        let l = alloy_rpc_types_eth::Log {
            inner,
            block_hash: Some(self.hash),
            block_number: Some(self.number),
            block_timestamp: Some(self.timestamp),
            transaction_hash: Some(tx_hash),
            transaction_index: Some(index as u64),
            log_index: Some(self.log_index),
            removed: false,
        };
        self.log_index += 1;
        l
    }
}
