//! Block building: the parallel builder includes and skips exactly the candidates the sequential builder
//! does (invalid ones, and those whose gas limit no longer fits), at every thread count, and through the
//! adaptive warm-up.

mod common;

use common::*;
use parevm_evm_core::SpecId;
use parevm_parallel_commit::{build_sequential, execute_building_with, BuiltBlock, ParallelConfig};
use proptest::prelude::*;

fn same(a: &BuiltBlock, b: &BuiltBlock) -> Result<(), String> {
    if a.skipped != b.skipped {
        return Err(format!("skipped: {:?} vs {:?}", a.skipped, b.skipped));
    }
    if a.gas_used != b.gas_used {
        return Err(format!("gas: {} vs {}", a.gas_used, b.gas_used));
    }
    let ia: Vec<_> = a.included.iter().map(|(i, _)| *i).collect();
    let ib: Vec<_> = b.included.iter().map(|(i, _)| *i).collect();
    if ia != ib {
        return Err(format!("included: {ia:?} vs {ib:?}"));
    }
    let oa: Vec<_> = a.included.iter().map(|(_, o)| Ok(o.clone())).collect();
    let ob: Vec<_> = b.included.iter().map(|(_, o)| Ok(o.clone())).collect();
    compare(&oa, &ob)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, max_shrink_iters: 100, ..ProptestConfig::default() })]

    #[test]
    fn parallel_builder_equals_sequential_builder(
        specs in prop::collection::vec(any_tx(), 1..32),
        gas_limit in 100_000u64..1_500_000,
        chaos in prop::option::of(any::<u64>()),
    ) {
        let block = build_block(&specs, SpecId::CANCUN);
        let seq = build_sequential(&block.envs, &block.state, gas_limit)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for threads in THREADS {
            let mut cfg = ParallelConfig::forced(threads);
            cfg.chaos = chaos;
            let par = execute_building_with(&block.envs, &block.state, &cfg, gas_limit)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            same(&seq, &par).map_err(|e| TestCaseError::fail(format!("{threads} threads: {e}")))?;
        }
        // The adaptive path: a serial warm-up batch (the committer decides each candidate as it runs it),
        // then helpers.
        let mut cfg = ParallelConfig::forced(2);
        cfg.spawn_after = std::time::Duration::from_micros(30);
        cfg.chaos = chaos;
        let par = execute_building_with(&block.envs, &block.state, &cfg, gas_limit)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        same(&seq, &par).map_err(|e| TestCaseError::fail(format!("warm-up: {e}")))?;
    }
}
