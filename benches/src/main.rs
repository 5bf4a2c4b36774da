//! `parevm-benches`: the benchmark binary. `interp` times our interpreter against revm per contract;
//! `mainnet` and `synthetic` (whole blocks, sequential and parallel) are reserved for the block executor and
//! the parallel engine.

use anyhow::{bail, Context as _};
use clap::{Args, Parser, Subcommand};
use parevm_benches::interp::{run_suite, SuiteOptions};
use parevm_benches::report;
use parevm_benches::timing::TimingPlan;
use std::path::PathBuf;
use std::time::Duration;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// parevm benchmarks.
#[derive(Debug, Parser)]
#[command(name = "parevm-benches", version)]
struct Cli {
    #[command(subcommand)]
    suite: Suite,
}

#[derive(Debug, Subcommand)]
enum Suite {
    /// One transaction per contract: parevm's interpreter against revm, same inputs, same process.
    Interp(InterpArgs),
    /// Recorded mainnet blocks through the block executor, sequential and parallel (not yet available).
    Mainnet(BlockArgs),
    /// Generated blocks (transfers, ERC-20, swaps, dependent chains) on 1..N threads (not yet available).
    Synthetic(BlockArgs),
}

#[derive(Debug, Args)]
struct InterpArgs {
    /// Directory for `interp.csv`.
    #[arg(long, default_value = "target/bench-results")]
    out: PathBuf,
    /// Only contracts whose name contains this.
    #[arg(long)]
    filter: Option<String>,
    /// Minimum timed runs per engine and contract.
    #[arg(long, default_value_t = 7)]
    min_iters: u32,
    /// Time budget per contract in seconds (runs continue past `min_iters` until it is spent).
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
}

#[derive(Debug, Args)]
struct BlockArgs {
    /// Directory for CSV and SVG output.
    #[arg(long, default_value = "target/bench-results")]
    out: PathBuf,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().suite {
        Suite::Interp(args) => interp(args),
        Suite::Mainnet(_) => {
            bail!("the mainnet suite waits for the block executor (parevm-block) bench harness")
        }
        Suite::Synthetic(_) => {
            bail!("the synthetic suite waits for the parallel engine (parevm-parallel-commit)")
        }
    }
}

fn interp(args: InterpArgs) -> anyhow::Result<()> {
    if !(args.seconds.is_finite() && args.seconds >= 0.0) {
        bail!(
            "--seconds must be a non-negative number, got {}",
            args.seconds
        );
    }
    let plan = TimingPlan {
        min_iters: args.min_iters.max(1),
        target: Duration::from_secs_f64(args.seconds),
        ..TimingPlan::default()
    };
    let rows = run_suite(&SuiteOptions {
        filter: args.filter,
        plan,
    })
    .context("interp suite")?;
    print!("{}", report::interp_table(&rows));
    report::write(&args.out, "interp.csv", &report::interp_csv(&rows))?;
    eprintln!("wrote {}", args.out.join("interp.csv").display());
    Ok(())
}
