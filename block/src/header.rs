//! Header validation: a header against its parent under the fork in force (number, parent hash,
//! timestamp, gas limit bounds, the EIP-1559 base fee, the EIP-4844 excess blob gas with EIP-7918's
//! reserve price, the Merge's zeroed proof-of-work fields, and which optional fields the fork requires).
//!
//! The arithmetic ([`next_base_fee`], [`next_excess_blob_gas`], [`gas_limit_in_bounds`]) is public so
//! tests and other chains can reuse it. Checks against the body live in [`crate::body`].

use crate::error::HeaderError;
use crate::fork::ForkParams;
use alloy_consensus::{Header, EMPTY_OMMER_ROOT_HASH};
use alloy_primitives::{B256, B64, U256};
use parevm_evm_core::env::{blob_basefee, BlobParams};
use parevm_evm_core::SpecId;

/// EIP-4844 gas per blob.
pub const GAS_PER_BLOB: u64 = 1 << 17;
/// EIP-7918 blob base cost: blob gas is never priced below `BLOB_BASE_COST * base_fee / GAS_PER_BLOB`.
pub const BLOB_BASE_COST: u64 = 1 << 13;
/// EIP-1559 base fee of the first London block.
pub const INITIAL_BASE_FEE: u64 = 1_000_000_000;
/// EIP-1559 elasticity multiplier.
pub const ELASTICITY_MULTIPLIER: u64 = 2;
/// EIP-1559 base fee max change denominator.
pub const BASE_FEE_MAX_CHANGE_DENOMINATOR: u64 = 8;
/// Yellow paper: the gas limit moves by less than parent/1024 per block.
pub const GAS_LIMIT_BOUND_DIVISOR: u64 = 1024;
/// Yellow paper: the smallest gas limit.
pub const MIN_GAS_LIMIT: u64 = 5000;
/// Longest `extraData`.
pub const MAX_EXTRA_DATA: usize = 32;

/// The base fee of the block after a parent with these values (EIP-1559).
pub fn next_base_fee(parent_gas_used: u64, parent_gas_limit: u64, parent_base_fee: u64) -> u64 {
    let target = parent_gas_limit / ELASTICITY_MULTIPLIER;
    let base = u128::from(parent_base_fee);
    if target == 0 || parent_gas_used == target {
        return parent_base_fee;
    }
    let target_u = u128::from(target);
    let used = u128::from(parent_gas_used);
    let denom = u128::from(BASE_FEE_MAX_CHANGE_DENOMINATOR);
    let next = if used > target_u {
        let delta = (base * (used - target_u) / target_u / denom).max(1);
        base + delta
    } else {
        let delta = base * (target_u - used) / target_u / denom;
        base - delta
    };
    u64::try_from(next).unwrap_or(u64::MAX)
}

/// The excess blob gas of the block after a parent with these values (EIP-4844), with EIP-7918's
/// reserve price from Osaka on. `blob` and `spec` are the child's: at a fork boundary the new
/// fork's parameters already apply.
pub fn next_excess_blob_gas(
    parent_excess: u64,
    parent_blob_gas_used: u64,
    parent_base_fee: u64,
    blob: &BlobParams,
    spec: SpecId,
) -> u64 {
    let target_gas = blob.target * GAS_PER_BLOB;
    let total = parent_excess.saturating_add(parent_blob_gas_used);
    if total < target_gas {
        return 0;
    }
    if spec.is_enabled_in(SpecId::OSAKA) {
        let reserve = u128::from(BLOB_BASE_COST) * u128::from(parent_base_fee);
        let blob_price = u128::from(GAS_PER_BLOB)
            .saturating_mul(blob_basefee(parent_excess, blob.update_fraction));
        if reserve > blob_price && blob.max > 0 {
            let increase = u128::from(parent_blob_gas_used) * u128::from(blob.max - blob.target)
                / u128::from(blob.max);
            return parent_excess.saturating_add(u64::try_from(increase).unwrap_or(u64::MAX));
        }
    }
    total - target_gas
}

/// True when `gas_limit` is within the bounds the parent's limit allows.
pub fn gas_limit_in_bounds(gas_limit: u64, parent_gas_limit: u64) -> bool {
    let delta = parent_gas_limit / GAS_LIMIT_BOUND_DIVISOR;
    gas_limit < parent_gas_limit.saturating_add(delta)
        && gas_limit > parent_gas_limit.saturating_sub(delta)
        && gas_limit >= MIN_GAS_LIMIT
}

