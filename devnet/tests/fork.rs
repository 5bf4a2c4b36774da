//! `parevm dev --fork-url`: a devnet forking another (served over HTTP) at its head must run what follows
//! exactly as the forked chain itself does. Both chains get the same transactions, dev edits and block
//! timestamps; every receipt field that does not depend on block hashes, and every balance, nonce, code and
//! slot the steps touch, must agree, and the forked node's state must not move. Then: a zero written over a
//! forked slot reads zero, snapshots and `anvil_reset` return to the fork, reads are cached, and a fork that
//! cannot be read is a clear error.

use parevm_chain::ChainConfig;
use parevm_devnet::fork::{ForkError, ForkStart, RemoteFork};
use parevm_devnet::{rpc_module, Devnet, DevnetOptions};
use parevm_rpc::{RpcContext, ServerOptions};
use parevm_testkit::bad_params::{error_of, result_of, DEV0};
use serde_json::{json, Value};
use std::sync::Arc;

const DEV1: &str = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
const DEV2: &str = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc";
const DEV3: &str = "0x90f79bf6eb2c4f870365e785982e1f101e93b906";
const C: &str = "0x00000000000000000000000000000000000000cc";
const D: &str = "0x00000000000000000000000000000000000000dd";
const E: &str = "0x00000000000000000000000000000000000000ee";
const COINBASE: &str = "0x0000000000000000000000000000000000000000";

type Module = jsonrpsee::RpcModule<RpcContext>;

/// C: slot 0 += 1; SSTORE(calldata word 0, calldata word 1); LOG0 of the new counter; CALL D.
fn code_c() -> String {
    format!(
        "0x600054600101806000556020356000355560005260206000a06000600060006000600073{d}5af15000",
        d = &D[2..]
    )
}

/// D: slot 1 += 1.
const CODE_D: &str = "0x600154600101600155";

/// Init code whose runtime is `SSTORE(0, 1)`.
const INIT: &str = "0x6460016000556000526005601bf3";

fn word(n: u64) -> String {
    format!("{n:064x}")
}

/// Calldata for C: store `value` at `slot`.
fn store(slot: u64, value: u64) -> String {
    format!("0x{}{}", word(slot), word(value))
}

