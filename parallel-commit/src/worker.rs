//! The shared state of one parallel block execution and what a worker does with each task: execute (or
//! resume) a transaction, validate one, and commit in block order.
//!
//! ```text
//! loop: try_commit() -> next_task() -> Execute: TxExecution::resume(MvView) -> publish writes -> finish_execution
//!                                   -> Validate: re-read the read set -> abort on a changed value
//!       nothing to do: sleep until the scheduler announces work
//! ```
//!
//! In serial mode (`adapt.rs`) `try_commit` also executes: the transaction at the commit index runs on the
//! committer's thread with final reads and is committed at once.

use crate::adapt::{Adapt, MAX_STRETCH};
use crate::chaos::Chaos;
use crate::config::ParallelConfig;
use crate::error::{panic_message, ParallelError};
use crate::hot::HotHints;
use crate::mv_memory::MvMemory;
use crate::report::ExecReport;
use crate::scheduler::Scheduler;
use crate::sequential::{execute_one, Overlay};
use crate::serial::{net_entries, FinalView};
use crate::types::{Incarnation, MvKey, ReadSet, Task, TxIdx, TxStatus, TxVersion};
use crate::view::{read_location, HintCtx, MvView};
use crate::writes::{mv_writes, StaticHints};
use crossbeam_utils::Backoff;
use parevm_evm_core::{Env, InvalidTx, StateView, TxError, TxExecution, TxOutcome, ViewError};
use parking_lot::Mutex;
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// An execution in progress: the interpreter state and the reads made so far.
struct Job<'a> {
    incarnation: Incarnation,
    exec: TxExecution<'a>,
    reads: ReadSet,
    /// Execution time so far (across parks).
    busy: Duration,
    /// Every lower transaction was committed before the first read: the reads are final.
    final_reads: bool,
    /// The execution parked (or restarted) on a lower transaction at least once.
    waited: bool,
}

/// The last finished incarnation of a transaction.
pub(crate) struct Finished {
    pub(crate) incarnation: Incarnation,
    pub(crate) result: Result<TxOutcome, InvalidTx>,
    reads: ReadSet,
    final_reads: bool,
    /// A validation passed after every lower transaction had committed: commit needs no other.
    final_validated: AtomicBool,
    busy: Duration,
    /// It waited for a lower transaction or is a re-execution (what serial-mode detection counts).
    dependent: bool,
    /// A speculative incarnation that stopped on a state-backend error (a witness lacks a node only a
    /// stale read path needs): never committed, re-executed with final reads at its commit.
    backend_error: bool,
}

impl Finished {
    /// True when the commit-time validation can be skipped.
    fn known_final(&self) -> bool {
        // ORDERING: Acquire pairs with the Release store in `validate`: whoever sees the flag sees the
        // validation that set it (and, through it, the final entries it read).
        self.final_reads || self.final_validated.load(Ordering::Acquire)
    }

    fn gas_used(&self) -> u64 {
        self.result.as_ref().map_or(0, |o| o.gas_used)
    }
}

/// Per-transaction data besides the status (which the scheduler owns).
#[derive(Default)]
struct TxSlot<'a> {
    /// A parked execution waiting to be resumed (boxed: slots stay small, parking moves a pointer).
    parked: Mutex<Option<Box<Job<'a>>>>,
    /// The last finished incarnation (the committed one at the end).
    last: Mutex<Option<Arc<Finished>>>,
    /// Keys of this transaction's entries in multi-version memory.
    written: Mutex<Vec<MvKey>>,
}

/// The results of one serial batch (`serial.rs`): transactions `start..start + results.len()`, kept
/// together as the sequential path keeps them, rather than one shared allocation per transaction.
struct SerialResults {
    start: TxIdx,
    results: Vec<Result<TxOutcome, InvalidTx>>,
}

/// Decides, at commit time and in block order, whether a transaction stays in the block (block building).
pub(crate) trait CommitFilter: Sync {
    /// True to drop transaction `tx` with result `result`, given everything committed before it.
    fn drop_tx(&self, tx: TxIdx, env: &Env, result: &Result<TxOutcome, InvalidTx>) -> bool;
}

