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
                // ORDERING: Acquire/Release pairs with the other thread's; only the value matters here.
                while line.0.load(Ordering::Acquire) != v {
                    std::hint::spin_loop();
                }
                line.0.store(v + 1, Ordering::Release);
                v += 2;
            }
        });
        // Wait for the other thread to be running before the clock starts.
        line.0.store(1, Ordering::Release);
        while line.0.load(Ordering::Acquire) != 2 {
            std::hint::spin_loop();
        }
        let start = Instant::now();
        let mut v = 2;
        while v < total {
            line.0.store(v + 1, Ordering::Release);
            v += 2;
            while line.0.load(Ordering::Acquire) != v {
                std::hint::spin_loop();
            }
        }
        start.elapsed()
    });
    let per = elapsed / (ROUND_TRIPS - 1) as u32;
    if let Ok(mut p) = PROBES.lock() {
        p.push(per.as_secs_f64() * 1e9);
    }
    per
}

/// `"median M ns, min A, max B over N probes"`, or `None` before the first probe.
pub fn summary() -> Option<String> {
    let mut p = PROBES.lock().ok()?.clone();
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
}
