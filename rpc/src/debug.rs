//! The `debug_*` namespace (tracers come in the tracing milestone).

use crate::context::RpcContext;
use jsonrpsee::RpcModule;

/// Registers the debug methods.
pub fn register(_m: &mut RpcModule<RpcContext>) {}
