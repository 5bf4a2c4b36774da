//! A sparse Merkle-Patricia trie over a preimage store: nodes are fetched by hash only when a lookup or an
//! update walks through them, so a witness that holds the nodes a block touched (and the siblings a
//! deletion collapses into) is enough to read, update and re-hash the trie. A node the walk needs but the
//! store lacks is [`TrieError::MissingPreimage`], naming its hash.
//!
//! Keys are nibble paths of equal length (secure tries: keccak of the address or slot), so branch nodes
//! never carry values. Nodes are decoded and encoded with alloy-trie's node types.

use alloy_primitives::map::HashMap;
use alloy_primitives::{keccak256, Bytes, B256};
use alloy_rlp::Decodable;
use alloy_trie::nodes::{BranchNode, ExtensionNode, LeafNode, RlpNode, TrieNode};
use alloy_trie::{Nibbles, TrieMask, EMPTY_ROOT_HASH};

/// Why a trie operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TrieError {
    /// The walk needs the node with this hash and the witness does not have it.
    #[error("missing preimage {0}")]
    MissingPreimage(B256),
    /// A node does not decode.
    #[error("malformed trie node {hash}: {reason}")]
    Malformed {
        /// The node's hash (or the parent's, for an embedded node).
        hash: B256,
        /// What is wrong.
        reason: String,
    },
}

/// Preimages by their keccak256 hash (trie nodes and contract code).
#[derive(Clone, Debug, Default)]
pub struct Preimages {
    map: HashMap<B256, Bytes>,
}

impl Preimages {
    /// A store from `(hash, value)` pairs (the caller has checked or trusts the hashes).
    pub fn new(map: HashMap<B256, Bytes>) -> Self {
        Self { map }
    }

    /// The value whose hash is `hash`.
    pub fn get(&self, hash: &B256) -> Result<&Bytes, TrieError> {
        self.map.get(hash).ok_or(TrieError::MissingPreimage(*hash))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// A trie node in memory; `Hash` is a reference not yet fetched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// No node (an empty subtrie).
    Empty,
    /// A node known only by its hash.
    Hash(B256),
    /// The rest of a key (nibbles) and its value.
    Leaf(Vec<u8>, Vec<u8>),
    /// A shared key part (nibbles) and the node below it.
    Extension(Vec<u8>, Box<Node>),
    /// Sixteen children by next nibble.
    Branch(Box<[Node; 16]>),
}

fn malformed(hash: B256, reason: impl ToString) -> TrieError {
    TrieError::Malformed {
        hash,
        reason: reason.to_string(),
    }
}

/// Turns a child reference (a hash, or an embedded node's RLP) into a node.
fn from_ref(r: &RlpNode, parent: B256) -> Result<Node, TrieError> {
    match r.as_hash() {
        Some(h) => Ok(Node::Hash(h)),
        None => decode(r.as_ref(), parent),
    }
}

/// Decodes one node's RLP (`hash` names it in errors).
fn decode(mut rlp: &[u8], hash: B256) -> Result<Node, TrieError> {
    let node = TrieNode::decode(&mut rlp).map_err(|e| malformed(hash, e))?;
    Ok(match node {
        TrieNode::EmptyRoot => Node::Empty,
        TrieNode::Leaf(l) => Node::Leaf(l.key.to_vec(), l.value),
        TrieNode::Extension(e) => {
            Node::Extension(e.key.to_vec(), Box::new(from_ref(&e.child, hash)?))
        }
        TrieNode::Branch(b) => {
            let mut children: [Node; 16] = std::array::from_fn(|_| Node::Empty);
            let mut stack = b.stack.iter();
            for (i, child) in children.iter_mut().enumerate() {
                if b.state_mask.is_bit_set(i as u8) {
                    let r = stack
                        .next()
                        .ok_or_else(|| malformed(hash, "branch mask and children disagree"))?;
                    *child = from_ref(r, hash)?;
                }
            }
            Node::Branch(Box::new(children))
        }
    })
}

impl Node {
    /// The root node of a trie whose root hash is `root`.
    pub fn root(root: B256) -> Self {
        if root == EMPTY_ROOT_HASH {
            Node::Empty
        } else {
            Node::Hash(root)
        }
    }

    /// Replaces a `Hash` reference by the decoded node.
    fn resolve(&mut self, store: &Preimages) -> Result<(), TrieError> {
        if let Node::Hash(h) = self {
            let h = *h;
            *self = decode(store.get(&h)?, h)?;
        }
        Ok(())
    }

