//! An L2 transaction sent with `cast send` to `parevm node`'s eth port, and what it was charged, against
//! op-revm (the oracle, a dev-dependency): its `L1BlockInfo` is loaded from the L1Block predeploy's storage
//! as the chain holds it after the block (over `eth_getStorageAt`), and its cost functions price the
//! transaction's own bytes (re-encoded from `eth_getTransactionByHash` with op-alloy and checked against the
//! hash cast printed). The receipt's `l1Fee` and `l1GasPrice` must be op-revm's, and the sender's balance
//! must drop by exactly value + gas used × effective gas price + L1 fee + operator fee.

use crate::l1::Clients;
use crate::l1info::{assert_l1_origin, l1_block_slot, L1_BLOCK};
use crate::rpc::{quantity, quantity_u128, Rpc};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use op_revm::revm::database::{CacheDB, EmptyDB};
use op_revm::{L1BlockInfo, OpSpecId};
use serde_json::json;

/// The transfer's value.
const VALUE: u128 = 12_345;

/// The tip offered (1 gwei).
const TIP: u128 = 1_000_000_000;

/// Sends a transfer with calldata (so the L1 fee prices real bytes) from `key` and returns its hash
/// once mined. The fee caps are given as a wallet sets them (twice the head's base fee plus the tip):
/// `parevm node` serves no fee-suggestion methods (`eth_feeHistory`, `eth_gasPrice`) in OP mode yet.
pub fn send(clients: &Clients, l2: &Rpc, key: &B256) -> B256 {
    let to = Address::repeat_byte(0xd2);
    let calldata = format!("0x{}", "00010203a0b0c0d0ffee".repeat(12));
    let head = l2.call("eth_getBlockByNumber", json!(["latest", false]));
    let max_fee = 2 * quantity_u128(&head["baseFeePerGas"]) + TIP;
    let sent = clients.cast_send(
        l2,
        &key.to_string(),
        &[
            &to.to_string(),
            &calldata,
            "--value",
            &VALUE.to_string(),
            "--gas-price",
            &max_fee.to_string(),
            "--priority-gas-price",
            &TIP.to_string(),
        ],
    );
    assert_eq!(sent["status"], "0x1", "L2 transaction: {sent}");
    sent["transactionHash"]
        .as_str()
        .and_then(|h| h.parse().ok())
        .unwrap_or_else(|| panic!("no transactionHash in {sent}"))
}

/// The raw EIP-2718 bytes of transaction `hash` from `l2`, checked to hash to `hash`.
fn raw_transaction(l2: &Rpc, hash: B256) -> Bytes {
    let v = l2.call("eth_getTransactionByHash", json!([hash]));
    let tx: op_alloy_rpc_types::Transaction = serde_json::from_value(v.clone())
        .unwrap_or_else(|e| panic!("transaction {hash} does not parse as op-alloy's: {e}: {v}"));
    let raw = Bytes::from(tx.inner.inner.into_inner().encoded_2718());
    assert_eq!(keccak256(&raw), hash, "re-encoded transaction {v}");
    raw
}

fn balance(l2: &Rpc, who: Address, n: u64) -> u128 {
    quantity_u128(&l2.call("eth_getBalance", json!([who, format!("{n:#x}")])))
}

fn u256(v: &serde_json::Value) -> Option<U256> {
    v.as_str().and_then(|s| s.parse().ok())
}

/// Checks the receipt and the charge of transaction `hash` sent by `sender`; returns its block.
pub fn check(l2: &Rpc, l1: &Rpc, hash: B256, sender: Address) -> u64 {
    let receipt = l2.call("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    let block = quantity(&receipt["blockNumber"]).expect("receipt blockNumber");
    let gas_used = quantity(&receipt["gasUsed"]).expect("receipt gasUsed");
    let raw = raw_transaction(l2, hash);

    let mut db = CacheDB::new(EmptyDB::default());
    // Slots 0..=8 hold every field L1Block has through Isthmus.
    for slot in 0..=8u64 {
        db.insert_account_storage(L1_BLOCK, U256::from(slot), l1_block_slot(l2, slot, block))
            .expect("in-memory storage");
    }
    let mut info = L1BlockInfo::try_fetch(&mut db, U256::from(block), OpSpecId::ISTHMUS)
        .expect("in-memory L1Block info");
    let l1_fee = info.calculate_tx_l1_cost(&raw, OpSpecId::ISTHMUS);
    let operator_fee = info.operator_fee_charge(&raw, U256::from(gas_used), OpSpecId::ISTHMUS);
    let origin = assert_l1_origin(l2, l1, block);

    assert!(l1_fee > U256::ZERO, "a zero L1 fee checks nothing");
    assert_eq!(u256(&receipt["l1Fee"]), Some(l1_fee), "l1Fee: {receipt}");
    assert_eq!(
        u256(&receipt["l1GasPrice"]),
        Some(info.l1_base_fee),
        "l1GasPrice: {receipt}"
    );
    let price = quantity_u128(&receipt["effectiveGasPrice"]);
    let paid = balance(l2, sender, block - 1) - balance(l2, sender, block);
    let want = U256::from(VALUE + u128::from(gas_used) * price) + l1_fee + operator_fee;
    assert_eq!(U256::from(paid), want, "the sender's charge: {receipt}");
    println!(
        "L2 transaction in block {block} (L1 origin {origin}): l1Fee {l1_fee}, operator fee {operator_fee}, {} bytes",
        raw.len()
    );
    block
}
