//! A state diff keyed the way the trie is (hashed address, hashed slot), its root, and how it is written.
//!
//! ```text
//! BlockState (by address) -> StateChanges (by keccak) -> compute_root:
//!     storage tries of changed accounts, in parallel (rayon) -> new storage roots
//!     account trie over the changed accounts, one rayon task per child of the root -> state root
//!   -> write_changes: accounts, slots, code, preimages, trie nodes into the block's WriteBatch,
//!      and the reverse diff (every changed key with its value before) for unwinding
//! ```
//! Unwinding uses the same path: a reverse diff is itself a [`StateChanges`] whose values are the old ones.
//! Old values a caller already holds (the block's read cache: execution read every account and slot it
//! changed) come in through [`KnownBefore`], so a committed block reads each of them from the store at most
//! once (its execution's read) instead of again for the root and for the reverse diff.

use crate::codec::{encode_branch, encode_slot_value, path_key, storage_key, Account};
use crate::error::StoreError;
use crate::kv::{KvRead, Table, WriteBatch};
use crate::reader::StateReader;
use crate::trie::update_trie_parallel;
use crate::trie::walk::{update_trie, KnownLeaf, LeafChange, TrieSource, TrieUpdate};
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_rlp::{RlpDecodable, RlpEncodable};
use alloy_trie::EMPTY_ROOT_HASH;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// An account's fields apart from its storage root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountInfo {
    /// Nonce.
    pub nonce: u64,
    /// Balance.
    pub balance: U256,
    /// keccak256 of the code.
    pub code_hash: B256,
}

/// One slot's new value (zero removes it), with the slot itself when known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotChange {
    /// The slot (its preimage), when known.
    pub slot: Option<U256>,
    /// The value after the change.
    pub value: U256,
}

/// What changed in one account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountChange {
    /// The address (preimage of the key), when known.
    pub address: Option<Address>,
    /// The account afterwards; `None` when it does not exist afterwards (its storage is gone too).
    pub info: Option<AccountInfo>,
    /// Its storage was cleared before `slots` apply.
    pub wiped: bool,
    /// Changed slots by keccak(slot).
    pub slots: BTreeMap<B256, SlotChange>,
}

/// A state diff by keccak(address).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateChanges {
    /// Changed accounts.
    pub accounts: BTreeMap<B256, AccountChange>,
    /// New code by hash.
    pub codes: BTreeMap<B256, Bytes>,
}

/// The new root of a diff and what the tries need stored.
#[derive(Clone, Debug, Default)]
pub struct RootOutcome {
    /// The state root.
    pub root: B256,
    /// Account-trie node changes.
    pub account_trie: TrieUpdate,
    /// Per changed account: the new account (with its storage root) or `None` when removed, and the storage
    /// trie node changes when its storage changed.
    pub accounts: BTreeMap<B256, (Option<Account>, Option<TrieUpdate>)>,
    /// The stored value of each changed account that exists afterwards, as `compute_root` read it (`None`:
    /// absent before), so that the commit does not read it again.
    pub before: BTreeMap<B256, Option<Vec<u8>>>,
    /// Time spent on the storage tries (wall clock, parallel).
    pub storage_time: Duration,
    /// Time spent on the account trie.
    pub account_time: Duration,
}

/// Values before a diff that the caller already holds for the same state version as the store it passes (a
/// read cache), so that the root and the batch do not read them from the store again.
pub trait KnownBefore: Sync {
    /// The account at `address` before, when known (`Some(None)`: it did not exist).
    fn account(&self, address: Address) -> Option<Option<Account>>;
    /// The value of `slot` of `address` before, when known.
    fn slot(&self, address: Address, slot: U256) -> Option<U256>;
}

/// Knows nothing: every old value is read from the store.
#[derive(Clone, Copy, Debug, Default)]
pub struct NothingKnown;

impl KnownBefore for NothingKnown {
    fn account(&self, _: Address) -> Option<Option<Account>> {
        None
    }

    fn slot(&self, _: Address, _: U256) -> Option<U256> {
        None
    }
}

