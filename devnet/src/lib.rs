//! # parevm-devnet
//!
//! `parevm dev`: the anvil-compatible local chain. It is the shared chain service (`parevm-chain`) and the
//! eth JSON-RPC server (`parevm-rpc`) with anvil's layer on top: dev accounts from a mnemonic, mining
//! modes, a clock that can travel, impersonation, snapshots, state dumps, and the dev methods.
//!
//! ```text
//! parevm dev flags -> DevnetOptions -> Devnet (Chain + clock + mining + accounts) = rpc::Driver
//!                                        |
//!   eth_module(RpcContext) + dev_module(DevCtx) -> one jsonrpsee server on 127.0.0.1:8545 (HTTP + WS)
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod accounts;
pub mod banner;
pub mod clock;
pub mod datadir;
pub mod erc20;
pub mod error;
pub mod fork;
pub mod fork_rpc;
pub mod genesis;
pub mod methods;
pub mod node;
pub mod reorg;
pub mod state_file;

pub use error::DevnetError;
pub use node::{Devnet, DevnetOptions, ForkTarget, Mining};

use parevm_rpc::{RpcContext, RunningServer, ServerOptions};
use std::sync::Arc;

/// Every method `parevm dev` answers: the eth namespaces over `dev`'s chain and the dev methods.
pub fn rpc_module(dev: &Arc<Devnet>) -> Result<jsonrpsee::RpcModule<RpcContext>, DevnetError> {
    let ctx = RpcContext::new(dev.chain.clone(), dev.clone());
    let mut module = parevm_rpc::eth_module(ctx.clone());
    module
        .merge(methods::dev_module(dev.clone(), ctx))
        .map_err(|e| DevnetError::Server(e.to_string()))?;
    fork_rpc::forward_history(&mut module, dev.clone())?;
    Ok(module)
}

/// Serves `dev` over HTTP and WebSocket: the eth namespaces and the dev methods on one port.
pub async fn serve(dev: Arc<Devnet>, opts: &ServerOptions) -> Result<RunningServer, DevnetError> {
    let module = rpc_module(&dev)?;
    if let Mining::Interval(every) = dev.options.mining {
        dev.set_interval(Some(every));
    }
    parevm_rpc::start(module, opts)
        .await
        .map_err(|e| DevnetError::Server(format!("{}: {e}", opts.addr)))
}
