//! Witness-backed state: a `StateView` over a stateless witness (the preimages kona's executor fetched:
//! account- and storage-trie nodes and contract code, keyed by keccak256), with the block's writes kept
//! in an overlay and folded into the sparse tries when the state root is asked for.
//!
//! ```text
//! read:  overlay (accounts changed by this block) -> account trie (keccak(address)) -> storage trie
//!        (keccak(slot)) from the account's storage root; code by hash from the preimages
//! root:  for each changed account: update its storage trie, then its account leaf; re-hash
//! ```
//! A read or an update that needs a node the witness lacks fails with the node's hash
//! ([`trie::TrieError::MissingPreimage`]), surfaced through `ViewError::Backend`.

pub mod trie;

use crate::state::OpState;
use alloy_primitives::map::HashMap;
use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};
use alloy_trie::{Nibbles, EMPTY_ROOT_HASH};
use parevm_evm_core::{
    AccountWrite, BalanceWrite, Bytecode, Code, StateView, ViewError, WriteSet, KECCAK_EMPTY,
};
use std::sync::Arc;
use trie::{Node, Preimages, TrieError};

/// An account as the state trie stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, RlpEncodable, RlpDecodable)]
struct TrieAccount {
    nonce: u64,
    balance: U256,
    storage_root: B256,
    code_hash: B256,
}

/// An account changed by the block so far.
#[derive(Clone, Debug, Default)]
struct Changed {
    /// `None`: the account does not exist (deleted).
    info: Option<(U256, u64, B256)>,
    /// Storage starts empty instead of from the trie (created or deleted in this block).
    reset: bool,
    /// Slots written (zero = deleted).
    slots: HashMap<U256, U256>,
}

fn backend(e: TrieError) -> ViewError {
    ViewError::Backend(format!("witness: {e}"))
}

/// World state served from a witness, with the current block's writes on top.
#[derive(Debug)]
pub struct WitnessState {
    store: Arc<Preimages>,
    root: B256,
    changed: HashMap<Address, Changed>,
    codes: HashMap<B256, Code>,
    block_hashes: HashMap<u64, B256>,
}

impl WitnessState {
    /// State with root `root` served from `store`.
    pub fn new(store: Arc<Preimages>, root: B256) -> Self {
        Self {
            store,
            root,
            changed: HashMap::default(),
            codes: HashMap::default(),
            block_hashes: HashMap::default(),
        }
    }

    /// Makes BLOCKHASH of `number` answer `hash` (the witness holds no headers).
    pub fn set_block_hash(&mut self, number: u64, hash: B256) {
        self.block_hashes.insert(number, hash);
    }

    /// The account at the start of the block, from the trie.
    fn base_account(&self, address: Address) -> Result<Option<TrieAccount>, ViewError> {
        let path = Nibbles::unpack(keccak256(address)).to_vec();
        let Some(rlp) = Node::root(self.root)
            .get(&self.store, &path)
            .map_err(backend)?
        else {
            return Ok(None);
        };
        TrieAccount::decode(&mut rlp.as_slice())
            .map(Some)
            .map_err(|e| ViewError::Backend(format!("witness: account {address}: {e}")))
    }

    /// (balance, nonce, code hash) now, `None` when absent.
    fn info(&self, address: Address) -> Result<Option<(U256, u64, B256)>, ViewError> {
        if let Some(c) = self.changed.get(&address) {
            return Ok(c.info);
        }
        Ok(self
            .base_account(address)?
            .map(|a| (a.balance, a.nonce, a.code_hash)))
    }

    /// A slot's value at the start of the block.
    fn base_slot(&self, address: Address, slot: U256) -> Result<U256, ViewError> {
        let Some(acc) = self.base_account(address)? else {
            return Ok(U256::ZERO);
        };
        let path = Nibbles::unpack(keccak256(slot.to_be_bytes::<32>())).to_vec();
        let Some(rlp) = Node::root(acc.storage_root)
            .get(&self.store, &path)
            .map_err(backend)?
        else {
            return Ok(U256::ZERO);
        };
        U256::decode(&mut rlp.as_slice())
            .map_err(|e| ViewError::Backend(format!("witness: slot {slot} of {address}: {e}")))
    }

    fn apply_account(&mut self, w: &AccountWrite) -> Result<(), ViewError> {
        if let Some((hash, code)) = &w.code {
            if !code.is_empty() {
                self.codes.entry(*hash).or_insert_with(|| code.clone());
            }
        }
        if w.destroyed {
            self.changed.insert(
                w.address,
                Changed {
                    info: None,
                    reset: true,
                    slots: HashMap::default(),
                },
            );
            return Ok(());
        }
        let current = self.info(w.address)?;
        let entry = match self.changed.get(&w.address) {
            Some(_) => None,
            None => Some(Changed {
                info: current,
                ..Default::default()
            }),
        };
        if let Some(e) = entry {
            self.changed.insert(w.address, e);
        }
        let Some(c) = self.changed.get_mut(&w.address) else {
            return Err(ViewError::Backend("witness: overlay entry vanished".into()));
        };
        let (mut balance, mut nonce, mut code_hash) =
            c.info.unwrap_or((U256::ZERO, 0, KECCAK_EMPTY));
        if w.storage_reset {
            c.reset = true;
            c.slots.clear();
        }
        match w.balance {
            Some(BalanceWrite::Set(b)) => balance = b,
            Some(BalanceWrite::Add(d)) => balance += d,
            None => {}
        }
        if let Some(n) = w.nonce {
            nonce = n;
        }
        if let Some((hash, _)) = &w.code {
            code_hash = *hash;
        }
        for (k, v) in &w.storage {
            c.slots.insert(*k, *v);
        }
        c.info = Some((balance, nonce, code_hash));
        Ok(())
    }

