//! Acceptance test: every official blockchain test (EEST v5.4.0, both blockchain archives: 9,993 tests over
//! all forks and the transition networks) must pass, with nothing skipped. The counts are pinned: a test
//! that stops running (or a skip-list entry) shows.
//!
//! Runs once sequentially and with the parallel transaction runner at 2 and 4 threads.
//!
//! The archives are unpacked from `$PAREVM_SHARED/fixtures` (default `<workspace>/../shared/fixtures`) into
//! `target/fixtures` on first use. Failures are printed (up to a limit) with the block and what differed,
//! followed by per-network counts.

use parevm_block::TxRunner;
use parevm_conformance::blocktest::{run_files, BlocktestOptions, CaseOptions, CaseResult, Status};
use parevm_conformance::statetest::collect_files;
use parevm_conformance::unpack::fixtures_dir;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Failures printed in full before the rest are only counted.
const MAX_PRINTED: usize = 100;

fn run_all(runner: TxRunner, store: bool) {
    let dir = fixtures_dir()
        .expect("fixtures unpack")
        .join("eest-v5.4.0")
        .join("blockchain_tests");
    let files = collect_files(&[dir]).expect("fixture folder readable");
    assert!(
        files.len() > 2000,
        "only {} fixture files found",
        files.len()
    );

    let printed = AtomicUsize::new(0);
    let sink = |results: &[CaseResult]| {
        for r in results {
            if matches!(r.status, Status::Failed(_))
                // ORDERING: a plain counter for a print limit; no other memory depends on it.
                && printed.fetch_add(1, Ordering::Relaxed) < MAX_PRINTED
            {
                println!("{r}");
            }
        }
    };
    let opts = BlocktestOptions {
        case: CaseOptions {
            runner,
            store,
            trace: None,
        },
        ..BlocktestOptions::default()
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
        (9_993, 0, 0),
        "{}",
        summary.total
    );
    // Every invalid block (594) is rejected with an exception its fixture names.
    assert_eq!(summary.exception_totals(), (594, 0), "{}", summary.table());
}

#[test]
fn official_blockchain_tests_pass() {
    run_all(TxRunner::Sequential, false);
}

/// Every test again through the chain store (redb's in-memory backend): per-block overlay, incremental
/// root over stored trie nodes, one committed batch per block; the same pinned counts as in memory.
#[test]
fn official_blockchain_tests_pass_through_the_chain_store() {
    run_all(TxRunner::Sequential, true);
}

/// The same suite with every block's transactions through the parallel executor at 2 and 4 threads: its
/// outcomes must equal the sequential ones (the fixtures have about 280 blocks with two or more
/// transactions).
#[test]
fn official_blockchain_tests_pass_with_parallel_runner() {
    // Every block through the parallel engine, however small (results are identical, only cost differs).
    parevm_parallel_commit::force_parallel_path(true);
    for threads in [2, 4] {
        run_all(TxRunner::Checked { threads }, false);
    }
}