/// A reader's cache describes its own snapshot, so what it holds is the value before the block.
impl KnownBefore for StateReader {
    fn account(&self, address: Address) -> Option<Option<Account>> {
        self.cached_account(address)
    }

    fn slot(&self, address: Address, slot: U256) -> Option<U256> {
        self.cached_slot(address, slot)
    }
}

/// From this many changed accounts on, the account trie is updated one rayon task per child of the root
/// (below it, the tasks would cost more than they save).
const PARALLEL_ACCOUNT_LEAVES: usize = 64;

/// Computes the state root of `kv`'s state with `changes` applied.
pub fn compute_root(kv: &dyn KvRead, changes: &StateChanges) -> Result<RootOutcome, StoreError> {
    compute_root_with(kv, changes, &NothingKnown)
}

/// [`compute_root`], taking the old accounts `known` holds from there instead of reading them from `kv`.
pub fn compute_root_with(
    kv: &dyn KvRead,
    changes: &StateChanges,
    known: &dyn KnownBefore,
) -> Result<RootOutcome, StoreError> {
    let started = Instant::now();
    type Rooted = (
        B256,
        Option<TrieUpdate>,
        Option<Account>,
        Option<Option<Vec<u8>>>,
    );
    let storage: Vec<Rooted> = changes
        .accounts
        .par_iter()
        .map(|(hashed, change)| -> Result<_, StoreError> {
            let Some(info) = change.info else {
                return Ok((*hashed, None, None, None));
            };
            let (old, stored) = match change.address.and_then(|a| known.account(a)) {
                // The table value is the account's canonical RLP, so encoding it again gives the same bytes.
                Some(old) => (old, old.map(|a| a.encode_value())),
                None => {
                    let stored = kv.get(Table::Accounts, hashed.as_slice())?;
                    let old = match &stored {
                        Some(v) => Some(Account::decode_value(v)?),
                        None => None,
                    };
                    (old, stored)
                }
            };
            let base_root = old.map_or(EMPTY_ROOT_HASH, |a| a.storage_root);
            let (storage_root, update) = if change.wiped || !change.slots.is_empty() {
                let leaves: Vec<LeafChange> = change
                    .slots
                    .iter()
                    .map(|(k, s)| (*k, (!s.value.is_zero()).then(|| encode_slot_value(s.value))))
                    .collect();
                // The old values the caller holds, so that the walk need not read those leaves.
                let before: Vec<KnownLeaf> = match change.address {
                    Some(address) => change
                        .slots
                        .iter()
                        .filter_map(|(k, s)| {
                            let old = known.slot(address, s.slot?)?;
                            (!old.is_zero()).then(|| (*k, encode_slot_value(old)))
                        })
                        .collect(),
                    None => Vec::new(),
                };
                let src = TrieSource {
                    kv,
                    nodes: Table::StorageTrie,
                    leaves: Table::Storage,
                    prefix: hashed.as_slice(),
                    base_empty: change.wiped || old.is_none(),
                    before: &before,
                };
                let update = update_trie(src, &leaves, &[])?;
                (update.root, Some(update))
            } else {
                (base_root, None)
            };
            let account = Account {
                nonce: info.nonce,
                balance: info.balance,
                storage_root,
                code_hash: info.code_hash,
            };
            Ok((*hashed, update, Some(account), Some(stored)))
        })
        .collect::<Result<_, _>>()?;
    let storage_time = started.elapsed();

    let started = Instant::now();
    let leaves: Vec<LeafChange> = storage
        .iter()
        .map(|(k, _, a, _)| (*k, a.map(|a| a.encode_value())))
        .collect();
    // Every changed account that exists afterwards was read above (or known): the walk takes its old leaf
    // from there.
    let before: Vec<KnownLeaf> = storage
        .iter()
        .filter_map(|(k, _, _, b)| Some((*k, b.clone()??)))
        .collect();
    let src = TrieSource {
        kv,
        nodes: Table::AccountTrie,
        leaves: Table::Accounts,
        prefix: &[],
        base_empty: false,
        before: &before,
    };
    let account_trie = if leaves.len() >= PARALLEL_ACCOUNT_LEAVES {
        update_trie_parallel(src, &leaves)?
    } else {
        update_trie(src, &leaves, &[])?
    };
    let account_time = started.elapsed();
    let mut before = BTreeMap::new();
    let mut accounts = BTreeMap::new();
    for (k, u, a, b) in storage {
        if let Some(b) = b {
            before.insert(k, b);
        }
        accounts.insert(k, (a, u));
    }
    Ok(RootOutcome {
        root: account_trie.root,
        account_trie,
        accounts,
        before,
        storage_time,
        account_time,
    })
}

