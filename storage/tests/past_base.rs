//! Property test: a block built on an earlier block than the head (`ChainStore::begin_block_at`, what
//! `eth_simulateV1` on an old base runs on) reads that block's state and, with random writes on top,
//! has the root a full recomputation of that state with the same writes gives; the store refuses to
//! commit it and is left as it was.

mod common;

use alloy_primitives::{B256, U256};
use common::{address, commit_ops, empty_chain, op_strategy, write};
use parevm_block::StateStore;
use parevm_evm_core::StateView;
use parevm_state::InMemoryState;
use parevm_storage::ChainStore;
use proptest::prelude::*;

const ACCOUNTS: u16 = 40;

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn a_block_on_an_earlier_base_reads_it_and_has_its_root(
        blocks in prop::collection::vec(prop::collection::vec(op_strategy(ACCOUNTS), 1..30), 1..6),
        on in any::<prop::sample::Index>(),
        top in prop::collection::vec(op_strategy(ACCOUNTS), 0..30),
    ) {
        let store = ChainStore::open_in_memory().unwrap();
        empty_chain(&store);
        let mut mirror = InMemoryState::new();
        // The mirror after each block, genesis (block 0) first.
        let mut states = vec![(0u64, mirror.clone())];
        for ops in &blocks {
            commit_ops(&store, &mut mirror, ops);
            states.push((store.head().unwrap().0.number, mirror.clone()));
        }
        let head = store.head().unwrap().0;
        let (number, past) = &states[on.index(states.len())];
        let mut expected = past.clone();

        let mut state = store.begin_block_at(*number).unwrap();
        prop_assert_eq!(state.parent().0, *number);
        prop_assert_eq!(state.state_root().unwrap(), expected.state_root());
        for op in &top {
            let w = vec![write(op)];
            state.apply(&w).unwrap();
            expected.apply(&w);
        }
        prop_assert_eq!(state.state_root().unwrap(), expected.state_root());
        for who in 0..ACCOUNTS {
            let a = address(who);
            prop_assert_eq!(state.balance(a).unwrap(), expected.balance(a).unwrap(), "balance of {}", who);
            prop_assert_eq!(state.nonce(a).unwrap(), expected.nonce(a).unwrap(), "nonce of {}", who);
            prop_assert_eq!(state.code_hash(a).unwrap(), expected.code_hash(a).unwrap(), "code hash of {}", who);
            prop_assert_eq!(state.has_storage(a).unwrap(), expected.has_storage(a).unwrap(), "storage of {}", who);
            for slot in 0..40u64 {
                let s = U256::from(slot);
                prop_assert_eq!(state.storage(a, s).unwrap(), expected.storage(a, s).unwrap(), "slot {} of {}", slot, who);
            }
        }

        // Never committed: the store keeps its head and root.
        if *number != head.number {
            let body = alloy_rlp::encode(alloy_consensus::BlockBody::<parevm_block::input::BlockTx>::default());
            let header = alloy_consensus::Header {
                parent_hash: state.parent().1,
                number: number + 1,
                state_root: state.state_root().unwrap(),
                ..Default::default()
            };
            let block = parevm_storage::NewBlock {
                header: &header,
                hash: B256::repeat_byte(7),
                body: &body,
                tx_hashes: &[],
                senders: &[],
                receipts: &[],
            };
            prop_assert!(store.commit_block(block, &state).is_err());
        }
        prop_assert_eq!(store.head().unwrap().0.hash, head.hash);
        prop_assert_eq!(store.verify_state().unwrap().root, mirror.state_root());
    }
}
