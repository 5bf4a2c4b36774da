//! `anvil_reorg(depth, [[tx, block index], ...])`: a reorganisation of the newest `depth` blocks, as anvil
//! makes one for indexers to test against. The blocks are taken off (their transactions dropped) and
//! `depth` new blocks mined in their place, block `i` holding exactly the transactions paired with `i`.
//!
//! ```text
//! checks (depth within the chain, every index below depth)
//!   -> each transaction: raw bytes (sender recovered) | a request (sender: `from` or the first account;
//!      nonce: the sender's at the common block, counted up per sender; filled and signed as
//!      eth_sendTransaction) -> Devnet::reorg: rollback(depth) + depth blocks mined with exactly those
//! ```

use crate::methods::DevCtx;
use alloy_consensus::TxEnvelope;
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::map::HashMap;
use alloy_primitives::{Address, Bytes};
use alloy_rpc_types_eth::TransactionRequest;
use parevm_chain::PoolTx;
use parevm_rpc::eth::send::{filled_request, pool_tx_from_envelope};
use parevm_rpc::{Driver, RpcError, RpcResult};
use serde::Deserialize;
use std::sync::Arc;

/// A transaction of the new blocks: signed bytes, or a request to fill and sign.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum TxData {
    /// EIP-2718 bytes.
    Raw(Bytes),
    /// A request, as `eth_sendTransaction` takes it.
    Request(Box<TransactionRequest>),
}

/// Builds the new blocks' transactions and makes the reorganisation.
pub fn reorg(c: &DevCtx, depth: u64, pairs: Vec<(TxData, u64)>) -> RpcResult<()> {
    let head = c.dev.chain.head().number();
    let height = head - c.dev.chain.genesis().number();
    if depth > height {
        return Err(RpcError::InvalidParams(format!(
            "Reorg depth must not exceed current chain height: current height {height}, depth {depth}"
        )));
    }
    if let Some((_, n)) = pairs.iter().find(|(_, n)| *n >= depth) {
        return Err(RpcError::InvalidParams(format!(
            "Block number for reorg tx will exceed the reorged chain height. Block number {n} must not \
             exceed (depth-1) {}",
            depth.saturating_sub(1)
        )));
    }
    let common = head - depth;
    let mut pairs = pairs;
    pairs.sort_by_key(|(_, n)| *n);
    let mut nonces: HashMap<Address, u64> = HashMap::default();
    let mut per_block: Vec<Vec<Arc<PoolTx>>> = (0..depth).map(|_| Vec::new()).collect();
    for (data, n) in pairs {
        let tx = match data {
            TxData::Raw(bytes) => {
                let mut buf = bytes.as_ref();
                let envelope = TxEnvelope::decode_2718(&mut buf)
                    .map_err(|_| RpcError::InvalidParams("Failed to decode transaction".into()))?;
                pool_tx_from_envelope(envelope)?
            }
            TxData::Request(mut req) => {
                let from = match req.from {
                    Some(f) => f,
                    None => *c.dev.accounts().addresses().first().ok_or_else(|| {
                        RpcError::Server("no from address and no accounts".into())
                    })?,
                };
                let nonce = match nonces.get(&from) {
                    Some(n) => *n,
                    None => c.dev.chain.read_state(common, |s| s.nonce(from))??,
                };
                nonces.insert(from, nonce + 1);
                req.from = Some(from);
                req.nonce = Some(nonce);
                let (from, typed) = filled_request(*req, &c.rpc, None)?;
                c.dev.sign_transaction(from, typed)?
            }
        };
        // Indexes were checked against `depth` above.
        per_block[n as usize].push(Arc::new(tx));
    }
    c.dev.reorg(per_block)?;
    Ok(())
}
