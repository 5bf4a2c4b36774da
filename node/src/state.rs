//! The state an OP block runs on in the node: the chain store's per-block overlay ([`BlockState`]) seen
//! through op-stack-adapter's [`OpState`] (apply, state root, one account's storage root for the Isthmus
//! `withdrawalsRoot`). Roots are the store's incremental ones, computed once per overlay version.

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_trie::EMPTY_ROOT_HASH;
use parevm_block::StateStore;
use parevm_evm_core::{Code, StateView, ViewError, WriteSet};
use parevm_op_stack_adapter::OpState;
use parevm_storage::BlockState;

/// A block's state on top of the store's head.
pub struct NodeState(pub BlockState);

impl StateView for NodeState {
    fn balance(&self, address: Address) -> Result<U256, ViewError> {
        self.0.balance(address)
    }
    fn nonce(&self, address: Address) -> Result<u64, ViewError> {
        self.0.nonce(address)
    }
    fn code_hash(&self, address: Address) -> Result<B256, ViewError> {
        self.0.code_hash(address)
    }
    fn code_by_hash(&self, code_hash: B256) -> Result<Code, ViewError> {
        self.0.code_by_hash(code_hash)
    }
    fn storage(&self, address: Address, slot: U256) -> Result<U256, ViewError> {
        self.0.storage(address, slot)
    }
    fn block_hash(&self, number: u64) -> Result<B256, ViewError> {
        self.0.block_hash(number)
    }
    fn has_storage(&self, address: Address) -> Result<bool, ViewError> {
        self.0.has_storage(address)
    }
}

impl OpState for NodeState {
    fn apply_writes(&mut self, writes: &WriteSet) -> Result<(), ViewError> {
        StateStore::apply(&mut self.0, writes)
    }

    fn root(&mut self) -> Result<B256, ViewError> {
        StateStore::state_root(&self.0)
    }

    fn storage_root_of(&mut self, address: Address) -> Result<B256, ViewError> {
        let outcome = self.0.root_outcome()?;
        if let Some((account, _)) = outcome.1.accounts.get(&keccak256(address)) {
            return Ok(account.map_or(EMPTY_ROOT_HASH, |a| a.storage_root));
        }
        Ok(self
            .0
            .base()
            .account(address)?
            .map_or(EMPTY_ROOT_HASH, |a| a.storage_root))
    }
}
