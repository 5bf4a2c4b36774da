//! Heavy precompiles split across threads (issue 16, item 3): where one precompile call is most of a
//! transaction's time, its independent parts run on several threads and are combined into the result the
//! one-thread computation gives, bit for bit.
//!
//! Where it sits in the flow: below [`crate::precompiles`]. revm-precompile's precompile functions
//! (gas, input length and chain-specific input limits stay theirs) call a process-wide cryptography
//! provider; [`install`] registers [`SplitCrypto`] as that provider, which overrides only the operations it
//! can split and leaves every other one to revm-precompile's own backend ([`DefaultCrypto`]).
//!
//! What is split, and why the result is the same:
//! - **bn254 pairing check** (`0x08`): the product of pairings `prod e(P_i, Q_i)` is one final
//!   exponentiation of the product of the pairs' Miller loop values, and the Miller loop value of a set of
//!   pairs is the product of the values of its parts (every step of the loop is a multiplication or a
//!   squaring in the target field, and squaring distributes over products). So the pairs are cut into one
//!   chunk per thread; each thread decodes and checks its points (on the curve, in the subgroup), prepares
//!   its G2 points and runs its Miller loop; the chunk values are multiplied in chunk order and the final
//!   exponentiation runs once. Field arithmetic is exact, so the product equals the one-thread loop's value
//!   and the answer (is it one?) is the same. All arithmetic is arkworks' (`ark-bn254`, `ark-ec`), the
//!   backend revm-precompile itself uses; nothing here is hand-written cryptography.
//!
//! Not split: the BLS12-381 MSMs (`0x0c`, `0x0e`). revm-precompile's blst backend already runs every MSM of
//! two or more points on blst's own thread pool (one thread per core), so a split here would only nest
//! pools (measured: `parevm-benches frames`, `bls_g1_msm_64`, CPU time above wall time on one thread).
//!
//! The cost model: a call is split only when it has at least [`MIN_SPLIT_PAIRS`] pairs and more than one
//! thread is allowed ([`set_threads`]; 1, that is no splitting, until a caller sets it). The threads are
//! scoped threads of this call: the first chunk runs on the caller's thread.

use ark_bn254::{Bn254, Fq, Fq2, G1Affine, G2Affine};
use ark_ec::{
    pairing::{MillerLoopOutput, Pairing},
    AffineRepr,
};
use ark_ff::{One, Zero};
use ark_serialize::CanonicalDeserialize;
use revm_precompile::{
    interface::{Crypto, DefaultCrypto},
    PrecompileHalt,
};
use std::sync::{
    atomic::{AtomicUsize, Ordering},
    OnceLock,
};

/// Pairs below which a pairing check is not split: one pair's Miller loop has nothing to share.
pub const MIN_SPLIT_PAIRS: usize = 2;

/// The most threads one precompile call is split across (the process-wide setting is clamped to it).
pub const MAX_SPLIT_THREADS: usize = 64;

/// Threads one precompile call may use; 1 means no splitting.
static THREADS: AtomicUsize = AtomicUsize::new(1);

/// Precompile calls split so far in this process (see [`split_calls`]).
static SPLIT_CALLS: AtomicUsize = AtomicUsize::new(0);

/// How many precompile calls this process has split across threads: for reports and for tests that must
/// show the split path ran.
pub fn split_calls() -> usize {
    SPLIT_CALLS.load(Ordering::Relaxed)
}

/// Allows each heavy precompile call to use up to `threads` threads (clamped to 1..=[`MAX_SPLIT_THREADS`]).
/// Process-wide, as the cryptography provider is; it takes effect only after [`install`].
pub fn set_threads(threads: usize) {
    THREADS.store(threads.clamp(1, MAX_SPLIT_THREADS), Ordering::Relaxed);
}

/// The current setting of [`set_threads`].
pub fn threads() -> usize {
    THREADS.load(Ordering::Relaxed)
}

