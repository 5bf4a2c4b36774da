//! Frame lookahead (issue 16): a *scout* runs a transaction ahead of its committer without running the
//! children of the top frame's calls, skipping the calls the committer will reach before a helper frame
//! of it could finish and running the others itself as helper frames ([`super::frames`]) from a seed of
//! its journal; *helpers* (threads beyond the scout's) run the jobs it leaves pending, latest first. The
//! committer takes a finished job at its own call when the job answers it and its reads still hold, waits
//! for one that is running (it would take as long to run the call itself), and runs the call inline
//! otherwise. Threads belong to the caller (the block executor): evm-core only provides the board and the
//! loops. Protocol and state diagram: `docs/frames.md`.
//!
//! ```text
//! scout:     top frame, call k -> committer there before a run of k could end: skip (predicted result)
//!                              -> otherwise: job k {request, seed}: run it now (RUNNING -> READY, its
//!                                 result delivered), or PENDING when a helper is idle (predicted result)
//! helper:    latest PENDING k -> RUNNING -> run -> READY (or GONE)
//! committer: call k -> READY: check + apply, or inline; RUNNING: wait; PENDING/none: GONE, inline
//! ```

use super::frames::HelperFrame;
use super::{FrameResult, Stage, TxExecution};
use crate::env::Env;
use crate::interpreter::CallRequest;
use crate::outcome::ExecStatus;
use crate::view::{StateView, ViewError};
use alloy_primitives::{Address, Bytes, B256, U256};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;
use std::time::Instant;

/// The most gas a helper frame runs with. A helper runs with less than the scout's forwarded gas (which
/// does not count what the children before it used), so that the committer's real limit is at least the
/// helper's: a frame that needs more runs out, is marked gas-sensitive and is run inline.
const HELPER_GAS_CAP: u64 = 1 << 21;

/// The scout runs a call itself only when the committer's expected time to reach it is at least this
/// many quarters of the call's expected run time: a run that ends after the committer arrives makes it
/// wait for the rest.
const LEAD_QUARTERS: u64 = 8;

/// A call of a kind the scout has run is *light* when its last run took under this share (in percent)
/// of the committer's time per call: the scout skips it whatever its lead. Running it would save the
/// committer little more than the check and the apply cost, while the scout's time is worth more on the
/// heavy calls further on (a bundle's validations against its executions: `docs/benchmarks.md`, "Frames
/// (issue 16): the scout skips light calls").
const LIGHT_PERCENT: u64 = 50;

/// Discarded helper frames (more than applied) after which the scout of a transaction runs no more.
const STRIKES: usize = 2;

/// Checks the committer makes of a running job before it sleeps until a job ends.
const SPINS: u32 = 2_000;

/// A call the scout met, and where its helper frame is.
#[derive(Debug)]
enum JobState {
    Pending,
    Running,
    Ready(Box<HelperFrame>),
    /// Skipped by the scout, reached by the committer first, or the helper frame failed.
    Gone,
}

#[derive(Debug)]
struct Job {
    request: CallRequest,
    seed: Arc<crate::journal::Seed>,
    state: JobState,
}

/// The jobs of one transaction's frame lookahead, shared by its scout, its helpers and its committer.
#[derive(Debug)]
pub struct FrameBoard {
    jobs: Mutex<Vec<Job>>,
    /// Signalled when a running job ends (the committer may be waiting for it).
    ended: Condvar,
    /// The scout has published every call it will.
    scouted: AtomicBool,
    /// The committer has finished the transaction: helpers stop.
    finished: AtomicBool,
    /// Calls of the top frame the committer has reached (it is in call `reached - 1` or after it).
    reached: AtomicUsize,
    /// Nanoseconds from `start` to the committer's first call.
    first_call_ns: AtomicU64,
    /// Helpers (beyond the scout) looking for a job.
    idle: AtomicUsize,
    /// Helper frames the committer applied.
    applied: AtomicUsize,
    /// Helper frames the committer checked and discarded (stale).
    discarded: AtomicUsize,
    start: Instant,
}