/// Everything the workers of one block execution share.
pub(crate) struct Block<'a> {
    envs: &'a [Env],
    base: &'a (dyn StateView + Sync),
    park: bool,
    mv: MvMemory,
    /// Abort-learned and static hints (`None` when hints are off). The static ones are computed on first
    /// use: a block that runs as one serial batch never needs them.
    hints: Option<(HotHints, OnceLock<StaticHints>)>,
    pub(crate) sched: Scheduler,
    slots: Box<[TxSlot<'a>]>,
    /// Held by the committer; guards the adaptivity detector.
    commit_lock: Mutex<Adapt>,
    /// Someone found the commit lock taken: its holder must look again before it leaves.
    commit_pending: AtomicBool,
    /// Speculative validations are worth running: a dependent transaction (parked or re-executed) has
    /// committed. Until then they would only repeat the commit-time validation, which alone decides
    /// correctness; with adaptivity off they always run (Block-STM's behaviour).
    speculate: AtomicBool,
    failure: Mutex<Option<ParallelError>>,
    filter: Option<&'a dyn CommitFilter>,
    /// Results of the serial batches, which leave their transactions' `last` empty.
    serial_results: Mutex<Vec<SerialResults>>,
}

impl<'a> Block<'a> {
    /// Shared state for executing `envs` over `base`.
    pub(crate) fn new(
        envs: &'a [Env],
        base: &'a (dyn StateView + Sync),
        cfg: &ParallelConfig,
        filter: Option<&'a dyn CommitFilter>,
    ) -> Self {
        let chaos = Chaos::new(cfg.chaos);
        let sched = Scheduler::new(envs.len(), chaos);
        let adapt = Adapt::new(envs, cfg.adaptive, cfg.spawn_after, &sched);
        Self {
            envs,
            base,
            park: cfg.park,
            mv: MvMemory::new(envs.len(), chaos),
            hints: cfg.hints.then(|| (HotHints::new(), OnceLock::new())),
            sched,
            slots: (0..envs.len()).map(|_| TxSlot::default()).collect(),
            commit_lock: Mutex::new(adapt),
            commit_pending: AtomicBool::new(false),
            speculate: AtomicBool::new(!cfg.adaptive),
            failure: Mutex::new(None),
            filter,
            serial_results: Mutex::new(Vec::new()),
        }
    }

    /// Number of static write predictions (see `StaticHints`).
    pub(crate) fn predicted_writes(&self) -> u64 {
        self.hints
            .as_ref()
            .and_then(|(_, p)| p.get())
            .map_or(0, |p| p.count)
    }

    /// Records the first failure and stops every worker.
    fn fail(&self, e: ParallelError) {
        let mut f = self.failure.lock();
        if f.is_none() {
            *f = Some(e);
        }
        drop(f);
        self.sched.stop();
    }

    /// The failure, if any.
    pub(crate) fn take_failure(&self) -> Option<ParallelError> {
        self.failure.lock().take()
    }

    /// The committed result of every transaction, in block order: from the serial batches' result
    /// vectors where they ran (a block that was one batch hands its vector over as it is), from the
    /// transactions' last finished incarnation elsewhere.
    pub(crate) fn into_results(self) -> Result<Vec<Result<TxOutcome, InvalidTx>>, ParallelError> {
        let n = self.slots.len();
        let missing = |tx| ParallelError::Protocol {
            tx,
            message: "no committed result".into(),
        };
        if let Some(tx) = (0..n).find(|tx| self.sched.state(*tx).status != TxStatus::Committed) {
            return Err(missing(tx));
        }
        let mut batches = self.serial_results.into_inner();
        if batches.len() == 1 && batches[0].start == 0 && batches[0].results.len() == n {
            return Ok(batches.pop().map(|b| b.results).unwrap_or_default());
        }
        // Batches are recorded in commit order, which is block order.
        let mut batches = batches.into_iter().peekable();
        let mut out = Vec::with_capacity(n);
        let mut slots = self.slots.into_vec().into_iter().enumerate();
        while let Some((tx, slot)) = slots.next() {
            if let Some(batch) = batches.next_if(|b| b.start == tx) {
                let len = batch.results.len();
                out.extend(batch.results);
                // The batch's own slots hold nothing.
                if len > 1 {
                    slots.nth(len - 2);
                }
                continue;
            }
            let fin = slot.last.into_inner().ok_or_else(|| missing(tx))?;
            let fin = Arc::try_unwrap(fin).map_err(|_| missing(tx))?;
            out.push(fin.result);
        }
        if out.len() != n {
            return Err(missing(out.len().min(n.saturating_sub(1))));
        }
        Ok(out)
    }

