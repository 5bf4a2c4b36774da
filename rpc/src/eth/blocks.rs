//! Blocks, transactions and receipts by number, hash and index.

use crate::context::RpcContext;
use crate::convert;
use crate::error::RpcResult;
use crate::params::Args;
use crate::register::json;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_serde::quantity;
use parevm_chain::{ChainBlock, SharedBlock};
use serde_json::Value;

/// `eth_blockNumber`.
pub fn block_number(_: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    json(U256::from(ctx.chain.head().number()))
}

/// `eth_getBlockByNumber(tag, full)`; `pending` is the block mining would make now (see
/// [`pending_block`]).
pub fn get_block_by_number(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let tag: BlockNumberOrTag = a.req(0)?;
    let full: bool = a.opt(1)?.unwrap_or(false);
    if tag == BlockNumberOrTag::Pending {
        return json(convert::block(&pending_block(ctx)?, full));
    }
    json(ctx.block_by_tag(tag).map(|b| convert::block(&b, full)))
}

/// The pending block, as anvil answers for `pending`: the next block built from the pool's executable
/// transactions on the head state with the next block's parameters, its state root zero (not computed),
/// nothing mined.
pub fn pending_block(ctx: &RpcContext) -> RpcResult<ChainBlock> {
    Ok(ctx.chain.pending_block(&ctx.driver.next_block())?)
}

/// `eth_getBlockByHash(hash, full)`.
pub fn get_block_by_hash(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let hash: B256 = a.req(0)?;
    let full: bool = a.opt(1)?.unwrap_or(false);
    json(
        ctx.chain
            .block_by_hash(&hash)
            .map(|b| convert::block(&b, full)),
    )
}

/// `eth_getBlockTransactionCountByNumber(tag)`.
pub fn tx_count_by_number(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let tag: BlockNumberOrTag = a.req(0)?;
    if tag == BlockNumberOrTag::Pending {
        return json(U256::from(pending_block(ctx)?.txs.len()));
    }
    json(ctx.block_by_tag(tag).map(|b| U256::from(b.txs.len())))
}

/// `eth_getBlockTransactionCountByHash(hash)`.
pub fn tx_count_by_hash(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let hash: B256 = a.req(0)?;
    json(
        ctx.chain
            .block_by_hash(&hash)
            .map(|b| U256::from(b.txs.len())),
    )
}

/// `eth_getUncleCountByBlock*`: post-merge blocks have no ommers.
pub fn uncle_count(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let id: BlockId = a.req(0)?;
    json(ctx.block_by_id(id).map(|_| U256::ZERO))
}

/// `eth_getUncleByBlock*AndIndex`: always null.
pub fn uncle(_: &Args, _: &RpcContext) -> RpcResult<Value> {
    Ok(Value::Null)
}

/// `eth_getTransactionByHash(hash)`: mined, or pending in the pool.
pub fn get_transaction_by_hash(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let hash: B256 = a.req(0)?;
    if let Some((block, i)) = ctx.chain.transaction(&hash) {
        return json(convert::transaction(&block, i));
    }
    let pooled = ctx.chain.pool().get(&hash).cloned();
    json(pooled.map(|t| convert::pool_transaction(&t)))
}

