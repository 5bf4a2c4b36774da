//! Hex strings of JSON fixtures (`"0x1f"`, `"0x00…"`) to typed values, with the offending text in the error.
//! Shared by the replay and blocktest runners, whose JSON holds every number and hash as a hex string.

use alloy_primitives::{Address, Bloom, Bytes, B256, B64, U256};
use std::str::FromStr;

/// A hex field that does not parse: what was expected and the text found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected {what}, found {text:?}")]
pub struct HexError {
    /// The expected kind of value.
    pub what: &'static str,
    /// The text found (truncated to 80 characters).
    pub text: String,
}

fn err(what: &'static str, text: &str) -> HexError {
    HexError {
        what,
        text: text.chars().take(80).collect(),
    }
}

fn digits(text: &str) -> &str {
    text.strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text)
}

/// A quantity of at most 64 bits (`"0x"` reads as zero).
pub fn u64_of(text: &str) -> Result<u64, HexError> {
    let d = digits(text);
    if d.is_empty() {
        return Ok(0);
    }
    u64::from_str_radix(d, 16).map_err(|_| err("a 64-bit hex quantity", text))
}

/// A quantity of at most 128 bits.
pub fn u128_of(text: &str) -> Result<u128, HexError> {
    let d = digits(text);
    if d.is_empty() {
        return Ok(0);
    }
    u128::from_str_radix(d, 16).map_err(|_| err("a 128-bit hex quantity", text))
}

/// A quantity of at most 256 bits.
pub fn u256_of(text: &str) -> Result<U256, HexError> {
    let d = digits(text);
    if d.is_empty() {
        return Ok(U256::ZERO);
    }
    U256::from_str_radix(d, 16).map_err(|_| err("a 256-bit hex quantity", text))
}

/// A 20-byte address.
pub fn address_of(text: &str) -> Result<Address, HexError> {
    Address::from_str(text).map_err(|_| err("a 20-byte address", text))
}

/// A 32-byte hash.
pub fn b256_of(text: &str) -> Result<B256, HexError> {
    B256::from_str(text).map_err(|_| err("a 32-byte hash", text))
}

/// An 8-byte value (the proof-of-work nonce).
pub fn b64_of(text: &str) -> Result<B64, HexError> {
    B64::from_str(text).map_err(|_| err("an 8-byte value", text))
}

/// A 256-byte logs bloom.
pub fn bloom_of(text: &str) -> Result<Bloom, HexError> {
    Bloom::from_str(text).map_err(|_| err("a 256-byte bloom", text))
}

/// Arbitrary bytes.
pub fn bytes_of(text: &str) -> Result<Bytes, HexError> {
    Bytes::from_str(text).map_err(|_| err("hex bytes", text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(u64_of("0x1f"), Ok(31));
        assert_eq!(u64_of("0x"), Ok(0));
        assert_eq!(u256_of("0x00ff"), Ok(U256::from(255)));
        assert!(u64_of("0x1_0000_0000_0000_0000").is_err());
        assert!(u64_of("0x10000000000000000").is_err());
        assert_eq!(u128_of("0x10000000000000000"), Ok(1u128 << 64));
    }

    #[test]
    fn fixed_and_bytes() {
        assert!(address_of("0x5df9b87991262f6ba471f09758cde1c0fc1de734").is_ok());
        assert_eq!(
            address_of("0x12").map_err(|e| e.what),
            Err("a 20-byte address")
        );
        assert_eq!(bytes_of("0x").map(|b| b.len()), Ok(0));
        assert_eq!(bytes_of("0x0102").map(|b| b.len()), Ok(2));
        assert!(b256_of("0x00").is_err());
    }
}
