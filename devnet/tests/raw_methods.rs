//! The raw-data and whole-account methods where the client suite cannot compare with anvil: a header's RLP
//! hashes to the block hash (`debug_getRawHeader`, which anvil lacks), a pooled transaction's bytes, proofs'
//! latest-only rule for `eth_getAccount`, `eth_sendRawTransactionSync` timing out without a block, and the
//! dev signer after `anvil_setChainId` (anvil's keeps the old id), the pending block and state left
//! unmined, and a creation's `eth_call` answering the code it would deploy.

mod common;

use alloy_primitives::{keccak256, Bytes, B256};
use common::devnet;
use parevm_testkit::bad_params::{error_of, result_of, ADDR, DEV0};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_headers_pooled_bytes_and_the_sync_send_timeout() {
    let (_dev, m) = devnet(1);
    result_of(&m, "evm_mine", json!([])).await;
    let block = result_of(&m, "eth_getBlockByNumber", json!(["0x1", false])).await;
    let raw: Bytes =
        serde_json::from_value(result_of(&m, "debug_getRawHeader", json!(["0x1"])).await).unwrap();
    assert_eq!(json!(keccak256(&raw)), block["hash"]);
    assert_eq!(
        result_of(&m, "debug_getRawHeader", json!(["0x99"])).await,
        json!(null)
    );

    // eth_getAccount answers for the head only, as eth_getProof.
    let e = error_of(&m, "eth_getAccount", json!([DEV0, "0x0"])).await;
    assert_eq!(e, "eth_getAccount is served for the latest block only");

    // With automine off, a pooled transaction's bytes are served, and a synchronous send times out
    // naming its hash (the transaction stays in the pool).
    result_of(&m, "evm_setAutomine", json!([false])).await;
    let hash = result_of(
        &m,
        "eth_sendTransaction",
        json!([{"from": DEV0, "to": ADDR, "value": "0x1"}]),
    )
    .await;
    let raw = result_of(&m, "debug_getRawTransaction", json!([hash])).await;
    assert!(raw.as_str().is_some_and(|r| r.starts_with("0x02")), "{raw}");
    let signed = result_of(
        &m,
        "eth_signTransaction",
        json!([{"from": DEV0, "to": ADDR, "value": "0x2", "nonce": "0x1", "gas": "0x5208"}]),
    )
    .await;
    let e = error_of(&m, "eth_sendRawTransactionSync", json!([signed, "0x32"])).await;
    assert!(
        e.ends_with("was added to the pool but not mined within 50 ms"),
        "{e}"
    );
    let mined = result_of(&m, "evm_mine_detailed", json!([])).await;
    assert_eq!(mined[0]["transactions"].as_array().map(Vec::len), Some(2));
}

/// A sender's transaction by nonce among many blocks (the binary search over kept states), and the scan
/// when the states are no longer kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_by_sender_and_nonce_across_blocks() {
    let (_dev, m) = devnet(1);
    let mut hashes = Vec::new();
    for _ in 0..5 {
        let h = result_of(
            &m,
            "eth_sendTransaction",
            json!([{"from": DEV0, "to": ADDR, "value": "0x1"}]),
        )
        .await;
        hashes.push(h);
        result_of(&m, "anvil_mine", json!(["0x3"])).await;
    }
    for (n, h) in hashes.iter().enumerate() {
        let tx = result_of(
            &m,
            "eth_getTransactionBySenderAndNonce",
            json!([DEV0, format!("0x{n:x}")]),
        )
        .await;
        assert_eq!(&tx["hash"], h, "nonce {n}");
    }
    let none = result_of(
        &m,
        "eth_getTransactionBySenderAndNonce",
        json!([DEV0, "0x9"]),
    )
    .await;
    assert_eq!(none, json!(null));
    // With the nonce lowered by hand the fast path does not apply; the scan still finds the transaction.
    result_of(&m, "anvil_setNonce", json!([DEV0, "0x0"])).await;
    let tx = result_of(
        &m,
        "eth_getTransactionBySenderAndNonce",
        json!([DEV0, "0x3"]),
    )
    .await;
    assert_eq!(tx["hash"], hashes[3]);
}

/// After `anvil_setChainId` the dev accounts sign for the new id (anvil 1.7.1 keeps signing for the old one
/// and refuses its own sends): the transaction is mined carrying the new id, a hex id is taken too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dev_signer_follows_set_chain_id() {
    let (_dev, m) = devnet(1);
    assert_eq!(
        result_of(&m, "anvil_setChainId", json!(["0x539"])).await,
        json!(null)
    );
    assert_eq!(
        result_of(&m, "eth_chainId", json!([])).await,
        json!("0x539")
    );
    let hash = result_of(
        &m,
        "eth_sendTransaction",
        json!([{"from": DEV0, "to": ADDR, "value": "0x1"}]),
    )
    .await;
    let tx = result_of(&m, "eth_getTransactionByHash", json!([hash])).await;
    assert_eq!(tx["chainId"], json!("0x539"));
    assert_eq!(tx["blockNumber"], json!("0x1"));
    let e = error_of(&m, "anvil_setChainId", json!(["chain"])).await;
    assert!(!e.is_empty());
}

/// `pending` is the block mining would make now: head + 1 with the pooled transaction, its state root
/// zero (not computed), and nothing changes until a block is mined.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pending_block_is_built_and_dropped() {
    let (_dev, m) = devnet(1);
    result_of(&m, "evm_setAutomine", json!([false])).await;
    let hash = result_of(
        &m,
        "eth_sendTransaction",
        json!([{"from": DEV0, "to": ADDR, "value": "0x5"}]),
    )
    .await;
    for _ in 0..2 {
        let pending = result_of(&m, "eth_getBlockByNumber", json!(["pending", false])).await;
        assert_eq!(pending["number"], json!("0x1"));
        assert_eq!(pending["transactions"], json!([hash]));
        assert_eq!(pending["gasUsed"], json!("0x5208"));
        assert_eq!(pending["stateRoot"], json!(B256::ZERO));
        assert_eq!(
            result_of(&m, "eth_getBalance", json!([ADDR, "latest"])).await,
            json!("0x0")
        );
        assert_eq!(
            result_of(&m, "eth_blockNumber", json!([])).await,
            json!("0x0")
        );
        // State at `pending` is after the pooled transfer.
        assert_eq!(
            result_of(&m, "eth_getBalance", json!([ADDR, "pending"])).await,
            json!("0x5")
        );
    }
    // A creation's eth_call answers the code it would deploy (init code returning PUSH0), as geth does.
    assert_eq!(
        result_of(
            &m,
            "eth_call",
            json!([{"from": DEV0, "data": "0x605f5f5360016000f3"}, "pending"])
        )
        .await,
        json!("0x5f")
    );
    result_of(&m, "evm_mine", json!([])).await;
    let mined = result_of(&m, "eth_getBlockByNumber", json!(["latest", false])).await;
    assert_eq!(mined["transactions"], json!([hash]));
    assert_ne!(mined["stateRoot"], json!(B256::ZERO));
    let pending = result_of(&m, "eth_getBlockByNumber", json!(["pending", true])).await;
    assert_eq!(pending["number"], json!("0x2"));
    assert_eq!(pending["transactions"], json!([]));
}
