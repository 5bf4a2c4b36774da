//! How values sit in the tables: trie accounts and storage values as their trie leaf RLP, branch nodes in a
//! compact binary form, nibble paths one byte per nibble (so byte order is trie order and a path sorts before
//! its extensions), block numbers big-endian.

use alloy_primitives::{Address, B256, U256};
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};
use alloy_trie::{BranchNodeCompact, Nibbles, TrieMask, EMPTY_ROOT_HASH};
use parevm_evm_core::KECCAK_EMPTY;

/// A value that does not decode.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("corrupt {what}: {reason}")]
pub struct CodecError {
    /// What was being decoded.
    pub what: &'static str,
    /// Why it failed.
    pub reason: String,
}

fn corrupt(what: &'static str, reason: impl ToString) -> CodecError {
    CodecError {
        what,
        reason: reason.to_string(),
    }
}

/// An account as the state trie holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct Account {
    /// Nonce.
    pub nonce: u64,
    /// Balance in wei.
    pub balance: U256,
    /// Root of its storage trie.
    pub storage_root: B256,
    /// keccak256 of its code.
    pub code_hash: B256,
}

impl Default for Account {
    fn default() -> Self {
        Self {
            nonce: 0,
            balance: U256::ZERO,
            storage_root: EMPTY_ROOT_HASH,
            code_hash: KECCAK_EMPTY,
        }
    }
}

impl Account {
    /// The trie leaf value (and table value).
    pub fn encode_value(&self) -> Vec<u8> {
        alloy_rlp::encode(self)
    }

    /// Decodes a table value.
    pub fn decode_value(mut bytes: &[u8]) -> Result<Self, CodecError> {
        Self::decode(&mut bytes).map_err(|e| corrupt("account", e))
    }
}

/// A storage value as its trie leaf (RLP of the integer).
pub fn encode_slot_value(value: U256) -> Vec<u8> {
    alloy_rlp::encode(value)
}

/// Decodes a storage table value.
pub fn decode_slot_value(mut bytes: &[u8]) -> Result<U256, CodecError> {
    U256::decode(&mut bytes).map_err(|e| corrupt("storage value", e))
}

/// `keccak(address) ++ keccak(slot)`.
pub fn storage_key(hashed_address: &B256, hashed_slot: &B256) -> [u8; 64] {
    let mut k = [0u8; 64];
    k[..32].copy_from_slice(hashed_address.as_slice());
    k[32..].copy_from_slice(hashed_slot.as_slice());
    k
}

/// A nibble path as a key: one byte per nibble, after `prefix`.
pub fn path_key(prefix: &[u8], path: &Nibbles) -> Vec<u8> {
    let mut k = Vec::with_capacity(prefix.len() + path.len());
    k.extend_from_slice(prefix);
    k.extend(path.iter());
    k
}

/// The nibble path of a key written by [`path_key`] (after `prefix_len` bytes).
pub fn key_path(key: &[u8], prefix_len: usize) -> Result<Nibbles, CodecError> {
    let nibbles = &key[prefix_len.min(key.len())..];
    if nibbles.len() > 64 || nibbles.iter().any(|n| *n > 0xf) {
        return Err(corrupt("trie path", "not a nibble path"));
    }
    Ok(Nibbles::from_nibbles_unchecked(nibbles))
}

/// A branch node: three masks, a flag for the root hash, then the hashes.
pub fn encode_branch(node: &BranchNodeCompact) -> Vec<u8> {
    let mut out = Vec::with_capacity(7 + 32 * (node.hashes.len() + 1));
    out.extend_from_slice(&node.state_mask.get().to_be_bytes());
    out.extend_from_slice(&node.tree_mask.get().to_be_bytes());
    out.extend_from_slice(&node.hash_mask.get().to_be_bytes());
    out.push(u8::from(node.root_hash.is_some()));
    for h in node.hashes.iter() {
        out.extend_from_slice(h.as_slice());
    }
    if let Some(r) = node.root_hash {
        out.extend_from_slice(r.as_slice());
    }
    out
}

