//! Ethereum mode's `debug_traceTransaction` and `debug_traceBlockByNumber`/`ByHash`: a stored block is
//! replayed on the stored state after its parent, with the tracers the devnet serves
//! (`parevm_rpc::debug::trace_one`: struct logger, callTracer, prestateTracer).
//!
//! ```text
//! block -> state_at(parent) -> Overlay -> EIP-4788 / EIP-2935 system calls (as the block ran them)
//!       -> per transaction: trace_one(env, overlay) (traced ones), execute, apply its writes
//!       -> struct logs in geth's form (as_geth)
//! ```

use crate::eth::{json, server, store, EthBackend, EthResult};
use crate::eth_exec::register;
use crate::ethereum::EthereumChain;
use alloy_consensus::BlockBody;
use alloy_eips::eip2935::HISTORY_STORAGE_ADDRESS;
use alloy_eips::eip4788::BEACON_ROOTS_ADDRESS;
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{Bytes, B256};
use alloy_rpc_types_trace::geth::{DefaultFrame, GethDebugTracingOptions, GethTrace};
use jsonrpsee::RpcModule;
use parevm_block::input::BlockTx;
use parevm_block::system::SYSTEM_CALL_GAS;
use parevm_block::tx_env::tx_env_with_sender;
use parevm_evm_core::{
    execute_system_call, CfgEnv, Env, SpecId, StateView, TxExecution, KECCAK_EMPTY, SYSTEM_ADDRESS,
};
use parevm_parallel_commit::Overlay;
use serde_json::Value;

/// Adds the debug trace methods to an Ethereum-mode module.
pub fn register_trace(m: &mut RpcModule<EthereumChain>) {
    register(m, "debug_traceTransaction", |a, c| {
        a.at_most(2)?;
        let hash: B256 = a.req(0)?;
        let opts: GethDebugTracingOptions = a.opt(1)?.unwrap_or_default();
        let Some(loc) = c.store().transaction_location(&hash).map_err(store)? else {
            return Err(server("transaction not found"));
        };
        let mut traces = trace_block(c, loc.block_hash, Some(loc.index as usize), &opts)?;
        match traces.pop() {
            Some((_, t)) => Ok(t),
            None => Err(server("transaction not found")),
        }
    });
    register(m, "debug_traceBlockByNumber", |a, c| {
        a.at_most(2)?;
        let tag: BlockNumberOrTag = a.req(0)?;
        let opts: GethDebugTracingOptions = a.opt(1)?.unwrap_or_default();
        let hash = crate::eth::resolve(c, alloy_eips::BlockId::Number(tag))?
            .map(|(_, h)| h)
            .ok_or_else(|| server(format!("block {tag} not found")))?;
        block_json(c, hash, &opts)
    });
    register(m, "debug_traceBlockByHash", |a, c| {
        a.at_most(2)?;
        let hash: B256 = a.req(0)?;
        let opts: GethDebugTracingOptions = a.opt(1)?.unwrap_or_default();
        block_json(c, hash, &opts)
    });
}

/// Struct logs as geth writes them (the execution-apis answers): zero `refund` and empty `memory` and
/// `returnData` left out (geth's `omitempty`; the devnet keeps anvil's form), and a successful creation's
/// `returnValue` is the deployed code (the state after the transaction holds it).
fn as_geth(
    frame: &mut DefaultFrame,
    outcome: &parevm_evm_core::TxOutcome,
    after: &dyn StateView,
) -> Result<(), parevm_evm_core::ViewError> {
    for log in &mut frame.struct_logs {
        if log.refund_counter == Some(0) {
            log.refund_counter = None;
        }
        if log.memory.as_ref().is_some_and(Vec::is_empty) {
            log.memory = None;
        }
        if log.return_data.as_ref().is_some_and(|d| d.is_empty()) {
            log.return_data = None;
        }
    }
    if let (Some(created), true) = (outcome.created_address, outcome.status.is_success()) {
        let code_hash = after.code_hash(created)?;
        if !code_hash.is_zero() && code_hash != KECCAK_EMPTY {
            frame.return_value = after.code_by_hash(code_hash)?.bytes().clone();
        }
    }
    Ok(())
}

