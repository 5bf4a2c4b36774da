//! Redo from the first stale read (issue 16, item 2): an execution that records *redo points* keeps a
//! copy of itself (journal, frame stack, the call about to start) at some of its calls; when a block
//! executor later finds that one of its reads changed, it takes the execution up again at the latest point
//! recorded before that read, against the new state, instead of running the transaction from its first
//! opcode.
//!
//! ```text
//! speculative run:  validate .. call ──point(reads 0..r1)── .. call ──point(reads 0..r2)── .. finalize
//! executor:         first read that changed: index s  (reads 0..s still hold)
//! redo:             latest point with r <= s ──restore──> resume against the new state ──> outcome
//! ```
//!
//! Why the outcome equals a fresh run: an execution is a deterministic function of the values it reads.
//! Reads `0..r` of the logged run are all still what the state answers, so a fresh run makes the same
//! first `r` reads, sees the same values, and reaches the same point with the same journal, frames and
//! read set; from there the redo *is* that fresh run. The read set only grows (a revert keeps what was
//! read), so a point stores only its length and takes the prefix back from the finished run's read set.
//!
//! Cost: a point copies the journal and the frame stack. Points are taken only where an execution asks
//! for them ([`TxExecution::record_redo_points`]), only at a call (the frame stack is at rest, the call's
//! request is known), and spaced by the gas spent: at least the requested gap, and at least a quarter of
//! what was spent before, so a long transaction takes a few dozen points rather than one per call.

use super::{ExecStats, Stage, TxExecution};
use crate::env::Env;
use crate::interpreter::{Frame, FrameRequest};
use crate::journal::Journal;
use crate::rules::ExtraFee;
use crate::view::Location;
use alloy_primitives::U256;

/// Most points one execution keeps; past it the spacing alone decides (each later point replaces the
/// last), so memory stays bounded whatever the transaction does.
const MAX_POINTS: usize = 48;

/// What an execution needs to go on from one of its calls.
struct Snapshot {
    journal: Journal,
    frames: Vec<Frame>,
    pending: FrameRequest,
    tx_nonce: u64,
    extra_fee: ExtraFee,
    deposit_create_nonce: bool,
    intrinsic: u64,
    floor: u64,
    auth_index: usize,
    auth_refund: u64,
    stats: ExecStats,
}

/// One redo point: the execution at a call, after its first `reads` reads and `gas` gas spent.
struct RedoPoint {
    reads: usize,
    gas: u64,
    state: Box<Snapshot>,
}

/// Taking points while an execution runs.
pub(super) struct Recorder {
    /// Least gas spent between two points.
    gap: u64,
    /// Gas spent at which the next point may be taken.
    next: u64,
    points: Vec<RedoPoint>,
}

/// The redo points of a finished execution ([`TxExecution::take_redo_log`]). Block executors hand it from
/// the thread that ran the execution to the one that redoes it.
pub struct RedoLog {
    points: Vec<RedoPoint>,
}

const _: () = {
    const fn is_send<T: Send>() {}
    is_send::<RedoLog>();
};

impl std::fmt::Debug for RedoLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedoLog")
            .field("points", &self.points.len())
            .finish()
    }
}

impl RedoLog {
    /// Points recorded.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// True when no point was recorded.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// What a redo before read `first_stale` skips: the reads and the gas the execution had made and
    /// spent at that point (zeros: no point helps, run from the start).
    pub fn skipped(&self, first_stale: usize) -> (usize, u64) {
        self.point_before(first_stale)
            .map_or((0, 0), |k| (self.points[k].reads, self.points[k].gas))
    }

    /// The latest point taken after at most `first_stale` reads.
    fn point_before(&self, first_stale: usize) -> Option<usize> {
        self.points
            .partition_point(|p| p.reads <= first_stale)
            .checked_sub(1)
    }
}

impl<'a> TxExecution<'a> {
    /// Records redo points while this execution runs, at calls at least `gap` gas apart (see the module
    /// documentation). Call it before the first `resume`; an execution without a read set, with a tracer,
    /// or running frame lookahead records none.
    pub fn record_redo_points(&mut self, gap: u64) {
        self.redo = Some(Box::new(Recorder {
            gap: gap.max(1),
            next: gap,
            points: Vec::new(),
        }));
    }

