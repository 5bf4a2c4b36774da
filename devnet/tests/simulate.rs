//! `eth_simulateV1` on the dev chain, where the client suite cannot compare with anvil (anvil 1.7.1's
//! simulated blocks are numbered from 0 with a zero parent hash, state root and block context): blocks
//! built on the head and on an earlier block, the dev chain's settings in force (chain id after
//! `anvil_setChainId`, no execution requests), geth's execution-apis error codes, nothing kept, and a
//! differential check: simulated blocks against the same transactions mined (status, gas, logs, bloom).

mod common;

use common::devnet;
use parevm_testkit::bad_params::{answer_of, result_of, ADDR, DEV0};
use serde_json::{json, Value};

/// A contract that returns `BALANCE(ADDR)`, NUMBER, TIMESTAMP, BASEFEE and CHAINID as five words.
const PROBE: &str = "0x00000000000000000000000000000000000000c0";
const PROBE_CODE: &str = "0x7300000000000000000000000000000000000000aa316000524360205242604052486060524660805260a06000f3";

fn word(ret: &str, i: usize) -> u64 {
    let hex = &ret[2 + 64 * i..2 + 64 * (i + 1)];
    u64::from_str_radix(hex.trim_start_matches('0'), 16).unwrap_or(0)
}

fn hex(n: u64) -> String {
    format!("{n:#x}")
}

async fn send(m: &jsonrpsee::RpcModule<parevm_rpc::RpcContext>, value: u64) {
    result_of(
        m,
        "eth_sendTransaction",
        json!([{"from": DEV0, "to": ADDR, "value": hex(value)}]),
    )
    .await;
}