/// Registers [`SplitCrypto`] as revm-precompile's cryptography provider for the whole process. True when it
/// is the provider afterwards; false when another provider was installed first (or a precompile already
/// ran with the default one), in which case nothing is split and results are unchanged.
pub fn install() -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| revm_precompile::interface::install_crypto(SplitCrypto))
}

/// revm-precompile's cryptography with the splittable operations split across threads; see the module
/// documentation.
#[derive(Clone, Copy, Debug, Default)]
pub struct SplitCrypto;

impl Crypto for SplitCrypto {
    fn bn254_pairing_check(&self, pairs: &[(&[u8], &[u8])]) -> Result<bool, PrecompileHalt> {
        let threads = threads().min(pairs.len());
        if threads < 2 || pairs.len() < MIN_SPLIT_PAIRS {
            return DefaultCrypto.bn254_pairing_check(pairs);
        }
        SPLIT_CALLS.fetch_add(1, Ordering::Relaxed);
        bn254_pairing_check_split(pairs, threads)
    }
}

/// The pairing check of `pairs` with its pairs cut into `threads` chunks, one per thread.
pub fn bn254_pairing_check_split(
    pairs: &[(&[u8], &[u8])],
    threads: usize,
) -> Result<bool, PrecompileHalt> {
    let threads = threads.clamp(1, pairs.len().max(1));
    let chunk = pairs.len().div_ceil(threads).max(1);
    let mut parts = pairs.chunks(chunk);
    let first = parts.next().unwrap_or(&[]);
    let values: Vec<Result<Option<MillerLoopOutput<Bn254>>, PrecompileHalt>> =
        std::thread::scope(|s| {
            let handles: Vec<_> = parts.map(|c| s.spawn(move || miller_loop(c))).collect();
            let mut values = Vec::with_capacity(handles.len() + 1);
            values.push(miller_loop(first));
            for h in handles {
                // A chunk's thread only runs arkworks' arithmetic on checked points; should it panic, the
                // call fails like a malformed input rather than taking the process down.
                values.push(
                    h.join()
                        .unwrap_or(Err(PrecompileHalt::Bn254AffineGFailedToCreate)),
                );
            }
            values
        });
    let mut product: Option<<Bn254 as Pairing>::TargetField> = None;
    for v in values {
        if let Some(MillerLoopOutput(f)) = v? {
            product = Some(match product {
                Some(p) => p * f,
                None => f,
            });
        }
    }
    let Some(f) = product else {
        // Every pair had a point at infinity (or there were none): the empty product is one.
        return Ok(true);
    };
    Ok(Bn254::final_exponentiation(MillerLoopOutput(f)).is_some_and(|out| out.0.is_one()))
}

/// Decodes and checks the points of `pairs` and returns the Miller loop value of the pairs without a point
/// at infinity; `None` when every pair has one.
fn miller_loop(
    pairs: &[(&[u8], &[u8])],
) -> Result<Option<MillerLoopOutput<Bn254>>, PrecompileHalt> {
    let mut g1 = Vec::with_capacity(pairs.len());
    let mut g2 = Vec::with_capacity(pairs.len());
    for (a, b) in pairs {
        let p = read_g1(a)?;
        let q = read_g2(b)?;
        if !p.is_zero() && !q.is_zero() {
            g1.push(p);
            g2.push(q);
        }
    }
    if g1.is_empty() {
        return Ok(None);
    }
    Ok(Some(Bn254::multi_miller_loop(g1, g2)))
}

/// Bytes of one field element in the precompile's input.
const FQ_LEN: usize = 32;

/// One big-endian field element; values at or above the modulus are rejected.
fn read_fq(be: &[u8]) -> Result<Fq, PrecompileHalt> {
    let mut le = [0u8; FQ_LEN];
    le.copy_from_slice(be.get(..FQ_LEN).ok_or(PrecompileHalt::Bn254PairLength)?);
    le.reverse();
    Fq::deserialize_uncompressed(&le[..]).map_err(|_| PrecompileHalt::Bn254FieldPointNotAMember)
}

