//! `blocktest --trace`: a traced blockchain test streams EIP-3155 step lines and one closing line per
//! transaction, and those lines agree with the blocks themselves: as many closing lines as the valid blocks
//! hold transactions, and per test their `gasUsed` sum to the headers' gas used.

use parevm_block::decode_block;
use parevm_conformance::blocktest::fixture::TestFile;
use parevm_conformance::blocktest::{run_files, BlocktestOptions, CaseOptions, CaseResult, Status};
use parevm_conformance::statetest::trace::TraceSink;
use parevm_conformance::unpack::fixtures_dir;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// A `Write` whose bytes the test reads back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("capture lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn hex_u64(v: &serde_json::Value) -> u64 {
    let s = v.as_str().expect("hex string");
    u64::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex number")
}

#[test]
fn traced_blocks_close_every_transaction_with_its_gas() {
    let file = fixtures_dir()
        .expect("fixtures unpack")
        .join("eest-v5.4.0/blockchain_tests/cancun/eip4844_blobs/test_blobhash_multiple_txs_in_block.json");
    let tests: TestFile = serde_json::from_slice(&std::fs::read(&file).expect("fixture readable"))
        .expect("fixture parses");
    let (mut want_txs, mut want_gas) = (0usize, 0u64);
    for test in tests.values() {
        for block in test.blocks.iter().filter(|b| b.expect_exception.is_none()) {
            let rlp = hex::decode(block.rlp.trim_start_matches("0x")).expect("block hex");
            let decoded = decode_block(&rlp).expect("block decodes");
            want_txs += decoded.block.body.transactions.len();
            want_gas += decoded.block.header.gas_used;
        }
    }
    assert!(want_txs > 1, "the fixture holds {want_txs} transactions");

    let captured = Captured::default();
    let opts = BlocktestOptions {
        case: CaseOptions {
            trace: Some(TraceSink::new(Box::new(captured.clone()))),
            ..CaseOptions::default()
        },
        file_threads: Some(1),
        ..BlocktestOptions::default()
    };
    let failed = Mutex::new(Vec::new());
    let sink = |results: &[CaseResult]| {
        for r in results {
            if matches!(r.status, Status::Failed(_)) {
                failed.lock().expect("lock").push(r.to_string());
            }
        }
    };
    let summary = run_files(std::slice::from_ref(&file), &opts, &sink).expect("suite runs");
    assert_eq!(failed.into_inner().expect("lock"), Vec::<String>::new());
    assert_eq!(summary.total.passed, tests.len());

    let text = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8 trace");
    let (mut steps, mut ends, mut gas) = (0usize, 0usize, 0u64);
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("every line is JSON");
        if v.get("opName").is_some() {
            for field in [
                "pc",
                "op",
                "gas",
                "gasCost",
                "memSize",
                "stack",
                "returnData",
                "depth",
                "refund",
                "opName",
            ] {
                assert!(v.get(field).is_some(), "step without {field}: {line}");
            }
            steps += 1;
        } else {
            assert!(
                v.get("output").is_some(),
                "closing line without output: {line}"
            );
            gas += hex_u64(&v["gasUsed"]);
            ends += 1;
        }
    }
    assert!(steps > 0, "no step lines");
    assert_eq!(ends, want_txs, "one closing line per transaction");
    assert_eq!(
        gas, want_gas,
        "closing lines' gas equals the headers' gas used"
    );
}
