//! The transaction journal: every account and slot a transaction has loaded, its changes, warm sets, transient
//! storage and logs, with nested checkpoints (one per frame) that a revert rolls back.
//!
//! Loads are lazy and per location. A location is read from the [`StateView`] the first time the transaction
//! needs it, and the value seen is appended to the read set. Credits to an account whose balance was never
//! read (fees, value received) stay *blind*: they become a commutative [`BalanceWrite::Add`] in the write set,
//! so hot recipients create no read dependency between transactions.
//! A loaded balance used only to check that it covers payments out (a contract sending value) is reported
//! with the least value that passes every such check ([`Journal::balance_bounds`]): a validator may take
//! a changed balance at or above it without re-executing.
//!
//! Every load method reads before it changes anything, so a [`ViewError::NotReady`] leaves the journal
//! exactly as it was and the caller can retry the same step after resuming.

use crate::code::{Bytecode, Code};
use crate::outcome::{AccountWrite, BalanceWrite, ReadSet, WriteSet};
use crate::spec::SpecId;
use crate::view::{Location, StateView, ViewError};
use alloy_primitives::map::{AddressMap, FbBuildHasher, HashMap, HashSet};
use alloy_primitives::{Address, Log, B256, U256};
use revm_primitives::KECCAK_EMPTY;
use std::hash::{Hash, Hasher};

mod fork;
mod prefetch;
#[cfg(test)]
mod test_views;
pub use fork::{FrameEffects, FrameReads, Seed, SeedView};

/// The RIPEMD-160 precompile, whose touch survives a revert (the block 2675119 consensus quirk).
const RIPEMD160: Address =
    Address::new([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);

/// A storage slot as the journal holds it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Slot {
    /// Value at the start of the transaction (EIP-2200 "original").
    pub original: U256,
    /// Current value.
    pub current: U256,
    /// Accessed in this transaction (EIP-2929).
    pub warm: bool,
    /// `original` and `current` are known (false for a slot only warmed by an access list).
    pub loaded: bool,
}

/// A slot number as the key of an account's slot map. It hashes as its 32 bytes in one write, inlined:
/// `U256`'s own `Hash` goes through the generic array impl, which the compiler does not always inline into
/// the map's entry code (when it did not, the call cost 1.5% of SnailTracer's instructions).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct SlotKey(U256);

impl Hash for SlotKey {
    #[inline(always)]
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write(&self.0.to_le_bytes::<32>());
    }
}

/// An account's slots by number (a fixed-bytes hasher over the 32 bytes, as alloy's `U256Map`).
type SlotMap = HashMap<SlotKey, Slot, FbBuildHasher<32>>;

/// An account as the journal holds it. `None` fields have not been read yet.
#[derive(Clone, Debug, Default)]
struct JAccount {
    address: Address,
    balance: Option<U256>,
    orig_balance: U256,
    /// Credits received while `balance` was unread.
    credit: U256,
    /// The loaded balance was used for more than checks that it covers a transfer out (see
    /// [`Journal::balance_bounds`]).
    balance_used: bool,
    /// The least loaded balance (`orig_balance`) with which every check that the balance covers a
    /// transfer out passes as it did.
    balance_bound: U256,
    nonce: Option<u64>,
    orig_nonce: u64,
    code_hash: Option<B256>,
    orig_code_hash: B256,
    code: Option<Code>,
    storage: SlotMap,
    warm: bool,
    touched: bool,
    /// Created in this transaction: storage starts empty and EIP-6780 SELFDESTRUCT deletes it.
    created: bool,
    /// SELFDESTRUCT executed: deleted at the end of the transaction.
    destroyed: bool,
}

impl JAccount {
    /// Makes a pooled entry an unloaded account of `address`, as `Default` with that address would be,
    /// keeping its slot map's allocation unless it grew large.
    #[inline]
    fn reset(&mut self, address: Address) {
        self.address = address;
        self.balance = None;
        self.orig_balance = U256::ZERO;
        self.credit = U256::ZERO;
        self.balance_used = false;
        self.balance_bound = U256::ZERO;
        self.nonce = None;
        self.orig_nonce = 0;
        self.code_hash = None;
        self.orig_code_hash = B256::ZERO;
        self.code = None;
        if self.storage.capacity() > MAX_POOLED_SLOTS {
            self.storage = SlotMap::default();
        } else {
            self.storage.clear();
        }
        self.warm = false;
        self.touched = false;
        self.created = false;
        self.destroyed = false;
    }

    /// EIP-161 emptiness as [`Journal::is_empty`] decides it, from the loaded fields only: `None` when
    /// deciding needs a location that was not read yet.
    #[inline]
    fn known_empty(&self) -> Option<bool> {
        if !self.credit.is_zero() || self.balance.is_some_and(|b| !b.is_zero()) {
            return Some(false);
        }
        let h = self.code_hash?;
        if h != B256::ZERO && h != KECCAK_EMPTY {
            return Some(false);
        }
        if self.nonce? != 0 {
            return Some(false);
        }
        Some(self.balance?.is_zero())
    }
}

/// A pooled account entry whose slot map grew past this many slots gets a new (empty) map when reused.
const MAX_POOLED_SLOTS: usize = 64;

/// Up to this many accounts the journal finds an account by a linear scan of their addresses.
const SCAN_LIMIT: usize = 16;

/// Index of an account in the journal's account list (accounts are never removed during a transaction), a
/// handle that the `_at` methods take so that a caller working on one account finds it once.
pub(crate) type AccIdx = u32;

/// One reversible change. Accounts are named by their index in the journal.
#[derive(Clone, Debug)]
enum Undo {
    Warm(AccIdx),
    SlotWarm(AccIdx, U256),
    Balance(AccIdx, U256),
    Credit(AccIdx, U256),
    Nonce(AccIdx, u64),
    Code(AccIdx, B256, Option<Code>),
    Storage(AccIdx, U256, U256),
    Transient(AccIdx, U256, U256),
    Touched(AccIdx),
    Created(AccIdx),
    Destroyed(AccIdx),
}

/// A point the journal can roll back to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    undo_len: usize,
    logs_len: usize,
}

/// Result of an SSTORE, for gas accounting.
#[derive(Clone, Copy, Debug)]
pub struct SStoreResult {
    /// Value at the start of the transaction.
    pub original: U256,
    /// Value before this store.
    pub present: U256,
    /// Value stored.
    pub new: U256,
    /// The slot was cold before this access.
    pub was_cold: bool,
}

/// `reads`, given room for a typical transaction's reads on first use (a read set is handed out with its
/// outcome, so it is allocated per transaction, and only by one that records a read).
#[inline(always)]
fn reads_room(reads: &mut ReadSet) -> &mut ReadSet {
    if reads.capacity() == 0 {
        reads.reserve_exact(8);
    }
    reads
}