    /// The value at `path` (nibbles), reading through the store without changing the trie.
    pub fn get(&self, store: &Preimages, path: &[u8]) -> Result<Option<Vec<u8>>, TrieError> {
        match self {
            Node::Empty => Ok(None),
            Node::Hash(h) => decode(store.get(h)?, *h)?.get(store, path),
            Node::Leaf(k, v) => Ok((k.as_slice() == path).then(|| v.clone())),
            Node::Extension(k, child) => match path.strip_prefix(k.as_slice()) {
                Some(rest) => child.get(store, rest),
                None => Ok(None),
            },
            Node::Branch(children) => match path.split_first() {
                Some((first, rest)) => children[*first as usize].get(store, rest),
                None => Ok(None),
            },
        }
    }

    /// Sets `path` to `value`, fetching the nodes on the way.
    pub fn insert(
        &mut self,
        store: &Preimages,
        path: &[u8],
        value: Vec<u8>,
    ) -> Result<(), TrieError> {
        self.resolve(store)?;
        match self {
            Node::Empty => *self = Node::Leaf(path.to_vec(), value),
            // `resolve` replaced it.
            Node::Hash(_) => {}
            Node::Leaf(k, v) => {
                if k.as_slice() == path {
                    *v = value;
                    return Ok(());
                }
                let common = common_prefix(k.as_slice(), path);
                let mut children: [Node; 16] = std::array::from_fn(|_| Node::Empty);
                children[k[common] as usize] =
                    Node::Leaf(k[common + 1..].to_vec(), std::mem::take(v));
                children[path[common] as usize] = Node::Leaf(path[common + 1..].to_vec(), value);
                *self = wrap(&path[..common], Node::Branch(Box::new(children)));
            }
            Node::Extension(k, child) => {
                let key = k.clone();
                let common = common_prefix(&key, path);
                if common == key.len() {
                    return child.insert(store, &path[common..], value);
                }
                let mut children: [Node; 16] = std::array::from_fn(|_| Node::Empty);
                let child = std::mem::replace(child.as_mut(), Node::Empty);
                children[key[common] as usize] = wrap(&key[common + 1..], child);
                children[path[common] as usize] = Node::Leaf(path[common + 1..].to_vec(), value);
                *self = wrap(&path[..common], Node::Branch(Box::new(children)));
            }
            Node::Branch(children) => {
                let Some((first, rest)) = path.split_first() else {
                    return Err(malformed(B256::ZERO, "value at a branch"));
                };
                children[*first as usize].insert(store, rest, value)?;
            }
        }
        Ok(())
    }

    /// Removes `path` (nothing happens when it is absent), collapsing branches left with one child.
    pub fn remove(&mut self, store: &Preimages, path: &[u8]) -> Result<(), TrieError> {
        self.resolve(store)?;
        match self {
            // `resolve` replaced a `Hash`.
            Node::Empty | Node::Hash(_) => {}
            Node::Leaf(k, _) => {
                if k.as_slice() == path {
                    *self = Node::Empty;
                }
            }
            Node::Extension(k, child) => {
                let Some(rest) = path.strip_prefix(k.as_slice()) else {
                    return Ok(());
                };
                child.remove(store, rest)?;
                let key = k.clone();
                let child = std::mem::replace(child.as_mut(), Node::Empty);
                *self = wrap(&key, child);
            }
            Node::Branch(children) => {
                let Some((first, rest)) = path.split_first() else {
                    return Ok(());
                };
                children[*first as usize].remove(store, rest)?;
                let mut live = children
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c != Node::Empty);
                let (Some((index, _)), None) = (live.next(), live.next()) else {
                    if children.iter().all(|c| *c == Node::Empty) {
                        *self = Node::Empty;
                    }
                    return Ok(());
                };
                // One child left: merge it into this position (it must be fetched to know its shape).
                let mut only = std::mem::replace(&mut children[index], Node::Empty);
                only.resolve(store)?;
                *self = wrap(&[index as u8], only);
            }
        }
        Ok(())
    }

    /// The trie's root hash (the nodes' hashes are computed, nothing is stored).
    pub fn hash(&self) -> B256 {
        match self {
            Node::Empty => EMPTY_ROOT_HASH,
            Node::Hash(h) => *h,
            _ => {
                let mut buf = Vec::new();
                let _ = self.rlp(&mut buf);
                keccak256(&buf)
            }
        }
    }

