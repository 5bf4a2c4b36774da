//! How call frames run (issue 16): inline (the default), or as *helper frames* that run on a journal forked
//! from the caller's and are then checked and applied at the call (`journal/fork.rs`,
//! `transact/frames.rs`, protocol in `docs/frames.md`). A process-wide setting, as
//! [`crate::precompile_split`]'s thread count is, with counters the tests and benchmarks report.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};

/// How a transaction runs the child frames of its calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameMode {
    /// Every frame runs inline on the transaction's own journal.
    Off,
    /// Every message call made by a frame the transaction runs itself (its top frame, and the frames of
    /// contract creations it runs), precompiles included, runs as a helper frame from a seed of the
    /// caller's journal taken at the call, on the same thread, and is then checked and applied; the calls
    /// inside a helper frame run inline in it. The whole fork, check and apply path on every such call, for
    /// the conformance and property tests.
    Forced,
    /// As [`FrameMode::Forced`], but every helper frame of a transaction starts from the seed taken at its
    /// *first* such call, and runs with three quarters of the call's gas: later calls see a stale seed
    /// and a smaller limit, so the check must discard every frame that read what changed since, or whose
    /// run depended on its gas limit, and apply the rest. For the conformance tests of the check itself.
    ForcedStale,
}

static MODE: AtomicU8 = AtomicU8::new(0);

/// Sets the process-wide frame mode.
pub fn set_mode(mode: FrameMode) {
    MODE.store(
        match mode {
            FrameMode::Off => 0,
            FrameMode::Forced => 1,
            FrameMode::ForcedStale => 2,
        },
        Ordering::Relaxed,
    );
}

/// The process-wide frame mode.
#[inline]
pub fn mode() -> FrameMode {
    match MODE.load(Ordering::Relaxed) {
        1 => FrameMode::Forced,
        2 => FrameMode::ForcedStale,
        _ => FrameMode::Off,
    }
}

/// Counters of helper frames, process-wide since the last [`reset_stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameStats {
    /// Helper frames run.
    pub run: u64,
    /// Helper frames whose reads held at the call and whose effects were applied there.
    pub applied: u64,
    /// Helper frames discarded at the call (a read changed, the request or gas differed): the call ran
    /// inline instead.
    pub discarded: u64,
    /// Gas of discarded helper frames (work thrown away).
    pub wasted_gas: u64,
}

static RUN: AtomicU64 = AtomicU64::new(0);
static APPLIED: AtomicU64 = AtomicU64::new(0);
static DISCARDED: AtomicU64 = AtomicU64::new(0);
static WASTED_GAS: AtomicU64 = AtomicU64::new(0);

/// The counters.
pub fn stats() -> FrameStats {
    FrameStats {
        run: RUN.load(Ordering::Relaxed),
        applied: APPLIED.load(Ordering::Relaxed),
        discarded: DISCARDED.load(Ordering::Relaxed),
        wasted_gas: WASTED_GAS.load(Ordering::Relaxed),
    }
}

/// Sets every counter to zero.
pub fn reset_stats() {
    for c in [&RUN, &APPLIED, &DISCARDED, &WASTED_GAS] {
        c.store(0, Ordering::Relaxed);
    }
}

pub(crate) fn count_run() {
    RUN.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn count_applied() {
    APPLIED.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn count_discarded(gas: u64) {
    DISCARDED.fetch_add(1, Ordering::Relaxed);
    WASTED_GAS.fetch_add(gas, Ordering::Relaxed);
}
