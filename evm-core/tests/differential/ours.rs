//! Runs a case through parevm: `InMemoryState` pre-state, `execute_tx`, then `apply` of the write set.

use super::case::Case;
use super::flaky::Flaky;
use super::observed::{normalize, Exec, Observed, Post, PostAccount, Status};
use super::recording::Recording;
use alloy_primitives::{TxKind, U256};
use parevm_evm_core::env::{AccessListItem, Authorization};
use parevm_evm_core::interpreter::{Frame, Tracer};
use parevm_evm_core::{
    BlockEnv, CfgEnv, Env, ExecStatus, SpecId, TxEnv, TxError, TxExecution, TxOutcome, ViewError,
};
use parevm_state::InMemoryState;
use std::sync::{Arc, Mutex};

/// The parevm environment of a case.
pub fn env(case: &Case) -> Env {
    let spec = case.spec;
    let b = &case.block;
    let block = BlockEnv {
        number: b.number,
        beneficiary: b.coinbase,
        timestamp: b.timestamp,
        gas_limit: b.gas_limit,
        basefee: U256::from(b.basefee),
        difficulty: b.difficulty,
        prevrandao: spec.is_enabled_in(SpecId::MERGE).then_some(b.prevrandao),
        blob_basefee: spec.is_enabled_in(SpecId::CANCUN).then_some(1),
        slot_number: None,
    };
    let t = &case.tx;
    let tx = TxEnv {
        tx_type: t.tx_type,
        caller: t.caller,
        gas_limit: t.gas_limit,
        gas_price: U256::from(t.gas_price),
        gas_priority_fee: t.priority_fee.map(U256::from),
        kind: t.to.map_or(TxKind::Create, TxKind::Call),
        value: t.value,
        data: t.data.clone(),
        nonce: t.nonce,
        chain_id: spec.is_enabled_in(SpecId::SPURIOUS_DRAGON).then_some(1),
        access_list: t
            .access_list
            .iter()
            .map(|(a, keys)| AccessListItem {
                address: *a,
                storage_keys: keys.clone(),
            })
            .collect(),
        blob_hashes: t.blob_hashes.clone(),
        max_fee_per_blob_gas: U256::from(t.max_fee_per_blob_gas),
        authorization_list: t
            .authorizations
            .iter()
            .map(|a| Authorization {
                chain_id: U256::from(a.chain_id),
                address: a.address,
                nonce: a.nonce,
                authority: a.authority,
            })
            .collect(),
        ..Default::default()
    };
    Env {
        cfg: CfgEnv::new(1, spec),
        block,
        tx,
    }
}

/// Executed-opcode counters shared with a tracer (`PAREVM_DIFF_COVERAGE`).
pub type Coverage = Arc<Mutex<Vec<u64>>>;

struct CountOps(Coverage);

impl Tracer for CountOps {
    fn step(&mut self, _frame: &Frame, op: u8, _refund: i64) {
        if let Ok(mut c) = self.0.lock() {
            c[op as usize] += 1;
        }
    }
}

/// A tracer that records nothing.
struct NoTrace;

impl Tracer for NoTrace {
    fn step(&mut self, _frame: &Frame, _op: u8, _refund: i64) {}
}

