//! The in-memory world state: accounts, storage, code by hash and recent block hashes.

use alloy_primitives::map::{AddressMap, B256Map, HashMap};
use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use parevm_evm_core::{
    AccountBasic, AccountWrite, BalanceWrite, Bytecode, Code, StateView, ViewError, WriteSet,
    KECCAK_EMPTY,
};
use std::sync::Arc;

/// One account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountState {
    /// Balance in wei.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// keccak256 of the code (`KECCAK_EMPTY` without code).
    pub code_hash: B256,
    /// Non-zero storage slots.
    pub storage: HashMap<U256, U256>,
}

impl Default for AccountState {
    fn default() -> Self {
        Self {
            balance: U256::ZERO,
            nonce: 0,
            code_hash: KECCAK_EMPTY,
            storage: HashMap::default(),
        }
    }
}

impl AccountState {
    /// EIP-161 emptiness.
    pub fn is_empty(&self) -> bool {
        self.balance.is_zero() && self.nonce == 0 && self.code_hash == KECCAK_EMPTY
    }
}

/// A whole world state held in memory.
#[derive(Clone, Debug, Default)]
pub struct InMemoryState {
    /// Keyed with alloy's fixed-bytes hasher (foldhash, randomly seeded, no length prefix): about half the
    /// cost of the generic hasher for a 20-byte key, and every transaction looks accounts up here.
    accounts: AddressMap<AccountState>,
    codes: B256Map<Code>,
    block_hashes: HashMap<u64, B256>,
}

impl InMemoryState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) an account with its code and storage. Zero storage values are dropped.
    pub fn insert_account(
        &mut self,
        address: Address,
        balance: U256,
        nonce: u64,
        code: Bytes,
        storage: impl IntoIterator<Item = (U256, U256)>,
    ) {
        let code_hash = self.insert_code(code);
        let storage = storage.into_iter().filter(|(_, v)| !v.is_zero()).collect();
        self.accounts.insert(
            address,
            AccountState {
                balance,
                nonce,
                code_hash,
                storage,
            },
        );
    }

    /// Stores code and returns its hash.
    pub fn insert_code(&mut self, code: Bytes) -> B256 {
        if code.is_empty() {
            return KECCAK_EMPTY;
        }
        let hash = keccak256(&code);
        self.codes
            .entry(hash)
            .or_insert_with(|| Arc::new(Bytecode::with_hash(code, hash)));
        hash
    }

    /// Stores already-analysed code under its hash.
    pub fn insert_code_with_hash(&mut self, hash: B256, code: Code) {
        self.codes.insert(hash, code);
    }

    /// Records the hash of block `number` (for BLOCKHASH).
    pub fn set_block_hash(&mut self, number: u64, hash: B256) {
        self.block_hashes.insert(number, hash);
    }

    /// The account at `address`, if it exists.
    pub fn account(&self, address: &Address) -> Option<&AccountState> {
        self.accounts.get(address)
    }

    /// All accounts.
    pub fn accounts(&self) -> impl Iterator<Item = (&Address, &AccountState)> {
        self.accounts.iter()
    }

    /// Number of accounts.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// True with no accounts.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// The code stored under `hash`.
    pub fn code(&self, hash: &B256) -> Option<&Code> {
        self.codes.get(hash)
    }

    /// Removes an account.
    pub fn remove_account(&mut self, address: &Address) -> Option<AccountState> {
        self.accounts.remove(address)
    }

    /// Mutable access to an account, creating it empty when absent.
    pub fn account_mut(&mut self, address: Address) -> &mut AccountState {
        self.accounts.entry(address).or_default()
    }

    /// Applies one transaction's write set.
    pub fn apply(&mut self, writes: &WriteSet) {
        for w in writes {
            self.apply_account(w);
        }
    }

    /// Applies the changes to one account.
    pub fn apply_account(&mut self, w: &AccountWrite) {
        if w.destroyed {
            self.accounts.remove(&w.address);
            return;
        }
        if let Some((hash, code)) = &w.code {
            if !code.is_empty() {
                self.codes.entry(*hash).or_insert_with(|| code.clone());
            }
        }
        let acc = self.accounts.entry(w.address).or_default();
        if w.storage_reset {
            acc.storage.clear();
        }
        match w.balance {
            Some(BalanceWrite::Set(b)) => acc.balance = b,
            Some(BalanceWrite::Add(d)) => acc.balance += d,
            None => {}
        }
        if let Some(n) = w.nonce {
            acc.nonce = n;
        }
        if let Some((hash, _)) = &w.code {
            acc.code_hash = *hash;
        }
        for (k, v) in &w.storage {
            if v.is_zero() {
                acc.storage.remove(k);
            } else {
                acc.storage.insert(*k, *v);
            }
        }
    }
}

