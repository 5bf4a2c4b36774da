//! The layered backend: recent commits live in memory over a redb file and reach it in groups, written by a
//! background thread, as reth's engine keeps its latest blocks in memory and persists them behind.
//!
//! ```text
//! commit(batch)  -> applied to the live layer (persistent ordered maps in memory): visible at once;
//!                   after `every` commits (or when the oldest is `max_delay` old) live -> flushing
//! flusher thread -> with `every` commits in the journal and the group: all of them written to their
//!                   tables in ONE durable redb write transaction (a key written by several commits is
//!                   written once, a page several keys share is copied once), the journal cleared in it,
//!                   and the layers dropped: redb answers
//!                -> with fewer (the group was due by time) and at most 2^20 keys: the group appended
//!                   to the journal as a few large rows in one durable transaction (about its bytes, no
//!                   random-key B-tree inserts), then kept in the journaled list, readable in memory
//! snapshot       -> (live, flushing, journaled groups, redb snapshot), read newest first; a scan merges
//!                   them
//! ```
//! So `max_delay` bounds what a crash loses while the tables' pages are rewritten only once per `every`
//! commits. A group always ends at a commit, so after a crash (kill -9 included) the file holds whole
//! commits only (opening it applies the journal's groups first, [`RedbKv::open`]):
//! for a chain, a head that is a whole block whose state root matches its header, with at most the blocks
//! still in memory lost (an importer redoes them). Upper trie nodes are rewritten by every block, so they
//! stay in the live layer and the root walk reads them from memory. Only one flush runs at a time; when the
//! live layer holds `max_unflushed` commits while one runs, the next commit waits for it (memory stays
//! bounded, and that wait is the only time a commit spends on the disk). [`Kv::sync`] makes every commit
//! durable (to the journal or the tables); closing writes everything to the tables. A failed flush is reported by every later commit and sync; what it held stays readable.

use super::redb::RedbKv;
use super::{Kv, KvError, KvRead, LayerStats, Table, WriteBatch};
use alloy_primitives::map::{DefaultHashBuilder, HashSet};
use imbl::OrdMap;
use std::cmp::Ordering;
use std::hash::BuildHasher;
use std::ops::Bound;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A key or value held in a layer (cheap to clone when a shared map node is copied).
type Bytes = Arc<[u8]>;
/// One table of a layer: the newest write per key (`None`: removed).
type Map = OrdMap<Bytes, Option<Bytes>>;

/// When the live layer is flushed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlushPolicy {
    /// Commits per write to the tables (a group due by time before that is made durable in the journal).
    pub every: u32,
    /// Longest time the oldest commit of the live layer waits before its group is made durable.
    pub max_delay: Duration,
    /// Commits the live layer may hold while a flush runs before a commit waits for that flush (0: every
    /// commit waits for the running flush, so a crash loses at most the latest commit).
    pub max_unflushed: u32,
}

impl FlushPolicy {
    /// Every `every` commits or `max_delay`, whichever comes first; up to four groups in memory.
    pub fn every(every: u32, max_delay: Duration) -> Self {
        let every = every.max(1);
        Self {
            every,
            max_delay,
            max_unflushed: every.saturating_mul(4),
        }
    }

    /// Each commit written to the file by the flusher right after it becomes visible, the next commit
    /// waiting for that write: the caller never waits for the disk's write of its own commit, and a crash
    /// loses at most the latest commit (what [`crate::Durability::BEHIND`] promises, with redb's page work
    /// off the caller's path too).
    pub fn behind() -> Self {
        Self {
            every: 1,
            max_delay: Duration::ZERO,
            max_unflushed: 0,
        }
    }
}

/// Writes of a group of commits, one persistent map per table.
#[derive(Clone, Default)]
struct Layer {
    maps: [Map; Table::ALL.len()],
    /// Set once the layer is frozen (flushing or journaled, never written again): the hashes of its keys.
    filter: Option<Arc<KeyFilter>>,
}