    // ----- the worker loop -----

    /// Runs one worker until the block is committed or failed; returns its counters. `tick`, when given,
    /// is called before every step (the calling thread uses it to start helpers once the block proves
    /// long enough).
    pub(crate) fn run_worker(&self, index: usize, tick: Option<&dyn Fn()>) -> ExecReport {
        self.sched.chaos().enter_worker(index);
        let mut stats = ExecReport::default();
        let current = Cell::new(None);
        let r = catch_unwind(AssertUnwindSafe(|| self.work(&mut stats, &current, tick)));
        if let Err(payload) = r {
            let message = panic_message(&*payload);
            self.fail(match current.get() {
                Some(tx) => ParallelError::WorkerPanic { tx, message },
                None => ParallelError::SchedulerPanic { message },
            });
        }
        stats
    }

    fn work(&self, stats: &mut ExecReport, current: &Cell<Option<TxIdx>>, tick: Option<&dyn Fn()>) {
        let mut task: Option<Task> = None;
        // Spin and yield briefly before sleeping: new work usually appears within microseconds.
        let backoff = Backoff::new();
        loop {
            if self.sched.stopped() {
                return;
            }
            if let Some(tick) = tick {
                tick();
            }
            let t = match task.take() {
                Some(t) => t,
                None => {
                    match self
                        .try_commit(stats, current)
                        .or_else(|| self.sched.next_task())
                    {
                        Some(t) => {
                            backoff.reset();
                            t
                        }
                        None => {
                            if self.sched.done() {
                                return;
                            }
                            if !self.sched.has_work() {
                                if backoff.is_completed() {
                                    let slept = Instant::now();
                                    self.sched.wait_for_work();
                                    stats.idle += slept.elapsed();
                                } else {
                                    backoff.snooze();
                                }
                            }
                            continue;
                        }
                    }
                }
            };
            task = match t {
                Task::Execute(v) => {
                    current.set(Some(v.tx));
                    self.execute(v, stats)
                }
                Task::Validate(v) => {
                    current.set(Some(v.tx));
                    self.validate(v, stats)
                }
            };
            current.set(None);
        }
    }

    // ----- execution -----

