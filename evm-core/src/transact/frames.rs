//! Helper frames (issue 16): a message call run as an execution of its own on a journal forked from the
//! caller's (`journal/fork.rs`), then checked and applied at the call instead of running it there. The
//! protocol and its state diagram are in `docs/frames.md`.
//!
//! ```text
//! caller's journal --seed--> HelperFrame::run (request, depth, gas limit) --> reads, effects, result
//! committer at the CALL: same request and depth, a gas limit the frame runs the same with, every read
//!   equal now --> apply the effects, deliver the result as the child's
//!                 otherwise --> discard, run the child inline
//! ```

use super::{FrameResult, Stage, TxExecution};
use crate::env::Env;
use crate::error::TxError;
use crate::frame_mode::{self, FrameMode};
use crate::interpreter::{CallRequest, FrameRequest};
use crate::journal::{FrameEffects, FrameReads, Journal, Seed, SeedView};
use crate::outcome::ExecStatus;
use crate::view::{StateView, ViewError};
use alloy_primitives::Bytes;
use std::sync::Arc;

/// A message call run apart: its request, what it read, what it changed and how it ended.
#[derive(Debug)]
pub(crate) struct HelperFrame {
    request: CallRequest,
    depth: usize,
    status: ExecStatus,
    gas_used: u64,
    refund: i64,
    output: Bytes,
    reads: FrameReads,
    effects: FrameEffects,
    /// Its run depended on its gas limit (see [`Journal::note_gas_sensitive`]).
    gas_sensitive: bool,
}

impl HelperFrame {
    /// Runs `req` at call depth `depth` on a journal forked from `seed`, reading `view` where the seed has
    /// no value.
    pub(crate) fn run(
        env: &Env,
        seed: Arc<Seed>,
        view: &dyn StateView,
        req: &CallRequest,
        depth: usize,
    ) -> Result<Self, ViewError> {
        let mut exec = TxExecution::borrowed(env);
        exec.journal = Journal::fork(exec.spec, exec.rules.precompiles(exec.spec), seed.clone());
        exec.stage = Stage::Run;
        exec.base_depth = depth;
        exec.helper = true;
        exec.pending = Some(FrameRequest::Call(req.clone()));
        let seed_view = SeedView::new(&seed, view);
        exec.run_frames(&seed_view).map_err(|e| match e {
            TxError::View(v) => v,
            other => ViewError::Backend(format!("helper frame: {other}")),
        })?;
        let top = exec
            .top
            .take()
            .ok_or_else(|| ViewError::Backend("helper frame finished without a result".into()))?;
        let (reads, effects, gas_sensitive) = exec.journal.fork_finish();
        frame_mode::count_run();
        Ok(Self {
            request: req.clone(),
            depth,
            status: top.status,
            gas_used: req.gas_limit - top.gas_left,
            refund: top.refund,
            output: top.output,
            reads,
            effects,
            gas_sensitive,
        })
    }

    /// Gas the frame used.
    pub(crate) fn gas_used(&self) -> u64 {
        self.gas_used
    }

    /// How the frame ended.
    pub(crate) fn status(&self) -> ExecStatus {
        self.status
    }

    /// What the frame returned.
    pub(crate) fn output(&self) -> &Bytes {
        &self.output
    }

    /// True when this frame is a run of `req` at `depth`: the same call, and a gas limit under which it runs
    /// the same (its own, or a larger one when nothing in it depended on the limit: every cost is then the
    /// same, every call it made forwards at least as much, and no out-of-gas can appear).
    fn answers(&self, req: &CallRequest, depth: usize) -> bool {
        let r = &self.request;
        depth == self.depth
            && r.scheme == req.scheme
            && r.target == req.target
            && r.code_address == req.code_address
            && r.caller == req.caller
            && r.transfer == req.transfer
            && r.apparent_value == req.apparent_value
            && r.is_static == req.is_static
            && r.input == req.input
            && (Arc::ptr_eq(&r.code, &req.code) || r.code.bytes() == req.code.bytes())
            && (req.gas_limit == r.gas_limit
                || (!self.gas_sensitive && req.gas_limit > r.gas_limit))
    }
}

