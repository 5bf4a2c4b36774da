//! The lookahead engine, the default of [`crate::execute_parallel`]: the calling thread is the committer
//! and walks the block in order on the sequential path's own [`Overlay`], while helper threads execute the
//! transactions ahead of it against the block's base state. When the committer reaches a transaction a
//! helper has already executed, it re-reads that execution's read set in the overlay: every value the same
//! means the execution is exactly the one the sequential path would have made (execution is deterministic
//! in the values it reads), so its outcome is committed as it is; otherwise the committer executes the
//! transaction itself on the overlay, as the sequential path does.
//!
//! ```text
//!  helpers:    first the block's giants, if any (gas limit a tenth of the block's or more, largest
//!              first), else the block's last run (the tail, which in-order helpers reach last), then
//!              the other transactions of 1.5 M gas limit or more (largest first)
//!              claim(cursor) -> a run of consecutive txs j..k -> execute each over the base state -> READY
//!                (once a validation failed: over the base plus the helper's own earlier speculative writes)
//!  committer:  for i in block order:
//!                READY   -> validate reads in the overlay -> equal: commit | changed: re-execute on the overlay
//!                           (a changed balance read only to check a payment, still covering it: commit
//!                            with the read and the balance write moved to the new value)
//!                FREE    -> take it, execute on the overlay (final), commit
//!                RUNNING -> claim a run and execute it speculatively on the overlay meanwhile, else wait
//!                  (once a validation failed, or when i is a long one: on a layer of its own speculative
//!                   writes over the overlay, predicted-dependent txs too, as far ahead as it likes; for
//!                   a long one its own kept runs too, so that the layer holds every write in order)
//!              overlay.apply(writes of i)
//! ```
//!
//! Why it is never much slower than the sequential path: the committer does the sequential path's work
//! for every transaction no helper has done, and for the others a validation that costs a few map lookups
//! (a location the overlay has not written still holds its base value: no read at all, unless the
//! execution read what a layer of speculative writes held, see `first_stale`). It never waits
//! for a helper unless the helper is running the very transaction it needs, it leaves calls to a target
//! whose speculative executions keep failing (a hot counter) or that it or a helper saw create a contract
//! (CREATE bumps the creator's nonce) to itself, it calls the helpers in only for work they may take, and it
//! stops the helpers when their executions keep failing validation. Transactions a static look at the
//! block predicts to depend on a lower one (the sender already sent, or received value, earlier in the
//! block) are never given to helpers, and a block that is mostly such transactions runs on the sequential
//! path alone.
//!
//! Slot states (one `AtomicU8` per transaction; its READY store publishes the outcome, no lock, see
//! `slot.rs`):
//! ```text
//!  FREE --helper/committer claim--> RUNNING --execution done--> READY --committer--> (committed)
//!  FREE --committer reaches it--> OWNED      PREDICTED (predicted dependent): left to the committer
//!  PREDICTED --committer's chained speculation--> RUNNING --> READY
//! ```
//!
//! Threads hand work over in runs of consecutive transactions (about ten plain transfers, see
//! [`CHUNK_GAS`]), and the committer prefetches the next outcomes while it validates one: every cache
//! line that passes between the cores costs about a tenth of a plain transfer here.

use crate::config::ParallelConfig;
use crate::error::{panic_message, ParallelError};
use crate::prefetch;
use crate::report::{ExecMode, ExecReport};
use crate::sequential::{execute_final, map_tx_error, Overlay};
use crate::slot::{Claimed, Reader, Slot, Slots, FREE, OWNED, PREDICTED, READY};
use crate::strikes::Strikes;
use crate::types::TxIdx;
use alloy_primitives::map::AddressSet;
use alloy_primitives::{Address, U256};
use crossbeam_utils::{Backoff, CachePadded};
use parevm_evm_core::code_twins::ThreadTwins;
use parevm_evm_core::{
    BalanceWrite, Env, InvalidTx, Location, ReadSet, RedoLog, StateView, TxExecution, TxOutcome,
};
use parking_lot::{Mutex, RwLock};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Speculative outcomes consumed per decision on whether speculation pays.
const WINDOW: u32 = 32;
/// How far past the committer speculation may run. Far enough to keep helpers busy while the committer
/// re-executes a few transactions; near enough that what the committer learns (a hot target, speculation
/// not paying) reaches the helpers before they have speculated on the rest of the block.
const AHEAD: usize = 64;

/// A run of consecutive transactions is claimed at once, up to this much gas limit in all (about ten
/// plain transfers) or [`CHUNK_TXS`] transactions: claiming them one by one had the two threads take
/// turns transaction by transaction, so that every slot, the cursor and every outcome crossed between
/// the cores (on a block of plain transfers, as much time as the transfers themselves).
const CHUNK_GAS: u64 = 200_000;
/// The most transactions in one claimed run.
const CHUNK_TXS: usize = 16;

/// What a speculating thread gets from [`Shared::claim`].
enum Claim {
    /// Transactions `start..end` to execute speculatively (each one whose slot is still free).
    Chunk(TxIdx, TxIdx),
    /// Speculation is as far ahead of the committer as it may be: try again later.
    Wait,
    /// Nothing left to claim.
    Done,
}

/// With the cost model on, in a block with (almost) no predicted-dependent transactions, one run in this
/// many past the committer's first is kept for the committer: the helpers never claim it and the committer
/// executes its transactions itself, final, when it reaches them. Without it, helpers claimed every run
/// ahead, and the committer, having caught up with a helper (validating costs less than executing), spent
/// its waits executing runs further ahead speculatively and then validated those too: each transaction it
/// executed cost it an execution and a validation. With its own runs it executes them once, and the
/// helpers keep ahead of it. Measured (`docs/benchmarks.md`): one in 3 beat one in 2 and 4 on plain
/// transfers and ERC-20; where predicted-dependent transactions already fall to the committer (the hot
/// mix), keeping runs for it too made it the bottleneck (1.18x -> 1.08x), hence [`any_dependent`].
const COMMITTER_RUN_EVERY: usize = 3;

/// A transaction past the committer whose gas limit is at least this share of the whole block's is
/// taken by a helper first, out of block order. The longest transaction sets a block's critical path when
/// it is a large part of its work (16257471: one of 98 transactions, 13.6 M of 33 M gas limit, 2.9 ms of
/// 5.2 ms), and a helper walking the block in order started it only after the 21 before it (at 447 us;
/// first, at 114 us); a gas limit is the one sign of a long transaction before it runs. Measured on the
/// 55 mainnet blocks at 2 threads (`docs/benchmarks.md`): shares of 0.15, 0.1 and 0.05 all gained about
/// 2% in aggregate over none (12522062 1.39x -> 1.53x, 19929064 1.15x -> 1.61x).
const GIANT_SHARE: f64 = 0.1;

/// A transaction past the committer with at least this gas limit is taken by a helper first too, after
/// those of [`GIANT_SHARE`] and the block's tail (see `Shared::first_runs`). In blocks of many small
/// transactions a long one holds a small share of the block's gas limit: 17666333's 2.3 ms transaction
/// (2 M gas limit, 3.5% of 56.6 M) started 2.4 ms into the block when a helper reached it in order, and
/// the block ended 2.2 ms after that, the committer validating alone (6.1 ms at 2 threads; 5.3-5.4 ms
/// with it taken first).
const GIANT_GAS: u64 = 1_500_000;

/// The transactions helpers take first ([`GIANT_SHARE`], [`GIANT_GAS`]), largest gas limit first: those
/// after `from` whose gas limit is at least `least` and that are not predicted dependent.
/// Not only the largest: block 18988207's two (6 M and 5 M of 38 M) ran 0.24 ms and 3.4 ms, and the
/// second, taken by no one first, started 1.15 ms into a 4.9 ms block.
fn giants(envs: &[Env], dependent: &[bool], from: TxIdx, least: u64) -> Vec<TxIdx> {
    let mut giants: Vec<TxIdx> = (from + 1..envs.len())
        .filter(|&i| !dependent[i] && envs[i].tx.gas_limit >= least)
        .collect();
    giants.sort_by_key(|&i| std::cmp::Reverse(envs[i].tx.gas_limit));
    giants
}

