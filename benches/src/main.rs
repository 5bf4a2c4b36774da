//! `parevm-benches`: the benchmark binary. `interp` times our interpreter against revm per contract;
//! `synthetic` times generated blocks sequentially and in parallel; `mainnet` times the recorded mainnet
//! blocks: parevm sequential, parevm parallel per thread count, revm; `chain` the persistent store;
//! `newpayload` the Engine API latency of `parevm node` (p50 / p99 per block).
#![deny(unsafe_code)]

use anyhow::{bail, Context as _};
use clap::{Args, Parser, Subcommand};
use parevm_benches::interp::{run_suite, SuiteOptions};
use parevm_benches::mainnet::{self, MainnetOptions};
use parevm_benches::report;
use parevm_benches::synthetic::{self, SyntheticOptions};
use parevm_benches::timing::TimingPlan;
use std::path::PathBuf;
use std::time::Duration;

/// The process allocator (kept here, per binary: see `parevm-alloc`); `main` sets its options first.
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
    /// Recorded mainnet blocks: parevm sequential and parallel per thread count, revm sequential.
    Mainnet(MainnetArgs),
    /// Recorded mainnet blocks: the transaction-level limit of each on P threads (critical path of its
    /// read-after-write dependencies, each transaction timed alone on the sequential path).
    Limits(LimitsArgs),
    /// Generated blocks (transfers, ERC-20, swaps, a dependent chain, a hot mix) on 1..N threads.
    Synthetic(SyntheticArgs),
    /// Blocks of one heavy transaction whose work is inside its call frames (a pairing verifier, a
    /// Multicall3 batch): parevm on one thread, at N threads, and revm.
    Frames(FramesArgs),
    /// The persistent chain: execution, incremental root and commit per block on generated states of
    /// N accounts (redb file), beside execution of the same blocks in memory.
    Chain(ChainArgs),
    /// Engine API latency of `parevm node`: newPayload + the forkchoice update that makes the block the
    /// head (execution, state root, commit; made durable behind the answer as `parevm node` does, or
    /// before it with `--durable-every 1`) for generated OP blocks on 1 and 2 threads, p50/p99; and the
    /// kona fixture blocks on their witness.
    Newpayload(NewpayloadArgs),
    /// One engine only, in a loop, for instruction-count profilers (`valgrind --tool=callgrind`): an
    /// interp case (`--case`) or a synthetic block (`--workload`). Nothing is timed.
    Profile(ProfileArgs),
}

#[derive(Debug, Args)]
struct LimitsArgs {
    /// Block numbers (all of the set when none).
    #[arg(long, value_delimiter = ',')]
    blocks: Vec<u64>,
    /// Thread counts the limit is given for.
    #[arg(long, value_delimiter = ',', default_value = "2,4,8")]
    threads: Vec<usize>,
    /// Passes over each block; each transaction's time is its minimum.
    #[arg(long, default_value_t = 5)]
    runs: u32,
}

#[derive(Debug, Args)]
struct ProfileArgs {
    /// Interp case name (exact).
    #[arg(long, conflicts_with = "workload")]
    case: Option<String>,
    /// Synthetic workload name.
    #[arg(long, conflicts_with = "block")]
    workload: Option<String>,
    /// Recorded mainnet block number (from the `mainnet` suite's set, `$PAREVM_BLOCKS` or the default).
    #[arg(long, conflicts_with = "case")]
    block: Option<u64>,
    /// Synthetic block size factor.
    #[arg(long, default_value_t = 0.1)]
    scale: f64,
    /// The synthetic block's fee recipient is absent from its pre-state (its first fee credit creates it).
    #[arg(long, requires = "workload")]
    absent_coinbase: bool,
    /// `ours`, `revm`, `import` (parevm's in-place path, workloads only) or `par:N` (parevm's parallel
    /// engine on N threads, workloads only).
    #[arg(long, default_value = "ours")]
    engine: String,
    /// Iterations.
    #[arg(long, default_value_t = 1)]
    iters: u32,
}

