//! The checks a transaction passes before it enters the pool: the ones that do not depend on its
//! position in a block (chain id, gas limits, fee caps, the sender's funds). Nonce order is the pool's job;
//! everything else is decided again by the EVM when the block is built.

use crate::error::{ChainError, PoolError};
use crate::pool::PoolTx;
use alloy_primitives::U256;
use parevm_evm_core::env::tx_type;
use parevm_evm_core::{intrinsic_gas, BlockEnv, CfgEnv, Env, SpecId, StateView};

/// Checks `tx` against the head state for a block with `gas_limit` and `basefee`.
pub fn validate_tx(
    cfg: &CfgEnv,
    state: &dyn StateView,
    gas_limit: u64,
    basefee: u64,
    tx: &PoolTx,
) -> Result<(), ChainError> {
    let spec = cfg.spec;
    let env = &tx.env;
    let type_fork = match env.tx_type {
        tx_type::LEGACY => SpecId::FRONTIER,
        tx_type::EIP2930 => SpecId::BERLIN,
        tx_type::EIP1559 => SpecId::LONDON,
        tx_type::EIP4844 => SpecId::CANCUN,
        tx_type::EIP7702 => SpecId::PRAGUE,
        _ => return Err(PoolError::TxType.into()),
    };
    if !spec.is_enabled_in(type_fork) {
        return Err(PoolError::TxType.into());
    }
    if env.nonce == u64::MAX {
        return Err(PoolError::NonceMax.into());
    }
    if env.chain_id.is_some_and(|id| id != cfg.chain_id) {
        return Err(PoolError::ChainId.into());
    }
    if env.gas_limit > gas_limit {
        return Err(PoolError::GasLimit.into());
    }
    if spec.is_enabled_in(SpecId::OSAKA)
        && !cfg.disable_tx_gas_cap
        && env.gas_limit > crate::builder::TX_GAS_LIMIT_CAP
    {
        return Err(PoolError::GasLimitAboveCap(env.gas_limit).into());
    }
    if spec.is_enabled_in(SpecId::SHANGHAI)
        && env.kind.is_create()
        && env.data.len() > cfg.max_initcode_size()
    {
        return Err(PoolError::InitCodeTooLarge {
            size: env.data.len(),
            limit: cfg.max_initcode_size(),
        }
        .into());
    }
    let full = Env {
        cfg: cfg.clone(),
        block: BlockEnv::default(),
        tx: env.clone(),
    };
    let (intrinsic, floor) = intrinsic_gas(spec, &full);
    if env.gas_limit < intrinsic.max(floor) {
        return Err(PoolError::IntrinsicGas.into());
    }
    if env.gas_priority_fee.is_some_and(|tip| tip > env.gas_price) {
        return Err(PoolError::TipAboveFeeCap.into());
    }
    if spec.is_enabled_in(SpecId::LONDON) && env.gas_price < U256::from(basefee) {
        return Err(PoolError::FeeCapTooLow.into());
    }
    let balance = state.balance(tx.sender)?;
    let cost = U256::from(env.gas_limit)
        .saturating_mul(env.gas_price)
        .saturating_add(env.value);
    if balance < cost {
        return Err(PoolError::InsufficientFunds { balance, cost }.into());
    }
    Ok(())
}
