//! Merkle proofs of an account and its storage slots in the head state (`eth_getProof`, EIP-1186), built
//! with alloy-trie's hash builder and proof retainer over the whole state.
//!
//! NOTE: a full pass over the state per request, which is fine for a devnet; `parevm-storage` (issue 11)
//! serves proofs from stored trie nodes and replaces this.

use crate::service::Chain;
use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_rlp::Encodable;
use alloy_trie::proof::ProofRetainer;
use alloy_trie::{HashBuilder, Nibbles, EMPTY_ROOT_HASH};
use parevm_evm_core::KECCAK_EMPTY;
use parevm_state::{storage_root, AccountState, InMemoryState};

/// One slot's proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotProof {
    /// The slot.
    pub key: B256,
    /// Its value.
    pub value: U256,
    /// Trie nodes from the storage root to the slot.
    pub proof: Vec<Bytes>,
}

/// An account's proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountProof {
    /// The account.
    pub address: Address,
    /// Balance.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// Code hash (`KECCAK_EMPTY` without code or account).
    pub code_hash: B256,
    /// Storage root.
    pub storage_hash: B256,
    /// Trie nodes from the state root to the account.
    pub account_proof: Vec<Bytes>,
    /// Proofs of the requested slots.
    pub storage_proof: Vec<SlotProof>,
}

#[derive(alloy_rlp::RlpEncodable)]
struct TrieAccount {
    nonce: u64,
    balance: U256,
    storage_root: B256,
    code_hash: B256,
}

fn proof_of(leaves: Vec<(B256, Vec<u8>)>, target: B256) -> Vec<Bytes> {
    let path = Nibbles::unpack(target);
    let mut hb = HashBuilder::default().with_proof_retainer(ProofRetainer::new(vec![path]));
    for (k, v) in leaves {
        hb.add_leaf(Nibbles::unpack(k), &v);
    }
    hb.root();
    hb.take_proof_nodes()
        .matching_nodes_sorted(&path)
        .into_iter()
        .map(|(_, node)| node)
        .collect()
}

fn sorted<T>(mut v: Vec<(B256, T)>) -> Vec<(B256, T)> {
    v.sort_unstable_by_key(|l| l.0);
    v
}

/// The proof of `address` and `keys` in `state`.
pub fn account_proof(state: &InMemoryState, address: Address, keys: &[B256]) -> AccountProof {
    let empty = AccountState::default();
    let acc = state.account(&address);
    let a = acc.unwrap_or(&empty);
    let storage_hash = if acc.is_some() {
        storage_root(a.storage.iter())
    } else {
        EMPTY_ROOT_HASH
    };
    let leaves = sorted(
        state
            .accounts()
            .map(|(addr, acc)| {
                let mut buf = Vec::new();
                TrieAccount {
                    nonce: acc.nonce,
                    balance: acc.balance,
                    storage_root: storage_root(acc.storage.iter()),
                    code_hash: acc.code_hash,
                }
                .encode(&mut buf);
                (keccak256(addr), buf)
            })
            .collect(),
    );
    let account_proof = proof_of(leaves, keccak256(address));
    let slot_leaves: Vec<(B256, Vec<u8>)> = sorted(
        a.storage
            .iter()
            .filter(|(_, v)| !v.is_zero())
            .map(|(k, v)| (keccak256(k.to_be_bytes::<32>()), alloy_rlp::encode(v)))
            .collect(),
    );
    let storage_proof = keys
        .iter()
        .map(|key| {
            let slot = U256::from_be_bytes(key.0);
            SlotProof {
                key: *key,
                value: a.storage.get(&slot).copied().unwrap_or_default(),
                proof: proof_of(slot_leaves.clone(), keccak256(key)),
            }
        })
        .collect();
    AccountProof {
        address,
        balance: a.balance,
        nonce: a.nonce,
        code_hash: if acc.is_some() {
            a.code_hash
        } else {
            KECCAK_EMPTY
        },
        storage_hash,
        account_proof,
        storage_proof,
    }
}

impl Chain {
    /// The EIP-1186 proof of `address` and `keys` in the head state.
    pub fn account_proof(&self, address: Address, keys: &[B256]) -> AccountProof {
        self.read_head(|s| account_proof(s, address, keys))
    }

    /// True when the head state reads from a forked chain (`parevm dev --fork-url`): it holds no trie of
    /// the accounts it has not written, so it has no proofs and no meaningful state root.
    pub fn is_forked(&self) -> bool {
        self.read_head(|s| s.fork().is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_trie::proof::verify_proof;

    #[test]
    fn proofs_verify_against_the_state_root() {
        let mut s = InMemoryState::new();
        for i in 1..=40u8 {
            s.insert_account(
                Address::repeat_byte(i),
                U256::from(i),
                i as u64,
                Bytes::new(),
                (1..=i as u64 % 5).map(|k| (U256::from(k), U256::from(k * 7))),
            );
        }
        let root = s.state_root();
        for target in [Address::repeat_byte(7), Address::repeat_byte(200)] {
            let key = B256::from(U256::from(2).to_be_bytes::<32>());
            let p = account_proof(&s, target, &[key]);
            let expected = s.account(&target).map(|a| {
                let mut buf = Vec::new();
                TrieAccount {
                    nonce: a.nonce,
                    balance: a.balance,
                    storage_root: storage_root(a.storage.iter()),
                    code_hash: a.code_hash,
                }
                .encode(&mut buf);
                buf
            });
            verify_proof(
                root,
                Nibbles::unpack(keccak256(target)),
                expected,
                &p.account_proof,
            )
            .expect("account proof verifies");
            let sp = &p.storage_proof[0];
            let value = (!sp.value.is_zero()).then(|| alloy_rlp::encode(sp.value));
            verify_proof(
                p.storage_hash,
                Nibbles::unpack(keccak256(key)),
                value,
                &sp.proof,
            )
            .expect("storage proof verifies");
        }
    }
}
