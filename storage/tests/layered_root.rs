//! Property tests of the layered store (the latest blocks in memory, flushed to redb in groups in the
//! background): after any sequence of blocks its incremental root equals a full recomputation of the same
//! state, its trie tables equal those of a plain in-memory store given the same blocks, whichever of the
//! live layer, the group being flushed and the file holds each node; unwinding restores the earlier roots;
//! and the file alone, reopened without the layer, holds the last block whole.

mod common;

use alloy_primitives::B256;
use common::{commit_ops, empty_chain, op_strategy};
use parevm_state::InMemoryState;
use parevm_storage::kv::{KvRead, Table};
use parevm_storage::{ChainStore, FlushPolicy};
use proptest::prelude::*;
use std::time::Duration;

/// Entries of a table.
fn table(snap: &dyn KvRead, t: Table) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    snap.scan(t, &[], &mut |k, v| {
        out.push((k.to_vec(), v.to_vec()));
        true
    })
    .unwrap();
    out
}

/// The tables the state root and the reads depend on.
const STATE_TABLES: [Table; 5] = [
    Table::Accounts,
    Table::Storage,
    Table::AccountTrie,
    Table::StorageTrie,
    Table::Preimages,
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn layered_root_equals_full_recomputation_across_flushes(
        blocks in prop::collection::vec(prop::collection::vec(op_strategy(60), 1..40), 1..10),
        every in 1u32..4,
        unwind in 0usize..3,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let policy = FlushPolicy {
            every,
            max_delay: Duration::from_secs(3600),
            max_unflushed: every,
        };
        let store = ChainStore::open_layered(dir.path(), policy).unwrap();
        empty_chain(&store);
        let plain = ChainStore::open_in_memory().unwrap();
        empty_chain(&plain);
        let (mut mirror, mut plain_mirror) = (InMemoryState::new(), InMemoryState::new());
        let mut roots = vec![store.head().unwrap().1.state_root];
        for ops in &blocks {
            let root = commit_ops(&store, &mut mirror, ops);
            prop_assert_eq!(root, mirror.state_root());
            prop_assert_eq!(commit_ops(&plain, &mut plain_mirror, ops), root);
            roots.push(root);
            let (a, b) = (store.snapshot().unwrap(), plain.snapshot().unwrap());
            for t in STATE_TABLES {
                prop_assert_eq!(table(a.as_ref(), t), table(b.as_ref(), t), "table {}", t.name());
            }
        }
        prop_assert_eq!(store.verify_state().unwrap().root, *roots.last().unwrap());
        let head = store.head().unwrap().0.number;
        let target = head.saturating_sub(unwind as u64);
        if target < head {
            store.unwind_to(target).unwrap();
            prop_assert_eq!(store.head().unwrap().1.state_root, roots[target as usize]);
        }
        let want: (u64, B256) = {
            let (h, header) = store.head().unwrap();
            (h.number, header.state_root)
        };
        // Closing flushes every group: the file alone, opened without the layer, holds the head whole.
        drop(store);
        let reopened = ChainStore::open(dir.path()).unwrap();
        let (h, header) = reopened.head().unwrap();
        prop_assert_eq!((h.number, header.state_root), want);
        prop_assert_eq!(reopened.verify_state().unwrap().root, want.1);
    }
}

/// A snapshot reads its own version while later blocks are committed and the groups under it are flushed
/// and dropped from memory; closing flushes the rest.
#[test]
fn a_snapshot_keeps_its_version_across_flushes() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        ChainStore::open_layered(dir.path(), FlushPolicy::every(2, Duration::ZERO)).unwrap();
    empty_chain(&store);
    let mut mirror = InMemoryState::new();
    let block = |round: u64| -> Vec<common::Op> {
        (0..50u16)
            .map(|who| common::Op::Slots {
                who,
                slots: vec![(1, u64::from(who) + round), (2, 7 + round)],
            })
            .collect()
    };
    commit_ops(&store, &mut mirror, &block(1));
    let early = store.snapshot().unwrap();
    let before: Vec<_> = STATE_TABLES
        .iter()
        .map(|t| table(early.as_ref(), *t))
        .collect();
    let mut last = B256::ZERO;
    for round in 2..8 {
        last = commit_ops(&store, &mut mirror, &block(round));
        assert_eq!(last, mirror.state_root());
    }
    store.sync().unwrap();
    let after: Vec<_> = STATE_TABLES
        .iter()
        .map(|t| table(early.as_ref(), *t))
        .collect();
    assert_eq!(before, after);
    let stats = store.layer_stats().expect("a layered store");
    assert_eq!(stats.held_commits, 0);
    assert_eq!(stats.commits_flushed, 8);
    assert_eq!(store.verify_state().unwrap().root, last);
}
