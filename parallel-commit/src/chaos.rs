//! Chaos mode: seeded random yields and short sleeps at the protocol's interleaving points (scheduler
//! transitions, multi-version memory reads and writes), so tests explore orders that a quiet machine
//! never produces. Off by default; the check is one branch on an `Option`. Each worker's stream starts
//! from the seed and the worker's index (`enter_worker`), so a seed reproduces the injected noise.

use std::cell::Cell;
use std::time::Duration;

/// A chaos injector; `None` seed means off.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Chaos {
    seed: Option<u64>,
}

thread_local! {
    /// Per-thread generator state (0 = not seeded yet on this thread).
    static STATE: Cell<u64> = const { Cell::new(0) };
}

/// SplitMix64 step: a small, well-mixed generator, enough for scheduling noise.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Chaos {
    /// An injector that is on when `seed` is set.
    pub(crate) fn new(seed: Option<u64>) -> Self {
        Self { seed }
    }

    /// Starts worker `index`'s stream on this (possibly pooled) thread: the injected delays of a run are a
    /// function of the seed and the worker, not of which pool thread the worker landed on, so a seed
    /// printed by a failing run reproduces the same noise.
    pub(crate) fn enter_worker(&self, index: usize) {
        if let Some(seed) = self.seed {
            STATE.with(|s| {
                s.set(splitmix(
                    seed ^ 0x5EED ^ (index as u64).wrapping_mul(0x9E37),
                ))
            });
        }
    }

    /// Maybe yields or sleeps. `site` distinguishes call sites so each gets its own stream.
    #[inline]
    pub(crate) fn point(&self, site: u64) {
        let Some(seed) = self.seed else { return };
        let x = STATE.with(|s| {
            let mut v = s.get();
            if v == 0 {
                // A thread that never entered a worker (a direct caller of the memory or scheduler).
                v = splitmix(seed ^ 0x5EED);
            }
            v = splitmix(v ^ site);
            s.set(v);
            v
        });
        match x % 32 {
            0..=5 => std::thread::yield_now(),
            6 => std::thread::sleep(Duration::from_micros((x >> 8) % 40)),
            _ => {}
        }
    }
}