fn block_json(c: &EthereumChain, hash: B256, opts: &GethDebugTracingOptions) -> EthResult<Value> {
    let traces = trace_block(c, hash, None, opts)?;
    json(
        traces
            .into_iter()
            .map(|(tx, result)| serde_json::json!({ "txHash": tx, "result": result }))
            .collect::<Vec<_>>(),
    )
}

/// Replays block `hash` and traces its transactions up to `last` (all when `None`; only `last` itself
/// when given).
fn trace_block(
    c: &EthereumChain,
    hash: B256,
    last: Option<usize>,
    opts: &GethDebugTracingOptions,
) -> EthResult<Vec<(B256, Value)>> {
    let s = c.store();
    let Some(header) = s.header_by_hash(&hash).map_err(store)? else {
        return Err(server(format!("block {hash} not found")));
    };
    if header.number == 0 {
        return Err(server("genesis is not traceable"));
    }
    let body: BlockBody<BlockTx> = s
        .body(&hash)
        .map_err(store)?
        .ok_or_else(|| server(format!("block {hash} has no stored body")))?;
    let senders = s.senders(&hash).map_err(store)?.unwrap_or_default();
    let fork = c.fork(&header)?;
    let mut cfg = CfgEnv::new(c.chain_id(), fork.spec);
    cfg.blob = fork.blob;
    let block = parevm_block::executor::block_env(&header, &fork);
    let parent = s.state_at(header.number - 1).map_err(store)?;
    let mut overlay = Overlay::new(&parent);
    let view_err = |e: parevm_evm_core::ViewError| server(e.to_string());
    // The system calls that ran before the transactions (parevm-block's executor order).
    let mut system = Vec::new();
    if fork.spec.is_enabled_in(SpecId::CANCUN) {
        let root = header.parent_beacon_block_root.unwrap_or_default();
        system.push((
            BEACON_ROOTS_ADDRESS,
            Bytes::copy_from_slice(root.as_slice()),
        ));
    }
    if fork.spec.is_enabled_in(SpecId::PRAGUE) {
        system.push((
            HISTORY_STORAGE_ADDRESS,
            Bytes::copy_from_slice(header.parent_hash.as_slice()),
        ));
    }
    for (target, data) in system {
        let code = overlay.code_hash(target).map_err(view_err)?;
        if code.is_zero() || code == KECCAK_EMPTY {
            continue;
        }
        let out = execute_system_call(
            &cfg,
            &block,
            SYSTEM_ADDRESS,
            target,
            data,
            SYSTEM_CALL_GAS,
            &overlay,
        )
        .map_err(|e| server(format!("system call to {target}: {e}")))?;
        overlay.apply(&out.writes);
    }
    let end = last.map_or(body.transactions.len(), |l| {
        (l + 1).min(body.transactions.len())
    });
    let mut out = Vec::with_capacity(end);
    for (i, tx) in body.transactions[..end].iter().enumerate() {
        let sender = senders
            .get(i)
            .copied()
            .ok_or_else(|| server(format!("block {hash}: no sender for transaction {i}")))?;
        let env = Env {
            cfg: cfg.clone(),
            block: block.clone(),
            tx: tx_env_with_sender(tx, sender),
        };
        let trace = if last.is_none_or(|l| l == i) {
            Some(parevm_rpc::debug::trace_one(&env, &overlay, opts)?)
        } else {
            None
        };
        let outcome = TxExecution::new(env)
            .resume(&overlay)
            .map_err(|e| server(format!("replaying transaction {i} of block {hash}: {e}")))?;
        overlay.apply(&outcome.writes);
        if let Some(mut trace) = trace {
            if let GethTrace::Default(frame) = &mut trace {
                as_geth(frame, &outcome, &overlay).map_err(view_err)?;
            }
            out.push((*tx.tx_hash(), json(trace)?));
        }
    }
    Ok(out)
}
