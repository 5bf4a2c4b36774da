//! `parevm demo`: the main job on a fresh clone, with no data beside the binary. It generates a block
//! (ETH transfers, token transfers, a hot counter, contract creations), runs it through the sequential
//! reference path and through the parallel engine at each thread count, checks every result identical
//! (outcomes and the post-state root), and prints the timings with the engine's report.

#[path = "demo/workload.rs"]
mod workload;

use alloy_primitives::B256;
use anyhow::{bail, Context};
use parevm_evm_core::spec::{fixture_name, spec_from_fixture_name};
use parevm_evm_core::{InvalidTx, TxOutcome};
use parevm_parallel_commit::{
    compare_results, execute_parallel, try_execute_sequential, BlockExecution, ExecReport,
};
use parevm_state::InMemoryState;
use std::time::{Duration, Instant};
use workload::{generate, Mix};

/// Arguments of `parevm demo`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Transactions in the generated block.
    #[arg(long, default_value_t = 20_000)]
    pub txs: usize,
    /// Thread counts to run the parallel engine at (default: 1, 2 and every core of this machine).
    #[arg(long, value_delimiter = ',')]
    pub threads: Vec<usize>,
    /// Share of token transfers, in percent.
    #[arg(long, default_value_t = 40)]
    pub token: u64,
    /// Share of increments of one hot counter (each conflicts with all the others), in percent.
    #[arg(long, default_value_t = 10)]
    pub hot: u64,
    /// Share of contract creations, in percent.
    #[arg(long, default_value_t = 10)]
    pub create: u64,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Fork, as the fixtures name it (Frontier ... Osaka; from Shanghai on: the demo's code uses PUSH0).
    #[arg(long, default_value = "Prague")]
    pub fork: String,
    /// Timed rounds (after one warm-up round); each runs every configuration once, in rotated order, and
    /// the fastest run of each is reported.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
}

type Results = Vec<Result<TxOutcome, InvalidTx>>;
/// A parallel execution and its fastest time.
type Timed = (BlockExecution, Duration);

/// Runs the subcommand; `Ok(false)` when a parallel result differs from the sequential one.
pub fn run(args: Args) -> anyhow::Result<bool> {
    let spec = spec_from_fixture_name(&args.fork)
        .with_context(|| format!("unknown fork `{}`", args.fork))?;
    if !spec.is_enabled_in(parevm_evm_core::SpecId::SHANGHAI) {
        bail!("the demo block uses PUSH0: pick Shanghai or a later fork");
    }
    if args.token + args.hot + args.create > 100 {
        bail!("--token + --hot + --create must be at most 100 (percent)");
    }
    let runs = args.runs.max(1);
    let mut threads = args.threads.clone();
    if threads.is_empty() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        threads = vec![1, 2, cores];
    }
    threads.sort_unstable();
    threads.dedup();
    threads.retain(|&t| t > 0);

    let mix = Mix {
        token: args.token,
        hot: args.hot,
        create: args.create,
    };
    let w = generate(args.txs, mix, args.seed, spec);
    println!(
        "parevm demo: {} transactions on {} (seed {}): {} ETH transfers, {} token transfers, {} hot-counter increments, {} creations",
        w.envs.len(),
        fixture_name(spec),
        args.seed,
        w.counts[0],
        w.counts[1],
        w.counts[2],
        w.counts[3]
    );

    let (seq, seq_time, pars) = time_all(runs, &threads, &w)?;
    let gas: u64 = seq.iter().flatten().map(|o| o.gas_used).sum();
    let failed = seq
        .iter()
        .filter(|r| !matches!(r, Ok(o) if o.status.is_success()))
        .count();
    let seq_root = post_root(&w.state, &seq);
    println!(
        "block gas {:.1} Mgas, {} transactions not successful, post-state root {seq_root}",
        gas as f64 / 1e6,
        failed
    );
    println!();
    println!(
        "{:<12} {:>7} {:>10} {:>9} {:>8}  {:>8} {:>7} {:>7} {:>7}  result",
        "path", "threads", "time", "Mgas/s", "speedup", "mode", "re-exec", "parks", "wasted"
    );
    print_row("sequential", 1, seq_time, seq_time, gas, None);

    let mut all_same = true;
    for (&t, (par, par_time)) in threads.iter().zip(pars) {
        let verdict = compare_results(&seq, &par.results)
            .map_err(|m| m.to_string())
            .and_then(|()| {
                let root = post_root(&w.state, &par.results);
                if root == seq_root {
                    Ok(())
                } else {
                    Err(format!("post-state root {root} differs"))
                }
            });
        print_row(
            "parallel",
            t,
            par_time,
            seq_time,
            gas,
            Some((&par.report, &verdict)),
        );
        all_same &= verdict.is_ok();
    }
    println!();
    if all_same {
        println!(
            "identical: every parallel run matched the sequential outcomes and post-state root ({} thread counts)",
            threads.len()
        );
    } else {
        println!("MISMATCH: a parallel run differed from the sequential reference (see above)");
    }
    Ok(all_same)
}

