//! The block-shaped reads that only need the store and the backend's JSON: transaction counts and
//! transactions by block and index, the raw (RLP / EIP-2718) forms geth's `debug_getRaw*` return, and
//! `eth_getLogs` over the stored receipts, and `eth_capabilities` (what history is served).
//!
//! ```text
//! block id -> eth::resolve -> (number, hash) -> ChainStore: tx hashes, header/block/receipt bytes, body
//!                                            -> EthBackend: transaction JSON, logs with positions
//! filter {blockHash | fromBlock..toBlock, address, topics} -> each block's logs -> Filter::matches
//! ```
//! Raw transactions are cut out of the stored body's RLP, so this works for OP and Ethereum bodies alike.

use crate::engine_api::EngineError;
use crate::eth::{json, resolve, server, store, EthBackend, EthContext, EthResult};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Bytes, B256, U64};
use alloy_rpc_types_eth::{Filter, FilterBlockOption};
use jsonrpsee::RpcModule;
use parevm_rpc::error::code::INVALID_PARAMS;
use serde_json::Value;

/// The most blocks one `eth_getLogs` call may scan.
pub const MAX_LOG_RANGE: u64 = 100_000;

fn invalid(message: impl Into<String>) -> EngineError {
    EngineError::new(INVALID_PARAMS, message)
}

/// Registers the methods of this module.
pub(crate) fn register_block_reads<C: EthContext>(m: &mut RpcModule<C>) {
    use crate::eth::register;
    register(m, "eth_getBlockTransactionCountByHash", |a, n| {
        a.at_most(1)?;
        let hash = crate::eth::hash_arg(a, 0)?;
        tx_count(n, BlockId::from(hash))
    });
    register(m, "eth_getBlockTransactionCountByNumber", |a, n| {
        a.at_most(1)?;
        let tag: BlockNumberOrTag = a.req(0)?;
        tx_count(n, BlockId::Number(tag))
    });
    register(m, "eth_getTransactionByBlockHashAndIndex", |a, n| {
        a.at_most(2)?;
        let hash = crate::eth::hash_arg(a, 0)?;
        let index: U64 = a.req(1)?;
        tx_at(n, BlockId::from(hash), index)
    });
    register(m, "eth_getTransactionByBlockNumberAndIndex", |a, n| {
        a.at_most(2)?;
        let tag: BlockNumberOrTag = a.req(0)?;
        let index: U64 = a.req(1)?;
        tx_at(n, BlockId::Number(tag), index)
    });
    register(m, "debug_getRawHeader", |a, n| {
        a.at_most(1)?;
        let hash = block_hash(n, a.req(0)?)?;
        json(n.store().header_rlp(&hash).map_err(store)?)
    });
    register(m, "debug_getRawBlock", |a, n| {
        a.at_most(1)?;
        let hash = block_hash(n, a.req(0)?)?;
        json(n.store().block_rlp(&hash).map_err(store)?.map(Bytes::from))
    });
    register(m, "debug_getRawReceipts", |a, n| {
        a.at_most(1)?;
        let hash = block_hash(n, a.req(0)?)?;
        json(n.store().receipts_rlp(&hash).map_err(store)?)
    });
    register(m, "debug_getRawTransaction", |a, n| {
        a.at_most(1)?;
        let tx = crate::eth::hash_arg(a, 0)?;
        let s = n.store();
        let Some(loc) = s.transaction_location(&tx).map_err(store)? else {
            return Ok(Value::Null);
        };
        let body = s
            .body_rlp(&loc.block_hash)
            .map_err(store)?
            .ok_or_else(|| server(format!("block {} has no stored body", loc.block_hash)))?;
        json(raw_transactions(&body)?.into_iter().nth(loc.index as usize))
    });
    register(m, "eth_capabilities", |a, n| {
        a.at_most(0)?;
        // The store keeps every block, receipt and per-block reverse state diff from genesis on, so
        // everything is served back to block 0.
        let head = n.store().head().map_err(store)?.0;
        let all = serde_json::json!({ "disabled": false, "oldestBlock": U64::ZERO });
        Ok(serde_json::json!({
            "head": { "number": U64::from(head.number), "hash": head.hash },
            "state": all, "tx": all, "logs": all, "receipts": all, "blocks": all,
            "stateproofs": all,
        }))
    });
    register(m, "eth_getLogs", |a, n| {
        a.at_most(1)?;
        let filter: Filter = a.req(0)?;
        json(logs(n, &filter)?)
    });
}

