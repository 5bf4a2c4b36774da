//! Multi-version memory: for every [`MvKey`], the values written by each transaction that wrote it, so
//! that transaction `i` reads exactly what the sequential execution would show it: the base state plus
//! the writes of transactions `< i`.
//!
//! An entry is a [`MvEntry`]: an absolute value, a balance credit (`Add`, summed on read down to the next
//! absolute value), an existence mark (`Touch`: the account exists after this transaction), a storage wipe,
//! or an `Estimate`: the writer was aborted, so a reader must wait for it. Entries of a transaction are replaced wholesale when it finishes an incarnation.
//!
//! The map is sharded: each shard is a mutex over a hash map from key to the key's versions, a vector
//! sorted by transaction index (most keys have one writer, kept inline; transactions finish roughly in
//! block order, so inserts land at the end and reads want the top: both check the last entry before
//! searching). A key is hashed once, with foldhash under a random per-process seed (addresses and slots are
//! chosen by users, so collisions must not be predictable; foldhash is the hasher alloy's maps use, several
//! times cheaper than SipHash for these short keys), over its packed bytes in one call; that hash picks the shard and is reused, unchanged, by the shard's own table. A cheap filter of
//! the lowest writer per key slot sends reads of keys no lower transaction wrote straight to the base.
//! Shard tables and filters are pooled between block executions (cleared, capacity kept).

use crate::chaos::Chaos;
use crate::types::{Location, MvKey, TxIdx};
use alloy_primitives::map::{B256HashMap, DefaultHashBuilder};
use alloy_primitives::{B256, U256};
use crossbeam_utils::CachePadded;
use parevm_evm_core::{Code, KECCAK_EMPTY};
use parking_lot::{Mutex, RwLock};
use smallvec::SmallVec;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// Shards of the key map (a power of two).
const SHARDS: usize = 128;

/// One transaction's write to one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MvEntry {
    /// The writer was aborted or has not run yet; its value is unknown.
    Estimate,
    /// An absolute value (balance, nonce as a number, code hash as big-endian bytes, storage value).
    Set(U256),
    /// A balance credit that commutes with other credits.
    Add(U256),
    /// The account exists after this transaction (any write without `destroyed` creates it).
    Touch,
    /// The account's storage was wiped (only under [`MvKey::StorageWipe`]).
    Wipe,
}

/// What multi-version memory says about a location for one reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// The value, fully determined by lower transactions' writes.
    Value(U256),
    /// No lower absolute write: take the base value, then add `credit` (balances) and, when `touched` and
    /// the base says the account is missing, read `KECCAK_EMPTY` (code hashes).
    Base {
        /// Sum of lower credits.
        credit: U256,
        /// A lower transaction made the account exist.
        touched: bool,
    },
    /// Lower transaction `.0` has an `Estimate` here: wait for it.
    Blocked(TxIdx),
}

/// The entries of one key, sorted by transaction index (one inline, more on the heap).
#[derive(Debug, Default)]
struct Versions(SmallVec<[(TxIdx, MvEntry); 1]>);

impl Versions {
    /// Entries of transactions below `tx`, ascending.
    fn below(&self, tx: TxIdx) -> &[(TxIdx, MvEntry)] {
        match self.0.last() {
            // The common case: every entry is below the reader.
            Some((j, _)) if *j < tx => &self.0,
            _ => &self.0[..self.0.partition_point(|(j, _)| *j < tx)],
        }
    }

    fn insert(&mut self, tx: TxIdx, entry: MvEntry) {
        match self.0.last_mut() {
            None => self.0.push((tx, entry)),
            Some((j, _)) if *j < tx => self.0.push((tx, entry)),
            Some((j, e)) if *j == tx => *e = entry,
            _ => match self.0.binary_search_by_key(&tx, |(j, _)| *j) {
                Ok(i) => self.0[i].1 = entry,
                Err(i) => self.0.insert(i, (tx, entry)),
            },
        }
    }

    fn remove(&mut self, tx: TxIdx) {
        if let Ok(i) = self.0.binary_search_by_key(&tx, |(j, _)| *j) {
            self.0.remove(i);
        }
    }

