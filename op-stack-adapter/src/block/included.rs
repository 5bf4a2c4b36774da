//! The transactions a block being built has taken so far, and the sequencer's pool loop.
//!
//! ```text
//! forced (attribute) transactions -> Included::push each (an invalid one fails the build)
//! pool transactions, best first   -> fits the gas left? the DA footprint? runs (nonce, funds with the
//!                                    L1 + operator fee)? -> Included::push, or Skipped (the sender's
//!                                    later transactions are left for a later block)
//! ```
//! A pool transaction never fails the build, as with op-reth's payload builder: one that does not fit
//! stays for a later block; one the EVM refuses (or that does not decode, or is a deposit) is reported
//! as invalid, for the pool to drop. `push` does only what the next transaction depends on (the state, the
//! gas pool, the L1 fee inputs); [`Included::receipts`] builds the receipts and their OP fields at the end,
//! in parallel, while the caller computes the state root.

use crate::error::OpBlockError;
use crate::fork::OpFork;
use crate::predeploys::L1_BLOCK;
use crate::rules::l1_fee::{da_footprint, L1FeeInputs};
use crate::state::OpState;
use crate::tx::{decode_tx, OpTx};
use alloy_primitives::{Address, Bytes, B256, U256};
use op_alloy_consensus::OpReceiptEnvelope;
use parevm_evm_core::{BlockEnv, CfgEnv, Env, TxError, TxOutcome};
use rayon::prelude::*;
use std::collections::HashSet;

use super::receipt::op_receipt;
use super::receipt_fields::{l1_fee_inputs, receipt_fields, OpReceiptFields};

/// A pool transaction the builder left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedTx {
    /// Its hash (keccak256 of its EIP-2718 bytes).
    pub hash: B256,
    /// True when it can never be included as it is (the EVM refuses it, it does not decode, it is a
    /// deposit, or it asks for more gas than a whole block has): the pool should drop it. False when it
    /// only did not fit this block.
    pub invalid: bool,
    /// Why.
    pub reason: String,
}

/// The block's transactions so far, with everything the header and the RPC layer need from them.
#[derive(Debug, Default)]
pub struct Included {
    /// EIP-2718 bytes.
    pub raw: Vec<Bytes>,
    /// The same transactions decoded, with their senders.
    pub txs: Vec<OpTx>,
    /// Outcomes.
    pub outcomes: Vec<TxOutcome>,
    /// Per transaction: the block's gas used up to and including it.
    pub cumulative_gas: Vec<u64>,
    /// Per transaction: a Regolith deposit's nonce.
    pub deposit_nonces: Vec<Option<u64>>,
    /// Gas used.
    pub gas_used: u64,
    /// Jovian DA footprint used.
    pub da_used: u64,
    /// Jovian DA footprint scalar (read once, from L1Block).
    da_scalar: Option<u16>,
    /// The L1 fee inputs (read at the first non-deposit transaction).
    pub inputs: Option<L1FeeInputs>,
}