#[derive(Debug, Args)]
struct ChainArgs {
    /// Directory for `chain.csv`.
    #[arg(long, default_value = "target/bench-results")]
    out: PathBuf,
    /// Where the datadirs are created (emptied first).
    #[arg(long, default_value = "target/bench-chain")]
    dir: PathBuf,
    /// State sizes in accounts (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "100000,1000000")]
    accounts: Vec<usize>,
    /// ERC-20 tokens in the state.
    #[arg(long, default_value_t = 200)]
    tokens: usize,
    /// Holders per token (storage slots of each token).
    #[arg(long, default_value_t = 2000)]
    holders: usize,
    /// Blocks per state size.
    #[arg(long, default_value_t = 5)]
    blocks: usize,
    /// Token transfers per block (about 50k gas each: 700 is a 35 Mgas, mainnet-sized block).
    #[arg(long, default_value_t = 700)]
    txs: usize,
    /// Executor threads (1: sequential).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Commits per durable commit (1: every block durable before its commit returns; 0: every block made
    /// durable by a background thread right after its commit returns, as `parevm node` runs by default).
    #[arg(long, default_value_t = 1)]
    durable_every: u32,
    /// Longest time in milliseconds between durable commits (with `--durable-every` above 1, or
    /// `--memory-blocks`).
    #[arg(long, default_value_t = 1000)]
    durable_ms: u64,
    /// Hold the latest blocks in memory over the redb file, make them durable every `--durable-ms` (in the
    /// layer's journal) and write them to their tables this many blocks at a time, on a background thread,
    /// as `parevm import --durable-every` does (0: off, every block is one redb transaction as
    /// `--durable-every` says).
    #[arg(long, default_value_t = 0)]
    memory_blocks: u32,
    /// Keep the whole store in memory (persistent maps, no file): the floor of root + commit with every
    /// read served from memory.
    #[arg(long)]
    memory_store: bool,
    /// Then unwind the store to genesis and replay the same blocks pipelined as `parevm import` runs them
    /// (block N+1 executes on N's overlay while N's root and commit run on a second thread), and report
    /// the wall time the store adds to in-memory execution.
    #[arg(long)]
    pipeline: bool,
    /// Recompute each block's root this many times more after flushing the store and report the minimum
    /// wall and CPU time per block (root figures that hold on a loaded machine; the other columns then
    /// include the flushes).
    #[arg(long, default_value_t = 0)]
    root_repeats: usize,
}

#[derive(Debug, Args)]
struct NewpayloadArgs {
    /// Directory for `newpayload.csv`.
    #[arg(long, default_value = "target/bench-results")]
    out: PathBuf,
    /// Where the datadirs are created (emptied first, removed after).
    #[arg(long, default_value = "target/bench-newpayload")]
    dir: PathBuf,
    /// Workloads of the generated blocks (comma-separated): transfers, erc20, mix; `none` for none.
    #[arg(long, value_delimiter = ',', default_value = "transfers,erc20,mix")]
    workloads: Vec<String>,
    /// Block gas limits (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "30000000,100000000")]
    gas: Vec<u64>,
    /// Blocks per workload and gas limit.
    #[arg(long, default_value_t = 25)]
    blocks: usize,
    /// Executor thread counts (comma-separated; 1 is the sequential path, as `parevm node --threads 1`).
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    threads: Vec<usize>,
    /// Funded filler accounts of the genesis.
    #[arg(long, default_value_t = 100_000)]
    accounts: usize,
    /// ERC-20 tokens in the genesis.
    #[arg(long, default_value_t = 50)]
    tokens: usize,
    /// Filler holders per token (storage slots of each token).
    #[arg(long, default_value_t = 2_000)]
    holders: usize,
    /// Timed runs per kona fixture block and thread count (0 leaves them out).
    #[arg(long, default_value_t = 20)]
    kona_runs: usize,
    /// Untimed wait in milliseconds after each replayed block, as a chain's block time leaves the node
    /// (reth-bench's `--wait-time`); 0: blocks back to back.
    #[arg(long, default_value_t = 0)]
    gap_ms: u64,
    /// Commits per durable commit (0, the default, as `parevm node` runs: every block made durable by a
    /// background thread right after its commit returns; 1: every block durable before the answer).
    #[arg(long, default_value_t = 0)]
    durable_every: u32,
    /// Longest time in milliseconds between durable commits (with `--durable-every` above 1).
    #[arg(long, default_value_t = 1000)]
    durable_ms: u64,
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
    /// Also run the extra loops (warm storage, keccak chain, ecrecover calls); they are left out of the
    /// default set so that its geometric mean stays comparable between runs.
    #[arg(long)]
    extra: bool,
}