    fn get_mut(&mut self, tx: TxIdx) -> Option<&mut MvEntry> {
        let i = self.0.binary_search_by_key(&tx, |(j, _)| *j).ok()?;
        Some(&mut self.0[i].1)
    }
}

type Shard = HashMap<HashedKey, Versions, BuildHasherDefault<PassThrough>>;

/// A key with its hash, computed once.
#[derive(Clone, Copy, Debug)]
struct HashedKey {
    hash: u64,
    key: MvKey,
}

impl PartialEq for HashedKey {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.key == other.key
    }
}

impl Eq for HashedKey {}

impl Hash for HashedKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// Hands the precomputed hash of a [`HashedKey`] to the table unchanged.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used by `HashedKey`; fold anything else in for completeness.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// One set of shard tables.
type Shards = Box<[CachePadded<Mutex<Shard>>]>;

/// Shard tables and filters of finished block executions, cleared with their capacity kept: the next
/// block reuses memory that is mapped and likely still cached, instead of paying for fresh (kernel-zeroed)
/// pages and for growing every table again.
struct Pool {
    shards: Vec<Shards>,
    filters: Vec<Box<[AtomicU32]>>,
}

/// Sets of each kind kept (blocks executed at the same time each need their own).
const POOLED: usize = 4;
/// A shard table grown past this many entries is dropped rather than kept (one huge block should not
/// pin its memory for the life of the process).
const POOLED_SHARD_CAP: usize = 1 << 13;

static POOL: Mutex<Pool> = Mutex::new(Pool {
    shards: Vec::new(),
    filters: Vec::new(),
});

/// The multi-version store of one block execution.
pub(crate) struct MvMemory {
    shards: Box<[CachePadded<Mutex<Shard>>]>,
    hasher: DefaultHashBuilder,
    /// Code deployed by transactions of this block, by hash. Content-addressed, so never versioned.
    codes: RwLock<B256HashMap<Code>>,
    /// Per filter slot, the lowest transaction that ever published an entry under a key mapping there
    /// (`u32::MAX`: none). A read by `tx` whose key's slot holds `>= tx` has no lower entry and goes
    /// straight to the base state, without hashing or locking: most reads of a block of independent
    /// transactions (their own sender's nonce and balance, code hashes). Allocated by the first publish
    /// (a block that runs as one serial batch publishes nothing).
    lowest: OnceLock<Box<[AtomicU32]>>,
    /// Slots of `lowest`, a power of two sized for the block.
    lowest_slots: usize,
    chaos: Chaos,
}

impl MvMemory {
    /// An empty store for a block of `txs` transactions, on pooled shard tables when there are some.
    /// Fresh shard tables start small and grow: sizing them up front costs fresh (kernel-zeroed) memory,
    /// more than the rehashing it saves.
    pub(crate) fn new(txs: usize, chaos: Chaos) -> Self {
        let per_shard = txs / SHARDS;
        let pooled = POOL.lock().shards.pop();
        Self {
            shards: pooled.unwrap_or_else(|| {
                (0..SHARDS)
                    .map(|_| {
                        CachePadded::new(Mutex::new(HashMap::with_capacity_and_hasher(
                            per_shard,
                            BuildHasherDefault::default(),
                        )))
                    })
                    .collect()
            }),
            hasher: DefaultHashBuilder::default(),
            lowest: OnceLock::new(),
            lowest_slots: (txs * 16).next_power_of_two().clamp(1 << 10, 1 << 20),
            codes: RwLock::new(B256HashMap::default()),
            chaos,
        }
    }

    /// The key with its hash, and its shard. Shards are chosen by bits the table itself does not use
    /// (the low bits pick a bucket, the top seven are the control tag).
    fn locate(&self, key: &MvKey) -> (HashedKey, &Mutex<Shard>) {
        let hash = self.hash(key);
        let shard = &self.shards[(hash >> 32) as usize & (SHARDS - 1)];
        (HashedKey { hash, key: *key }, shard)
    }

