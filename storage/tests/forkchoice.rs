//! Forkchoice updates as a consensus layer sends them: labels set along the canonical chain, an unwind to a
//! canonical block below the head, a reorg onto blocks that left the canonical chain (the plan, then the
//! replay), side blocks, and every refused update leaving the chain as it was.

mod common;

use alloy_primitives::B256;
use common::{commit_ops, empty_chain, Op};
use parevm_state::InMemoryState;
use parevm_storage::{BlockRef, ChainStore, Forkchoice, ForkchoiceOutcome, Label, StoreError};

/// The ops of block `n` on fork `fork`: different forks touch different accounts and slots.
fn ops(fork: u16, n: u16) -> Vec<Op> {
    vec![
        Op::Touch {
            who: fork * 10 + n,
            balance: 1000 + u64::from(n),
            nonce: 1,
        },
        Op::Slots {
            who: 7,
            slots: vec![
                (n as u8, u64::from(fork) + 1),
                (40 + fork as u8, u64::from(n)),
            ],
        },
        Op::Credit {
            who: 3,
            amount: u64::from(fork * 100 + n),
        },
    ]
}

fn head(store: &ChainStore) -> BlockRef {
    store.head().unwrap().0
}

fn fc(head: B256, safe: B256, finalized: B256) -> Forkchoice {
    Forkchoice {
        head,
        safe,
        finalized,
    }
}

/// Commits blocks `from..=to` of `fork` on the head; returns their refs and roots.
fn build(
    store: &ChainStore,
    mirror: &mut InMemoryState,
    fork: u16,
    from: u16,
    to: u16,
) -> Vec<(BlockRef, B256)> {
    (from..=to)
        .map(|n| {
            let root = commit_ops(store, mirror, &ops(fork, n));
            assert_eq!(root, mirror.state_root());
            (head(store), root)
        })
        .collect()
}

