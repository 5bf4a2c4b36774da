//! Inter-core round trip: two threads pass one cache line back and forth, the cost of every hand-off
//! between the parallel engine's threads. On a VM it moves with where the host places the vCPUs (on this
//! project's 2-vCPU machine 62 to 500 ns within minutes), and fine-grained parallel work (a plain
//! transfer is about 1 us) moves with it; the suites print it beside their parallel figures so that a
//! slow machine can be told from a slow engine.
//!
//! Each [`probe`] is kept for the process's [`summary`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Round trips per probe: about an eighth of a millisecond at 125 ns.
const ROUND_TRIPS: u64 = 1_000;

/// One cache line of its own.
#[repr(align(128))]
struct Line(AtomicU64);

/// Every probe of this process, in nanoseconds per round trip.
static PROBES: Mutex<Vec<f64>> = Mutex::new(Vec::new());

/// Mean time of one round trip between this thread and a new one, over [`ROUND_TRIPS`]; kept for
/// [`summary`].
pub fn probe() -> Duration {
    let line = Line(AtomicU64::new(0));
    let total = 2 * ROUND_TRIPS;
    let elapsed = std::thread::scope(|s| {
        s.spawn(|| {
            let mut v = 1;
            while v < total {
                wait_for(&line, v);
                // ORDERING: Release hands the turn to the other thread's Acquire load in `wait_for`.
                line.0.store(v + 1, Ordering::Release);
                v += 2;
            }
        });
        // Wait for the other thread to be running before the clock starts.
        // ORDERING: as above, here and in the loop below.
        line.0.store(1, Ordering::Release);
        wait_for(&line, 2);
        let start = Instant::now();
        let mut v = 2;
        while v < total {
            line.0.store(v + 1, Ordering::Release);
            v += 2;
            wait_for(&line, v);
        }
        start.elapsed()
    });
    let per = elapsed / (ROUND_TRIPS - 1) as u32;
    if let Ok(mut p) = PROBES.lock() {
        p.push(per.as_secs_f64() * 1e9);
    }
    per
}

/// Spins until `line` holds `v`, yielding now and then: on a machine with one CPU the other thread runs
/// only when this one gives the CPU up (a round trip then costs a scheduler switch, as it should read).
fn wait_for(line: &Line, v: u64) {
    let mut spins = 0u32;
    // ORDERING: Acquire pairs with the other thread's Release store; only the value matters here.
    while line.0.load(Ordering::Acquire) != v {
        spins += 1;
        if spins.is_multiple_of(YIELD_EVERY) {
            std::thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
}

/// Spins between yields in [`wait_for`]: far more than a round trip between two running cores takes.
const YIELD_EVERY: u32 = 1_000;

/// `"median M ns, min A, max B over N probes"` for every probe of this process, or `None` before the
/// first.
pub fn summary() -> Option<String> {
    let p = PROBES.lock().ok()?.clone();
    spread(&p)
}

/// `"median M ns, min A, max B over N probes"` for round trips `ns` (nanoseconds), or `None` when empty.
pub fn spread(ns: &[f64]) -> Option<String> {
    let mut p = ns.to_vec();
    if p.is_empty() {
        return None;
    }
    p.sort_by(f64::total_cmp);
    Some(format!(
        "median {:.0} ns, min {:.0}, max {:.0} over {} probes",
        p[p.len() / 2],
        p[0],
        p[p.len() - 1],
        p.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_is_positive_and_kept() {
        let d = probe();
        assert!(d > Duration::ZERO);
        let s = summary().expect("one probe kept");
        assert!(s.contains("probes"), "{s}");
    }

    #[test]
    fn a_spread_names_median_min_max_and_count() {
        assert_eq!(spread(&[]), None);
        assert_eq!(
            spread(&[90.0, 60.0, 300.0]).as_deref(),
            Some("median 90 ns, min 60, max 300 over 3 probes")
        );
    }
}
