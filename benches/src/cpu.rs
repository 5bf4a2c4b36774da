//! Process CPU time (user + system, all threads), to report what parallel execution costs besides wall time.

use std::time::Duration;

/// CPU time consumed by this process so far; zero where the platform cannot tell.
pub fn process_cpu_time() -> Duration {
    // SAFETY: `getrusage` only writes into the zeroed struct we pass; RUSAGE_SELF is always valid.
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut u) != 0 {
            return Duration::ZERO;
        }
        u
    };
    let tv =
        |t: libc::timeval| Duration::new(t.tv_sec as u64, (t.tv_usec as u32).saturating_mul(1_000));
    tv(usage.ru_utime) + tv(usage.ru_stime)
}
