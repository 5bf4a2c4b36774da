//! Criterion micro-benchmarks of the interpreter: parevm and revm side by side on one transaction, per
//! case (`cargo bench -p parevm-benches --bench interp`): the `interp` suite's cases (the bench-bytecode
//! contracts and the arithmetic `opcode_loop`) plus two more opcode-heavy loops (warm storage, keccak).
//! Each case is checked for agreement (status, gas, output) before it is measured.

use criterion::{criterion_group, criterion_main, Criterion};
use parevm_benches::interp::cases::extra_loops;
use parevm_benches::interp::{all_cases, check};
use std::hint::black_box;
use std::time::Duration;

// The same allocator as the `parevm-benches` and `parevm` binaries: both engines allocate per transaction,
// and under the system allocator parevm's sequential path runs up to 2x slower on mainnet blocks.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn interp(c: &mut Criterion) {
    let mut cases = match all_cases() {
        Ok(cases) => cases,
        Err(e) => panic!("cannot load the interp cases: {e}"),
    };
    cases.extend(extra_loops());
    for case in cases {
        let (ours, mut reference, result) = match check(&case) {
            Ok(x) => x,
            Err(e) => panic!("{e}"),
        };
        let mut group = c.benchmark_group(case.name);
        // Heavy contracts (~160 Mgas) take a good fraction of a second per run.
        if result.gas_used > 10_000_000 {
            group
                .sample_size(10)
                .measurement_time(Duration::from_secs(15));
        }
        group.bench_function("parevm", |b| b.iter(|| black_box(ours.run())));
        group.bench_function("revm", |b| b.iter(|| black_box(reference.run())));
        group.finish();
    }
}

criterion_group!(benches, interp);
criterion_main!(benches);
