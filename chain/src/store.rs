//! Mined blocks by number and by hash, and transactions by hash.
//!
//! NOTE: the in-memory stand-in until `parevm-storage` (issue 11) provides the chain store (blocks, receipts,
//! transaction index, head labels) with an in-memory and a redb backend; this file goes away then.

use crate::block::SharedBlock;
use alloy_primitives::map::HashMap;
use alloy_primitives::B256;

/// Blocks of one chain, genesis first.
#[derive(Clone, Debug, Default)]
pub struct BlockStore {
    blocks: Vec<SharedBlock>,
    by_hash: HashMap<B256, u64>,
    tx_index: HashMap<B256, (u64, u32)>,
}

impl BlockStore {
    /// A store holding `genesis`.
    pub fn new(genesis: SharedBlock) -> Self {
        let mut s = Self::default();
        s.push(genesis);
        s
    }

    /// Appends the next block.
    pub fn push(&mut self, block: SharedBlock) {
        let n = block.number();
        self.by_hash.insert(block.hash, n);
        for (i, tx) in block.txs.iter().enumerate() {
            self.tx_index.insert(tx.hash, (n, i as u32));
        }
        self.blocks.push(block);
    }

    /// The first block (genesis).
    pub fn first(&self) -> &SharedBlock {
        // The store is created with a genesis block and never truncated below it.
        &self.blocks[0]
    }

    /// The newest block.
    pub fn head(&self) -> &SharedBlock {
        // The store is created with a genesis block and never truncated below it.
        &self.blocks[self.blocks.len() - 1]
    }

    /// Block `number`.
    pub fn by_number(&self, number: u64) -> Option<&SharedBlock> {
        let first = self.blocks.first()?.number();
        let i = usize::try_from(number.checked_sub(first)?).ok()?;
        self.blocks.get(i)
    }

    /// The block with `hash`.
    pub fn by_hash(&self, hash: &B256) -> Option<&SharedBlock> {
        self.by_number(*self.by_hash.get(hash)?)
    }

    /// Where the transaction with `hash` was included: its block and index.
    pub fn tx(&self, hash: &B256) -> Option<(&SharedBlock, usize)> {
        let (n, i) = *self.tx_index.get(hash)?;
        Some((self.by_number(n)?, i as usize))
    }

    /// Drops every block above `number` (never the first block).
    pub fn truncate_above(&mut self, number: u64) {
        while self.blocks.len() > 1 && self.head().number() > number {
            if let Some(b) = self.blocks.pop() {
                self.by_hash.remove(&b.hash);
                for tx in &b.txs {
                    self.tx_index.remove(&tx.hash);
                }
            }
        }
    }
}
