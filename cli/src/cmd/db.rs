//! `parevm db head|stats|check|unwind --datadir DIR`: the head as one JSON object (`number`, `hash`,
//! `stateRoot`), entries per table, a full recomputation of the head's state root from the stored leaves, or
//! the head moved back N blocks by the stored reverse diffs (printed as `db head` prints it).

use anyhow::{bail, Context};
use parevm_storage::ChainStore;
use std::path::PathBuf;

/// Arguments of `parevm db`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Print the head: {"number", "hash", "stateRoot"}.
    Head(Datadir),
    /// Print entries per table and the database size.
    Stats(Datadir),
    /// Recompute the head's state root from every stored account and slot and compare it with the header.
    Check(Datadir),
    /// Move the head back N blocks by their stored reverse diffs (the root is recomputed and must equal the
    /// earlier header's; never below the finalized block), then print the new head as `db head` does.
    Unwind(Unwind),
}

#[derive(clap::Args, Debug)]
struct Unwind {
    /// Directory of the database.
    #[arg(long)]
    datadir: PathBuf,
    /// Blocks to unwind.
    blocks: u64,
}

#[derive(clap::Args, Debug)]
struct Datadir {
    /// Directory of the database.
    #[arg(long)]
    datadir: PathBuf,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<bool> {
    match args.command {
        Command::Head(d) => {
            let store = ChainStore::open(&d.datadir)?;
            print_head(&store)?;
            Ok(true)
        }
        Command::Stats(d) => {
            let store = ChainStore::open(&d.datadir)?;
            let stats = store.stats()?;
            println!("backend   {}", stats.backend);
            if let Some(bytes) = stats.size_bytes {
                println!("size      {:.2} MiB", bytes as f64 / (1024.0 * 1024.0));
            }
            if let Ok((head, _)) = store.head() {
                println!("head      {} {}", head.number, head.hash);
            }
            for t in &stats.tables {
                println!("{:<18} {:>12}", t.name, t.entries);
            }
            Ok(true)
        }
        Command::Check(d) => {
            let store = ChainStore::open(&d.datadir)?;
            let (head, header) = store.head()?;
            let report = store.verify_state()?;
            println!(
                "head {} root {} recomputed {} ({} accounts, {} slots)",
                head.number, header.state_root, report.root, report.accounts, report.slots
            );
            if report.root != header.state_root {
                bail!("state root mismatch at block {}", head.number);
            }
            Ok(true)
        }
        Command::Unwind(u) => {
            let store = ChainStore::open(&u.datadir)?;
            let (head, _) = store.head()?;
            let Some(target) = head.number.checked_sub(u.blocks) else {
                bail!(
                    "cannot unwind {} blocks: the head is block {}",
                    u.blocks,
                    head.number
                );
            };
            store
                .unwind_to(target)
                .with_context(|| format!("unwinding from block {} to {target}", head.number))?;
            print_head(&store)?;
            Ok(true)
        }
    }
}

/// Prints the head as one JSON object: `number`, `hash`, `stateRoot`.
fn print_head(store: &ChainStore) -> anyhow::Result<()> {
    let (head, header) = store.head()?;
    let json = serde_json::json!({
        "number": head.number,
        "hash": head.hash.to_string(),
        "stateRoot": header.state_root.to_string(),
    });
    println!("{json}");
    Ok(())
}
