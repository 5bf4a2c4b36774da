//! The incremental state root of a state held in memory ([`InMemoryState`]), for the chain service's
//! in-memory mode (the devnet's default).
//!
//! ```text
//! InMemoryState after a block ── the block's accounts and slots vs the mirror ──┐
//!               after an edit, a revert, a reset ── the whole state vs the mirror ┴─> StateChanges
//!   -> compute_root_with(MemKv of the last root's leaves and trie nodes)   changed paths only
//!   -> write_changes_with -> MemKv::commit; the mirror takes the changes       -> root
//! ```
//! `parevm-state`'s from-scratch root re-hashes every account and slot on every call, so a devnet's time per
//! block grows with its state: the EIP-2935 and EIP-4788 ring buffers alone reach 16,382 slots after 8,191
//! blocks (about 8 ms a block here), and a test contract's storage adds its own. Here the state is
//! compared with a mirror of the state of the last root (an equality test per account and slot, no hash),
//! and only what differs is re-hashed, through the same walk as the persistent store's. After a block only
//! what the block wrote is compared ([`MemRoot::root_after`]); whatever else changes the state (`evm_revert`,
//! `anvil_setStorageAt`, a loaded state file) makes the caller [`MemRoot::invalidate`] it, and the next root
//! compares everything, so it stays right without tracking those writes.

use crate::changes::{
    compute_root_with, write_changes_with, AccountChange, AccountInfo, KnownBefore, SlotChange,
    StateChanges,
};
use crate::codec::Account;
use crate::error::StoreError;
use crate::kv::mem::MemKv;
use crate::kv::{Kv, WriteBatch};
use alloy_primitives::map::AddressMap;
use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_trie::EMPTY_ROOT_HASH;
use parevm_state::{AccountState, InMemoryState};

/// The state of the last root: leaves and trie nodes in a [`MemKv`], the accounts by address beside them.
#[derive(Default)]
pub struct MemRoot {
    kv: MemKv,
    mirror: AddressMap<AccountState>,
    root: Option<B256>,
    /// The mirror equals the state apart from what the caller lists to [`MemRoot::root_after`] (false at
    /// first and after [`MemRoot::invalidate`]: the next root compares everything).
    exact: bool,
}

/// Which slots of an account a diff compares.
enum Slots<'a> {
    All,
    Listed(&'a [U256]),
}

/// Old slot values from the mirror (the version the [`MemKv`] holds), so that the walk and the batch do not
/// read them again.
struct Mirror<'a>(&'a AddressMap<AccountState>);

impl KnownBefore for Mirror<'_> {
    fn account(&self, _: Address) -> Option<Option<Account>> {
        // The stored account carries its storage root, which the mirror does not: read from the MemKv.
        None
    }

    fn slot(&self, address: Address, slot: U256) -> Option<U256> {
        Some(
            self.0
                .get(&address)
                .and_then(|a| a.storage.get(&slot).copied())
                .unwrap_or_default(),
        )
    }
}

impl MemRoot {
    /// The root keeper of an empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// The state root of `state`: equal to [`InMemoryState::state_root`], re-hashing only what differs from
    /// the state of the previous call.
    pub fn root(&mut self, state: &InMemoryState) -> Result<B256, StoreError> {
        let changes = self.diff(state);
        self.apply(state, changes)
    }

    /// The state changed in ways the caller does not list (an edit, a revert): the next root compares the
    /// whole state.
    pub fn invalidate(&mut self) {
        self.exact = false;
    }

    /// [`MemRoot::root`] when everything that changed since the last root is among `accounts` and `slots`
    /// (a block's write sets, as the chain's `BlockUndo` records them): only those are compared, so the
    /// cost follows the block, not the state. After [`MemRoot::invalidate`] (or on the first call) the
    /// whole state is compared instead.
    pub fn root_after(
        &mut self,
        state: &InMemoryState,
        accounts: impl IntoIterator<Item = Address>,
        slots: impl IntoIterator<Item = (Address, U256)>,
    ) -> Result<B256, StoreError> {
        if !self.exact {
            return self.root(state);
        }
        let mut listed: AddressMap<Vec<U256>> = AddressMap::default();
        for a in accounts {
            listed.entry(a).or_default();
        }
        for (a, slot) in slots {
            listed.entry(a).or_default().push(slot);
        }
        let mut changes = StateChanges::default();
        for (address, slots) in &listed {
            let now = state.account(address);
            if let Some(change) = self.account_change(address, now, Slots::Listed(slots)) {
                changes.accounts.insert(keccak256(address), change);
            }
        }
        // Test builds hold the listed changes to the whole diff (every client test of the devnet runs this).
        debug_assert_eq!(
            changes,
            self.diff(state),
            "a change the caller did not list"
        );
        self.apply(state, changes)
    }

