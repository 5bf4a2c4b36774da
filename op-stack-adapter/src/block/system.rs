//! Block-level state changes outside transactions on an OP chain: the EIP-4788 beacon-root call (Ecotone
//! on), the EIP-2935 parent-hash call (Isthmus on), and Canyon's force-deployment of create2Deployer in its
//! activation block.

use crate::error::OpBlockError;
use crate::predeploys::CREATE2_DEPLOYER;
use crate::state::OpState;
use alloy_primitives::{keccak256, Address, Bytes, B256};
use parevm_evm_core::{
    execute_system_call, AccountWrite, BlockEnv, Bytecode, CfgEnv, TxError, KECCAK_EMPTY,
    SYSTEM_ADDRESS,
};
use std::sync::Arc;

/// Gas given to a system call.
const SYSTEM_CALL_GAS: u64 = 30_000_000;

/// The create2Deployer runtime code (1,584 bytes; its hash is checked in the tests).
const CREATE2_DEPLOYER_CODE: &str = include_str!("create2_deployer.hex");

/// Calls `target` from the system address with `data` when it has code; its result is not checked (an
/// EIP-4788 or EIP-2935 call before its contract is deployed does nothing).
pub fn system_call<S: OpState>(
    cfg: &CfgEnv,
    block: &BlockEnv,
    target: Address,
    data: Bytes,
    state: &mut S,
) -> Result<(), OpBlockError> {
    let hash = state.code_hash(target)?;
    if hash == B256::ZERO || hash == KECCAK_EMPTY {
        return Ok(());
    }
    let out = execute_system_call(
        cfg,
        block,
        SYSTEM_ADDRESS,
        target,
        data,
        SYSTEM_CALL_GAS,
        &*state,
    )
    .map_err(|e| match e {
        TxError::View(v) => OpBlockError::State(v),
        TxError::Invalid(i) => OpBlockError::Attributes(format!("system call rejected: {i}")),
    })?;
    state.apply_writes(&out.writes)?;
    Ok(())
}

/// Installs create2Deployer's code (Canyon's irregular state change), keeping balance and nonce.
pub fn deploy_create2_deployer<S: OpState>(state: &mut S) -> Result<(), OpBlockError> {
    let code = Bytes::from(
        alloy_primitives::hex::decode(CREATE2_DEPLOYER_CODE.trim())
            .map_err(|e| OpBlockError::Attributes(format!("create2Deployer code: {e}")))?,
    );
    let mut w = AccountWrite::new(CREATE2_DEPLOYER);
    w.code = Some((keccak256(&code), Arc::new(Bytecode::new(code))));
    state.apply_writes(&vec![w])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::b256;
    use parevm_evm_core::StateView;
    use parevm_state::InMemoryState;

    #[test]
    fn create2_deployer_code_has_the_canyon_hash() {
        let mut s = InMemoryState::new();
        deploy_create2_deployer(&mut s).expect("deploys");
        assert_eq!(
            s.code_hash(CREATE2_DEPLOYER).unwrap(),
            b256!("b0550b5b431e30d38000efb7107aaa0ade03d48a7198a140edda9d27134468b2")
        );
    }
}