/// The state a transaction has touched so far.
#[derive(Debug, Default)]
pub struct Journal {
    /// Addresses of `accs`, in the same order: small transactions find an account by scanning these.
    addrs: Vec<Address>,
    /// Where each loaded account sits in `accs`; filled only once there are more than [`SCAN_LIMIT`].
    index: AddressMap<AccIdx>,
    /// Account entries: the first `addrs.len()` are this transaction's, in load order; any after them are
    /// entries a previous transaction of this thread left, reset in place when an account is added.
    accs: Vec<JAccount>,
    /// The last account looked up (most lookups repeat the frame's own address).
    last: Option<(Address, AccIdx)>,
    undo: Vec<Undo>,
    /// EIP-1153 transient storage by account and slot (rare: kept out of the accounts, which every
    /// transaction creates and moves).
    transient: HashMap<(AccIdx, U256), U256>,
    /// Reused scratch list of accounts (end-of-transaction clearing).
    scratch: Vec<AccIdx>,
    logs: Vec<Log>,
    reads: ReadSet,
    /// Reads are not recorded into `reads` (for a caller that needs no read set: the sequential in-place
    /// path, which then allocates none).
    skip_reads: bool,
    spec_spurious: bool,
    /// EIP-2929: precompiles are warm without being recorded (Berlin on).
    warm_precompiles: bool,
    /// The precompiles in force (the chain's set for this fork).
    precompiles: Option<&'static revm_precompile::Precompiles>,
    /// Set only on a journal forked to run one call frame apart (`fork.rs`): the state it starts from and
    /// what it saw of it.
    fork: Option<Box<fork::ForkState>>,
}

impl Journal {
    /// An empty journal for a transaction under `spec` with Ethereum's precompiles.
    pub fn new(spec: SpecId) -> Self {
        Self::with_precompiles(spec, crate::precompiles::set(spec))
    }

    /// An empty journal for a transaction under `spec` whose precompiles are `precompiles`.
    pub fn with_precompiles(
        spec: SpecId,
        precompiles: &'static revm_precompile::Precompiles,
    ) -> Self {
        // The account tables come from this thread's pool (see `pool`); the read set is handed out with
        // the outcome, so it is allocated per transaction, on its first read (`reads_room`).
        let Tables {
            addrs,
            index,
            accs,
            undo,
            transient,
            scratch,
        } = pool::take();
        Self {
            precompiles: Some(precompiles),
            spec_spurious: spec.is_enabled_in(SpecId::SPURIOUS_DRAGON),
            warm_precompiles: spec.is_enabled_in(SpecId::BERLIN),
            addrs,
            index,
            accs,
            undo,
            transient,
            scratch,
            last: None,
            logs: Vec::new(),
            reads: Vec::new(),
            skip_reads: false,
            fork: None,
        }
    }

    /// The index of `address`, adding an empty (unloaded) entry on first use. The repeat of the last
    /// lookup is answered inline; anything else goes through [`Journal::lookup`].
    #[inline(always)]
    pub(crate) fn idx(&mut self, address: Address) -> AccIdx {
        if let Some((a, i)) = self.last {
            if a == address {
                return i;
            }
        }
        self.lookup(address)
    }

    /// [`Journal::idx`] past its last-hit check.
    #[inline(never)]
    fn lookup(&mut self, address: Address) -> AccIdx {
        let i = match self.find(&address) {
            Some(i) => i,
            None => self.add(address),
        };
        self.last = Some((address, i));
        i
    }

    /// The index of `address` if it was loaded: a scan of a few addresses (cheaper than hashing), or the
    /// map once the transaction has touched many accounts.
    #[inline]
    fn find(&self, address: &Address) -> Option<AccIdx> {
        if self.addrs.len() <= SCAN_LIMIT {
            self.addrs
                .iter()
                .position(|a| a == address)
                .map(|i| i as AccIdx)
        } else {
            self.index.get(address).copied()
        }
    }

    /// Adds an unloaded entry for `address` (not yet present).
    #[cold]
    fn add(&mut self, address: Address) -> AccIdx {
        let i = self.addrs.len();
        match self.accs.get_mut(i) {
            Some(acc) => acc.reset(address),
            None => self.accs.push(JAccount {
                address,
                ..Default::default()
            }),
        }
        let i = i as AccIdx;
        if self.fork.is_some() {
            self.seed_account(i);
        }
        self.addrs.push(address);
        if self.addrs.len() == SCAN_LIMIT + 1 {
            self.index = self
                .addrs
                .iter()
                .enumerate()
                .map(|(k, a)| (*a, k as AccIdx))
                .collect();
        } else if self.addrs.len() > SCAN_LIMIT {
            self.index.insert(address, i);
        }
        i
    }

    #[inline]
    fn at(&mut self, i: AccIdx) -> &mut JAccount {
        &mut self.accs[i as usize]
    }

    /// True when `address` is a precompile that EIP-2929 makes warm for the whole transaction.
    #[inline]
    fn is_warm_precompile(&self, address: &Address) -> bool {
        self.warm_precompiles
            && self
                .precompiles
                .is_some_and(|p| crate::precompiles::is_in_static(p, address))
    }

    // ----- checkpoints -----

