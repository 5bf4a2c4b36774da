//! Fee suggestions: `eth_gasPrice` (next base fee plus the suggested tip, as anvil answers),
//! `eth_maxPriorityFeePerGas`, `eth_blobBaseFee` and `eth_feeHistory` with reward percentiles (assembled
//! by [`crate::fee_history`], which `parevm node` shares).

use crate::context::RpcContext;
use crate::error::{RpcError, RpcResult};
use crate::fee_history::{check_percentiles, range, BlockFees, NextFees};
use crate::params::Args;
use crate::register::json;
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::U256;
use alloy_rpc_types_eth::FeeHistory;
use parevm_chain::ChainBlock;
use parevm_evm_core::env::{blob_basefee, BlobParams};
use serde_json::Value;

/// `eth_gasPrice`.
pub fn gas_price(_: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let next = ctx.driver.next_block();
    json(U256::from(
        next.base_fee as u128 + ctx.driver.suggested_tip(),
    ))
}

/// `eth_maxPriorityFeePerGas`.
pub fn max_priority_fee(_: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    json(U256::from(ctx.driver.suggested_tip()))
}

fn blob_fee(ctx: &RpcContext, excess: u64) -> u128 {
    blob_basefee(
        excess,
        BlobParams::for_spec(ctx.chain.config().spec).update_fraction,
    )
}

/// `eth_blobBaseFee`.
pub fn blob_base_fee(_: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let head = ctx.chain.head();
    let excess = parevm_chain::builder::excess_blob_gas_after(ctx.chain.config(), &head.header);
    json(U256::from(blob_fee(ctx, excess)))
}

/// What `block` paid, as fee history reports it (tips from the receipts' effective gas prices).
fn block_fees(ctx: &RpcContext, block: &ChainBlock, with_tips: bool) -> BlockFees {
    let base = block.header.base_fee_per_gas.unwrap_or(0) as u128;
    BlockFees {
        base_fee: base,
        gas_used_ratio: block.header.gas_used as f64 / block.header.gas_limit.max(1) as f64,
        blob_base_fee: blob_fee(ctx, block.header.excess_blob_gas.unwrap_or(0)),
        blob_gas_used_ratio: 0.0,
        gas_used: block.header.gas_used,
        tips: if with_tips {
            block
                .receipts
                .iter()
                .map(|r| (r.effective_gas_price.saturating_sub(base), r.gas_used))
                .collect()
        } else {
            Vec::new()
        },
    }
}

/// `eth_feeHistory(count, newest, percentiles?)` ([`crate::fee_history`]).
pub fn fee_history(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let count: U256 = a.req(0)?;
    let newest: BlockNumberOrTag = a.req(1)?;
    let percentiles: Option<Vec<f64>> = a.opt(2)?;
    check_percentiles(percentiles.as_deref())?;
    let newest = ctx
        .block_by_tag(newest)
        .ok_or_else(|| RpcError::Server("block not found".into()))?;
    let Some(oldest) = range(count, newest.number()) else {
        return json(FeeHistory::default());
    };
    let h = crate::fee_history::fee_history(
        oldest,
        newest.number(),
        percentiles.as_deref(),
        |n, tips| {
            Ok::<_, RpcError>(
                ctx.chain
                    .block_by_number(n)
                    .map(|b| block_fees(ctx, &b, tips)),
            )
        },
        |_| {
            let excess =
                parevm_chain::builder::excess_blob_gas_after(ctx.chain.config(), &newest.header);
            Ok(NextFees {
                base_fee: ctx.chain.base_fee_after(&newest) as u128,
                blob_base_fee: blob_fee(ctx, excess),
            })
        },
    )?;
    json(h)
}
