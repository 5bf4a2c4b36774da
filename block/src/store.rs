//! The state store seam: what block execution needs from persistent state beyond reading it.
//!
//! ```text
//! BlockExecutor -> StateStore::apply(write set) ... -> StateStore::state_root()
//!                  StateStore::snapshot()/restore() around every block (an invalid block leaves no trace)
//! ```
//!
//! [`InMemoryState`] implements it here; a disk-backed store can sit behind the same trait later.

use alloy_primitives::B256;
use parevm_evm_core::{StateView, WriteSet};
use parevm_state::InMemoryState;

/// World state that block execution can read, change, roll back and hash.
pub trait StateStore: StateView {
    /// A saved point to return to.
    type Snapshot;

    /// Applies one write set (a transaction's, a system call's, or the block's balance credits).
    fn apply(&mut self, writes: &WriteSet);

    /// The Merkle-Patricia state root.
    fn state_root(&self) -> B256;

    /// Records the hash of block `number` for BLOCKHASH.
    fn set_block_hash(&mut self, number: u64, hash: B256);

    /// Saves the current state.
    fn snapshot(&self) -> Self::Snapshot;

    /// Returns to a saved state, discarding everything applied since.
    fn restore(&mut self, snapshot: Self::Snapshot);
}

impl StateStore for InMemoryState {
    type Snapshot = InMemoryState;

    fn apply(&mut self, writes: &WriteSet) {
        InMemoryState::apply(self, writes);
    }

    fn state_root(&self) -> B256 {
        InMemoryState::state_root(self)
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
        let root = StateStore::state_root(&s);
        let snap = s.snapshot();
        let mut w = AccountWrite::new(a);
        w.balance = Some(BalanceWrite::Add(U256::from(5)));
        StateStore::apply(&mut s, &vec![w]);
        assert_ne!(StateStore::state_root(&s), root);
        s.restore(snap);
        assert_eq!(StateStore::state_root(&s), root);
    }
}
