//! Engine API latency (`parevm-benches newpayload`): how long `parevm node` takes to accept a block, from
//! the `engine_newPayloadV4` request to the answer of the forkchoice update that makes it the head, on 1
//! and 2 executor threads; and the kona fixture blocks on their witness.
//!
//! ```text
//! world::OpWorld::generate -> genesis.json (OP, every fork through Isthmus at 0) -> genesis datadir (redb)
//! per (workload, gas limit):
//!   builder node (copy of the genesis datadir): chain::build_chain  (FCU + attributes, getPayload, FCU)
//!   one fresh node per thread count (copies):   replay::replay       (newPayload + FCU, timed, side by side)
//!   -> report::LatencyRow (p50 / p99 / max, the two calls apart, sender recovery apart)
//! kona fixtures: kona::run_kona (WitnessState + build_block + hash check, timed; no store)
//! ```

pub mod chain;
pub mod engine;
pub mod kona;
pub mod replay;
pub mod report;
pub mod world;

use crate::error::BenchError;
use engine::Engine;
use parevm_node::{NodeChain, NodeError};
use report::LatencyRow;
use std::path::{Path, PathBuf};
use std::time::Duration;
use world::{OpWorld, Workload};

/// Why the latency benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum NewPayloadError {
    /// Generating the world or the chain failed.
    #[error("setup: {0}")]
    Setup(String),
    /// A file or datadir could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The node failed.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// An Engine API call answered an error.
    #[error("engine API: {0}")]
    Rpc(String),
    /// A node disagreed with the builder (status, hash or head), or a kona block missed its hash.
    #[error("block {number}: {what}")]
    Mismatch {
        /// The block.
        number: u64,
        /// What differed.
        what: String,
    },
    /// A block could not be built or a transaction not decoded.
    #[error(transparent)]
    Block(#[from] parevm_op_stack_adapter::OpBlockError),
    /// A kona fixture could not be read.
    #[error(transparent)]
    Fixture(#[from] parevm_conformance::optest::OpTestError),
    /// A shared benchmark input could not be read.
    #[error(transparent)]
    Bench(#[from] BenchError),
}

/// What to run.
#[derive(Clone, Debug)]
pub struct NewPayloadOptions {
    /// Workloads of the generated blocks.
    pub workloads: Vec<Workload>,
    /// Block gas limits.
    pub gas_limits: Vec<u64>,
    /// Blocks per (workload, gas limit).
    pub blocks: usize,
    /// Executor thread counts.
    pub threads: Vec<usize>,
    /// Filler accounts of the genesis.
    pub accounts: usize,
    /// ERC-20 tokens.
    pub tokens: usize,
    /// Filler holders per token.
    pub holders: usize,
    /// Timed runs per kona block and thread count (0: leave the kona blocks out).
    pub kona_runs: usize,
    /// Untimed wait after each replayed block (a chain's block time; zero: back to back).
    pub gap: Duration,
    /// The kona fixtures folder.
    pub kona_dir: Option<PathBuf>,
    /// Where the datadirs go (emptied first, removed after).
    pub dir: PathBuf,
    /// When the replaying nodes' commits are made durable.
    pub durability: parevm_node::NodeDurability,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> NewPayloadError + '_ {
    move |source| NewPayloadError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A copy of the datadir `from` at `to` (which is emptied first).
fn copy_datadir(from: &Path, to: &Path) -> Result<(), NewPayloadError> {
    if to.exists() {
        std::fs::remove_dir_all(to).map_err(io(to))?;
    }
    std::fs::create_dir_all(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        std::fs::copy(entry.path(), to.join(entry.file_name())).map_err(io(to))?;
    }
    Ok(())
}

fn remove(dir: &Path) -> Result<(), NewPayloadError> {
    std::fs::remove_dir_all(dir).map_err(io(dir))
}

/// Runs the generated configurations, then the kona blocks; `progress` sees each row as it is done.
pub fn run_suite(
    opts: &NewPayloadOptions,
    progress: &mut dyn FnMut(&LatencyRow),
) -> Result<Vec<LatencyRow>, NewPayloadError> {
    let mut rows = Vec::new();
    if !opts.workloads.is_empty() && !opts.gas_limits.is_empty() {
        rows.extend(run_generated(opts, progress)?);
    }
    if opts.kona_runs > 0 {
        if let Some(dir) = &opts.kona_dir {
            for row in kona::run_kona(dir, &opts.threads, opts.kona_runs)? {
                progress(&row);
                rows.push(row);
            }
        }
    }
    Ok(rows)
}

fn run_generated(
    opts: &NewPayloadOptions,
    progress: &mut dyn FnMut(&LatencyRow),
) -> Result<Vec<LatencyRow>, NewPayloadError> {
    let dir = &opts.dir;
    if dir.exists() {
        remove(dir)?;
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let max_gas = opts.gas_limits.iter().copied().max().unwrap_or(0);
    let mut world = OpWorld::generate(opts.accounts, opts.tokens, opts.holders, max_gas)?;
    eprintln!(
        "world: {} accounts, {} tokens x {} holders; ERC-20 transfer gas limit {}",
        opts.accounts,
        opts.tokens,
        opts.holders,
        world.erc20_gas()
    );
    let genesis_file = dir.join("genesis.json");
    std::fs::write(&genesis_file, world.genesis.to_string()).map_err(io(&genesis_file))?;
    let chain = NodeChain::load(&genesis_file, None)?;
    let genesis_dir = dir.join("genesis");
    drop(Engine::open(
        chain.clone(),
        &genesis_dir,
        1,
        Default::default(),
    )?);

    let builder_threads = opts.threads.iter().copied().max().unwrap_or(1);
    let mut rows = Vec::new();
    for &workload in &opts.workloads {
        for &gas_limit in &opts.gas_limits {
            let build_dir = dir.join("build");
            copy_datadir(&genesis_dir, &build_dir)?;
            let builder = Engine::open(
                chain.clone(),
                &build_dir,
                builder_threads,
                Default::default(),
            )?;
            let payloads =
                chain::build_chain(&builder, &mut world, workload, gas_limit, opts.blocks)?;
            drop(builder);
            remove(&build_dir)?;

            let engines = opts
                .threads
                .iter()
                .map(|&t| {
                    let d = dir.join(format!("threads-{t}"));
                    copy_datadir(&genesis_dir, &d)?;
                    Engine::open(chain.clone(), &d, t, opts.durability)
                })
                .collect::<Result<Vec<_>, _>>()?;
            let times = replay::replay(&engines, &payloads, opts.gap)?;
            let dirs: Vec<PathBuf> = engines.iter().map(|e| e.dir.clone()).collect();
            drop(engines);
            for d in &dirs {
                remove(d)?;
            }

            let recover = payloads
                .iter()
                .map(replay::recovery_time)
                .collect::<Result<Vec<Duration>, _>>()?;
            let n = payloads.len().max(1);
            let txs = payloads.iter().map(|p| p.transactions.len()).sum::<usize>() / n;
            let gas = payloads.iter().map(|p| p.gas_used as f64).sum::<f64>() / n as f64;
            for (t, block_times) in opts.threads.iter().zip(&times) {
                let totals: Vec<Duration> = block_times.iter().map(|b| b.total()).collect();
                let cpu: Vec<Duration> = block_times.iter().map(|b| b.cpu).collect();
                let parts: Vec<(Duration, Duration)> = block_times
                    .iter()
                    .map(|b| (b.new_payload, b.forkchoice))
                    .collect();
                let row = LatencyRow::new(
                    workload.name().into(),
                    Some(gas_limit),
                    *t,
                    txs,
                    gas,
                    &totals,
                    &cpu,
                    &parts,
                    &recover,
                )
                .with_phases(
                    &block_times
                        .iter()
                        .filter_map(|b| b.phases)
                        .collect::<Vec<_>>(),
                );
                progress(&row);
                rows.push(row);
            }
        }
    }
    remove(dir)?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny end-to-end run: the builder's blocks replay `VALID` on both thread counts with the same
    /// hashes (`replay` fails otherwise), and every configuration gets one row per thread count with one
    /// sample per block.
    #[test]
    fn a_small_chain_builds_and_replays_on_one_and_two_threads() {
        let dir = std::env::temp_dir().join(format!("parevm-newpayload-{}", std::process::id()));
        let opts = NewPayloadOptions {
            workloads: vec![Workload::Transfers, Workload::Erc20],
            gas_limits: vec![3_000_000],
            blocks: 3,
            threads: vec![1, 2],
            accounts: 50,
            tokens: 2,
            holders: 5,
            kona_runs: 0,
            gap: Duration::ZERO,
            kona_dir: None,
            dir: dir.clone(),
            // The node's default: each block held in memory until the flusher writes it; the replay
            // must read its own unflushed commits.
            durability: parevm_node::NodeDurability::default(),
        };
        let rows = run_suite(&opts, &mut |_| {}).expect("suite runs");
        assert_eq!(rows.len(), 4);
        for r in &rows {
            assert_eq!(r.samples, 3, "{r:?}");
            assert!(r.phases_p50.is_some(), "the node reports its phases: {r:?}");
            assert!(
                r.gas_used > 1_000_000.0 && r.gas_used <= 3_000_000.0,
                "{r:?}"
            );
        }
        assert!(!dir.exists(), "datadirs removed");
    }
}
