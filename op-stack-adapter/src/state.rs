//! What OP block execution needs from state: reads (evm-core's `StateView`), applying write sets, and the
//! state root and one account's storage root (the Isthmus `withdrawalsRoot`). Implemented by the
//! in-memory state and by the witness-backed state of [`crate::witness`].

use alloy_primitives::{Address, B256};
use alloy_trie::EMPTY_ROOT_HASH;
use parevm_evm_core::{StateView, ViewError, WriteSet};
use parevm_state::InMemoryState;

/// World state an OP block runs on.
pub trait OpState: StateView + Sync {
    /// Applies one write set (reading what a credit adds to may fail on a witness).
    fn apply_writes(&mut self, writes: &WriteSet) -> Result<(), ViewError>;
    /// The state root.
    fn root(&mut self) -> Result<B256, ViewError>;
    /// The storage root of `address` (the empty-trie root for an absent account).
    fn storage_root_of(&mut self, address: Address) -> Result<B256, ViewError>;
}

impl OpState for InMemoryState {
    fn apply_writes(&mut self, writes: &WriteSet) -> Result<(), ViewError> {
        self.apply(writes);
        Ok(())
    }
    fn root(&mut self) -> Result<B256, ViewError> {
        Ok(self.state_root())
    }
    fn storage_root_of(&mut self, address: Address) -> Result<B256, ViewError> {
        Ok(self.account(&address).map_or(EMPTY_ROOT_HASH, |a| {
            parevm_state::root::storage_root(a.storage.iter())
        }))
    }
}
