//! Raw data by hash in the `debug_*` namespace, as anvil and geth serve it: `debug_getRawTransaction` (a
//! mined or pooled transaction's EIP-2718 bytes), `debug_getRawHeader` (a block header's RLP) and
//! `debug_codeByHash` (contract code by its hash).

use crate::context::RpcContext;
use crate::error::RpcResult;
use crate::params::Args;
use crate::register::{blocking, json, method};
use alloy_eips::eip2718::Encodable2718;
use alloy_eips::BlockId;
use alloy_primitives::{Bytes, B256};
use jsonrpsee::RpcModule;
use serde_json::Value;

/// `debug_getRawTransaction(hash)`: the transaction's bytes, or null when unknown.
pub fn raw_transaction(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(1)?;
    let hash: B256 = a.req(0)?;
    if let Some((block, i)) = ctx.chain.transaction(&hash) {
        return json(Bytes::from(block.txs[i].envelope.encoded_2718()));
    }
    let pooled = ctx.chain.pool().get(&hash).cloned();
    json(pooled.map(|t| Bytes::from(t.envelope.encoded_2718())))
}

/// `debug_getRawHeader(block)`: the header's RLP, or null for a block the chain does not have.
pub fn raw_header(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(1)?;
    let id: BlockId = a.req(0)?;
    json(
        ctx.block_by_id(id)
            .map(|b| Bytes::from(alloy_rlp::encode(&b.header))),
    )
}

/// `debug_codeByHash(hash)`: the code with that hash in the head state's code store; empty (`0x`) when
/// there is none, as anvil answers.
pub fn code_by_hash(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(2)?;
    let hash: B256 = a.req(0)?;
    let head = ctx.chain.head().number();
    let code = ctx.chain.read_state(head, |s| s.code_by_hash(hash).ok())?;
    json(code.map_or_else(Bytes::new, |c| c.bytes().clone()))
}

/// Registers the methods.
pub fn register(m: &mut RpcModule<RpcContext>) {
    method(m, "debug_getRawTransaction", raw_transaction);
    method(m, "debug_getRawHeader", raw_header);
    blocking(m, "debug_codeByHash", code_by_hash);
}
