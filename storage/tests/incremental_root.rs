//! Property tests: the incremental root after any sequence of blocks equals a full recomputation of the
//! same state (parevm-state's from-scratch root), and the stored trie nodes equal those a fresh build of
//! that state stores; unwinding restores every earlier root exactly; proofs verify against the root.

mod common;

use alloy_primitives::{keccak256, B256, U256};
use alloy_trie::proof::verify_proof;
use alloy_trie::Nibbles;
use common::{address, commit_ops, commit_ops_with, empty_chain, op_strategy, Op};
use parevm_state::InMemoryState;
use parevm_storage::changes::compute_root;
use parevm_storage::kv::{KvRead, Table};
use parevm_storage::ChainStore;
use proptest::prelude::*;

/// Entries of a table.
type Rows = Vec<(Vec<u8>, Vec<u8>)>;

fn table(snap: &dyn KvRead, t: Table) -> Rows {
    let mut out = Vec::new();
    snap.scan(t, &[], &mut |k, v| {
        out.push((k.to_vec(), v.to_vec()));
        true
    })
    .unwrap();
    out
}

/// The trie tables a fresh store holds for `mirror`.
fn fresh_tries(mirror: &InMemoryState) -> (B256, Rows, Rows) {
    let fresh = ChainStore::open_in_memory().unwrap();
    let changes = parevm_storage::chain::changes_from_state(mirror);
    let snap = fresh.snapshot().unwrap();
    let outcome = compute_root(snap.as_ref(), &changes).unwrap();
    let mut batch = parevm_storage::kv::WriteBatch::new();
    parevm_storage::changes::write_changes(snap.as_ref(), &changes, &outcome, &mut batch).unwrap();
    let mem = parevm_storage::kv::mem::MemKv::new();
    use parevm_storage::kv::Kv;
    mem.commit(batch).unwrap();
    let s = mem.snapshot().unwrap();
    (
        outcome.root,
        table(s.as_ref(), Table::AccountTrie),
        table(s.as_ref(), Table::StorageTrie),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn incremental_root_equals_full_recomputation(
        blocks in prop::collection::vec(prop::collection::vec(op_strategy(60), 1..40), 1..8)
    ) {
        let store = ChainStore::open_in_memory().unwrap();
        empty_chain(&store);
        let mut mirror = InMemoryState::new();
        let mut roots = vec![store.head().unwrap().1.state_root];
        for ops in &blocks {
            let root = commit_ops(&store, &mut mirror, ops);
            prop_assert_eq!(root, mirror.state_root());
            roots.push(root);
            let snap = store.snapshot().unwrap();
            let (fresh_root, account_nodes, storage_nodes) = fresh_tries(&mirror);
            prop_assert_eq!(fresh_root, root);
            prop_assert_eq!(table(snap.as_ref(), Table::AccountTrie), account_nodes);
            prop_assert_eq!(table(snap.as_ref(), Table::StorageTrie), storage_nodes);
        }
        // Unwind one block at a time back to genesis: every earlier root comes back.
        let head = store.head().unwrap().0.number;
        for n in (0..head).rev() {
            store.unwind_to(n).unwrap();
            prop_assert_eq!(store.head().unwrap().1.state_root, roots[n as usize]);
        }
    }

    #[test]
    fn old_values_from_the_read_cache_write_the_same_store(
        blocks in prop::collection::vec(prop::collection::vec(op_strategy(40), 1..40), 1..6),
        back in 0usize..3,
        again in prop::collection::vec(op_strategy(40), 1..20),
    ) {
        // One store reads every written key first (its root and commit take the old values from the read
        // cache), the other never reads (they come from the tables): every table ends equal, the reverse
        // diffs included, also across an unwind (which moves the cache to another version).
        let cold = ChainStore::open_in_memory().unwrap();
        let warm = ChainStore::open_in_memory().unwrap();
        empty_chain(&cold);
        empty_chain(&warm);
        let (mut cold_mirror, mut warm_mirror) = (InMemoryState::new(), InMemoryState::new());
        for ops in &blocks {
            let root = commit_ops(&cold, &mut cold_mirror, ops);
            prop_assert_eq!(commit_ops_with(&warm, &mut warm_mirror, ops, true), root);
        }
        let target = cold.head().unwrap().0.number.saturating_sub(back as u64);
        cold.unwind_to(target).unwrap();
        warm.unwind_to(target).unwrap();
        let root = commit_ops(&cold, &mut cold_mirror, &again);
        prop_assert_eq!(commit_ops_with(&warm, &mut warm_mirror, &again, true), root);
        let (cold_snap, warm_snap) = (cold.snapshot().unwrap(), warm.snapshot().unwrap());
        for t in Table::ALL {
            prop_assert_eq!(table(warm_snap.as_ref(), t), table(cold_snap.as_ref(), t), "table {:?}", t);
        }
    }

    #[test]
    fn unwinding_many_blocks_at_once_restores_the_root(
        blocks in prop::collection::vec(prop::collection::vec(op_strategy(30), 1..30), 2..6),
        back in 1usize..5,
    ) {
        let store = ChainStore::open_in_memory().unwrap();
        empty_chain(&store);
        let mut mirror = InMemoryState::new();
        let mut roots = vec![store.head().unwrap().1.state_root];
        for ops in &blocks {
            roots.push(commit_ops(&store, &mut mirror, ops));
        }
        let head = store.head().unwrap().0.number;
        let target = head.saturating_sub(back as u64);
        // The state at the target, read through the reverse diffs, before unwinding.
        let earlier = store.state_at(target).unwrap();
        let probe: Vec<_> = (0..30u16).map(|w| (earlier.account(address(w)).unwrap(), earlier.slot(address(w), U256::from(3)).unwrap())).collect();
        store.unwind_to(target).unwrap();
        prop_assert_eq!(store.head().unwrap().1.state_root, roots[target as usize]);
        let now = store.latest_state().unwrap();
        let after: Vec<_> = (0..30u16).map(|w| (now.account(address(w)).unwrap(), now.slot(address(w), U256::from(3)).unwrap())).collect();
        prop_assert_eq!(probe, after);
    }

    #[test]
    fn proofs_verify_at_head_and_earlier_blocks(
        blocks in prop::collection::vec(prop::collection::vec(op_strategy(20), 1..25), 1..5),
        who in 0u16..24,
        slots in prop::collection::vec(0u8..40, 1..4),
    ) {
        let store = ChainStore::open_in_memory().unwrap();
        empty_chain(&store);
        let mut mirror = InMemoryState::new();
        for ops in &blocks {
            commit_ops(&store, &mut mirror, ops);
        }
        let head = store.head().unwrap().0.number;
        for n in [head, head / 2] {
            let state = store.state_at(n).unwrap();
            let root = store.header_by_number(n).unwrap().unwrap().state_root;
            let slots: Vec<U256> = slots.iter().map(|s| U256::from(*s)).collect();
            let p = state.proof(address(who), &slots).unwrap();
            let key = Nibbles::unpack(keccak256(address(who)));
            let value = p.account.map(|a| a.encode_value());
            prop_assert!(verify_proof(root, key, value, &p.proof).is_ok(), "account proof at {}", n);
            for s in &p.storage {
                let key = Nibbles::unpack(keccak256(s.key.to_be_bytes::<32>()));
                let value = (!s.value.is_zero()).then(|| alloy_rlp::encode(s.value));
                prop_assert!(verify_proof(p.storage_root(), key, value, &s.proof).is_ok(), "storage proof at {}", n);
            }
        }
    }
}

#[test]
fn deleting_down_to_one_leaf_collapses_correctly() {
    // Many accounts, then all but one removed in one block: branch collapse into a single leaf.
    let store = ChainStore::open_in_memory().unwrap();
    empty_chain(&store);
    let mut mirror = InMemoryState::new();
    let create: Vec<Op> = (0..200u16)
        .map(|who| Op::Slots {
            who,
            slots: vec![(1, 5), (2, 6)],
        })
        .collect();
    commit_ops(&store, &mut mirror, &create);
    let destroy: Vec<Op> = (1..200u16).map(|who| Op::Destroy { who }).collect();
    let root = commit_ops(&store, &mut mirror, &destroy);
    assert_eq!(root, mirror.state_root());
    let (fresh_root, nodes, _) = fresh_tries(&mirror);
    assert_eq!(fresh_root, root);
    assert_eq!(
        table(store.snapshot().unwrap().as_ref(), Table::AccountTrie),
        nodes
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// A state deep enough for stored nodes several levels down (5,000 accounts, a few with big storage),
    /// then blocks of random changes.
    #[test]
    fn deep_tries_stay_equal_to_full_recomputation(
        blocks in prop::collection::vec(prop::collection::vec(op_strategy(6000), 50..400), 1..4)
    ) {
        let store = ChainStore::open_in_memory().unwrap();
        empty_chain(&store);
        let mut mirror = InMemoryState::new();
        let mut setup: Vec<Op> = (0..5000u16)
            .map(|who| Op::Touch { who, balance: u64::from(who) + 1, nonce: 1 })
            .collect();
        for who in 0..8u16 {
            setup.push(Op::Slots { who, slots: (0..40u8).map(|k| (k, u64::from(k) + 1)).collect() });
        }
        commit_ops(&store, &mut mirror, &setup);
        for ops in &blocks {
            let root = commit_ops(&store, &mut mirror, ops);
            prop_assert_eq!(root, mirror.state_root());
        }
        let (fresh_root, account_nodes, storage_nodes) = fresh_tries(&mirror);
        let snap = store.snapshot().unwrap();
        prop_assert_eq!(fresh_root, mirror.state_root());
        prop_assert_eq!(table(snap.as_ref(), Table::AccountTrie), account_nodes);
        prop_assert_eq!(table(snap.as_ref(), Table::StorageTrie), storage_nodes);
        let head = store.head().unwrap().0.number;
        store.unwind_to(head - 1).unwrap();
    }
}

/// A block without transactions.
fn new_block<'a>(
    header: &'a alloy_consensus::Header,
    hash: B256,
    body: &'a [u8],
) -> parevm_storage::NewBlock<'a> {
    parevm_storage::NewBlock {
        header,
        hash,
        body,
        tx_hashes: &[],
        senders: &[],
        receipts: &[],
    }
}