impl StateView for InMemoryState {
    fn basic(&self, address: Address) -> Result<AccountBasic, ViewError> {
        Ok(self
            .accounts
            .get(&address)
            .map_or(AccountBasic::default(), |a| AccountBasic {
                balance: a.balance,
                nonce: a.nonce,
                code_hash: a.code_hash,
            }))
    }

    fn balance(&self, address: Address) -> Result<U256, ViewError> {
        Ok(self
            .accounts
            .get(&address)
            .map_or(U256::ZERO, |a| a.balance))
    }

    fn nonce(&self, address: Address) -> Result<u64, ViewError> {
        Ok(self.accounts.get(&address).map_or(0, |a| a.nonce))
    }

    fn code_hash(&self, address: Address) -> Result<B256, ViewError> {
        Ok(self
            .accounts
            .get(&address)
            .map_or(B256::ZERO, |a| a.code_hash))
    }

    fn code_by_hash(&self, code_hash: B256) -> Result<Code, ViewError> {
        if code_hash == KECCAK_EMPTY || code_hash == B256::ZERO {
            return Ok(Bytecode::empty());
        }
        self.codes
            .get(&code_hash)
            .cloned()
            .ok_or_else(|| ViewError::Backend(format!("missing code {code_hash}")))
    }

    fn storage(&self, address: Address, slot: U256) -> Result<U256, ViewError> {
        Ok(self
            .accounts
            .get(&address)
            .and_then(|a| a.storage.get(&slot).copied())
            .unwrap_or_default())
    }

    fn block_hash(&self, number: u64) -> Result<B256, ViewError> {
        Ok(self
            .block_hashes
            .get(&number)
            .copied()
            .unwrap_or_else(|| keccak256(number.to_string().as_bytes())))
    }

    fn has_storage(&self, address: Address) -> Result<bool, ViewError> {
        // `storage` holds non-zero slots only (`insert_account` and `apply` drop zeros), so the first value
        // decides; checking it keeps a zero put in through `account_mut` from counting.
        Ok(self
            .accounts
            .get(&address)
            .is_some_and(|a| a.storage.values().any(|v| !v.is_zero())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_add_set_destroy() {
        let mut s = InMemoryState::new();
        let a = Address::repeat_byte(1);
        s.insert_account(
            a,
            U256::from(10),
            1,
            Bytes::new(),
            [(U256::from(1), U256::from(2))],
        );
        let mut w = AccountWrite::new(a);
        w.balance = Some(BalanceWrite::Add(U256::from(5)));
        w.storage = vec![(U256::from(1), U256::ZERO), (U256::from(3), U256::from(4))];
        s.apply(&vec![w]);
        let acc = s.account(&a).unwrap();
        assert_eq!(acc.balance, U256::from(15));
        assert_eq!(acc.storage.len(), 1);
        let mut d = AccountWrite::new(a);
        d.destroyed = true;
        s.apply(&vec![d]);
        assert!(s.account(&a).is_none());
        assert_eq!(s.code_hash(a).unwrap(), B256::ZERO);
    }

    #[test]
    fn default_block_hash_is_keccak_of_decimal() {
        let s = InMemoryState::new();
        assert_eq!(s.block_hash(12).unwrap(), keccak256(b"12"));
    }
}
