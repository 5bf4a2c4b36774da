//! The in-memory backend: one persistent ordered map (imbl) per table, so a snapshot is a cheap clone that
//! later commits never disturb. For tests and the devnet's default; nothing survives the process.

use super::{Kv, KvError, KvRead, Table, WriteBatch};
use imbl::OrdMap;
use parking_lot::RwLock;
use std::ops::Bound;
use std::sync::Arc;

type Map = OrdMap<Vec<u8>, Vec<u8>>;

/// Every table, one version.
#[derive(Clone, Default)]
struct Tables {
    maps: [Map; Table::ALL.len()],
}

impl KvRead for Tables {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        Ok(self.maps[table.index()].get(key).cloned())
    }

    fn scan(
        &self,
        table: Table,
        start: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), KvError> {
        let range =
            self.maps[table.index()].range::<_, [u8]>((Bound::Included(start), Bound::Unbounded));
        for (k, v) in range {
            if !visit(k, v) {
                break;
            }
        }
        Ok(())
    }

    fn len(&self, table: Table) -> Result<u64, KvError> {
        Ok(self.maps[table.index()].len() as u64)
    }
}

/// A chain database held in memory.
#[derive(Default)]
pub struct MemKv {
    current: RwLock<Arc<Tables>>,
}

impl MemKv {
    /// An empty database.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Kv for MemKv {
    fn snapshot(&self) -> Result<Arc<dyn KvRead>, KvError> {
        Ok(self.current.read().clone())
    }

    fn commit(&self, batch: WriteBatch) -> Result<(), KvError> {
        let mut current = self.current.write();
        let mut next = Tables::clone(&current);
        for (table, writes) in batch.tables() {
            let map = &mut next.maps[table.index()];
            for (k, v) in writes {
                match v {
                    Some(v) => {
                        map.insert(k.clone(), v.clone());
                    }
                    None => {
                        map.remove(k.as_slice());
                    }
                }
            }
        }
        *current = Arc::new(next);
        Ok(())
    }

    fn describe(&self) -> String {
        "in memory".into()
    }

    fn size_bytes(&self) -> Option<u64> {
        let current = self.current.read();
        Some(
            current
                .maps
                .iter()
                .flat_map(|m| m.iter())
                .map(|(k, v)| (k.len() + v.len()) as u64)
                .sum(),
        )
    }
}
