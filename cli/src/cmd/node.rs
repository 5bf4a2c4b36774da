//! `parevm node --datadir DIR --chain GENESIS.json [--rollup-config rollup.json]`: the OP-Stack execution
//! client (`parevm-node`) with op-reth's flag names. The Engine API (JWT) listens on `--authrpc.addr`:
//! `--authrpc.port` (127.0.0.1:8551); with `--http`, the eth methods on `--http.addr`:`--http.port`
//! (127.0.0.1:8545) and with `--ws` on `--ws.addr`:`--ws.port` (127.0.0.1:8546), each server answering
//! both HTTP and WebSocket, every namespace unless `--http.api` / `--ws.api` select some (op-reth's
//! names). The chain
//! lives in DIR (redb); restarting on the same DIR continues from the last durable block (`--durable-every`:
//! by default each block is made durable right after the Engine API answers, so a kill -9 loses at most the
//! latest one). Runs until SIGINT or SIGTERM, which makes every block durable before the process exits.
//!
//! Without `--rollup-config`, a genesis file with no OP settings (no `config.optimism`, no OP fork times)
//! runs in Ethereum mode (`parevm_node::ethereum`): the chain follows Ethereum's rules, blocks come from
//! `parevm import`, both ports serve the eth methods, and the auth port takes forkchoice updates that
//! move the safe and finalized labels (no payload building). The execution-apis tests run that way.

use anyhow::Context;
use jsonrpsee::RpcModule;
use parevm_node::ethereum::EthereumChain;
use parevm_node::{jwt, server, NodeChain, NodeDurability, OpNode};
use parevm_rpc::ServerOptions;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

/// Arguments of `parevm node` (op-reth's names).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Directory of the chain database (created when absent).
    #[arg(long)]
    pub datadir: PathBuf,
    /// Genesis file (op-geth style: `config` with chainId, fork times and `optimism`, header fields, alloc).
    #[arg(long)]
    pub chain: PathBuf,
    /// The rollup node's rollup.json (chain id, fork times, EIP-1559 constants, genesis hash); it wins over
    /// the genesis file's config.
    #[arg(long = "rollup-config")]
    pub rollup_config: Option<PathBuf>,
    /// Engine API address.
    #[arg(long = "authrpc.addr", default_value = "127.0.0.1")]
    pub authrpc_addr: IpAddr,
    /// Engine API port.
    #[arg(long = "authrpc.port", default_value_t = 8551)]
    pub authrpc_port: u16,
    /// Hex JWT secret file shared with the rollup node (default: DATADIR/jwt.hex, created when absent).
    #[arg(long = "authrpc.jwtsecret")]
    pub authrpc_jwtsecret: Option<PathBuf>,
    /// Serve the eth methods over HTTP.
    #[arg(long)]
    pub http: bool,
    /// HTTP address.
    #[arg(long = "http.addr", default_value = "127.0.0.1")]
    pub http_addr: IpAddr,
    /// HTTP port.
    #[arg(long = "http.port", default_value_t = 8545)]
    pub http_port: u16,
    /// Serve WebSocket on `--ws.addr`:`--ws.port` (that server answers plain HTTP too, and the `--http`
    /// port answers WebSocket too).
    #[arg(long)]
    pub ws: bool,
    /// WebSocket address.
    #[arg(long = "ws.addr", default_value = "127.0.0.1")]
    pub ws_addr: IpAddr,
    /// WebSocket port (op-reth's default; the same as `--http.port` shares one server).
    #[arg(long = "ws.port", default_value_t = 8546)]
    pub ws_port: u16,
    /// RPC namespaces served over HTTP, comma-separated, as op-reth's flag: eth, net, web3, debug, trace,
    /// txpool, ots, or all (the default here: every namespace; op-reth's is eth,net,web3). op-reth's other
    /// names (admin, rpc, reth, miner, mev, flashbots, testing) are accepted and select nothing.
    #[arg(long = "http.api", value_delimiter = ',', value_parser = api_name)]
    pub http_api: Option<Vec<String>>,
    /// Origins a browser may call the `--http` server from (CORS), comma-separated, `*` for any (the
    /// default here: any; op-reth sends no CORS headers without it).
    #[arg(long = "http.corsdomain", value_delimiter = ',')]
    pub http_corsdomain: Option<Vec<String>>,
    /// Origins a browser may open the `--ws` server from, as `--http.corsdomain`.
    #[arg(long = "ws.origins", value_delimiter = ',')]
    pub ws_origins: Option<Vec<String>>,
    /// RPC namespaces served on the `--ws` port, as `--http.api` (when both share one port, it serves the
    /// namespaces of both flags).
    #[arg(long = "ws.api", value_delimiter = ',', value_parser = api_name)]
    pub ws_api: Option<Vec<String>>,
    /// When a committed block is made durable. 0 (the default): right after it becomes visible (held in
    /// memory meanwhile), written by a background thread, so the Engine API answers without waiting for
    /// the disk and the next commit waits for that write; a kill -9 loses at most the latest block, which
    /// the rollup node sends again (op-reth keeps its newest blocks in memory the same way). 1: every block
    /// is durable before the answer. N: every N blocks or every second.
    #[arg(long = "durable-every", default_value_t = 0)]
    pub durable_every: u32,
    /// Worker threads executing a block (1 = sequential).
    #[arg(long, default_value_t = std::thread::available_parallelism().map_or(1, |n| n.get()))]
    pub threads: usize,
}

