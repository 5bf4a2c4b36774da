//! The redb backend: every [`Table`] is a redb table of byte strings; a batch is one write transaction
//! (redb's commit is atomic: after a crash the database holds the last durable transaction, checked on
//! open). Also runs on redb's in-memory backend. The layered backend's journal ([`super::journal`]) is a
//! table of its own here; rows left in it by a crash are applied when the file is opened.
//!
//! ```text
//! commit(batch) -> one write transaction -> durable now (pages written, fsync)   when the policy says so
//!                                        -> visible now, durable with a later one (pages stay in redb's
//!                                           write buffer; a page rewritten by the next blocks is written once)
//! ```
//! [`Durability`] bounds how many commits and how much time may pass between durable ones; the default
//! makes every commit durable. [`Durability::BEHIND`] makes each commit durable right after it returns, on a
//! thread of its own (the sync is off the caller's path; a crash loses at most the commit being synced, the
//! next commit waits for it). With a bound, a crash loses at most that many of the latest commits and the
//! database opens at the last durable one, a whole committed batch as before (an importer redoes the lost
//! blocks, as reth's engine does with the blocks it holds in memory). Closing the database makes pending
//! commits durable.

use super::{journal, Kv, KvError, KvRead, Table, WriteBatch};
use parking_lot::Mutex;
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// When a commit is made durable: once `max_commits` commits, or `max_delay`, have passed since the last
/// durable one (whichever comes first; the commit that reaches the bound is the durable one).
/// `max_commits == 0` ([`Durability::BEHIND`]): every commit returns once visible and is made durable at once
/// by a background thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Durability {
    /// Commits per durable commit (1: every commit is durable).
    pub max_commits: u32,
    /// Longest time since the last durable commit before a commit is made durable.
    pub max_delay: Duration,
}

impl Durability {
    /// Every commit durable when it returns.
    pub const EVERY_COMMIT: Self = Self {
        max_commits: 1,
        max_delay: Duration::ZERO,
    };

    /// Every commit made durable by a background thread as soon as it is visible: the caller does not wait
    /// for the disk; a crash loses at most the latest commit (the next one waits until it is durable).
    pub const BEHIND: Self = Self {
        max_commits: 0,
        max_delay: Duration::ZERO,
    };

    /// True for [`Durability::BEHIND`].
    pub fn is_behind(&self) -> bool {
        self.max_commits == 0
    }
}

impl Default for Durability {
    fn default() -> Self {
        Self::EVERY_COMMIT
    }
}

/// Commits since the last durable one.
struct Pending {
    commits: u32,
    since: Instant,
}

/// The layered backend's journal: (group, chunk) -> encoded writes not yet in their tables.
const JOURNAL: TableDefinition<'static, &'static [u8], &'static [u8]> =
    TableDefinition::new("layer_journal");

/// The definition of `table`.
fn def(table: Table) -> TableDefinition<'static, &'static [u8], &'static [u8]> {
    TableDefinition::new(table.name())
}

fn err(e: impl std::fmt::Display) -> KvError {
    KvError::Backend(e.to_string())
}

/// What the background syncer of [`Durability::BEHIND`] is told and reports.
#[derive(Default)]
struct SyncState {
    /// A commit is visible but not durable yet.
    dirty: bool,
    /// The syncer is making commits durable now.
    in_flight: bool,
    /// The store is closing: sync what is dirty and stop.
    stop: bool,
    /// A background sync failed (reported by the next commit).
    failed: Option<String>,
}

