//! End-to-end tests of the runner on small synthetic fixtures: expected exceptions, unknown forks,
//! out-of-range indexes, skipped names and malformed files all end as the right [`CaseStatus`].

use super::error::{CaseError, FixtureError};
use super::report::{CaseStatus, Summary};
use super::runner::{run_file, RunOptions, EMPTY_LOGS_HASH};
use super::skip::SkipList;
use alloy_primitives::{address, Bytes, U256};
use parevm_state::InMemoryState;
use std::path::PathBuf;

const SENDER: &str = "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b";

/// The root of the synthetic pre-state (one funded sender).
fn pre_root() -> String {
    let mut s = InMemoryState::new();
    s.insert_account(
        address!("a94f5374fce5edbc8e2a8697c15331677e6ebf0b"),
        U256::from(1_000_000_000_000_000_000u64),
        0,
        Bytes::new(),
        [],
    );
    s.state_root().to_string()
}

/// A test whose transaction has nonce 5 against a sender with nonce 0: always invalid.
fn test_json(name: &str, fork: &str, expect_exception: bool, gas_index: usize) -> String {
    let exception = if expect_exception {
        "TransactionException.INTRINSIC_GAS_TOO_LOW|TransactionException.NONCE_MISMATCH_TOO_HIGH"
    } else {
        ""
    };
    test_json_expecting(name, fork, exception, gas_index)
}

/// [`test_json`] with `expectException` as given (none when empty).
fn test_json_expecting(name: &str, fork: &str, exception: &str, gas_index: usize) -> String {
    let exception = if exception.is_empty() {
        String::new()
    } else {
        format!(r#", "expectException": "{exception}""#)
    };
    format!(
        r#""{name}": {{
          "env": {{"currentCoinbase": "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba", "currentGasLimit": "0x07a120",
                  "currentNumber": "0x01", "currentTimestamp": "0x03e8", "currentDifficulty": "0x00",
                  "currentBaseFee": "0x07", "currentExcessBlobGas": "0x00",
                  "currentRandom": "0x0000000000000000000000000000000000000000000000000000000000020000"}},
          "pre": {{"{SENDER}": {{"nonce": "0x00", "balance": "0x0de0b6b3a7640000", "code": "0x", "storage": {{}}}}}},
          "transaction": {{"nonce": "0x05", "gasPrice": "0x0a", "gasLimit": ["0x061a80"],
                  "to": "0x095e7baea6a6c7c4c2dfeb977efac326af552d87", "value": ["0x01"], "data": ["0x"],
                  "sender": "{SENDER}"}},
          "post": {{"{fork}": [{{"hash": "{root}", "logs": "{EMPTY_LOGS_HASH}",
                  "indexes": {{"data": 0, "gas": {gas_index}, "value": 0}}, "state": {{}}{exception}}}]}},
          "config": {{"chainid": "0x01"}}
        }}"#,
        root = pre_root(),
    )
}

fn write_fixture(tag: &str, body: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("parevm-statetest-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("fixture.json");
    std::fs::write(&path, body).expect("write fixture");
    path
}

#[test]
fn synthetic_cases_end_as_expected() {
    let body = format!(
        "{{{},{},{},{},{},{}}}",
        test_json("a-invalid-as-expected", "Cancun", true, 0),
        test_json_expecting(
            "e-wrong-exception",
            "Cancun",
            "TransactionException.INSUFFICIENT_ACCOUNT_FUNDS",
            0,
        ),
        test_json("b-unexpected-invalid", "Cancun", false, 0),
        test_json("c-unknown-fork", "Constantinople", true, 0),
        test_json("d-bad-index", "Cancun", true, 3),
        test_json("tests/x.py::InitCollision[fork_Cancun]", "Cancun", false, 0),
    );
    let path = write_fixture("cases", &body);
    let opts = RunOptions {
        skip: SkipList::parse("*::InitCollision*  # a listed case"),
        ..RunOptions::new()
    };
    // A filter leaves tests out without counting them.
    let only_a = RunOptions {
        filter: crate::filter::Filter {
            fork: Some("Cancun".into()),
            name: Some("a-invalid".into()),
        },
        ..RunOptions::new()
    };
    let filtered = run_file(&path, &only_a);
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0].name, "a-invalid-as-expected");
    let results = run_file(&path, &opts);
    let _ = std::fs::remove_dir_all(path.parent().expect("has parent"));
    assert_eq!(results.len(), 6);
    let by_name = |n: &str| {
        results
            .iter()
            .find(|r| r.name == n)
            .unwrap_or_else(|| panic!("no result for {n}"))
    };
    let a = by_name("a-invalid-as-expected");
    assert!(a.passed(), "{a}");
    assert_eq!(a.logs_hash, Some(EMPTY_LOGS_HASH));
    assert_eq!(a.exception, Some(true));
    // Rejected, but for the nonce, not the funds the fixture names: an exception mismatch.
    let e = by_name("e-wrong-exception");
    assert!(
        matches!(
            &e.status,
            CaseStatus::Failed(CaseError::WrongException { got, .. })
                if *got == "TransactionException.NONCE_MISMATCH_TOO_HIGH"
        ),
        "{e}"
    );
    assert_eq!(e.exception, Some(false));
    assert!(matches!(
        by_name("b-unexpected-invalid").status,
        CaseStatus::Failed(CaseError::UnexpectedException(_))
    ));
    assert!(matches!(
        by_name("c-unknown-fork").status,
        CaseStatus::Failed(CaseError::UnknownFork(_))
    ));
    assert!(matches!(
        by_name("d-bad-index").status,
        CaseStatus::Failed(CaseError::Fixture(FixtureError::Invalid { .. }))
    ));
    assert!(matches!(
        &by_name("tests/x.py::InitCollision[fork_Cancun]").status,
        CaseStatus::Skipped(reason) if reason == "a listed case"
    ));
    let mut summary = Summary::default();
    results.iter().for_each(|r| summary.add(r));
    assert_eq!(summary.total.to_string(), "1 passed, 4 failed, 1 skipped");
    assert_eq!(summary.categories.len(), 4);
    assert_eq!(summary.exception_totals(), (1, 1));
}

