//! Adaptivity: when the block turns out to be (locally) a chain, stop speculating and run it in block
//! order inside the engine, on one thread, while the other workers sleep.
//!
//! Optimistic execution of a chain (every transaction reads what the previous one wrote) gains nothing and
//! costs plenty: each transaction parks on its predecessor, and the hand-over between workers (wake-ups,
//! resumes, validations) costs more than the transaction itself. The committer watches what it commits:
//!
//! * in parallel mode, over a window of [`WINDOW`] commits, it counts the *dependent* transactions (those
//!   that parked on a lower one or were re-executed). When at least three quarters were, it turns on the
//!   scheduler's serial mode for a stretch of transactions;
//! * in serial mode the commit-lock holder executes the transaction at the commit index itself and commits
//!   it at once (its reads are final: no validation, no hints, no parking), while idle workers sleep;
//! * after the stretch it probes parallel mode again, unless the next window is a static chain (each
//!   transaction from the sender of the one before it: it must wait for that nonce anyway) or only a
//!   window's worth of transactions is left (ending a batch publishes its writes and wakes the helpers,
//!   which costs more than running a few transactions). Each stretch
//!   that ends in a relapse is twice as long as the one before (up to [`MAX_STRETCH`]), so a block that is
//!   a chain throughout spends a bounded share of its transactions probing.
//!
//! Every block also *starts* in serial mode for a short warm-up (`ParallelConfig::spawn_after`): the
//! calling thread runs it like the sequential path while the helpers stay asleep, so a tiny block is done
//! before any thread is involved, and a larger one only gives up that warm-up's worth of parallelism.
//!
//! This is not a whole-block fallback: it starts only from what the committed transactions show (or a
//! static chain at the start), keeps everything executed so far, and leaves again when the probe commits
//! independent transactions.

use crate::scheduler::Scheduler;
use crate::types::TxIdx;
use parevm_evm_core::Env;
use std::time::{Duration, Instant};

/// Commits per detection window.
pub(crate) const WINDOW: u32 = 16;
/// During the warm-up, commits between two reads of the clock.
const WARM_CHECK: u32 = 4;
/// Length of the first serial stretch.
const FIRST_STRETCH: usize = 64;
/// Longest serial stretch.
pub(crate) const MAX_STRETCH: usize = 4096;

/// The committer's view of how dependent the block is (kept under the commit lock).
pub(crate) struct Adapt {
    /// False when adaptivity is off (`ParallelConfig::adaptive`).
    enabled: bool,
    /// `chained[i]`: transaction `i` has the sender of transaction `i - 1`.
    chained: Vec<bool>,
    /// Commits in the current window (parallel mode).
    window: u32,
    /// Of those, dependent ones.
    dependent: u32,
    /// Serial transactions left in the current stretch (serial mode).
    left: usize,
    /// Length of the next stretch.
    stretch: usize,
    /// End of the warm-up stretch the block starts with, while it lasts.
    warm_until: Option<Instant>,
    /// Commits since the clock was last read during the warm-up.
    warm_ticks: u32,
}

impl Adapt {
    /// The detector for `envs`; turns serial mode on at once for the warm-up (`warmup`, when not zero) or
    /// when the block starts as a static chain.
    pub(crate) fn new(envs: &[Env], enabled: bool, warmup: Duration, sched: &Scheduler) -> Self {
        let chained: Vec<bool> = (0..envs.len())
            .map(|i| i > 0 && envs[i].tx.caller == envs[i - 1].tx.caller)
            .collect();
        let mut a = Self {
            enabled,
            chained,
            window: 0,
            dependent: 0,
            left: 0,
            stretch: FIRST_STRETCH,
            warm_until: None,
            warm_ticks: 0,
        };
        if enabled && !warmup.is_zero() {
            a.warm_until = Some(Instant::now() + warmup);
            sched.set_serial(true);
        } else if enabled && a.static_chain(0) {
            a.left = a.stretch;
            sched.set_serial(true);
        }
        a
    }

    /// True when at least three quarters of transactions `from + 1 ..= from + WINDOW` (or up to the end of
    /// the block, when it is closer) each come from the sender of the one before: the same share of
    /// dependent transactions that turns serial mode on after the fact (`on_commit`), read here from the
    /// senders before anything runs. A chain's tail shorter than a window stays serial too: leaving serial
    /// mode for its last few transactions would wake every helper only to have each park on its
    /// predecessor. (A hot sender's chain interrupted by a few other senders' transactions is still a
    /// chain: demanding every pair would send it back to parallel mode at each interruption.)
    fn static_chain(&self, from: TxIdx) -> bool {
        let end = (from + WINDOW as usize).min(self.chained.len().saturating_sub(1));
        if from >= end {
            return false;
        }
        let window = &self.chained[from + 1..=end];
        window.iter().filter(|c| **c).count() * 4 >= window.len() * 3
    }

