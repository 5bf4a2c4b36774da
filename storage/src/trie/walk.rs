//! The walk over stored branch nodes and leaves that feeds alloy-trie's `HashBuilder` in key order.

use super::leaf_hash::LeafHashes;
use crate::codec::{decode_branch, key_path, path_key};
use crate::kv::{KvError, KvRead, Table};
use alloy_primitives::B256;
use alloy_trie::nodes::LeafNodeRef;
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
    /// Old values of changed keys that the caller already holds (sorted by key; keys absent before are not
    /// listed). Where a changed key's old leaf is the only thing under a hashed child of a stored branch
    /// (checked: the hash of that leaf node equals the child's stored hash), the walk takes it from here
    /// instead of scanning the leaf table. A wrong or stale value fails the check and is not used.
    pub before: &'a [KnownLeaf],
}

/// A changed key's value before the changes: hashed key and leaf value.
pub type KnownLeaf = (B256, Vec<u8>);

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
        let stored_hash = hash;
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
            _ => match stored_hash.filter(|_| !in_tree) {
                // A hashed child outside the tree: when it is the old leaf of a changed key, that leaf is all
                // the child held, and the caller knows its value.
                Some(h) => match self.known_leaf(&child, h) {
                    Some(old) => self.merge_leaves(&child, vec![old]),
                    None => self.region(child, Some(false))?,
                },
                None => self.region(child, Some(in_tree))?,
            },
        }
        Ok(())
    }

    /// The changes under `region` (sorted).
    fn changes_under(&self, region: &Nibbles) -> &'a [(Nibbles, Option<&'a [u8]>)] {
        let lo = self.changes.partition_point(|(k, _)| k < region);
        let hi = lo + self.changes[lo..].partition_point(|(k, _)| k.starts_with(region));
        &self.changes[lo..hi]
    }

    /// The old leaf of a changed key under `child` whose leaf node (its key below the parent branch) hashes
    /// to `hash`, the child's stored hash, with the value the caller knows (`TrieSource::before`). A subtrie's
    /// hash commits to all it holds, so that leaf is then the child's only content.
    fn known_leaf(&self, child: &Nibbles, hash: B256) -> Option<(Nibbles, Vec<u8>)> {
        if self.src.before.is_empty() || self.src.base_empty {
            return None;
        }
        let mut rlp = Vec::with_capacity(128);
        for (key, _) in self.changes_under(child) {
            let packed = B256::from_slice(&key.pack());
            let Ok(i) = self.src.before.binary_search_by(|(k, _)| k.cmp(&packed)) else {
                continue;
            };
            let old = &self.src.before[i].1;
            rlp.clear();
            let node = LeafNodeRef::new(&key.slice(child.len()..), old).rlp(&mut rlp);
            if node.as_hash() == Some(hash) {
                return Some((*key, old.clone()));
            }
        }
        None
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
        self.merge_leaves(region, stored);
        Ok(())
    }

    /// Emits `stored` (the leaves under `region` before, sorted) merged with the changes under `region`.
    fn merge_leaves(&mut self, region: &Nibbles, stored: Vec<(Nibbles, Vec<u8>)>) {
        let mut changes = self.changes_under(region).iter().peekable();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::encode_branch;
    use crate::kv::mem::MemKv;
    use crate::kv::{Kv, WriteBatch};
    use alloy_primitives::keccak256;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A snapshot that counts the scans of the leaf table.
    struct Counting<'a> {
        inner: &'a dyn KvRead,
        leaf_scans: AtomicUsize,
    }

    impl KvRead for Counting<'_> {
        fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
            self.inner.get(table, key)
        }

        fn scan(
            &self,
            table: Table,
            start: &[u8],
            visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
        ) -> Result<(), KvError> {
            if table == Table::Accounts {
                self.leaf_scans.fetch_add(1, Ordering::SeqCst);
            }
            self.inner.scan(table, start, visit)
        }

        fn len(&self, table: Table) -> Result<u64, KvError> {
            self.inner.len(table)
        }
    }

    fn source<'a>(kv: &'a dyn KvRead, before: &'a [KnownLeaf]) -> TrieSource<'a> {
        TrieSource {
            kv,
            nodes: Table::AccountTrie,
            leaves: Table::Accounts,
            prefix: &[],
            base_empty: false,
            before,
        }
    }

    /// 300 leaves of 70 bytes (their leaf nodes are hashed) stored with the nodes of their full build.
    fn stored() -> (MemKv, Vec<KnownLeaf>) {
        let state: Vec<KnownLeaf> = {
            let mut s: Vec<KnownLeaf> = (0u64..300)
                .map(|i| (keccak256(i.to_be_bytes()), vec![i as u8; 70]))
                .collect();
            s.sort();
            s
        };
        let empty = MemKv::new();
        let snap = empty.snapshot().unwrap();
        let mut src = source(snap.as_ref(), &[]);
        src.base_empty = true;
        let all: Vec<LeafChange> = state.iter().map(|(k, v)| (*k, Some(v.clone()))).collect();
        let built = update_trie(src, &all, &[]).unwrap();
        let kv = MemKv::new();
        let mut batch = WriteBatch::new();
        for (k, v) in &state {
            batch.put(Table::Accounts, k.to_vec(), v.clone());
        }
        for (path, node) in &built.updated {
            batch.put(Table::AccountTrie, path_key(&[], path), encode_branch(node));
        }
        kv.commit(batch).unwrap();
        (kv, state)
    }

    #[test]
    fn a_known_old_leaf_checked_against_its_stored_hash_replaces_the_leaf_scan() {
        let (kv, state) = stored();
        let snap = kv.snapshot().unwrap();
        let (key, old) = state[123].clone();
        let changes: Vec<LeafChange> = vec![(key, Some(vec![7; 71]))];
        let run = |before: &[KnownLeaf]| {
            let counting = Counting {
                inner: snap.as_ref(),
                leaf_scans: AtomicUsize::new(0),
            };
            let update = update_trie(source(&counting, before), &changes, &[]).unwrap();
            (update, counting.leaf_scans.load(Ordering::SeqCst))
        };
        let (read, scans_read) = run(&[]);
        let (known, scans_known) = run(&[(key, old.clone())]);
        // A wrong old value does not hash to the stored hash: the leaf is read as without it.
        let (wrong, scans_wrong) = run(&[(key, vec![9; 70])]);
        assert_eq!(scans_read, 1);
        assert_eq!(scans_known, 0);
        assert_eq!(scans_wrong, 1);
        for other in [&known, &wrong] {
            assert_eq!(other.root, read.root);
            assert_eq!(other.removed, read.removed);
            assert_eq!(other.updated, read.updated);
        }
        // And the root is the full build's of the state after the change.
        let mut hb = HashBuilder::default();
        for (k, v) in &state {
            let v = if *k == key {
                &changes[0].1.as_ref().unwrap()[..]
            } else {
                &v[..]
            };
            hb.add_leaf(Nibbles::unpack(k), v);
        }
        assert_eq!(read.root, hb.root());
    }
}