/// Runs `case` in parevm, counting executed opcodes into `coverage` when given.
pub fn run(case: &Case, coverage: Option<&Coverage>) -> Observed {
    let mut state = InMemoryState::new();
    for a in &case.accounts {
        state.insert_account(
            a.address,
            a.balance,
            a.nonce,
            a.code.clone(),
            a.storage.iter().copied(),
        );
    }
    let mut exec = TxExecution::new(env(case));
    if let Some(c) = coverage {
        exec.set_tracer(Box::new(CountOps(c.clone())));
    }
    let recording = Recording::new(&state);
    let outcome = exec.resume(&recording);
    let mut self_check = match &outcome {
        Ok(out) => recording.missing_from(&out.reads),
        Err(_) => None,
    };
    drop(recording);
    if self_check.is_none() {
        self_check = parked_run_differs(case, &state, &outcome, coverage.is_some());
    }
    let result = match outcome {
        Ok(out) => {
            state.apply(&out.writes);
            let (status, detail) = match out.status {
                ExecStatus::Success => (Status::Success, String::new()),
                ExecStatus::Revert => (Status::Revert, String::new()),
                ExecStatus::Halt(h) => (Status::Halt, format!("{h:?}")),
            };
            Ok(Exec {
                status,
                detail,
                gas_used: out.gas_used,
                gas_refunded: out.gas_refunded,
                output: out.output,
                logs: out.logs,
                created: out.created_address,
            })
        }
        Err(e) => Err(e.to_string()),
    };
    Observed {
        result,
        post: normalize(post(&state)),
        self_check,
    }
}

/// Runs `case` again over a view that refuses a third of first reads as not ready, resuming after each
/// refusal; describes how the result differs from the uninterrupted `plain` one.
fn parked_run_differs(
    case: &Case,
    state: &InMemoryState,
    plain: &Result<TxOutcome, TxError>,
    traced: bool,
) -> Option<String> {
    let flaky = Flaky::new(state, case.seed, 30, true);
    let mut exec = TxExecution::new(env(case));
    if traced {
        // The same loop as the plain run: the traced loop meters gas per instruction, the plain loop per
        // block, and an exceptional halt can come before different reads in the two.
        exec.set_tracer(Box::new(NoTrace));
    }
    let mut parks = 0u32;
    let parked = loop {
        match exec.resume(&flaky) {
            Err(TxError::View(ViewError::NotReady(_))) if parks < 100_000 => parks += 1,
            r => break r,
        }
    };
    let same = match (plain, &parked) {
        (Ok(a), Ok(b)) => {
            a.status == b.status
                && a.gas_used == b.gas_used
                && a.gas_refunded == b.gas_refunded
                && a.output == b.output
                && a.logs == b.logs
                && a.created_address == b.created_address
                && a.writes == b.writes
                && a.reads == b.reads
        }
        (Err(a), Err(b)) => a == b,
        _ => false,
    };
    if let (Ok(a), Ok(b)) = (plain, &parked) {
        if a.writes != b.writes {
            let i = a
                .writes
                .iter()
                .zip(&b.writes)
                .position(|(x, y)| x != y)
                .unwrap_or(0);
            return Some(format!(
                "parked {parks} times and resumed: write set differs at entry {i}: {:?} instead of {:?}",
                b.writes.get(i),
                a.writes.get(i)
            ));
        }
        if a.reads != b.reads && a.writes == b.writes && a.status == b.status {
            let i = a
                .reads
                .iter()
                .zip(&b.reads)
                .position(|(x, y)| x != y)
                .unwrap_or(a.reads.len().min(b.reads.len()));
            return Some(format!(
                "parked {parks} times and resumed: read set differs at entry {i}: {:?} instead of {:?}",
                b.reads.get(i),
                a.reads.get(i)
            ));
        }
    }
    (!same).then(|| {
        let show = |r: &Result<TxOutcome, TxError>| match r {
            Ok(o) => format!(
                "{:?} gas {} writes {} reads {}",
                o.status,
                o.gas_used,
                o.writes.len(),
                o.reads.len()
            ),
            Err(e) => e.to_string(),
        };
        format!(
            "parked {parks} times and resumed: {} instead of {}",
            show(&parked),
            show(plain)
        )
    })
}

fn post(state: &InMemoryState) -> Post {
    state
        .accounts()
        .map(|(addr, acc)| {
            let code = state
                .code(&acc.code_hash)
                .map(|c| c.bytes().clone())
                .unwrap_or_default();
            let storage = acc.storage.iter().map(|(k, v)| (*k, *v)).collect();
            (
                *addr,
                PostAccount {
                    balance: acc.balance,
                    nonce: acc.nonce,
                    code,
                    storage,
                },
            )
        })
        .collect()
}
