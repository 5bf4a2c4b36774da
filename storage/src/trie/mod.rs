//! The incremental Merkle-Patricia root: after a block only the paths of changed keys are re-hashed; every
//! untouched subtree enters the hash builder as the hash stored in its parent branch node.
//!
//! ```text
//! changed keys (sorted) ──┐
//! stored branch nodes ────┼─> walk: descend into a stored node only where a key changed (or a proof is
//! leaves (state tables) ──┘         wanted); an unchanged hashed child -> HashBuilder::add_branch(hash);
//!                                   a child without stored nodes below -> its leaves (base merged with
//!                                   the changes) -> HashBuilder::add_leaf
//!                          -> root, the branch nodes the builder rebuilt (to store), the ones visited
//!                             (to delete unless rebuilt), and proof nodes for the wanted keys
//! ```
//! The stored nodes are those alloy-trie's `HashBuilder` emits as updates (branch nodes with a hashed or
//! stored child). Leaves of at least 32 bytes reach the builder as the hashes of their leaf nodes
//! (`leaf_hash`), so a stored branch keeps the hashes of its branch and leaf children alike (never of an
//! extension), and a changed key re-hashes only its own path, not its sibling leaves. A leaf's hash depends on
//! its depth: where a key below a node is removed (the node may collapse and its last leaf move up), the walk
//! reads the leaves of that node's non-branch children instead of taking their hashes. The same walk with no
//! changes but proof targets yields account and storage proofs; with the reverse diffs of later blocks as
//! changes it yields proofs at an earlier block. The account trie of a block is updated by
//! [`update_trie_parallel`]: the same walk, one rayon task per child of the root, joined at the root.

mod leaf_hash;
pub mod parallel;
pub mod walk;

pub use parallel::update_trie_parallel;
pub use walk::{update_trie, TrieSource, TrieUpdate};
