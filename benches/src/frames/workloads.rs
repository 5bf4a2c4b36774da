//! The `frames` blocks, each one transaction whose cost is inside its call frames:
//! - `pairing_verifier_4`, `pairing_verifier_16`: a verifier contract makes one `STATICCALL` to the bn254
//!   pairing precompile with 4 pairs (a Groth16 proof's check) or 16 pairs (a batch of proofs checked
//!   with one random linear combination) and stores that the check passed.
//! - `bls_g1_msm_64`: a contract makes one `STATICCALL` to the BLS12-381 G1 MSM precompile (EIP-2537) with
//!   64 points, as an aggregate-signature or KZG-style verifier does, and stores that it succeeded.
//!   revm-precompile's blst backend runs the MSM on blst's own thread pool, so even the one-thread rows
//!   use every core for it (CPU time above wall time); parevm does not split it further.
//! - `multicall3_erc20`: Multicall3's `aggregate3` (its deployed code, unchanged) of 16 independent
//!   `transfer` calls, one to each of 16 ERC-20 tokens (pevm's `ERC20Token`) in which Multicall3 holds a
//!   balance, each to a fresh recipient.
//! - `bundle_4337`: an ERC-4337-style entry point running 16 independent user operations (`bundle.rs`).
//! - `multicall3_floor` (not in the default list): `multicall3_erc20`'s transaction with targets that
//!   only return `true`, to measure the part of the batch no frame-level scheme runs beside its top frame.

use super::pairing::valid_input;
use crate::error::BenchError;
use crate::synthetic::rng::Rng;
use crate::synthetic::workloads::{pevm_token, transfer_call, Workload, CHAIN};
use crate::world::{Account, Tx};
use alloy_primitives::{address, hex, Address, Bytes, U256};
use alloy_sol_types::{sol, SolCall};

/// Names of the workloads, in table order.
pub const NAMES: [&str; 5] = [
    "pairing_verifier_4",
    "pairing_verifier_16",
    "bls_g1_msm_64",
    "multicall3_erc20",
    "bundle_4337",
];

/// Builds the workload called `name`.
pub fn build(name: &str) -> Result<Workload, BenchError> {
    match name {
        "pairing_verifier_4" => Ok(pairing_verifier("pairing_verifier_4", 4)),
        "pairing_verifier_16" => Ok(pairing_verifier("pairing_verifier_16", 16)),
        "bls_g1_msm_64" => Ok(bls_g1_msm(64)),
        "multicall3_erc20" => multicall3_erc20(16, false),
        "multicall3_floor" => multicall3_erc20(16, true),
        "bundle_4337" => super::bundle::bundle_4337(16),
        other => Err(BenchError::Setup {
            case: other.into(),
            reason: "unknown frames workload".into(),
        }),
    }
}

/// The verifier: copies its calldata to memory, `STATICCALL`s the pairing precompile with it, reverts
/// unless the call succeeded and returned 1, then sets slot 0 to 1.
pub const VERIFIER_CODE: [u8; 28] = [
    0x36, 0x5f, 0x5f, 0x37, // CALLDATACOPY(0, 0, CALLDATASIZE)
    0x60, 0x20, 0x5f, 0x36, 0x5f, 0x60, 0x08, 0x5a,
    0xfa, // STATICCALL(GAS, 8, 0, CALLDATASIZE, 0, 32)
    0x5f, 0x51, 0x16, // success AND mload(0)
    0x60, 0x16, 0x57, // JUMPI to 0x16
    0x5f, 0x5f, 0xfd, // REVERT(0, 0)
    0x5b, 0x60, 0x01, 0x5f, 0x55, 0x00, // JUMPDEST SSTORE(0, 1) STOP
];

/// Copies its calldata to memory, `STATICCALL`s the G1 MSM precompile (`0x0c`) with it, reverts unless
/// the call succeeded, then sets slot 0 to 1.
pub const MSM_CALLER_CODE: [u8; 25] = [
    0x36, 0x5f, 0x5f, 0x37, // CALLDATACOPY(0, 0, CALLDATASIZE)
    0x60, 0x80, 0x5f, 0x36, 0x5f, 0x60, 0x0c, 0x5a,
    0xfa, // STATICCALL(GAS, 0x0c, 0, CALLDATASIZE, 0, 128)
    0x60, 0x13, 0x57, // JUMPI to 0x13 on success
    0x5f, 0x5f, 0xfd, // REVERT(0, 0)
    0x5b, 0x60, 0x01, 0x5f, 0x55, 0x00, // JUMPDEST SSTORE(0, 1) STOP
];

fn bls_g1_msm(points: usize) -> Workload {
    let mut rng = Rng::new(0xb15 + points as u64);
    let (from, caller) = (rng.address(), rng.address());
    Workload {
        name: "bls_g1_msm_64",
        chain: CHAIN,
        accounts: vec![
            Account::eoa(Address::ZERO, U256::ZERO, 0),
            sender(from),
            Account::contract(caller, Bytes::from_static(&MSM_CALLER_CODE), Vec::new()),
        ],
        txs: vec![Tx {
            caller: from,
            to: Some(caller),
            value: U256::ZERO,
            data: super::pairing::bls_g1_msm_input(points, points as u64).into(),
            gas_limit: 2_000_000,
            gas_price: 1_000_000_000,
            nonce: 0,
        }],
    }
}

