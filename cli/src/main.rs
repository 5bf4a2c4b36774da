//! `parevm`: the one binary. Each subcommand lives in `cmd/<name>.rs`.
#![deny(unsafe_code)]

use clap::{Parser, Subcommand};

mod cmd;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc v3's `mi_option_purge_delay` (its index in `mi_option_t`; `libmimalloc-sys` names no constant
/// for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Tells mimalloc to keep the memory it frees instead of returning it to the OS a second later (its default
/// purge delay): the store's background flush frees and allocates hundreds of MB of pages and map nodes per
/// group, and each purge made the next group fault in and zero those pages again (`clear_page_erms`, 8% of
/// the CPU of the chain bench at 1M accounts). Memory stays at its high-water mark.
#[allow(unsafe_code)]
fn keep_freed_memory() {
    // SAFETY: `mi_option_set` only stores an option value; purge_delay is read at each purge decision, so
    // setting it after allocations have happened is allowed (mimalloc documents -1 as "never purge").
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}

#[cfg(test)]
mod allocator_tests {
    /// The index is the one mimalloc v3 reads as purge_delay: its default there is 1000 ms (unless the
    /// environment sets `MIMALLOC_PURGE_DELAY`), and the option next to it, use_numa_nodes, is the one
    /// `libmimalloc-sys` numbers 16.
    #[test]
    #[allow(unsafe_code)]
    fn purge_delay_index_is_mimallocs() {
        assert_eq!(
            super::MI_OPTION_PURGE_DELAY + 1,
            libmimalloc_sys::mi_option_use_numa_nodes
        );
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: reads an option value.
            let delay = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
            assert_eq!(delay, 1000);
        }
    }
}

/// parevm: a parallel EVM execution engine.
#[derive(Parser, Debug)]
#[command(name = "parevm", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run official Ethereum state tests (files or folders).
    Statetest(cmd::statetest::Args),
    /// Run official Ethereum blockchain tests (files or folders).
    Blocktest(cmd::blocktest::Args),
    /// Replay real mainnet blocks and check them against their headers.
    Replay(cmd::replay::Args),
    /// OP-Stack fixtures: kona executor blocks rebuilt to their hash, Superchain genesis files.
    Optest(cmd::optest::Args),
    /// Generate a block, run it sequentially and in parallel, check they agree, print timings.
    Demo(cmd::demo::Args),
    /// Start a chain in a datadir from a geth-style genesis file; prints the genesis hash.
    Init(cmd::init::Args),
    /// Execute and append RLP blocks (as `geth export` writes them) to a datadir's chain.
    Import(cmd::import::Args),
    /// Write canonical blocks of a datadir's chain as back-to-back RLP.
    Export(cmd::export::Args),
    /// Inspect a datadir's database: head, stats, check, unwind.
    Db(cmd::db::Args),
    /// Run the OP-Stack execution client behind a rollup node (Engine API on 127.0.0.1:8551).
    Node(Box<cmd::node::Args>),
    /// Run an anvil-compatible local chain (JSON-RPC on 127.0.0.1:8545).
    Dev(Box<cmd::dev::Args>),
}

fn main() -> std::process::ExitCode {
    keep_freed_memory();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    // Heavy precompiles may use the threads a command is given (`--threads`); until it says so, they run
    // on one thread and nothing changes. Installed before any precompile runs.
    parevm_evm_core::precompile_split::install();
    let r = match cli.command {
        Command::Statetest(a) => cmd::statetest::run(a),
        Command::Blocktest(a) => cmd::blocktest::run(a),
        Command::Replay(a) => cmd::replay::run(a),
        Command::Optest(a) => cmd::optest::run(a),
        Command::Demo(a) => cmd::demo::run(a),
        Command::Init(a) => cmd::init::run(a),
        Command::Import(a) => cmd::import::run(a),
        Command::Export(a) => cmd::export::run(a),
        Command::Db(a) => cmd::db::run(a),
        Command::Dev(a) => cmd::dev::run(*a),
        Command::Node(a) => cmd::node::run(*a),
    };
    match r {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
