//! A user deposit: sent with cast to the portal on anvil (`depositTransaction`, ETH attached as `mint`),
//! then found on L2 as a 0x7E transaction by the source hash the OP specs derive from the L1 log
//! (`keccak256(0 ++ keccak256(l1BlockHash ++ logIndex))`), with its fields and its balance effects checked:
//! the recipient gets `value`, the depositor (the L1 sender, an EOA, so not aliased) keeps `mint - value`.

use crate::l1::{Clients, DEPLOYER_KEY, L1};
use crate::rpc::{quantity, quantity_u128, Rpc};
use alloy_primitives::{keccak256, Address, B256, U256};
use serde_json::{json, Value};

/// ETH locked on L1 and minted on L2.
const MINT: u128 = 10u128.pow(18);
/// The part of the mint passed on to the recipient.
const VALUE: u128 = 10u128.pow(18) / 4;

/// A deposit made on L1.
pub struct Sent {
    /// Its L2 source hash.
    pub source_hash: B256,
    /// The L1 sender (the deposit's `from`).
    pub from: Address,
    /// The deposit's `to`.
    pub to: Address,
}

fn address(v: &Value) -> Option<Address> {
    v.as_str().and_then(|s| s.parse().ok())
}

/// The OP specs' user-deposit source hash.
fn source_hash(l1_block_hash: B256, log_index: u64) -> B256 {
    let mut inner = [0u8; 64];
    inner[..32].copy_from_slice(l1_block_hash.as_slice());
    inner[32..].copy_from_slice(&U256::from(log_index).to_be_bytes::<32>());
    let mut outer = [0u8; 64];
    outer[32..].copy_from_slice(keccak256(inner).as_slice());
    keccak256(outer)
}

/// Sends the deposit through `portal` and returns what identifies it on L2.
pub fn send(clients: &Clients, l1: &L1, portal: Address) -> Sent {
    let to = Address::repeat_byte(0xd1);
    let receipt = clients.cast_send(
        &l1.rpc,
        DEPLOYER_KEY,
        &[
            &portal.to_string(),
            "depositTransaction(address,uint256,uint64,bool,bytes)",
            &to.to_string(),
            &VALUE.to_string(),
            "100000",
            "false",
            "0x",
            "--value",
            &MINT.to_string(),
        ],
    );
    assert_eq!(receipt["status"], "0x1", "deposit on L1: {receipt}");
    let log = receipt["logs"]
        .as_array()
        .and_then(|logs| logs.iter().find(|l| address(&l["address"]) == Some(portal)))
        .unwrap_or_else(|| panic!("no TransactionDeposited log: {receipt}"));
    Sent {
        source_hash: source_hash(
            log["blockHash"]
                .as_str()
                .and_then(|h| h.parse().ok())
                .expect("log blockHash"),
            quantity(&log["logIndex"]).expect("log logIndex"),
        ),
        from: address(&receipt["from"]).expect("receipt from"),
        to,
    }
}

fn balance(l2: &Rpc, who: Address, n: u64) -> u128 {
    quantity_u128(&l2.call("eth_getBalance", json!([who, format!("{n:#x}")])))
}

/// Finds the deposit in L2 blocks `1..=head`, checks it, and returns its block.
pub fn check(l2: &Rpc, head: u64, sent: &Sent) -> u64 {
    let found = (1..=head).find_map(|n| {
        let block = l2.call("eth_getBlockByNumber", json!([format!("{n:#x}"), true]));
        block["transactions"]
            .as_array()?
            .iter()
            .find(|tx| {
                tx["sourceHash"]
                    .as_str()
                    .and_then(|s| s.parse::<B256>().ok())
                    == Some(sent.source_hash)
            })
            .map(|tx| (n, tx.clone()))
    });
    let (k, tx) = found.unwrap_or_else(|| {
        panic!(
            "no L2 deposit with source hash {} in blocks 1..={head}",
            sent.source_hash
        )
    });
    assert_eq!(tx["type"], "0x7e", "{tx}");
    assert_eq!(quantity_u128(&tx["mint"]), MINT, "mint: {tx}");
    assert_eq!(quantity_u128(&tx["value"]), VALUE, "value: {tx}");
    assert_eq!(address(&tx["from"]), Some(sent.from), "from: {tx}");
    assert_eq!(address(&tx["to"]), Some(sent.to), "to: {tx}");
    let r = l2.call("eth_getTransactionReceipt", json!([tx["hash"]]));
    assert_eq!(r["status"], "0x1", "deposit receipt: {r}");
    assert_eq!(
        balance(l2, sent.to, k) - balance(l2, sent.to, k - 1),
        VALUE,
        "the recipient gets the value"
    );
    assert_eq!(
        balance(l2, sent.from, k) - balance(l2, sent.from, k - 1),
        MINT - VALUE,
        "the mint less the value stays with the depositor"
    );
    k
}
