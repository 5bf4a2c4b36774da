//! Differential test of the parevm interpreter against revm (the oracle, a dev-dependency only).
//!
//! A seeded generator builds random but plausible cases across forks (Frontier to Osaka): a few contracts
//! that call each other, EOAs, empty and missing accounts, and one transaction (calls, creations, value
//! transfers, access lists, blobs, EIP-7702 authorizations, gas limits from below intrinsic to millions).
//! Each case runs in both engines from the same pre-state; status, gas used, refund, output, logs and the
//! whole resulting state must agree. parevm also checks itself: its read set must hold every location it read
//! from its view, and an execution parked on not-ready reads and resumed must give the same outcome.
//!
//! - The seeds in `tests/regressions/differential.txt` run first, then `PAREVM_DIFF_CASES` (default 10,000; about 3 s in the test profile)
//!   generated seeds.
//! - `PAREVM_DIFF_SEED=0x…` runs that one seed and prints its case even when it passes.
//! - `PAREVM_DIFF_BASE=n` moves the generated seeds elsewhere (for exploration beyond the CI budget).
//! - `PAREVM_DIFF_DETAIL=1` splits the outcome statistics by halt reason and rejection cause;
//!   `PAREVM_DIFF_COVERAGE=1` prints how often parevm executed each opcode.
//! - The park/resume self-check refuses a share of first reads of every kind (balance, nonce, code hash,
//!   storage) and resumes after each refusal.
//! - Seeds in `tests/regressions/differential-known.txt` are known interpreter bugs waiting for a fix:
//!   they are run and reported, but do not fail the test while listed there.

#[path = "differential/asm.rs"]
mod asm;
#[path = "differential/case.rs"]
mod case;
#[path = "differential/compare.rs"]
mod compare;
#[path = "differential/flaky.rs"]
mod flaky;
#[path = "differential/gen.rs"]
mod gen;
#[path = "differential/observed.rs"]
mod observed;
#[path = "differential/oracle.rs"]
mod oracle;
#[path = "differential/ours.rs"]
mod ours;
#[path = "differential/program.rs"]
mod program;
#[path = "differential/recording.rs"]
mod recording;
#[path = "differential/rng.rs"]
mod rng;

use observed::{Observed, Status};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

/// Generated cases per run unless `PAREVM_DIFF_CASES` says otherwise.
const DEFAULT_CASES: u64 = 10_000;
/// Full reports printed before the rest are summarised.
const REPORTS_SHOWN: usize = 3;

/// The seed of generated case `i`.
fn seed_of(base: u64, i: u64) -> u64 {
    rng::Rng::new(base.wrapping_mul(0x1_0000_0001).wrapping_add(i)).u64()
}

/// Seeds listed in a regressions file: one per line, `#` starts a comment.
fn seed_file(name: &str) -> Vec<(u64, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/regressions")
        .join(name);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| {
            let (seed, note) = line.split_once('#').unwrap_or((line, ""));
            let seed = seed.trim();
            if seed.is_empty() {
                return None;
            }
            let parsed = match seed.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16),
                None => seed.parse(),
            };
            match parsed {
                Ok(s) => Some((s, note.trim().to_string())),
                Err(e) => panic!("{}: bad seed {seed:?}: {e}", path.display()),
            }
        })
        .collect()
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    let parsed = match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => v.parse(),
    };
    Some(parsed.unwrap_or_else(|e| panic!("{name}={v:?}: {e}")))
}

/// Runs one engine, turning a panic into a rejected result so the seed is still reported.
fn guarded(name: &str, f: impl FnOnce() -> Observed) -> Observed {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Observed {
            result: Err(format!("{name} PANICKED: {msg}")),
            post: Default::default(),
            self_check: None,
        }
    })
}

