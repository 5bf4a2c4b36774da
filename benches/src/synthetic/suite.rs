//! Runs the synthetic suite: build each workload, check the engines against each other, then time parevm
//! sequential, parevm parallel per thread count and revm sequential, taking medians over several runs.

use super::workloads::{build, Workload};
use crate::cpu::process_cpu_time;
use crate::error::BenchError;
use crate::timing::median;
use crate::world::{self, revm_tx};
use parevm_evm_core::{Env, ExecStatus, InvalidTx, TxOutcome};
use parevm_parallel_commit::{execute_parallel, execute_sequential, ExecMode};
use revm::context::result::ExecutionResult;
use revm::database::{CacheDB, EmptyDB};
use revm::ExecuteCommitEvm;
use std::time::{Duration, Instant};

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
}

/// One measured configuration.
#[derive(Clone, Debug)]
pub struct SyntheticRow {
    /// Workload name.
    pub workload: String,
    /// `parevm-seq`, `parevm-par` or `revm-seq`.
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

type Results = Vec<Result<TxOutcome, InvalidTx>>;

/// Checks and times every selected workload, printing progress to stderr.
pub fn run_suite(opts: &SyntheticOptions) -> Result<Vec<SyntheticRow>, BenchError> {
    let mut rows = Vec::new();
    for name in &opts.workloads {
        let w = build(name, opts.scale)?;
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

fn measure(w: &Workload, opts: &SyntheticOptions) -> Result<Vec<SyntheticRow>, BenchError> {
    let envs: Vec<Env> = w.txs.iter().map(|t| w.chain.parevm_env(t)).collect();
    let state = world::parevm_state(&w.accounts);
    let db = world::revm_db(&w.accounts);

    let reference = execute_sequential(&envs, &state);
    let gas = check_all_succeed(w.name, &reference)?;
    for &t in &opts.threads {
        let par = execute_parallel(&envs, &state, t).map_err(|e| BenchError::Rejected {
            engine: "parevm-par",
            case: w.name.into(),
            reason: e.to_string(),
        })?;
        check_equal(w.name, t, &reference, &par.results)?;
    }
    check_revm(w, db.clone(), &reference)?;
    eprintln!(
        "{}: parallel equals sequential at {:?} threads, revm agrees; timing...",
        w.name, opts.threads
    );

    // Configurations: 0 = parevm sequential, 1..=threads.len() = parevm parallel, last = revm sequential.
    // Each round runs them all, in an order rotated by one per round so that no configuration always runs
    // first (cold) or right after the heaviest one; round 0 is an untimed warm-up.
    let configs = opts.threads.len() + 2;
    let mut samples: Vec<Samples> = vec![Samples::default(); configs];
    let mut re_exec = vec![0u64; configs];
    for round in 0..=opts.runs.max(1) as usize {
        for k in 0..configs {
            let c = (k + round) % configs;
            let (wall, cpu) = if c == 0 {
                let (_, wall, cpu) = timed(|| execute_sequential(&envs, &state));
                (wall, cpu)
            } else if c == configs - 1 {
                let fresh = db.clone();
                let (_, wall, cpu) = timed(|| run_revm(w, fresh));
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
    rows.push(row("revm-seq", 1, &samples[configs - 1], 0));
    Ok(rows)
}

#[derive(Clone, Debug, Default)]
struct Samples {
    wall: Vec<Duration>,
    cpu: Vec<Duration>,
}

/// Runs `f`, returning its result, wall time and process CPU time.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration, Duration) {
    let (c0, t0) = (process_cpu_time(), Instant::now());
    let r = std::hint::black_box(f());
    (r, t0.elapsed(), process_cpu_time().saturating_sub(c0))
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

fn check_equal(name: &str, threads: usize, a: &Results, b: &Results) -> Result<(), BenchError> {
    let mismatch = |what: String| BenchError::Mismatch {
        case: format!("{name} at {threads} threads"),
        what,
    };
    if a.len() != b.len() {
        return Err(mismatch(format!(
            "{} results sequentially, {} in parallel",
            a.len(),
            b.len()
        )));
    }
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let same = match (x, y) {
            (Ok(x), Ok(y)) => {
                x.status == y.status
                    && x.gas_used == y.gas_used
                    && x.gas_refunded == y.gas_refunded
                    && x.output == y.output
                    && x.logs == y.logs
                    && x.created_address == y.created_address
                    && x.writes == y.writes
            }
            (Err(x), Err(y)) => x == y,
            _ => false,
        };
        if !same {
            return Err(mismatch(format!(
                "transaction {i} differs from the sequential result"
            )));
        }
    }
    Ok(())
}

/// revm, transaction by transaction, committing into `db`.
fn run_revm(w: &Workload, db: CacheDB<EmptyDB>) -> Result<Vec<ExecutionResult>, BenchError> {
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
