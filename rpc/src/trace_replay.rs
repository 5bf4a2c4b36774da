//! `trace_replayBlockTransactions` (Parity style, as anvil serves it): every transaction of a block run
//! again on the state before it, answered with its output and, by the trace types asked for, its flat
//! call traces (`trace`), its state diff (`stateDiff`: each changed account's balance, nonce, code and
//! storage before and after, as revm-inspectors' `populate_state_diff` reports them) and its
//! instruction trace (`vmTrace`, `parevm_trace::vm`).
//!
//! ```text
//! block -> Chain::replay_block: per transaction (env, state before it)
//!   -> TxExecution + CallTracer -> outcome (writes, output) + call tree
//!   -> trace: parity::flatten(tree) without block placement
//!   -> stateDiff: writes against the state before: created (no balance before) -> "+"; otherwise
//!      "*" {from, to} where different, "=" where not; unchanged accounts left out
//!   -> vmTrace: a second run with VmTracer, codes from the state before
//! ```

use crate::context::RpcContext;
use crate::error::{RpcError, RpcResult};
use crate::params::Args;
use crate::register::{blocking, json};
use alloy_eips::BlockId;
use alloy_primitives::{Bytes, B256, U256, U64};
use alloy_rpc_types_trace::parity::{
    AccountDiff, ChangedType, Delta, StateDiff, TraceResults, TraceResultsWithTransactionHash,
    TraceType,
};
use jsonrpsee::RpcModule;
use parevm_chain::call::call_output;
use parevm_evm_core::{
    AccountWrite, BalanceWrite, Env, ExecStatus, StateView, TxExecution, ViewError, KECCAK_EMPTY,
};
use parevm_trace::parity::{flatten, TxPlace};
use parevm_trace::{CallTracer, VmTracer};
use serde_json::Value;
use std::collections::HashSet;

/// `Changed` where the values differ, `Unchanged` where not.
fn delta<T: PartialEq>(from: T, to: T) -> Delta<T> {
    if from == to {
        Delta::Unchanged
    } else {
        Delta::Changed(ChangedType { from, to })
    }
}

/// The code with `hash` as bytes (empty for no code).
fn code_bytes(view: &dyn StateView, hash: B256) -> Result<Bytes, ViewError> {
    if hash == KECCAK_EMPTY || hash == B256::ZERO {
        return Ok(Bytes::new());
    }
    Ok(view.code_by_hash(hash)?.bytes().clone())
}

/// How one written account differs from `view` (the state before the transaction); `None` when it does
/// not (a touched account left as it was, an account created and destroyed in the transaction, an empty
/// account cleared by EIP-161).
fn account_diff(view: &dyn StateView, w: &AccountWrite) -> Result<Option<AccountDiff>, ViewError> {
    let pre = view.basic(w.address)?;
    let existed = pre.code_hash != B256::ZERO;
    let pre_code_hash = if existed { pre.code_hash } else { KECCAK_EMPTY };
    let created = w.storage_reset;
    let pre_empty = pre.balance.is_zero() && pre.nonce == 0 && pre_code_hash == KECCAK_EMPTY;
    if w.destroyed && (created || !existed || pre_empty) {
        return Ok(None);
    }
    // A destroyed account that is none of those was self-destructed (before Cancun): its balance went to
    // the beneficiary; its nonce and code are reported as they were.
    let balance = if w.destroyed {
        U256::ZERO
    } else {
        match w.balance {
            Some(BalanceWrite::Set(b)) => b,
            Some(BalanceWrite::Add(d)) => pre.balance.wrapping_add(d),
            None => pre.balance,
        }
    };
    let nonce = w.nonce.unwrap_or(pre.nonce);
    let (code_hash, code) = match &w.code {
        Some((hash, code)) if !w.destroyed => (*hash, code.bytes().clone()),
        _ => (pre_code_hash, code_bytes(view, pre_code_hash)?),
    };
    let mut diff = AccountDiff::default();
    if created && pre.balance.is_zero() {
        diff.balance = Delta::Added(balance);
        diff.nonce = Delta::Added(U64::from(nonce));
        diff.code = Delta::Added(code);
        for (k, v) in w.storage.iter().filter(|(_, v)| !v.is_zero()) {
            diff.storage
                .insert(B256::from(*k), Delta::Added(B256::from(*v)));
        }
        return Ok(Some(diff));
    }
    if created {
        diff.code = Delta::Changed(ChangedType {
            from: code_bytes(view, pre_code_hash)?,
            to: code,
        });
    }
    for (k, v) in &w.storage {
        let before = view.storage(w.address, *k)?;
        if before != *v {
            diff.storage.insert(
                B256::from(*k),
                Delta::Changed(ChangedType {
                    from: B256::from(before),
                    to: B256::from(*v),
                }),
            );
        }
    }
    let unchanged = balance == pre.balance && nonce == pre.nonce && code_hash == pre_code_hash;
    if diff.storage.is_empty() && unchanged && !w.destroyed {
        return Ok(None);
    }
    diff.balance = delta(pre.balance, balance);
    diff.nonce = delta(U64::from(pre.nonce), U64::from(nonce));
    Ok(Some(diff))
}

