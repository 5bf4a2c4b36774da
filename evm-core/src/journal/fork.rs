//! A journal forked to run one call frame apart from the transaction that will use its result (issue 16,
//! frame lookahead; the protocol is in `docs/frames.md`).
//!
//! ```text
//! committer's (or scout's) journal at a CALL --seed()--> Seed --fork()--> forked journal
//!   forked journal runs the child frame (its reads of the seed logged, its view reads recorded as usual)
//!   --fork_finish()--> FrameReads + FrameEffects
//! committer at the same CALL: check_frame_reads() (no change) --> apply_frame() (prefetch, loads, effects)
//! ```
//!
//! A forked journal starts empty and loads every location on first use, like any journal, through a
//! [`SeedView`] that answers from the seed's values and falls back to the real view, so its read set lists
//! every balance, nonce, code hash and slot value the frame depended on. What a view cannot carry comes
//! from the seed on the first touch and is logged as a [`SeedRead`]: an account's warm, created and
//! destroyed flags, a slot's warmth and, when the seed had loaded it, its current and original values, and
//! transient storage. A frame's run is a deterministic function of its request, its gas limit and those
//! values, so when every one of them equals the committer's at the call, applying the frame's net effect
//! through the committer's journal (with undo entries, so an ancestor's revert undoes it) leaves the same
//! journal as running the frame there.

use super::prefetch::Prefetch;
use super::{AccIdx, Journal, Slot, SlotKey, SlotMap, Undo};
use crate::code::Code;
use crate::view::{Location, StateView, ViewError};
use alloy_primitives::map::{AddressMap, B256Map, HashMap, HashSet};
use alloy_primitives::{Address, Log, B256, U256};
use revm_primitives::KECCAK_EMPTY;
use std::sync::Arc;

/// What a forked journal starts from: a copy of another journal's state at one call.
#[derive(Debug, Default)]
pub struct Seed {
    accounts: AddressMap<SeedAccount>,
    transient: HashMap<(Address, U256), U256>,
    /// Code installed in this transaction (not in the view's code store yet), by hash.
    codes: B256Map<Code>,
}

/// One account of a [`Seed`].
#[derive(Debug, Default, Clone)]
struct SeedAccount {
    balance: Option<U256>,
    credit: U256,
    nonce: Option<u64>,
    code_hash: Option<B256>,
    warm: bool,
    created: bool,
    destroyed: bool,
    storage: SlotMap,
}

/// A state view that answers from a [`Seed`]'s values where it has them and from `base` elsewhere.
pub struct SeedView<'a> {
    seed: &'a Seed,
    base: &'a dyn StateView,
}

impl<'a> SeedView<'a> {
    /// The view of `seed` over `base`.
    pub fn new(seed: &'a Seed, base: &'a dyn StateView) -> Self {
        Self { seed, base }
    }
}

impl StateView for SeedView<'_> {
    fn balance(&self, address: Address) -> Result<U256, ViewError> {
        match self.seed.accounts.get(&address) {
            Some(a) => match a.balance {
                Some(b) => Ok(b),
                None => Ok(self.base.balance(address)? + a.credit),
            },
            None => self.base.balance(address),
        }
    }
    fn nonce(&self, address: Address) -> Result<u64, ViewError> {
        match self.seed.accounts.get(&address).and_then(|a| a.nonce) {
            Some(n) => Ok(n),
            None => self.base.nonce(address),
        }
    }
    fn code_hash(&self, address: Address) -> Result<B256, ViewError> {
        match self.seed.accounts.get(&address).and_then(|a| a.code_hash) {
            Some(h) => Ok(h),
            None => self.base.code_hash(address),
        }
    }
    fn code_by_hash(&self, code_hash: B256) -> Result<Code, ViewError> {
        match self.seed.codes.get(&code_hash) {
            Some(c) => Ok(c.clone()),
            None => self.base.code_by_hash(code_hash),
        }
    }
    fn storage(&self, address: Address, slot: U256) -> Result<U256, ViewError> {
        if let Some(a) = self.seed.accounts.get(&address) {
            match a.storage.get(&SlotKey(slot)) {
                Some(s) if s.loaded => return Ok(s.current),
                _ if a.created => return Ok(U256::ZERO),
                _ => {}
            }
        }
        self.base.storage(address, slot)
    }
    fn block_hash(&self, number: u64) -> Result<B256, ViewError> {
        self.base.block_hash(number)
    }
    fn has_storage(&self, address: Address) -> Result<bool, ViewError> {
        self.base.has_storage(address)
    }
}