/// The outcome class of a case, for the statistics line (with halt reasons and rejection causes when
/// `PAREVM_DIFF_DETAIL` is set).
fn class(o: &Observed) -> String {
    let detail = std::env::var_os("PAREVM_DIFF_DETAIL").is_some();
    match &o.result {
        Err(e) if detail => format!("invalid: {}", e.split(':').take(2).collect::<String>()),
        Err(_) => "invalid".into(),
        Ok(e) => match e.status {
            Status::Success => "success".into(),
            Status::Revert => "revert".into(),
            Status::Halt if detail => format!("halt: {}", e.detail),
            Status::Halt => "halt".into(),
        },
    }
}

/// Runs `seed`; `Some((first difference, report))` on a mismatch.
fn run_seed(
    seed: u64,
    verbose: bool,
    coverage: Option<&ours::Coverage>,
) -> (Option<(String, String)>, String) {
    let case = gen::case(seed);
    let ours = guarded("parevm", || ours::run(&case, coverage));
    let oracle = guarded("revm", || oracle::run(&case));
    if verbose {
        println!("{case}");
        println!("parevm: {:?}\nrevm:   {:?}", ours.result, oracle.result);
        for (name, o) in [("parevm", &ours), ("revm", &oracle)] {
            println!("{name} post-state:");
            for (addr, acc) in &o.post {
                println!("  {addr} {}", observed::fmt_account(acc));
            }
        }
    }
    let diff = compare::first_difference(&case, &ours, &oracle);
    let out = diff.map(|d| {
        let r = compare::report(&case, &ours, &oracle, &d);
        (d, r)
    });
    (out, class(&oracle))
}

#[test]
fn differential_against_revm() {
    if let Some(seed) = env_u64("PAREVM_DIFF_SEED") {
        let (diff, _) = run_seed(seed, true, None);
        if let Some((_, report)) = diff {
            panic!("{report}");
        }
        return;
    }
    let known: BTreeMap<u64, String> = seed_file("differential-known.txt").into_iter().collect();
    let cases = env_u64("PAREVM_DIFF_CASES").unwrap_or(DEFAULT_CASES);
    let base = env_u64("PAREVM_DIFF_BASE").unwrap_or(0);
    let mut seeds: Vec<u64> = seed_file("differential.txt")
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    seeds.extend((0..cases).map(|i| seed_of(base, i)));

    let coverage = std::env::var_os("PAREVM_DIFF_COVERAGE").map(|_| ours::Coverage::default());
    if let Some(c) = &coverage {
        if let Ok(mut v) = c.lock() {
            v.resize(256, 0);
        }
    }
    let start = Instant::now();
    let mut stats: BTreeMap<String, u64> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut known_failing = Vec::new();
    for &seed in &seeds {
        let (diff, class) = run_seed(seed, false, coverage.as_ref());
        *stats.entry(class).or_default() += 1;
        if let Some((d, report)) = diff {
            if let Some(reason) = known.get(&seed) {
                known_failing.push(format!("{seed:#018x} (known: {reason}): {d}"));
            } else {
                failures.push((seed, d, report));
            }
        }
    }
    println!(
        "differential: {} cases in {:.1?}, revm outcomes {stats:?}, {} known failing",
        seeds.len(),
        start.elapsed(),
        known_failing.len()
    );
    if let Some(Ok(c)) = coverage.as_ref().map(|c| c.lock()) {
        let line: Vec<String> = (0..256)
            .filter(|op| c[*op] > 0)
            .map(|op| format!("{op:02x}:{}", c[op]))
            .collect();
        println!("executed opcodes (parevm): {}", line.join(" "));
    }
    for k in &known_failing {
        println!("  known: {k}");
    }
    if failures.is_empty() {
        return;
    }
    let mut msg = String::new();
    for (_, _, report) in failures.iter().take(REPORTS_SHOWN) {
        msg.push_str(report);
        msg.push('\n');
    }
    msg.push_str(&format!(
        "{} of {} cases differ; failing seeds:\n",
        failures.len(),
        seeds.len()
    ));
    for (seed, d, _) in &failures {
        let first_line = d.lines().next().unwrap_or_default();
        msg.push_str(&format!("  {seed:#018x}  {first_line}\n"));
    }
    panic!("{msg}");
}

