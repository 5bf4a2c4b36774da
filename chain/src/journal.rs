//! The seam to a durable copy of the chain (`parevm dev --datadir`): the chain tells a [`Journal`] of every
//! mined block, with the values it left at each location it touched, and of every wholesale state change
//! (dev edits, snapshot revert, reset), before any reader can see them.
//!
//! ```text
//! Chain::mine -> build_block -> StateChanges::after(undo, state) -> Journal::block_mined  -> publish
//!                                                       error -> undo applied, nothing published
//! Chain::edit_state / revert / reset -> Journal::state_replaced(state, head)
//! ```

use crate::block::ChainBlock;
use crate::history::BlockUndo;
use alloy_primitives::{Address, Bytes, B256, U256};
use parevm_evm_core::KECCAK_EMPTY;
use parevm_state::InMemoryState;

/// An account's fields after a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountAfter {
    /// Balance.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// keccak256 of the code.
    pub code_hash: B256,
}

/// What a block left at every location it touched.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateChanges {
    /// Touched accounts and their fields after the block (`None`: the account is gone).
    pub accounts: Vec<(Address, Option<AccountAfter>)>,
    /// Touched storage slots and their values after the block (zero: cleared).
    pub storage: Vec<(Address, U256, U256)>,
    /// Code of the touched accounts (by hash), so a reader can rebuild them.
    pub codes: Vec<(B256, Bytes)>,
}

impl StateChanges {
    /// The values at the locations `undo` recorded, read from `state` (the state after the block).
    pub fn after(undo: &BlockUndo, state: &InMemoryState) -> Self {
        let mut out = Self::default();
        for address in undo.accounts() {
            let after = state.account(&address).map(|a| AccountAfter {
                balance: a.balance,
                nonce: a.nonce,
                code_hash: a.code_hash,
            });
            if let Some(a) = &after {
                if a.code_hash != KECCAK_EMPTY {
                    if let Some(code) = state.code(&a.code_hash) {
                        out.codes.push((a.code_hash, code.bytes().clone()));
                    }
                }
            }
            out.accounts.push((address, after));
        }
        for (address, slot) in undo.slots() {
            let value = state
                .account(&address)
                .and_then(|a| a.storage.get(&slot).copied())
                .unwrap_or_default();
            out.storage.push((address, slot, value));
        }
        out
    }

    /// Lays these values over `state` (recovery: the state before the block becomes the state after it).
    pub fn apply_to(&self, state: &mut InMemoryState) {
        for (hash, code) in &self.codes {
            if state.code(hash).is_none() {
                state.insert_code(code.clone());
            }
        }
        for (address, after) in &self.accounts {
            match after {
                None => {
                    state.remove_account(address);
                }
                Some(a) => {
                    let acc = state.account_mut(*address);
                    acc.balance = a.balance;
                    acc.nonce = a.nonce;
                    acc.code_hash = a.code_hash;
                }
            }
        }
        for (address, slot, value) in &self.storage {
            if state.account(address).is_none() {
                continue;
            }
            let acc = state.account_mut(*address);
            if value.is_zero() {
                acc.storage.remove(slot);
            } else {
                acc.storage.insert(*slot, *value);
            }
        }
    }
}

/// Why the journal could not keep a change.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("chain journal: {0}")]
pub struct JournalError(pub String);

/// A durable copy of the chain. Both calls are made under the chain's write lock, before the change is
/// visible to any reader; they must return only once the change is durable.
pub trait Journal: Send + Sync {
    /// Block `block` was mined on top of the previous head; `changes` are its effects on the state.
    fn block_mined(&self, block: &ChainBlock, changes: &StateChanges) -> Result<(), JournalError>;

    /// The head state was replaced outside a block: `state` is all of it and `head` the head block now
    /// (blocks above `head` are gone; after a reset `head` is a new genesis).
    fn state_replaced(&self, state: &InMemoryState, head: &ChainBlock) -> Result<(), JournalError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use parevm_evm_core::{AccountWrite, WriteSet};

    #[test]
    fn changes_rebuild_the_state_after_a_block() {
        let a = Address::repeat_byte(1);
        let b = Address::repeat_byte(2);
        let mut before = InMemoryState::new();
        before.insert_account(
            a,
            U256::from(10),
            1,
            Bytes::new(),
            [
                (U256::from(1), U256::from(5)),
                (U256::from(2), U256::from(6)),
            ],
        );
        before.insert_account(b, U256::from(3), 0, Bytes::new(), []);
        let mut writes: WriteSet = Vec::new();
        let mut w = AccountWrite::new(a);
        w.balance = Some(parevm_evm_core::BalanceWrite::Set(U256::from(7)));
        w.nonce = Some(2);
        w.storage = vec![(U256::from(1), U256::ZERO), (U256::from(3), U256::from(9))];
        writes.push(w);
        let mut undo = BlockUndo::default();
        undo.record(&before, &writes);
        let mut after = before.clone();
        after.apply(&writes);
        let changes = StateChanges::after(&undo, &after);
        let mut rebuilt = before.clone();
        changes.apply_to(&mut rebuilt);
        assert_eq!(rebuilt.state_root(), after.state_root());
        assert_eq!(changes.accounts.len(), 1);
        assert_eq!(changes.storage.len(), 2);
    }
}
