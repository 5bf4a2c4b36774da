//! Differential test against op-revm (a dev-dependency oracle, never on the product path): generated OP
//! transactions under every fork (user deposits with and without mint, failing, reverting and creating
//! deposits, pre-Regolith system deposits, the L1 fee under each formula including empty Ecotone scalars,
//! the operator fee under Isthmus and Jovian, fee vaults present or absent, precompile input caps) run
//! through both engines, which must agree on validity, status, gas, logs, created address and the whole
//! post-state.
//!
//! `PAREVM_OP_DIFF_CASES` (default 3,000) and `PAREVM_OP_DIFF_SEED` (default 0) size and place the run;
//! a failure prints the seed of the first divergent case, which `generate(seed)` rebuilds exactly.

mod differential {
    pub mod case;
    pub mod observed;
    pub mod oracle;
    pub mod ours;
}

use differential::case::generate;
use differential::observed::diff;
use differential::{oracle, ours};
use rayon::prelude::*;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn parevm_matches_op_revm_on_generated_op_transactions() {
    let cases = env_u64("PAREVM_OP_DIFF_CASES", 3_000);
    let first = env_u64("PAREVM_OP_DIFF_SEED", 0);
    let divergent: Vec<(u64, String)> = (first..first + cases)
        .into_par_iter()
        .filter_map(|seed| {
            let case = generate(seed);
            let a = ours::run(&case);
            let b = oracle::run(&case);
            diff(&a, &b).map(|d| (seed, format!("{:?} {d}", case.fork)))
        })
        .collect();
    println!(
        "{cases} cases from seed {first}: {} divergent",
        divergent.len()
    );
    for (seed, d) in divergent.iter().take(10) {
        println!("seed {seed}: {d}");
    }
    assert!(
        divergent.is_empty(),
        "{} of {cases} cases diverge",
        divergent.len()
    );
}

#[test]
fn generated_cases_cover_every_kind() {
    use parevm_op_stack_adapter::OpFork;
    let mut forks = std::collections::BTreeSet::new();
    let (mut deposits, mut system, mut creates, mut failed_deposits, mut l1_fee_paid) =
        (0, 0, 0, 0, 0);
    for seed in 0..2_000 {
        let case = generate(seed);
        forks.insert(case.fork);
        let out = ours::run(&case);
        if let Some((_, is_system)) = case.tx.deposit {
            deposits += 1;
            system += is_system as u32;
            if matches!(&out.result, Ok(e) if e.status == differential::observed::Status::Halt) {
                failed_deposits += 1;
            }
        } else {
            // The L1 fee vault's balance grew: an L1 fee was charged and credited.
            let vault = parevm_op_stack_adapter::predeploys::L1_FEE_VAULT;
            let before = case
                .accounts
                .iter()
                .find(|a| a.address == vault)
                .map_or(alloy_primitives::U256::ZERO, |a| a.balance);
            if out.result.is_ok() && out.post.get(&vault).is_some_and(|a| a.balance > before) {
                l1_fee_paid += 1;
            }
        }
        creates += case.tx.to.is_none() as u32;
    }
    assert_eq!(forks.len(), OpFork::ALL.len());
    assert!(deposits > 500 && system > 50 && creates > 200 && failed_deposits > 50 && l1_fee_paid > 100,
        "deposits {deposits}, system {system}, creates {creates}, failed deposits {failed_deposits}, l1 fee {l1_fee_paid}");
}
