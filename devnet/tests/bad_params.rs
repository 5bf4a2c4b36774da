//! Every method `parevm dev` answers, called with wrong and extreme parameters: absent, `null`, wrong
//! types, malformed hex, numbers at and past 2^64 and 2^256, block tags, objects with extreme gas, value,
//! fee and range fields. Each call must come back as a JSON-RPC answer (a result, or an error with a code
//! and a message) within the time limit, and nothing may panic, on the server's async threads or on its
//! blocking ones. The calls change the chain as they go (balances, code, clocks, gas limits, snapshots,
//! resets), so later calls also meet a devnet left in odd states. Afterwards the devnet still mines and
//! answers.

mod common;

use common::devnet;
use parevm_testkit::bad_params::{
    ask, in_flight, mines_many, panics, param_sets, record_panics, request, result_of, well_formed,
    ADDR, DEV0,
};
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_method_answers_bad_parameters_without_a_panic() {
    record_panics();
    let (_dev, module) = devnet(2);
    let mut methods: Vec<&str> = module.method_names().collect();
    methods.sort_unstable();
    let sets = param_sets();
    let (mut calls, mut errors, mut skipped) = (0usize, 0usize, 0usize);
    let mut malformed = Vec::new();
    // Two rounds, so that what a method late in the order leaves (a clock at 2^64 - 1, a gas limit of 0)
    // meets the methods early in the order too.
    let rounds = 2;
    for (round, method) in std::iter::repeat_n(&methods, rounds).flatten().enumerate() {
        for (i, params) in sets.iter().enumerate() {
            // Left out: mining counts above 16 (`mines_many` says why).
            if mines_many(method, params.as_ref()) {
                skipped += 1;
                continue;
            }
            let text = request(method, round * 1000 + i, params.as_ref());
            calls += 1;
            match ask(&module, &text).await {
                Ok(error) => errors += usize::from(error),
                Err(why) => malformed.push(why),
            }
        }
    }
    let panics = panics();
    eprintln!(
        "{rounds} rounds of {} methods x {} parameter lists: {calls} calls ({errors} answered with an error), \
         {skipped} left out, {} malformed answers, {} panics",
        methods.len(),
        sets.len(),
        malformed.len(),
        panics.len()
    );
    assert!(panics.is_empty(), "panics:\n{}", panics.join("\n"));
    assert!(
        malformed.is_empty(),
        "malformed answers:\n{}",
        malformed.join("\n")
    );
    // Every method was called with every list in every round but the left-out mining counts.
    assert_eq!(calls + skipped, rounds * methods.len() * sets.len());
    assert!(methods.len() >= 100, "{} methods", methods.len());
    // The devnet still works: a fresh start (the sweep reset it, changed its clock and limits) mines and
    // answers.
    result_of(&module, "anvil_reset", json!([])).await;
    result_of(&module, "evm_mine", json!([])).await;
    assert_eq!(
        result_of(&module, "eth_blockNumber", json!([])).await,
        "0x1"
    );
}

/// One call through the module; the answer as JSON (which must be well formed).
async fn call(
    module: &jsonrpsee::RpcModule<parevm_rpc::RpcContext>,
    method: &str,
    params: Value,
) -> Value {
    let text = request(method, 1, Some(&params));
    in_flight(&text);
    let (raw, _) =
        tokio::time::timeout(Duration::from_secs(60), module.raw_json_request(&text, 16))
            .await
            .unwrap_or_else(|_| panic!("{text}: no answer within 60 s"))
            .unwrap_or_else(|e| panic!("{text}: {e}"));
    let v: Value = serde_json::from_str(raw.get()).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert!(well_formed(&v), "{text}: answered {v}");
    v
}

