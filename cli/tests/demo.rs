//! `parevm demo` end to end: a small generated block, run at several thread counts (more than this machine
//! has cores, on purpose), must come out identical and exit zero; bad arguments give a clear error.

use std::process::Command;

fn parevm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_parevm"))
}

#[test]
fn demo_runs_parallel_identical_to_sequential() {
    let out = parevm()
        .args([
            "demo",
            "--txs",
            "600",
            "--threads",
            "1,2,4,8",
            "--runs",
            "1",
            "--hot",
            "30",
        ])
        .output()
        .expect("parevm runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.matches("identical\n").count(), 4, "{stdout}");
    assert!(
        stdout.contains("identical: every parallel run matched"),
        "{stdout}"
    );
}

#[test]
fn demo_rejects_a_fork_without_push0() {
    let out = parevm()
        .args(["demo", "--fork", "London", "--txs", "10"])
        .output()
        .expect("parevm runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("PUSH0"), "{stderr}");
}

#[test]
fn demo_rejects_an_unknown_fork() {
    let out = parevm()
        .args(["demo", "--fork", "Nonsense"])
        .output()
        .expect("parevm runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown fork `Nonsense`"));
}
