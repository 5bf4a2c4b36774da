//! Committing one executed block: everything it wrote and everything about it, in one batch.

use super::read::Label;
use super::{ChainStore, Head};
use crate::changes::write_changes_with;
use crate::codec::{encode_block_ref, encode_rlp, encode_senders, number_key, Account};
use crate::error::StoreError;
use crate::failpoint;
use crate::kv::{KvRead, Table, TableWrites, WriteBatch};
use crate::overlay::BlockState;
use alloy_consensus::Header;
use alloy_primitives::{Address, Bytes, B256, U256};
use std::time::{Duration, Instant};

/// An executed block as the store keeps it. Chain-agnostic: the body and receipts are given encoded.
#[derive(Clone, Copy, Debug)]
pub struct NewBlock<'a> {
    /// The header.
    pub header: &'a Header,
    /// Its hash.
    pub hash: B256,
    /// The body RLP `[transactions, ommers, withdrawals?]` exactly as in the block's RLP.
    pub body: &'a [u8],
    /// The transaction hashes, in order.
    pub tx_hashes: &'a [B256],
    /// The senders, in order.
    pub senders: &'a [Address],
    /// The EIP-2718 encoded receipts, in order.
    pub receipts: &'a [Bytes],
}

/// Where the time of a commit went.
#[derive(Clone, Copy, Debug, Default)]
pub struct CommitStats {
    /// Storage tries of the changed accounts (parallel).
    pub storage_root: Duration,
    /// The account trie.
    pub account_root: Duration,
    /// Building the batch (old values, reverse diff, encodings).
    pub build: Duration,
    /// Writing the batch durably.
    pub write: Duration,
    /// Puts and deletes in the batch.
    pub writes: usize,
    /// Puts, deletes and bytes per table, by [`Table::index`].
    pub tables: [TableWrites; Table::ALL.len()],
}

impl CommitStats {
    /// Root plus commit.
    pub fn total(&self) -> Duration {
        self.storage_root + self.account_root + self.build + self.write
    }
}

/// Splits a block's RLP `[header, ...body]` into the header's RLP and the body RLP `[...body]`.
pub fn split_block_rlp(block: &[u8]) -> Result<(&[u8], Vec<u8>), alloy_rlp::Error> {
    let mut buf = block;
    let outer = alloy_rlp::Header::decode(&mut buf)?;
    if !outer.list {
        return Err(alloy_rlp::Error::UnexpectedString);
    }
    let payload = &buf[..outer.payload_length.min(buf.len())];
    let mut rest = payload;
    let start = rest.len();
    let h = alloy_rlp::Header::decode(&mut rest)?;
    let header_len = start - rest.len() + h.payload_length;
    if header_len > payload.len() {
        return Err(alloy_rlp::Error::InputTooShort);
    }
    let (header, body_fields) = payload.split_at(header_len);
    let mut body = Vec::with_capacity(body_fields.len() + 9);
    alloy_rlp::Header {
        list: true,
        payload_length: body_fields.len(),
    }
    .encode(&mut body);
    body.extend_from_slice(body_fields);
    Ok((header, body))
}

