//! From an OP transaction's EIP-2718 bytes to evm-core's [`TxEnv`]: decodes the envelope
//! (op-alloy-consensus), recovers the sender of a signed transaction, fills a deposit's fields, and keeps
//! the encoding for the L1 data fee.
//!
//! ```text
//! block's EIP-2718 bytes -> decode_txs (threads > 1: a rayon pool of that many threads) -> decode_tx each
//!                        -> Vec<OpTx>, the first failing index's error when any fails
//! ```
//! Sender recovery (an ecrecover per signed transaction) is the dearest step before execution, so a block's
//! transactions are decoded once, here, and the [`OpTx`]s travel on with the built block.

use crate::error::OpBlockError;
use alloy_consensus::transaction::SignerRecoverable;
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Bytes, U256};
use op_alloy_consensus::OpTxEnvelope;
use parevm_block::tx_env::tx_env_with_sender;
use parevm_evm_core::env::{tx_type, DepositTx, TxEnv};
use parevm_parallel_commit::kept_pool;
use rayon::prelude::*;

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

/// Decodes a block's transactions `raw` and recovers their senders, each exactly once, on `threads`
/// threads (1: this thread alone). The answer does not depend on `threads`: the transactions in order,
/// or the error of the first one (by index) that fails.
pub fn decode_txs(raw: &[Bytes], threads: usize) -> Result<Vec<OpTx>, OpBlockError> {
    let decode = |(i, b): (usize, &Bytes)| decode_tx(i, b);
    let pool = (threads > 1 && raw.len() > 1)
        .then(|| decode_pool(threads))
        .flatten();
    match pool {
        None => raw.iter().enumerate().map(decode).collect(),
        Some(pool) => {
            let all: Vec<Result<OpTx, OpBlockError>> =
                pool.install(|| raw.par_iter().enumerate().map(decode).collect());
            all.into_iter().collect()
        }
    }
}

/// The decoding threads for blocks run on `threads` threads: the process's kept pool of that size
/// ([`kept_pool`]), so a block pays for waking them, not for starting them (`None` when the pool cannot be
/// started: the caller then decodes alone). The calling thread waits while the pool works; it is idle
/// then, so the block still has `threads` threads busy.
fn decode_pool(threads: usize) -> Option<&'static rayon::ThreadPool> {
    kept_pool(threads)
}
