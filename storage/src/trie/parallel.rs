//! The account trie's update split by the root's sixteen children: each child's subtrie is walked and hashed
//! on its own rayon task, then the root branch is joined on the calling thread.
//!
//! ```text
//! changes (sorted) --split by first nibble--> 16 walks over the stored root's children (rayon):
//!     walk -> recorded Feed items (the calls the sequential walk would make to the HashBuilder)
//!          -> hashed apart: the topmost branch of the child's items (at their longest common prefix)
//!             becomes one item `add_branch(prefix, hash, stored)`, its branch nodes the child's updates
//!   -> join: a fresh HashBuilder gets each child's one item (or its lone leaf or branch), in nibble order
//!   -> root, the root branch node, and every child's updates and visited nodes
//! ```
//! Why the join is exact: the sequential HashBuilder, fed a child's items, builds the branch at their longest
//! common prefix and then treats it like any hashed branch (its hash on the stack, its parent's hash-mask bit,
//! the tree-mask bit when it is stored); `add_branch` with that hash and stored flag leaves the builder in the
//! same state, which is how the walk already skips unchanged subtries. Hashing the items apart from their
//! common prefix builds the same nodes below it: a node's encoding holds only the key suffix below its parent.
//! Where this does not hold (no stored branch at the root, a topmost branch shorter than 32 bytes and so
//! inlined, proof targets) the sequential walk runs instead. The property test in `tests/parallel_root.rs`
//! holds the two equal, root and nodes, and both to alloy-trie's root of the whole state.

use super::leaf_hash::LeafHashes;
use super::walk::{
    child_hashes, unpack_changes, update_trie, Feed, LeafChange, Sink, Walk, WalkError,
};
use super::{TrieSource, TrieUpdate};
use alloy_primitives::B256;
use alloy_trie::{BranchNodeCompact, HashBuilder, Nibbles};
use rayon::prelude::*;

/// What one child of the root contributes to the join.
enum Part {
    /// Nothing under the child.
    Empty,
    /// A single item (a leaf, or an unchanged branch): fed to the join as it is.
    Single(Feed),
    /// The child's topmost branch, rebuilt: at `path`, with `hash`, in the node table when `stored`.
    Branch {
        path: Nibbles,
        hash: B256,
        stored: bool,
    },
    /// The topmost branch is inlined in its parent (shorter than 32 bytes): join sequentially.
    Inline,
}

/// A child's part, its branch nodes to store and the stored nodes its walk descended into.
type ChildOutcome = (Part, Vec<(Nibbles, BranchNodeCompact)>, Vec<Nibbles>);

/// Computes the same [`TrieUpdate`] as [`update_trie`] without proof targets, with the root's children
/// walked and hashed in parallel.
pub fn update_trie_parallel(
    src: TrieSource<'_>,
    changes: &[LeafChange],
) -> Result<TrieUpdate, WalkError> {
    let unpacked = unpack_changes(changes);
    let marks: Vec<Nibbles> = unpacked.iter().map(|(k, _)| *k).collect();
    let root_path = Nibbles::default();
    let root = if src.base_empty {
        None
    } else {
        Walk::new(src, &unpacked, &marks, Vec::<Feed>::new()).first_node(&root_path)?
    };
    // Only a stored branch at the root splits the work by first nibble.
    let Some((_, root_node)) = root.filter(|(q, _)| q.is_empty()) else {
        return update_trie(src, changes, &[]);
    };
    let mut hashes = child_hashes(&root_path, &root_node)?;
    // As in `Walk::child`, which sees only its own child's changes here: a removal anywhere may collapse the
    // root, so no leaf hash of a root child is taken then.
    if unpacked.iter().any(|(_, v)| v.is_none()) {
        for (nibble, hash) in (0u8..16).zip(hashes.iter_mut()) {
            if !root_node.tree_mask.is_bit_set(nibble) {
                *hash = None;
            }
        }
    }
    let children: Vec<ChildOutcome> = (0u8..16)
        .into_par_iter()
        .map(|nibble| -> Result<ChildOutcome, WalkError> {
            let lo = unpacked.partition_point(|(k, _)| k.first().is_some_and(|n| n < nibble));
            let hi = lo + unpacked[lo..].partition_point(|(k, _)| k.first() == Some(nibble));
            let feed = LeafHashes::new(Vec::<Feed>::new());
            let mut walk = Walk::new(src, &unpacked[lo..hi], &marks[lo..hi], feed);
            walk.child(root_path, &root_node, nibble, hashes[usize::from(nibble)])?;
            let (part, updates) = hash_child(walk.out.finish());
            Ok((part, updates, walk.removed))
        })
        .collect::<Result<_, _>>()?;
    if children.iter().any(|c| matches!(c.0, Part::Inline)) {
        return update_trie(src, changes, &[]);
    }

    // A lone leaf of a child is a child of the root: it is hashed here, as the sequential walk does.
    let mut join = LeafHashes::new(HashBuilder::default().with_updates(true));
    let mut removed = vec![root_path];
    let mut updated = Vec::new();
    for (part, updates, visited) in children {
        match part {
            Part::Empty | Part::Inline => {}
            Part::Single(Feed::Leaf(k, v)) => join.leaf(k, &v),
            Part::Single(Feed::Branch(k, h, stored)) => join.branch(k, h, stored),
            Part::Branch { path, hash, stored } => join.branch(path, hash, stored),
        }
        removed.extend(visited);
        updated.extend(updates);
    }
    let mut hb = join.finish();
    let root = hb.root();
    let (_, root_updates) = hb.split();
    updated.extend(root_updates);
    updated.sort_unstable_by_key(|a| a.0);
    Ok(TrieUpdate {
        root,
        removed,
        updated,
        proof: Default::default(),
    })
}

/// Hashes one child's recorded items apart from the rest: its part for the join and its branch nodes.
fn hash_child(feed: Vec<Feed>) -> (Part, Vec<(Nibbles, BranchNodeCompact)>) {
    let (first, last) = match (feed.first(), feed.last()) {
        (None, _) | (_, None) => return (Part::Empty, Vec::new()),
        (Some(f), Some(l)) => (*f.key(), *l.key()),
    };
    if feed.len() == 1 {
        let mut feed = feed;
        return match feed.pop() {
            Some(item) => (Part::Single(item), Vec::new()),
            None => (Part::Empty, Vec::new()),
        };
    }
    // The items are sorted and none is a prefix of another, so they part at the first nibble where the first
    // and the last differ: the topmost branch sits at their common prefix.
    let prefix = first.slice(..first.common_prefix_length(&last));
    let cut = prefix.len();
    let mut hb = HashBuilder::default().with_updates(true);
    for item in &feed {
        match item {
            Feed::Leaf(k, v) => hb.add_leaf(k.slice(cut..), v),
            Feed::Branch(k, h, stored) => hb.add_branch(k.slice(cut..), *h, *stored),
        }
    }
    let hash = hb.root();
    if !hb.stack.last().is_some_and(|n| n.is_hash()) {
        return (Part::Inline, Vec::new());
    }
    let (_, updates) = hb.split();
    let mut stored = false;
    let updates = updates
        .into_iter()
        .map(|(path, mut node)| {
            if path.is_empty() {
                // The hash builder marks its own root; here it is an inner node.
                node.root_hash = None;
                stored = true;
            }
            (prefix.join(&path), node)
        })
        .collect();
    (
        Part::Branch {
            path: prefix,
            hash,
            stored,
        },
        updates,
    )
}
