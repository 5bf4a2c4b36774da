//! The client suite of `parevm dev` (issue 12): `e2e/run.mjs` runs every scenario in `e2e/scenarios`
//! (viem, ethers, web3.py, forge, cast, dev methods, tracers, bad input) against real anvil 1.7.1 and
//! against this binary, and diffs their answers leaf by leaf with the masks in `e2e/masks.mjs`.
//! `e2e/setup.sh` installs the pinned clients into `~/.cache/parevm-e2e` the first time.

use std::path::Path;
use std::process::Command;

#[test]
fn clients_see_the_same_answers_from_parevm_dev_and_anvil() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let setup = Command::new("bash")
        .arg(root.join("e2e/setup.sh"))
        .status()
        .expect("bash runs e2e/setup.sh");
    assert!(
        setup.success(),
        "e2e/setup.sh failed (npm ci / pip install)"
    );
    let out = Command::new("node")
        .arg(root.join("e2e/run.mjs"))
        .arg("--parevm")
        .arg(env!("CARGO_BIN_EXE_parevm"))
        .output()
        .expect("node runs e2e/run.mjs");
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "client suite failed:\n{text}");
    // Every scenario file ran and passed: the count is pinned to the files in e2e/scenarios.
    let scenarios = std::fs::read_dir(root.join("e2e/scenarios"))
        .expect("e2e/scenarios is readable")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "mjs"))
        .count();
    assert_eq!(
        scenarios, 15,
        "a scenario was added or removed: update this count"
    );
    assert!(
        text.contains(&format!("\n{scenarios} passed, 0 failed")),
        "expected {scenarios} passed, 0 failed:\n{text}"
    );
}