    fn apply(&mut self, state: &InMemoryState, changes: StateChanges) -> Result<B256, StoreError> {
        if let (Some(root), true) = (self.root, changes.accounts.is_empty()) {
            self.exact = true;
            return Ok(root);
        }
        // Until the mirror has taken these changes, a failure below leaves it behind the state.
        self.exact = false;
        let snapshot = self.kv.snapshot()?;
        let known = Mirror(&self.mirror);
        let outcome = compute_root_with(&*snapshot, &changes, &known)?;
        let mut batch = WriteBatch::default();
        // The reverse diff is for unwinding a stored chain; nothing here unwinds, a revert is one more diff.
        let _ = write_changes_with(&*snapshot, &changes, &outcome, &known, &mut batch)?;
        self.kv.commit(batch)?;
        for change in changes.accounts.values() {
            let Some(address) = change.address else {
                continue;
            };
            match state.account(&address) {
                None => {
                    self.mirror.remove(&address);
                }
                Some(now) => {
                    let mirrored = self.mirror.entry(address).or_default();
                    mirrored.balance = now.balance;
                    mirrored.nonce = now.nonce;
                    mirrored.code_hash = now.code_hash;
                    for s in change.slots.values() {
                        let Some(slot) = s.slot else { continue };
                        if s.value.is_zero() {
                            mirrored.storage.remove(&slot);
                        } else {
                            mirrored.storage.insert(slot, s.value);
                        }
                    }
                }
            }
        }
        let root = if self.mirror.is_empty() {
            EMPTY_ROOT_HASH
        } else {
            outcome.root
        };
        self.root = Some(root);
        self.exact = true;
        Ok(root)
    }

    /// What differs between `state` and the mirror, by hashed address and hashed slot (a zero value and an
    /// absent slot are the same).
    fn diff(&self, state: &InMemoryState) -> StateChanges {
        let mut changes = StateChanges::default();
        for (address, now) in state.accounts() {
            if let Some(change) = self.account_change(address, Some(now), Slots::All) {
                changes.accounts.insert(keccak256(address), change);
            }
        }
        for address in self.mirror.keys() {
            if state.account(address).is_none() {
                if let Some(change) = self.account_change(address, None, Slots::All) {
                    changes.accounts.insert(keccak256(address), change);
                }
            }
        }
        changes
    }