/// A G1 point as `x || y`; `(0, 0)` is the point at infinity.
fn read_g1(bytes: &[u8]) -> Result<G1Affine, PrecompileHalt> {
    let x = read_fq(bytes.get(..FQ_LEN).ok_or(PrecompileHalt::Bn254PairLength)?)?;
    let y = read_fq(bytes.get(FQ_LEN..).ok_or(PrecompileHalt::Bn254PairLength)?)?;
    if x.is_zero() && y.is_zero() {
        return Ok(G1Affine::zero());
    }
    let p = G1Affine::new_unchecked(x, y);
    if !p.is_on_curve() || !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(PrecompileHalt::Bn254AffineGFailedToCreate);
    }
    Ok(p)
}

/// An element of Fq2 as the precompile encodes it: the imaginary part first, then the real part.
fn read_fq2(bytes: &[u8]) -> Result<Fq2, PrecompileHalt> {
    let im = read_fq(bytes.get(..FQ_LEN).ok_or(PrecompileHalt::Bn254PairLength)?)?;
    let re = read_fq(bytes.get(FQ_LEN..).ok_or(PrecompileHalt::Bn254PairLength)?)?;
    Ok(Fq2::new(re, im))
}

/// A G2 point as `x || y` over Fq2; all zero is the point at infinity.
fn read_g2(bytes: &[u8]) -> Result<G2Affine, PrecompileHalt> {
    let x = read_fq2(
        bytes
            .get(..2 * FQ_LEN)
            .ok_or(PrecompileHalt::Bn254PairLength)?,
    )?;
    let y = read_fq2(
        bytes
            .get(2 * FQ_LEN..)
            .ok_or(PrecompileHalt::Bn254PairLength)?,
    )?;
    if x.is_zero() && y.is_zero() {
        return Ok(G2Affine::zero());
    }
    let q = G2Affine::new_unchecked(x, y);
    if !q.is_on_curve() || !q.is_in_correct_subgroup_assuming_on_curve() {
        return Err(PrecompileHalt::Bn254AffineGFailedToCreate);
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fr, G1Projective, G2Projective};
    use ark_ec::{CurveGroup, PrimeGroup};
    use ark_ff::{BigInteger, PrimeField};

    /// A scalar drawn from `seed` and `i` (keccak of both), so the tests need no random generator.
    fn scalar(seed: u64, i: u64) -> Fr {
        let h = alloy_primitives::keccak256([seed.to_be_bytes(), i.to_be_bytes()].concat());
        Fr::from_be_bytes_mod_order(h.as_slice())
    }

    fn fq_be(x: &Fq) -> [u8; 32] {
        let mut b = [0u8; 32];
        b.copy_from_slice(&x.into_bigint().to_bytes_be());
        b
    }

    fn g1_bytes(p: &G1Affine) -> Vec<u8> {
        match p.xy() {
            None => vec![0; 64],
            Some((x, y)) => [fq_be(&x), fq_be(&y)].concat(),
        }
    }

    fn g2_bytes(q: &G2Affine) -> Vec<u8> {
        match q.xy() {
            None => vec![0; 128],
            Some((x, y)) => [fq_be(&x.c1), fq_be(&x.c0), fq_be(&y.c1), fq_be(&y.c0)].concat(),
        }
    }

    /// `n` pairs whose pairing product is one when `valid`: `(a_i G1, b_i G2)` and a last pair
    /// `(-(sum a_i b_i) G1, G2)`; with `valid` false the last scalar is off by one.
    fn pairs(n: usize, valid: bool, seed: u64) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut sum = Fr::zero();
        let mut out = Vec::new();
        for i in 0..n.saturating_sub(1) as u64 {
            let (a, b) = (scalar(seed, 2 * i), scalar(seed, 2 * i + 1));
            sum += a * b;
            let p = (G1Projective::generator() * a).into_affine();
            let q = (G2Projective::generator() * b).into_affine();
            out.push((g1_bytes(&p), g2_bytes(&q)));
        }
        if !valid {
            sum += Fr::one();
        }
        let p = (G1Projective::generator() * (-sum)).into_affine();
        out.push((g1_bytes(&p), g2_bytes(&G2Affine::generator())));
        out
    }

    fn check_all_ways(input: &[(Vec<u8>, Vec<u8>)]) {
        let refs: Vec<(&[u8], &[u8])> = input
            .iter()
            .map(|(a, b)| (a.as_slice(), b.as_slice()))
            .collect();
        let oracle = DefaultCrypto.bn254_pairing_check(&refs);
        for t in 1..=6 {
            let ours = bn254_pairing_check_split(&refs, t);
            assert_eq!(
                ours.is_ok(),
                oracle.is_ok(),
                "{t} threads: {ours:?} vs {oracle:?}"
            );
            if let (Ok(a), Ok(b)) = (&ours, &oracle) {
                assert_eq!(a, b, "{t} threads");
            }
        }
    }

    #[test]
    fn split_equals_revm_precompile_on_valid_and_invalid_products() {
        for n in [1, 2, 3, 4, 5, 8] {
            let good = pairs(n, true, n as u64);
            let bad = pairs(n, false, 100 + n as u64);
            let refs: Vec<(&[u8], &[u8])> = good
                .iter()
                .map(|(a, b)| (a.as_slice(), b.as_slice()))
                .collect();
            assert_eq!(bn254_pairing_check_split(&refs, 3), Ok(true), "{n} pairs");
            let bad_refs: Vec<(&[u8], &[u8])> = bad
                .iter()
                .map(|(a, b)| (a.as_slice(), b.as_slice()))
                .collect();
            assert_eq!(
                bn254_pairing_check_split(&bad_refs, 3),
                Ok(false),
                "{n} pairs"
            );
            check_all_ways(&good);
            check_all_ways(&bad);
        }
    }

    #[test]
    fn split_equals_revm_precompile_on_malformed_points() {
        let base = pairs(4, true, 7);
        // A coordinate at the modulus, a point off the curve, points at infinity in each slot.
        let mut at_modulus = base.clone();
        at_modulus[2].0[..32].copy_from_slice(&fq_be(&Fq::zero()));
        at_modulus[2].0[..32].copy_from_slice(&Fq::MODULUS.to_bytes_be());
        check_all_ways(&at_modulus);
        let mut off_curve = base.clone();
        off_curve[3].1[127] ^= 1;
        check_all_ways(&off_curve);
        let mut g1_off = base.clone();
        g1_off[1].0[63] ^= 1;
        check_all_ways(&g1_off);
        for i in 0..base.len() {
            let mut inf = base.clone();
            inf[i].0 = vec![0; 64];
            check_all_ways(&inf);
            let mut inf2 = base.clone();
            inf2[i].1 = vec![0; 128];
            check_all_ways(&inf2);
        }
        let all_inf = vec![(vec![0u8; 64], vec![0u8; 128]); 3];
        check_all_ways(&all_inf);
    }

    #[test]
    fn installed_provider_runs_the_pair_precompile_like_revm() {
        // The provider is process-wide; whichever test installs it first, results must equal revm's own.
        let _ = install();
        set_threads(2);
        let good = pairs(6, true, 42);
        let input: Vec<u8> = good
            .iter()
            .flat_map(|(a, b)| [a.clone(), b.clone()].concat())
            .collect();
        let ours = crate::precompiles::run(
            crate::SpecId::PRAGUE,
            &crate::Address::with_last_byte(8),
            &input,
            10_000_000,
        );
        let expected_gas = 45_000 + 34_000 * 6;
        let mut one = [0u8; 32];
        one[31] = 1;
        assert_eq!(
            ours,
            Some(crate::precompiles::PrecompileCall::Success {
                gas_used: expected_gas,
                output: crate::Bytes::copy_from_slice(&one),
            })
        );
    }
}