/// A sender with 1,000 ETH, nonce 0.
pub(super) fn sender(a: Address) -> Account {
    Account::eoa(a, U256::from(10u64).pow(U256::from(21u64)), 0)
}

fn pairing_verifier(name: &'static str, pairs: usize) -> Workload {
    let mut rng = Rng::new(0xfa11 + pairs as u64);
    let (from, verifier) = (rng.address(), rng.address());
    Workload {
        name,
        chain: CHAIN,
        accounts: vec![
            Account::eoa(Address::ZERO, U256::ZERO, 0),
            sender(from),
            Account::contract(verifier, Bytes::from_static(&VERIFIER_CODE), Vec::new()),
        ],
        txs: vec![Tx {
            caller: from,
            to: Some(verifier),
            value: U256::ZERO,
            data: valid_input(pairs, pairs as u64).into(),
            gas_limit: 2_000_000,
            gas_price: 1_000_000_000,
            nonce: 0,
        }],
    }
}

/// Multicall3's canonical address.
pub const MULTICALL3: Address = address!("cA11bde05977b3631167028862bE2a173976CA11");

/// Multicall3's runtime code (`benches/data/README.md` says where it comes from).
const MULTICALL3_RUNTIME: &str = include_str!("../../data/multicall3_runtime.hex");

sol! {
    /// Multicall3's call description.
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }
    /// Multicall3's result of one call.
    struct Result3 {
        bool success;
        bytes returnData;
    }
    /// Multicall3: make each call, revert if one that may not fail fails.
    function aggregate3(Call3[] calls) external payable returns (Result3[] returnData);
}

/// Returns one word of 1 (`true`) whatever it is called with: `multicall3_floor`'s targets.
const RETURN_TRUE_CODE: [u8; 8] = [0x60, 0x01, 0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3];

/// Multicall3's batch of `n` transfers; with `floor`, each target is a contract that only returns
/// `true` (the same calls, the same top frame and call setup, children that cost almost nothing): the
/// part of the batch that no frame-level scheme can run beside the top frame.
fn multicall3_erc20(n: usize, floor: bool) -> Result<Workload, BenchError> {
    let code = hex::decode(MULTICALL3_RUNTIME.trim()).map_err(|e| BenchError::Setup {
        case: "multicall3_erc20".into(),
        reason: format!("benches/data/multicall3_runtime.hex: {e}"),
    })?;
    let mut rng = Rng::new(0x3c411);
    let from = rng.address();
    let mut accounts = vec![
        Account::eoa(Address::ZERO, U256::ZERO, 0),
        sender(from),
        Account::contract(MULTICALL3, code.into(), Vec::new()),
    ];
    let mut calls = Vec::with_capacity(n);
    for i in 0..n {
        let token = rng.address();
        accounts.push(if floor {
            Account::contract(token, Bytes::from_static(&RETURN_TRUE_CODE), Vec::new())
        } else {
            pevm_token(token, "Gold Token", &format!("G{i}"), &[MULTICALL3])?
        });
        calls.push(Call3 {
            target: token,
            allowFailure: false,
            callData: transfer_call(rng.address(), U256::from(1 + rng.below(1000))),
        });
    }
    Ok(Workload {
        name: if floor {
            "multicall3_floor"
        } else {
            "multicall3_erc20"
        },
        chain: CHAIN,
        accounts,
        txs: vec![Tx {
            caller: from,
            to: Some(MULTICALL3),
            value: U256::ZERO,
            data: aggregate3Call { calls }.abi_encode().into(),
            gas_limit: 2_000_000,
            gas_price: 1_000_000_000,
            nonce: 0,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::suite::{check, prepare};
    use parevm_evm_core::precompile_split;

    /// Every frames block succeeds, the parallel engine equals the sequential path at 2 and 4 threads,
    /// the in-place path equals it too, and revm agrees on gas and success (the suite's own checks), with
    /// heavy precompiles on one thread and, where this test process could install the provider (another
    /// test may have run a precompile first), split across 3.
    #[test]
    fn every_frames_block_passes_the_suite_checks() {
        let split = precompile_split::install();
        for name in NAMES {
            let w = build(name).expect("the block builds");
            let p = prepare(&w);
            for t in if split { vec![1, 3] } else { vec![1] } {
                precompile_split::set_threads(t);
                let gas = check(&w, &p, &[2, 4]).expect("the checks pass");
                assert!(gas > 200_000, "{name}: {gas} gas");
            }
        }
        precompile_split::set_threads(1);
    }

    /// The floor variant makes the same 16 successful calls (the suite's checks pass) for less gas than
    /// the transfers: only the children changed.
    #[test]
    fn multicall3_floor_runs_the_same_batch_with_cheap_children() {
        let floor = build("multicall3_floor").expect("the floor block builds");
        let real = build("multicall3_erc20").expect("the transfer block builds");
        assert_eq!(floor.txs[0].data, real.txs[0].data, "the same calls");
        let floor_gas = check(&floor, &prepare(&floor), &[2]).expect("the checks pass");
        let real_gas = check(&real, &prepare(&real), &[2]).expect("the checks pass");
        assert!(floor_gas < real_gas / 2, "{floor_gas} against {real_gas}");
    }
}
