//! The L1 information kona puts on L2: after each block the L1Block predeploy (`0x4200…0015`) holds the L1
//! origin's number, timestamp, hash and base fee (stored by kona's L1-info deposit, the block's first
//! transaction); checked against the block anvil reports for that number.

use crate::rpc::{quantity, Rpc};
use alloy_primitives::{address, Address, B256, U256};
use serde_json::{json, Value};

/// The L1Block predeploy.
pub const L1_BLOCK: Address = address!("4200000000000000000000000000000000000015");

/// The L1Block storage slot `slot` after block `block`.
pub fn l1_block_slot(l2: &Rpc, slot: u64, block: u64) -> U256 {
    let v = l2.call(
        "eth_getStorageAt",
        json!([L1_BLOCK, format!("{slot:#x}"), format!("{block:#x}")]),
    );
    v.as_str()
        .and_then(|s| s.parse::<U256>().ok())
        .unwrap_or_else(|| panic!("storage word: {v}"))
}

/// Checks that L1Block after L2 block `block` holds an L1 block of `l1` (number, hash, base fee), and
/// returns that L1 block's number.
pub fn assert_l1_origin(l2: &Rpc, l1: &Rpc, block: u64) -> u64 {
    // Slot 0 packs `number` (low 8 bytes) and `timestamp` (the 8 above).
    let word = l1_block_slot(l2, 0, block).to_be_bytes::<32>();
    let number = u64::from_be_bytes(word[24..32].try_into().expect("8 bytes"));
    let timestamp = u64::from_be_bytes(word[16..24].try_into().expect("8 bytes"));
    let origin: Value = l1.call(
        "eth_getBlockByNumber",
        json!([format!("{number:#x}"), false]),
    );
    assert_eq!(
        quantity(&origin["timestamp"]),
        Some(timestamp),
        "L1Block.timestamp after L2 block {block} vs L1 block {number}: {origin}"
    );
    let hash: B256 = origin["hash"]
        .as_str()
        .and_then(|h| h.parse().ok())
        .expect("L1 hash");
    assert_eq!(
        B256::from(l1_block_slot(l2, 2, block)),
        hash,
        "L1Block.hash after L2 block {block}"
    );
    let base_fee: U256 = origin["baseFeePerGas"]
        .as_str()
        .and_then(|h| h.parse().ok())
        .expect("L1 base fee");
    assert_eq!(
        l1_block_slot(l2, 1, block),
        base_fee,
        "L1Block.basefee after L2 block {block}"
    );
    number
}
