//! Issue 16, item 3: heavy precompiles split across threads must give the one-thread results. The official
//! tests of the bn254 precompiles (EEST's `eip197_ec_pairing` and `eip196_ec_add_mul`, and the ported
//! `stZeroKnowledge` and `stZeroKnowledge2` suites: valid and invalid points, coordinates at and above the
//! field modulus, points off the curve and outside the subgroup, empty and truncated inputs, out of gas)
//! run as state tests and as blockchain tests with every pairing check the cost model allows split across
//! 2, 3 and 8 threads
//! (`parevm_evm_core::precompile_split`, installed as revm-precompile's cryptography provider). The counts
//! are pinned and nothing may fail.
//!
//! This file is its own test process, so the provider it installs affects no other test.

use parevm_block::TxRunner;
use parevm_conformance::blocktest::{self, BlocktestOptions, CaseOptions};
use parevm_conformance::statetest::{self, collect_files, RunOptions, SuiteOptions};
use parevm_conformance::unpack::fixtures_dir;
use parevm_evm_core::precompile_split;
use std::path::PathBuf;

/// The bn254 fixture folders under `kind` (`state_tests` or `blockchain_tests`).
fn bn254_dirs(kind: &str) -> Vec<PathBuf> {
    let root = fixtures_dir()
        .expect("fixtures unpack")
        .join("eest-v5.4.0")
        .join(kind);
    vec![
        root.join("byzantium/eip197_ec_pairing"),
        root.join("byzantium/eip196_ec_add_mul"),
        root.join("static/state_tests/stZeroKnowledge"),
        root.join("static/state_tests/stZeroKnowledge2"),
    ]
}

#[test]
fn bn254_tests_pass_with_pairings_split() {
    assert!(precompile_split::install(), "the split provider installs");
    let state_files = collect_files(&bn254_dirs("state_tests")).expect("state fixtures readable");
    let block_files =
        collect_files(&bn254_dirs("blockchain_tests")).expect("blockchain fixtures readable");
    for threads in [1, 2, 3, 8] {
        precompile_split::set_threads(threads);
        let split_before = precompile_split::split_calls();
        let opts = SuiteOptions {
            run: RunOptions::new(),
            threads: None,
            progress: false,
        };
        let s = statetest::run_files(
            &state_files,
            &opts,
            &|results: &[statetest::CaseResult]| {
                for r in results {
                    if matches!(r.status, statetest::CaseStatus::Failed(_)) {
                        println!("{r}");
                    }
                }
            },
        )
        .expect("state tests run");
        println!(
            "state tests, heavy precompiles on {threads} threads: {}",
            s.total
        );
        assert_eq!(
            (s.total.passed, s.total.failed, s.total.skipped),
            (STATE_CASES, 0, 0),
            "{threads} threads: {}",
            s.total
        );
        let opts = BlocktestOptions {
            case: CaseOptions {
                runner: TxRunner::Sequential,
                store: false,
                trace: None,
            },
            ..BlocktestOptions::default()
        };
        let b = blocktest::run_files(
            &block_files,
            &opts,
            &|results: &[blocktest::CaseResult]| {
                for r in results {
                    if matches!(r.status, blocktest::Status::Failed(_)) {
                        println!("{r}");
                    }
                }
            },
        )
        .expect("blockchain tests run");
        println!(
            "blockchain tests, heavy precompiles on {threads} threads: {}",
            b.total
        );
        assert_eq!(
            (b.total.passed, b.total.failed, b.total.skipped),
            (BLOCK_CASES, 0, 0),
            "{threads} threads: {}",
            b.total
        );
        // The split path ran (or, on one thread, did not).
        let split = precompile_split::split_calls() - split_before;
        println!("precompile calls split on {threads} threads: {split}");
        assert_eq!(
            split > 0,
            threads > 1,
            "{split} calls split on {threads} threads"
        );
    }
    precompile_split::set_threads(1);
}

/// State-test cases in those folders (all forks).
const STATE_CASES: usize = 4_449;
/// Blockchain tests in those folders (all forks).
const BLOCK_CASES: usize = 1_147;
