//! The collaborative scheduler: Block-STM's execution and validation indices, extended with parking and an
//! ordered commit index.
//!
//! Workers ask [`Scheduler::next_task`] for work. The lowest index wins: validation of transaction `j` comes
//! before execution of transaction `k > j`, so conflicts surface as low as possible. Every status change
//! goes through one transaction's status mutex; the three indices are atomics:
//!
//! * `execution_idx`: the next transaction to try to execute. Lowered (never below an unfinished
//!   obligation) when a parked or aborted transaction becomes ready again.
//! * `validation_idx`: the next transaction to validate. Lowered when an execution may have invalidated
//!   reads above it (it wrote a location it had not written before, or it was aborted).
//! * `commit_idx`: every transaction below it is committed (final). Only the holder of the commit lock
//!   (in `worker.rs`) advances it; the block is done when it reaches the block length.
//!
//! Termination is decided by `commit_idx` alone, which is why this scheduler needs none of Block-STM's
//! active-task counting: a transaction is committed only after a validation that ran with every lower
//! transaction already committed, so the result never depends on a speculative validation being complete.
//!
//! *Serial mode* (see `worker.rs`, `Adapt`): while it is on, `next_task` hands out nothing and idle workers
//! sleep; the holder of the commit lock executes the transaction at the commit index itself, in block
//! order, and commits it. Turning it off lifts the execution index to the commit index and wakes everyone.
//!
//! Idle workers sleep on a condition variable (with a short timeout as a backstop) instead of spinning:
//! every event that creates work (an index lowered, the end, a stop) wakes the sleepers, if there are any.

use crate::chaos::Chaos;
use crate::types::{Incarnation, Task, TxIdx, TxState, TxStatus, TxVersion};
use crossbeam_utils::CachePadded;
use parking_lot::{Condvar, Mutex};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// How long an idle worker sleeps before it looks for work again without being woken.
const IDLE_BACKSTOP: Duration = Duration::from_millis(2);

/// Sleeping place for workers with nothing to do.
#[derive(Default)]
struct Idle {
    /// Workers inside [`Scheduler::wait_for_work`].
    sleepers: AtomicUsize,
    lock: Mutex<()>,
    cv: Condvar,
}

/// Shared scheduling state of one block execution.
pub(crate) struct Scheduler {
    n: usize,
    execution_idx: CachePadded<AtomicUsize>,
    validation_idx: CachePadded<AtomicUsize>,
    commit_idx: CachePadded<AtomicUsize>,
    /// Highest transaction that has finished an execution.
    max_executed: CachePadded<AtomicUsize>,
    /// Not padded: neighbours are touched by different workers only briefly, and padding would cost a cache
    /// line of fresh memory per transaction for every block.
    states: Box<[Mutex<TxState>]>,
    /// Transactions parked on each transaction, resumed when it finishes executing.
    dependents: Box<[Mutex<Vec<TxIdx>>]>,
    /// Set when the execution failed: workers stop at their next step.
    stop: AtomicBool,
    /// Serial mode: no tasks are handed out; the committer executes in block order.
    serial: AtomicBool,
    idle: Idle,
    chaos: Chaos,
}

impl Scheduler {
    /// A scheduler for `n` transactions, all ready to execute as incarnation 0.
    pub(crate) fn new(n: usize, chaos: Chaos) -> Self {
        Self {
            n,
            execution_idx: CachePadded::new(AtomicUsize::new(0)),
            validation_idx: CachePadded::new(AtomicUsize::new(0)),
            commit_idx: CachePadded::new(AtomicUsize::new(0)),
            max_executed: CachePadded::new(AtomicUsize::new(0)),
            states: (0..n)
                .map(|_| {
                    Mutex::new(TxState {
                        status: TxStatus::ReadyToExecute,
                        incarnation: 0,
                    })
                })
                .collect(),
            dependents: (0..n).map(|_| Mutex::new(Vec::new())).collect(),
            stop: AtomicBool::new(false),
            serial: AtomicBool::new(false),
            idle: Idle::default(),
            chaos,
        }
    }

    /// The chaos injector of this execution.
    pub(crate) fn chaos(&self) -> &Chaos {
        &self.chaos
    }

    /// Number of transactions.
    pub(crate) fn len(&self) -> usize {
        self.n
    }

    /// Status and incarnation of `tx`.
    pub(crate) fn state(&self, tx: TxIdx) -> TxState {
        *self.states[tx].lock()
    }