    /// How `address` (now `now`) differs from the mirror, comparing `slots`; `None` when it does not.
    fn account_change(
        &self,
        address: &Address,
        now: Option<&AccountState>,
        slots: Slots<'_>,
    ) -> Option<AccountChange> {
        let before = self.mirror.get(address);
        let Some(now) = now else {
            // Gone: its leaf and its whole storage go.
            return before.map(|_| AccountChange {
                address: Some(*address),
                info: None,
                ..Default::default()
            });
        };
        let mut change = AccountChange {
            address: Some(*address),
            info: Some(AccountInfo {
                nonce: now.nonce,
                balance: now.balance,
                code_hash: now.code_hash,
            }),
            ..Default::default()
        };
        let value = |a: Option<&AccountState>, k: &U256| {
            a.and_then(|a| a.storage.get(k).copied())
                .unwrap_or_default()
        };
        let mut compare = |k: &U256| {
            let (old, new) = (value(before, k), value(Some(now), k));
            if old != new {
                change.slots.insert(
                    keccak256(k.to_be_bytes::<32>()),
                    SlotChange {
                        slot: Some(*k),
                        value: new,
                    },
                );
            }
        };
        match slots {
            Slots::All => {
                now.storage.keys().for_each(&mut compare);
                if let Some(b) = before {
                    b.storage
                        .keys()
                        .filter(|k| !now.storage.contains_key(*k))
                        .for_each(&mut compare);
                }
            }
            Slots::Listed(listed) => listed.iter().for_each(&mut compare),
        }
        let same_info = before.is_some_and(|b| {
            b.nonce == now.nonce && b.balance == now.balance && b.code_hash == now.code_hash
        });
        (!same_info || !change.slots.is_empty()).then_some(change)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Bytes;

    /// A small deterministic generator (xorshift).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// One random change: an account's balance or nonce, its code, a slot set or cleared, an account
    /// removed or created with storage. Lists what it may have changed in `touched` (as a block's undo
    /// record does: the account, and each slot written, or every old slot of an account replaced).
    fn mutate(state: &mut InMemoryState, rng: &mut Rng, touched: &mut Vec<(Address, U256)>) {
        let address = Address::with_last_byte(rng.below(24) as u8);
        touched.push((address, U256::MAX));
        if let Some(old) = state.account(&address) {
            touched.extend(old.storage.keys().map(|k| (address, *k)));
        }
        match rng.below(8) {
            0 => {
                let slots: Vec<_> = (0..rng.below(40))
                    .map(|_| (U256::from(rng.below(64)), U256::from(rng.next())))
                    .collect();
                let code = Bytes::from(vec![0x60, rng.below(4) as u8]);
                touched.extend(slots.iter().map(|(k, _)| (address, *k)));
                state.insert_account(address, U256::from(rng.next()), rng.below(5), code, slots);
            }
            1 => {
                state.remove_account(&address);
            }
            2 => state.account_mut(address).balance = U256::from(rng.below(3)),
            3 => state.account_mut(address).nonce += 1,
            4 => {
                let slot = U256::from(rng.below(64));
                touched.push((address, slot));
                state.account_mut(address).storage.remove(&slot);
            }
            _ => {
                let value = U256::from(rng.below(4));
                let slot = U256::from(rng.below(64));
                touched.push((address, slot));
                let acc = state.account_mut(address);
                if value.is_zero() {
                    acc.storage.remove(&slot);
                } else {
                    acc.storage.insert(slot, value);
                }
            }
        }
    }

    #[test]
    fn equals_the_from_scratch_root_through_changes_and_reverts() {
        for seed in 1..=12u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let mut state = InMemoryState::new();
            let mut keeper = MemRoot::new();
            assert_eq!(keeper.root(&state).unwrap(), EMPTY_ROOT_HASH);
            let mut saved = Vec::new();
            let mut touched = Vec::new();
            for step in 0..120 {
                for _ in 0..=rng.below(6) {
                    mutate(&mut state, &mut rng, &mut touched);
                }
                match rng.below(10) {
                    // A snapshot, and later a revert to one (`evm_snapshot` / `evm_revert`).
                    0 => saved.push(state.clone()),
                    1 if !saved.is_empty() => {
                        let i = rng.below(saved.len() as u64) as usize;
                        state = saved[i].clone();
                        keeper.invalidate();
                    }
                    // Everything removed (`anvil_reset` to an empty state).
                    2 if rng.below(8) == 0 => {
                        state = InMemoryState::new();
                        keeper.invalidate();
                    }
                    _ => {}
                }
                // Roots are not asked after every change: a diff may span several. Half of them are told
                // what changed (a block's undo record), half compare everything.
                let root = match rng.below(4) {
                    0 => None,
                    1 => Some(keeper.root(&state).unwrap()),
                    _ => {
                        let accounts: Vec<Address> = touched.iter().map(|t| t.0).collect();
                        let slots: Vec<(Address, U256)> = touched
                            .iter()
                            .filter(|t| t.1 != U256::MAX)
                            .copied()
                            .collect();
                        Some(keeper.root_after(&state, accounts, slots).unwrap())
                    }
                };
                if let Some(root) = root {
                    assert_eq!(root, state.state_root(), "seed {seed}, step {step}");
                    touched.clear();
                }
            }
            assert_eq!(keeper.root(&state).unwrap(), state.state_root());
        }
    }

    #[test]
    fn an_unchanged_state_reuses_its_root() {
        let mut state = InMemoryState::new();
        state.insert_account(
            Address::with_last_byte(1),
            U256::from(5),
            0,
            Bytes::new(),
            [(U256::from(1), U256::from(2))],
        );
        let mut keeper = MemRoot::new();
        let root = keeper.root(&state).unwrap();
        assert!(keeper.diff(&state).accounts.is_empty());
        assert_eq!(keeper.root(&state).unwrap(), root);
        // A zero written where a slot was absent is no change.
        state
            .account_mut(Address::with_last_byte(1))
            .storage
            .insert(U256::from(9), U256::ZERO);
        assert!(keeper.diff(&state).accounts.is_empty());
    }
}
