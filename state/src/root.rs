//! Merkle-Patricia roots: the secure state trie (keys `keccak(address)`, values
//! `rlp([nonce, balance, storage_root, code_hash])`), storage tries, and the logs hash of state tests.

use crate::memory::{AccountState, InMemoryState};
use alloy_primitives::{keccak256, Address, Log, B256, U256};
use alloy_rlp::Encodable;
use alloy_trie::{HashBuilder, Nibbles, EMPTY_ROOT_HASH};

/// Root of one account's storage trie (zero slots omitted).
pub fn storage_root<'a>(storage: impl IntoIterator<Item = (&'a U256, &'a U256)>) -> B256 {
    let mut leaves: Vec<(B256, Vec<u8>)> = storage
        .into_iter()
        .filter(|(_, v)| !v.is_zero())
        .map(|(k, v)| (keccak256(k.to_be_bytes::<32>()), alloy_rlp::encode(v)))
        .collect();
    if leaves.is_empty() {
        return EMPTY_ROOT_HASH;
    }
    leaves.sort_unstable_by_key(|l| l.0);
    let mut hb = HashBuilder::default();
    for (k, v) in leaves {
        hb.add_leaf(Nibbles::unpack(k), &v);
    }
    hb.root()
}

#[derive(alloy_rlp::RlpEncodable)]
struct TrieAccount {
    nonce: u64,
    balance: U256,
    storage_root: B256,
    code_hash: B256,
}

/// Root of a state given as `(address, account)` pairs.
pub fn state_root<'a>(accounts: impl IntoIterator<Item = (&'a Address, &'a AccountState)>) -> B256 {
    let mut leaves: Vec<(B256, Vec<u8>)> = accounts
        .into_iter()
        .map(|(a, acc)| {
            let ta = TrieAccount {
                nonce: acc.nonce,
                balance: acc.balance,
                storage_root: storage_root(acc.storage.iter()),
                code_hash: acc.code_hash,
            };
            let mut buf = Vec::new();
            ta.encode(&mut buf);
            (keccak256(a), buf)
        })
        .collect();
    if leaves.is_empty() {
        return EMPTY_ROOT_HASH;
    }
    leaves.sort_unstable_by_key(|l| l.0);
    let mut hb = HashBuilder::default();
    for (k, v) in leaves {
        hb.add_leaf(Nibbles::unpack(k), &v);
    }
    hb.root()
}

impl InMemoryState {
    /// The state root of the whole state.
    pub fn state_root(&self) -> B256 {
        state_root(self.accounts())
    }
}

/// `keccak256(rlp(logs))` as state tests define it: each log is `[address, [topics...], data]`.
pub fn logs_hash(logs: &[Log]) -> B256 {
    let mut buf = Vec::new();
    alloy_rlp::encode_list(logs, &mut buf);
    keccak256(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_roots() {
        assert_eq!(InMemoryState::new().state_root(), EMPTY_ROOT_HASH);
        assert_eq!(
            logs_hash(&[]),
            alloy_primitives::b256!(
                "1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"
            )
        );
    }
}