/// A header for `root` on top of `parent`.
fn header_on(parent: &(u64, B256), root: B256) -> alloy_consensus::Header {
    alloy_consensus::Header {
        parent_hash: parent.1,
        number: parent.0 + 1,
        state_root: root,
        timestamp: parent.0 + 1,
        ..Default::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Pipelined blocks: B executes on A's uncommitted overlay; its root (over A and B merged) equals the
    /// full recomputation, stays equal after A commits and B is rebased, and B then commits.
    #[test]
    fn a_block_on_a_pending_block_has_the_sequential_root(
        setup in prop::collection::vec(op_strategy(40), 1..40),
        a in prop::collection::vec(op_strategy(40), 1..30),
        b in prop::collection::vec(op_strategy(40), 1..30),
    ) {
        use parevm_block::StateStore;
        use std::sync::Arc;
        let store = ChainStore::open_in_memory().unwrap();
        empty_chain(&store);
        let mut mirror = InMemoryState::new();
        commit_ops(&store, &mut mirror, &setup);
        let body = alloy_rlp::encode(alloy_consensus::BlockBody::<parevm_block::input::BlockTx>::default());

        let head = store.head().unwrap().0;
        let mut state_a = store.begin_block().unwrap();
        for op in &a {
            let w = vec![common::write(op)];
            state_a.apply(&w).unwrap();
            mirror.apply(&w);
        }
        let header_a = header_on(&(head.number, head.hash), state_a.state_root().unwrap());
        prop_assert_eq!(header_a.state_root, mirror.state_root());
        let hash_a = header_a.hash_slow();

        let below = Arc::new(state_a.overlay().clone());
        let mut state_b = store.begin_block_on(below, (header_a.number, hash_a)).unwrap();
        for op in &b {
            let w = vec![common::write(op)];
            state_b.apply(&w).unwrap();
            mirror.apply(&w);
        }
        let root_b = state_b.state_root().unwrap();
        prop_assert_eq!(root_b, mirror.state_root());
        prop_assert!(store.commit_block(new_block(&header_on(&(header_a.number, hash_a), root_b), B256::ZERO, &body), &state_b).is_err());

        store.commit_block(new_block(&header_a, hash_a, &body), &state_a).unwrap();
        store.rebase(&mut state_b).unwrap();
        prop_assert_eq!(state_b.state_root().unwrap(), root_b);
        let header_b = header_on(&(header_a.number, hash_a), root_b);
        store.commit_block(new_block(&header_b, header_b.hash_slow(), &body), &state_b).unwrap();
        prop_assert_eq!(store.verify_state().unwrap().root, root_b);
    }
}
