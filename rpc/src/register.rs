//! Registering handlers: every handler is a plain function from positional [`Args`] and the shared
//! [`RpcContext`] to a JSON value; errors become JSON-RPC error objects here.

use crate::context::RpcContext;
use crate::error::{RpcError, RpcResult};
use crate::params::Args;
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::RpcModule;
use serde::Serialize;
use serde_json::Value;

/// A handler over context `C` (the eth context, or the devnet's).
pub type Handler<C = RpcContext> = fn(&Args, &C) -> RpcResult<Value>;

/// Serializes a handler's answer.
pub fn json<T: Serialize>(v: T) -> RpcResult<Value> {
    serde_json::to_value(v).map_err(|e| RpcError::Internal(e.to_string()))
}

fn run<C>(
    params: &jsonrpsee::types::Params<'_>,
    ctx: &C,
    f: Handler<C>,
) -> Result<Value, ErrorObjectOwned> {
    let args = Args::new(params)?;
    f(&args, ctx).map_err(Into::into)
}

/// Registers a cheap handler (runs on the server's async threads).
pub fn method<C: Send + Sync + 'static>(m: &mut RpcModule<C>, name: &'static str, f: Handler<C>) {
    // Names are unique by construction: a duplicate is a programming error caught by the tests.
    let r = m.register_method(name, move |params, ctx, _| run(&params, ctx, f));
    debug_assert!(r.is_ok(), "duplicate method {name}");
}

/// Registers a handler that may execute transactions or mine (runs on a blocking thread).
pub fn blocking<C: Send + Sync + 'static>(m: &mut RpcModule<C>, name: &'static str, f: Handler<C>) {
    let r = m.register_blocking_method(name, move |params, ctx, _| run(&params, &*ctx, f));
    debug_assert!(r.is_ok(), "duplicate method {name}");
}

/// Registers `alias` for the already registered `name`.
pub fn alias<C: Send + Sync + 'static>(
    m: &mut RpcModule<C>,
    alias: &'static str,
    name: &'static str,
) {
    let r = m.register_alias(alias, name);
    debug_assert!(r.is_ok(), "alias {alias} for {name}");
}