/// One name of `--http.api` / `--ws.api` (trimmed, lower case): a namespace op-reth knows, or `all`.
fn api_name(s: &str) -> Result<String, String> {
    let name = s.trim().to_ascii_lowercase();
    if name == "all" || server::NAMESPACES.contains(&name.as_str()) {
        Ok(name)
    } else {
        Err(format!(
            "unknown RPC namespace {s:?} (known: all, {})",
            server::NAMESPACES.join(", ")
        ))
    }
}

/// The namespaces one public server serves: `None` for every one, else the union of the flags given.
fn selection(flags: &[&Option<Vec<String>>]) -> Option<Vec<String>> {
    let given: Vec<&Vec<String>> = flags.iter().filter_map(|f| f.as_ref()).collect();
    (!given.is_empty()).then(|| given.into_iter().flatten().cloned().collect())
}

/// One public server to start.
struct Public {
    addr: SocketAddr,
    /// Its namespaces (`None`: every one).
    api: Option<Vec<String>>,
    /// Its CORS origins (`None`: any).
    cors: Option<Vec<String>>,
    what: &'static str,
}

/// The public servers to start; one server where the `--http` and `--ws` addresses are the same.
fn public_servers(args: &Args) -> Vec<Public> {
    let http = SocketAddr::new(args.http_addr, args.http_port);
    let ws = SocketAddr::new(args.ws_addr, args.ws_port);
    match (args.http, args.ws) {
        // Port 0 asks each server for a free port of its own.
        (true, true) if http == ws && http.port() != 0 => vec![Public {
            addr: http,
            api: selection(&[&args.http_api, &args.ws_api]),
            cors: selection(&[&args.http_corsdomain, &args.ws_origins]),
            what: "JSON-RPC (HTTP and WebSocket)",
        }],
        (http_on, ws_on) => {
            let mut out = Vec::new();
            if http_on {
                out.push(Public {
                    addr: http,
                    api: selection(&[&args.http_api]),
                    cors: selection(&[&args.http_corsdomain]),
                    what: "JSON-RPC",
                });
            }
            if ws_on {
                out.push(Public {
                    addr: ws,
                    api: selection(&[&args.ws_api]),
                    cors: selection(&[&args.ws_origins]),
                    what: "JSON-RPC WebSocket",
                });
            }
            out
        }
    }
}