/// The hashes of a frozen layer's keys. A read of a version some groups old passes every layer above the
/// one holding its key (a trie node unchanged for a while: all of them, then redb); a hash lookup answers
/// "not here" for most of them instead of a walk down each ordered map. Equal hashes of different keys only
/// send the read to the map.
struct KeyFilter {
    state: DefaultHashBuilder,
    hashes: HashSet<u64>,
}

impl KeyFilter {
    fn hash(state: &DefaultHashBuilder, table: Table, key: &[u8]) -> u64 {
        state.hash_one((table.index(), key))
    }

    /// False when the layer holds no write to `key` in `table`.
    fn may_hold(&self, table: Table, key: &[u8]) -> bool {
        self.hashes.contains(&Self::hash(&self.state, table, key))
    }
}

/// Entries of one table in key order.
type Entries<'a> = Box<dyn Iterator<Item = (&'a Bytes, &'a Option<Bytes>)> + 'a>;

/// The entries of `table` from `start` in `layers` (oldest first), in key order, the newest write per key.
fn newest_of<'a>(
    layers: impl Iterator<Item = &'a Layer>,
    table: Table,
    start: &[u8],
) -> Entries<'a> {
    let mut merged: Entries<'a> = Box::new(std::iter::empty());
    for layer in layers {
        merged = Box::new(NewerFirst {
            newer: layer.range(table, start).peekable(),
            older: merged.peekable(),
        });
    }
    merged
}

impl Layer {
    /// Every write, table by table, keys in order.
    fn writes(&self) -> impl Iterator<Item = (Table, &[u8], Option<&[u8]>)> + '_ {
        Table::ALL
            .iter()
            .zip(&self.maps)
            .flat_map(|(t, m)| m.iter().map(move |(k, v)| (*t, &**k, v.as_deref())))
    }

    /// The layer, no longer written, with the filter of its keys.
    fn frozen(mut self) -> Arc<Layer> {
        let state = DefaultHashBuilder::default();
        let mut hashes = HashSet::with_capacity_and_hasher(self.entries(), Default::default());
        for (table, map) in Table::ALL.iter().zip(&self.maps) {
            hashes.extend(map.keys().map(|k| KeyFilter::hash(&state, *table, k)));
        }
        self.filter = Some(Arc::new(KeyFilter { state, hashes }));
        Arc::new(self)
    }

    fn apply(&mut self, batch: &WriteBatch) {
        // Only the live layer is written, and it has no filter; a written layer would outgrow its filter.
        self.filter = None;
        for (table, writes) in batch.tables() {
            let map = &mut self.maps[table.index()];
            for (k, v) in writes {
                map.insert(Bytes::from(k.as_slice()), v.as_deref().map(Bytes::from));
            }
        }
    }

    /// The newest write to `key`: `Some(None)` for a removal.
    fn get(&self, table: Table, key: &[u8]) -> Option<Option<&Bytes>> {
        if self
            .filter
            .as_ref()
            .is_some_and(|f| !f.may_hold(table, key))
        {
            return None;
        }
        self.maps[table.index()].get(key).map(Option::as_ref)
    }

    fn entries(&self) -> usize {
        self.maps.iter().map(OrdMap::len).sum()
    }

    fn range<'a>(
        &'a self,
        table: Table,
        start: &[u8],
    ) -> impl Iterator<Item = (&'a Bytes, &'a Option<Bytes>)> + 'a {
        self.maps[table.index()].range::<_, [u8]>((Bound::Included(start), Bound::Unbounded))
    }
}

/// What the flusher and the committers share.
struct State {
    live: Layer,
    live_commits: u32,
    /// When the oldest commit of the live layer was applied.
    since: Instant,
    /// The group being written to redb, readable until it is there.
    flushing: Option<Arc<Layer>>,
    flushing_commits: u32,
    /// The groups in the journal but not in their tables yet, oldest first, readable until they are (kept
    /// apart: merging each into the others would copy paths of a map of up to 2^20 keys per group).
    journaled: Vec<Arc<Layer>>,
    journaled_commits: u32,
    /// Closing: the next group goes to the tables with the journaled ones, even if empty.
    closing: bool,
    stop: bool,
    failed: Option<String>,
    stats: LayerStats,
}

