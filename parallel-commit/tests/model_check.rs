//! Model checking of the real scheduler with shuttle: `src/scheduler.rs` is compiled here, unchanged,
//! against shuttle's instrumented mutexes, condition variable and atomics (the `sync` module below stands
//! in for `src/sync.rs`), so every lock and every atomic access of the scheduler is a point where shuttle
//! may switch threads. Worker threads drive it exactly as `src/worker.rs` does (task loop, park and resume
//! through `add_dependency`, publish then `finish_execution`, speculative validation and abort, the commit
//! gate with its pending flag, ordered commit with a final validation, sleeping in `wait_for_work`) over
//! a small multi-version store of integer keys that follows the rules of `src/mv_memory.rs` (a read sees
//! the highest lower entry; an aborted incarnation's entries become estimates, which block).
//!
//! Each schedule of each small block must end with every transaction committed, its committed reads and
//! writes equal to the sequential execution's, no transaction executed by two workers at once, and no
//! parked execution lost. The idle backstop timeout of `wait_for_work` is left out of the model (the
//! condition variable waits until notified), so a lost wake-up shows as a deadlock, which shuttle reports.
//! Shuttle explores sequentially consistent interleavings only: the `Acquire`/`Release` orderings are
//! not checked here.
//!
//! The schedules are drawn by shuttle's PCT scheduler from fixed seeds, so a failure reproduces. The
//! mutations of the protocol this test catches are listed in `docs/parallel.md` (Model checking).

use parevm_parallel_commit::types::{Incarnation, Task, TxIdx, TxStatus, TxVersion};
use shuttle::scheduler::{PctScheduler, RandomScheduler, Scheduler as ShuttleScheduler};
use shuttle::{Config, MaxSteps, Runner};
use std::sync::atomic::{AtomicBool as PlainBool, AtomicUsize as PlainUsize};
use std::sync::Arc;

// The engine's own files, compiled against the primitives below.
#[allow(dead_code)] // the harness calls most of the scheduler, not the serial-mode half
#[path = "../src/scheduler.rs"]
mod scheduler;

#[allow(dead_code)] // chaos stays off in the model
#[path = "../src/chaos.rs"]
mod chaos;

/// The names `scheduler.rs` imports from `crate::types`.
mod types {
    pub(crate) use parevm_parallel_commit::types::*;
}

/// Shuttle's primitives behind the API of `src/sync.rs` (parking_lot's locks, std's atomics).
mod sync {
    use std::ops::{Deref, DerefMut};
    use std::time::Duration;

    pub(crate) use shuttle::sync::atomic::{AtomicBool, AtomicUsize};
    pub(crate) use std::sync::atomic::Ordering;

    /// A mutex whose `lock` returns the guard (no poisoning), as parking_lot's does.
    #[derive(Default)]
    pub(crate) struct Mutex<T>(shuttle::sync::Mutex<T>);

    /// The guard of [`Mutex`]; `None` only while a condition variable waits with it.
    pub(crate) struct MutexGuard<'a, T>(Option<shuttle::sync::MutexGuard<'a, T>>);

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Self(shuttle::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            MutexGuard(Some(self.0.lock().unwrap_or_else(|p| p.into_inner())))
        }

        pub(crate) fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
            self.0.try_lock().ok().map(|g| MutexGuard(Some(g)))
        }
    }

    impl<T> Deref for MutexGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            self.0.as_deref().expect("guard held")
        }
    }

    impl<T> DerefMut for MutexGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            self.0.as_deref_mut().expect("guard held")
        }
    }

    /// A condition variable with parking_lot's `wait_for` signature.
    #[derive(Default)]
    pub(crate) struct Condvar(shuttle::sync::Condvar);

    impl Condvar {
        /// Waits until notified. The engine's backstop timeout is left out on purpose: a wake-up the
        /// protocol loses must show as a deadlock.
        pub(crate) fn wait_for<T>(&self, guard: &mut MutexGuard<'_, T>, _backstop: Duration) {
            let g = guard.0.take().expect("guard held");
            guard.0 = Some(self.0.wait(g).unwrap_or_else(|p| p.into_inner()));
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }
}

use scheduler::Scheduler;
use sync::{AtomicBool, Mutex, Ordering};

/// One transaction of a model block: the keys it reads, in order, and the key it writes (if any). The
/// value it writes is a function of the values it read and of its index, so a stale read changes it.
#[derive(Clone, Debug)]
struct Program {
    reads: Vec<usize>,
    write: Option<usize>,
}