impl Default for FrameBoard {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameBoard {
    /// An empty board; the committer's clock starts now.
    pub fn new() -> Self {
        Self {
            jobs: Mutex::default(),
            ended: Condvar::new(),
            scouted: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            reached: AtomicUsize::new(0),
            first_call_ns: AtomicU64::new(0),
            idle: AtomicUsize::new(0),
            applied: AtomicUsize::new(0),
            discarded: AtomicUsize::new(0),
            start: Instant::now(),
        }
    }

    fn jobs(&self) -> MutexGuard<'_, Vec<Job>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn elapsed_ns(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Tells the helpers that the transaction is done (call it when the committer's `resume` returns).
    pub fn finish(&self) {
        self.finished.store(true, Ordering::Release);
    }

    /// Helper frames the committer applied and discarded so far.
    pub fn outcome(&self) -> (usize, usize) {
        (
            self.applied.load(Ordering::Acquire),
            self.discarded.load(Ordering::Acquire),
        )
    }

    /// The transaction's calls keep depending on each other: at least [`STRIKES`] helper frames
    /// discarded, more than applied. The scout then runs no more of them.
    fn struck(&self) -> bool {
        let (applied, discarded) = self.outcome();
        discarded >= STRIKES && discarded > applied
    }

    fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }

    /// Nanoseconds the committer is expected to take to reach call `k`, and its time per call so far
    /// (`None` before its first call: no pace yet).
    fn time_to_reach(&self, k: usize) -> Option<(u64, u64)> {
        let reached = self.reached.load(Ordering::Acquire);
        if reached == 0 {
            return None;
        }
        let first = self.first_call_ns.load(Ordering::Relaxed);
        let per_call = self.elapsed_ns().saturating_sub(first) / reached as u64;
        // In call `reached - 1` (half done, on average), then the calls before `k`.
        let calls_left = (k + 1).saturating_sub(reached) as u64;
        Some((
            per_call
                .saturating_mul(2 * calls_left)
                .saturating_sub(per_call)
                / 2,
            per_call,
        ))
    }

    /// The committer at call `k`: the helper frame when it is ready, after waiting for one that is
    /// running; any other state becomes `Gone` (the committer runs the call itself and no helper starts
    /// it).
    fn take(&self, k: usize) -> Option<Box<HelperFrame>> {
        if k == 0 {
            self.first_call_ns
                .store(self.elapsed_ns(), Ordering::Relaxed);
        }
        self.reached.store(k + 1, Ordering::Release);
        let mut spins = 0u32;
        let mut jobs = self.jobs();
        loop {
            let job = jobs.get_mut(k)?;
            if !matches!(job.state, JobState::Running) {
                return match std::mem::replace(&mut job.state, JobState::Gone) {
                    JobState::Ready(f) => Some(f),
                    _ => None,
                };
            }
            // Spin a little (a job often ends within microseconds), then sleep until one ends: yielding
            // would hand a loaded machine's other tasks whole time slices.
            spins += 1;
            if spins < SPINS {
                drop(jobs);
                std::hint::spin_loop();
                jobs = self.jobs();
            } else {
                jobs = self
                    .ended
                    .wait_timeout(jobs, Duration::from_millis(1))
                    .map(|(g, _)| g)
                    .unwrap_or_else(|p| p.into_inner().0);
            }
        }
    }

    /// Claims the latest pending job the committer has not reached.
    fn claim(&self) -> Option<(usize, CallRequest, Arc<crate::journal::Seed>)> {
        let reached = self.reached.load(Ordering::Acquire);
        let mut jobs = self.jobs();
        let (k, job) = jobs
            .iter_mut()
            .enumerate()
            .skip(reached)
            .rev()
            .find(|(_, j)| matches!(j.state, JobState::Pending))?;
        job.state = JobState::Running;
        Some((k, job.request.clone(), job.seed.clone()))
    }

    fn complete(&self, k: usize, frame: Option<HelperFrame>) {
        let mut jobs = self.jobs();
        if let Some(job) = jobs.get_mut(k) {
            if matches!(job.state, JobState::Running) {
                job.state = match frame {
                    Some(f) => JobState::Ready(Box::new(f)),
                    None => JobState::Gone,
                };
                drop(jobs);
                self.ended.notify_all();
                return;
            }
        }
        drop(jobs);
        if let Some(f) = frame {
            crate::frame_mode::count_discarded(f.gas_used());
        }
    }
}

