//! The `txpool_*` namespace: what the pool holds, pending (executable) and queued (behind a nonce gap), by
//! sender and nonce, in geth's shapes.

use crate::context::RpcContext;
use crate::convert;
use crate::error::RpcResult;
use crate::params::Args;
use crate::register::{json, method};
use alloy_consensus::Transaction as _;
use alloy_primitives::{Address, U64};
use jsonrpsee::RpcModule;
use parevm_chain::PoolTx;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

fn by_sender<T: serde::Serialize>(
    txs: &[Arc<PoolTx>],
    f: impl Fn(&PoolTx) -> T,
) -> RpcResult<Value> {
    let mut out: BTreeMap<Address, Map<String, Value>> = BTreeMap::new();
    for t in txs {
        out.entry(t.sender)
            .or_default()
            .insert(t.nonce().to_string(), json(f(t))?);
    }
    json(out)
}

fn status(_: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let (pending, queued) = ctx.chain.pool_split();
    json(serde_json::json!({
        "pending": U64::from(pending.len()),
        "queued": U64::from(queued.len()),
    }))
}

fn content(_: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let (pending, queued) = ctx.chain.pool_split();
    json(serde_json::json!({
        "pending": by_sender(&pending, convert::pool_transaction)?,
        "queued": by_sender(&queued, convert::pool_transaction)?,
    }))
}

fn summary(t: &PoolTx) -> String {
    let to = t
        .envelope
        .to()
        .map_or_else(|| "contract creation".to_string(), |a| a.to_string());
    format!(
        "{to}: {} wei + {} gas × {} wei",
        t.envelope.value(),
        t.envelope.gas_limit(),
        convert::gas_price_of(&t.envelope)
    )
}

fn inspect(_: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let (pending, queued) = ctx.chain.pool_split();
    json(serde_json::json!({
        "pending": by_sender(&pending, summary)?,
        "queued": by_sender(&queued, summary)?,
    }))
}

/// Registers `txpool_status`, `txpool_content` and `txpool_inspect`.
pub fn register(m: &mut RpcModule<RpcContext>) {
    method(m, "txpool_status", status);
    method(m, "txpool_content", content);
    method(m, "txpool_inspect", inspect);
}