/// The runs helpers take first, in this order (`Shared::first_runs`), and the giants among them: the
/// giants of [`GIANT_SHARE`] (`long_gas`), else the block's last run of `chunks` when it lies past where
/// speculation reaches from the committer's start `from`, then the giants of [`GIANT_GAS`] not in it.
fn first_runs(
    envs: &[Env],
    dependent: &[bool],
    from: TxIdx,
    long_gas: u64,
    chunks: &[TxIdx],
) -> (Vec<TxIdx>, Vec<(TxIdx, TxIdx)>) {
    let mut giants = giants(envs, dependent, from, long_gas.min(GIANT_GAS));
    let shares = giants
        .iter()
        .take_while(|&&g| envs[g].tx.gas_limit >= long_gas)
        .count();
    let mut runs: Vec<(TxIdx, TxIdx)> = giants[..shares].iter().map(|&g| (g, g + 1)).collect();
    let last_run = chunks[chunks.len() - 2];
    if shares == 0 && last_run > from + AHEAD {
        runs.push((last_run, envs.len()));
        // A giant in the tail runs with it.
        giants.retain(|&g| g < last_run);
    }
    runs.extend(giants[shares..].iter().map(|&g| (g, g + 1)));
    (giants, runs)
}

/// The committer publishes its position to the helpers once per this many transactions.
const PUBLISH: usize = 8;
/// With the cost model on, the committer works alone at least this long before calling the helpers in:
/// long enough to learn its pace on this block.
const CALL_IN_AFTER: Duration = Duration::from_micros(40);
/// ... and only when the work left, at that pace, is at least this much: waking a sleeping helper and
/// waiting at the end of the block for it to leave costs some tens of microseconds (a block of 18
/// transactions and 19 us took 40 us on two threads when helpers were called in at once).
const MIN_WORK_LEFT: Duration = Duration::from_micros(150);

/// ... except before its first transaction, with no pace yet: then it calls them in at once when the
/// transactions they may take hold at least this much gas limit. A long first transaction otherwise ran
/// alone (9069000: its second, 0.43 ms of a 2.2 ms block, after a first of 5 us; 18988207: its first,
/// 0.32 ms). Measured on the 55 mainnet blocks at 2 threads (`docs/benchmarks.md`): 1.44-1.48x -> 1.48-1.50x
/// in aggregate over five interleaved runs each; with 2 M gas, more blocks ran over 5% slower.
const OPEN_AT_ONCE: u64 = 5_000_000;

/// While alone, the committer asks whether to call the helpers in once per this much gas limit (about
/// ten plain transfers; before every transaction of a block of large ones).
const CHECK_EVERY: u64 = 200_000;

type TxResult = Result<TxOutcome, InvalidTx>;

/// What the committer and the helpers share.
struct Shared<'a> {
    envs: &'a [Env],
    base: &'a (dyn StateView + Sync),
    slots: Slots,
    /// Where each run of transactions claimed at once starts (see [`CHUNK_GAS`]), and the block's end.
    chunks: Box<[TxIdx]>,
    /// The next run a speculating thread claims (always past the committer's run).
    cursor: CachePadded<AtomicUsize>,
    /// Transactions committed so far (the committer's position).
    committed: CachePadded<AtomicUsize>,
    /// Speculation is over: the block is committed, failed, or speculation stopped paying.
    stop: AtomicBool,
    /// Call targets whose speculative executions keep failing validation (a hot counter, a token's hot
    /// balance): their transactions are left to the committer. `any_hot` spares the lock while empty.
    hot: RwLock<AddressSet>,
    any_hot: AtomicBool,
    /// The cost model is on ([`ParallelConfig::adaptive`]): a call target seen creating a contract, by the
    /// committer or in a helper's speculation, becomes hot (see [`creating_target`]), and speculations
    /// record redo points only where a failure is likely (see [`Shared::redo_pays`]).
    adaptive: bool,
    /// Runs of transactions `start..end` helpers take before anything else, over the base, out of block
    /// order, one at a time, in this order ([`first_runs`]): the block's giants, transactions whose gas
    /// limit is a large share of the block's ([`giants`]), else its last run (the tail), when it lies
    /// past where speculation reaches from the committer's start; then the transactions of
    /// [`GIANT_GAS`] or more not among them. The tail is what helpers walking in order reach
    /// last, and a long transaction there is the block's critical path with nothing to mark it
    /// (19932703: Scroll's `finalizeBundle`, 3.8 ms of 6.2 ms, ordinary gas limit, last of 143).
    /// Measured on the 55 mainnet blocks at 2 threads, interleaved (`docs/benchmarks.md`): 19932703
    /// 1.09-1.16x -> 1.54-1.58x, aggregate 1.38-1.42 -> 1.40-1.45 in normal passes.
    first_runs: Vec<(TxIdx, TxIdx)>,
    /// The next of `first_runs` a helper takes.
    first_next: AtomicUsize,
    /// A gas limit of at least this ([`GIANT_SHARE`] of the block's) marks a transaction likely to run
    /// long: the committer waiting for one speculates as after a failed validation (see `commit`).
    long_gas: u64,
    /// Set by the committer at the block's first failed validation: from then on each helper executes
    /// on its own earlier speculative writes over the base, so that a transaction reading what one the
    /// same helper executed before it wrote sees that write, as the committer will (most failed
    /// speculations read a write of a transaction one to ten places earlier). Not from the start: on a
    /// block whose speculations all hold, applying every write to a layer cost the helper about a tenth
    /// of its time (raw transfers at 2 threads 1.57x -> 1.44x).
    chain: AtomicBool,
    failure: Mutex<Option<ParallelError>>,
    /// Set with `failure`, so that a waiting committer polls a flag rather than taking a lock.
    failed: AtomicBool,
    /// Speculative executions of transactions with at least this gas limit record redo points
    /// ([`ParallelConfig::redo_min_gas`]), at least `redo_gap` gas apart.
    redo_min_gas: u64,
    redo_gap: u64,
    /// Per run: kept for the committer ([`committers`]); helpers skip it.
    kept: Box<[bool]>,
}

/// True when run `c` is one of `committer_runs`: runs `first + k * n` (k >= 1) for `Some((first, n))`
/// (see [`COMMITTER_RUN_EVERY`]; [`committers`] adds the cap on their gas).
fn committer_run(committer_runs: Option<(usize, usize)>, c: usize) -> bool {
    committer_runs.is_some_and(|(first, n)| c > first && (c - first).is_multiple_of(n))
}

/// A run of at least this much gas limit is never the committer's: a long transaction it executes
/// itself holds every commit behind it, while one a helper executes leaves the committer validating
/// the rest meanwhile (17666333: a 2 ms transaction of 2 M gas limit, 3.5% of the block's, fell in a
/// committer's run when the runs shifted by one, and the block went from 1.44x to 1.29x).
const COMMITTER_RUN_MAX_GAS: u64 = 500_000;

/// True when run `c` of `chunks` is the committer's: one of `committer_runs` and short enough
/// ([`COMMITTER_RUN_MAX_GAS`]).
fn committers(
    committer_runs: Option<(usize, usize)>,
    envs: &[Env],
    chunks: &[TxIdx],
    c: usize,
) -> bool {
    committer_run(committer_runs, c)
        && envs[chunks[c]..chunks[c + 1]]
            .iter()
            .fold(0u64, |g, e| g.saturating_add(e.tx.gas_limit))
            < COMMITTER_RUN_MAX_GAS
}

impl<'a> Shared<'a> {
    /// Claims the next run of transactions past the committer for speculative executions.
    fn claim(&self) -> Claim {
        self.claim_within(AHEAD, false)
    }

    /// Claims the next run of transactions starting at most `ahead` past the committer; runs kept for
    /// the committer too when `kept_too` (the committer's own speculation while it waits for a long
    /// transaction).
    fn claim_within(&self, ahead: usize, kept_too: bool) -> Claim {
        // ORDERING: Relaxed: `stop` only ends speculation early; nothing is read through it.
        if self.stop.load(Ordering::Relaxed) {
            return Claim::Done;
        }
        let runs = self.chunks.len() - 1;
        // ORDERING: Relaxed: the cursor hands out tickets; each slot's CAS decides ownership.
        let c = self.cursor.load(Ordering::Relaxed);
        if c >= runs {
            return Claim::Done;
        }
        // ORDERING: Relaxed: a stale position only lets speculation run a little further ahead.
        if self.chunks[c] > self.committed.load(Ordering::Relaxed).saturating_add(ahead) {
            return Claim::Wait;
        }
        loop {
            // ORDERING: Relaxed, as above.
            let c = self.cursor.fetch_add(1, Ordering::Relaxed);
            if c >= runs {
                return Claim::Done;
            }
            if kept_too || !self.kept[c] {
                return Claim::Chunk(self.chunks[c], self.chunks[c + 1]);
            }
        }
    }

    /// The run of transaction `i` (an index into `chunks`).
    fn chunk_of(&self, i: TxIdx) -> usize {
        self.chunks.partition_point(|&start| start <= i) - 1
    }

