//! Hex scalars as the fixtures spell them (`"0x0a"`, `"0x"`, `"0x095e…d87"`), with serde newtypes that
//! parse straight from the JSON string without an intermediate `String`.
//!
//! Every value in a filled fixture is a `0x`-prefixed hex string. Quantities may carry leading zeros
//! (`"0x00"`) and `"0x"` alone means zero; byte strings must have an even number of digits.

use alloy_primitives::{Address, Bytes, B256, U256};
use serde::de::{Deserialize, Deserializer, Visitor};
use std::fmt;

/// Why a hex string could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// The string does not start with `0x`.
    #[error("expected a 0x-prefixed hex string, got {0:?}")]
    MissingPrefix(String),
    /// A character is not a hex digit, or a byte string has an odd length.
    #[error("invalid hex {0:?}")]
    Invalid(String),
    /// The value does not fit the target type.
    #[error("hex value {value:?} does not fit in {bits} bits")]
    Overflow {
        /// The offending string (truncated when long).
        value: String,
        /// Width of the target type.
        bits: u32,
    },
    /// A fixed-size value has the wrong length.
    #[error("expected {expected} bytes, got {got} in {value:?}")]
    Length {
        /// Required length in bytes.
        expected: usize,
        /// Length found.
        got: usize,
        /// The offending string (truncated when long).
        value: String,
    },
}

/// Shortens a string for an error message.
fn excerpt(s: &str) -> String {
    if s.len() <= 80 {
        s.to_owned()
    } else {
        format!(
            "{}…",
            &s[..s.char_indices().nth(77).map_or(s.len(), |(i, _)| i)]
        )
    }
}

fn strip(s: &str) -> Result<&str, HexError> {
    s.strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .ok_or_else(|| HexError::MissingPrefix(excerpt(s)))
}

/// Parses a hex quantity of at most 256 bits (leading zeros allowed, `"0x"` is zero).
pub fn parse_u256(s: &str) -> Result<U256, HexError> {
    let digits = strip(s)?.trim_start_matches('0');
    if digits.is_empty() {
        return Ok(U256::ZERO);
    }
    if digits.len() > 64 {
        return Err(HexError::Overflow {
            value: excerpt(s),
            bits: 256,
        });
    }
    U256::from_str_radix(digits, 16).map_err(|_| HexError::Invalid(excerpt(s)))
}

/// Parses a hex quantity of at most 64 bits.
pub fn parse_u64(s: &str) -> Result<u64, HexError> {
    let digits = strip(s)?.trim_start_matches('0');
    if digits.is_empty() {
        return Ok(0);
    }
    if digits.len() > 16 {
        return Err(HexError::Overflow {
            value: excerpt(s),
            bits: 64,
        });
    }
    u64::from_str_radix(digits, 16).map_err(|_| HexError::Invalid(excerpt(s)))
}

/// Parses a hex byte string (`"0x"` is empty).
pub fn parse_bytes(s: &str) -> Result<Bytes, HexError> {
    let digits = strip(s)?;
    hex::decode(digits)
        .map(Bytes::from)
        .map_err(|_| HexError::Invalid(excerpt(s)))
}

/// Parses exactly `N` hex bytes.
pub fn parse_fixed<const N: usize>(s: &str) -> Result<[u8; N], HexError> {
    let digits = strip(s)?;
    if digits.len() != 2 * N {
        return Err(HexError::Length {
            expected: N,
            got: digits.len() / 2,
            value: excerpt(s),
        });
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(digits, &mut out).map_err(|_| HexError::Invalid(excerpt(s)))?;
    Ok(out)
}

/// Deserializes a JSON string through `parse`, reporting its error as a serde error.
struct StrVisitor<T>(fn(&str) -> Result<T, HexError>, &'static str);

impl<T> Visitor<'_> for StrVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.1)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        (self.0)(v).map_err(E::custom)
    }
}

macro_rules! hex_newtype {
    ($(#[$doc:meta])* $name:ident, $inner:ty, $parse:expr, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub $inner);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(StrVisitor(|s| $parse(s).map($name), $what))
            }
        }
    };
}

hex_newtype!(
    /// A hex quantity of up to 256 bits.
    HexU256, U256, parse_u256, "a 0x-prefixed hex quantity"
);
hex_newtype!(
    /// A hex quantity of up to 64 bits.
    HexU64, u64, parse_u64, "a 0x-prefixed hex quantity of at most 64 bits"
);
hex_newtype!(
    /// A 20-byte address.
    HexAddress, Address, |s| parse_fixed::<20>(s).map(Address::from), "a 0x-prefixed 20-byte address"
);
hex_newtype!(
    /// A 32-byte hash.
    HexB256, B256, |s| parse_fixed::<32>(s).map(B256::from), "a 0x-prefixed 32-byte hash"
);

/// A hex byte string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HexBytes(pub Bytes);

impl<'de> Deserialize<'de> for HexBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(StrVisitor(
            |s| parse_bytes(s).map(HexBytes),
            "a 0x-prefixed hex byte string",
        ))
    }
}

/// A transaction's `to`: an address, or `""` for contract creation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HexTo(pub Option<Address>);

impl<'de> Deserialize<'de> for HexTo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(StrVisitor(
            |s| {
                if s.is_empty() {
                    Ok(HexTo(None))
                } else {
                    parse_fixed::<20>(s).map(|a| HexTo(Some(Address::from(a))))
                }
            },
            "a 0x-prefixed address or \"\"",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(parse_u256("0x"), Ok(U256::ZERO));
        assert_eq!(parse_u256("0x00"), Ok(U256::ZERO));
        assert_eq!(parse_u256("0x0a"), Ok(U256::from(10)));
        assert_eq!(parse_u256(&format!("0x{}", "f".repeat(64))), Ok(U256::MAX));
        assert_eq!(
            parse_u256(&format!("0x00{}", "f".repeat(64))),
            Ok(U256::MAX)
        );
        assert!(matches!(
            parse_u256(&format!("0x1{}", "0".repeat(64))),
            Err(HexError::Overflow { bits: 256, .. })
        ));
        assert_eq!(parse_u64("0xffffffffffffffff"), Ok(u64::MAX));
        assert!(matches!(
            parse_u64("0x010000000000000000"),
            Err(HexError::Overflow { bits: 64, .. })
        ));
        assert!(matches!(parse_u64("12"), Err(HexError::MissingPrefix(_))));
        assert!(matches!(parse_u64("0xzz"), Err(HexError::Invalid(_))));
    }

    #[test]
    fn byte_strings() {
        assert_eq!(parse_bytes("0x"), Ok(Bytes::new()));
        assert_eq!(parse_bytes("0x6001"), Ok(Bytes::from(vec![0x60, 0x01])));
        assert!(matches!(parse_bytes("0x600"), Err(HexError::Invalid(_))));
        assert!(matches!(
            parse_fixed::<20>("0x1234"),
            Err(HexError::Length { expected: 20, .. })
        ));
    }

    #[test]
    fn serde_newtypes() {
        let v: Vec<HexU64> = serde_json::from_str(r#"["0x01", "0x"]"#).expect("valid");
        assert_eq!(v, vec![HexU64(1), HexU64(0)]);
        let to: HexTo = serde_json::from_str(r#""""#).expect("valid");
        assert_eq!(to, HexTo(None));
        let err = serde_json::from_str::<HexU256>("\"0xg\"").expect_err("bad hex");
        assert!(err.to_string().contains("invalid hex"), "{err}");
    }
}