/// Regression (was a bug): a plain transfer whose finalize step parks on the recipient's nonce (read by the
/// EIP-161 clearing after the sender refund and the coinbase credit were applied) must refund the sender and
/// pay the coinbase once after resuming.
#[test]
fn finalize_parked_on_clearing_refunds_once() {
    use alloy_primitives::{Address, TxKind, U256};
    use parevm_evm_core::{
        BalanceWrite, BlockEnv, CfgEnv, Env, Location, SpecId, TxEnv, TxError, TxExecution,
        ViewError,
    };
    let (sender, recipient, coinbase) = (
        Address::repeat_byte(0x5e),
        Address::repeat_byte(0xde),
        Address::repeat_byte(0xcb),
    );
    let mut state = parevm_state::InMemoryState::new();
    state.insert_account(sender, U256::from(1_000_000u64), 0, Default::default(), []);
    let env = Env {
        cfg: CfgEnv::new(1, SpecId::OSAKA),
        block: BlockEnv {
            beneficiary: coinbase,
            gas_limit: 30_000_000,
            ..Default::default()
        },
        tx: TxEnv {
            caller: sender,
            gas_limit: 30_000,
            gas_price: U256::from(1u8),
            kind: TxKind::Call(recipient),
            chain_id: Some(1),
            ..Default::default()
        },
    };
    let plain = TxExecution::new(env.clone()).resume(&state).expect("valid");

    /// Refuses the recipient's nonce once.
    struct Once<'a>(
        &'a parevm_state::InMemoryState,
        std::cell::Cell<bool>,
        Location,
    );
    impl parevm_evm_core::StateView for Once<'_> {
        fn balance(&self, a: Address) -> Result<U256, ViewError> {
            self.0.balance(a)
        }
        fn nonce(&self, a: Address) -> Result<u64, ViewError> {
            if Location::Nonce(a) == self.2 && !self.1.replace(true) {
                return Err(ViewError::NotReady(0));
            }
            self.0.nonce(a)
        }
        fn code_hash(&self, a: Address) -> Result<alloy_primitives::B256, ViewError> {
            self.0.code_hash(a)
        }
        fn code_by_hash(
            &self,
            h: alloy_primitives::B256,
        ) -> Result<parevm_evm_core::Code, ViewError> {
            self.0.code_by_hash(h)
        }
        fn storage(&self, a: Address, s: U256) -> Result<U256, ViewError> {
            self.0.storage(a, s)
        }
        fn block_hash(&self, n: u64) -> Result<alloy_primitives::B256, ViewError> {
            self.0.block_hash(n)
        }
        fn has_storage(&self, a: Address) -> Result<bool, ViewError> {
            self.0.has_storage(a)
        }
    }
    let view = Once(
        &state,
        std::cell::Cell::new(false),
        Location::Nonce(recipient),
    );
    let mut exec = TxExecution::new(env);
    let parked = loop {
        match exec.resume(&view) {
            Err(TxError::View(ViewError::NotReady(_))) => continue,
            r => break r.expect("valid"),
        }
    };
    let balance_of = |o: &parevm_evm_core::TxOutcome, a: Address| {
        o.writes
            .iter()
            .find(|w| w.address == a)
            .and_then(|w| w.balance)
    };
    // Uninterrupted: 1,000,000 - 21,000 to the sender, 21,000 to the coinbase.
    assert_eq!(
        balance_of(&plain, sender),
        Some(BalanceWrite::Set(U256::from(979_000u64)))
    );
    assert_eq!(
        balance_of(&plain, coinbase),
        Some(BalanceWrite::Add(U256::from(21_000u64)))
    );
    assert_eq!(
        balance_of(&parked, sender),
        balance_of(&plain, sender),
        "sender refunded again after the park"
    );
    assert_eq!(
        balance_of(&parked, coinbase),
        balance_of(&plain, coinbase),
        "coinbase credited again"
    );
}