/// A value a forked journal took from its seed rather than through its view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SeedRead {
    /// An account's flags on its first touch.
    Account {
        /// The account.
        address: Address,
        /// Warm (EIP-2929).
        warm: bool,
        /// Created in this transaction.
        created: bool,
        /// SELFDESTRUCT executed in this transaction.
        destroyed: bool,
        /// The seed held the account: anything the frame knew of it may have come from the seed, not
        /// only through the view.
        seeded: bool,
    },
    /// A slot on its first touch: its warmth, and its values when the seed knew them (`current` is `None`
    /// when the value came through the view, which recorded it).
    Slot {
        /// The account.
        address: Address,
        /// The slot.
        slot: U256,
        /// Warm (EIP-2929).
        warm: bool,
        /// Current value, when taken from the seed.
        current: Option<U256>,
        /// Value at the transaction's start, when taken from the seed.
        original: U256,
    },
    /// Whether an account was non-empty by what the journal had already loaded (a credit kept apart while
    /// its balance is unread, or a loaded non-zero balance), taken from the seed when the frame asked for
    /// its emptiness (EIP-161) before it had loaded or credited the balance itself. The answer decides
    /// what running the frame reads ([`Journal::is_empty`] reads nothing more when it is yes, the code
    /// hash, nonce and balance when it is no), so it must be the committer's too: otherwise the frame's
    /// read set, loaded at the call, is not the one running it there records.
    KnownNonEmpty {
        /// The account.
        address: Address,
        /// Non-empty by the seed's loaded values.
        known: bool,
    },
    /// A transient slot (EIP-1153) on its first touch.
    Transient {
        /// The account.
        address: Address,
        /// The slot.
        slot: U256,
        /// Its value.
        value: U256,
    },
}

/// Everything a helper frame's run depended on, in the order it was first read.
#[derive(Clone, Debug, Default)]
pub struct FrameReads {
    /// Reads through the view, with the value seen.
    pub view: Vec<(Location, U256)>,
    /// Reads of the seed, each with the number of view reads made before it.
    pub seed: Vec<(u32, SeedRead)>,
    /// Gas the frame paid for cold accesses (EIP-2929) to an account (`None`) or slot that was cold in the
    /// seed, beyond what warm accesses cost: returned when it is warm at the committer.
    pub cold_paid: HashMap<(Address, Option<U256>), u64>,
    /// Accounts and slots warm in the seed that the frame accessed as warm: cold at the committer, the
    /// frame would have paid more.
    pub relied_warm: HashSet<(Address, Option<U256>)>,
    /// Accounts an `EXTCODEHASH` found absent ([`Journal::note_absent_observed`]).
    pub absent_observed: Vec<Address>,
}

/// The net change one account got from a helper frame.
#[derive(Clone, Debug, Default)]
pub struct AccountEffect {
    address: Address,
    warm: bool,
    touched: bool,
    created: bool,
    destroyed: bool,
    balance: Option<U256>,
    credit: U256,
    nonce: Option<u64>,
    code: Option<(B256, Option<Code>)>,
    /// Slot, newly warm, new value when changed.
    storage: Vec<(U256, bool, Option<U256>)>,
}

/// The net change of a helper frame's run, to apply to the committer's journal.
#[derive(Clone, Debug, Default)]
pub struct FrameEffects {
    accounts: Vec<AccountEffect>,
    transient: Vec<(Address, U256, U256)>,
    logs: Vec<Log>,
}

impl FrameEffects {
    /// Logs the frame emitted, in order.
    pub fn logs(&self) -> &[Log] {
        &self.logs
    }
}

/// Flags of an account at its first touch in the forked journal. (Not its EIP-161 touched flag: a forked
/// journal starts every account untouched, so that its effect says whether the frame touched it. Nothing
/// in a frame's run depends on the flag, only the clearing at the transaction's end; taking it from the
/// seed would lose the frame's touch of an account the seed had touched and the committer has not, as a
/// scout that went down a path the committer does not go leaves it.)
#[derive(Clone, Copy, Debug, Default)]
struct AccStart {
    warm: bool,
    created: bool,
    destroyed: bool,
}

/// The fork-only part of a journal.
#[derive(Debug)]
pub(super) struct ForkState {
    seed: Arc<Seed>,
    log: Vec<(u32, SeedRead)>,
    /// By account index (a forked journal starts empty, so indices follow first touches).
    acc_start: Vec<AccStart>,
    /// Slot at first touch: current value when taken from the seed, and warmth.
    slot_start: HashMap<(AccIdx, U256), (Option<U256>, bool)>,
    transient_start: HashMap<(AccIdx, U256), U256>,
    /// Something in the frame's subtree observed how much gas was left (see [`Journal::note_gas_sensitive`]).
    gas_sensitive: bool,
    cold_paid: HashMap<(Address, Option<U256>), u64>,
    relied_warm: HashSet<(Address, Option<U256>)>,
    /// Accounts whose absence (code hash zero) an `EXTCODEHASH` answered from.
    absent_observed: Vec<Address>,
}

