//! Knobs of a parallel execution: thread count, when to stay sequential, the chaos mode used by tests.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;

/// Environment variable that turns on chaos mode for [`crate::execute_parallel`] (value: a `u64` seed).
pub const CHAOS_ENV: &str = "PAREVM_CHAOS";

/// Environment variable that, set to `1`, has the effect of [`force_parallel_path`] for every
/// [`crate::execute_parallel`] call of the process (e.g. `PAREVM_PARALLEL_FORCE=1 parevm blocktest ...`).
pub const FORCE_ENV: &str = "PAREVM_PARALLEL_FORCE";

/// Set by [`force_parallel_path`].
static FORCE: AtomicBool = AtomicBool::new(false);

/// Environment variable that, set to `1`, has the effect of [`set_frame_lookahead`]`(true)` for the process.
pub const FRAMES_ENV: &str = "PAREVM_FRAMES";

/// Set by [`set_frame_lookahead`].
static FRAMES: AtomicBool = AtomicBool::new(false);

/// Turns frame lookahead on (or off) for every later [`crate::execute_parallel`] call in this process
/// ([`ParallelConfig::frames`]). Off by default: measured, it does not pay yet on two cores
/// (`docs/frames.md`); the conformance tests turn it on.
pub fn set_frame_lookahead(on: bool) {
    // ORDERING: Relaxed: an independent switch, read once per block.
    FRAMES.store(on, Ordering::Relaxed);
}

/// The default of [`set_frame_min_time`]: about twenty helper hand-offs on two cores.
pub const FRAME_MIN_TIME: std::time::Duration = std::time::Duration::from_micros(200);

/// The default of [`ParallelConfig::redo_min_gas`]. Measured on the 55 mainnet blocks at 2 threads
/// (`docs/benchmarks.md`): with points from 100,000 gas, 25,000 apart, a quarter of the re-executions were
/// taken up at a point and 27% of the wasted gas was not run again, but copying the executions cost more
/// (process CPU +5-11%); most stale reads come before a transaction's first call (the sender, the called
/// contract's first slots). So only long transactions, where a late stale read is worth a point, take them.
pub const REDO_MIN_GAS: u64 = 1_000_000;

/// The least gas a speculative execution spends between two redo points (each copies the journal and the
/// frame stack; the gap also grows with the gas spent, see `evm-core/src/transact/redo.rs`).
pub const REDO_GAP: u64 = 200_000;

/// Environment variable that sets [`ParallelConfig::redo_min_gas`] and [`ParallelConfig::redo_gap`] for the
/// process (for measuring what redo points cost and save): `0` turns them off, `MIN_GAS` or
/// `MIN_GAS/GAP` sets them.
pub const REDO_ENV: &str = "PAREVM_REDO";

/// Set by [`set_frame_min_time`].
static FRAME_MIN_NS: AtomicU64 = AtomicU64::new(FRAME_MIN_TIME.as_nanos() as u64);

/// Sets [`ParallelConfig::frame_min_ns`] for every configuration made later in this process: frame
/// lookahead only for transactions whose kind last ran at least `min` (zero: for every transaction past
/// the gas gate, as the tests that put every transaction through lookahead want).
pub fn set_frame_min_time(min: std::time::Duration) {
    let ns = u64::try_from(min.as_nanos()).unwrap_or(u64::MAX);
    // ORDERING: Relaxed: an independent setting, read once per configuration.
    FRAME_MIN_NS.store(ns, Ordering::Relaxed);
}

/// Makes every later [`crate::execute_parallel`] call in this process take the parallel path with all
/// workers from the start, however small the block (as [`ParallelConfig::forced`]). For conformance runs
/// that must put every fixture block through the parallel engine; results do not change, only cost.
pub fn force_parallel_path(on: bool) {
    // ORDERING: Relaxed: an independent switch, read once per block.
    FORCE.store(on, Ordering::Relaxed);
}

