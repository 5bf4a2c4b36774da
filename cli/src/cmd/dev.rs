//! `parevm dev`: an anvil-compatible local chain on 127.0.0.1:8545 (`parevm-devnet`), with anvil's flags and
//! defaults. Runs until SIGINT or SIGTERM; with `--state`/`--dump-state` the state is written atomically
//! on the way out (and every `--state-interval` seconds).

use alloy_primitives::utils::parse_ether;
use alloy_primitives::Address;
use anyhow::{bail, Context};
use parevm_chain::{ChainConfig, TxOrder};
use parevm_devnet::accounts::{DEFAULT_DERIVATION_PATH, DEFAULT_MNEMONIC};
use parevm_devnet::{state_file, Devnet, DevnetOptions, Mining};
use parevm_evm_core::SpecId;
use parevm_rpc::ServerOptions;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `parevm dev` (anvil's names).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Port to listen on.
    #[arg(long, short = 'p', default_value_t = 8545)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// The origin browsers may call from (CORS), as anvil's flag: `*` (the default) allows any.
    #[arg(long, default_value = "*")]
    pub allow_origin: String,
    /// Send no CORS headers (browsers then refuse cross-origin calls), as anvil's flag.
    #[arg(long)]
    pub no_cors: bool,
    /// Chain id [default: 31337, or the `--init` file's].
    #[arg(long)]
    pub chain_id: Option<u64>,
    /// Number of dev accounts.
    #[arg(long, short = 'a', default_value_t = 10)]
    pub accounts: usize,
    /// Balance of each dev account, in ether.
    #[arg(long, default_value = "10000")]
    pub balance: String,
    /// BIP-39 mnemonic the dev accounts derive from.
    #[arg(long, short = 'm', default_value = DEFAULT_MNEMONIC)]
    pub mnemonic: String,
    /// Derivation path prefix of the dev accounts.
    #[arg(long, default_value = DEFAULT_DERIVATION_PATH)]
    pub derivation_path: String,
    /// Fork rules: latest, osaka, prague, cancun, shanghai, paris (merge), london, berlin.
    #[arg(long, default_value = "latest")]
    pub hardfork: String,
    /// Block gas limit [default: 30000000, or the fork block's].
    #[arg(long)]
    pub gas_limit: Option<u64>,
    /// Base fee of the first block, in wei [default: 1000000000, the `--init` file's, or what the fork
    /// block implies under EIP-1559].
    #[arg(long, alias = "block-base-fee-per-gas")]
    pub base_fee: Option<u64>,
    /// Candidate order across senders: fees or fifo.
    #[arg(long, default_value = "fees")]
    pub order: TxOrder,
    /// Mine a block every N seconds instead of one per transaction.
    #[arg(long, short = 'b')]
    pub block_time: Option<u64>,
    /// Mine only on evm_mine / anvil_mine.
    #[arg(long, conflicts_with = "block_time")]
    pub no_mining: bool,
    /// Impersonate every sender.
    #[arg(long)]
    pub auto_impersonate: bool,
    /// Genesis timestamp (now, or the `--init` file's, by default).
    #[arg(long)]
    pub timestamp: Option<u64>,
    /// Start from this geth-style genesis file: its accounts over the dev accounts, its chain id, timestamp,
    /// number, base fee and coinbase unless given here.
    #[arg(long, value_name = "PATH")]
    pub init: Option<PathBuf>,
    /// Leave the CREATE2 deployer (0x4e59b448...956c) out of genesis.
    #[arg(long, alias = "no-create2")]
    pub disable_default_create2_deployer: bool,
    /// EIP-170 contract code size limit in bytes [default: 24576]; init code may be twice it.
    #[arg(long, value_name = "CODE_SIZE")]
    pub code_size_limit: Option<usize>,
    /// No contract code size limit.
    #[arg(long, conflicts_with = "code_size_limit")]
    pub disable_code_size_limit: bool,
    /// Enforce the EIP-7825 transaction gas cap (2^24) from Osaka on (off by default, as in anvil).
    #[arg(long, alias = "tx-gas-limit")]
    pub enable_tx_gas_limit: bool,
    /// Keep the states of at most N blocks below the head for queries at older blocks (without N: none,
    /// only the head's) [default: 8192].
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "0")]
    pub prune_history: Option<usize>,
    /// Blocks the `safe` tag trails the head; `finalized` trails twice as many.
    #[arg(long, default_value_t = 32)]
    pub slots_in_an_epoch: u64,
    /// Write the accounts, keys, wallet, fees and genesis timestamp to this file as JSON.
    #[arg(long, value_name = "FILE")]
    pub config_out: Option<PathBuf>,
    /// Start from a state dump (JSON, plain or gzip).
    #[arg(long)]
    pub load_state: Option<PathBuf>,
    /// Write the state here on exit (atomically).
    #[arg(long)]
    pub dump_state: Option<PathBuf>,
    /// Load from this file when it exists and write it on exit: `--load-state F --dump-state F`.
    #[arg(long, conflicts_with_all = ["load_state", "dump_state"])]
    pub state: Option<PathBuf>,
    /// Also write the state every N seconds.
    #[arg(long)]
    pub state_interval: Option<u64>,
    /// Keep the chain on disk in this folder.
    #[arg(long)]
    pub datadir: Option<PathBuf>,
    /// OP-Stack rules: refused (anvil's flag, accepted so that the answer says where the OP rules are).
    #[arg(long)]
    pub optimism: bool,
    /// Fork the chain at this JSON-RPC URL (http or https; `URL@BLOCK` forks at BLOCK): its state at the
    /// fork block is read on demand, its chain id, gas limit and next base fee are kept unless given, and
    /// the first local block follows the fork block.
    #[arg(long, short = 'f', alias = "rpc-url", value_name = "URL", conflicts_with_all = ["load_state", "state", "datadir"])]
    pub fork_url: Option<String>,
    /// Fork at this block number [default: the forked node's newest].
    #[arg(long, requires = "fork_url", value_name = "BLOCK")]
    pub fork_block_number: Option<u64>,
    /// A header sent with every call to the forked node, `"Name: value"` (repeat for more).
    #[arg(long, requires = "fork_url", value_name = "HEADER")]
    pub fork_header: Vec<String>,
    /// Milliseconds one call to the forked node may take.
    #[arg(long, requires = "fork_url", default_value_t = 45_000)]
    pub timeout: u64,
    /// Tries after the first when the forked node times out, drops the connection or is busy (429, 5xx).
    #[arg(long, requires = "fork_url", default_value_t = 5)]
    pub retries: u32,
    /// Milliseconds before the first retry (doubling with each).
    #[arg(long, requires = "fork_url", default_value_t = 1_000)]
    pub fork_retry_backoff: u64,
    /// Worker threads for block building (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// No banner and no per-block lines.
    #[arg(long, short = 's')]
    pub silent: bool,
}