impl TxExecution<'_> {
    /// Resolves the request `req` without starting its frame where it can: a call of the top frame through
    /// frame lookahead (`top_call`: this execution scouts or commits a board), or any call as a helper frame
    /// when the frame mode is on (`frames_on`). `Ok(true)`: its result was delivered.
    pub(super) fn call_elsewhere(
        &mut self,
        view: &dyn StateView,
        req: &FrameRequest,
        top_call: bool,
        frames_on: bool,
    ) -> Result<bool, ViewError> {
        let FrameRequest::Call(c) = req else {
            return Ok(false);
        };
        if top_call {
            let done = match (self.scout, self.board) {
                (Some(board), _) => self.scout_call(board, view, c)?,
                (None, Some(board)) => self.board_call(board, self.top_calls, view, c)?,
                (None, None) => false,
            };
            if done {
                self.top_calls += 1;
                return Ok(true);
            }
        }
        if frames_on && !self.frames.is_empty() {
            return self.call_as_helper_frame(view, c);
        }
        Ok(false)
    }

    /// Runs the call `c` as a helper frame where the frame mode says so. `Ok(true)`: its result was
    /// delivered to the caller; `Ok(false)`: run it inline.
    fn call_as_helper_frame(
        &mut self,
        view: &dyn StateView,
        c: &CallRequest,
    ) -> Result<bool, ViewError> {
        let depth = self.base_depth + self.frames.len();
        match frame_mode::mode() {
            FrameMode::Off => Ok(false),
            FrameMode::Forced => {
                let seed = Arc::new(self.journal.seed());
                let frame = HelperFrame::run(&self.env, seed, view, c, depth)?;
                self.take_helper_frame(view, c, depth, frame)
            }
            FrameMode::ForcedStale => {
                if self.stale_seed.is_none() {
                    self.stale_seed = Some(Arc::new(self.journal.seed()));
                }
                let seed = self.stale_seed.clone().unwrap_or_default();
                let mut request = c.clone();
                request.gas_limit = c.gas_limit - c.gas_limit / 4;
                let frame = HelperFrame::run(&self.env, seed, view, &request, depth)?;
                self.take_helper_frame(view, c, depth, frame)
            }
        }
    }

    /// Checks `frame` against the call `c` at `depth` and this journal; applies it and delivers its result
    /// when it holds (`Ok(true)`), changes nothing otherwise (`Ok(false)`).
    pub(super) fn take_helper_frame(
        &mut self,
        view: &dyn StateView,
        c: &CallRequest,
        depth: usize,
        frame: HelperFrame,
    ) -> Result<bool, ViewError> {
        let refund = if frame.answers(c, depth) {
            self.journal.check_frame_reads(view, &frame.reads)?
        } else {
            None
        };
        // Gas paid for cold accesses that are warm here comes back, which only a frame that did not depend
        // on its gas can take.
        let Some(cold_refund) =
            refund.filter(|&r| r == 0 || (!frame.gas_sensitive && r <= frame.gas_used))
        else {
            frame_mode::count_discarded(frame.gas_used);
            return Ok(false);
        };
        self.journal
            .apply_frame(view, &frame.reads, &frame.effects)?;
        frame_mode::count_applied();
        let gas_left = match frame.status {
            ExecStatus::Halt(_) => 0,
            _ => c.gas_limit - (frame.gas_used - cold_refund),
        };
        self.deliver_call(
            FrameResult {
                status: frame.status,
                gas_left,
                refund: frame.refund,
                output: frame.output,
                created: None,
                deployed: None,
            },
            c.ret_offset,
            c.ret_len,
        );
        Ok(true)
    }
}
