//! A recorded mainnet block made ready for both engines: loaded once through conformance's replay loader
//! (`parevm_conformance::replay::load`), then turned into parevm environments and state, and into revm's
//! block, transactions and database over the very same pre-state.

use crate::error::BenchError;
use alloy_consensus::Header;
use parevm_block::{block_env, ForkParams, ForkSchedule};
use parevm_conformance::replay::load::{block_dirs, load_block, load_pre_state, SetData};
use parevm_conformance::replay::ReplayError;
use parevm_evm_core::{CfgEnv, Env};
use parevm_state::InMemoryState;
use std::path::{Path, PathBuf};

/// Chain id of every replayed block (Ethereum mainnet).
pub const CHAIN_ID: u64 = 1;

/// One block: header, fork, transactions as parevm runs them, and the pre-state they read.
#[derive(Debug)]
pub struct MainnetBlock {
    /// The block folder.
    pub dir: PathBuf,
    /// The header (gas used, receipts root and logs bloom are checked against it).
    pub header: Header,
    /// The fork the block runs under (mainnet schedule).
    pub fork: ForkParams,
    /// One environment per transaction, in block order; the same block and config for all.
    pub envs: Vec<Env>,
    /// The pre-state (`pre_state.json` plus codes and ancestor hashes of the set).
    pub state: InMemoryState,
}

impl MainnetBlock {
    /// The block number.
    pub fn number(&self) -> u64 {
        self.header.number
    }
}

/// The set folder: `$PAREVM_BLOCKS` when set, else conformance's `target/blocks/mainnet` (unpacked from
/// `../shared/blocks/mainnet-blocks.tar.zst` on first use).
pub fn default_dir() -> Result<PathBuf, BenchError> {
    match std::env::var_os("PAREVM_BLOCKS") {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => Ok(parevm_conformance::replay::blocks_dir()?),
    }
}

/// Loads every block under `dir` (a set, or one block folder) whose number is in `only` (all when empty),
/// in block-number order, together with the set's shared data (for revm's block hashes).
pub fn load_blocks(dir: &Path, only: &[u64]) -> Result<(Vec<MainnetBlock>, SetData), BenchError> {
    let (root, dirs) = block_dirs(dir)?;
    let set = SetData::load(&root)?;
    let schedule = ForkSchedule::mainnet();
    let mut blocks = Vec::with_capacity(dirs.len());
    for d in dirs {
        let rpc = load_block(&d)?;
        let path = d.join("block.json");
        let input = rpc.to_input().map_err(ReplayError::field(&path))?;
        let header = input.header;
        if !only.is_empty() && !only.contains(&header.number) {
            continue;
        }
        let fork = schedule
            .at(header.number, header.timestamp)
            .ok_or_else(|| BenchError::Setup {
                case: format!("block {}", header.number),
                reason: "no mainnet fork for this block".into(),
            })?;
        let mut cfg = CfgEnv::new(CHAIN_ID, fork.spec);
        cfg.blob = fork.blob;
        let block = block_env(&header, &fork);
        let envs = input
            .transactions
            .into_iter()
            .map(|tx| Env {
                cfg: cfg.clone(),
                block: block.clone(),
                tx,
            })
            .collect();
        let state = load_pre_state(&d, &set)?;
        blocks.push(MainnetBlock {
            dir: d,
            header,
            fork,
            envs,
            state,
        });
    }
    if let Some(missing) = only
        .iter()
        .find(|n| !blocks.iter().any(|b| b.number() == **n))
    {
        return Err(BenchError::Setup {
            case: format!("block {missing}"),
            reason: format!("not found under {}", dir.display()),
        });
    }
    Ok((blocks, set))
}
