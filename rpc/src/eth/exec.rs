//! Executing without mining: `eth_call` and `eth_estimateGas` (exact: a binary search down to the least
//! gas that succeeds).

use crate::context::RpcContext;
use crate::convert;
use crate::error::{RpcError, RpcResult};
use crate::params::Args;
use crate::register::json;
use alloy_eips::BlockId;
use alloy_primitives::U256;
use alloy_rpc_types_eth::TransactionRequest;
use parevm_chain::builder::tx_gas_cap;
use parevm_chain::call::out_of_gas;
use parevm_chain::{block_env, block_env_of, Estimate};
use parevm_evm_core::{BlockEnv, TxEnv};
use serde_json::Value;

/// The state block, its EVM context and the gas cap of a call at `id`.
pub fn call_context(ctx: &RpcContext, id: Option<BlockId>) -> RpcResult<(u64, BlockEnv, u64)> {
    let block = ctx.state_block(id)?;
    if RpcContext::is_pending(id) {
        let params = ctx.driver.next_block();
        let env = block_env(
            ctx.chain.config(),
            block.number() + 1,
            &params,
            parevm_chain::builder::excess_blob_gas_after(ctx.chain.config(), &block.header),
        );
        let cap = tx_gas_cap(ctx.chain.config(), params.gas_limit);
        return Ok((block.number(), env, cap));
    }
    let cap = tx_gas_cap(ctx.chain.config(), block.header.gas_limit);
    Ok((block.number(), block_env_of(&ctx.chain, &block), cap))
}

/// The EVM fields of a call request at block `number`: a missing nonce is the sender's nonce there (a
/// creation's address depends on it).
pub fn call_tx(
    ctx: &RpcContext,
    req: &TransactionRequest,
    number: u64,
    cap: u64,
) -> RpcResult<TxEnv> {
    let mut tx = convert::call_tx(req, cap);
    if req.nonce.is_none() {
        tx.nonce = ctx.chain.read_state(number, |s| s.nonce(tx.caller))??;
    }
    Ok(tx)
}

/// `eth_call(request, block?)`.
pub fn call(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let req: TransactionRequest = a.req(0)?;
    let (number, benv, cap) = call_context(ctx, a.opt(1)?)?;
    let tx = call_tx(ctx, &req, number, cap)?;
    let out = ctx.chain.call(tx, number, benv)?;
    if !out.status.is_success() {
        return Err(RpcError::from_failed(out.status, out.output));
    }
    json(out.output)
}

/// `eth_estimateGas(request, block?)`.
pub fn estimate_gas(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let req: TransactionRequest = a.req(0)?;
    let id = a.opt(1)?;
    let (number, benv, block_cap) = call_context(ctx, id)?;
    let tx = call_tx(ctx, &req, number, block_cap)?;
    let cap = affordable_gas(ctx, &tx, number)?.min(tx.gas_limit);
    match ctx.chain.estimate_gas(tx, number, benv, cap)? {
        Estimate::Gas(g) => json(U256::from(g)),
        Estimate::Fails(out) if out_of_gas(&out) => Err(RpcError::Rejected(format!(
            "gas required exceeds allowance ({cap})"
        ))),
        Estimate::Fails(out) => Err(RpcError::from_failed(out.status, out.output)),
    }
}

/// The most gas the sender can pay for at the request's price (all of it when the price is zero).
fn affordable_gas(ctx: &RpcContext, tx: &TxEnv, number: u64) -> RpcResult<u64> {
    if tx.gas_price.is_zero() {
        return Ok(u64::MAX);
    }
    let balance = ctx.chain.read_state(number, |s| s.balance(tx.caller))??;
    let left = balance.saturating_sub(tx.value);
    let gas = left / tx.gas_price;
    Ok(u64::try_from(gas).unwrap_or(u64::MAX))
}
