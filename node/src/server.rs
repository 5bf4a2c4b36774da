//! Starting the node's servers: the auth port (Engine API + the eth methods a rollup node reads, behind
//! JWT) and, with `--http` / `--ws`, the same eth methods without auth (each server answering HTTP and
//! WebSocket, as the devnet's), narrowed to op-reth's `--http.api` / `--ws.api` namespaces
//! ([`select_namespaces`]). Both are jsonrpsee on tokio with parevm-rpc's limits.
//!
//! ```text
//! 127.0.0.1:8551  JwtAuth (401) -> engine_* + eth_* (RpcModule<EngineContext>)
//! 127.0.0.1:8545  CORS          -> eth_* (same handlers, same context)
//! ```
//! In Ethereum mode ([`crate::ethereum`]) both ports serve the eth methods; the auth port adds
//! forkchoice label updates ([`crate::eth_forkchoice`]).

use crate::engine_api::{register_engine, EngineContext};
use crate::eth::register_eth;
use crate::ethereum::EthereumChain;
use crate::jwt::JwtAuth;
use crate::service::OpNode;
use alloy_rpc_types_engine::JwtSecret;
use jsonrpsee::server::{BatchRequestConfig, Server, ServerConfig};
use jsonrpsee::RpcModule;
use parevm_rpc::{RunningServer, ServerOptions};
use std::sync::Arc;
use tower_http::validate_request::ValidateRequestHeaderLayer;

/// The auth port's methods: engine_* and the eth reads.
pub fn auth_module(node: Arc<OpNode>) -> RpcModule<EngineContext> {
    let mut m = RpcModule::new(EngineContext { node });
    register_engine(&mut m);
    register_eth(&mut m);
    crate::eth_trace::register_trace(&mut m);
    crate::eth_ots::register_ots(&mut m);
    register_op_unsupported(&mut m);
    m
}

/// The public port's methods: the eth reads only.
pub fn http_module(node: Arc<OpNode>) -> RpcModule<EngineContext> {
    let mut m = RpcModule::new(EngineContext { node });
    register_eth(&mut m);
    crate::eth_trace::register_trace(&mut m);
    crate::eth_ots::register_ots(&mut m);
    register_op_unsupported(&mut m);
    m
}

/// Methods Ethereum mode serves and OP mode does not, answered with a -32601 that says so (rather than
/// jsonrpsee's bare "Method not found"): `eth_simulateV1` simulates Ethereum blocks (Ethereum headers,
/// receipts and requests), and OP blocks (L1-info deposit, L1 and operator fees, OP header rules) are not
/// simulated.
fn register_op_unsupported(m: &mut RpcModule<EngineContext>) {
    let r = m.register_method("eth_simulateV1", |_, _, _| {
        Err::<(), _>(jsonrpsee::types::ErrorObjectOwned::owned(
            jsonrpsee::types::error::METHOD_NOT_FOUND_CODE,
            "eth_simulateV1 is not supported in OP mode (parevm node --rollup-config); \
             it is served in Ethereum mode only",
            None::<()>,
        ))
    });
    debug_assert!(r.is_ok(), "duplicate method eth_simulateV1");
}

/// Starts the Engine API server on `opts.addr`, refusing requests without a valid token for `secret`.
pub async fn start_auth(
    node: Arc<OpNode>,
    secret: JwtSecret,
    opts: &ServerOptions,
) -> std::io::Result<RunningServer> {
    start_auth_module(auth_module(node), secret, opts).await
}

/// The eth methods of an Ethereum-mode chain (both ports serve them; the auth port adds forkchoice,
/// [`ethereum_auth_module`]).
pub fn ethereum_module(chain: Arc<EthereumChain>) -> RpcModule<EthereumChain> {
    let mut m = RpcModule::from_arc(chain);
    register_eth(&mut m);
    crate::eth_exec::register_exec(&mut m);
    crate::eth_trace::register_trace(&mut m);
    crate::eth_ots::register_ots(&mut m);
    m
}

