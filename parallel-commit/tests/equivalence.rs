//! Property tests: on generated blocks of controlled conflict, `execute_parallel` equals
//! `execute_sequential` at 1, 2, 4, 8 and 16 threads, transaction by transaction.

mod common;

use alloy_primitives::U256;
use common::*;
use parevm_evm_core::{execute_tx, SpecId, StateView};
use parevm_parallel_commit::execute_sequential;
use proptest::prelude::*;

fn spec() -> impl Strategy<Value = SpecId> {
    prop_oneof![Just(SpecId::CANCUN), Just(SpecId::SHANGHAI)]
}

fn cfg(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(cfg(64))]

    /// Distinct senders paying distinct recipients: no conflicts except the coinbase's fee deltas.
    #[test]
    fn independent_transfers(n in 4usize..32, value in 1u64..1000) {
        let specs: Vec<TxSpec> = (0..n)
            .map(|i| TxSpec::Transfer { from: (i % 16) as u8, to: (16 + i % 24) as u8, value })
            .collect();
        check_block(&build_block(&specs, SpecId::CANCUN), None)?;
    }

    /// Every transaction increments the same storage slot.
    #[test]
    fn one_hot_slot(senders in prop::collection::vec(0u8..16, 4..32)) {
        let specs: Vec<TxSpec> = senders.into_iter().map(|from| TxSpec::Counter { from }).collect();
        check_block(&build_block(&specs, SpecId::CANCUN), None)?;
    }

    /// One sender, a long nonce chain of mixed calls.
    #[test]
    fn nonce_chain(kinds in prop::collection::vec(0u8..4, 4..40)) {
        let specs: Vec<TxSpec> = kinds
            .into_iter()
            .map(|k| match k {
                0 => TxSpec::Transfer { from: 0, to: 1, value: 5 },
                1 => TxSpec::Counter { from: 0 },
                2 => TxSpec::Keyed { from: 0, key: 1 },
                _ => TxSpec::Deploy { from: 0 },
            })
            .collect();
        check_block(&build_block(&specs, SpecId::CANCUN), None)?;
    }

    /// Balance chain: each poor account can pay only after the previous one paid it.
    #[test]
    fn balance_chain(len in 4usize..20, shuffle in any::<bool>()) {
        let mut specs: Vec<TxSpec> = (0..len)
            .map(|i| {
                let from = if i == 0 { 0 } else { RICH + i as u8 - 1 };
                let value = 2_000_000 - 100_000 * i as u64;
                TxSpec::Transfer { from, to: RICH + i as u8, value }
            })
            .collect();
        if shuffle {
            // Out of order: some links become invalid (insufficient funds), exactly as sequentially.
            specs.reverse();
        }
        check_block(&build_block(&specs, SpecId::CANCUN), None)?;
    }

    /// CREATE, CREATE2 (with collisions), SELFDESTRUCT and re-creation at the same address.
    #[test]
    fn create_and_destroy(
        ops in prop::collection::vec((0u8..4, 0u8..3, 0u8..16), 4..32),
        spec in spec(),
    ) {
        let specs: Vec<TxSpec> = ops
            .into_iter()
            .map(|(k, salt, from)| match k {
                0 => TxSpec::Create { from },
                1 => TxSpec::Create2 { from, salt },
                2 => TxSpec::Child { from, salt, destroy: true },
                _ => TxSpec::Child { from, salt, destroy: false },
            })
            .collect();
        check_block(&build_block(&specs, spec), None)?;
    }

    /// Reverts and out-of-gas halts mixed with writes to the same slots.
    #[test]
    fn reverts_and_out_of_gas(ops in prop::collection::vec((0u8..3, 0u8..40), 4..32)) {
        let specs: Vec<TxSpec> = ops
            .into_iter()
            .map(|(k, from)| match k {
                0 => TxSpec::Revert { from },
                1 => TxSpec::Oog { from },
                _ => TxSpec::Counter { from },
            })
            .collect();
        check_block(&build_block(&specs, SpecId::CANCUN), None)?;
    }

    /// ERC-20 traffic: transfers among few holders and into one hot recipient, some reverting on an
    /// insufficient token balance, mixed with plain transfers from the same senders.
    #[test]
    fn erc20_traffic(ops in prop::collection::vec((0u8..40, 0u8..48, 0u64..1500, any::<bool>()), 4..40)) {
        let specs: Vec<TxSpec> = ops
            .into_iter()
            .map(|(from, to, amount, token)| {
                let to = if to >= 40 { 39 } else { to };
                if token {
                    TxSpec::Erc20 { from, to, amount }
                } else {
                    TxSpec::Transfer { from, to, value: amount }
                }
            })
            .collect();
        check_block(&build_block(&specs, SpecId::CANCUN), None)?;
    }

    /// SELFDESTRUCT in the creating transaction (deleted under Cancun too), at recurring CREATE2
    /// addresses, with value, next to later SELFDESTRUCTs of older contracts and re-creations.
    #[test]
    fn selfdestruct_same_tx_and_later(
        ops in prop::collection::vec((0u8..3, 0u8..3, 0u8..16, 0u64..3), 4..32),
        spec in spec(),
    ) {
        let specs: Vec<TxSpec> = ops
            .into_iter()
            .map(|(k, salt, from, v)| match k {
                0 => TxSpec::CreateDestroy { from, salt, value: v * 500 },
                1 => TxSpec::Child { from, salt, destroy: true },
                _ => TxSpec::Create2 { from, salt },
            })
            .collect();
        check_block(&build_block(&specs, spec), None)?;
    }

    /// Nonce and balance chain through one poor sender: it can only pay after rich accounts paid it, so
    /// some of its transactions are invalid (insufficient funds) and shift the nonces of the rest, exactly
    /// as in the sequential execution.
    #[test]
    fn one_sender_balance_chain(ops in prop::collection::vec((any::<bool>(), 0u8..16, 1u64..4), 4..40)) {
        let poor = RICH;
        let specs: Vec<TxSpec> = ops
            .into_iter()
            .map(|(pay_in, rich, units)| {
                if pay_in {
                    TxSpec::Transfer { from: rich, to: poor, value: units * 40_000 }
                } else {
                    TxSpec::Transfer { from: poor, to: rich, value: units * 1_000 }
                }
            })
            .collect();
        check_block(&build_block(&specs, SpecId::CANCUN), None)?;
    }

    /// Everything at once over few accounts: the highest conflict rate.
    #[test]
    fn mixed_high_conflict(specs in prop::collection::vec(any_tx(), 1..40), spec in spec()) {
        check_block(&build_block(&specs, spec), None)?;
    }
}

