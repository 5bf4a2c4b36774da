//! One block's state in the making: its writes held in memory over the committed state, read through first,
//! so nothing of the block reaches the database before it is committed whole.
//!
//! ```text
//! BlockExecutor -> BlockState::apply(write set)        (by address; the base is never written)
//!               -> BlockState::state_root()            (StateChanges -> compute_root, cached per version)
//! ChainStore::commit_block(block, BlockState)          (one WriteBatch: state, tries, block, reverse diff)
//! ```
//! It implements [`StateStore`], so the block executor, the sequential loop and the parallel executor run on
//! it unchanged; a snapshot is a copy of the overlay (empty at the start of a block), never of the state.

use crate::chain::history::Folded;
use crate::changes::{
    compute_root_with, AccountChange, AccountInfo, KnownBefore, NothingKnown, RootOutcome,
    SlotChange, StateChanges,
};
use crate::error::StoreError;
use crate::reader::StateReader;
use alloy_primitives::map::{AddressMap, HashMap};
use alloy_primitives::{keccak256, Address, B256, U256};
use parevm_block::StateStore;
use parevm_evm_core::{
    AccountWrite, BalanceWrite, Code, StateView, ViewError, WriteSet, KECCAK_EMPTY,
};
use parking_lot::Mutex;
use std::sync::Arc;

/// The storage changes of one account in a block.
#[derive(Clone, Debug, Default)]
struct StorageOverlay {
    /// Cleared before `slots` (destroyed or created over old storage).
    wiped: bool,
    /// Values written (zero: removed).
    slots: HashMap<U256, U256>,
}

/// A diff with its root, shared between `state_root` and the commit.
pub type RootedChanges = Arc<(StateChanges, RootOutcome)>;

/// The changes of one block so far.
#[derive(Clone, Debug, Default)]
pub struct Overlay {
    /// Accounts written: `None` when the account does not exist afterwards.
    accounts: AddressMap<Option<AccountInfo>>,
    storage: AddressMap<StorageOverlay>,
    codes: HashMap<B256, Code>,
}

