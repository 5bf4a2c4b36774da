//! The walk over stored branch nodes and leaves that feeds alloy-trie's `HashBuilder` in key order.

use super::leaf_hash::LeafHashes;
use crate::codec::{decode_branch, key_path, path_key};
use crate::kv::{KvError, KvRead, Table};
use alloy_primitives::B256;
use alloy_trie::proof::{ProofNodes, ProofRetainer};
use alloy_trie::{BranchNodeCompact, HashBuilder, Nibbles};

/// Where one trie's data lives.
#[derive(Clone, Copy)]
pub struct TrieSource<'a> {
    /// The snapshot holding the trie before the changes.
    pub kv: &'a dyn KvRead,
    /// Table of stored branch nodes.
    pub nodes: Table,
    /// Table of leaves (hashed key -> leaf value).
    pub leaves: Table,
    /// Key prefix of this trie in both tables (the hashed address of a storage trie; empty for accounts).
    pub prefix: &'a [u8],
    /// The trie is empty before the changes (a wiped storage): ignore what the tables hold.
    pub base_empty: bool,
}

/// What the walk produced.
#[derive(Clone, Debug, Default)]
pub struct TrieUpdate {
    /// The new root.
    pub root: B256,
    /// Stored nodes the walk descended into: delete them, then store [`TrieUpdate::updated`].
    pub removed: Vec<Nibbles>,
    /// Branch nodes to store.
    pub updated: Vec<(Nibbles, BranchNodeCompact)>,
    /// Proof nodes by path, when targets were given.
    pub proof: ProofNodes,
}

/// Why the walk failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WalkError {
    /// The backend failed.
    #[error(transparent)]
    Kv(#[from] KvError),
    /// The stored trie is inconsistent.
    #[error("trie node at {path:?}: {reason}")]
    Corrupt {
        /// Where.
        path: Nibbles,
        /// What.
        reason: String,
    },
}

/// One changed leaf: hashed key and new value (`None`: removed).
pub type LeafChange = (B256, Option<Vec<u8>>);

/// Computes the root of `src` after `changes` (sorted by key, unique), and proof nodes for `targets`.
pub fn update_trie(
    src: TrieSource<'_>,
    changes: &[LeafChange],
    targets: &[B256],
) -> Result<TrieUpdate, WalkError> {
    let changes = unpack_changes(changes);
    let mut marks: Vec<Nibbles> = changes.iter().map(|(k, _)| *k).collect();
    let target_paths: Vec<Nibbles> = targets.iter().map(Nibbles::unpack).collect();
    if !target_paths.is_empty() {
        marks.extend(target_paths.iter().copied());
        marks.sort_unstable();
        marks.dedup();
    }
    let hb = HashBuilder::default().with_updates(true);
    let (mut hb, removed) = if target_paths.is_empty() {
        let mut walk = Walk::new(src, &changes, &marks, LeafHashes::new(hb));
        walk.region(Nibbles::default(), None)?;
        (walk.out.finish(), walk.removed)
    } else {
        // Proofs need the leaf nodes on the targets' paths, so leaves go to the builder as they are.
        let hb = hb.with_proof_retainer(ProofRetainer::new(target_paths));
        let mut walk = Walk::new(src, &changes, &marks, hb);
        walk.region(Nibbles::default(), None)?;
        (walk.out, walk.removed)
    };
    let root = hb.root();
    let proof = hb.take_proof_nodes();
    let (_, updates) = hb.split();
    let mut updated: Vec<_> = updates.into_iter().collect();
    updated.sort_unstable_by_key(|a| a.0);
    Ok(TrieUpdate {
        root,
        removed,
        updated,
        proof,
    })
}

/// The changes as nibble paths, in the same order.
pub(super) fn unpack_changes(changes: &[LeafChange]) -> Vec<(Nibbles, Option<&[u8]>)> {
    changes
        .iter()
        .map(|(k, v)| (Nibbles::unpack(k), v.as_deref()))
        .collect()
}

/// Where the walk's output goes: straight into a [`HashBuilder`], or recorded as [`Feed`] items to hash later
/// (the parallel update records one list per subtrie of the root).
pub(super) trait Sink {
    /// A leaf with its full key.
    fn leaf(&mut self, key: Nibbles, value: &[u8]);
    /// An unchanged branch node at `key` with its hash; `stored`: it is in the node table.
    fn branch(&mut self, key: Nibbles, hash: B256, stored: bool);
}

impl Sink for HashBuilder {
    fn leaf(&mut self, key: Nibbles, value: &[u8]) {
        self.add_leaf(key, value);
    }

    fn branch(&mut self, key: Nibbles, hash: B256, stored: bool) {
        self.add_branch(key, hash, stored);
    }
}