#[derive(Debug, Args)]
struct MainnetArgs {
    /// Directory for `mainnet.csv` and `mainnet.svg`.
    #[arg(long, default_value = "target/bench-results")]
    out: PathBuf,
    /// The block set (or one block folder); default `$PAREVM_BLOCKS`, else `target/blocks/mainnet`
    /// (unpacked from `../shared/blocks` on first use).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Only these block numbers (comma-separated).
    #[arg(long, value_delimiter = ',')]
    blocks: Vec<u64>,
    /// Thread counts (comma-separated); default 1, 2, 4, ... up to the available parallelism.
    #[arg(long, value_delimiter = ',')]
    threads: Vec<usize>,
    /// Timed runs per configuration and block, at least (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: u32,
    /// Keep timing a block until it has taken this many seconds (all configurations together), up to
    /// 1,000 rounds: small blocks get more samples.
    #[arg(long, default_value_t = 0.5)]
    seconds: f64,
    /// Shorthand for `--runs 1 --seconds 0` (one warm-up and one timed round): a smoke run.
    #[arg(long)]
    quick: bool,
}

#[derive(Debug, Args)]
struct SyntheticArgs {
    /// Directory for `synthetic.csv` and `synthetic.svg`.
    #[arg(long, default_value = "target/bench-results")]
    out: PathBuf,
    /// Workloads to run (comma-separated): raw_transfers, erc20, uniswap, dependent_chain, hot_mix.
    #[arg(long, value_delimiter = ',')]
    workloads: Vec<String>,
    /// Block size factor: 1.0 is about one gigagas for pevm's blocks.
    #[arg(long, default_value_t = 0.1)]
    scale: f64,
    /// Thread counts (comma-separated); default 1, 2, 4, ... up to the available parallelism.
    #[arg(long, value_delimiter = ',')]
    threads: Vec<usize>,
    /// Timed runs per configuration (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: u32,
    /// Each block's fee recipient is absent from its pre-state (its first fee credit creates it).
    #[arg(long)]
    absent_coinbase: bool,
}

#[derive(Debug, Args)]
struct FramesArgs {
    /// Workloads to run (comma-separated): pairing_verifier_4, pairing_verifier_16, bls_g1_msm_64,
    /// multicall3_erc20, bundle_4337 (the default: all five), and multicall3_floor (Multicall3's batch with
    /// targets that only return `true`: its top frame's share).
    #[arg(long, value_delimiter = ',')]
    workloads: Vec<String>,
    /// Thread counts of the parallel configuration (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "2")]
    threads: Vec<usize>,
    /// Timed runs per configuration (the median is reported).
    #[arg(long, default_value_t = 21)]
    runs: u32,
}

fn main() -> anyhow::Result<()> {
    parevm_alloc::keep_freed_memory();
    match Cli::parse().suite {
        Suite::Frames(args) => frames(args),
        Suite::Interp(args) => interp(args),
        Suite::Mainnet(args) => mainnet(args),
        Suite::Synthetic(args) => synthetic(args),
        Suite::Chain(args) => chain(args),
        Suite::Profile(args) => profile(args),
        Suite::Limits(args) => limits(args),
        Suite::Newpayload(args) => newpayload(args),
    }
}

fn limits(args: LimitsArgs) -> anyhow::Result<()> {
    if args.threads.contains(&0) {
        bail!("--threads must be positive");
    }
    let dir = mainnet::block::default_dir().context("locating the mainnet blocks")?;
    let rows = parevm_benches::limits::mainnet_limits(&dir, &args.blocks, args.runs)?;
    print!(
        "{:>9} {:>5} {:>9} {:>9} {:>6} {:>6}",
        "block", "txs", "total ms", "cp ms", "cp txs", "dep"
    );
    for t in &args.threads {
        print!(" {:>6}", format!("P={t}"));
    }
    println!();
    for r in &rows {
        print!(
            "{:>9} {:>5} {:>9.3} {:>9.3} {:>6} {:>6}",
            r.number, r.txs, r.total_ms, r.critical_ms, r.critical_txs, r.dependent_txs
        );
        for t in &args.threads {
            print!(" {:>6.2}", r.limit(*t));
        }
        println!();
    }
    print!("aggregate (sum of totals / sum of bounds)");
    for t in &args.threads {
        match parevm_benches::limits::aggregate(&rows, *t) {
            Some(a) => print!("  P={t}: {a:.2}"),
            None => print!("  P={t}: -"),
        }
    }
    println!();
    Ok(())
}

