//! The candidate order the block builder consumes: each sender's ready transactions in nonce order, senders
//! interleaved by fee (highest effective tip first, earlier arrival on ties) or by arrival.

use super::tx::PoolTx;
use crate::config::TxOrder;
use alloy_primitives::U256;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::Arc;

/// One sender's queue head in the heap.
struct Head {
    key: (U256, Reverse<u64>),
    sender_idx: usize,
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

/// Merges per-sender ready chains (each in nonce order) into one candidate list.
pub fn merge(chains: Vec<Vec<Arc<PoolTx>>>, order: TxOrder, basefee: U256) -> Vec<Arc<PoolTx>> {
    let key = |t: &PoolTx| match order {
        TxOrder::Fees => (t.tip_at(basefee), Reverse(t.arrival)),
        TxOrder::Fifo => (U256::ZERO, Reverse(t.arrival)),
    };
    let total = chains.iter().map(Vec::len).sum();
    let mut pos = vec![0usize; chains.len()];
    let mut heap = BinaryHeap::with_capacity(chains.len());
    for (i, c) in chains.iter().enumerate() {
        if let Some(first) = c.first() {
            heap.push(Head {
                key: key(first),
                sender_idx: i,
            });
        }
    }
    let mut out = Vec::with_capacity(total);
    while let Some(Head { sender_idx, .. }) = heap.pop() {
        let chain = &chains[sender_idx];
        out.push(chain[pos[sender_idx]].clone());
        pos[sender_idx] += 1;
        if let Some(next) = chain.get(pos[sender_idx]) {
            heap.push(Head {
                key: key(next),
                sender_idx,
            });
        }
    }
    out
}