fn chain_options() -> DevnetOptions {
    DevnetOptions {
        chain: ChainConfig {
            threads: 2,
            ..ChainConfig::default()
        },
        genesis_timestamp: Some(1_700_000_000),
        ..DevnetOptions::default()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Serves `dev` over HTTP on `rt` (on a free port); the server (dropped: stopped) and its URL.
fn served(rt: &tokio::runtime::Runtime, dev: &Arc<Devnet>) -> (parevm_rpc::RunningServer, String) {
    let server = rt
        .block_on(parevm_devnet::serve(
            dev.clone(),
            &ServerOptions {
                addr: "127.0.0.1:0".parse().unwrap(),
                ..ServerOptions::default()
            },
        ))
        .unwrap();
    let url = format!("http://{}", server.addr);
    (server, url)
}

/// A devnet forking at `start`, configured as `parevm dev --fork-url` does: the fork block's number, gas
/// limit and next base fee, the wall clock.
fn forked(start: &Arc<ForkStart>) -> Arc<Devnet> {
    let mut options = chain_options();
    options.chain.genesis_number = start.header.number;
    options.chain.gas_limit = start.header.gas_limit;
    options.chain.base_fee = start.next_base_fee().unwrap();
    options.genesis_timestamp = None;
    options.fork = Some(start.clone());
    Devnet::new(options, None).unwrap()
}

/// Sends `tx` with the next block at `time`; its receipt.
async fn send(m: &Module, time: u64, tx: Value) -> Value {
    result_of(m, "evm_setNextBlockTimestamp", json!([time])).await;
    let hash = result_of(m, "eth_sendTransaction", json!([tx])).await;
    result_of(m, "eth_getTransactionReceipt", json!([hash])).await
}

/// What must agree between the chains in a receipt (block hashes differ: the fork's state root is not the
/// chain's).
fn comparable(r: &Value) -> Value {
    let logs: Vec<Value> = r["logs"]
        .as_array()
        .map(|l| {
            l.iter()
                .map(|l| json!([l["address"], l["topics"], l["data"], l["logIndex"]]))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "status": r["status"], "gasUsed": r["gasUsed"], "cumulativeGasUsed": r["cumulativeGasUsed"],
        "effectiveGasPrice": r["effectiveGasPrice"], "contractAddress": r["contractAddress"],
        "blockNumber": r["blockNumber"], "from": r["from"], "to": r["to"], "logs": logs,
    })
}

/// Every value the steps can touch, as one chain answers for it at `block`.
async fn snapshot(m: &Module, extra: &[String], block: &str) -> Value {
    let mut out = serde_json::Map::new();
    // Not DEV1: it paid for the history before the fork, and the fork gives every dev account its balance.
    let mut accounts: Vec<String> = [C, D, E, COINBASE, DEV2, DEV3].map(String::from).to_vec();
    accounts.extend(extra.iter().cloned());
    for a in &accounts {
        out.insert(
            a.clone(),
            json!([
                result_of(m, "eth_getBalance", json!([a, block])).await,
                result_of(m, "eth_getTransactionCount", json!([a, block])).await,
                result_of(m, "eth_getCode", json!([a, block])).await,
                result_of(m, "eth_getStorageAt", json!([a, "0x0", block])).await,
                result_of(m, "eth_getStorageAt", json!([a, "0x1", block])).await,
                result_of(m, "eth_getStorageAt", json!([a, "0x3", block])).await,
                result_of(m, "eth_getStorageAt", json!([a, "0x7", block])).await,
            ]),
        );
    }
    Value::Object(out)
}

#[test]
fn a_forked_devnet_runs_what_follows_as_the_forked_chain_does() {
    // The chain to fork, served over HTTP on its own runtime; driven in process like the fork.
    let server_rt = runtime();
    let origin = Devnet::new(chain_options(), None).unwrap();
    let (server, url) = served(&server_rt, &origin);
    let ma = rpc_module(&origin).unwrap();
    let rt = runtime();

    // History before the fork: contracts with storage, a transfer, a creation, several blocks.
    let (created, created_by) = rt.block_on(async {
        result_of(&ma, "anvil_setCode", json!([C, code_c()])).await;
        result_of(&ma, "anvil_setCode", json!([D, CODE_D])).await;
        for (slot, v) in [(3u64, 33u64), (7, 77)] {
            result_of(
                &ma,
                "anvil_setStorageAt",
                json!([C, format!("0x{slot:x}"), format!("0x{}", word(v))]),
            )
            .await;
        }
        let mut t = 1_700_000_100;
        for i in 1..4u64 {
            let r = send(
                &ma,
                t,
                json!({"from": DEV1, "to": C, "data": store(10 + i, i)}),
            )
            .await;
            assert_eq!(r["status"], "0x1", "{r}");
            t += 12;
        }
        let r = send(
            &ma,
            t,
            json!({"from": DEV1, "to": E, "value": "0xde0b6b3a7640000"}),
        )
        .await;
        assert_eq!(r["status"], "0x1", "{r}");
        let r = send(&ma, t + 12, json!({"from": DEV1, "data": INIT})).await;
        assert_eq!(r["status"], "0x1", "{r}");
        (
            r["contractAddress"].as_str().unwrap().to_string(),
            r["transactionHash"].clone(),
        )
    });

    let start = RemoteFork::connect(&url, None).unwrap();
    let head = origin.chain.head();
    assert_eq!(start.header.number, head.number());
    assert_eq!(start.header.hash_slow(), head.hash);
    assert_eq!(start.chain_id, 31337);
    let start = Arc::new(start);
    let fork = forked(&start);
    let mb = rpc_module(&fork).unwrap();

    rt.block_on(async {
        let extra = vec![created.clone()];
        let at_fork = snapshot(&ma, &extra, "latest").await;
        assert_eq!(snapshot(&mb, &extra, "latest").await, at_fork);
        let first = result_of(&mb, "eth_getBlockByNumber", json!(["latest", false])).await;
        assert_eq!(first["hash"], json!(head.hash));

        // The same steps on both chains.
        let mut t = 1_700_001_000;
        let steps: Vec<Value> = vec![
            json!({"from": DEV2, "to": C, "data": store(20, 5)}),
            json!({"from": DEV2, "to": C, "data": store(3, 0)}),
            json!({"from": DEV3, "to": E, "value": "0x1234"}),
            json!({"from": DEV2, "data": INIT}),
            json!({"from": DEV3, "to": created, "data": "0x"}),
            json!({"from": DEV2, "to": C, "data": store(7, 0x7777)}),
        ];
        for (i, tx) in steps.into_iter().enumerate() {
            let ra = send(&ma, t, tx.clone()).await;
            let rb = send(&mb, t, tx.clone()).await;
            assert_eq!(comparable(&rb), comparable(&ra), "step {i}: {tx}");
            assert_eq!(ra["status"], "0x1", "step {i}: {ra}");
            t += 12;
        }
        // Dev edits over forked accounts.
        for m in [&ma, &mb] {
            result_of(
                m,
                "anvil_setStorageAt",
                json!([D, "0x7", format!("0x{}", word(9))]),
            )
            .await;
            result_of(m, "anvil_setBalance", json!([E, "0x5"])).await;
            result_of(m, "anvil_setNonce", json!([C, "0x9"])).await;
        }
        let call = json!({"from": DEV0, "to": C, "data": store(30, 1)});
        assert_eq!(
            result_of(&mb, "eth_estimateGas", json!([call])).await,
            result_of(&ma, "eth_estimateGas", json!([call])).await
        );
        assert_eq!(
            snapshot(&mb, &extra, "latest").await,
            snapshot(&ma, &extra, "latest").await
        );
        // The forked chain's own earlier blocks read the same too.
        let n = format!("0x{:x}", head.number() + 2);
        assert_eq!(
            snapshot(&mb, &extra, &n).await,
            snapshot(&ma, &extra, &n).await
        );

        // The history below the fork is the forked node's: blocks, a transaction and its receipt, state at
        // an older block; what the origin mined after the fork is not this chain's.
        let before = format!("0x{:x}", head.number() - 1);
        for (method, params) in [
            ("eth_getBlockByNumber", json!([before, true])),
            ("eth_getTransactionByHash", json!([created_by])),
            ("eth_getTransactionReceipt", json!([created_by])),
            ("eth_getBalance", json!([E, before])),
            ("eth_getStorageAt", json!([C, "0x0", before])),
        ] {
            let there = result_of(&ma, method, params.clone()).await;
            assert!(!there.is_null(), "{method}");
            assert_eq!(result_of(&mb, method, params).await, there, "{method}");
        }
        let block = result_of(&ma, "eth_getBlockByNumber", json!([before, false])).await;
        assert_eq!(
            result_of(&mb, "eth_getBlockByHash", json!([block["hash"], false])).await,
            block
        );
        let only_origin = result_of(
            &ma,
            "eth_sendTransaction",
            json!([{"from": DEV0, "to": E, "value": "0x1"}]),
        )
        .await;
        assert!(
            !result_of(&ma, "eth_getTransactionByHash", json!([only_origin]))
                .await
                .is_null()
        );
        assert!(
            result_of(&mb, "eth_getTransactionByHash", json!([only_origin]))
                .await
                .is_null()
        );

        // The slot zeroed over the fork's 33 reads zero; the fork block itself is untouched on the origin.
        assert_eq!(
            result_of(&mb, "eth_getStorageAt", json!([C, "0x3", "latest"])).await,
            format!("0x{}", word(0))
        );

        // A snapshot and revert on the fork, then anvil_reset: the state at the fork again.
        let snap = result_of(&mb, "evm_snapshot", json!([])).await;
        send(&mb, t, json!({"from": DEV2, "to": C, "data": store(3, 1)})).await;
        assert_eq!(
            result_of(&mb, "evm_revert", json!([snap])).await,
            json!(true)
        );
        assert_eq!(
            result_of(&mb, "eth_getStorageAt", json!([C, "0x3", "latest"])).await,
            format!("0x{}", word(0))
        );
        result_of(&mb, "anvil_reset", json!([])).await;
        assert_eq!(snapshot(&mb, &extra, "latest").await, at_fork);
        let meta = result_of(&mb, "anvil_metadata", json!([])).await;
        assert_eq!(
            meta["forkedNetwork"]["forkBlockNumber"],
            json!(head.number())
        );
        assert_eq!(meta["forkedNetwork"]["forkBlockHash"], json!(head.hash));

        // anvil_reset with `forking`: the block before (the fork's URL kept), then the origin's newest block
        // from a devnet that forked nothing.
        let earlier = head.number() - 1;
        let forking = json!([{"forking": {"blockNumber": earlier}}]);
        result_of(&mb, "anvil_reset", forking).await;
        let at = format!("0x{earlier:x}");
        assert_eq!(result_of(&mb, "eth_blockNumber", json!([])).await, at);
        assert_eq!(
            snapshot(&mb, &extra, "latest").await,
            snapshot(&ma, &extra, &at).await
        );
        let meta = result_of(&mb, "anvil_metadata", json!([])).await;
        assert_eq!(meta["forkedNetwork"]["forkBlockNumber"], json!(earlier));
        let r = send(
            &mb,
            1_900_000_000,
            json!({"from": DEV2, "to": C, "data": store(40, 4)}),
        )
        .await;
        assert_eq!(
            r["blockNumber"],
            json!(format!("0x{:x}", earlier + 1)),
            "{r}"
        );
        let (plain, _) = (Devnet::new(chain_options(), None).unwrap(), ());
        let mp = rpc_module(&plain).unwrap();
        let e = error_of(&mp, "anvil_reset", json!([{"forking": {}}])).await;
        assert!(e.contains("without jsonRpcUrl"), "{e}");
        let e = error_of(
            &mp,
            "anvil_reset",
            json!([{"forking": {"jsonRpcUrl": "ws://x"}}]),
        )
        .await;
        assert!(e.contains("not an http:// or https:// URL"), "{e}");
        result_of(
            &mp,
            "anvil_reset",
            json!([{"forking": {"jsonRpcUrl": url}}]),
        )
        .await;
        let origin_head = result_of(&ma, "eth_blockNumber", json!([])).await;
        assert_eq!(
            result_of(&mp, "eth_blockNumber", json!([])).await,
            origin_head
        );
        // (Its dev accounts get their balance over the fork's; everything else reads as the origin has it.)
        let (here, there) = (
            snapshot(&mp, &extra, "latest").await,
            snapshot(&ma, &extra, "latest").await,
        );
        for a in [C, D, E, COINBASE, &created] {
            assert_eq!(here[a], there[a], "{a}");
        }

        // Proofs need the fork's trie, which the devnet does not hold.
        let e = error_of(&mb, "eth_getProof", json!([C, [], "latest"])).await;
        assert!(e.contains("forked chain"), "{e}");
    });

    // Each account and slot was fetched once: reading them again makes no call.
    let calls = start.source.calls();
    assert!(calls > 0);
    rt.block_on(async {
        snapshot(&mb, std::slice::from_ref(&created), "latest").await;
    });
    assert_eq!(start.source.calls(), calls);
    drop(server);
}

#[test]
fn a_fork_that_cannot_be_read_is_a_clear_error() {
    // Nothing listens on a port just closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let e = RemoteFork::connect(&url, None).unwrap_err();
    assert!(
        matches!(&e, ForkError::Call { method, .. } if method == "eth_chainId"),
        "{e}"
    );
    assert!(e.to_string().contains(&url), "{e}");

    // A block past the forked node's head.
    let rt = runtime();
    let origin = Devnet::new(chain_options(), None).unwrap();
    let (_server, url) = served(&rt, &origin);
    let e = RemoteFork::connect(&url, Some(5)).unwrap_err();
    assert!(
        matches!(
            e,
            ForkError::NoBlock {
                number: 5,
                head: 0,
                ..
            }
        ),
        "{e}"
    );

    // The forked node gone after the fork: a block that needs a value the fork has not given yet is not
    // mined, and the chain is as it was.
    let rt2 = runtime();
    let origin = Devnet::new(chain_options(), None).unwrap();
    let (server, url) = served(&rt2, &origin);
    let fork = forked(&Arc::new(RemoteFork::connect(&url, None).unwrap()));
    let mb = rpc_module(&fork).unwrap();
    rt2.block_on(async {
        server.handle.stop().unwrap();
        server.handle.stopped().await;
    });
    rt.block_on(async {
        let nonce = result_of(&mb, "eth_getTransactionCount", json!([DEV0, "latest"])).await;
        let balance = result_of(&mb, "eth_getBalance", json!([DEV0, "latest"])).await;
        let e = error_of(
            &mb,
            "eth_sendTransaction",
            json!([{"from": DEV0, "to": DEV1, "value": "0x1"}]),
        )
        .await;
        assert!(e.contains(&format!("fork {url}")), "{e}");
        assert_eq!(result_of(&mb, "eth_blockNumber", json!([])).await, "0x0");
        let n = result_of(&mb, "eth_getTransactionCount", json!([DEV0, "latest"])).await;
        assert_eq!(n, nonce);
        let b = result_of(&mb, "eth_getBalance", json!([DEV0, "latest"])).await;
        assert_eq!(b, balance);
    });
}

/// The methods a fork changes (the forwarded history, state reads that may reach the forked node, the dev
/// edits that copy an account in first, mining and reset), called with the bad-parameter sweep's lists on a
/// forked devnet: each answers, and nothing panics.
#[test]
fn bad_parameters_on_a_forked_devnet_answer_without_a_panic() {
    use parevm_testkit::bad_params::{ask, panics, param_sets, record_panics, request};
    record_panics();
    let server_rt = runtime();
    let origin = Devnet::new(chain_options(), None).unwrap();
    let ma = rpc_module(&origin).unwrap();
    let (server, url) = served(&server_rt, &origin);
    let rt = runtime();
    rt.block_on(async {
        for _ in 0..3 {
            result_of(&ma, "evm_mine", json!([])).await;
        }
    });
    let start = Arc::new(RemoteFork::connect(&url, None).unwrap());
    let mb = rpc_module(&forked(&start)).unwrap();
    let methods = [
        "eth_getBlockByNumber",
        "eth_getBlockByHash",
        "eth_getTransactionByHash",
        "eth_getTransactionReceipt",
        "eth_getBalance",
        "eth_getCode",
        "eth_getStorageAt",
        "eth_getTransactionCount",
        "eth_getProof",
        "eth_call",
        "eth_estimateGas",
        "eth_sendTransaction",
        "anvil_setBalance",
        "anvil_addBalance",
        "anvil_setCode",
        "anvil_setNonce",
        "anvil_setStorageAt",
        "anvil_metadata",
        "anvil_nodeInfo",
        "anvil_reset",
        "evm_mine",
    ];
    let sets = param_sets();
    let (calls, malformed) = rt.block_on(async {
        let (mut calls, mut malformed) = (0usize, Vec::new());
        for (round, method) in methods.iter().enumerate() {
            for (i, params) in sets.iter().enumerate() {
                calls += 1;
                let text = request(method, round * 1000 + i, params.as_ref());
                if let Err(why) = ask(&mb, &text).await {
                    malformed.push(why);
                }
            }
        }
        (calls, malformed)
    });
    let panics = panics();
    assert_eq!(calls, methods.len() * sets.len());
    assert!(panics.is_empty(), "panics:\n{}", panics.join("\n"));
    assert!(malformed.is_empty(), "malformed:\n{}", malformed.join("\n"));
    // Still a working fork: back at the fork block, a transfer mines.
    rt.block_on(async {
        result_of(&mb, "anvil_reset", json!([])).await;
        let r = send(
            &mb,
            1_800_000_000,
            json!({"from": DEV0, "to": E, "value": "0x1"}),
        )
        .await;
        assert_eq!(r["status"], "0x1", "{r}");
        assert_eq!(r["blockNumber"], "0x4", "{r}");
    });
    drop(server);
}
