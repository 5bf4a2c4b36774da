//! `parevm dev --datadir` (issue 12): a crash (kill -9, also in the middle of a stream of transactions) or
//! a SIGINT never loses a mined block. `e2e/datadir.mjs` starts this binary on a fresh folder, crashes and
//! restarts it, and checks blocks, receipts, balances, dev edits and a stored revert; it needs only node.

use std::path::Path;
use std::process::Command;

#[test]
fn a_crash_or_sigint_never_loses_a_mined_block() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new("node")
        .arg(root.join("e2e/datadir.mjs"))
        .arg("--parevm")
        .arg(env!("CARGO_BIN_EXE_parevm"))
        .output()
        .expect("node runs e2e/datadir.mjs");
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "datadir checks failed:\n{text}");
    // Every check ran: the count is pinned.
    assert!(
        text.contains("\n16 passed, 0 failed"),
        "expected 16 passed, 0 failed:\n{text}"
    );
}