fn value_of(tx: TxIdx, reads: &[(usize, u64)]) -> u64 {
    reads.iter().fold(tx as u64 + 1, |acc, (_, v)| {
        acc.wrapping_mul(31).wrapping_add(*v)
    })
}

/// What the sequential execution reads and writes, per transaction.
fn sequential(programs: &[Program], keys: usize) -> Vec<(Vec<(usize, u64)>, u64)> {
    let mut state = vec![0u64; keys];
    programs
        .iter()
        .enumerate()
        .map(|(tx, p)| {
            let reads: Vec<_> = p.reads.iter().map(|k| (*k, state[*k])).collect();
            let value = value_of(tx, &reads);
            if let Some(k) = p.write {
                state[k] = value;
            }
            (reads, value)
        })
        .collect()
}

/// An entry of the model's multi-version store.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Entry {
    Value(u64),
    Estimate,
}

/// The multi-version store: per key, the entry of each transaction that wrote it.
struct Memory {
    keys: Vec<Mutex<Vec<Option<Entry>>>>,
}

impl Memory {
    fn new(keys: usize, txs: usize) -> Self {
        Self {
            keys: (0..keys).map(|_| Mutex::new(vec![None; txs])).collect(),
        }
    }

    /// The value `tx` sees under `key`, or `Err(j)` when the highest lower entry is an estimate of `j`.
    fn read(&self, key: usize, tx: TxIdx) -> Result<u64, TxIdx> {
        let versions = self.keys[key].lock();
        for j in (0..tx).rev() {
            match versions[j] {
                Some(Entry::Value(v)) => return Ok(v),
                Some(Entry::Estimate) => return Err(j),
                None => {}
            }
        }
        Ok(0)
    }

    /// Publishes `tx`'s value; true when the key is new for `tx` (no earlier incarnation wrote it).
    fn publish(&self, key: usize, tx: TxIdx, value: u64) -> bool {
        self.keys[key].lock()[tx]
            .replace(Entry::Value(value))
            .is_none()
    }

    fn mark_estimate(&self, key: usize, tx: TxIdx) {
        let mut versions = self.keys[key].lock();
        if versions[tx].is_some() {
            versions[tx] = Some(Entry::Estimate);
        }
    }
}

/// A started execution: the reads made so far (a parked one resumes from here).
struct Job {
    incarnation: Incarnation,
    reads: Vec<(usize, u64)>,
    /// Taken when every lower transaction was committed: no hint applies.
    final_reads: bool,
}

/// A finished incarnation.
struct Finished {
    incarnation: Incarnation,
    reads: Vec<(usize, u64)>,
    value: u64,
}

#[derive(Default)]
struct Slot {
    parked: Mutex<Option<Job>>,
    last: Mutex<Option<Arc<Finished>>>,
    /// Set while a worker executes the transaction (not a model point: a plain atomic).
    running: PlainBool,
}

/// What the explored schedules did, summed over all of them (plain atomics, not model points).
#[derive(Default)]
struct Stats {
    schedules: PlainUsize,
    /// `add_dependency` parked the transaction.
    parks: PlainUsize,
    /// `add_dependency` found the blocker finished (the race the dependents lock decides).
    park_races: PlainUsize,
    /// A parked execution picked up again after its blocker woke it.
    resumes: PlainUsize,
    /// Speculative or commit-time validations that aborted an incarnation.
    aborts: PlainUsize,
    /// Calls of `wait_for_work`.
    sleeps: PlainUsize,
}

impl Stats {
    fn add(counter: &PlainUsize) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn get(counter: &PlainUsize) -> usize {
        counter.load(Ordering::Relaxed)
    }
}

/// One block execution: the real scheduler, the model store and the worker-side state of `worker.rs`.
struct Block {
    programs: Vec<Program>,
    /// Static hints: a read of a key waits for the nearest lower transaction that writes it, while that
    /// one has not finished (as `StaticHints` and `HotHints` make reads wait).
    hints: bool,
    sched: Scheduler,
    mem: Memory,
    slots: Vec<Slot>,
    commit_lock: Mutex<()>,
    commit_pending: AtomicBool,
    stats: Arc<Stats>,
}

