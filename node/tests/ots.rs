//! The Otterscan namespace of `parevm node` (OP mode; the methods are the same in Ethereum mode): two
//! blocks built through the Engine API create a reverting contract and a relay that forwards its call
//! value, then call both and send a plain transfer. Every answer is checked against what the node's
//! own eth methods say of the same blocks (hashes, senders, receipts, timestamps) and against the
//! contracts' known behaviour (the revert data, the relayed transfer).

mod common;

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use common::*;
use op_alloy_consensus::OpTxEnvelope;
use serde_json::{json, Value};
use std::net::SocketAddr;

/// Where the relay forwards its call value.
const SINK: Address = Address::repeat_byte(0x77);

/// A signed EIP-1559 transaction from the funded key.
fn tx(nonce: u64, to: TxKind, value: u64, input: Vec<u8>) -> Bytes {
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 200_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to,
        value: U256::from(value),
        access_list: Default::default(),
        input: input.into(),
    };
    let signer = PrivateKeySigner::from_bytes(&KEY).unwrap();
    let sig = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    Bytes::from(OpTxEnvelope::Eip1559(tx.into_signed(sig)).encoded_2718())
}

/// Init code that deploys `runtime` (at most 255 bytes).
fn deploy(runtime: &[u8]) -> Vec<u8> {
    let n = runtime.len() as u8;
    // PUSH1 n PUSH1 12 PUSH1 0 CODECOPY PUSH1 n PUSH1 0 RETURN, then the runtime.
    let mut code = vec![0x60, n, 0x60, 12, 0x60, 0, 0x39, 0x60, n, 0x60, 0, 0xf3];
    code.extend_from_slice(runtime);
    code
}

/// Reverts with the two bytes `0xdead`.
fn reverter() -> Vec<u8> {
    // PUSH2 0xdead PUSH1 0 MSTORE PUSH1 2 PUSH1 30 REVERT
    vec![0x61, 0xde, 0xad, 0x60, 0, 0x52, 0x60, 2, 0x60, 30, 0xfd]
}

/// Sends its call value on to `SINK`.
fn relay() -> Vec<u8> {
    // PUSH1 0 (x4) CALLVALUE PUSH20 SINK GAS CALL STOP
    let mut code = vec![0x60, 0, 0x60, 0, 0x60, 0, 0x60, 0, 0x34, 0x73];
    code.extend_from_slice(SINK.as_slice());
    code.extend_from_slice(&[0x5a, 0xf1, 0x00]);
    code
}

fn u256(v: &Value) -> U256 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a quantity: {v}"));
    U256::from_str_radix(s.trim_start_matches("0x"), 16).unwrap()
}

fn hashes(v: &Value) -> Vec<Value> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| t["hash"].clone())
        .collect()
}