#[test]
fn malformed_file_is_one_failed_case() {
    let path = write_fixture("malformed", r#"{"t": {"env": "#);
    let results = run_file(&path, &RunOptions::new());
    let _ = std::fs::remove_dir_all(path.parent().expect("has parent"));
    assert_eq!(results.len(), 1);
    let text = results[0].to_string();
    assert!(text.starts_with("FAIL "), "{text}");
    assert!(text.contains("fixture.json"), "{text}");
}

#[test]
fn missing_file_is_one_failed_case() {
    let results = run_file(
        std::path::Path::new("/nonexistent/parevm/fixture.json"),
        &RunOptions::new(),
    );
    assert_eq!(results.len(), 1);
    assert!(matches!(
        results[0].status,
        CaseStatus::Failed(CaseError::Fixture(FixtureError::Io { .. }))
    ));
}

/// A shared byte buffer the trace sink writes into.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn trace_is_json_lines_with_exact_gas_costs() {
    // add11: PUSH1 1, PUSH1 1, ADD, PUSH1 0, SSTORE (cold, zero to non-zero: 2,100 + 20,000), STOP.
    let body = format!(
        r#"{{"add11": {{
          "env": {{"currentCoinbase": "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba", "currentGasLimit": "0x07a120",
                  "currentNumber": "0x01", "currentTimestamp": "0x03e8", "currentDifficulty": "0x00",
                  "currentBaseFee": "0x07", "currentExcessBlobGas": "0x00",
                  "currentRandom": "0x0000000000000000000000000000000000000000000000000000000000020000"}},
          "pre": {{"{SENDER}": {{"nonce": "0x00", "balance": "0x0de0b6b3a7640000", "code": "0x", "storage": {{}}}},
                  "0x095e7baea6a6c7c4c2dfeb977efac326af552d87": {{"nonce": "0x00", "balance": "0x00",
                      "code": "0x600160010160005500", "storage": {{}}}}}},
          "transaction": {{"nonce": "0x00", "gasPrice": "0x0a", "gasLimit": ["0x061a80"],
                  "to": "0x095e7baea6a6c7c4c2dfeb977efac326af552d87", "value": ["0x01"], "data": ["0x"],
                  "sender": "{SENDER}"}},
          "post": {{"Cancun": [{{"hash": "{root}", "logs": "{EMPTY_LOGS_HASH}",
                  "indexes": {{"data": 0, "gas": 0, "value": 0}}, "state": {{}}}}]}},
          "config": {{"chainid": "0x01"}}
        }}}}"#,
        root = pre_root(),
    );
    let path = write_fixture("trace", &body);
    let captured = Captured::default();
    let opts = RunOptions {
        trace: Some(super::trace::TraceSink::new(Box::new(captured.clone()))),
        ..RunOptions::new()
    };
    let results = run_file(&path, &opts);
    let _ = std::fs::remove_dir_all(path.parent().expect("has parent"));
    assert_eq!(results.len(), 1);
    let text = String::from_utf8(captured.0.lock().expect("unpoisoned").clone()).expect("utf-8");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    assert_eq!(lines.len(), 7, "{text}");
    let costs: Vec<&str> = lines[..6]
        .iter()
        .map(|l| l["gasCost"].as_str().expect("gasCost"))
        .collect();
    assert_eq!(costs, ["0x3", "0x3", "0x3", "0x3", "0x5654", "0x0"]);
    let names: Vec<&str> = lines[..6]
        .iter()
        .map(|l| l["opName"].as_str().expect("opName"))
        .collect();
    assert_eq!(names, ["PUSH1", "PUSH1", "ADD", "PUSH1", "SSTORE", "STOP"]);
    for key in [
        "pc",
        "op",
        "gas",
        "memSize",
        "stack",
        "returnData",
        "depth",
        "refund",
    ] {
        assert!(
            lines[0].get(key).is_some(),
            "step without {key}: {}",
            lines[0]
        );
    }
    let summary = &lines[6];
    for key in ["stateRoot", "output", "gasUsed", "pass", "fork", "time"] {
        assert!(
            summary.get(key).is_some(),
            "summary without {key}: {summary}"
        );
    }
    assert_eq!(summary["fork"], "Cancun");
    assert_eq!(summary["gasUsed"], "0xa868");
}
