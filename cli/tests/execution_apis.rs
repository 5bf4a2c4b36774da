//! The execution-apis RPC tests (`shared/op/execution-apis-tests.tar.zst`, the `tests/` folder that
//! execution-apis' rpctestgen writes and hive's rpc-compat simulator replays) against `parevm node` in
//! Ethereum mode: `parevm init` with their genesis.json, `parevm import` of chain.rlp (54 blocks, Frontier
//! rules to Osaka/BPO2), then `parevm node --http` (no `--rollup-config`), `headfcu.json` sent to its
//! auth port (JWT) to mark the head safe and finalized, and every `.io` file replayed in path order on one
//! running node, as hive does.
//!
//! Comparison, as hive's rpc-compat does it: each `>>` line is POSTed as is; the response must equal the
//! following `<<` line as JSON (key order and whitespace aside), `jsonrpc` and `id` included. When both the
//! expected and the actual response are errors, `error.message` is left out of the comparison (the code and
//! `data` still count). Files marked `// speconly:` are checked for shape only (the spec's schema is not in
//! the archive, see [`same_shape`]): a result where a result is expected, with no field the recorded
//! answer lacks and the same JSON kinds; an error where one is expected.
//!
//! The test prints a per-method table, pins the exact pass and fail counts, and requires the failing cases
//! to be exactly [`EXPECTED_FAILURES`], each with its reason: a case that starts passing or a new failure
//! both fail the test until the list (and `docs/execution-apis.md`) is updated.

use parevm_conformance::unpack::{shared_dir, unpack_once, workspace_dir};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Cases that fail today, each with why. Names are `<method>/<file stem>`.
const EXPECTED_FAILURES: &[(&str, &str)] = &[];

/// Pinned totals: every `.io` file is one case.
const EXPECTED_PASSED: usize = 232;
const EXPECTED_FAILED: usize = 0;

fn parevm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_parevm"))
}

