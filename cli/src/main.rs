//! `parevm`: the one binary. Each subcommand lives in `cmd/<name>.rs`.
#![deny(unsafe_code)]

use clap::{Parser, Subcommand};

mod cmd;

/// The process allocator (kept here, per binary: see `parevm-alloc`); `main` sets its options first.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    parevm_alloc::keep_freed_memory();
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
