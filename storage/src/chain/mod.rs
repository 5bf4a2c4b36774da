//! The chain store: one object that owns the database and answers for the canonical chain, its state and
//! its head labels.
//!
//! ```text
//! ChainStore::open(datadir) | open_in_memory() | with_backend(kv)
//!   init_genesis(genesis.json)                 -> block 0, its state and trie, labels at 0
//!   begin_block() -> BlockState (head state + overlay) -> executor -> commit_block(NewBlock, state)
//!                                                 one WriteBatch: state, trie nodes, header, body, senders,
//!                                                 tx hashes, receipts, tx index, total difficulty,
//!                                                 reverse diff, `latest`
//!   unwind_to(n)                               -> reverse diffs applied, root checked against header n
//!   forkchoice(head, safe, finalized)          -> unwind or a reorg plan, then the safe/finalized labels
//!   insert_side_block(..)                      -> a block kept off the canonical chain until chosen
//!   readers (read.rs), state at a block and proofs (history.rs)
//! ```

mod commit;
mod forkchoice;
mod genesis;
pub(crate) mod history;
mod read;
mod unwind;
mod verify;

pub use commit::{split_block_rlp, CommitStats, NewBlock};
pub use forkchoice::{Forkchoice, ForkchoiceOutcome};
pub use genesis::changes_from_state;
pub use history::{AccountProof, HistoricalState, StorageProof};
pub use read::{BlockRef, Label, TxLocation};
pub use verify::VerifyReport;

use crate::codec::{decode_block_ref, decode_rlp};
use crate::error::StoreError;
use crate::kv::layered::{FlushPolicy, LayeredKv};
use crate::kv::mem::MemKv;
use crate::kv::redb::{Durability, RedbKv};
use crate::kv::{Kv, KvRead, LayerStats, Table};
use crate::overlay::BlockState;
use crate::reader::{StateCache, StateReader};
use alloy_consensus::Header;
use alloy_primitives::B256;
use parevm_block::{ChainSpec, GenesisError};
use parking_lot::Mutex;
use std::path::Path;
use std::sync::Arc;

/// File name of the database inside a datadir.
pub const DB_FILE: &str = "chain.redb";

/// Version of the table layout; a database of another version is refused.
pub const SCHEMA_VERSION: u64 = 1;

/// Meta keys.
pub(crate) mod meta {
    pub const SCHEMA: &[u8] = b"schema_version";
    pub const CHAIN_CONFIG: &[u8] = b"chain_config";
    pub const GENESIS_HASH: &[u8] = b"genesis_hash";
}

/// The head as the store last committed it.
#[derive(Clone, Debug)]
pub(crate) struct Head {
    pub number: u64,
    pub hash: B256,
    pub header: Header,
}

/// The persistent (or in-memory) chain.
pub struct ChainStore {
    kv: Box<dyn Kv>,
    /// Reads of the head state, shared by the blocks built on it; updated by every commit.
    cache: Arc<StateCache>,
    /// Serialises writers; held while a commit publishes its batch and updates the cache.
    write: Mutex<()>,
    head: Mutex<Option<Head>>,
    spec: Mutex<Option<ChainSpec>>,
}

impl ChainStore {
    /// Opens (creating when absent) the database in `datadir`.
    pub fn open(datadir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(datadir).map_err(|e| {
            crate::kv::KvError::Open(format!("creating {}: {e}", datadir.display()))
        })?;
        Self::with_backend(Box::new(RedbKv::open(&datadir.join(DB_FILE))?))
    }

    /// Opens (creating when absent) the database in `datadir`, making commits durable as `durability`
    /// says (at most that many of the latest blocks are lost to a crash; the head is always a whole block).
    pub fn open_with(datadir: &Path, durability: Durability) -> Result<Self, StoreError> {
        std::fs::create_dir_all(datadir).map_err(|e| {
            crate::kv::KvError::Open(format!("creating {}: {e}", datadir.display()))
        })?;
        Self::with_backend(Box::new(RedbKv::open_with(
            &datadir.join(DB_FILE),
            durability,
        )?))
    }

