//! `parevm db stats`: entries per table and the database size.

use crate::chain::ChainStore;
use crate::error::StoreError;
use crate::kv::Table;

/// Entries of one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableStats {
    /// Table name.
    pub name: &'static str,
    /// Entries.
    pub entries: u64,
}

/// What the database holds.
#[derive(Clone, Debug)]
pub struct DbStats {
    /// The backend.
    pub backend: String,
    /// Bytes used, when known.
    pub size_bytes: Option<u64>,
    /// Per table.
    pub tables: Vec<TableStats>,
}

impl ChainStore {
    /// Counts the entries of every table.
    pub fn stats(&self) -> Result<DbStats, StoreError> {
        let snap = self.snapshot()?;
        let tables = Table::ALL
            .iter()
            .map(|t| {
                Ok(TableStats {
                    name: t.name(),
                    entries: snap.len(*t)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(DbStats {
            backend: self.describe(),
            size_bytes: self.size_bytes(),
            tables,
        })
    }
}