/// The unpacked `tests/` folder of execution-apis.
fn tests_dir() -> PathBuf {
    let dest = workspace_dir().join("target").join("op");
    std::fs::create_dir_all(&dest).expect("target/op");
    unpack_once(
        &shared_dir().join("op").join("execution-apis-tests.tar.zst"),
        &dest,
    )
    .expect("execution-apis archive unpacks");
    dest.join("execution-apis-tests").join("tests")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn ok(args: &[&str]) {
    let out = parevm().args(args).output().expect("parevm runs");
    assert!(
        out.status.success(),
        "parevm {args:?}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A running `parevm node`, killed on drop.
struct Node {
    child: Child,
    /// The public HTTP port.
    addr: String,
    /// The auth (JWT) port.
    auth: String,
    /// The `--ws` server, when asked for.
    ws: Option<String>,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address printed after `marker` on a line of `lines`.
fn address_after(lines: &[String], marker: &str) -> Option<String> {
    lines.iter().find_map(|l| {
        l.split(marker)
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_owned)
    })
}

/// Starts the node on free ports and waits until it printed both addresses.
fn start_node(datadir: &Path, genesis: &Path, jwt: &Path) -> Node {
    start_node_with(datadir, genesis, jwt, &[])
}

/// [`start_node`] with `extra` arguments.
fn start_node_with(datadir: &Path, genesis: &Path, jwt: &Path, extra: &[&str]) -> Node {
    let mut child = parevm()
        .args([
            "node",
            "--datadir",
            s(datadir),
            "--chain",
            s(genesis),
            "--authrpc.port",
            "0",
            "--authrpc.jwtsecret",
            s(jwt),
            "--http",
            "--http.port",
            "0",
            "--threads",
            "1",
        ])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("parevm node starts");
    let stderr = child.stderr.take().expect("piped stderr");
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            eprintln!("node: {line}");
            if let Ok(mut l) = sink.lock() {
                l.push(line);
            }
        }
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let seen = lines.lock().map(|l| l.clone()).unwrap_or_default();
        let http = address_after(&seen, "JSON-RPC on http://");
        let engine: Vec<String> = seen
            .iter()
            .filter(|l| l.starts_with("Engine API"))
            .cloned()
            .collect();
        let auth = address_after(&engine, "on http://");
        let ws = address_after(&seen, "JSON-RPC WebSocket on http://");
        let ws_ready = ws.is_some() || !extra.contains(&"--ws");
        if let (Some(addr), Some(auth), true) = (http, auth, ws_ready) {
            return Node {
                child,
                addr,
                auth,
                ws,
            };
        }
        if std::time::Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
            let _ = child.kill();
            panic!(
                "parevm node did not report its addresses:\n{}",
                seen.join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// POSTs `body` to `addr` and returns the response body, whatever its HTTP status (the recorded pairs
/// hold the bodies).
fn post(addr: &str, body: &str) -> Result<String, String> {
    parevm_testkit::post(addr, body, None)
        .map(|a| a.body)
        .map_err(|e| e.to_string())
}

/// One JSON-RPC call's `result` (panics on an error answer).
fn rpc_result(addr: &str, method: &str, params: Value) -> Value {
    let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let answer = post(addr, &body.to_string()).unwrap_or_else(|e| panic!("{method}: {e}"));
    let v: Value = serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{method}: {e}"));
    v.get("result")
        .cloned()
        .unwrap_or_else(|| panic!("{method} {params}: {v}", params = body["params"]))
}

/// The Parity trace namespace on the imported chain (no execution-apis case covers it), held to agree
/// with itself and with the prestate tracer: per block, `trace_block` is the transactions'
/// `trace_transaction`s in order; `trace_replayBlockTransactions` gives each transaction's traces without
/// block placement, a state diff whose accounts the prestate tracer's diff also names, and a vmTrace; and
/// `trace_replayTransaction` answers what the block replay did for that transaction; `trace_filter` over
/// the chain is every block's traces, filtered and paged as the same list is. Returns the numbers
/// of transactions, traces and vmTrace instructions seen.
fn trace_namespace_agrees_with_itself(addr: &str) -> (usize, usize, usize) {
    let head = rpc_result(addr, "eth_blockNumber", serde_json::json!([]));
    let head = u64::from_str_radix(head.as_str().unwrap_or("0x0").trim_start_matches("0x"), 16)
        .expect("a block number");
    let all = serde_json::json!(["trace", "stateDiff", "vmTrace"]);
    let (mut txs, mut traces, mut instructions) = (0, 0, 0);
    let mut every = Vec::new();
    fn count_ops(t: &Value) -> usize {
        t["ops"]
            .as_array()
            .map_or(0, |ops| ops.iter().map(|o| 1 + count_ops(&o["sub"])).sum())
    }
    for n in 1..=head {
        let tag = format!("{n:#x}");
        let block = rpc_result(addr, "trace_block", serde_json::json!([tag]));
        let replays = rpc_result(
            addr,
            "trace_replayBlockTransactions",
            serde_json::json!([tag, all]),
        );
        let replays = replays.as_array().expect("a list").clone();
        let mut joined = Vec::new();
        for r in &replays {
            let hash = &r["transactionHash"];
            let tx = rpc_result(addr, "trace_transaction", serde_json::json!([hash]));
            let tx = tx.as_array().expect("a list").clone();
            let unplaced: Vec<Value> = tx
                .iter()
                .map(|t| {
                    let mut t = t.clone();
                    for k in [
                        "blockHash",
                        "blockNumber",
                        "transactionHash",
                        "transactionPosition",
                    ] {
                        t.as_object_mut().map(|o| o.remove(k));
                    }
                    t
                })
                .collect();
            assert_eq!(r["trace"], Value::Array(unplaced), "block {n} tx {hash}");
            let single = rpc_result(
                addr,
                "trace_replayTransaction",
                serde_json::json!([hash, all]),
            );
            let mut expected = r.clone();
            expected
                .as_object_mut()
                .map(|o| o.remove("transactionHash"));
            assert_eq!(single, expected, "block {n} tx {hash}");
            let prestate = rpc_result(
                addr,
                "debug_traceTransaction",
                serde_json::json!([hash, {"tracer": "prestateTracer", "tracerConfig": {"diffMode": true}}]),
            );
            for account in r["stateDiff"].as_object().expect("a state diff").keys() {
                let named = ["pre", "post"].iter().any(|side| {
                    prestate[side]
                        .as_object()
                        .is_some_and(|m| m.keys().any(|k| k.eq_ignore_ascii_case(account)))
                });
                assert!(
                    named,
                    "block {n} tx {hash}: {account} not in the prestate diff {prestate}"
                );
            }
            assert!(r["vmTrace"].is_object(), "block {n} tx {hash}");
            instructions += count_ops(&r["vmTrace"]);
            traces += tx.len();
            txs += 1;
            joined.extend(tx);
        }
        every.extend(joined.iter().cloned());
        assert_eq!(block, Value::Array(joined), "block {n}");
    }
    // trace_filter: the whole range is every block's traces; an address filter and a page of them are
    // what the same filter and slice of that list give.
    let range = serde_json::json!({"fromBlock": "0x1", "toBlock": format!("{head:#x}")});
    let filtered = rpc_result(addr, "trace_filter", serde_json::json!([range]));
    assert_eq!(
        filtered,
        Value::Array(every.clone()),
        "trace_filter of every block"
    );
    let to = every
        .iter()
        .find_map(|t| t["action"]["to"].as_str())
        .expect("a call")
        .to_owned();
    let to_it: Vec<Value> = every
        .iter()
        .filter(|t| t["action"]["to"].as_str() == Some(to.as_str()))
        .cloned()
        .collect();
    let mut f = range.clone();
    f["toAddress"] = serde_json::json!([to]);
    assert_eq!(
        rpc_result(addr, "trace_filter", serde_json::json!([f])),
        Value::Array(to_it.clone())
    );
    f["after"] = serde_json::json!(1);
    f["count"] = serde_json::json!(2);
    let page: Vec<Value> = to_it.iter().skip(1).take(2).cloned().collect();
    assert_eq!(
        rpc_result(addr, "trace_filter", serde_json::json!([f])),
        Value::Array(page)
    );
    (txs, traces, instructions)
}

/// The Otterscan namespace on the imported chain (Ethereum mode), against the node's own eth and debug
/// answers: per block, the details' transaction count, hash and total fees (gas used times effective gas
/// price over the receipts) and one page of every transaction; per transaction, its hash by sender and
/// nonce, its revert data (the callTracer's output of a reverted top frame, null otherwise), one trace
/// entry per call or creation frame, and, for a contract it created that still has code, its creator.
/// Returns the numbers of transactions and of contracts checked.
fn otterscan_agrees_with_the_chain(addr: &str) -> (usize, usize) {
    use serde_json::json;
    let quantity = |v: &Value| {
        alloy_primitives::U256::from_str_radix(
            v.as_str().unwrap_or("0x0").trim_start_matches("0x"),
            16,
        )
        .expect("a quantity")
    };
    fn frames(f: &Value) -> usize {
        let calls = f["calls"].as_array().map_or(&[][..], Vec::as_slice);
        1 + calls
            .iter()
            .filter(|c| c["type"] != "SELFDESTRUCT")
            .map(frames)
            .sum::<usize>()
    }
    let head = quantity(&rpc_result(addr, "eth_blockNumber", json!([]))).to::<u64>();
    let (mut txs, mut contracts) = (0, 0);
    for n in 1..=head {
        let tag = format!("{n:#x}");
        let block = rpc_result(addr, "eth_getBlockByNumber", json!([tag, true]));
        let receipts = rpc_result(addr, "eth_getBlockReceipts", json!([tag]));
        let list = block["transactions"]
            .as_array()
            .expect("transactions")
            .clone();
        let receipts = receipts.as_array().expect("receipts").clone();
        let details = rpc_result(addr, "ots_getBlockDetails", json!([n]));
        assert_eq!(details["block"]["hash"], block["hash"], "block {n}");
        assert_eq!(
            details["block"]["transactionCount"],
            json!(list.len()),
            "block {n}"
        );
        let fees = receipts
            .iter()
            .fold(alloy_primitives::U256::ZERO, |sum, r| {
                sum + quantity(&r["gasUsed"]) * quantity(&r["effectiveGasPrice"])
            });
        assert_eq!(quantity(&details["totalFees"]), fees, "block {n}");
        let page = rpc_result(addr, "ots_getBlockTransactions", json!([n, 0, 10_000]));
        let paged: Vec<&Value> = page["fullblock"]["transactions"]
            .as_array()
            .expect("a page")
            .iter()
            .map(|t| &t["hash"])
            .collect();
        let hashes: Vec<&Value> = list.iter().map(|t| &t["hash"]).collect();
        assert_eq!(paged, hashes, "block {n}");
        for (tx, receipt) in list.iter().zip(&receipts) {
            let hash = &tx["hash"];
            let by_nonce = rpc_result(
                addr,
                "ots_getTransactionBySenderAndNonce",
                json!([tx["from"], tx["nonce"]]),
            );
            assert_eq!(&by_nonce, hash, "block {n}");
            let top = rpc_result(
                addr,
                "debug_traceTransaction",
                json!([hash, {"tracer": "callTracer"}]),
            );
            let error = rpc_result(addr, "ots_getTransactionError", json!([hash]));
            let expected = if top["error"] == "execution reverted" {
                top.get("output").cloned().unwrap_or(json!("0x"))
            } else {
                Value::Null
            };
            assert_eq!(error, expected, "block {n} tx {hash}: {top}");
            let entries = rpc_result(addr, "ots_traceTransaction", json!([hash]));
            let entries = entries.as_array().expect("trace entries");
            assert_eq!(entries.len(), frames(&top), "block {n} tx {hash}: {top}");
            assert_eq!(entries[0]["from"], tx["from"], "block {n} tx {hash}");
            if let (Some(created), "0x1") = (
                receipt["contractAddress"].as_str(),
                receipt["status"].as_str().unwrap_or_default(),
            ) {
                let creator = rpc_result(addr, "ots_getContractCreator", json!([created]));
                let has = rpc_result(addr, "ots_hasCode", json!([created, "latest"]));
                let expected = if has == json!(true) {
                    json!({"hash": hash, "creator": tx["from"]})
                } else {
                    Value::Null
                };
                assert_eq!(creator, expected, "block {n} contract {created}");
                contracts += 1;
            }
            txs += 1;
        }
    }
    (txs, contracts)
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `speconly` check: `actual` has the recorded answer's shape. Objects: every key of `actual` is one
/// the recorded object has, with a value of the same shape (keys may be missing: the schema's optional
/// fields are not known here). Arrays: every element has the shape of some recorded element (anything
/// goes when the recorded array is empty). Scalars: the same JSON kind.
fn same_shape(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => a
            .iter()
            .all(|(k, av)| e.get(k).is_some_and(|ev| same_shape(ev, av))),
        (Value::Array(e), Value::Array(a)) => {
            e.is_empty() || a.iter().all(|x| e.iter().any(|ev| same_shape(ev, x)))
        }
        (Value::String(_), Value::String(_))
        | (Value::Number(_), Value::Number(_))
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Null, Value::Null) => true,
        _ => false,
    }
}

/// Compares one response with the recorded one; `Err` says how they differ.
fn compare(expected: &str, actual: &str, speconly: bool) -> Result<(), String> {
    let mut want: Value =
        serde_json::from_str(expected).map_err(|e| format!("recorded response: {e}"))?;
    let mut got: Value = serde_json::from_str(actual.trim())
        .map_err(|e| format!("response is not JSON ({e}): {actual}"))?;
    if want.get("error").is_some() && got.get("error").is_some() {
        for v in [&mut want, &mut got] {
            if let Some(err) = v.get_mut("error").and_then(Value::as_object_mut) {
                err.remove("message");
            }
        }
    }
    let equal = if speconly {
        match (want.get("result"), got.get("result")) {
            (Some(w), Some(g)) => same_shape(w, g),
            (None, None) => want.get("error").is_some() && got.get("error").is_some(),
            _ => false,
        }
    } else {
        want == got
    };
    if equal {
        return Ok(());
    }
    let clip = |v: &Value| {
        let t = v.to_string();
        if t.len() > 400 {
            format!("{}...", &t[..400])
        } else {
            t
        }
    };
    Err(format!(
        "{}differs: got {} want {}",
        if speconly { "shape " } else { "" },
        clip(&got),
        clip(&want)
    ))
}

/// Runs one `.io` file.
fn run_case(addr: &str, text: &str) -> Result<(), String> {
    let speconly = text
        .lines()
        .any(|l| l.trim_start().starts_with("// speconly"));
    let mut response: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        if let Some(req) = line.strip_prefix(">> ") {
            response = Some(post(addr, req)?);
        } else if let Some(want) = line.strip_prefix("<< ") {
            let got = response
                .take()
                .ok_or_else(|| "response line before any request".to_owned())?;
            compare(want, &got, speconly)?;
        } else {
            return Err(format!("invalid line in test file: {line}"));
        }
    }
    if response.is_some() {
        return Err("a request without a recorded response".into());
    }
    Ok(())
}

/// Every `.io` file under `dir`, as (`method/stem`, path), in path order (hive walks the tree the same
/// way, and some cases depend on earlier ones: transactions sent before the pool is read).
fn cases(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut methods: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("tests dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    methods.sort();
    for m in methods {
        let method = m.file_name().map(|n| n.to_string_lossy().into_owned());
        let mut files: Vec<PathBuf> = std::fs::read_dir(&m)
            .expect("method dir")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "io"))
            .collect();
        files.sort();
        for f in files {
            let stem = f.file_stem().map(|n| n.to_string_lossy().into_owned());
            out.push((
                format!(
                    "{}/{}",
                    method.clone().unwrap_or_default(),
                    stem.unwrap_or_default()
                ),
                f,
            ));
        }
    }
    out
}

/// `--http.api` and `--ws.api` as op-reth has them: each public server serves its selected namespaces
/// only (the auth port keeps every method), `--ws` on its own port, and an unknown namespace stops the
/// node with a message that names it; `--http.corsdomain` allows the listed browser origins only.
#[test]
fn http_api_selects_the_public_namespaces() {
    let tests = tests_dir();
    let dir = tempfile::tempdir().expect("tempdir");
    let datadir = dir.path().join("data");
    let genesis = tests.join("genesis.json");
    ok(&["init", "--datadir", s(&datadir), s(&genesis)]);
    let jwt = dir.path().join("jwt.hex");
    std::fs::write(&jwt, hex_encode(&[0x42u8; 32])).expect("write jwt secret");

    let bad = parevm()
        .args(["node", "--datadir", s(&datadir), "--chain", s(&genesis)])
        .args(["--http", "--http.api", "eth,bogus"])
        .output()
        .expect("parevm node runs");
    assert!(!bad.status.success());
    let why = String::from_utf8_lossy(&bad.stderr);
    assert!(why.contains("unknown RPC namespace \"bogus\""), "{why}");

    let node = start_node_with(
        &datadir,
        &genesis,
        &jwt,
        &[
            "--http.api",
            "eth,ots",
            "--ws",
            "--ws.port",
            "0",
            "--ws.api",
            "web3",
            "--http.corsdomain",
            "http://a.example",
        ],
    );
    let call = |addr: &str, method: &str| -> Value {
        let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": []});
        let answer = post(addr, &body.to_string()).expect("an answer");
        serde_json::from_str(&answer).expect("JSON")
    };
    assert!(call(&node.addr, "eth_chainId")["result"].is_string());
    assert_eq!(
        call(&node.addr, "ots_getApiLevel")["result"],
        serde_json::json!(8)
    );
    for method in [
        "debug_getRawHeader",
        "trace_block",
        "txpool_status",
        "web3_clientVersion",
    ] {
        assert_eq!(
            call(&node.addr, method)["error"]["code"],
            -32601,
            "{method}"
        );
    }
    // CORS: the listed origin gets its preflight allowed, another none; the --ws server allows any.
    let allowed = |addr: &str, origin: &str| -> Option<String> {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        let request = format!(
            "OPTIONS / HTTP/1.1\r\nHost: {addr}\r\nOrigin: {origin}\r\n\
             Access-Control-Request-Method: POST\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).expect("send");
        let mut head = String::new();
        stream.read_to_string(&mut head).expect("read");
        head.lines().find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("access-control-allow-origin:")
                .map(|v| v.trim().to_owned())
        })
    };
    assert_eq!(
        allowed(&node.addr, "http://a.example").as_deref(),
        Some("http://a.example")
    );
    assert_eq!(allowed(&node.addr, "http://b.example"), None);
    let ws = node.ws.as_deref().expect("the --ws server");
    assert_eq!(allowed(ws, "http://b.example").as_deref(), Some("*"));
    assert_ne!(ws, node.addr, "--ws on its own port");
    assert!(call(ws, "web3_clientVersion")["result"].is_string());
    assert_eq!(call(ws, "eth_chainId")["error"]["code"], -32601);
    let auth = format!("Bearer {}", parevm_testkit::hs256_token(&[0x42u8; 32]));
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"txpool_status","params":[]}"#;
    let answer = parevm_testkit::post(&node.auth, body, Some(&auth)).expect("auth answer");
    assert!(answer.body.contains("\"result\""), "{}", answer.body);
}