proptest! {
    #![proptest_config(cfg(24))]

    /// Adaptivity, static: a one-sender chain at the start runs as a serial batch on the committer, whose
    /// net writes are published when the stretch ends; the mixed transactions after it read them in
    /// parallel (with and without chaos).
    #[test]
    fn chain_then_mixed(
        chain in 17usize..40,
        rest in prop::collection::vec(any_tx(), 30..60),
        spec in spec(),
        seed in prop::option::of(any::<u64>()),
    ) {
        let mut specs: Vec<TxSpec> = (0..chain)
            .map(|i| match i % 3 {
                0 => TxSpec::Counter { from: 5 },
                1 => TxSpec::Transfer { from: 5, to: 7, value: 3 },
                _ => TxSpec::Erc20 { from: 5, to: 9, amount: 2 },
            })
            .collect();
        specs.extend(rest);
        let runs = check_block(&build_block(&specs, spec), seed)?;
        for r in runs.iter().skip(1) {
            prop_assert!(r.report.serial_txs >= 17, "{:?}", r.report);
        }
    }

    /// Adaptivity, dynamic: a long stretch of transactions from distinct senders on one slot is detected
    /// from the commits (parks, re-executions) and finished in serial mode; independent ones follow.
    #[test]
    fn hot_stretch_then_independent(
        hot in 40usize..80,
        tail in prop::collection::vec(any_tx(), 10..30),
        seed in prop::option::of(any::<u64>()),
    ) {
        let mut specs: Vec<TxSpec> = (0..hot)
            .map(|i| TxSpec::Counter { from: (i % RICH as usize) as u8 })
            .collect();
        specs.extend(tail);
        check_block(&build_block(&specs, SpecId::CANCUN), seed)?;
    }
}

