//! The helpers' side of the lookahead engine: claiming runs of transactions past the committer
//! ([`super::Shared::claim_within`]), executing them speculatively over the base state or a layer of
//! earlier speculative writes, and publishing each outcome in its slot for the committer (`committer.rs`).

use super::*;

impl<'a> Shared<'a> {
    /// Claims the next run of transactions past the committer for speculative executions.
    pub(super) fn claim(&self) -> Claim {
        self.claim_within(AHEAD, false)
    }

    /// Claims the next run of transactions starting at most `ahead` past the committer; runs kept for
    /// the committer too when `kept_too` (the committer's own speculation while it waits for a long
    /// transaction).
    pub(super) fn claim_within(&self, ahead: usize, kept_too: bool) -> Claim {
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
    pub(super) fn chunk_of(&self, i: TxIdx) -> usize {
        self.chunks.partition_point(|&start| start <= i) - 1
    }

    /// Executes the transactions of claimed run `start..end` over `view`, each one whose slot it wins,
    /// until the committer reaches the run (it then executes the rest itself). Hot transactions and
    /// predicted-dependent ones are left to the committer. Returns the executions.
    pub(super) fn speculate_run(
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
    pub(super) fn make_hot(&self, to: Address) {
        if !self.hot.read().contains(&to) && self.hot.write().insert(to) {
            // ORDERING: Relaxed; see `Shared::is_hot`.
            self.any_hot.store(true, Ordering::Relaxed);
        }
    }

    /// True when transaction `j` calls a target learned to be hot.
    pub(super) fn is_hot(&self, j: TxIdx) -> bool {
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
    pub(super) fn speculate(
        &self,
        j: TxIdx,
        view: &mut SpecView<'_, 'a, '_>,
        claimed: Claimed<'_>,
    ) {
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
    pub(super) fn redo_pays(&self, view: &SpecView<'_, 'a, '_>) -> bool {
        // ORDERING: Relaxed; see `Shared::chain`.
        !self.adaptive
            || matches!(view, SpecView::Committer(_))
            || self.chain.load(Ordering::Relaxed)
    }

    /// A helper: speculates until nothing is left to claim. A panic stops the block with an error
    /// naming the transaction (the slot is released so that the committer does not wait on it).
    pub(super) fn help(&self) -> ExecReport {
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
pub(super) struct Reach {
    /// The committer's position last seen.
    pos: TxIdx,
    /// When a helper first found nothing to claim with the committer at `pos`.
    since: Option<Instant>,
}

/// See [`Reach`].
pub(super) const STALL: Duration = Duration::from_micros(50);

impl Reach {
    /// The distance past the committer at `pos` that a helper may claim now.
    pub(super) fn ahead(&mut self, pos: TxIdx) -> usize {
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
    pub(super) fn waiting(&mut self) -> bool {
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
pub(super) fn run_on_layer(
    exec: &mut TxExecution<'_>,
    layer: &mut Overlay<'_>,
) -> (Option<TxOutcome>, bool) {
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