    /// Marks the current state so that [`Journal::revert`] can return to it.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            undo_len: self.undo.len(),
            logs_len: self.logs.len(),
        }
    }

    /// Rolls back every change made since `cp`.
    pub fn revert(&mut self, cp: Checkpoint) {
        self.logs.truncate(cp.logs_len);
        while self.undo.len() > cp.undo_len {
            let Some(entry) = self.undo.pop() else { break };
            match entry {
                Undo::Warm(a) => self.at(a).warm = false,
                Undo::SlotWarm(a, s) => {
                    if let Some(slot) = self.at(a).storage.get_mut(&SlotKey(s)) {
                        slot.warm = false;
                    }
                }
                Undo::Balance(a, old) => self.at(a).balance = Some(old),
                Undo::Credit(a, amount) => {
                    let acc = self.at(a);
                    match acc.balance.as_mut() {
                        Some(b) => *b -= amount,
                        None => acc.credit -= amount,
                    }
                }
                Undo::Nonce(a, old) => self.at(a).nonce = Some(old),
                Undo::Code(a, old_hash, old_code) => {
                    let acc = self.at(a);
                    acc.code_hash = Some(old_hash);
                    acc.code = old_code;
                }
                Undo::Storage(a, s, old) => {
                    if let Some(slot) = self.at(a).storage.get_mut(&SlotKey(s)) {
                        slot.current = old;
                    }
                }
                Undo::Transient(a, s, old) => {
                    self.transient.insert((a, s), old);
                }
                Undo::Touched(a) => {
                    // EIP-161 quirk: the touch of RIPEMD-160 in block 2675119 was never reverted.
                    let acc = self.at(a);
                    if acc.address != RIPEMD160 {
                        acc.touched = false;
                    }
                }
                Undo::Created(a) => self.at(a).created = false,
                Undo::Destroyed(a) => self.at(a).destroyed = false,
            }
        }
    }

    // ----- loads (read set) -----

    /// Current balance of `address`.
    pub fn balance(&mut self, view: &dyn StateView, address: Address) -> Result<U256, ViewError> {
        let i = self.idx(address);
        self.balance_at(view, i)
    }

    /// [`Journal::balance`] of the account at `i` (inline when loaded, [`Journal::load_balance`] when not).
    /// The value is the caller's to use as it likes: the account leaves [`Journal::balance_bounds`].
    #[inline]
    pub(crate) fn balance_at(
        &mut self,
        view: &dyn StateView,
        i: AccIdx,
    ) -> Result<U256, ViewError> {
        let b = self.loaded_balance_at(view, i)?;
        self.accs[i as usize].balance_used = true;
        Ok(b)
    }

    /// The balance of the account at `i`, loaded when it is not, without marking it used.
    #[inline]
    fn loaded_balance_at(&mut self, view: &dyn StateView, i: AccIdx) -> Result<U256, ViewError> {
        match self.accs[i as usize].balance {
            Some(b) => Ok(b),
            None => self.load_balance(view, i),
        }
    }

    /// Whether the balance of the account at `i` covers a transfer of `amount` out of it. A check that
    /// passes uses the balance only as a lower bound: it raises the account's bound (the least loaded
    /// value with which it would pass too) and leaves it in [`Journal::balance_bounds`]; one that fails
    /// uses the value itself.
    pub(crate) fn balance_covers_at(
        &mut self,
        view: &dyn StateView,
        i: AccIdx,
        amount: U256,
    ) -> Result<bool, ViewError> {
        let b = self.loaded_balance_at(view, i)?;
        let acc = &mut self.accs[i as usize];
        if b < amount {
            acc.balance_used = true;
            return Ok(false);
        }
        // The balance is the loaded value plus what this transaction moved since; the check passes for
        // every loaded value down to `orig_balance - (b - amount)`.
        let least = acc.orig_balance.saturating_sub(b - amount);
        if least > acc.balance_bound {
            acc.balance_bound = least;
        }
        Ok(true)
    }

    /// Reads the balance of the account at `i`, not loaded yet.
    #[inline(never)]
    fn load_balance(&mut self, view: &dyn StateView, i: AccIdx) -> Result<U256, ViewError> {
        let acc = &mut self.accs[i as usize];
        let address = acc.address;
        let v = view.balance(address)?;
        let b = v + acc.credit;
        acc.orig_balance = v;
        acc.balance = Some(b);
        acc.credit = U256::ZERO;
        self.record(Location::Balance(address), v);
        Ok(b)
    }

    /// Loads balance, nonce and code hash of `address` with one view call ([`StateView::basic`]) when none
    /// of them is loaded yet, recording the same three reads, in the same order, as [`Journal::nonce`],
    /// [`Journal::balance`] and [`Journal::code_hash`] would.
    pub fn preload(&mut self, view: &dyn StateView, address: Address) -> Result<(), ViewError> {
        let i = self.idx(address);
        self.preload_at(view, i)
    }

    /// [`Journal::preload`] of the account at `i`.
    pub(crate) fn preload_at(&mut self, view: &dyn StateView, i: AccIdx) -> Result<(), ViewError> {
        let acc = &mut self.accs[i as usize];
        if acc.balance.is_some() || acc.nonce.is_some() || acc.code_hash.is_some() {
            return Ok(());
        }
        let address = acc.address;
        let b = view.basic(address)?;
        acc.orig_nonce = b.nonce;
        acc.nonce = Some(b.nonce);
        acc.orig_balance = b.balance;
        acc.balance = Some(b.balance + acc.credit);
        acc.credit = U256::ZERO;
        acc.orig_code_hash = b.code_hash;
        acc.code_hash = Some(b.code_hash);
        if !self.skip_reads {
            // One push each: `extend` from an array built the three entries on the stack and copied
            // them with a `memcpy` call.
            let reads = reads_room(&mut self.reads);
            reads.push((Location::Nonce(address), U256::from(b.nonce)));
            reads.push((Location::Balance(address), b.balance));
            reads.push((
                Location::CodeHash(address),
                U256::from_be_bytes(b.code_hash.0),
            ));
        }
        Ok(())
    }

    /// Current nonce of `address`.
    pub fn nonce(&mut self, view: &dyn StateView, address: Address) -> Result<u64, ViewError> {
        let i = self.idx(address);
        self.nonce_at(view, i)
    }

    /// [`Journal::nonce`] of the account at `i` (inline when loaded).
    #[inline]
    pub(crate) fn nonce_at(&mut self, view: &dyn StateView, i: AccIdx) -> Result<u64, ViewError> {
        match self.accs[i as usize].nonce {
            Some(n) => Ok(n),
            None => self.load_nonce(view, i),
        }
    }

    /// Reads the nonce of the account at `i`, not loaded yet.
    #[inline(never)]
    fn load_nonce(&mut self, view: &dyn StateView, i: AccIdx) -> Result<u64, ViewError> {
        let acc = &mut self.accs[i as usize];
        let address = acc.address;
        let v = view.nonce(address)?;
        acc.orig_nonce = v;
        acc.nonce = Some(v);
        self.record(Location::Nonce(address), U256::from(v));
        Ok(v)
    }

    /// Current code hash of `address` (`B256::ZERO` when it does not exist).
    pub fn code_hash(&mut self, view: &dyn StateView, address: Address) -> Result<B256, ViewError> {
        let i = self.idx(address);
        self.code_hash_at(view, i)
    }

    /// [`Journal::code_hash`] of the account at `i` (inline when loaded).
    #[inline]
    pub(crate) fn code_hash_at(
        &mut self,
        view: &dyn StateView,
        i: AccIdx,
    ) -> Result<B256, ViewError> {
        match self.accs[i as usize].code_hash {
            Some(h) => Ok(h),
            None => self.load_code_hash(view, i),
        }
    }

    /// Reads the code hash of the account at `i`, not loaded yet.
    #[inline(never)]
    fn load_code_hash(&mut self, view: &dyn StateView, i: AccIdx) -> Result<B256, ViewError> {
        let acc = &mut self.accs[i as usize];
        let address = acc.address;
        let v = view.code_hash(address)?;
        acc.orig_code_hash = v;
        acc.code_hash = Some(v);
        self.record(Location::CodeHash(address), U256::from_be_bytes(v.0));
        Ok(v)
    }

    /// Current code of `address` (empty when it has none).
    pub fn code(&mut self, view: &dyn StateView, address: Address) -> Result<Code, ViewError> {
        let i = self.idx(address);
        self.code_at(view, i)
    }

    /// [`Journal::code`] of the account at `i`.
    pub(crate) fn code_at(&mut self, view: &dyn StateView, i: AccIdx) -> Result<Code, ViewError> {
        if let Some(c) = self.at(i).code.clone() {
            return Ok(c);
        }
        let hash = self.code_hash_at(view, i)?;
        let code = if hash == B256::ZERO || hash == KECCAK_EMPTY {
            Bytecode::empty()
        } else if let Some(twin) = crate::code_twins::get(&hash) {
            // Content-addressed: the view would answer the same code (see `code_twins`).
            twin
        } else {
            let code = view.code_by_hash(hash)?;
            crate::code_twins::offer(&hash, &code);
            code
        };
        self.at(i).code = Some(code.clone());
        Ok(code)
    }

    /// True when the account exists in state (has been created and not deleted).
    pub fn exists(&mut self, view: &dyn StateView, address: Address) -> Result<bool, ViewError> {
        Ok(self.code_hash(view, address)? != B256::ZERO)
    }

    /// True when `address` has non-empty storage (EIP-7610), for the creation-collision check of an account
    /// with zero nonce and no code. An account created in this transaction holds only the slots written
    /// since; otherwise the view answers (and the answer is recorded as a read of
    /// [`Location::HasStorage`]).
    pub fn has_storage(
        &mut self,
        view: &dyn StateView,
        address: Address,
    ) -> Result<bool, ViewError> {
        let i = self.idx(address);
        let acc = &self.accs[i as usize];
        if acc.created {
            let here = acc.storage.values().any(|s| !s.current.is_zero());
            return Ok(here
                || self
                    .fork
                    .as_deref()
                    .is_some_and(|f| f.seed_has_storage(acc.address, &acc.storage)));
        }
        let v = view.has_storage(address)?;
        self.record(Location::HasStorage(address), U256::from(u8::from(v)));
        Ok(v)
    }

    /// EIP-161 emptiness: no code, zero nonce, zero balance. A non-existent account is empty.
    pub fn is_empty(&mut self, view: &dyn StateView, address: Address) -> Result<bool, ViewError> {
        let i = self.idx(address);
        self.is_empty_at(view, i)
    }

    /// [`Journal::is_empty`] of the account at `i`.
    fn is_empty_at(&mut self, view: &dyn StateView, i: AccIdx) -> Result<bool, ViewError> {
        let acc = self.at(i);
        if !acc.credit.is_zero() || acc.balance.is_some_and(|b| !b.is_zero()) {
            // Known non-empty without reading anything more (a credit is only kept apart while the
            // balance is unread).
            return Ok(false);
        }
        // A forked journal answers as the journal it was seeded from would (`fork.rs`), so that the frame
        // reads what running it there reads.
        if self.fork.is_some() && self.seed_known_nonempty(i) {
            return Ok(false);
        }
        let h = self.code_hash_at(view, i)?;
        if h != B256::ZERO && h != KECCAK_EMPTY {
            return Ok(false);
        }
        if self.nonce_at(view, i)? != 0 {
            return Ok(false);
        }
        Ok(self.balance_at(view, i)?.is_zero())
    }

    /// Loads a storage slot; returns `(value, was_cold)` and warms it.
    pub fn sload(
        &mut self,
        view: &dyn StateView,
        address: Address,
        slot: U256,
    ) -> Result<(U256, bool), ViewError> {
        let (i, entry) = self.slot_mut(view, address, slot)?;
        let current = entry.current;
        let was_cold = !entry.warm;
        if was_cold {
            entry.warm = true;
            self.undo.push(Undo::SlotWarm(i, slot));
        }
        if self.fork.is_some() {
            // SLOAD: 2,100 cold against 100 warm.
            self.note_access(i, Some(slot), was_cold, 2_000);
        }
        Ok((current, was_cold))
    }

    /// Loads a storage slot without warming it.
    pub fn slot(
        &mut self,
        view: &dyn StateView,
        address: Address,
        slot: U256,
    ) -> Result<Slot, ViewError> {
        self.slot_mut(view, address, slot).map(|(_, s)| *s)
    }

    /// The journal's entry for a slot, loaded from the view on first use (one map lookup when cached).
    fn slot_mut(
        &mut self,
        view: &dyn StateView,
        address: Address,
        slot: U256,
    ) -> Result<(AccIdx, &mut Slot), ViewError> {
        let i = self.idx(address);
        let acc = &mut self.accs[i as usize];
        let created = acc.created;
        let entry = acc.storage.entry(SlotKey(slot)).or_default();
        if !entry.loaded {
            if let Some(f) = self.fork.as_deref_mut() {
                if f.seed_slot(i, address, slot, created, entry, self.reads.len()) {
                    return Ok((i, entry));
                }
            }
            let v = if created {
                U256::ZERO
            } else {
                let v = view.storage(address, slot)?;
                if !self.skip_reads {
                    reads_room(&mut self.reads).push((Location::Storage(address, slot), v));
                }
                v
            };
            entry.original = v;
            entry.current = v;
            entry.loaded = true;
        }
        Ok((i, entry))
    }

    /// Writes a storage slot (warming it) and reports the values EIP-2200 gas needs.
    pub fn sstore(
        &mut self,
        view: &dyn StateView,
        address: Address,
        slot: U256,
        new: U256,
    ) -> Result<SStoreResult, ViewError> {
        let (i, entry) = self.slot_mut(view, address, slot)?;
        let s = *entry;
        entry.warm = true;
        entry.current = new;
        let was_cold = !s.warm;
        if was_cold {
            self.undo.push(Undo::SlotWarm(i, slot));
        }
        if s.current != new {
            self.undo.push(Undo::Storage(i, slot, s.current));
        }
        if self.fork.is_some() {
            // SSTORE: the cold surcharge is 2,100.
            self.note_access(i, Some(slot), was_cold, 2_100);
        }
        Ok(SStoreResult {
            original: s.original,
            present: s.current,
            new,
            was_cold,
        })
    }

    // ----- warm sets (EIP-2929) -----

    /// [`Journal::warm_account`] for an access that charges `cold_extra` more gas when the account was cold
    /// (EIP-2929: what the instruction pays beyond a warm access). A forked journal notes what the access
    /// found, so that its frame's gas can be corrected for an account that is warm at the committer
    /// (`fork.rs`).
    pub fn access_account(&mut self, address: Address, cold_extra: u64) -> bool {
        let cold = self.warm_account(address);
        if self.fork.is_some() && !self.is_warm_precompile(&address) {
            let i = self.idx(address);
            self.note_access(i, None, cold, cold_extra);
        }
        cold
    }

    /// Warms `address`; returns true when it was cold.
    pub fn warm_account(&mut self, address: Address) -> bool {
        if self.is_warm_precompile(&address) {
            return false;
        }
        let i = self.idx(address);
        let acc = self.at(i);
        if acc.warm {
            return false;
        }
        acc.warm = true;
        self.undo.push(Undo::Warm(i));
        true
    }

    /// Warms `address` for the whole transaction at its start (sender, target, access list, coinbase),
    /// without an undo entry: nothing rolls back a change made below every checkpoint except
    /// [`Journal::discard_changes`], after which warmth no longer matters.
    pub(crate) fn prewarm_account(&mut self, address: Address) {
        let i = self.idx(address);
        if self.accs[i as usize].warm || self.is_warm_precompile(&address) {
            return;
        }
        self.accs[i as usize].warm = true;
    }

    /// Warms a slot without loading it (access lists); returns true when it was cold.
    pub fn warm_slot(&mut self, address: Address, slot: U256) -> bool {
        let i = self.idx(address);
        let entry = self.at(i).storage.entry(SlotKey(slot)).or_default();
        let cold = !entry.warm;
        entry.warm = true;
        if cold {
            self.undo.push(Undo::SlotWarm(i, slot));
        }
        cold
    }

    /// True when `address` is warm.
    pub fn is_warm(&mut self, address: Address) -> bool {
        if self.is_warm_precompile(&address) {
            return true;
        }
        let i = self.idx(address);
        self.accs[i as usize].warm
    }

    // ----- mutations -----

    /// Marks an account touched (EIP-161) and makes it exist.
    pub fn touch(&mut self, view: &dyn StateView, address: Address) -> Result<(), ViewError> {
        let i = self.idx(address);
        self.touch_at(view, i)
    }

    /// [`Journal::touch`] of the account at `i`.
    fn touch_at(&mut self, view: &dyn StateView, i: AccIdx) -> Result<(), ViewError> {
        let hash = self.code_hash_at(view, i)?;
        let acc = self.at(i);
        if !acc.touched {
            acc.touched = true;
            self.undo.push(Undo::Touched(i));
        }
        if hash == B256::ZERO {
            self.set_code_hash_at(i, KECCAK_EMPTY, None);
        }
        Ok(())
    }

    /// Adds `amount` to a balance without reading it (touches the account).
    pub fn credit(
        &mut self,
        view: &dyn StateView,
        address: Address,
        amount: U256,
    ) -> Result<(), ViewError> {
        let i = self.idx(address);
        self.credit_at(view, i, amount)
    }

    /// [`Journal::credit`] to the account at `i`.
    pub(crate) fn credit_at(
        &mut self,
        view: &dyn StateView,
        i: AccIdx,
        amount: U256,
    ) -> Result<(), ViewError> {
        self.touch_at(view, i)?;
        if amount.is_zero() {
            return Ok(());
        }
        let acc = self.at(i);
        match acc.balance.as_mut() {
            Some(b) => *b += amount,
            None => acc.credit += amount,
        }
        self.undo.push(Undo::Credit(i, amount));
        Ok(())
    }

    /// [`Journal::credit_at`] for the block's fee credit, without reading whether the account exists when
    /// `amount` is not zero and the transaction has not read its code hash. The state that results is the
    /// same either way (EIP-161): a missing account credited with a non-zero amount is created with no code
    /// and is not empty, so it is never cleared, and its write is a balance `Add` alone, which creates a
    /// missing account (every state's `apply`). Not reading it keeps the transaction independent of the
    /// fee credits of the transactions before it when the fee recipient is absent at the block's start
    /// (absent for the first, existing for the rest). A zero credit only touches: whether it creates or
    /// clears the account depends on its existence (and the fork), so it reads it as before.
    pub(crate) fn credit_blind_at(
        &mut self,
        view: &dyn StateView,
        i: AccIdx,
        amount: U256,
    ) -> Result<(), ViewError> {
        if amount.is_zero() || self.accs[i as usize].code_hash.is_some() {
            return self.credit_at(view, i, amount);
        }
        let acc = self.at(i);
        if !acc.touched {
            acc.touched = true;
            self.undo.push(Undo::Touched(i));
        }
        let acc = self.at(i);
        match acc.balance.as_mut() {
            Some(b) => *b += amount,
            None => acc.credit += amount,
        }
        self.undo.push(Undo::Credit(i, amount));
        Ok(())
    }

    /// Sets a balance (must have been read first by the caller's logic).
    pub fn set_balance(
        &mut self,
        view: &dyn StateView,
        address: Address,
        value: U256,
    ) -> Result<(), ViewError> {
        let i = self.idx(address);
        self.set_balance_at(view, i, value)
    }

    /// [`Journal::set_balance`] of the account at `i`.
    pub(crate) fn set_balance_at(
        &mut self,
        view: &dyn StateView,
        i: AccIdx,
        value: U256,
    ) -> Result<(), ViewError> {
        let old = self.balance_at(view, i)?;
        self.at(i).balance = Some(value);
        self.undo.push(Undo::Balance(i, old));
        Ok(())
    }

    /// Moves `value` from `from` to `to`; returns false (changing nothing) when `from` cannot pay.
    pub fn transfer(
        &mut self,
        view: &dyn StateView,
        from: Address,
        to: Address,
        value: U256,
    ) -> Result<bool, ViewError> {
        let from = self.idx(from);
        let to = self.idx(to);
        self.transfer_at(view, from, to, value)
    }

    /// [`Journal::transfer`] between the accounts at `from` and `to`.
    pub(crate) fn transfer_at(
        &mut self,
        view: &dyn StateView,
        from: AccIdx,
        to: AccIdx,
        value: U256,
    ) -> Result<bool, ViewError> {
        let covered = self.balance_covers_at(view, from, value)?;
        // Read everything the credit needs before changing anything.
        self.code_hash_at(view, to)?;
        if !covered {
            return Ok(false);
        }
        if !value.is_zero() {
            // Loaded by the check above; the new value is relative to it, so the account keeps its bound.
            let acc = &mut self.accs[from as usize];
            let old = acc.balance.unwrap_or_default();
            acc.balance = Some(old - value);
            self.undo.push(Undo::Balance(from, old));
        }
        self.credit_at(view, to, value)?;
        Ok(true)
    }

    /// Charges the sender at `i` at validation: its balance becomes `balance` and, when given, its nonce
    /// `nonce`, both already read. No undo entries, as for [`Journal::prewarm_account`]: only a failed
    /// deposit discards changes made below every checkpoint, and a deposit is not charged this way.
    pub(crate) fn charge_sender_at(&mut self, i: AccIdx, balance: U256, nonce: Option<u64>) {
        let acc = &mut self.accs[i as usize];
        acc.balance = Some(balance);
        if nonce.is_some() {
            acc.nonce = nonce;
        }
    }

    /// Sets a nonce (reads it first).
    pub fn set_nonce(
        &mut self,
        view: &dyn StateView,
        address: Address,
        nonce: u64,
    ) -> Result<(), ViewError> {
        let i = self.idx(address);
        self.set_nonce_at(view, i, nonce)
    }

    /// [`Journal::set_nonce`] of the account at `i`.
    pub(crate) fn set_nonce_at(
        &mut self,
        view: &dyn StateView,
        i: AccIdx,
        nonce: u64,
    ) -> Result<(), ViewError> {
        let old = self.nonce_at(view, i)?;
        self.at(i).nonce = Some(nonce);
        self.undo.push(Undo::Nonce(i, old));
        Ok(())
    }

    fn set_code_hash_at(&mut self, i: AccIdx, hash: B256, code: Option<Code>) {
        let acc = self.at(i);
        let old_hash = acc.code_hash.unwrap_or(acc.orig_code_hash);
        let old_code = acc.code.take();
        acc.code_hash = Some(hash);
        acc.code = code;
        self.undo.push(Undo::Code(i, old_hash, old_code));
    }

    /// Installs code on an account (contract deployment or EIP-7702 delegation).
    pub fn set_code(
        &mut self,
        view: &dyn StateView,
        address: Address,
        code: Code,
    ) -> Result<(), ViewError> {
        let i = self.idx(address);
        self.code_hash_at(view, i)?;
        let hash = if code.is_empty() {
            KECCAK_EMPTY
        } else {
            code.hash()
        };
        self.set_code_hash_at(i, hash, Some(code));
        Ok(())
    }

    /// Marks `address` as created in this transaction: storage starts empty, nonce becomes `nonce`.
    /// Callers check for collisions first.
    pub fn create_account(
        &mut self,
        view: &dyn StateView,
        address: Address,
        nonce: u64,
    ) -> Result<(), ViewError> {
        self.touch(view, address)?;
        self.set_nonce(view, address, nonce)?;
        let i = self.idx(address);
        let acc = self.at(i);
        if !acc.created {
            acc.created = true;
            // Storage of a fresh contract is empty (warmth from an access list stays).
            for s in acc.storage.values_mut() {
                s.original = U256::ZERO;
                s.current = U256::ZERO;
                s.loaded = true;
            }
            self.undo.push(Undo::Created(i));
        }
        Ok(())
    }

    /// True when `address` was created in this transaction.
    pub fn is_created(&mut self, address: Address) -> bool {
        let i = self.idx(address);
        self.accs[i as usize].created
    }

    /// Marks `address` for deletion at the end of the transaction (SELFDESTRUCT).
    pub fn mark_destroyed(&mut self, address: Address) {
        let i = self.idx(address);
        let acc = self.at(i);
        if !acc.destroyed {
            acc.destroyed = true;
            self.undo.push(Undo::Destroyed(i));
        }
    }

    /// True when `address` has executed SELFDESTRUCT in this transaction.
    pub fn is_destroyed(&mut self, address: Address) -> bool {
        let i = self.idx(address);
        self.accs[i as usize].destroyed
    }

    // ----- transient storage (EIP-1153) -----

    /// TLOAD.
    pub fn tload(&mut self, address: Address, slot: U256) -> U256 {
        if self.fork.is_some() {
            let i = self.idx(address);
            return self.fork_transient(i, slot);
        }
        self.find(&address)
            .and_then(|i| self.transient.get(&(i, slot)).copied())
            .unwrap_or_default()
    }

    /// TSTORE.
    pub fn tstore(&mut self, address: Address, slot: U256, value: U256) {
        let i = self.idx(address);
        if self.fork.is_some() {
            // The value before this store may be the seed's.
            self.fork_transient(i, slot);
        }
        let old = self.transient.insert((i, slot), value).unwrap_or_default();
        if old != value {
            self.undo.push(Undo::Transient(i, slot, old));
        }
    }

    // ----- logs -----

    /// Appends a log (rolled back with its frame).
    pub fn log(&mut self, log: Log) {
        self.logs.push(log);
    }

    // ----- end of transaction -----

    /// Deletes touched empty accounts (EIP-161, Spurious Dragon on). Reads first, then deletes, so a
    /// `NotReady` leaves the journal unchanged.
    pub fn clear_touched_empty(&mut self, view: &dyn StateView) -> Result<(), ViewError> {
        if !self.spec_spurious {
            return Ok(());
        }
        // Usually every touched account's emptiness is known from what the transaction loaded: then no
        // read happens and the order does not matter.
        if self.clear_known_empty() {
            return Ok(());
        }
        // In address order (the order of the reads); the empty ones are gathered at the front of the
        // same (reused) list.
        let mut touched = std::mem::take(&mut self.scratch);
        touched.clear();
        touched.extend((0..self.addrs.len() as AccIdx).filter(|&i| {
            let a = &self.accs[i as usize];
            a.touched && !a.destroyed
        }));
        touched.sort_unstable_by_key(|&i| self.accs[i as usize].address);
        let mut empty = 0;
        let mut result = Ok(());
        for k in 0..touched.len() {
            match self.is_empty_at(view, touched[k]) {
                Ok(true) => {
                    touched[empty] = touched[k];
                    empty += 1;
                }
                Ok(false) => {}
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        if result.is_ok() {
            for &i in &touched[..empty] {
                self.at(i).destroyed = true;
            }
        }
        self.scratch = touched;
        result
    }

    /// [`Journal::clear_touched_empty`] when no touched account needs a read to tell whether it is empty:
    /// marks the empty ones deleted and returns true; otherwise changes nothing and returns false.
    fn clear_known_empty(&mut self) -> bool {
        let live = &self.accs[..self.addrs.len()];
        let mut any = false;
        for a in live {
            if a.touched && !a.destroyed {
                match a.known_empty() {
                    Some(e) => any |= e,
                    None => return false,
                }
            }
        }
        if any {
            for a in &mut self.accs[..self.addrs.len()] {
                if a.touched && !a.destroyed && a.known_empty() == Some(true) {
                    a.destroyed = true;
                }
            }
        }
        true
    }

    /// The accounts whose balance this transaction loaded (a read in its read set) and used only in checks
    /// that it covers a transfer out, each with the least loaded value for which every such check passes
    /// as it did: contracts only (code that neither this transaction nor EIP-161 changes), so that whether
    /// the account is empty never depended on the balance. Run with any loaded value at least the bound,
    /// the transaction does exactly the same, and its balance write moves by the difference: a validator
    /// may take a changed read of such a balance instead of re-executing (`TxOutcome::balance_bounds`).
    /// Empty when reads are not recorded. Call before [`Journal::finish`].
    pub fn balance_bounds(&self) -> Vec<(Address, U256)> {
        if self.skip_reads {
            return Vec::new();
        }
        self.accs[..self.addrs.len()]
            .iter()
            .filter(|a| {
                a.balance.is_some()
                    && !a.balance_used
                    && !a.created
                    && !a.destroyed
                    && a.code_hash == Some(a.orig_code_hash)
                    && a.orig_code_hash != B256::ZERO
                    && a.orig_code_hash != KECCAK_EMPTY
            })
            .map(|a| (a.address, a.balance_bound))
            .collect()
    }

    /// Takes the read set, write set and logs out of the journal (what is left goes back to this thread's
    /// pool when the journal is dropped).
    pub fn finish(&mut self) -> (ReadSet, WriteSet, Vec<Log>) {
        // Built in address order: the accounts' indices are sorted (not the larger writes).
        let mut order = std::mem::take(&mut self.scratch);
        order.clear();
        let live = self.addrs.len();
        order.extend(0..live as AccIdx);
        order.sort_unstable_by_key(|&i| self.accs[i as usize].address);
        let mut writes: Vec<AccountWrite> = Vec::with_capacity(live);
        for &i in &order {
            let acc = &self.accs[i as usize];
            // Each write is built where it is kept and taken off again when it changes nothing:
            // `resize_with` writes the new entry in place, where building it on the stack and pushing it
            // copied its bytes with a `memcpy` call per account.
            let n = writes.len();
            writes.resize_with(n + 1, || AccountWrite::new(acc.address));
            let Some(w) = writes.last_mut() else {
                continue;
            };
            if acc.destroyed {
                // Deleting an account that never existed changes nothing.
                let existed = acc.orig_code_hash != B256::ZERO || acc.code_hash.is_none();
                if existed {
                    w.destroyed = true;
                } else {
                    writes.pop();
                }
                continue;
            }
            match acc.balance {
                Some(b) if b != acc.orig_balance => w.balance = Some(BalanceWrite::Set(b)),
                None if !acc.credit.is_zero() => w.balance = Some(BalanceWrite::Add(acc.credit)),
                _ => {}
            }
            if let Some(n) = acc.nonce {
                if n != acc.orig_nonce {
                    w.nonce = Some(n);
                }
            }
            if let Some(h) = acc.code_hash {
                if h != acc.orig_code_hash {
                    let code = acc.code.clone().unwrap_or_else(Bytecode::empty);
                    w.code = Some((h, code));
                }
            }
            w.storage_reset = acc.created;
            if !acc.storage.is_empty() {
                let mut slots: Vec<(U256, U256)> = acc
                    .storage
                    .iter()
                    .filter(|(_, s)| {
                        s.loaded
                            && (s.current != s.original || (acc.created && !s.current.is_zero()))
                    })
                    .map(|(k, s)| (k.0, s.current))
                    .collect();
                slots.sort_unstable_by_key(|(k, _)| *k);
                w.storage = slots;
            }
            let changes = w.balance.is_some()
                || w.nonce.is_some()
                || w.code.is_some()
                || w.storage_reset
                || !w.storage.is_empty();
            if !changes {
                writes.pop();
            }
        }
        self.scratch = order;
        (
            std::mem::take(&mut self.reads),
            writes,
            std::mem::take(&mut self.logs),
        )
    }

    /// Logs emitted so far.
    pub fn logs(&self) -> &[Log] {
        &self.logs
    }

    /// Drops everything except the loaded values and the read set, for a reverted or halted transaction
    /// whose fee still has to be charged.
    pub fn discard_changes(&mut self) {
        self.revert(Checkpoint {
            undo_len: 0,
            logs_len: 0,
        });
        self.undo.clear();
    }

    /// Stops recording reads: [`Journal::finish`] then hands out an empty read set. For a caller that
    /// applies each result to its own state and never validates it (nothing is allocated for the set).
    pub fn without_read_set(&mut self) {
        self.skip_reads = true;
        self.reads.clear();
    }

    /// Records that `location` was read with `value` (when recording).
    #[inline(always)]
    fn record(&mut self, location: Location, value: U256) {
        if !self.skip_reads {
            reads_room(&mut self.reads).push((location, value));
        }
    }

    /// Number of locations read so far.
    pub fn reads_len(&self) -> usize {
        self.reads.len()
    }

    /// A copy of this journal's state for a redo point (`transact/redo.rs`), without its read set: the
    /// set only grows, so a redo takes the prefix it had from the finished execution's outcome
    /// ([`Journal::restore_reads`]). `None` for a journal that records no read set (nothing could tell a
    /// redo where to start) or that runs a helper frame (forked; never redone).
    pub(crate) fn snapshot(&self) -> Option<Journal> {
        if self.skip_reads || self.fork.is_some() {
            return None;
        }
        Some(Journal {
            addrs: self.addrs.clone(),
            index: self.index.clone(),
            accs: self.accs[..self.addrs.len()].to_vec(),
            last: None,
            undo: self.undo.clone(),
            transient: self.transient.clone(),
            scratch: Vec::new(),
            logs: self.logs.clone(),
            reads: Vec::new(),
            skip_reads: false,
            spec_spurious: self.spec_spurious,
            warm_precompiles: self.warm_precompiles,
            precompiles: self.precompiles,
            fork: None,
        })
    }

    /// Gives a journal restored from [`Journal::snapshot`] the read set it had then: `reads`, the first
    /// [`Journal::reads_len`] entries of the read set the execution went on to record.
    pub(crate) fn restore_reads(&mut self, reads: &[(Location, U256)]) {
        self.reads.clear();
        reads_room(&mut self.reads).extend_from_slice(reads);
    }

    /// Addresses loaded into the journal (for diagnostics).
    pub fn touched_addresses(&self) -> HashSet<Address> {
        self.addrs.iter().copied().collect()
    }
}

impl Drop for Journal {
    /// Gives the account tables back to this thread's pool.
    fn drop(&mut self) {
        if self.accs.capacity() == 0 {
            return;
        }
        pool::give(self);
    }
}

/// The allocations of a journal that do not leave with its outcome: reused across transactions.
#[derive(Default)]
struct Tables {
    addrs: Vec<Address>,
    index: AddressMap<AccIdx>,
    accs: Vec<JAccount>,
    undo: Vec<Undo>,
    transient: HashMap<(AccIdx, U256), U256>,
    scratch: Vec<AccIdx>,
}

/// A per-thread pool of journal tables, so that a transaction does not allocate (and free) its account
/// list, address list and undo log: a plain transfer would spend a tenth of its time there. A parked
/// transaction keeps its journal, so a thread may need several; a few are kept, small ones only.
mod pool {
    use super::Tables;
    use std::cell::RefCell;

    /// Most tables kept per thread.
    const MAX_POOLED: usize = 8;
    /// Tables that grew past this many accounts are freed rather than kept.
    const MAX_ACCOUNTS: usize = 256;

    thread_local! {
        static POOL: RefCell<Vec<Tables>> = const { RefCell::new(Vec::new()) };
    }

    /// Empty tables, reused when this thread has some.
    pub(super) fn take() -> Tables {
        POOL.try_with(|p| p.borrow_mut().pop())
            .ok()
            .flatten()
            .unwrap_or_else(|| Tables {
                addrs: Vec::with_capacity(4),
                index: Default::default(),
                accs: Vec::with_capacity(4),
                undo: Vec::with_capacity(16),
                transient: Default::default(),
                scratch: Vec::with_capacity(4),
            })
    }

    /// Clears the tables of `j` and keeps them for the next journal of this thread (or leaves them to
    /// `j`'s drop). They are moved field by field into their place in the pool (`resize_with`): a
    /// `Tables` value pushed whole was copied with a `memcpy` call.
    pub(super) fn give(j: &mut super::Journal) {
        if j.accs.capacity() > MAX_ACCOUNTS {
            return;
        }
        // The account entries stay: the next journal resets each in place when it adds an account
        // (`addrs` holds how many are live).
        j.addrs.clear();
        j.index.clear();
        j.undo.clear();
        j.transient.clear();
        // `try_with`: a journal dropped while the thread exits finds the pool gone; it is freed instead.
        let _ = POOL.try_with(|p| {
            let mut p = p.borrow_mut();
            let n = p.len();
            if n < MAX_POOLED {
                p.resize_with(n + 1, || Tables {
                    addrs: std::mem::take(&mut j.addrs),
                    index: std::mem::take(&mut j.index),
                    accs: std::mem::take(&mut j.accs),
                    undo: std::mem::take(&mut j.undo),
                    transient: std::mem::take(&mut j.transient),
                    scratch: std::mem::take(&mut j.scratch),
                });
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::TxIdx;

    /// A view over nothing: every account is absent.
    struct Empty(Option<TxIdx>);
    impl StateView for Empty {
        fn balance(&self, _: Address) -> Result<U256, ViewError> {
            self.0
                .map_or(Ok(U256::from(100)), |t| Err(ViewError::NotReady(t)))
        }
        fn nonce(&self, _: Address) -> Result<u64, ViewError> {
            Ok(0)
        }
        fn code_hash(&self, _: Address) -> Result<B256, ViewError> {
            Ok(KECCAK_EMPTY)
        }
        fn code_by_hash(&self, _: B256) -> Result<Code, ViewError> {
            Ok(Bytecode::empty())
        }
        fn storage(&self, _: Address, _: U256) -> Result<U256, ViewError> {
            Ok(U256::from(7))
        }
        fn block_hash(&self, _: u64) -> Result<B256, ViewError> {
            Ok(B256::ZERO)
        }
        fn has_storage(&self, _: Address) -> Result<bool, ViewError> {
            Ok(true)
        }
    }

    /// Every account is a contract (a code hash neither absent nor empty) with a balance of 100.
    const CONTRACTS: test_views::Uniform = test_views::Uniform {
        balance: 100,
        code_hash: B256::repeat_byte(0xc0),
    };

    /// A contract that pays out twice, with a credit between, keeps the least loaded balance that would
    /// have paid both: 100 loaded, 30 out (70 left), 20 in (90), 60 out: passes for any loaded value of
    /// at least 100 - (90 - 60) = 70; the first payment alone needed 30.
    #[test]
    fn a_balance_only_checked_for_payments_is_bounded() {
        let (a, b) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let mut j = Journal::new(SpecId::CANCUN);
        j.code_hash(&CONTRACTS, a).unwrap();
        assert!(j.transfer(&CONTRACTS, a, b, U256::from(30)).unwrap());
        j.credit(&CONTRACTS, a, U256::from(20)).unwrap();
        assert!(j.transfer(&CONTRACTS, a, b, U256::from(60)).unwrap());
        assert_eq!(j.balance_bounds(), vec![(a, U256::from(70))]);
        let (reads, writes, _) = j.finish();
        assert!(reads.contains(&(Location::Balance(a), U256::from(100))));
        assert_eq!(writes[0].balance, Some(BalanceWrite::Set(U256::from(30))));
    }

    /// A zero-value call still loads the caller's balance; it bounds nothing.
    #[test]
    fn a_zero_payment_leaves_a_bound_of_zero() {
        let (a, b) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let mut j = Journal::new(SpecId::CANCUN);
        j.code_hash(&CONTRACTS, a).unwrap();
        assert!(j.transfer(&CONTRACTS, a, b, U256::ZERO).unwrap());
        assert_eq!(j.balance_bounds(), vec![(a, U256::ZERO)]);
    }

    /// Any other use of the balance, a payment that fails, an account without code, or one whose code the
    /// transaction changed: no bound (the validator must see the exact value).
    #[test]
    fn other_uses_of_a_balance_leave_no_bound() {
        let (a, b) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let run = |f: &dyn Fn(&mut Journal)| {
            let mut j = Journal::new(SpecId::CANCUN);
            j.code_hash(&CONTRACTS, a).unwrap();
            f(&mut j);
            j.balance_bounds()
        };
        assert_eq!(
            run(&|j| {
                j.transfer(&CONTRACTS, a, b, U256::from(1)).unwrap();
            })
            .len(),
            1
        );
        assert!(run(&|j| {
            j.transfer(&CONTRACTS, a, b, U256::from(1)).unwrap();
            j.balance(&CONTRACTS, a).unwrap();
        })
        .is_empty());
        assert!(run(&|j| {
            assert!(!j.transfer(&CONTRACTS, a, b, U256::from(101)).unwrap());
        })
        .is_empty());
        assert!(run(&|j| {
            let i = j.idx(a);
            j.set_code_hash_at(i, B256::repeat_byte(0xc1), None);
            j.transfer(&CONTRACTS, a, b, U256::from(1)).unwrap();
        })
        .is_empty());
        // An account without code: its emptiness may turn on the balance.
        let mut j = Journal::new(SpecId::CANCUN);
        j.transfer(&Empty(None), a, b, U256::from(1)).unwrap();
        assert!(j.balance_bounds().is_empty());
    }

    #[test]
    fn blind_credit_becomes_add() {
        let mut j = Journal::new(SpecId::CANCUN);
        let a = Address::repeat_byte(1);
        j.credit(&Empty(None), a, U256::from(5)).unwrap();
        let (reads, writes, _) = j.finish();
        assert!(!reads.iter().any(|(l, _)| matches!(l, Location::Balance(_))));
        assert_eq!(writes[0].balance, Some(BalanceWrite::Add(U256::from(5))));
    }

    #[test]
    fn read_after_credit_sees_sum_and_sets() {
        let mut j = Journal::new(SpecId::CANCUN);
        let a = Address::repeat_byte(1);
        j.credit(&Empty(None), a, U256::from(5)).unwrap();
        assert_eq!(j.balance(&Empty(None), a).unwrap(), U256::from(105));
        let (_, writes, _) = j.finish();
        assert_eq!(writes[0].balance, Some(BalanceWrite::Set(U256::from(105))));
    }

    #[test]
    fn revert_restores_storage_and_credit() {
        let mut j = Journal::new(SpecId::CANCUN);
        let v = Empty(None);
        let a = Address::repeat_byte(2);
        let cp = j.checkpoint();
        j.sstore(&v, a, U256::from(1), U256::from(9)).unwrap();
        j.credit(&v, a, U256::from(3)).unwrap();
        j.revert(cp);
        assert_eq!(j.slot(&v, a, U256::from(1)).unwrap().current, U256::from(7));
        assert_eq!(j.balance(&v, a).unwrap(), U256::from(100));
    }

    #[test]
    fn not_ready_changes_nothing() {
        let mut j = Journal::new(SpecId::CANCUN);
        let a = Address::repeat_byte(3);
        assert_eq!(j.balance(&Empty(Some(4)), a), Err(ViewError::NotReady(4)));
        assert_eq!(j.reads_len(), 0);
        assert_eq!(j.balance(&Empty(None), a).unwrap(), U256::from(100));
        assert_eq!(j.reads_len(), 1);
    }
}
