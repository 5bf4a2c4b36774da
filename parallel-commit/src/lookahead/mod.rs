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
//! [`schedule::CHUNK_GAS`]), and the committer prefetches the next outcomes while it validates one:
//! every cache line that passes between the cores costs about a tenth of a plain transfer here.
//!
//! Here: [`run`] (the committer alone, calling the helpers in, the thread scope) and what the threads
//! share ([`Shared`]). `predict.rs`: which transactions depend on a lower one, from the block alone;
//! `schedule.rs`: the runs, the committer's runs and the long transactions taken first; `speculate.rs`:
//! the helpers; `committer.rs`: validation, repair, re-execution and commit in block order;
//! `creators.rs`: call targets learned to create contracts.

mod committer;
mod creators;
mod predict;
mod schedule;
mod speculate;

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
use committer::commit;
use creators::{creating_target, Creators};
use crossbeam_utils::{Backoff, CachePadded};
use parevm_evm_core::code_twins::ThreadTwins;
use parevm_evm_core::{
    BalanceWrite, Env, InvalidTx, Location, ReadSet, RedoLog, StateView, TxExecution, TxOutcome,
};
use parking_lot::{Mutex, RwLock};
use predict::{any_dependent, mostly_dependent, predicted_dependent};
use schedule::{chunk_starts, committers, first_runs, CHUNK_TXS, COMMITTER_RUN_EVERY, GIANT_SHARE};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How far past the committer speculation may run. Far enough to keep helpers busy while the committer
/// re-executes a few transactions; near enough that what the committer learns (a hot target, speculation
/// not paying) reaches the helpers before they have speculated on the rest of the block.
const AHEAD: usize = 64;

/// What a speculating thread gets from [`Shared::claim`].
enum Claim {
    /// Transactions `start..end` to execute speculatively (each one whose slot is still free).
    Chunk(TxIdx, TxIdx),
    /// Speculation is as far ahead of the committer as it may be: try again later.
    Wait,
    /// Nothing left to claim.
    Done,
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
    /// Where each run of transactions claimed at once starts (see [`schedule::CHUNK_GAS`]), and the block's end.
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
    /// limit is a large share of the block's ([`schedule::giants`]), else its last run (the tail), when it lies
    /// past where speculation reaches from the committer's start; then the transactions of
    /// [`schedule::GIANT_GAS`] or more not among them. The tail is what helpers walking in order reach
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

/// A plain call from `caller` to `to` with `value`: the unit tests' transaction.
#[cfg(test)]
fn test_env(caller: u8, to: u8, value: u64) -> Env {
    Env {
        cfg: parevm_evm_core::env::CfgEnv::new(1, parevm_evm_core::SpecId::CANCUN),
        block: parevm_evm_core::env::BlockEnv::default(),
        tx: parevm_evm_core::env::TxEnv {
            caller: Address::repeat_byte(caller),
            kind: alloy_primitives::TxKind::Call(Address::repeat_byte(to)),
            value: U256::from(value),
            ..Default::default()
        },
    }
}