    /// The redo points this execution recorded (`None` when it recorded none).
    pub fn take_redo_log(&mut self) -> Option<RedoLog> {
        let points = self.redo.take()?.points;
        (!points.is_empty()).then_some(RedoLog { points })
    }

    /// The execution of `env` that `log` was recorded by, taken up at its latest point before read
    /// `first_stale`, ready to `resume` against the new state; `None` when no point lies before it (run
    /// the transaction from the start).
    ///
    /// The caller guarantees what makes the redo equal a fresh run: `reads` is the read set the logged
    /// execution ended with, `env` is its environment, and reads `0..first_stale` of `reads` are what the
    /// state the redo runs against answers.
    pub fn redo(
        env: &'a Env,
        mut log: RedoLog,
        reads: &[(Location, U256)],
        first_stale: usize,
    ) -> Option<Self> {
        let k = log.point_before(first_stale.min(reads.len()))?;
        let RedoPoint {
            reads: n, state, ..
        } = log.points.swap_remove(k);
        let Snapshot {
            journal,
            frames,
            pending,
            tx_nonce,
            extra_fee,
            deposit_create_nonce,
            intrinsic,
            floor,
            auth_index,
            auth_refund,
            stats,
        } = *state;
        let mut exec = Self::borrowed(env);
        exec.journal = journal;
        exec.journal.restore_reads(&reads[..n]);
        exec.frames = frames;
        for f in &mut exec.frames {
            f.make_runnable();
        }
        exec.pending = Some(pending);
        exec.tx_nonce = tx_nonce;
        exec.extra_fee = extra_fee;
        exec.deposit_create_nonce = deposit_create_nonce;
        exec.intrinsic = intrinsic;
        exec.floor = floor;
        exec.auth_index = auth_index;
        exec.auth_refund = auth_refund;
        exec.stats = stats;
        exec.stage = Stage::Run;
        Some(exec)
    }

    /// At a call about to start (`pending` set, the frame stack at rest): records a point when this
    /// execution records them and has spent enough gas since the last one.
    #[cold]
    pub(super) fn note_redo_point(&mut self) {
        let Some(first) = self.frames.first() else {
            return;
        };
        if self.tracer.is_some() || self.board.is_some() || self.scout.is_some() || self.helper {
            return;
        }
        // Gas the frames hold, and the gas already set aside for the call about to start (not spent yet).
        let pending = match &self.pending {
            Some(FrameRequest::Call(c)) => c.gas_limit,
            Some(FrameRequest::Create(c)) => c.gas_limit,
            None => 0,
        };
        let held = self
            .frames
            .iter()
            .map(|f| f.gas.remaining())
            .sum::<u64>()
            .saturating_add(pending);
        let spent = first.gas.limit().saturating_sub(held);
        let reads = self.journal.reads_len();
        let Some(rec) = self.redo.as_deref() else {
            return;
        };
        if spent < rec.next || rec.points.last().is_some_and(|p| p.reads == reads) {
            return;
        }
        let (Some(journal), Some(pending)) = (self.journal.snapshot(), self.pending.clone()) else {
            return;
        };
        let point = RedoPoint {
            reads,
            gas: spent,
            state: Box::new(Snapshot {
                journal,
                frames: self.frames.iter().map(Frame::snapshot).collect(),
                pending,
                tx_nonce: self.tx_nonce,
                extra_fee: self.extra_fee,
                deposit_create_nonce: self.deposit_create_nonce,
                intrinsic: self.intrinsic,
                floor: self.floor,
                auth_index: self.auth_index,
                auth_refund: self.auth_refund,
                stats: self.stats,
            }),
        };
        let Some(rec) = self.redo.as_deref_mut() else {
            return;
        };
        rec.next = spent.saturating_add(rec.gap.max(spent / 4));
        if rec.points.len() == MAX_POINTS {
            rec.points.pop();
        }
        rec.points.push(point);
    }
}
