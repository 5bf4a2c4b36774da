//! The Engine API over the real auth server: JWT cases, building and following OP blocks (a second node
//! fed the payloads reaches identical hashes), forkchoice labels and reorgs, bad input answered as the
//! spec says, and a restart on the same datadir.

mod common;

use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_engine::JwtSecret;
use common::*;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use parevm_storage::ChainStore;
use serde_json::{json, Value};
use std::sync::Arc;

fn raw_secret() -> Vec<u8> {
    hex::decode(SECRET_HEX).unwrap()
}

fn hs256(claims: &Value, secret: &[u8]) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_authentication_cases() {
    let dir = tempfile::tempdir().unwrap();
    let n = start(dir.path(), None, 1).await;
    let addr = n.server.addr;
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"engine_exchangeCapabilities","params":[[]]}"#;
    let secret = raw_secret();
    let t = now() as i64;
    let bearer = |tok: String| format!("Bearer {tok}");
    // alg none: header {"alg":"none","typ":"JWT"}, claims {"iat": now}, no signature.
    let none_token = {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.",
            b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
            b64.encode(format!(r#"{{"iat":{t}}}"#))
        )
    };
    let refused: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        ("not bearer", Some(hs256(&json!({"iat": t}), &secret))),
        (
            "wrong secret",
            Some(bearer(hs256(&json!({"iat": t}), &[7u8; 32]))),
        ),
        ("alg none", Some(bearer(none_token))),
        (
            "iat 61 s in the past",
            Some(bearer(hs256(&json!({"iat": t - 61}), &secret))),
        ),
        (
            "iat 61 s in the future",
            Some(bearer(hs256(&json!({"iat": t + 61}), &secret))),
        ),
        (
            "missing iat",
            Some(bearer(hs256(&json!({"sub": "x"}), &secret))),
        ),
        ("garbage", Some(bearer("a.b.c".into()))),
    ];
    for (case, auth) in &refused {
        let (status, text) = post(addr, auth.as_deref(), body).await;
        assert_eq!(status, 401, "{case}: {text}");
    }
    for offset in [-59i64, 0, 59] {
        let (status, text) = post(
            addr,
            Some(&bearer(hs256(&json!({"iat": t + offset}), &secret))),
            body,
        )
        .await;
        assert_eq!(status, 200, "iat {offset:+} s: {text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        let caps = v["result"].as_array().unwrap();
        assert_eq!(caps.len(), 10, "{v}");
    }
    // alloy's own encoder (as kona signs) is accepted too.
    let tok = JwtSecret::from_hex(SECRET_HEX).unwrap();
    let _ = tok;
    assert_eq!(post(addr, Some(&bearer(token())), body).await.0, 200);
    assert_eq!(refused.len(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_follow_and_identical_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let seq = start(dir.path(), None, 2).await;
    let dir2 = tempfile::tempdir().unwrap();
    let follower = start(dir2.path(), None, 1).await;
    let (a, b) = (seq.server.addr, follower.server.addr);

    let genesis = seq.node.genesis_hash();
    assert_eq!(genesis, follower.node.genesis_hash());
    let latest = result(a, "eth_getBlockByNumber", json!(["latest", true])).await;
    assert_eq!(latest["hash"], json!(genesis));
    assert_eq!(result(a, "eth_chainId", json!([])).await, json!("0x385"));

    let user = Address::repeat_byte(0x77);
    let depositor = Address::repeat_byte(0x55);
    let mut head = genesis;
    let mut nonce = 0;
    let blocks = 6u64;
    for i in 1..=blocks {
        let mut txs = vec![l1_info_deposit(i)];
        if i == 2 {
            txs.push(user_deposit(i, depositor, user, 5_000_000_000));
        }
        for _ in 0..(i % 3) {
            txs.push(transfer(nonce, user, 1_000));
            nonce += 1;
        }
        let env = build(a, head, i * 2, &txs, i as u8).await;
        let payload = &env["executionPayload"];
        let hash: B256 = serde_json::from_value(payload["blockHash"].clone()).unwrap();
        assert_eq!(payload["transactions"].as_array().unwrap().len(), txs.len());
        assert_eq!(env["executionRequests"], json!([]));
        // The sequencer: newPayload of its own block, then forkchoice to it.
        let st = result(a, "engine_newPayloadV4", new_payload_params(&env)).await;
        assert_eq!(st["status"], "VALID", "{st}");
        assert_eq!(st["latestValidHash"], json!(hash));
        let fcu = result(a, "engine_forkchoiceUpdatedV3", json!([fc(hash)])).await;
        assert_eq!(fcu["payloadStatus"]["status"], "VALID");
        assert_eq!(fcu["payloadId"], Value::Null);
        // The follower: the same payload through newPayload + forkchoice.
        let st = result(b, "engine_newPayloadV4", new_payload_params(&env)).await;
        assert_eq!(st["status"], "VALID", "{st}");
        let fcu = result(b, "engine_forkchoiceUpdatedV3", json!([fc(hash)])).await;
        assert_eq!(fcu["payloadStatus"]["status"], "VALID");
        head = hash;
    }
    for addr in [a, b] {
        let blk = result(addr, "eth_getBlockByNumber", json!(["latest", true])).await;
        assert_eq!(blk["hash"], json!(head));
        assert_eq!(blk["number"], json!(format!("{blocks:#x}")));
        let bal = result(addr, "eth_getBalance", json!([user, "latest"])).await;
        let expected = U256::from(5_000_000_000u64) + U256::from(1_000u64 * nonce);
        assert_eq!(bal, json!(expected), "deposit mint and transfers credited");
    }
    // Receipts: the L1 fee and operator fee fields, equal to what the sender was charged.
    let b1 = result(a, "eth_getBlockByNumber", json!(["0x1", true])).await;
    let tx = &b1["transactions"][1];
    let receipt = result(a, "eth_getTransactionReceipt", json!([tx["hash"]])).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    assert_eq!(receipt["l1BaseFeeScalar"], "0x558");
    assert_eq!(receipt["l1BlobBaseFeeScalar"], "0xc5fc5");
    assert_eq!(receipt["l1GasPrice"], "0x3b9aca00");
    assert_eq!(receipt["operatorFeeConstant"], "0x3e8");
    let hexu =
        |v: &Value| U256::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    let l1_fee = hexu(&receipt["l1Fee"]);
    assert!(l1_fee > U256::ZERO);
    let before = hexu(&result(a, "eth_getBalance", json!([funded(), "0x0"])).await);
    let after = hexu(&result(a, "eth_getBalance", json!([funded(), "0x1"])).await);
    let paid = hexu(&receipt["gasUsed"]) * hexu(&receipt["effectiveGasPrice"])
        + U256::from(1_000u64)
        + l1_fee
        + U256::from(1_000u64);
    assert_eq!(before - after, paid, "gas + value + l1Fee + operator fee");
    let all = result(a, "eth_getBlockReceipts", json!(["0x2"])).await;
    let dep = &all[1];
    assert_eq!(dep["type"], "0x7e");
    assert_eq!(dep["depositNonce"], "0x0");
    assert_eq!(dep["depositReceiptVersion"], "0x1");
    assert!(dep.get("l1Fee").is_none(), "{dep}");
    let by_hash = result(a, "eth_getTransactionByHash", json!([tx["hash"]])).await;
    assert_eq!(by_hash["blockNumber"], "0x1");
    // Deposit fields in the block JSON.
    let b2 = result(a, "eth_getBlockByNumber", json!(["0x2", true])).await;
    let dep = &b2["transactions"][1];
    assert_eq!(dep["type"], "0x7e");
    assert_eq!(dep["from"], json!(depositor));
    assert_eq!(dep["mint"], "0x12a05f200");
    assert_eq!(dep["depositReceiptVersion"], "0x1");
    assert!(
        dep["sourceHash"].is_string() && dep["nonce"].is_string(),
        "{dep}"
    );
    // The block JSON round-trips through op-alloy's RPC types, as kona parses it.
    let parsed: alloy_rpc_types_eth::Block<op_alloy_rpc_types::Transaction> =
        serde_json::from_value(b2.clone()).unwrap();
    assert_eq!(
        parsed.header.hash_slow(),
        serde_json::from_value::<B256>(b2["hash"].clone()).unwrap()
    );
    // Safe and finalized labels.
    let fcu = result(
        a,
        "engine_forkchoiceUpdatedV3",
        json!([{"headBlockHash": head, "safeBlockHash": b2["hash"], "finalizedBlockHash": b2["hash"]}]),
    )
    .await;
    assert_eq!(fcu["payloadStatus"]["status"], "VALID");
    let safe = result(a, "eth_getBlockByNumber", json!(["safe", false])).await;
    assert_eq!(safe["hash"], b2["hash"]);
    let fin = result(a, "eth_getBlockByNumber", json!(["finalized", false])).await;
    assert_eq!(fin["number"], "0x2");
    // eth_getProof for the L2ToL1MessagePasser (output roots) answers with the storage hash.
    let p = result(
        a,
        "eth_getProof",
        json!(["0x4200000000000000000000000000000000000016", [], "latest"]),
    )
    .await;
    assert!(
        p["accountProof"].as_array().is_some_and(|x| !x.is_empty()),
        "{p}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reorg_of_the_unsafe_head_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let n = start(dir.path(), None, 1).await;
    let a = n.server.addr;
    let mut chain_a = vec![n.node.genesis_hash()];
    for i in 1..=4u64 {
        let env = build(
            a,
            *chain_a.last().unwrap(),
            i * 2,
            &[
                l1_info_deposit(i),
                transfer(i - 1, Address::repeat_byte(9), 1),
            ],
            1,
        )
        .await;
        let h: B256 = serde_json::from_value(env["executionPayload"]["blockHash"].clone()).unwrap();
        assert_eq!(
            result(a, "engine_newPayloadV4", new_payload_params(&env)).await["status"],
            "VALID"
        );
        result(a, "engine_forkchoiceUpdatedV3", json!([fc(h)])).await;
        chain_a.push(h);
    }
    // A sibling of block 3 (other randao): built on block 2 after moving the head back there.
    let fcu = result(
        a,
        "engine_forkchoiceUpdatedV3",
        json!([fc(chain_a[2]), attributes(6, &[l1_info_deposit(30)], 2)]),
    )
    .await;
    assert_eq!(fcu["payloadStatus"]["status"], "VALID", "{fcu}");
    let head = result(a, "eth_blockNumber", json!([])).await;
    assert_eq!(head, "0x2", "forkchoice to block 2 unwound 3 and 4");
    let env = result(a, "engine_getPayloadV4", json!([fcu["payloadId"]])).await;
    let b3: B256 = serde_json::from_value(env["executionPayload"]["blockHash"].clone()).unwrap();
    assert_ne!(b3, chain_a[3]);
    assert_eq!(
        result(a, "engine_newPayloadV4", new_payload_params(&env)).await["status"],
        "VALID"
    );
    result(a, "engine_forkchoiceUpdatedV3", json!([fc(b3)])).await;
    let latest = result(a, "eth_getBlockByNumber", json!(["latest", false])).await;
    assert_eq!(latest["hash"], json!(b3));
    // Back to the first chain's head: its blocks were kept when unwound and run again.
    let fcu = result(a, "engine_forkchoiceUpdatedV3", json!([fc(chain_a[4])])).await;
    assert_eq!(fcu["payloadStatus"]["status"], "VALID", "{fcu}");
    let latest = result(a, "eth_getBlockByNumber", json!(["latest", false])).await;
    assert_eq!(latest["hash"], json!(chain_a[4]));
    let nonce = result(a, "eth_getTransactionCount", json!([funded(), "latest"])).await;
    assert_eq!(nonce, "0x4");
    // Finalized block 4: a head below it is refused.
    let fcu = call(a, "engine_forkchoiceUpdatedV3", json!([{"headBlockHash": chain_a[4], "safeBlockHash": chain_a[4], "finalizedBlockHash": chain_a[4]}])).await;
    assert!(fcu.get("error").is_none(), "{fcu}");
    let fcu = call(a, "engine_forkchoiceUpdatedV3", json!([fc(chain_a[1])])).await;
    assert_eq!(error_code(&fcu), -38002, "{fcu}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_answered_per_spec() {
    let dir = tempfile::tempdir().unwrap();
    let n = start(dir.path(), None, 1).await;
    let a = n.server.addr;
    let genesis = n.node.genesis_hash();
    let env = build(
        a,
        genesis,
        2,
        &[l1_info_deposit(1), transfer(0, Address::repeat_byte(3), 5)],
        1,
    )
    .await;
    let good = new_payload_params(&env);

    // Wrong blockHash.
    let mut p = good.clone();
    p[0]["blockHash"] = json!(B256::repeat_byte(1));
    let st = result(a, "engine_newPayloadV4", p).await;
    assert_eq!(st["status"], "INVALID", "{st}");
    assert!(st["validationError"]
        .as_str()
        .unwrap()
        .contains("hash mismatch"));

    // Wrong state root, with a blockHash that matches the tampered header: executed, then INVALID with the
    // parent as latest valid.
    let mut p = good.clone();
    p[0]["stateRoot"] = json!(B256::repeat_byte(2));
    let block: op_alloy_rpc_types_engine::OpExecutionPayloadV4 =
        serde_json::from_value(p[0].clone()).unwrap();
    let mut raw = block.into_block_raw().unwrap();
    raw.header.parent_beacon_block_root = Some(B256::repeat_byte(0xbe));
    raw.header.requests_hash = Some(alloy_eips::eip7685::EMPTY_REQUESTS_HASH);
    p[0]["blockHash"] = json!(raw.header.hash_slow());
    let st = result(a, "engine_newPayloadV4", p.clone()).await;
    assert_eq!(st["status"], "INVALID", "{st}");
    assert_eq!(st["latestValidHash"], json!(genesis));
    // The reason names the field and both values (execution gives the untampered payload's root).
    assert_eq!(
        st["validationError"],
        json!(format!(
            "stateRoot: the block says {}, execution gives {}",
            B256::repeat_byte(2),
            good[0]["stateRoot"].as_str().unwrap()
        )),
        "{st}"
    );
    // The store did not move.
    assert_eq!(result(a, "eth_blockNumber", json!([])).await, "0x0");

    // A transaction that does not decode, in a block whose hash matches it: INVALID, parent latest valid.
    let mut p = good.clone();
    p[0]["transactions"][1] = json!("0x02c0");
    let block: op_alloy_rpc_types_engine::OpExecutionPayloadV4 =
        serde_json::from_value(p[0].clone()).unwrap();
    let mut bad_tx = block.into_block_raw().unwrap();
    bad_tx.header.parent_beacon_block_root = Some(B256::repeat_byte(0xbe));
    bad_tx.header.requests_hash = Some(alloy_eips::eip7685::EMPTY_REQUESTS_HASH);
    p[0]["blockHash"] = json!(bad_tx.header.hash_slow());
    let st = result(a, "engine_newPayloadV4", p).await;
    assert_eq!(st["status"], "INVALID", "{st}");
    assert_eq!(st["latestValidHash"], json!(genesis));
    assert!(
        st["validationError"]
            .as_str()
            .unwrap()
            .starts_with("transaction 1: malformed"),
        "{st}"
    );
    // Nothing of either reached the store: the head and the sender's balance and nonce are the genesis'.
    assert_eq!(result(a, "eth_blockNumber", json!([])).await, "0x0");
    assert_eq!(
        result(a, "eth_getTransactionCount", json!([funded(), "latest"])).await,
        json!("0x0")
    );
    assert_eq!(
        result(a, "eth_getBalance", json!([funded(), "latest"])).await,
        result(a, "eth_getBalance", json!([funded(), "0x0"])).await
    );
    // Forkchoice to the invalid block answers INVALID too.
    let fcu = result(
        a,
        "engine_forkchoiceUpdatedV3",
        json!([fc(raw.header.hash_slow())]),
    )
    .await;
    assert_eq!(fcu["payloadStatus"]["status"], "INVALID");

    // Unknown parent: SYNCING.
    let mut p = good.clone();
    p[0]["parentHash"] = json!(B256::repeat_byte(3));
    let block: op_alloy_rpc_types_engine::OpExecutionPayloadV4 =
        serde_json::from_value(p[0].clone()).unwrap();
    let mut raw = block.into_block_raw().unwrap();
    raw.header.parent_beacon_block_root = Some(B256::repeat_byte(0xbe));
    raw.header.requests_hash = Some(alloy_eips::eip7685::EMPTY_REQUESTS_HASH);
    p[0]["blockHash"] = json!(raw.header.hash_slow());
    let st = result(a, "engine_newPayloadV4", p).await;
    assert_eq!(st["status"], "SYNCING", "{st}");
    // Forkchoice to an unknown head: SYNCING.
    let fcu = result(
        a,
        "engine_forkchoiceUpdatedV3",
        json!([fc(B256::repeat_byte(4))]),
    )
    .await;
    assert_eq!(fcu["payloadStatus"]["status"], "SYNCING");

    // Error codes.
    let unknown = call(a, "engine_getPayloadV4", json!(["0x0102030405060708"])).await;
    assert_eq!(error_code(&unknown), -38001);
    let bad_safe = call(a, "engine_forkchoiceUpdatedV3", json!([{"headBlockHash": genesis, "safeBlockHash": B256::repeat_byte(5), "finalizedBlockHash": B256::ZERO}])).await;
    assert_eq!(error_code(&bad_safe), -38002);
    let zero_head = call(a, "engine_forkchoiceUpdatedV3", json!([fc(B256::ZERO)])).await;
    assert_eq!(error_code(&zero_head), -38002);
    let old_ts = call(
        a,
        "engine_forkchoiceUpdatedV3",
        json!([fc(genesis), attributes(0, &[l1_info_deposit(9)], 1)]),
    )
    .await;
    assert_eq!(error_code(&old_ts), -38003);
    let no_gas_limit = {
        let mut at = attributes(4, &[l1_info_deposit(9)], 1);
        at.as_object_mut().unwrap().remove("gasLimit");
        call(a, "engine_forkchoiceUpdatedV3", json!([fc(genesis), at])).await
    };
    assert_eq!(error_code(&no_gas_limit), -38003);
    // A forced transaction that cannot run (nonce 5 from an account at 0) fails the attributes.
    let forced = call(
        a,
        "engine_forkchoiceUpdatedV3",
        json!([
            fc(genesis),
            attributes(
                4,
                &[l1_info_deposit(9), transfer(5, Address::repeat_byte(3), 1)],
                1
            )
        ]),
    )
    .await;
    assert_eq!(error_code(&forced), -38003, "{forced}");
    // Isthmus payload through V3: unsupported fork; V2 attributes for an Ecotone+ timestamp likewise.
    let v3 = call(a, "engine_newPayloadV3", json!([good[0], [], good[2]])).await;
    assert_eq!(error_code(&v3), -38005, "{v3}");
    let v2 = call(
        a,
        "engine_forkchoiceUpdatedV2",
        json!([fc(genesis), attributes(4, &[], 1)]),
    )
    .await;
    assert_eq!(error_code(&v2), -38005, "{v2}");
    let gp3 = call(
        a,
        "engine_getPayloadV3",
        json!([result(
            a,
            "engine_forkchoiceUpdatedV3",
            json!([
                fc(genesis),
                attributes(
                    2,
                    &[l1_info_deposit(1), transfer(0, Address::repeat_byte(3), 5)],
                    1
                )
            ])
        )
        .await["payloadId"]]),
    )
    .await;
    assert_eq!(error_code(&gp3), -38005);
    // Malformed parameters: -32602, never a crash.
    for (m, params) in [
        ("engine_newPayloadV4", json!([{"blockHash": 5}])),
        ("engine_newPayloadV4", json!([])),
        ("engine_forkchoiceUpdatedV3", json!(["nope"])),
        ("engine_getPayloadV4", json!([12])),
    ] {
        let v = call(a, m, params).await;
        assert_eq!(error_code(&v), -32602, "{m}: {v}");
    }
    // Non-empty blob hashes and requests: INVALID.
    let mut p = good.clone();
    p[1] = json!([B256::repeat_byte(1)]);
    assert_eq!(
        result(a, "engine_newPayloadV4", p).await["status"],
        "INVALID"
    );
    let mut p = good.clone();
    p[3] = json!(["0x01"]);
    assert_eq!(
        result(a, "engine_newPayloadV4", p).await["status"],
        "INVALID"
    );
    // The good payload still goes through after all that.
    assert_eq!(
        result(a, "engine_newPayloadV4", good).await["status"],
        "VALID"
    );
    let client = result(
        a,
        "engine_getClientVersionV1",
        json!([{"code": "KN", "name": "kona", "version": "1", "commit": "0x00000000"}]),
    )
    .await;
    assert_eq!(client[0]["name"], "parevm");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_continues_from_the_committed_head() {
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("data");
    let head = {
        let n = start(dir.path(), Some(&datadir), 1).await;
        let a = n.server.addr;
        let mut head = n.node.genesis_hash();
        for i in 1..=3u64 {
            let env = build(
                a,
                head,
                i * 2,
                &[
                    l1_info_deposit(i),
                    transfer(i - 1, Address::repeat_byte(8), 1),
                ],
                1,
            )
            .await;
            head = serde_json::from_value(env["executionPayload"]["blockHash"].clone()).unwrap();
            result(a, "engine_newPayloadV4", new_payload_params(&env)).await;
            result(a, "engine_forkchoiceUpdatedV3", json!([fc(head)])).await;
        }
        n.server.handle.stop().unwrap();
        n.server.handle.clone().stopped().await;
        // The server's connection tasks may still hold the node (and with it the database lock) for a
        // moment after `stopped()`: wait until the last reference is gone before reopening the datadir.
        let weak = Arc::downgrade(&n.node);
        drop(n);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while weak.upgrade().is_some() {
            assert!(
                std::time::Instant::now() < deadline,
                "the stopped node is never released"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        // The last reference may be dropped on a server thread, which is then still closing the
        // database (redb's lock goes with its drop): wait until the datadir opens.
        while let Err(e) = ChainStore::open(&datadir) {
            assert!(
                std::time::Instant::now() < deadline,
                "the datadir stays locked: {e}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        head
    };
    let n = start(dir.path(), Some(&datadir), 1).await;
    let a = n.server.addr;
    let latest = result(a, "eth_getBlockByNumber", json!(["latest", false])).await;
    assert_eq!(latest["hash"], json!(head));
    let env = build(
        a,
        head,
        8,
        &[l1_info_deposit(4), transfer(3, Address::repeat_byte(8), 1)],
        1,
    )
    .await;
    assert_eq!(env["executionPayload"]["blockNumber"], "0x4");
}
