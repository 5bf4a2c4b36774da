//! The one `eth_feeHistory` assembly and reward-percentile rule, shared by the devnet
//! ([`crate::eth::fees`]) and `parevm node` (Ethereum and OP mode): callers say what each block paid
//! ([`BlockFees`]) and what the next block will cost; this module checks the request, walks the range and
//! weights tips by gas as geth and reth do.
//!
//! ```text
//! (count, newest, percentiles?) -> check_percentiles -> oldest..=newest
//!   -> per block: BlockFees { base fee, gas ratio, blob fee and ratio, tips (tip, gas used) }
//!   -> rewards(tips, gas_used, percentiles)        (the first tip whose cumulative gas reaches p% of gasUsed)
//!   -> + next block's base fee and blob base fee -> FeeHistory
//! ```

use crate::error::{RpcError, RpcResult};
use alloy_primitives::U256;
use alloy_rpc_types_eth::FeeHistory;

/// Most blocks one `eth_feeHistory` covers.
pub const MAX_FEE_HISTORY: u64 = 1024;

/// What one block paid, as `eth_feeHistory` reports it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlockFees {
    /// The block's base fee (0 before London).
    pub base_fee: u128,
    /// `gasUsed / gasLimit`.
    pub gas_used_ratio: f64,
    /// The block's blob base fee (0 before Cancun).
    pub blob_base_fee: u128,
    /// `blobGasUsed / max blob gas per block` (0 when the block has no blob gas).
    pub blob_gas_used_ratio: f64,
    /// The block's gas used, the base of the reward percentiles.
    pub gas_used: u64,
    /// Each transaction's priority fee per gas and gas used (any order); filled only when rewards are
    /// asked for. A transaction without a tip (an OP deposit) counts with tip 0, as reth does.
    pub tips: Vec<(u128, u64)>,
}

/// What the block after the range will cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NextFees {
    /// Its base fee.
    pub base_fee: u128,
    /// Its blob base fee.
    pub blob_base_fee: u128,
}

/// Refuses reward percentiles that are not ascending values in `[0, 100]` (geth's and reth's check).
pub fn check_percentiles(p: Option<&[f64]>) -> RpcResult<()> {
    let Some(p) = p else { return Ok(()) };
    let sorted = p.windows(2).all(|w| w[0] <= w[1]);
    if !sorted || p.iter().any(|x| !(0.0..=100.0).contains(x)) {
        return Err(RpcError::InvalidParams(
            "invalid reward percentiles: must be ascending values in [0, 100]".into(),
        ));
    }
    Ok(())
}

/// The tips at `percentiles` of a block's gas: for each percentile the tip of the first transaction (by
/// ascending tip) at which the cumulative gas reaches `gas_used * p / 100`, the last one when none does;
/// all zeros for a block without transactions (geth's and reth's `calculate_reward_percentiles`).
pub fn rewards(tips: &[(u128, u64)], gas_used: u64, percentiles: &[f64]) -> Vec<u128> {
    let mut sorted = tips.to_vec();
    sorted.sort_unstable();
    let Some(last) = sorted.last().map(|t| t.0) else {
        return vec![0; percentiles.len()];
    };
    percentiles
        .iter()
        .map(|p| {
            let threshold = (gas_used as f64 * p / 100.0) as u64;
            let mut sum = 0u64;
            for (tip, gas) in &sorted {
                sum = sum.saturating_add(*gas);
                if sum >= threshold {
                    return *tip;
                }
            }
            last
        })
        .collect()
}

/// The first block of a history of `count` blocks ending at `newest`, with `count` clamped to
/// [`MAX_FEE_HISTORY`]; `None` for a count of zero (the answer is then an empty history).
pub fn range(count: U256, newest: u64) -> Option<u64> {
    let count = u64::try_from(count)
        .unwrap_or(u64::MAX)
        .min(MAX_FEE_HISTORY);
    (count > 0).then(|| newest.saturating_sub(count - 1))
}

