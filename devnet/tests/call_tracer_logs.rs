//! `callTracer` with `withLog` on `parevm dev`: each frame's logs with geth's `position` (calls the frame
//! had made before the log) and `index` (the log's place among all the transaction emitted, reverted ones
//! included), the logs of a reverted frame dropped; with `onlyTopCall` the top frame's logs keep the
//! positions its calls gave them. (The same answers as anvil 1.7.1 for this contract, compared by hand on
//! 2026-12-06.)

use parevm_testkit::bad_params::{result_of, DEV0};
mod common;

use common::devnet;
use serde_json::{json, Value};

const C: &str = "0x00000000000000000000000000000000000000cc";
const D: &str = "0x00000000000000000000000000000000000000dd";
const E: &str = "0x00000000000000000000000000000000000000ee";

fn word(n: u8) -> String {
    format!("0x{}{n:02x}", "00".repeat(31))
}

/// `(address, position, index, topics)` of each log of `frame`.
fn logs(frame: &Value) -> Vec<(String, String, String, Vec<String>)> {
    frame["logs"]
        .as_array()
        .map(|l| {
            l.iter()
                .map(|x| {
                    let topics = x["topics"]
                        .as_array()
                        .map(|t| {
                            t.iter()
                                .map(|t| t.as_str().unwrap_or("").to_string())
                                .collect()
                        })
                        .unwrap_or_default();
                    (
                        x["address"].as_str().unwrap_or("").to_string(),
                        x["position"].as_str().unwrap_or("").to_string(),
                        x["index"].as_str().unwrap_or("").to_string(),
                        topics,
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_tracer_reports_each_frames_logs_as_geth_does() {
    let (_dev, m) = devnet(1);
    // C: LOG1 of memory 0x1e..0x20 (0xabcd) with topic 0x11; CALL D; LOG0 of a word; CALL E; LOG2 of
    // nothing with topics 0x22, 0x33. D: LOG1 with topic 0xdd. E: LOG0, then REVERT.
    let code_c = format!(
        "0x61abcd6000526011600260 1ea1 6000600060006000600073{d}5af150 60206000a0 \
         6000600060006000600073{e}5af150 6033602260006000a2 00",
        d = &D[2..],
        e = &E[2..]
    )
    .replace(' ', "");
    result_of(&m, "anvil_setCode", json!([C, code_c])).await;
    result_of(&m, "anvil_setCode", json!([D, "0x60dd60006000a100"])).await;
    result_of(&m, "anvil_setCode", json!([E, "0x60006000a060006000fd"])).await;
    let req = json!({"from": DEV0, "to": C, "gas": "0x100000"});
    let trace =
        |cfg: Value| json!([req.clone(), "latest", {"tracer": "callTracer", "tracerConfig": cfg}]);
    let full = result_of(&m, "debug_traceCall", trace(json!({"withLog": true}))).await;
    let c = C.to_string();
    assert_eq!(
        logs(&full),
        vec![
            (c.clone(), "0x0".into(), "0x0".into(), vec![word(0x11)]),
            (c.clone(), "0x1".into(), "0x2".into(), vec![]),
            (
                c.clone(),
                "0x2".into(),
                "0x4".into(),
                vec![word(0x22), word(0x33)]
            ),
        ],
        "{full}"
    );
    assert_eq!(full["logs"][0]["data"], "0xabcd");
    assert_eq!(
        full["logs"][1]["data"],
        format!("0x{}abcd", "00".repeat(30))
    );
    assert_eq!(
        logs(&full["calls"][0]),
        vec![(D.to_string(), "0x0".into(), "0x1".into(), vec![word(0xdd)])]
    );
    // E reverted: its log (index 3) is dropped.
    assert_eq!(full["calls"][1]["error"], "execution reverted");
    assert!(full["calls"][1].get("logs").is_none(), "{full}");
    // onlyTopCall: no children, the same top-frame logs and positions.
    let top = result_of(
        &m,
        "debug_traceCall",
        trace(json!({"withLog": true, "onlyTopCall": true})),
    )
    .await;
    assert!(top.get("calls").is_none(), "{top}");
    assert_eq!(logs(&top), logs(&full));
    // Without withLog, no logs.
    let plain = result_of(&m, "debug_traceCall", trace(json!({}))).await;
    assert!(plain.get("logs").is_none(), "{plain}");
}