/// The transaction `env` at `place` run on `view` (the state before it) with the traces `types` asks
/// for (`parevm node` answers with it too).
pub fn replay(
    env: &Env,
    view: &dyn StateView,
    types: &HashSet<TraceType>,
    place: &TxPlace,
) -> RpcResult<TraceResultsWithTransactionHash> {
    let tracer = CallTracer::new(false);
    let mut exec = TxExecution::new(env.clone());
    exec.set_tracer(Box::new(tracer.clone()));
    let outcome = exec.resume(view)?;
    let output = match outcome.status {
        ExecStatus::Success => call_output(&outcome),
        ExecStatus::Revert => outcome.output.clone(),
        ExecStatus::Halt(_) => Bytes::new(),
    };
    let trace = if types.contains(&TraceType::Trace) {
        let tree = tracer
            .tree()
            .ok_or_else(|| RpcError::Internal("call tracer saw no frame".into()))?;
        flatten(&tree, place).into_iter().map(|t| t.trace).collect()
    } else {
        Vec::new()
    };
    let state_diff = if types.contains(&TraceType::StateDiff) {
        let mut diff = StateDiff::default();
        for w in &outcome.writes {
            if let Some(d) = account_diff(view, w)? {
                diff.insert(w.address, d);
            }
        }
        Some(diff)
    } else {
        None
    };
    let vm_trace = if types.contains(&TraceType::VmTrace) {
        // A second run with the instruction recorder; the state before the transaction gives the codes.
        let recorder = VmTracer::new(env.cfg.spec);
        let mut exec = TxExecution::new(env.clone());
        exec.set_tracer(Box::new(recorder.clone()));
        exec.resume(view)?;
        Some(recorder.vm_trace(|address| code_bytes(view, view.code_hash(address)?))?)
    } else {
        None
    };
    Ok(TraceResultsWithTransactionHash {
        full_trace: TraceResults {
            output,
            state_diff,
            trace,
            vm_trace,
        },
        transaction_hash: place.tx_hash,
    })
}

/// `trace_replayBlockTransactions(block, traceTypes)`.
fn replay_block_transactions(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(2)?;
    let id: BlockId = a.req(0)?;
    let types: HashSet<TraceType> = a.req(1)?;
    let block = ctx.state_block(Some(id))?;
    let per_tx = ctx.chain.replay_block(&block, None, |env, view, i| {
        let place = TxPlace {
            block_hash: block.hash,
            block_number: block.number(),
            tx_hash: block.txs[i].hash,
            tx_position: i as u64,
        };
        replay(env, view, &types, &place)
    })?;
    json(per_tx.into_iter().collect::<RpcResult<Vec<_>>>()?)
}

/// Registers the method.
pub fn register(m: &mut RpcModule<RpcContext>) {
    blocking(
        m,
        "trace_replayBlockTransactions",
        replay_block_transactions,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Address;
    use parevm_state::InMemoryState;

    fn account(balance: u64, nonce: u64) -> (Address, InMemoryState) {
        let a = Address::repeat_byte(7);
        let mut s = InMemoryState::new();
        s.insert_account(a, U256::from(balance), nonce, Bytes::new(), []);
        (a, s)
    }

    #[test]
    fn a_credit_is_a_change_and_an_untouched_write_is_none() {
        let (a, s) = account(5, 1);
        let mut w = AccountWrite::new(a);
        w.balance = Some(BalanceWrite::Add(U256::from(3)));
        let d = account_diff(&s, &w).unwrap().unwrap();
        assert_eq!(
            d.balance,
            Delta::Changed(ChangedType {
                from: U256::from(5),
                to: U256::from(8)
            })
        );
        assert_eq!(d.nonce, Delta::Unchanged);
        assert_eq!(d.code, Delta::Unchanged);
        let mut same = AccountWrite::new(a);
        same.balance = Some(BalanceWrite::Set(U256::from(5)));
        assert_eq!(account_diff(&s, &same).unwrap(), None);
    }

    #[test]
    fn a_creation_without_balance_is_added_with_its_nonzero_slots() {
        let s = InMemoryState::new();
        let a = Address::repeat_byte(9);
        let mut w = AccountWrite::new(a);
        w.storage_reset = true;
        w.nonce = Some(1);
        w.storage = vec![(U256::from(1), U256::from(2)), (U256::from(3), U256::ZERO)];
        let d = account_diff(&s, &w).unwrap().unwrap();
        assert_eq!(d.nonce, Delta::Added(U64::from(1)));
        assert_eq!(d.balance, Delta::Added(U256::ZERO));
        assert_eq!(d.storage.len(), 1);
        // Created and destroyed in one transaction: nothing to report.
        w.destroyed = true;
        assert_eq!(account_diff(&s, &w).unwrap(), None);
    }

    #[test]
    fn an_empty_account_cleared_by_eip161_is_none() {
        let (a, s) = account(0, 0);
        let mut w = AccountWrite::new(a);
        w.destroyed = true;
        assert_eq!(account_diff(&s, &w).unwrap(), None);
    }
}