/// Which parallel engine executes a block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Engine {
    /// The calling thread commits in block order on the sequential path's overlay while helpers execute
    /// the transactions ahead of it against the base state; a helper's outcome is committed when its
    /// reads still hold (`lookahead/`). Falls back to one thread when the block is predicted to be a
    /// chain. The default: it never costs much more than the sequential path.
    #[default]
    Lookahead,
    /// Block-STM-style optimistic execution over multi-version memory, with parking, hints and serial
    /// batches (`worker.rs`, `docs/parallel.md`). Block building always uses it.
    BlockStm,
}

/// Configuration of [`crate::execute_parallel_with`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParallelConfig {
    /// Worker threads (the calling thread is one of them).
    pub threads: usize,
    /// The engine (block building always uses [`Engine::BlockStm`]).
    pub engine: Engine,
    /// Blocks with fewer transactions run sequentially (thread start-up would cost more than it saves).
    pub min_txs: usize,
    /// Blocks whose transactions' gas limits sum to less than this run sequentially.
    pub min_gas: u64,
    /// Park a transaction whose read hits an unfinished lower write and resume it later (`true`), or
    /// drop the execution and restart it from scratch as Block-STM does (`false`, for comparisons).
    pub park: bool,
    /// Wait on static write predictions (sender nonce and balance, value recipients), so that
    /// transactions of one sender wait for each other instead of reading stale nonces and aborting, and on
    /// abort-learned hot locations.
    pub hints: bool,
    /// Switch to in-order execution on the committer's thread while the block proves to be a chain, and
    /// call in helper threads only once the block has run for [`ParallelConfig::spawn_after`]. For
    /// [`Engine::Lookahead`]: stay on one thread when the block is predicted to be a chain, and stop the
    /// helpers when their executions keep failing validation.
    pub adaptive: bool,
    /// With `adaptive`, how long the calling thread works alone, in block order (a serial warm-up), before
    /// the other workers join: a block that finishes sooner never involves them.
    pub spawn_after: std::time::Duration,
    /// Chaos mode: inject seeded random yields and sleeps inside the scheduler and multi-version memory.
    pub chaos: Option<u64>,
    /// In a block that stays on one thread, run frame lookahead (issue 16, `frames.rs`) on the other
    /// threads for each transaction whose gas limit is at least [`ParallelConfig::frame_min_gas`]: a scout
    /// and helpers run the calls of its top frame ahead of it. Off by default ([`set_frame_lookahead`],
    /// [`FRAMES_ENV`]).
    pub frames: bool,
    /// The smallest transaction gas limit that gets frame lookahead (below it a transaction is too short
    /// for a helper thread's hand-off to pay).
    pub frame_min_gas: u64,
    /// The shortest run time, in nanoseconds, of the last transaction of the same kind (called address
    /// and selector) that still gets frame lookahead (`frame_history.rs`); 0: every transaction past
    /// [`Self::frame_min_gas`]. From [`set_frame_min_time`], [`FRAME_MIN_TIME`] by default.
    pub frame_min_ns: u64,
    /// [`Engine::Lookahead`]: a helper's execution of a transaction whose gas limit is at least this
    /// records redo points, and a re-execution after a failed validation is taken up at the latest point
    /// before the first read that changed (issue 16, item 2). `u64::MAX`: never ([`REDO_ENV`]`=0`).
    pub redo_min_gas: u64,
    /// The least gas between two redo points ([`REDO_GAP`] by default).
    pub redo_gap: u64,
}

impl ParallelConfig {
    /// Defaults for `threads` workers: adaptive thresholds on, parking and hints on, no chaos.
    pub fn new(threads: usize) -> Self {
        Self {
            threads,
            engine: Engine::default(),
            min_txs: 8,
            // About a hundred microseconds of work or less: threads cannot pay off (the serial warm-up
            // would cover the whole block anyway).
            min_gas: 500_000,
            park: true,
            hints: true,
            adaptive: true,
            spawn_after: std::time::Duration::from_micros(100),
            chaos: None,
            frames: false,
            frame_min_gas: 300_000,
            // ORDERING: Relaxed; see `set_frame_min_time`.
            frame_min_ns: FRAME_MIN_NS.load(Ordering::Relaxed),
            redo_min_gas: REDO_MIN_GAS,
            redo_gap: REDO_GAP,
        }
    }

