//! Property test: the account trie's parallel update (one task per child of the root) equals the sequential
//! walk exactly (root, visited nodes, rebuilt nodes), with or without the changed keys' old values given (right
//! or wrong), and both equal a full build of the whole state after the changes (alloy-trie's root, and the node
//! table a build from scratch stores).

use alloy_primitives::{keccak256, B256};
use alloy_trie::{BranchNodeCompact, HashBuilder, Nibbles};
use parevm_storage::codec::{encode_branch, path_key};
use parevm_storage::kv::mem::MemKv;
use parevm_storage::kv::{Kv, KvRead, Table, WriteBatch};
use parevm_storage::trie::walk::{KnownLeaf, LeafChange};
use parevm_storage::trie::{update_trie, update_trie_parallel, TrieSource, TrieUpdate};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// A pseudo-random 32-byte word from a seed and a counter.
fn word(seed: u64, i: u64) -> B256 {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&seed.to_be_bytes());
    b[8..].copy_from_slice(&i.to_be_bytes());
    keccak256(b)
}

/// A leaf value of 1 to 80 bytes: short ones make inlined nodes, long ones (like accounts) hashed ones.
fn value(seed: u64, i: u64, long: bool) -> Vec<u8> {
    let w = word(seed ^ 0x5eed, i);
    let len = if long {
        70 + usize::from(w[0] % 11)
    } else {
        1 + usize::from(w[0] % 80)
    };
    (0..len).map(|j| w[j % 32].wrapping_add(j as u8)).collect()
}

/// Every branch node a full build of `state` stores, by path: the walk over an empty trie with every leaf
/// as a change (its nodes keep the hashes of leaf children, which alloy-trie's own updates do not), and its
/// root checked against alloy-trie's `HashBuilder` fed every leaf.
fn full_build(state: &BTreeMap<B256, Vec<u8>>) -> (B256, BTreeMap<Nibbles, BranchNodeCompact>) {
    let mut hb = HashBuilder::default();
    for (k, v) in state {
        hb.add_leaf(Nibbles::unpack(k), v);
    }
    let root = hb.root();
    let empty = MemKv::new();
    let snap = empty.snapshot().expect("snapshot");
    let src = TrieSource {
        kv: snap.as_ref() as &dyn KvRead,
        nodes: Table::AccountTrie,
        leaves: Table::Accounts,
        prefix: &[],
        base_empty: true,
        before: &[],
    };
    let leaves: Vec<LeafChange> = state.iter().map(|(k, v)| (*k, Some(v.clone()))).collect();
    let built = update_trie(src, &leaves, &[]).expect("full build");
    assert_eq!(
        built.root, root,
        "the walk's full build differs from alloy-trie's root"
    );
    (root, built.updated.into_iter().collect())
}

/// A store holding `state` as the account table and its full build as the account-trie nodes.
fn store(state: &BTreeMap<B256, Vec<u8>>) -> MemKv {
    let kv = MemKv::new();
    let mut batch = WriteBatch::new();
    for (k, v) in state {
        batch.put(Table::Accounts, k.to_vec(), v.clone());
    }
    for (path, node) in full_build(state).1 {
        batch.put(
            Table::AccountTrie,
            path_key(&[], &path),
            encode_branch(&node),
        );
    }
    kv.commit(batch).expect("commit");
    kv
}

/// The node table after applying `update` to `before`.
fn apply(
    mut before: BTreeMap<Nibbles, BranchNodeCompact>,
    update: &TrieUpdate,
) -> BTreeMap<Nibbles, BranchNodeCompact> {
    for p in &update.removed {
        before.remove(p);
    }
    for (p, n) in &update.updated {
        before.insert(*p, n.clone());
    }
    before
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parallel_account_trie_update_equals_sequential_and_full_build(
        seed in any::<u64>(),
        size in prop_oneof![0u64..40, 40u64..3000],
        changed in prop_oneof![1u64..20, 20u64..600],
        delete_pct in prop_oneof![Just(0u64), 1u64..30, Just(100u64)],
        new_pct in 0u64..100,
        long in any::<bool>(),
    ) {
        let state: BTreeMap<B256, Vec<u8>> =
            (0..size).map(|i| (word(seed, i), value(seed, i, long))).collect();
        let kv = store(&state);
        let snap = kv.snapshot().expect("snapshot");
        let keys: Vec<B256> = state.keys().copied().collect();

        // Changes: new keys, updates and deletions of existing ones (sorted, unique).
        let mut changes: BTreeMap<B256, Option<Vec<u8>>> = BTreeMap::new();
        for j in 0..changed {
            let pick = word(seed ^ 0xc4a9, j);
            let roll = u64::from(pick[1]) * 100 / 256;
            if keys.is_empty() || roll < new_pct {
                changes.insert(word(seed ^ 0x0e3, j), Some(value(seed ^ 0x77, j, long)));
            } else {
                let k = keys[(u64::from_be_bytes(pick[8..16].try_into().unwrap()) % keys.len() as u64) as usize];
                let del = u64::from(pick[2]) * 100 / 256 < delete_pct;
                changes.insert(k, (!del).then(|| value(seed ^ 0x99, j, long)));
            }
        }
        let leaves: Vec<LeafChange> = changes.iter().map(|(k, v)| (*k, v.clone())).collect();
        let src = TrieSource {
            kv: snap.as_ref() as &dyn KvRead,
            nodes: Table::AccountTrie,
            leaves: Table::Accounts,
            prefix: &[],
            base_empty: false,
            before: &[],
        };
        let seq = update_trie(src, &leaves, &[]).expect("sequential");
        let par = update_trie_parallel(src, &leaves).expect("parallel");
        prop_assert_eq!(par.root, seq.root);
        prop_assert_eq!(&par.removed, &seq.removed);
        prop_assert_eq!(&par.updated, &seq.updated);

        // With the old values of the changed keys known, both walks skip those leaf reads and give the same
        // update. Wrong ones fail the hash check and are read instead: every fifth value, and a value for
        // every other new key (which hides the leaf that was under its parent's child before).
        let before: Vec<KnownLeaf> = changes
            .keys()
            .enumerate()
            .filter_map(|(i, k)| match state.get(k) {
                Some(v) if i % 5 == 4 => Some((*k, [&v[..], &[1]].concat())),
                Some(v) => Some((*k, v.clone())),
                None => (i % 2 == 0).then(|| (*k, value(seed ^ 0x1234, i as u64, long))),
            })
            .collect();
        let known = TrieSource { before: &before, ..src };
        for with_known in [
            update_trie(known, &leaves, &[]).expect("sequential, old values known"),
            update_trie_parallel(known, &leaves).expect("parallel, old values known"),
        ] {
            prop_assert_eq!(with_known.root, seq.root);
            prop_assert_eq!(&with_known.removed, &seq.removed);
            prop_assert_eq!(&with_known.updated, &seq.updated);
        }

        let mut after = state.clone();
        for (k, v) in &changes {
            match v {
                Some(v) => { after.insert(*k, v.clone()); }
                None => { after.remove(k); }
            }
        }
        let (full_root, full_nodes) = full_build(&after);
        prop_assert_eq!(seq.root, full_root);
        prop_assert_eq!(apply(full_build(&state).1, &par), full_nodes);
    }
}