impl Included {
    /// Room for `n` transactions.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            raw: Vec::with_capacity(n),
            txs: Vec::with_capacity(n),
            outcomes: Vec::with_capacity(n),
            cumulative_gas: Vec::with_capacity(n),
            deposit_nonces: Vec::with_capacity(n),
            ..Default::default()
        }
    }

    /// The receipts and their OP fields, one per transaction in order, built in parallel (rayon). The L1
    /// fee inputs are those read at the first non-deposit transaction, which every later one pays under
    /// (deposits come first), so the answer equals building each receipt as its transaction was pushed.
    pub fn receipts(&self, fork: OpFork) -> (Vec<OpReceiptEnvelope>, Vec<OpReceiptFields>) {
        (0..self.txs.len())
            .into_par_iter()
            .map(|i| {
                let (tx, outcome, nonce) =
                    (&self.txs[i], &self.outcomes[i], self.deposit_nonces[i]);
                let fields = receipt_fields(
                    fork,
                    &self.raw[i],
                    self.inputs.as_ref(),
                    outcome.gas_used,
                    nonce,
                );
                let receipt =
                    op_receipt(&tx.envelope, outcome, self.cumulative_gas[i], nonce, fork);
                (receipt, fields)
            })
            .unzip()
    }

    /// The DA footprint of `tx` under Jovian (0 for deposits and before Jovian).
    pub fn footprint<S: OpState>(
        &mut self,
        fork: OpFork,
        state: &S,
        tx: &OpTx,
    ) -> Result<u64, OpBlockError> {
        if !fork.is_active(OpFork::Jovian) || tx.is_deposit() {
            return Ok(0);
        }
        let scalar = match self.da_scalar {
            Some(s) => s,
            None => {
                let word = state.storage(L1_BLOCK, U256::from(8))?.to_be_bytes::<32>();
                let s = u16::from_be_bytes([word[18], word[19]]);
                self.da_scalar = Some(s);
                s
            }
        };
        Ok(da_footprint(&tx.env.envelope, scalar))
    }

    /// Adds an executed transaction: the L1 fee inputs (from `state` before its writes, at the first
    /// non-deposit), its writes and its gas.
    pub fn push<S: OpState>(
        &mut self,
        fork: OpFork,
        state: &mut S,
        raw: Bytes,
        tx: OpTx,
        outcome: TxOutcome,
        deposit_nonce: Option<u64>,
    ) -> Result<(), OpBlockError> {
        if !tx.is_deposit() && self.inputs.is_none() {
            // Deposits come first, so L1Block holds this block's values from here on.
            self.inputs = Some(l1_fee_inputs(fork, &*state)?);
        }
        state.apply_writes(&outcome.writes)?;
        self.gas_used += outcome.gas_used;
        self.cumulative_gas.push(self.gas_used);
        self.deposit_nonces.push(deposit_nonce);
        self.raw.push(raw);
        self.txs.push(tx);
        self.outcomes.push(outcome);
        Ok(())
    }

    /// op-reth's best-transactions loop over `pool` (best first): each transaction that fits and runs is
    /// included; the others are returned as skipped. After a sender's transaction is skipped, its later
    /// ones are skipped too (their nonces no longer follow).
    #[allow(clippy::too_many_arguments)]
    pub fn take_pool<S: OpState>(
        &mut self,
        fork: OpFork,
        state: &mut S,
        cfg: &CfgEnv,
        block: &BlockEnv,
        gas_limit: u64,
        pool: &[Bytes],
    ) -> Result<Vec<SkippedTx>, OpBlockError> {
        let mut skipped = Vec::new();
        let mut held: HashSet<Address> = HashSet::new();
        for raw in pool {
            let hash = alloy_primitives::keccak256(raw);
            let mut skip = |invalid: bool, reason: String| {
                skipped.push(SkippedTx {
                    hash,
                    invalid,
                    reason,
                })
            };
            let index = self.raw.len();
            let tx = match decode_tx(index, raw) {
                Ok(t) if t.is_deposit() => {
                    skip(true, "a deposit cannot come from the pool".into());
                    continue;
                }
                Ok(t) => t,
                Err(e) => {
                    skip(true, e.to_string());
                    continue;
                }
            };
            let sender = tx.env.caller;
            if held.contains(&sender) {
                skip(
                    false,
                    format!("an earlier transaction of {sender} was skipped"),
                );
                continue;
            }
            let available = gas_limit.saturating_sub(self.gas_used);
            if tx.env.gas_limit > available {
                held.insert(sender);
                skip(
                    tx.env.gas_limit > gas_limit,
                    format!(
                        "gas limit {} above the {available} left in the block",
                        tx.env.gas_limit
                    ),
                );
                continue;
            }
            let footprint = self.footprint(fork, &*state, &tx)?;
            if self.da_used.saturating_add(footprint) > gas_limit {
                held.insert(sender);
                skip(
                    false,
                    format!(
                        "DA footprint {footprint} does not fit the block's {} left",
                        gas_limit.saturating_sub(self.da_used)
                    ),
                );
                continue;
            }
            let env = Env {
                cfg: cfg.clone(),
                block: block.clone(),
                tx: tx.env.clone(),
            };
            let outcome = match parevm_evm_core::execute_tx(&env, &*state) {
                Ok(o) => o,
                Err(TxError::Invalid(e)) => {
                    held.insert(sender);
                    skip(true, e.to_string());
                    continue;
                }
                Err(TxError::View(v)) => return Err(OpBlockError::State(v)),
            };
            self.da_used = self.da_used.saturating_add(footprint);
            self.push(fork, state, raw.clone(), tx, outcome, None)?;
        }
        Ok(skipped)
    }
}
