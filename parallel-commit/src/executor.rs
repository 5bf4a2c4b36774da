//! Entry points: [`execute_parallel`] and [`execute_parallel_with`] decide between the sequential path and
//! the parallel one, start the workers, and gather the committed results in block order.

use crate::config::ParallelConfig;
use crate::error::ParallelError;
use crate::report::{ExecMode, ExecReport};
use crate::sequential::try_execute_sequential;
use crate::worker::{Block, CommitFilter};
use crate::writes::predicted_estimates;
use parevm_evm_core::{Env, InvalidTx, StateView, TxOutcome};
use std::time::Instant;

/// Stack size of spawned workers (a reservation; pages are touched only when used).
const WORKER_STACK: usize = 8 << 20;

/// The result of executing a block: one entry per transaction, in block order, identical to
/// [`crate::execute_sequential`], and what it cost.
#[derive(Debug)]
pub struct BlockExecution {
    /// Per transaction: its outcome, or why it is invalid (an invalid transaction writes nothing).
    pub results: Vec<Result<TxOutcome, InvalidTx>>,
    /// Counters of the execution.
    pub report: ExecReport,
}

/// Executes `envs` over `base` on `threads` workers with the default configuration (adaptive thresholds,
/// parking, hints; chaos mode when the `PAREVM_CHAOS` environment variable holds a seed).
pub fn execute_parallel(
    envs: &[Env],
    base: &(dyn StateView + Sync),
    threads: usize,
) -> Result<BlockExecution, ParallelError> {
    execute_parallel_with(
        envs,
        base,
        &ParallelConfig::new(threads).with_env_overrides(),
    )
}

/// Executes `envs` over `base` as configured by `cfg`.
pub fn execute_parallel_with(
    envs: &[Env],
    base: &(dyn StateView + Sync),
    cfg: &ParallelConfig,
) -> Result<BlockExecution, ParallelError> {
    run(envs, base, cfg, None)
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
        let results = try_execute_sequential(envs, base)?;
        let report = ExecReport {
            mode: ExecMode::Sequential,
            txs: envs.len(),
            executions: envs.len() as u64,
            elapsed: start.elapsed(),
            ..Default::default()
        };
        return Ok(BlockExecution { results, report });
    }
    let threads = cfg.threads.clamp(1, envs.len().max(1));
    let block = Block::new(envs, base, cfg, filter);
    let mut report = ExecReport {
        mode: ExecMode::Parallel { threads },
        txs: envs.len(),
        ..Default::default()
    };
    if cfg.hints {
        report.hinted_estimates = block.seed_hints(predicted_estimates(envs));
    }
    if !envs.is_empty() {
        let reports = spawn_workers(&block, threads);
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
    let results = block.into_results()?;
    report.elapsed = start.elapsed();
    Ok(BlockExecution { results, report })
}

/// Runs `threads` workers (the calling thread is one) until the block is committed or failed.
fn spawn_workers(block: &Block<'_>, threads: usize) -> Vec<ExecReport> {
    std::thread::scope(|s| {
        let mut handles = Vec::with_capacity(threads.saturating_sub(1));
        for w in 1..threads {
            let spawned = std::thread::Builder::new()
                .name(format!("parevm-worker-{w}"))
                // The interpreter does not recurse, but precompiles and deep frame stacks get the same
                // room as a main thread.
                .stack_size(WORKER_STACK)
                .spawn_scoped(s, || block.run_worker());
            match spawned {
                Ok(h) => handles.push(h),
                // Fewer workers are still correct: carry on with the ones we have.
                Err(_) => break,
            }
        }
        let mut reports = vec![block.run_worker()];
        // `run_worker` catches panics itself, so a join error cannot happen; count it as empty work.
        reports.extend(handles.into_iter().filter_map(|h| h.join().ok()));
        reports
    })
}