    /// In a serial batch: records the commit of `tx`; false when the stretch ends here (the caller
    /// publishes the batch, then turns serial mode off).
    pub(crate) fn serial_continues(&mut self, tx: TxIdx) -> bool {
        if let Some(until) = self.warm_until {
            // The clock is read every few commits: a transaction takes microseconds.
            self.warm_ticks += 1;
            if !self.warm_ticks.is_multiple_of(WARM_CHECK) || Instant::now() < until {
                return true;
            }
            self.warm_until = None;
            self.left = 1;
        }
        self.left = self.left.saturating_sub(1);
        if self.left > 0 {
            return true;
        }
        // The next window is a static chain (each transaction waits for the nonce of the one before it):
        // probing parallel mode now would only hand the chain around between threads. And a tail of the
        // block no longer than a window is finished here: ending the batch means publishing its net
        // writes and waking the helpers, which costs more than running a few transactions.
        let tail = self.chained.len().saturating_sub(tx + 1);
        if tail <= WINDOW as usize || self.static_chain(tx) {
            self.left = self.stretch;
            return true;
        }
        false
    }

    /// Records the commit of transaction `tx` (`dependent`: it parked or was re-executed) and switches
    /// modes when due. Returns true when this commit turned serial mode on.
    pub(crate) fn on_commit(&mut self, tx: TxIdx, dependent: bool, sched: &Scheduler) -> bool {
        if !self.enabled {
            return false;
        }
        if sched.serial() {
            if !self.serial_continues(tx) {
                sched.set_serial(false);
            }
            return false;
        }
        self.window += 1;
        self.dependent += u32::from(dependent);
        if self.window < WINDOW {
            return false;
        }
        let serial = self.dependent * 4 >= WINDOW * 3;
        if self.dependent * 4 < WINDOW {
            // Mostly independent: the next relapse starts with a short stretch again.
            self.stretch = FIRST_STRETCH;
        }
        self.window = 0;
        self.dependent = 0;
        if serial {
            self.left = self.stretch;
            self.stretch = (self.stretch * 2).min(MAX_STRETCH);
            sched.set_serial(true);
        }
        serial
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chaos::Chaos;
    use alloy_primitives::Address;
    use parevm_evm_core::env::{BlockEnv, CfgEnv, TxEnv};
    use parevm_evm_core::SpecId;

    /// `n` transactions; transaction `i` is sent by `sender(i)`.
    fn envs(n: usize, sender: impl Fn(usize) -> u8) -> Vec<Env> {
        (0..n)
            .map(|i| Env {
                cfg: CfgEnv::new(1, SpecId::CANCUN),
                block: BlockEnv::default(),
                tx: TxEnv {
                    caller: Address::repeat_byte(sender(i)),
                    ..Default::default()
                },
            })
            .collect()
    }

    #[test]
    fn static_chain_covers_the_tail_of_the_block() {
        let e = envs(40, |_| 1);
        let sched = Scheduler::new(e.len(), Chaos::new(None));
        let a = Adapt::new(&e, true, Duration::ZERO, &sched);
        assert!(sched.serial(), "a one-sender block starts serial");
        for from in 0..39 {
            assert!(a.static_chain(from), "window from {from}");
        }
        // Nothing follows the last transaction: no window to run serially.
        assert!(!a.static_chain(39));
    }

    #[test]
    fn a_serial_stretch_lasts_through_chains_and_short_tails() {
        // Three other senders, a chain of one sender over 3..=40, then nineteen other senders.
        let e = envs(60, |i| match i {
            0..=2 => 100 + i as u8,
            3..=40 => 1,
            _ => 100 + i as u8,
        });
        let sched = Scheduler::new(e.len(), Chaos::new(None));
        let mut a = Adapt::new(&e, true, Duration::ZERO, &sched);
        a.left = 1;
        assert!(a.serial_continues(5), "6..=21 are one sender's chain");
        a.left = 1;
        assert!(
            !a.serial_continues(30),
            "the window 31..=46 leaves the chain, and 29 transactions are left: probe parallel mode"
        );
        a.left = 1;
        assert!(
            a.serial_continues(45),
            "only 14 transactions are left: finish them serially"
        );
    }

    #[test]
    fn a_window_of_mostly_one_sender_is_a_chain() {
        // Transaction 30 has another sender (it breaks two pairs: 29-30 and 30-31).
        let e = envs(60, |i| if i == 30 { 2 } else { 1 });
        let sched = Scheduler::new(e.len(), Chaos::new(None));
        let a = Adapt::new(&e, true, Duration::ZERO, &sched);
        assert!(a.static_chain(0));
        assert!(
            a.static_chain(14),
            "14 of the 16 pairs in 15..=30 are chained"
        );
        // Two senders taking turns, two transactions each: half the pairs are chained, not a chain.
        let e = envs(60, |i| if (i / 2) % 2 == 0 { 2 } else { 1 });
        let a = Adapt::new(&e, true, Duration::ZERO, &sched);
        assert!(!a.static_chain(0));
    }
}