impl ForkState {
    /// Fills a slot entry on its first touch from the seed: warmth always; values when the seed had them
    /// loaded, or zero for an account the seed created (returns true: nothing to read). Returns false when the
    /// value must come through the view.
    pub(super) fn seed_slot(
        &mut self,
        i: AccIdx,
        address: Address,
        slot: U256,
        created: bool,
        entry: &mut Slot,
        reads_pos: usize,
    ) -> bool {
        let start_created = self.acc_start.get(i as usize).is_some_and(|s| s.created);
        let s = self
            .seed
            .accounts
            .get(&address)
            .and_then(|a| a.storage.get(&SlotKey(slot)))
            .copied();
        let warm = entry.warm || s.is_some_and(|s| s.warm);
        entry.warm = warm;
        // (values, taken from the seed): a slot of an account this frame created is empty whatever the
        // seed held; one the seed loaded has the seed's values; one of an account created before the fork
        // is empty by the seed's word.
        let (known, from_seed) = match s {
            _ if created && !start_created => (Some((U256::ZERO, U256::ZERO)), false),
            Some(s) if s.loaded => (Some((s.current, s.original)), true),
            _ if created => (Some((U256::ZERO, U256::ZERO)), true),
            _ => (None, false),
        };
        let logged = known.filter(|_| from_seed);
        self.log.push((
            reads_pos as u32,
            SeedRead::Slot {
                address,
                slot,
                warm,
                current: logged.map(|k| k.0),
                original: logged.map_or(U256::ZERO, |k| k.1),
            },
        ));
        self.slot_start
            .insert((i, slot), (known.map(|k| k.0), warm));
        match known {
            Some((current, original)) => {
                entry.current = current;
                entry.original = original;
                entry.loaded = true;
                true
            }
            None => false,
        }
    }

    /// True when the seed holds a non-zero slot of `address` that the forked journal has not loaded (for
    /// the EIP-7610 check on an account created before the fork).
    pub(super) fn seed_has_storage(&self, address: Address, loaded: &SlotMap) -> bool {
        self.seed.accounts.get(&address).is_some_and(|a| {
            a.storage
                .iter()
                .any(|(k, s)| s.loaded && !s.current.is_zero() && !loaded.contains_key(k))
        })
    }
}

impl Journal {
    /// A copy of this journal's state, for forked journals to start from.
    pub fn seed(&self) -> Seed {
        let mut seed = Seed::default();
        for acc in &self.accs[..self.addrs.len()] {
            if let (Some(h), Some(c)) = (acc.code_hash, acc.code.as_ref()) {
                if h != acc.orig_code_hash {
                    seed.codes.insert(h, c.clone());
                }
            }
            seed.accounts.insert(
                acc.address,
                SeedAccount {
                    balance: acc.balance,
                    credit: acc.credit,
                    nonce: acc.nonce,
                    code_hash: acc.code_hash,
                    warm: acc.warm,
                    created: acc.created,
                    destroyed: acc.destroyed,
                    storage: acc.storage.clone(),
                },
            );
        }
        for (&(i, slot), &v) in &self.transient {
            seed.transient
                .insert((self.accs[i as usize].address, slot), v);
        }
        seed
    }

    /// An empty journal that runs one frame from `seed` (read it through a [`SeedView`] of the same seed).
    pub fn fork(
        spec: crate::spec::SpecId,
        precompiles: &'static revm_precompile::Precompiles,
        seed: Arc<Seed>,
    ) -> Self {
        let mut j = Self::with_precompiles(spec, precompiles);
        j.fork = Some(Box::new(ForkState {
            seed,
            log: Vec::new(),
            acc_start: Vec::new(),
            slot_start: HashMap::default(),
            transient_start: HashMap::default(),
            gas_sensitive: false,
            cold_paid: HashMap::default(),
            relied_warm: HashSet::default(),
            absent_observed: Vec::new(),
        }));
        j
    }

    /// True on a forked journal: its frame's run is watched for observations of the gas left.
    #[inline(always)]
    pub(crate) fn watches_gas(&self) -> bool {
        self.fork.is_some()
    }

    /// Records that the forked frame's run depended on its gas limit: a `GAS` whose value is used other than
    /// as the gas argument of the call right after it, or an exceptional halt (which consumes a frame's
    /// whole limit). Such a frame is applied only with exactly the limit it ran with.
    #[cold]
    pub(crate) fn note_gas_sensitive(&mut self) {
        if let Some(f) = self.fork.as_deref_mut() {
            f.gas_sensitive = true;
        }
    }

    /// Notes, in a forked journal, that an `EXTCODEHASH` answered zero for `address` because it was absent
    /// (code hash zero), without asking whether it was empty: an existing empty account gives zero too,
    /// but only after reading its nonce and balance, so such a frame is not taken where the account now
    /// exists ([`Journal::check_frame_reads`]).
    #[cold]
    pub(crate) fn note_absent_observed(&mut self, address: Address) {
        if let Some(f) = self.fork.as_deref_mut() {
            f.absent_observed.push(address);
        }
    }

    /// Notes an EIP-2929 access in a forked journal: `cold` (and `cold_extra` gas paid for it) or warm by
    /// the seed's word. Before Berlin warmth costs nothing and nothing is noted.
    #[cold]
    pub(super) fn note_access(
        &mut self,
        i: AccIdx,
        slot: Option<U256>,
        cold: bool,
        cold_extra: u64,
    ) {
        if !self.warm_precompiles {
            return;
        }
        let address = self.accs[i as usize].address;
        let Some(f) = self.fork.as_deref_mut() else {
            return;
        };
        let start_warm = match slot {
            None => f.acc_start.get(i as usize).is_some_and(|s| s.warm),
            Some(s) => f.slot_start.get(&(i, s)).is_some_and(|x| x.1),
        };
        if cold {
            *f.cold_paid.entry((address, slot)).or_default() += cold_extra;
        } else if start_warm {
            f.relied_warm.insert((address, slot));
        }
    }

