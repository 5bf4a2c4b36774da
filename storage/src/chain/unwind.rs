//! Unwinding the head to an earlier block (a reorg of an unsafe head): the reverse diffs of the later blocks
//! are applied, the root is recomputed along their paths and must equal the earlier header's, and the later
//! blocks stop being canonical (their headers, bodies and receipts stay, found by hash).

use super::history::fold_changesets;
use super::read::{hash_in, header_in, BlockRef, Label};
use super::{ChainStore, Head};
use crate::changes::{compute_root, write_changes};
use crate::codec::{decode_block_ref, encode_block_ref, number_key};
use crate::error::StoreError;
use crate::kv::{Table, WriteBatch};

impl ChainStore {
    /// Makes canonical block `target` the head again. Refused (nothing written) below the finalized block,
    /// across a block without a reverse diff, or when the recomputed root differs from `target`'s header.
    pub fn unwind_to(&self, target: u64) -> Result<BlockRef, StoreError> {
        let _writer = self.write.lock();
        self.unwind_locked(target)
    }

    /// [`ChainStore::unwind_to`] with the writer lock already held.
    pub(super) fn unwind_locked(&self, target: u64) -> Result<BlockRef, StoreError> {
        let head = self.head()?.0;
        let fail = |reason: String| StoreError::Unwind { target, reason };
        if target > head.number {
            return Err(fail(format!("the head is block {}", head.number)));
        }
        if target == head.number {
            return Ok(head);
        }
        let snap = self.kv.snapshot()?;
        if let Some(v) = snap.get(Table::Labels, Label::Finalized.key())? {
            let (finalized, _) = decode_block_ref(&v)?;
            if target < finalized {
                return Err(fail(format!("block {finalized} is finalized")));
            }
        }
        let hash = hash_in(snap.as_ref(), target)?
            .ok_or_else(|| StoreError::MissingBlock(target.to_string()))?;
        let header = header_in(snap.as_ref(), &hash)?
            .ok_or_else(|| StoreError::MissingBlock(hash.to_string()))?;
        let folded = fold_changesets(snap.as_ref(), target, head.number)?;
        let changes = folded.to_changes();
        let root = compute_root(snap.as_ref(), &changes)?;
        if root.root != header.state_root {
            return Err(StoreError::StateRoot {
                number: target,
                computed: root.root,
                header: header.state_root,
            });
        }
        let mut batch = WriteBatch::new();
        write_changes(snap.as_ref(), &changes, &root, &mut batch)?;
        for number in target + 1..=head.number {
            let block = hash_in(snap.as_ref(), number)?
                .ok_or_else(|| StoreError::MissingBlock(number.to_string()))?;
            if let Some(hashes) = snap.get(Table::BlockTxHashes, block.as_slice())? {
                for tx in hashes.chunks_exact(32) {
                    batch.delete(Table::TxIndex, tx.to_vec());
                }
            }
            batch.delete(Table::Canonical, number_key(number).to_vec());
            batch.delete(Table::Changesets, number_key(number).to_vec());
        }
        let back = encode_block_ref(target, &hash);
        batch.put(Table::Labels, Label::Latest.key(), back.clone());
        if let Some(v) = snap.get(Table::Labels, Label::Safe.key())? {
            if decode_block_ref(&v)?.0 > target {
                batch.put(Table::Labels, Label::Safe.key(), back);
            }
        }
        self.kv.commit(batch)?;
        self.cache.clear_state();
        *self.head.lock() = Some(Head {
            number: target,
            hash,
            header,
        });
        Ok(BlockRef {
            number: target,
            hash,
        })
    }
}
