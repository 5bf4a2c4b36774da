//! Precompile wiring: which addresses are precompiles in a fork, and running them. The cryptography is
//! revm-precompile's (secp256k1, bn254, BLS12-381, KZG, P-256, modexp, blake2); nothing here is hand-written.

use crate::spec::SpecId;
use alloy_primitives::{Address, Bytes};
use revm_precompile::{PrecompileSpecId, PrecompileStatus, Precompiles};

/// Result of running a precompile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrecompileCall {
    /// Success: gas used and output.
    Success {
        /// Gas consumed.
        gas_used: u64,
        /// Output bytes.
        output: Bytes,
    },
    /// Failure (bad input or not enough gas): the call halts and consumes all gas given to it.
    Failed,
    /// Revert: the call fails but returns unused gas.
    Revert {
        /// Gas consumed.
        gas_used: u64,
        /// Output bytes.
        output: Bytes,
    },
}

/// The precompile set of `spec`.
#[inline]
pub fn set(spec: SpecId) -> &'static Precompiles {
    Precompiles::new(PrecompileSpecId::from_spec_id(spec))
}

/// True when `address` is a precompile under `spec`.
#[inline]
pub fn is_precompile(spec: SpecId, address: &Address) -> bool {
    is_in(set(spec), address)
}

/// True when `address` is one of `precompiles`.
#[inline]
pub fn is_in(precompiles: &Precompiles, address: &Address) -> bool {
    possible(address) && precompiles.contains(address)
}

/// False for addresses no precompile can have, without a lookup: every precompile address has 18 leading
/// zero bytes and is not the zero address (a common coinbase in test and benchmark blocks).
#[inline]
fn possible(address: &Address) -> bool {
    let a = &address.0;
    a[..18].iter().all(|b| *b == 0) && (a[18] | a[19]) != 0
}

/// Runs the precompile at `address` with `gas_limit`; `None` when it is not a precompile.
pub fn run(
    spec: SpecId,
    address: &Address,
    input: &[u8],
    gas_limit: u64,
) -> Option<PrecompileCall> {
    run_in(set(spec), address, input, gas_limit)
}

/// Runs the precompile at `address` of the set `precompiles` (a chain's own set, see
/// [`crate::rules::ChainRules::precompiles`]); `None` when it is not one of them.
pub fn run_in(
    precompiles: &Precompiles,
    address: &Address,
    input: &[u8],
    gas_limit: u64,
) -> Option<PrecompileCall> {
    if !possible(address) {
        return None;
    }
    let p = precompiles.get(address)?;
    Some(match p.execute(input, gas_limit, 0) {
        Ok(out) => match out.status {
            PrecompileStatus::Success if out.gas_used <= gas_limit => PrecompileCall::Success {
                gas_used: out.gas_used,
                output: out.bytes,
            },
            PrecompileStatus::Revert => PrecompileCall::Revert {
                gas_used: out.gas_used,
                output: out.bytes,
            },
            _ => PrecompileCall::Failed,
        },
        Err(_) => PrecompileCall::Failed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    #[test]
    fn sets_grow_by_fork() {
        let identity = address!("0000000000000000000000000000000000000004");
        let modexp = address!("0000000000000000000000000000000000000005");
        let kzg = address!("000000000000000000000000000000000000000a");
        let p256 = address!("0000000000000000000000000000000000000100");
        assert!(is_precompile(SpecId::FRONTIER, &identity));
        assert!(!is_precompile(SpecId::HOMESTEAD, &modexp));
        assert!(is_precompile(SpecId::BYZANTIUM, &modexp));
        assert!(!is_precompile(SpecId::SHANGHAI, &kzg));
        assert!(is_precompile(SpecId::CANCUN, &kzg));
        assert!(!is_precompile(SpecId::PRAGUE, &p256));
        assert!(is_precompile(SpecId::OSAKA, &p256));
    }

    #[test]
    fn identity_charges_per_word() {
        let identity = address!("0000000000000000000000000000000000000004");
        let r = run(SpecId::CANCUN, &identity, &[1, 2, 3], 100).expect("precompile");
        assert_eq!(
            r,
            PrecompileCall::Success {
                gas_used: 18,
                output: Bytes::from_static(&[1, 2, 3])
            }
        );
        assert_eq!(
            run(SpecId::CANCUN, &identity, &[1, 2, 3], 17),
            Some(PrecompileCall::Failed)
        );
    }

    #[test]
    fn sha256_of_empty() {
        let sha = address!("0000000000000000000000000000000000000002");
        let Some(PrecompileCall::Success { output, .. }) = run(SpecId::CANCUN, &sha, &[], 1000)
        else {
            panic!("sha256 failed")
        };
        assert_eq!(
            alloy_primitives::hex::encode(output),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
