//! Precompile wiring: which addresses are precompiles in a fork, and running them. The cryptography is
//! revm-precompile's (secp256k1, bn254, BLS12-381, KZG, P-256, modexp, blake2); nothing here is hand-written.

use crate::spec::SpecId;
use alloy_primitives::{Address, Bytes};
use revm_precompile::{PrecompileSpecId, PrecompileStatus, Precompiles};
use revm_primitives::{short_address, SHORT_ADDRESS_CAP};
use std::sync::atomic::{AtomicUsize, Ordering};

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
#[inline(always)]
fn possible(address: &Address) -> bool {
    let a = &address.0 .0;
    // Three loads and compares rather than a loop over 18 bytes.
    let (head, tail) = a.split_at(16);
    u128::from_ne_bytes(head.try_into().unwrap_or([1; 16])) == 0
        && tail[..2] == [0, 0]
        && (tail[2] | tail[3]) != 0
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

/// [`is_in`] for a set that lives for the whole program (every chain's set does): when all of the set's
/// addresses are short (below revm's `SHORT_ADDRESS_CAP`, where `Precompiles::get` indexes an array), an
/// address is looked up in that array and any other address is not a precompile, without hashing it.
#[inline(always)]
pub(crate) fn is_in_static(precompiles: &'static Precompiles, address: &Address) -> bool {
    // The common answer (an address with a non-zero byte among its first 18) inline; the lookup not.
    possible(address) && is_in_static_lookup(precompiles, address)
}

/// [`is_in_static`] past its leading-zero test.
#[inline(never)]
fn is_in_static_lookup(precompiles: &'static Precompiles, address: &Address) -> bool {
    if short_indexed(precompiles) {
        // `possible` checked the 18 leading zero bytes, so the address is short when its last two bytes
        // are below the cap (`short_address`, without scanning the zeros again).
        let low = u16::from_be_bytes([address.0[18], address.0[19]]) as usize;
        low < SHORT_ADDRESS_CAP && precompiles.get(address).is_some()
    } else {
        precompiles.contains(address)
    }
}

/// [`run_in`] for a set that lives for the whole program, with [`is_in_static`]'s cheap answer for an
/// address that is not a precompile.
#[inline]
pub(crate) fn run_in_static(
    precompiles: &'static Precompiles,
    address: &Address,
    input: &[u8],
    gas_limit: u64,
) -> Option<PrecompileCall> {
    if !is_in_static(precompiles, address) {
        return None;
    }
    run_in(precompiles, address, input, gas_limit)
}

/// Sets already classified by [`short_indexed`]: the set's address with the low bit set when it is short
/// indexed (a `Precompiles` is aligned to more than 1 byte); zero for a free slot.
static CLASSIFIED: [AtomicUsize; 32] = [const { AtomicUsize::new(0) }; 32];

/// True when every address of `precompiles` is short and its array (`Precompiles::get` for short
/// addresses) holds exactly the set's members, so that [`is_in_static`] may answer from the array. Found
/// once per set and remembered by the set's address (sets are `'static`, so an address never names
/// another set); when more sets than the cache holds turn up, the rest are classified on every call.
#[inline]
fn short_indexed(precompiles: &'static Precompiles) -> bool {
    let key = precompiles as *const Precompiles as usize;
    for slot in &CLASSIFIED {
        let v = slot.load(Ordering::Relaxed);
        if v & !1 == key {
            return v & 1 == 1;
        }
        if v == 0 {
            let short = classify(precompiles);
            // Another thread may have taken the slot meanwhile; the answer is the same either way.
            let _ = slot.compare_exchange(
                0,
                key | short as usize,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
            return short;
        }
    }
    classify(precompiles)
}

/// See [`short_indexed`].
#[cold]
fn classify(precompiles: &Precompiles) -> bool {
    let all_short = precompiles
        .addresses()
        .all(|a| short_address(a).is_some() && precompiles.get(a).is_some());
    let in_array = (0..SHORT_ADDRESS_CAP)
        .filter(|&i| {
            let mut a = Address::ZERO;
            a.0[18..].copy_from_slice(&(i as u16).to_be_bytes());
            precompiles.get(&a).is_some()
        })
        .count();
    all_short && in_array == precompiles.len()
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
    run_moved(precompiles, address, input, gas_limit)
}

/// [`run_in`] for a set whose precompiles may sit at any address (one with moved precompiles,
/// [`crate::precompile_moves`]): no leading-zero shortcut.
pub fn run_moved(
    precompiles: &Precompiles,
    address: &Address,
    input: &[u8],
    gas_limit: u64,
) -> Option<PrecompileCall> {
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

    /// The array answer of `is_in_static` agrees with the set's map for every fork's Ethereum set, on every
    /// short address and on long ones.
    #[test]
    fn static_membership_matches_the_map() {
        for spec in [
            SpecId::FRONTIER,
            SpecId::BYZANTIUM,
            SpecId::ISTANBUL,
            SpecId::CANCUN,
            SpecId::PRAGUE,
            SpecId::OSAKA,
        ] {
            let p = set(spec);
            assert!(short_indexed(p), "{spec:?}: every precompile is short");
            for i in 0..0x400u16 {
                let mut a = Address::ZERO;
                a.0[18..].copy_from_slice(&i.to_be_bytes());
                assert_eq!(is_in_static(p, &a), p.contains(&a), "{spec:?} {a}");
            }
            let far = address!("0x1000000000000000000000000000000000000004");
            assert!(!is_in_static(p, &far));
        }
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