/// The background syncer: a thread that makes every commit durable right after it.
struct Syncer {
    state: Arc<(std::sync::Mutex<SyncState>, std::sync::Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Syncer {
    fn start(db: Arc<Database>) -> Result<Self, KvError> {
        let state: Arc<(std::sync::Mutex<SyncState>, std::sync::Condvar)> = Arc::default();
        let shared = state.clone();
        let thread = std::thread::Builder::new()
            .name("redb-sync".into())
            .spawn(move || sync_loop(&db, &shared))
            .map_err(|e| KvError::Open(format!("starting the sync thread: {e}")))?;
        Ok(Self {
            state,
            thread: Some(thread),
        })
    }

    /// Marks a commit to be made durable; the error of an earlier background sync, if one failed.
    fn mark_dirty(&self) -> Result<(), KvError> {
        let (lock, wake) = &*self.state;
        let mut s = lock.lock().map_err(|_| err("sync state poisoned"))?;
        if let Some(e) = s.failed.take() {
            return Err(KvError::Backend(format!("background sync: {e}")));
        }
        s.dirty = true;
        wake.notify_all();
        Ok(())
    }

    /// Waits until every commit so far is durable.
    fn wait_synced(&self) -> Result<(), KvError> {
        let (lock, wake) = &*self.state;
        let mut s = lock.lock().map_err(|_| err("sync state poisoned"))?;
        while s.dirty || s.in_flight {
            s = wake.wait(s).map_err(|_| err("sync state poisoned"))?;
        }
        match s.failed.take() {
            Some(e) => Err(KvError::Backend(format!("background sync: {e}"))),
            None => Ok(()),
        }
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        let (lock, wake) = &*self.state;
        if let Ok(mut s) = lock.lock() {
            s.stop = true;
            wake.notify_all();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The syncer's loop: waits for a dirty mark, makes every commit so far durable with an empty durable
/// transaction (it waits for a commit in progress), until told to stop.
fn sync_loop(db: &Database, state: &(std::sync::Mutex<SyncState>, std::sync::Condvar)) {
    let (lock, wake) = state;
    loop {
        {
            let Ok(mut s) = lock.lock() else { return };
            while !s.dirty && !s.stop {
                s = match wake.wait(s) {
                    Ok(s) => s,
                    Err(_) => return,
                };
            }
            if !s.dirty {
                return;
            }
            s.dirty = false;
            s.in_flight = true;
        }
        let synced = db
            .begin_write()
            .map_err(|e| e.to_string())
            .and_then(|tx| tx.commit().map_err(|e| e.to_string()));
        let Ok(mut s) = lock.lock() else { return };
        s.in_flight = false;
        if let Err(e) = synced {
            s.failed = Some(e);
        }
        wake.notify_all();
    }
}

/// A chain database in a redb file (or redb's memory backend).
pub struct RedbKv {
    /// Dropped first: the syncer makes the last commits durable before the database closes.
    syncer: Option<Syncer>,
    db: Arc<Database>,
    path: Option<std::path::PathBuf>,
    durability: Durability,
    pending: Mutex<Pending>,
}

impl RedbKv {
    /// Opens the database file at `path`, creating it (and every table) when absent; every commit durable.
    pub fn open(path: &Path) -> Result<Self, KvError> {
        Self::open_with(path, Durability::EVERY_COMMIT)
    }

    /// Opens the database file at `path` with `durability`.
    pub fn open_with(path: &Path, durability: Durability) -> Result<Self, KvError> {
        let db = Arc::new(
            Database::create(path)
                .map_err(|e| KvError::Open(format!("{}: {e}", path.display())))?,
        );
        let syncer = if durability.is_behind() {
            Some(Syncer::start(db.clone())?)
        } else {
            None
        };
        let kv = Self {
            syncer,
            db,
            path: Some(path.to_path_buf()),
            durability,
            pending: Mutex::new(Pending {
                commits: 0,
                since: Instant::now(),
            }),
        };
        kv.create_tables()?;
        kv.replay_journal()?;
        Ok(kv)
    }

    /// A database in memory (redb's in-memory backend).
    pub fn in_memory() -> Result<Self, KvError> {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(|e| KvError::Open(e.to_string()))?;
        let kv = Self {
            syncer: None,
            db: Arc::new(db),
            path: None,
            durability: Durability::EVERY_COMMIT,
            pending: Mutex::new(Pending {
                commits: 0,
                since: Instant::now(),
            }),
        };
        kv.create_tables()?;
        Ok(kv)
    }

    fn create_tables(&self) -> Result<(), KvError> {
        let tx = self.db.begin_write().map_err(err)?;
        for t in Table::ALL {
            tx.open_table(def(t)).map_err(err)?;
        }
        tx.open_table(JOURNAL).map_err(err)?;
        tx.commit().map_err(err)
    }

    /// Applies the journal rows a crash left (groups made durable but not yet written to their tables) and
    /// clears them, in one durable transaction; nothing to do after a clean close.
    fn replay_journal(&self) -> Result<(), KvError> {
        let mut tables: BTreeMap<Table, BTreeMap<Vec<u8>, Option<Vec<u8>>>> = BTreeMap::new();
        {
            let tx = self.db.begin_read().map_err(err)?;
            let rows = tx.open_table(JOURNAL).map_err(err)?;
            for row in rows.iter().map_err(err)? {
                let (_, v) = row.map_err(err)?;
                journal::decode(v.value(), |t, k, v| {
                    tables
                        .entry(t)
                        .or_default()
                        .insert(k.to_vec(), v.map(<[u8]>::to_vec));
                })?;
            }
        }
        if tables.is_empty() {
            return Ok(());
        }
        self.commit_durable(
            tables
                .iter()
                .map(|(t, m)| (*t, m.iter().map(|(k, v)| (k.as_slice(), v.as_deref())))),
            true,
        )
    }

    /// Number of rows in the journal.
    #[cfg(test)]
    pub(crate) fn journal_rows(&self) -> Result<u64, KvError> {
        let tx = self.db.begin_read().map_err(err)?;
        tx.open_table(JOURNAL).map_err(err)?.len().map_err(err)
    }
}

/// An opened table of a read transaction.
type ReadTable = redb::ReadOnlyTable<&'static [u8], &'static [u8]>;

/// A read transaction, with each table opened once on first use: opening a table looks its root up in
/// redb's table tree, which the state root's walk and the commit's reads of old values would otherwise
/// repeat for every node and key.
struct Snapshot {
    tx: redb::ReadTransaction,
    tables: [OnceLock<ReadTable>; Table::ALL.len()],
}

impl Snapshot {
    /// The opened `table`.
    fn table(&self, table: Table) -> Result<&ReadTable, KvError> {
        let slot = &self.tables[table.index()];
        if let Some(t) = slot.get() {
            return Ok(t);
        }
        let opened = self.tx.open_table(def(table)).map_err(err)?;
        // Two threads may both open it; either handle reads the same transaction.
        Ok(slot.get_or_init(|| opened))
    }
}

impl KvRead for Snapshot {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        let t = self.table(table)?;
        Ok(t.get(key).map_err(err)?.map(|v| v.value().to_vec()))
    }

    fn scan(
        &self,
        table: Table,
        start: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), KvError> {
        let t = self.table(table)?;
        for entry in t.range(start..).map_err(err)? {
            let (k, v) = entry.map_err(err)?;
            if !visit(k.value(), v.value()) {
                break;
            }
        }
        Ok(())
    }

    fn len(&self, table: Table) -> Result<u64, KvError> {
        self.table(table)?.len().map_err(err)
    }
}

impl RedbKv {
    /// Writes `tables` (per table, keys in order; `None` removes) in one durable write transaction,
    /// whatever the durability policy, emptying the journal in the same transaction when `clear_journal`:
    /// the layered backend's write of many blocks at once.
    pub(crate) fn commit_durable<'a, I, E>(
        &self,
        tables: I,
        clear_journal: bool,
    ) -> Result<(), KvError>
    where
        I: IntoIterator<Item = (Table, E)>,
        E: IntoIterator<Item = (&'a [u8], Option<&'a [u8]>)>,
    {
        let _pending = self.pending.lock();
        let tx = self.db.begin_write().map_err(err)?;
        for (table, writes) in tables {
            let mut t = tx.open_table(def(table)).map_err(err)?;
            for (k, v) in writes {
                match v {
                    Some(v) => {
                        t.insert(k, v).map_err(err)?;
                    }
                    None => {
                        t.remove(k).map_err(err)?;
                    }
                }
            }
            crate::failpoint::hit("kv-commit-mid-batch")?;
        }
        if clear_journal {
            let mut rows = tx.open_table(JOURNAL).map_err(err)?;
            while rows.pop_first().map_err(err)?.is_some() {}
        }
        crate::failpoint::hit("kv-before-commit")?;
        tx.commit().map_err(err)
    }

    /// Appends `rows` (one group's encoded writes) to the journal as group `seq`, in one durable write
    /// transaction.
    pub(crate) fn write_journal(&self, seq: u64, rows: &[Vec<u8>]) -> Result<(), KvError> {
        let _pending = self.pending.lock();
        let tx = self.db.begin_write().map_err(err)?;
        {
            let mut t = tx.open_table(JOURNAL).map_err(err)?;
            for (chunk, row) in rows.iter().enumerate() {
                t.insert(&journal::row_key(seq, chunk as u32)[..], row.as_slice())
                    .map_err(err)?;
                crate::failpoint::hit("kv-commit-mid-batch")?;
            }
        }
        crate::failpoint::hit("kv-before-commit")?;
        tx.commit().map_err(err)
    }
}

impl Kv for RedbKv {
    fn snapshot(&self) -> Result<Arc<dyn KvRead>, KvError> {
        let tx = self.db.begin_read().map_err(err)?;
        Ok(Arc::new(Snapshot {
            tx,
            tables: std::array::from_fn(|_| OnceLock::new()),
        }))
    }

    fn commit(&self, batch: WriteBatch) -> Result<(), KvError> {
        let mut pending = self.pending.lock();
        let durable = self.syncer.is_none()
            && (pending.commits + 1 >= self.durability.max_commits
                || pending.since.elapsed() >= self.durability.max_delay);
        let mut tx = self.db.begin_write().map_err(err)?;
        if !durable {
            tx.set_durability(redb::Durability::None).map_err(err)?;
        }
        for (table, writes) in batch.tables() {
            let mut t = tx.open_table(def(table)).map_err(err)?;
            for (k, v) in writes {
                match v {
                    Some(v) => {
                        t.insert(k.as_slice(), v.as_slice()).map_err(err)?;
                    }
                    None => {
                        t.remove(k.as_slice()).map_err(err)?;
                    }
                }
            }
            crate::failpoint::hit("kv-commit-mid-batch")?;
        }
        crate::failpoint::hit("kv-before-commit")?;
        tx.commit().map_err(err)?;
        if let Some(syncer) = &self.syncer {
            syncer.mark_dirty()?;
        } else if durable {
            pending.commits = 0;
            pending.since = Instant::now();
        } else {
            pending.commits += 1;
        }
        Ok(())
    }

    fn sync(&self) -> Result<(), KvError> {
        if let Some(syncer) = &self.syncer {
            return syncer.wait_synced();
        }
        let mut pending = self.pending.lock();
        if pending.commits > 0 {
            // An empty durable transaction makes every earlier one durable.
            self.db.begin_write().map_err(err)?.commit().map_err(err)?;
            pending.commits = 0;
            pending.since = Instant::now();
        }
        Ok(())
    }

    fn describe(&self) -> String {
        match &self.path {
            Some(p) => format!("redb file {}", p.display()),
            None => "redb in memory".into(),
        }
    }

    fn size_bytes(&self) -> Option<u64> {
        let p = self.path.as_ref()?;
        std::fs::metadata(p).ok().map(|m| m.len())
    }
}