    /// Takes the seed's flags for the account just added at `i` (forked journals only).
    #[cold]
    pub(super) fn seed_account(&mut self, i: AccIdx) {
        let Some(f) = self.fork.as_deref_mut() else {
            return;
        };
        let acc = &mut self.accs[i as usize];
        let seeded = f.seed.accounts.get(&acc.address);
        let s = seeded
            .map(|s| AccStart {
                warm: s.warm,
                created: s.created,
                destroyed: s.destroyed,
            })
            .unwrap_or_default();
        acc.warm = s.warm;
        acc.created = s.created;
        acc.destroyed = s.destroyed;
        debug_assert_eq!(f.acc_start.len(), i as usize);
        f.acc_start.push(s);
        f.log.push((
            self.reads.len() as u32,
            SeedRead::Account {
                address: acc.address,
                warm: s.warm,
                created: s.created,
                destroyed: s.destroyed,
                seeded: seeded.is_some(),
            },
        ));
    }

    /// In a forked journal, for [`Journal::is_empty`] of the account at `i` when the frame has neither
    /// loaded nor credited its balance: whether the seed knew it non-empty without a read (a credit, or a
    /// loaded non-zero balance), logged as a [`SeedRead::KnownNonEmpty`]. False on any other journal.
    #[cold]
    pub(super) fn seed_known_nonempty(&mut self, i: AccIdx) -> bool {
        let address = self.accs[i as usize].address;
        let reads_pos = self.reads.len() as u32;
        let Some(f) = self.fork.as_deref_mut() else {
            return false;
        };
        let known = f
            .seed
            .accounts
            .get(&address)
            .is_some_and(|a| !a.credit.is_zero() || a.balance.is_some_and(|b| !b.is_zero()));
        f.log
            .push((reads_pos, SeedRead::KnownNonEmpty { address, known }));
        known
    }

    /// The transient slot of the account at `i` in a forked journal, taken from the seed on first touch.
    pub(super) fn fork_transient(&mut self, i: AccIdx, slot: U256) -> U256 {
        if let Some(v) = self.transient.get(&(i, slot)) {
            return *v;
        }
        let address = self.accs[i as usize].address;
        let Some(f) = self.fork.as_deref_mut() else {
            return U256::ZERO;
        };
        let value = f
            .seed
            .transient
            .get(&(address, slot))
            .copied()
            .unwrap_or_default();
        f.log.push((
            self.reads.len() as u32,
            SeedRead::Transient {
                address,
                slot,
                value,
            },
        ));
        f.transient_start.insert((i, slot), value);
        self.transient.insert((i, slot), value);
        value
    }

    /// Ends a forked journal's frame: what it read, its net effect, and whether it was gas-sensitive.
    pub fn fork_finish(&mut self) -> (FrameReads, FrameEffects, bool) {
        let Some(f) = self.fork.take() else {
            return Default::default();
        };
        let mut effects = FrameEffects::default();
        for (k, acc) in self.accs[..self.addrs.len()].iter().enumerate() {
            let start = f.acc_start.get(k).copied().unwrap_or_default();
            let mut e = AccountEffect {
                address: acc.address,
                warm: acc.warm && !start.warm,
                touched: acc.touched,
                created: acc.created && !start.created,
                destroyed: acc.destroyed && !start.destroyed,
                ..Default::default()
            };
            match acc.balance {
                Some(b) if b != acc.orig_balance => e.balance = Some(b),
                None => e.credit = acc.credit,
                _ => {}
            }
            if let Some(n) = acc.nonce {
                if n != acc.orig_nonce {
                    e.nonce = Some(n);
                }
            }
            if let Some(h) = acc.code_hash {
                if h != acc.orig_code_hash {
                    e.code = Some((h, acc.code.clone()));
                }
            }
            for (key, s) in &acc.storage {
                let (start_current, start_warm) = f
                    .slot_start
                    .get(&(k as AccIdx, key.0))
                    .copied()
                    .unwrap_or((None, false));
                let start_current = start_current.unwrap_or(s.original);
                let changed = s.loaded && s.current != start_current;
                let warmed = s.warm && !start_warm;
                if changed || warmed {
                    e.storage
                        .push((key.0, warmed, changed.then_some(s.current)));
                }
            }
            if e.warm
                || e.touched
                || e.created
                || e.destroyed
                || e.balance.is_some()
                || !e.credit.is_zero()
                || e.nonce.is_some()
                || e.code.is_some()
                || !e.storage.is_empty()
            {
                effects.accounts.push(e);
            }
        }
        for (&(i, slot), &v) in &self.transient {
            let start = f
                .transient_start
                .get(&(i, slot))
                .copied()
                .unwrap_or_default();
            if v != start {
                effects
                    .transient
                    .push((self.accs[i as usize].address, slot, v));
            }
        }
        effects.logs = std::mem::take(&mut self.logs);
        let f = *f;
        let reads = FrameReads {
            view: std::mem::take(&mut self.reads),
            seed: f.log,
            cold_paid: f.cold_paid,
            relied_warm: f.relied_warm,
            absent_observed: f.absent_observed,
        };
        (reads, effects, f.gas_sensitive)
    }

