//! Shared helpers of the node's integration tests: a small OP chain (every fork through Isthmus at
//! genesis, as the kona e2e chain), a node on an in-memory store behind the real auth server, a plain
//! HTTP/1.1 JSON-RPC client with JWTs, and transaction builders (deposits, signed EIP-1559).

#![allow(dead_code)]

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{address, Address, Bytes, Sealable, TxKind, B256, U256};
use alloy_rpc_types_engine::{Claims, JwtSecret};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use op_alloy_consensus::{OpTxEnvelope, TxDeposit};
use parevm_node::{server, NodeChain, OpNode};
use parevm_rpc::{RunningServer, ServerOptions};
use parevm_storage::ChainStore;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Chain id of the test chain.
pub const CHAIN_ID: u64 = 901;
/// The funded key of the test chain.
pub const KEY: B256 = B256::repeat_byte(0x42);
/// The L1-info depositor and the L1Block predeploy.
pub const DEPOSITOR: Address = address!("deaddeaddeaddeaddeaddeaddeaddeaddead0001");
/// L1Block predeploy.
pub const L1_BLOCK: Address = address!("4200000000000000000000000000000000000015");
/// Hex of the test JWT secret.
pub const SECRET_HEX: &str = "f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f";

/// The funded account.
pub fn funded() -> Address {
    PrivateKeySigner::from_bytes(&KEY).unwrap().address()
}

/// Writes the test chain's genesis into `dir` and returns its path.
pub fn write_genesis(dir: &Path) -> std::path::PathBuf {
    let mut alloc = serde_json::Map::new();
    alloc.insert(
        format!("{:#x}", funded()),
        json!({"balance": "0x56bc75e2d63100000"}),
    );
    let g = parevm_testkit::op_genesis::isthmus_genesis(CHAIN_ID, alloc);
    let p = dir.join("genesis.json");
    std::fs::write(&p, serde_json::to_string_pretty(&g).unwrap()).unwrap();
    p
}

/// A node on an in-memory store (or `datadir`) with its auth server.
pub struct TestNode {
    /// The node.
    pub node: Arc<OpNode>,
    /// The auth server.
    pub server: RunningServer,
}

/// Starts a node on the test chain.
pub async fn start(dir: &Path, datadir: Option<&Path>, threads: usize) -> TestNode {
    start_on(&write_genesis(dir), datadir, threads).await
}

/// Starts a node on the chain of the genesis file `genesis`.
pub async fn start_on(genesis: &Path, datadir: Option<&Path>, threads: usize) -> TestNode {
    let chain = NodeChain::load(genesis, None).unwrap();
    let store = match datadir {
        Some(d) => ChainStore::open(d).unwrap(),
        None => ChainStore::open_in_memory().unwrap(),
    };
    let node = Arc::new(OpNode::open(chain, store, threads).unwrap());
    let opts = ServerOptions {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..ServerOptions::default()
    };
    let secret = JwtSecret::from_hex(SECRET_HEX).unwrap();
    let server = server::start_auth(node.clone(), secret, &opts)
        .await
        .unwrap();
    TestNode { node, server }
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A valid token issued now.
pub fn token() -> String {
    JwtSecret::from_hex(SECRET_HEX)
        .unwrap()
        .encode(&Claims {
            iat: now(),
            exp: None,
        })
        .unwrap()
}

/// Posts `body` with an optional `Authorization` header value; returns (status, body). The blocking
/// client (parevm-testkit, shared with the binary's tests) runs on a blocking thread, off the runtime
/// that serves the request.
pub async fn post(addr: SocketAddr, auth: Option<&str>, body: &str) -> (u16, String) {
    let auth = auth.map(str::to_owned);
    let body = body.to_owned();
    let a = tokio::task::spawn_blocking(move || {
        parevm_testkit::post(&addr.to_string(), &body, auth.as_deref())
    })
    .await
    .unwrap()
    .unwrap();
    (a.status, a.body)
}

/// Calls `method` with a fresh token; returns the whole JSON-RPC answer.
pub async fn call(addr: SocketAddr, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let (status, text) = post(addr, Some(&format!("Bearer {}", token())), &body).await;
    assert_eq!(status, 200, "{method}: HTTP {status}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method}: {e}: {text}"))
}

/// Calls `method` and returns its result, failing on an error answer.
pub async fn result(addr: SocketAddr, method: &str, params: Value) -> Value {
    let v = call(addr, method, params).await;
    assert!(v.get("error").is_none(), "{method}: {v}");
    v["result"].clone()
}

