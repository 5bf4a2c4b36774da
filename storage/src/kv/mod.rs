//! The backend seam: a key-value store of named tables with consistent snapshots and atomic batches.
//!
//! ```text
//! ChainStore --(snapshot)--> KvRead: get / scan, one consistent version of every table
//!            --(commit)----> WriteBatch: every put and delete of one block, applied all or nothing
//! ```
//! Everything above this module is written once against [`Kv`]; [`redb::RedbKv`] (a file, or redb's
//! in-memory backend) and [`mem::MemKv`] (persistent ordered maps in memory) implement it. A batch is built
//! in memory and handed over whole, so a backend needs no long-lived write transaction and a crash can only
//! lose a batch, never half of one.

mod journal;
pub mod layered;
pub mod mem;
pub mod redb;

use std::collections::BTreeMap;
use std::sync::Arc;

/// The tables of a chain database. Keys and values are bytes; `codec` says what each holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// keccak(address) -> RLP trie account `[nonce, balance, storage_root, code_hash]`.
    Accounts,
    /// keccak(address) ++ keccak(slot) -> RLP value (zero slots are absent).
    Storage,
    /// code hash -> code.
    Code,
    /// keccak(x) -> x, for the addresses and slots in the state (iteration by address).
    Preimages,
    /// nibble path (one byte per nibble) -> stored branch node of the account trie.
    AccountTrie,
    /// keccak(address) ++ nibble path -> stored branch node of that account's storage trie.
    StorageTrie,
    /// block hash -> header RLP (canonical or not).
    Headers,
    /// block hash -> block number (8 bytes big-endian).
    HeaderNumbers,
    /// block number -> canonical block hash.
    Canonical,
    /// block hash -> body RLP `[transactions, ommers, withdrawals?]`.
    Bodies,
    /// block hash -> senders, 20 bytes each in transaction order.
    Senders,
    /// block hash -> transaction hashes, 32 bytes each in order.
    BlockTxHashes,
    /// block hash -> RLP list of EIP-2718 receipts.
    Receipts,
    /// transaction hash -> block number (8 bytes) ++ index (4 bytes), canonical blocks only.
    TxIndex,
    /// block hash -> total difficulty (32 bytes).
    TotalDifficulty,
    /// label name -> block number ++ block hash.
    Labels,
    /// block number -> reverse diff (what the block changed, with the values before it).
    Changesets,
    /// name -> value: schema version, chain config JSON, genesis hash.
    Meta,
}

impl Table {
    /// Every table.
    pub const ALL: [Table; 18] = [
        Table::Accounts,
        Table::Storage,
        Table::Code,
        Table::Preimages,
        Table::AccountTrie,
        Table::StorageTrie,
        Table::Headers,
        Table::HeaderNumbers,
        Table::Canonical,
        Table::Bodies,
        Table::Senders,
        Table::BlockTxHashes,
        Table::Receipts,
        Table::TxIndex,
        Table::TotalDifficulty,
        Table::Labels,
        Table::Changesets,
        Table::Meta,
    ];

    /// The table's name in the database.
    pub fn name(self) -> &'static str {
        match self {
            Table::Accounts => "accounts",
            Table::Storage => "storage",
            Table::Code => "code",
            Table::Preimages => "preimages",
            Table::AccountTrie => "account_trie",
            Table::StorageTrie => "storage_trie",
            Table::Headers => "headers",
            Table::HeaderNumbers => "header_numbers",
            Table::Canonical => "canonical",
            Table::Bodies => "bodies",
            Table::Senders => "senders",
            Table::BlockTxHashes => "block_tx_hashes",
            Table::Receipts => "receipts",
            Table::TxIndex => "tx_index",
            Table::TotalDifficulty => "total_difficulty",
            Table::Labels => "labels",
            Table::Changesets => "changesets",
            Table::Meta => "meta",
        }
    }

    /// Position in [`Table::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A backend failure.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    /// The database could not be opened or created.
    #[error("opening the database: {0}")]
    Open(String),
    /// A read or write failed.
    #[error("database: {0}")]
    Backend(String),
    /// A failpoint stopped the commit (tests only).
    #[error("failpoint {0} stopped the commit")]
    Failpoint(&'static str),
}

/// A consistent read-only view of every table.
pub trait KvRead: Send + Sync {
    /// The value under `key`.
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, KvError>;

    /// Visits entries with keys `>= start` in key order until `visit` returns `false`.
    fn scan(
        &self,
        table: Table,
        start: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), KvError>;

    /// Number of entries in `table`.
    fn len(&self, table: Table) -> Result<u64, KvError>;

    /// Visits the entries whose keys start with `prefix`, in key order, until `visit` returns `false`.
    fn scan_prefix(
        &self,
        table: Table,
        prefix: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), KvError> {
        self.scan(table, prefix, &mut |k, v| {
            k.starts_with(prefix) && visit(k, v)
        })
    }
}

