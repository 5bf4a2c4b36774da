//! The state at a recent block: the head's snapshot with the reverse diffs of the later blocks folded over
//! it, readable as a [`StateView`]; and account and storage proofs (EIP-1186) at the head or such a block,
//! from the stored trie nodes.
//!
//! ```text
//! state_at(n): head snapshot + fold(reverse diffs n+1..=head) -> HistoricalState (StateView)
//! proof(n, address, slots): walk the stored tries with the folded values as changes and the keys as
//!                           proof targets -> nodes root..leaf (alloy-trie's proof retainer)
//! ```

use super::read::hash_in;
use super::ChainStore;
use crate::changes::{AccountChange, AccountInfo, Changeset, SlotChange, StateChanges};
use crate::codec::{decode_rlp, encode_slot_value, number_key, storage_key, Account};
use crate::error::StoreError;
use crate::kv::{KvRead, Table};
use crate::reader::{StateCache, StateReader};
use crate::trie::walk::{update_trie, LeafChange, TrieSource};
use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_trie::{Nibbles, EMPTY_ROOT_HASH};
use parevm_evm_core::{Code, StateView, ViewError};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The values at an earlier block of every key changed since: accounts and slots by hashed key.
#[derive(Clone, Debug, Default)]
pub(crate) struct Folded {
    pub accounts: BTreeMap<B256, Option<Account>>,
    pub slots: BTreeMap<B256, BTreeMap<B256, U256>>,
}

