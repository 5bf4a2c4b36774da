//! How `parevm node` opens its chain store: when a committed block reaches the disk (`--durable-every`).
//!
//! ```text
//! every 0 (default) -> layered store, each block flushed by a background thread right after its commit
//!                      (redb's page work and the fsync off the Engine API's path; the next commit waits for
//!                      the flush; a kill -9 loses at most the latest block, which the rollup node resends)
//! every 1           -> one durable redb transaction per block before the answer
//! every N > 1       -> redb, durable every N blocks or `max_delay`, whichever comes first
//! ```

use parevm_storage::{ChainStore, Durability, FlushPolicy, StoreError};
use std::path::Path;
use std::time::Duration;

/// When committed blocks are made durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeDurability {
    /// 0: behind each commit; 1: before each answer; N: every N blocks.
    pub every: u32,
    /// With `every` above 1: the longest time between durable blocks.
    pub max_delay: Duration,
}

impl Default for NodeDurability {
    fn default() -> Self {
        Self {
            every: 0,
            max_delay: Duration::from_secs(1),
        }
    }
}

/// Opens (creating when absent) the chain store in `datadir` with `durability`.
pub fn open_store(datadir: &Path, durability: NodeDurability) -> Result<ChainStore, StoreError> {
    match durability.every {
        0 => ChainStore::open_layered(datadir, FlushPolicy::behind()),
        1 => ChainStore::open_with(datadir, Durability::EVERY_COMMIT),
        n => ChainStore::open_with(
            datadir,
            Durability {
                max_commits: n,
                max_delay: durability.max_delay,
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every mode opens a store, layered only behind the commit, and reopens it.
    #[test]
    fn every_mode_opens_and_reopens() {
        for every in [0, 1, 4] {
            let dir = tempfile::tempdir().expect("tempdir");
            let d = NodeDurability {
                every,
                ..Default::default()
            };
            {
                let store = open_store(dir.path(), d).expect("open");
                if every == 0 {
                    assert!(store.layer_stats().is_some(), "every 0 is layered");
                } else {
                    assert!(store.layer_stats().is_none(), "every {every} is plain redb");
                }
            }
            let store = open_store(dir.path(), d).expect("reopen");
            drop(store);
        }
    }
}
