//! Forkchoice: the head labels as a consensus layer moves them (`engine_forkchoiceUpdated`), blocks kept
//! off the canonical chain until they are chosen, and the plan of a reorg onto them.
//!
//! ```text
//! engine_newPayload(block on the head)   -> begin_block -> execute -> commit_block      (canonical)
//! engine_newPayload(block elsewhere)     -> insert_side_block                           (header + body only)
//! engine_forkchoiceUpdated(h, s, f)      -> forkchoice(Forkchoice { head: h, safe: s, finalized: f })
//!     h canonical, below the head          -> unwind_to(h)                   ForkchoiceOutcome::Canonical
//!     h stored off the canonical chain     -> nothing written                ForkchoiceOutcome::Reorg { ancestor, blocks }
//!         the caller: unwind_to(ancestor), re-execute `blocks` (bodies from the store) and commit each,
//!         then call forkchoice again
//!     h unknown                            -> nothing written                ForkchoiceOutcome::Unknown
//! ```
//! In OP-Stack terms `Label::Latest` is the unsafe head. Safe and finalized move only forward along the
//! canonical chain and never above the head; a zero hash leaves a label as it is (as in the Engine API).

use super::commit::td_in;
use super::read::{hash_in, header_in, BlockRef, Label};
use super::ChainStore;
use crate::codec::{decode_block_ref, decode_number, encode_block_ref, encode_senders, number_key};
use crate::error::StoreError;
use crate::kv::{KvRead, Table, WriteBatch};
use alloy_consensus::Header;
use alloy_primitives::{Address, B256};

/// A forkchoice update: the block hashes a consensus layer names (zero: not given).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Forkchoice {
    /// The new head (unsafe head).
    pub head: B256,
    /// The new safe block, or zero to keep the current one.
    pub safe: B256,
    /// The new finalized block, or zero to keep the current one.
    pub finalized: B256,
}

/// What [`ChainStore::forkchoice`] did or needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ForkchoiceOutcome {
    /// The head is canonical now (unwound to when it was below the old head) and the labels are set.
    Canonical {
        /// The head.
        head: BlockRef,
        /// Blocks unwound to reach it (0 when it already was the head or the update only moved labels).
        unwound: u64,
    },
    /// The head is a stored block off the canonical chain. Nothing was written: unwind to `ancestor`,
    /// execute `blocks` in order (their headers and bodies are stored) committing each, then call
    /// [`ChainStore::forkchoice`] again to set the labels.
    Reorg {
        /// The newest canonical block the new head descends from.
        ancestor: BlockRef,
        /// The blocks from the ancestor's child up to the new head, oldest first.
        blocks: Vec<BlockRef>,
    },
    /// The head is not stored (the consensus layer must send it first). Nothing was written.
    Unknown,
}

/// Why a forkchoice update is refused (the Engine API's "invalid forkchoice state").
fn invalid(reason: String) -> StoreError {
    StoreError::Forkchoice(reason)
}

/// The number of the stored block `hash` (canonical or not).
fn number_in(snap: &dyn KvRead, hash: &B256) -> Result<Option<u64>, StoreError> {
    Ok(snap
        .get(Table::HeaderNumbers, hash.as_slice())?
        .map(|v| decode_number(&v))
        .transpose()?)
}

impl ChainStore {
    /// Keeps a block that is not (yet) on the canonical chain: its header, body and senders, found by hash
    /// ([`ChainStore::header_by_hash`], [`ChainStore::body`], [`ChainStore::senders`]) and by
    /// [`ChainStore::forkchoice`]. Its parent must be stored. No state, receipts or indexes are written:
    /// the block is executed when a forkchoice update makes it canonical.
    pub fn insert_side_block(
        &self,
        header: &Header,
        hash: B256,
        body: &[u8],
        senders: &[Address],
    ) -> Result<(), StoreError> {
        let _writer = self.write.lock();
        let snap = self.kv.snapshot()?;
        if number_in(snap.as_ref(), &hash)?.is_some() {
            return Ok(());
        }
        let parent = number_in(snap.as_ref(), &header.parent_hash)?.ok_or_else(|| {
            StoreError::MissingBlock(format!(
                "{} (parent of block {} {hash})",
                header.parent_hash, header.number
            ))
        })?;
        if parent + 1 != header.number {
            return Err(invalid(format!(
                "block {} {hash} has parent {} at number {parent}",
                header.number, header.parent_hash
            )));
        }
        let mut batch = WriteBatch::new();
        batch.put(
            Table::Headers,
            hash.to_vec(),
            crate::codec::encode_rlp(header),
        );
        batch.put(
            Table::HeaderNumbers,
            hash.to_vec(),
            number_key(header.number).to_vec(),
        );
        batch.put(Table::Bodies, hash.to_vec(), body.to_vec());
        batch.put(Table::Senders, hash.to_vec(), encode_senders(senders));
        let td = td_in(snap.as_ref(), &header.parent_hash)? + header.difficulty;
        batch.put(
            Table::TotalDifficulty,
            hash.to_vec(),
            td.to_be_bytes::<32>().to_vec(),
        );
        self.kv.commit(batch)?;
        Ok(())
    }

