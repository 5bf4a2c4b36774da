//! Issue 16: every official state test, blockchain test and recorded mainnet block with *helper frames
//! forced on* (`parevm_evm_core::frame_mode::FrameMode::Forced`): every message call made by a frame a
//! transaction runs itself (its top frame, and creations it runs), precompiles included, runs with its
//! whole subtree on a journal forked from its caller's at the call
//! (`evm-core/src/journal/fork.rs`), and its reads are checked and its net effect applied through the
//! caller's journal (`evm-core/src/transact/frames.rs`). The results must be the pinned counts of the
//! ordinary runs, and every helper frame must be applied (its seed is the caller's journal at the call, so
//! a discard would be a bug in the check).
//!
//! This file is its own test process and its tests take one lock, so the process-wide mode affects nothing
//! else and the counters are this file's.

use parevm_block::TxRunner;
use parevm_conformance::blocktest::{self, BlocktestOptions, CaseOptions};
use parevm_conformance::replay::{blocks_dir, replay_dirs, BlockReport};
use parevm_conformance::statetest::{self, collect_files, RunOptions, SuiteOptions};
use parevm_conformance::unpack::fixtures_dir;
use parevm_evm_core::frame_mode::{self, FrameMode};
use std::sync::Mutex;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs `f` in frame mode `mode` and returns the helper-frame counters of its run.
fn forced_as<T>(mode: FrameMode, f: impl FnOnce() -> T) -> (T, frame_mode::FrameStats) {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    frame_mode::reset_stats();
    frame_mode::set_mode(mode);
    let r = f();
    frame_mode::set_mode(FrameMode::Off);
    (r, frame_mode::stats())
}

fn fixtures(kind: &str) -> Vec<std::path::PathBuf> {
    let dir = fixtures_dir()
        .expect("fixtures unpack")
        .join("eest-v5.4.0")
        .join(kind);
    collect_files(&[dir]).expect("fixture folder readable")
}

/// Every state test in frame mode `mode`: the pinned counts must hold; returns the helper-frame counters.
fn state_tests_in(mode: FrameMode) -> frame_mode::FrameStats {
    let files = fixtures("state_tests");
    let opts = SuiteOptions {
        run: RunOptions::new(),
        threads: None,
        progress: false,
    };
    let (s, stats) = forced_as(mode, || {
        statetest::run_files(&files, &opts, &|results: &[statetest::CaseResult]| {
            for r in results {
                if matches!(r.status, statetest::CaseStatus::Failed(_)) {
                    println!("{r}");
                }
            }
        })
        .expect("state tests run")
    });
    println!(
        "state tests, {mode:?}: {}; helper frames: {stats:?}",
        s.total
    );
    assert_eq!(
        (s.total.passed, s.total.failed, s.total.skipped),
        (29_176, 0, 0),
        "{mode:?}: {}",
        s.total
    );
    stats
}

/// Every blockchain test through `runner`, in frame mode `mode` and with frame lookahead `lookahead`: the
/// pinned counts must hold; returns the helper-frame counters.
fn blockchain_tests_in(
    mode: FrameMode,
    runner: TxRunner,
    lookahead: bool,
) -> frame_mode::FrameStats {
    let files = fixtures("blockchain_tests");
    let opts = BlocktestOptions {
        case: CaseOptions {
            runner,
            store: false,
            trace: None,
        },
        ..BlocktestOptions::default()
    };
    let (b, stats) = forced_as(mode, || {
        parevm_parallel_commit::set_frame_lookahead(lookahead);
        // Every transaction past the gas gate, however short its kind ran before (the cost model's
        // history would otherwise keep most of the suite's short transactions off lookahead).
        parevm_parallel_commit::set_frame_min_time(std::time::Duration::ZERO);
        let b = blocktest::run_files(&files, &opts, &|results: &[blocktest::CaseResult]| {
            for r in results {
                if matches!(r.status, blocktest::Status::Failed(_)) {
                    println!("{r}");
                }
            }
        });
        parevm_parallel_commit::set_frame_lookahead(false);
        parevm_parallel_commit::set_frame_min_time(parevm_parallel_commit::FRAME_MIN_TIME);
        b.expect("blockchain tests run")
    });
    println!(
        "blockchain tests, {mode:?}, {runner:?}, lookahead {lookahead}: {}; helper frames: {stats:?}",
        b.total
    );
    assert_eq!(
        (b.total.passed, b.total.failed, b.total.skipped),
        (9_993, 0, 0),
        "{}",
        b.total
    );
    assert_eq!(b.exception_totals(), (594, 0), "{}", b.table());
    stats
}