    /// True when `tx` has finished an execution that still stands (`Executed` or `Committed`).
    pub(crate) fn finished(&self, tx: TxIdx) -> bool {
        matches!(
            self.states[tx].lock().status,
            TxStatus::Executed | TxStatus::Committed
        )
    }

    // ----- task dispatch -----

    /// The next task, or `None` when this attempt found nothing (callers check [`Self::exhausted`]).
    pub(crate) fn next_task(&self) -> Option<Task> {
        self.chaos.point(10);
        if self.serial() {
            return None;
        }
        // ORDERING: SeqCst on the indices, as in Block-STM's proof: every decrease must be ordered with
        // the status changes made before it and with the loads here.
        let commit = self.commit_idx.load(Ordering::SeqCst);
        // ORDERING: SeqCst, as for the commit index load above.
        let mut v = self.validation_idx.load(Ordering::SeqCst);
        if v < commit {
            // Committed transactions never need validating again.
            // ORDERING: SeqCst; only raises the index past committed transactions.
            v = self
                .validation_idx
                .fetch_max(commit, Ordering::SeqCst)
                .max(commit);
        }
        // ORDERING: SeqCst, as above.
        let e = self.execution_idx.load(Ordering::SeqCst);
        if v < e && v < self.n {
            self.next_version_to_validate()
        } else {
            self.next_version_to_execute()
        }
    }

    /// True when both scans have run past the end: only parked work, commits or decreases remain.
    pub(crate) fn exhausted(&self) -> bool {
        // ORDERING: SeqCst, matching the stores in the decrease functions (see `wait_for_work`).
        self.execution_idx.load(Ordering::SeqCst) >= self.n
            // ORDERING: SeqCst, as above.
            && self.validation_idx.load(Ordering::SeqCst) >= self.n
    }

    fn next_version_to_validate(&self) -> Option<Task> {
        // ORDERING: SeqCst fetch_add claims a unique index in the global order of index operations.
        let idx = self.validation_idx.fetch_add(1, Ordering::SeqCst);
        if idx >= self.n {
            return None;
        }
        let st = self.states[idx].lock();
        (st.status == TxStatus::Executed)
            .then(|| Task::Validate(TxVersion::new(idx, st.incarnation)))
    }

    fn next_version_to_execute(&self) -> Option<Task> {
        // ORDERING: SeqCst; see `next_task`.
        if self.execution_idx.load(Ordering::SeqCst) >= self.n {
            return None;
        }
        // ORDERING: SeqCst fetch_add claims a unique index.
        let idx = self.execution_idx.fetch_add(1, Ordering::SeqCst);
        self.try_incarnate(idx)
    }

    /// `ReadyToExecute(i) -> Executing(i)`: the caller now owns the execution of `tx`.
    pub(crate) fn try_incarnate(&self, tx: TxIdx) -> Option<Task> {
        if tx >= self.n {
            return None;
        }
        let mut st = self.states[tx].lock();
        if st.status != TxStatus::ReadyToExecute {
            return None;
        }
        st.status = TxStatus::Executing;
        Some(Task::Execute(TxVersion::new(tx, st.incarnation)))
    }

    // ----- parking -----

    /// `Executing(i) -> Parked(i)` until `blocker` finishes; false (nothing changed) when `blocker` has
    /// already finished, so the caller resumes at once.
    pub(crate) fn add_dependency(&self, tx: TxIdx, blocker: TxIdx) -> bool {
        self.chaos.point(11);
        // Lock order: dependents[blocker], then the status locks. `finish_execution` sets the blocker's
        // status before it takes its dependents, so either we see it finished or it sees our entry.
        let mut deps = self.dependents[blocker].lock();
        let b = self.states[blocker].lock().status;
        if matches!(b, TxStatus::Executed | TxStatus::Committed) {
            return false;
        }
        let mut st = self.states[tx].lock();
        st.status = TxStatus::Parked;
        drop(st);
        deps.push(tx);
        true
    }

    /// `Parked(i) -> ReadyToExecute(i)` for each transaction in `deps`, and lowers the execution index.
    fn resume_dependencies(&self, deps: Vec<TxIdx>) {
        let mut min = None;
        for d in deps {
            let mut st = self.states[d].lock();
            if st.status == TxStatus::Parked {
                st.status = TxStatus::ReadyToExecute;
                min = Some(min.map_or(d, |m: TxIdx| m.min(d)));
            }
        }
        if let Some(m) = min {
            self.decrease_execution_idx(m);
        }
    }

    // ----- execution and validation results -----

