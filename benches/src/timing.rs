//! Alternating timing: warm both engines up, then time them in turns (A B, B A, A B, ...) so that drift in
//! clock speed, cache state or a noisy neighbour falls on both alike, and report medians.

use crate::cpu::process_cpu_time;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// How long and how often to time one case.
#[derive(Clone, Copy, Debug)]
pub struct TimingPlan {
    /// Untimed runs of each engine first.
    pub warmup: u32,
    /// Timed runs of each engine, at least.
    pub min_iters: u32,
    /// Timed runs of each engine, at most.
    pub max_iters: u32,
    /// Stop after `min_iters` once this much time has passed.
    pub target: Duration,
}

impl Default for TimingPlan {
    fn default() -> Self {
        Self {
            warmup: 2,
            min_iters: 7,
            max_iters: 10_000,
            target: Duration::from_secs(3),
        }
    }
}

/// Wall-clock samples of both engines, one per timed run.
#[derive(Clone, Debug, Default)]
pub struct Samples {
    /// Engine A (ours).
    pub a: Vec<Duration>,
    /// Engine B (revm).
    pub b: Vec<Duration>,
}

/// Times `a` and `b` alternately according to `plan`.
pub fn alternate<T, U, E>(
    plan: TimingPlan,
    mut a: impl FnMut() -> Result<T, E>,
    mut b: impl FnMut() -> Result<U, E>,
) -> Result<Samples, E> {
    for _ in 0..plan.warmup {
        black_box(a()?);
        black_box(b()?);
    }
    let mut s = Samples::default();
    let start = Instant::now();
    let mut i = 0u32;
    while i < plan.min_iters || (i < plan.max_iters && start.elapsed() < plan.target) {
        if i.is_multiple_of(2) {
            s.a.push(time(&mut a)?);
            s.b.push(time(&mut b)?);
        } else {
            s.b.push(time(&mut b)?);
            s.a.push(time(&mut a)?);
        }
        i += 1;
    }
    Ok(s)
}

fn time<T, E>(f: &mut impl FnMut() -> Result<T, E>) -> Result<Duration, E> {
    let t = Instant::now();
    let r = f()?;
    let d = t.elapsed();
    black_box(r);
    Ok(d)
}

/// Bytes [`scrub_caches`] writes: four times the L2 of both cores of the 2-core reference machine
/// (1 MiB each), so that nothing a setup step touched is still in a private cache when the clock starts.
const SCRUB_BYTES: usize = 8 << 20;

thread_local! {
    static SCRUB: std::cell::RefCell<(Vec<u64>, u64)> = const { std::cell::RefCell::new((Vec::new(), 0)) };
}

/// Writes one word per cache line of an 8 MiB buffer, evicting the private (L1/L2) caches of this core.
/// [`timed`] calls it before starting the clock, so that no engine starts warmer than another: before this,
/// revm's pre-state was a fresh clone made just before its timed run (hot in L2), while ours had last been
/// touched one configuration earlier.
pub fn scrub_caches() {
    SCRUB.with(|s| {
        let (buf, round) = &mut *s.borrow_mut();
        if buf.is_empty() {
            buf.resize(SCRUB_BYTES / 8, 0);
        }
        *round = round.wrapping_add(1);
        for line in buf.chunks_exact_mut(8) {
            line[0] = *round;
        }
        black_box(&buf[..]);
    });
}

/// Runs `f` once, returning its result, its wall time and the process CPU time it took (all threads).
/// The private caches are scrubbed first ([`scrub_caches`]), outside the timed span.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration, Duration) {
    scrub_caches();
    let (c0, t0) = (process_cpu_time(), Instant::now());
    let r = black_box(f());
    (r, t0.elapsed(), process_cpu_time().saturating_sub(c0))
}

/// The median of `samples` (zero for none).
pub fn median(samples: &[Duration]) -> Duration {
    let mut v = samples.to_vec();
    v.sort_unstable();
    match v.len() {
        0 => Duration::ZERO,
        n if !n.is_multiple_of(2) => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2,
    }
}

/// Geometric mean of positive ratios (1.0 for none).
pub fn geomean(ratios: &[f64]) -> f64 {
    if ratios.is_empty() {
        return 1.0;
    }
    (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_odd_even_empty() {
        let ms = Duration::from_millis;
        assert_eq!(median(&[ms(3), ms(1), ms(2)]), ms(2));
        assert_eq!(
            median(&[ms(4), ms(1), ms(2), ms(3)]),
            Duration::from_micros(2500)
        );
        assert_eq!(median(&[]), Duration::ZERO);
    }

    #[test]
    fn geomean_of_reciprocals_is_one() {
        assert!((geomean(&[2.0, 0.5]) - 1.0).abs() < 1e-12);
        assert_eq!(geomean(&[]), 1.0);
    }

    #[test]
    fn alternate_runs_both_equally() {
        let plan = TimingPlan {
            warmup: 1,
            min_iters: 5,
            max_iters: 5,
            target: Duration::ZERO,
        };
        let s = alternate(plan, || Ok::<_, ()>(1), || Ok::<_, ()>(2)).unwrap();
        assert_eq!((s.a.len(), s.b.len()), (5, 5));
    }
}