    /// Executes the transactions of claimed run `start..end` over `view`, each one whose slot it wins,
    /// until the committer reaches the run (it then executes the rest itself). Hot transactions and
    /// predicted-dependent ones are left to the committer. Returns the executions.
    fn speculate_run(
        &self,
        start: TxIdx,
        end: TxIdx,
        mut view: SpecView<'_, 'a, '_>,
        current: &std::cell::Cell<Option<TxIdx>>,
    ) -> u64 {
        let mut executions = 0;
        for j in start..end {
            // ORDERING: Relaxed; see `claim`.
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
            if self.is_hot(j) {
                continue;
            }
            let slot = &self.slots[j];
            let claimed = match slot.claim() {
                Err(PREDICTED) if matches!(view, SpecView::Committer(_)) => slot.claim_predicted(),
                c => c,
            };
            match claimed {
                Ok(claimed) => {
                    current.set(Some(j));
                    executions += 1;
                    self.speculate(j, &mut view, claimed);
                    current.set(None);
                }
                Err(PREDICTED) => {}
                // The committer took it: it has reached this run.
                Err(_) => break,
            }
        }
        executions
    }

    /// Makes `to` hot. A known target is checked under the shared lock: every call of a known creator
    /// would otherwise take the write lock the helpers' `is_hot` reads wait on.
    fn make_hot(&self, to: Address) {
        if !self.hot.read().contains(&to) && self.hot.write().insert(to) {
            // ORDERING: Relaxed; see `Shared::is_hot`.
            self.any_hot.store(true, Ordering::Relaxed);
        }
    }

    /// True when transaction `j` calls a target learned to be hot.
    fn is_hot(&self, j: TxIdx) -> bool {
        // ORDERING: Relaxed: a late view of a new hot target only costs one more doomed speculation.
        self.any_hot.load(Ordering::Relaxed)
            && self.envs[j]
                .tx
                .kind
                .to()
                .is_some_and(|to| self.hot.read().contains(to))
    }

    /// Executes claimed transaction `j` over `view` and publishes the outcome, with the execution's redo
    /// points when its gas limit asks for them (a panic unwinding through here drops `claimed`, which
    /// publishes none).
    fn speculate(&self, j: TxIdx, view: &mut SpecView<'_, 'a, '_>, claimed: Claimed<'_>) {
        let env = &self.envs[j];
        let mut exec = TxExecution::borrowed(env);
        let record = env.tx.gas_limit >= self.redo_min_gas && self.redo_pays(view);
        if record {
            exec.record_redo_points(self.redo_gap);
        }
        // An invalid transaction has no read set to validate; a failing view is the committer's to report
        // if its own execution hits it too.
        // Over a layer of earlier speculative writes, whether the execution read an account the layer
        // holds (see `Slot::layered`).
        let (out, layered) = match view {
            SpecView::Fixed(v) => (exec.resume(*v).ok(), false),
            SpecView::Committer(layer) => run_on_layer(&mut exec, layer),
            SpecView::Helper(layer) => {
                // ORDERING: Relaxed: the flag only decides where the helper's later executions read.
                if layer.is_none() && self.chain.load(Ordering::Relaxed) {
                    **layer = Some(Overlay::for_block(self.base, self.envs.len() - j));
                }
                match layer.as_mut() {
                    Some(layer) => run_on_layer(&mut exec, layer),
                    None => (exec.resume(self.base).ok(), false),
                }
            }
        };
        // A helper learns a creator from its own speculation: the committer may be far behind (called in
        // before it committed the block's first call of it, then descheduled), and every helper
        // speculating the creator's later calls over the base would fail validation.
        if self.adaptive {
            if let Some(to) = out.as_ref().and_then(|o| creating_target(env, o)) {
                self.make_hot(to);
            }
        }
        let redo = if record && out.is_some() {
            exec.take_redo_log().map(Box::new)
        } else {
            None
        };
        claimed.publish(out, redo, layered);
    }

    /// Whether a speculative execution over `view` is likely enough to fail validation for redo points
    /// ([`ParallelConfig::redo_min_gas`]) to pay: always without the cost model; with it, once the block
    /// has seen a failed validation (`chain`), or on the committer's layer of its own speculative writes.
    /// Each point copies the journal and the frame stack: on block 16257471 they cost the 13.6 M gas
    /// limit transaction a helper runs first, and whose speculation holds, about a tenth of its 3.7 ms,
    /// while over the 55 mainnet blocks redos saved about 0.4 M gas a pass (`docs/benchmarks.md`).
    fn redo_pays(&self, view: &SpecView<'_, 'a, '_>) -> bool {
        // ORDERING: Relaxed; see `Shared::chain`.
        !self.adaptive
            || matches!(view, SpecView::Committer(_))
            || self.chain.load(Ordering::Relaxed)
    }

    /// A helper: speculates until nothing is left to claim. A panic stops the block with an error
    /// naming the transaction (the slot is released so that the committer does not wait on it).
    fn help(&self) -> ExecReport {
        // Threads that run one contract at once each keep their own copy of its code (`code_twins`).
        let _twins = ThreadTwins::enable();
        let mut report = ExecReport::default();
        let current = std::cell::Cell::new(None);
        // Once a speculation failed validation: the helper's own speculative writes from then on, in
        // block order, over the base (see `Shared::chain`).
        let mut layer = None;
        let r = catch_unwind(AssertUnwindSafe(|| {
            let backoff = Backoff::new();
            // ORDERING: Relaxed: the counter hands each run to one helper; each slot's CAS decides.
            while let Some(&(start, end)) = self
                .first_runs
                .get(self.first_next.fetch_add(1, Ordering::Relaxed))
            {
                // Over the base: the layer holds writes in block order, and these are out of it.
                report.executions +=
                    self.speculate_run(start, end, SpecView::Fixed(self.base), &current);
            }
            let mut reach = Reach::default();
            loop {
                // ORDERING: Relaxed; see `claim_within`.
                let ahead = reach.ahead(self.committed.load(Ordering::Relaxed));
                match self.claim_within(ahead, false) {
                    Claim::Chunk(start, end) => {
                        report.executions +=
                            self.speculate_run(start, end, SpecView::Helper(&mut layer), &current);
                        backoff.reset();
                    }
                    Claim::Wait if reach.waiting() => {}
                    Claim::Wait if backoff.is_completed() => {
                        let slept = Instant::now();
                        std::thread::sleep(std::time::Duration::from_micros(20));
                        report.idle += slept.elapsed();
                    }
                    Claim::Wait => backoff.snooze(),
                    Claim::Done => break,
                }
            }
        }));
        if let Err(payload) = r {
            let message = panic_message(&*payload);
            // The panicking transaction's slot was marked READY with no outcome as its claim unwound.
            let e = match current.get() {
                Some(tx) => ParallelError::WorkerPanic { tx, message },
                None => ParallelError::SchedulerPanic { message },
            };
            self.failure.lock().get_or_insert(e);
            // ORDERING: Release publishes `failure` (written above) to the committer's Acquire load;
            // `stop` is Relaxed, see `claim`.
            self.failed.store(true, Ordering::Release);
            self.stop.store(true, Ordering::Relaxed);
        }
        report
    }
}

/// How far past the committer a helper claims: [`AHEAD`], widened by another [`AHEAD`] for each
/// [`STALL`] the committer's published position has stood still since the helper first found nothing
/// to claim. The committer then executes one long transaction itself (on 17666333 a 2 ms one of its
/// own runs, during which the helper, 64 transactions ahead, idled for 1.5 ms); it learns nothing
/// that would make speculating further ahead a waste until it moves on.
#[derive(Default)]
struct Reach {
    /// The committer's position last seen.
    pos: TxIdx,
    /// When a helper first found nothing to claim with the committer at `pos`.
    since: Option<Instant>,
}

/// See [`Reach`].
const STALL: Duration = Duration::from_micros(50);

impl Reach {
    /// The distance past the committer at `pos` that a helper may claim now.
    fn ahead(&mut self, pos: TxIdx) -> usize {
        if pos != self.pos {
            self.pos = pos;
            self.since = None;
        }
        let stalls = self.since.map_or(0, |t| {
            let n = t.elapsed().as_nanos() / STALL.as_nanos();
            usize::try_from(n).unwrap_or(usize::MAX)
        });
        AHEAD.saturating_mul(stalls.saturating_add(1))
    }

    /// Notes that the helper found nothing to claim. True the first time at this position: the
    /// helper asks again at once, with the clock started.
    fn waiting(&mut self) -> bool {
        if self.since.is_some() {
            return false;
        }
        self.since = Some(Instant::now());
        true
    }
}

