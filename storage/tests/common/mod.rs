//! Helpers shared by the storage integration tests: random write sets over a small key space (so updates,
//! deletions and wipes hit existing keys) and "blocks" made of them, committed with the root they produce.

#![allow(dead_code)]

use alloy_consensus::Header;
use alloy_primitives::{Address, Bytes, B256, U256};
use parevm_block::StateStore;
use parevm_evm_core::{AccountWrite, BalanceWrite, Bytecode, WriteSet};
use parevm_state::InMemoryState;
use parevm_storage::{ChainStore, NewBlock};
use proptest::prelude::*;
use std::sync::Arc;

/// One random change to one account.
#[derive(Clone, Debug)]
pub enum Op {
    /// Set balance and nonce.
    Touch { who: u16, balance: u64, nonce: u64 },
    /// Credit a balance.
    Credit { who: u16, amount: u64 },
    /// Write slots (value 0 deletes).
    Slots { who: u16, slots: Vec<(u8, u64)> },
    /// Deploy code over fresh storage.
    Create {
        who: u16,
        code: u8,
        slots: Vec<(u8, u64)>,
    },
    /// Destroy the account.
    Destroy { who: u16 },
}

pub fn address(who: u16) -> Address {
    let mut a = [0u8; 20];
    a[18..].copy_from_slice(&who.to_be_bytes());
    Address::from(a)
}

fn slot_strategy() -> impl Strategy<Value = Vec<(u8, u64)>> {
    prop::collection::vec(
        (0u8..40, prop_oneof![Just(0u64), 1u64..1000, Just(u64::MAX)]),
        0..12,
    )
}

pub fn op_strategy(accounts: u16) -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..accounts, any::<u64>(), 0u64..5).prop_map(|(who, balance, nonce)| Op::Touch { who, balance, nonce }),
        2 => (0..accounts, 1u64..1000).prop_map(|(who, amount)| Op::Credit { who, amount }),
        4 => (0..accounts, slot_strategy()).prop_map(|(who, slots)| Op::Slots { who, slots }),
        1 => (0..accounts, any::<u8>(), slot_strategy()).prop_map(|(who, code, slots)| Op::Create { who, code, slots }),
        1 => (0..accounts).prop_map(|who| Op::Destroy { who }),
    ]
}

/// The write set of one op.
pub fn write(op: &Op) -> AccountWrite {
    let slots = |s: &[(u8, u64)]| {
        let mut v: Vec<(U256, U256)> = s
            .iter()
            .map(|(k, v)| (U256::from(*k), U256::from(*v)))
            .collect();
        v.sort_by_key(|x| x.0);
        v.dedup_by_key(|x| x.0);
        v
    };
    match op {
        Op::Touch {
            who,
            balance,
            nonce,
        } => {
            let mut w = AccountWrite::new(address(*who));
            w.balance = Some(BalanceWrite::Set(U256::from(*balance)));
            w.nonce = Some(*nonce);
            w
        }
        Op::Credit { who, amount } => {
            let mut w = AccountWrite::new(address(*who));
            w.balance = Some(BalanceWrite::Add(U256::from(*amount)));
            w
        }
        Op::Slots { who, slots: s } => {
            let mut w = AccountWrite::new(address(*who));
            w.nonce = Some(1);
            w.storage = slots(s);
            w
        }
        Op::Create {
            who,
            code,
            slots: s,
        } => {
            let mut w = AccountWrite::new(address(*who));
            let code = Bytes::from(vec![0x60, *code, 0x00]);
            let c = Arc::new(Bytecode::new(code));
            w.code = Some((c.hash(), c));
            w.nonce = Some(1);
            w.storage_reset = true;
            w.storage = slots(s);
            w
        }
        Op::Destroy { who } => {
            let mut w = AccountWrite::new(address(*who));
            w.destroyed = true;
            w
        }
    }
}

/// Applies `ops` as one block on the store's head and on `mirror`; commits it and returns the root.
pub fn commit_ops(store: &ChainStore, mirror: &mut InMemoryState, ops: &[Op]) -> B256 {
    commit_ops_with(store, mirror, ops, false)
}

/// [`commit_ops`]; with `read_first`, every account and slot the block writes is read through the block's
/// state before any write, as execution does, so the head's read cache holds their old values.
pub fn commit_ops_with(
    store: &ChainStore,
    mirror: &mut InMemoryState,
    ops: &[Op],
    read_first: bool,
) -> B256 {
    use parevm_evm_core::StateView;
    let (head, _) = store.head().expect("head");
    let mut state = store.begin_block().expect("begin");
    if read_first {
        for op in ops {
            let w = write(op);
            state.balance(w.address).expect("read account");
            for (slot, _) in &w.storage {
                state.storage(w.address, *slot).expect("read slot");
            }
        }
    }
    for op in ops {
        let w: WriteSet = vec![write(op)];
        state.apply(&w).expect("apply");
        mirror.apply(&w);
    }
    let root = state.state_root().expect("root");
    let header = Header {
        parent_hash: head.hash,
        number: head.number + 1,
        state_root: root,
        timestamp: head.number + 1,
        ..Default::default()
    };
    let hash = header.hash_slow();
    let body =
        alloy_rlp::encode(alloy_consensus::BlockBody::<parevm_block::input::BlockTx>::default());
    store
        .commit_block(
            NewBlock {
                header: &header,
                hash,
                body: &body,
                tx_hashes: &[],
                senders: &[],
                receipts: &[],
            },
            &state,
        )
        .expect("commit");
    root
}

/// A store with an empty genesis (chain config: Prague from genesis).
pub fn empty_chain(store: &ChainStore) {
    let genesis: parevm_block::genesis::Genesis = serde_json::from_str(
        r#"{"config":{"chainId":1,"homesteadBlock":0,"eip150Block":0,"eip155Block":0,"eip158Block":0,
        "byzantiumBlock":0,"constantinopleBlock":0,"petersburgBlock":0,"istanbulBlock":0,"berlinBlock":0,
        "londonBlock":0,"mergeNetsplitBlock":0,"terminalTotalDifficulty":0,"shanghaiTime":0,"cancunTime":0,
        "pragueTime":0},"gasLimit":"0x1c9c380","difficulty":"0x0","alloc":{}}"#,
    )
    .expect("genesis");
    store.init_genesis(&genesis).expect("init");
}
