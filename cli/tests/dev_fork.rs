//! `parevm dev --fork-url`: a devnet started against another `parevm dev` over HTTP takes the forked chain's
//! id, gas limit and head block, reads its contracts and balances, prints the fork in its banner, and leaves
//! the forked chain as it was when it sends transactions of its own. Bad fork flags are refused before
//! anything listens, naming what is wrong.

use parevm_testkit::http::post;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const DEV0: &str = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
const C: &str = "0x00000000000000000000000000000000000000cc";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Kills the child when dropped (a failed assertion leaves no server behind).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `parevm dev` on `port` with `flags`; its banner, read up to the line saying where it listens
/// (empty with `--silent`: then the first call waits for it).
fn start(port: u16, flags: &[&str]) -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_parevm"))
        .args(["dev", "--port", &port.to_string()])
        .args(flags)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("parevm dev starts");
    let out = child.stdout.take().expect("its stdout");
    let running = Running(child);
    let mut banner = String::new();
    if flags.contains(&"--silent") {
        return (running, banner);
    }
    for line in BufReader::new(out).lines() {
        let line = line.expect("a banner line");
        banner.push_str(&line);
        banner.push('\n');
        if line.starts_with("Listening on") {
            return (running, banner);
        }
    }
    panic!("parevm dev {flags:?} stopped before listening: {banner}");
}

fn call(port: u16, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let started = Instant::now();
    loop {
        match post(&format!("127.0.0.1:{port}"), &body, None) {
            Ok(a) => {
                let v: Value = serde_json::from_str(&a.body).expect("JSON");
                return v
                    .get("result")
                    .cloned()
                    .unwrap_or_else(|| panic!("{method}: {v}"));
            }
            Err(e) if started.elapsed() > Duration::from_secs(30) => panic!("{method}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

#[test]
fn a_devnet_forks_another_over_http() {
    let (pa, pb) = (free_port(), free_port());
    let (_a, _) = start(
        pa,
        &["--chain-id", "777", "--gas-limit", "40000000", "--silent"],
    );
    call(pa, "anvil_setCode", json!([C, "0x600154600101600155"]));
    call(
        pa,
        "anvil_setStorageAt",
        json!([C, "0x1", format!("0x{:064x}", 41)]),
    );
    call(pa, "evm_mine", json!([]));
    // Block 2 moves C's slot 1 from 41 to 42.
    let hash = call(pa, "eth_sendTransaction", json!([{"from": DEV0, "to": C}]));
    assert_eq!(
        call(pa, "eth_getTransactionReceipt", json!([hash]))["status"],
        "0x1"
    );
    let head = call(pa, "eth_getBlockByNumber", json!(["latest", false]));
    assert_eq!(head["number"], "0x2");

    let url = format!("http://127.0.0.1:{pa}");
    let (_b, banner) = start(
        pb,
        &[
            "--fork-url",
            &url,
            "--fork-header",
            "Authorization: Bearer x",
            "--retries",
            "2",
        ],
    );
    assert!(
        banner.contains(&format!("Endpoint:       {url}")),
        "{banner}"
    );
    assert!(banner.contains("Block number:   2"), "{banner}");
    assert_eq!(call(pb, "eth_chainId", json!([])), "0x309");
    assert_eq!(call(pb, "eth_blockNumber", json!([])), "0x2");
    let first = call(pb, "eth_getBlockByNumber", json!(["latest", false]));
    assert_eq!(first["hash"], head["hash"]);
    assert_eq!(first["gasLimit"], json!(format!("0x{:x}", 40_000_000)));
    assert_eq!(
        call(pb, "eth_getCode", json!([C, "latest"])),
        "0x600154600101600155"
    );

    // A transaction on the fork: C's slot 1 goes from the forked 42 to 43 there, and stays 42 on the origin.
    // (The banner's reader is gone: the block line goes to a closed stdout, which must not fail the block.)
    let hash = call(pb, "eth_sendTransaction", json!([{"from": DEV0, "to": C}]));
    let receipt = call(pb, "eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    assert_eq!(receipt["blockNumber"], "0x3");
    let block = call(pb, "eth_getBlockByNumber", json!(["0x3", false]));
    assert_eq!(block["parentHash"], head["hash"]);
    let slot = |port| call(port, "eth_getStorageAt", json!([C, "0x1", "latest"]));
    assert_eq!(slot(pb), json!(format!("0x{:064x}", 43)));
    assert_eq!(slot(pa), json!(format!("0x{:064x}", 42)));
    assert_eq!(call(pa, "eth_blockNumber", json!([])), "0x2");
    let meta = call(pb, "anvil_nodeInfo", json!([]));
    assert_eq!(meta["forkConfig"]["forkUrl"], json!(url));

    // Forking at an earlier block with URL@BLOCK: C's slot 1 as it was before block 2.
    let pc = free_port();
    let (_c, _) = start(pc, &["--silent", "--fork-url", &format!("{url}@1")]);
    assert_eq!(call(pc, "eth_blockNumber", json!([])), "0x1");
    assert_eq!(slot(pc), json!(format!("0x{:064x}", 41)));
}

#[test]
fn bad_fork_flags_are_refused_with_what_and_where() {
    let closed = format!("http://127.0.0.1:{}", free_port());
    let cases: [(Vec<String>, &str); 7] = [
        (
            vec!["--fork-url".into(), "ftp://example".into()],
            "not an http:// or https:// URL",
        ),
        (vec!["--fork-url".into(), closed.clone()], "eth_chainId"),
        (vec!["--fork-block-number".into(), "5".into()], "--fork-url"),
        (
            vec![
                "--fork-url".into(),
                format!("{closed}@5"),
                "--fork-block-number".into(),
                "6".into(),
            ],
            "forks at block 5 and --fork-block-number at 6",
        ),
        (
            vec![
                "--fork-url".into(),
                closed.clone(),
                "--datadir".into(),
                "x".into(),
            ],
            "cannot be used with",
        ),
        (
            vec![
                "--fork-url".into(),
                closed.clone(),
                "--fork-header".into(),
                "no colon".into(),
            ],
            "--fork-header: \"no colon\" is not a header",
        ),
        (vec!["--retries".into(), "3".into()], "--fork-url"),
    ];
    for (args, expected) in &cases {
        let out = Command::new(env!("CARGO_BIN_EXE_parevm"))
            .args(["dev", "--silent", "--port", "1"])
            .args(args)
            .output()
            .expect("parevm runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}
