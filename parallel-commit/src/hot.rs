//! Abort-learned hints: locations that made a validation fail are *hot*. A later read of a hot location
//! of account `a` (a storage slot, its nonce, its balance) waits for the nearest lower transaction that
//! calls `a` and has not finished, instead of reading a value that is likely to go stale (a counter every
//! transaction increments, a pool's reserves, a factory's nonce, WETH's own balance). Block-STM only learns a writer once it has written; this learns the location once
//! and then parks readers on likely writers before their first write exists.
//!
//! A hint is only a guess about *when* to read: the value read afterwards is still validated, so a wrong
//! guess costs waiting time, never correctness.

use crate::scheduler::Scheduler;
use crate::types::{Location, TxIdx};
use alloy_primitives::map::{HashMap, HashSet};
use alloy_primitives::Address;
use parevm_evm_core::Env;
use parking_lot::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// Hot storage locations and, per contract, the transactions that call it.
pub(crate) struct HotHints {
    /// Set once any location is hot: reads skip the lookup until then.
    any: AtomicBool,
    hot: RwLock<HashSet<Location>>,
    /// Transactions whose top-level call targets each address, ascending (built on first use).
    callers: OnceLock<HashMap<Address, Vec<TxIdx>>>,
}

impl HotHints {
    /// Hints with nothing hot yet.
    pub(crate) fn new() -> Self {
        Self {
            any: AtomicBool::new(false),
            hot: RwLock::new(HashSet::default()),
            callers: OnceLock::new(),
        }
    }

    fn callers(&self, envs: &[Env]) -> &HashMap<Address, Vec<TxIdx>> {
        self.callers.get_or_init(|| {
            let mut callers: HashMap<Address, Vec<TxIdx>> = HashMap::default();
            for (i, env) in envs.iter().enumerate() {
                if let Some(to) = env.tx.kind.to() {
                    callers.entry(*to).or_default().push(i);
                }
            }
            callers
        })
    }

    /// Records that a validation failed on `loc`.
    pub(crate) fn mark(&self, loc: Location) {
        // Code hashes and storage emptiness change only on creation and destruction: not worth waiting for.
        if matches!(loc, Location::CodeHash(_) | Location::HasStorage(_)) {
            return;
        }
        if self.hot.write().insert(loc) {
            // ORDERING: Release after the insert; a reader that sees the flag sees the set.
            self.any.store(true, Ordering::Release);
        }
    }

    /// The transaction a read of `loc` by `tx` should wait for, if any: the nearest lower caller of the
    /// location's account when the location is hot and that caller has not finished executing.
    pub(crate) fn blocker(
        &self,
        loc: Location,
        tx: TxIdx,
        envs: &[Env],
        sched: &Scheduler,
    ) -> Option<TxIdx> {
        // ORDERING: Acquire pairs with the Release in `mark`.
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        let account = match loc {
            Location::Storage(a, _) | Location::Nonce(a) | Location::Balance(a) => a,
            Location::CodeHash(_) | Location::HasStorage(_) => return None,
        };
        if !self.hot.read().contains(&loc) {
            return None;
        }
        let callers = self.callers(envs).get(&account)?;
        let below = callers.partition_point(|&k| k < tx);
        let k = *callers.get(below.checked_sub(1)?)?;
        (!sched.finished(k)).then_some(k)
    }
}
