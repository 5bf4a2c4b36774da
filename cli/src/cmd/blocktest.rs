//! `parevm blocktest [--json] [--trace] [--threads N] [--fork F] [--name TEXT] PATH...`: runs official blockchain tests (files, or folders
//! walked for `*.json`) through `parevm_conformance::blocktest` and prints every failure (test, block,
//! what differed), a per-network table and, last, `N passed, M failed, K skipped`.

use parevm_block::TxRunner;
use parevm_conformance::blocktest::{run_files, BlocktestOptions, CaseOptions, CaseResult, Status};
use parevm_conformance::filter::Filter;
use parevm_conformance::statetest::collect_files;
use parevm_conformance::statetest::trace::TraceSink;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `parevm blocktest`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Blockchain-test files or folders (walked for `*.json`).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Print one JSON object per test on stdout (name, file, network, pass, skipped, error, category).
    #[arg(long)]
    pub json: bool,
    /// Execute each block's transactions on N threads through the parallel executor
    /// (`parevm-parallel-commit`) and check every result and write set against a sequential run of the
    /// same block; default: sequential only.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Import every test's blocks through the chain store (`parevm-storage`, redb in memory): genesis by
    /// `init_chain`, each block on an overlay committed in one batch, roots checked from the stored tries.
    #[arg(long)]
    pub store: bool,
    /// Stream an EIP-3155 trace of every transaction on stderr (JSON lines only: one per instruction, one
    /// closing each transaction); tests run one at a time and blocks sequentially.
    #[arg(long)]
    pub trace: bool,
    /// Run only this network (`Cancun`, `ShanghaiToCancunAtTime15k`, ...).
    #[arg(long)]
    pub fork: Option<String>,
    /// Run only tests whose name contains this text.
    #[arg(long)]
    pub name: Option<String>,
    /// Also print passing and skipped tests.
    #[arg(long, short)]
    pub verbose: bool,
}

/// Runs the subcommand: `Ok(false)` when any test failed.
pub fn run(args: Args) -> anyhow::Result<bool> {
    let start = Instant::now();
    let files = collect_files(&args.paths)?;
    let runner = match args.threads {
        Some(threads) if threads > 1 => TxRunner::Checked { threads },
        _ => TxRunner::Sequential,
    };
    let opts = BlocktestOptions {
        case: CaseOptions {
            runner,
            store: args.store,
            trace: args.trace.then(TraceSink::stderr),
        },
        // Traced tests run one at a time, so their lines never interleave.
        file_threads: args.trace.then_some(1),
        filter: Filter {
            fork: args.fork.clone(),
            name: args.name.clone(),
        },
        ..BlocktestOptions::default()
    };
    let sink = |results: &[CaseResult]| print_results(results, &args);
    let summary = run_files(&files, &opts, &sink)?;
    eprintln!(
        "{} files in {:.1}s\n{}",
        files.len(),
        start.elapsed().as_secs_f64(),
        summary.table()
    );
    println!("{}", summary.total);
    Ok(summary.ok())
}

/// Prints one file's results: JSON lines with `--json`, else failures (everything with `--verbose`).
fn print_results(results: &[CaseResult], args: &Args) {
    let mut out = std::io::stdout().lock();
    for r in results {
        let _ = if args.json {
            writeln!(out, "{}", r.to_json())
        } else if args.verbose || matches!(r.status, Status::Failed(_)) {
            writeln!(out, "{r}")
        } else {
            Ok(())
        };
    }
}
