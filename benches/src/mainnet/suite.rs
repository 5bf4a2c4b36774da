//! Runs the mainnet suite: for each recorded block, check parevm against the header and against itself
//! (parallel equal to sequential at every thread count) and revm against parevm, then time parevm
//! sequential, parevm parallel per thread count and revm sequential over the same pre-state.

use super::block::{load_blocks, MainnetBlock};
use super::reference::RevmBlock;
use crate::check::{check_equal, check_in_place, Results};
use crate::error::BenchError;
use crate::timing::{median, timed};
use parevm_block::receipt::{build_receipt, logs_bloom, receipts_root, ReceiptStatus};
use parevm_evm_core::SpecId;
use parevm_parallel_commit::{execute_in_place, execute_parallel, execute_sequential, ExecMode};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What to run.
#[derive(Clone, Debug)]
pub struct MainnetOptions {
    /// The set folder (or one block folder).
    pub dir: PathBuf,
    /// Block numbers to run; all when empty.
    pub blocks: Vec<u64>,
    /// Thread counts for the parallel engine.
    pub threads: Vec<usize>,
    /// Timed rounds per block, at least (the median per configuration is reported).
    pub runs: u32,
    /// Rounds go on past `runs` until a block has taken this long (all configurations together), so that
    /// blocks of a few microseconds get enough samples; at most [`MAX_ROUNDS`].
    pub min_time: Duration,
}

/// The most timed rounds per block.
pub const MAX_ROUNDS: usize = 1_000;

/// Median wall and CPU time of one configuration on one block.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timing {
    /// Median wall time.
    pub wall: Duration,
    /// Median process CPU time (all threads).
    pub cpu: Duration,
    /// Fastest wall time: on a shared machine the least disturbed run.
    pub best: Duration,
}

/// The parallel engine at one thread count on one block.
#[derive(Clone, Copy, Debug)]
pub struct ParallelTiming {
    /// Worker threads asked for.
    pub threads: usize,
    /// Times.
    pub timing: Timing,
    /// Whether the engine ran in parallel (it falls back to its sequential path for small blocks).
    pub parallel: bool,
    /// Re-executions in the last timed run.
    pub re_executions: u64,
    /// Transactions the engine ran in its adaptive serial mode in the last timed run.
    pub serial_txs: u64,
}

/// One block's measurements.
#[derive(Clone, Debug)]
pub struct BlockRow {
    /// Block number.
    pub number: u64,
    /// Fork name.
    pub fork: &'static str,
    /// Transactions.
    pub txs: usize,
    /// Gas used (equal to the header's).
    pub gas: u64,
    /// parevm sequential (`execute_sequential`, the reference path).
    pub seq: Timing,
    /// parevm parallel (`execute_parallel`), one per thread count.
    pub par: Vec<ParallelTiming>,
    /// parevm's in-place import path (`execute_in_place` on a fresh copy of the pre-state: no overlay,
    /// no read sets).
    pub import: Timing,
    /// revm, one `transact_commit` per transaction.
    pub revm: Timing,
}

/// Loads, checks and times every selected block, printing progress to stderr.
pub fn run_suite(opts: &MainnetOptions) -> Result<Vec<BlockRow>, BenchError> {
    eprintln!("loading blocks from {}...", opts.dir.display());
    let (blocks, set) = load_blocks(&opts.dir, &opts.blocks)?;
    let mut rows = Vec::with_capacity(blocks.len());
    for b in &blocks {
        let revm = RevmBlock::new(b, &set)?;
        check(b, &revm, &opts.threads)?;
        let row = measure(b, &revm, opts);
        let rt = crate::core_latency::probe();
        eprintln!(
            "{:>9} {:<16} txs={:<5} seq {:>8.2} ms, revm {:>8.2} ms, inter-core round trip {} ns",
            row.number,
            row.fork,
            row.txs,
            row.seq.wall.as_secs_f64() * 1e3,
            row.revm.wall.as_secs_f64() * 1e3,
            rt.as_nanos()
        );
        rows.push(row);
    }
    Ok(rows)
}

/// The checks that make the timings comparable (run before any timing): our sequential result reproduces the header (gas used,
/// logs bloom, and from Byzantium on the receipts root), every parallel run equals it, so does the in-place path, and revm agrees on
/// every transaction's gas, success and number of logs.
pub fn check(b: &MainnetBlock, revm: &RevmBlock, threads: &[usize]) -> Result<(), BenchError> {
    let name = format!("block {}", b.number());
    let reference = execute_sequential(&b.envs, &b.state);
    check_header(b, &reference)?;
    for &t in threads {
        let par = execute_parallel(&b.envs, &b.state, t).map_err(|e| BenchError::Rejected {
            engine: "parevm-par",
            case: name.clone(),
            reason: e.to_string(),
        })?;
        check_equal(&name, t, &reference, &par.results)?;
    }
    check_in_place(&name, &b.envs, &b.state, &reference)?;
    let results = revm.run(revm.fresh_db())?;
    for (i, (r, ours)) in results.iter().zip(&reference).enumerate() {
        let (gas, ok, logs) = match ours {
            Ok(o) => (o.gas_used, o.status.is_success(), o.logs.len()),
            Err(_) => (0, false, 0),
        };
        if r.tx_gas_used() != gas || r.is_success() != ok || r.logs().len() != logs {
            return Err(BenchError::Mismatch {
                case: name,
                what: format!(
                    "transaction {i}: revm gas {} success {} logs {}, parevm gas {gas} success {ok} \
                     logs {logs}",
                    r.tx_gas_used(),
                    r.is_success(),
                    r.logs().len()
                ),
            });
        }
    }
    Ok(())
}