impl Block {
    fn new(programs: Vec<Program>, keys: usize, hints: bool, stats: Arc<Stats>) -> Self {
        let n = programs.len();
        Self {
            programs,
            hints,
            sched: Scheduler::new(n, chaos::Chaos::new(None)),
            mem: Memory::new(keys, n),
            slots: (0..n).map(|_| Slot::default()).collect(),
            commit_lock: Mutex::new(()),
            commit_pending: AtomicBool::new(false),
            stats,
        }
    }

    /// `worker.rs`'s `work` loop.
    fn work(&self) {
        let mut task: Option<Task> = None;
        loop {
            let t = match task.take() {
                Some(t) => t,
                None => match self.try_commit().or_else(|| self.sched.next_task()) {
                    Some(t) => t,
                    None => {
                        if self.sched.done() {
                            return;
                        }
                        if self.sched.has_work() {
                            // The engine's backoff: spin, then yield (PCT lowers a yielding thread).
                            shuttle::thread::yield_now();
                        } else {
                            Stats::add(&self.stats.sleeps);
                            self.sched.wait_for_work();
                        }
                        continue;
                    }
                },
            };
            task = match t {
                Task::Execute(v) => self.execute(v),
                Task::Validate(v) => self.validate(v),
            };
        }
    }

    /// The unfinished lower writer a read of `key` by `tx` waits for (static hints).
    fn hint(&self, key: usize, tx: TxIdx) -> Option<TxIdx> {
        let k = (0..tx)
            .rev()
            .find(|j| self.programs[*j].write == Some(key))?;
        (!self.sched.finished(k)).then_some(k)
    }

    /// Runs `job` on until it finishes (`Ok(value)`) or a read must wait for `Err(k)`.
    fn run(&self, tx: TxIdx, job: &mut Job) -> Result<u64, TxIdx> {
        let program = &self.programs[tx];
        while job.reads.len() < program.reads.len() {
            let key = program.reads[job.reads.len()];
            if self.hints && !job.final_reads {
                if let Some(k) = self.hint(key, tx) {
                    return Err(k);
                }
            }
            let v = self.mem.read(key, tx)?;
            job.reads.push((key, v));
        }
        Ok(value_of(tx, &job.reads))
    }

    fn start(&self, tx: TxIdx, incarnation: Incarnation) -> Job {
        Job {
            incarnation,
            reads: Vec::new(),
            final_reads: self.sched.commit_idx() >= tx,
        }
    }

    /// `worker.rs`'s `execute`: resumes the parked execution of this incarnation, or starts one.
    fn execute(&self, v: TxVersion) -> Option<Task> {
        let tx = v.tx;
        let slot = &self.slots[tx];
        assert!(
            !slot.running.swap(true, Ordering::SeqCst),
            "transaction {tx} handed to two workers at once"
        );
        let parked = slot.parked.lock().take();
        let mut job = match parked {
            Some(job) if job.incarnation == v.incarnation => {
                Stats::add(&self.stats.resumes);
                job
            }
            _ => self.start(tx, v.incarnation),
        };
        loop {
            match self.run(tx, &mut job) {
                Ok(value) => {
                    slot.running.store(false, Ordering::SeqCst);
                    return self.finish(v, job, value);
                }
                Err(k) => {
                    assert!(k < tx, "transaction {tx} blocked on higher {k}");
                    *slot.parked.lock() = Some(job);
                    slot.running.store(false, Ordering::SeqCst);
                    if self.sched.add_dependency(tx, k) {
                        Stats::add(&self.stats.parks);
                        return None;
                    }
                    Stats::add(&self.stats.park_races);
                    // `k` finished in between: continue at once.
                    assert!(
                        !slot.running.swap(true, Ordering::SeqCst),
                        "transaction {tx} resumed by another worker while its parker continues"
                    );
                    job = slot
                        .parked
                        .lock()
                        .take()
                        .unwrap_or_else(|| panic!("parked execution of {tx} vanished"));
                }
            }
        }
    }

    /// Publishes the incarnation's write, records it, and reports it to the scheduler.
    fn finish(&self, v: TxVersion, job: Job, value: u64) -> Option<Task> {
        let wrote_new = self.programs[v.tx]
            .write
            .is_some_and(|k| self.mem.publish(k, v.tx, value));
        *self.slots[v.tx].last.lock() = Some(Arc::new(Finished {
            incarnation: v.incarnation,
            reads: job.reads,
            value,
        }));
        self.sched.finish_execution(v.tx, v.incarnation, wrote_new)
    }

