//! Inputs of the bn254 pairing precompile (`0x08`) for the verifier workloads: `n` pairs whose pairing
//! product is one, as a verifier's check is when the proof is valid. Built with arkworks (the curve
//! library revm-precompile uses); the scalars come from keccak of a seed, so each run builds the same block.

use alloy_primitives::keccak256;
use ark_bn254::{Fq, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{BigInteger, PrimeField, Zero};

/// Bytes of one pair in the precompile's input (a G1 point, then a G2 point).
pub const PAIR_LEN: usize = 192;

/// The precompile input of `n` pairs `(a_i G1, b_i G2)`, `i < n - 1`, and `(-(sum a_i b_i) G1, G2)`: the
/// product of their pairings is one, so the precompile returns 1.
pub fn valid_input(n: usize, seed: u64) -> Vec<u8> {
    let scalar = |i: u64| {
        Fr::from_be_bytes_mod_order(
            keccak256([seed.to_be_bytes(), i.to_be_bytes()].concat()).as_slice(),
        )
    };
    let mut sum = Fr::zero();
    let mut out = Vec::with_capacity(n * PAIR_LEN);
    for i in 0..n.saturating_sub(1) as u64 {
        let (a, b) = (scalar(2 * i), scalar(2 * i + 1));
        sum += a * b;
        out.extend(g1((G1Projective::generator() * a).into_affine()));
        out.extend(g2((G2Projective::generator() * b).into_affine()));
    }
    out.extend(g1((G1Projective::generator() * (-sum)).into_affine()));
    out.extend(g2(G2Affine::generator()));
    out
}

/// The G1 MSM precompile's (`0x0c`) input of `n` points with nonzero scalars: each point is a field
/// element mapped to G1 by revm-precompile's own map (so it is in the subgroup), 64-byte padded
/// coordinates, then a 32-byte scalar.
pub fn bls_g1_msm_input(n: usize, seed: u64) -> Vec<u8> {
    use revm::precompile::interface::{Crypto, DefaultCrypto};
    let mut out = Vec::with_capacity(n * 160);
    for i in 0..n as u64 {
        let h = keccak256([seed.to_be_bytes(), i.to_be_bytes()].concat());
        let g = keccak256(h);
        // Below the field modulus: the first byte zero.
        let mut fp = [0u8; 48];
        fp[1..33].copy_from_slice(h.as_slice());
        fp[33..].copy_from_slice(&g[..15]);
        let p = DefaultCrypto
            .bls12_381_fp_to_g1(&fp)
            .expect("a field element below the modulus maps to G1");
        for coord in p.chunks(48) {
            out.extend([0u8; 16]);
            out.extend(coord);
        }
        out.extend(keccak256(g).0);
    }
    out
}

fn fq(x: Fq) -> Vec<u8> {
    let mut b = x.into_bigint().to_bytes_be();
    while b.len() < 32 {
        b.insert(0, 0);
    }
    b
}

fn g1(p: G1Affine) -> Vec<u8> {
    match p.xy() {
        Some((x, y)) => [fq(x), fq(y)].concat(),
        None => vec![0; 64],
    }
}

/// The precompile's G2 encoding: each Fq2 coordinate as its imaginary part, then its real part.
fn g2(q: G2Affine) -> Vec<u8> {
    match q.xy() {
        Some((x, y)) => [fq(x.c1), fq(x.c0), fq(y.c1), fq(y.c0)].concat(),
        None => vec![0; 128],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_valid_input_pairs_to_one_under_revm_precompile() {
        for n in [2, 4, 16] {
            let input = valid_input(n, 9);
            assert_eq!(input.len(), n * PAIR_LEN);
            let out = revm::precompile::bn254::run_pair(&input, 34_000, 45_000, u64::MAX)
                .expect("the pairing succeeds");
            assert_eq!(out.bytes[31], 1, "{n} pairs");
        }
    }
}