proptest! {
    #![proptest_config(cfg(64))]

    /// Chaos mode: seeded random yields and sleeps inside the scheduler and multi-version memory.
    #[test]
    fn mixed_under_chaos(
        specs in prop::collection::vec(any_tx(), 4..32),
        spec in spec(),
        seed in any::<u64>(),
    ) {
        check_block(&build_block(&specs, spec), Some(seed))?;
    }
}

proptest! {
    #![proptest_config(cfg(32))]

    /// Plain Block-STM behaviour (no parking: restart on a not-ready read; no hints; no serial mode, always
    /// speculative validation) stays equivalent too.
    #[test]
    fn mixed_without_parking_or_hints(
        specs in prop::collection::vec(any_tx(), 4..32),
        spec in spec(),
        seed in prop::option::of(any::<u64>()),
    ) {
        check_block_with(&build_block(&specs, spec), seed, |cfg| {
            cfg.park = false;
            cfg.hints = false;
            cfg.adaptive = false;
        })?;
    }

    /// The sequential overlay applies writes exactly as `InMemoryState::apply` does.
    #[test]
    fn overlay_matches_in_memory_state(specs in prop::collection::vec(any_tx(), 1..40), spec in spec()) {
        let block = build_block(&specs, spec);
        let mut state = block.state.clone();
        let mut direct = Vec::new();
        for env in &block.envs {
            let r = execute_tx(env, &state);
            let r = match r {
                Ok(out) => {
                    state.apply(&out.writes);
                    Ok(out)
                }
                Err(parevm_evm_core::TxError::Invalid(e)) => Err(e),
                Err(e) => panic!("view error {e}"),
            };
            direct.push(r);
        }
        let seq = execute_sequential(&block.envs, &block.state);
        compare(&direct, &seq).map_err(TestCaseError::fail)?;
    }
}

/// No false conflicts on hot accounts: value sent to one recipient and fees credited to the beneficiary
/// are deltas, so transfers from distinct senders into one hot wallet never wait or re-execute, at any
/// thread count and under chaos. (Deterministic: no transaction reads a balance another one writes.)
#[test]
fn hot_recipient_and_beneficiary_do_not_conflict() {
    let specs: Vec<TxSpec> = (0..RICH)
        .map(|i| TxSpec::Transfer {
            from: i,
            to: 30,
            value: 1 + u64::from(i),
        })
        .collect();
    let mut block = build_block(&specs, SpecId::CANCUN);
    // The beneficiary exists already (as on mainnet): its creation by the first fee credit would be a
    // real dependency of every later transaction, which reads its code hash.
    block
        .state
        .insert_account(COINBASE, U256::from(1), 0, Default::default(), []);
    for seed in [None, Some(1), Some(2)] {
        let runs = check_block(&block, seed).expect("equivalent");
        for r in &runs {
            assert_eq!(
                (r.report.re_executions, r.report.parks),
                (0, 0),
                "{:?}",
                r.report
            );
        }
    }
}

