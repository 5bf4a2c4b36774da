//! Installed filters (`eth_newFilter`, `eth_newBlockFilter`, `eth_newPendingTransactionFilter`) and their
//! cursors; `eth_getFilterChanges` returns what happened since the last poll. A filter nobody polls for
//! five minutes is removed, as geth does, so a long run keeps a flat memory.

use crate::convert;
use crate::error::{RpcError, RpcResult};
use alloy_primitives::map::HashMap;
use alloy_primitives::{keccak256, B256, U128};
use alloy_rpc_types_eth::{Filter, Log};
use parevm_chain::{Chain, ChainBlock};
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// How long an unpolled filter lives.
pub const FILTER_TIMEOUT: Duration = Duration::from_secs(300);

enum Kind {
    Blocks,
    Logs(Box<Filter>),
    Pending(broadcast::Receiver<B256>),
}

struct Installed {
    kind: Kind,
    /// The last block already reported.
    cursor: u64,
    polled: Instant,
}

/// The installed filters of one server.
pub struct Filters {
    chain: Arc<Chain>,
    inner: Mutex<(u64, HashMap<U128, Installed>)>,
}

impl Filters {
    /// No filters yet.
    pub fn new(chain: Arc<Chain>) -> Self {
        Self {
            chain,
            inner: Mutex::new((0, HashMap::default())),
        }
    }

    fn install(&self, kind: Kind) -> U128 {
        let head = self.chain.head().number();
        let mut g = self.inner.lock();
        let now = Instant::now();
        g.1.retain(|_, f| now.duration_since(f.polled) < FILTER_TIMEOUT);
        g.0 += 1;
        // Ids are opaque to clients; hash the counter so they do not look sequential.
        let digest = keccak256(g.0.to_be_bytes());
        let id = U128::from_be_slice(&digest[..16]);
        g.1.insert(
            id,
            Installed {
                kind,
                cursor: head,
                polled: now,
            },
        );
        id
    }

    /// Installs a log filter.
    pub fn new_logs(&self, filter: Filter) -> U128 {
        self.install(Kind::Logs(Box::new(filter)))
    }

    /// Installs a new-block filter.
    pub fn new_blocks(&self) -> U128 {
        self.install(Kind::Blocks)
    }

    /// Installs a pending-transaction filter.
    pub fn new_pending(&self) -> U128 {
        self.install(Kind::Pending(self.chain.subscribe_pending()))
    }

    /// Removes a filter; false when there was none.
    pub fn uninstall(&self, id: U128) -> bool {
        self.inner.lock().1.remove(&id).is_some()
    }

    /// What happened since the last poll.
    pub fn changes(&self, id: U128) -> RpcResult<serde_json::Value> {
        let head = self.chain.head().number();
        let mut g = self.inner.lock();
        let f =
            g.1.get_mut(&id)
                .ok_or_else(|| RpcError::Server("filter not found".into()))?;
        f.polled = Instant::now();
        let from = f.cursor + 1;
        let value = match &mut f.kind {
            Kind::Blocks => {
                let hashes: Vec<B256> = (from..=head)
                    .filter_map(|n| self.chain.block_by_number(n))
                    .map(|b| b.hash)
                    .collect();
                serde_json::to_value(hashes)
            }
            Kind::Logs(filter) => {
                let logs = logs_in_range(&self.chain, filter, from, head);
                serde_json::to_value(logs)
            }
            Kind::Pending(rx) => {
                let mut hashes = Vec::new();
                loop {
                    match rx.try_recv() {
                        Ok(h) => hashes.push(h),
                        Err(broadcast::error::TryRecvError::Lagged(_)) => continue,
                        Err(_) => break,
                    }
                }
                serde_json::to_value(hashes)
            }
        };
        f.cursor = head;
        value.map_err(|e| RpcError::Internal(e.to_string()))
    }

    /// All logs a log filter matches (`eth_getFilterLogs`).
    pub fn logs(&self, id: U128) -> RpcResult<Vec<Log>> {
        let g = self.inner.lock();
        match g.1.get(&id).map(|f| &f.kind) {
            Some(Kind::Logs(filter)) => {
                let filter = filter.clone();
                drop(g);
                get_logs(&self.chain, &filter)
            }
            _ => Err(RpcError::Server("filter not found".into())),
        }
    }
}

/// The logs of one block that `filter` matches.
pub fn block_logs(block: &ChainBlock, filter: &Filter) -> Vec<Log> {
    if !filter.matches_bloom(block.header.logs_bloom) {
        return Vec::new();
    }
    (0..block.txs.len())
        .flat_map(|i| convert::logs(block, i))
        .filter(|l| filter.matches(&l.inner))
        .collect()
}

fn logs_in_range(chain: &Chain, filter: &Filter, from: u64, to: u64) -> Vec<Log> {
    let (lo, hi) = filter.extract_block_range();
    let lo = lo.unwrap_or(from).max(from);
    let hi = hi.unwrap_or(to).min(to);
    (lo..=hi)
        .filter_map(|n| chain.block_by_number(n))
        .flat_map(|b| block_logs(&b, filter))
        .collect()
}

/// Most blocks one `eth_getLogs` may scan.
pub const MAX_LOG_RANGE: u64 = 100_000;

/// `eth_getLogs`.
pub fn get_logs(chain: &Chain, filter: &Filter) -> RpcResult<Vec<Log>> {
    if let Some(hash) = filter.get_block_hash() {
        let block = chain
            .block_by_hash(&hash)
            .ok_or_else(|| RpcError::Server("unknown block".into()))?;
        return Ok(block_logs(&block, filter));
    }
    let head = chain.head().number();
    let resolve = |tag: Option<&alloy_eips::BlockNumberOrTag>, default: u64| match tag {
        Some(alloy_eips::BlockNumberOrTag::Number(n)) => *n,
        Some(alloy_eips::BlockNumberOrTag::Earliest) => 0,
        _ => default,
    };
    let (from, to) = match &filter.block_option {
        alloy_rpc_types_eth::FilterBlockOption::Range {
            from_block,
            to_block,
        } => (
            resolve(from_block.as_ref(), head),
            resolve(to_block.as_ref(), head),
        ),
        alloy_rpc_types_eth::FilterBlockOption::AtBlockHash(_) => (head, head),
    };
    if from > to {
        return Err(RpcError::InvalidParams(
            "invalid block range params: fromBlock is after toBlock".into(),
        ));
    }
    let to = to.min(head);
    if to.saturating_sub(from) > MAX_LOG_RANGE {
        return Err(RpcError::Server(format!(
            "query exceeds max block range {MAX_LOG_RANGE}"
        )));
    }
    Ok((from..=to)
        .filter_map(|n| chain.block_by_number(n))
        .flat_map(|b| block_logs(&b, filter))
        .collect())
}