    // ----- the committer's side -----

    /// Whether every value in `reads` equals what this journal holds now (or, for what it has not loaded,
    /// what `view` answers): `Some(refund)` when it does, where `refund` is the gas the frame paid for cold
    /// accesses to accounts and slots that are warm here (the frame then applies only when nothing in it
    /// depended on its gas), `None` when something differs (a flag, a value, or warmth the frame relied
    /// on). Changes nothing.
    pub fn check_frame_reads(
        &self,
        view: &dyn StateView,
        reads: &FrameReads,
    ) -> Result<Option<u64>, ViewError> {
        for &(loc, seen) in &reads.view {
            let now = self.peek(view, loc)?;
            if now != seen && !self.empty_either_way(view, reads, loc, seen, now)? {
                return Ok(None);
            }
        }
        let mut refund = 0u64;
        // Warm now where the frame saw cold: its cold accesses cost only the warm price here. Cold now
        // where it saw warm: fine unless it accessed it as warm.
        let mut warmth = |key: (Address, Option<U256>), seen: bool, now: bool| -> bool {
            match (seen, now) {
                (false, true) => {
                    refund += reads.cold_paid.get(&key).copied().unwrap_or(0);
                    true
                }
                (true, false) => !reads.relied_warm.contains(&key),
                _ => true,
            }
        };
        for (_, r) in &reads.seed {
            let same = match *r {
                SeedRead::Account {
                    address,
                    warm,
                    created,
                    destroyed,
                    ..
                } => {
                    let now = self.find(&address).map_or((false, false, false), |i| {
                        let a = &self.accs[i as usize];
                        (a.warm, a.created, a.destroyed)
                    });
                    (now.1, now.2) == (created, destroyed) && warmth((address, None), warm, now.0)
                }
                SeedRead::Slot {
                    address,
                    slot,
                    warm,
                    current,
                    original,
                } => {
                    let acc = self.find(&address).map(|i| &self.accs[i as usize]);
                    let entry = acc.and_then(|a| a.storage.get(&SlotKey(slot)));
                    if !warmth((address, Some(slot)), warm, entry.is_some_and(|e| e.warm)) {
                        false
                    } else if let Some(current) = current {
                        let now = match entry {
                            Some(e) if e.loaded => (e.current, e.original),
                            _ if acc.is_some_and(|a| a.created) => (U256::ZERO, U256::ZERO),
                            _ => {
                                let v = view.storage(address, slot)?;
                                (v, v)
                            }
                        };
                        now == (current, original)
                    } else {
                        true
                    }
                }
                SeedRead::KnownNonEmpty { address, known } => {
                    let now = self.find(&address).is_some_and(|i| {
                        let a = &self.accs[i as usize];
                        !a.credit.is_zero() || a.balance.is_some_and(|b| !b.is_zero())
                    });
                    now == known
                }
                SeedRead::Transient {
                    address,
                    slot,
                    value,
                } => {
                    let now = self
                        .find(&address)
                        .and_then(|i| self.transient.get(&(i, slot)).copied())
                        .unwrap_or_default();
                    now == value
                }
            };
            if !same {
                return Ok(None);
            }
        }
        Ok(Some(refund))
    }

    /// The value of `loc` as this journal would read it now, without loading or recording it.
    fn peek(&self, view: &dyn StateView, loc: Location) -> Result<U256, ViewError> {
        let acc = |a: &Address| self.find(a).map(|i| &self.accs[i as usize]);
        Ok(match loc {
            Location::Balance(a) => match acc(&a) {
                Some(x) => match x.balance {
                    Some(b) => b,
                    None => view.balance(a)? + x.credit,
                },
                None => view.balance(a)?,
            },
            Location::Nonce(a) => match acc(&a).and_then(|x| x.nonce) {
                Some(n) => U256::from(n),
                None => U256::from(view.nonce(a)?),
            },
            Location::CodeHash(a) => match acc(&a).and_then(|x| x.code_hash) {
                Some(h) => U256::from_be_bytes(h.0),
                None => U256::from_be_bytes(view.code_hash(a)?.0),
            },
            Location::Storage(a, s) => match acc(&a) {
                Some(x) => match x.storage.get(&SlotKey(s)) {
                    Some(e) if e.loaded => e.current,
                    _ if x.created => U256::ZERO,
                    _ => view.storage(a, s)?,
                },
                None => view.storage(a, s)?,
            },
            Location::HasStorage(a) => {
                let v = match acc(&a) {
                    Some(x) if x.created => x.storage.values().any(|s| !s.current.is_zero()),
                    _ => view.has_storage(a)?,
                };
                U256::from(u8::from(v))
            }
        })
    }

