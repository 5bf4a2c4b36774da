//! A tiny seeded generator (SplitMix64) with the helpers the case generator needs.
//!
//! Our own rather than `rand`'s `StdRng`: a saved regression seed must replay the same case after any
//! dependency upgrade, and `rand` does not promise a stable stream across versions.

use alloy_primitives::U256;

/// Deterministic pseudo-random source seeded from one `u64`.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator whose whole stream is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.u64() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.u64() % (hi - lo + 1)
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.u64() % 100 < percent
    }

    /// One element of a non-empty slice.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// An index chosen with the given weights (not all zero).
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| *w as u64).sum();
        let mut x = self.u64() % total.max(1);
        for (i, w) in weights.iter().enumerate() {
            if x < *w as u64 {
                return i;
            }
            x -= *w as u64;
        }
        weights.len() - 1
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.u64() as u8).collect()
    }

    /// A uniformly random 256-bit word.
    pub fn u256(&mut self) -> U256 {
        U256::from_limbs([self.u64(), self.u64(), self.u64(), self.u64()])
    }

    /// A word biased toward the values that find bugs: edges, small numbers, powers of two, sign bits.
    pub fn word(&mut self) -> U256 {
        match self.below(12) {
            0 => U256::ZERO,
            1 => U256::from(1u8),
            2 => U256::MAX,
            3 => U256::from(1u8) << 255,
            4 => (U256::from(1u8) << 255) - U256::from(1u8),
            5 => U256::from(1u8) << self.below(256),
            6 => (U256::from(1u8) << self.below(256)) - U256::from(1u8),
            7 => U256::MAX - U256::from(self.range(0, 40)),
            8 | 9 => U256::from(self.range(0, 300)),
            10 => U256::from(self.u64()),
            _ => self.u256(),
        }
    }
}