/// The store's durability for `--durable-every`.
fn durability(every: u32) -> NodeDurability {
    NodeDurability {
        every,
        ..Default::default()
    }
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<bool> {
    if args.rollup_config.is_none() && !is_op_genesis(&args.chain)? {
        return run_ethereum(args);
    }
    let chain = NodeChain::load(&args.chain, args.rollup_config.as_deref())?;
    let store = parevm_node::open_store(&args.datadir, durability(args.durable_every))
        .with_context(|| format!("opening {}", args.datadir.display()))?;
    parevm_evm_core::precompile_split::set_threads(args.threads);
    let node = Arc::new(OpNode::open(chain, store, args.threads)?);
    let (head, _) = node.store().head()?;
    eprintln!(
        "parevm node: chain {} genesis {} head {} ({})",
        node.config().chain_id,
        node.genesis_hash(),
        head.number,
        head.hash
    );
    let auth = server::auth_module(node.clone());
    serve(
        &args,
        auth,
        || server::http_module(node.clone()),
        "Engine API",
    )
}

/// Serves either mode's modules until SIGINT/SIGTERM: `auth` behind JWT on `--authrpc.addr`/`port` (the
/// secret from `--authrpc.jwtsecret`, or DATADIR/jwt.hex, created when absent) and the public methods
/// (`public` builds a module per server) with `--http` on `--http.addr`/`port` and with `--ws` on
/// `--ws.addr`/`port`, each filtered by its `--http.api` / `--ws.api` (one server where they coincide).
fn serve<A, H>(
    args: &Args,
    auth: RpcModule<A>,
    public: impl Fn() -> RpcModule<H>,
    auth_name: &str,
) -> anyhow::Result<bool>
where
    A: Send + Sync + 'static,
    H: Send + Sync + 'static,
{
    let secret = jwt::load_or_create(
        args.authrpc_jwtsecret.as_deref(),
        &args.datadir.join("jwt.hex"),
    )?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    rt.block_on(async move {
        let auth_opts = ServerOptions {
            addr: SocketAddr::new(args.authrpc_addr, args.authrpc_port),
            ..ServerOptions::default()
        };
        let auth = server::start_auth_module(auth, secret, &auth_opts)
            .await
            .with_context(|| format!("binding the auth port on {}", auth_opts.addr))?;
        eprintln!("{auth_name} on http://{}", auth.addr);
        let mut running = Vec::new();
        for Public {
            addr,
            api,
            cors,
            what,
        } in public_servers(args)
        {
            let mut module = public();
            let mut note = String::new();
            if let Some(selected) = api {
                server::select_namespaces(&mut module, &selected);
                let mut served: Vec<&str> =
                    module.method_names().map(server::namespace_of).collect();
                served.sort_unstable();
                served.dedup();
                note = format!(" serving {}", served.join(", "));
            }
            let opts = ServerOptions {
                addr,
                cors,
                ..ServerOptions::default()
            };
            let s = parevm_rpc::start(module, &opts)
                .await
                .with_context(|| format!("binding {what} on {addr}"))?;
            eprintln!("{what} on http://{} (ws://{}){note}", s.addr, s.addr);
            running.push(s);
        }
        super::dev::wait_for_signal().await;
        let _ = auth.handle.stop();
        for s in running {
            let _ = s.handle.stop();
        }
        anyhow::Ok(true)
    })
}

/// True when the genesis file's `config` carries OP settings (`optimism` or an OP fork time).
fn is_op_genesis(path: &std::path::Path) -> anyhow::Result<bool> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let Some(config) = v.get("config").and_then(|c| c.as_object()) else {
        return Ok(false);
    };
    const OP_KEYS: &[&str] = &[
        "optimism",
        "bedrockBlock",
        "regolithTime",
        "canyonTime",
        "ecotoneTime",
        "fjordTime",
        "graniteTime",
        "holoceneTime",
        "isthmusTime",
        "jovianTime",
    ];
    Ok(OP_KEYS.iter().any(|k| config.contains_key(*k)))
}

/// Ethereum mode: the eth methods over the imported chain, on the auth port (JWT) and with `--http`.
fn run_ethereum(args: Args) -> anyhow::Result<bool> {
    let text = std::fs::read_to_string(&args.chain)
        .with_context(|| format!("reading {}", args.chain.display()))?;
    let genesis = parevm_block::genesis::parse_genesis(&text)
        .with_context(|| args.chain.display().to_string())?;
    let store = parevm_node::open_store(&args.datadir, durability(args.durable_every))
        .with_context(|| format!("opening {}", args.datadir.display()))?;
    let chain = EthereumChain::open(store, &genesis)?;
    let (head, _) = parevm_node::eth::EthBackend::store(&chain).head()?;
    eprintln!(
        "parevm node (Ethereum rules): chain {} head {} ({})",
        chain.spec().chain_id,
        head.number,
        head.hash
    );
    // One chain (redb opens a database once per process), shared by both servers' modules.
    let chain = Arc::new(chain);
    let auth = server::ethereum_auth_module(chain.clone());
    serve(
        &args,
        auth,
        || server::ethereum_module(chain.clone()),
        "Engine API (forkchoice labels only)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn servers(flags: &[&str]) -> Vec<(u16, Option<Vec<String>>)> {
        let base = ["t", "--datadir", "d", "--chain", "g.json"];
        let cli = Cli::try_parse_from(base.iter().chain(flags)).expect("flags parse");
        public_servers(&cli.args)
            .into_iter()
            .map(|p| (p.addr.port(), p.api))
            .collect()
    }

    #[test]
    fn http_and_ws_get_their_own_ports_and_namespaces() {
        assert!(servers(&[]).is_empty());
        assert_eq!(servers(&["--http"]), [(8545, None)]);
        assert_eq!(
            servers(&["--http", "--ws", "--ws.api", "eth,NET"]),
            [(8545, None), (8546, Some(vec!["eth".into(), "net".into()]))]
        );
        // One port for both: one server with the union of the selections.
        assert_eq!(
            servers(&[
                "--http",
                "--http.api",
                "eth",
                "--ws",
                "--ws.port",
                "8545",
                "--ws.api",
                "web3"
            ]),
            [(8545, Some(vec!["eth".into(), "web3".into()]))]
        );
        assert!(
            Cli::try_parse_from(["t", "--datadir", "d", "--chain", "g", "--http.api", "x"])
                .is_err()
        );
    }
}
