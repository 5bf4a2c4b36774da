//! Reading the committed state: a backend snapshot behind a read cache, answering [`StateView`] so the
//! sequential and the parallel executor run on the store unchanged.
//!
//! ```text
//! StateView::balance(addr) -> StateCache (address -> account) -> snapshot: accounts[keccak(addr)]
//! StateView::storage(a, s) -> StateCache ((addr, slot) -> value) -> storage[keccak(a) ++ keccak(s)]
//! ```
//! The cache is shared by the head's readers across blocks: the store writes each committed block's new
//! values into it and clears it on unwind, so it always describes the head. Readers of an older snapshot
//! get a private cache.

use crate::codec::{decode_b256, decode_slot_value, number_key, storage_key, Account};
use crate::error::StoreError;
use crate::kv::{KvRead, Table};
use alloy_primitives::{keccak256, Address, B256, U256};
use dashmap::DashMap;
use parevm_evm_core::{Bytecode, Code, StateView, ViewError, KECCAK_EMPTY};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Entries above which a cache map is emptied rather than grown.
const CACHE_LIMIT: usize = 4_000_000;

/// Cached reads of one state version (accounts, slots) and of code (any version: code is immutable).
#[derive(Default)]
pub struct StateCache {
    accounts: DashMap<Address, Option<Account>, alloy_primitives::map::FbBuildHasher<20>>,
    slots: DashMap<(Address, U256), U256, alloy_primitives::map::DefaultHashBuilder>,
    code: DashMap<B256, Code, alloy_primitives::map::FbBuildHasher<32>>,
    /// Bumped before the cached state moves to another version (a commit, an unwind), so that a reader
    /// made for the version before can tell that the cache no longer describes its snapshot.
    generation: AtomicU64,
}

impl StateCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks the start of a move to another state version; call before changing any entry.
    pub fn next_generation(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Records a committed account value.
    pub fn set_account(&self, address: Address, account: Option<Account>) {
        self.accounts.insert(address, account);
    }

    /// Records a committed slot value.
    pub fn set_slot(&self, address: Address, slot: U256, value: U256) {
        self.slots.insert((address, slot), value);
    }

    /// Forgets every slot of `address` (its storage was wiped).
    pub fn forget_storage(&self, address: Address) {
        self.slots.retain(|(a, _), _| *a != address);
    }

    /// Forgets all state (code stays: it is content-addressed).
    pub fn clear_state(&self) {
        self.next_generation();
        self.accounts.clear();
        self.slots.clear();
    }

    /// Number of cached accounts and slots.
    pub fn len(&self) -> (usize, usize) {
        (self.accounts.len(), self.slots.len())
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.slots.is_empty()
    }
}

/// The committed state of one snapshot, cached.
#[derive(Clone)]
pub struct StateReader {
    kv: Arc<dyn KvRead>,
    cache: Arc<StateCache>,
    /// The cache's generation when this reader was made.
    generation: u64,
}

impl StateReader {
    /// Reads `kv` through `cache` (which must describe the same state version).
    pub fn new(kv: Arc<dyn KvRead>, cache: Arc<StateCache>) -> Self {
        let generation = cache.generation();
        Self {
            kv,
            cache,
            generation,
        }
    }

    /// The snapshot.
    pub fn kv(&self) -> &Arc<dyn KvRead> {
        &self.kv
    }

    /// The account at `address` as the read cache holds it, without reading the snapshot (`None`: not
    /// cached, or the cache moved on to another version since this reader was made). The root and the
    /// commit take old values from here: execution read them already.
    pub fn cached_account(&self, address: Address) -> Option<Option<Account>> {
        let account = self.cache.accounts.get(&address).map(|a| *a);
        // Checked after the read: a move bumps the generation before it changes any entry.
        account.filter(|_| self.cache.generation() == self.generation)
    }

    /// One slot as the read cache holds it, without reading the snapshot (`None`: not cached, or the
    /// cache moved on since this reader was made).
    pub fn cached_slot(&self, address: Address, slot: U256) -> Option<U256> {
        let value = self.cache.slots.get(&(address, slot)).map(|v| *v);
        value.filter(|_| self.cache.generation() == self.generation)
    }