    fn last(&self, tx: TxIdx, incarnation: Incarnation) -> Option<Arc<Finished>> {
        let fin = self.slots[tx].last.lock().clone()?;
        (fin.incarnation == incarnation).then_some(fin)
    }

    fn reads_valid(&self, tx: TxIdx, reads: &[(usize, u64)]) -> bool {
        reads
            .iter()
            .all(|(k, seen)| self.mem.read(*k, tx) == Ok(*seen))
    }

    fn abort(&self, tx: TxIdx, fin: &Finished) -> bool {
        if !self.sched.try_validation_abort(tx, fin.incarnation) {
            return false;
        }
        if let Some(k) = self.programs[tx].write {
            self.mem.mark_estimate(k, tx);
        }
        Stats::add(&self.stats.aborts);
        true
    }

    fn validate(&self, v: TxVersion) -> Option<Task> {
        let fin = self.last(v.tx, v.incarnation)?;
        let aborted = !self.reads_valid(v.tx, &fin.reads) && self.abort(v.tx, &fin);
        self.sched.finish_validation(v.tx, aborted)
    }

    /// `worker.rs`'s commit gate: one committer at a time, a request made meanwhile is served by it.
    fn try_commit(&self) -> Option<Task> {
        loop {
            if let Some(guard) = self.commit_lock.try_lock() {
                self.commit_pending.store(false, Ordering::SeqCst);
                let task = self.commit_ready();
                drop(guard);
                if task.is_some() || !self.commit_pending.load(Ordering::SeqCst) {
                    return task;
                }
                continue;
            }
            self.commit_pending.store(true, Ordering::SeqCst);
            // `is_locked()`: shuttle's mutex has no such query, and "unlocked now" is exactly "a
            // `try_lock` now succeeds" (then released at once, as the engine's loop tries again).
            match self.commit_lock.try_lock() {
                Some(guard) => drop(guard),
                None => return None,
            }
        }
    }

    /// `worker.rs`'s `commit_ready` (parallel mode): validate the transaction at the commit index with
    /// every lower one final, then commit it, or abort it for its last re-execution.
    fn commit_ready(&self) -> Option<Task> {
        loop {
            let k = self.sched.commit_idx();
            if k >= self.sched.len() {
                return None;
            }
            let inc = self.sched.executed_incarnation(k)?;
            // Aborted and executed again since the status was read: its finisher commits it.
            let fin = self.last(k, inc)?;
            if !self.reads_valid(k, &fin.reads) {
                if self.abort(k, &fin) {
                    return self.sched.finish_validation(k, true);
                }
                return None;
            }
            if !self.sched.mark_committed(k, inc) {
                return None;
            }
            self.sched.advance_commit_idx(k);
        }
    }

    /// The block's outcome against the sequential execution.
    fn check(&self, keys: usize) {
        let expected = sequential(&self.programs, keys);
        for (tx, (reads, value)) in expected.iter().enumerate() {
            assert_eq!(
                self.sched.state(tx).status,
                TxStatus::Committed,
                "transaction {tx} not committed"
            );
            let fin = self.slots[tx].last.lock().clone().expect("a result");
            assert_eq!(&fin.reads, reads, "transaction {tx}: committed reads");
            assert_eq!(fin.value, *value, "transaction {tx}: committed value");
            assert!(self.slots[tx].parked.lock().is_none(), "{tx} left parked");
        }
    }
}

/// Runs the block under each schedule `strategy` draws.
fn run_schedules(
    strategy: Box<dyn ShuttleScheduler + Send>,
    config: Config,
    stats: &Arc<Stats>,
    programs: &[Program],
    keys: usize,
    hints: bool,
    threads: usize,
) {
    let shared = Arc::clone(stats);
    let programs = programs.to_vec();
    Runner::new(strategy, config).run(move || {
        Stats::add(&shared.schedules);
        let block = Arc::new(Block::new(
            programs.clone(),
            keys,
            hints,
            Arc::clone(&shared),
        ));
        let helpers: Vec<_> = (1..threads)
            .map(|_| {
                let block = Arc::clone(&block);
                shuttle::thread::spawn(move || block.work())
            })
            .collect();
        block.work();
        for h in helpers {
            h.join().expect("worker panicked");
        }
        block.check(keys);
    });
}

