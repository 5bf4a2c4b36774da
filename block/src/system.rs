//! Block-level system calls: `SYSTEM_ADDRESS` calls a predeployed contract with 30M gas, no fee, no
//! nonce.
//!
//! ```text
//! before the transactions: EIP-4788 beacon root (Cancun), EIP-2935 parent hash (Prague)   unchecked
//! after them:              EIP-7002 withdrawal and EIP-7251 consolidation request queues   checked
//! ```
//! An unchecked call to an address without code does nothing; a checked call must find code and
//! succeed, or the block is invalid.

use crate::error::BlockError;
use crate::store::StateStore;
use alloy_primitives::{Address, Bytes};
use parevm_evm_core::{
    execute_system_call, BlockEnv, CfgEnv, StateView, TxError, TxOutcome, ViewError, KECCAK_EMPTY,
    SYSTEM_ADDRESS,
};

/// Gas given to every system call.
pub const SYSTEM_CALL_GAS: u64 = 30_000_000;

pub use alloy_eips::eip2935::HISTORY_STORAGE_ADDRESS;
pub use alloy_eips::eip4788::BEACON_ROOTS_ADDRESS;
pub use alloy_eips::eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS;
pub use alloy_eips::eip7251::CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS;

/// True when `address` has code.
fn has_code<S: StateView + ?Sized>(state: &S, address: Address) -> Result<bool, BlockError> {
    let hash = state.code_hash(address)?;
    Ok(hash != KECCAK_EMPTY && !hash.is_zero())
}

/// Runs one system call and applies its writes.
fn call<S: StateStore>(
    cfg: &CfgEnv,
    block: &BlockEnv,
    target: Address,
    data: Bytes,
    state: &mut S,
) -> Result<TxOutcome, BlockError> {
    let outcome = execute_system_call(
        cfg,
        block,
        SYSTEM_ADDRESS,
        target,
        data,
        SYSTEM_CALL_GAS,
        &*state,
    )
    .map_err(|e| match e {
        TxError::View(v) => BlockError::State(v),
        // System calls skip validation; a rejection would be an EVM bug, reported as such.
        TxError::Invalid(i) => {
            BlockError::State(ViewError::Backend(format!("system call rejected: {i}")))
        }
    })?;
    state.apply(&outcome.writes)?;
    Ok(outcome)
}

/// An unchecked system call: skipped when `target` has no code, its result ignored.
pub fn unchecked_call<S: StateStore>(
    cfg: &CfgEnv,
    block: &BlockEnv,
    target: Address,
    data: Bytes,
    state: &mut S,
) -> Result<(), BlockError> {
    if has_code(&*state, target)? {
        call(cfg, block, target, data, state)?;
    }
    Ok(())
}

/// A checked system call that dequeues requests: returns the call's output (the request data).
pub fn checked_call<S: StateStore>(
    cfg: &CfgEnv,
    block: &BlockEnv,
    target: Address,
    state: &mut S,
) -> Result<Bytes, BlockError> {
    if !has_code(&*state, target)? {
        return Err(BlockError::SystemContractEmpty(target));
    }
    let outcome = call(cfg, block, target, Bytes::new(), state)?;
    if !outcome.status.is_success() {
        return Err(BlockError::SystemCallFailed {
            address: target,
            status: outcome.status,
        });
    }
    Ok(outcome.output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use parevm_evm_core::SpecId;
    use parevm_state::InMemoryState;

    #[test]
    fn checked_call_needs_code() {
        let mut s = InMemoryState::new();
        let cfg = CfgEnv::new(1, SpecId::PRAGUE);
        let r = checked_call(
            &cfg,
            &BlockEnv::default(),
            WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
            &mut s,
        );
        assert_eq!(
            r,
            Err(BlockError::SystemContractEmpty(
                WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS
            ))
        );
    }

    #[test]
    fn unchecked_call_without_code_is_a_no_op() {
        let mut s = InMemoryState::new();
        let cfg = CfgEnv::new(1, SpecId::CANCUN);
        let root = s.state_root();
        unchecked_call(
            &cfg,
            &BlockEnv::default(),
            BEACON_ROOTS_ADDRESS,
            Bytes::from(vec![0u8; 32]),
            &mut s,
        )
        .expect("no code, no call");
        assert_eq!(s.state_root(), root);
    }

    #[test]
    fn checked_call_returns_output() {
        // PUSH1 0x2a PUSH1 0 MSTORE8 PUSH1 1 PUSH1 0 RETURN: returns 0x2a.
        let code = Bytes::from(vec![0x60, 0x2a, 0x60, 0, 0x53, 0x60, 1, 0x60, 0, 0xf3]);
        let mut s = InMemoryState::new();
        s.insert_account(
            CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS,
            Default::default(),
            1,
            code,
            [],
        );
        let cfg = CfgEnv::new(1, SpecId::PRAGUE);
        let out = checked_call(
            &cfg,
            &BlockEnv::default(),
            CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS,
            &mut s,
        )
        .expect("call succeeds");
        assert_eq!(out, Bytes::from(vec![0x2a]));
    }
}
