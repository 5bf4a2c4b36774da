//! `parevm import --datadir DIR FILE... [--threads N]`: executes and appends blocks written back to back as
//! RLP (the `geth export` format). Blocks already stored are skipped, so an interrupted import continues
//! after the stored head. A progress bar shows blocks/s and Mgas/s; the summary splits the time into
//! execution, state root and commit. By default the latest blocks are held in memory over the database and
//! written to it in groups of 64 blocks (or every second), each group one durable transaction written by a
//! background thread, so execution and the state root of the next blocks read the recent ones from memory
//! and a key rewritten by several blocks is written once (a crash loses at most the blocks in memory; the
//! database keeps a whole block as its head and the next import redoes the rest); `--no-memory-layer`
//! commits each block as its own redb transaction instead, made durable every `--durable-every` blocks;
//! `--durable-every 1` makes every block durable when it is committed.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use parevm_block::TxRunner;
use parevm_storage::import::{executor_for, import_blocks, BlockReport};
use parevm_storage::ChainStore;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `parevm import`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Directory of the database (after `parevm init`).
    #[arg(long)]
    pub datadir: PathBuf,
    /// Files of RLP blocks, imported in order.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Execute each block's transactions on N threads (parallel executor); default sequential.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Make every Nth block durable (1: every block, when it is committed; above 1: the blocks are held
    /// in memory and written N at a time, or as `--no-memory-layer` says).
    #[arg(long, default_value_t = 64)]
    pub durable_every: u32,
    /// Make a block durable when this many milliseconds passed since the last durable one.
    #[arg(long, default_value_t = 1000)]
    pub durable_ms: u64,
    /// With `--durable-every` above 1: commit each block as its own redb transaction (durable every Nth)
    /// instead of holding the latest blocks in memory and writing them in groups.
    #[arg(long)]
    pub no_memory_layer: bool,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<bool> {
    parevm_storage::failpoint::init_from_env();
    let durability = if args.durable_every <= 1 {
        parevm_storage::Durability::EVERY_COMMIT
    } else {
        parevm_storage::Durability {
            max_commits: args.durable_every,
            max_delay: std::time::Duration::from_millis(args.durable_ms),
        }
    };
    let store = if args.durable_every > 1 && !args.no_memory_layer {
        ChainStore::open_layered(
            &args.datadir,
            parevm_storage::FlushPolicy::every(
                args.durable_every,
                std::time::Duration::from_millis(args.durable_ms),
            ),
        )?
    } else {
        ChainStore::open_with(&args.datadir, durability)?
    };
    if let Some(t) = args.threads {
        parevm_evm_core::precompile_split::set_threads(t);
    }
    let runner = match args.threads {
        Some(threads) if threads > 1 => TxRunner::Parallel { threads },
        _ => TxRunner::Sequential,
    };
    let executor = executor_for(&store, runner)?;
    let started = Instant::now();
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} block {pos} {msg} [{elapsed}]")
            .context("progress template")?,
    );
    let (mut blocks, mut gas) = (0u64, 0u64);
    let mut on_block = |r: &BlockReport| {
        bar.set_position(r.number);
        if !r.skipped {
            blocks += 1;
            gas += r.gas;
        }
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        bar.set_message(format!(
            "{:.1} blocks/s {:.2} Mgas/s",
            blocks as f64 / secs,
            gas as f64 / 1e6 / secs
        ));
    };
    let mut total = parevm_storage::import::ImportSummary::default();
    for file in &args.files {
        let data = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let s = import_blocks(&store, &executor, &data, &mut on_block)
            .with_context(|| format!("importing {}", file.display()))?;
        total.imported += s.imported;
        total.skipped += s.skipped;
        total.txs += s.txs;
        total.gas += s.gas;
        total.execute += s.execute;
        total.root += s.root;
        total.commit += s.commit;
    }
    bar.finish_and_clear();
    store.sync()?;
    let secs = started.elapsed().as_secs_f64();
    let (head, header) = store.head()?;
    eprintln!(
        "imported {} blocks ({} already stored), {} txs, {:.2} Mgas in {secs:.2}s ({:.2} Mgas/s); \
         execution {:.3}s, state root {:.3}s and commit {:.3}s (on the commit thread)",
        total.imported,
        total.skipped,
        total.txs,
        total.gas as f64 / 1e6,
        total.gas as f64 / 1e6 / secs.max(1e-9),
        total.execute.as_secs_f64(),
        total.root.as_secs_f64(),
        total.commit.as_secs_f64(),
    );
    eprintln!(
        "head {} {} state root {}",
        head.number, head.hash, header.state_root
    );
    Ok(true)
}