    fn new_job(&self, v: TxVersion, stats: &mut ExecReport) -> Job<'a> {
        stats.executions += 1;
        Job {
            incarnation: v.incarnation,
            exec: TxExecution::borrowed(&self.envs[v.tx]),
            reads: ReadSet::new(),
            busy: Duration::ZERO,
            final_reads: self.sched.commit_idx() >= v.tx,
            waited: false,
        }
    }

    /// Executes version `v`, resuming its parked execution when there is one.
    fn execute(&self, v: TxVersion, stats: &mut ExecReport) -> Option<Task> {
        let tx = v.tx;
        let parked = self.slots[tx].parked.lock().take();
        let mut job = match parked {
            Some(job) if job.incarnation == v.incarnation => {
                stats.resumes += 1;
                stats.park_saved += job.busy;
                job
            }
            _ => Box::new(self.new_job(v, stats)),
        };
        loop {
            // Reads of a job whose lower transactions are all committed are final: no hint applies.
            let hints = match &self.hints {
                Some((hot, predicted)) if !job.final_reads => Some(HintCtx {
                    hot,
                    predicted: predicted.get_or_init(|| StaticHints::new(self.envs)),
                    envs: self.envs,
                    sched: &self.sched,
                }),
                _ => None,
            };
            let view = MvView::new(
                &self.mv,
                hints,
                self.base,
                tx,
                std::mem::take(&mut job.reads),
            );
            let started = Instant::now();
            let r = job.exec.resume(&view);
            job.busy += started.elapsed();
            job.reads = view.finish();
            match r {
                Ok(out) => return self.finish(v, Ok(out), job),
                Err(TxError::Invalid(e)) => return self.finish(v, Err(e), job),
                Err(TxError::View(ViewError::Backend(m))) => {
                    if job.final_reads {
                        self.fail(ParallelError::Backend(format!("transaction {tx}: {m}")));
                        return None;
                    }
                    // Speculative: the read may exist only on a stale path. Decided at commit.
                    let result = Err(InvalidTx::Chain(format!("state backend: {m}")));
                    return self.finish_as(v, result, job, true);
                }
                Err(TxError::View(ViewError::NotReady(k))) => {
                    if k >= tx {
                        self.fail(ParallelError::Protocol {
                            tx,
                            message: format!("read blocked on higher transaction {k}"),
                        });
                        return None;
                    }
                    stats.parks += 1;
                    job.waited = true;
                    if !self.park {
                        // Block-STM behaviour: drop the execution, start over once `k` has finished.
                        stats.restarts += 1;
                        stats.wasted_time += job.busy;
                        if self.sched.add_dependency(tx, k) {
                            return None;
                        }
                        job = Box::new(self.new_job(v, stats));
                        job.waited = true;
                        continue;
                    }
                    *self.slots[tx].parked.lock() = Some(job);
                    if self.sched.add_dependency(tx, k) {
                        return None;
                    }
                    // `k` finished in between: continue at once.
                    job = match self.slots[tx].parked.lock().take() {
                        Some(job) => job,
                        None => {
                            self.fail(ParallelError::Protocol {
                                tx,
                                message: "parked execution vanished".into(),
                            });
                            return None;
                        }
                    };
                    stats.resumes += 1;
                    stats.park_saved += job.busy;
                }
            }
        }
    }

    /// Publishes a finished incarnation's writes and reports it to the scheduler.
    fn finish(
        &self,
        v: TxVersion,
        result: Result<TxOutcome, InvalidTx>,
        job: Box<Job<'a>>,
    ) -> Option<Task> {
        self.finish_as(v, result, job, false)
    }

    /// [`Self::finish`], marking a speculative incarnation that stopped on a backend error.
    fn finish_as(
        &self,
        v: TxVersion,
        result: Result<TxOutcome, InvalidTx>,
        job: Box<Job<'a>>,
        backend_error: bool,
    ) -> Option<Task> {
        let job = *job;
        let slot = &self.slots[v.tx];
        let writes = match &result {
            Ok(out) => {
                // Code first: a reader that sees the code hash must find the code.
                for w in &out.writes {
                    if let Some((hash, code)) = &w.code {
                        if !code.is_empty() {
                            self.mv.insert_code(*hash, code.clone());
                        }
                    }
                }
                mv_writes(&out.writes, &job.reads)
            }
            Err(_) => Vec::new(),
        };
        let wrote_new = {
            let mut keys = slot.written.lock();
            self.mv.publish(v.tx, writes, &mut keys)
        };
        *slot.last.lock() = Some(Arc::new(Finished {
            incarnation: v.incarnation,
            result,
            reads: job.reads,
            final_reads: job.final_reads,
            final_validated: AtomicBool::new(false),
            busy: job.busy,
            dependent: job.waited || v.incarnation > 0,
            backend_error,
        }));
        self.sched.finish_execution(v.tx, v.incarnation, wrote_new)
    }

    // ----- validation -----

    /// True when every read of `tx` still sees the value it saw. A changed location becomes hot.
    fn reads_valid(&self, tx: TxIdx, reads: &ReadSet) -> Result<bool, ParallelError> {
        for (loc, seen) in reads {
            // Nothing below ever wrote it: the execution read the base state, which does not change.
            if self.mv.unwritten_below(*loc, tx) {
                continue;
            }
            match read_location(&self.mv, self.base, *loc, tx) {
                Ok(v) if v == *seen => {}
                Ok(_) => {
                    if let Some((hot, _)) = &self.hints {
                        hot.mark(*loc);
                    }
                    return Ok(false);
                }
                Err(ViewError::NotReady(_)) => return Ok(false),
                Err(ViewError::Backend(m)) => {
                    return Err(ParallelError::Backend(format!("transaction {tx}: {m}")))
                }
            }
        }
        Ok(true)
    }

    /// Aborts incarnation `fin` of `tx` when it is still current: its entries become estimates.
    fn abort(&self, tx: TxIdx, fin: &Finished, stats: &mut ExecReport) -> bool {
        if !self.sched.try_validation_abort(tx, fin.incarnation) {
            return false;
        }
        stats.re_executions += 1;
        stats.wasted_gas += fin.gas_used();
        stats.wasted_time += fin.busy;
        self.mv.mark_estimates(tx, &self.slots[tx].written.lock());
        true
    }

    fn last(&self, tx: TxIdx, incarnation: Incarnation) -> Option<Arc<Finished>> {
        let fin = self.slots[tx].last.lock().clone()?;
        (fin.incarnation == incarnation).then_some(fin)
    }

    /// Speculative validation of `v`.
    fn validate(&self, v: TxVersion, stats: &mut ExecReport) -> Option<Task> {
        let fin = self.last(v.tx, v.incarnation)?;
        // ORDERING: Relaxed: a heuristic switch; either value is correct.
        if fin.known_final() || !self.speculate.load(Ordering::Relaxed) {
            stats.validations_skipped += 1;
            return None;
        }
        stats.validations += 1;
        // Loaded before the reads: if every lower transaction was committed by then, the values read are
        // final and a pass makes the commit-time validation redundant.
        let lower_final = self.sched.commit_idx() >= v.tx;
        let valid = match self.reads_valid(v.tx, &fin.reads) {
            Ok(valid) => valid,
            Err(e) => {
                self.fail(e);
                return None;
            }
        };
        if valid && lower_final {
            // ORDERING: Release; see `Finished::known_final`.
            fin.final_validated.store(true, Ordering::Release);
        }
        let aborted = !valid && self.abort(v.tx, &fin, stats);
        self.sched.finish_validation(v.tx, aborted)
    }

    // ----- ordered commit -----

    /// Commits as far as possible, unless another worker is committing (it then looks again for us).
    /// Returns a re-execution task when the commit-time validation aborted a transaction.
    fn try_commit(&self, stats: &mut ExecReport, current: &Cell<Option<TxIdx>>) -> Option<Task> {
        loop {
            if let Some(mut guard) = self.commit_lock.try_lock() {
                // ORDERING: SeqCst on `commit_pending` (here, below and in the request branch): a request
                // stored after this clear is seen by the load after unlocking, or its own `try_lock`
                // comes after our unlock.
                self.commit_pending.store(false, Ordering::SeqCst);
                let task = self.commit_ready(&mut guard, stats, current);
                current.set(None);
                drop(guard);
                // A re-execution of the transaction at the commit index blocks every commit until it
                // finishes; the worker that runs it commits afterwards.
                // ORDERING: SeqCst: this load comes after our unlock; see the store above.
                if task.is_some() || !self.commit_pending.load(Ordering::SeqCst) {
                    return task;
                }
                continue;
            }
            // ORDERING: SeqCst; see above.
            self.commit_pending.store(true, Ordering::SeqCst);
            if self.commit_lock.is_locked() {
                return None;
            }
        }
    }

    /// Serial mode, the commit index at `start` ready and never run: executes transactions from `start`
    /// on in block order on this thread, like the sequential path (`serial.rs`), while each is ready and
    /// fresh and the stretch lasts; then publishes the batch's net writes and moves the commit index past
    /// it. False when the block failed.
    fn serial_batch(
        &self,
        start: TxIdx,
        adapt: &mut Adapt,
        stats: &mut ExecReport,
        current: &Cell<Option<TxIdx>>,
    ) -> bool {
        let final_view = FinalView {
            mv: &self.mv,
            base: self.base,
            tx: start,
        };
        // Every transaction below `start` is committed, so its entries (if any) are published. With none
        // published at all, the state below the batch is the base state itself: the batch then runs over
        // it exactly as the sequential path does, without looking into the multi-version memory. (Entries
        // published concurrently by speculative executions above `start` cannot bear on reads at `start`,
        // and code is content-addressed.)
        let below: &(dyn StateView + Sync) = if self.mv.never_written() {
            self.base
        } else {
            &final_view
        };
        let mut overlay = Overlay::new(below);
        // Room for the rest of the block, up to one longest stretch (a batch may run longer and grow).
        let mut results = Vec::with_capacity((self.sched.len() - start).min(MAX_STRETCH));
        let mut k = start;
        let mut serial = true;
        while serial && k < self.sched.len() && !self.sched.stopped() {
            if self.slots[k].parked.lock().is_some() {
                break;
            }
            let Some(Task::Execute(v)) = self.sched.try_incarnate(k) else {
                break;
            };
            current.set(Some(k));
            stats.executions += 1;
            stats.serial_txs += 1;
            let result = match execute_one(k, &self.envs[k], &overlay) {
                Ok(r) => r,
                Err(e) => {
                    self.fail(e);
                    return false;
                }
            };
            let dropped = self
                .filter
                .is_some_and(|f| f.drop_tx(k, &self.envs[k], &result));
            if let (Ok(out), false) = (&result, dropped) {
                overlay.apply(&out.writes);
            }
            if v.incarnation > 0 {
                // Entries of earlier, aborted incarnations: the batch's entries replace them.
                let stale = std::mem::take(&mut *self.slots[k].written.lock());
                if !stale.is_empty() {
                    self.mv.remove(k, &stale);
                }
                *self.slots[k].last.lock() = None;
            }
            results.push(result);
            self.sched.commit_serial(k);
            serial = adapt.serial_continues(k);
            k += 1;
        }
        // A batch that ends the block has no readers left: nothing to publish.
        if k > start && k < self.sched.len() {
            // Code first: a reader that sees the code hash must find the code.
            for (hash, code) in overlay.codes() {
                self.mv.insert_code(*hash, code.clone());
            }
            let last = k - 1;
            let entries = net_entries(&overlay);
            let mut keys = self.slots[last].written.lock();
            self.mv.publish(last, entries, &mut keys);
            drop(keys);
            self.sched.revalidate_above(last);
        }
        if k > start {
            // Recorded before the commit index moves: whoever sees the block done finds the results.
            self.serial_results
                .lock()
                .push(SerialResults { start, results });
            self.sched.advance_commit_idx_to(k);
        }
        if !serial {
            self.sched.set_serial(false);
        }
        true
    }

    /// Commits transactions at the commit index while they are executed and valid; in serial mode,
    /// executes them first.
    fn commit_ready(
        &self,
        adapt: &mut Adapt,
        stats: &mut ExecReport,
        current: &Cell<Option<TxIdx>>,
    ) -> Option<Task> {
        let backoff = Backoff::new();
        loop {
            let k = self.sched.commit_idx();
            if k >= self.sched.len() || self.sched.stopped() {
                return None;
            }
            let inc = match self.sched.executed_incarnation(k) {
                Some(inc) => inc,
                None if self.sched.serial() => {
                    match self.sched.state(k).status {
                        TxStatus::ReadyToExecute if self.slots[k].parked.lock().is_none() => {
                            if !self.serial_batch(k, adapt, stats, current) {
                                return None;
                            }
                        }
                        TxStatus::ReadyToExecute => {
                            if let Some(Task::Execute(v)) = self.sched.try_incarnate(k) {
                                current.set(Some(k));
                                stats.serial_txs += 1;
                                // Its reads are final and the commit below decides it: a validation
                                // task handed back for it is redundant.
                                let _ = self.execute(v, stats);
                            }
                        }
                        // The worker running it commits it when it finishes.
                        TxStatus::Executing => return None,
                        // Moments away from ready (the waker or the aborter is at work): wait.
                        TxStatus::Parked | TxStatus::Aborting => backoff.snooze(),
                        TxStatus::Executed | TxStatus::Committed => {}
                    }
                    continue;
                }
                None => return None,
            };
            current.set(Some(k));
            let fin = self.last(k, inc)?;
            let valid = if fin.backend_error {
                // Re-executed now, every lower transaction committed: its reads are final, and a
                // backend error then is the block's.
                false
            } else if fin.known_final() {
                stats.validations_skipped += 1;
                true
            } else {
                stats.validations += 1;
                match self.reads_valid(k, &fin.reads) {
                    Ok(valid) => valid,
                    Err(e) => {
                        self.fail(e);
                        return None;
                    }
                }
            };
            if !valid {
                // Every lower transaction is final, so this abort is the last one for `k`.
                if self.abort(k, &fin, stats) {
                    stats.commit_aborts += 1;
                    return self.sched.finish_validation(k, true);
                }
                return None;
            }
            if !self.sched.mark_committed(k, inc) {
                return None;
            }
            if let Some(filter) = self.filter {
                if filter.drop_tx(k, &self.envs[k], &fin.result) {
                    // The builder leaves it out: it writes nothing, and readers above must see that
                    // before anything above is committed.
                    let keys = std::mem::take(&mut *self.slots[k].written.lock());
                    self.mv.remove(k, &keys);
                    self.sched.revalidate_above(k);
                }
            }
            self.sched.advance_commit_idx(k);
            if adapt.on_commit(k, fin.dependent, &self.sched) {
                stats.serial_stretches += 1;
            }
            if fin.dependent {
                // The block has conflicts: from now on find them early. (A commit-time abort shows up
                // here too, as the re-execution's commit.)
                // ORDERING: Relaxed; see `validate`.
                self.speculate.store(true, Ordering::Relaxed);
            }
        }
    }
}
