//! `eth_call`, `eth_estimateGas` and `eth_createAccessList` on an OP chain (Isthmus, with an L1 fee and an
//! operator fee in force), as op-reth answers them: a call carries no EIP-2718 envelope, so it pays
//! neither the L1 data fee nor the operator fee; the sender's balance must still cover gas × price +
//! value, and the gas estimate is capped by that alone.

mod common;

use alloy_primitives::{Address, U256};
use common::*;
use parevm_evm_core::StateView;
use serde_json::json;

fn hexu(v: &serde_json::Value) -> U256 {
    U256::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn op_calls_pay_no_l1_or_operator_fee() {
    let dir = tempfile::tempdir().unwrap();
    let n = start(dir.path(), None, 1).await;
    let a = n.server.addr;
    let to = Address::repeat_byte(0x77);
    let state = n.node.store().state_at(0).unwrap();
    let balance = state.balance(funded()).unwrap();
    // The chain does charge signed transactions an L1 fee and an operator fee.
    let fork = n.node.fork_at(0);
    let inputs = parevm_op_stack_adapter::l1_fee_inputs(fork, &state).unwrap();
    assert!(inputs.operator_fee(fork, 21_000) > U256::ZERO);

    // All of the balance but gas × price: affordable only without the L1 and operator fee.
    let price = U256::from(1_000_000_000u64);
    let value = balance - U256::from(21_000u64) * price;
    let req =
        json!({"from": funded(), "to": to, "gas": "0x5208", "gasPrice": price, "value": value});
    assert_eq!(
        result(a, "eth_call", json!([req, "latest"])).await,
        json!("0x")
    );
    let no_gas = json!({"from": funded(), "to": to, "gasPrice": price, "value": value});
    assert_eq!(
        hexu(&result(a, "eth_estimateGas", json!([no_gas, "latest"])).await),
        U256::from(21_000)
    );
    // One wei more and gas × price + value is over the balance.
    let over = json!({"from": funded(), "to": to, "gas": "0x5208", "gasPrice": price, "value": value + U256::from(1)});
    let v = call(a, "eth_call", json!([over, "latest"])).await;
    let message = v["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("insufficient funds"), "{v}");
    let over_estimate =
        json!({"from": funded(), "to": to, "gasPrice": price, "value": value + U256::from(1)});
    let v = call(a, "eth_estimateGas", json!([over_estimate, "latest"])).await;
    assert!(v.get("error").is_some(), "{v}");

    // A reverting call: code 3 with the revert data (PUSH1 0 PUSH1 0 REVERT as init code).
    let revert = json!({"from": funded(), "input": "0x60006000fd"});
    let v = call(a, "eth_call", json!([revert, "latest"])).await;
    assert_eq!(error_code(&v), 3, "{v}");
    // An access list run (the zero-fee call touches no account besides sender and target).
    let list = result(
        a,
        "eth_createAccessList",
        json!([{"from": funded(), "to": to, "value": "0x1"}, "latest"]),
    )
    .await;
    assert_eq!(list["accessList"], json!([]));
    assert_eq!(hexu(&list["gasUsed"]), U256::from(21_000));

    // eth_simulateV1 is Ethereum mode's only: OP mode says so.
    let v = call(
        a,
        "eth_simulateV1",
        json!([{"blockStateCalls": []}, "latest"]),
    )
    .await;
    assert_eq!(error_code(&v), -32601, "{v}");
    let message = v["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("not supported in OP mode"), "{v}");
}

/// State and block overrides in `eth_call` and `eth_estimateGas`, as op-reth takes them: code and a
/// balance laid over the stored state, the block number and a block hash changed, nothing kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_take_state_and_block_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let n = start(dir.path(), None, 1).await;
    let a = n.server.addr;
    let probe = Address::repeat_byte(0xc0);
    let poor = Address::repeat_byte(0xd0);
    // NUMBER, BLOCKHASH(NUMBER - 1) and BALANCE(poor) as three words.
    let code = format!(
        "0x435f52600143034060205273{}3160405260605ff3",
        alloy_primitives::hex::encode(poor)
    );
    let hash = format!("0x{}", "ab".repeat(32));
    let word = |n: u64| format!("{n:064x}");
    let out = result(
        a,
        "eth_call",
        json!([
            {"to": probe}, "latest",
            {probe.to_string(): {"code": code}, poor.to_string(): {"balance": "0x2a"}},
            {"number": "0x64", "blockHash": {"99": hash}}
        ]),
    )
    .await;
    let expected = format!("0x{}{}{}", word(0x64), "ab".repeat(32), word(0x2a));
    assert_eq!(out, json!(expected));
    // A transfer only the overridden balance pays for: estimated, and refused without the override.
    let send = json!({"from": poor, "to": probe, "value": "0x10"});
    let gas = result(
        a,
        "eth_estimateGas",
        json!([send, "latest", {poor.to_string(): {"balance": "0xde0b6b3a7640000"}}]),
    )
    .await;
    assert_eq!(hexu(&gas), U256::from(21_000));
    let v = call(a, "eth_estimateGas", json!([send, "latest"])).await;
    assert!(v.get("error").is_some(), "{v}");
    // Nothing kept.
    let state = n.node.store().state_at(0).unwrap();
    assert_eq!(state.balance(poor).unwrap(), U256::ZERO);
    // A precompile moved onto the probe answers there (the identity precompile echoes its input), and
    // moving an account that is not a precompile is refused by name.
    let identity = Address::with_last_byte(4);
    let echoed = result(
        a,
        "eth_call",
        json!([{"to": probe, "input": "0xabcdef"}, "latest", {identity.to_string(): {"movePrecompileToAddress": probe}}]),
    )
    .await;
    assert_eq!(echoed, json!("0xabcdef"));
    let v = call(
        a,
        "eth_call",
        json!([{"to": probe}, "latest", {probe.to_string(): {"movePrecompileToAddress": identity}}]),
    )
    .await;
    let message = v["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("is not a precompile"), "{v}");
}