#[derive(serde::Deserialize)]
struct Index(#[serde(with = "quantity")] u64);

/// `eth_getTransactionByBlockNumberAndIndex(tag, index)`; null at `pending` (anvil's answer: a pending
/// transaction is found by its hash).
pub fn tx_by_number_and_index(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let tag: BlockNumberOrTag = a.req(0)?;
    let Index(i) = a.req(1)?;
    if tag == BlockNumberOrTag::Pending {
        return Ok(Value::Null);
    }
    json(
        ctx.block_by_tag(tag)
            .and_then(|b| convert::transaction(&b, i as usize)),
    )
}

/// `eth_getTransactionByBlockHashAndIndex(hash, index)`.
pub fn tx_by_hash_and_index(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let hash: B256 = a.req(0)?;
    let Index(i) = a.req(1)?;
    json(
        ctx.chain
            .block_by_hash(&hash)
            .and_then(|b| convert::transaction(&b, i as usize)),
    )
}

/// `eth_getTransactionBySenderAndNonce(sender, nonce)`: the pooled or mined transaction of `sender` at
/// `nonce` (a mined one found by a binary search over the kept states' nonces, else by a scan from the
/// head down).
pub fn tx_by_sender_and_nonce(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(2)?;
    let sender: Address = a.req(0)?;
    let Index(nonce) = a.req(1)?;
    let (pending, queued) = ctx.chain.pool_split();
    let pooled = pending
        .into_iter()
        .chain(queued)
        .find(|t| t.sender == sender && t.nonce() == nonce);
    if let Some(t) = pooled {
        return json(convert::pool_transaction(&t));
    }
    json(
        mined_by_sender_and_nonce(ctx, sender, nonce)
            .and_then(|(block, i)| convert::transaction(&block, i)),
    )
}

/// The block and position of the mined transaction of `sender` with `nonce`.
pub fn mined_by_sender_and_nonce(
    ctx: &RpcContext,
    sender: Address,
    nonce: u64,
) -> Option<(SharedBlock, usize)> {
    let in_block = |n: u64| {
        let block = ctx.chain.block_by_number(n)?;
        let i = block.txs.iter().position(|t| {
            t.sender == sender && alloy_consensus::Transaction::nonce(&t.envelope) == nonce
        })?;
        Some((block, i))
    };
    let head = ctx.chain.head().number();
    let first = ctx.chain.genesis().number();
    // Fast path: nonces only grow in blocks, so the block that used `nonce` is the first whose state has a
    // higher one; a binary search over the kept states finds it.
    let nonce_at = |n: u64| ctx.chain.read_state(n, |s| s.nonce(sender)).ok()?.ok();
    if nonce_at(first).is_some_and(|v| v <= nonce) && nonce_at(head).is_some_and(|v| v > nonce) {
        let (mut lo, mut hi) = (first, head);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            match nonce_at(mid) {
                Some(v) if v > nonce => hi = mid,
                Some(_) => lo = mid,
                None => break,
            }
        }
        if let Some(found) = in_block(hi) {
            return Some(found);
        }
    }
    // Otherwise (states no longer kept, nonces edited by hand): every block from the head down.
    (first + 1..=head).rev().find_map(in_block)
}

/// The EIP-2718 bytes of transaction `i` of `block`.
fn raw_at(block: &SharedBlock, i: usize) -> Option<Bytes> {
    block.txs.get(i).map(|t| {
        Bytes::from(alloy_eips::eip2718::Encodable2718::encoded_2718(
            &t.envelope,
        ))
    })
}

/// `eth_getRawTransactionByHash(hash)`: a mined or pooled transaction's bytes, or null.
pub fn raw_tx_by_hash(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    crate::debug_raw::raw_transaction(a, ctx)
}

/// `eth_getRawTransactionByBlockNumberAndIndex(tag, index)`.
pub fn raw_tx_by_number_and_index(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let tag: BlockNumberOrTag = a.req(0)?;
    let Index(i) = a.req(1)?;
    if tag == BlockNumberOrTag::Pending {
        return Ok(Value::Null);
    }
    json(ctx.block_by_tag(tag).and_then(|b| raw_at(&b, i as usize)))
}

/// `eth_getRawTransactionByBlockHashAndIndex(hash, index)`.
pub fn raw_tx_by_hash_and_index(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let hash: B256 = a.req(0)?;
    let Index(i) = a.req(1)?;
    json(
        ctx.chain
            .block_by_hash(&hash)
            .and_then(|b| raw_at(&b, i as usize)),
    )
}

/// `eth_getTransactionReceipt(hash)`.
pub fn get_transaction_receipt(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let hash: B256 = a.req(0)?;
    json(
        ctx.chain
            .transaction(&hash)
            .and_then(|(b, i)| convert::receipt(&b, i)),
    )
}

/// `eth_getBlockReceipts(block)`.
pub fn get_block_receipts(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let id: BlockId = a.req(0)?;
    json(ctx.block_by_id(id).map(|b| {
        (0..b.txs.len())
            .filter_map(|i| convert::receipt(&b, i))
            .collect::<Vec<_>>()
    }))
}
