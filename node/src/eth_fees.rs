//! The fee methods of `parevm node` in both modes: `eth_feeHistory`, `eth_gasPrice`,
//! `eth_maxPriorityFeePerGas` and `eth_blobBaseFee` (and Ethereum mode's `eth_baseFee`), from the stored
//! headers, bodies and receipts. The history itself is assembled by `parevm_rpc::fee_history` (shared with
//! the devnet); a chain only says what its fee market is ([`FeeMarket`]):
//!
//! ```text
//! Ethereum: next base fee = EIP-1559 with Ethereum's constants; tip = gas-weighted median of the head's
//!           tips (at least 1 wei); gasPrice = next base fee + tip
//! OP:       next base fee = op-stack-adapter's (Canyon denominator, the parent's Holocene/Jovian extraData,
//!           Jovian minBaseFee and DA footprint); tip = op-geth's / op-reth's rule (below);
//!           gasPrice = head base fee + tip (reth's eth_gasPrice); blob base fee from excessBlobGas (0 on OP)
//! eth_feeHistory(count, newest, p?) -> parevm_rpc::fee_history::fee_history(block fees, next fees)
//! ```

use crate::eth::{json, register, server, store, EthBackend, EthContext, EthResult};
use alloy_consensus::{BlockBody, Header, Transaction};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::U256;
use alloy_rlp::Decodable;
use alloy_rpc_types_eth::FeeHistory;
use jsonrpsee::RpcModule;
use parevm_evm_core::env::{blob_basefee, BlobParams};
use parevm_rpc::fee_history::{check_percentiles, range, BlockFees, NextFees};
use parevm_rpc::params::Args;
use parevm_rpc::RpcError;
use serde_json::Value;

/// The smallest priority fee OP mode suggests: op-reth's default `--min-suggested-priority-fee`
/// (1,000,000 wei, 0.001 gwei).
pub const OP_MIN_SUGGESTED_TIP: u128 = 1_000_000;
/// The largest priority fee OP mode suggests (geth's and reth's default oracle `max_price`, 500 gwei).
pub const OP_MAX_SUGGESTED_TIP: u128 = 500_000_000_000;
/// The priority fee Ethereum mode suggests when recent blocks paid none.
const MIN_SUGGESTED_TIP: u128 = 1;

/// A chain's blob fees for one block.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BlobFees {
    /// The block's blob base fee (0 before Cancun / Ecotone).
    pub base_fee: u128,
    /// The next block's blob base fee.
    pub next_base_fee: u128,
    /// The most blob gas a block may use (0 before Cancun / Ecotone).
    pub max_blob_gas: u64,
}

/// A chain's fee market, as the fee methods read it.
pub trait FeeMarket {
    /// The base fee of the block after `parent`.
    fn next_base_fee(&self, parent: &Header) -> EthResult<u64>;
    /// The blob fees of `header`'s block and of the block after it.
    fn blob_fees(&self, header: &Header) -> EthResult<BlobFees>;
    /// Each transaction's priority fee per gas (`None` for one without a tip: an OP deposit) and its gas
    /// used, in block order.
    fn tips(&self, header: &Header) -> EthResult<Vec<(Option<u128>, u64)>>;
    /// The priority fee suggested for the block after `head` (`eth_maxPriorityFeePerGas`).
    fn suggested_tip(&self, head: &Header) -> EthResult<u128>;
    /// The legacy gas price suggested for the block after `head` (`eth_gasPrice`).
    fn gas_price(&self, head: &Header) -> EthResult<u128>;
}

/// Adds the fee methods both modes serve to `m`.
pub fn register_fees<C: EthContext>(m: &mut RpcModule<C>) {
    register(m, "eth_feeHistory", fee_history);
    register(m, "eth_gasPrice", |a, c| {
        a.at_most(0)?;
        let head = head(c)?;
        json(U256::from(c.fees().gas_price(&head)?))
    });
    register(m, "eth_maxPriorityFeePerGas", |a, c| {
        a.at_most(0)?;
        let head = head(c)?;
        json(U256::from(c.fees().suggested_tip(&head)?))
    });
    register(m, "eth_blobBaseFee", |a, c| {
        a.at_most(0)?;
        let head = head(c)?;
        json(U256::from(c.fees().blob_fees(&head)?.next_base_fee))
    });
}

/// `eth_baseFee` (Ethereum mode): the next block's base fee.
pub fn base_fee(a: &Args, c: &dyn EthBackend) -> EthResult<Value> {
    a.at_most(0)?;
    let head = head(c)?;
    json(U256::from(c.fees().next_base_fee(&head)?))
}

fn head(c: &dyn EthBackend) -> EthResult<Header> {
    Ok(c.store().head().map_err(store)?.1)
}

fn rpc(e: RpcError) -> crate::engine_api::EngineError {
    crate::engine_api::EngineError::from(e)
}