fn spec(name: &str) -> anyhow::Result<SpecId> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "latest" | "osaka" => SpecId::OSAKA,
        "prague" | "pectra" => SpecId::PRAGUE,
        "cancun" => SpecId::CANCUN,
        "shanghai" => SpecId::SHANGHAI,
        "paris" | "merge" => SpecId::MERGE,
        "london" => SpecId::LONDON,
        "berlin" => SpecId::BERLIN,
        other => bail!("unknown hardfork {other:?}"),
    })
}

/// The URL and block of `--fork-url` (anvil's `URL@BLOCK` form too) and `--fork-block-number`.
fn fork_target(url: &str, block: Option<u64>) -> anyhow::Result<(&str, Option<u64>)> {
    let (url, at) = match url.rsplit_once('@') {
        Some((u, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            (u, Some(n.parse::<u64>().context("--fork-url's @BLOCK")?))
        }
        _ => (url, None),
    };
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        bail!("--fork-url {url}: not an http:// or https:// URL");
    }
    match (at, block) {
        (Some(a), Some(b)) if a != b => {
            bail!("--fork-url forks at block {a} and --fork-block-number at {b}")
        }
        (a, b) => Ok((url, a.or(b))),
    }
}

/// Runs the devnet until it is stopped.
pub fn run(args: Args) -> anyhow::Result<bool> {
    if args.optimism {
        bail!(
            "--optimism is not supported: parevm dev runs Ethereum's rules; the OP-Stack rules run in \
             `parevm node` (an OP execution client behind a rollup node) and `parevm optest`"
        );
    }
    let init = match &args.init {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            Some(
                parevm_block::genesis::parse_genesis(&text)
                    .with_context(|| format!("genesis file {}", p.display()))?,
            )
        }
        None => None,
    };
    let fork_client = parevm_devnet::fork::ForkClient {
        headers: args
            .fork_header
            .iter()
            .map(|h| parevm_devnet::fork::ForkClient::parse_header(h))
            .collect::<Result<_, _>>()
            .map_err(|e| anyhow::anyhow!("--fork-header: {e}"))?,
        timeout: Duration::from_millis(args.timeout),
        retries: args.retries,
        backoff: Duration::from_millis(args.fork_retry_backoff),
    };
    let fork = match &args.fork_url {
        Some(url) => {
            let (url, block) = fork_target(url, args.fork_block_number)?;
            Some(Arc::new(
                parevm_devnet::fork::RemoteFork::connect_with(url, block, fork_client.clone())
                    .context("--fork-url")?,
            ))
        }
        None => None,
    };
    let fork_header = fork.as_ref().map(|f| &f.header);
    let defaults = ChainConfig::default();
    let mut chain = ChainConfig {
        chain_id: args
            .chain_id
            .or_else(|| fork.as_ref().map(|f| f.chain_id))
            .or_else(|| init.as_ref().map(|g| g.config.chain_id))
            .unwrap_or(defaults.chain_id),
        spec: spec(&args.hardfork)?,
        gas_limit: args
            .gas_limit
            .or_else(|| fork_header.map(|h| h.gas_limit))
            .unwrap_or(defaults.gas_limit),
        base_fee: match (
            args.base_fee,
            init.as_ref().and_then(|g| g.base_fee_per_gas),
            fork.as_ref().and_then(|f| f.next_base_fee()),
        ) {
            (Some(fee), _, _) => fee,
            (None, _, Some(fee)) => fee,
            (None, Some(fee), None) => {
                u64::try_from(fee).context("the --init file's baseFeePerGas")?
            }
            (None, None, None) => defaults.base_fee,
        },
        coinbase: init.as_ref().map_or(Address::ZERO, |g| g.coinbase),
        order: args.order,
        enforce_tx_gas_cap: args.enable_tx_gas_limit,
        code_size_limit: if args.disable_code_size_limit {
            Some(usize::MAX)
        } else {
            args.code_size_limit
        },
        genesis_number: fork_header
            .map(|h| h.number)
            .or_else(|| init.as_ref().and_then(|g| g.number))
            .unwrap_or(0),
        history: args.prune_history.unwrap_or(defaults.history),
        ..defaults
    };
    if let Some(t) = args.threads {
        chain.threads = t.max(1);
        parevm_evm_core::precompile_split::set_threads(t);
    }
    let mining = match (args.block_time, args.no_mining) {
        (Some(secs), _) if secs > 0 => Mining::Interval(Duration::from_secs(secs)),
        (_, true) => Mining::Manual,
        _ => Mining::Auto,
    };
    let (load, dump) = match &args.state {
        Some(p) => (p.exists().then(|| p.clone()), Some(p.clone())),
        None => (args.load_state.clone(), args.dump_state.clone()),
    };
    let state = match &load {
        Some(p) => {
            let d = state_file::read(p).with_context(|| format!("loading {}", p.display()))?;
            Some(state_file::to_state(&d))
        }
        None => None,
    };
    let options = DevnetOptions {
        chain,
        accounts: args.accounts,
        balance: parse_ether(&args.balance).context("--balance")?,
        mnemonic: args.mnemonic.clone(),
        derivation_path: args.derivation_path.clone(),
        mining,
        auto_impersonate: args.auto_impersonate,
        genesis_timestamp: args.timestamp.or(init.as_ref().map(|g| g.timestamp)),
        log_blocks: !args.silent,
        datadir: args.datadir.clone(),
        create2_deployer: !args.disable_default_create2_deployer,
        slots_in_an_epoch: args.slots_in_an_epoch,
        init_alloc: Arc::new(init.map(|g| g.alloc).unwrap_or_default()),
        fork,
        fork_client,
    };
    let dev = Devnet::new(options, state)?;
    if let Some(path) = &args.config_out {
        let text = serde_json::to_string(&parevm_devnet::banner::config_out(&dev))?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    rt.block_on(serve(dev, &args, dump))
}