    /// The account at `address`, if it exists.
    pub fn account(&self, address: Address) -> Result<Option<Account>, StoreError> {
        if let Some(a) = self.cache.accounts.get(&address) {
            return Ok(*a);
        }
        let account = self.account_by_hash(&keccak256(address))?;
        if self.cache.accounts.len() > CACHE_LIMIT {
            self.cache.accounts.clear();
        }
        self.cache.accounts.insert(address, account);
        Ok(account)
    }

    /// The account under hashed address `hashed` (uncached).
    pub fn account_by_hash(&self, hashed: &B256) -> Result<Option<Account>, StoreError> {
        match self.kv.get(Table::Accounts, hashed.as_slice())? {
            Some(v) => Ok(Some(Account::decode_value(&v)?)),
            None => Ok(None),
        }
    }

    /// One storage slot.
    pub fn slot(&self, address: Address, slot: U256) -> Result<U256, StoreError> {
        if let Some(v) = self.cache.slots.get(&(address, slot)) {
            return Ok(*v);
        }
        let key = storage_key(&keccak256(address), &keccak256(slot.to_be_bytes::<32>()));
        let value = self.slot_by_key(&key)?;
        if self.cache.slots.len() > CACHE_LIMIT {
            self.cache.slots.clear();
        }
        self.cache.slots.insert((address, slot), value);
        Ok(value)
    }

    /// One storage slot by its table key (uncached).
    pub fn slot_by_key(&self, key: &[u8; 64]) -> Result<U256, StoreError> {
        match self.kv.get(Table::Storage, key)? {
            Some(v) => Ok(decode_slot_value(&v)?),
            None => Ok(U256::ZERO),
        }
    }

    /// Code by hash.
    pub fn code(&self, hash: B256) -> Result<Code, StoreError> {
        if hash == KECCAK_EMPTY || hash.is_zero() {
            return Ok(Bytecode::empty());
        }
        if let Some(c) = self.cache.code.get(&hash) {
            return Ok(c.clone());
        }
        let bytes = self
            .kv
            .get(Table::Code, hash.as_slice())?
            .ok_or_else(|| StoreError::MissingBlock(format!("code {hash}")))?;
        let code: Code = Arc::new(Bytecode::with_hash(bytes.into(), hash));
        self.cache.code.insert(hash, code.clone());
        Ok(code)
    }

    /// The canonical hash of block `number`.
    pub fn canonical_hash(&self, number: u64) -> Result<Option<B256>, StoreError> {
        match self.kv.get(Table::Canonical, &number_key(number))? {
            Some(v) => Ok(Some(decode_b256("canonical hash", &v)?)),
            None => Ok(None),
        }
    }
}

impl StateView for StateReader {
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
        Ok(self.code(code_hash)?)
    }

    fn storage(&self, address: Address, slot: U256) -> Result<U256, ViewError> {
        Ok(self.slot(address, slot)?)
    }

    fn block_hash(&self, number: u64) -> Result<B256, ViewError> {
        Ok(self.canonical_hash(number)?.unwrap_or_default())
    }

    fn has_storage(&self, address: Address) -> Result<bool, ViewError> {
        Ok(self
            .account(address)?
            .is_some_and(|a| a.storage_root != alloy_trie::EMPTY_ROOT_HASH))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::mem::MemKv;
    use crate::kv::Kv;

    #[test]
    fn a_cache_that_moved_to_another_version_answers_nothing() {
        let cache = Arc::new(StateCache::new());
        let kv = MemKv::new();
        let reader = StateReader::new(kv.snapshot().unwrap(), cache.clone());
        let (address, slot) = (Address::repeat_byte(1), U256::from(7));
        assert_eq!(reader.cached_slot(address, slot), None);
        assert_eq!(reader.cached_account(address), None);
        reader.slot(address, slot).unwrap();
        reader.account(address).unwrap();
        assert_eq!(reader.cached_slot(address, slot), Some(U256::ZERO));
        assert_eq!(reader.cached_account(address), Some(None));
        // A commit moves the cache on: the reader made before it no longer takes values from there.
        cache.next_generation();
        cache.set_slot(address, slot, U256::from(9));
        assert_eq!(reader.cached_slot(address, slot), None);
        assert_eq!(reader.cached_account(address), None);
        let after = StateReader::new(kv.snapshot().unwrap(), cache.clone());
        assert_eq!(after.cached_slot(address, slot), Some(U256::from(9)));
        assert_eq!(after.cached_account(address), Some(None));
    }
}
