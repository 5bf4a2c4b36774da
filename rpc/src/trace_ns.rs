//! The `trace_*` namespace (Parity style, as anvil serves it): `trace_transaction`, `trace_block` and
//! `trace_filter`, each a flat list of calls and creations built from the call tracer's tree
//! (`parevm_trace::parity`).
//!
//! ```text
//! trace_transaction: Chain::replay(hash)       -> CallTracer::tree -> parity::flatten (block, position)
//! trace_block:       Chain::replay_block       -> the same per transaction, in block order
//! trace_filter:      trace_block over the range -> from/to address filters -> after, count
//! ```

use crate::context::RpcContext;
use crate::error::{RpcError, RpcResult};
use crate::params::Args;
use crate::register::{blocking, json};
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{Address, B256};
use alloy_rpc_types_trace::geth::CallFrame;
use alloy_rpc_types_trace::parity::{Action, LocalizedTransactionTrace, TraceOutput};
use jsonrpsee::RpcModule;
use parevm_chain::SharedBlock;
use parevm_evm_core::{Env, StateView, TxExecution};
use parevm_trace::parity::{flatten, TxPlace};
use parevm_trace::CallTracer;
use serde_json::Value;

/// Most blocks one `trace_filter` call replays.
pub const FILTER_BLOCKS: u64 = 1_000;

/// The call tree of the transaction `env`, run on `view`, as the call tracer records it.
fn tree_of(env: &Env, view: &dyn StateView) -> RpcResult<CallFrame> {
    let tracer = CallTracer::new(false);
    let mut exec = TxExecution::new(env.clone());
    exec.set_tracer(Box::new(tracer.clone()));
    exec.resume(view)?;
    tracer
        .tree()
        .ok_or_else(|| RpcError::Internal("call tracer saw no frame".into()))
}

/// The Parity traces of the transaction `env` at `place`, run on `view` (`parevm node` answers with it
/// too).
pub fn traces_of(
    env: &Env,
    view: &dyn StateView,
    place: &TxPlace,
) -> RpcResult<Vec<LocalizedTransactionTrace>> {
    Ok(flatten(&tree_of(env, view)?, place))
}

/// The recorded call tree of the mined transaction `hash`; `None` for a transaction the chain does not
/// have.
pub(crate) fn tx_tree(ctx: &RpcContext, hash: &B256) -> RpcResult<Option<CallFrame>> {
    ctx.chain.replay(hash, tree_of)?.transpose()
}

fn place(block: &SharedBlock, i: usize) -> TxPlace {
    TxPlace {
        block_hash: block.hash,
        block_number: block.number(),
        tx_hash: block.txs[i].hash,
        tx_position: i as u64,
    }
}

/// Every trace of `block`, transaction by transaction.
pub(crate) fn block_traces(
    ctx: &RpcContext,
    block: &SharedBlock,
) -> RpcResult<Vec<LocalizedTransactionTrace>> {
    let per_tx = ctx.chain.replay_block(block, None, |env, view, i| {
        traces_of(env, view, &place(block, i))
    })?;
    let mut out = Vec::new();
    for t in per_tx {
        out.extend(t?);
    }
    Ok(out)
}

/// The traces of the mined transaction `hash`; `None` for a transaction the chain does not have.
pub(crate) fn tx_traces(
    ctx: &RpcContext,
    hash: &B256,
) -> RpcResult<Option<Vec<LocalizedTransactionTrace>>> {
    let Some((block, index)) = ctx.chain.transaction(hash) else {
        return Ok(None);
    };
    let at = place(&block, index);
    let r = ctx
        .chain
        .replay(hash, |env, view| traces_of(env, view, &at))?;
    r.transpose()
}

/// `trace_transaction(hash)`: an empty list for a transaction the chain does not have (anvil's answer).
fn trace_transaction(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(1)?;
    let hash: B256 = a.req(0)?;
    json(tx_traces(ctx, &hash)?.unwrap_or_default())
}