/// One recorded [`Sink`] call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Feed {
    /// [`Sink::leaf`].
    Leaf(Nibbles, Vec<u8>),
    /// [`Sink::branch`].
    Branch(Nibbles, B256, bool),
}

impl Feed {
    /// The key (full path) of the item.
    pub(super) fn key(&self) -> &Nibbles {
        match self {
            Feed::Leaf(k, _) | Feed::Branch(k, _, _) => k,
        }
    }
}

impl Sink for Vec<Feed> {
    fn leaf(&mut self, key: Nibbles, value: &[u8]) {
        self.push(Feed::Leaf(key, value.to_vec()));
    }

    fn branch(&mut self, key: Nibbles, hash: B256, stored: bool) {
        self.push(Feed::Branch(key, hash, stored));
    }
}

/// The hashes of a stored branch node's children, by nibble (`None` where the hash mask has no bit).
pub(super) fn child_hashes(
    path: &Nibbles,
    node: &BranchNodeCompact,
) -> Result<[Option<B256>; 16], WalkError> {
    let mut out = [None; 16];
    let mut hashes = node.hashes.iter();
    for (nibble, slot) in out.iter_mut().enumerate() {
        if node.hash_mask.is_bit_set(nibble as u8) {
            *slot = Some(*hashes.next().ok_or_else(|| WalkError::Corrupt {
                path: *path,
                reason: "fewer hashes than the hash mask".into(),
            })?);
        }
    }
    Ok(out)
}

/// One walk over (a part of) a trie: the changes and marks it sees, and where its output goes.
pub(super) struct Walk<'a, S> {
    src: TrieSource<'a>,
    /// Changed leaves, sorted.
    changes: &'a [(Nibbles, Option<&'a [u8]>)],
    /// Paths to descend along: changed keys and proof targets, sorted.
    marks: &'a [Nibbles],
    /// Removed keys, sorted.
    deleted: Vec<Nibbles>,
    /// The output.
    pub(super) out: S,
    /// Stored nodes descended into, in walk order.
    pub(super) removed: Vec<Nibbles>,
}