impl Overlay {
    /// True with no writes.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.storage.is_empty()
    }

    /// This overlay applied on top of `below` (an earlier block's), as one overlay.
    pub fn merged_over(&self, below: &Overlay) -> Overlay {
        let mut out = below.clone();
        for (address, info) in &self.accounts {
            out.accounts.insert(*address, *info);
        }
        for (address, storage) in &self.storage {
            if storage.wiped {
                out.storage.insert(*address, storage.clone());
            } else {
                let entry = out.storage.entry(*address).or_default();
                for (k, v) in &storage.slots {
                    entry.slots.insert(*k, *v);
                }
            }
        }
        for (hash, code) in &self.codes {
            out.codes.insert(*hash, code.clone());
        }
        out
    }

    /// The changes keyed for the trie.
    pub fn to_changes(&self) -> StateChanges {
        let mut out = StateChanges::default();
        for (address, info) in &self.accounts {
            let storage = self.storage.get(address);
            let slots = storage
                .map(|s| {
                    s.slots
                        .iter()
                        .map(|(slot, value)| {
                            (
                                keccak256(slot.to_be_bytes::<32>()),
                                SlotChange {
                                    slot: Some(*slot),
                                    value: *value,
                                },
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.accounts.insert(
                keccak256(address),
                AccountChange {
                    address: Some(*address),
                    info: *info,
                    wiped: info.is_none() || storage.is_some_and(|s| s.wiped),
                    slots,
                },
            );
        }
        for (hash, code) in &self.codes {
            out.codes.insert(*hash, code.bytes().clone());
        }
        out
    }
}

/// A block's state: the committed state (a [`StateReader`]) with the block's writes on top.
pub struct BlockState {
    base: StateReader,
    /// The writes of the block below when it is not committed yet (pipelined import), read before `base`.
    below: Option<Arc<Overlay>>,
    /// For a block on an earlier block than the head (never committed): the values at that block of
    /// every key changed since, read before `base` and laid under the overlay for the root.
    past: Option<Arc<Folded>>,
    /// The head this block builds on: number and hash.
    parent: (u64, B256),
    overlay: Overlay,
    /// Bumped by every write; the root cache is valid for one version.
    version: u64,
    root: Mutex<Option<(u64, RootedChanges)>>,
    block_hashes: HashMap<u64, B256>,
}

impl BlockState {
    /// A block on top of `base`, whose head is block `parent` (number, hash).
    pub fn new(base: StateReader, parent: (u64, B256)) -> Self {
        Self {
            base,
            below: None,
            past: None,
            parent,
            overlay: Overlay::default(),
            version: 0,
            root: Mutex::new(None),
            block_hashes: HashMap::default(),
        }
    }

    /// A block on top of `below`, the overlay of block `parent` that is not committed yet, over `base`
    /// (the committed state under it).
    pub fn on_pending(base: StateReader, below: Arc<Overlay>, parent: (u64, B256)) -> Self {
        Self {
            below: Some(below),
            ..Self::new(base, parent)
        }
    }

    /// A block on top of block `parent`, earlier than the head `base` holds, whose values since are
    /// `past` ([`crate::ChainStore::begin_block_at`]).
    pub(crate) fn on_past(base: StateReader, past: Arc<Folded>, parent: (u64, B256)) -> Self {
        Self {
            past: Some(past),
            ..Self::new(base, parent)
        }
    }

    /// True for a block on an earlier block than the head (never committed).
    pub fn is_past(&self) -> bool {
        self.past.is_some()
    }

    /// Replaces the base by `base`, which must already hold the pending block below (it was committed).
    pub fn rebase(&mut self, base: StateReader) {
        self.base = base;
        self.below = None;
        self.version += 1;
    }

    /// True while the block below is not committed.
    pub fn is_pending(&self) -> bool {
        self.below.is_some()
    }

    /// The committed state under the overlay.
    pub fn base(&self) -> &StateReader {
        &self.base
    }

    /// The head this block builds on.
    pub fn parent(&self) -> (u64, B256) {
        self.parent
    }

    /// The writes so far.
    pub fn overlay(&self) -> &Overlay {
        &self.overlay
    }

    /// The account at `address` as of the writes so far.
    fn info(&self, address: Address) -> Result<Option<AccountInfo>, StoreError> {
        if let Some(a) = self.overlay.accounts.get(&address) {
            return Ok(*a);
        }
        if let Some(a) = self.below.as_ref().and_then(|b| b.accounts.get(&address)) {
            return Ok(*a);
        }
        let account = match self
            .past
            .as_ref()
            .and_then(|p| p.account(&keccak256(address)))
        {
            Some(a) => a,
            None => self.base.account(address)?,
        };
        Ok(account.map(|a| AccountInfo {
            nonce: a.nonce,
            balance: a.balance,
            code_hash: a.code_hash,
        }))
    }

    /// Applies the changes to one account.
    fn apply_account(&mut self, w: &AccountWrite) -> Result<(), StoreError> {
        if w.destroyed {
            self.overlay.accounts.insert(w.address, None);
            self.overlay.storage.insert(
                w.address,
                StorageOverlay {
                    wiped: true,
                    slots: HashMap::default(),
                },
            );
            return Ok(());
        }
        let mut info = self.info(w.address)?.unwrap_or(AccountInfo {
            nonce: 0,
            balance: U256::ZERO,
            code_hash: KECCAK_EMPTY,
        });
        if let Some((hash, code)) = &w.code {
            if !code.is_empty() {
                self.overlay
                    .codes
                    .entry(*hash)
                    .or_insert_with(|| code.clone());
            }
            info.code_hash = *hash;
        }
        match w.balance {
            Some(BalanceWrite::Set(b)) => info.balance = b,
            Some(BalanceWrite::Add(d)) => info.balance += d,
            None => {}
        }
        if let Some(n) = w.nonce {
            info.nonce = n;
        }
        let had = self.overlay.accounts.insert(w.address, Some(info));
        if w.storage_reset || !w.storage.is_empty() || had == Some(None) {
            let storage = self.overlay.storage.entry(w.address).or_default();
            if w.storage_reset {
                storage.wiped = true;
                storage.slots.clear();
            }
            for (k, v) in &w.storage {
                storage.slots.insert(*k, *v);
            }
        }
        Ok(())
    }

    /// Where the old values of the block's changes can be taken from without reading the store: the base's
    /// read cache, which describes the base while no block is pending below (a pending block's commit
    /// updates the shared cache while this block's base may still be the snapshot before it).
    pub fn known_before(&self) -> &dyn KnownBefore {
        if self.below.is_some() || self.past.is_some() {
            &NothingKnown
        } else {
            &self.base
        }
    }

    /// The changes and their root, computed once per version of the overlay.
    pub fn root_outcome(&self) -> Result<RootedChanges, StoreError> {
        let mut cached = self.root.lock();
        if let Some((version, outcome)) = cached.as_ref() {
            if *version == self.version {
                return Ok(outcome.clone());
            }
        }
        let mut changes = match &self.below {
            Some(below) => self.overlay.merged_over(below).to_changes(),
            None => self.overlay.to_changes(),
        };
        if let Some(past) = &self.past {
            changes = past.under(changes);
        }
        let outcome = compute_root_with(self.base.kv().as_ref(), &changes, self.known_before())?;
        let both = Arc::new((changes, outcome));
        *cached = Some((self.version, both.clone()));
        Ok(both)
    }
}

impl StateView for BlockState {
    fn balance(&self, address: Address) -> Result<U256, ViewError> {
        Ok(self.info(address)?.map_or(U256::ZERO, |a| a.balance))
    }

    fn nonce(&self, address: Address) -> Result<u64, ViewError> {
        Ok(self.info(address)?.map_or(0, |a| a.nonce))
    }

    fn code_hash(&self, address: Address) -> Result<B256, ViewError> {
        Ok(self.info(address)?.map_or(B256::ZERO, |a| a.code_hash))
    }

    fn code_by_hash(&self, code_hash: B256) -> Result<Code, ViewError> {
        if let Some(c) = self.overlay.codes.get(&code_hash) {
            return Ok(c.clone());
        }
        if let Some(c) = self.below.as_ref().and_then(|b| b.codes.get(&code_hash)) {
            return Ok(c.clone());
        }
        self.base.code_by_hash(code_hash)
    }

    fn storage(&self, address: Address, slot: U256) -> Result<U256, ViewError> {
        for layer in std::iter::once(&self.overlay).chain(self.below.as_deref()) {
            if let Some(s) = layer.storage.get(&address) {
                if let Some(v) = s.slots.get(&slot) {
                    return Ok(*v);
                }
                if s.wiped {
                    return Ok(U256::ZERO);
                }
            }
        }
        if let Some(v) = self
            .past
            .as_ref()
            .and_then(|p| p.slot(&keccak256(address), &keccak256(slot.to_be_bytes::<32>())))
        {
            return Ok(v);
        }
        self.base.storage(address, slot)
    }

    fn block_hash(&self, number: u64) -> Result<B256, ViewError> {
        if let Some(h) = self.block_hashes.get(&number) {
            return Ok(*h);
        }
        self.base.block_hash(number)
    }

    fn has_storage(&self, address: Address) -> Result<bool, ViewError> {
        for layer in std::iter::once(&self.overlay).chain(self.below.as_deref()) {
            if let Some(s) = layer.storage.get(&address) {
                if s.slots.values().any(|v| !v.is_zero()) {
                    return Ok(true);
                }
                if s.wiped {
                    return Ok(false);
                }
            }
        }
        if let Some(a) = self
            .past
            .as_ref()
            .and_then(|p| p.account(&keccak256(address)))
        {
            return Ok(a.is_some_and(|a| a.storage_root != alloy_trie::EMPTY_ROOT_HASH));
        }
        if self
            .below
            .as_ref()
            .is_some_and(|b| b.accounts.contains_key(&address))
        {
            // The pending block below wrote this account, and the base snapshot may predate its commit:
            // read it uncached, so that an old value never enters the head's shared cache.
            return Ok(self
                .base
                .account_by_hash(&keccak256(address))?
                .is_some_and(|a| a.storage_root != alloy_trie::EMPTY_ROOT_HASH));
        }
        self.base.has_storage(address)
    }
}

impl StateStore for BlockState {
    type Snapshot = Overlay;

    fn apply(&mut self, writes: &WriteSet) -> Result<(), ViewError> {
        self.version += 1;
        for w in writes {
            self.apply_account(w)?;
        }
        Ok(())
    }

    fn state_root(&self) -> Result<B256, ViewError> {
        Ok(self.root_outcome()?.1.root)
    }

    fn set_block_hash(&mut self, number: u64, hash: B256) {
        self.block_hashes.insert(number, hash);
    }

    fn snapshot(&self) -> Overlay {
        self.overlay.clone()
    }

    fn restore(&mut self, snapshot: Overlay) {
        self.version += 1;
        self.overlay = snapshot;
    }
}