impl State {
    fn due(&self, policy: &FlushPolicy) -> bool {
        self.live_commits > 0
            && (self.live_commits >= policy.every || self.since.elapsed() >= policy.max_delay)
    }

    /// Hands the live layer to the flusher, when none is being flushed (closing: also an empty one, to
    /// write the journaled groups to their tables).
    fn start_flush(&mut self, wake: &Condvar) {
        let closing = self.closing && !self.journaled.is_empty();
        if self.flushing.is_none() && (self.live_commits > 0 || closing) {
            self.flushing = Some(std::mem::take(&mut self.live).frozen());
            self.flushing_commits = self.live_commits;
            self.live_commits = 0;
            wake.notify_all();
        }
    }
}

struct Shared {
    base: RedbKv,
    policy: FlushPolicy,
    state: Mutex<State>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> Result<MutexGuard<'_, State>, KvError> {
        self.state
            .lock()
            .map_err(|_| KvError::Backend("layer state poisoned".into()))
    }

    fn wait<'a>(&self, s: MutexGuard<'a, State>) -> Result<MutexGuard<'a, State>, KvError> {
        self.wake
            .wait(s)
            .map_err(|_| KvError::Backend("layer state poisoned".into()))
    }
}

fn failed(e: &str) -> KvError {
    KvError::Backend(format!("background flush: {e}"))
}

/// A redb database with the latest commits held in memory and flushed in groups in the background.
pub struct LayeredKv {
    shared: Arc<Shared>,
    flusher: Option<std::thread::JoinHandle<()>>,
}

impl LayeredKv {
    /// Layers `base` (which should make every commit durable) with `policy`, starting the flusher thread.
    pub fn new(base: RedbKv, policy: FlushPolicy) -> Result<Self, KvError> {
        let shared = Arc::new(Shared {
            base,
            policy,
            state: Mutex::new(State {
                live: Layer::default(),
                live_commits: 0,
                since: Instant::now(),
                flushing: None,
                flushing_commits: 0,
                journaled: Vec::new(),
                journaled_commits: 0,
                closing: false,
                stop: false,
                failed: None,
                stats: LayerStats::default(),
            }),
            wake: Condvar::new(),
        });
        let worker = shared.clone();
        let flusher = std::thread::Builder::new()
            .name("layer-flush".into())
            .spawn(move || flush_loop(&worker))
            .map_err(|e| KvError::Open(format!("starting the flush thread: {e}")))?;
        Ok(Self {
            shared,
            flusher: Some(flusher),
        })
    }
}

/// Keys the journaled groups and the next one may hold in memory; above it they go to their tables (a
/// genesis or a long group costs less written once than journaled and held).
const JOURNAL_MAX_ENTRIES: usize = 1 << 20;

/// What a flush did.
enum Flushed {
    /// The group and the journaled ones are in their tables.
    Applied { entries: usize },
    /// The group is in the journal.
    Journaled,
}

/// Writes `group` (with `journaled`, the groups in the journal before it, oldest first): to the tables when
/// `apply`, else to the journal as group `seq`.
fn flush_group(
    base: &RedbKv,
    group: &Arc<Layer>,
    journaled: &[Arc<Layer>],
    apply: bool,
    seq: u64,
) -> Result<Flushed, KvError> {
    if apply {
        let entries = std::cell::Cell::new(0usize);
        let layers = || journaled.iter().chain([group]).map(|l| &**l);
        base.commit_durable(
            Table::ALL
                .iter()
                .filter(|t| layers().any(|l| !l.maps[t.index()].is_empty()))
                .map(|t| {
                    let entries = &entries;
                    (
                        *t,
                        newest_of(layers(), *t, &[]).map(move |(k, v)| {
                            entries.set(entries.get() + 1);
                            (&**k, v.as_deref())
                        }),
                    )
                }),
            !journaled.is_empty(),
        )?;
        return Ok(Flushed::Applied {
            entries: entries.get(),
        });
    }
    base.write_journal(seq, &super::journal::encode(group.writes()))?;
    Ok(Flushed::Journaled)
}