#[test]
fn labels_unwind_and_reorg_back_onto_the_old_chain() {
    let store = ChainStore::open_in_memory().unwrap();
    empty_chain(&store);
    let genesis = head(&store);
    let mut mirror = InMemoryState::new();
    let a = build(&store, &mut mirror, 1, 1, 2);
    let at_2 = mirror.clone();
    let a_rest = build(&store, &mut mirror, 1, 3, 5);
    let a: Vec<_> = a.into_iter().chain(a_rest).collect();
    let root_a5 = a[4].1;

    // Labels only: the head stays, safe and finalized are set.
    let out = store
        .forkchoice(fc(a[4].0.hash, a[2].0.hash, a[1].0.hash))
        .unwrap();
    assert_eq!(
        out,
        ForkchoiceOutcome::Canonical {
            head: a[4].0,
            unwound: 0
        }
    );
    assert_eq!(store.label(Label::Safe).unwrap(), Some(a[2].0));
    assert_eq!(store.label(Label::Finalized).unwrap(), Some(a[1].0));

    // Refused updates write nothing.
    let before = (head(&store), store.label(Label::Safe).unwrap());
    let refused = [
        fc(a[4].0.hash, a[1].0.hash, a[2].0.hash), // finalized above safe
        fc(a[4].0.hash, a[2].0.hash, genesis.hash), // finalized moves back
        fc(a[3].0.hash, a[4].0.hash, B256::ZERO),  // safe above the new head
        fc(a[4].0.hash, B256::repeat_byte(9), B256::ZERO), // safe unknown
    ];
    for update in refused {
        assert!(
            matches!(store.forkchoice(update), Err(StoreError::Forkchoice(_))),
            "{update:?}"
        );
        assert_eq!((head(&store), store.label(Label::Safe).unwrap()), before);
    }
    assert_eq!(
        store.forkchoice(fc(B256::repeat_byte(7), B256::ZERO, B256::ZERO)),
        Ok(ForkchoiceOutcome::Unknown)
    );
    // Below finalized: the unwind is refused.
    assert!(matches!(
        store.forkchoice(fc(genesis.hash, B256::ZERO, B256::ZERO)),
        Err(StoreError::Unwind { target: 0, .. })
    ));
    assert_eq!(head(&store), a[4].0);

    // A canonical head below the head: unwound to, root exactly block 2's; safe follows it down.
    let out = store
        .forkchoice(fc(a[1].0.hash, B256::ZERO, B256::ZERO))
        .unwrap();
    assert_eq!(
        out,
        ForkchoiceOutcome::Canonical {
            head: a[1].0,
            unwound: 3
        }
    );
    assert_eq!(store.head().unwrap().1.state_root, a[1].1);
    assert_eq!(store.label(Label::Safe).unwrap(), Some(a[1].0));
    assert_eq!(store.hash_by_number(3).unwrap(), None);

    // A competing fork B on block 2.
    let mut mirror_b = at_2.clone();
    let b = build(&store, &mut mirror_b, 2, 3, 4);
    assert_ne!(b[1].0.hash, a[3].0.hash);
    // A side block on B's head (not executed): kept by hash, off the canonical chain.
    let side = alloy_consensus::Header {
        parent_hash: b[1].0.hash,
        number: 5,
        state_root: B256::repeat_byte(0x55),
        timestamp: 5,
        ..Default::default()
    };
    let side_hash = side.hash_slow();
    let body =
        alloy_rlp::encode(alloy_consensus::BlockBody::<parevm_block::input::BlockTx>::default());
    store
        .insert_side_block(&side, side_hash, &body, &[])
        .unwrap();
    assert_eq!(
        store.header_by_hash(&side_hash).unwrap(),
        Some(side.clone())
    );
    assert_eq!(store.hash_by_number(5).unwrap(), None);
    assert_eq!(
        store.reorg_path(side_hash).unwrap(),
        Some((
            b[1].0,
            vec![BlockRef {
                number: 5,
                hash: side_hash
            }]
        ))
    );
    // A side block whose parent is unknown is refused.
    let orphan = alloy_consensus::Header {
        parent_hash: B256::repeat_byte(1),
        number: 9,
        ..Default::default()
    };
    assert!(store
        .insert_side_block(&orphan, orphan.hash_slow(), &body, &[])
        .is_err());

    // Back to A's head: the plan names the ancestor (2) and A's blocks 3..=5; nothing written yet.
    let out = store
        .forkchoice(fc(a[4].0.hash, B256::ZERO, B256::ZERO))
        .unwrap();
    let plan: Vec<BlockRef> = a[2..].iter().map(|(r, _)| *r).collect();
    assert_eq!(
        out,
        ForkchoiceOutcome::Reorg {
            ancestor: a[1].0,
            blocks: plan.clone()
        }
    );
    assert_eq!(head(&store), b[1].0);

    // The caller's replay: unwind to the ancestor, execute and commit each block, forkchoice again.
    store.unwind_to(a[1].0.number).unwrap();
    let mut replay = at_2;
    let replayed = build(&store, &mut replay, 1, 3, 5);
    assert_eq!(replayed.iter().map(|(r, _)| *r).collect::<Vec<_>>(), plan);
    let out = store
        .forkchoice(fc(a[4].0.hash, a[3].0.hash, a[2].0.hash))
        .unwrap();
    assert_eq!(
        out,
        ForkchoiceOutcome::Canonical {
            head: a[4].0,
            unwound: 0
        }
    );
    assert_eq!(store.head().unwrap().1.state_root, root_a5);
    assert_eq!(store.verify_state().unwrap().root, root_a5);
    // B's blocks are off the canonical chain now, still stored by hash.
    assert_eq!(store.hash_by_number(4).unwrap(), Some(a[3].0.hash));
    assert_eq!(store.number_by_hash(&b[1].0.hash).unwrap(), Some(4));
    assert!(!store.is_canonical(&b[1].0.hash).unwrap());
}
