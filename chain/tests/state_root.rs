//! The chain service's incremental state root (`parevm_storage::MemRoot`) against the from-scratch root of
//! the same state, across what a devnet does between blocks: empty blocks (the EIP-2935 and EIP-4788 ring
//! buffers grow), edits as `anvil_setBalance` / `anvil_setStorageAt` / `anvil_setCode` make them, snapshots
//! and reverts, a reset.

use alloy_eips::eip2935::{HISTORY_STORAGE_ADDRESS, HISTORY_STORAGE_CODE};
use alloy_eips::eip4788::{BEACON_ROOTS_ADDRESS, BEACON_ROOTS_CODE};
use alloy_primitives::{Address, Bytes, B256, U256};
use parevm_chain::{BlockParams, Chain, ChainConfig};
use parevm_state::InMemoryState;

fn params(chain: &Chain) -> BlockParams {
    let head = chain.head();
    BlockParams {
        timestamp: head.header.timestamp + 12,
        beneficiary: Address::with_last_byte(0xcb),
        gas_limit: chain.config().gas_limit,
        base_fee: chain.next_base_fee(),
        prevrandao: B256::with_last_byte(7),
        extra_data: Bytes::new(),
        parent_beacon_block_root: B256::repeat_byte(head.number() as u8),
    }
}

/// Mines one block and checks its header's root against the state's from-scratch root.
fn mine_and_check(chain: &Chain, what: &str) {
    let mined = chain.mine(&params(chain)).expect("mining an empty block");
    let scratch = chain.read_head(|s| s.state_root());
    assert_eq!(
        mined.block.header.state_root,
        scratch,
        "block {} ({what})",
        mined.block.number()
    );
}

#[test]
fn the_mined_roots_equal_the_from_scratch_root() {
    let mut genesis = InMemoryState::new();
    for i in 1..=4u8 {
        genesis.insert_account(
            Address::with_last_byte(i),
            U256::from(10u64.pow(18)),
            0,
            Bytes::new(),
            [],
        );
    }
    // The system contracts whose ring buffers every block writes (the devnet predeploys the first).
    genesis.insert_account(
        HISTORY_STORAGE_ADDRESS,
        U256::ZERO,
        0,
        HISTORY_STORAGE_CODE.clone(),
        [],
    );
    genesis.insert_account(
        BEACON_ROOTS_ADDRESS,
        U256::ZERO,
        0,
        BEACON_ROOTS_CODE.clone(),
        [],
    );
    let chain = Chain::new(ChainConfig::default(), genesis.clone(), 1_700_000_000);
    for _ in 0..300 {
        mine_and_check(&chain, "empty");
    }
    // Edits between blocks, as the anvil_* methods make them.
    let contract = Address::with_last_byte(0xc0);
    chain.edit_state(|s| {
        s.insert_account(
            contract,
            U256::ZERO,
            1,
            Bytes::from_static(&[0x60, 0x00]),
            (0..200u64).map(|k| (U256::from(k), U256::from(k + 1))),
        );
        s.account_mut(Address::with_last_byte(1)).balance = U256::from(3);
    });
    mine_and_check(&chain, "a contract with 200 slots, a balance");
    let slots = chain.read_head(|s| {
        [HISTORY_STORAGE_ADDRESS, BEACON_ROOTS_ADDRESS]
            .map(|a| s.account(&a).map_or(0, |a| a.storage.len()))
    });
    assert!(
        slots[0] >= 300 && slots[1] >= 300,
        "the ring buffers hold {slots:?} slots"
    );
    let snapshot = chain.snapshot();
    chain.edit_state(|s| {
        let c = s.account_mut(contract);
        c.storage.remove(&U256::from(5));
        c.storage.insert(U256::from(500), U256::from(9));
        s.remove_account(&Address::with_last_byte(2));
    });
    mine_and_check(&chain, "a slot cleared, one set, an account removed");
    for _ in 0..5 {
        mine_and_check(&chain, "empty after edits");
    }
    chain.revert(snapshot);
    mine_and_check(&chain, "after a revert");
    chain.reset(genesis, 1_800_000_000);
    for _ in 0..3 {
        mine_and_check(&chain, "after a reset");
    }
}