impl<'a, S: Sink> Walk<'a, S> {
    /// A walk over `changes` (sorted) descending along `marks` (sorted), writing to `out`.
    pub(super) fn new(
        src: TrieSource<'a>,
        changes: &'a [(Nibbles, Option<&'a [u8]>)],
        marks: &'a [Nibbles],
        out: S,
    ) -> Self {
        let deleted = changes
            .iter()
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| *k)
            .collect();
        Self {
            src,
            changes,
            marks,
            deleted,
            out,
            removed: Vec::new(),
        }
    }

    /// True when a key under `region` is removed.
    fn deletes_under(&self, region: &Nibbles) -> bool {
        let i = self.deleted.partition_point(|m| m < region);
        self.deleted.get(i).is_some_and(|m| m.starts_with(region))
    }

    /// True when a changed key or proof target lies under `region`.
    fn marked(&self, region: &Nibbles) -> bool {
        let i = self.marks.partition_point(|m| m < region);
        self.marks.get(i).is_some_and(|m| m.starts_with(region))
    }

    /// The first stored node at or below `region`.
    pub(super) fn first_node(
        &self,
        region: &Nibbles,
    ) -> Result<Option<(Nibbles, BranchNodeCompact)>, WalkError> {
        if self.src.base_empty {
            return Ok(None);
        }
        let start = path_key(self.src.prefix, region);
        let mut found = None;
        self.src.kv.scan(self.src.nodes, &start, &mut |k, v| {
            if k.starts_with(&start) {
                found = Some((k.to_vec(), v.to_vec()));
            }
            false
        })?;
        let Some((k, v)) = found else { return Ok(None) };
        let corrupt = |reason: String| WalkError::Corrupt {
            path: *region,
            reason,
        };
        let path = key_path(&k, self.src.prefix.len()).map_err(|e| corrupt(e.to_string()))?;
        let node = decode_branch(&v).map_err(|e| corrupt(e.to_string()))?;
        Ok(Some((path, node)))
    }

    /// Emits everything under `region`. `stored` says whether the parent's tree mask promises a stored node
    /// below (`None` at the root, where only a lookup can tell).
    pub(super) fn region(
        &mut self,
        region: Nibbles,
        stored: Option<bool>,
    ) -> Result<(), WalkError> {
        let node = match stored {
            Some(false) => None,
            _ => self.first_node(&region)?,
        };
        let Some((q, node)) = node else {
            if stored == Some(true) {
                return Err(WalkError::Corrupt {
                    path: region,
                    reason: "tree mask promises a stored node below, none found".into(),
                });
            }
            return self.leaves(&region, true);
        };
        // Every leaf the region held before sits under `q` (an extension leads from `region` to the branch
        // at `q`), so leaves beside `q` can only be new ones.
        self.new_leaves(&region, |k| k < &q && !k.starts_with(&q));
        self.node(q, &node)?;
        self.new_leaves(&region, |k| k > &q && !k.starts_with(&q));
        Ok(())
    }

    /// Emits the children of the stored branch `node` at `path`.
    fn node(&mut self, path: Nibbles, node: &BranchNodeCompact) -> Result<(), WalkError> {
        self.removed.push(path);
        let hashes = child_hashes(&path, node)?;
        for (nibble, hash) in (0u8..16).zip(hashes) {
            self.child(path, node, nibble, hash)?;
        }
        Ok(())
    }

    /// Emits the child `nibble` of the stored branch `node` at `path`, whose stored hash is `hash`.
    pub(super) fn child(
        &mut self,
        path: Nibbles,
        node: &BranchNodeCompact,
        nibble: u8,
        hash: Option<B256>,
    ) -> Result<(), WalkError> {
        let mut child = path;
        child.push(nibble);
        if !node.state_mask.is_bit_set(nibble) {
            if self.marked(&child) {
                self.leaves(&child, false)?;
            }
            return Ok(());
        }
        let in_tree = node.tree_mask.is_bit_set(nibble);
        // A stored hash of a child that is not a stored branch may be a leaf's, which changes when the leaf
        // moves up: where a key under this node is removed, the node may collapse, so read the leaves.
        let hash = hash.filter(|_| in_tree || !self.deletes_under(&path));
        match hash {
            Some(h) if !self.marked(&child) => self.out.branch(child, h, in_tree),
            // A hashed child in the tree is a stored branch right at `child` (the hash of an extension is
            // never kept): one lookup instead of a scan for the first node below.
            Some(_) if in_tree => {
                let node = self.node_at(&child)?;
                self.node(child, &node)?;
            }
            _ => self.region(child, Some(in_tree))?,
        }
        Ok(())
    }

    /// The stored branch node at `path`, which the parent's masks promise.
    fn node_at(&self, path: &Nibbles) -> Result<BranchNodeCompact, WalkError> {
        let corrupt = |reason: String| WalkError::Corrupt {
            path: *path,
            reason,
        };
        let key = path_key(self.src.prefix, path);
        let bytes = self.src.kv.get(self.src.nodes, &key)?.ok_or_else(|| {
            corrupt("the parent's masks promise a stored node, none found".into())
        })?;
        decode_branch(&bytes).map_err(|e| corrupt(e.to_string()))
    }

    /// Emits the leaves under `region`: the stored ones (when `base`) merged with the changes.
    fn leaves(&mut self, region: &Nibbles, base: bool) -> Result<(), WalkError> {
        let mut stored: Vec<(Nibbles, Vec<u8>)> = Vec::new();
        if base && !self.src.base_empty {
            let mut start = self.src.prefix.to_vec();
            let packed = region.pack();
            start.extend_from_slice(&packed);
            let plen = self.src.prefix.len();
            let prefix = self.src.prefix;
            self.src.kv.scan(self.src.leaves, &start, &mut |k, v| {
                if !k.starts_with(prefix) || k.len() != plen + 32 {
                    return false;
                }
                let key = Nibbles::unpack(&k[plen..]);
                if !key.starts_with(region) {
                    return false;
                }
                stored.push((key, v.to_vec()));
                true
            })?;
        }
        let lo = self.changes.partition_point(|(k, _)| k < region);
        let hi = lo + self.changes[lo..].partition_point(|(k, _)| k.starts_with(region));
        let mut changes = self.changes[lo..hi].iter().peekable();
        let mut stored = stored.into_iter().peekable();
        loop {
            let next_stored = stored.peek().map(|s| s.0);
            let next_change = changes.peek().map(|c| c.0);
            let take_change = match (next_stored, next_change) {
                (None, None) => break,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some(s), Some(c)) => {
                    if s == c {
                        // The change replaces (or removes) the stored leaf.
                        stored.next();
                    }
                    c <= s
                }
            };
            if take_change {
                if let Some((k, Some(v))) = changes.next() {
                    self.out.leaf(*k, v);
                }
            } else if let Some((k, v)) = stored.next() {
                self.out.leaf(k, &v);
            }
        }
        Ok(())
    }

    /// Emits the new leaves under `region` whose keys satisfy `keep`.
    fn new_leaves(&mut self, region: &Nibbles, keep: impl Fn(&Nibbles) -> bool) {
        let lo = self.changes.partition_point(|(k, _)| k < region);
        for (k, v) in &self.changes[lo..] {
            if !k.starts_with(region) {
                break;
            }
            if let (true, Some(v)) = (keep(k), v) {
                self.out.leaf(*k, v);
            }
        }
    }
}