/// Our sequential result against the header: every transaction valid, gas used, bloom, receipts root.
fn check_header(b: &MainnetBlock, reference: &Results) -> Result<(), BenchError> {
    let mismatch = |what: String| BenchError::Mismatch {
        case: format!(
            "block {} (parevm sequential against the header)",
            b.number()
        ),
        what,
    };
    let byzantium = b.fork.spec.is_enabled_in(SpecId::BYZANTIUM);
    let mut gas = 0;
    let mut receipts = Vec::with_capacity(reference.len());
    for (i, (r, env)) in reference.iter().zip(&b.envs).enumerate() {
        let out = r
            .as_ref()
            .map_err(|e| mismatch(format!("transaction {i} is invalid: {e}")))?;
        gas += out.gas_used;
        // Before Byzantium a receipt holds the post-transaction state root, which a partial pre-state
        // cannot give; the bloom does not depend on it and the receipts root is not compared there.
        let status = if byzantium {
            ReceiptStatus::Status(out.status.is_success())
        } else {
            ReceiptStatus::PostState(Default::default())
        };
        receipts.push(build_receipt(env.tx.tx_type, status, gas, out.logs.clone()));
    }
    let h = &b.header;
    if gas != h.gas_used {
        return Err(mismatch(format!("gas used {gas}, header {}", h.gas_used)));
    }
    if logs_bloom(&receipts) != h.logs_bloom {
        return Err(mismatch("logs bloom differs".into()));
    }
    if byzantium && receipts_root(&receipts) != h.receipts_root {
        return Err(mismatch("receipts root differs".into()));
    }
    Ok(())
}

/// Times every configuration on `b`. Each round runs them all, in an order rotated by one per round so
/// that none always runs first (cold) or right after the heaviest; round 0 is an untimed warm-up (and its
/// time counts toward `min_time`).
fn measure(b: &MainnetBlock, revm: &RevmBlock, opts: &MainnetOptions) -> BlockRow {
    // Configurations: 0 = parevm sequential, 1..=threads.len() = parevm parallel, then parevm's in-place
    // import path, last = revm.
    let configs = opts.threads.len() + 3;
    let import = configs - 2;
    let mut wall = vec![Vec::new(); configs];
    let mut cpu = vec![Vec::new(); configs];
    let mut last = vec![(false, 0u64, 0u64); configs];
    let start = Instant::now();
    let min_rounds = opts.runs.max(1) as usize;
    let mut round = 0;
    while round <= min_rounds || (round <= MAX_ROUNDS && start.elapsed() < opts.min_time) {
        for k in 0..configs {
            let c = (k + round) % configs;
            let (w, t) = if c == 0 {
                let (_, w, t) = timed(|| execute_sequential(&b.envs, &b.state));
                (w, t)
            } else if c == configs - 1 {
                let db = revm.fresh_db();
                let (_, w, t) = timed(|| revm.run(db));
                (w, t)
            } else if c == import {
                let mut state = b.state.clone();
                let (_, w, t) = timed(|| execute_in_place(&b.envs, &mut state));
                (w, t)
            } else {
                let (r, w, t) = timed(|| execute_parallel(&b.envs, &b.state, opts.threads[c - 1]));
                if let Ok(r) = r {
                    let parallel = matches!(r.report.mode, ExecMode::Parallel { .. });
                    last[c] = if parallel {
                        (true, r.report.re_executions, r.report.serial_txs)
                    } else {
                        (false, 0, 0)
                    };
                }
                (w, t)
            };
            if round > 0 {
                wall[c].push(w);
                cpu[c].push(t);
            }
        }
        round += 1;
    }
    let timing = |c: usize| Timing {
        wall: median(&wall[c]),
        cpu: median(&cpu[c]),
        best: wall[c].iter().copied().min().unwrap_or_default(),
    };
    BlockRow {
        number: b.number(),
        fork: b.fork.name,
        txs: b.envs.len(),
        gas: b.header.gas_used,
        seq: timing(0),
        par: opts
            .threads
            .iter()
            .enumerate()
            .map(|(i, &threads)| ParallelTiming {
                threads,
                timing: timing(i + 1),
                parallel: last[i + 1].0,
                re_executions: last[i + 1].1,
                serial_txs: last[i + 1].2,
            })
            .collect(),
        import: timing(import),
        revm: timing(configs - 1),
    }
}