/// A devnet pushed to the edges anvil allows (a clock at 2^64 - 1, balances at 2^256 - 1, a nonce at
/// 2^64 - 1, a base fee of 2^64 - 1, a gas limit of 0, a coinbase that cannot take another wei) is then
/// asked to mine and to take transactions: every answer is a result or an error, nothing panics, and a
/// reset brings back a devnet that mines. (Where a credit passes 2^256 - 1 the balance wraps, unlike
/// anvil's; `docs/rpc.md` lists it. This test pins no balance.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_devnet_at_its_edges_answers_and_recovers() {
    record_panics();
    let (_dev, m) = devnet(2);
    let max64 = "0xffffffffffffffff";
    let max256 = format!("0x{}", "f".repeat(64));
    let dev1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    let send =
        |from: &str, to: &str, value: &str| json!([{"from": from, "to": to, "value": value}]);
    let mut answers = Vec::new();
    // Balances at the top: a payment to, and fees to a coinbase at, 2^256 - 1.
    answers.push(call(&m, "anvil_setBalance", json!([ADDR, max256])).await);
    answers.push(call(&m, "eth_sendTransaction", send(DEV0, ADDR, "0x1")).await);
    answers.push(call(&m, "anvil_setCoinbase", json!([ADDR])).await);
    answers.push(call(&m, "eth_sendTransaction", send(DEV0, dev1, "0x1")).await);
    answers.push(call(&m, "anvil_setBalance", json!([DEV0, max256])).await);
    answers.push(call(&m, "eth_sendTransaction", send(DEV0, dev1, &max256)).await);
    answers.push(call(&m, "eth_estimateGas", send(DEV0, ADDR, "0x1")).await);
    answers.push(
        call(
            &m,
            "eth_call",
            json!([{"from": ADDR, "to": DEV0, "value": max256}, "latest"]),
        )
        .await,
    );
    // A nonce at the top.
    answers.push(call(&m, "anvil_setNonce", json!([dev1, max64])).await);
    let at_max = call(&m, "eth_sendTransaction", send(dev1, DEV0, "0x1")).await;
    assert_eq!(
        at_max["error"]["message"], "nonce has max value",
        "{at_max}"
    );
    answers.push(at_max);
    // Fees and limits at the edges.
    answers.push(call(&m, "anvil_setNextBlockBaseFeePerGas", json!([max64])).await);
    answers.push(call(&m, "eth_sendTransaction", send(DEV0, dev1, "0x1")).await);
    answers.push(call(&m, "evm_mine", json!([])).await);
    answers.push(call(&m, "eth_feeHistory", json!([max64, "latest", [0, 50, 100]])).await);
    answers.push(call(&m, "eth_gasPrice", json!([])).await);
    answers.push(call(&m, "anvil_setBlockGasLimit", json!(["0x0"])).await);
    answers.push(call(&m, "eth_sendTransaction", send(DEV0, dev1, "0x1")).await);
    answers.push(call(&m, "evm_mine", json!([])).await);
    answers.push(call(&m, "anvil_setBlockGasLimit", json!([max64])).await);
    answers.push(
        call(
            &m,
            "eth_sendTransaction",
            json!([{"from": DEV0, "to": dev1, "gas": max64}]),
        )
        .await,
    );
    answers.push(call(&m, "evm_mine", json!([])).await);
    // The clock at the top.
    answers.push(call(&m, "evm_increaseTime", json!([max64])).await);
    answers.push(call(&m, "evm_increaseTime", json!([max64])).await);
    answers.push(call(&m, "evm_mine", json!([])).await);
    answers.push(call(&m, "evm_setNextBlockTimestamp", json!([max64])).await);
    answers.push(call(&m, "evm_mine", json!([])).await);
    answers.push(call(&m, "evm_mine", json!([])).await);
    answers.push(call(&m, "anvil_mine", json!(["0x2", max64])).await);
    answers.push(call(&m, "evm_mine", json!([max64])).await);
    answers.push(call(&m, "eth_sendTransaction", send(DEV0, dev1, "0x1")).await);
    answers.push(call(&m, "eth_getBlockByNumber", json!(["latest", true])).await);
    // Snapshots of the odd state, and back.
    let snap = call(&m, "evm_snapshot", json!([])).await;
    answers.push(call(&m, "evm_revert", json!([snap["result"].clone()])).await);
    answers.push(call(&m, "anvil_dumpState", json!([])).await);
    let panics = panics();
    assert!(panics.is_empty(), "panics:\n{}", panics.join("\n"));
    let errors = answers.iter().filter(|a| a.get("error").is_some()).count();
    eprintln!(
        "{} calls at the edges, {errors} answered with an error",
        answers.len()
    );
    // A reset gives back a devnet that mines and takes a transfer.
    call(&m, "anvil_reset", json!([])).await;
    let sent = call(&m, "eth_sendTransaction", send(DEV0, dev1, "0x1")).await;
    assert!(sent.get("result").is_some(), "{sent}");
    let n = call(&m, "eth_blockNumber", json!([])).await;
    assert_eq!(n["result"], "0x1");
}
