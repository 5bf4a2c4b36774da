//! The forked chain's history through a forked devnet's RPC, as anvil serves it: blocks below the fork block,
//! their transactions and receipts, and state at those blocks come from the forked node; everything at or
//! after the fork block is the devnet's own.
//!
//! ```text
//! eth_getBlockByNumber(n < fork)            -> forked node
//! eth_getBlockByHash / eth_getTransaction*  -> the devnet; unknown there -> forked node, if at or below the fork
//! eth_getBalance/Code/StorageAt/TransactionCount at n < fork -> forked node at n
//! ```
//! Each wraps the eth handler it replaces (`parevm_rpc::eth`), so the answers at and after the fork block are
//! unchanged.

use crate::fork::RemoteFork;
use crate::DevnetError;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::U64;
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::RpcModule;
use parevm_rpc::eth::{blocks, state};
use parevm_rpc::params::Args;
use parevm_rpc::register::Handler;
use parevm_rpc::{RpcContext, RpcError, RpcResult};
use serde_json::Value;
use std::sync::Arc;

/// Where a method's block parameter is, for the methods that read state at a block.
const AT_BLOCK: [(&str, usize, Handler); 4] = [
    ("eth_getBalance", 1, state::get_balance),
    ("eth_getCode", 1, state::get_code),
    ("eth_getTransactionCount", 1, state::get_transaction_count),
    ("eth_getStorageAt", 2, state::get_storage_at),
];

/// Answered by the devnet, else by the forked node when the answer lies at or below the fork block.
const LOCAL_FIRST: [(&str, Handler); 3] = [
    ("eth_getBlockByHash", blocks::get_block_by_hash),
    ("eth_getTransactionByHash", blocks::get_transaction_by_hash),
    ("eth_getTransactionReceipt", blocks::get_transaction_receipt),
];

/// A handler that may forward: it holds the fork.
type Forwarding = Arc<dyn Fn(&Args, &RpcContext) -> RpcResult<Value> + Send + Sync>;

/// Replaces the eth handlers above in `module` with ones that forward to `fork` what lies below the fork.
pub fn forward_history(
    module: &mut RpcModule<RpcContext>,
    fork: Arc<RemoteFork>,
) -> Result<(), DevnetError> {
    let mut replace = |name: &'static str, f: Forwarding| -> Result<(), DevnetError> {
        module.remove_method(name);
        module
            .register_blocking_method(name, move |params, ctx, _| {
                let args = Args::new(&params).map_err(ErrorObjectOwned::from)?;
                f(&args, &ctx).map_err(ErrorObjectOwned::from)
            })
            .map(|_| ())
            .map_err(|e| DevnetError::Server(format!("{name}: {e}")))
    };
    let below = |fork: &RemoteFork, at: Option<BlockId>| match at {
        Some(BlockId::Number(BlockNumberOrTag::Number(n))) => n < fork.number(),
        _ => false,
    };
    {
        let fork = fork.clone();
        replace(
            "eth_getBlockByNumber",
            Arc::new(move |a, ctx| match a.req::<BlockNumberOrTag>(0) {
                Ok(BlockNumberOrTag::Number(n)) if n < fork.number() => {
                    forward(&fork, "eth_getBlockByNumber", a)
                }
                _ => blocks::get_block_by_number(a, ctx),
            }),
        )?;
    }
    for (name, i, local) in AT_BLOCK {
        let fork = fork.clone();
        replace(
            name,
            Arc::new(move |a, ctx| {
                if below(&fork, a.opt::<BlockId>(i).ok().flatten()) {
                    forward(&fork, name, a)
                } else {
                    local(a, ctx)
                }
            }),
        )?;
    }
    for (name, local) in LOCAL_FIRST {
        let fork = fork.clone();
        replace(
            name,
            Arc::new(move |a, ctx| {
                let here = local(a, ctx)?;
                if !here.is_null() {
                    return Ok(here);
                }
                let there = forward(&fork, name, a)?;
                // The forked node may have gone on past the fork block: what it mined since is not this chain's.
                let number = there
                    .get("blockNumber")
                    .or_else(|| there.get("number"))
                    .and_then(|n| serde_json::from_value::<U64>(n.clone()).ok());
                Ok(match number {
                    Some(n) if n.to::<u64>() <= fork.number() => there,
                    _ => Value::Null,
                })
            }),
        )?;
    }
    Ok(())
}

fn forward(fork: &RemoteFork, method: &str, a: &Args) -> RpcResult<Value> {
    fork.forward(method, a.values())
        .map_err(|e| RpcError::Server(format!("fork {}: {method}: {e}", fork.url())))
}
