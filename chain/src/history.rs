//! State at recent blocks: the head state plus, per block, a reverse diff (each changed account's and slot's
//! value before the block). A view at block `b` overlays the reverse diffs of blocks `b+1..=head` on the head.
//!
//! ```text
//! apply(writes) at block n:  record_before(head, writes) -> BlockUndo[n]   then head.apply(writes)
//! view_at(b):               head  <-  undo[head] ... undo[b+1]   (the oldest diff of a location wins)
//! ```
//! Only the last `limit` blocks keep their diff; older state is reported as pruned.
//! NOTE: this is the in-memory stand-in until `parevm-storage` (issue 11) provides state at recent blocks.

use alloy_primitives::map::HashMap;
use alloy_primitives::{Address, B256, U256};
use parevm_evm_core::{Code, StateView, ViewError, WriteSet};
use parevm_state::InMemoryState;
use std::collections::VecDeque;

/// An account's fields before a block (`None`: it did not exist): balance, nonce, code hash, and whether the
/// slots it did not hold read from a fork (`AccountState::fork_storage`).
type AccountBefore = Option<(U256, u64, B256, bool)>;

/// What one block changed, as the values before it.
#[derive(Clone, Debug, Default)]
pub struct BlockUndo {
    accounts: HashMap<Address, AccountBefore>,
    storage: HashMap<(Address, U256), U256>,
}

impl BlockUndo {
    /// Records the values `writes` are about to overwrite in `head` (first write of the block wins). A
    /// forked head must hold what the writes touch first (`InMemoryState::materialize`).
    pub fn record(&mut self, head: &InMemoryState, writes: &WriteSet) {
        for w in writes {
            self.accounts.entry(w.address).or_insert_with(|| {
                head.account(&w.address)
                    .map(|a| (a.balance, a.nonce, a.code_hash, a.fork_storage))
            });
            let existing = head.account(&w.address);
            if w.destroyed || w.storage_reset {
                if let Some(acc) = existing {
                    for (k, v) in &acc.storage {
                        self.storage.entry((w.address, *k)).or_insert(*v);
                    }
                }
            }
            for (k, _) in &w.storage {
                let before = existing
                    .and_then(|a| a.storage.get(k).copied())
                    .unwrap_or_default();
                self.storage.entry((w.address, *k)).or_insert(before);
            }
        }
    }
}

impl BlockUndo {
    /// The accounts the block touched.
    pub fn accounts(&self) -> impl Iterator<Item = Address> + '_ {
        self.accounts.keys().copied()
    }

    /// The storage slots the block touched.
    pub fn slots(&self) -> impl Iterator<Item = (Address, U256)> + '_ {
        self.storage.keys().copied()
    }

    /// Puts the values before the block back into `state` (a block that could not be kept is undone).
    pub fn restore(&self, state: &mut InMemoryState) {
        for (address, before) in &self.accounts {
            match before {
                None => {
                    state.remove_account(address);
                }
                Some((balance, nonce, code_hash, fork_storage)) => {
                    let acc = state.account_mut(*address);
                    acc.balance = *balance;
                    acc.nonce = *nonce;
                    acc.code_hash = *code_hash;
                    acc.fork_storage = *fork_storage;
                }
            }
        }
        for ((address, slot), value) in &self.storage {
            if state.account(address).is_none() {
                continue;
            }
            state.account_mut(*address).set_slot(*slot, *value);
        }
    }
}

/// Reverse diffs of the most recent blocks.
#[derive(Clone, Debug)]
pub struct History {
    /// `(block number, undo)` oldest first.
    undos: VecDeque<(u64, BlockUndo)>,
    limit: usize,
}

impl History {
    /// Keeps the diffs of at most `limit` blocks.
    pub fn new(limit: usize) -> Self {
        Self {
            undos: VecDeque::new(),
            limit,
        }
    }

    /// Stores block `number`'s diff, dropping the oldest beyond the limit.
    pub fn push(&mut self, number: u64, undo: BlockUndo) {
        self.undos.push_back((number, undo));
        while self.undos.len() > self.limit {
            self.undos.pop_front();
        }
    }

    /// Drops the diffs of blocks above `number` (after a revert to it).
    pub fn truncate_above(&mut self, number: u64) {
        while self.undos.back().is_some_and(|(n, _)| *n > number) {
            self.undos.pop_back();
        }
    }

    /// True when block `number`'s diff is kept.
    pub fn has(&self, number: u64) -> bool {
        let Some((oldest, _)) = self.undos.front() else {
            return false;
        };
        let Some(i) = number.checked_sub(*oldest) else {
            return false;
        };
        usize::try_from(i)
            .ok()
            .and_then(|i| self.undos.get(i))
            .is_some_and(|(n, _)| *n == number)
    }

    /// Takes block `number`'s diff off when it is the newest kept (a rollback of that block).
    pub fn pop(&mut self, number: u64) -> Option<BlockUndo> {
        if self.undos.back().is_some_and(|(n, _)| *n == number) {
            return self.undos.pop_back().map(|(_, u)| u);
        }
        None
    }

    /// Forgets everything (the state was replaced wholesale).
    pub fn clear(&mut self) {
        self.undos.clear();
    }

    /// True when the state at block `number` can be rebuilt for a chain whose head is `head`.
    pub fn covers(&self, number: u64, head: u64) -> bool {
        number >= head
            || self
                .undos
                .front()
                .is_some_and(|(oldest, _)| *oldest <= number + 1)
    }