/// The flusher: waits for a group (or for the live layer's delay to run out), writes it in one durable
/// transaction (to the tables or to the journal), drops it, and goes on until told to stop.
fn flush_loop(shared: &Shared) {
    let mut seq = 0u64;
    loop {
        let (layer, journaled, apply) = {
            let Ok(mut s) = shared.state.lock() else {
                return;
            };
            loop {
                if let Some(layer) = &s.flushing {
                    if s.failed.is_none() {
                        let entries = layer.entries()
                            + s.journaled.iter().map(|l| l.entries()).sum::<usize>();
                        let apply = s.closing
                            || s.journaled_commits + s.flushing_commits >= shared.policy.every
                            || entries > JOURNAL_MAX_ENTRIES;
                        break (layer.clone(), s.journaled.clone(), apply);
                    }
                }
                if s.stop {
                    return;
                }
                if s.failed.is_none() && s.due(&shared.policy) {
                    s.start_flush(&shared.wake);
                    continue;
                }
                let waited = if s.live_commits > 0 && s.failed.is_none() {
                    let left = shared.policy.max_delay.saturating_sub(s.since.elapsed());
                    shared
                        .wake
                        .wait_timeout(s, left.max(Duration::from_millis(1)))
                        .map(|(s, _)| s)
                        .ok()
                } else {
                    shared.wake.wait(s).ok()
                };
                s = match waited {
                    Some(s) => s,
                    None => return,
                };
            }
        };
        let started = Instant::now();
        let written = flush_group(&shared.base, &layer, &journaled, apply, seq);
        let Ok(mut s) = shared.state.lock() else {
            return;
        };
        match written {
            Ok(flushed) => {
                let took = started.elapsed();
                s.stats.flushes += 1;
                s.stats.commits_flushed += u64::from(s.flushing_commits);
                s.stats.flush_time += took;
                match flushed {
                    Flushed::Applied { entries } => {
                        s.stats.entries_flushed += entries as u64;
                        s.journaled.clear();
                        s.journaled_commits = 0;
                        seq = 0;
                    }
                    Flushed::Journaled => {
                        s.stats.journaled += 1;
                        s.stats.journal_time += took;
                        s.journaled.push(layer);
                        s.journaled_commits += s.flushing_commits;
                        seq += 1;
                    }
                }
                s.flushing = None;
                s.flushing_commits = 0;
            }
            Err(e) => s.failed = Some(e.to_string()),
        }
        shared.wake.notify_all();
    }
}

impl LayeredKv {
    /// Writes every commit to its table (the journaled groups too), leaving the journal empty.
    fn close(&self) -> Result<(), KvError> {
        let shared = &*self.shared;
        let mut s = shared.lock()?;
        s.closing = true;
        loop {
            if let Some(e) = &s.failed {
                return Err(failed(e));
            }
            if s.flushing.is_none() {
                if s.live_commits == 0 && s.journaled.is_empty() {
                    return Ok(());
                }
                s.start_flush(&shared.wake);
            }
            s = shared.wait(s)?;
        }
    }
}

impl Drop for LayeredKv {
    fn drop(&mut self) {
        // Closing makes every commit durable, as redb's close does, and writes the journaled groups to
        // their tables (the next open has nothing to apply).
        let _ = self.close();
        if let Ok(mut s) = self.shared.state.lock() {
            s.stop = true;
            self.shared.wake.notify_all();
        }
        if let Some(t) = self.flusher.take() {
            let _ = t.join();
        }
    }
}