/// Runs `exec` over `layer` (speculative writes of earlier transactions over a view) and extends the
/// layer with its writes. The flag: the execution read an account the layer had written, a value that
/// need not be the base's nor the committer's (a speculation that went wrong wrote it), so that its
/// validation must check every read, also of accounts the committer has not written (`first_stale`).
fn run_on_layer(exec: &mut TxExecution<'_>, layer: &mut Overlay<'_>) -> (Option<TxOutcome>, bool) {
    let Some(out) = exec.resume(&*layer).ok() else {
        return (None, false);
    };
    let layered = out
        .reads
        .iter()
        .any(|(loc, _)| layer.has_written(loc.address()));
    layer.apply(&out.writes);
    (Some(out), layered)
}

/// The state a speculative execution runs on.
enum SpecView<'v, 'a, 'c> {
    /// A view it only reads (the committer's overlay while it waits, before any validation failed).
    Fixed(&'v dyn StateView),
    /// The committer's, while it waits once a validation has failed or for a long transaction (see
    /// `Shared::long_gas`): its layer of its own speculative writes over its overlay, which each execution
    /// extends; it speculates predicted-dependent transactions too (their dependence is likely in the
    /// layer) and runs past [`AHEAD`].
    Committer(&'v mut Overlay<'c>),
    /// A helper's: the base, or once the block's speculations fail, its layer of its own speculative
    /// writes over the base, which each execution extends (see `Shared::chain`).
    Helper(&'v mut Option<Overlay<'a>>),
}

/// Sets the flag when dropped.
struct StopOnDrop<'s>(&'s AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        // ORDERING: Relaxed; see `Shared::claim`.
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Transactions predicted to depend on a lower one from the block alone: the sender already sent a
/// transaction, or received value, earlier in the block (its nonce or balance is then a lower write), or
/// the transaction is a bare call (no value, no input) to a target that an earlier one called bare too.
/// Bare calls to one contract all run the same code path on the same state (an airdrop's claim
/// fallback bumping one counter: block 6196166 has 49 and 30 of them to two contracts), so each one's
/// speculation over the base state failed validation, and the helpers' doomed executions and the
/// committer's re-executions made the block slower on two threads than on one.
/// A prediction only steers the schedule (results never depend on it), so addresses are told apart by
/// 64 of their bits: two that share them make one more transaction predicted dependent, nothing else.
fn predicted_dependent(envs: &[Env]) -> Vec<bool> {
    // At most two keys per transaction: its sender, and its value recipient or bare target.
    let mut seen = SeenSet::with_capacity(2 * envs.len());
    envs.iter()
        .map(|e| {
            let mut dependent = !seen.insert(SeenSet::key(&e.tx.caller));
            if let Some(to) = e.tx.kind.to() {
                if !e.tx.value.is_zero() {
                    seen.insert(SeenSet::key(to));
                } else if e.tx.data.is_empty() {
                    // Bare targets in a key space of their own (a bare call does not touch the
                    // target's balance or nonce, so it says nothing about a sender that is the target).
                    dependent |= !seen.insert(SeenSet::key(to) ^ BARE);
                }
            }
            dependent
        })
        .collect()
}

/// Tells a bare call's target apart from the same address as a sender or value recipient in
/// [`SeenSet`] (any odd constant: keys are already mixed before they pick a cell).
const BARE: u64 = 0x9e37_79b9_7f4a_7c15;

/// A set of addresses by 64 of their bits, open addressing with linear probing: the prediction runs on
/// every block, also on the ones that then take the sequential path, and a general hash set costs
/// a few hundred instructions per transaction there (`profile --block 5891667`: about 6% of the block).
struct SeenSet {
    /// Keys, 0 for an empty cell (a key of 0 is stored as 1).
    cells: Vec<u64>,
    mask: usize,
}

impl SeenSet {
    /// Room for `n` addresses at a load of at most one half.
    fn with_capacity(n: usize) -> Self {
        let size = (2 * n).max(16).next_power_of_two();
        Self {
            cells: vec![0; size],
            mask: size - 1,
        }
    }

    /// The cell where the search for `key` starts. Addresses of one block often differ in a few bytes
    /// only (generated accounts, vanity prefixes), so the key is mixed in full (MurmurHash3's finalizer)
    /// before its low bits pick the cell.
    fn home(&self, key: u64) -> usize {
        let mut h = key;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^= h >> 33;
        h as usize & self.mask
    }

    /// The key of address `a`: 64 of its bits.
    fn key(a: &Address) -> u64 {
        let b = &a.0 .0;
        let mut lo = [0u8; 8];
        let mut hi = [0u8; 8];
        lo.copy_from_slice(&b[12..20]);
        hi.copy_from_slice(&b[4..12]);
        u64::from_be_bytes(lo) ^ u64::from_be_bytes(hi).rotate_left(29)
    }

    /// Inserts `key`; true when it was not there.
    fn insert(&mut self, key: u64) -> bool {
        let key = key.max(1);
        let mut i = self.home(key);
        loop {
            match self.cells[i] {
                0 => {
                    self.cells[i] = key;
                    return true;
                }
                k if k == key => return false,
                _ => i = (i + 1) & self.mask,
            }
        }
    }

    /// The longest stretch of occupied cells: what an unlucky search walks.
    #[cfg(test)]
    fn longest_run(&self) -> usize {
        let (mut longest, mut run) = (0, 0);
        for c in self.cells.iter().chain(&self.cells) {
            run = if *c == 0 { 0 } else { run + 1 };
            longest = longest.max(run);
        }
        longest.min(self.cells.len())
    }
}

/// Where each run of transactions claimed at once starts (see [`CHUNK_GAS`]), then `envs.len()`.
fn chunk_starts(envs: &[Env]) -> Box<[TxIdx]> {
    let mut starts = vec![0];
    let (mut gas, mut len) = (0u64, 0usize);
    for (i, e) in envs.iter().enumerate() {
        if len > 0 && (gas >= CHUNK_GAS || len >= CHUNK_TXS) {
            starts.push(i);
            (gas, len) = (0, 0);
        }
        gas = gas.saturating_add(e.tx.gas_limit);
        len += 1;
    }
    starts.push(envs.len());
    starts.into_boxed_slice()
}

/// True when more than one transaction in 20 is predicted dependent ([`COMMITTER_RUN_EVERY`]).
fn any_dependent(dependent: &[bool]) -> bool {
    dependent.iter().filter(|d| **d).count() * 20 > dependent.len()
}

/// True when speculation is predicted not to pay at all: at least three quarters of the transactions
/// depend on a lower one by [`predicted_dependent`].
fn mostly_dependent(dependent: &[bool]) -> bool {
    dependent.iter().filter(|d| **d).count() * 4 >= dependent.len() * 3
}

/// The first read of `reads` that returns another value in `overlay` now (`None`: every read still
/// holds). A location of an account the overlay has not written still holds its base value, so only
/// written accounts are read again, unless the execution read what its layer held (`layered`, see
/// `Slot::layered`): a value a wrong speculation wrote to an account the committed transactions never
/// write differs from the base with nothing written to tell.
fn first_stale(
    overlay: &Overlay<'_>,
    reads: &ReadSet,
    from: usize,
    layered: bool,
) -> Option<usize> {
    // Reads come in runs of one account (an account's balance, nonce and code hash; a contract's
    // slots): one that was not written is looked up once per run.
    let mut unwritten: Option<&Address> = None;
    let stale = reads[from..].iter().position(|(loc, seen)| {
        let address = loc.address();
        if unwritten == Some(address) {
            return false;
        }
        if !layered && !overlay.has_written(address) {
            unwritten = Some(address);
            return false;
        }
        let now = match loc {
            Location::Balance(a) => overlay.balance(*a),
            Location::Nonce(a) => overlay.nonce(*a).map(U256::from),
            Location::CodeHash(a) => overlay.code_hash(*a).map(|h| U256::from_be_bytes(h.0)),
            Location::Storage(a, s) => overlay.storage(*a, *s),
            Location::HasStorage(a) => overlay.has_storage(*a).map(|b| U256::from(u8::from(b))),
        };
        // A failing read is decided by the committer's own execution (it counts as changed).
        now.ok().is_none_or(|v| v != *seen)
    });
    stale.map(|k| from + k)
}

/// One changed balance read [`repair_balances`] takes.
struct BalanceMove {
    /// The read's index in the read set.
    read: usize,
    /// The balance on the committer's overlay.
    now: U256,
    /// The account's balance write, when the transaction wrote one: its index in the write set and its
    /// value moved by the read's change.
    write: Option<(usize, U256)>,
}