    /// Encodes this node into `buf` (cleared first) and returns its reference for a parent.
    fn rlp(&self, buf: &mut Vec<u8>) -> RlpNode {
        buf.clear();
        match self {
            Node::Empty => {
                buf.push(alloy_rlp::EMPTY_STRING_CODE);
                RlpNode::from_rlp(buf)
            }
            Node::Hash(h) => RlpNode::word_rlp(h),
            Node::Leaf(k, v) => LeafNode::new(Nibbles::from_nibbles(k), v.clone())
                .as_ref()
                .rlp(buf),
            Node::Extension(k, child) => {
                let mut cbuf = Vec::new();
                let c = child.rlp(&mut cbuf);
                buf.clear();
                ExtensionNode::new(Nibbles::from_nibbles(k), c)
                    .as_ref()
                    .rlp(buf)
            }
            Node::Branch(children) => {
                let mut stack = Vec::new();
                let mut mask = TrieMask::default();
                let mut cbuf = Vec::new();
                for (i, c) in children.iter().enumerate() {
                    if *c != Node::Empty {
                        stack.push(c.rlp(&mut cbuf));
                        mask.set_bit(i as u8);
                    }
                }
                buf.clear();
                BranchNode::new(stack, mask).as_ref().rlp(buf)
            }
        }
    }
}

/// `key` in front of `node`: the node itself for an empty key, else a longer leaf or extension, or an
/// extension above a branch.
fn wrap(key: &[u8], node: Node) -> Node {
    if key.is_empty() {
        return node;
    }
    match node {
        Node::Empty => Node::Empty,
        Node::Leaf(k, v) => Node::Leaf(join(key, &k), v),
        Node::Extension(k, c) => Node::Extension(join(key, &k), c),
        other => Node::Extension(key.to_vec(), Box::new(other)),
    }
}

fn join(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut v = a.to_vec();
    v.extend_from_slice(b);
    v
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_trie::HashBuilder;
    use proptest::prelude::*;

    fn reference_root(entries: &std::collections::BTreeMap<B256, Vec<u8>>) -> B256 {
        let mut hb = HashBuilder::default();
        for (k, v) in entries {
            hb.add_leaf(Nibbles::unpack(k), v);
        }
        hb.root()
    }

    /// Stores every node of a trie by hash, as a witness would hold it.
    fn store_all(node: &Node, store: &mut HashMap<B256, Bytes>) {
        let mut buf = Vec::new();
        let _ = node.rlp(&mut buf);
        store.insert(keccak256(&buf), Bytes::from(buf.clone()));
        match node {
            Node::Extension(_, c) => store_all(c, store),
            Node::Branch(cs) => cs.iter().for_each(|c| store_all(c, store)),
            _ => {}
        }
    }

    proptest! {
        #[test]
        fn updates_match_a_fresh_build(
            initial in proptest::collection::btree_map(any::<[u8; 32]>(), 1u8..=255, 0..40),
            changes in proptest::collection::vec((any::<[u8; 32]>(), 0u8..=255, any::<bool>()), 0..40),
        ) {
            let mut entries: std::collections::BTreeMap<B256, Vec<u8>> =
                initial.iter().map(|(k, v)| (B256::from(*k), vec![*v; 40])).collect();
            // Build the initial trie, store its nodes, and restart from its hash only.
            let mut full = Node::Empty;
            let empty = Preimages::default();
            for (k, v) in &entries {
                full.insert(&empty, &Nibbles::unpack(k).to_vec(), v.clone()).unwrap();
            }
            prop_assert_eq!(full.hash(), reference_root(&entries));
            let mut map = HashMap::default();
            store_all(&full, &mut map);
            let store = Preimages::new(map);
            let mut trie = Node::root(full.hash());
            // Change some existing keys and some new ones.
            let keys: Vec<B256> = entries.keys().copied().collect();
            for (i, (k, v, existing)) in changes.iter().enumerate() {
                let key = if *existing && !keys.is_empty() { keys[i % keys.len()] } else { B256::from(*k) };
                let path = Nibbles::unpack(key).to_vec();
                if *v == 0 {
                    trie.remove(&store, &path).unwrap();
                    entries.remove(&key);
                } else {
                    trie.insert(&store, &path, vec![*v; 33]).unwrap();
                    entries.insert(key, vec![*v; 33]);
                }
                let got = trie.get(&store, &path).unwrap();
                prop_assert_eq!(got, entries.get(&key).cloned());
            }
            prop_assert_eq!(trie.hash(), reference_root(&entries));
        }
    }

    #[test]
    fn a_missing_node_is_named() {
        let h = B256::repeat_byte(7);
        let err = Node::root(h)
            .get(&Preimages::default(), &[1, 2])
            .unwrap_err();
        assert_eq!(err, TrieError::MissingPreimage(h));
    }
}