/// `trace_block(block)`: null for a block the chain does not have.
fn trace_block(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(1)?;
    let tag: BlockNumberOrTag = a.req(0)?;
    match ctx.block_by_tag(tag) {
        Some(block) => json(block_traces(ctx, &block)?),
        None => Ok(Value::Null),
    }
}

/// `trace_filter`'s parameter.
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceFilter {
    /// First block (the head when absent).
    pub from_block: Option<BlockNumberOrTag>,
    /// Last block (the head when absent).
    pub to_block: Option<BlockNumberOrTag>,
    /// Keep traces from one of these (any when absent or empty).
    pub from_address: Option<Vec<Address>>,
    /// Keep traces to one of these (any when absent or empty).
    pub to_address: Option<Vec<Address>>,
    /// Traces to skip.
    pub after: Option<u64>,
    /// Most traces to keep.
    pub count: Option<u64>,
}

/// The address a trace goes to: the callee, or the contract a creation made.
fn target(t: &LocalizedTransactionTrace) -> Option<Address> {
    match (&t.trace.action, &t.trace.result) {
        (Action::Call(c), _) => Some(c.to),
        (_, Some(TraceOutput::Create(c))) => Some(c.address),
        _ => None,
    }
}

fn source(t: &LocalizedTransactionTrace) -> Option<Address> {
    match &t.trace.action {
        Action::Call(c) => Some(c.from),
        Action::Create(c) => Some(c.from),
        _ => None,
    }
}

/// The traces of blocks `from..=to` (`block_traces` gives a block's, at most [`FILTER_BLOCKS`] blocks)
/// from one of `fromAddress` and to one of `toAddress` (either list absent or empty: any), skipping
/// `after` and keeping at most `count`: `trace_filter` of the devnet and of `parevm node`.
pub fn filter_traces(
    f: &TraceFilter,
    from: u64,
    to: u64,
    mut block_traces: impl FnMut(u64) -> RpcResult<Vec<LocalizedTransactionTrace>>,
) -> RpcResult<Vec<LocalizedTransactionTrace>> {
    if from > to {
        return Err(RpcError::InvalidParams(format!(
            "fromBlock {from} is after toBlock {to}"
        )));
    }
    if to - from >= FILTER_BLOCKS {
        return Err(RpcError::InvalidParams(format!(
            "a range of {} blocks is more than {FILTER_BLOCKS}",
            to - from + 1
        )));
    }
    let wanted = |list: &Option<Vec<Address>>, a: Option<Address>| match list {
        Some(l) if !l.is_empty() => a.is_some_and(|a| l.contains(&a)),
        _ => true,
    };
    let mut out = Vec::new();
    for n in from..=to {
        out.extend(
            block_traces(n)?
                .into_iter()
                .filter(|t| wanted(&f.from_address, source(t)) && wanted(&f.to_address, target(t))),
        );
    }
    let after = usize::try_from(f.after.unwrap_or(0)).unwrap_or(usize::MAX);
    let count = f
        .count
        .map_or(usize::MAX, |c| usize::try_from(c).unwrap_or(usize::MAX));
    Ok(out.into_iter().skip(after).take(count).collect())
}

/// `trace_filter({fromBlock, toBlock, fromAddress, toAddress, after, count})`.
fn trace_filter(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(1)?;
    let f: TraceFilter = a.req(0)?;
    let number = |tag: Option<BlockNumberOrTag>, default: u64| match tag {
        None => Ok(default),
        Some(t) => ctx
            .block_by_tag(t)
            .map(|b| b.number())
            .ok_or_else(|| RpcError::InvalidParams(format!("unknown block {t}"))),
    };
    let head = ctx.chain.head().number();
    let (from, to) = (number(f.from_block, head)?, number(f.to_block, head)?);
    json(filter_traces(&f, from, to, |n| {
        match ctx.chain.block_by_number(n) {
            Some(block) => block_traces(ctx, &block),
            None => Ok(Vec::new()),
        }
    })?)
}

/// Registers the methods.
pub fn register(m: &mut RpcModule<RpcContext>) {
    blocking(m, "trace_transaction", trace_transaction);
    blocking(m, "trace_block", trace_block);
    blocking(m, "trace_filter", trace_filter);
}