impl ChainStore {
    /// Commits `block`, executed on `state` (from [`ChainStore::begin_block`]), as the new head.
    ///
    /// Refuses a block that is not the head's child or whose header's state root differs from the state's;
    /// nothing is written then. On success every table, the reverse diff and `latest` change together.
    pub fn commit_block(
        &self,
        block: NewBlock<'_>,
        state: &BlockState,
    ) -> Result<CommitStats, StoreError> {
        let _writer = self.write.lock();
        let head = self.head()?.0;
        let number = block.header.number;
        if state.parent() != (head.number, head.hash) || state.is_pending() || state.is_past() {
            return Err(StoreError::HeadMoved {
                number,
                expected: state.parent().0,
            });
        }
        if block.header.parent_hash != head.hash || number != head.number + 1 {
            return Err(StoreError::NotChild {
                number,
                parent: block.header.parent_hash,
                head_number: head.number,
                head: head.hash,
            });
        }
        let outcome = state.root_outcome()?;
        let (changes, root) = (&outcome.0, &outcome.1);
        if root.root != block.header.state_root {
            return Err(StoreError::StateRoot {
                number,
                computed: root.root,
                header: block.header.state_root,
            });
        }
        failpoint::hit("commit-after-root")?;
        let started = Instant::now();
        let kv = state.base().kv().as_ref();
        let mut batch = WriteBatch::new();
        let changeset = write_changes_with(kv, changes, root, state.known_before(), &mut batch)?;
        batch.put(
            Table::Changesets,
            number_key(number),
            encode_rlp(&changeset),
        );
        let parent_td = td_in(kv, &head.hash)?;
        write_block(&mut batch, &block, parent_td + block.header.difficulty);
        let build = started.elapsed();
        failpoint::hit("commit-before-write")?;

        let started = Instant::now();
        let writes = batch.len();
        let tables = batch.table_writes();
        self.kv.commit(batch)?;
        let write = started.elapsed();
        failpoint::hit("commit-after-write")?;

        self.cache.next_generation();
        for (hashed, change) in &changes.accounts {
            let Some(address) = change.address else {
                continue;
            };
            let account: Option<Account> = root.accounts.get(hashed).and_then(|a| a.0);
            self.cache.set_account(address, account);
            if change.wiped || account.is_none() {
                self.cache.forget_storage(address);
            }
            for s in change.slots.values() {
                if let Some(slot) = s.slot {
                    self.cache.set_slot(address, slot, s.value);
                }
            }
        }
        *self.head.lock() = Some(Head {
            number,
            hash: block.hash,
            header: block.header.clone(),
        });
        Ok(CommitStats {
            storage_root: root.storage_time,
            account_root: root.account_time,
            build,
            write,
            writes,
            tables,
        })
    }
}

/// Total difficulty of the block with `hash` (zero when unrecorded).
pub(crate) fn td_in(kv: &dyn KvRead, hash: &B256) -> Result<U256, StoreError> {
    Ok(kv
        .get(Table::TotalDifficulty, hash.as_slice())?
        .map(|v| U256::from_be_slice(&v))
        .unwrap_or_default())
}

/// The block's own rows: header, number, canonical hash, body, senders, tx hashes, receipts, tx index,
/// total difficulty, `latest`.
pub(crate) fn write_block(batch: &mut WriteBatch, block: &NewBlock<'_>, td: U256) {
    let number = block.header.number;
    let hash = block.hash;
    batch.put(Table::Headers, hash.to_vec(), encode_rlp(block.header));
    batch.put(
        Table::HeaderNumbers,
        hash.to_vec(),
        number_key(number).to_vec(),
    );
    batch.put(Table::Canonical, number_key(number).to_vec(), hash.to_vec());
    batch.put(Table::Bodies, hash.to_vec(), block.body.to_vec());
    batch.put(Table::Senders, hash.to_vec(), encode_senders(block.senders));
    let hashes: Vec<u8> = block.tx_hashes.iter().flat_map(|h| h.0).collect();
    batch.put(Table::BlockTxHashes, hash.to_vec(), hashes);
    batch.put(
        Table::Receipts,
        hash.to_vec(),
        encode_rlp(&block.receipts.to_vec()),
    );
    for (i, tx) in block.tx_hashes.iter().enumerate() {
        let mut v = number_key(number).to_vec();
        v.extend_from_slice(&(i as u32).to_be_bytes());
        batch.put(Table::TxIndex, tx.to_vec(), v);
    }
    batch.put(
        Table::TotalDifficulty,
        hash.to_vec(),
        td.to_be_bytes::<32>().to_vec(),
    );
    batch.put(
        Table::Labels,
        Label::Latest.key(),
        encode_block_ref(number, &hash),
    );
}