    /// A code-hash read that differs only as an absent account differs from an empty one, where no frame
    /// can tell them apart: the frame saw the account absent from the view (code hash zero, not in its
    /// seed, so no balance, nonce or credit), and here it exists empty (a touch by an earlier frame gave it
    /// the empty code hash) with no balance and nonce zero. From Spurious Dragon (EIP-161) both have no
    /// code, and every rule that asks whether the account is empty (new-account charges) reads the same
    /// locations either way; the one answer taken from absence alone, an `EXTCODEHASH` that gives zero
    /// without reading nonce and balance as it does for an existing account, is noted by the fork and
    /// keeps the frame out. The frame then reads and does what running it here would.
    fn empty_either_way(
        &self,
        view: &dyn StateView,
        reads: &FrameReads,
        loc: Location,
        seen: U256,
        now: U256,
    ) -> Result<bool, ViewError> {
        let Location::CodeHash(a) = loc else {
            return Ok(false);
        };
        if !self.spec_spurious || !seen.is_zero() || now != U256::from_be_bytes(KECCAK_EMPTY.0) {
            return Ok(false);
        }
        if reads.absent_observed.contains(&a) {
            return Ok(false);
        }
        let from_seed = reads.seed.iter().any(
            |(_, r)| matches!(r, SeedRead::Account { address, seeded: true, .. } if *address == a),
        );
        if from_seed {
            return Ok(false);
        }
        Ok(self.peek(view, Location::Balance(a))?.is_zero()
            && self.peek(view, Location::Nonce(a))?.is_zero())
    }

    /// Applies a helper frame that [`Journal::check_frame_reads`] accepted: loads what it read, in its
    /// order (so the read set is the one running the frame here would record), then its net effect with
    /// undo entries, then its logs. All or nothing: the view values it loads are read first
    /// ([`Prefetch`]), so an error (a read not ready) leaves this journal as it was.
    pub fn apply_frame(
        &mut self,
        view: &dyn StateView,
        reads: &FrameReads,
        effects: &FrameEffects,
    ) -> Result<(), ViewError> {
        let prefetched = Prefetch::of(self, view, reads)?;
        let view: &dyn StateView = &prefetched;
        let mut seed = reads.seed.iter().peekable();
        for (k, &(loc, _)) in reads.view.iter().enumerate() {
            while let Some((_, r)) = seed.next_if(|(pos, _)| *pos as usize <= k) {
                self.load_seed_read(view, r)?;
            }
            self.load_location(view, loc)?;
        }
        for (_, r) in seed {
            self.load_seed_read(view, r)?;
        }
        for e in &effects.accounts {
            self.apply_account(e);
        }
        for &(address, slot, value) in &effects.transient {
            let i = self.idx(address);
            let old = self.transient.insert((i, slot), value).unwrap_or_default();
            if old != value {
                self.undo.push(Undo::Transient(i, slot, old));
            }
        }
        self.logs.extend(effects.logs.iter().cloned());
        Ok(())
    }

    fn load_seed_read(&mut self, view: &dyn StateView, r: &SeedRead) -> Result<(), ViewError> {
        match *r {
            SeedRead::Account { address, .. } => {
                self.idx(address);
            }
            SeedRead::Slot {
                address,
                slot,
                current: Some(_),
                ..
            } => {
                self.slot(view, address, slot)?;
            }
            SeedRead::Slot { address, .. }
            | SeedRead::Transient { address, .. }
            | SeedRead::KnownNonEmpty { address, .. } => {
                self.idx(address);
            }
        }
        Ok(())
    }

    fn load_location(&mut self, view: &dyn StateView, loc: Location) -> Result<(), ViewError> {
        match loc {
            Location::Balance(a) => {
                self.balance(view, a)?;
            }
            Location::Nonce(a) => {
                self.nonce(view, a)?;
            }
            Location::CodeHash(a) => {
                self.code_hash(view, a)?;
            }
            Location::Storage(a, s) => {
                self.slot(view, a, s)?;
            }
            Location::HasStorage(a) => {
                self.has_storage(view, a)?;
            }
        }
        Ok(())
    }

