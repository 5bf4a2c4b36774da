//! The kona executor fixtures (real OP Sepolia blocks with their stateless witness) timed as the
//! `optest` replay path runs them: per run a fresh witness-backed state, `build_block` from the parent
//! header and the rollup node's payload attributes (execution, then the state root over the witness's
//! tries), and the hash compared with the real block's. No persistent store: nothing is committed.

use super::report::LatencyRow;
use super::NewPayloadError;
use parevm_conformance::optest::kona::{load_preimages, Fixture};
use parevm_conformance::optest::{find_cases, OpCase};
use parevm_op_stack_adapter::{build_block, OpChainConfig, Runner, WitnessState};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn runner(threads: usize) -> Runner {
    // As `OpNode::open`: one thread is the sequential path.
    if threads <= 1 {
        Runner::Sequential
    } else {
        Runner::Parallel(threads)
    }
}

/// Times every fixture under `dir` `runs` times per thread count (after one untimed run each), the
/// thread counts alternating run by run. Every run must rebuild the real block hash.
pub fn run_kona(
    dir: &Path,
    threads: &[usize],
    runs: usize,
) -> Result<Vec<LatencyRow>, NewPayloadError> {
    let mut rows = Vec::new();
    for case in find_cases(&[dir.to_path_buf()]) {
        let OpCase::Block(path) = case else { continue };
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let fixture_path = path.join("fixture.json");
        let text =
            std::fs::read_to_string(&fixture_path).map_err(|source| NewPayloadError::Io {
                path: fixture_path.clone(),
                source,
            })?;
        let fixture: Fixture = serde_json::from_str(&text)
            .map_err(|e| NewPayloadError::Setup(format!("{}: {e}", fixture_path.display())))?;
        let preimages = Arc::new(load_preimages(&path.join("preimages.json"))?);
        let config = OpChainConfig {
            chain_id: fixture.rollup_config.l2_chain_id,
            forks: fixture.rollup_config.forks,
            eip1559: fixture.rollup_config.chain_op_config,
        };
        let parent = &fixture.parent_header;
        let parent_hash = parent.hash_slow();
        let number = parent.number + 1;
        let build = |threads: usize| -> Result<(Duration, Duration, u64, usize), NewPayloadError> {
            let cpu_start = crate::cpu::process_cpu_time();
            let start = Instant::now();
            let mut state = WitnessState::new(preimages.clone(), parent.state_root);
            state.set_block_hash(parent.number, parent_hash);
            let built = build_block(
                &config,
                &mut state,
                parent,
                parent_hash,
                &fixture.executing_payload,
                runner(threads),
            )?;
            let took = start.elapsed();
            let cpu = crate::cpu::process_cpu_time().saturating_sub(cpu_start);
            if built.hash != fixture.expected_block_hash {
                return Err(NewPayloadError::Mismatch {
                    number,
                    what: format!(
                        "{name} at {threads} threads: hash {} expected {}",
                        built.hash, fixture.expected_block_hash
                    ),
                });
            }
            Ok((took, cpu, built.header.gas_used, built.transactions.len()))
        };
        let mut samples = vec![Vec::with_capacity(runs); threads.len()];
        let mut cpu = vec![Vec::with_capacity(runs); threads.len()];
        let mut gas = 0;
        let mut txs = 0;
        for &t in threads {
            (_, _, gas, txs) = build(t)?;
        }
        for r in 0..runs {
            let mut order: Vec<usize> = (0..threads.len()).collect();
            if r % 2 == 1 {
                order.reverse();
            }
            for i in order {
                let (took, used, ..) = build(threads[i])?;
                samples[i].push(took);
                cpu[i].push(used);
            }
        }
        let raw = fixture
            .executing_payload
            .transactions
            .clone()
            .unwrap_or_default();
        let start = Instant::now();
        for (i, tx) in raw.iter().enumerate() {
            parevm_op_stack_adapter::tx::decode_tx(i, tx)?;
        }
        let recover = start.elapsed();
        for (i, &t) in threads.iter().enumerate() {
            rows.push(LatencyRow::new(
                format!("kona {name}"),
                None,
                t,
                txs,
                gas as f64,
                &samples[i],
                &cpu[i],
                &[],
                &[recover],
            ));
        }
    }
    Ok(rows)
}
