//! The in-memory world state: accounts, storage, code by hash and recent block hashes; optionally laid over
//! another chain's state at a fork block (`parevm dev --fork-url`), which answers for what it does not hold.

use crate::fork::ForkSource;
use alloy_primitives::map::{AddressMap, AddressSet, B256Map, HashMap};
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
    /// Non-zero storage slots; with `fork_storage`, also zeros written over the fork's values.
    pub storage: HashMap<U256, U256>,
    /// A slot not in `storage` has the forked chain's value (an account copied from the fork and not wiped
    /// since); otherwise it is zero.
    pub fork_storage: bool,
}

impl Default for AccountState {
    fn default() -> Self {
        Self {
            balance: U256::ZERO,
            nonce: 0,
            code_hash: KECCAK_EMPTY,
            storage: HashMap::default(),
            fork_storage: false,
        }
    }
}

impl AccountState {
    /// EIP-161 emptiness.
    pub fn is_empty(&self) -> bool {
        self.balance.is_zero() && self.nonce == 0 && self.code_hash == KECCAK_EMPTY
    }

    /// Sets one slot: a zero is dropped, or kept where it hides the fork's value.
    pub fn set_slot(&mut self, slot: U256, value: U256) {
        if value.is_zero() && !self.fork_storage {
            self.storage.remove(&slot);
        } else {
            self.storage.insert(slot, value);
        }
    }

    /// Wipes the storage: no slot reads from the fork any more.
    pub fn clear_storage(&mut self) {
        self.storage.clear();
        self.fork_storage = false;
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
    /// The forked chain's state, for every address neither in `accounts` nor in `gone`.
    fork: Option<Arc<dyn ForkSource>>,
    /// With a fork: accounts that do not exist here though the fork may hold them (destroyed, or read from
    /// the fork as empty when written).
    gone: AddressSet,
}

impl InMemoryState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// A state that holds nothing yet and reads every account from `fork` until it is written here.
    pub fn forked(fork: Arc<dyn ForkSource>) -> Self {
        Self {
            fork: Some(fork),
            ..Self::default()
        }
    }

    /// The forked chain's state under this one, if any.
    pub fn fork(&self) -> Option<&Arc<dyn ForkSource>> {
        self.fork.as_ref()
    }

    /// Copies from the fork what `writes` change and this state does not hold yet: each account, and each
    /// written slot's fork value, so that the values before the writes are all here (the block's reverse
    /// diff reads them) and `apply` finds every account it adds to. Without a fork, nothing to do.
    pub fn materialize(&mut self, writes: &WriteSet) -> Result<(), ViewError> {
        if self.fork.is_none() {
            return Ok(());
        }
        for w in writes {
            self.copy_from_fork(w.address)?;
            for (slot, _) in &w.storage {
                self.materialize_slot(w.address, *slot)?;
            }
        }
        Ok(())
    }

    /// The account at `address` for an edit, copied from the fork first when this state does not hold it;
    /// created empty where it does not exist.
    pub fn materialize_account(
        &mut self,
        address: Address,
    ) -> Result<&mut AccountState, ViewError> {
        self.copy_from_fork(address)?;
        Ok(self.account_mut(address))
    }

    /// Makes `address` either held here or known gone: an account the fork holds is copied in (its slots
    /// still read from the fork), one the fork holds empty is marked gone.
    fn copy_from_fork(&mut self, address: Address) -> Result<(), ViewError> {
        let Some(fork) = &self.fork else {
            return Ok(());
        };
        if self.accounts.contains_key(&address) || self.gone.contains(&address) {
            return Ok(());
        }
        let remote = fork.account(address)?;
        if remote.is_empty() {
            self.gone.insert(address);
            return Ok(());
        }
        let code_hash = remote.code.hash();
        if !remote.code.is_empty() {
            self.codes.entry(code_hash).or_insert(remote.code);
        }
        self.accounts.insert(
            address,
            AccountState {
                balance: remote.balance,
                nonce: remote.nonce,
                code_hash,
                storage: HashMap::default(),
                fork_storage: true,
            },
        );
        Ok(())
    }

    /// Copies one slot's fork value into an account that still reads its storage from the fork.
    fn materialize_slot(&mut self, address: Address, slot: U256) -> Result<(), ViewError> {
        let Some(fork) = &self.fork else {
            return Ok(());
        };
        let Some(acc) = self.accounts.get_mut(&address) else {
            return Ok(());
        };
        if acc.fork_storage && !acc.storage.contains_key(&slot) {
            let value = fork.storage(address, slot)?;
            acc.storage.insert(slot, value);
        }
        Ok(())
    }

    /// The fork's value of a slot (zero without a fork): what an account copied from the fork held there.
    pub fn fork_slot(&self, address: Address, slot: U256) -> Result<U256, ViewError> {
        match &self.fork {
            Some(fork) => fork.storage(address, slot),
            None => Ok(U256::ZERO),
        }
    }

