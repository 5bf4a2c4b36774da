//! The mainnet replay runner behind `parevm replay`: real blocks re-executed on the pre-state they read,
//! checked against their headers.
//!
//! ```text
//! DIR -> load: bytecodes.json, block_hashes.json, <n>/block.json, <n>/pre_state.json
//!     -> BlockExecutor (Mode::TransactionsOnly, mainnet forks) -> gasUsed, logsBloom, receiptsRoot
//!     -> BlockReport per block -> "N passed, M failed"
//! ```
//! No withdrawals, system calls or rewards run: the fixtures hold only what the transactions read (see
//! the blocks README). [`blocks_dir`] unpacks the shared archive into `target/blocks/` once.

pub mod error;
pub mod fixture;
pub mod hex;
pub mod load;
pub mod runner;

pub use error::ReplayError;
pub use runner::{replay_block, BlockReport};

use parevm_block::TxRunner;
use std::fmt;
use std::path::{Path, PathBuf};

/// Unpacks `<shared>/blocks/mainnet-blocks.tar.zst` into `<workspace>/target/blocks` (once) and returns
/// the set folder `target/blocks/mainnet`.
pub fn blocks_dir() -> Result<PathBuf, ReplayError> {
    let archive = crate::unpack::shared_dir()
        .join("blocks")
        .join("mainnet-blocks.tar.zst");
    let dest = crate::unpack::workspace_dir().join("target").join("blocks");
    std::fs::create_dir_all(&dest).map_err(ReplayError::io(&dest))?;
    crate::unpack::unpack_once(&archive, &dest)?;
    Ok(dest.join("mainnet"))
}

/// Replays every block under each of `dirs` (sets or single block folders), calling `sink` after each
/// block. Fails only when a folder is not a replay set or its shared files are unreadable; a block that
/// cannot be read is a failed block.
pub fn replay_dirs(
    dirs: &[PathBuf],
    runner: TxRunner,
    sink: &mut dyn FnMut(&BlockReport),
) -> Result<Totals, ReplayError> {
    let mut totals = Totals::default();
    for dir in dirs {
        let (root, blocks) = load::block_dirs(dir)?;
        let set = load::SetData::load(&root)?;
        for block in &blocks {
            let report = replay_block(block, &set, runner);
            totals.add(&report);
            sink(&report);
        }
    }
    Ok(totals)
}

/// Pass and fail counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Blocks that matched their headers.
    pub passed: usize,
    /// Blocks that did not.
    pub failed: usize,
}

impl Totals {
    fn add(&mut self, r: &BlockReport) {
        if r.passed() {
            self.passed += 1;
        } else {
            self.failed += 1;
        }
    }
}

impl fmt::Display for Totals {
    /// `N passed, M failed`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)
    }
}

impl fmt::Display for BlockReport {
    /// `<number> <fork> txs=<n> gas=<g> <ms>ms ok` or `... FAIL: <what differed>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.number == 0 && !self.passed() {
            Path::new(&self.dir).display().to_string()
        } else {
            self.number.to_string()
        };
        write!(
            f,
            "{name:>9} {:<16} txs={:<5} gas={:<10} {:>9.2}ms ",
            self.fork,
            self.txs,
            self.gas,
            self.elapsed.as_secs_f64() * 1e3
        )?;
        if self.passed() {
            write!(f, "ok")?;
            if let Some(note) = self.note {
                write!(f, " ({note})")?;
            }
            Ok(())
        } else {
            write!(f, "FAIL: {}", self.problems.join("; "))
        }
    }
}

impl BlockReport {
    /// The block as one JSON object: `number`, `fork`, `txs`, `gas`, `ms`, `pass`, `problems`, `note`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "dir": self.dir,
            "number": self.number,
            "fork": self.fork,
            "txs": self.txs,
            "gas": self.gas,
            "ms": self.elapsed.as_secs_f64() * 1e3,
            "pass": self.passed(),
            "problems": self.problems,
            "note": self.note,
        })
    }
}