/// One block of one call to the probe, on `block`.
fn probe_at(block: &str) -> Value {
    json!([{
        "blockStateCalls": [{
            "stateOverrides": {PROBE: {"code": PROBE_CODE}},
            "calls": [{"from": DEV0, "to": PROBE}]
        }]
    }, block])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_on_the_head_and_below_it_keep_nothing() {
    let (_dev, m) = devnet(1);
    send(&m, 1).await; // block 1
    send(&m, 2).await; // block 2
    let head = result_of(&m, "eth_getBlockByNumber", json!(["latest", false])).await;
    let one = result_of(&m, "eth_getBlockByNumber", json!(["0x1", false])).await;
    assert_eq!(head["number"], json!("0x2"));

    let on_head = result_of(&m, "eth_simulateV1", probe_at("latest")).await;
    let b = &on_head[0];
    assert_eq!(b["number"], json!("0x3"));
    assert_eq!(b["parentHash"], head["hash"]);
    let ret = b["calls"][0]["returnData"].as_str().expect("return data");
    assert_eq!(b["calls"][0]["status"], json!("0x1"));
    assert_eq!(word(ret, 0), 3, "the balance after blocks 1 and 2");
    assert_eq!(word(ret, 1), 3, "NUMBER");
    let head_time = u64::from_str_radix(
        head["timestamp"]
            .as_str()
            .expect("time")
            .trim_start_matches("0x"),
        16,
    )
    .expect("a timestamp");
    assert_eq!(
        word(ret, 2),
        head_time + 12,
        "TIMESTAMP: 12 seconds after the base"
    );
    assert_eq!(word(ret, 3), 0, "BASEFEE: zero without validation, as geth");
    assert_eq!(word(ret, 4), 31337, "CHAINID");
    // No execution requests on the dev chain: the empty requests hash, as its own blocks have.
    assert_eq!(b["requestsHash"], head["requestsHash"]);

    // On block 1: the state after it (one wei), the block after it.
    let on_one = result_of(&m, "eth_simulateV1", probe_at("0x1")).await;
    let b = &on_one[0];
    assert_eq!(b["number"], json!("0x2"));
    assert_eq!(b["parentHash"], one["hash"]);
    let ret = b["calls"][0]["returnData"].as_str().expect("return data");
    assert_eq!(word(ret, 0), 1, "the balance after block 1");
    assert_eq!(word(ret, 1), 2, "NUMBER");
    // `pending` simulates on the head, as geth resolves it.
    let on_pending = result_of(&m, "eth_simulateV1", probe_at("pending")).await;
    assert_eq!(on_pending[0]["number"], json!("0x3"));

    // A transfer simulated on the head changes nothing of the chain.
    let transfer = json!([{
        "blockStateCalls": [{"calls": [{"from": DEV0, "to": ADDR, "value": "0x64"}]}],
        "traceTransfers": true
    }]);
    let sim = result_of(&m, "eth_simulateV1", transfer).await;
    let logs = &sim[0]["calls"][0]["logs"];
    assert_eq!(
        logs[0]["address"],
        json!("0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee")
    );
    assert_eq!(logs[0]["data"], json!(format!("0x{:064x}", 100)));
    assert_eq!(
        result_of(&m, "eth_getBalance", json!([ADDR, "latest"])).await,
        json!("0x3")
    );
    assert_eq!(
        result_of(&m, "eth_blockNumber", json!([])).await,
        json!("0x2")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chain_id_in_force_and_geths_error_codes() {
    let (_dev, m) = devnet(1);
    result_of(&m, "anvil_setChainId", json!(["0x1234"])).await;
    let sim = result_of(&m, "eth_simulateV1", probe_at("latest")).await;
    let ret = sim[0]["calls"][0]["returnData"]
        .as_str()
        .expect("return data");
    assert_eq!(word(ret, 4), 0x1234, "CHAINID after anvil_setChainId");

    // Validation: a nonce above the sender's is -38011, as the execution-apis tests expect of geth.
    let high = json!([{
        "blockStateCalls": [{"calls": [{"from": DEV0, "to": ADDR, "nonce": "0x5"}]}],
        "validation": true
    }]);
    let a = answer_of(&m, "eth_simulateV1", high).await;
    assert_eq!(a["error"]["code"], json!(-38011), "{a}");
    // Block numbers out of order: -38020; no blocks: -32602.
    let order = json!([{
        "blockStateCalls": [
            {"blockOverrides": {"number": "0x9"}},
            {"blockOverrides": {"number": "0x8"}}
        ]
    }]);
    let a = answer_of(&m, "eth_simulateV1", order).await;
    assert_eq!(a["error"]["code"], json!(-38020), "{a}");
    let a = answer_of(&m, "eth_simulateV1", json!([{"blockStateCalls": []}])).await;
    assert_eq!(a["error"]["code"], json!(-32602), "{a}");
    // A block the chain does not have.
    let a = answer_of(&m, "eth_simulateV1", probe_at("0x99")).await;
    assert_eq!(a["error"]["code"], json!(-32000), "{a}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_creation_answers_its_code_and_a_revert_its_data_as_geth() {
    let (_dev, m) = devnet(1);
    // Init code returning the one-byte runtime PUSH0; then code that reverts with the word 0x2a.
    let reverting = "0x00000000000000000000000000000000000000c1";
    let sim = result_of(
        &m,
        "eth_simulateV1",
        json!([{
            "blockStateCalls": [{
                "stateOverrides": {reverting: {"code": "0x602a60005260206000fd"}},
                "calls": [
                    {"from": DEV0, "data": "0x605f5f5360016000f3"},
                    {"from": DEV0, "to": reverting}
                ]
            }]
        }]),
    )
    .await;
    let calls = &sim[0]["calls"];
    assert_eq!(calls[0]["status"], json!("0x1"));
    assert_eq!(calls[0]["returnData"], json!("0x5f"), "the code it deploys");
    assert_eq!(calls[1]["status"], json!("0x0"));
    assert_eq!(
        calls[1]["returnData"],
        json!("0x"),
        "geth: no return data on failure"
    );
    assert_eq!(calls[1]["error"]["code"], json!(3));
    assert_eq!(
        calls[1]["error"]["data"],
        json!(format!("0x{:064x}", 0x2a)),
        "the revert data in the error"
    );
    assert_eq!(sim[0]["transactions"].as_array().map(Vec::len), Some(2));
}

/// Init code of a counter: each call adds one to slot 0, logs the new value under topic 0xaa and returns
/// it; it takes any value sent.
const COUNTER_INIT: &str = "0x6015600a5f3960155ff35f54600101805f55805f5260aa60205fa160205ff3";

/// A simulated block and the same transactions mined agree on every call: status, gas used and logs,
/// and on the block's gas used and logs bloom. Transactions drawn from a fixed seed: value transfers,
/// calls of a counter (which logs), value sent to it, from two senders.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_calls_equal_the_same_transactions_mined() {
    let (_dev, m) = devnet(1);
    let dev1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    let init = COUNTER_INIT.replace(' ', "");
    let created = result_of(
        &m,
        "eth_sendTransaction",
        json!([{"from": DEV0, "data": init}]),
    )
    .await;
    let r = result_of(&m, "eth_getTransactionReceipt", json!([created])).await;
    let counter = r["contractAddress"]
        .as_str()
        .expect("a creation")
        .to_owned();
    let mut seed = 0x5eed_u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        seed >> 33
    };
    let mut logs_seen = 0;
    for round in 0..4 {
        let calls: Vec<Value> = (0..8)
            .map(|_| {
                let from = if next() % 2 == 0 { DEV0 } else { dev1 };
                match next() % 3 {
                    0 => json!({"from": from, "to": ADDR, "value": hex(1 + next() % 1000)}),
                    1 => json!({"from": from, "to": counter}),
                    _ => json!({"from": from, "to": counter, "value": hex(next() % 5)}),
                }
            })
            .collect();
        let sim = result_of(
            &m,
            "eth_simulateV1",
            json!([{"blockStateCalls": [{"calls": calls}]}]),
        )
        .await;
        let block = &sim[0];
        result_of(&m, "evm_setAutomine", json!([false])).await;
        let mut hashes = Vec::new();
        for c in &calls {
            hashes.push(result_of(&m, "eth_sendTransaction", json!([c])).await);
        }
        result_of(&m, "evm_mine", json!([])).await;
        result_of(&m, "evm_setAutomine", json!([true])).await;
        let mined = result_of(&m, "eth_getBlockByNumber", json!(["latest", false])).await;
        assert_eq!(
            mined["transactions"].as_array().map(Vec::len),
            Some(8),
            "round {round}"
        );
        assert_eq!(block["gasUsed"], mined["gasUsed"], "round {round}");
        assert_eq!(block["logsBloom"], mined["logsBloom"], "round {round}");
        for (i, h) in hashes.iter().enumerate() {
            let r = result_of(&m, "eth_getTransactionReceipt", json!([h])).await;
            let c = &block["calls"][i];
            assert_eq!(c["status"], r["status"], "round {round} call {i}");
            assert_eq!(c["gasUsed"], r["gasUsed"], "round {round} call {i}");
            let strip = |logs: &Value| -> Vec<Value> {
                logs.as_array()
                    .map(|l| {
                        l.iter()
                            .map(|x| json!([x["address"], x["topics"], x["data"], x["logIndex"]]))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            assert_eq!(
                strip(&c["logs"]),
                strip(&r["logs"]),
                "round {round} call {i}"
            );
            assert_eq!(c["status"], json!("0x1"), "round {round} call {i}");
            logs_seen += strip(&r["logs"]).len();
        }
    }
    assert!(
        logs_seen >= 8,
        "the counter was called and logged: {logs_seen}"
    );
}
