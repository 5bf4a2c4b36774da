//! The lookahead engine with its cost model on (the default configuration), on blocks long enough for it
//! to call its helpers in: results equal sequential execution, transaction by transaction. The property
//! tests (`equivalence.rs`) run the lookahead engine with the cost model off, which never keeps runs for
//! the committer (`lookahead.rs`, `COMMITTER_RUN_EVERY`) nor gives code twins a reason to be made
//! (`evm-core/src/code_twins.rs`); these blocks take both paths.

mod common;

use alloy_primitives::{Address, Bytes, TxKind, U256};
use common::{block_env, compare, HEAVY};
use parevm_evm_core::env::{CfgEnv, Env, TxEnv};
use parevm_evm_core::SpecId;
use parevm_parallel_commit::{
    execute_parallel_with, execute_sequential, Engine, ExecMode, ParallelConfig,
};
use parevm_state::InMemoryState;

/// Senders in these blocks: distinct, so that no transaction is predicted dependent and the committer
/// keeps every third run.
const SENDERS: u16 = 600;

fn sender(i: u16) -> Address {
    let mut a = [0x51u8; 20];
    a[18..].copy_from_slice(&i.to_be_bytes());
    Address::from(a)
}

fn recipient(i: u16) -> Address {
    let mut a = [0x52u8; 20];
    a[18..].copy_from_slice(&i.to_be_bytes());
    Address::from(a)
}

/// A state with every sender funded, and the shared test contracts.
fn state() -> InMemoryState {
    let mut s = common::base_state();
    for i in 0..SENDERS {
        s.insert_account(sender(i), U256::from(common::WEI), 0, Bytes::new(), []);
    }
    s
}

/// One transaction per sender: a plain transfer, or (every `call_every`-th) a call of the shared `HEAVY`
/// contract (a loop, then an increment of the caller's own slot), so that every thread keeps running one
/// contract.
fn block(call_every: u16) -> Vec<Env> {
    (0..SENDERS)
        .map(|i| {
            let call = call_every > 0 && i % call_every == 0;
            // The calls carry input (the contract ignores it): bare calls of one target would be predicted
            // dependent (`lookahead.rs`), and then the committer keeps no runs.
            let (kind, data, gas_limit) = if call {
                (
                    TxKind::Call(HEAVY),
                    Bytes::from_static(&[1, 2, 3, 4]),
                    200_000,
                )
            } else {
                (TxKind::Call(recipient(i)), Bytes::new(), 21_000)
            };
            Env {
                cfg: CfgEnv::new(1, SpecId::CANCUN),
                block: block_env(),
                tx: TxEnv {
                    caller: sender(i),
                    gas_limit,
                    gas_price: U256::from(2),
                    kind,
                    value: U256::from(if call { 0u64 } else { 5 }),
                    data,
                    nonce: 0,
                    chain_id: Some(1),
                    ..Default::default()
                },
            }
        })
        .collect()
}

#[test]
fn lookahead_with_the_cost_model_equals_sequential_on_independent_blocks() {
    let state = state();
    for call_every in [0, 1, 3] {
        let envs = block(call_every);
        let seq = execute_sequential(&envs, &state);
        assert!(
            seq.iter()
                .all(|r| r.as_ref().is_ok_and(|o| o.status.is_success())),
            "every transaction of the block succeeds (call_every {call_every})"
        );
        for threads in [2, 4, 8] {
            let cfg = ParallelConfig::forced(threads).with_engine(Engine::Lookahead);
            assert!(cfg.adaptive, "the cost model is on by default");
            let par = execute_parallel_with(&envs, &state, &cfg).expect("executes");
            compare(&seq, &par.results)
                .unwrap_or_else(|e| panic!("call_every {call_every}, {threads} threads: {e}"));
            assert_eq!(par.report.txs, envs.len());
            assert!(
                matches!(par.report.mode, ExecMode::Parallel { .. }),
                "call_every {call_every}, {threads} threads: the helpers were called in ({:?})",
                par.report
            );
        }
    }
}