    /// One account's net effect, through this journal with undo entries (every value it replaces was
    /// loaded by [`Journal::apply_frame`]).
    fn apply_account(&mut self, e: &AccountEffect) {
        let i = self.idx(e.address);
        let acc = &mut self.accs[i as usize];
        let mut undo = Vec::new();
        if e.warm && !acc.warm {
            acc.warm = true;
            undo.push(Undo::Warm(i));
        }
        if e.touched && !acc.touched {
            acc.touched = true;
            undo.push(Undo::Touched(i));
        }
        if e.created && !acc.created {
            acc.created = true;
            for s in acc.storage.values_mut() {
                s.original = U256::ZERO;
                s.current = U256::ZERO;
                s.loaded = true;
            }
            undo.push(Undo::Created(i));
        }
        if let Some(n) = e.nonce {
            let old = acc.nonce.unwrap_or(acc.orig_nonce);
            acc.nonce = Some(n);
            undo.push(Undo::Nonce(i, old));
        }
        if let Some(b) = e.balance {
            let old = acc.balance.unwrap_or(acc.orig_balance + acc.credit);
            acc.balance = Some(b);
            acc.balance_used = true;
            acc.credit = U256::ZERO;
            undo.push(Undo::Balance(i, old));
        }
        if !e.credit.is_zero() {
            match acc.balance.as_mut() {
                Some(b) => *b += e.credit,
                None => acc.credit += e.credit,
            }
            undo.push(Undo::Credit(i, e.credit));
        }
        if let Some((hash, code)) = &e.code {
            let old_hash = acc.code_hash.unwrap_or(acc.orig_code_hash);
            let old_code = acc.code.take();
            acc.code_hash = Some(*hash);
            acc.code = code.clone();
            undo.push(Undo::Code(i, old_hash, old_code));
        }
        let created = acc.created;
        for &(slot, warmed, value) in &e.storage {
            let entry = acc.storage.entry(SlotKey(slot)).or_default();
            if value.is_some() && !entry.loaded {
                // Only a slot of an account the frame created is written without being read first.
                debug_assert!(created, "frame wrote a slot it did not load");
                entry.original = U256::ZERO;
                entry.current = U256::ZERO;
                entry.loaded = true;
            }
            if warmed && !entry.warm {
                entry.warm = true;
                undo.push(Undo::SlotWarm(i, slot));
            }
            if let Some(v) = value {
                if entry.current != v {
                    undo.push(Undo::Storage(i, slot, entry.current));
                    entry.current = v;
                }
            }
        }
        if e.destroyed && !acc.destroyed {
            acc.destroyed = true;
            undo.push(Undo::Destroyed(i));
        }
        self.undo.extend(undo);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::test_views::Uniform;
    use crate::spec::SpecId;
    use revm_primitives::KECCAK_EMPTY;

    /// Every account exists without code, with a balance of 100.
    const FUNDED: Uniform = Uniform {
        balance: 100,
        code_hash: KECCAK_EMPTY,
    };
    /// Every account exists (no code) and is empty (EIP-161).
    const EMPTY: Uniform = Uniform {
        balance: 0,
        code_hash: KECCAK_EMPTY,
    };
    /// Every account is absent.
    const ABSENT: Uniform = Uniform {
        balance: 0,
        code_hash: B256::ZERO,
    };

    const SPEC: SpecId = SpecId::CANCUN;
    const A: Address = Address::repeat_byte(0xa1);

    /// Runs "is `A` empty?" as a helper frame forked from `seed_from` and returns its reads and effects.
    fn emptiness_frame(seed_from: &Journal) -> (FrameReads, FrameEffects, bool) {
        let seed = Arc::new(seed_from.seed());
        let mut fork = Journal::fork(SPEC, crate::precompiles::set(SPEC), seed.clone());
        let empty = fork.is_empty(&SeedView::new(&seed, &FUNDED), A).unwrap();
        let (reads, effects, _) = fork.fork_finish();
        (reads, effects, empty)
    }

    /// `prepare` run on a journal, then "is `A` empty?" as a helper frame seeded from it, checked and
    /// applied: the answer and the read set are the ones of asking inline.
    fn frame_equals_inline(prepare: impl Fn(&mut Journal)) {
        let mut inline = Journal::new(SPEC);
        prepare(&mut inline);
        let inline_empty = inline.is_empty(&FUNDED, A).unwrap();
        let mut committer = Journal::new(SPEC);
        prepare(&mut committer);
        let (reads, effects, empty) = emptiness_frame(&committer);
        assert_eq!(empty, inline_empty);
        assert_eq!(committer.check_frame_reads(&FUNDED, &reads), Ok(Some(0)));
        committer.apply_frame(&FUNDED, &reads, &effects).unwrap();
        assert_eq!(committer.finish().0, inline.finish().0);
    }

    /// An account the committer knows non-empty from a loaded balance: the frame reads nothing more of it
    /// (before, it read the code hash and nonce too, and applying it added a nonce read that running it
    /// inline does not make).
    #[test]
    fn emptiness_from_a_loaded_balance_reads_what_inline_reads() {
        frame_equals_inline(|j| {
            j.balance(&FUNDED, A).unwrap();
        });
    }

    /// An account the committer knows non-empty from a credit kept apart (its balance unread): the frame
    /// reads neither its nonce nor its balance (a fee recipient's balance read would serialize blocks).
    #[test]
    fn emptiness_from_a_credit_reads_what_inline_reads() {
        frame_equals_inline(|j| {
            j.credit(&FUNDED, A, U256::from(5)).unwrap();
        });
    }

    /// Nothing known: the frame reads the code hash, nonce and balance, as inline.
    #[test]
    fn emptiness_of_an_unloaded_account_reads_what_inline_reads() {
        frame_equals_inline(|_| {});
    }

    /// A stale seed: the committer loaded the balance after the seed was taken, so running the frame there
    /// would read nothing more, while the frame read the code hash, nonce and balance: the check must
    /// discard it (every value it read is still the same).
    #[test]
    fn emptiness_decided_differently_since_the_seed_is_discarded() {
        let mut committer = Journal::new(SPEC);
        let (reads, _, _) = emptiness_frame(&committer);
        committer.balance(&FUNDED, A).unwrap();
        assert_eq!(committer.check_frame_reads(&FUNDED, &reads), Ok(None));
        // And the other way: known non-empty in the seed, not at the committer (a fresh journal).
        let mut seeded = Journal::new(SPEC);
        seeded.balance(&FUNDED, A).unwrap();
        let (reads, _, _) = emptiness_frame(&seeded);
        assert_eq!(
            Journal::new(SPEC).check_frame_reads(&FUNDED, &reads),
            Ok(None)
        );
    }

    /// A frame that touches an empty account (EIP-161) the seed had touched already and the committer has not
    /// (a scout's seed from a path the committer did not take): applied, the account is touched at the
    /// committer and cleared at the transaction's end, as running the frame there does.
    #[test]
    fn a_frames_touch_is_applied_whatever_the_seed_had_touched() {
        let mut seeded = Journal::new(SPEC);
        seeded.touch(&EMPTY, A).unwrap();
        let seed = Arc::new(seeded.seed());
        let mut fork = Journal::fork(SPEC, crate::precompiles::set(SPEC), seed.clone());
        fork.touch(&SeedView::new(&seed, &EMPTY), A).unwrap();
        let (reads, effects, _) = fork.fork_finish();
        let mut committer = Journal::new(SPEC);
        assert_eq!(committer.check_frame_reads(&EMPTY, &reads), Ok(Some(0)));
        committer.apply_frame(&EMPTY, &reads, &effects).unwrap();
        committer.clear_touched_empty(&EMPTY).unwrap();
        let mut inline = Journal::new(SPEC);
        inline.touch(&EMPTY, A).unwrap();
        inline.clear_touched_empty(&EMPTY).unwrap();
        let (inline_reads, inline_writes, _) = inline.finish();
        assert!(inline_writes.iter().any(|w| w.address == A && w.destroyed));
        assert_eq!(
            committer.finish(),
            (inline_reads, inline_writes, Vec::new())
        );
    }

    /// A frame forked from `committer` (as a scout's seed would be) that touches `a`, as a call to an
    /// absent account or a precompile does.
    /// With `hashed`, as an `EXTCODEHASH` of it does first.
    fn frame_touching(spec: SpecId, committer: &Journal, a: Address, hashed: bool) -> FrameReads {
        let seed = Arc::new(committer.seed());
        let mut f = Journal::fork(spec, crate::precompiles::set(spec), seed.clone());
        if hashed {
            f.code_hash(&SeedView::new(&seed, &ABSENT), a).unwrap();
            f.note_absent_observed(a);
        }
        f.touch(&SeedView::new(&seed, &ABSENT), a).unwrap();
        f.fork_finish().0
    }

    #[test]
    fn absent_and_touched_empty_are_one_for_a_frame_from_spurious_dragon() {
        let a = Address::repeat_byte(1);
        let mut committer = Journal::new(SpecId::CANCUN);
        let reads = frame_touching(SpecId::CANCUN, &committer, a, false);
        assert_eq!(
            reads.view.first(),
            Some(&(Location::CodeHash(a), U256::ZERO))
        );
        // An earlier sibling, run here, touched `a`: it now exists, empty.
        committer.touch(&ABSENT, a).unwrap();
        let before = committer.reads_len();
        assert_eq!(committer.check_frame_reads(&ABSENT, &reads), Ok(Some(0)));
        committer
            .apply_frame(&ABSENT, &reads, &FrameEffects::default())
            .unwrap();
        // Running the frame here reads nothing new: the committer had loaded `a`.
        assert_eq!(committer.reads_len(), before);
    }

    #[test]
    fn a_frame_whose_extcodehash_saw_absence_needs_the_account_absent() {
        let a = Address::repeat_byte(1);
        let mut committer = Journal::new(SpecId::CANCUN);
        let reads = frame_touching(SpecId::CANCUN, &committer, a, true);
        committer.touch(&ABSENT, a).unwrap();
        assert_eq!(committer.check_frame_reads(&ABSENT, &reads), Ok(None));
    }

    #[test]
    fn absent_and_empty_differ_with_a_balance_or_before_spurious_dragon() {
        let a = Address::repeat_byte(1);
        let mut committer = Journal::new(SpecId::CANCUN);
        let reads = frame_touching(SpecId::CANCUN, &committer, a, false);
        committer.credit(&ABSENT, a, U256::from(1)).unwrap();
        committer.touch(&ABSENT, a).unwrap();
        assert_eq!(committer.check_frame_reads(&ABSENT, &reads), Ok(None));

        let mut old = Journal::new(SpecId::TANGERINE);
        let reads = frame_touching(SpecId::TANGERINE, &old, a, false);
        old.touch(&ABSENT, a).unwrap();
        assert_eq!(old.check_frame_reads(&ABSENT, &reads), Ok(None));
    }

    #[test]
    fn an_account_the_seed_held_is_not_taken_as_absent() {
        let a = Address::repeat_byte(1);
        let mut committer = Journal::new(SpecId::CANCUN);
        // The seed holds `a` (read, absent): the frame's view of it came from the seed.
        committer.code_hash(&ABSENT, a).unwrap();
        let reads = frame_touching(SpecId::CANCUN, &committer, a, false);
        committer.touch(&ABSENT, a).unwrap();
        assert_eq!(committer.check_frame_reads(&ABSENT, &reads), Ok(None));
    }
}
