//! Leaves handed to the hash builder as the hash of their leaf node, so that every stored branch node keeps
//! the hashes of its leaf children too (as geth's node store does), not only those of its branch children.
//!
//! ```text
//! walk items (sorted) -> LeafHashes: a leaf waits for the next item; its parent branch is at the longest
//!                        common prefix with either neighbour, so its leaf node (key below the parent) is known
//!                     -> leaf node >= 32 bytes: add_branch(parent path + nibble, keccak(leaf node), not stored)
//!                        shorter (inlined in its parent): add_leaf as it is
//! ```
//! Why the root is unchanged: a parent branch holds a hashed child as its 32-byte hash, whatever the node
//! behind it, and `add_branch` of a hash one nibble below its parent builds no extension. What it buys: the
//! hash builder sets the parent's hash-mask bit for that child, so the parent is stored with the leaf's hash,
//! and a later block that changes one sibling takes this hash instead of reading and hashing the leaf again.
//! The hash of a leaf is only valid while its parent keeps another child: the walk does not use a stored
//! hash of a child that is no branch node where a key below the parent is deleted (see
//! `Walk::child`), and here a lone item (no neighbour, the whole trie or a root child's part) stays a leaf.

use super::walk::Sink;
use alloy_primitives::B256;
use alloy_trie::nodes::LeafNodeRef;
use alloy_trie::Nibbles;

/// The item held back until its neighbour after it is known.
enum Pending {
    /// A leaf; its value is in [`LeafHashes::value`].
    Leaf(Nibbles),
    /// A hashed subtrie, passed through.
    Branch(Nibbles, B256, bool),
}

/// A [`Sink`] that turns leaves into the hashes of their leaf nodes, then feeds `out`.
pub(super) struct LeafHashes<S> {
    out: S,
    /// The key of the last item passed on.
    prev: Option<Nibbles>,
    pending: Option<Pending>,
    /// The pending leaf's value.
    value: Vec<u8>,
    /// Scratch buffer for leaf encodings.
    rlp: Vec<u8>,
}

impl<S: Sink> LeafHashes<S> {
    /// Feeds `out`.
    pub(super) fn new(out: S) -> Self {
        Self {
            out,
            prev: None,
            pending: None,
            value: Vec::new(),
            rlp: Vec::with_capacity(128),
        }
    }

    /// Passes on the pending item, `next` being the key of the item after it (`None`: it is the last).
    fn flush(&mut self, next: Option<&Nibbles>) {
        let key = match self.pending.take() {
            None => return,
            Some(Pending::Branch(key, hash, stored)) => {
                self.out.branch(key, hash, stored);
                key
            }
            Some(Pending::Leaf(key)) => {
                let before = self.prev.map(|p| p.common_prefix_length(&key));
                let after = next.map(|n| n.common_prefix_length(&key));
                match before.max(after) {
                    // A lone item: there is no parent branch to hold a hash.
                    None => self.out.leaf(key, &self.value),
                    Some(depth) => {
                        self.rlp.clear();
                        let node = LeafNodeRef::new(&key.slice(depth + 1..), &self.value)
                            .rlp(&mut self.rlp);
                        match node.as_hash() {
                            Some(hash) => self.out.branch(key.slice(..depth + 1), hash, false),
                            None => self.out.leaf(key, &self.value),
                        }
                    }
                }
                key
            }
        };
        self.prev = Some(key);
    }

    /// Passes on the last item and returns the inner sink.
    pub(super) fn finish(mut self) -> S {
        self.flush(None);
        self.out
    }
}

impl<S: Sink> Sink for LeafHashes<S> {
    fn leaf(&mut self, key: Nibbles, value: &[u8]) {
        self.flush(Some(&key));
        self.value.clear();
        self.value.extend_from_slice(value);
        self.pending = Some(Pending::Leaf(key));
    }

    fn branch(&mut self, key: Nibbles, hash: B256, stored: bool) {
        self.flush(Some(&key));
        self.pending = Some(Pending::Branch(key, hash, stored));
    }
}
