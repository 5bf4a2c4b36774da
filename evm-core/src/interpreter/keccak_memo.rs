//! KECCAK256 results remembered for one run of a transaction's frames.
//!
//! Solidity hashes a mapping slot (`key ‖ slot`, 64 bytes) again at every access, so a read-modify-write
//! such as `balances[from] -= value` hashes the same 64 bytes twice, and an ERC-20 transfer spends about
//! a seventh of its instructions on that second hash. The memo answers a repeated input of at most 64
//! bytes from a small direct-mapped table. It is created by `TxExecution::run_frames` and dropped when
//! that returns, so nothing is shared between transactions; a hash is a pure function of its input, so a
//! hit returns exactly what hashing would.

use alloy_primitives::{keccak256, B256};

/// Entries in the table (a power of two).
const WAYS: usize = 8;
/// Longest input remembered.
const MAX_INPUT: usize = 64;

/// One remembered input and its hash; `len == 0` marks an empty entry.
#[derive(Clone, Copy)]
struct Entry {
    len: u8,
    input: [u8; MAX_INPUT],
    hash: B256,
}

const EMPTY: Entry = Entry {
    len: 0,
    input: [0; MAX_INPUT],
    hash: B256::ZERO,
};

/// The table, see the module docs. It is filled in at the first hash, so a transaction that hashes
/// nothing (a plain transfer) pays one word of set-up for it.
pub struct KeccakMemo {
    entries: Option<[Entry; WAYS]>,
}

impl Default for KeccakMemo {
    fn default() -> Self {
        Self::new()
    }
}

impl KeccakMemo {
    /// An empty memo.
    pub const fn new() -> Self {
        Self { entries: None }
    }

    /// `keccak256(input)`, from the table when this input was hashed before in this run.
    #[inline]
    pub fn hash(&mut self, input: &[u8]) -> B256 {
        let len = input.len();
        if len == 0 || len > MAX_INPUT {
            return keccak256(input);
        }
        // A mapping slot's input ends with the slot number and holds the key's last byte at its middle.
        let way = (input[len - 1] ^ input[(len - 1) / 2]) as usize & (WAYS - 1);
        // Lazily: the table is 776 bytes, written only by a run that hashes.
        #[allow(clippy::unnecessary_lazy_evaluations)]
        let e = &mut self.entries.get_or_insert_with(|| [EMPTY; WAYS])[way];
        if e.len as usize == len && e.input[..len] == *input {
            return e.hash;
        }
        let hash = keccak256(input);
        e.len = len as u8;
        e.input[..len].copy_from_slice(input);
        e.hash = hash;
        hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_equal_hashing_for_repeats_collisions_and_long_inputs() {
        let mut memo = KeccakMemo::new();
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        for key in 0u8..40 {
            for slot in 0u8..3 {
                let mut v = vec![0u8; 64];
                v[31] = key;
                v[63] = slot;
                inputs.push(v);
            }
            inputs.push(vec![key; 32]);
            inputs.push(vec![key; 1 + key as usize % 64]);
        }
        inputs.push(vec![7; 65]);
        inputs.push(Vec::new());
        // Every input twice, interleaved so that entries are evicted and refilled.
        for round in 0..2 {
            for (i, input) in inputs.iter().enumerate() {
                let got = memo.hash(input);
                assert_eq!(got, keccak256(input), "round {round}, input {i}");
            }
        }
        // A same-length input that differs only outside the index bytes must not hit.
        let a = [1u8; 64];
        let mut b = a;
        b[0] = 2;
        assert_eq!(memo.hash(&a), keccak256(a));
        assert_eq!(memo.hash(&b), keccak256(b));
        assert_ne!(keccak256(a), keccak256(b));
    }
}