/// Runs job `req` as a helper frame; a failure (or a panic, which would otherwise leave the committer
/// waiting for the job) is `None`: the committer runs the call itself.
fn run_job(
    env: &Env,
    seed: Arc<crate::journal::Seed>,
    view: &dyn StateView,
    req: &CallRequest,
) -> Option<HelperFrame> {
    let run = std::panic::AssertUnwindSafe(|| HelperFrame::run(env, seed, view, req, 1).ok());
    std::panic::catch_unwind(run).ok().flatten()
}

/// The view a scout and its helpers read through: the block's view until the committer finishes, then
/// an error at the next read, so that a scout or helper frame still running stops within a few
/// instructions instead of holding the committer's return (its threads are joined).
struct UntilFinished<'a> {
    view: &'a (dyn StateView + Sync),
    board: &'a FrameBoard,
}

impl UntilFinished<'_> {
    fn open(&self) -> Result<(), ViewError> {
        if self.board.is_finished() {
            Err(ViewError::Backend("frame lookahead finished".into()))
        } else {
            Ok(())
        }
    }
}

impl StateView for UntilFinished<'_> {
    fn balance(&self, address: Address) -> Result<U256, ViewError> {
        self.open()?;
        self.view.balance(address)
    }
    fn nonce(&self, address: Address) -> Result<u64, ViewError> {
        self.open()?;
        self.view.nonce(address)
    }
    fn code_hash(&self, address: Address) -> Result<B256, ViewError> {
        self.open()?;
        self.view.code_hash(address)
    }
    fn code_by_hash(&self, code_hash: B256) -> Result<crate::code::Code, ViewError> {
        self.open()?;
        self.view.code_by_hash(code_hash)
    }
    fn storage(&self, address: Address, slot: U256) -> Result<U256, ViewError> {
        self.open()?;
        self.view.storage(address, slot)
    }
    fn block_hash(&self, number: u64) -> Result<B256, ViewError> {
        self.open()?;
        self.view.block_hash(number)
    }
    fn has_storage(&self, address: Address) -> Result<bool, ViewError> {
        self.open()?;
        self.view.has_storage(address)
    }
    fn basic(&self, address: Address) -> Result<crate::view::AccountBasic, ViewError> {
        self.open()?;
        self.view.basic(address)
    }
}