/// Makes `out` the outcome executing its transaction on `overlay` gives, when every read that changed
/// from read `stale` on is a balance the transaction used only to check that it covered transfers out
/// and that still does (`TxOutcome::balance_bounds`): the execution would run exactly the same, so the
/// read takes the new value and the account's balance write moves by the difference. True when it did;
/// false (and `out` unchanged) when a read needs re-execution. `layered` as for [`first_stale`].
///
/// Block 19426586's failed speculations were mostly of this kind: swaps that end unwrapping ETH read the
/// ETH balance of WETH, which every wrap and unwrap before them in the block changed.
fn repair_balances(
    overlay: &Overlay<'_>,
    out: &mut TxOutcome,
    stale: usize,
    layered: bool,
) -> bool {
    if out.balance_bounds.is_empty() {
        return false;
    }
    // Every changed read first, changing nothing.
    let mut moves: Vec<BalanceMove> = Vec::new();
    let mut k = stale;
    loop {
        let (Location::Balance(a), seen) = out.reads[k] else {
            return false;
        };
        let Some(&(_, bound)) = out.balance_bounds.iter().find(|(b, _)| *b == a) else {
            return false;
        };
        let Ok(now) = overlay.balance(a) else {
            return false;
        };
        // Whether the balance is zero decides whether a contract's emptiness (EIP-161) needs its code hash
        // read; the bound keeps that question's answer, not the reads asked on the way to it.
        if now < bound || now.is_zero() != seen.is_zero() {
            return false;
        }
        let written = match out.writes.iter().position(|w| w.address == a) {
            Some(w) => match out.writes[w].balance {
                Some(BalanceWrite::Set(b)) => match (b + now).checked_sub(seen) {
                    Some(moved) => Some((w, moved)),
                    None => return false,
                },
                Some(BalanceWrite::Add(_)) => return false,
                None => None,
            },
            None => None,
        };
        moves.push(BalanceMove {
            read: k,
            now,
            write: written,
        });
        match first_stale(overlay, &out.reads, k + 1, layered) {
            Some(next) => k = next,
            None => break,
        }
    }
    for m in moves {
        out.reads[m.read].1 = m.now;
        if let Some((w, b)) = m.write {
            out.writes[w].balance = Some(BalanceWrite::Set(b));
        }
    }
    true
}

/// Re-executes transaction `i`, whose speculative outcome `spec` failed validation at read `stale`
/// (`None`: no outcome), on `overlay`: taken up at the latest redo point of `redo` before that read when
/// there is one (every read before it still holds, so the redo equals a run from the start), from the
/// start otherwise.
fn re_execute(
    i: TxIdx,
    env: &Env,
    overlay: &Overlay<'_>,
    spec: Option<TxOutcome>,
    stale: Option<usize>,
    redo: Option<Box<RedoLog>>,
    report: &mut ExecReport,
) -> Result<TxResult, ParallelError> {
    if let (Some(out), Some(stale), Some(log)) = (spec, stale, redo) {
        let (_, saved) = log.skipped(stale);
        if let Some(mut exec) = TxExecution::redo(env, *log, &out.reads, stale) {
            report.redos += 1;
            report.redo_saved_gas += saved;
            return map_tx_error(i, exec.resume(overlay));
        }
    }
    execute_final(i, env, overlay)
}

/// Runs `envs` over `base` with the lookahead engine on `cfg.threads` threads (the caller's included).
pub(crate) fn run(
    envs: &[Env],
    base: &(dyn StateView + Sync),
    cfg: &ParallelConfig,
    pool: Option<&rayon::ThreadPool>,
) -> Result<(Vec<TxResult>, ExecReport), ParallelError> {
    let start = Instant::now();
    let threads = cfg.threads.clamp(1, envs.len().max(1));
    let dependent = predicted_dependent(envs);
    let chain = cfg.adaptive && mostly_dependent(&dependent);
    let Some(pool) = pool.filter(|_| threads > 1 && !chain) else {
        let results = crate::sequential::execute_sequential_final(envs, base)?;
        let report = ExecReport {
            mode: ExecMode::Sequential,
            txs: envs.len(),
            executions: envs.len() as u64,
            elapsed: start.elapsed(),
            ..Default::default()
        };
        return Ok((results, report));
    };
    // The committer starts alone, exactly as the sequential path runs, and calls the helpers in before
    // transaction `i` (its next) when that pays: always without the cost model, else once it has worked
    // alone for `CALL_IN_AFTER` and the work left at its pace so far (time per unit of gas limit) is at
    // least `MIN_WORK_LEFT`, or before its first when the helpers' share is `OPEN_AT_ONCE`. A block
    // done sooner never wakes a helper thread, nor sets anything up for one.
    // Units of gas limit in all, and of the transactions a helper may take (not predicted dependent,
    // not calling a target learned to create contracts): the work the helpers are called in for.
    let (mut total, mut open) = (0u64, 0u64);
    for (e, d) in envs.iter().zip(&dependent) {
        total = total.saturating_add(e.tx.gas_limit.max(1));
        if !d {
            open = open.saturating_add(e.tx.gas_limit.max(1));
        }
    }
    let mut creators = Creators::default();
    let mut mine = Committed {
        overlay: Overlay::for_block(base, envs.len()),
        results: Vec::with_capacity(envs.len()),
        report: ExecReport::default(),
    };
    let mut done = 0u64;
    let current = std::cell::Cell::new(None);
    let alone = catch_unwind(AssertUnwindSafe(|| {
        let (mut i, mut next_check) = (0, 0u64);
        while i < envs.len() {
            // The clock is read once per `CHECK_EVERY` of gas limit: per transaction it cost a few
            // percent of a block of plain transfers.
            if i + 1 < envs.len() && done >= next_check {
                if call_in_now(cfg.adaptive, start, done, open) {
                    break;
                }
                next_check = done.saturating_add(CHECK_EVERY);
            }
            current.set(Some(i));
            let env = &envs[i];
            mine.execute_final(i, env)?;
            let gas = env.tx.gas_limit.max(1);
            done = done.saturating_add(gas);
            if !dependent[i] && !creators.has(env) {
                open = open.saturating_sub(gas);
            }
            let created = cfg
                .adaptive
                .then(|| {
                    let out = mine.results.last()?.as_ref().ok()?;
                    creating_target(env, out)
                })
                .flatten();
            if let Some(to) = created {
                if creators.add(to) {
                    open = open.saturating_sub(creators.open_gas_to(
                        to,
                        &envs[i + 1..],
                        &dependent[i + 1..],
                    ));
                }
            }
            i += 1;
        }
        Ok(i)
    }))
    .unwrap_or_else(|payload| Err(panic_error(&*payload, current.get())));
    let from = alone?;
    if from == envs.len() {
        let mut report = mine.report;
        report.mode = ExecMode::Sequential;
        report.txs = envs.len();
        report.elapsed = start.elapsed();
        return Ok((mine.results, report));
    }
    let chunks = chunk_starts(envs);
    let first = chunks.partition_point(|&start| start <= from) - 1;
    let committer_runs =
        (cfg.adaptive && !any_dependent(&dependent)).then_some((first, COMMITTER_RUN_EVERY));
    // The giants, else the block's last run when it lies past where speculation reaches from the
    // committer's start (see `Shared::first_runs`).
    let long_gas = (GIANT_SHARE * total as f64) as u64;
    let (giants, first_runs) = first_runs(envs, &dependent, from, long_gas, &chunks);
    let kept: Box<[bool]> = (0..chunks.len() - 1)
        .map(|c| committers(committer_runs, envs, &chunks, c))
        .collect();
    // The committer's runs are PREDICTED: no helper takes their slots, and the committer executes them.
    // A giant in one stays FREE: the helpers take it first, and the committer does not wait for it.
    let mut run_of = 0;
    let states = dependent.iter().enumerate().map(|(i, d)| {
        while chunks[run_of + 1] <= i {
            run_of += 1;
        }
        if *d || (kept[run_of] && !giants.contains(&i)) {
            PREDICTED
        } else {
            FREE
        }
    });
    let shared = Shared {
        envs,
        base,
        slots: Slots::new(states),
        chunks,
        // Helpers start past the committer's run.
        cursor: CachePadded::new(AtomicUsize::new(first + 1)),
        committed: CachePadded::new(AtomicUsize::new(from)),
        stop: AtomicBool::new(false),
        // Targets seen creating contracts while alone are hot from the start.
        any_hot: AtomicBool::new(!creators.list.is_empty()),
        hot: RwLock::new(creators.list.into_iter().collect()),
        adaptive: cfg.adaptive,
        chain: AtomicBool::new(false),
        long_gas,
        first_runs,
        first_next: AtomicUsize::new(0),
        failure: Mutex::new(None),
        failed: AtomicBool::new(false),
        redo_min_gas: cfg.redo_min_gas,
        redo_gap: cfg.redo_gap,
        kept,
    };
    let helpers = Mutex::new(ExecReport::default());
    let mut committed = Err(ParallelError::Protocol {
        tx: 0,
        message: "committer did not run".into(),
    });
    pool.in_place_scope(|s| {
        for _ in 1..threads {
            let (shared, helpers) = (&shared, &helpers);
            s.spawn(move |_| {
                let r = shared.help();
                *helpers.lock() += &r;
            });
        }
        // Helpers leave once speculation stops: also when the committer returns early or unwinds (a
        // helper held back by `AHEAD` would otherwise wait for it forever).
        let _stop = StopOnDrop(&shared.stop);
        let _twins = ThreadTwins::enable();
        committed = catch_unwind(AssertUnwindSafe(|| {
            commit(&shared, mine, from, cfg.adaptive, &current)
        }))
        .unwrap_or_else(|payload| Err(panic_error(&*payload, current.get())));
    });
    if let Some(e) = shared.failure.lock().take() {
        return Err(e);
    }
    let (results, mut report) = committed?;
    report += &helpers.into_inner();
    report.mode = ExecMode::Parallel { threads };
    report.txs = envs.len();
    report.elapsed = start.elapsed();
    Ok((results, report))
}

