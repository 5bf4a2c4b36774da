//! The HTTP + WebSocket server (jsonrpsee on tokio, one port for both, CORS open as anvil has it) with
//! limits on body size, batch length and connections, so no request can exhaust the process.

use crate::context::RpcContext;
use crate::pubsub::HexIdProvider;
use http::{HeaderValue, Method};
use jsonrpsee::server::{BatchRequestConfig, Server, ServerConfig, ServerHandle};
use jsonrpsee::RpcModule;
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

/// Server limits and address.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Where to listen (127.0.0.1:8545 by default).
    pub addr: SocketAddr,
    /// Largest request body in bytes.
    pub max_request_body: u32,
    /// Largest response body in bytes.
    pub max_response_body: u32,
    /// Most calls in one batch.
    pub max_batch: u32,
    /// Most simultaneous connections.
    pub max_connections: u32,
    /// Origins a browser may call from (CORS): `None` allows any (anvil's default), `Some` only those
    /// listed (none: no CORS headers at all), `*` among them any.
    pub cors: Option<Vec<String>>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8545)),
            max_request_body: 32 * 1024 * 1024,
            max_response_body: 256 * 1024 * 1024,
            max_batch: 1000,
            max_connections: 1000,
            cors: None,
        }
    }
}

/// The CORS layer for `origins` ([`ServerOptions::cors`]); an origin that is no valid header value is an
/// `InvalidInput` error naming it.
fn cors_layer(origins: Option<&[String]>) -> std::io::Result<CorsLayer> {
    let Some(origins) = origins.filter(|o| !o.iter().any(|o| o == "*")) else {
        return Ok(CorsLayer::permissive());
    };
    let values = origins
        .iter()
        .map(|o| {
            HeaderValue::from_str(o).map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("not a CORS origin: {o:?}"),
                )
            })
        })
        .collect::<std::io::Result<Vec<_>>>()?;
    Ok(CorsLayer::new()
        .allow_origin(AllowOrigin::list(values))
        .allow_methods([Method::POST, Method::GET, Method::OPTIONS])
        .allow_headers(Any))
}

/// The eth, net, web3, txpool, debug and pubsub methods over `ctx`.
pub fn eth_module(ctx: Arc<RpcContext>) -> RpcModule<RpcContext> {
    let mut m = RpcModule::from_arc(ctx);
    crate::eth::register(&mut m);
    crate::txpool::register(&mut m);
    crate::debug::register(&mut m);
    crate::pubsub::register(&mut m);
    m
}

/// A running server.
#[derive(Debug)]
pub struct RunningServer {
    /// The address it listens on (the real port when 0 was asked for).
    pub addr: SocketAddr,
    /// Stops it.
    pub handle: ServerHandle,
}

/// Starts serving `module` (any methods merged into it, dev methods included).
pub async fn start<C: Send + Sync + 'static>(
    module: RpcModule<C>,
    opts: &ServerOptions,
) -> std::io::Result<RunningServer> {
    let cfg = ServerConfig::builder()
        .max_request_body_size(opts.max_request_body)
        .max_response_body_size(opts.max_response_body)
        .max_connections(opts.max_connections)
        .set_batch_request_config(BatchRequestConfig::Limit(opts.max_batch))
        .set_id_provider(HexIdProvider::default())
        .build();
    let server = Server::builder()
        .set_config(cfg)
        .set_http_middleware(tower::ServiceBuilder::new().layer(cors_layer(opts.cors.as_deref())?))
        .build(opts.addr)
        .await?;
    let addr = server.local_addr()?;
    let handle = server.start(module);
    Ok(RunningServer { addr, handle })
}