/// A block that is one sender's chain throughout runs as serial batches: every transaction is executed
/// in block order by the committer, none is parked or re-executed, and no helper burns CPU.
#[test]
fn static_chain_runs_serially() {
    let specs: Vec<TxSpec> = (0..40u8)
        .map(|i| match i % 2 {
            0 => TxSpec::Counter { from: 3 },
            _ => TxSpec::Transfer {
                from: 3,
                to: 4,
                value: 1,
            },
        })
        .collect();
    let block = build_block(&specs, SpecId::CANCUN);
    for seed in [None, Some(7)] {
        let runs = check_block(&block, seed).expect("equivalent");
        for r in runs.iter().skip(1) {
            assert_eq!(r.report.serial_txs, 40, "{:?}", r.report);
            assert_eq!((r.report.parks, r.report.re_executions), (0, 0));
        }
    }
}

/// The parking path really runs: a one-sender nonce chain under chaos parks and resumes executions,
/// and the results still equal the sequential ones.
#[test]
fn nonce_chains_park_and_resume() {
    let specs: Vec<TxSpec> = (0..48u8).map(|i| TxSpec::Counter { from: i % 3 }).collect();
    let block = build_block(&specs, SpecId::CANCUN);
    let mut resumes = 0;
    for seed in 0..8 {
        // Without serial mode, which would take over this conflict-heavy block.
        let runs =
            check_block_with(&block, Some(seed), |c| c.adaptive = false).expect("equivalent");
        resumes += runs.iter().map(|r| r.report.resumes).sum::<u64>();
    }
    assert!(resumes > 0, "no execution was ever parked and resumed");
}

/// EIP-7610 in the multi-version view: CREATE2 onto the storage-only salt-2 address collides until a
/// lower transaction's call deletes the empty account (EIP-161), wiping its storage; the re-created
/// contract then exists. Parallel equals sequential at every thread count, with and without chaos.
#[test]
fn creation_collides_with_storage_until_a_lower_wipe() {
    let specs = [
        TxSpec::Create2 { from: 0, salt: 2 },
        TxSpec::Transfer {
            from: 1,
            to: 2,
            value: 1,
        },
        TxSpec::Child {
            from: 3,
            salt: 2,
            destroy: false,
        },
        TxSpec::Transfer {
            from: 4,
            to: 5,
            value: 1,
        },
        TxSpec::Create2 { from: 6, salt: 2 },
        TxSpec::Create2 { from: 7, salt: 2 },
        TxSpec::Transfer {
            from: 8,
            to: 9,
            value: 1,
        },
        TxSpec::Transfer {
            from: 10,
            to: 11,
            value: 1,
        },
    ];
    let block = build_block(&specs, SpecId::CANCUN);
    let seq = execute_sequential(&block.envs, &block.state);
    let status = |i: usize| match &seq[i] {
        Ok(out) => out.writes.iter().any(|w| w.address == child_address(2)),
        Err(e) => panic!("tx {i} invalid: {e}"),
    };
    // Tx 0 collides (no write to the child), tx 2 deletes it, tx 4 creates it, tx 5 collides with tx 4's.
    assert!(!status(0), "{:?}", seq[0]);
    assert!(status(2) && status(4) && !status(5), "{seq:?}");
    let deleted = seq[2].as_ref().map(|o| {
        o.writes
            .iter()
            .any(|w| w.address == child_address(2) && w.destroyed)
    });
    assert_eq!(deleted, Ok(true));
    for seed in [None, Some(3), Some(4)] {
        check_block(&block, seed).expect("equivalent");
    }
}

/// Whether transaction `i` of a block pays a fee.
type PaysFee = fn(usize) -> bool;

