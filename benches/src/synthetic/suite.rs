//! Runs the synthetic suite: build each workload, check the engines against each other, then time parevm
//! sequential, parevm parallel per thread count and revm sequential, taking medians over several runs.

use super::workloads::{build, with_absent_coinbase, Workload};
use crate::check::{check_equal, check_in_place, run_in_place, Results};
use crate::error::BenchError;
use crate::timing::{median, timed};
use crate::world::{self, revm_tx};
use parevm_evm_core::{Env, ExecStatus};
use parevm_parallel_commit::{execute_parallel, execute_sequential, ExecMode};
use parevm_state::InMemoryState;
use revm::context::result::ExecutionResult;
use revm::database::{CacheDB, EmptyDB};
use revm::ExecuteCommitEvm;
use std::time::Duration;

/// What to run.
#[derive(Clone, Debug)]
pub struct SyntheticOptions {
    /// Workload names (see [`super::NAMES`]).
    pub workloads: Vec<String>,
    /// Size factor: 1.0 is about one gigagas for pevm's blocks.
    pub scale: f64,
    /// Thread counts for the parallel engine.
    pub threads: Vec<usize>,
    /// Timed runs per configuration (the median is reported).
    pub runs: u32,
    /// Move each block's fee recipient to an address absent from its pre-state
    /// ([`super::workloads::ABSENT_COINBASE`]).
    pub absent_coinbase: bool,
}

/// One measured configuration.
#[derive(Clone, Debug)]
pub struct SyntheticRow {
    /// Workload name.
    pub workload: String,
    /// `parevm-seq`, `parevm-par`, `parevm-import` (the in-place path: no overlay, no read sets) or
    /// `revm-seq`.
    pub engine: &'static str,
    /// Worker threads (1 for sequential engines).
    pub threads: usize,
    /// Transactions in the block.
    pub txs: usize,
    /// Gas used by the block.
    pub gas: u64,
    /// Median wall time.
    pub wall: Duration,
    /// Median process CPU time (all threads).
    pub cpu: Duration,
    /// parevm sequential wall time over this row's wall time.
    pub speedup: f64,
    /// Re-executions in the last timed run (parallel only).
    pub re_executions: u64,
}

impl SyntheticRow {
    /// Throughput in millions of gas per second.
    pub fn mgas_per_s(&self) -> f64 {
        self.gas as f64 / self.wall.as_secs_f64() / 1e6
    }
}

/// Checks and times every selected workload, printing progress to stderr.
pub fn run_suite(opts: &SyntheticOptions) -> Result<Vec<SyntheticRow>, BenchError> {
    let mut rows = Vec::new();
    for name in &opts.workloads {
        let mut w = build(name, opts.scale)?;
        if opts.absent_coinbase {
            w = with_absent_coinbase(w);
        }
        eprintln!(
            "{}: {} transactions, {} accounts; checking...",
            w.name,
            w.txs.len(),
            w.accounts.len()
        );
        rows.extend(measure(&w, opts)?);
    }
    Ok(rows)
}

/// A workload ready for all three engines: parevm's environments and state, revm's database.
pub struct Prepared {
    /// One environment per transaction.
    pub envs: Vec<Env>,
    /// parevm's pre-state.
    pub state: InMemoryState,
    /// revm's pre-state (clone it for each run: revm commits into it).
    pub db: CacheDB<EmptyDB>,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("txs", &self.envs.len())
            .finish()
    }
}

/// Converts `w` for the engines.
pub fn prepare(w: &Workload) -> Prepared {
    Prepared {
        envs: w.txs.iter().map(|t| w.chain.parevm_env(t)).collect(),
        state: world::parevm_state(&w.accounts),
        db: world::revm_db(&w.accounts),
    }
}

/// The checks before timing: every transaction succeeds sequentially, the parallel engine equals the
/// sequential path at each of `threads`, so does the in-place path, and revm agrees on each
/// transaction's gas and success. Returns the block's gas.
pub fn check(w: &Workload, p: &Prepared, threads: &[usize]) -> Result<u64, BenchError> {
    let reference = execute_sequential(&p.envs, &p.state);
    let gas = check_all_succeed(w.name, &reference)?;
    for &t in threads {
        let par = execute_parallel(&p.envs, &p.state, t).map_err(|e| BenchError::Rejected {
            engine: "parevm-par",
            case: w.name.into(),
            reason: e.to_string(),
        })?;
        check_equal(w.name, t, &reference, &par.results)?;
    }
    check_in_place(w.name, &p.envs, &p.state, &reference)?;
    check_revm(w, p.db.clone(), &reference)?;
    Ok(gas)
}

