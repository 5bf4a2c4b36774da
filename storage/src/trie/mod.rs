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
//! The stored nodes are exactly those alloy-trie's `HashBuilder` emits as updates (branch nodes with a hashed
//! or stored child; a child hash is kept only for a branch child, never for a leaf or an extension), so a
//! collapse after deletions is always rebuilt from leaves and never from a stale hash. The same walk with no
//! changes but proof targets yields account and storage proofs; with the reverse diffs of later blocks as
//! changes it yields proofs at an earlier block. The account trie of a block is updated by
//! [`update_trie_parallel`]: the same walk, one rayon task per child of the root, joined at the root.

pub mod parallel;
pub mod walk;

pub use parallel::update_trie_parallel;
pub use walk::{update_trie, TrieSource, TrieUpdate};
