//! Per-transaction overhead of the parallel path on the cheapest possible block: plain transfers from
//! distinct senders to distinct recipients (no conflicts but the coinbase's fee deltas).
//!
//! `cargo run --release -p parevm-parallel-commit --example overhead -- [txs] [threads] [rounds] [par]`
//! (a fourth argument `par` skips the sequential runs, `seq` the parallel ones, for profiling one path;
//! a fifth argument `chain` makes every transfer come from one sender: a fully dependent nonce chain).

use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use parevm_evm_core::env::{BlockEnv, CfgEnv, Env, TxEnv};
use parevm_evm_core::SpecId;
use parevm_parallel_commit::{execute_parallel_with, execute_sequential, ParallelConfig};
use parevm_state::InMemoryState;
use std::time::{Duration, Instant};

// The allocator the `parevm` binary and the benches use.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn addr(prefix: u8, i: usize) -> Address {
    let mut a = [prefix; 20];
    a[12..20].copy_from_slice(&(i as u64).to_be_bytes());
    Address::from(a)
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let txs = args.first().copied().unwrap_or(1000);
    let threads = args.get(1).copied().unwrap_or(2);
    let rounds = args.get(2).copied().unwrap_or(50);
    let mode = std::env::args().nth(4).unwrap_or_default();
    let (par_only, seq_only) = (mode == "par", mode == "seq");
    let chain = std::env::args().nth(5).is_some_and(|a| a == "chain");
    let mut state = InMemoryState::new();
    // The beneficiary exists, as on mainnet.
    state.insert_account(
        Address::repeat_byte(0xcb),
        U256::from(1),
        0,
        Bytes::new(),
        [],
    );
    let block = BlockEnv {
        number: 1,
        beneficiary: Address::repeat_byte(0xcb),
        gas_limit: u64::MAX / 2,
        basefee: U256::from(1),
        prevrandao: Some(B256::ZERO),
        blob_basefee: Some(1),
        ..Default::default()
    };
    let envs: Vec<Env> = (0..txs)
        .map(|i| {
            state.insert_account(
                addr(0x11, i),
                U256::from(10u64.pow(18)),
                0,
                Bytes::new(),
                [],
            );
            Env {
                cfg: CfgEnv::new(1, SpecId::CANCUN),
                block: block.clone(),
                tx: TxEnv {
                    caller: addr(0x11, if chain { 0 } else { i }),
                    nonce: if chain { i as u64 } else { 0 },
                    gas_limit: 21_000,
                    gas_price: U256::from(2),
                    kind: TxKind::Call(addr(0x22, i)),
                    value: U256::from(1),
                    chain_id: Some(1),
                    ..Default::default()
                },
            }
        })
        .collect();
    let mut seq = Duration::ZERO;
    let mut par = Duration::ZERO;
    let mut validations = 0;
    for _ in 0..rounds {
        if !par_only {
            let t = Instant::now();
            let s = execute_sequential(&envs, &state);
            seq += t.elapsed();
            assert_eq!(s.len(), txs);
        }
        if seq_only {
            continue;
        }
        let t = Instant::now();
        let p = execute_parallel_with(&envs, &state, &ParallelConfig::new(threads)).expect("runs");
        par += t.elapsed();
        validations += p.report.validations;
        if std::env::var_os("OVERHEAD_REPORT").is_some() {
            eprintln!("{:?}", p.report);
        }
        assert_eq!(p.results.len(), txs);
    }
    let per = |d: Duration| d.as_secs_f64() * 1e6 / (rounds * txs) as f64;
    println!(
        "{txs} transfers, {threads} threads: sequential {:.2} us/tx, parallel {:.2} us/tx wall, {:.1} validations/tx",
        per(seq),
        per(par),
        validations as f64 / (rounds * txs) as f64
    );
}
