//! Acceptance test: the whole official state-test suite (EEST v5.4.0, 29,176 cases, all forks) must pass,
//! with nothing skipped. The counts are pinned: a case that stops running (or a skip-list entry) shows.
//!
//! The archive is unpacked from `$PAREVM_SHARED/fixtures` (default `<workspace>/../shared/fixtures`) into
//! `target/fixtures` on first use. Failures are printed (up to a limit) with what differed, followed by
//! per-fork counts.

use parevm_conformance::statetest::{
    collect_files, install_panic_hook, run_files, CaseResult, CaseStatus, RunOptions, SuiteOptions,
};
use parevm_conformance::unpack::fixtures_dir;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Failures printed in full before the rest are only counted.
const MAX_PRINTED: usize = 100;

#[test]
fn official_state_tests_pass() {
    install_panic_hook();
    let dir = fixtures_dir()
        .expect("fixtures unpack")
        .join("eest-v5.4.0")
        .join("state_tests");
    let files = collect_files(&[dir]).expect("fixture folder readable");
    assert!(
        files.len() > 2000,
        "only {} fixture files found",
        files.len()
    );

    let printed = AtomicUsize::new(0);
    let sink = |results: &[CaseResult]| {
        for r in results {
            if matches!(r.status, CaseStatus::Failed(_))
                // ORDERING: a plain counter for a print limit; no other memory depends on it.
                && printed.fetch_add(1, Ordering::Relaxed) < MAX_PRINTED
            {
                println!("{r}");
            }
        }
    };
    let opts = SuiteOptions {
        run: RunOptions::new(),
        threads: None,
        progress: false,
    };
    let summary = run_files(&files, &opts, &sink).expect("suite runs");
    println!("{}", summary.table());
    println!("{}", summary.total);
    assert_eq!(
        (
            summary.total.passed,
            summary.total.failed,
            summary.total.skipped
        ),
        (29_176, 0, 0),
        "{}",
        summary.total
    );
    // Every expected exception is matched by name: 1,017 cases reject their transaction with an error the
    // fixture names, none with another one.
    assert_eq!(
        summary.exception_totals(),
        (1_017, 0),
        "{}",
        summary.table()
    );
}