    /// Turns `state`, the head state, into the state after block `number` by undoing the kept blocks
    /// above it, newest first (the caller checked [`History::covers`]).
    pub fn restore_to(&self, state: &mut InMemoryState, number: u64) {
        for (n, undo) in self.undos.iter().rev() {
            if *n <= number {
                break;
            }
            undo.restore(state);
        }
    }

    /// The state at block `number` (its post-state), for a head at `head`.
    pub fn view_at<'a>(&self, state: &'a InMemoryState, number: u64) -> HistoricView<'a> {
        let mut accounts: HashMap<Address, AccountBefore> = HashMap::default();
        let mut storage: HashMap<(Address, U256), U256> = HashMap::default();
        for (n, undo) in self.undos.iter().rev() {
            if *n <= number {
                break;
            }
            accounts.extend(undo.accounts.iter().map(|(k, v)| (*k, *v)));
            storage.extend(undo.storage.iter().map(|(k, v)| (*k, *v)));
        }
        HistoricView {
            head: state,
            accounts,
            storage,
        }
    }
}

/// The state at an earlier block: the head with older values laid over it.
pub struct HistoricView<'a> {
    head: &'a InMemoryState,
    accounts: HashMap<Address, AccountBefore>,
    storage: HashMap<(Address, U256), U256>,
}

impl StateView for HistoricView<'_> {
    fn balance(&self, address: Address) -> Result<U256, ViewError> {
        match self.accounts.get(&address) {
            Some(a) => Ok(a.map_or(U256::ZERO, |a| a.0)),
            None => self.head.balance(address),
        }
    }
    fn nonce(&self, address: Address) -> Result<u64, ViewError> {
        match self.accounts.get(&address) {
            Some(a) => Ok(a.map_or(0, |a| a.1)),
            None => self.head.nonce(address),
        }
    }
    fn code_hash(&self, address: Address) -> Result<B256, ViewError> {
        match self.accounts.get(&address) {
            Some(a) => Ok(a.map_or(B256::ZERO, |a| a.2)),
            None => self.head.code_hash(address),
        }
    }
    fn code_by_hash(&self, code_hash: B256) -> Result<Code, ViewError> {
        self.head.code_by_hash(code_hash)
    }
    fn storage(&self, address: Address, slot: U256) -> Result<U256, ViewError> {
        if let Some(v) = self.storage.get(&(address, slot)) {
            return Ok(*v);
        }
        // An account that read its slots from a fork then, and was wiped since: the fork's value.
        let forked_then = matches!(self.accounts.get(&address), Some(Some((.., true))));
        let wiped_since = !self.head.account(&address).is_some_and(|a| a.fork_storage);
        if forked_then && wiped_since {
            return self.head.fork_slot(address, slot);
        }
        self.head.storage(address, slot)
    }
    fn block_hash(&self, number: u64) -> Result<B256, ViewError> {
        self.head.block_hash(number)
    }
    fn has_storage(&self, address: Address) -> Result<bool, ViewError> {
        // A slot the overlay knows has its earlier value; every other slot is as in the head.
        let earlier = self
            .storage
            .iter()
            .any(|((a, _), v)| *a == address && !v.is_zero());
        let head = self.head.account(&address).is_some_and(|acc| {
            acc.storage
                .iter()
                .any(|(k, v)| !v.is_zero() && !self.storage.contains_key(&(address, *k)))
        });
        Ok(earlier || head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Bytes;
    use parevm_evm_core::{AccountWrite, BalanceWrite};

    #[test]
    fn view_at_rebuilds_earlier_values() {
        let a = Address::repeat_byte(1);
        let mut head = InMemoryState::new();
        head.insert_account(
            a,
            U256::from(100),
            0,
            Bytes::new(),
            [(U256::from(1), U256::from(7))],
        );
        let mut hist = History::new(10);
        // Block 1: balance 100 -> 150, slot 1: 7 -> 8, slot 2: 0 -> 9.
        let mut w = AccountWrite::new(a);
        w.balance = Some(BalanceWrite::Set(U256::from(150)));
        w.storage = vec![
            (U256::from(1), U256::from(8)),
            (U256::from(2), U256::from(9)),
        ];
        let mut undo = BlockUndo::default();
        undo.record(&head, &vec![w.clone()]);
        head.apply(&vec![w]);
        hist.push(1, undo);
        // Block 2: account destroyed.
        let mut d = AccountWrite::new(a);
        d.destroyed = true;
        let mut undo = BlockUndo::default();
        undo.record(&head, &vec![d.clone()]);
        head.apply(&vec![d]);
        hist.push(2, undo);

        let v0 = hist.view_at(&head, 0);
        assert_eq!(v0.balance(a).unwrap(), U256::from(100));
        assert_eq!(v0.storage(a, U256::from(1)).unwrap(), U256::from(7));
        assert_eq!(v0.storage(a, U256::from(2)).unwrap(), U256::ZERO);
        let v1 = hist.view_at(&head, 1);
        assert_eq!(v1.balance(a).unwrap(), U256::from(150));
        assert_eq!(v1.storage(a, U256::from(2)).unwrap(), U256::from(9));
        let v2 = hist.view_at(&head, 2);
        assert_eq!(v2.code_hash(a).unwrap(), B256::ZERO);
        assert!(hist.covers(0, 2));
        hist.truncate_above(1);
        assert_eq!(hist.undos.len(), 1);
        let mut short = History::new(1);
        short.push(1, BlockUndo::default());
        short.push(2, BlockUndo::default());
        assert!(short.covers(1, 2) && !short.covers(0, 2));
    }
}