/// A reverse diff: every account and slot a block changed, with its value before the block.
#[derive(Clone, Debug, Default, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct Changeset {
    /// Changed accounts.
    pub accounts: Vec<ChangesetAccount>,
}

/// One account of a [`Changeset`].
#[derive(Clone, Debug, Default, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct ChangesetAccount {
    /// keccak(address).
    pub hashed: B256,
    /// The account's table value before (empty: it did not exist).
    pub before: Bytes,
    /// Every slot whose value differs afterwards, with its value before (zero: absent).
    pub slots: Vec<ChangesetSlot>,
}

/// One slot of a [`ChangesetAccount`].
#[derive(Clone, Debug, Default, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct ChangesetSlot {
    /// keccak(slot).
    pub hashed: B256,
    /// Value before.
    pub before: U256,
}

impl Changeset {
    /// The diff that undoes the block: every recorded key back to its value before.
    pub fn to_reverse_changes(&self) -> Result<StateChanges, StoreError> {
        let mut out = StateChanges::default();
        for a in &self.accounts {
            let before = if a.before.is_empty() {
                None
            } else {
                Some(Account::decode_value(&a.before)?)
            };
            let slots = a
                .slots
                .iter()
                .map(|s| {
                    (
                        s.hashed,
                        SlotChange {
                            slot: None,
                            value: s.before,
                        },
                    )
                })
                .collect();
            out.accounts.insert(
                a.hashed,
                AccountChange {
                    address: None,
                    info: before.map(|b| AccountInfo {
                        nonce: b.nonce,
                        balance: b.balance,
                        code_hash: b.code_hash,
                    }),
                    wiped: false,
                    slots,
                },
            );
        }
        Ok(out)
    }
}

/// Adds the writes of `changes` (whose root is `outcome`) on top of `kv` to `batch`, and returns the reverse
/// diff.
pub fn write_changes(
    kv: &dyn KvRead,
    changes: &StateChanges,
    outcome: &RootOutcome,
    batch: &mut WriteBatch,
) -> Result<Changeset, StoreError> {
    write_changes_with(kv, changes, outcome, &NothingKnown, batch)
}

