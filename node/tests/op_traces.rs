//! The debug and Parity tracers in OP mode: blocks built through the Engine API (an L1-info deposit, a
//! user deposit that mints, signed transfers) are replayed by the tracers as the builder ran them
//! (block-level changes, deposits, OP fee rules): every callTracer frame's gas equals the stored
//! receipt's, the replayed state diffs end at the stored balances of every account they name, and each
//! user transaction credits the base-fee vault (not burned) and the L1 fee vault (its L1 data fee).

mod common;

use alloy_primitives::{Address, B256, U256};
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// The OP base-fee vault (credited with the base fee instead of burning it).
const BASE_FEE_VAULT: &str = "0x4200000000000000000000000000000000000019";
/// The L1 fee vault (credited with each user transaction's L1 data fee).
const L1_FEE_VAULT: &str = "0x420000000000000000000000000000000000001a";

/// An Isthmus L1-info deposit (`setL1BlockValuesIsthmus`) with an L1 base fee of 1 gwei, so that user
/// transactions pay an L1 data fee.
fn l1_info_isthmus(seq: u64) -> alloy_primitives::Bytes {
    use alloy_eips::eip2718::Encodable2718;
    use alloy_primitives::{Sealable, TxKind};
    let mut input = vec![0x09, 0x89, 0x99, 0xbe];
    input.extend_from_slice(&1_368u32.to_be_bytes()); // base fee scalar
    input.extend_from_slice(&810_949u32.to_be_bytes()); // blob base fee scalar
    input.extend_from_slice(&seq.to_be_bytes()); // sequence number
    input.extend_from_slice(&1_000u64.to_be_bytes()); // L1 timestamp
    input.extend_from_slice(&100u64.to_be_bytes()); // L1 number
    input.extend_from_slice(&U256::from(1_000_000_000u64).to_be_bytes::<32>()); // L1 base fee
    input.extend_from_slice(&U256::from(1u64).to_be_bytes::<32>()); // L1 blob base fee
    input.extend_from_slice(&[0x11; 32]); // L1 block hash
    input.extend_from_slice(&[0x22; 32]); // batcher hash
    input.extend_from_slice(&0u32.to_be_bytes()); // operator fee scalar
    input.extend_from_slice(&0u64.to_be_bytes()); // operator fee constant
    let tx = op_alloy_consensus::TxDeposit {
        source_hash: B256::from(U256::from(seq + 1)),
        from: DEPOSITOR,
        to: TxKind::Call(L1_BLOCK),
        mint: 0,
        value: U256::ZERO,
        gas_limit: 1_000_000,
        is_system_transaction: false,
        input: input.into(),
    };
    op_alloy_consensus::OpTxEnvelope::Deposit(tx.seal_slow())
        .encoded_2718()
        .into()
}

fn u256(v: &Value) -> U256 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a quantity: {v}"));
    U256::from_str_radix(s.trim_start_matches("0x"), 16).unwrap()
}

