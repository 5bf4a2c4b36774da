//! Block time on a devnet: the wall clock plus an offset (`evm_increaseTime`, `anvil_setTime`), an exact
//! timestamp for the next block (`evm_setNextBlockTimestamp`, after which time runs on from there), or a
//! fixed step after the parent (`anvil_setBlockTimestampInterval`); never earlier than the parent (blocks
//! in the same second share it, as anvil's do).

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch now.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The devnet's clock.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Seconds added to the wall clock.
    offset: i128,
    /// The exact timestamp of the next block, if set.
    next_exact: Option<u64>,
    /// Each block this many seconds after its parent, if set.
    interval: Option<u64>,
}

impl Clock {
    /// A clock whose time is `start` now and runs on from there (anvil's `--timestamp`: the genesis time,
    /// and the blocks after it follow at the wall clock's pace); the wall clock when `None`.
    pub fn starting_at(start: Option<u64>) -> Self {
        let mut c = Self::default();
        if let Some(t) = start {
            c.set_time(t);
        }
        c
    }

    /// The current devnet time.
    pub fn time(&self) -> u64 {
        (now() as i128 + self.offset).clamp(0, u64::MAX as i128) as u64
    }

    /// Moves time forward by `secs`; returns the total offset.
    pub fn increase(&mut self, secs: i128) -> i128 {
        self.offset += secs;
        self.offset
    }

    /// Sets the devnet time to `t`; returns the new offset.
    pub fn set_time(&mut self, t: u64) -> i128 {
        self.offset = t as i128 - now() as i128;
        self.offset
    }

    /// The next block gets exactly `t`.
    pub fn set_next(&mut self, t: u64) {
        self.next_exact = Some(t);
    }

    /// Each next block `secs` after its parent (`anvil_setBlockTimestampInterval`).
    pub fn set_interval(&mut self, secs: u64) {
        self.interval = Some(secs);
    }

    /// Back to the wall clock; true when an interval was set (`anvil_removeBlockTimestampInterval`).
    pub fn remove_interval(&mut self) -> bool {
        self.interval.take().is_some()
    }

    /// The timestamp the next block would get after a parent at `parent`.
    pub fn peek(&self, parent: u64) -> u64 {
        match (self.next_exact, self.interval) {
            (Some(t), _) => t,
            (None, Some(i)) => parent.saturating_add(i),
            (None, None) => self.time(),
        }
        .max(parent)
    }

    /// Records that a block was mined at `t`: an exact timestamp is used up and time runs on from `t`.
    pub fn mined(&mut self, t: u64) {
        if self.next_exact.take().is_some() {
            self.set_time(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_timestamp_then_runs_on() {
        let mut c = Clock::default();
        let t = now() + 10_000;
        c.set_next(t);
        assert_eq!(c.peek(0), t);
        c.mined(t);
        assert!(c.peek(0) >= t && c.peek(0) < t + 5);
        assert_eq!(c.peek(u64::MAX), u64::MAX);
        let before = c.time();
        c.increase(100);
        assert!(c.time() >= before + 100);
    }

    #[test]
    fn a_start_time_runs_on_from_there() {
        let c = Clock::starting_at(Some(5));
        assert!(c.time() >= 5 && c.time() < 10);
        assert!(Clock::starting_at(None).time() >= now());
    }

    #[test]
    fn an_interval_steps_from_the_parent_until_removed() {
        let mut c = Clock::default();
        c.set_interval(7);
        assert_eq!(c.peek(1_000), 1_007);
        c.set_next(5_000);
        assert_eq!(c.peek(1_000), 5_000, "an exact timestamp comes first");
        c.mined(5_000);
        assert_eq!(c.peek(5_000), 5_007);
        assert_eq!(c.peek(u64::MAX), u64::MAX);
        assert!(c.remove_interval());
        assert!(!c.remove_interval());
        assert!(c.peek(0) >= 5_000);
    }
}