/// Checks `header` against its `parent` (whose hash is `parent_hash`) under `fork`.
pub fn validate_header(
    header: &Header,
    parent: &Header,
    parent_hash: B256,
    fork: &ForkParams,
) -> Result<(), HeaderError> {
    let spec = fork.spec;
    check_fields(header, spec)?;
    if header.parent_hash != parent_hash {
        return Err(HeaderError::ParentHash {
            expected: parent_hash,
            got: header.parent_hash,
        });
    }
    if header.number != parent.number.saturating_add(1) {
        return Err(HeaderError::Number {
            parent: parent.number,
            got: header.number,
        });
    }
    if header.timestamp <= parent.timestamp {
        return Err(HeaderError::Timestamp {
            parent: parent.timestamp,
            got: header.timestamp,
        });
    }
    if header.gas_used > header.gas_limit {
        return Err(HeaderError::GasUsedAboveLimit {
            used: header.gas_used,
            limit: header.gas_limit,
        });
    }
    if header.extra_data.len() > MAX_EXTRA_DATA {
        return Err(HeaderError::ExtraDataTooLong(header.extra_data.len()));
    }
    check_gas_and_base_fee(header, parent, spec)?;
    if spec.is_enabled_in(SpecId::MERGE) {
        if header.difficulty != U256::ZERO {
            return Err(HeaderError::PostMergeField("difficulty"));
        }
        if header.nonce != B64::ZERO {
            return Err(HeaderError::PostMergeField("nonce"));
        }
        if header.ommers_hash != EMPTY_OMMER_ROOT_HASH {
            return Err(HeaderError::PostMergeField("ommersHash"));
        }
    }
    if spec.is_enabled_in(SpecId::CANCUN) {
        let expected = next_excess_blob_gas(
            parent.excess_blob_gas.unwrap_or(0),
            parent.blob_gas_used.unwrap_or(0),
            parent.base_fee_per_gas.unwrap_or(0),
            &fork.blob,
            spec,
        );
        let got = header.excess_blob_gas.unwrap_or(0);
        if got != expected {
            return Err(HeaderError::ExcessBlobGas { expected, got });
        }
    }
    Ok(())
}

/// The gas limit bounds and, from London on, the base fee.
fn check_gas_and_base_fee(
    header: &Header,
    parent: &Header,
    spec: SpecId,
) -> Result<(), HeaderError> {
    let mut parent_gas_limit = parent.gas_limit;
    let expected_base_fee = if spec.is_enabled_in(SpecId::LONDON) {
        Some(match parent.base_fee_per_gas {
            Some(parent_fee) => next_base_fee(parent.gas_used, parent.gas_limit, parent_fee),
            None => {
                // The London transition block: the parent's limit counts as the new gas target.
                parent_gas_limit = parent_gas_limit.saturating_mul(ELASTICITY_MULTIPLIER);
                INITIAL_BASE_FEE
            }
        })
    } else {
        None
    };
    if !gas_limit_in_bounds(header.gas_limit, parent_gas_limit) {
        return Err(HeaderError::GasLimit {
            parent: parent_gas_limit,
            got: header.gas_limit,
        });
    }
    if let Some(expected) = expected_base_fee {
        if header.base_fee_per_gas != Some(expected) {
            return Err(HeaderError::BaseFee {
                expected,
                got: header.base_fee_per_gas,
            });
        }
    }
    Ok(())
}

/// The optional header fields must be present exactly from the fork that introduced them.
pub fn check_fields(header: &Header, spec: SpecId) -> Result<(), HeaderError> {
    let field = |present: bool, since: SpecId, name: &'static str| match (
        present,
        spec.is_enabled_in(since),
    ) {
        (false, true) => Err(HeaderError::MissingField(name)),
        (true, false) => Err(HeaderError::UnexpectedField(name)),
        _ => Ok(()),
    };
    field(
        header.base_fee_per_gas.is_some(),
        SpecId::LONDON,
        "baseFeePerGas",
    )?;
    field(
        header.withdrawals_root.is_some(),
        SpecId::SHANGHAI,
        "withdrawalsRoot",
    )?;
    field(
        header.blob_gas_used.is_some(),
        SpecId::CANCUN,
        "blobGasUsed",
    )?;
    field(
        header.excess_blob_gas.is_some(),
        SpecId::CANCUN,
        "excessBlobGas",
    )?;
    field(
        header.parent_beacon_block_root.is_some(),
        SpecId::CANCUN,
        "parentBeaconBlockRoot",
    )?;
    field(
        header.requests_hash.is_some(),
        SpecId::PRAGUE,
        "requestsHash",
    )?;
    field(
        header.block_access_list_hash.is_some(),
        SpecId::AMSTERDAM,
        "blockAccessListHash",
    )?;
    Ok(())
}

#[cfg(test)]
#[path = "header_tests.rs"]
mod tests;