    /// `Executing(i) -> Executed(i)`; wakes the transactions parked on `tx` and returns a validation of
    /// `tx` for the caller when one is due.
    pub(crate) fn finish_execution(
        &self,
        tx: TxIdx,
        incarnation: Incarnation,
        wrote_new_location: bool,
    ) -> Option<Task> {
        self.chaos.point(12);
        {
            let mut st = self.states[tx].lock();
            st.status = TxStatus::Executed;
            st.incarnation = incarnation;
        }
        let deps = std::mem::take(&mut *self.dependents[tx].lock());
        self.resume_dependencies(deps);
        // ORDERING: SeqCst: a higher transaction finishing concurrently either shows up here (and is
        // revalidated below), or did its fetch_max after this load, hence after our entries were
        // published, and its own validation will read them.
        let above_executed = self.max_executed.fetch_max(tx, Ordering::SeqCst) > tx;
        // ORDERING: SeqCst; see `next_task`.
        if self.validation_idx.load(Ordering::SeqCst) > tx {
            // Only transactions that already finished above may have read from below a new location.
            if wrote_new_location && above_executed {
                // Higher transactions may have read this location from below: validate them again.
                self.decrease_validation_idx(tx);
            } else {
                return Some(Task::Validate(TxVersion::new(tx, incarnation)));
            }
        }
        None
    }

    /// `Executed(i) -> Aborting(i)` when `tx` is still at `incarnation`; true when this caller aborted it.
    pub(crate) fn try_validation_abort(&self, tx: TxIdx, incarnation: Incarnation) -> bool {
        self.chaos.point(13);
        let mut st = self.states[tx].lock();
        if st.status == TxStatus::Executed && st.incarnation == incarnation {
            st.status = TxStatus::Aborting;
            true
        } else {
            false
        }
    }

    /// After a validation: when it aborted `tx`, `Aborting(i) -> ReadyToExecute(i + 1)`, revalidates
    /// everything above, and hands the re-execution to the caller when the execution scan is past `tx`.
    pub(crate) fn finish_validation(&self, tx: TxIdx, aborted: bool) -> Option<Task> {
        if !aborted {
            return None;
        }
        {
            let mut st = self.states[tx].lock();
            st.status = TxStatus::ReadyToExecute;
            st.incarnation += 1;
        }
        self.decrease_validation_idx(tx + 1);
        // ORDERING: SeqCst; if the scan is not past `tx`, it will reach it (Block-STM's argument).
        if self.execution_idx.load(Ordering::SeqCst) > tx {
            return self.try_incarnate(tx);
        }
        None
    }

    // ----- commit -----

    /// Transactions below this index are committed.
    pub(crate) fn commit_idx(&self) -> usize {
        // ORDERING: Acquire pairs with the Release in `commit`: whoever sees index `k` sees every entry
        // the committed transactions below `k` published (they were published before their commit).
        self.commit_idx.load(Ordering::Acquire)
    }

    /// The incarnation of `tx` when it is `Executed`.
    pub(crate) fn executed_incarnation(&self, tx: TxIdx) -> Option<Incarnation> {
        let st = self.states[tx].lock();
        (st.status == TxStatus::Executed).then_some(st.incarnation)
    }

    /// `Executing(i) -> Committed(i)` for a transaction the committer claimed and executed in a serial
    /// batch, with final reads (the commit index moves past it only when the batch is published). Wakes
    /// the transactions parked on it.
    pub(crate) fn commit_serial(&self, tx: TxIdx) {
        self.chaos.point(16);
        self.states[tx].lock().status = TxStatus::Committed;
        // ORDERING: SeqCst, as in `finish_execution`.
        self.max_executed.fetch_max(tx, Ordering::SeqCst);
        let deps = std::mem::take(&mut *self.dependents[tx].lock());
        self.resume_dependencies(deps);
    }

    /// Moves the commit index to `to` after a serial batch, whose transactions are all committed.
    pub(crate) fn advance_commit_idx_to(&self, to: TxIdx) {
        // ORDERING: as in `advance_commit_idx`.
        self.commit_idx.store(to, Ordering::SeqCst);
        if to == self.n {
            self.wake_all();
        }
    }

    /// `Executed(i) -> Committed(i)` for the transaction at the commit index. Only the commit-lock holder
    /// calls this, then [`Self::advance_commit_idx`]. False when a concurrent validation aborted it first.
    pub(crate) fn mark_committed(&self, tx: TxIdx, incarnation: Incarnation) -> bool {
        self.chaos.point(14);
        let mut st = self.states[tx].lock();
        if st.status != TxStatus::Executed || st.incarnation != incarnation {
            return false;
        }
        st.status = TxStatus::Committed;
        true
    }

