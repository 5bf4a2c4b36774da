//! The state store seam: what block execution needs from persistent state beyond reading it.
//!
//! ```text
//! BlockExecutor -> StateStore::apply(write set) ... -> StateStore::state_root()
//!                  StateStore::snapshot()/restore() around every block (an invalid block leaves no trace)
//! ```
//!
//! [`InMemoryState`] implements it here (a snapshot is a clone); the persistent store
//! (`parevm-storage`) implements it with a per-block overlay over the database, whose snapshot is the
//! overlay's (small) contents and whose root is recomputed only along the changed paths.

use alloy_primitives::B256;
use parevm_evm_core::{StateView, ViewError, WriteSet};
use parevm_state::InMemoryState;

/// World state that block execution can read, change, roll back and hash.
pub trait StateStore: StateView {
    /// A saved point to return to.
    type Snapshot;

    /// Applies one write set (a transaction's, a system call's, or the block's balance credits).
    ///
    /// Fails only when the backing store cannot be read (a credit needs the current balance).
    fn apply(&mut self, writes: &WriteSet) -> Result<(), ViewError>;

    /// The Merkle-Patricia state root.
    fn state_root(&self) -> Result<B256, ViewError>;

    /// Records the hash of block `number` for BLOCKHASH.
    fn set_block_hash(&mut self, number: u64, hash: B256);

    /// Saves the current state.
    fn snapshot(&self) -> Self::Snapshot;

    /// Returns to a saved state, discarding everything applied since.
    fn restore(&mut self, snapshot: Self::Snapshot);
}

impl StateStore for InMemoryState {
    type Snapshot = InMemoryState;

    fn apply(&mut self, writes: &WriteSet) -> Result<(), ViewError> {
        InMemoryState::apply(self, writes);
        Ok(())
    }

    fn state_root(&self) -> Result<B256, ViewError> {
        Ok(InMemoryState::state_root(self))
    }

    fn set_block_hash(&mut self, number: u64, hash: B256) {
        InMemoryState::set_block_hash(self, number, hash);
    }

    fn snapshot(&self) -> Self::Snapshot {
        self.clone()
    }

    fn restore(&mut self, snapshot: Self::Snapshot) {
        *self = snapshot;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Address, Bytes, U256};
    use parevm_evm_core::{AccountWrite, BalanceWrite};

    #[test]
    fn restore_discards_applied_writes() {
        let mut s = InMemoryState::new();
        let a = Address::repeat_byte(7);
        s.insert_account(a, U256::from(1), 0, Bytes::new(), []);
        let root = StateStore::state_root(&s).unwrap();
        let snap = s.snapshot();
        let mut w = AccountWrite::new(a);
        w.balance = Some(BalanceWrite::Add(U256::from(5)));
        StateStore::apply(&mut s, &vec![w]).unwrap();
        assert_ne!(StateStore::state_root(&s).unwrap(), root);
        s.restore(snap);
        assert_eq!(StateStore::state_root(&s).unwrap(), root);
    }
}