/// [`write_changes`], taking the old values `known` holds from there instead of reading them from `kv`.
pub fn write_changes_with(
    kv: &dyn KvRead,
    changes: &StateChanges,
    outcome: &RootOutcome,
    known: &dyn KnownBefore,
    batch: &mut WriteBatch,
) -> Result<Changeset, StoreError> {
    let mut changeset = Changeset::default();
    for (hashed, change) in &changes.accounts {
        let before = match outcome.before.get(hashed) {
            Some(b) => b.clone(),
            None => match change.address.and_then(|a| known.account(a)) {
                Some(old) => old.map(|a| a.encode_value()),
                None => kv.get(Table::Accounts, hashed.as_slice())?,
            },
        };
        let (after, storage_update) = outcome
            .accounts
            .get(hashed)
            .cloned()
            .unwrap_or((None, None));
        let mut slots_before: BTreeMap<B256, U256> = BTreeMap::new();
        let storage_gone = change.wiped || after.is_none();
        if storage_gone && before.is_some() {
            // Every slot and storage-trie node of the old storage goes.
            let mut old = Vec::new();
            kv.scan_prefix(Table::Storage, hashed.as_slice(), &mut |k, v| {
                old.push((k.to_vec(), v.to_vec()));
                true
            })?;
            for (k, v) in old {
                let value = crate::codec::decode_slot_value(&v)?;
                slots_before.insert(B256::from_slice(&k[32..]), value);
                batch.delete(Table::Storage, k);
            }
            let mut nodes = Vec::new();
            kv.scan_prefix(Table::StorageTrie, hashed.as_slice(), &mut |k, _| {
                nodes.push(k.to_vec());
                true
            })?;
            for k in nodes {
                batch.delete(Table::StorageTrie, k);
            }
        }
        if after.is_some() {
            for (hslot, s) in &change.slots {
                let key = storage_key(hashed, hslot);
                if !slots_before.contains_key(hslot) {
                    let old = if storage_gone {
                        U256::ZERO
                    } else {
                        let cached = match (change.address, s.slot) {
                            (Some(address), Some(slot)) => known.slot(address, slot),
                            _ => None,
                        };
                        match cached {
                            Some(v) => v,
                            None => match kv.get(Table::Storage, &key)? {
                                Some(v) => crate::codec::decode_slot_value(&v)?,
                                None => U256::ZERO,
                            },
                        }
                    };
                    if storage_gone {
                        // Not in the old storage: absent before.
                        slots_before.insert(*hslot, U256::ZERO);
                    } else {
                        slots_before.insert(*hslot, old);
                    }
                }
                if s.value.is_zero() {
                    batch.delete(Table::Storage, key.to_vec());
                } else {
                    batch.put(Table::Storage, key.to_vec(), encode_slot_value(s.value));
                    // A slot that held a value before has its preimage stored already (preimages are
                    // never deleted); rewriting it would dirty one more random page per slot.
                    let new_slot = slots_before.get(hslot).is_none_or(|v| v.is_zero());
                    if let (true, Some(slot)) = (new_slot, s.slot) {
                        batch.put(
                            Table::Preimages,
                            hslot.to_vec(),
                            slot.to_be_bytes::<32>().to_vec(),
                        );
                    }
                }
            }
        }
        if let Some(update) = &storage_update {
            write_trie(batch, Table::StorageTrie, hashed.as_slice(), update);
        }
        match after {
            Some(a) => {
                batch.put(Table::Accounts, hashed.to_vec(), a.encode_value());
                // As for slots: an account that existed before has its preimage stored.
                if let (None, Some(address)) = (&before, change.address) {
                    batch.put(Table::Preimages, hashed.to_vec(), address.to_vec());
                }
            }
            None => batch.delete(Table::Accounts, hashed.to_vec()),
        }
        let before_bytes = before.unwrap_or_default();
        let after_bytes = after.map(|a| a.encode_value()).unwrap_or_default();
        slots_before.retain(|hslot, old| {
            // Keep only slots whose value really differs afterwards.
            let new = if storage_gone {
                change.slots.get(hslot).map_or(U256::ZERO, |s| s.value)
            } else {
                change.slots.get(hslot).map_or(*old, |s| s.value)
            };
            let new = if after.is_none() { U256::ZERO } else { new };
            new != *old
        });
        if before_bytes != after_bytes || !slots_before.is_empty() {
            changeset.accounts.push(ChangesetAccount {
                hashed: *hashed,
                before: before_bytes.into(),
                slots: slots_before
                    .into_iter()
                    .map(|(hashed, before)| ChangesetSlot { hashed, before })
                    .collect(),
            });
        }
    }
    write_trie(batch, Table::AccountTrie, &[], &outcome.account_trie);
    for (hash, code) in &changes.codes {
        batch.put(Table::Code, hash.to_vec(), code.to_vec());
    }
    Ok(changeset)
}

/// Deletes the visited nodes of `update` that were not rebuilt and stores its rebuilt ones (`updated` is
/// sorted by path; a node rebuilt at the same path is overwritten, not deleted first).
fn write_trie(batch: &mut WriteBatch, table: Table, prefix: &[u8], update: &TrieUpdate) {
    for path in &update.removed {
        if update
            .updated
            .binary_search_by(|(p, _)| p.cmp(path))
            .is_err()
        {
            batch.delete(table, path_key(prefix, path));
        }
    }
    for (path, node) in &update.updated {
        batch.put(table, path_key(prefix, path), encode_branch(node));
    }
}