/// A backend: snapshots to read, batches to commit.
pub trait Kv: Send + Sync {
    /// A snapshot of the last committed batch.
    fn snapshot(&self) -> Result<Arc<dyn KvRead>, KvError>;

    /// Applies `batch` atomically, and durably when the backend's durability policy says so (by default
    /// always): after a crash either all of it is there or none, and every batch before a durable one is.
    fn commit(&self, batch: WriteBatch) -> Result<(), KvError>;

    /// Makes every committed batch durable.
    fn sync(&self) -> Result<(), KvError> {
        Ok(())
    }

    /// A short description (`"redb file /x/chain.redb"`).
    fn describe(&self) -> String;

    /// Bytes used on disk or in memory, when the backend knows.
    fn size_bytes(&self) -> Option<u64>;

    /// What a backend that holds recent commits in memory ([`layered::LayeredKv`]) did so far.
    fn layer_stats(&self) -> Option<LayerStats> {
        None
    }
}

/// The work of a layered backend so far: flushes made in the background, and the waits of commits on them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LayerStats {
    /// Groups written to the database (to their tables or to the journal).
    pub flushes: u64,
    /// Of those, groups written to the journal (durable, not yet in their tables).
    pub journaled: u64,
    /// Commits those groups held.
    pub commits_flushed: u64,
    /// Distinct keys written to the tables (a key written by several commits of a write counts once).
    pub entries_flushed: u64,
    /// Time the flusher spent writing them (off the committers' path).
    pub flush_time: std::time::Duration,
    /// Of that, the time spent writing groups to the journal.
    pub journal_time: std::time::Duration,
    /// Commits that waited for a flush (the in-memory bound was reached).
    pub waits: u64,
    /// Time they waited.
    pub waited: std::time::Duration,
    /// Commits in memory only now, not yet durable (journaled commits are durable).
    pub held_commits: u32,
    /// Keys in memory now (journaled ones included, until they are in their tables).
    pub held_entries: u64,
}

/// What one batch writes to one table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableWrites {
    /// Keys set.
    pub puts: u32,
    /// Keys removed.
    pub deletes: u32,
    /// Bytes of the keys and values set, and of the keys removed.
    pub bytes: u64,
}