    /// Always takes the Block-STM path ([`Engine::BlockStm`]) when `threads > 1`, however small the
    /// block, with every worker started at once (for tests; see [`Self::with_engine`]).
    pub fn forced(threads: usize) -> Self {
        Self {
            engine: Engine::BlockStm,
            min_txs: 0,
            min_gas: 0,
            spawn_after: std::time::Duration::ZERO,
            ..Self::new(threads)
        }
    }

    /// The same configuration with `engine`.
    pub fn with_engine(mut self, engine: Engine) -> Self {
        self.engine = engine;
        self
    }

    /// Turns chaos mode on with `seed`.
    pub fn with_chaos(mut self, seed: u64) -> Self {
        self.chaos = Some(seed);
        self
    }

    /// Applies [`CHAOS_ENV`] when it is set to a number, and [`force_parallel_path`] (or [`FORCE_ENV`])
    /// when it is on. The environment is read once per process, on the first call: reading it on every
    /// block took a measurable share of a small one.
    pub fn with_env_overrides(mut self) -> Self {
        let env = env_overrides();
        // ORDERING: Relaxed; see `force_parallel_path`.
        if FORCE.load(Ordering::Relaxed) || env.force {
            let engine = self.engine;
            self = Self {
                chaos: self.chaos,
                engine,
                // The lookahead engine's cost model (stay on one thread for a predicted chain, stop
                // speculating when it keeps failing) is its adaptivity: off, so helpers always run.
                adaptive: engine != Engine::Lookahead,
                ..Self::forced(self.threads)
            };
        }
        if let Some(seed) = env.chaos {
            self.chaos = Some(seed);
        }
        // ORDERING: Relaxed; see `set_frame_lookahead`.
        if FRAMES.load(Ordering::Relaxed) || env.frames {
            self.frames = true;
        }
        if let Some((min_gas, gap)) = env.redo {
            self.redo_min_gas = min_gas;
            if let Some(gap) = gap {
                self.redo_gap = gap;
            }
        }
        self
    }
}

/// The process's [`FORCE_ENV`] and [`CHAOS_ENV`] settings.
struct EnvOverrides {
    force: bool,
    chaos: Option<u64>,
    frames: bool,
    /// [`REDO_ENV`]: the smallest gas limit (`u64::MAX`: off) and the gap, if given.
    redo: Option<(u64, Option<u64>)>,
}

/// Reads [`FORCE_ENV`] and [`CHAOS_ENV`] on the first call and keeps what it found.
fn env_overrides() -> &'static EnvOverrides {
    static ENV: OnceLock<EnvOverrides> = OnceLock::new();
    ENV.get_or_init(|| {
        let chaos = std::env::var(CHAOS_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(seed) = chaos {
            // Printed once per process, so that a failing chaos run can be repeated.
            eprintln!("parevm-parallel: chaos mode, seed {seed} ({CHAOS_ENV}={seed} repeats it)");
        }
        EnvOverrides {
            force: std::env::var(FORCE_ENV).is_ok_and(|v| v.trim() == "1"),
            chaos,
            frames: std::env::var(FRAMES_ENV).is_ok_and(|v| v.trim() == "1"),
            redo: std::env::var(REDO_ENV).ok().and_then(|v| parse_redo(&v)),
        }
    })
}

/// Parses a [`REDO_ENV`] value (`None` when malformed: the defaults stay).
fn parse_redo(v: &str) -> Option<(u64, Option<u64>)> {
    let (min_gas, gap) = match v.trim().split_once('/') {
        Some((m, g)) => (m.trim(), Some(g.trim().parse().ok()?)),
        None => (v.trim(), None),
    };
    match min_gas.parse().ok()? {
        0 => Some((u64::MAX, None)),
        m => Some((m, gap)),
    }
}

impl Default for ParallelConfig {
    fn default() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_redo;

    #[test]
    fn redo_setting_parses_off_min_gas_and_gap() {
        assert_eq!(parse_redo("0"), Some((u64::MAX, None)));
        assert_eq!(parse_redo(" 300000 "), Some((300_000, None)));
        assert_eq!(parse_redo("300000/100000"), Some((300_000, Some(100_000))));
        assert_eq!(parse_redo("many"), None);
        assert_eq!(parse_redo("300000/x"), None);
    }
}
