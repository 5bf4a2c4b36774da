//! `parevm export --datadir DIR FILE [FIRST [LAST]]`: writes canonical blocks FIRST..=LAST (default: block 1
//! to the head, the blocks `parevm import` takes after `parevm init`; give 0 to include the genesis) back to
//! back as RLP, byte for byte as they were imported.

use anyhow::{bail, Context};
use parevm_storage::ChainStore;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `parevm export`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Directory of the database.
    #[arg(long)]
    pub datadir: PathBuf,
    /// Output file.
    pub file: PathBuf,
    /// First block (default 1).
    pub first: Option<u64>,
    /// Last block (default: the head).
    pub last: Option<u64>,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<bool> {
    let store = ChainStore::open(&args.datadir)?;
    let (head, _) = store.head()?;
    let first = args.first.unwrap_or(1);
    let last = args.last.unwrap_or(head.number);
    if last > head.number {
        bail!("last block {last} is above the head {}", head.number);
    }
    let file = std::fs::File::create(&args.file)
        .with_context(|| format!("creating {}", args.file.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let mut count = 0u64;
    for number in first..=last {
        let hash = store
            .hash_by_number(number)?
            .with_context(|| format!("block {number} is not stored"))?;
        let rlp = store
            .block_rlp(&hash)?
            .with_context(|| format!("block {number} ({hash}) has no body"))?;
        out.write_all(&rlp)?;
        count += 1;
    }
    out.flush()?;
    eprintln!(
        "exported {count} blocks ({first}..={last}) to {}",
        args.file.display()
    );
    Ok(true)
}