/// True when the committer, `done` units of gas limit into a block after working alone since `start`,
/// with `open` units left that helpers may take, should call the helpers in (see `run`).
fn call_in_now(adaptive: bool, start: Instant, done: u64, open: u64) -> bool {
    if !adaptive {
        return true;
    }
    // No pace before the first transaction: the block's setup alone can take `CALL_IN_AFTER` on a
    // loaded machine (a fresh process's page faults), and a pace over no work called helpers in before
    // anything was learnt about the block (its real pace). Only a block with much work for the
    // helpers calls them in then ([`OPEN_AT_ONCE`]); a helper learns creators itself.
    if done == 0 {
        return open >= OPEN_AT_ONCE;
    }
    let elapsed = start.elapsed();
    if elapsed < CALL_IN_AFTER {
        return false;
    }
    let pace = elapsed.as_nanos() as f64 / done.max(1) as f64;
    pace * (open as f64) >= MIN_WORK_LEFT.as_nanos() as f64
}

/// The error for a panic with `payload` while executing `tx` (a scheduler panic when none).
fn panic_error(payload: &(dyn std::any::Any + Send), tx: Option<TxIdx>) -> ParallelError {
    let message = panic_message(payload);
    match tx {
        Some(tx) => ParallelError::WorkerPanic { tx, message },
        None => ParallelError::SchedulerPanic { message },
    }
}

/// What the committer has built so far: the overlay of the committed transactions, their results, and
/// its counters.
struct Committed<'a> {
    overlay: Overlay<'a>,
    results: Vec<TxResult>,
    report: ExecReport,
}

impl Committed<'_> {
    /// Executes transaction `i` on the overlay (final: every lower transaction is committed) and commits it.
    fn execute_final(&mut self, i: TxIdx, env: &Env) -> Result<(), ParallelError> {
        self.report.serial_txs += 1;
        self.report.executions += 1;
        let r = execute_final(i, env, &self.overlay)?;
        self.push(r);
        Ok(())
    }

    /// Commits `r` as the next transaction's result.
    fn push(&mut self, r: TxResult) {
        if let Ok(out) = &r {
            self.overlay.apply(&out.writes);
            self.report.gas_used += out.gas_used;
        }
        self.results.push(r);
    }
}

/// The committer with helpers: walks the rest of the block from `from` in order on the overlay,
/// committing validated speculative outcomes and executing everything else itself.
/// `current` names the transaction the committer is executing (for a panic's error).
fn commit<'a>(
    shared: &Shared<'a>,
    mine: Committed<'a>,
    from: TxIdx,
    adaptive: bool,
    current: &std::cell::Cell<Option<TxIdx>>,
) -> Result<(Vec<TxResult>, ExecReport), ParallelError> {
    let envs = shared.envs;
    let Committed {
        mut overlay,
        mut results,
        mut report,
    } = mine;
    let Some(mut reader) = shared.slots.reader() else {
        return Err(ParallelError::Protocol {
            tx: from,
            message: "the slots' reader was taken before the committer".into(),
        });
    };
    let (mut window, mut failed) = (0u32, 0u32);
    // Per call target: speculative outcomes that failed and that held.
    let mut strikes = Strikes::default();
    // The run of the transaction the committer took last, and whether the cursor is known to be past it:
    // runs are walked in order, so the run of `i` is found by stepping, and the cursor (a line every claim
    // writes) is read once per run the committer takes slots of, not once per such slot.
    let (mut run, mut cursor_past) = (shared.chunk_of(from), false);
    for (i, env) in envs.iter().enumerate().skip(from) {
        // The helpers read the committer's position on every claim, so it is written only once per
        // `PUBLISH` transactions (a stale one only holds speculation back a little earlier).
        if i % PUBLISH == 0 {
            // ORDERING: Relaxed; see `Shared::claim`.
            shared.committed.store(i, Ordering::Relaxed);
        }
        // The next transactions' outcomes were written on a helper's core: ask for them now, so that
        // their lines arrive while this one is validated and applied (each line fetched from the other
        // core on demand stalls the committer for about a tenth of a plain transfer).
        if let Some(next) = shared.slots.get(i + 2) {
            prefetch_slot(next);
        }
        prefetch_outcome(&reader, i + 1);
        let slot = &shared.slots[i];
        let backoff = Backoff::new();
        // While waiting once a validation has failed or for a long transaction (`SpecView::Committer`):
        // the committer's own speculative writes over its overlay, dropped before the overlay takes
        // transaction `i`'s writes.
        let mut layer: Option<Overlay<'_>> = None;
        let ready = loop {
            // ORDERING: Acquire pairs with the Release store of READY in `Shared::speculate`.
            match slot.state(Ordering::Acquire) {
                READY => break true,
                OWNED | PREDICTED => break false,
                FREE => {
                    if slot.own() {
                        // The helpers may be behind the committer: move the cursor past its run.
                        // Only here: every claim writes the cursor's line, so reading it on every
                        // transaction would fetch it from the helper's core each time. A slot that is
                        // READY or RUNNING lies in a run already claimed, and a lower slot is never
                        // FREE (the committer took every slot it passed).
                        while shared.chunks[run + 1] <= i {
                            (run, cursor_past) = (run + 1, false);
                        }
                        if !cursor_past {
                            // ORDERING: Relaxed; see `Shared::claim`.
                            if shared.cursor.load(Ordering::Relaxed) <= run {
                                shared.cursor.fetch_max(run + 1, Ordering::Relaxed);
                            }
                            cursor_past = true;
                        }
                        break false;
                    }
                }
                _ => {
                    // A helper is running it: do other useful work meanwhile, or wait.
                    // ORDERING: Acquire pairs with the Release store in `Shared::help`.
                    if shared.failed.load(Ordering::Acquire) {
                        if let Some(e) = shared.failure.lock().take() {
                            return Err(e);
                        }
                    }
                    // Waiting for a long transaction, the committer speculates every run after
                    // it, its own kept runs included, in block order on its layer: a run it skipped
                    // left its writes out of the layer, and every later read of them went stale
                    // (15537394: a mint counter that 20 calls after its 26 M gas creation bump; the
                    // 16 calls after a kept run all failed and ran again after the creation, one by
                    // one: 1.6 ms -> 1.1 ms at 2 threads with them in the layer).
                    let long = env.tx.gas_limit >= shared.long_gas;
                    // ORDERING: Relaxed; see `Shared::chain`.
                    let chained = shared.chain.load(Ordering::Relaxed) || long;
                    let claim = if chained {
                        shared.claim_within(usize::MAX, long)
                    } else {
                        shared.claim()
                    };
                    if let Claim::Chunk(start, end) = claim {
                        let view = if chained {
                            SpecView::Committer(layer.get_or_insert_with(|| {
                                Overlay::with_capacity(&overlay, 4 * CHUNK_TXS)
                            }))
                        } else {
                            SpecView::Fixed(&overlay)
                        };
                        report.executions += shared.speculate_run(start, end, view, current);
                        backoff.reset();
                    } else {
                        backoff.snooze();
                    }
                }
            }
        };
        drop(layer);
        current.set(Some(i));
        let r = if ready {
            report.validations += 1;
            // READY above: the slot holds its outcome (or `None`: re-execute).
            let layered = reader.layered(i);
            let spec = reader.take(i).flatten();
            if let Some(out) = &spec {
                // The storage of its writes, applied after the validation below.
                for w in &out.writes {
                    prefetch::slice(&w.storage, 2);
                }
            }
            window += 1;
            let mut spec = spec;
            let stale = spec.as_mut().map(|out| {
                let stale = first_stale(&overlay, &out.reads, 0, layered)?;
                match repair_balances(&overlay, out, stale, layered) {
                    true => {
                        report.balance_repairs += 1;
                        None
                    }
                    false => Some(stale),
                }
            });
            let valid = stale == Some(None);
            if adaptive {
                if let Some(to) = env.tx.kind.to() {
                    learn(shared, &mut strikes, *to, valid);
                }
            }
            match spec {
                Some(out) if valid => Ok(out),
                spec => {
                    if failed == 0 {
                        // ORDERING: Relaxed; see `Shared::chain`.
                        shared.chain.store(true, Ordering::Relaxed);
                    }
                    failed += 1;
                    report.re_executions += 1;
                    report.wasted_gas += spec.as_ref().map_or(0, |o| o.gas_used);
                    report.executions += 1;
                    let redo = reader.take_redo(i);
                    re_execute(i, env, &overlay, spec, stale.flatten(), redo, &mut report)?
                }
            }
        } else {
            report.serial_txs += 1;
            report.executions += 1;
            execute_final(i, env, &overlay)?
        };
        if window == WINDOW {
            // Speculation that fails three times in four costs more than it saves: stop it (the
            // helpers finish their current transaction and leave).
            if adaptive && failed * 4 >= WINDOW * 3 {
                // ORDERING: Relaxed; see `Shared::claim`.
                shared.stop.store(true, Ordering::Relaxed);
            }
            (window, failed) = (0, 0);
        }
        if adaptive {
            if let Some(to) = r.as_ref().ok().and_then(|o| creating_target(env, o)) {
                shared.make_hot(to);
            }
        }
        if let Ok(out) = &r {
            overlay.apply(&out.writes);
            report.gas_used += out.gas_used;
        }
        results.push(r);
    }
    Ok((results, report))
}

