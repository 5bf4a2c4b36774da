//! `parevm init --datadir DIR GENESIS.json`: writes the chain of a geth-style genesis file (state, tries,
//! block 0, chain config) into the datadir's database and prints the genesis hash. Running it again with the
//! same file changes nothing; another genesis over an existing chain is refused.

use anyhow::Context;
use parevm_block::genesis::parse_genesis;
use parevm_storage::ChainStore;
use std::path::PathBuf;

/// Arguments of `parevm init`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Directory of the database (created when absent).
    #[arg(long)]
    pub datadir: PathBuf,
    /// Geth-style genesis file (`config`, header fields, `alloc`).
    pub genesis: PathBuf,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<bool> {
    let json = std::fs::read_to_string(&args.genesis)
        .with_context(|| format!("reading {}", args.genesis.display()))?;
    let genesis = parse_genesis(&json).with_context(|| args.genesis.display().to_string())?;
    let store = ChainStore::open(&args.datadir)?;
    let hash = store.init_genesis(&genesis)?;
    let (_, header) = store.head()?;
    eprintln!(
        "genesis of chain {} written to {} (state root {})",
        genesis.config.chain_id,
        store.describe(),
        header.state_root
    );
    println!("{hash}");
    Ok(true)
}