/// The auth port's methods in Ethereum mode: the eth methods and forkchoice labels.
pub fn ethereum_auth_module(chain: Arc<EthereumChain>) -> RpcModule<EthereumChain> {
    let mut m = ethereum_module(chain);
    crate::eth_forkchoice::register_forkchoice(&mut m);
    m
}

/// Starts `module` on `opts.addr` behind JWT authentication with `secret`.
pub async fn start_auth_module<C: Send + Sync + 'static>(
    module: RpcModule<C>,
    secret: JwtSecret,
    opts: &ServerOptions,
) -> std::io::Result<RunningServer> {
    let cfg = ServerConfig::builder()
        .max_request_body_size(opts.max_request_body)
        .max_response_body_size(opts.max_response_body)
        .max_connections(opts.max_connections)
        .set_batch_request_config(BatchRequestConfig::Limit(opts.max_batch))
        .http_only()
        .build();
    let server = Server::builder()
        .set_config(cfg)
        .set_http_middleware(
            tower::ServiceBuilder::new()
                .layer(ValidateRequestHeaderLayer::custom(JwtAuth::new(secret))),
        )
        .build(opts.addr)
        .await?;
    let addr = server.local_addr()?;
    let handle = server.start(module);
    Ok(RunningServer { addr, handle })
}

/// The RPC namespaces op-reth's `--http.api` / `--ws.api` name. Those `parevm node` serves methods of:
/// `eth`, `net`, `web3`, `debug`, `trace`, `txpool`, `ots` (with `erigon_getHeaderByNumber`, as reth files
/// it). The others are accepted so that an op-reth command line starts, and select nothing here.
pub const NAMESPACES: &[&str] = &[
    "eth",
    "net",
    "web3",
    "debug",
    "trace",
    "txpool",
    "ots",
    "admin",
    "rpc",
    "reth",
    "miner",
    "mev",
    "flashbots",
    "testing",
];

/// The namespace a method belongs to for `--http.api` (its name's prefix; `erigon_getHeaderByNumber` is
/// Otterscan's).
pub fn namespace_of(method: &str) -> &str {
    match method.split_once('_').map_or(method, |(ns, _)| ns) {
        "erigon" => "ots",
        ns => ns,
    }
}

/// Keeps only the methods of `module` whose namespace is in `selected` (`all` keeps every one, as reth's
/// `--http.api all`); returns how many were removed.
pub fn select_namespaces<C: Send + Sync + 'static>(
    module: &mut RpcModule<C>,
    selected: &[String],
) -> usize {
    if selected.iter().any(|s| s == "all") {
        return 0;
    }
    let dropped: Vec<&'static str> = module
        .method_names()
        .filter(|m| !selected.iter().any(|s| s == namespace_of(m)))
        .collect();
    for m in &dropped {
        module.remove_method(m);
    }
    dropped.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module() -> RpcModule<()> {
        let mut m = RpcModule::new(());
        for name in [
            "eth_call",
            "eth_chainId",
            "debug_traceTransaction",
            "ots_getApiLevel",
            "erigon_getHeaderByNumber",
            "txpool_status",
        ] {
            m.register_method(name, |_, _, _| "ok").unwrap();
        }
        m
    }

    fn names(m: &RpcModule<()>) -> Vec<&'static str> {
        let mut v: Vec<_> = m.method_names().collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn a_selection_keeps_its_namespaces_only() {
        let mut m = module();
        assert_eq!(select_namespaces(&mut m, &["eth".into(), "ots".into()]), 2);
        assert_eq!(
            names(&m),
            [
                "erigon_getHeaderByNumber",
                "eth_call",
                "eth_chainId",
                "ots_getApiLevel"
            ]
        );
    }

    #[test]
    fn all_keeps_everything_and_an_unserved_namespace_selects_nothing() {
        let mut m = module();
        assert_eq!(select_namespaces(&mut m, &["all".into()]), 0);
        assert_eq!(names(&m).len(), 6);
        assert_eq!(select_namespaces(&mut m, &["admin".into()]), 6);
        assert!(names(&m).is_empty());
    }
}
