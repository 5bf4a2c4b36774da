//! A state view for the journal's unit tests (`mod.rs`, `fork.rs`): every account alike.

use crate::code::{Bytecode, Code};
use crate::view::{StateView, ViewError};
use alloy_primitives::{Address, B256, U256};

/// Every account with the same balance and code hash: nonce 0, no code, no storage.
pub(crate) struct Uniform {
    pub(crate) balance: u64,
    pub(crate) code_hash: B256,
}

impl StateView for Uniform {
    fn balance(&self, _: Address) -> Result<U256, ViewError> {
        Ok(U256::from(self.balance))
    }
    fn nonce(&self, _: Address) -> Result<u64, ViewError> {
        Ok(0)
    }
    fn code_hash(&self, _: Address) -> Result<B256, ViewError> {
        Ok(self.code_hash)
    }
    fn code_by_hash(&self, _: B256) -> Result<Code, ViewError> {
        Ok(Bytecode::empty())
    }
    fn storage(&self, _: Address, _: U256) -> Result<U256, ViewError> {
        Ok(U256::ZERO)
    }
    fn block_hash(&self, _: u64) -> Result<B256, ViewError> {
        Ok(B256::ZERO)
    }
    fn has_storage(&self, _: Address) -> Result<bool, ViewError> {
        Ok(false)
    }
}
