//! Criterion micro-benchmarks of whole small blocks (`cargo bench -p parevm-benches --bench blocks`):
//! parevm sequential, parevm parallel on 2 threads (and on every available core when there are more), and
//! revm sequential, on small synthetic blocks (scale 0.005: a few dozen to a few hundred transactions) and
//! on three recorded mainnet blocks. Every block is checked first, as the suites do: parallel equal to
//! sequential, revm agreeing per transaction, mainnet blocks reproducing their headers.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use parevm_benches::mainnet::block::{default_dir, load_blocks};
use parevm_benches::mainnet::reference::RevmBlock;
use parevm_benches::synthetic::{self, suite};
use parevm_parallel_commit::{execute_parallel, execute_sequential};
use std::hint::black_box;

// The same allocator as the `parevm-benches` and `parevm` binaries: both engines allocate per transaction,
// and under the system allocator parevm's sequential path runs up to 2x slower on mainnet blocks.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Synthetic block size: 0.005 of pevm's gigagas blocks.
const SCALE: f64 = 0.005;
/// Recorded blocks: Byzantium (195 txs), Berlin (687 txs), Cancun (227 txs).
const MAINNET_BLOCKS: [u64; 3] = [4_864_590, 12_300_570, 19_932_148];

fn thread_counts() -> Vec<usize> {
    let max = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut t = vec![2];
    if max > 2 {
        t.push(max);
    }
    t
}

fn synthetic_blocks(c: &mut Criterion) {
    let threads = thread_counts();
    for name in synthetic::NAMES {
        let w = synthetic::build(name, SCALE).unwrap_or_else(|e| panic!("building {name}: {e}"));
        let p = suite::prepare(&w);
        if let Err(e) = suite::check(&w, &p, &threads) {
            panic!("{e}");
        }
        let mut group = c.benchmark_group(format!("block/{name}"));
        group.bench_function("parevm-seq", |b| {
            b.iter(|| black_box(execute_sequential(&p.envs, &p.state)))
        });
        for &t in &threads {
            group.bench_function(format!("parevm-par-{t}"), |b| {
                b.iter(|| black_box(execute_parallel(&p.envs, &p.state, t)))
            });
        }
        group.bench_function("revm-seq", |b| {
            b.iter_batched(
                || p.db.clone(),
                |db| black_box(suite::run_revm(&w, db)),
                BatchSize::LargeInput,
            )
        });
        group.finish();
    }
}

fn mainnet_blocks(c: &mut Criterion) {
    let threads = thread_counts();
    let dir = default_dir().unwrap_or_else(|e| panic!("locating the mainnet blocks: {e}"));
    let (blocks, set) =
        load_blocks(&dir, &MAINNET_BLOCKS).unwrap_or_else(|e| panic!("loading blocks: {e}"));
    for block in &blocks {
        let revm = RevmBlock::new(block, &set).unwrap_or_else(|e| panic!("{e}"));
        if let Err(e) = parevm_benches::mainnet::suite::check(block, &revm, &threads) {
            panic!("{e}");
        }
        let mut group = c.benchmark_group(format!("mainnet/{}", block.number()));
        group.bench_function("parevm-seq", |b| {
            b.iter(|| black_box(execute_sequential(&block.envs, &block.state)))
        });
        for &t in &threads {
            group.bench_function(format!("parevm-par-{t}"), |b| {
                b.iter(|| black_box(execute_parallel(&block.envs, &block.state, t)))
            });
        }
        group.bench_function("revm-seq", |b| {
            b.iter_batched(
                || revm.fresh_db(),
                |db| black_box(revm.run(db)),
                BatchSize::LargeInput,
            )
        });
        group.finish();
    }
}

criterion_group!(benches, synthetic_blocks, mainnet_blocks);
criterion_main!(benches);
