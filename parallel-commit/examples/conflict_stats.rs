//! Prints what the parallel executor did on generated blocks of controlled conflict: executions,
//! re-executions, parks, resumes, validations and wasted gas, per scenario and thread count, after
//! checking every run against the sequential reference.
//!
//! `cargo run --release -p parevm-parallel-commit --example conflict_stats`

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use parevm_evm_core::{ExecStatus, SpecId};
use parevm_parallel_commit::{execute_parallel_with, execute_sequential, ParallelConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;

fn scenarios(rng: &mut StdRng) -> Vec<(&'static str, Vec<TxSpec>)> {
    let n = 200;
    let independent = (0..n)
        .map(|i| TxSpec::Transfer {
            from: (i % 16) as u8,
            to: (16 + i % 24) as u8,
            value: 7,
        })
        .collect();
    let hot = (0..n)
        .map(|i| TxSpec::Counter {
            from: (i % 16) as u8,
        })
        .collect();
    let chain = (0..n).map(|_| TxSpec::Counter { from: 3 }).collect();
    let balance_chain = (0..POOR as usize)
        .map(|i| TxSpec::Transfer {
            from: if i == 0 { 0 } else { RICH + i as u8 - 1 },
            to: RICH + i as u8,
            value: 3_000_000 - 100_000 * i as u64,
        })
        .collect();
    let keyed = (0..n)
        .map(|i| TxSpec::Keyed {
            from: (i % 16) as u8,
            key: rng.random_range(0..4),
        })
        .collect();
    let creates = (0..n)
        .map(|i| match rng.random_range(0..4) {
            0 => TxSpec::Create {
                from: (i % 16) as u8,
            },
            1 => TxSpec::Create2 {
                from: (i % 16) as u8,
                salt: rng.random_range(0..3),
            },
            k => TxSpec::Child {
                from: (i % 16) as u8,
                salt: rng.random_range(0..3),
                destroy: k == 2,
            },
        })
        .collect();
    let mixed = (0..n)
        .map(|i| {
            let from = (i % 16) as u8;
            match rng.random_range(0..6) {
                0 => TxSpec::Transfer {
                    from,
                    to: rng.random_range(0..40),
                    value: 100,
                },
                1 => TxSpec::Counter { from },
                2 => TxSpec::Keyed {
                    from,
                    key: rng.random_range(0..4),
                },
                3 => TxSpec::Revert { from },
                4 => TxSpec::Oog { from },
                _ => TxSpec::ReadBalance {
                    from,
                    who: rng.random_range(0..48),
                },
            }
        })
        .collect();
    let heavy = (0..n)
        .map(|i| TxSpec::Heavy {
            from: (i % 16) as u8,
        })
        .collect();
    let heavy_mixed = (0..n)
        .map(|i| {
            let from = (i % 16) as u8;
            match rng.random_range(0..4) {
                0 => TxSpec::Counter { from },
                1 => TxSpec::Transfer {
                    from,
                    to: rng.random_range(0..40),
                    value: 100,
                },
                _ => TxSpec::Heavy { from },
            }
        })
        .collect();
    vec![
        ("heavy, 16 senders", heavy),
        ("heavy + hot slot + transfers", heavy_mixed),
        ("independent transfers", independent),
        ("one hot slot", hot),
        ("one-sender nonce chain", chain),
        ("balance chain", balance_chain),
        ("4 hot slots", keyed),
        ("create/create2/selfdestruct", creates),
        ("mixed", mixed),
    ]
}

fn main() {
    let mut rng = StdRng::seed_from_u64(7);
    println!(
        "{:<28} {:>4} {:>3} | {:>5} {:>5} {:>5} {:>5} {:>5} {:>6} {:>6} {:>9} {:>9} {:>9} {:>9}",
        "scenario",
        "txs",
        "thr",
        "exec",
        "abort",
        "park",
        "resum",
        "rstrt",
        "valid",
        "vskip",
        "wastedgas",
        "saved_us",
        "idle_us",
        "time_us"
    );
    for (name, specs) in scenarios(&mut rng) {
        let spec = if name.starts_with("create") {
            SpecId::SHANGHAI
        } else {
            SpecId::CANCUN
        };
        let block = build_block(&specs, spec);
        let t = Instant::now();
        let seq = execute_sequential(&block.envs, &block.state);
        let seq_time = t.elapsed();
        let ok = seq
            .iter()
            .filter(|r| matches!(r, Ok(o) if o.status == ExecStatus::Success))
            .count();
        let invalid = seq.iter().filter(|r| r.is_err()).count();
        println!(
            "{name}: {ok} succeeded, {invalid} invalid, sequential {} us",
            seq_time.as_micros()
        );
        for (threads, park) in [(2, true), (2, false), (4, true), (8, true), (16, true)] {
            let mut cfg = ParallelConfig::forced(threads);
            cfg.park = park;
            let par =
                execute_parallel_with(&block.envs, &block.state, &cfg).expect("parallel execution");
            if let Err(e) = compare(&seq, &par.results) {
                panic!("{name} at {threads} threads differs: {e}");
            }
            let r = &par.report;
            println!(
                "{:<28} {:>4} {:>3} | {:>5} {:>5} {:>5} {:>5} {:>5} {:>6} {:>6} {:>9} {:>9} {:>9} {:>9}",
                if park { "" } else { "  parking off (Block-STM)" },
                specs.len(),
                threads,
                r.executions,
                r.re_executions,
                r.parks,
                r.resumes,
                r.restarts,
                r.validations,
                r.validations_skipped,
                r.wasted_gas,
                r.park_saved.as_micros(),
                r.idle.as_micros(),
                r.elapsed.as_micros()
            );
        }
    }
}