/// `eth_feeHistory` over `oldest..=newest`: `block(n, with_tips)` gives each block's fees (`None` skips a
/// block the chain does not have), `next(last)` the fees of the block after the last one found.
pub fn fee_history<E>(
    oldest: u64,
    newest: u64,
    percentiles: Option<&[f64]>,
    mut block: impl FnMut(u64, bool) -> Result<Option<BlockFees>, E>,
    next: impl FnOnce(u64) -> Result<NextFees, E>,
) -> Result<FeeHistory, E> {
    let mut h = FeeHistory {
        oldest_block: oldest,
        ..Default::default()
    };
    let mut reward = Vec::new();
    let mut last = None;
    for n in oldest..=newest {
        let Some(b) = block(n, percentiles.is_some())? else {
            continue;
        };
        h.base_fee_per_gas.push(b.base_fee);
        h.gas_used_ratio.push(b.gas_used_ratio);
        h.base_fee_per_blob_gas.push(b.blob_base_fee);
        h.blob_gas_used_ratio.push(b.blob_gas_used_ratio);
        if let Some(p) = percentiles {
            reward.push(rewards(&b.tips, b.gas_used, p));
        }
        last = Some(n);
    }
    if let Some(n) = last {
        let fees = next(n)?;
        h.base_fee_per_gas.push(fees.base_fee);
        h.base_fee_per_blob_gas.push(fees.blob_base_fee);
    }
    if percentiles.is_some() {
        h.reward = Some(reward);
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewards_weight_by_gas() {
        // Three transactions: tip 1 uses 10% of the gas, tip 5 uses 30%, tip 9 uses 60%.
        let tips = [(9, 600), (1, 100), (5, 300)];
        let got = rewards(&tips, 1000, &[0.0, 10.0, 10.1, 40.0, 40.1, 100.0]);
        // p=0 -> threshold 0, met by the first; 10% -> 100 gas, met by tip 1; 10.1% -> 101 gas needs tip 5;
        // 40% -> 400 met at tip 5 (100+300); 40.1% -> tip 9; 100% -> tip 9.
        assert_eq!(got, vec![1, 1, 5, 5, 9, 9]);
        assert_eq!(rewards(&[], 0, &[25.0, 75.0]), vec![0, 0]);
    }

    #[test]
    fn percentiles_must_ascend_within_range() {
        assert!(check_percentiles(Some(&[10.0, 20.0])).is_ok());
        assert!(check_percentiles(None).is_ok());
        assert!(check_percentiles(Some(&[20.0, 10.0])).is_err());
        assert!(check_percentiles(Some(&[101.0])).is_err());
        assert!(check_percentiles(Some(&[-1.0])).is_err());
    }

    #[test]
    fn range_clamps_and_skips_missing_blocks() {
        assert_eq!(range(U256::ZERO, 5), None);
        assert_eq!(range(U256::from(3), 5), Some(3));
        assert_eq!(range(U256::from(10), 5), Some(0));
        assert_eq!(range(U256::MAX, 5000), Some(5000 - (MAX_FEE_HISTORY - 1)));
        let h = fee_history::<()>(
            3,
            5,
            Some(&[50.0]),
            |n, tips| {
                assert!(tips);
                Ok((n != 4).then(|| BlockFees {
                    base_fee: n as u128,
                    gas_used: 10,
                    tips: vec![(n as u128 * 2, 10)],
                    ..Default::default()
                }))
            },
            |last| {
                Ok(NextFees {
                    base_fee: last as u128 * 100,
                    blob_base_fee: 1,
                })
            },
        )
        .unwrap();
        assert_eq!(h.oldest_block, 3);
        assert_eq!(h.base_fee_per_gas, vec![3, 5, 500]);
        assert_eq!(h.base_fee_per_blob_gas, vec![0, 0, 1]);
        assert_eq!(h.reward, Some(vec![vec![6], vec![10]]));
    }
}
