//! `parevm db head|stats|check --datadir DIR`: the head as one JSON object (`number`, `hash`, `stateRoot`),
//! entries per table, or a full recomputation of the head's state root from the stored leaves.

use anyhow::bail;
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
            let (head, header) = store.head()?;
            let json = serde_json::json!({
                "number": head.number,
                "hash": head.hash.to_string(),
                "stateRoot": header.state_root.to_string(),
            });
            println!("{json}");
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
    }
}