fn profile(args: ProfileArgs) -> anyhow::Result<()> {
    use parevm_benches::profile::{self, ProfileEngine};
    let engine = match args.engine.as_str() {
        "ours" => ProfileEngine::Ours,
        "revm" => ProfileEngine::Revm,
        "import" => ProfileEngine::Import,
        other => match other.strip_prefix("par:").map(str::parse::<usize>) {
            Some(Ok(t)) if t > 0 => ProfileEngine::Parallel(t),
            _ => bail!("--engine must be ours, revm, import or par:N, got {other}"),
        },
    };
    match (args.case, args.workload, args.block) {
        (Some(case), _, _) => profile::interp(&case, engine, args.iters)?,
        (None, Some(w), _) => {
            profile::synthetic(&w, args.scale, args.absent_coinbase, engine, args.iters)?
        }
        (None, None, Some(n)) => {
            let dir = mainnet::block::default_dir().context("locating the mainnet blocks")?;
            profile::mainnet(&dir, n, engine, args.iters)?
        }
        (None, None, None) => bail!("give --case, --workload or --block"),
    }
    Ok(())
}

/// The store's durability policy from the `--durable-every` and `--durable-ms` flags.
fn durability(every: u32, ms: u64) -> parevm_storage::Durability {
    if every == 0 {
        return parevm_storage::Durability::BEHIND;
    }
    if every == 1 {
        return parevm_storage::Durability::EVERY_COMMIT;
    }
    parevm_storage::Durability {
        max_commits: every,
        max_delay: std::time::Duration::from_millis(ms),
    }
}

fn chain(args: ChainArgs) -> anyhow::Result<()> {
    use parevm_benches::chain::{run_suite, suite, ChainBenchOptions};
    let opts = ChainBenchOptions {
        accounts: args.accounts,
        tokens: args.tokens.max(1),
        holders: args.holders,
        blocks: args.blocks.max(1),
        txs: args.txs.max(1),
        threads: args.threads.max(1),
        dir: args.dir,
        durability: durability(args.durable_every, args.durable_ms),
        memory_store: args.memory_store,
        pipeline: args.pipeline,
        root_repeats: args.root_repeats,
        layer: (args.memory_blocks > 0).then(|| {
            parevm_storage::FlushPolicy::every(
                args.memory_blocks,
                std::time::Duration::from_millis(args.durable_ms),
            )
        }),
    };
    let rows = run_suite(&opts, &mut |r| {
        eprint!(
            "{}",
            suite::table(std::slice::from_ref(r))
                .lines()
                .nth(1)
                .unwrap_or("")
                .to_owned()
                + "\n"
        )
    })
    .context("chain suite")?;
    print!("{}", suite::table(&rows));
    report::write(&args.out, "chain.csv", &suite::csv(&rows))?;
    eprintln!("wrote {}", args.out.join("chain.csv").display());
    Ok(())
}

fn newpayload(args: NewpayloadArgs) -> anyhow::Result<()> {
    use parevm_benches::newpayload::{report as np, run_suite, world::Workload, NewPayloadOptions};
    let workloads = args
        .workloads
        .iter()
        .filter(|w| w.as_str() != "none")
        .map(|w| Workload::parse(w).with_context(|| format!("unknown workload {w}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if args.threads.contains(&0) || args.threads.is_empty() {
        bail!("--threads must be positive");
    }
    if args.gas.iter().any(|g| *g < 2_000_000) {
        bail!("--gas limits must be at least 2,000,000 (the L1-info deposit takes 1,000,000)");
    }
    let kona_dir = if args.kona_runs > 0 {
        Some(
            parevm_conformance::unpack::op_dir()
                .context("unpacking the OP fixtures")?
                .join("kona-executor-fixtures"),
        )
    } else {
        None
    };
    let opts = NewPayloadOptions {
        workloads,
        gas_limits: args.gas,
        blocks: args.blocks.max(1),
        threads: args.threads,
        accounts: args.accounts.max(1),
        tokens: args.tokens.max(1),
        holders: args.holders,
        kona_runs: args.kona_runs,
        gap: std::time::Duration::from_millis(args.gap_ms),
        kona_dir,
        dir: args.dir,
        durability: parevm_node::NodeDurability {
            every: args.durable_every,
            max_delay: std::time::Duration::from_millis(args.durable_ms),
        },
    };
    let rows = run_suite(&opts, &mut |r| {
        eprint!(
            "{}",
            np::table(std::slice::from_ref(r))
                .lines()
                .nth(2)
                .unwrap_or("")
                .to_owned()
                + "\n"
        )
    })
    .context("newpayload suite")?;
    print!("{}", np::table(&rows));
    print!(
        "\nnewPayload's phases, p50 (ms):\n{}",
        np::phase_table(&rows)
    );
    report::write(&args.out, "newpayload.csv", &np::csv(&rows))?;
    eprintln!("wrote {}", args.out.join("newpayload.csv").display());
    Ok(())
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
        extra: args.extra,
    })
    .context("interp suite")?;
    print!("{}", report::interp_table(&rows));
    report::write(&args.out, "interp.csv", &report::interp_csv(&rows))?;
    eprintln!("wrote {}", args.out.join("interp.csv").display());
    Ok(())
}

