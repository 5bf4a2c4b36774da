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
//! unchanged, and so is every answer of a devnet that forks nothing (it may fork later: `anvil_reset`).

use crate::fork::RemoteFork;
use crate::{Devnet, DevnetError};
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

/// A handler that may forward: it holds the devnet, whose fork may change.
type Forwarding = Arc<dyn Fn(&Args, &RpcContext) -> RpcResult<Value> + Send + Sync>;

/// Replaces the eth handlers above in `module` with ones that forward what lies below the block `dev` forks
/// now to the node it forks.
pub fn forward_history(
    module: &mut RpcModule<RpcContext>,
    dev: Arc<Devnet>,
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
    {
        let dev = dev.clone();
        replace(
            "eth_getBlockByNumber",
            Arc::new(move |a, ctx| {
                let at = a.req::<BlockNumberOrTag>(0).ok().map(BlockId::Number);
                match below(&dev, at) {
                    Some(fork) => forward(&fork, "eth_getBlockByNumber", a),
                    None => blocks::get_block_by_number(a, ctx),
                }
            }),
        )?;
    }
    for (name, i, local) in AT_BLOCK {
        let dev = dev.clone();
        replace(
            name,
            Arc::new(move |a, ctx| match below(&dev, a.opt(i).ok().flatten()) {
                Some(fork) => forward(&fork, name, a),
                None => local(a, ctx),
            }),
        )?;
    }
    for (name, local) in LOCAL_FIRST {
        let dev = dev.clone();
        replace(
            name,
            Arc::new(move |a, ctx| {
                let here = local(a, ctx)?;
                let Some(fork) = dev.fork().map(|f| f.source.clone()) else {
                    return Ok(here);
                };
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

/// The node `dev` forks now, when `at` is a block below its fork block.
fn below(dev: &Devnet, at: Option<BlockId>) -> Option<Arc<RemoteFork>> {
    let Some(BlockId::Number(BlockNumberOrTag::Number(n))) = at else {
        return None;
    };
    dev.fork()
        .map(|f| f.source.clone())
        .filter(|f| n < f.number())
}

fn forward(fork: &RemoteFork, method: &str, a: &Args) -> RpcResult<Value> {
    fork.forward(method, a.values())
        .map_err(|e| RpcError::Server(format!("fork {}: {method}: {e}", fork.url())))
}
