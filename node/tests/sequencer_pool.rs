//! The OP sequencer's blocks with pool transactions, over the real auth server: with `noTxPool: false`
//! the built block holds the attributes' (forced) transactions first, then the pool's best that fit and
//! run; a pool transaction the EVM refuses (here: its sender can no longer pay) is left out and dropped
//! from the pool, one that does not fit the gas left stays in the pool for a later block; the block is
//! VALID on a second node through newPayload with the same hash, and every node's pool evicts what the
//! new head mined (built blocks and newPayload blocks alike).

mod common;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The hashes a pool shows in `txpool_content` (pending and queued).
async fn pooled(addr: std::net::SocketAddr) -> BTreeSet<B256> {
    let content = result(addr, "txpool_content", json!([])).await;
    let mut out = BTreeSet::new();
    for part in ["pending", "queued"] {
        for txs in content[part].as_object().unwrap().values() {
            for tx in txs.as_object().unwrap().values() {
                out.insert(serde_json::from_value(tx["hash"].clone()).unwrap());
            }
        }
    }
    out
}

fn hashes(txs: &[&Bytes]) -> BTreeSet<B256> {
    txs.iter().map(keccak256).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequencer_takes_pool_transactions_after_forced_ones() {
    let dir = tempfile::tempdir().unwrap();
    let seq = start(dir.path(), None, 1).await;
    let dir2 = tempfile::tempdir().unwrap();
    let follower = start(dir2.path(), None, 1).await;
    let (a, b) = (seq.server.addr, follower.server.addr);
    let genesis = seq.node.genesis_hash();

    // Block 1 (attributes only): a deposit funds a second sender with 1 ether.
    let second_key = B256::repeat_byte(0x21);
    let second = PrivateKeySigner::from_bytes(&second_key).unwrap().address();
    let ether = U256::from(10u64).pow(U256::from(18));
    let mint = 1_000_000_000_000_000_000u128;
    let env = build(
        a,
        genesis,
        2,
        &[
            l1_info_deposit(1),
            user_deposit(1, Address::repeat_byte(0x55), second, mint),
        ],
        1,
    )
    .await;
    let block1: B256 =
        serde_json::from_value(env["executionPayload"]["blockHash"].clone()).unwrap();
    for addr in [a, b] {
        let st = result(addr, "engine_newPayloadV4", new_payload_params(&env)).await;
        assert_eq!(st["status"], "VALID", "{st}");
        result(addr, "engine_forkchoiceUpdatedV3", json!([fc(block1)])).await;
    }
    assert_eq!(
        result(a, "eth_getBalance", json!([second, "latest"])).await,
        json!(ether)
    );

    // The pool: two transfers of the funded key; two of the second sender, each alone affordable, but
    // after the first the second cannot pay; a transfer asking for almost a whole block's gas.
    let t0 = signed(KEY, 0, U256::from(1_000), 21_000, 1_000_000);
    let t1 = signed(KEY, 1, U256::from(1_000), 21_000, 1_000_000);
    let half = ether / U256::from(2);
    let p0 = signed(second_key, 0, half, 21_000, 2_000_000);
    let p1 = signed(second_key, 1, half, 21_000, 2_000_000);
    let big = signed(KEY, 2, U256::from(1), 29_990_000, 1_000_000);
    for t in [&t0, &t1, &p0, &p1, &big] {
        result(a, "eth_sendRawTransaction", json!([t])).await;
    }
    // The follower pools the funded key's first transfer: the block it gets through newPayload mines it.
    result(b, "eth_sendRawTransaction", json!([t0])).await;

    // Block 2 with the pool: the forced L1-info deposit first, then what fits and runs.
    let mut attrs = attributes(4, &[l1_info_deposit(2)], 2);
    attrs["noTxPool"] = json!(false);
    let r = result(a, "engine_forkchoiceUpdatedV3", json!([fc(block1), attrs])).await;
    assert_eq!(r["payloadStatus"]["status"], "VALID", "{r}");
    let env = result(a, "engine_getPayloadV4", json!([r["payloadId"]])).await;
    let txs: Vec<Bytes> =
        serde_json::from_value(env["executionPayload"]["transactions"].clone()).unwrap();
    assert_eq!(txs[0], l1_info_deposit(2), "forced transactions come first");
    let included: BTreeSet<B256> = txs[1..].iter().map(keccak256).collect();
    assert_eq!(included, hashes(&[&t0, &t1, &p0]));
    // Each sender's transactions stay in nonce order; the higher tip goes first.
    let pos = |t: &Bytes| txs.iter().position(|x| x == t).unwrap();
    assert!(pos(&t0) < pos(&t1));
    assert_eq!(pos(&p0), 1, "the best tip first");
    // The refused one is dropped; the one that did not fit stays.
    assert_eq!(pooled(a).await, hashes(&[&t0, &t1, &p0, &big]));

    // The block is valid on both nodes with the same hash; committing it evicts what it mined.
    let hash: B256 = serde_json::from_value(env["executionPayload"]["blockHash"].clone()).unwrap();
    for addr in [a, b] {
        let st = result(addr, "engine_newPayloadV4", new_payload_params(&env)).await;
        assert_eq!(st["status"], "VALID", "{st}");
        assert_eq!(st["latestValidHash"], json!(hash));
        let f = result(addr, "engine_forkchoiceUpdatedV3", json!([fc(hash)])).await;
        assert_eq!(f["payloadStatus"]["status"], "VALID");
    }
    assert_eq!(pooled(a).await, hashes(&[&big]));
    assert_eq!(pooled(b).await, BTreeSet::new());
    let receipts = result(a, "eth_getBlockReceipts", json!(["0x2"])).await;
    let statuses: Vec<Value> = receipts
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].clone())
        .collect();
    assert_eq!(statuses, vec![json!("0x1"); 4]);
    assert_eq!(
        result(a, "eth_getTransactionCount", json!([funded(), "latest"])).await,
        json!("0x2")
    );

    // noTxPool: true still builds from the attributes alone.
    let env = build(a, hash, 6, &[l1_info_deposit(3)], 3).await;
    assert_eq!(
        env["executionPayload"]["transactions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
