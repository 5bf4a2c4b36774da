//! Single-engine loops for instruction-count profiling (`valgrind --tool=callgrind`, `perf stat`): one
//! interp case, one synthetic block or one recorded mainnet block, run `iters` times by one engine only, so that a counter attributes
//! every instruction to that engine. Two runs with different `iters` cancel the setup out:
//! `(count(2n) - count(n)) / n` is the cost of one iteration. Nothing is timed here.

use crate::check::run_in_place;
use crate::error::BenchError;
use crate::interp::{all_cases, check};
use crate::synthetic::build;
use crate::synthetic::suite::{prepare, run_revm};
use parevm_parallel_commit::{execute_parallel, execute_sequential};

/// Which engine a profile loop runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileEngine {
    /// parevm (the sequential path for a block).
    Ours,
    /// revm.
    Revm,
    /// parevm's in-place import path (blocks only; a fresh copy of the state per iteration).
    Import,
    /// parevm's parallel engine at the given thread count (blocks only).
    Parallel(usize),
}

/// Runs interp case `name` `iters` times with `engine`, after the usual agreement check.
pub fn interp(name: &str, engine: ProfileEngine, iters: u32) -> Result<(), BenchError> {
    let case = all_cases()?
        .into_iter()
        .chain(crate::interp::cases::extra_loops())
        .find(|c| c.name == name)
        .ok_or_else(|| BenchError::Setup {
            case: name.into(),
            reason: "no interp case of that name".into(),
        })?;
    let (ours, mut reference, _) = check(&case)?;
    for _ in 0..iters {
        match engine {
            ProfileEngine::Revm => {
                std::hint::black_box(reference.run()?);
            }
            _ => {
                std::hint::black_box(ours.run()?);
            }
        }
    }
    Ok(())
}

/// Builds synthetic workload `name` at `scale` (with its fee recipient absent from the pre-state when
/// `absent_coinbase`) and executes the block `iters` times with `engine`
/// (no agreement check: the `synthetic` suite does that).
pub fn synthetic(
    name: &str,
    scale: f64,
    absent_coinbase: bool,
    engine: ProfileEngine,
    iters: u32,
) -> Result<(), BenchError> {
    let mut w = build(name, scale)?;
    if absent_coinbase {
        w = crate::synthetic::workloads::with_absent_coinbase(w);
    }
    let p = prepare(&w);
    for _ in 0..iters {
        match engine {
            ProfileEngine::Ours => {
                std::hint::black_box(execute_sequential(&p.envs, &p.state));
            }
            ProfileEngine::Revm => {
                std::hint::black_box(run_revm(&w, p.db.clone())?);
            }
            ProfileEngine::Import => {
                std::hint::black_box(run_in_place(&p.envs, &mut p.state.clone(), name)?);
            }
            ProfileEngine::Parallel(t) => {
                let r =
                    execute_parallel(&p.envs, &p.state, t).map_err(|e| BenchError::Rejected {
                        engine: "parevm-par",
                        case: name.into(),
                        reason: e.to_string(),
                    })?;
                std::hint::black_box(r);
            }
        }
    }
    Ok(())
}

/// Loads recorded mainnet block `number` from the set under `dir` and executes it `iters` times with
/// `engine` (no agreement check: the `mainnet` suite does that).
pub fn mainnet(
    dir: &std::path::Path,
    number: u64,
    engine: ProfileEngine,
    iters: u32,
) -> Result<(), BenchError> {
    let (blocks, set) = crate::mainnet::block::load_blocks(dir, &[number])?;
    let b = blocks.first().ok_or_else(|| BenchError::Setup {
        case: format!("block {number}"),
        reason: "not in the set".into(),
    })?;
    let revm = crate::mainnet::reference::RevmBlock::new(b, &set)?;
    for _ in 0..iters {
        match engine {
            ProfileEngine::Ours => {
                std::hint::black_box(execute_sequential(&b.envs, &b.state));
            }
            ProfileEngine::Revm => {
                std::hint::black_box(revm.run(revm.fresh_db())?);
            }
            ProfileEngine::Import => {
                let case = format!("block {number}");
                std::hint::black_box(run_in_place(&b.envs, &mut b.state.clone(), &case)?);
            }
            ProfileEngine::Parallel(t) => {
                let r =
                    execute_parallel(&b.envs, &b.state, t).map_err(|e| BenchError::Rejected {
                        engine: "parevm-par",
                        case: format!("block {number}"),
                        reason: e.to_string(),
                    })?;
                std::hint::black_box(r);
            }
        }
    }
    Ok(())
}