fn frames(args: FramesArgs) -> anyhow::Result<()> {
    use parevm_benches::frames::{self, FramesOptions};
    let workloads = if args.workloads.is_empty() {
        frames::NAMES.iter().map(|s| s.to_string()).collect()
    } else {
        args.workloads
    };
    if args.threads.contains(&0) {
        bail!("--threads: thread counts must be at least 1");
    }
    let opts = FramesOptions {
        workloads,
        threads: args.threads,
        runs: args.runs,
    };
    let rows = frames::run_suite(&opts).context("frames suite")?;
    print!("{}", frames::suite::table(&rows));
    Ok(())
}

fn synthetic(args: SyntheticArgs) -> anyhow::Result<()> {
    if !(args.scale.is_finite() && args.scale > 0.0) {
        bail!("--scale must be a positive number, got {}", args.scale);
    }
    let workloads = if args.workloads.is_empty() {
        synthetic::NAMES.iter().map(|s| s.to_string()).collect()
    } else {
        args.workloads
    };
    let threads = thread_counts(args.threads)?;
    let opts = SyntheticOptions {
        workloads,
        scale: args.scale,
        threads,
        runs: args.runs,
        absent_coinbase: args.absent_coinbase,
    };
    let rows = synthetic::run_suite(&opts).context("synthetic suite")?;
    print!("{}", report::synthetic_table(&rows));
    print_round_trips();
    report::write(&args.out, "synthetic.csv", &report::synthetic_csv(&rows))?;
    report::write(&args.out, "synthetic.svg", &report::synthetic_svg(&rows))?;
    eprintln!(
        "wrote {} and synthetic.svg",
        args.out.join("synthetic.csv").display()
    );
    Ok(())
}

/// The inter-core round trips the suite measured (between synthetic rounds, after each mainnet block),
/// so that its parallel figures are read with the machine's state beside them.
fn print_round_trips() {
    if let Some(s) = parevm_benches::core_latency::summary() {
        println!("inter-core round trip (one cache line between two threads): {s}");
    }
}

/// `--threads` as given, else 1, 2, 4, ... up to the available parallelism; zero is refused.
fn thread_counts(given: Vec<usize>) -> anyhow::Result<Vec<usize>> {
    let threads = if given.is_empty() {
        let max = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut t: Vec<usize> = std::iter::successors(Some(1usize), |t| Some(t * 2))
            .take_while(|t| *t < max)
            .collect();
        t.push(max);
        t
    } else {
        given
    };
    if threads.contains(&0) {
        bail!("--threads must be positive");
    }
    Ok(threads)
}

fn mainnet(args: MainnetArgs) -> anyhow::Result<()> {
    let dir = match args.dir {
        Some(dir) => dir,
        None => mainnet::block::default_dir().context("locating the mainnet blocks")?,
    };
    if !(args.seconds.is_finite() && args.seconds >= 0.0) {
        bail!(
            "--seconds must be a non-negative number, got {}",
            args.seconds
        );
    }
    let opts = MainnetOptions {
        dir,
        blocks: args.blocks,
        threads: thread_counts(args.threads)?,
        runs: if args.quick { 1 } else { args.runs.max(1) },
        min_time: if args.quick {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(args.seconds)
        },
    };
    let rows = mainnet::run_suite(&opts).context("mainnet suite")?;
    let summary = mainnet::report::summarize(&rows);
    print!("{}", mainnet::report::block_table(&rows));
    println!();
    print!("{}", mainnet::report::summary_text(&summary));
    print_round_trips();
    report::write(
        &args.out,
        "mainnet.csv",
        &mainnet::report::csv(&rows, &summary),
    )?;
    report::write(&args.out, "mainnet.svg", &mainnet::report::svg(&summary))?;
    eprintln!(
        "wrote {} and mainnet.svg",
        args.out.join("mainnet.csv").display()
    );
    Ok(())
}
