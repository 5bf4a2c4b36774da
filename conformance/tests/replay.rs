//! Acceptance test: all 55 mainnet blocks of the shared `mainnet-blocks` archive replay to their headers'
//! `gasUsed`, `logsBloom` and (from Byzantium on) `receiptsRoot`, sequentially and with the parallel
//! runner at 2 and 4 threads.
//!
//! The archive is unpacked from `$PAREVM_SHARED/blocks` (default `<workspace>/../shared/blocks`) into
//! `target/blocks` on first use.

use parevm_block::TxRunner;
use parevm_conformance::replay::{blocks_dir, replay_dirs, BlockReport};

fn replay_all(runner: TxRunner) {
    let dir = blocks_dir().expect("blocks archive unpacks");
    let mut failures = Vec::new();
    let mut sink = |r: &BlockReport| {
        println!("{r}");
        if !r.passed() {
            failures.push(r.to_string());
        }
    };
    let totals = replay_dirs(&[dir], runner, &mut sink).expect("replay set readable");
    println!("{totals}");
    assert_eq!(
        totals.passed,
        55,
        "{totals}; failures:\n{}",
        failures.join("\n")
    );
    assert_eq!(totals.failed, 0, "{totals}");
}

#[test]
fn mainnet_blocks_replay_sequentially() {
    replay_all(TxRunner::Sequential);
}

/// Every block through the parallel executor at 2 and 4 threads.
#[test]
fn mainnet_blocks_replay_with_parallel_runner() {
    // Every block through the parallel engine, however small (results are identical, only cost differs).
    parevm_parallel_commit::force_parallel_path(true);
    for threads in [2, 4] {
        replay_all(TxRunner::Checked { threads });
    }
}