    /// The path from the canonical chain to the stored block `hash`: its newest canonical ancestor and the
    /// blocks after it up to `hash`, oldest first (empty when `hash` is canonical). `None` when `hash` or
    /// one of its ancestors is not stored.
    pub fn reorg_path(&self, hash: B256) -> Result<Option<(BlockRef, Vec<BlockRef>)>, StoreError> {
        let snap = self.kv.snapshot()?;
        let mut blocks = Vec::new();
        let mut at = hash;
        loop {
            let Some(number) = number_in(snap.as_ref(), &at)? else {
                return Ok(None);
            };
            if hash_in(snap.as_ref(), number)? == Some(at) {
                blocks.reverse();
                return Ok(Some((BlockRef { number, hash: at }, blocks)));
            }
            let header = header_in(snap.as_ref(), &at)?
                .ok_or_else(|| StoreError::MissingBlock(at.to_string()))?;
            blocks.push(BlockRef { number, hash: at });
            if number == 0 {
                return Ok(None);
            }
            at = header.parent_hash;
        }
    }

    /// Applies a forkchoice update: moves the head to `fc.head` (unwinding when it is a canonical block
    /// below the head), then sets safe and finalized. A reorg onto a side chain is returned as a plan
    /// ([`ForkchoiceOutcome::Reorg`]); an unknown head as [`ForkchoiceOutcome::Unknown`]. Refused with
    /// [`StoreError::Forkchoice`] (nothing written) when safe or finalized is not canonical at or below the
    /// new head, finalized is above safe, or finalized would move back.
    pub fn forkchoice(&self, fc: Forkchoice) -> Result<ForkchoiceOutcome, StoreError> {
        if fc.head.is_zero() {
            return Err(invalid("the head hash is zero".into()));
        }
        let Some((ancestor, blocks)) = self.reorg_path(fc.head)? else {
            return Ok(ForkchoiceOutcome::Unknown);
        };
        if !blocks.is_empty() {
            return Ok(ForkchoiceOutcome::Reorg { ancestor, blocks });
        }
        // The head is canonical: check the labels against the chain as it will be, then unwind and label,
        // all under the writer lock (re-reading the chain under it).
        let _writer = self.write.lock();
        let target = ancestor.number;
        let snap = self.kv.snapshot()?;
        if hash_in(snap.as_ref(), target)? != Some(fc.head) {
            return Err(StoreError::HeadMoved {
                number: target,
                expected: target,
            });
        }
        let canonical_at_or_below = |label: &str, hash: B256| -> Result<Option<u64>, StoreError> {
            if hash.is_zero() {
                return Ok(None);
            }
            match number_in(snap.as_ref(), &hash)? {
                Some(n) if n <= target && hash_in(snap.as_ref(), n)? == Some(hash) => Ok(Some(n)),
                _ => Err(invalid(format!(
                    "the {label} block {hash} is not canonical at or below the head {target}"
                ))),
            }
        };
        let safe = canonical_at_or_below("safe", fc.safe)?;
        let finalized = canonical_at_or_below("finalized", fc.finalized)?;
        if let (Some(s), Some(f)) = (safe, finalized) {
            if f > s {
                return Err(invalid(format!(
                    "the finalized block {f} is above the safe block {s}"
                )));
            }
        }
        let stored_finalized = match snap.get(Table::Labels, Label::Finalized.key())? {
            Some(v) => Some(decode_block_ref(&v)?.0),
            None => None,
        };
        if let (Some(f), Some(old)) = (finalized, stored_finalized) {
            if f < old {
                return Err(invalid(format!(
                    "the finalized block would move back from {old} to {f}"
                )));
            }
        }
        let head_before = self.head()?.0.number;
        let head = self.unwind_locked(target)?;
        let mut batch = WriteBatch::new();
        for (label, number, hash) in [
            (Label::Safe, safe, fc.safe),
            (Label::Finalized, finalized, fc.finalized),
        ] {
            if let Some(n) = number {
                batch.put(Table::Labels, label.key(), encode_block_ref(n, &hash));
            }
        }
        if !batch.is_empty() {
            self.kv.commit(batch)?;
        }
        Ok(ForkchoiceOutcome::Canonical {
            head,
            unwound: head_before.saturating_sub(head.number),
        })
    }
}