impl Kv for LayeredKv {
    fn snapshot(&self) -> Result<Arc<dyn KvRead>, KvError> {
        // The layers and redb's snapshot are taken under the lock: no group can be flushed and dropped
        // between them, which would lose it (or show a later commit) to this snapshot.
        let s = self.shared.lock()?;
        let live = s.live.clone();
        let flushing = s.flushing.clone();
        let journaled = s.journaled.clone();
        let base = self.shared.base.snapshot()?;
        drop(s);
        Ok(Arc::new(LayeredSnapshot {
            live,
            flushing,
            journaled,
            base,
        }))
    }

    fn commit(&self, batch: WriteBatch) -> Result<(), KvError> {
        let shared = &*self.shared;
        let mut s = shared.lock()?;
        let started = Instant::now();
        let mut waited = false;
        while s.failed.is_none()
            && s.flushing.is_some()
            && s.live_commits >= shared.policy.max_unflushed
        {
            waited = true;
            s = shared.wait(s)?;
        }
        if let Some(e) = &s.failed {
            return Err(failed(e));
        }
        if waited {
            s.stats.waits += 1;
            s.stats.waited += started.elapsed();
        }
        if s.live_commits == 0 {
            s.since = Instant::now();
        }
        s.live.apply(&batch);
        s.live_commits += 1;
        if s.due(&shared.policy) {
            s.start_flush(&shared.wake);
        }
        Ok(())
    }

    fn sync(&self) -> Result<(), KvError> {
        let shared = &*self.shared;
        let mut s = shared.lock()?;
        loop {
            if let Some(e) = &s.failed {
                return Err(failed(e));
            }
            if s.flushing.is_none() {
                if s.live_commits == 0 {
                    return Ok(());
                }
                s.start_flush(&shared.wake);
            }
            s = shared.wait(s)?;
        }
    }

    fn describe(&self) -> String {
        format!(
            "{}, latest commits in memory (flushed every {} commits / {} ms)",
            self.shared.base.describe(),
            self.shared.policy.every,
            self.shared.policy.max_delay.as_millis()
        )
    }

    fn size_bytes(&self) -> Option<u64> {
        self.shared.base.size_bytes()
    }

    fn layer_stats(&self) -> Option<LayerStats> {
        let s = self.shared.lock().ok()?;
        let mut stats = s.stats;
        stats.held_commits = s.live_commits + s.flushing_commits;
        stats.held_entries = (s.live.entries()
            + s.flushing.as_ref().map_or(0, |l| l.entries())
            + s.journaled.iter().map(|l| l.entries()).sum::<usize>())
            as u64;
        Some(stats)
    }
}

/// One version: the live layer, the group being flushed, the journaled groups, and redb under them.
struct LayeredSnapshot {
    live: Layer,
    flushing: Option<Arc<Layer>>,
    journaled: Vec<Arc<Layer>>,
    base: Arc<dyn KvRead>,
}

impl LayeredSnapshot {
    /// The layers' entries from `start` in key order, the live layer's write winning on equal keys.
    fn upper<'a>(
        &'a self,
        table: Table,
        start: &[u8],
    ) -> impl Iterator<Item = (&'a Bytes, &'a Option<Bytes>)> + 'a {
        let live = self.live.range(table, start);
        let flushing = self.flushing.as_deref().map(|l| l.range(table, start));
        let journaled = newest_of(self.journaled.iter().map(|l| &**l), table, start);
        let older = NewerFirst {
            newer: flushing.into_iter().flatten().peekable(),
            older: journaled.peekable(),
        };
        NewerFirst {
            newer: live.peekable(),
            older: older.peekable(),
        }
    }
}

/// Two sorted iterators merged; on equal keys the newer one's entry is kept.
struct NewerFirst<A: Iterator, B: Iterator> {
    newer: std::iter::Peekable<A>,
    older: std::iter::Peekable<B>,
}