async fn block(a: SocketAddr, n: u64) -> Value {
    result(a, "eth_getBlockByNumber", json!([format!("{n:#x}"), true])).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn op_blocks_replay_as_they_ran() {
    let dir = tempfile::tempdir().unwrap();
    let n = start(dir.path(), None, 1).await;
    let a = n.server.addr;
    let genesis: B256 = serde_json::from_value(block(a, 0).await["hash"].clone()).unwrap();
    let depositor = Address::repeat_byte(0xaa);
    let mut attrs = attributes(2, &[], 1);
    attrs["transactions"] = json!([
        l1_info_isthmus(1),
        user_deposit(
            1,
            depositor,
            Address::repeat_byte(0xbb),
            5_000_000_000_000_000
        ),
        transfer(0, Address::repeat_byte(0x77), 1_000),
        transfer(1, Address::repeat_byte(0xcc), 2_000),
    ]);
    let b1 = advance(a, genesis, attrs).await;
    let mut attrs = attributes(4, &[], 2);
    attrs["transactions"] = json!([
        l1_info_isthmus(2),
        signed(KEY, 2, U256::from(3), 21_000, 2_000_000),
        transfer(3, Address::repeat_byte(0xbb), 4_000),
    ]);
    advance(a, b1, attrs).await;

    let mut traced = 0;
    for number in 1..=2u64 {
        let tag = format!("{number:#x}");
        let b = block(a, number).await;
        let txs = b["transactions"].as_array().unwrap().clone();
        let receipts = result(a, "eth_getBlockReceipts", json!([tag])).await;
        let receipts = receipts.as_array().unwrap();
        assert_eq!(receipts.len(), txs.len());

        // callTracer: one frame per transaction, in order, with the receipt's gas and the sender.
        let calls = result(
            a,
            "debug_traceBlockByNumber",
            json!([tag, {"tracer": "callTracer"}]),
        )
        .await;
        let calls = calls.as_array().unwrap();
        assert_eq!(calls.len(), txs.len(), "{calls:?}");
        for (i, (c, tx)) in calls.iter().zip(&txs).enumerate() {
            assert_eq!(c["txHash"], tx["hash"], "block {number} tx {i}");
            assert_eq!(
                u256(&c["result"]["gasUsed"]),
                u256(&receipts[i]["gasUsed"]),
                "block {number} tx {i}: {c}"
            );
            assert_eq!(c["result"]["from"], tx["from"], "block {number} tx {i}");
            let one = result(
                a,
                "debug_traceTransaction",
                json!([tx["hash"], {"tracer": "callTracer"}]),
            )
            .await;
            assert_eq!(one, c["result"], "block {number} tx {i}");
            traced += 1;
        }

        // Parity traces: one top-level trace per transaction.
        let flat = result(a, "trace_block", json!([tag])).await;
        let tops: Vec<&Value> = flat
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["traceAddress"] == json!([]))
            .collect();
        assert_eq!(tops.len(), txs.len(), "{flat}");
        for (t, tx) in tops.iter().zip(&txs) {
            assert_eq!(t["transactionHash"], tx["hash"]);
        }

        // State diffs: the last balance each names is the stored one after the block; every user
        // transaction credits the base-fee vault.
        let replay = result(
            a,
            "trace_replayBlockTransactions",
            json!([tag, ["stateDiff"]]),
        )
        .await;
        let replay = replay.as_array().unwrap();
        assert_eq!(replay.len(), txs.len());
        let mut last: BTreeMap<String, U256> = BTreeMap::new();
        for (i, r) in replay.iter().enumerate() {
            let diff = r["stateDiff"].as_object().unwrap();
            for (address, account) in diff {
                let balance = &account["balance"];
                let to = if let Some(c) = balance.get("*") {
                    Some(u256(&c["to"]))
                } else {
                    balance.get("+").map(u256)
                };
                if let Some(to) = to {
                    last.insert(address.clone(), to);
                }
            }
            let deposit = txs[i]["type"] == json!("0x7e");
            if !deposit {
                assert!(u256(&receipts[i]["l1Fee"]) > U256::ZERO, "{}", receipts[i]);
                for vault in [BASE_FEE_VAULT, L1_FEE_VAULT] {
                    let change = &diff
                        .get(vault)
                        .unwrap_or_else(|| panic!("block {number} tx {i}: no {vault} in {r}"))
                        ["balance"];
                    let (from, to) = match change.get("*") {
                        Some(c) => (u256(&c["from"]), u256(&c["to"])),
                        None => (U256::ZERO, u256(&change["+"])),
                    };
                    assert!(to > from, "{vault}: {r}");
                }
            }
        }
        assert!(last.len() >= 3, "{last:?}");
        for (address, balance) in &last {
            let stored = result(a, "eth_getBalance", json!([address, tag])).await;
            assert_eq!(u256(&stored), *balance, "{address} after block {number}");
        }
    }
    assert_eq!(traced, 7);
}