/// The hash of the canonical block `id` names; unknown blocks are an error (geth: "not found").
fn block_hash(n: &dyn EthBackend, id: BlockId) -> EthResult<B256> {
    resolve(n, id)?
        .map(|(_, hash)| hash)
        .ok_or_else(|| server("block not found"))
}

fn tx_count(n: &dyn EthBackend, id: BlockId) -> EthResult<Value> {
    let Some((_, hash)) = resolve(n, id)? else {
        return Ok(Value::Null);
    };
    match n.store().tx_hashes(&hash).map_err(store)? {
        Some(h) => json(U64::from(h.len())),
        None => Ok(Value::Null),
    }
}

fn tx_at(n: &dyn EthBackend, id: BlockId, index: U64) -> EthResult<Value> {
    let Some((_, hash)) = resolve(n, id)? else {
        return Ok(Value::Null);
    };
    let Ok(index) = usize::try_from(index.to::<u64>()) else {
        return Ok(Value::Null);
    };
    Ok(n.transaction_json(hash, index)?.unwrap_or(Value::Null))
}

/// The EIP-2718 encodings of a stored body's transactions (`[transactions, ommers, withdrawals?]`): a
/// legacy transaction is its RLP list, a typed one the payload of its RLP string.
pub fn raw_transactions(body: &[u8]) -> EthResult<Vec<Bytes>> {
    let bad = |e: alloy_rlp::Error| server(format!("stored body: {e}"));
    let mut buf = body;
    let outer = alloy_rlp::Header::decode(&mut buf).map_err(bad)?;
    if !outer.list {
        return Err(server("stored body is not an RLP list"));
    }
    let txs = alloy_rlp::Header::decode(&mut buf).map_err(bad)?;
    let mut items = buf
        .get(..txs.payload_length)
        .ok_or_else(|| server("stored body is truncated"))?;
    let mut out = Vec::new();
    while !items.is_empty() {
        let start = items;
        let h = alloy_rlp::Header::decode(&mut items).map_err(bad)?;
        let header_len = start.len() - items.len();
        let end = header_len + h.payload_length;
        let whole = start
            .get(..end)
            .ok_or_else(|| server("stored body is truncated"))?;
        out.push(Bytes::copy_from_slice(if h.list {
            whole
        } else {
            &whole[header_len..]
        }));
        items = &start[end..];
    }
    Ok(out)
}

/// The block numbers a filter's range names, checked against the head as geth checks them.
fn range(
    n: &dyn EthBackend,
    from: Option<BlockNumberOrTag>,
    to: Option<BlockNumberOrTag>,
) -> EthResult<(u64, u64)> {
    let head = n.store().head().map_err(store)?.0.number;
    let number = |tag: Option<BlockNumberOrTag>| -> EthResult<u64> {
        match tag.unwrap_or(BlockNumberOrTag::Latest) {
            BlockNumberOrTag::Number(x) => Ok(x),
            BlockNumberOrTag::Earliest => Ok(0),
            other => Ok(resolve(n, BlockId::Number(other))?.map_or(head, |(x, _)| x)),
        }
    };
    let (from, to) = (number(from)?, number(to)?);
    if from > to {
        return Err(invalid("invalid block range params"));
    }
    if to > head {
        return Err(invalid("block range extends beyond current head block"));
    }
    if to - from >= MAX_LOG_RANGE {
        return Err(invalid(format!(
            "query exceeds max block range {MAX_LOG_RANGE}"
        )));
    }
    Ok((from, to))
}

/// `eth_getLogs`: the matching logs in block and log order.
pub fn logs(n: &dyn EthBackend, filter: &Filter) -> EthResult<Vec<alloy_rpc_types_eth::Log>> {
    let hashes: Vec<B256> = match &filter.block_option {
        FilterBlockOption::AtBlockHash(hash) => {
            match n.store().number_by_hash(hash).map_err(store)? {
                Some(_) => vec![*hash],
                None => return Err(server("unknown block")),
            }
        }
        FilterBlockOption::Range {
            from_block,
            to_block,
        } => {
            let (from, to) = range(n, *from_block, *to_block)?;
            let mut out = Vec::new();
            for number in from..=to {
                if let Some(h) = n.store().hash_by_number(number).map_err(store)? {
                    out.push(h);
                }
            }
            out
        }
    };
    let mut out = Vec::new();
    for hash in hashes {
        // The header's bloom rules out most blocks without reading receipts.
        let Some(header) = n.store().header_by_hash(&hash).map_err(store)? else {
            continue;
        };
        if !filter.matches_bloom(header.logs_bloom) {
            continue;
        }
        out.extend(
            n.block_logs(hash)?
                .into_iter()
                .filter(|l| filter.matches(&l.inner)),
        );
    }
    Ok(out)
}