/// Runs `programs` on `threads` workers under `iterations` random schedules and half as many PCT
/// schedules (bug depth 3), from a fixed seed per scenario, and returns what the schedules did.
fn explore(
    name: &str,
    programs: Vec<Program>,
    keys: usize,
    hints: bool,
    threads: usize,
    iterations: usize,
) -> Arc<Stats> {
    let seed = 0x5EED_0000 + programs.len() as u64 * 16 + threads as u64 * 2 + hints as u64;
    let stats = Arc::new(Stats::default());
    let mut config = Config::new();
    config.max_steps = MaxSteps::FailAfter(200_000);
    config.silence_warnings = true;
    // Uniformly random switches find most races; PCT finds the ones that need a thread to be starved
    // for a while (a few priority changes at random points).
    let strategies: [Box<dyn ShuttleScheduler + Send>; 2] = [
        Box::new(RandomScheduler::new_from_seed(seed, iterations)),
        Box::new(PctScheduler::new_from_seed(seed, 3, iterations / 2)),
    ];
    for strategy in strategies {
        run_schedules(
            strategy,
            config.clone(),
            &stats,
            &programs,
            keys,
            hints,
            threads,
        );
    }
    eprintln!(
        "{name} (hints {hints}, {threads} threads): {} schedules, {} parks, {} park races, {} resumes, \
         {} aborts, {} sleeps",
        Stats::get(&stats.schedules),
        Stats::get(&stats.parks),
        Stats::get(&stats.park_races),
        Stats::get(&stats.resumes),
        Stats::get(&stats.aborts),
        Stats::get(&stats.sleeps),
    );
    assert_eq!(
        Stats::get(&stats.schedules),
        iterations + iterations / 2,
        "{name}: schedules run"
    );
    stats
}

fn p(reads: &[usize], write: Option<usize>) -> Program {
    Program {
        reads: reads.to_vec(),
        write,
    }
}

/// Every transaction increments one counter: a chain of conflicts.
fn counter(n: usize) -> Vec<Program> {
    (0..n).map(|_| p(&[0], Some(0))).collect()
}

/// Two independent writers and two readers that depend on them: 1 reads 0's key, 3 reads 1's and 2's.
fn diamond() -> Vec<Program> {
    vec![
        p(&[], Some(0)),
        p(&[0], Some(1)),
        p(&[], Some(2)),
        p(&[1, 2], Some(3)),
    ]
}

/// Readers of keys written both below and above them, and a transaction that writes nothing.
fn crossing() -> Vec<Program> {
    vec![
        p(&[1], Some(0)),
        p(&[0], Some(1)),
        p(&[1], None),
        p(&[2, 0], Some(2)),
    ]
}

/// With hints every reader of the counter waits for its predecessor: executions park, and wake-ups race
/// with parking.
#[test]
fn counter_chain_parks_on_hints() {
    let s = explore("counter of 3", counter(3), 1, true, 2, 20_000);
    assert!(Stats::get(&s.parks) > 0 && Stats::get(&s.resumes) > 0);
    assert!(Stats::get(&s.park_races) > 0 && Stats::get(&s.sleeps) > 0);
    let s = explore("counter of 4", counter(4), 1, true, 3, 10_000);
    assert!(Stats::get(&s.parks) > 0 && Stats::get(&s.resumes) > 0);
}

/// Without hints readers run ahead, validations abort them, their entries become estimates, and readers
/// of an estimate park on the aborted writer.
#[test]
fn counter_chain_aborts_without_hints() {
    let s = explore("counter of 3", counter(3), 1, false, 2, 20_000);
    assert!(Stats::get(&s.aborts) > 0 && Stats::get(&s.parks) > 0);
    let s = explore("counter of 4", counter(4), 1, false, 3, 10_000);
    assert!(Stats::get(&s.aborts) > 0 && Stats::get(&s.parks) > 0);
}

/// Partial dependencies, with and without hints.
#[test]
fn diamond_and_crossing_reads() {
    for (name, programs, keys) in [("diamond", diamond(), 4), ("crossing", crossing(), 3)] {
        let s = explore(name, programs.clone(), keys, false, 2, 8_000);
        assert!(Stats::get(&s.aborts) > 0, "{name}: no abort explored");
        let s = explore(name, programs, keys, true, 3, 4_000);
        assert!(Stats::get(&s.parks) > 0, "{name}: no park explored");
    }
}