/// Puts and deletes to apply together, ordered by table and key (a later write to a key replaces an earlier).
#[derive(Clone, Debug, Default)]
pub struct WriteBatch {
    tables: BTreeMap<Table, BTreeMap<Vec<u8>, Option<Vec<u8>>>>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`.
    pub fn put(&mut self, table: Table, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.tables
            .entry(table)
            .or_default()
            .insert(key.into(), Some(value.into()));
    }

    /// Removes `key`.
    pub fn delete(&mut self, table: Table, key: impl Into<Vec<u8>>) {
        self.tables
            .entry(table)
            .or_default()
            .insert(key.into(), None);
    }

    /// The pending write to `key`: `Some(None)` for a delete.
    pub fn pending(&self, table: Table, key: &[u8]) -> Option<Option<&[u8]>> {
        self.tables
            .get(&table)
            .and_then(|t| t.get(key))
            .map(|v| v.as_deref())
    }

    /// Writes per table, in order.
    pub fn tables(&self) -> impl Iterator<Item = (Table, &BTreeMap<Vec<u8>, Option<Vec<u8>>>)> {
        self.tables.iter().map(|(t, m)| (*t, m))
    }

    /// Number of puts and deletes.
    pub fn len(&self) -> usize {
        self.tables.values().map(BTreeMap::len).sum()
    }

    /// Puts, deletes and bytes per table, by [`Table::index`].
    pub fn table_writes(&self) -> [TableWrites; Table::ALL.len()] {
        let mut out = [TableWrites::default(); Table::ALL.len()];
        for (table, writes) in &self.tables {
            let w = &mut out[table.index()];
            for (k, v) in writes {
                match v {
                    Some(v) => {
                        w.puts += 1;
                        w.bytes += (k.len() + v.len()) as u64;
                    }
                    None => {
                        w.deletes += 1;
                        w.bytes += k.len() as u64;
                    }
                }
            }
        }
        out
    }

    /// True with nothing to write.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The contract both backends must keep.
    pub(crate) fn backend_contract(kv: &dyn Kv) {
        let before = kv.snapshot().expect("snapshot");
        let mut b = WriteBatch::new();
        b.put(Table::Meta, b"b".to_vec(), b"2".to_vec());
        b.put(Table::Meta, b"a".to_vec(), b"1".to_vec());
        b.put(Table::Meta, b"c".to_vec(), b"3".to_vec());
        b.put(Table::Code, b"a".to_vec(), b"other table".to_vec());
        kv.commit(b).expect("commit");
        let after = kv.snapshot().expect("snapshot");
        assert_eq!(before.get(Table::Meta, b"a").unwrap(), None);
        assert_eq!(after.get(Table::Meta, b"a").unwrap(), Some(b"1".to_vec()));
        assert_eq!(after.len(Table::Meta).unwrap(), 3);
        let mut seen = Vec::new();
        after
            .scan(Table::Meta, b"b", &mut |k, v| {
                seen.push((k.to_vec(), v.to_vec()));
                true
            })
            .unwrap();
        assert_eq!(
            seen,
            vec![
                (b"b".to_vec(), b"2".to_vec()),
                (b"c".to_vec(), b"3".to_vec())
            ]
        );
        let mut d = WriteBatch::new();
        d.delete(Table::Meta, b"a".to_vec());
        kv.commit(d).expect("commit");
        assert_eq!(after.get(Table::Meta, b"a").unwrap(), Some(b"1".to_vec()));
        let latest = kv.snapshot().unwrap();
        assert_eq!(latest.get(Table::Meta, b"a").unwrap(), None);
        let mut first = None;
        latest
            .scan_prefix(Table::Code, b"", &mut |k, _| {
                first = Some(k.to_vec());
                false
            })
            .unwrap();
        assert_eq!(first, Some(b"a".to_vec()));
    }

    #[test]
    fn memory_backend_keeps_the_contract() {
        backend_contract(&mem::MemKv::new());
    }

    #[test]
    fn redb_memory_backend_keeps_the_contract() {
        backend_contract(&redb::RedbKv::in_memory().expect("redb"));
    }

    /// Commits keys 0..5 of the code table one batch each; each is visible as soon as its commit returns,
    /// durable or not.
    fn commit_five_visible(kv: &dyn Kv) {
        for i in 0u8..5 {
            let mut b = WriteBatch::new();
            b.put(Table::Code, vec![i], vec![i; 3]);
            kv.commit(b).expect("commit");
            let snap = kv.snapshot().unwrap();
            assert_eq!(snap.get(Table::Code, &[i]).unwrap(), Some(vec![i; 3]));
        }
    }

    #[test]
    fn redb_grouped_durability_keeps_the_contract_and_every_commit_reopens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("chain.redb");
        let grouped = redb::Durability {
            max_commits: 3,
            max_delay: std::time::Duration::from_secs(3600),
        };
        {
            let kv = redb::RedbKv::open_with(&path, grouped).expect("create");
            backend_contract(&kv);
            commit_five_visible(&kv);
            kv.sync().expect("sync");
            let mut b = WriteBatch::new();
            b.put(Table::Code, vec![9], vec![9]);
            kv.commit(b).expect("commit");
        }
        // Closing makes the pending commits durable.
        let kv = redb::RedbKv::open(&path).expect("reopen");
        let snap = kv.snapshot().unwrap();
        assert_eq!(snap.len(Table::Code).unwrap(), 7);
        assert_eq!(snap.get(Table::Code, &[4]).unwrap(), Some(vec![4; 3]));
        assert_eq!(snap.get(Table::Code, &[9]).unwrap(), Some(vec![9]));
    }

    #[test]
    fn redb_durability_behind_keeps_the_contract_and_makes_every_commit_durable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("chain.redb");
        let crashed = dir.path().join("crashed.redb");
        {
            let kv = redb::RedbKv::open_with(&path, redb::Durability::BEHIND).expect("create");
            backend_contract(&kv);
            commit_five_visible(&kv);
            // Once the syncer is idle (`sync` waits for it), the file alone holds every commit: a copy
            // taken while the database is still open (what a kill -9 leaves) opens with all of them.
            kv.sync().expect("sync");
            std::fs::copy(&path, &crashed).expect("copy");
            let mut b = WriteBatch::new();
            b.put(Table::Code, vec![9], vec![9]);
            kv.commit(b).expect("commit");
        }
        let copy = redb::RedbKv::open(&crashed).expect("open the copy");
        let snap = copy.snapshot().unwrap();
        for i in 0u8..5 {
            assert_eq!(snap.get(Table::Code, &[i]).unwrap(), Some(vec![i; 3]));
        }
        assert_eq!(snap.get(Table::Code, &[9]).unwrap(), None);
        // Closing syncs the last commit too.
        let kv = redb::RedbKv::open(&path).expect("reopen");
        let snap = kv.snapshot().unwrap();
        assert_eq!(snap.get(Table::Code, &[4]).unwrap(), Some(vec![4; 3]));
        assert_eq!(snap.get(Table::Code, &[9]).unwrap(), Some(vec![9]));
    }

    #[test]
    fn redb_file_backend_keeps_the_contract_and_reopens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("chain.redb");
        {
            let kv = redb::RedbKv::open(&path).expect("create");
            backend_contract(&kv);
        }
        let kv = redb::RedbKv::open(&path).expect("reopen");
        let snap = kv.snapshot().unwrap();
        assert_eq!(snap.get(Table::Meta, b"b").unwrap(), Some(b"2".to_vec()));
    }
}