impl<'a, A, B> Iterator for NewerFirst<A, B>
where
    A: Iterator<Item = (&'a Bytes, &'a Option<Bytes>)>,
    B: Iterator<Item = (&'a Bytes, &'a Option<Bytes>)>,
{
    type Item = (&'a Bytes, &'a Option<Bytes>);

    fn next(&mut self) -> Option<Self::Item> {
        let order = match (self.newer.peek(), self.older.peek()) {
            (Some(n), Some(o)) => n.0.cmp(o.0),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => return None,
        };
        match order {
            Ordering::Less => self.newer.next(),
            Ordering::Greater => self.older.next(),
            Ordering::Equal => {
                self.older.next();
                self.newer.next()
            }
        }
    }
}

impl KvRead for LayeredSnapshot {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        if let Some(v) = self.live.get(table, key) {
            return Ok(v.map(|b| b.to_vec()));
        }
        if let Some(v) = self.flushing.as_ref().and_then(|l| l.get(table, key)) {
            return Ok(v.map(|b| b.to_vec()));
        }
        for layer in self.journaled.iter().rev() {
            if let Some(v) = layer.get(table, key) {
                return Ok(v.map(|b| b.to_vec()));
            }
        }
        self.base.get(table, key)
    }

    fn scan(
        &self,
        table: Table,
        start: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), KvError> {
        let mut upper = self.upper(table, start).peekable();
        let mut stopped = false;
        self.base.scan(table, start, &mut |k, v| {
            // The layers' entries before `k`, then `k` itself from the layers (which shadow it) or redb.
            while let Some((uk, _)) = upper.peek() {
                match (***uk).cmp(k) {
                    Ordering::Less => {
                        if let Some((uk, Some(uv))) = upper.next() {
                            if !visit(uk, uv) {
                                stopped = true;
                                return false;
                            }
                        }
                    }
                    Ordering::Equal => {
                        let go = match upper.next() {
                            Some((uk, Some(uv))) => visit(uk, uv),
                            _ => true,
                        };
                        stopped = !go;
                        return go;
                    }
                    Ordering::Greater => break,
                }
            }
            let go = visit(k, v);
            stopped = !go;
            go
        })?;
        if !stopped {
            for (uk, uv) in upper {
                if let Some(uv) = uv {
                    if !visit(uk, uv) {
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    fn len(&self, table: Table) -> Result<u64, KvError> {
        let mut len = self.base.len(table)? as i64;
        for (k, v) in self.upper(table, &[]) {
            let in_base = self.base.get(table, k)?.is_some();
            len += i64::from(v.is_some()) - i64::from(in_base);
        }
        Ok(len.max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(every: u32) -> FlushPolicy {
        FlushPolicy {
            every,
            max_delay: Duration::from_secs(3600),
            max_unflushed: every * 2,
        }
    }

    #[test]
    fn layered_backend_keeps_the_contract_and_reopens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("chain.redb");
        {
            let kv =
                LayeredKv::new(RedbKv::open(&path).expect("create"), policy(2)).expect("layer");
            super::super::tests::backend_contract(&kv);
        }
        let kv = RedbKv::open(&path).expect("reopen");
        let snap = kv.snapshot().unwrap();
        assert_eq!(snap.get(Table::Meta, b"b").unwrap(), Some(b"2".to_vec()));
        assert_eq!(snap.get(Table::Meta, b"a").unwrap(), None);
    }

    /// Behind the commit: each commit returns visible, with every earlier commit already in the file (a
    /// commit waits for the flush of the one before), and closing writes the last one.
    #[test]
    fn behind_policy_leaves_only_the_latest_commit_unflushed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("chain.redb");
        {
            let kv = LayeredKv::new(RedbKv::open(&path).expect("create"), FlushPolicy::behind())
                .expect("layer");
            for i in 0u8..6 {
                let mut b = WriteBatch::new();
                b.put(Table::Code, vec![i], vec![i; 2]);
                kv.commit(b).expect("commit");
                let snap = kv.snapshot().unwrap();
                assert_eq!(snap.get(Table::Code, &[i]).unwrap(), Some(vec![i; 2]));
                let stats = kv.layer_stats().expect("layered");
                assert!(
                    stats.commits_flushed >= u64::from(i),
                    "commit {i} returned with {} commits flushed",
                    stats.commits_flushed
                );
            }
        }
        let kv = RedbKv::open(&path).expect("reopen");
        let snap = kv.snapshot().unwrap();
        assert_eq!(snap.len(Table::Code).unwrap(), 6);
    }

    /// A frozen layer answers every read as the same layer unfrozen: its keys in their tables, and nothing
    /// for keys it does not hold (in no table, or only in another one).
    #[test]
    fn a_frozen_layers_filter_answers_reads_as_its_maps() {
        let mut next = xorshift();
        let mut layer = Layer::default();
        for round in 0..5 {
            layer.apply(&random_batch(&mut next, round));
        }
        let mut b = WriteBatch::new();
        b.put(Table::Code, vec![1, 2], vec![3]);
        b.delete(Table::Code, vec![4]);
        layer.apply(&b);
        let frozen = layer.clone().frozen();
        assert!(frozen.filter.is_some());
        let mut held = 0;
        for table in [Table::Storage, Table::Code, Table::Accounts] {
            for key in (0u8..8)
                .flat_map(|a| (0u8..6).map(move |b| vec![a, b]))
                .chain([vec![4]])
            {
                let want = layer.get(table, &key);
                held += usize::from(want.is_some());
                assert_eq!(frozen.get(table, &key), want, "{table:?} {key:?}");
            }
        }
        assert_eq!(held, layer.entries());
    }

    /// A pseudo-random batch of round `round`: 20 puts and removals of 35 keys of the storage table.
    fn random_batch(next: &mut impl FnMut() -> u64, round: u32) -> WriteBatch {
        let mut b = WriteBatch::new();
        for _ in 0..20 {
            let key = vec![(next() % 7) as u8, (next() % 5) as u8];
            if next().is_multiple_of(4) {
                b.delete(Table::Storage, key);
            } else {
                b.put(Table::Storage, key, round.to_be_bytes().to_vec());
            }
        }
        b
    }

    fn xorshift() -> impl FnMut() -> u64 {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    /// Every entry of the storage table.
    fn storage_of(s: &dyn KvRead) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        s.scan(Table::Storage, &[], &mut |k, v| {
            out.push((k.to_vec(), v.to_vec()));
            true
        })
        .unwrap();
        out
    }

    /// Reads through the layers agree with a plain in-memory backend given the same commits, at every
    /// step, whether the keys sit in the live layer, the flushing one or redb; the file holds whole groups.
    #[test]
    fn layered_reads_equal_a_plain_backend_over_many_groups() {
        reads_equal_a_plain_backend(policy(3));
    }

    /// The same with every group due at once, so that most go to the journal first (read from the
    /// journaled layer) and reach their tables five commits at a time.
    #[test]
    fn layered_reads_equal_a_plain_backend_through_the_journal() {
        reads_equal_a_plain_backend(FlushPolicy {
            every: 5,
            max_delay: Duration::ZERO,
            max_unflushed: 10,
        });
    }

    fn reads_equal_a_plain_backend(policy: FlushPolicy) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("chain.redb");
        let kv = LayeredKv::new(RedbKv::open(&path).expect("create"), policy).expect("layer");
        let plain = super::super::mem::MemKv::new();
        let mut next = xorshift();
        let mut held = Vec::new();
        for round in 0..40u32 {
            let b = random_batch(&mut next, round);
            kv.commit(b.clone()).unwrap();
            plain.commit(b).unwrap();
            let (a, p) = (kv.snapshot().unwrap(), plain.snapshot().unwrap());
            held.push((a.clone(), p.clone()));
            for start in [&[][..], &[3u8][..], &[3, 2][..], &[9][..]] {
                let collect = |s: &Arc<dyn KvRead>| {
                    let mut out = Vec::new();
                    s.scan(Table::Storage, start, &mut |k, v| {
                        out.push((k.to_vec(), v.to_vec()));
                        true
                    })
                    .unwrap();
                    out
                };
                assert_eq!(
                    collect(&a),
                    collect(&p),
                    "round {round} scan from {start:?}"
                );
            }
            for k0 in 0..7u8 {
                for k1 in 0..5u8 {
                    assert_eq!(
                        a.get(Table::Storage, &[k0, k1]).unwrap(),
                        p.get(Table::Storage, &[k0, k1]).unwrap()
                    );
                }
            }
            assert_eq!(
                a.len(Table::Storage).unwrap(),
                p.len(Table::Storage).unwrap()
            );
            let mut first = Vec::new();
            a.scan_prefix(Table::Storage, &[2], &mut |k, _| {
                first.push(k.to_vec());
                first.len() < 2
            })
            .unwrap();
            let mut want = Vec::new();
            p.scan_prefix(Table::Storage, &[2], &mut |k, _| {
                want.push(k.to_vec());
                want.len() < 2
            })
            .unwrap();
            assert_eq!(first, want);
        }
        // Older snapshots still read their own version after later commits and flushes.
        kv.sync().unwrap();
        for (a, p) in &held {
            for k0 in 0..7u8 {
                assert_eq!(
                    a.get(Table::Storage, &[k0, 1]).unwrap(),
                    p.get(Table::Storage, &[k0, 1]).unwrap()
                );
            }
        }
        let stats = kv.layer_stats().expect("stats");
        assert_eq!(stats.commits_flushed, 40);
        assert_eq!(stats.held_commits, 0);
        assert!(
            stats.flushes >= u64::from(40 / policy.every / 4),
            "{stats:?}"
        );
        let last = plain.snapshot().unwrap();
        drop(kv);
        let file = RedbKv::open(&path).expect("reopen");
        assert_eq!(
            file.journal_rows().unwrap(),
            0,
            "closing empties the journal"
        );
        let reopened = file.snapshot().unwrap();
        assert_eq!(storage_of(reopened.as_ref()), storage_of(last.as_ref()));
    }

    /// What a kill -9 leaves while groups sit in the journal (a copy of the file taken while the store
    /// is open, after `sync`): opening it applies the journal, and the tables hold every commit up to the
    /// sync, none after.
    #[test]
    fn a_crash_with_groups_in_the_journal_reopens_with_every_synced_commit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("chain.redb");
        let crashed = dir.path().join("crashed.redb");
        // Groups due at once, the tables written every 1000 commits: all 30 commits go to the journal.
        let policy = FlushPolicy {
            every: 1000,
            max_delay: Duration::ZERO,
            max_unflushed: 2000,
        };
        let kv = LayeredKv::new(RedbKv::open(&path).expect("create"), policy).expect("layer");
        let plain = super::super::mem::MemKv::new();
        let mut next = xorshift();
        for round in 0..30u32 {
            let b = random_batch(&mut next, round);
            kv.commit(b.clone()).unwrap();
            plain.commit(b).unwrap();
        }
        kv.sync().unwrap();
        let stats = kv.layer_stats().expect("stats");
        assert_eq!(stats.commits_flushed, 30);
        assert_eq!(stats.entries_flushed, 0, "nothing reached the tables");
        assert!(stats.journaled >= 1, "{stats:?}");
        assert_eq!(kv.shared.base.journal_rows().unwrap(), stats.journaled);
        std::fs::copy(&path, &crashed).expect("copy");
        let synced = plain.snapshot().unwrap();
        kv.commit(random_batch(&mut next, 30)).unwrap();
        drop(kv);
        let copy = RedbKv::open(&crashed).expect("open the copy");
        assert_eq!(
            copy.journal_rows().unwrap(),
            0,
            "opening applied the journal"
        );
        assert_eq!(
            storage_of(copy.snapshot().unwrap().as_ref()),
            storage_of(synced.as_ref())
        );
    }
}
