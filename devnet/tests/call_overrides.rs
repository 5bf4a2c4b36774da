//! `eth_call`'s state and block overrides where the client suite cannot compare with anvil: what the
//! devnet refuses by name (moving a precompile, code over one, a beacon root, `state` beside `stateDiff`),
//! overrides at `pending` (on the state after the pending block), and a nonce left out of the request
//! taken from the overridden state.

mod common;

use alloy_primitives::Address;
use common::devnet;
use parevm_testkit::bad_params::{answer_of, result_of, ADDR, DEV0};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_cannot_be_overridden_is_refused_by_name() {
    let (_dev, m) = devnet(1);
    let ecrecover = "0x0000000000000000000000000000000000000001";
    let call = json!({"from": DEV0, "to": ADDR});
    let moved = json!([call, "latest", {ecrecover: {"movePrecompileToAddress": ADDR}}]);
    let a = answer_of(&m, "eth_call", moved).await;
    assert_eq!(a["error"]["code"], json!(-32000), "{a}");
    assert!(
        a["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("precompile"),
        "{a}"
    );
    let over = json!([call, "latest", {ecrecover: {"code": "0x00"}}]);
    let a = answer_of(&m, "eth_call", over).await;
    assert_eq!(a["error"]["code"], json!(-32000), "{a}");
    let not_one = json!([call, "latest", {ADDR: {"movePrecompileToAddress": DEV0}}]);
    let a = answer_of(&m, "eth_call", not_one).await;
    assert!(
        a["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("is not a precompile"),
        "{a}"
    );
    let beacon = json!([call, "latest", {}, {"beaconRoot": format!("0x{}", "00".repeat(32))}]);
    let a = answer_of(&m, "eth_call", beacon).await;
    assert_eq!(a["error"]["code"], json!(-32602), "{a}");
    let slot = format!("0x{}", "00".repeat(32));
    let both = json!([call, "latest", {ADDR: {"state": {slot.clone(): slot.clone()}, "stateDiff": {slot.clone(): slot}}}]);
    let a = answer_of(&m, "eth_call", both).await;
    assert!(
        a["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("both"),
        "{a}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overrides_at_pending_and_the_nonce_of_the_overridden_state() {
    let (_dev, m) = devnet(1);
    result_of(&m, "evm_setAutomine", json!([false])).await;
    result_of(
        &m,
        "eth_sendTransaction",
        json!([{"from": DEV0, "to": ADDR, "value": "0x5"}]),
    )
    .await;
    // BALANCE(ADDR) at pending sees the pooled transfer and the override's code runs.
    let code = "0x7300000000000000000000000000000000000000aa315f5260205ff3";
    let probe = "0x00000000000000000000000000000000000000c0";
    let at = |block: &str| json!([{"to": probe}, block, {probe: {"code": code}}]);
    let word = |n: u64| json!(format!("0x{n:064x}"));
    assert_eq!(result_of(&m, "eth_call", at("pending")).await, word(5));
    assert_eq!(result_of(&m, "eth_call", at("latest")).await, word(0));
    // A creation's address follows the nonce of the overridden state: init code that returns ADDRESS
    // as the code it deploys answers the address it got.
    let init = "0x305f5260205ff3";
    let dev0: Address = DEV0.parse().expect("an address");
    for nonce in [0u64, 7] {
        let o = json!({DEV0: {"nonce": format!("{nonce:#x}")}});
        let code = result_of(
            &m,
            "eth_call",
            json!([{"from": DEV0, "data": init}, "latest", o]),
        )
        .await;
        let expected = format!(
            "0x{:0>64}",
            alloy_primitives::hex::encode(dev0.create(nonce))
        );
        assert_eq!(code, json!(expected), "nonce {nonce}");
    }
}