/// Decodes [`encode_branch`].
pub fn decode_branch(bytes: &[u8]) -> Result<BranchNodeCompact, CodecError> {
    if bytes.len() < 7 || !(bytes.len() - 7).is_multiple_of(32) {
        return Err(corrupt("branch node", format!("{} bytes", bytes.len())));
    }
    let mask = |i: usize| TrieMask::new(u16::from_be_bytes([bytes[i], bytes[i + 1]]));
    let (state, tree, hash) = (mask(0), mask(2), mask(4));
    let has_root = bytes[6] == 1;
    let mut hashes: Vec<B256> = bytes[7..].chunks_exact(32).map(B256::from_slice).collect();
    let root = if has_root { hashes.pop() } else { None };
    if hashes.len() != hash.count_ones() as usize
        || !tree.is_subset_of(state)
        || !hash.is_subset_of(state)
    {
        return Err(corrupt("branch node", "masks do not match"));
    }
    Ok(BranchNodeCompact::new(state, tree, hash, hashes, root))
}

/// A block number as a key.
pub fn number_key(number: u64) -> [u8; 8] {
    number.to_be_bytes()
}

/// Decodes [`number_key`].
pub fn decode_number(bytes: &[u8]) -> Result<u64, CodecError> {
    let arr: [u8; 8] = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| corrupt("block number", format!("{} bytes", bytes.len())))?;
    Ok(u64::from_be_bytes(arr))
}

/// A block reference: number and hash.
pub fn encode_block_ref(number: u64, hash: &B256) -> Vec<u8> {
    let mut v = number_key(number).to_vec();
    v.extend_from_slice(hash.as_slice());
    v
}

/// Decodes [`encode_block_ref`].
pub fn decode_block_ref(bytes: &[u8]) -> Result<(u64, B256), CodecError> {
    if bytes.len() != 40 {
        return Err(corrupt("block reference", format!("{} bytes", bytes.len())));
    }
    Ok((decode_number(bytes)?, B256::from_slice(&bytes[8..])))
}

/// Decodes a 32-byte hash.
pub fn decode_b256(what: &'static str, bytes: &[u8]) -> Result<B256, CodecError> {
    if bytes.len() != 32 {
        return Err(corrupt(what, format!("{} bytes", bytes.len())));
    }
    Ok(B256::from_slice(bytes))
}

/// Senders, 20 bytes each.
pub fn encode_senders(senders: &[Address]) -> Vec<u8> {
    senders.iter().flat_map(|a| a.0 .0).collect()
}

/// Decodes [`encode_senders`].
pub fn decode_senders(bytes: &[u8]) -> Result<Vec<Address>, CodecError> {
    if !bytes.len().is_multiple_of(20) {
        return Err(corrupt("senders", format!("{} bytes", bytes.len())));
    }
    Ok(bytes.chunks_exact(20).map(Address::from_slice).collect())
}

/// Decodes any RLP value.
pub fn decode_rlp<T: Decodable>(what: &'static str, mut bytes: &[u8]) -> Result<T, CodecError> {
    let v = T::decode(&mut bytes).map_err(|e| corrupt(what, e))?;
    if !bytes.is_empty() {
        return Err(corrupt(what, "trailing bytes"));
    }
    Ok(v)
}

/// Encodes any RLP value.
pub fn encode_rlp<T: Encodable>(value: &T) -> Vec<u8> {
    alloy_rlp::encode(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_round_trip() {
        let node = BranchNodeCompact::new(
            TrieMask::new(0b1011),
            TrieMask::new(0b0010),
            TrieMask::new(0b1010),
            vec![B256::repeat_byte(1), B256::repeat_byte(2)],
            Some(B256::repeat_byte(9)),
        );
        assert_eq!(decode_branch(&encode_branch(&node)).unwrap(), node);
        assert!(decode_branch(&[0; 5]).is_err());
    }

    #[test]
    fn path_keys_sort_in_trie_order() {
        let a = path_key(&[], &Nibbles::from_nibbles([1, 2]));
        let b = path_key(&[], &Nibbles::from_nibbles([1, 2, 0]));
        let c = path_key(&[], &Nibbles::from_nibbles([1, 3]));
        assert!(a < b && b < c);
        assert_eq!(key_path(&b, 0).unwrap(), Nibbles::from_nibbles([1, 2, 0]));
    }

    #[test]
    fn account_round_trip() {
        let a = Account {
            nonce: 3,
            balance: U256::from(7),
            ..Default::default()
        };
        assert_eq!(Account::decode_value(&a.encode_value()).unwrap(), a);
    }
}
