//! Fee suggestions: `eth_gasPrice` (next base fee plus the suggested tip, as anvil answers),
//! `eth_maxPriorityFeePerGas`, `eth_blobBaseFee` and `eth_feeHistory` with reward percentiles.

use crate::context::RpcContext;
use crate::error::{RpcError, RpcResult};
use crate::params::Args;
use crate::register::json;
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::U256;
use alloy_rpc_types_eth::FeeHistory;
use parevm_chain::ChainBlock;
use parevm_evm_core::env::{blob_basefee, BlobParams};
use serde_json::Value;

/// Most blocks one `eth_feeHistory` covers.
pub const MAX_FEE_HISTORY: u64 = 1024;

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

/// The priority fees paid in `block` at the given percentiles (weighted by gas used, as geth does).
fn rewards(block: &ChainBlock, percentiles: &[f64]) -> Vec<u128> {
    let base = block.header.base_fee_per_gas.unwrap_or(0) as u128;
    let mut tips: Vec<(u128, u64)> = block
        .receipts
        .iter()
        .map(|r| (r.effective_gas_price.saturating_sub(base), r.gas_used))
        .collect();
    if tips.is_empty() {
        return vec![0; percentiles.len()];
    }
    tips.sort_unstable();
    let total: u64 = block.header.gas_used.max(1);
    percentiles
        .iter()
        .map(|p| {
            let threshold = (total as f64 * p / 100.0) as u64;
            let mut sum = 0u64;
            for (tip, gas) in &tips {
                sum += gas;
                if sum >= threshold {
                    return *tip;
                }
            }
            tips.last().map_or(0, |t| t.0)
        })
        .collect()
}

/// `eth_feeHistory(count, newest, percentiles?)`.
pub fn fee_history(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let count: U256 = a.req(0)?;
    let newest: BlockNumberOrTag = a.req(1)?;
    let percentiles: Option<Vec<f64>> = a.opt(2)?;
    if let Some(p) = &percentiles {
        let sorted = p.windows(2).all(|w| w[0] <= w[1]);
        if !sorted || p.iter().any(|x| !(0.0..=100.0).contains(x)) {
            return Err(RpcError::InvalidParams(
                "invalid reward percentiles: must be ascending values in [0, 100]".into(),
            ));
        }
    }
    let count = u64::try_from(count)
        .unwrap_or(u64::MAX)
        .min(MAX_FEE_HISTORY);
    let newest = ctx
        .block_by_tag(newest)
        .ok_or_else(|| RpcError::Server("block not found".into()))?;
    if count == 0 {
        return json(FeeHistory::default());
    }
    let oldest = newest.number().saturating_sub(count - 1);
    let blocks: Vec<_> = (oldest..=newest.number())
        .filter_map(|n| ctx.chain.block_by_number(n))
        .collect();
    let mut h = FeeHistory {
        oldest_block: oldest,
        ..Default::default()
    };
    for b in &blocks {
        h.base_fee_per_gas
            .push(b.header.base_fee_per_gas.unwrap_or(0) as u128);
        h.gas_used_ratio
            .push(b.header.gas_used as f64 / b.header.gas_limit.max(1) as f64);
        h.base_fee_per_blob_gas
            .push(blob_fee(ctx, b.header.excess_blob_gas.unwrap_or(0)));
        h.blob_gas_used_ratio.push(0.0);
    }
    let next = ctx.chain.base_fee_after(&newest);
    h.base_fee_per_gas.push(next as u128);
    let excess = parevm_chain::builder::excess_blob_gas_after(ctx.chain.config(), &newest.header);
    h.base_fee_per_blob_gas.push(blob_fee(ctx, excess));
    if let Some(p) = percentiles {
        h.reward = Some(blocks.iter().map(|b| rewards(b, &p)).collect());
    }
    json(h)
}