/// The stored body and per-transaction gas used (from the receipts' cumulative gas) of `header`'s block,
/// with each transaction's tip at the block's base fee; `T` is the chain's transaction type.
pub fn block_tips<T: Transaction + Decodable>(
    c: &dyn EthBackend,
    header: &Header,
    cumulative_gas: impl FnOnce(&alloy_primitives::B256) -> EthResult<Vec<u64>>,
) -> EthResult<Vec<(Option<u128>, u64)>> {
    let hash = header.hash_slow();
    let body: BlockBody<T> = c
        .store()
        .body(&hash)
        .map_err(store)?
        .ok_or_else(|| server(format!("block {hash} has no stored body")))?;
    let cumulative = cumulative_gas(&hash)?;
    let base = header.base_fee_per_gas.unwrap_or(0);
    let mut previous = 0u64;
    Ok(body
        .transactions
        .iter()
        .zip(cumulative)
        .map(|(tx, cum)| {
            let used = cum.saturating_sub(previous);
            previous = cum;
            (tx.effective_tip_per_gas(base), used)
        })
        .collect())
}

/// Ethereum's suggestion: the gas-weighted median tip of `head`'s transactions, at least 1 wei.
pub fn median_tip(market: &dyn FeeMarket, head: &Header) -> EthResult<u128> {
    let tips = weighted(market.tips(head)?);
    let median = parevm_rpc::fee_history::rewards(&tips, head.gas_used, &[50.0]);
    Ok(median.first().copied().unwrap_or(0).max(MIN_SUGGESTED_TIP))
}

/// OP's suggestion (op-geth's `SuggestOptimismPriorityFee`, which op-reth mirrors): the minimum
/// ([`OP_MIN_SUGGESTED_TIP`]) while the head block had room for one more of its largest transaction;
/// when it did not (`gasUsed + max tx gas > gasLimit`), the median tip of its transactions that pay one
/// plus 10% if that is more; never above [`OP_MAX_SUGGESTED_TIP`].
pub fn op_suggested_tip(market: &dyn FeeMarket, head: &Header) -> EthResult<u128> {
    let tips = market.tips(head)?;
    let max_tx_gas = tips
        .iter()
        .map(|t| t.1)
        .max()
        .unwrap_or(0)
        .min(head.gas_limit);
    let mut suggestion = OP_MIN_SUGGESTED_TIP;
    if head.gas_used.saturating_add(max_tx_gas) > head.gas_limit {
        let mut paid: Vec<u128> = tips.iter().filter_map(|t| t.0).collect();
        paid.sort_unstable();
        if let Some(median) = paid.get(paid.len() / 2) {
            suggestion = suggestion.max(median + median / 10);
        }
    }
    Ok(suggestion.min(OP_MAX_SUGGESTED_TIP))
}

/// Tips for the reward percentiles: a transaction without one counts as tip 0 (reth).
fn weighted(tips: Vec<(Option<u128>, u64)>) -> Vec<(u128, u64)> {
    tips.into_iter().map(|(t, g)| (t.unwrap_or(0), g)).collect()
}

/// `eth_feeHistory(count, newest, percentiles?)`.
fn fee_history(a: &Args, c: &dyn EthBackend) -> EthResult<Value> {
    a.at_most(3)?;
    let count: U256 = a.req(0)?;
    let newest: BlockNumberOrTag = a.req(1)?;
    let percentiles: Option<Vec<f64>> = a.opt(2)?;
    check_percentiles(percentiles.as_deref()).map_err(rpc)?;
    let (newest, _) = crate::eth::resolve(c, BlockId::Number(newest))?
        .ok_or_else(|| server("block not found"))?;
    let Some(oldest) = range(count, newest) else {
        return json(FeeHistory::default());
    };
    let fees = c.fees();
    let block = |n: u64, with_tips: bool| -> EthResult<Option<BlockFees>> {
        let Some(header) = c.store().header_by_number(n).map_err(store)? else {
            return Ok(None);
        };
        let blob = fees.blob_fees(&header)?;
        Ok(Some(BlockFees {
            base_fee: u128::from(header.base_fee_per_gas.unwrap_or(0)),
            gas_used_ratio: header.gas_used as f64 / header.gas_limit.max(1) as f64,
            blob_base_fee: blob.base_fee,
            blob_gas_used_ratio: match header.blob_gas_used {
                Some(used) if blob.max_blob_gas > 0 => used as f64 / blob.max_blob_gas as f64,
                _ => 0.0,
            },
            gas_used: header.gas_used,
            tips: if with_tips {
                weighted(fees.tips(&header)?)
            } else {
                Vec::new()
            },
        }))
    };
    let next = |last: u64| -> EthResult<NextFees> {
        let header = c
            .store()
            .header_by_number(last)
            .map_err(store)?
            .ok_or_else(|| server(format!("block {last} has no stored header")))?;
        Ok(NextFees {
            base_fee: u128::from(fees.next_base_fee(&header)?),
            blob_base_fee: fees.blob_fees(&header)?.next_base_fee,
        })
    };
    json(parevm_rpc::fee_history::fee_history(
        oldest,
        newest,
        percentiles.as_deref(),
        block,
        next,
    )?)
}