    /// The storage root of a changed account (its trie updated with the block's slots).
    fn changed_storage_root(&self, address: Address, c: &Changed) -> Result<B256, ViewError> {
        let base = if c.reset {
            EMPTY_ROOT_HASH
        } else {
            self.base_account(address)?
                .map_or(EMPTY_ROOT_HASH, |a| a.storage_root)
        };
        if c.slots.is_empty() {
            return Ok(base);
        }
        let mut slots: Vec<_> = c.slots.iter().collect();
        slots.sort_unstable();
        let mut trie = Node::root(base);
        for (k, v) in slots {
            let path = Nibbles::unpack(keccak256(k.to_be_bytes::<32>())).to_vec();
            if v.is_zero() {
                trie.remove(&self.store, &path).map_err(backend)?;
            } else {
                trie.insert(&self.store, &path, alloy_rlp::encode(v))
                    .map_err(backend)?;
            }
        }
        Ok(trie.hash())
    }
}

impl StateView for WitnessState {
    fn balance(&self, address: Address) -> Result<U256, ViewError> {
        Ok(self.info(address)?.map_or(U256::ZERO, |i| i.0))
    }

    fn nonce(&self, address: Address) -> Result<u64, ViewError> {
        Ok(self.info(address)?.map_or(0, |i| i.1))
    }

    fn code_hash(&self, address: Address) -> Result<B256, ViewError> {
        Ok(self.info(address)?.map_or(B256::ZERO, |i| i.2))
    }

    fn code_by_hash(&self, code_hash: B256) -> Result<Code, ViewError> {
        if code_hash == KECCAK_EMPTY || code_hash == B256::ZERO {
            return Ok(Bytecode::empty());
        }
        if let Some(c) = self.codes.get(&code_hash) {
            return Ok(c.clone());
        }
        let bytes: &Bytes = self.store.get(&code_hash).map_err(backend)?;
        Ok(Arc::new(Bytecode::new(bytes.clone())))
    }

    fn storage(&self, address: Address, slot: U256) -> Result<U256, ViewError> {
        if let Some(c) = self.changed.get(&address) {
            if let Some(v) = c.slots.get(&slot) {
                return Ok(*v);
            }
            if c.reset || c.info.is_none() {
                return Ok(U256::ZERO);
            }
        }
        self.base_slot(address, slot)
    }

    fn has_storage(&self, address: Address) -> Result<bool, ViewError> {
        let written = |c: &Changed| c.slots.values().any(|v| !v.is_zero());
        match self.changed.get(&address) {
            Some(c) if c.reset || c.info.is_none() => Ok(written(c)),
            changed => Ok(changed.is_some_and(written)
                || self
                    .base_account(address)?
                    .is_some_and(|a| a.storage_root != EMPTY_ROOT_HASH)),
        }
    }

    fn block_hash(&self, number: u64) -> Result<B256, ViewError> {
        self.block_hashes
            .get(&number)
            .copied()
            .ok_or_else(|| ViewError::Backend(format!("witness: no hash for block {number}")))
    }
}

impl OpState for WitnessState {
    fn apply_writes(&mut self, writes: &WriteSet) -> Result<(), ViewError> {
        for w in writes {
            self.apply_account(w)?;
        }
        Ok(())
    }

    fn root(&mut self) -> Result<B256, ViewError> {
        let mut addresses: Vec<Address> = self.changed.keys().copied().collect();
        addresses.sort_unstable_by_key(|a| keccak256(a));
        let mut trie = Node::root(self.root);
        for address in addresses {
            let c = &self.changed[&address];
            let path = Nibbles::unpack(keccak256(address)).to_vec();
            match c.info {
                None => trie.remove(&self.store, &path).map_err(backend)?,
                Some((balance, nonce, code_hash)) => {
                    let account = TrieAccount {
                        nonce,
                        balance,
                        storage_root: self.changed_storage_root(address, c)?,
                        code_hash,
                    };
                    let mut buf = Vec::new();
                    account.encode(&mut buf);
                    trie.insert(&self.store, &path, buf).map_err(backend)?;
                }
            }
        }
        Ok(trie.hash())
    }

    fn storage_root_of(&mut self, address: Address) -> Result<B256, ViewError> {
        match self.changed.get(&address) {
            Some(c) if c.info.is_none() => Ok(EMPTY_ROOT_HASH),
            Some(c) => self.changed_storage_root(address, c),
            None => Ok(self
                .base_account(address)?
                .map_or(EMPTY_ROOT_HASH, |a| a.storage_root)),
        }
    }
}
