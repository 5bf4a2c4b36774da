//! Frame lookahead (issue 16): a *scout* runs a transaction ahead of its committer without running the
//! children of the top frame's calls, publishing each call as a job with a seed of its journal; *helpers*
//! run the jobs as helper frames ([`super::frames`]), latest first; the committer takes a finished job at
//! its own call when the job answers it and its reads still hold, and runs the call inline otherwise. It
//! never waits for a helper. Threads belong to the caller (the block executor): evm-core only provides
//! the board and the loops. Protocol and state diagram: `docs/frames.md`.
//!
//! ```text
//! scout:     top frame, each call -> job k {request, seed} PENDING, predicted result (success, 32 bytes of 1)
//! helper:    highest PENDING k -> RUNNING -> run -> READY (or FAILED)
//! committer: call k -> READY: check + apply, or inline; PENDING/RUNNING: TAKEN, inline
//! ```

use super::frames::HelperFrame;
use super::{FrameResult, Stage, TxExecution};
use crate::env::Env;
use crate::interpreter::CallRequest;
use crate::outcome::ExecStatus;
use crate::view::{StateView, ViewError};
use alloy_primitives::{Bytes, U256};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The most gas a helper frame runs with. A helper runs with less than the scout's forwarded gas (which
/// does not count what the children before it used), so that the committer's real limit is at least the
/// helper's: a frame that needs more runs out, is marked gas-sensitive and is run inline.
const HELPER_GAS_CAP: u64 = 1 << 21;

/// A call the scout met, and where its helper frame is.
#[derive(Debug)]
enum JobState {
    Pending,
    Running,
    Ready(Box<HelperFrame>),
    /// The committer reached the call first, or the helper frame failed.
    Gone,
}

#[derive(Debug)]
struct Job {
    request: CallRequest,
    seed: Arc<crate::journal::Seed>,
    state: JobState,
}

/// The jobs of one transaction's frame lookahead, shared by its scout, its helpers and its committer.
#[derive(Debug, Default)]
pub struct FrameBoard {
    jobs: Mutex<Vec<Job>>,
    /// The scout has published every call it will.
    scouted: AtomicBool,
    /// The committer has finished the transaction: helpers stop.
    finished: AtomicBool,
}

impl FrameBoard {
    /// An empty board.
    pub fn new() -> Self {
        Self::default()
    }

    fn jobs(&self) -> MutexGuard<'_, Vec<Job>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Tells the helpers that the transaction is done (call it when the committer's `resume` returns).
    pub fn finish(&self) {
        self.finished.store(true, Ordering::Release);
    }

    fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }

    /// The helper frame of call `k` if it is ready; any other state becomes `Gone` (the committer runs the
    /// call itself and no helper starts it).
    fn take(&self, k: usize) -> Option<Box<HelperFrame>> {
        let mut jobs = self.jobs();
        let job = jobs.get_mut(k)?;
        match std::mem::replace(&mut job.state, JobState::Gone) {
            JobState::Ready(f) => Some(f),
            _ => None,
        }
    }

    /// Claims the latest pending job.
    fn claim(&self) -> Option<(usize, CallRequest, Arc<crate::journal::Seed>)> {
        let mut jobs = self.jobs();
        let (k, job) = jobs
            .iter_mut()
            .enumerate()
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
                return;
            }
        }
        drop(jobs);
        if let Some(f) = frame {
            crate::frame_mode::count_discarded(f.gas_used());
        }
    }
}

/// Runs on a helper thread of a transaction with a [`FrameBoard`]: the scout first when `scout` is set,
/// then helper frames until the committer finishes (a helper that finds nothing to do yields its core).
pub fn run_frame_helper(env: &Env, view: &(dyn StateView + Sync), board: &FrameBoard, scout: bool) {
    if scout {
        let mut exec = TxExecution::borrowed(env);
        exec.scout = Some(board);
        // The scout stops at the end of its top frame, at a read that is not ready, or when cancelled.
        let _ = exec.scout_run(view);
        board.scouted.store(true, Ordering::Release);
    }
    while !board.is_finished() {
        match board.claim() {
            Some((k, req, seed)) => {
                let depth = 1;
                let frame = HelperFrame::run(env, seed, view, &req, depth).ok();
                board.complete(k, frame);
            }
            None if board.scouted.load(Ordering::Acquire) => return,
            None => std::thread::yield_now(),
        }
    }
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

    /// The scout at a call of its top frame: publishes it as a job and delivers a predicted result.
    /// `Ok(false)` when the call is run inline instead (a call to an account without code).
    pub(super) fn scout_call(
        &mut self,
        board: &FrameBoard,
        c: &CallRequest,
    ) -> Result<bool, ViewError> {
        if board.is_finished() {
            return Err(ViewError::Backend("frame lookahead finished".into()));
        }
        let precompile = self.precompiles.contains(&c.code_address);
        let mut request = c.clone();
        if c.code.is_empty() || precompile {
            // No job (its place on the board keeps the committer's count aligned). A call to an account
            // without code costs nothing to run; a precompile call is not worth a helper frame: the heavy
            // ones split across threads themselves (`precompile_split`), and the scout predicts its result
            // rather than pay for it.
            board.jobs().push(Job {
                request,
                seed: Arc::default(),
                state: JobState::Gone,
            });
            if !precompile {
                return Ok(false);
            }
            self.deliver_predicted(c);
            return Ok(true);
        }
        request.gas_limit = (c.gas_limit / 2).min(HELPER_GAS_CAP);
        let seed = Arc::new(self.journal.seed());
        board.jobs().push(Job {
            request,
            seed,
            state: JobState::Pending,
        });
        self.deliver_predicted(c);
        Ok(true)
    }

    /// Delivers the scout's prediction of call `c`: success with one word of 1 (a `bool` true or a count
    /// of 1), no gas used. A wrong one only makes the scout's later requests differ from the committer's,
    /// which then runs them itself.
    fn deliver_predicted(&mut self, c: &CallRequest) {
        self.deliver_call(
            FrameResult {
                status: ExecStatus::Success,
                gas_left: c.gas_limit,
                refund: 0,
                output: Bytes::from(U256::from(1).to_be_bytes::<32>().to_vec()),
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
        match board.take(k) {
            Some(frame) => self.take_helper_frame(view, c, 1, *frame),
            None => Ok(false),
        }
    }
}