async fn block(a: SocketAddr, n: u64) -> Value {
    result(a, "eth_getBlockByNumber", json!([format!("{n:#x}"), true])).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otterscan_answers_from_the_stored_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let n = start(dir.path(), None, 1).await;
    let a = n.server.addr;
    let me = funded();
    let genesis: B256 = serde_json::from_value(block(a, 0).await["hash"].clone()).unwrap();
    let reverter_at = me.create(0);
    let relay_at = me.create(1);
    let mut attrs = attributes(2, &[], 1);
    attrs["transactions"] = json!([
        l1_info_deposit(1),
        tx(0, TxKind::Create, 0, deploy(&reverter())),
        tx(1, TxKind::Create, 0, deploy(&relay())),
    ]);
    let b1 = advance(a, genesis, attrs).await;
    let mut attrs = attributes(4, &[], 2);
    attrs["transactions"] = json!([
        l1_info_deposit(2),
        tx(
            2,
            TxKind::Call(reverter_at),
            0,
            vec![0x12, 0x34, 0x56, 0x78, 0x9a]
        ),
        tx(3, TxKind::Call(relay_at), 1_000, Vec::new()),
        transfer(4, Address::repeat_byte(0xcc), 5),
    ]);
    advance(a, b1, attrs).await;
    let one = block(a, 1).await;
    let two = block(a, 2).await;
    let created = hashes(&one["transactions"]);
    let called = hashes(&two["transactions"]);
    let (create_reverter, create_relay) = (&created[1], &created[2]);
    let (reverted, relayed, transferred) = (&called[1], &called[2], &called[3]);

    assert_eq!(result(a, "ots_getApiLevel", json!([])).await, json!(8));
    assert_eq!(
        result(a, "erigon_getHeaderByNumber", json!([2])).await["hash"],
        two["hash"]
    );

    // Code, and who created it.
    for (at, tag, has) in [
        (reverter_at, json!("0x0"), false),
        (reverter_at, json!("0x1"), true),
        (relay_at, json!("latest"), true),
        (me, json!("latest"), false),
    ] {
        let got = result(a, "ots_hasCode", json!([at, tag])).await;
        assert_eq!(got, json!(has), "{at} at {tag}");
    }
    for (at, hash) in [(reverter_at, create_reverter), (relay_at, create_relay)] {
        let got = result(a, "ots_getContractCreator", json!([at])).await;
        assert_eq!(got, json!({"hash": hash, "creator": me}), "{at}");
    }
    let none = result(a, "ots_getContractCreator", json!([me])).await;
    assert_eq!(none, Value::Null);
    // A predeploy's code is in genesis: no block created it.
    assert_eq!(
        result(a, "ots_hasCode", json!([L1_BLOCK, "0x0"])).await,
        json!(true)
    );
    let predeploy = result(a, "ots_getContractCreator", json!([L1_BLOCK])).await;
    assert_eq!(predeploy, Value::Null);

    // Revert data, internal transfers and the call list.
    let err = result(a, "ots_getTransactionError", json!([reverted])).await;
    assert_eq!(err, json!("0xdead"));
    let ok = result(a, "ots_getTransactionError", json!([relayed])).await;
    assert_eq!(ok, Value::Null, "not reverted");
    let unknown = result(a, "ots_getTransactionError", json!([B256::repeat_byte(9)])).await;
    assert_eq!(unknown, Value::Null);
    // The transaction's own value counts, as reth's transfer inspector counts it.
    let ops = result(a, "ots_getInternalOperations", json!([relayed])).await;
    assert_eq!(
        ops,
        json!([
            {"type": 0, "from": me, "to": relay_at, "value": "0x3e8"},
            {"type": 0, "from": relay_at, "to": SINK, "value": "0x3e8"}
        ])
    );
    let unknown = B256::repeat_byte(9);
    let none = result(a, "ots_getInternalOperations", json!([unknown])).await;
    assert_eq!(none, json!([]));
    let none = result(a, "ots_traceTransaction", json!([unknown])).await;
    assert_eq!(none, Value::Null);
    let plain = result(a, "ots_getInternalOperations", json!([transferred])).await;
    assert_eq!(
        plain,
        json!([{"type": 0, "from": me, "to": Address::repeat_byte(0xcc), "value": "0x5"}])
    );
    let creation = result(a, "ots_traceTransaction", json!([create_relay])).await;
    assert_eq!(creation.as_array().unwrap().len(), 1, "{creation}");
    assert_eq!(creation[0]["type"], "CREATE");
    assert_eq!(creation[0]["to"], json!(relay_at));
    assert_eq!(creation[0]["depth"], 0);
    let calls = result(a, "ots_traceTransaction", json!([relayed])).await;
    let calls = calls.as_array().unwrap();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0]["type"], "CALL");
    assert_eq!(calls[0]["depth"], 0);
    assert_eq!(calls[0]["from"], json!(me));
    assert_eq!(calls[0]["to"], json!(relay_at));
    assert_eq!(u256(&calls[0]["value"]), U256::from(1_000));
    assert_eq!(calls[1]["depth"], 1);
    assert_eq!(calls[1]["from"], json!(relay_at));
    assert_eq!(calls[1]["to"], json!(SINK));
    assert_eq!(u256(&calls[1]["value"]), U256::from(1_000));

    // Block details: no transactions, their count, the fees the receipts paid.
    let receipts = result(a, "eth_getBlockReceipts", json!(["0x2"])).await;
    let receipts = receipts.as_array().unwrap();
    let fees = receipts.iter().fold(U256::ZERO, |sum, r| {
        sum + u256(&r["gasUsed"]) * u256(&r["effectiveGasPrice"])
    });
    assert!(fees > U256::ZERO);
    let details = result(a, "ots_getBlockDetails", json!([2])).await;
    assert_eq!(details["block"]["hash"], two["hash"]);
    assert_eq!(details["block"]["transactionCount"], json!(4));
    assert!(details["block"].get("transactions").is_none(), "{details}");
    assert_eq!(u256(&details["totalFees"]), fees);
    let by_hash = result(a, "ots_getBlockDetailsByHash", json!([two["hash"]])).await;
    assert_eq!(by_hash, details);

    // Pages counted from the block's end: page 0 of 2 holds the relayed call and the transfer, page 1
    // the deposit and the reverted call; inputs cut to the selector, receipts with the timestamp.
    let page = result(a, "ots_getBlockTransactions", json!([2, 0, 2])).await;
    let full = &page["fullblock"];
    assert_eq!(full["hash"], two["hash"]);
    assert_eq!(full["transactionCount"], json!(4));
    assert_eq!(
        hashes(&full["transactions"]),
        vec![relayed.clone(), transferred.clone()]
    );
    let paged = page["receipts"].as_array().unwrap();
    assert_eq!(paged.len(), 2);
    for (r, stored) in paged.iter().zip(&receipts[2..]) {
        assert_eq!(r["transactionHash"], stored["transactionHash"]);
        assert_eq!(r["gasUsed"], stored["gasUsed"]);
        assert_eq!(r["status"], stored["status"]);
        assert_eq!(r["timestamp"], two["timestamp"]);
        assert_eq!(r["logs"], Value::Null);
    }
    let earlier = result(a, "ots_getBlockTransactions", json!([2, 1, 2])).await;
    assert_eq!(
        hashes(&earlier["fullblock"]["transactions"]),
        vec![called[0].clone(), reverted.clone()]
    );
    assert_eq!(
        earlier["fullblock"]["transactions"][1]["input"],
        "0x12345678"
    );
    assert_eq!(earlier["receipts"][1]["status"], "0x0");
    let past = result(a, "ots_getBlockTransactions", json!([2, 2, 2])).await;
    assert_eq!(past["fullblock"]["transactions"], json!([]));

    // An address's history, newest first, whole blocks per page.
    let mine = vec![
        transferred.clone(),
        relayed.clone(),
        reverted.clone(),
        create_relay.clone(),
        create_reverter.clone(),
    ];
    let all = result(a, "ots_searchTransactionsBefore", json!([me, 0, 10])).await;
    assert_eq!(hashes(&all["txs"]), mine);
    assert_eq!(
        (&all["firstPage"], &all["lastPage"]),
        (&json!(true), &json!(true))
    );
    assert_eq!(all["receipts"][0]["timestamp"], two["timestamp"]);
    let newest = result(a, "ots_searchTransactionsBefore", json!([me, 0, 1])).await;
    assert_eq!(hashes(&newest["txs"]), mine[..3].to_vec());
    assert_eq!(newest["lastPage"], json!(false));
    let older = result(a, "ots_searchTransactionsBefore", json!([me, 2, 10])).await;
    assert_eq!(hashes(&older["txs"]), mine[3..].to_vec());
    let after = result(a, "ots_searchTransactionsAfter", json!([me, 0, 10])).await;
    assert_eq!(hashes(&after["txs"]), mine);
    let later = result(a, "ots_searchTransactionsAfter", json!([me, 1, 10])).await;
    assert_eq!(hashes(&later["txs"]), mine[..3].to_vec());
    let sink = result(a, "ots_searchTransactionsBefore", json!([SINK, 0, 10])).await;
    assert_eq!(
        hashes(&sink["txs"]),
        vec![relayed.clone()],
        "reached by the relay"
    );

    // By sender and nonce.
    for (nonce, expected) in [(0, create_reverter), (3, relayed), (4, transferred)] {
        let got = result(a, "ots_getTransactionBySenderAndNonce", json!([me, nonce])).await;
        assert_eq!(&got, expected, "nonce {nonce}");
    }
    let unsent = result(a, "ots_getTransactionBySenderAndNonce", json!([me, 5])).await;
    assert_eq!(unsent, Value::Null);
}
