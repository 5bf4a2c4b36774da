//! Entry points: [`execute_parallel`] and [`execute_parallel_with`] decide between the sequential path and
//! the parallel one, start the workers, and gather the committed results in block order.

use crate::config::{Engine, ParallelConfig};
use crate::error::ParallelError;
use crate::pools::kept_pool;
use crate::report::{ExecMode, ExecReport};
use crate::sequential::execute_sequential_final;
use crate::worker::{Block, CommitFilter};
use parevm_evm_core::{Env, InvalidTx, StateView, TxOutcome};
use parking_lot::Mutex;
use std::cell::Cell;
use std::time::{Duration, Instant};

/// The result of executing a block: one entry per transaction, in block order, with the effects of
/// [`crate::execute_sequential`]'s ([`crate::same_effects`]), and what it cost. An outcome's read set is
/// the sequential path's when the engine recorded one (a speculative execution it validated), empty for a
/// transaction it executed final on the committed state (nothing validates those reads).
#[derive(Debug)]
pub struct BlockExecution {
    /// Per transaction: its outcome, or why it is invalid (an invalid transaction writes nothing).
    pub results: Vec<Result<TxOutcome, InvalidTx>>,
    /// Counters of the execution.
    pub report: ExecReport,
}

/// Executes `envs` over `base` on `threads` workers with the default configuration (adaptive thresholds,
/// parking, hints; the overrides of [`ParallelConfig::with_env_overrides`]; with [`REPORT_ENV`] set, the
/// report is printed).
pub fn execute_parallel(
    envs: &[Env],
    base: &(dyn StateView + Sync),
    threads: usize,
) -> Result<BlockExecution, ParallelError> {
    let exec = execute_parallel_with(
        envs,
        base,
        &ParallelConfig::new(threads).with_env_overrides(),
    )?;
    // The environment is read once per process (as `with_env_overrides` does).
    static REPORT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *REPORT.get_or_init(|| std::env::var_os(REPORT_ENV).is_some()) {
        eprintln!("parevm-parallel: {}", exec.report);
    }
    Ok(exec)
}

/// Environment variable that makes [`execute_parallel`] print each block's [`ExecReport`] as one line
/// on standard error (a diagnostic for runs of the `parevm` binary: `replay`, `blocktest`); read once per
/// process.
pub const REPORT_ENV: &str = "PAREVM_PARALLEL_REPORT";

/// Executes `envs` over `base` as configured by `cfg`.
pub fn execute_parallel_with(
    envs: &[Env],
    base: &(dyn StateView + Sync),
    cfg: &ParallelConfig,
) -> Result<BlockExecution, ParallelError> {
    run(envs, base, cfg, None)
}

/// Gas used by the valid transactions of `results`.
fn gas_of(results: &[Result<TxOutcome, InvalidTx>]) -> u64 {
    results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|o| o.gas_used)
        .fold(0u64, u64::saturating_add)
}

/// True when the block is too small for threads to pay off.
fn stay_sequential(envs: &[Env], cfg: &ParallelConfig) -> bool {
    let gas = envs
        .iter()
        .map(|e| e.tx.gas_limit)
        .fold(0u64, u64::saturating_add);
    cfg.threads.min(envs.len()) <= 1 || envs.len() < cfg.min_txs || gas < cfg.min_gas
}

/// Shared by block execution and block building (which passes a commit filter).
pub(crate) fn run(
    envs: &[Env],
    base: &(dyn StateView + Sync),
    cfg: &ParallelConfig,
    filter: Option<&dyn CommitFilter>,
) -> Result<BlockExecution, ParallelError> {
    let start = Instant::now();
    if filter.is_none() && stay_sequential(envs, cfg) {
        let helpers = cfg.threads.saturating_sub(1);
        let results = if cfg.frames && helpers > 0 {
            crate::frames::execute_with_frames(envs, base, helpers, cfg)?
        } else {
            // One thread in block order: nothing is validated, so no read sets are recorded.
            execute_sequential_final(envs, base)?
        };
        let report = ExecReport {
            mode: ExecMode::Sequential,
            txs: envs.len(),
            executions: envs.len() as u64,
            gas_used: gas_of(&results),
            elapsed: start.elapsed(),
            ..Default::default()
        };
        return Ok(BlockExecution { results, report });
    }
    let threads = cfg.threads.clamp(1, envs.len().max(1));
    if filter.is_none() && cfg.engine == Engine::Lookahead {
        let (results, report) = crate::lookahead::run(
            envs,
            base,
            cfg,
            (threads > 1).then(|| pool(threads)).flatten(),
        )?;
        return Ok(BlockExecution { results, report });
    }
    let block = Block::new(envs, base, cfg, filter);
    let mut report = ExecReport {
        mode: ExecMode::Parallel { threads },
        txs: envs.len(),
        ..Default::default()
    };
    if !envs.is_empty() {
        let reports = spawn_workers(&block, threads, cfg);
        for r in &reports {
            report += r;
        }
    }
    if let Some(e) = block.take_failure() {
        return Err(e);
    }
    if !block.sched.done() {
        return Err(ParallelError::Protocol {
            tx: block.sched.commit_idx(),
            message: "workers stopped before the block was committed".into(),
        });
    }
    report.hinted_estimates = block.predicted_writes();
    let results = block.into_results()?;
    report.gas_used = gas_of(&results);
    report.elapsed = start.elapsed();
    Ok(BlockExecution { results, report })
}

/// Helper threads shared by the block executions of the process that use `threads` workers: the kept pool
/// of `threads - 1` helpers beside the calling thread (see [`kept_pool`]), which can always finish a block
/// alone when the pool is busy.
fn pool(threads: usize) -> Option<&'static rayon::ThreadPool> {
    kept_pool(threads - 1)
}

/// Runs `threads` workers (the calling thread is one) until the block is committed or failed. With
/// `adaptive`, the calling thread starts alone and calls in the helpers once it has worked for
/// `spawn_after` with transactions left (and not in serial mode): a block that is done by then never
/// wakes a helper.
fn spawn_workers(block: &Block<'_>, threads: usize, cfg: &ParallelConfig) -> Vec<ExecReport> {
    let start = Instant::now();
    let delay = if cfg.adaptive {
        cfg.spawn_after
    } else {
        Duration::ZERO
    };
    let Some(pool) = (threads > 1).then(|| pool(threads)).flatten() else {
        return vec![block.run_worker(0, None)];
    };
    let helpers = Mutex::new(Vec::with_capacity(threads - 1));
    let mut caller = ExecReport::default();
    pool.in_place_scope(|s| {
        let spawned = Cell::new(false);
        let tick = || {
            if !spawned.get() && start.elapsed() >= delay && !block.sched.serial() {
                spawned.set(true);
                if !block.sched.done() {
                    for index in 1..threads {
                        let helpers = &helpers;
                        s.spawn(move |_| {
                            let r = block.run_worker(index, None);
                            helpers.lock().push(r);
                        });
                    }
                }
            }
        };
        caller = block.run_worker(0, Some(&tick));
    });
    let mut reports = helpers.into_inner();
    reports.push(caller);
    reports
}
