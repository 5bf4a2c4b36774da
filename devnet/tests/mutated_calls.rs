//! Valid calls of the methods with the deepest handlers (calls, estimates, access lists, traces with
//! every tracer, logs and filters, proofs, fee history, signed raw transactions, state dumps and loads,
//! mining with intervals, typed data to sign, Parity-style traces), each then changed at one place at any depth (a field set to an edge value, a
//! hex string cut short, lengthened or with a byte flipped, a member or element removed or repeated),
//! thousands of times from a fixed seed. Every call must come back as a JSON-RPC answer and nothing may
//! panic. Where `bad_params.rs` mostly meets the parameter decoding, these reach the handlers with
//! almost-valid input.

mod common;

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{hex, Address, Bytes, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use common::devnet;
use parevm_devnet::Devnet;
use parevm_testkit::bad_params::{
    ask, in_flight, mines_many, mutate, panics, record_panics, request, Rng, ADDR, DEV0,
};
use serde_json::{json, Value};

/// Mutated calls per run.
const CALLS: usize = 20_000;

/// A signed EIP-1559 transfer from the second dev account (the first sends the corpus' other
/// transactions), as raw hex.
fn raw_transfer(dev: &Devnet, nonce: u64) -> String {
    let key = dev.accounts().keys()[1];
    let signer = PrivateKeySigner::from_bytes(&key).expect("a dev key");
    let tx = TxEip1559 {
        chain_id: 31337,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(Address::with_last_byte(0xaa)),
        value: U256::from(1u8),
        access_list: Default::default(),
        input: Bytes::new(),
    };
    let sig = signer
        .sign_hash_sync(&tx.signature_hash())
        .expect("signing");
    let envelope: TxEnvelope = tx.into_signed(sig).into();
    format!("0x{}", hex::encode(envelope.encoded_2718()))
}

/// The valid calls the mutations start from.
fn corpus(raw: &str, dump: &Value) -> Vec<(&'static str, Value)> {
    let hash = format!("0x{}", "11".repeat(32));
    let call = json!({"from": DEV0, "to": ADDR, "data": "0x600160005260206000f3", "value": "0x1", "gas": "0x186a0"});
    let create = json!({"from": DEV0, "data": "0x600a600c600039600a6000f3600160005260206000f3"});
    vec![
        ("eth_call", json!([call, "latest"])),
        (
            "eth_call",
            json!([call, "latest", {ADDR: {"code": "0x60016000526020600020", "balance": "0x10", "stateDiff": {hash.clone(): hash}}}, {"number": "0x10", "time": "0x70000000", "baseFee": "0x0"}]),
        ),
        ("eth_estimateGas", json!([call, "latest"])),
        ("eth_createAccessList", json!([call, "latest"])),
        (
            "eth_sendTransaction",
            json!([{"from": DEV0, "to": ADDR, "value": "0x1"}]),
        ),
        ("eth_sendTransaction", json!([create])),
        ("eth_sendRawTransaction", json!([raw])),
        (
            "eth_getLogs",
            json!([{"fromBlock": "0x0", "toBlock": "latest", "address": ADDR, "topics": [[hash], null]}]),
        ),
        (
            "eth_newFilter",
            json!([{"fromBlock": "0x0", "toBlock": "latest", "address": [ADDR, DEV0]}]),
        ),
        ("eth_getFilterChanges", json!(["0x1"])),
        ("trace_block", json!(["latest"])),
        (
            "trace_filter",
            json!([{"fromBlock": "0x0", "toBlock": "latest", "fromAddress": [DEV0], "toAddress": [ADDR, DEV0], "after": 0, "count": 5}]),
        ),
        (
            "debug_traceCall",
            json!([call, "latest", {"tracer": "callTracer", "tracerConfig": {"onlyTopCall": true, "withLog": true}}]),
        ),
        (
            "debug_traceCall",
            json!([call, "latest", {"tracer": "prestateTracer", "tracerConfig": {"diffMode": true}}]),
        ),
        (
            "debug_traceCall",
            json!([call, "latest", {"enableMemory": true, "disableStack": false, "disableStorage": false, "enableReturnData": true}]),
        ),
        (
            "debug_traceTransaction",
            json!([hash, {"tracer": "callTracer"}]),
        ),
        ("eth_feeHistory", json!(["0x4", "latest", [25, 75]])),
        ("eth_getProof", json!([ADDR, ["0x0", hash], "latest"])),
        ("eth_getBlockByNumber", json!(["latest", true])),
        ("eth_getBlockReceipts", json!(["latest"])),
        ("anvil_mine", json!(["0x2", "0x10"])),
        (
            "evm_mine",
            json!([{"timestamp": "0x70000000", "blocks": "0x1"}]),
        ),
        ("evm_setNextBlockTimestamp", json!(["0x70000000"])),
        ("anvil_setStorageAt", json!([ADDR, "0x0", hash])),
        ("anvil_setCode", json!([ADDR, "0x600160005260206000f3"])),
        ("anvil_loadState", json!([dump])),
        ("eth_sign", json!([DEV0, "0xdeadbeef"])),
        (
            "eth_signTypedData_v4",
            json!([DEV0, {
                "types": {
                    "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "chainId", "type": "uint256"}],
                    "Person": [{"name": "name", "type": "string"}, {"name": "wallets", "type": "address[]"}],
                    "Mail": [{"name": "from", "type": "Person"}, {"name": "to", "type": "Person[2]"},
                             {"name": "delta", "type": "int8"}, {"name": "tag", "type": "bytes4"}]
                },
                "primaryType": "Mail",
                "domain": {"name": "M", "chainId": "0x7a69"},
                "message": {"from": {"name": "a", "wallets": [ADDR, DEV0]},
                            "to": [{"name": "b", "wallets": []}, {"name": "c", "wallets": [ADDR]}],
                            "delta": -5, "tag": "0xdeadbeef"}
            }]),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn almost_valid_calls_are_answered_without_a_panic() {
    record_panics();
    let (dev, m) = devnet(2);
    let raw = raw_transfer(&dev, 0);
    let (dump, _) = m
        .raw_json_request(&request("anvil_dumpState", 1, Some(&json!([]))), 1)
        .await
        .expect("a dump");
    let dump: Value = serde_json::from_str(dump.get()).expect("JSON");
    let corpus = corpus(&raw, &dump["result"]);
    // Each valid call once, unchanged: the corpus is valid (each answered with a result).
    for (i, (method, params)) in corpus.iter().enumerate() {
        let text = request(method, i, Some(params));
        in_flight(&text);
        let (answer, _) = m.raw_json_request(&text, 16).await.expect("an answer");
        let answer: Value = serde_json::from_str(answer.get()).expect("JSON");
        let expected_error =
            *method == "debug_traceTransaction" || *method == "eth_getFilterChanges";
        assert!(
            answer.get("result").is_some() || expected_error,
            "{text}: {answer}"
        );
    }
    let mut rng = Rng::new(0x5eed_0dd5);
    let (mut errors, mut skipped, mut malformed) = (0usize, 0usize, Vec::new());
    for n in 0..CALLS {
        let (method, params) = &corpus[rng.below(corpus.len())];
        let mut params = params.clone();
        for _ in 0..1 + rng.below(3) {
            mutate(&mut params, &mut rng);
        }
        if mines_many(method, Some(&params)) {
            skipped += 1;
            continue;
        }
        let text = request(method, n, Some(&params));
        match ask(&m, &text).await {
            Ok(error) => errors += usize::from(error),
            Err(why) => malformed.push(why),
        }
    }
    let panics = panics();
    eprintln!(
        "{CALLS} mutated calls of {} valid ones: {skipped} left out (mining more than 16 blocks), \
         {errors} answered with an error, {} malformed, {} panics",
        corpus.len(),
        malformed.len(),
        panics.len()
    );
    assert!(panics.is_empty(), "panics:\n{}", panics.join("\n"));
    assert!(malformed.is_empty(), "malformed:\n{}", malformed.join("\n"));
}
