//! From an OP transaction's EIP-2718 bytes to evm-core's [`TxEnv`]: decodes the envelope
//! (op-alloy-consensus), recovers the sender of a signed transaction, fills a deposit's fields, and keeps
//! the encoding for the L1 data fee.

use crate::error::OpBlockError;
use alloy_consensus::transaction::SignerRecoverable;
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Bytes, U256};
use op_alloy_consensus::OpTxEnvelope;
use parevm_block::tx_env::tx_env_with_sender;
use parevm_evm_core::env::{tx_type, DepositTx, TxEnv};

/// A decoded block transaction with its environment.
#[derive(Clone, Debug)]
pub struct OpTx {
    /// The decoded envelope.
    pub envelope: OpTxEnvelope,
    /// What evm-core executes.
    pub env: TxEnv,
}

impl OpTx {
    /// True for a deposit (type 0x7E).
    pub fn is_deposit(&self) -> bool {
        self.env.deposit.is_some()
    }
}

/// Decodes transaction `index` of a block from its EIP-2718 `bytes`.
pub fn decode_tx(index: usize, bytes: &Bytes) -> Result<OpTx, OpBlockError> {
    let form = |reason: String| OpBlockError::TxForm { index, reason };
    let mut slice = bytes.as_ref();
    let envelope = OpTxEnvelope::decode_2718(&mut slice).map_err(|e| form(e.to_string()))?;
    if !slice.is_empty() {
        return Err(form(format!("{} bytes after the transaction", slice.len())));
    }
    let env = match &envelope {
        OpTxEnvelope::Deposit(sealed) => {
            let d = sealed.inner();
            TxEnv {
                tx_type: tx_type::DEPOSIT,
                caller: d.from,
                gas_limit: d.gas_limit,
                gas_price: U256::ZERO,
                kind: d.to,
                value: d.value,
                data: d.input.clone(),
                deposit: Some(DepositTx {
                    source_hash: d.source_hash,
                    mint: d.mint,
                    is_system: d.is_system_transaction,
                }),
                envelope: bytes.clone(),
                ..Default::default()
            }
        }
        OpTxEnvelope::PostExec(_) => {
            return Err(OpBlockError::UnsupportedTxType { index, ty: 0x7d });
        }
        signed => {
            let caller = signed
                .recover_signer()
                .map_err(|e| OpBlockError::Signature {
                    index,
                    reason: e.to_string(),
                })?;
            let mut env = match signed {
                OpTxEnvelope::Legacy(t) => tx_env_with_sender(t.tx(), caller),
                OpTxEnvelope::Eip2930(t) => tx_env_with_sender(t.tx(), caller),
                OpTxEnvelope::Eip1559(t) => tx_env_with_sender(t.tx(), caller),
                OpTxEnvelope::Eip7702(t) => tx_env_with_sender(t.tx(), caller),
                OpTxEnvelope::Deposit(_) | OpTxEnvelope::PostExec(_) => {
                    return Err(form("unreachable envelope".into()));
                }
            };
            env.envelope = bytes.clone();
            env
        }
    };
    Ok(OpTx { envelope, env })
}