/// Transfers between distinct accounts (`n` senders, `n` recipients, all funded), in a block whose fee
/// recipient [`COINBASE`] is absent from the pre-state. Transaction `i` pays a fee when `paid(i)`: gas
/// price 2 (a tip of 1 from London on, base fee 1), else none (price 0 before London, the base fee after).
fn absent_fee_recipient_block(n: usize, spec: SpecId, paid: impl Fn(usize) -> bool) -> TestBlock {
    let template = build_block(
        &[TxSpec::Transfer {
            from: 0,
            to: 1,
            value: 1,
        }],
        spec,
    );
    let mut state = template.state;
    let account = |i: usize| {
        let mut a = [0x5au8; 20];
        a[18..].copy_from_slice(&(i as u16).to_be_bytes());
        alloy_primitives::Address::from(a)
    };
    for i in 0..2 * n {
        state.insert_account(account(i), U256::from(WEI), 0, Default::default(), []);
    }
    let london = spec.is_enabled_in(SpecId::LONDON);
    let envs = (0..n)
        .map(|i| {
            let mut env = template.envs[0].clone();
            env.tx.tx_type = 0;
            env.tx.gas_priority_fee = None;
            env.tx.caller = account(i);
            env.tx.kind = alloy_primitives::TxKind::Call(account(n + i));
            env.tx.nonce = 0;
            env.tx.value = U256::from(1 + i);
            env.tx.gas_price = U256::from(match (paid(i), london) {
                (true, _) => 2,
                (false, true) => 1,
                (false, false) => 0,
            });
            env
        })
        .collect();
    assert!(state.code_hash(COINBASE).expect("in memory").is_zero());
    TestBlock { state, envs }
}

/// A block whose fee recipient is absent at its start: the first fee credit creates it. A non-zero fee
/// credit does not read whether it exists (EIP-161 makes crediting an absent and an existing empty account
/// the same state change), so the transactions do not depend on each other through it: no re-execution and
/// no park at 1, 2, 4 and 8 threads, in both engines, and every outcome (read and write sets included)
/// equals the sequential one. With zero fees (a touch that creates the account before Spurious Dragon and
/// clears it after) and mixed fees, before and after Spurious Dragon and London, every outcome still equals
/// the sequential one.
#[test]
fn absent_fee_recipient_does_not_conflict() {
    use parevm_parallel_commit::{execute_parallel_with, Engine, ParallelConfig};
    let forks = [
        SpecId::HOMESTEAD,
        SpecId::TANGERINE,
        SpecId::SPURIOUS_DRAGON,
        SpecId::BERLIN,
        SpecId::LONDON,
        SpecId::CANCUN,
    ];
    for spec in forks {
        let fees: [(&str, PaysFee); 3] = [
            ("paid", |_| true),
            ("free", |_| false),
            ("mixed", |i| i % 3 == 1),
        ];
        for (name, paid) in fees {
            let block = absent_fee_recipient_block(64, spec, paid);
            let seq = execute_sequential(&block.envs, &block.state);
            assert!(seq.iter().all(Result::is_ok), "{spec:?} {name}: all valid");
            // Sequentially the recipient ends as the fork says: created by a paid fee (or by a touch before
            // Spurious Dragon), never left empty after it.
            let mut after = block.state.clone();
            for out in seq.iter().flatten() {
                after.apply(&out.writes);
            }
            let exists = !after.code_hash(COINBASE).expect("in memory").is_zero();
            let spurious = spec.is_enabled_in(SpecId::SPURIOUS_DRAGON);
            assert_eq!(exists, name != "free" || !spurious, "{spec:?} {name}");
            for seed in [None, Some(3)] {
                check_block(&block, seed).unwrap_or_else(|e| panic!("{spec:?} {name}: {e}"));
            }
            if name != "paid" {
                continue;
            }
            for threads in [1, 2, 4, 8] {
                let mut lookahead = ParallelConfig::forced(threads).with_engine(Engine::Lookahead);
                lookahead.adaptive = false;
                for cfg in [ParallelConfig::forced(threads), lookahead] {
                    let par =
                        execute_parallel_with(&block.envs, &block.state, &cfg).expect("executes");
                    compare(&seq, &par.results)
                        .unwrap_or_else(|e| panic!("{spec:?} {threads} threads: {e}"));
                    assert_eq!(
                        (par.report.re_executions, par.report.parks),
                        (0, 0),
                        "{spec:?} {:?} {threads} threads: {:?}",
                        cfg.engine,
                        par.report
                    );
                }
            }
        }
    }
}
