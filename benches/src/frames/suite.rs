//! Runs the `frames` suite: each block checked (the split path equal to the one-thread path, the parallel
//! engine equal to the sequential one, revm agreeing on gas and success), then parevm sequential on one
//! thread, parevm at N threads (the parallel engine, with heavy precompiles allowed N threads) and revm,
//! timed in rotated rounds; medians reported.

use super::workloads::build;
use crate::check::check_equal;
use crate::error::BenchError;
use crate::synthetic::suite::{check, prepare, run_revm, Prepared};
use crate::timing::{median, timed};
use parevm_evm_core::{frame_mode, precompile_split};
use parevm_parallel_commit::{execute_parallel, execute_sequential};
use std::time::Duration;

/// What to run.
#[derive(Clone, Debug)]
pub struct FramesOptions {
    /// Workload names (see [`super::NAMES`]).
    pub workloads: Vec<String>,
    /// Thread counts for the parallel configuration (the sequential one runs on 1).
    pub threads: Vec<usize>,
    /// Timed runs per configuration (the median is reported).
    pub runs: u32,
}

/// One measured configuration.
#[derive(Clone, Debug)]
pub struct FramesRow {
    /// Workload name.
    pub workload: String,
    /// `parevm-seq`, `parevm-par` or `revm-seq`.
    pub engine: &'static str,
    /// Threads (1 for the sequential engines).
    pub threads: usize,
    /// Gas used by the block.
    pub gas: u64,
    /// Median wall time.
    pub wall: Duration,
    /// Median process CPU time.
    pub cpu: Duration,
    /// parevm sequential wall time over this row's.
    pub speedup: f64,
}

/// Checks and times every selected workload.
pub fn run_suite(opts: &FramesOptions) -> Result<Vec<FramesRow>, BenchError> {
    if !precompile_split::install() {
        return Err(BenchError::Setup {
            case: "frames".into(),
            reason: "another cryptography provider was installed before the split one".into(),
        });
    }
    let mut rows = Vec::new();
    for name in &opts.workloads {
        let w = build(name)?;
        let p = prepare(&w);
        let gas = check_split(&w, &p, &opts.threads)?;
        eprintln!(
            "{}: split equals one thread, parallel equals sequential at {:?} threads, revm agrees; timing...",
            w.name, opts.threads
        );
        let split_before = precompile_split::split_calls();
        frame_mode::reset_stats();
        rows.extend(measure(&w, &p, gas, opts));
        let f = frame_mode::stats();
        eprintln!(
            "{}: precompile calls split across threads while timing: {}; helper frames run {}, applied {}, \
             discarded {} ({} gas wasted)",
            w.name,
            precompile_split::split_calls() - split_before,
            f.run,
            f.applied,
            f.discarded,
            f.wasted_gas
        );
    }
    precompile_split::set_threads(1);
    Ok(rows)
}

/// The one-thread results are the reference; at each thread count the split sequential and parallel
/// results must equal them, and revm must agree. Returns the block's gas.
fn check_split(
    w: &crate::synthetic::workloads::Workload,
    p: &Prepared,
    threads: &[usize],
) -> Result<u64, BenchError> {
    precompile_split::set_threads(1);
    let reference = execute_sequential(&p.envs, &p.state);
    let mut gas = 0;
    for &t in threads {
        precompile_split::set_threads(t);
        gas = check(w, p, &[t])?;
        check_equal(
            w.name,
            t,
            &reference,
            &execute_sequential(&p.envs, &p.state),
        )?;
    }
    precompile_split::set_threads(1);
    Ok(gas)
}

fn measure(
    w: &crate::synthetic::workloads::Workload,
    p: &Prepared,
    gas: u64,
    opts: &FramesOptions,
) -> Vec<FramesRow> {
    // 0 = parevm sequential on one thread, 1..=threads.len() = parallel, last = revm; rotated per round,
    // round 0 untimed.
    let configs = opts.threads.len() + 2;
    let mut wall = vec![Vec::new(); configs];
    let mut cpu = vec![Vec::new(); configs];
    for round in 0..=opts.runs.max(1) as usize {
        for k in 0..configs {
            let c = (k + round) % configs;
            let (w_, c_) = if c == 0 {
                precompile_split::set_threads(1);
                let (_, a, b) = timed(|| execute_sequential(&p.envs, &p.state));
                (a, b)
            } else if c == configs - 1 {
                // revm as revm is: its precompiles on one thread (the provider is process-wide).
                precompile_split::set_threads(1);
                let fresh = p.db.clone();
                let (_, a, b) = timed(|| run_revm(w, fresh));
                (a, b)
            } else {
                let t = opts.threads[c - 1];
                precompile_split::set_threads(t);
                let (_, a, b) = timed(|| execute_parallel(&p.envs, &p.state, t));
                (a, b)
            };
            if round > 0 {
                wall[c].push(w_);
                cpu[c].push(c_);
            }
        }
    }
    precompile_split::set_threads(1);
    let base = median(&wall[0]).as_secs_f64();
    let row = |engine, threads, c: usize| FramesRow {
        workload: w.name.to_string(),
        engine,
        threads,
        gas,
        wall: median(&wall[c]),
        cpu: median(&cpu[c]),
        speedup: base / median(&wall[c]).as_secs_f64(),
    };
    let mut rows = vec![row("parevm-seq", 1, 0)];
    for (i, &t) in opts.threads.iter().enumerate() {
        rows.push(row("parevm-par", t, i + 1));
    }
    rows.push(row("revm-seq", 1, configs - 1));
    rows
}

/// The rows as a text table.
pub fn table(rows: &[FramesRow]) -> String {
    let mut s = format!(
        "{:<22} {:<11} {:>7} {:>10} {:>10} {:>10} {:>8}\n",
        "workload", "engine", "threads", "gas", "wall ms", "cpu ms", "vs seq"
    );
    for r in rows {
        s += &format!(
            "{:<22} {:<11} {:>7} {:>10} {:>10.3} {:>10.3} {:>7.2}x\n",
            r.workload,
            r.engine,
            r.threads,
            r.gas,
            r.wall.as_secs_f64() * 1e3,
            r.cpu.as_secs_f64() * 1e3,
            r.speedup
        );
    }
    s
}
