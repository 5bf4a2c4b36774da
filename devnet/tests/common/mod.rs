//! What the devnet's integration tests share: a devnet in memory with anvil's defaults, a fixed genesis
//! time and `threads` block-building threads, and its methods as one in-process module.

// Each test binary that includes this module uses some of it.
#![allow(dead_code)]

use parevm_chain::ChainConfig;
use parevm_devnet::{rpc_module, Devnet, DevnetOptions};
use parevm_rpc::RpcContext;
use std::sync::Arc;

/// A devnet on anvil's defaults with genesis at a fixed time, and every method it answers.
pub fn devnet(threads: usize) -> (Arc<Devnet>, jsonrpsee::RpcModule<RpcContext>) {
    devnet_with(DevnetOptions {
        chain: ChainConfig {
            threads,
            ..ChainConfig::default()
        },
        genesis_timestamp: Some(1_700_000_000),
        ..DevnetOptions::default()
    })
}

/// A devnet started with `options`, and every method it answers.
pub fn devnet_with(options: DevnetOptions) -> (Arc<Devnet>, jsonrpsee::RpcModule<RpcContext>) {
    let dev = Devnet::new(options, None).expect("the devnet starts");
    let module = rpc_module(&dev).expect("the methods register");
    (dev, module)
}
