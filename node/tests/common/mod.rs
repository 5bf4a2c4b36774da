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
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
    let g = json!({
        "config": {
            "chainId": CHAIN_ID,
            "regolithTime": 0, "canyonTime": 0, "deltaTime": 0, "ecotoneTime": 0, "fjordTime": 0,
            "graniteTime": 0, "holoceneTime": 0, "isthmusTime": 0,
            "optimism": {"eip1559Elasticity": 6, "eip1559Denominator": 50, "eip1559DenominatorCanyon": 250}
        },
        "nonce": "0x0",
        "timestamp": "0x0",
        "extraData": "0x00000000fa00000006",
        "gasLimit": "0x1c9c380",
        "difficulty": "0x0",
        "baseFeePerGas": "0x3b9aca00",
        "alloc": {
            format!("{:#x}", funded()): {"balance": "0x56bc75e2d63100000"},
            // L1Block fee inputs as an L1-info deposit leaves them: L1 base fee 1 gwei, Ecotone scalars
            // 1368 / 810949, blob base fee 1, operator fee constant 1000.
            // (Code so the L1-info deposit's call does not touch an empty account away.)
            "0x4200000000000000000000000000000000000015": {"balance": "0x0", "code": "0x00", "storage": {
                "0x1": "0x3b9aca00",
                "0x3": format!("0x{}00000558000c5fc5{}", "00".repeat(16), "00".repeat(8)),
                "0x7": "0x1",
                "0x8": format!("0x{}0000000000000000000003e8", "00".repeat(20))
            }}
        }
    });
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
    let genesis = write_genesis(dir);
    let chain = NodeChain::load(&genesis, None).unwrap();
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

/// Posts `body` with an optional `Authorization` header value; returns (status, body).
pub async fn post(addr: SocketAddr, auth: Option<&str>, body: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
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
    let tx = TxDeposit {
        source_hash: B256::from(U256::from(seq + 1)),
        from: DEPOSITOR,
        to: TxKind::Call(L1_BLOCK),
        mint: 0,
        value: U256::ZERO,
        gas_limit: 1_000_000,
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