    /// Moves the commit index past `tx`, which the caller has just marked committed.
    pub(crate) fn advance_commit_idx(&self, tx: TxIdx) {
        // ORDERING: Release publishes "tx is final" after its status change and its last entries (see
        // `commit_idx`); SeqCst because the last store is also half of the Dekker pair with sleepers
        // (`wait_for_work`). The commit lock serialises writers, so a plain store cannot lose an update.
        self.commit_idx.store(tx + 1, Ordering::SeqCst);
        if tx + 1 == self.n {
            self.wake_all();
        }
    }

    /// Schedules every transaction above `tx` for validation again (`tx` changed its writes).
    pub(crate) fn revalidate_above(&self, tx: TxIdx) {
        self.decrease_validation_idx(tx + 1);
    }

    /// True once every transaction is committed.
    pub(crate) fn done(&self) -> bool {
        self.commit_idx() >= self.n
    }

    // ----- serial mode -----

    /// True while serial mode is on.
    pub(crate) fn serial(&self) -> bool {
        // ORDERING: SeqCst: the sleeper's half of the Dekker pair with `set_serial(false)`.
        self.serial.load(Ordering::SeqCst)
    }

    /// Turns serial mode on or off. Only the commit-lock holder calls this.
    pub(crate) fn set_serial(&self, on: bool) {
        self.chaos.point(15);
        // ORDERING: SeqCst: the waker's half of the Dekker pair in `wait_for_work` (turning it off is an
        // event that creates work).
        self.serial.store(on, Ordering::SeqCst);
        if !on {
            // Every transaction below the commit index is committed: nothing there to execute. Ready
            // transactions above it are at or above the lifted index, so the scan still reaches them.
            // ORDERING: SeqCst; see `next_task`.
            self.execution_idx
                .fetch_max(self.commit_idx.load(Ordering::SeqCst), Ordering::SeqCst);
            self.wake_all();
        }
    }

    // ----- stopping and sleeping -----

    /// Makes every worker return at its next step (after a failure).
    pub(crate) fn stop(&self) {
        // ORDERING: SeqCst so that a worker about to sleep either sees the flag or is woken after it.
        self.stop.store(true, Ordering::SeqCst);
        self.wake_all();
    }

    /// True after [`Self::stop`].
    pub(crate) fn stopped(&self) -> bool {
        // ORDERING: SeqCst; see `stop`.
        self.stop.load(Ordering::SeqCst)
    }

    /// True when a worker has something to look at: a scan index below the end (outside serial mode), the
    /// end, or a stop.
    pub(crate) fn has_work(&self) -> bool {
        // ORDERING: SeqCst loads, the sleeper's half of the Dekker pair (see `wait_for_work`).
        (!self.exhausted() && !self.serial())
            || self.stopped()
            || self.commit_idx.load(Ordering::SeqCst) >= self.n
    }

    /// Sleeps until work may have appeared (or the backstop timeout).
    pub(crate) fn wait_for_work(&self) {
        let mut guard = self.idle.lock.lock();
        // ORDERING: SeqCst (Dekker-style with `wake_all`): the waker changes an index (or `stop`, or the
        // commit index) with SeqCst, then loads `sleepers`; we increment `sleepers`, then load the same
        // state. Either the waker sees us and notifies under the lock (after we are waiting: we hold the
        // lock until `wait_for` releases it), or we see its change and do not sleep.
        self.idle.sleepers.fetch_add(1, Ordering::SeqCst);
        if !self.has_work() {
            self.idle.cv.wait_for(&mut guard, IDLE_BACKSTOP);
        }
        // ORDERING: SeqCst, paired with the increment.
        self.idle.sleepers.fetch_sub(1, Ordering::SeqCst);
    }

    /// Announces new work (or the end) to sleeping workers; costs one load when nobody sleeps.
    fn wake_all(&self) {
        // ORDERING: SeqCst, the waker's half of the Dekker pair in `wait_for_work`.
        if self.idle.sleepers.load(Ordering::SeqCst) > 0 {
            let _guard = self.idle.lock.lock();
            self.idle.cv.notify_all();
        }
    }

    fn decrease_execution_idx(&self, target: TxIdx) {
        // ORDERING: SeqCst; see `next_task`.
        if self.execution_idx.fetch_min(target, Ordering::SeqCst) > target {
            self.wake_all();
        }
    }

    fn decrease_validation_idx(&self, target: TxIdx) {
        // ORDERING: SeqCst; see `next_task`.
        if self.validation_idx.fetch_min(target, Ordering::SeqCst) > target {
            self.wake_all();
        }
    }
}