    /// Seeded hash of the key's packed bytes (kind, address, slot), written in one call.
    fn hash(&self, key: &MvKey) -> u64 {
        let mut buf = [0u8; 53];
        let (kind, address, slot) = match key {
            MvKey::Loc(Location::Balance(a)) => (0, a, None),
            MvKey::Loc(Location::Nonce(a)) => (1, a, None),
            MvKey::Loc(Location::CodeHash(a)) => (2, a, None),
            MvKey::Loc(Location::Storage(a, s)) => (3, a, Some(s)),
            MvKey::StorageWipe(a) => (4, a, None),
            MvKey::Loc(Location::HasStorage(a)) => (5, a, None),
        };
        buf[0] = kind;
        buf[1..21].copy_from_slice(address.as_slice());
        let len = match slot {
            Some(s) => {
                buf[21..53].copy_from_slice(&s.to_be_bytes::<32>());
                53
            }
            None => 21,
        };
        let mut h = self.hasher.build_hasher();
        h.write(&buf[..len]);
        h.finish()
    }

    /// The highest entry below `tx` under `key`, with its writer.
    fn last_below(&self, key: &MvKey, tx: TxIdx) -> Option<(TxIdx, MvEntry)> {
        let (hk, shard) = self.locate(key);
        let shard = shard.lock();
        let versions = shard.get(&hk)?;
        versions.below(tx).last().copied()
    }

    /// Walks the entries below `tx` under `key` from the highest down, folding with `step` until it
    /// returns `Some`.
    fn fold_below<S>(
        &self,
        key: &MvKey,
        tx: TxIdx,
        mut state: S,
        mut step: impl FnMut(&mut S, TxIdx, MvEntry) -> Option<Resolved>,
        end: impl FnOnce(S) -> Resolved,
    ) -> Resolved {
        let (hk, shard) = self.locate(key);
        let shard = shard.lock();
        if let Some(versions) = shard.get(&hk) {
            for (j, e) in versions.below(tx).iter().rev() {
                if let Some(r) = step(&mut state, *j, *e) {
                    return r;
                }
            }
        }
        end(state)
    }

