//! The lookahead engine with its cost model on (the default configuration), on blocks long enough for it
//! to call its helpers in: results equal sequential execution, transaction by transaction. The property
//! tests (`equivalence.rs`) run the lookahead engine with the cost model off, which never keeps runs for
//! the committer (`lookahead/schedule.rs`, `COMMITTER_RUN_EVERY`) nor gives code twins a reason to be made
//! (`evm-core/src/code_twins.rs`); these blocks take both paths.

mod common;

use alloy_primitives::{Address, Bytes, TxKind, U256};
use common::{block_env, compare, FACTORY, HEAVY, PAYER};
use parevm_evm_core::env::{CfgEnv, Env, TxEnv};
use parevm_evm_core::SpecId;
use parevm_parallel_commit::{
    execute_parallel_with, execute_sequential, Engine, ExecMode, ExecReport, ParallelConfig,
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
            // dependent (`lookahead/predict.rs`), and then the committer keeps no runs.
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

/// Runs `envs` sequentially (every transaction must succeed) and with the lookahead engine at each of
/// `threads` (the cost model on), checks every parallel run against the sequential one, and returns each
/// run's report. `name` labels the failures.
fn run_both(name: &str, envs: &[Env], threads: &[usize]) -> Vec<ExecReport> {
    let state = state();
    let seq = execute_sequential(envs, &state);
    assert!(
        seq.iter()
            .all(|r| r.as_ref().is_ok_and(|o| o.status.is_success())),
        "every transaction of the block succeeds ({name})"
    );
    threads
        .iter()
        .map(|&threads| {
            let cfg = ParallelConfig::forced(threads).with_engine(Engine::Lookahead);
            assert!(cfg.adaptive, "the cost model is on by default");
            let par = execute_parallel_with(envs, &state, &cfg).expect("executes");
            compare(&seq, &par.results)
                .unwrap_or_else(|e| panic!("{name}, {threads} threads: {e}"));
            assert_eq!(par.report.txs, envs.len());
            par.report
        })
        .collect()
}

#[test]
fn lookahead_with_the_cost_model_equals_sequential_on_independent_blocks() {
    for call_every in [0, 1, 3] {
        let name = format!("call_every {call_every}");
        for r in run_both(&name, &block(call_every), &[2, 4, 8]) {
            assert!(
                matches!(r.mode, ExecMode::Parallel { .. }),
                "{name}: the helpers were called in ({r:?})"
            );
        }
    }
}

/// `envs` with every `every`-th transaction (from the `offset`-th) a call of `FACTORY` instead, with input
/// (a bare call of one target would be predicted dependent) and no value.
fn with_factory_calls(mut envs: Vec<Env>, every: usize, offset: usize) -> Vec<Env> {
    for e in envs.iter_mut().skip(offset).step_by(every) {
        e.tx.kind = TxKind::Call(FACTORY);
        e.tx.data = Bytes::from_static(&[1, 2, 3, 4]);
        e.tx.gas_limit = 200_000;
        e.tx.value = U256::ZERO;
    }
    envs
}

/// Calls of a contract that creates contracts (`FACTORY`: each CREATE reads and bumps its nonce, so every
/// call depends on the one before) are left to the committer once it, or a helper speculating one, has
/// seen one create: in a block of nothing else and in a mixed block alike, each helper speculates at most
/// the one factory call it started before any thread had seen one, so at most one speculation per helper
/// fails. (A block of 120 M gas limit calls the helpers in before its first transaction, before anything
/// is known of it: `lookahead/mod.rs`, `OPEN_AT_ONCE`.) (The committer may call the helpers in before it committed the block's
/// first factory call and then lose its core: on CI's 2-core machine at 4 threads, 14 failed before
/// helpers learnt creators from their own speculations.)
#[test]
fn calls_of_a_creating_contract_are_left_to_the_committer() {
    // Only factory calls; then every third one beside `HEAVY` calls and transfers.
    for (name, envs) in [
        ("factory only", with_factory_calls(block(0), 1, 0)),
        ("mixed", with_factory_calls(block(3), 3, 1)),
    ] {
        for (r, threads) in run_both(name, &envs, &[2, 4]).into_iter().zip([2u64, 4]) {
            if name == "factory only" {
                assert!(
                    r.re_executions < threads,
                    "{name}: at most one failed speculation per helper ({r:?})"
                );
                // Every speculation of a factory call fails: at most one per helper ran.
                assert!(
                    r.executions < r.txs as u64 + threads,
                    "{name}: at most one speculation per helper ({r:?})"
                );
            } else {
                assert!(
                    r.re_executions < threads,
                    "{name}: at most one failed speculation per helper ({r:?})"
                );
                // Whether a helper got to speculate before the committer reached its runs depends on
                // the machine's load; that it was called in does not.
                assert!(
                    matches!(r.mode, ExecMode::Parallel { .. }),
                    "the other calls called the helpers in: {r:?}"
                );
            }
        }
    }
}

/// A block of transfers with one `HEAVY` call whose gas limit is over a tenth of the block's, which a
/// helper takes first, out of block order (`lookahead/schedule.rs`, `GIANT_SHARE`), at several places in the block:
/// results equal sequential execution.
#[test]
fn a_giant_taken_out_of_order_equals_sequential() {
    for at in [1usize, 300, 599] {
        let mut envs = block(0);
        envs[at].tx.kind = TxKind::Call(HEAVY);
        envs[at].tx.data = Bytes::from_static(&[1, 2, 3, 4]);
        envs[at].tx.gas_limit = 2_000_000;
        envs[at].tx.value = U256::ZERO;
        run_both(&format!("giant at {at}"), &envs, &[2, 4]);
    }
}

/// Two giants (each over a tenth of the block's gas limit), which helpers take first, the larger first,
/// out of block order (`lookahead/schedule.rs`, `giants`): results equal sequential execution.
#[test]
fn two_giants_taken_out_of_order_equal_sequential() {
    for (a, b) in [(1usize, 2usize), (100, 500), (599, 3)] {
        let mut envs = block(0);
        for (at, gas_limit) in [(a, 2_000_000), (b, 3_000_000)] {
            envs[at].tx.kind = TxKind::Call(HEAVY);
            envs[at].tx.data = Bytes::from_static(&[1, 2, 3, 4]);
            envs[at].tx.gas_limit = gas_limit;
            envs[at].tx.value = U256::ZERO;
        }
        run_both(&format!("giants at {a} and {b}"), &envs, &[2, 4]);
    }
}

/// A block of transfers whose last transaction is a `HEAVY` call with an ordinary gas limit (no giant):
/// the first helper takes the block's last run first, out of block order (`lookahead/schedule.rs`, `first_runs`).
/// Results equal sequential execution.
#[test]
fn the_tail_taken_first_equals_sequential() {
    let mut envs = block(0);
    let last = envs.len() - 1;
    envs[last].tx.kind = TxKind::Call(HEAVY);
    envs[last].tx.data = Bytes::from_static(&[1, 2, 3, 4]);
    envs[last].tx.gas_limit = 200_000;
    envs[last].tx.value = U256::ZERO;
    run_both("a heavy last transaction", &envs, &[2, 4]);
}

/// Every third transaction asks `PAYER` for 1 wei (a WETH withdrawal in miniature: the contract's balance
/// is read only to check that it covers the payment). Each payment changes the balance every later one
/// read, so each speculation of them reads a stale balance; all of them are taken as they are, their read
/// and balance write moved to the committed balance (`lookahead/committer.rs`, `repair_balances`), none re-executed.
/// Whether a helper speculates a payment before the committer commits the one before depends on the
/// machine's load (under two busy processes on a 2-core machine, the helpers often get no core before the
/// committer is done), so rounds run until one has taken a changed balance.
#[test]
fn payments_checked_against_a_changed_balance_are_taken_not_re_executed() {
    /// Rounds (each the block at 2 and at 4 threads) before the test gives up on seeing a repair. Under
    /// two busy processes on this 2-core machine, 50 runs of the test saw their first repair after 1 to
    /// 79 rounds (median 9).
    const MAX_ROUNDS: usize = 1000;
    let mut envs = block(0);
    for e in envs.iter_mut().step_by(3) {
        e.tx.kind = TxKind::Call(PAYER);
        e.tx.data = U256::from(1).to_be_bytes::<32>().to_vec().into();
        e.tx.gas_limit = 100_000;
        e.tx.value = U256::ZERO;
    }
    let mut rounds = 0;
    let mut repairs = 0;
    while repairs == 0 && rounds < MAX_ROUNDS {
        rounds += 1;
        for r in run_both("payments", &envs, &[2, 4]) {
            assert_eq!(r.re_executions, 0, "no speculation re-executed ({r:?})");
            repairs += r.balance_repairs;
        }
    }
    assert!(
        repairs > 0,
        "in {rounds} rounds some speculation read a changed balance and was taken"
    );
}