/// The call target of `env` when its outcome `out` changed the target's nonce: a contract that created
/// contracts (CREATE reads and bumps the creator's nonce), so that every later call to it that creates
/// one too reads a nonce this transaction wrote. Its speculative executions would fail validation (block
/// 2462997: six calls to one contract that creates, each helper speculation of them failed), so its calls
/// are left to the committer like those of a hot target.
fn creating_target(env: &Env, out: &TxOutcome) -> Option<Address> {
    let to = env.tx.kind.to()?;
    if *to == env.tx.caller {
        return None;
    }
    out.writes
        .iter()
        .any(|w| w.address == *to && w.nonce.is_some())
        .then_some(*to)
}

/// Most targets learned to create contracts while the committer works alone that take the helpers'
/// share of the block from the call-in decision: each costs a pass over the rest of the block.
const MAX_CREATORS: usize = 8;

/// The targets the committer learned to create contracts while working alone ([`creating_target`]).
#[derive(Default)]
struct Creators {
    list: Vec<Address>,
}

impl Creators {
    /// True when `env` calls a known creator.
    fn has(&self, env: &Env) -> bool {
        !self.list.is_empty() && env.tx.kind.to().is_some_and(|to| self.list.contains(to))
    }

    /// Adds `to`; true when it is new and within [`MAX_CREATORS`].
    fn add(&mut self, to: Address) -> bool {
        if self.list.len() >= MAX_CREATORS || self.list.contains(&to) {
            return false;
        }
        self.list.push(to);
        true
    }

    /// Units of gas limit of the transactions of `rest` that call `to` and are not predicted dependent.
    fn open_gas_to(&self, to: Address, rest: &[Env], dependent: &[bool]) -> u64 {
        rest.iter()
            .zip(dependent)
            .filter(|(e, d)| !**d && e.tx.kind.to() == Some(&to))
            .fold(0u64, |g, (e, _)| g.saturating_add(e.tx.gas_limit.max(1)))
    }
}

/// Cache lines of a speculative outcome's read set, and of its write set, prefetched ahead.
const PREFETCH_LINES: usize = 12;

/// Prefetches the lines of `slot` (its state, and its outcome when it is ready).
fn prefetch_slot(slot: &Slot) {
    prefetch::slice(std::slice::from_ref(slot), 4);
}

/// Prefetches the read and write sets of the speculative outcome of transaction `i`, when it is ready.
fn prefetch_outcome(reader: &Reader<'_>, i: TxIdx) {
    if let Some(out) = reader.peek(i) {
        prefetch::slice(&out.reads, PREFETCH_LINES);
        prefetch::slice(&out.writes, PREFETCH_LINES);
    }
}

