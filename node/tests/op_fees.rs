//! The fee methods in OP mode, over the real auth server, against expectations computed here from the
//! stored headers and bodies with alloy's and op-alloy's own functions: `eth_feeHistory`'s base fees
//! (the next one from the head's Holocene or Jovian `extraData` through `calc_next_block_base_fee`, Jovian's
//! minimum base fee included), its gas-weighted reward percentiles over OP bodies (deposits count with tip
//! 0, as reth), and `eth_maxPriorityFeePerGas` / `eth_gasPrice` as op-geth and op-reth suggest them (the
//! minimum of 0.001 gwei while the head had room, median tip + 10% when it was at capacity).

mod common;

use alloy_eips::eip1559::{calc_next_block_base_fee, BaseFeeParams};
use alloy_eips::eip7840::BlobParams;
use alloy_primitives::{Bytes, B256, U256};
use common::*;
use op_alloy_consensus::{decode_holocene_extra_data, decode_jovian_extra_data};
use serde_json::{json, Value};
use std::net::SocketAddr;

/// op-reth's default `--min-suggested-priority-fee`.
const OP_MIN_TIP: u128 = 1_000_000;

fn num(v: &Value) -> u128 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a quantity: {v}"));
    u128::from_str_radix(s.trim_start_matches("0x"), 16).unwrap()
}

/// An L1-info-like deposit with a small gas limit (so a block with a small gas limit can hold it).
fn small_info(seq: u64) -> Bytes {
    l1_info_deposit_with_gas(seq, 50_000)
}

/// Builds a block on `head` from `attrs` and makes it the head; returns its hash.
async fn block(a: SocketAddr, n: u64) -> Value {
    result(a, "eth_getBlockByNumber", json!([format!("{n:#x}"), true])).await
}

/// Each transaction's tip (0 for a deposit) and gas used, from the block's transactions and receipts.
async fn tips(a: SocketAddr, b: &Value) -> Vec<(u128, u128)> {
    let base = num(&b["baseFeePerGas"]);
    let receipts = result(a, "eth_getBlockReceipts", json!([b["hash"]])).await;
    let txs = b["transactions"].as_array().unwrap();
    let receipts = receipts.as_array().unwrap();
    assert_eq!(txs.len(), receipts.len());
    txs.iter()
        .zip(receipts)
        .map(|(t, r)| {
            let tip = if t["type"] == "0x7e" {
                0
            } else {
                num(&t["maxPriorityFeePerGas"]).min(num(&t["maxFeePerGas"]) - base)
            };
            (tip, num(&r["gasUsed"]))
        })
        .collect()
}

/// reth's reward percentiles: walk the tips in ascending order until the cumulative gas reaches the
/// percentile's share of the block's gas.
fn expected_rewards(mut txs: Vec<(u128, u128)>, gas_used: u128, percentiles: &[f64]) -> Vec<u128> {
    if txs.is_empty() {
        return vec![0; percentiles.len()];
    }
    txs.sort();
    let mut index = 0;
    let mut cumulative = txs[0].1;
    percentiles
        .iter()
        .map(|p| {
            let threshold = (gas_used as f64 * p / 100.0) as u128;
            while cumulative < threshold && index < txs.len() - 1 {
                index += 1;
                cumulative += txs[index].1;
            }
            txs[index].0
        })
        .collect()
}

/// The base fee after block `b` by alloy's function and op-alloy's `extraData` decoders.
fn expected_next_base_fee(b: &Value, jovian: bool) -> u128 {
    let extra: Bytes = serde_json::from_value(b["extraData"].clone()).unwrap();
    let (gas_used, limit, base) = (
        num(&b["gasUsed"]) as u64,
        num(&b["gasLimit"]) as u64,
        num(&b["baseFeePerGas"]) as u64,
    );
    if jovian {
        let (elasticity, denominator, min) = decode_jovian_extra_data(&extra).unwrap();
        let params = BaseFeeParams::new(denominator.into(), elasticity.into());
        let used = gas_used.max(num(&b["blobGasUsed"]) as u64);
        calc_next_block_base_fee(used, limit, base, params).max(min) as u128
    } else {
        let (elasticity, denominator) = decode_holocene_extra_data(&extra).unwrap();
        let params = BaseFeeParams::new(denominator.into(), elasticity.into());
        calc_next_block_base_fee(gas_used, limit, base, params) as u128
    }
}

