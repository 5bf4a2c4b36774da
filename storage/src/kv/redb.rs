//! The redb backend: every [`Table`] is a redb table of byte strings; a batch is one write transaction
//! committed with immediate durability (redb's commit is atomic: after a crash the database holds the last
//! committed transaction, checked on open). Also runs on redb's in-memory backend.

use super::{Kv, KvError, KvRead, Table, WriteBatch};
use redb::{Database, ReadableDatabase, ReadableTableMetadata, TableDefinition};
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// The definition of `table`.
fn def(table: Table) -> TableDefinition<'static, &'static [u8], &'static [u8]> {
    TableDefinition::new(table.name())
}

fn err(e: impl std::fmt::Display) -> KvError {
    KvError::Backend(e.to_string())
}

/// A chain database in a redb file (or redb's memory backend).
pub struct RedbKv {
    db: Database,
    path: Option<std::path::PathBuf>,
}

impl RedbKv {
    /// Opens the database file at `path`, creating it (and every table) when absent.
    pub fn open(path: &Path) -> Result<Self, KvError> {
        let db = Database::create(path)
            .map_err(|e| KvError::Open(format!("{}: {e}", path.display())))?;
        let kv = Self {
            db,
            path: Some(path.to_path_buf()),
        };
        kv.create_tables()?;
        Ok(kv)
    }

    /// A database in memory (redb's in-memory backend).
    pub fn in_memory() -> Result<Self, KvError> {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(|e| KvError::Open(e.to_string()))?;
        let kv = Self { db, path: None };
        kv.create_tables()?;
        Ok(kv)
    }

    fn create_tables(&self) -> Result<(), KvError> {
        let tx = self.db.begin_write().map_err(err)?;
        for t in Table::ALL {
            tx.open_table(def(t)).map_err(err)?;
        }
        tx.commit().map_err(err)
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

impl Kv for RedbKv {
    fn snapshot(&self) -> Result<Arc<dyn KvRead>, KvError> {
        let tx = self.db.begin_read().map_err(err)?;
        Ok(Arc::new(Snapshot {
            tx,
            tables: std::array::from_fn(|_| OnceLock::new()),
        }))
    }

    fn commit(&self, batch: WriteBatch) -> Result<(), KvError> {
        let tx = self.db.begin_write().map_err(err)?;
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
        tx.commit().map_err(err)
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