impl FeeMarket for crate::ethereum::EthereumChain {
    fn next_base_fee(&self, parent: &Header) -> EthResult<u64> {
        Ok(parent.base_fee_per_gas.map_or(0, |base| {
            parevm_block::header::next_base_fee(parent.gas_used, parent.gas_limit, base)
        }))
    }

    /// The next block's timestamp is not known yet, so `header`'s fork stands in for it (a
    /// blob-parameter fork starting at the very next block is not anticipated).
    fn blob_fees(&self, header: &Header) -> EthResult<BlobFees> {
        let fork = self.fork(header)?;
        let fraction = fork.blob.update_fraction;
        let next_base_fee = match (header.excess_blob_gas, header.blob_gas_used) {
            (Some(excess), Some(used)) => blob_basefee(
                parevm_block::header::next_excess_blob_gas(
                    excess,
                    used,
                    header.base_fee_per_gas.unwrap_or(0),
                    &fork.blob,
                    fork.spec,
                ),
                fraction,
            ),
            _ => 0,
        };
        Ok(BlobFees {
            base_fee: header
                .excess_blob_gas
                .map_or(0, |e| blob_basefee(e, fraction)),
            next_base_fee,
            max_blob_gas: fork.blob.max * alloy_eips::eip4844::DATA_GAS_PER_BLOB,
        })
    }

    fn tips(&self, header: &Header) -> EthResult<Vec<(Option<u128>, u64)>> {
        block_tips::<parevm_block::input::BlockTx>(self, header, |hash| {
            Ok(self
                .store()
                .receipts(hash)
                .map_err(store)?
                .unwrap_or_default()
                .iter()
                .map(alloy_consensus::TxReceipt::cumulative_gas_used)
                .collect())
        })
    }

    fn suggested_tip(&self, head: &Header) -> EthResult<u128> {
        median_tip(self, head)
    }

    /// The next block's base fee plus the suggested tip.
    fn gas_price(&self, head: &Header) -> EthResult<u128> {
        Ok(u128::from(self.next_base_fee(head)?) + self.suggested_tip(head)?)
    }
}

impl FeeMarket for crate::OpNode {
    /// op-stack-adapter's rule, with the parent's timestamp standing in for the child's (it only picks
    /// the pre-Holocene denominator, Canyon's from the block after Canyon's activation on).
    fn next_base_fee(&self, parent: &Header) -> EthResult<u64> {
        parevm_op_stack_adapter::block::base_fee::next_base_fee(
            self.config(),
            parent,
            parent.timestamp,
        )
        .map_err(server)
    }

    /// Ecotone on: Cancun's blob parameters, and `excessBlobGas` stays 0 on OP (no blobs), so the next
    /// blob base fee is the minimum, 1 wei.
    fn blob_fees(&self, header: &Header) -> EthResult<BlobFees> {
        use parevm_op_stack_adapter::fork::OpFork;
        if !self.fork_at(header.timestamp).is_active(OpFork::Ecotone) {
            return Ok(BlobFees::default());
        }
        let cancun = BlobParams::for_spec(parevm_evm_core::SpecId::CANCUN);
        Ok(BlobFees {
            base_fee: blob_basefee(header.excess_blob_gas.unwrap_or(0), cancun.update_fraction),
            next_base_fee: blob_basefee(0, cancun.update_fraction),
            max_blob_gas: cancun.max * alloy_eips::eip4844::DATA_GAS_PER_BLOB,
        })
    }

    fn tips(&self, header: &Header) -> EthResult<Vec<(Option<u128>, u64)>> {
        block_tips::<op_alloy_consensus::OpTxEnvelope>(self, header, |hash| {
            self.store()
                .receipts_rlp(hash)
                .map_err(store)?
                .unwrap_or_default()
                .iter()
                .map(|r| {
                    Ok(alloy_consensus::TxReceipt::cumulative_gas_used(
                        &crate::eth::decode_receipt(r)?,
                    ))
                })
                .collect()
        })
    }

    fn suggested_tip(&self, head: &Header) -> EthResult<u128> {
        op_suggested_tip(self, head)
    }

    /// reth's `eth_gasPrice`: the head block's base fee plus the suggested tip.
    fn gas_price(&self, head: &Header) -> EthResult<u128> {
        Ok(u128::from(head.base_fee_per_gas.unwrap_or(0)) + self.suggested_tip(head)?)
    }
}
