//! The transaction pool behind `eth_sendRawTransaction` on an OP chain, over the real auth server: a valid
//! transfer is pooled (pending, then queued after a nonce gap) and shown by `txpool_*`; deposits, blob
//! transactions, a used nonce and a sender who cannot pay the worst case (gas, value, L1 and operator fee)
//! are refused with geth's code and an exact reason.

mod common;

use alloy_consensus::{SignableTransaction, TxEip4844, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use common::*;
use parevm_evm_core::StateView;
use serde_json::{json, Value};
use std::net::SocketAddr;

async fn send(addr: SocketAddr, raw: &Bytes) -> Value {
    call(addr, "eth_sendRawTransaction", json!([raw])).await
}

fn rejection(v: &Value) -> (i64, String) {
    (
        error_code(v),
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// A signed EIP-1559 transfer of `key` (gas 21000, fee cap 10 gwei, tip 0.001 gwei).
fn eip1559(key: B256, nonce: u64, value: U256) -> Bytes {
    signed(key, nonce, value, 21_000, 1_000_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_admits_and_refuses_as_geth_does() {
    let dir = tempfile::tempdir().unwrap();
    let n = start(dir.path(), None, 1).await;
    let a = n.server.addr;
    let genesis = n.node.genesis_hash();
    let user = Address::repeat_byte(0x99);

    // A deposit: only derivation creates them.
    let v = send(a, &user_deposit(1, funded(), user, 1)).await;
    assert_eq!(
        rejection(&v),
        (
            -32000,
            "transaction type not supported: deposit transactions come only from L1".into()
        )
    );

    // A blob transaction: an OP chain has no blobs.
    let blob = TxEip4844 {
        chain_id: CHAIN_ID,
        nonce: 0,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to: user,
        value: U256::ZERO,
        access_list: Default::default(),
        blob_versioned_hashes: vec![B256::repeat_byte(1)],
        max_fee_per_blob_gas: 1,
        input: Bytes::new(),
    };
    let sig = PrivateKeySigner::from_bytes(&KEY)
        .unwrap()
        .sign_hash_sync(&blob.signature_hash())
        .unwrap();
    let raw_blob = Bytes::from(TxEnvelope::from(blob.into_signed(sig)).encoded_2718());
    let v = send(a, &raw_blob).await;
    assert_eq!(
        rejection(&v),
        (
            -32000,
            "transaction type not supported: an OP chain takes no blob transactions".into()
        )
    );

    // Undecodable bytes.
    let v = send(a, &Bytes::from(vec![0x02, 0xc0])).await;
    assert_eq!(error_code(&v), -32602);

    // A sender without funds: the worst case is gas × fee cap + value + L1 fee + operator fee.
    let poor_key = B256::repeat_byte(0x13);
    let raw = eip1559(poor_key, 0, U256::from(5));
    let state = n.node.store().state_at(0).unwrap();
    let fork = n.node.fork_at(0);
    let inputs = parevm_op_stack_adapter::l1_fee_inputs(fork, &state).unwrap();
    let l1 = inputs.l1_fee(fork, &raw) + inputs.operator_fee(fork, 21_000);
    assert!(l1 > U256::ZERO, "the test chain charges an L1 fee");
    let cost = U256::from(21_000u64 * 10_000_000_000) + U256::from(5) + l1;
    let v = send(a, &raw).await;
    assert_eq!(
        rejection(&v),
        (
            -32000,
            format!("insufficient funds for gas * price + value: balance 0, tx cost {cost}")
        )
    );

    // The funded sender, sending all but what gas and value need: only the L1 fee does not fit.
    let balance = state.balance(funded()).unwrap();
    let value = balance - U256::from(21_000u64 * 10_000_000_000);
    let v = send(a, &eip1559(KEY, 0, value)).await;
    let (code, message) = rejection(&v);
    assert_eq!(code, -32000);
    assert_eq!(
        message,
        format!(
            "insufficient funds for gas * price + value: balance {balance}, tx cost {}",
            balance
                + inputs.l1_fee(fork, &eip1559(KEY, 0, value))
                + inputs.operator_fee(fork, 21_000)
        )
    );

    // Valid: nonce 0 pending, nonce 2 queued behind the gap; the hash is the envelope's.
    let t0 = transfer(0, user, 1_000);
    assert_eq!(
        result(a, "eth_sendRawTransaction", json!([t0])).await,
        json!(keccak256(&t0))
    );
    let t2 = transfer(2, user, 1_000);
    assert_eq!(
        result(a, "eth_sendRawTransaction", json!([t2])).await,
        json!(keccak256(&t2))
    );
    // The same transaction again.
    let v = send(a, &t0).await;
    assert_eq!(
        rejection(&v),
        (-32000, "transaction already imported".into())
    );
    assert_eq!(
        result(a, "txpool_status", json!([])).await,
        json!({"pending": "0x1", "queued": "0x1"})
    );
    let sender = funded().to_checksum(None);
    let content = result(a, "txpool_content", json!([])).await;
    assert_eq!(
        content["pending"][&sender]["0"]["hash"],
        json!(keccak256(&t0))
    );
    assert_eq!(
        content["queued"][&sender]["2"]["hash"],
        json!(keccak256(&t2))
    );
    let from = result(a, "txpool_contentFrom", json!([funded()])).await;
    assert_eq!(from["pending"]["0"]["hash"], json!(keccak256(&t0)));
    assert_eq!(
        result(a, "txpool_contentFrom", json!([user])).await,
        json!({"pending": {}, "queued": {}})
    );

    // Nonce 0 mined: sending it again is refused, and the pool drops it.
    let env = build(a, genesis, 2, &[l1_info_deposit(1), t0.clone()], 1).await;
    let hash: B256 = serde_json::from_value(env["executionPayload"]["blockHash"].clone()).unwrap();
    let st = result(a, "engine_newPayloadV4", new_payload_params(&env)).await;
    assert_eq!(st["status"], "VALID", "{st}");
    result(a, "engine_forkchoiceUpdatedV3", json!([fc(hash)])).await;
    let v = send(a, &transfer(0, user, 7)).await;
    assert_eq!(
        rejection(&v),
        (-32000, "nonce too low: next nonce 1, tx nonce 0".into())
    );
    assert_eq!(
        result(a, "txpool_status", json!([])).await,
        json!({"pending": "0x0", "queued": "0x1"})
    );
}