    /// The filter slot of `key`: a cheap, unkeyed mix (a collision, even a chosen one, only costs a
    /// lookup in the real map).
    fn filter_slot(&self, key: &MvKey) -> usize {
        let (kind, address, slot) = match key {
            MvKey::Loc(Location::Balance(a)) => (1u64, a, None),
            MvKey::Loc(Location::Nonce(a)) => (2, a, None),
            MvKey::Loc(Location::CodeHash(a)) => (3, a, None),
            MvKey::Loc(Location::Storage(a, s)) => (4, a, Some(s)),
            MvKey::StorageWipe(a) => (5, a, None),
            MvKey::Loc(Location::HasStorage(a)) => (6, a, None),
        };
        let b = address.as_slice();
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i..i + 8]);
            u64::from_le_bytes(w)
        };
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut x = (word(0) ^ kind).wrapping_mul(K);
        x = (x.rotate_left(23) ^ word(8)).wrapping_mul(K);
        x = (x.rotate_left(23) ^ word(12)).wrapping_mul(K);
        if let Some(s) = slot {
            for limb in s.as_limbs() {
                x = (x.rotate_left(23) ^ limb).wrapping_mul(K);
            }
        }
        // A multiplication carries input bits only upwards, so the top bits are the ones every input
        // bit reaches: take the slot from them. (Addresses that differ only in their last bytes, as
        // generated accounts do, put their differences into the top of the last word: middle bits would
        // map them all to one slot and defeat the filter.)
        let bits = self.lowest_slots.trailing_zeros();
        (x >> (64 - bits)) as usize
    }

    /// True when no transaction has published an entry yet (every read resolves to the base state).
    pub(crate) fn never_written(&self) -> bool {
        self.lowest.get().is_none()
    }

    /// True when no transaction below `tx` can have an entry under `key`.
    fn none_below(&self, key: &MvKey, tx: TxIdx) -> bool {
        match self.lowest.get() {
            None => true,
            // ORDERING: SeqCst, paired with the `fetch_min` in `publish`, which precedes the insert. A
            // read that misses a concurrent first publish is the same as a read just before it, and is
            // validated like any other; a validation at commit time runs after every lower publish
            // (ordered through the commit index), so it sees their marks.
            Some(lowest) => lowest[self.filter_slot(key)].load(Ordering::SeqCst) as usize >= tx,
        }
    }

    /// True when no transaction below `tx` has ever published an entry that could bear on `loc`: its value
    /// for `tx` is the base state's, now and at every earlier moment (marks are never removed).
    pub(crate) fn unwritten_below(&self, loc: Location, tx: TxIdx) -> bool {
        match loc {
            Location::Storage(a, _) => {
                self.none_below(&MvKey::Loc(loc), tx) && self.none_below(&MvKey::StorageWipe(a), tx)
            }
            // Nothing is ever published under `HasStorage`: only wipes bear on it.
            Location::HasStorage(a) => self.none_below(&MvKey::StorageWipe(a), tx),
            _ => self.none_below(&MvKey::Loc(loc), tx),
        }
    }

    /// The value of `loc` as transaction `tx` must see it.
    pub(crate) fn resolve(&self, loc: Location, tx: TxIdx) -> Resolved {
        self.chaos.point(1);
        let base = |credit, touched| Resolved::Base { credit, touched };
        if self.unwritten_below(loc, tx) {
            return base(U256::ZERO, false);
        }
        match loc {
            Location::Balance(_) => self.fold_below(
                &MvKey::Loc(loc),
                tx,
                U256::ZERO,
                |credit, j, e| match e {
                    MvEntry::Estimate => Some(Resolved::Blocked(j)),
                    MvEntry::Set(v) => Some(Resolved::Value(v.wrapping_add(*credit))),
                    MvEntry::Add(d) => {
                        *credit = credit.wrapping_add(d);
                        None
                    }
                    MvEntry::Touch | MvEntry::Wipe => None,
                },
                |credit| base(credit, false),
            ),
            Location::CodeHash(_) => self.fold_below(
                &MvKey::Loc(loc),
                tx,
                false,
                |touched, j, e| match e {
                    MvEntry::Estimate => Some(Resolved::Blocked(j)),
                    MvEntry::Set(h) => Some(Resolved::Value(if *touched && h.is_zero() {
                        U256::from_be_bytes(KECCAK_EMPTY.0)
                    } else {
                        h
                    })),
                    MvEntry::Touch => {
                        *touched = true;
                        None
                    }
                    MvEntry::Add(_) | MvEntry::Wipe => None,
                },
                |touched| base(U256::ZERO, touched),
            ),
            Location::Nonce(_) => match self.last_below(&MvKey::Loc(loc), tx) {
                Some((j, MvEntry::Estimate)) => Resolved::Blocked(j),
                Some((_, MvEntry::Set(v))) => Resolved::Value(v),
                _ => base(U256::ZERO, false),
            },
            Location::Storage(address, _) => {
                let slot = self.last_below(&MvKey::Loc(loc), tx);
                self.chaos.point(2);
                let wipe = self.last_below(&MvKey::StorageWipe(address), tx);
                // A slot write at or after the last wipe wins (a creation wipes, then writes).
                let slot_wins = match (slot, wipe) {
                    (Some((j, _)), Some((w, _))) => j >= w,
                    (Some(_), None) => true,
                    (None, _) => false,
                };
                match (slot, wipe) {
                    (Some((j, MvEntry::Estimate)), _) if slot_wins => Resolved::Blocked(j),
                    (Some((_, MvEntry::Set(v))), _) if slot_wins => Resolved::Value(v),
                    (_, Some((w, MvEntry::Estimate))) if !slot_wins => Resolved::Blocked(w),
                    (_, Some(_)) if !slot_wins => Resolved::Value(U256::ZERO),
                    _ => base(U256::ZERO, false),
                }
            }
            // The rule of `StateView::has_storage`: the base's answer until a lower transaction wiped
            // the account's storage, then empty.
            Location::HasStorage(address) => {
                match self.last_below(&MvKey::StorageWipe(address), tx) {
                    Some((w, MvEntry::Estimate)) => Resolved::Blocked(w),
                    Some(_) => Resolved::Value(U256::ZERO),
                    None => base(U256::ZERO, false),
                }
            }
        }
    }

    /// Makes `writes` the entries of transaction `tx`, removing its entries under keys in `prev` that it no
    /// longer writes; `prev` becomes the new key set. Returns true when some key is new (not in `prev`).
    ///
    /// `writes` holds each key once (a write set has one entry per account, each giving its keys once).
    pub(crate) fn publish(
        &self,
        tx: TxIdx,
        mut writes: Vec<(MvKey, MvEntry)>,
        prev: &mut Vec<MvKey>,
    ) -> bool {
        let lowest = (!writes.is_empty()).then(|| {
            self.lowest.get_or_init(|| {
                let mut pool = POOL.lock();
                match pool
                    .filters
                    .iter()
                    .position(|f| f.len() == self.lowest_slots)
                {
                    // Pooled filters were reset when they were returned.
                    Some(i) => pool.filters.swap_remove(i),
                    None => {
                        drop(pool);
                        (0..self.lowest_slots)
                            .map(|_| AtomicU32::new(u32::MAX))
                            .collect()
                    }
                }
            })
        });
        let mark = u32::try_from(tx).unwrap_or(u32::MAX - 1);
        for (key, entry) in &writes {
            self.chaos.point(3);
            if let Some(lowest) = lowest {
                // ORDERING: SeqCst, before the insert; see `none_below`.
                lowest[self.filter_slot(key)].fetch_min(mark, Ordering::SeqCst);
            }
            let (hk, shard) = self.locate(key);
            shard.lock().entry(hk).or_default().insert(tx, *entry);
        }
        if prev.is_empty() {
            // The first publish without hints: everything is new, nothing to remove.
            *prev = writes.into_iter().map(|(k, _)| k).collect();
            return !prev.is_empty();
        }
        writes.sort_unstable_by_key(|(k, _)| *k);
        debug_assert!(
            writes.windows(2).all(|w| w[0].0 != w[1].0),
            "duplicate keys"
        );
        prev.sort_unstable();
        let mut wrote_new = false;
        for (key, _) in &writes {
            if prev.binary_search(key).is_err() {
                wrote_new = true;
            }
        }
        for key in prev.iter() {
            if writes.binary_search_by_key(key, |(k, _)| *k).is_err() {
                self.chaos.point(4);
                self.remove(tx, std::slice::from_ref(key));
            }
        }
        *prev = writes.into_iter().map(|(k, _)| k).collect();
        wrote_new
    }

    /// Turns `tx`'s entries under `keys` into estimates (the incarnation was aborted).
    pub(crate) fn mark_estimates(&self, tx: TxIdx, keys: &[MvKey]) {
        for key in keys {
            self.chaos.point(5);
            let (hk, shard) = self.locate(key);
            if let Some(e) = shard.lock().get_mut(&hk).and_then(|v| v.get_mut(tx)) {
                *e = MvEntry::Estimate;
            }
        }
    }

    /// Removes `tx`'s entries under `keys` (keys it no longer writes, or a dropped candidate's).
    pub(crate) fn remove(&self, tx: TxIdx, keys: &[MvKey]) {
        for key in keys {
            let (hk, shard) = self.locate(key);
            if let Some(versions) = shard.lock().get_mut(&hk) {
                versions.remove(tx);
            }
        }
    }

    /// Records code deployed in this block (before the entries that point at it are published).
    pub(crate) fn insert_code(&self, hash: B256, code: Code) {
        self.codes.write().entry(hash).or_insert(code);
    }

    /// Code deployed in this block under `hash`, if any.
    pub(crate) fn code(&self, hash: &B256) -> Option<Code> {
        self.codes.read().get(hash).cloned()
    }
}