/// Times the sequential path and the parallel engine at each of `threads`: one untimed warm-up round,
/// then `runs` rounds that each run every configuration once, in an order rotated by one per round, so
/// that no configuration always runs first (cold caches and allocator) or right after the heaviest one.
/// Returns the last results and the fastest time of each.
fn time_all(
    runs: usize,
    threads: &[usize],
    w: &workload::Workload,
) -> anyhow::Result<(Results, Duration, Vec<Timed>)> {
    let configs = threads.len() + 1;
    let mut best = vec![Duration::MAX; configs];
    let mut seq = None;
    let mut pars: Vec<Option<BlockExecution>> = threads.iter().map(|_| None).collect();
    for round in 0..=runs {
        for k in 0..configs {
            let c = (k + round) % configs;
            let start = Instant::now();
            let elapsed = if c == 0 {
                let r = try_execute_sequential(&w.envs, &w.state)?;
                let elapsed = start.elapsed();
                seq = Some(r);
                elapsed
            } else {
                let r = execute_parallel(&w.envs, &w.state, threads[c - 1])?;
                let elapsed = start.elapsed();
                pars[c - 1] = Some(r);
                elapsed
            };
            if round > 0 {
                best[c] = best[c].min(elapsed);
            }
        }
    }
    let seq = seq.context("no sequential run")?;
    let pars = pars
        .into_iter()
        .zip(&best[1..])
        .map(|(p, t)| p.map(|p| (p, *t)).context("no parallel run"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((seq, best[0], pars))
}

/// Prints one table row; `parallel` carries the engine's report and the comparison's verdict.
fn print_row(
    path: &str,
    threads: usize,
    time: Duration,
    seq_time: Duration,
    gas: u64,
    parallel: Option<(&ExecReport, &Result<(), String>)>,
) {
    let secs = time.as_secs_f64().max(1e-9);
    let speedup = seq_time.as_secs_f64() / secs;
    let (mode, re_exec, parks, wasted, verdict) = match parallel {
        None => (
            "-".to_string(),
            "-".to_string(),
            "-".to_string(),
            "-".to_string(),
            "reference".to_string(),
        ),
        Some((r, v)) => (
            match r.mode {
                parevm_parallel_commit::ExecMode::Sequential => "seq".to_string(),
                _ => "par".to_string(),
            },
            r.re_executions.to_string(),
            r.parks.to_string(),
            format!("{:.2}%", 100.0 * r.wasted_gas as f64 / gas.max(1) as f64),
            match v {
                Ok(()) => "identical".to_string(),
                Err(e) => format!("DIFFERS: {e}"),
            },
        ),
    };
    println!(
        "{path:<12} {threads:>7} {:>8.2}ms {:>9.1} {:>7.2}x  {mode:>8} {re_exec:>7} {parks:>7} {wasted:>7}  {verdict}",
        secs * 1e3,
        gas as f64 / 1e6 / secs,
        speedup
    );
}

/// The state root after applying every valid transaction's writes to `pre` in block order.
fn post_root(pre: &InMemoryState, results: &Results) -> B256 {
    let mut state = pre.clone();
    for out in results.iter().flatten() {
        state.apply(&out.writes);
    }
    state.state_root()
}