/// The error code of an answer.
pub fn error_code(v: &Value) -> i64 {
    v["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("no error in {v}"))
}

/// An L1-info-like system deposit (tx 0 of every OP block), unique per block through `seq`.
pub fn l1_info_deposit(seq: u64) -> Bytes {
    l1_info_deposit_with_gas(seq, 1_000_000)
}

/// [`l1_info_deposit`] with its own gas limit (a small one fits blocks with a small gas limit).
pub fn l1_info_deposit_with_gas(seq: u64, gas_limit: u64) -> Bytes {
    let tx = TxDeposit {
        source_hash: B256::from(U256::from(seq + 1)),
        from: DEPOSITOR,
        to: TxKind::Call(L1_BLOCK),
        mint: 0,
        value: U256::ZERO,
        gas_limit,
        is_system_transaction: false,
        input: Bytes::from(seq.to_be_bytes().to_vec()),
    };
    Bytes::from(OpTxEnvelope::Deposit(tx.seal_slow()).encoded_2718())
}

/// A user deposit minting `mint` wei to `to` (credited to `from` then sent as value).
pub fn user_deposit(seq: u64, from: Address, to: Address, mint: u128) -> Bytes {
    let tx = TxDeposit {
        source_hash: B256::from(U256::from(1_000_000 + seq)),
        from,
        to: TxKind::Call(to),
        mint,
        value: U256::from(mint),
        gas_limit: 100_000,
        is_system_transaction: false,
        input: Bytes::new(),
    };
    Bytes::from(OpTxEnvelope::Deposit(tx.seal_slow()).encoded_2718())
}

/// A signed EIP-1559 transfer from the funded key.
pub fn transfer(nonce: u64, to: Address, value: u64) -> Bytes {
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to: TxKind::Call(to),
        value: U256::from(value),
        access_list: Default::default(),
        input: Bytes::new(),
    };
    let signer = PrivateKeySigner::from_bytes(&KEY).unwrap();
    let sig = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    Bytes::from(OpTxEnvelope::Eip1559(tx.into_signed(sig)).encoded_2718())
}

/// A signed EIP-1559 transfer to `0x77..77` from `key` with a 10 gwei fee cap and priority fee `tip`.
pub fn signed(key: B256, nonce: u64, value: U256, gas_limit: u64, tip: u128) -> Bytes {
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: tip,
        to: TxKind::Call(Address::repeat_byte(0x77)),
        value,
        access_list: Default::default(),
        input: Bytes::new(),
    };
    let signer = PrivateKeySigner::from_bytes(&key).unwrap();
    let sig = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    Bytes::from(OpTxEnvelope::Eip1559(tx.into_signed(sig)).encoded_2718())
}

/// OP payload attributes JSON for a block at `timestamp` with `txs`.
pub fn attributes(timestamp: u64, txs: &[Bytes], randao: u8) -> Value {
    json!({
        "timestamp": format!("{timestamp:#x}"),
        "prevRandao": B256::repeat_byte(randao),
        "suggestedFeeRecipient": "0x4200000000000000000000000000000000000011",
        "withdrawals": [],
        "parentBeaconBlockRoot": B256::repeat_byte(0xbe),
        "transactions": txs,
        "noTxPool": true,
        "gasLimit": "0x1c9c380",
        "eip1559Params": "0x000000fa00000006"
    })
}

/// A forkchoice state with every label at `head` except safe/finalized (zero: unchanged).
pub fn fc(head: B256) -> Value {
    json!({"headBlockHash": head, "safeBlockHash": B256::ZERO, "finalizedBlockHash": B256::ZERO})
}

/// Builds one block on `addr`'s head through FCU + getPayloadV4 and returns the getPayload answer.
pub async fn build(
    addr: SocketAddr,
    head: B256,
    timestamp: u64,
    txs: &[Bytes],
    randao: u8,
) -> Value {
    let r = result(
        addr,
        "engine_forkchoiceUpdatedV3",
        json!([fc(head), attributes(timestamp, txs, randao)]),
    )
    .await;
    assert_eq!(r["payloadStatus"]["status"], "VALID", "{r}");
    let id = r["payloadId"].clone();
    assert!(id.is_string(), "{r}");
    result(addr, "engine_getPayloadV4", json!([id])).await
}

/// newPayloadV4 params for a getPayloadV4 answer.
pub fn new_payload_params(envelope: &Value) -> Value {
    json!([
        envelope["executionPayload"],
        [],
        envelope["parentBeaconBlockRoot"],
        envelope["executionRequests"]
    ])
}

/// Builds the block of `attrs` on `head` through FCU + getPayloadV4, sends it back with newPayloadV4 and
/// makes it the head; returns its hash.
pub async fn advance(a: SocketAddr, head: B256, attrs: Value) -> B256 {
    let r = result(a, "engine_forkchoiceUpdatedV3", json!([fc(head), attrs])).await;
    assert_eq!(r["payloadStatus"]["status"], "VALID", "{r}");
    let env = result(a, "engine_getPayloadV4", json!([r["payloadId"]])).await;
    let hash: B256 = serde_json::from_value(env["executionPayload"]["blockHash"].clone()).unwrap();
    let st = result(a, "engine_newPayloadV4", new_payload_params(&env)).await;
    assert_eq!(st["status"], "VALID", "{st}");
    result(a, "engine_forkchoiceUpdatedV3", json!([fc(hash)])).await;
    hash
}
