//! Knobs of a parallel execution: thread count, when to stay sequential, the chaos mode used by tests.

/// Environment variable that turns on chaos mode for [`crate::execute_parallel`] (value: a `u64` seed).
pub const CHAOS_ENV: &str = "PAREVM_CHAOS";

/// Configuration of [`crate::execute_parallel_with`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParallelConfig {
    /// Worker threads (the calling thread is one of them).
    pub threads: usize,
    /// Blocks with fewer transactions run sequentially (thread start-up would cost more than it saves).
    pub min_txs: usize,
    /// Blocks whose transactions' gas limits sum to less than this run sequentially.
    pub min_gas: u64,
    /// Park a transaction whose read hits an unfinished lower write and resume it later (`true`), or
    /// drop the execution and restart it from scratch as Block-STM does (`false`, for comparisons).
    pub park: bool,
    /// Seed ESTIMATE markers from static hints (sender nonce and balance, value recipients), so that
    /// transactions of one sender wait for each other instead of reading stale nonces and aborting.
    pub hints: bool,
    /// Chaos mode: inject seeded random yields and sleeps inside the scheduler and multi-version memory.
    pub chaos: Option<u64>,
}

impl ParallelConfig {
    /// Defaults for `threads` workers: adaptive thresholds on, parking and hints on, no chaos.
    pub fn new(threads: usize) -> Self {
        Self {
            threads,
            min_txs: 4,
            min_gas: 4 * 21_000,
            park: true,
            hints: true,
            chaos: None,
        }
    }

    /// Always takes the parallel path when `threads > 1`, however small the block (for tests).
    pub fn forced(threads: usize) -> Self {
        Self {
            min_txs: 0,
            min_gas: 0,
            ..Self::new(threads)
        }
    }

    /// Turns chaos mode on with `seed`.
    pub fn with_chaos(mut self, seed: u64) -> Self {
        self.chaos = Some(seed);
        self
    }

    /// Applies [`CHAOS_ENV`] when it is set to a number.
    pub fn with_env_overrides(mut self) -> Self {
        if let Some(seed) = std::env::var(CHAOS_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            self.chaos = Some(seed);
        }
        self
    }
}

impl Default for ParallelConfig {
    fn default() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }
}