    /// Opens (creating when absent) the database in `datadir` with the latest blocks held in memory and
    /// written to the file in groups by a background thread, as `policy` says
    /// ([`crate::kv::layered::LayeredKv`]): a commit returns once the block is visible, execution and the
    /// state root of the next blocks read the recent ones (and the upper trie nodes they rewrite) from
    /// memory, and a crash leaves the last flushed block as the head (whole, its root matching its header).
    pub fn open_layered(datadir: &Path, policy: FlushPolicy) -> Result<Self, StoreError> {
        std::fs::create_dir_all(datadir).map_err(|e| {
            crate::kv::KvError::Open(format!("creating {}: {e}", datadir.display()))
        })?;
        let base = RedbKv::open(&datadir.join(DB_FILE))?;
        Self::with_backend(Box::new(LayeredKv::new(base, policy)?))
    }

    /// What the in-memory layer did so far (flushes, waits), when the store has one.
    pub fn layer_stats(&self) -> Option<LayerStats> {
        self.kv.layer_stats()
    }

    /// Makes every committed block durable (closing the store does too).
    pub fn sync(&self) -> Result<(), StoreError> {
        Ok(self.kv.sync()?)
    }

    /// A chain held in memory only.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::with_backend(Box::new(MemKv::new()))
    }

    /// A chain on any backend.
    pub fn with_backend(kv: Box<dyn Kv>) -> Result<Self, StoreError> {
        let store = Self {
            kv,
            cache: Arc::new(StateCache::new()),
            write: Mutex::new(()),
            head: Mutex::new(None),
            spec: Mutex::new(None),
        };
        store.load()?;
        Ok(store)
    }

    /// Reads the head and chain config of an initialised database.
    fn load(&self) -> Result<(), StoreError> {
        let snap = self.kv.snapshot()?;
        if let Some(v) = snap.get(Table::Meta, meta::SCHEMA)? {
            let version = crate::codec::decode_number(&v)?;
            if version != SCHEMA_VERSION {
                return Err(StoreError::Kv(crate::kv::KvError::Open(format!(
                    "database schema version {version}, this parevm reads {SCHEMA_VERSION}"
                ))));
            }
        }
        if let Some(v) = snap.get(Table::Meta, meta::CHAIN_CONFIG)? {
            let config = serde_json::from_slice(&v)
                .map_err(|e| StoreError::Genesis(GenesisError::Json(e.to_string())))?;
            *self.spec.lock() = Some(ChainSpec::from_config(&config)?);
        }
        *self.head.lock() = read_head(snap.as_ref())?;
        Ok(())
    }

    /// Bytes the database uses, when the backend knows.
    pub fn size_bytes(&self) -> Option<u64> {
        self.kv.size_bytes()
    }

    /// What backend holds the chain.
    pub fn describe(&self) -> String {
        self.kv.describe()
    }

    /// A consistent snapshot of every table (for readers that need several reads to agree).
    pub fn snapshot(&self) -> Result<Arc<dyn KvRead>, StoreError> {
        Ok(self.kv.snapshot()?)
    }

    /// The chain's spec (chain id, forks), once initialised.
    pub fn chain_spec(&self) -> Result<ChainSpec, StoreError> {
        self.spec.lock().clone().ok_or(StoreError::NotInitialized)
    }

    /// The head block: number, hash, header.
    pub fn head(&self) -> Result<(BlockRef, Header), StoreError> {
        let head = self.head.lock();
        let h = head.as_ref().ok_or(StoreError::NotInitialized)?;
        Ok((
            BlockRef {
                number: h.number,
                hash: h.hash,
            },
            h.header.clone(),
        ))
    }

    /// The state of the head block with the head's shared read cache, to build the next block on.
    pub fn begin_block(&self) -> Result<BlockState, StoreError> {
        let _writer = self.write.lock();
        let head = self.head()?.0;
        let reader = StateReader::new(self.kv.snapshot()?, self.cache.clone());
        Ok(BlockState::new(reader, (head.number, head.hash)))
    }

    /// The state after canonical block `number` to build a block on that is never committed (an
    /// `eth_simulateV1` on an earlier base): the head's state with the reverse diffs of the later blocks
    /// read first and laid under the block's own changes when its root is computed. The head itself is
    /// [`ChainStore::begin_block`]. [`ChainStore::commit_block`] refuses such a state.
    pub fn begin_block_at(&self, number: u64) -> Result<BlockState, StoreError> {
        let snap = self.kv.snapshot()?;
        let head = read_head(snap.as_ref())?.ok_or(StoreError::NotInitialized)?;
        if number == head.number {
            return self.begin_block();
        }
        if number > head.number {
            return Err(StoreError::StateUnavailable {
                number,
                reason: format!("the head is block {}", head.number),
            });
        }
        let hash = read::hash_in(snap.as_ref(), number)?
            .ok_or_else(|| StoreError::MissingBlock(number.to_string()))?;
        let past = history::fold_changesets(snap.as_ref(), number, head.number)?;
        let reader = StateReader::new(snap, Arc::new(StateCache::new()));
        Ok(BlockState::on_past(reader, Arc::new(past), (number, hash)))
    }

    /// The state of block `parent` (number, hash), executed but not committed yet, whose writes are
    /// `below`: the next block executes on it while `parent` is being committed (pipelined import). Call
    /// [`ChainStore::rebase`] once `parent` is committed, before committing this one.
    ///
    /// Does not wait for the writer lock, so it returns while `parent` is being rooted and committed: that
    /// is the point of the pipeline. The snapshot is then the state before `parent` or after it (a commit is
    /// atomic), and reads agree either way, since `below` shadows every account and slot `parent` wrote;
    /// the one read that could reach a written account in the base (`has_storage`) bypasses the shared
    /// cache (see `BlockState::has_storage`). The caller must have seen the block before `parent`
    /// committed.
    pub fn begin_block_on(
        &self,
        below: Arc<crate::overlay::Overlay>,
        parent: (u64, B256),
    ) -> Result<BlockState, StoreError> {
        let reader = StateReader::new(self.kv.snapshot()?, self.cache.clone());
        Ok(BlockState::on_pending(reader, below, parent))
    }

    /// Moves `state` (from [`ChainStore::begin_block_on`]) onto the committed head, which must be its
    /// parent now.
    pub fn rebase(&self, state: &mut BlockState) -> Result<(), StoreError> {
        let _writer = self.write.lock();
        let head = self.head()?.0;
        if (head.number, head.hash) != state.parent() {
            return Err(StoreError::HeadMoved {
                number: state.parent().0 + 1,
                expected: state.parent().0,
            });
        }
        state.rebase(StateReader::new(self.kv.snapshot()?, self.cache.clone()));
        Ok(())
    }

    /// The head's read cache (entries: accounts, slots).
    pub fn cache_len(&self) -> (usize, usize) {
        self.cache.len()
    }
}

/// The head from the `latest` label of `snap`.
fn read_head(snap: &dyn KvRead) -> Result<Option<Head>, StoreError> {
    let Some(v) = snap.get(Table::Labels, Label::Latest.key())? else {
        return Ok(None);
    };
    let (number, hash) = decode_block_ref(&v)?;
    let bytes = snap
        .get(Table::Headers, hash.as_slice())?
        .ok_or_else(|| StoreError::MissingBlock(format!("head {number} ({hash})")))?;
    let header: Header = decode_rlp("header", &bytes)?;
    Ok(Some(Head {
        number,
        hash,
        header,
    }))
}
