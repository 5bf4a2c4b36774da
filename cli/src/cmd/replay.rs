//! `parevm replay [--json] [--threads N] [DIR...]`: replays real mainnet blocks (the shared
//! `mainnet-blocks` set by default) through `parevm_conformance::replay`, one line per block, and last
//! `N passed, M failed`.

use parevm_block::TxRunner;
use parevm_conformance::replay::{blocks_dir, replay_dirs, BlockReport};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `parevm replay`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Replay sets (folders with `bytecodes.json` and numbered block folders) or single block folders.
    /// Default: the shared archive, unpacked into `target/blocks/mainnet`.
    pub paths: Vec<PathBuf>,
    /// Print one JSON object per block on stdout (number, fork, txs, gas, ms, pass, problems, note).
    #[arg(long)]
    pub json: bool,
    /// Execute each block's transactions on N threads through the parallel executor
    /// (`parevm-parallel-commit`) and check every result and write set against a sequential run of the
    /// same block; default: sequential only.
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Runs the subcommand: `Ok(false)` when any block differed from its header.
pub fn run(args: Args) -> anyhow::Result<bool> {
    let start = Instant::now();
    let paths = if args.paths.is_empty() {
        vec![blocks_dir()?]
    } else {
        args.paths.clone()
    };
    let runner = match args.threads {
        Some(threads) if threads > 1 => TxRunner::Checked { threads },
        _ => TxRunner::Sequential,
    };
    let json = args.json;
    let mut sink = |r: &BlockReport| {
        let mut out = std::io::stdout().lock();
        let _ = if json {
            writeln!(out, "{}", r.to_json())
        } else {
            writeln!(out, "{r}")
        };
    };
    let totals = replay_dirs(&paths, runner, &mut sink)?;
    eprintln!("replayed in {:.1}s", start.elapsed().as_secs_f64());
    println!("{totals}");
    Ok(totals.failed == 0)
}
