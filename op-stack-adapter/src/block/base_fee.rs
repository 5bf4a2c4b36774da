//! OP header rules for the fee market: the next block's base fee (EIP-1559 with the chain's constants, the
//! parent's Holocene `extraData` parameters, Jovian's minimum base fee and DA footprint) and the
//! `extraData` a built block carries.
//!
//! ```text
//! before Canyon: denominator = eip1559Denominator;  Canyon on: eip1559DenominatorCanyon
//! parent Holocene: (denominator, elasticity) from the parent's extraData  0x00 | denom u32 | elast u32
//! parent Jovian:   also minBaseFee                                       0x01 | denom | elast | min u64
//!                  gas used = max(gasUsed, blobGasUsed) (the DA footprint), result >= minBaseFee
//! ```

use crate::fork::{OpChainConfig, OpFork};
use alloy_consensus::Header;
use alloy_eips::eip1559::{calc_next_block_base_fee, BaseFeeParams};
use alloy_primitives::{Bytes, B64};
use op_alloy_consensus::{
    decode_holocene_extra_data, decode_jovian_extra_data, encode_holocene_extra_data,
    encode_jovian_extra_data,
};

/// The chain's constants at `timestamp` (Canyon changes the denominator).
pub fn chain_params(config: &OpChainConfig, timestamp: u64) -> BaseFeeParams {
    let denominator = if config.forks.is_active(OpFork::Canyon, timestamp) {
        config.eip1559.eip1559_denominator_canyon
    } else {
        config.eip1559.eip1559_denominator
    };
    BaseFeeParams::new(
        u128::from(denominator),
        u128::from(config.eip1559.eip1559_elasticity),
    )
}

/// The base fee of the child of `parent` at `timestamp`.
pub fn next_base_fee(
    config: &OpChainConfig,
    parent: &Header,
    timestamp: u64,
) -> Result<u64, String> {
    let parent_base_fee = parent.base_fee_per_gas.unwrap_or_default();
    let forks = &config.forks;
    if forks.is_active(OpFork::Jovian, parent.timestamp) {
        let (elasticity, denominator, min_base_fee) = decode_jovian_extra_data(&parent.extra_data)
            .map_err(|e| format!("parent extraData (Jovian): {e}"))?;
        let params = BaseFeeParams::new(u128::from(denominator), u128::from(elasticity));
        let gas_used = parent
            .gas_used
            .max(parent.blob_gas_used.unwrap_or_default());
        let next = calc_next_block_base_fee(gas_used, parent.gas_limit, parent_base_fee, params);
        return Ok(next.max(min_base_fee));
    }
    let params = if forks.is_active(OpFork::Holocene, parent.timestamp) {
        let (elasticity, denominator) = decode_holocene_extra_data(&parent.extra_data)
            .map_err(|e| format!("parent extraData (Holocene): {e}"))?;
        BaseFeeParams::new(u128::from(denominator), u128::from(elasticity))
    } else {
        chain_params(config, timestamp)
    };
    Ok(calc_next_block_base_fee(
        parent.gas_used,
        parent.gas_limit,
        parent_base_fee,
        params,
    ))
}

/// The `extraData` of a block built at `timestamp` from attributes with `eip1559_params` and
/// `min_base_fee` (parameters 0/0 mean the chain's constants). Empty before Holocene.
pub fn extra_data(
    config: &OpChainConfig,
    timestamp: u64,
    eip1559_params: Option<B64>,
    min_base_fee: Option<u64>,
) -> Result<Bytes, String> {
    let forks = &config.forks;
    if !forks.is_active(OpFork::Holocene, timestamp) {
        return Ok(Bytes::new());
    }
    let params = eip1559_params.ok_or("eip1559Params missing from Holocene attributes")?;
    let defaults = chain_params(config, timestamp);
    if forks.is_active(OpFork::Jovian, timestamp) {
        let min = min_base_fee.ok_or("minBaseFee missing from Jovian attributes")?;
        encode_jovian_extra_data(params, defaults, min).map_err(|e| e.to_string())
    } else {
        encode_holocene_extra_data(params, defaults).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fork::ForkTimes;

    fn config() -> OpChainConfig {
        OpChainConfig {
            chain_id: 10,
            forks: ForkTimes {
                regolith_time: Some(0),
                canyon_time: Some(10),
                holocene_time: Some(20),
                jovian_time: Some(30),
                ..Default::default()
            },
            eip1559: Default::default(),
        }
    }

    fn parent(timestamp: u64, extra: &[u8]) -> Header {
        Header {
            timestamp,
            gas_limit: 30_000_000,
            gas_used: 15_000_000,
            base_fee_per_gas: Some(1_000_000),
            extra_data: Bytes::copy_from_slice(extra),
            ..Default::default()
        }
    }

    #[test]
    fn denominators_by_fork() {
        // Target 5M (elasticity 6); 15M used = 3x target: +1e6 * 10M / 5M / 50 = +40,000 before Canyon.
        assert_eq!(next_base_fee(&config(), &parent(0, &[]), 2), Ok(1_040_000));
        // Canyon: denominator 250 -> +8,000.
        assert_eq!(
            next_base_fee(&config(), &parent(10, &[]), 12),
            Ok(1_008_000)
        );
        // Holocene parent: its extraData says denominator 100, elasticity 3 (target 10M): +5,000.
        let holo = [0, 0, 0, 0, 100, 0, 0, 0, 3];
        assert_eq!(
            next_base_fee(&config(), &parent(20, &holo), 22),
            Ok(1_005_000)
        );
        // Jovian parent with a minimum base fee above the result.
        let mut jov = vec![1, 0, 0, 0, 100, 0, 0, 0, 3];
        jov.extend_from_slice(&2_000_000u64.to_be_bytes());
        assert_eq!(
            next_base_fee(&config(), &parent(30, &jov), 32),
            Ok(2_000_000)
        );
    }

    #[test]
    fn extra_data_by_fork() {
        let c = config();
        assert_eq!(extra_data(&c, 12, None, None), Ok(Bytes::new()));
        let p = B64::from([0, 0, 0, 0xfa, 0, 0, 0, 6]);
        assert_eq!(
            extra_data(&c, 22, Some(p), None).unwrap().as_ref(),
            &[0, 0, 0, 0, 0xfa, 0, 0, 0, 6]
        );
        // 0/0 takes the chain's Canyon constants (250 / 6).
        assert_eq!(
            extra_data(&c, 22, Some(B64::ZERO), None).unwrap().as_ref(),
            &[0, 0, 0, 0, 0xfa, 0, 0, 0, 6]
        );
        assert!(extra_data(&c, 32, Some(p), None).is_err());
        assert_eq!(extra_data(&c, 32, Some(p), Some(7)).unwrap().len(), 17);
    }
}