#[test]
fn execution_apis_tests_against_parevm_node() {
    let tests = tests_dir();
    let dir = tempfile::tempdir().expect("tempdir");
    let datadir = dir.path().join("data");
    let genesis = tests.join("genesis.json");
    ok(&["init", "--datadir", s(&datadir), s(&genesis)]);
    ok(&[
        "import",
        "--datadir",
        s(&datadir),
        s(&tests.join("chain.rlp")),
    ]);
    let jwt = dir.path().join("jwt.hex");
    let secret = [0x42u8; 32];
    std::fs::write(&jwt, hex_encode(&secret)).expect("write jwt secret");
    let node = start_node(&datadir, &genesis, &jwt);
    // As hive's setup does: headfcu.json marks the imported head safe and finalized.
    let fcu = std::fs::read_to_string(tests.join("headfcu.json")).expect("headfcu.json");
    let auth = format!("Bearer {}", parevm_testkit::hs256_token(&secret));
    let answer = parevm_testkit::post(&node.auth, &fcu, Some(&auth)).expect("forkchoice answer");
    let answer: Value = serde_json::from_str(&answer.body).expect("forkchoice answer is JSON");
    assert_eq!(
        answer["result"]["payloadStatus"]["status"], "VALID",
        "headfcu.json: {answer}"
    );

    let all = cases(&tests);
    let mut table: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failed: BTreeMap<String, String> = BTreeMap::new();
    for (name, path) in &all {
        let text = std::fs::read_to_string(path).expect("read .io file");
        let method = name.split('/').next().unwrap_or_default().to_owned();
        let entry = table.entry(method).or_default();
        match run_case(&node.addr, &text) {
            Ok(()) => entry.0 += 1,
            Err(why) => {
                entry.1 += 1;
                failed.insert(name.clone(), why);
            }
        }
    }
    let (txs, traces, instructions) = trace_namespace_agrees_with_itself(&node.addr);
    println!(
        "trace namespace: {txs} transactions, {traces} traces, {instructions} vmTrace instructions"
    );
    let (ots_txs, contracts) = otterscan_agrees_with_the_chain(&node.addr);
    println!("ots namespace: {ots_txs} transactions, {contracts} created contracts");
    assert_eq!(ots_txs, txs, "the Otterscan check saw every transaction");
    drop(node);

    println!("| method | passed | failed |\n|---|---|---|");
    for (method, (p, f)) in &table {
        println!("| {method} | {p} | {f} |");
    }
    let passed = all.len() - failed.len();
    println!("| **total** | **{passed}** | **{}** |", failed.len());
    for (name, why) in &failed {
        println!("FAIL {name}: {why}");
    }

    let expected: BTreeMap<&str, &str> = EXPECTED_FAILURES.iter().copied().collect();
    let newly_failing: Vec<&String> = failed
        .keys()
        .filter(|k| !expected.contains_key(k.as_str()))
        .collect();
    let now_passing: Vec<&&str> = expected
        .keys()
        .filter(|k| !failed.contains_key(**k))
        .collect();
    assert!(
        newly_failing.is_empty() && now_passing.is_empty(),
        "failures not in EXPECTED_FAILURES: {newly_failing:?}\n\
         listed as failing but passing now (remove them): {now_passing:?}"
    );
    assert_eq!(
        (passed, failed.len()),
        (EXPECTED_PASSED, EXPECTED_FAILED),
        "pinned (passed, failed) counts"
    );
}
