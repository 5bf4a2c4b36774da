//! One `parevm node` in process: an [`OpNode`] on a redb datadir and its Engine API module
//! (`server::auth_module`: the same handlers the auth port serves), called with raw JSON-RPC requests.
//! Only the HTTP transport and the JWT check are left out; JSON parsing, the payload's conversion to a
//! block, its hash check, execution, the state root, the store's commit and the answer's encoding are in.

use super::NewPayloadError;
use jsonrpsee::RpcModule;
use parevm_node::engine_api::EngineContext;
use parevm_node::{server, NodeChain, OpNode};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A node and its Engine API module.
pub struct Engine {
    node: Arc<OpNode>,
    module: RpcModule<EngineContext>,
    rt: tokio::runtime::Runtime,
    /// Its datadir.
    pub dir: PathBuf,
}

/// A JSON-RPC request's text.
pub fn request(method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string()
}

impl Engine {
    /// Opens the chain in `dir` (writing the genesis when it is empty) on `threads` executor threads,
    /// making commits durable as `durability` says.
    pub fn open(
        chain: NodeChain,
        dir: &Path,
        threads: usize,
        durability: parevm_node::NodeDurability,
    ) -> Result<Self, NewPayloadError> {
        let store =
            parevm_node::open_store(dir, durability).map_err(parevm_node::NodeError::from)?;
        let node = Arc::new(OpNode::open(chain, store, threads)?);
        let module = server::auth_module(node.clone());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| NewPayloadError::Setup(format!("tokio runtime: {e}")))?;
        Ok(Self {
            node,
            module,
            rt,
            dir: dir.to_path_buf(),
        })
    }

    /// The node.
    pub fn node(&self) -> &OpNode {
        &self.node
    }

    /// Sends `req` (a whole JSON-RPC request) and returns the result and the time until the answer was
    /// encoded; an error answer is an error naming `what`.
    pub fn send(&self, what: &str, req: &str) -> Result<(Value, Duration), NewPayloadError> {
        let start = Instant::now();
        let (answer, _) = self
            .rt
            .block_on(self.module.raw_json_request(req, 1))
            .map_err(|e| NewPayloadError::Rpc(format!("{what}: {e}")))?;
        let took = start.elapsed();
        let v: Value = serde_json::from_str(answer.get())
            .map_err(|e| NewPayloadError::Rpc(format!("{what}: {e}")))?;
        match v.get("result") {
            Some(r) => Ok((r.clone(), took)),
            None => Err(NewPayloadError::Rpc(format!("{what}: {v}"))),
        }
    }
}