async fn serve(dev: Arc<Devnet>, args: &Args, dump: Option<PathBuf>) -> anyhow::Result<bool> {
    let opts = ServerOptions {
        addr: SocketAddr::new(args.host, args.port),
        cors: if args.no_cors {
            Some(Vec::new())
        } else {
            Some(vec![args.allow_origin.clone()])
        },
        ..ServerOptions::default()
    };
    let server = parevm_devnet::serve(dev.clone(), &opts).await?;
    if !args.silent {
        say(&parevm_devnet::banner::banner(&dev, server.addr));
    }
    if let (Some(path), Some(secs)) = (dump.clone(), args.state_interval.filter(|s| *s > 0)) {
        let dev = dev.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(secs));
            tick.tick().await;
            loop {
                tick.tick().await;
                let (dev, path) = (dev.clone(), path.clone());
                let r =
                    tokio::task::spawn_blocking(move || state_file::write(&dev.chain, &path)).await;
                if let Ok(Err(e)) = r {
                    tracing::error!("state dump failed: {e}");
                }
            }
        });
    }
    wait_for_signal().await;
    // A long run of blocks (anvil_mine of millions) would otherwise hold the exit until it ends: the runtime
    // waits for its blocking task.
    dev.stop_mining();
    let _ = server.handle.stop();
    if let Some(path) = dump {
        state_file::write(&dev.chain, &path)
            .with_context(|| format!("writing state to {}", path.display()))?;
        if !args.silent {
            say(&format!("State written to {}", path.display()));
        }
    }
    Ok(true)
}

/// A line to stdout; a closed stdout drops it (`println!` would panic, and the chain must run on).
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

pub(crate) async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