/// Runs on a helper thread of a transaction with a [`FrameBoard`]: the scout first when `scout` is set,
/// then helper frames until the committer finishes (a helper that finds nothing to do yields its core).
pub fn run_frame_helper(env: &Env, view: &(dyn StateView + Sync), board: &FrameBoard, scout: bool) {
    let view = &UntilFinished { view, board };
    if scout {
        let mut exec = TxExecution::borrowed(env);
        exec.scout = Some(board);
        // The scout stops at the end of its top frame, at a read that is not ready, or when cancelled.
        let _ = exec.scout_run(view);
        board.scouted.store(true, Ordering::Release);
    } else {
        board.idle.fetch_add(1, Ordering::AcqRel);
    }
    let mut idle = !scout;
    while !board.is_finished() {
        match board.claim() {
            Some((k, req, seed)) => {
                if idle {
                    board.idle.fetch_sub(1, Ordering::AcqRel);
                    idle = false;
                }
                board.complete(k, run_job(env, seed, view, &req));
            }
            None if board.scouted.load(Ordering::Acquire) => break,
            None => {
                if !idle {
                    board.idle.fetch_add(1, Ordering::AcqRel);
                    idle = true;
                }
                std::thread::yield_now();
            }
        }
    }
    if idle {
        board.idle.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The kind of a call: the address whose code runs and the first four bytes of the input (zero-padded),
/// the unit a call's run time is remembered by (here by the scout, in `parallel-commit` per transaction).
pub type CallKind = (Address, [u8; 4]);

/// The [`CallKind`] of running `code_address`'s code with `input`.
pub fn call_kind(code_address: Address, input: &[u8]) -> CallKind {
    let mut selector = [0u8; 4];
    let n = input.len().min(4);
    selector[..n].copy_from_slice(&input[..n]);
    (code_address, selector)
}

/// What the scout learned of its own runs: the last run time of each kind of call (the hash of the code
/// that runs and the selector), the scout's guess for the next call of that kind. Keyed by code, not by
/// address: the accounts of a bundle (or the proxies of a router's pools) are many addresses running one
/// code, and the first of them tells the time of the others.
#[derive(Debug, Default)]
pub(super) struct ScoutClock {
    runs: Vec<(B256, [u8; 4], u64)>,
}

impl ScoutClock {
    fn kind(c: &CallRequest) -> (B256, [u8; 4]) {
        (c.code.hash(), call_kind(c.code_address, &c.input).1)
    }

    fn expected(&self, c: &CallRequest) -> Option<u64> {
        let (h, s) = Self::kind(c);
        self.runs
            .iter()
            .find(|(rh, rs, _)| *rh == h && *rs == s)
            .map(|r| r.2)
    }

    fn record(&mut self, c: &CallRequest, ns: u64) {
        let (h, s) = Self::kind(c);
        match self
            .runs
            .iter_mut()
            .find(|(rh, rs, _)| *rh == h && *rs == s)
        {
            Some(r) => r.2 = ns,
            None => self.runs.push((h, s, ns)),
        }
    }
}

/// Whether the scout should run a call it expects to take `expected` (its kind's last run, if any) when
/// the committer is expected to reach it in `reach` at `per_call` a call: not when the call is light
/// ([`LIGHT_PERCENT`]), and only when the committer will arrive after a run of it ends (with
/// [`LEAD_QUARTERS`] of margin; a kind not run yet is taken to last one of the committer's calls).
fn worth_running(expected: Option<u64>, reach: u64, per_call: u64) -> bool {
    let light =
        expected.is_some_and(|e| e.saturating_mul(100) < per_call.saturating_mul(LIGHT_PERCENT));
    let run = expected.unwrap_or(per_call);
    !light && reach.saturating_mul(4) >= run.saturating_mul(LEAD_QUARTERS)
}

impl<'b> TxExecution<'b> {
    /// Makes this execution the committer of `board`'s lookahead: at each call of its top frame it takes
    /// the matching helper frame when one is ready and valid.
    pub fn attach_board(&mut self, board: &'b FrameBoard) {
        self.board = Some(board);
    }

    /// The scout's run: validation and the top frame, with the top frame's calls published, not run.
    fn scout_run(&mut self, view: &dyn StateView) -> Result<(), crate::error::TxError> {
        while matches!(
            self.stage,
            Stage::Validate | Stage::Authorize | Stage::Start | Stage::Run
        ) {
            self.step(view)?;
        }
        Ok(())
    }

    /// The scout at a call of its top frame: skips it, runs it as a helper frame and delivers its result,
    /// or publishes it for a helper and delivers a predicted result. `Ok(false)` when the call is run
    /// inline instead (a call to an account without code).
    pub(super) fn scout_call(
        &mut self,
        board: &FrameBoard,
        view: &dyn StateView,
        c: &CallRequest,
    ) -> Result<bool, ViewError> {
        if board.is_finished() {
            return Err(ViewError::Backend("frame lookahead finished".into()));
        }
        let precompile = self.precompiles.contains(&c.code_address);
        let k = board.jobs().len();
        let gone = |request: CallRequest| Job {
            request,
            seed: Arc::default(),
            state: JobState::Gone,
        };
        if c.code.is_empty() || precompile {
            // No job (its place on the board keeps the committer's count aligned). A call to an account
            // without code costs nothing to run; a precompile call is not worth a helper frame: the heavy
            // ones split across threads themselves (`precompile_split`), and the scout predicts its result
            // rather than pay for it.
            board.jobs().push(gone(c.clone()));
            if !precompile {
                return Ok(false);
            }
            self.deliver_predicted(c, None);
            return Ok(true);
        }
        let mut request = c.clone();
        request.gas_limit = (c.gas_limit / 2).min(HELPER_GAS_CAP);
        // Worth a run only if the committer is expected to reach the call after the run ends (a run of
        // this kind not seen yet: as long as one of the committer's calls).
        let expected = self.scout_clock.expected(c);
        let worth = !board.struck()
            && match board.time_to_reach(k) {
                Some((reach, per_call)) => worth_running(expected, reach, per_call),
                // Before the committer's first call: any call but the first is at least one call away.
                None => k > 0,
            };
        if !worth {
            board.jobs().push(gone(request));
            self.deliver_predicted(c, None);
            return Ok(true);
        }
        let seed = Arc::new(self.journal.seed());
        let own = board.idle.load(Ordering::Acquire) == 0;
        let runs_now = {
            let mut jobs = board.jobs();
            let passed = k < board.reached.load(Ordering::Acquire);
            let state = match (passed, own) {
                (true, _) => JobState::Gone,
                (false, true) => JobState::Running,
                (false, false) => JobState::Pending,
            };
            let runs_now = matches!(state, JobState::Running);
            jobs.push(Job {
                request: request.clone(),
                seed: seed.clone(),
                state,
            });
            runs_now
        };
        if !runs_now {
            self.deliver_predicted(c, None);
            return Ok(true);
        }
        let t0 = Instant::now();
        let frame = run_job(&self.env, seed, view, &request);
        self.scout_clock.record(
            c,
            u64::try_from(t0.elapsed().as_nanos()).unwrap_or(u64::MAX),
        );
        let result = frame
            .as_ref()
            .map(|f| (f.status(), f.gas_used(), f.output().clone()));
        board.complete(k, frame);
        self.deliver_predicted(c, result);
        Ok(true)
    }

    /// Delivers the scout's result of call `c`: the status, gas used and output of its own run of it, or
    /// a prediction: success with one word of 1 (a `bool` true or a count of 1), no gas used. A wrong one
    /// only makes the scout's later requests differ from the committer's, which then runs them itself.
    fn deliver_predicted(&mut self, c: &CallRequest, ran: Option<(ExecStatus, u64, Bytes)>) {
        let (status, gas_left, output) = match ran {
            Some((status @ ExecStatus::Halt(_), _, output)) => (status, 0, output),
            Some((status, used, output)) => (status, c.gas_limit.saturating_sub(used), output),
            None => (
                ExecStatus::Success,
                c.gas_limit,
                Bytes::from(U256::from(1).to_be_bytes::<32>().to_vec()),
            ),
        };
        self.deliver_call(
            FrameResult {
                status,
                gas_left,
                refund: 0,
                output,
                created: None,
                deployed: None,
            },
            c.ret_offset,
            c.ret_len,
        );
    }

    /// The committer at call `k` of its top frame: the helper frame, applied, when it is ready and holds.
    pub(super) fn board_call(
        &mut self,
        board: &FrameBoard,
        k: usize,
        view: &dyn StateView,
        c: &CallRequest,
    ) -> Result<bool, ViewError> {
        let Some(frame) = board.take(k) else {
            return Ok(false);
        };
        let applied = self.take_helper_frame(view, c, 1, *frame)?;
        let counter = if applied {
            &board.applied
        } else {
            &board.discarded
        };
        counter.fetch_add(1, Ordering::AcqRel);
        Ok(applied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::Bytecode;
    use crate::interpreter::CallScheme;

    /// A call of `to` running code whose one byte is `code`.
    fn request(to: u8, code: u8, selector: [u8; 4]) -> CallRequest {
        CallRequest {
            scheme: CallScheme::Call,
            target: Address::repeat_byte(to),
            code_address: Address::repeat_byte(to),
            code: Arc::new(Bytecode::new(Bytes::from(vec![code]))),
            caller: Address::repeat_byte(0xee),
            transfer: U256::ZERO,
            apparent_value: U256::ZERO,
            input: Bytes::copy_from_slice(&selector),
            gas_limit: 100_000,
            is_static: false,
            ret_offset: 0,
            ret_len: 0,
        }
    }

    #[test]
    fn the_scout_expects_a_call_to_take_what_the_last_of_its_kind_took() {
        let mut clock = ScoutClock::default();
        let (a, b) = (request(1, 0, [1, 2, 3, 4]), request(1, 0, [9, 9, 9, 9]));
        assert_eq!(clock.expected(&a), None);
        clock.record(&a, 40_000);
        clock.record(&b, 8_000);
        clock.record(&a, 50_000);
        assert_eq!(clock.expected(&a), Some(50_000));
        assert_eq!(clock.expected(&b), Some(8_000));
        // Another account running the same code is the same kind (a bundle's accounts); other code is not.
        assert_eq!(clock.expected(&request(2, 0, [1, 2, 3, 4])), Some(50_000));
        assert_eq!(clock.expected(&request(1, 1, [1, 2, 3, 4])), None);
    }

    #[test]
    fn the_scout_runs_heavy_calls_it_has_time_for_and_never_light_ones() {
        // The committer at 20 us a call, 100 us away.
        let (reach, per_call) = (100_000, 20_000);
        // Heavy (40 us, twice the committer's pace): run with a lead of 2.5 runs, not with 1.25.
        assert!(worth_running(Some(40_000), reach, per_call));
        assert!(!worth_running(Some(80_000), reach, per_call));
        // Light (under half the committer's pace): skipped however far away the committer is.
        assert!(!worth_running(Some(9_000), reach, per_call));
        assert!(!worth_running(Some(9_000), 10 * reach, per_call));
        assert!(worth_running(Some(10_000), reach, per_call));
        // Not run yet: taken as one of the committer's calls.
        assert!(worth_running(None, reach, per_call));
        assert!(!worth_running(None, 30_000, per_call));
    }

    #[test]
    fn no_pace_before_the_committers_first_call_and_none_needed_for_calls_passed() {
        let board = FrameBoard::new();
        assert_eq!(board.time_to_reach(3), None);
        assert!(board.take(0).is_none());
        // Now in call 0: call 0 is passed, later ones are further away.
        std::thread::sleep(Duration::from_millis(2));
        let (to_1, per_call) = board.time_to_reach(1).expect("a pace after the first call");
        let (to_5, _) = board.time_to_reach(5).expect("a pace after the first call");
        assert!(per_call > 0 && to_1 < to_5, "{to_1} {to_5} {per_call}");
        assert_eq!(board.time_to_reach(0).map(|t| t.0), Some(0));
    }

    #[test]
    fn the_committer_waits_for_a_running_job_and_skips_a_pending_one() {
        let board = FrameBoard::new();
        for state in [JobState::Running, JobState::Pending] {
            board.jobs().push(Job {
                request: request(1, 0, [0; 4]),
                seed: Arc::default(),
                state,
            });
        }
        std::thread::scope(|s| {
            let ender = s.spawn(|| {
                std::thread::sleep(Duration::from_millis(20));
                // Still running: the committer is waiting for it.
                assert!(matches!(board.jobs()[0].state, JobState::Running));
                board.complete(0, None);
            });
            assert!(board.take(0).is_none());
            assert!(ender.join().is_ok());
        });
        assert!(matches!(board.jobs()[0].state, JobState::Gone));
        // A pending job is not waited for, and no helper may start it now.
        assert!(board.take(1).is_none());
        assert!(matches!(board.jobs()[1].state, JobState::Gone));
        assert!(board.claim().is_none());
    }
}