impl Drop for MvMemory {
    /// Returns the shard tables (cleared) and the filter (reset) to the pool.
    fn drop(&mut self) {
        let mut shards = std::mem::take(&mut self.shards);
        let mut keep = shards.len() == SHARDS;
        for shard in shards.iter_mut() {
            let table = shard.get_mut();
            if table.capacity() > POOLED_SHARD_CAP {
                keep = false;
                break;
            }
            table.clear();
        }
        let filter = self.lowest.take().inspect(|f| {
            for slot in f.iter() {
                // ORDERING: Relaxed: the store is no longer shared; the pool's mutex publishes it.
                slot.store(u32::MAX, Ordering::Relaxed);
            }
        });
        let mut pool = POOL.lock();
        if keep && pool.shards.len() < POOLED {
            pool.shards.push(shards);
        }
        if let Some(f) = filter {
            if pool.filters.len() < POOLED {
                pool.filters.push(f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Address;

    const A: Address = Address::repeat_byte(0xaa);

    fn u(v: u64) -> U256 {
        U256::from(v)
    }

    #[test]
    fn balance_credits_accumulate_down_to_the_last_set() {
        let mv = MvMemory::new(8, Chaos::default());
        let key = MvKey::Loc(Location::Balance(A));
        let mut prev = Vec::new();
        mv.publish(1, vec![(key, MvEntry::Add(u(5)))], &mut prev);
        let mut prev = Vec::new();
        mv.publish(3, vec![(key, MvEntry::Set(u(100)))], &mut prev);
        let mut prev = Vec::new();
        mv.publish(4, vec![(key, MvEntry::Add(u(7)))], &mut prev);
        let bal = Location::Balance(A);
        assert_eq!(
            mv.resolve(bal, 1),
            Resolved::Base {
                credit: U256::ZERO,
                touched: false
            }
        );
        assert_eq!(
            mv.resolve(bal, 2),
            Resolved::Base {
                credit: u(5),
                touched: false
            }
        );
        assert_eq!(mv.resolve(bal, 4), Resolved::Value(u(100)));
        assert_eq!(mv.resolve(bal, 9), Resolved::Value(u(107)));
        mv.mark_estimates(4, &[key]);
        assert_eq!(mv.resolve(bal, 9), Resolved::Blocked(4));
    }

    #[test]
    fn storage_wipe_hides_older_slot_writes() {
        let mv = MvMemory::new(8, Chaos::default());
        let s = Location::Storage(A, u(1));
        let mut p1 = Vec::new();
        mv.publish(1, vec![(MvKey::Loc(s), MvEntry::Set(u(9)))], &mut p1);
        let mut p2 = Vec::new();
        mv.publish(2, vec![(MvKey::StorageWipe(A), MvEntry::Wipe)], &mut p2);
        let mut p3 = Vec::new();
        mv.publish(
            3,
            vec![
                (MvKey::StorageWipe(A), MvEntry::Wipe),
                (MvKey::Loc(s), MvEntry::Set(u(4))),
            ],
            &mut p3,
        );
        assert_eq!(mv.resolve(s, 2), Resolved::Value(u(9)));
        assert_eq!(mv.resolve(s, 3), Resolved::Value(U256::ZERO));
        assert_eq!(mv.resolve(s, 4), Resolved::Value(u(4)));
        mv.mark_estimates(2, &p2);
        assert_eq!(mv.resolve(s, 3), Resolved::Blocked(2));
        assert_eq!(mv.resolve(s, 4), Resolved::Value(u(4)));
    }

    #[test]
    fn has_storage_is_the_base_until_a_lower_wipe() {
        let mv = MvMemory::new(8, Chaos::default());
        let has = Location::HasStorage(A);
        assert!(mv.unwritten_below(has, 5));
        // Slot writes do not bear on it (storage is written only where a nonce or code collides anyway).
        let mut p1 = Vec::new();
        mv.publish(
            1,
            vec![(MvKey::Loc(Location::Storage(A, u(1))), MvEntry::Set(u(3)))],
            &mut p1,
        );
        assert!(mv.unwritten_below(has, 5));
        let mut p3 = Vec::new();
        mv.publish(3, vec![(MvKey::StorageWipe(A), MvEntry::Wipe)], &mut p3);
        assert!(!mv.unwritten_below(has, 4));
        assert_eq!(
            mv.resolve(has, 3),
            Resolved::Base {
                credit: U256::ZERO,
                touched: false
            }
        );
        assert_eq!(mv.resolve(has, 4), Resolved::Value(U256::ZERO));
        mv.mark_estimates(3, &p3);
        assert_eq!(mv.resolve(has, 4), Resolved::Blocked(3));
    }

    #[test]
    fn touch_turns_a_missing_account_into_an_empty_one() {
        let mv = MvMemory::new(8, Chaos::default());
        let key = MvKey::Loc(Location::CodeHash(A));
        let mut p1 = Vec::new();
        mv.publish(1, vec![(key, MvEntry::Set(U256::ZERO))], &mut p1);
        let mut p2 = Vec::new();
        mv.publish(2, vec![(key, MvEntry::Touch)], &mut p2);
        assert_eq!(
            mv.resolve(Location::CodeHash(A), 2),
            Resolved::Value(U256::ZERO)
        );
        assert_eq!(
            mv.resolve(Location::CodeHash(A), 3),
            Resolved::Value(U256::from_be_bytes(KECCAK_EMPTY.0))
        );
    }

    #[test]
    fn lowest_writer_filter_sends_unwritten_reads_to_the_base() {
        let mv = MvMemory::new(8, Chaos::default());
        let bal = Location::Balance(A);
        let slot = Location::Storage(A, u(1));
        assert!(mv.unwritten_below(bal, 7));
        let mut prev = Vec::new();
        mv.publish(3, vec![(MvKey::Loc(bal), MvEntry::Add(u(2)))], &mut prev);
        assert!(mv.unwritten_below(bal, 3), "only lower writers count");
        assert!(!mv.unwritten_below(bal, 4));
        assert_eq!(
            mv.resolve(bal, 4),
            Resolved::Base {
                credit: u(2),
                touched: false
            }
        );
        // A wipe bears on every slot of the account.
        let mut p5 = Vec::new();
        mv.publish(5, vec![(MvKey::StorageWipe(A), MvEntry::Wipe)], &mut p5);
        assert!(mv.unwritten_below(slot, 5));
        assert!(!mv.unwritten_below(slot, 6));
        assert_eq!(mv.resolve(slot, 6), Resolved::Value(U256::ZERO));
    }

    #[test]
    fn a_store_on_pooled_tables_starts_empty() {
        // Tests run concurrently and share the pool, so every round checks its own fresh store.
        for round in 0..8u64 {
            let mv = MvMemory::new(8, Chaos::default());
            let bal = Location::Balance(A);
            let slot = Location::Storage(A, u(round));
            assert!(mv.unwritten_below(bal, 7) && mv.unwritten_below(slot, 7));
            assert_eq!(
                mv.resolve(slot, 7),
                Resolved::Base {
                    credit: U256::ZERO,
                    touched: false
                }
            );
            let mut prev = Vec::new();
            mv.publish(
                1,
                vec![
                    (MvKey::Loc(bal), MvEntry::Set(u(round))),
                    (MvKey::Loc(slot), MvEntry::Set(u(1))),
                ],
                &mut prev,
            );
            assert_eq!(mv.resolve(bal, 2), Resolved::Value(u(round)));
            // Dropped here: its tables and filter go back to the pool for the next round.
        }
    }

    #[test]
    fn filter_spreads_addresses_that_differ_only_in_their_last_bytes() {
        // Generated accounts: a fixed prefix and a counter in the last eight bytes.
        let mv = MvMemory::new(4096, Chaos::default());
        let slots: std::collections::HashSet<usize> = (0..4096u64)
            .map(|i| {
                let mut a = [0x11u8; 20];
                a[12..].copy_from_slice(&i.to_be_bytes());
                mv.filter_slot(&MvKey::Loc(Location::Nonce(Address::from(a))))
            })
            .collect();
        // 4,096 keys over 65,536 slots: a uniform hash leaves well over 3,900 distinct slots.
        assert!(slots.len() > 3_800, "only {} distinct slots", slots.len());
    }

    #[test]
    fn republish_removes_keys_no_longer_written() {
        let mv = MvMemory::new(8, Chaos::default());
        let n = MvKey::Loc(Location::Nonce(A));
        let b = MvKey::Loc(Location::Balance(A));
        let mut prev = Vec::new();
        assert!(mv.publish(
            0,
            vec![(n, MvEntry::Set(u(1))), (b, MvEntry::Set(u(2)))],
            &mut prev
        ));
        assert!(!mv.publish(0, vec![(n, MvEntry::Set(u(1)))], &mut prev));
        assert_eq!(prev, vec![n]);
        assert_eq!(
            mv.resolve(Location::Balance(A), 1),
            Resolved::Base {
                credit: U256::ZERO,
                touched: false
            }
        );
    }
}