/// The suggestion op-geth's `SuggestOptimismPriorityFee` makes after block `b`.
async fn expected_tip(a: SocketAddr, b: &Value) -> u128 {
    let t = tips(a, b).await;
    let max_gas = t.iter().map(|x| x.1).max().unwrap_or(0);
    if num(&b["gasUsed"]) + max_gas <= num(&b["gasLimit"]) {
        return OP_MIN_TIP;
    }
    let txs = b["transactions"].as_array().unwrap();
    let mut paid: Vec<u128> = t
        .iter()
        .zip(txs)
        .filter(|(_, tx)| tx["type"] != "0x7e")
        .map(|(x, _)| x.0)
        .collect();
    paid.sort();
    let median = paid[paid.len() / 2];
    (median + median / 10).max(OP_MIN_TIP)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn op_fee_history_and_suggestions_follow_op_reth() {
    let dir = tempfile::tempdir().unwrap();
    let n = start(dir.path(), None, 1).await;
    let a = n.server.addr;
    let genesis: B256 = serde_json::from_value(block(a, 0).await["hash"].clone()).unwrap();

    // Block 1: room to spare (30M gas); block 2: a 100,000-gas block that cannot take one more of its
    // largest transaction, so the tip suggestion leaves the minimum.
    let mut attrs = attributes(2, &[], 1);
    attrs["transactions"] = json!([
        small_info(1),
        signed(KEY, 0, U256::from(1), 21_000, 3_000_000),
        signed(KEY, 1, U256::from(1), 21_000, 1_000_000),
        signed(KEY, 2, U256::from(1), 21_000, 7_000_000),
    ]);
    let b1 = advance(a, genesis, attrs).await;
    let head = block(a, 1).await;
    assert_eq!(head["transactions"].as_array().unwrap().len(), 4);
    let tip1 = expected_tip(a, &head).await;
    assert_eq!(tip1, OP_MIN_TIP, "block 1 had room");
    assert_eq!(
        num(&result(a, "eth_maxPriorityFeePerGas", json!([])).await),
        tip1
    );

    let mut attrs = attributes(4, &[], 2);
    attrs["gasLimit"] = json!("0x186a0");
    attrs["transactions"] = json!([
        small_info(2),
        signed(KEY, 3, U256::from(1), 21_000, 9_000_000),
        signed(KEY, 4, U256::from(1), 21_000, 2_000_000),
        signed(KEY, 5, U256::from(1), 21_000, 4_000_000),
    ]);
    advance(a, b1, attrs).await;
    let blocks = [block(a, 0).await, block(a, 1).await, block(a, 2).await];
    assert_eq!(blocks[2]["transactions"].as_array().unwrap().len(), 4);

    // The stored chain itself follows the rule the next base fee is computed by.
    for i in 0..2 {
        assert_eq!(
            num(&blocks[i + 1]["baseFeePerGas"]),
            expected_next_base_fee(&blocks[i], false)
        );
    }

    let percentiles = [0.0, 10.0, 25.0, 50.0, 75.0, 99.0, 100.0];
    let h = result(a, "eth_feeHistory", json!(["0x3", "latest", percentiles])).await;
    assert_eq!(num(&h["oldestBlock"]), 0);
    let mut base_fees: Vec<u128> = blocks.iter().map(|b| num(&b["baseFeePerGas"])).collect();
    base_fees.push(expected_next_base_fee(&blocks[2], false));
    let got: Vec<u128> = h["baseFeePerGas"]
        .as_array()
        .unwrap()
        .iter()
        .map(num)
        .collect();
    assert_eq!(got, base_fees);
    for (i, b) in blocks.iter().enumerate() {
        let ratio = num(&b["gasUsed"]) as f64 / num(&b["gasLimit"]) as f64;
        assert_eq!(h["gasUsedRatio"][i].as_f64().unwrap(), ratio);
        let want = expected_rewards(tips(a, b).await, num(&b["gasUsed"]), &percentiles);
        let got: Vec<u128> = h["reward"][i].as_array().unwrap().iter().map(num).collect();
        assert_eq!(got, want, "block {i}");
        // No blobs on OP: excessBlobGas 0, so the blob base fee is Cancun's minimum.
        let excess = num(&b["excessBlobGas"]) as u64;
        assert_eq!(
            num(&h["baseFeePerBlobGas"][i]),
            BlobParams::cancun().calc_blob_fee(excess)
        );
    }
    // Rewards are not all alike (the percentiles separate the tips) and the deposit weighs in at 0.
    assert_ne!(h["reward"][1][0], h["reward"][1][6]);
    assert_eq!(num(&h["reward"][1][0]), 0);

    let tip2 = expected_tip(a, &blocks[2]).await;
    assert!(tip2 > OP_MIN_TIP, "block 2 was at capacity");
    assert_eq!(
        num(&result(a, "eth_maxPriorityFeePerGas", json!([])).await),
        tip2
    );
    assert_eq!(
        num(&result(a, "eth_gasPrice", json!([])).await),
        num(&blocks[2]["baseFeePerGas"]) + tip2
    );
    assert_eq!(
        num(&result(a, "eth_blobBaseFee", json!([])).await),
        BlobParams::cancun().calc_blob_fee(0)
    );
    // A window of one block, a window past the chain's start, and bad percentiles.
    let one = result(a, "eth_feeHistory", json!(["0x1", "0x1"])).await;
    assert_eq!(num(&one["oldestBlock"]), 1);
    assert_eq!(one["baseFeePerGas"].as_array().unwrap().len(), 2);
    assert!(one.get("reward").is_none() || one["reward"].is_null());
    let bad = call(a, "eth_feeHistory", json!(["0x2", "latest", [50.0, 10.0]])).await;
    assert_eq!(error_code(&bad), -32602, "{bad}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn op_next_base_fee_honours_jovian_min_base_fee() {
    let dir = tempfile::tempdir().unwrap();
    // The test chain with Jovian from genesis: extraData v1 = 0x01 | denominator 250 | elasticity 6 |
    // minBaseFee 2 gwei (above the genesis base fee of 1 gwei).
    let path = write_genesis(dir.path());
    let mut g: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    g["config"]["jovianTime"] = json!(0);
    g["extraData"] = json!(format!("0x01000000fa00000006{:016x}", 2_000_000_000u64));
    std::fs::write(&path, g.to_string()).unwrap();
    let n = start_on(&path, None, 1).await;
    let a = n.server.addr;
    let genesis = block(a, 0).await;
    let hash: B256 = serde_json::from_value(genesis["hash"].clone()).unwrap();

    // Block 1 asks for a minimum of 5 gwei from its child on.
    let mut attrs = attributes(2, &[small_info(1)], 1);
    attrs["minBaseFee"] = json!(5_000_000_000u64);
    advance(a, hash, attrs).await;
    let b1 = block(a, 1).await;
    assert_eq!(
        num(&b1["baseFeePerGas"]),
        expected_next_base_fee(&genesis, true)
    );
    assert_eq!(num(&b1["baseFeePerGas"]), 2_000_000_000, "genesis minimum");

    let h = result(a, "eth_feeHistory", json!(["0x2", "latest"])).await;
    let next = expected_next_base_fee(&b1, true);
    assert_eq!(next, 5_000_000_000, "block 1's minimum");
    assert_eq!(num(&h["baseFeePerGas"][2]), next);
    assert_eq!(
        num(&result(a, "eth_gasPrice", json!([])).await),
        num(&b1["baseFeePerGas"]) + OP_MIN_TIP
    );
}
