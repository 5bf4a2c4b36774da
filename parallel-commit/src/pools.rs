//! Kept rayon pools, one per size, shared by everything in the process that fans a block's work out over
//! threads: the block executor's helper threads (`threads - 1` helpers beside the calling thread) and the
//! OP adapter's sender recovery before execution. Kept alive between blocks, so a block pays for waking
//! threads, not for starting them and warming fresh allocator heaps. Sits below the scheduler in the flow.

use alloy_primitives::map::HashMap;
use parking_lot::Mutex;
use std::sync::OnceLock;

/// Stack of a pool thread: the interpreter does not recurse, but precompiles and deep frame stacks get the
/// same room as a main thread.
const POOL_STACK: usize = 8 << 20;

/// The process's pool of exactly `size` threads (created on first use, kept for the life of the process;
/// `None` when it cannot be started or `size` is 0: the caller then works alone). A pool of exactly the
/// threads a job uses: idle threads of a larger pool would wake and spin looking for work, taking cores
/// from the workers. A busy pool (jobs running concurrently) only means fewer of its threads join a job.
pub fn kept_pool(size: usize) -> Option<&'static rayon::ThreadPool> {
    if size == 0 {
        return None;
    }
    static POOLS: OnceLock<Mutex<HashMap<usize, &'static rayon::ThreadPool>>> = OnceLock::new();
    let mut pools = POOLS.get_or_init(Default::default).lock();
    if let Some(p) = pools.get(&size) {
        return Some(*p);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(size)
        .thread_name(move |i| format!("parevm-pool-{size}-{i}"))
        .stack_size(POOL_STACK)
        .build()
        .ok()?;
    // Leaked on purpose: one pool per size for the life of the process.
    let pool: &'static rayon::ThreadPool = Box::leak(Box::new(pool));
    pools.insert(size, pool);
    Some(pool)
}

#[cfg(test)]
mod tests {
    use super::kept_pool;

    #[test]
    fn one_pool_per_size_of_that_size() {
        let a = kept_pool(2).expect("pool of 2");
        assert_eq!(a.current_num_threads(), 2);
        let b = kept_pool(2).expect("pool of 2 again");
        assert!(std::ptr::eq(a, b), "the same size gives the same pool");
        let c = kept_pool(3).expect("pool of 3");
        assert_eq!(c.current_num_threads(), 3);
        assert!(kept_pool(0).is_none());
    }
}
