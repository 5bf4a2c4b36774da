//! Solidity storage layout helpers: mapping slots, short strings, words of addresses and signed integers.

use alloy_primitives::{keccak256, Address, B256, U256};

/// The slot of `mapping[k1][k2]...` declared at `slot`: h = pad32(slot); h = keccak256(pad32(k) ‖ h) per key.
pub fn map(slot: U256, keys: &[U256]) -> U256 {
    let mut h = B256::from(slot);
    for k in keys {
        let mut buf = [0u8; 64];
        buf[..32].copy_from_slice(&k.to_be_bytes::<32>());
        buf[32..].copy_from_slice(h.as_slice());
        h = keccak256(buf);
    }
    U256::from_be_bytes(h.0)
}

/// An address as a storage word or mapping key.
pub fn word(a: Address) -> U256 {
    U256::from_be_slice(a.as_slice())
}

/// A signed integer as a two's-complement 256-bit word.
pub fn int(v: i64) -> U256 {
    if v >= 0 {
        U256::from(v as u64)
    } else {
        U256::MAX - U256::from(v.unsigned_abs() - 1)
    }
}

/// A Solidity short string (< 32 bytes): bytes left-aligned, 2 × length in the last byte.
pub fn short_string(s: &str) -> U256 {
    let mut b = [0u8; 32];
    b[..s.len()].copy_from_slice(s.as_bytes());
    b[31] = 2 * s.len() as u8;
    U256::from_be_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_words() {
        assert_eq!(int(-1), U256::MAX);
        assert_eq!(int(-40) + U256::from(40u8), U256::ZERO);
        assert_eq!(int(39), U256::from(39u8));
    }

    #[test]
    fn short_string_layout() {
        let w = short_string("GLD").to_be_bytes::<32>();
        assert_eq!(&w[..3], b"GLD");
        assert_eq!(w[31], 6);
    }
}
