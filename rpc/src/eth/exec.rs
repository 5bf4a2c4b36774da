//! Executing without mining: `eth_call`, `eth_estimateGas` (exact: a binary search down to the least
//! gas that succeeds) and `eth_createAccessList` (the call run with the list it touched until the list
//! stops changing).

use crate::context::RpcContext;
use crate::convert;
use crate::error::{RpcError, RpcResult};
use crate::eth::overrides::{run_with_overrides, CallOverrides};
use crate::params::Args;
use crate::register::json;
use alloy_eips::BlockId;
use alloy_primitives::U256;
use alloy_rpc_types_eth::TransactionRequest;
use parevm_chain::builder::tx_gas_cap;
use parevm_chain::call::{call_on, call_output, estimate_on, out_of_gas};
use parevm_chain::{block_env, block_env_of, Estimate};
use parevm_evm_core::{BlockEnv, Env, StateView, TxEnv, ViewError};
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

/// The state and block overrides at positions `state` and `state + 1` of a call's parameters.
fn overrides_at(a: &Args, state: usize) -> RpcResult<CallOverrides> {
    Ok(CallOverrides {
        state: a.opt(state)?,
        block: a.opt(state + 1)?,
    })
}

/// `eth_call(request, block?, stateOverrides?, blockOverrides?)`: at `pending` on the state after the
/// pending block (the pool's transactions applied), as anvil calls.
pub fn call(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(4)?;
    let req: TransactionRequest = a.req(0)?;
    let id = a.opt(1)?;
    let overrides = overrides_at(a, 2)?;
    let out = run_with_overrides(ctx, &req, id, &overrides, |view, cfg, block, tx| {
        Ok(call_on(Env { cfg, block, tx }, view)?)
    })?;
    if !out.status.is_success() {
        return Err(RpcError::from_failed(out.status, out.output));
    }
    json(call_output(&out))
}

/// `eth_estimateGas(request, block?, stateOverrides?, blockOverrides?)`: the least gas that succeeds, at
/// most what the sender can pay for at the request's price; at `pending` on the state after the pending
/// block, as anvil estimates.
pub fn estimate_gas(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(4)?;
    let req: TransactionRequest = a.req(0)?;
    let id = a.opt(1)?;
    let overrides = overrides_at(a, 2)?;
    let (cap, estimate) = run_with_overrides(ctx, &req, id, &overrides, |view, cfg, block, tx| {
        let cap = affordable_on(view, &tx)?.min(tx.gas_limit);
        Ok((cap, estimate_on(view, &cfg, &block, &tx, cap)?))
    })?;
    match estimate {
        Estimate::Gas(g) => json(U256::from(g)),
        Estimate::Fails(out) if out_of_gas(&out) => Err(RpcError::Rejected(format!(
            "gas required exceeds allowance ({cap})"
        ))),
        Estimate::Fails(out) => Err(RpcError::from_failed(out.status, out.output)),
    }
}

/// `eth_createAccessList(request, block?)`: runs the call, takes the accounts and slots it touched as the
/// list, and runs again with that list until it stops changing; `gasUsed` is the last run's.
pub fn create_access_list(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(2)?;
    let req: TransactionRequest = a.req(0)?;
    let (number, benv, cap) = call_context(ctx, a.opt(1)?)?;
    let mut tx = call_tx(ctx, &req, number, cap)?;
    // The list is what a type-1 or later transaction carries (EIP-2930 lists warm nothing before Berlin).
    if tx.tx_type == parevm_evm_core::env::tx_type::LEGACY {
        tx.tx_type = parevm_evm_core::env::tx_type::EIP2930;
    }
    let target = match tx.kind {
        alloy_primitives::TxKind::Call(to) => to,
        alloy_primitives::TxKind::Create => tx.caller.create(tx.nonce),
    };
    let exclude = [tx.caller, target, benv.beneficiary];
    let spec = ctx.chain.config().spec;
    let mut rounds = 0;
    loop {
        let out = ctx.chain.call(tx.clone(), number, benv.clone())?;
        let list = crate::access_list::list_of(&out, &exclude, |a| {
            parevm_evm_core::precompiles::is_precompile(spec, a)
        });
        rounds += 1;
        if list == tx.access_list || rounds >= crate::access_list::ROUNDS {
            return Ok(crate::access_list::answer(&list, &out));
        }
        tx.access_list = list;
    }
}

/// The most gas the sender can pay for at the request's price on the state after block `number` (all of
/// it when the price is zero).
pub(crate) fn affordable_gas(ctx: &RpcContext, tx: &TxEnv, number: u64) -> RpcResult<u64> {
    Ok(ctx.chain.read_state(number, |s| affordable_on(s, tx))??)
}

/// The most gas the sender can pay for at the request's price on `view`.
fn affordable_on(view: &dyn StateView, tx: &TxEnv) -> Result<u64, ViewError> {
    if tx.gas_price.is_zero() {
        return Ok(u64::MAX);
    }
    let left = view.balance(tx.caller)?.saturating_sub(tx.value);
    Ok(u64::try_from(left / tx.gas_price).unwrap_or(u64::MAX))
}