/// Every recorded mainnet block in frame mode `mode`: all must replay; returns the helper-frame counters.
fn mainnet_blocks_in(mode: FrameMode) -> frame_mode::FrameStats {
    let dir = blocks_dir().expect("blocks archive unpacks");
    let mut failures = Vec::new();
    let (totals, stats) = forced_as(mode, || {
        replay_dirs(&[dir], TxRunner::Sequential, &mut |r: &BlockReport| {
            if !r.passed() {
                failures.push(r.to_string());
            }
        })
        .expect("replay set readable")
    });
    println!("mainnet blocks, {mode:?}: {totals}; helper frames: {stats:?}");
    assert_eq!(
        (totals.passed, totals.failed),
        (55, 0),
        "{totals}; failures:\n{}",
        failures.join("\n")
    );
    stats
}

#[test]
fn state_tests_pass_with_frames_forced() {
    let stats = state_tests_in(FrameMode::Forced);
    assert!(stats.applied > 100_000, "{stats:?}");
    assert_eq!(
        (stats.run, stats.discarded),
        (stats.applied, 0),
        "{stats:?}"
    );
}

#[test]
fn blockchain_tests_pass_with_frames_forced() {
    let stats = blockchain_tests_in(FrameMode::Forced, TxRunner::Sequential, false);
    assert!(stats.applied > 10_000, "{stats:?}");
    assert_eq!(
        (stats.run, stats.discarded),
        (stats.applied, 0),
        "{stats:?}"
    );
}

#[test]
fn mainnet_blocks_replay_with_frames_forced() {
    let stats = mainnet_blocks_in(FrameMode::Forced);
    assert!(stats.applied > 5_000, "{stats:?}");
    assert_eq!(
        (stats.run, stats.discarded),
        (stats.applied, 0),
        "{stats:?}"
    );
}

/// The check itself: every helper frame from the seed of its transaction's first call and with three
/// quarters of the call's gas (`FrameMode::ForcedStale`). Frames that read what changed since, or whose run
/// depended on their gas limit, must be discarded and run inline; the rest applied; the results the same.
#[test]
fn state_tests_pass_with_stale_helper_frames() {
    let stats = state_tests_in(FrameMode::ForcedStale);
    assert_eq!(stats.run, stats.applied + stats.discarded, "{stats:?}");
    assert!(
        stats.applied > 10_000 && stats.discarded > 10_000,
        "{stats:?}"
    );
}

#[test]
fn mainnet_blocks_replay_with_stale_helper_frames() {
    let stats = mainnet_blocks_in(FrameMode::ForcedStale);
    assert_eq!(stats.run, stats.applied + stats.discarded, "{stats:?}");
    assert!(
        stats.applied > 1_000 && stats.discarded > 1_000,
        "{stats:?}"
    );
}

/// Frame lookahead on threads, as blocks that stay on one thread get it with `--threads` above 1
/// (`parallel-commit/src/frames.rs`): every blockchain test through the checked parallel runner at 2 and 4
/// threads, not forced onto the parallel engine, so that every small block runs in order with a scout and
/// helpers running its transactions' calls ahead; the runner checks every block against the sequential
/// path. (Lookahead is off by default: `parevm_parallel_commit::set_frame_lookahead`.)
#[test]
fn blockchain_tests_pass_with_frame_lookahead() {
    let mut helper_frames = 0;
    for threads in [2, 4] {
        let stats = blockchain_tests_in(FrameMode::Off, TxRunner::Checked { threads }, true);
        // Every helper frame that finished is either applied or discarded at its call, or was never
        // reached (its transaction ended first).
        assert!(stats.applied + stats.discarded <= stats.run, "{stats:?}");
        helper_frames += stats.run;
    }
    // How many helper frames finish before their call depends on the scheduler; over two runs of the
    // suite some always do (85 and 26,197 on 2 cores here).
    assert!(helper_frames > 0, "no helper frame ran");
}