    /// The fork's account for a read of an address this state does not hold (`None`: absent here).
    fn fork_account(
        &self,
        address: &Address,
    ) -> Result<Option<crate::fork::ForkAccount>, ViewError> {
        match &self.fork {
            Some(fork) if !self.gone.contains(address) => {
                let a = fork.account(*address)?;
                Ok((!a.is_empty()).then_some(a))
            }
            _ => Ok(None),
        }
    }

    /// Adds (or replaces) an account with its code and storage, the whole account (nothing of it read from a
    /// fork). Zero storage values are dropped.
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
        self.gone.remove(&address);
        self.accounts.insert(
            address,
            AccountState {
                balance,
                nonce,
                code_hash,
                storage,
                fork_storage: false,
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

    /// Removes an account (with a fork, it stays gone rather than reading from the fork again).
    pub fn remove_account(&mut self, address: &Address) -> Option<AccountState> {
        if self.fork.is_some() {
            self.gone.insert(*address);
        }
        self.accounts.remove(address)
    }

    /// Mutable access to an account, creating it empty when absent (with a fork, [`Self::materialize_account`]
    /// first where the fork's account should be kept).
    pub fn account_mut(&mut self, address: Address) -> &mut AccountState {
        self.gone.remove(&address);
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
            self.remove_account(&w.address);
            return;
        }
        if let Some((hash, code)) = &w.code {
            if !code.is_empty() {
                self.codes.entry(*hash).or_insert_with(|| code.clone());
            }
        }
        self.gone.remove(&w.address);
        let acc = self.accounts.entry(w.address).or_default();
        if w.storage_reset {
            acc.clear_storage();
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
            acc.set_slot(*k, *v);
        }
    }
}

impl StateView for InMemoryState {
    fn basic(&self, address: Address) -> Result<AccountBasic, ViewError> {
        if let Some(a) = self.accounts.get(&address) {
            return Ok(AccountBasic {
                balance: a.balance,
                nonce: a.nonce,
                code_hash: a.code_hash,
            });
        }
        Ok(self
            .fork_account(&address)?
            .map_or(AccountBasic::default(), |a| AccountBasic {
                balance: a.balance,
                nonce: a.nonce,
                code_hash: a.code.hash(),
            }))
    }

    fn balance(&self, address: Address) -> Result<U256, ViewError> {
        match self.accounts.get(&address) {
            Some(a) => Ok(a.balance),
            None => Ok(self
                .fork_account(&address)?
                .map_or(U256::ZERO, |a| a.balance)),
        }
    }

    fn nonce(&self, address: Address) -> Result<u64, ViewError> {
        match self.accounts.get(&address) {
            Some(a) => Ok(a.nonce),
            None => Ok(self.fork_account(&address)?.map_or(0, |a| a.nonce)),
        }
    }

    fn code_hash(&self, address: Address) -> Result<B256, ViewError> {
        match self.accounts.get(&address) {
            Some(a) => Ok(a.code_hash),
            None => Ok(self
                .fork_account(&address)?
                .map_or(B256::ZERO, |a| a.code.hash())),
        }
    }

    fn code_by_hash(&self, code_hash: B256) -> Result<Code, ViewError> {
        if code_hash == KECCAK_EMPTY || code_hash == B256::ZERO {
            return Ok(Bytecode::empty());
        }
        if let Some(code) = self.codes.get(&code_hash) {
            return Ok(code.clone());
        }
        self.fork
            .as_ref()
            .and_then(|f| f.code(code_hash))
            .ok_or_else(|| ViewError::Backend(format!("missing code {code_hash}")))
    }

    fn storage(&self, address: Address, slot: U256) -> Result<U256, ViewError> {
        match self.accounts.get(&address) {
            Some(a) => match a.storage.get(&slot) {
                Some(v) => Ok(*v),
                None if a.fork_storage => self.fork_slot(address, slot),
                None => Ok(U256::ZERO),
            },
            None if self.fork.is_some() && !self.gone.contains(&address) => {
                self.fork_slot(address, slot)
            }
            None => Ok(U256::ZERO),
        }
    }

    fn block_hash(&self, number: u64) -> Result<B256, ViewError> {
        if let Some(h) = self.block_hashes.get(&number) {
            return Ok(*h);
        }
        match &self.fork {
            Some(fork) if number <= fork.block_number() => fork.block_hash(number),
            _ => Ok(keccak256(number.to_string().as_bytes())),
        }
    }

    fn has_storage(&self, address: Address) -> Result<bool, ViewError> {
        // `storage` holds non-zero slots only (`insert_account` and `apply` drop zeros; a fork-backed account
        // keeps zeros over the fork's values), so a non-zero value decides. An account read from a fork
        // counts the slots written here only: a JSON-RPC node does not tell whether an account without code
        // and nonce has storage (EIP-7610's case), and revm's forks do not ask either.
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
