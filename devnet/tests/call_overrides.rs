//! `eth_call`'s state and block overrides where the client suite cannot compare with anvil: precompiles
//! moved (`movePrecompileToAddress`) and replaced by code, what the devnet refuses by name (moving an
//! account that is not a precompile or onto an overridden one, a beacon root, `state` beside `stateDiff`),
//! overrides at `pending` (on the state after the pending block), and a nonce left out of the request
//! taken from the overridden state.

mod common;

use alloy_primitives::Address;
use common::devnet;
use parevm_testkit::bad_params::{answer_of, result_of, ADDR, DEV0};
use serde_json::json;

/// An `ecrecover` input (hash, v, r, s) whose signer is known: the execution-apis tests' own.
const RECOVER_INPUT: &str = "0x1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8000000000000000000000000000000000000000000000000000000000000001cb7cf302145348387b9e69fde82d8e634a0f8761e78da3bfa059efced97cbed0d2a66b69167cafe0ccfc726aec6ee393fea3cf0e4f3f9c394705e0f56d9bfe1c9";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn precompiles_move_and_give_way_to_code() {
    let (_dev, m) = devnet(1);
    let ecrecover = "0x0000000000000000000000000000000000000001";
    let direct = json!([{"from": DEV0, "to": ecrecover, "input": RECOVER_INPUT}, "latest"]);
    let signer = result_of(&m, "eth_call", direct).await;
    assert_eq!(
        signer,
        json!("0x000000000000000000000000b11cad98ad3f8114e0b3a1f6e7228bc8424df48a")
    );
    // Moved: it answers at its new address, and its old one is an account without code.
    let moved = json!({ecrecover: {"movePrecompileToAddress": ADDR}});
    let at_new =
        json!([{"from": DEV0, "to": ADDR, "input": RECOVER_INPUT}, "latest", moved.clone()]);
    assert_eq!(result_of(&m, "eth_call", at_new).await, signer);
    let at_old = json!([{"from": DEV0, "to": ecrecover, "input": RECOVER_INPUT}, "latest", moved]);
    assert_eq!(result_of(&m, "eth_call", at_old).await, json!("0x"));
    // Code over a precompile runs instead of it (PUSH1 42, MSTORE at 0, RETURN one word).
    let code = json!({ecrecover: {"code": "0x602a60005260206000f3"}});
    let over = json!([{"from": DEV0, "to": ecrecover, "input": RECOVER_INPUT}, "latest", code]);
    assert_eq!(
        result_of(&m, "eth_call", over).await,
        json!(format!("0x{:064x}", 42))
    );
    // Nothing is kept: the next call without overrides recovers at 0x01 again.
    let direct = json!([{"from": DEV0, "to": ecrecover, "input": RECOVER_INPUT}, "latest"]);
    assert_eq!(result_of(&m, "eth_call", direct).await, signer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_cannot_be_overridden_is_refused_by_name() {
    let (_dev, m) = devnet(1);
    let call = json!({"from": DEV0, "to": ADDR});
    let not_one = json!([call, "latest", {ADDR: {"movePrecompileToAddress": DEV0}}]);
    let a = answer_of(&m, "eth_call", not_one).await;
    assert_eq!(a["error"]["code"], json!(-32000), "{a}");
    assert!(
        a["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("is not a precompile"),
        "{a}"
    );
    let ecrecover = "0x0000000000000000000000000000000000000001";
    let onto_overridden = json!([call, "latest", {ecrecover: {"movePrecompileToAddress": DEV0}, DEV0: {"balance": "0x1"}}]);
    let a = answer_of(&m, "eth_call", onto_overridden).await;
    assert!(
        a["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("is already overridden"),
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
