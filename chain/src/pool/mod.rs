//! The transaction pool: transactions waiting to be mined, per sender in nonce order.
//!
//! ```text
//! add(tx, sender's state nonce) -> NonceTooLow | ReplacementUnderpriced | AlreadyKnown | added
//!   pending: the run of nonces starting at the sender's state nonce (executable now)
//!   queued:  everything after a gap
//! best(nonce_of, basefee) -> pending chains merged across senders (fees or fifo) -> block builder
//! prune(nonce_of) after each block drops what the block consumed
//! ```
//! The pool never executes anything: the builder decides what fits, and a candidate the EVM rejects is
//! skipped deterministically at its position.

mod best;
mod tx;

pub use tx::PoolTx;

use crate::config::TxOrder;
use crate::error::PoolError;
use alloy_primitives::map::HashMap;
use alloy_primitives::{Address, B256, U256};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What adding a transaction did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Added {
    /// The new transaction's hash.
    pub hash: B256,
    /// The pooled transaction it replaced (same sender and nonce), if any.
    pub replaced: Option<B256>,
    /// True when it is executable now (no nonce gap before it).
    pub pending: bool,
}

/// Transactions waiting to be mined.
#[derive(Debug)]
pub struct TxPool {
    senders: HashMap<Address, BTreeMap<u64, Arc<PoolTx>>>,
    by_hash: HashMap<B256, Arc<PoolTx>>,
    next_arrival: u64,
    order: TxOrder,
    max_txs: usize,
}

impl TxPool {
    /// An empty pool that orders candidates by `order` and holds at most `max_txs` transactions.
    pub fn new(order: TxOrder, max_txs: usize) -> Self {
        Self {
            senders: HashMap::default(),
            by_hash: HashMap::default(),
            next_arrival: 0,
            order,
            max_txs,
        }
    }

    /// The candidate order.
    pub fn order(&self) -> TxOrder {
        self.order
    }

    /// Number of pooled transactions.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// The pooled transaction with this hash.
    pub fn get(&self, hash: &B256) -> Option<&Arc<PoolTx>> {
        self.by_hash.get(hash)
    }

    /// Adds `tx` (its `arrival` is assigned here) given its sender's nonce in the head state.
    pub fn add(&mut self, mut tx: PoolTx, state_nonce: u64) -> Result<Added, PoolError> {
        if self.by_hash.contains_key(&tx.hash) {
            return Err(PoolError::AlreadyKnown(tx.hash));
        }
        let nonce = tx.nonce();
        if nonce < state_nonce {
            return Err(PoolError::NonceTooLow {
                tx: nonce,
                state: state_nonce,
            });
        }
        let existing = self
            .senders
            .get(&tx.sender)
            .and_then(|q| q.get(&nonce))
            .cloned();
        if let Some(old) = &existing {
            if !tx.outbids(old) {
                return Err(PoolError::ReplacementUnderpriced);
            }
        } else if self.by_hash.len() >= self.max_txs {
            return Err(PoolError::PoolFull);
        }
        tx.arrival = self.next_arrival;
        self.next_arrival += 1;
        let hash = tx.hash;
        let sender = tx.sender;
        let tx = Arc::new(tx);
        let queue = self.senders.entry(sender).or_default();
        if let Some(old) = queue.insert(nonce, tx.clone()) {
            self.by_hash.remove(&old.hash);
        }
        self.by_hash.insert(hash, tx);
        let pending = Self::ready_run(queue, state_nonce).any(|t| t.nonce() == nonce);
        Ok(Added {
            hash,
            replaced: existing.map(|o| o.hash),
            pending,
        })
    }

    /// The transactions of `queue` that are executable in a row from `state_nonce`.
    fn ready_run(
        queue: &BTreeMap<u64, Arc<PoolTx>>,
        state_nonce: u64,
    ) -> impl Iterator<Item = &Arc<PoolTx>> {
        let mut expect = Some(state_nonce);
        queue.range(state_nonce..).map_while(move |(n, t)| {
            (Some(*n) == expect).then(|| {
                // The run ends at nonce 2^64 - 1, whatever follows.
                expect = n.checked_add(1);
                t
            })
        })
    }

    /// Removes the transaction with this hash (anvil_dropTransaction); later nonces of its sender stay
    /// and become queued.
    pub fn remove(&mut self, hash: &B256) -> Option<Arc<PoolTx>> {
        let tx = self.by_hash.remove(hash)?;
        if let Some(q) = self.senders.get_mut(&tx.sender) {
            q.remove(&tx.nonce());
            if q.is_empty() {
                self.senders.remove(&tx.sender);
            }
        }
        Some(tx)
    }

    /// Removes every transaction of `sender` (anvil_removePoolTransactions); returns how many.
    pub fn remove_sender(&mut self, sender: &Address) -> usize {
        let Some(q) = self.senders.remove(sender) else {
            return 0;
        };
        for tx in q.values() {
            self.by_hash.remove(&tx.hash);
        }
        q.len()
    }

    /// Removes every transaction.
    pub fn clear(&mut self) {
        self.senders.clear();
        self.by_hash.clear();
    }

    /// Drops transactions whose nonce the chain has used (after a block, or a nonce set by hand).
    pub fn prune(&mut self, nonce_of: impl Fn(Address) -> u64) {
        let by_hash = &mut self.by_hash;
        self.senders.retain(|sender, q| {
            let state = nonce_of(*sender);
            while let Some(entry) = q.first_entry() {
                if *entry.key() >= state {
                    break;
                }
                by_hash.remove(&entry.get().hash);
                entry.remove();
            }
            !q.is_empty()
        });
    }

    /// Pending (executable) and queued (after a nonce gap) transactions, each in sender and nonce order.
    pub fn split(&self, nonce_of: impl Fn(Address) -> u64) -> (Vec<Arc<PoolTx>>, Vec<Arc<PoolTx>>) {
        let mut pending = Vec::new();
        let mut queued = Vec::new();
        let mut senders: Vec<_> = self.senders.iter().collect();
        senders.sort_by_key(|(a, _)| **a);
        for (sender, q) in senders {
            let ready: Vec<_> = Self::ready_run(q, nonce_of(*sender)).cloned().collect();
            let cut = ready.last().map(|t| t.nonce());
            pending.extend(ready);
            queued.extend(
                q.values()
                    .filter(|t| cut.is_none_or(|c| t.nonce() > c))
                    .cloned(),
            );
        }
        (pending, queued)
    }

    /// The executable transactions as block candidates: nonce order per sender, senders merged by the
    /// pool's order at `basefee`.
    pub fn best(&self, nonce_of: impl Fn(Address) -> u64, basefee: U256) -> Vec<Arc<PoolTx>> {
        let mut chains: Vec<Vec<Arc<PoolTx>>> = self
            .senders
            .iter()
            .map(|(sender, q)| Self::ready_run(q, nonce_of(*sender)).cloned().collect())
            .filter(|c: &Vec<_>| !c.is_empty())
            .collect();
        // Deterministic input order for the heap regardless of hash-map iteration.
        chains.sort_by_key(|c| c[0].arrival);
        best::merge(chains, self.order, basefee)
    }
}

#[cfg(test)]
mod tests;
