//! A seeded SplitMix64 generator for workload layouts (random addresses and amounts). Our own, so that a
//! layout is the same after any dependency upgrade.

use alloy_primitives::{Address, B256};

/// Deterministic pseudo-random source.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator whose stream is fixed by `seed`.
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
    pub fn below(&mut self, n: u64) -> u64 {
        self.u64() % n
    }

    /// A random 32-byte word.
    pub fn b256(&mut self) -> B256 {
        let mut b = [0u8; 32];
        for chunk in b.chunks_mut(8) {
            chunk.copy_from_slice(&self.u64().to_le_bytes());
        }
        B256::from(b)
    }

    /// A random address.
    pub fn address(&mut self) -> Address {
        Address::from_slice(&self.b256()[..20])
    }
}