fn measure(w: &Workload, opts: &SyntheticOptions) -> Result<Vec<SyntheticRow>, BenchError> {
    let p = prepare(w);
    let gas = check(w, &p, &opts.threads)?;
    let Prepared { envs, state, db } = p;
    eprintln!(
        "{}: parallel equals sequential at {:?} threads, revm agrees; timing...",
        w.name, opts.threads
    );

    // Configurations: 0 = parevm sequential, 1..=threads.len() = parevm parallel, then parevm's in-place
    // import path (no overlay, no read sets, on a fresh copy of the state as revm gets one), last = revm
    // sequential. Each round runs them all, in an order rotated by one per round so that no configuration
    // always runs first (cold) or right after the heaviest one; round 0 is an untimed warm-up.
    let configs = opts.threads.len() + 3;
    let import = configs - 2;
    let mut samples: Vec<Samples> = vec![Samples::default(); configs];
    let mut re_exec = vec![0u64; configs];
    let mut probes = Vec::with_capacity(opts.runs as usize);
    for round in 0..=opts.runs.max(1) as usize {
        if round > 0 {
            probes.push(crate::core_latency::probe());
        }
        for k in 0..configs {
            let c = (k + round) % configs;
            let (wall, cpu) = if c == 0 {
                let (_, wall, cpu) = timed(|| execute_sequential(&envs, &state));
                (wall, cpu)
            } else if c == configs - 1 {
                let fresh = db.clone();
                let (_, wall, cpu) = timed(|| run_revm(w, fresh));
                (wall, cpu)
            } else if c == import {
                let mut fresh = state.clone();
                let (r, wall, cpu) = timed(|| run_in_place(&envs, &mut fresh, w.name));
                r?;
                (wall, cpu)
            } else {
                let (r, wall, cpu) = timed(|| execute_parallel(&envs, &state, opts.threads[c - 1]));
                if let Ok(r) = r {
                    let parallel = matches!(r.report.mode, ExecMode::Parallel { .. });
                    re_exec[c] = if parallel { r.report.re_executions } else { 0 };
                }
                (wall, cpu)
            };
            if round > 0 {
                samples[c].wall.push(wall);
                samples[c].cpu.push(cpu);
            }
        }
    }
    let rt: Vec<f64> = probes.iter().map(|d| d.as_secs_f64() * 1e9).collect();
    if let Some(rt) = crate::core_latency::spread(&rt) {
        eprintln!("{}: inter-core round trip between rounds: {rt}", w.name);
    }
    let seq = &samples[0];
    let base = median(&seq.wall);
    let row = |engine, threads, s: &Samples, re_executions| SyntheticRow {
        workload: w.name.to_string(),
        engine,
        threads,
        txs: w.txs.len(),
        gas,
        wall: median(&s.wall),
        cpu: median(&s.cpu),
        speedup: base.as_secs_f64() / median(&s.wall).as_secs_f64(),
        re_executions,
    };
    let mut rows = vec![row("parevm-seq", 1, seq, 0)];
    for (i, &t) in opts.threads.iter().enumerate() {
        rows.push(row("parevm-par", t, &samples[i + 1], re_exec[i + 1]));
    }
    rows.push(row("parevm-import", 1, &samples[import], 0));
    rows.push(row("revm-seq", 1, &samples[configs - 1], 0));
    Ok(rows)
}

#[derive(Clone, Debug, Default)]
struct Samples {
    wall: Vec<Duration>,
    cpu: Vec<Duration>,
}

/// Every transaction valid and successful (the workloads are built to succeed); returns the block's gas.
fn check_all_succeed(name: &str, results: &Results) -> Result<u64, BenchError> {
    let mut gas = 0;
    for (i, r) in results.iter().enumerate() {
        let setup = |reason: String| BenchError::Setup {
            case: name.into(),
            reason,
        };
        match r {
            Err(e) => return Err(setup(format!("transaction {i} is invalid: {e}"))),
            Ok(out) if out.status != ExecStatus::Success => {
                return Err(setup(format!("transaction {i} ended {:?}", out.status)));
            }
            Ok(out) => gas += out.gas_used,
        }
    }
    Ok(gas)
}

/// revm, transaction by transaction, committing into `db`.
pub fn run_revm(w: &Workload, db: CacheDB<EmptyDB>) -> Result<Vec<ExecutionResult>, BenchError> {
    let mut evm = w.chain.revm_evm(db);
    w.txs
        .iter()
        .map(|t| {
            evm.transact_commit(revm_tx(t))
                .map_err(|e| BenchError::Rejected {
                    engine: "revm",
                    case: w.name.into(),
                    reason: e.to_string(),
                })
        })
        .collect()
}

fn check_revm(w: &Workload, db: CacheDB<EmptyDB>, reference: &Results) -> Result<(), BenchError> {
    let results = run_revm(w, db)?;
    for (i, (r, ours)) in results.iter().zip(reference).enumerate() {
        let ours_gas = ours.as_ref().map(|o| o.gas_used).unwrap_or_default();
        if r.tx_gas_used() != ours_gas || !r.is_success() {
            let what = format!(
                "transaction {i}: revm gas {} success {}, parevm gas {ours_gas}",
                r.tx_gas_used(),
                r.is_success()
            );
            return Err(BenchError::Mismatch {
                case: w.name.into(),
                what,
            });
        }
    }
    Ok(())
}