/// Records whether a speculative execution of a call to `to` held; a target whose executions failed at
/// least twice and more often than they held becomes hot (see `Shared::hot`, `strikes.rs`).
fn learn(shared: &Shared<'_>, strikes: &mut Strikes, to: Address, valid: bool) {
    if strikes.record(to, valid) {
        shared.make_hot(to);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::TxKind;
    use parevm_evm_core::env::{BlockEnv, CfgEnv, TxEnv};
    use parevm_evm_core::SpecId;

    fn env(caller: u8, to: u8, value: u64) -> Env {
        Env {
            cfg: CfgEnv::new(1, SpecId::CANCUN),
            block: BlockEnv::default(),
            tx: TxEnv {
                caller: Address::repeat_byte(caller),
                kind: TxKind::Call(Address::repeat_byte(to)),
                value: U256::from(value),
                ..Default::default()
            },
        }
    }

    /// Pays 10 wei to its caller on every call: `CALL(0xffff, CALLER, 10, 0, 0, 0, 0)`.
    const PAYER_CODE: &[u8] = &[
        0x60, 0, 0x60, 0, 0x60, 0, 0x60, 0, 0x60, 10, 0x33, 0x61, 0xff, 0xff, 0xf1, 0x00,
    ];

    /// A state with the payer (at 0xAA, holding `payer_balance` wei) and funded senders 1 and 2.
    fn payer_state(payer_balance: u64) -> parevm_state::InMemoryState {
        let mut s = parevm_state::InMemoryState::default();
        s.insert_account(
            Address::repeat_byte(0xaa),
            U256::from(payer_balance),
            1,
            alloy_primitives::Bytes::from_static(PAYER_CODE),
            [],
        );
        for sender in [1, 2] {
            s.insert_account(
                Address::repeat_byte(sender),
                U256::from(10u64.pow(18)),
                0,
                alloy_primitives::Bytes::new(),
                [],
            );
        }
        s
    }

    fn payer_call(caller: u8) -> Env {
        let mut e = env(caller, 0xaa, 0);
        e.tx.gas_limit = 100_000;
        e.tx.gas_price = U256::from(1);
        e.block.basefee = U256::from(1);
        e.block.gas_limit = 30_000_000;
        e
    }

    /// Executes `env` over `view`, recording reads, as a helper does.
    fn run(env: &Env, view: &dyn StateView) -> TxOutcome {
        TxExecution::borrowed(env)
            .resume(view)
            .expect("the transaction executes")
    }

    /// Transaction 1 executed on the base state saw the payer's 100 wei; transaction 0 paid 10 of them
    /// out first. The payer's balance was only checked to cover the payment, and still covers it: the
    /// repaired outcome is the one executing transaction 1 after transaction 0 gives, read set included.
    #[test]
    fn a_payment_checked_against_a_changed_balance_is_repaired_as_re_execution_gives() {
        let base = payer_state(100);
        let (first, second) = (payer_call(1), payer_call(2));
        let mut spec = run(&second, &base);
        let payer = Address::repeat_byte(0xaa);
        assert_eq!(spec.balance_bounds, vec![(payer, U256::from(10))]);
        let mut overlay = Overlay::for_block(&base, 2);
        overlay.apply(&run(&first, &base).writes);
        let stale =
            first_stale(&overlay, &spec.reads, 0, false).expect("the payer's balance changed");
        assert_eq!(spec.reads[stale].0, Location::Balance(payer));
        assert!(repair_balances(&overlay, &mut spec, stale, false));
        let fresh = run(&second, &overlay);
        assert_eq!(spec.reads, fresh.reads);
        assert_eq!(spec.writes, fresh.writes);
        assert_eq!(spec.gas_used, fresh.gas_used);
        assert_eq!(spec.status, fresh.status);
        assert_eq!(first_stale(&overlay, &spec.reads, 0, false), None);
    }

    /// The payer held 15 wei: after transaction 0 it cannot pay transaction 1 (whose execution on the base
    /// state did pay), so the outcome is left alone for re-execution.
    #[test]
    fn a_payment_the_changed_balance_no_longer_covers_is_not_repaired() {
        let base = payer_state(15);
        let (first, second) = (payer_call(1), payer_call(2));
        let mut spec = run(&second, &base);
        let before = (spec.reads.clone(), spec.writes.clone());
        let mut overlay = Overlay::for_block(&base, 2);
        overlay.apply(&run(&first, &base).writes);
        let stale =
            first_stale(&overlay, &spec.reads, 0, false).expect("the payer's balance changed");
        assert!(!repair_balances(&overlay, &mut spec, stale, false));
        assert_eq!((spec.reads, spec.writes), before);
        // Executed after transaction 0, the payment fails: the payer keeps its 5 wei.
        let fresh = run(&second, &overlay);
        assert!(!fresh
            .writes
            .iter()
            .any(|w| w.address == Address::repeat_byte(0xaa)));
    }

    #[test]
    fn first_runs_are_the_large_shares_then_the_tail_then_the_large_gas_limits() {
        let with_limit = |caller: u8, gas_limit: u64| {
            let mut e = env(caller, caller.wrapping_add(100), 0);
            e.tx.gas_limit = gas_limit;
            e
        };
        // 200 transactions of 100 k (runs of two), 20 M of gas limit before the changes below.
        let mut envs: Vec<Env> = (0..200).map(|i| with_limit(i as u8, 100_000)).collect();
        for (i, e) in envs.iter_mut().enumerate() {
            // Distinct senders, and calls with input (not bare): nothing predicted dependent.
            let mut a = [0u8; 20];
            a[18] = (i >> 8) as u8 + 1;
            a[19] = i as u8;
            e.tx.caller = Address::from(a);
            e.tx.data = alloy_primitives::Bytes::from_static(&[1]);
        }
        let runs_of = |envs: &[Env]| {
            let total: u64 = envs.iter().map(|e| e.tx.gas_limit).sum();
            let long_gas = (GIANT_SHARE * total as f64) as u64;
            first_runs(
                envs,
                &predicted_dependent(envs),
                0,
                long_gas,
                &chunk_starts(envs),
            )
        };
        // Nothing large: only the tail.
        let (giants, runs) = runs_of(&envs);
        assert!(giants.is_empty());
        assert_eq!(runs, [(198, 200)]);
        // A 2 M gas limit (a tenth of 24.4 M is more): after the tail; one in the tail runs with it.
        envs[50].tx.gas_limit = 2_000_000;
        envs[199].tx.gas_limit = 2_000_000;
        let (giants, runs) = runs_of(&envs);
        assert_eq!(giants, [50]);
        assert_eq!(runs, [(199, 200), (50, 51)]);
        // A large share: first, and no tail; the 2 M ones after it, largest first.
        envs[120].tx.gas_limit = 8_000_000;
        envs[50].tx.gas_limit = 1_500_000;
        let (giants, runs) = runs_of(&envs);
        assert_eq!(giants, [120, 199, 50]);
        assert_eq!(runs, [(120, 121), (199, 200), (50, 51)]);
    }

    #[test]
    fn giants_are_the_large_shares_of_gas_limit_past_the_committer_largest_first() {
        let with_limit = |caller: u8, gas_limit: u64| {
            let mut e = env(caller, caller.wrapping_add(100), 0);
            e.tx.gas_limit = gas_limit;
            e
        };
        // A tenth of the block's gas limit, as `run` passes it.
        let giants = |envs: &[Env], dependent: &[bool], from| {
            let total: u64 = envs.iter().map(|e| e.tx.gas_limit).sum();
            giants(envs, dependent, from, (GIANT_SHARE * total as f64) as u64)
        };
        // 100 k of 1.9 M: under a tenth.
        let flat: Vec<Env> = (0..19).map(|i| with_limit(i, 100_000)).collect();
        assert!(giants(&flat, &predicted_dependent(&flat), 0).is_empty());
        let mut envs = flat.clone();
        envs[7].tx.gas_limit = 2_000_000;
        let dependent = predicted_dependent(&envs);
        assert_eq!(giants(&envs, &dependent, 0), [7]);
        // The committer's next transaction is its own, and so is everything before it.
        assert!(giants(&envs, &dependent, 7).is_empty());
        // Two (of 6.7 M): the larger first, wherever it is.
        envs[12].tx.gas_limit = 3_000_000;
        let dependent = predicted_dependent(&envs);
        assert_eq!(giants(&envs, &dependent, 0), [12, 7]);
        assert_eq!(giants(&envs, &dependent, 7), [12]);
        // A transaction predicted dependent is left to the committer.
        envs[12].tx.caller = envs[3].tx.caller;
        assert_eq!(giants(&envs, &predicted_dependent(&envs), 0), [7]);
    }

    #[test]
    fn seen_set_tells_addresses_apart_and_finds_them_again() {
        let addresses: Vec<Address> = (1..=1000u64)
            .map(|i| {
                let mut a = [0u8; 20];
                // Vary the leading bytes too, which the key folds in.
                a[..8].copy_from_slice(&i.wrapping_mul(7919).to_be_bytes());
                a[12..].copy_from_slice(&i.to_be_bytes());
                Address::from(a)
            })
            .chain([Address::ZERO])
            .collect();
        let mut seen = SeenSet::with_capacity(addresses.len());
        for a in &addresses {
            assert!(seen.insert(SeenSet::key(a)), "{a} is new");
        }
        for a in &addresses {
            assert!(!seen.insert(SeenSet::key(a)), "{a} was inserted");
        }
    }

    #[test]
    fn seen_set_spreads_addresses_that_differ_in_their_last_bytes() {
        // Generated accounts: one prefix, a counter in the last two bytes. A hash that kept only some
        // bits of the key put them all in one cluster (a quadratic walk: 13 ms for 4,762 transfers).
        let mut seen = SeenSet::with_capacity(4096);
        for i in 0..4096u16 {
            let mut a = [0x11u8; 20];
            a[18..].copy_from_slice(&i.to_be_bytes());
            assert!(seen.insert(SeenSet::key(&Address::from(a))));
        }
        assert!(
            seen.longest_run() < 64,
            "longest run {}",
            seen.longest_run()
        );
    }

    #[test]
    fn every_third_run_past_the_first_is_the_committers_and_none_without_the_cost_model() {
        let kept: Vec<usize> = (0..12)
            .filter(|&c| committer_run(Some((2, 3)), c))
            .collect();
        assert_eq!(kept, vec![5, 8, 11]);
        assert!((0..12).all(|c| !committer_run(None, c)));
        assert!(!any_dependent(&[false; 20]));
        let mut one = [false; 20];
        one[3] = true;
        assert!(!any_dependent(&one), "one in 20 keeps the committer's runs");
        one[4] = true;
        assert!(any_dependent(&one));
    }

    #[test]
    fn repeated_senders_and_paid_senders_are_predicted_dependent() {
        let envs = [
            env(1, 2, 5), // pays 2
            env(3, 4, 0), // independent
            env(2, 9, 0), // 2 received value from 0
            env(1, 7, 0), // 1 sent before
            env(4, 8, 0), // 4 was called without value: independent
        ];
        assert_eq!(
            predicted_dependent(&envs),
            vec![false, false, true, true, false]
        );
        assert!(!mostly_dependent(&predicted_dependent(&envs)));
        let chain: Vec<Env> = (0..8).map(|_| env(1, 2, 0)).collect();
        assert!(mostly_dependent(&predicted_dependent(&chain)));
    }

    #[test]
    fn repeated_bare_calls_to_one_target_are_predicted_dependent() {
        let with_input = |caller, to| {
            let mut e = env(caller, to, 0);
            e.tx.data = vec![0xa9, 0x05, 0x9c, 0xbb].into();
            e
        };
        let envs = [
            env(1, 9, 0),     // the first bare call to 9
            env(2, 9, 0),     // a second one
            with_input(3, 9), // a call with input: independent
            env(4, 9, 7),     // value to 9: independent (9 never sends)
            env(5, 8, 0),     // the first bare call to 8
            env(9, 6, 0),     // 9 received value from 3 lower: dependent as a sender
            env(6, 9, 0),     // a third bare call to 9
            with_input(7, 8), // input again: independent
        ];
        assert_eq!(
            predicted_dependent(&envs),
            vec![false, true, false, false, false, true, true, false]
        );
    }
}
