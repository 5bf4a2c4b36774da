//! Analysed bytecode: the raw code, a STOP-padded copy the interpreter reads without bounds checks, and the
//! JUMPDEST bitmap. Analysis happens once per code hash; state views hand out shared [`Code`] handles.

use alloy_primitives::{keccak256, Address, Bytes, B256};
use revm_primitives::KECCAK_EMPTY;
use std::sync::{Arc, OnceLock};

/// Shared, analysed bytecode.
pub type Code = Arc<Bytecode>;

/// EIP-7702 delegation designator prefix: `0xef0100 || address`.
pub const DELEGATION_PREFIX: [u8; 3] = [0xef, 0x01, 0x00];
/// Length of an EIP-7702 delegation designator.
pub const DELEGATION_LEN: usize = 23;

/// Bytes appended after the code so that PUSH32 at the last byte and running off the end both read STOP.
const PADDING: usize = 33;

/// Analysed contract code.
#[derive(Debug)]
pub struct Bytecode {
    original: Bytes,
    padded: Box<[u8]>,
    jumpdests: Box<[u64]>,
    hash: OnceLock<B256>,
}

impl Bytecode {
    /// Analyses `code` (finds JUMPDESTs that are not PUSH data).
    pub fn new(code: Bytes) -> Self {
        let len = code.len();
        let mut padded = Vec::with_capacity(len + PADDING);
        padded.extend_from_slice(&code);
        padded.resize(len + PADDING, 0);
        let mut jumpdests = vec![0u64; len.div_ceil(64).max(1)];
        let mut i = 0;
        while i < len {
            let op = code[i];
            if op == 0x5b {
                jumpdests[i / 64] |= 1 << (i % 64);
            } else if (0x60..=0x7f).contains(&op) {
                i += (op - 0x5f) as usize;
            }
            i += 1;
        }
        Self {
            original: code,
            padded: padded.into_boxed_slice(),
            jumpdests: jumpdests.into_boxed_slice(),
            hash: OnceLock::new(),
        }
    }

    /// Analyses code whose hash is already known (saves a keccak).
    pub fn with_hash(code: Bytes, hash: B256) -> Self {
        let c = Self::new(code);
        let _ = c.hash.set(hash);
        c
    }

    /// The empty code.
    pub fn empty() -> Code {
        static EMPTY: OnceLock<Code> = OnceLock::new();
        EMPTY
            .get_or_init(|| Arc::new(Self::with_hash(Bytes::new(), KECCAK_EMPTY)))
            .clone()
    }

    /// The code as deployed.
    #[inline]
    pub fn bytes(&self) -> &Bytes {
        &self.original
    }

    /// Code length in bytes (without padding).
    #[inline]
    pub fn len(&self) -> usize {
        self.original.len()
    }

    /// True for empty code.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.original.is_empty()
    }

    /// The code followed by at least 33 zero bytes.
    #[inline]
    pub fn padded(&self) -> &[u8] {
        &self.padded
    }

    /// keccak256 of the code (computed on first use).
    pub fn hash(&self) -> B256 {
        *self.hash.get_or_init(|| keccak256(&self.original))
    }

    /// True when `pc` is a JUMPDEST opcode (not PUSH data).
    #[inline]
    pub fn is_jumpdest(&self, pc: usize) -> bool {
        if pc >= self.original.len() {
            return false;
        }
        debug_assert!(pc / 64 < self.jumpdests.len());
        // SAFETY: the bitmap has `len.div_ceil(64)` words and `pc < len`.
        let word = unsafe { *self.jumpdests.get_unchecked(pc / 64) };
        word & (1 << (pc % 64)) != 0
    }

    /// The delegate address if this code is an EIP-7702 delegation designator.
    pub fn delegation(&self) -> Option<Address> {
        delegation_target(&self.original)
    }
}

impl PartialEq for Bytecode {
    fn eq(&self, other: &Self) -> bool {
        self.original == other.original
    }
}

impl Eq for Bytecode {}

/// The delegate address if `code` is exactly an EIP-7702 designator `0xef0100 || address`.
pub fn delegation_target(code: &[u8]) -> Option<Address> {
    (code.len() == DELEGATION_LEN && code[..3] == DELEGATION_PREFIX)
        .then(|| Address::from_slice(&code[3..]))
}

/// The designator code that delegates to `address`.
pub fn delegation_code(address: Address) -> Bytes {
    let mut v = Vec::with_capacity(DELEGATION_LEN);
    v.extend_from_slice(&DELEGATION_PREFIX);
    v.extend_from_slice(address.as_slice());
    v.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_data_is_not_a_jumpdest() {
        // PUSH1 0x5b, JUMPDEST
        let c = Bytecode::new(Bytes::from_static(&[0x60, 0x5b, 0x5b]));
        assert!(!c.is_jumpdest(1));
        assert!(c.is_jumpdest(2));
        assert!(!c.is_jumpdest(3));
        assert_eq!(c.padded().len(), 3 + 33);
    }

    #[test]
    fn truncated_push_at_end() {
        let c = Bytecode::new(Bytes::from_static(&[0x7f, 0x5b]));
        assert!(!c.is_jumpdest(1));
    }

    #[test]
    fn delegation_designator() {
        let a = Address::repeat_byte(0x11);
        let code = delegation_code(a);
        assert_eq!(delegation_target(&code), Some(a));
        assert_eq!(delegation_target(&code[..22]), None);
    }
}