impl Folded {
    /// The diff that turns the head state into this earlier one.
    pub fn to_changes(&self) -> StateChanges {
        let mut out = StateChanges::default();
        for (hashed, account) in &self.accounts {
            let slots = self
                .slots
                .get(hashed)
                .map(|s| {
                    s.iter()
                        .map(|(k, v)| {
                            (
                                *k,
                                SlotChange {
                                    slot: None,
                                    value: *v,
                                },
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.accounts.insert(
                *hashed,
                AccountChange {
                    address: None,
                    info: account.map(|a| AccountInfo {
                        nonce: a.nonce,
                        balance: a.balance,
                        code_hash: a.code_hash,
                    }),
                    wiped: false,
                    slots,
                },
            );
        }
        out
    }
}

impl Folded {
    /// The account at `hashed` at the earlier block, when it changed since (`Some(None)`: absent then).
    pub fn account(&self, hashed: &B256) -> Option<Option<Account>> {
        self.accounts.get(hashed).copied()
    }

    /// The slot at the earlier block, when it changed since.
    pub fn slot(&self, hashed: &B256, slot: &B256) -> Option<U256> {
        self.slots.get(hashed).and_then(|s| s.get(slot)).copied()
    }

    /// `top` (changes made on top of the earlier state) laid over the diff that turns the head state into
    /// the earlier one: one diff from the head state to the earlier state with `top` applied. An account of
    /// `top` takes its new value and, when `top` wiped its storage, only `top`'s slots; otherwise its slots
    /// go over the earlier values.
    pub fn under(&self, top: StateChanges) -> StateChanges {
        let mut out = self.to_changes();
        for (hashed, change) in top.accounts {
            match out.accounts.get_mut(&hashed) {
                Some(past) if !change.wiped => {
                    past.address = change.address;
                    past.info = change.info;
                    past.slots.extend(change.slots);
                }
                _ => {
                    out.accounts.insert(hashed, change);
                }
            }
        }
        out.codes.extend(top.codes);
        out
    }
}

/// Folds the reverse diffs of blocks `target+1..=head` (newest first; older values win).
pub(crate) fn fold_changesets(
    snap: &dyn KvRead,
    target: u64,
    head: u64,
) -> Result<Folded, StoreError> {
    let mut folded = Folded::default();
    for number in (target + 1..=head).rev() {
        let bytes = snap
            .get(Table::Changesets, &number_key(number))?
            .ok_or_else(|| StoreError::StateUnavailable {
                number: target,
                reason: format!("the reverse diff of block {number} is not stored"),
            })?;
        let cs: Changeset = decode_rlp("changeset", &bytes)?;
        for a in cs.accounts {
            let before = if a.before.is_empty() {
                None
            } else {
                Some(Account::decode_value(&a.before)?)
            };
            folded.accounts.insert(a.hashed, before);
            let slots = folded.slots.entry(a.hashed).or_default();
            for s in a.slots {
                slots.insert(s.hashed, s.before);
            }
        }
    }
    Ok(folded)
}

/// An account with its proof, and proofs of some of its slots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountProof {
    /// The account.
    pub address: Address,
    /// Its trie value (`None`: absent, and the proof shows that).
    pub account: Option<Account>,
    /// Account-trie nodes from the root to the account (or to where its path ends).
    pub proof: Vec<Bytes>,
    /// The requested slots.
    pub storage: Vec<StorageProof>,
}

impl AccountProof {
    /// The storage root (the empty root for an absent account).
    pub fn storage_root(&self) -> B256 {
        self.account.map_or(EMPTY_ROOT_HASH, |a| a.storage_root)
    }
}

/// One slot with its proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageProof {
    /// The slot.
    pub key: U256,
    /// Its value.
    pub value: U256,
    /// Storage-trie nodes from the root to the slot.
    pub proof: Vec<Bytes>,
}

/// The state at one block (the head or a recent one), readable as a [`StateView`] with a private cache.
pub struct HistoricalState {
    number: u64,
    hash: B256,
    reader: StateReader,
    folded: Arc<Folded>,
}

impl HistoricalState {
    /// The block whose state this is.
    pub fn block(&self) -> (u64, B256) {
        (self.number, self.hash)
    }

    /// The account at `address` (with its storage root).
    pub fn account(&self, address: Address) -> Result<Option<Account>, StoreError> {
        let hashed = keccak256(address);
        match self.folded.accounts.get(&hashed) {
            Some(a) => Ok(*a),
            None => self.reader.account(address),
        }
    }

    /// One slot.
    pub fn slot(&self, address: Address, slot: U256) -> Result<U256, StoreError> {
        if let Some(slots) = self.folded.slots.get(&keccak256(address)) {
            if let Some(v) = slots.get(&keccak256(slot.to_be_bytes::<32>())) {
                return Ok(*v);
            }
        }
        self.reader.slot(address, slot)
    }

    /// Account and storage proofs for `address` and `slots` at this block.
    pub fn proof(&self, address: Address, slots: &[U256]) -> Result<AccountProof, StoreError> {
        let kv = self.reader.kv().as_ref();
        let hashed = keccak256(address);
        let leaves: Vec<LeafChange> = self
            .folded
            .accounts
            .iter()
            .map(|(k, a)| (*k, a.map(|a| a.encode_value())))
            .collect();
        let src = TrieSource {
            kv,
            nodes: Table::AccountTrie,
            leaves: Table::Accounts,
            prefix: &[],
            base_empty: false,
            before: &[],
        };
        let update = update_trie(src, &leaves, &[hashed])?;
        let proof = nodes_for(&update.proof, &hashed);
        let account = self.account(address)?;

        let slot_changes: Vec<LeafChange> = self
            .folded
            .slots
            .get(&hashed)
            .map(|s| {
                s.iter()
                    .map(|(k, v)| (*k, (!v.is_zero()).then(|| encode_slot_value(*v))))
                    .collect()
            })
            .unwrap_or_default();
        let targets: Vec<B256> = slots
            .iter()
            .map(|s| keccak256(s.to_be_bytes::<32>()))
            .collect();
        let src = TrieSource {
            kv,
            nodes: Table::StorageTrie,
            leaves: Table::Storage,
            prefix: hashed.as_slice(),
            base_empty: false,
            before: &[],
        };
        let storage_update = update_trie(src, &slot_changes, &targets)?;
        let mut storage = Vec::with_capacity(slots.len());
        for (slot, target) in slots.iter().zip(&targets) {
            let value = match self.folded.slots.get(&hashed).and_then(|s| s.get(target)) {
                Some(v) => *v,
                None => self.reader.slot_by_key(&storage_key(&hashed, target))?,
            };
            storage.push(StorageProof {
                key: *slot,
                value,
                proof: nodes_for(&storage_update.proof, target),
            });
        }
        Ok(AccountProof {
            address,
            account,
            proof,
            storage,
        })
    }
}

/// The proof nodes on the path to `key`, root first.
fn nodes_for(nodes: &alloy_trie::proof::ProofNodes, key: &B256) -> Vec<Bytes> {
    nodes
        .matching_nodes_sorted(&Nibbles::unpack(key))
        .into_iter()
        .map(|(_, node)| node)
        .collect()
}

impl StateView for HistoricalState {
    fn balance(&self, address: Address) -> Result<U256, ViewError> {
        Ok(self.account(address)?.map_or(U256::ZERO, |a| a.balance))
    }

    fn nonce(&self, address: Address) -> Result<u64, ViewError> {
        Ok(self.account(address)?.map_or(0, |a| a.nonce))
    }

    fn code_hash(&self, address: Address) -> Result<B256, ViewError> {
        Ok(self.account(address)?.map_or(B256::ZERO, |a| a.code_hash))
    }

    fn code_by_hash(&self, code_hash: B256) -> Result<Code, ViewError> {
        self.reader.code_by_hash(code_hash)
    }

    fn storage(&self, address: Address, slot: U256) -> Result<U256, ViewError> {
        Ok(self.slot(address, slot)?)
    }

    fn block_hash(&self, number: u64) -> Result<B256, ViewError> {
        if number > self.number {
            return Ok(B256::ZERO);
        }
        self.reader.block_hash(number)
    }

    fn has_storage(&self, address: Address) -> Result<bool, ViewError> {
        Ok(self
            .account(address)?
            .is_some_and(|a| a.storage_root != EMPTY_ROOT_HASH))
    }
}

impl ChainStore {
    /// The state after canonical block `number` (the head, or an earlier block whose reverse diffs are
    /// stored), on one snapshot with a private read cache.
    pub fn state_at(&self, number: u64) -> Result<HistoricalState, StoreError> {
        let snap = self.kv.snapshot()?;
        let head = super::read_head(snap.as_ref())?.ok_or(StoreError::NotInitialized)?;
        if number > head.number {
            return Err(StoreError::StateUnavailable {
                number,
                reason: format!("the head is block {}", head.number),
            });
        }
        let hash = hash_in(snap.as_ref(), number)?
            .ok_or_else(|| StoreError::MissingBlock(number.to_string()))?;
        let folded = fold_changesets(snap.as_ref(), number, head.number)?;
        Ok(HistoricalState {
            number,
            hash,
            reader: StateReader::new(snap, Arc::new(StateCache::new())),
            folded: Arc::new(folded),
        })
    }

    /// The state of the head block.
    pub fn latest_state(&self) -> Result<HistoricalState, StoreError> {
        let number = self.head()?.0.number;
        self.state_at(number)
    }
}
