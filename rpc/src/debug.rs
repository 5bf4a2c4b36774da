//! The `debug_*` namespace: `debug_traceTransaction`, `debug_traceCall` and `debug_traceBlockByNumber` /
//! `ByHash` with the struct logger (default), `callTracer` and `prestateTracer` (with `diffMode`).
//!
//! ```text
//! traceTransaction: Chain::replay(hash) -> (env, state before it) -> trace_one
//! traceCall:        call env on the state after the block         -> trace_one
//! traceBlock*:      Chain::replay_block -> trace_one per transaction -> [{ txHash, result }]
//! trace_one: TxExecution with the chosen tracer attached -> outcome -> the tracer's JSON
//! ```

use crate::context::RpcContext;
use crate::error::{RpcError, RpcResult};
use crate::eth::overrides::{run_with_overrides, CallOverrides};
use crate::params::Args;
use crate::register::{blocking, json};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::B256;
use alloy_rpc_types_eth::TransactionRequest;
use alloy_rpc_types_trace::geth::{
    GethDebugBuiltInTracerType, GethDebugTracerType, GethDebugTracingCallOptions,
    GethDebugTracingOptions, GethTrace,
};
use jsonrpsee::RpcModule;
use parevm_chain::SharedBlock;
use parevm_evm_core::{Env, StateView, TxExecution};
use parevm_trace::prestate::PrestateOptions;
use parevm_trace::{prestate, CallTracer, StructLogConfig, StructLogger};
use serde_json::Value;

/// Traces one transaction `env` on `view` as `opts` asks.
pub fn trace_one(
    env: &Env,
    view: &dyn StateView,
    opts: &GethDebugTracingOptions,
) -> RpcResult<GethTrace> {
    let run = |exec: &mut TxExecution| exec.resume(view).map_err(RpcError::from);
    match &opts.tracer {
        None => {
            let c = &opts.config;
            let logger = StructLogger::new(StructLogConfig {
                disable_stack: c.disable_stack.unwrap_or(false),
                disable_storage: c.disable_storage.unwrap_or(false),
                enable_memory: c.enable_memory.unwrap_or(false),
                enable_return_data: c.enable_return_data.unwrap_or(false),
            });
            let mut exec = TxExecution::new(env.clone());
            exec.set_tracer(Box::new(logger.clone()));
            let out = run(&mut exec)?;
            Ok(GethTrace::Default(logger.frame(
                out.gas_used,
                out.status,
                out.output,
            )))
        }
        Some(GethDebugTracerType::BuiltInTracer(GethDebugBuiltInTracerType::CallTracer)) => {
            let cfg = opts
                .tracer_config
                .clone()
                .into_call_config()
                .map_err(|e| RpcError::InvalidParams(e.to_string()))?;
            let mut tracer = CallTracer::new(cfg.only_top_call.unwrap_or(false));
            if cfg.with_log == Some(true) {
                tracer = tracer.with_logs();
            }
            let mut exec = TxExecution::new(env.clone());
            exec.set_tracer(Box::new(tracer.clone()));
            let out = run(&mut exec)?;
            let frame = tracer
                .frame(out.gas_used)
                .ok_or_else(|| RpcError::Internal("call tracer saw no frame".into()))?;
            Ok(GethTrace::CallTracer(frame))
        }
        Some(GethDebugTracerType::BuiltInTracer(GethDebugBuiltInTracerType::PreStateTracer)) => {
            let cfg = opts
                .tracer_config
                .clone()
                .into_pre_state_config()
                .map_err(|e| RpcError::InvalidParams(e.to_string()))?;
            let out = run(&mut TxExecution::new(env.clone()))?;
            let frame = prestate(
                view,
                &out,
                env.tx.caller,
                env.tx.kind.to().copied(),
                env.block.beneficiary,
                PrestateOptions {
                    diff_mode: cfg.diff_mode.unwrap_or(false),
                    disable_code: cfg.disable_code.unwrap_or(false),
                    disable_storage: cfg.disable_storage.unwrap_or(false),
                },
            )
            .map_err(|e| RpcError::Internal(e.to_string()))?;
            Ok(GethTrace::PreStateTracer(frame))
        }
        Some(other) => Err(RpcError::Unsupported(format!(
            "tracer {other:?} is not supported (struct logger, callTracer, prestateTracer are)"
        ))),
    }
}

fn trace_transaction(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let hash: B256 = a.req(0)?;
    let opts: GethDebugTracingOptions = a.opt(1)?.unwrap_or_default();
    let r = ctx
        .chain
        .replay(&hash, |env, view| trace_one(env, view, &opts))?;
    match r {
        Some(trace) => json(trace?),
        None => Err(RpcError::Server(format!("transaction {hash} not found"))),
    }
}

fn trace_call(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(3)?;
    let req: TransactionRequest = a.req(0)?;
    let id: Option<BlockId> = a.opt(1)?;
    let opts: GethDebugTracingCallOptions = a.opt(2)?.unwrap_or_default();
    let overrides = CallOverrides {
        state: opts.state_overrides,
        block: opts.block_overrides,
    };
    // At `pending`, on the state after the pending block (anvil's answer).
    let trace = run_with_overrides(ctx, &req, id, &overrides, |view, cfg, block, tx| {
        trace_one(&Env { cfg, block, tx }, view, &opts.tracing_options)
    })?;
    json(trace)
}

fn trace_block(
    ctx: &RpcContext,
    block: SharedBlock,
    opts: &GethDebugTracingOptions,
) -> RpcResult<Value> {
    let traces = ctx.chain.replay_block(&block, None, |env, view, i| {
        trace_one(env, view, opts).map(|t| (block.txs[i].hash, t))
    })?;
    let mut out = Vec::with_capacity(traces.len());
    for t in traces {
        let (hash, result) = t?;
        out.push(serde_json::json!({ "txHash": hash, "result": result }));
    }
    json(out)
}

fn trace_block_by_number(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let tag: BlockNumberOrTag = a.req(0)?;
    let opts: GethDebugTracingOptions = a.opt(1)?.unwrap_or_default();
    let block = ctx
        .block_by_tag(tag)
        .ok_or_else(|| RpcError::Server("block not found".into()))?;
    trace_block(ctx, block, &opts)
}

fn trace_block_by_hash(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let hash: B256 = a.req(0)?;
    let opts: GethDebugTracingOptions = a.opt(1)?.unwrap_or_default();
    let block = ctx
        .chain
        .block_by_hash(&hash)
        .ok_or_else(|| RpcError::Server("block not found".into()))?;
    trace_block(ctx, block, &opts)
}

/// Registers the debug methods.
pub fn register(m: &mut RpcModule<RpcContext>) {
    blocking(m, "debug_traceTransaction", trace_transaction);
    blocking(m, "debug_traceCall", trace_call);
    blocking(m, "debug_traceBlockByNumber", trace_block_by_number);
    blocking(m, "debug_traceBlockByHash", trace_block_by_hash);
    crate::debug_raw::register(m);
    crate::trace_ns::register(m);
    crate::trace_replay::register(m);
    crate::ots::register(m);
}
