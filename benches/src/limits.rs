//! `parevm-benches limits`: how much transaction-level parallelism each recorded mainnet block holds on
//! P threads, measured on our own sequential path, so that a parallel run can be read against what any
//! transaction-level schedule could reach (`../shared/notes/parallel-limits.md` gives the same bound,
//! measured with revm).
//!
//! Each transaction is timed alone on the sequential path's overlay (the minimum over `runs` passes,
//! its writes applied as part of its time). Transaction `j` depends on a lower `i` when it read a
//! location `i` wrote (balances credited with `Add`, the fee recipient's among them, count as writes
//! only for a transaction that reads that balance). Its earliest finish is its own time after the
//! latest finish of what it depends on; the critical path is the latest finish of all. The bound on P
//! threads is `max(critical path, total / P)` and the limit `total / bound`: a schedule that knows every
//! dependency in advance and pays nothing for handing work over.

use crate::error::BenchError;
use crate::mainnet::block::{load_blocks, MainnetBlock};
use alloy_primitives::map::HashMap;
use alloy_primitives::{Address, U256};
use parevm_evm_core::{InvalidTx, Location, TxExecution, TxOutcome};
use parevm_parallel_commit::Overlay;
use std::path::Path;
use std::time::Instant;

/// One block's bound.
#[derive(Clone, Debug)]
pub struct LimitRow {
    /// The block number.
    pub number: u64,
    /// Its transactions.
    pub txs: usize,
    /// The sum of the transactions' times, ms.
    pub total_ms: f64,
    /// The critical path, ms.
    pub critical_ms: f64,
    /// Transactions on the critical path.
    pub critical_txs: usize,
    /// Transactions that depend on a lower one.
    pub dependent_txs: usize,
}

impl LimitRow {
    /// The best speedup over sequential a transaction-level schedule reaches on `threads` threads.
    pub fn limit(&self, threads: usize) -> f64 {
        let bound = self.critical_ms.max(self.total_ms / threads as f64);
        if bound > 0.0 {
            self.total_ms / bound
        } else {
            1.0
        }
    }
}

/// What a location is keyed by here: an account field, or a slot.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Account(Address, u8),
    Slot(Address, U256),
}

fn read_key(loc: &Location) -> Key {
    match *loc {
        Location::Balance(a) => Key::Account(a, 0),
        Location::Nonce(a) => Key::Account(a, 1),
        Location::CodeHash(a) => Key::Account(a, 2),
        Location::HasStorage(a) => Key::Account(a, 3),
        Location::Storage(a, s) => Key::Slot(a, s),
    }
}

/// Times every transaction of `b` alone (minimum over `runs` passes of the sequential path).
fn tx_times(b: &MainnetBlock, runs: u32) -> Result<Vec<f64>, BenchError> {
    let mut best = vec![f64::INFINITY; b.envs.len()];
    for _ in 0..runs.max(1) {
        let mut overlay = Overlay::with_capacity(&b.state, b.envs.len());
        for (i, env) in b.envs.iter().enumerate() {
            let t = Instant::now();
            let r = TxExecution::borrowed(env).resume(&overlay);
            let out = match r {
                Ok(out) => Some(out),
                Err(parevm_evm_core::TxError::Invalid(_)) => None,
                Err(e) => {
                    return Err(BenchError::Rejected {
                        engine: "parevm-seq",
                        case: format!("block {} transaction {i}", b.number()),
                        reason: e.to_string(),
                    })
                }
            };
            if let Some(out) = &out {
                overlay.apply(&out.writes);
            }
            let ms = t.elapsed().as_secs_f64() * 1e3;
            best[i] = best[i].min(ms);
        }
    }
    Ok(best)
}

/// The bound of block `b` (see the module header).
pub fn block_limit(b: &MainnetBlock, runs: u32) -> Result<LimitRow, BenchError> {
    let times = tx_times(b, runs)?;
    let results =
        parevm_parallel_commit::try_execute_sequential(&b.envs, &b.state).map_err(|e| {
            BenchError::Rejected {
                engine: "parevm-seq",
                case: format!("block {}", b.number()),
                reason: e.to_string(),
            }
        })?;
    let path = critical_path(&results, &times);
    Ok(LimitRow {
        number: b.number(),
        txs: b.envs.len(),
        total_ms: times.iter().sum(),
        critical_ms: path.critical_ms,
        critical_txs: path.critical_txs,
        dependent_txs: path.dependent_txs,
    })
}

/// The critical path of a block's transactions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CriticalPath {
    /// Its length in the transactions' time units.
    pub critical_ms: f64,
    /// Transactions on it.
    pub critical_txs: usize,
    /// Transactions that depend on a lower one.
    pub dependent_txs: usize,
}

/// The critical path of `results` (the sequential path's outcomes, with read sets) when transaction `i`
/// takes `times[i]` (see the module header). Invalid transactions neither wait nor are waited for.
pub fn critical_path(results: &[Result<TxOutcome, InvalidTx>], times: &[f64]) -> CriticalPath {
    // Per location: the latest finish among the transactions that wrote it, with how many lie on the
    // path to it; per account, the latest finish of a write that wiped its storage or removed it.
    let mut written: HashMap<Key, (f64, usize)> = HashMap::default();
    let mut wiped: HashMap<Address, (f64, usize)> = HashMap::default();
    let (mut critical, mut critical_txs, mut dependent) = (0.0f64, 0usize, 0usize);
    for (r, t) in results.iter().zip(times) {
        let Ok(out) = r else {
            continue;
        };
        let mut start = (0.0f64, 0usize);
        for (loc, _) in &out.reads {
            let key = read_key(loc);
            let mut dep = written.get(&key).copied();
            if let Key::Slot(a, _) | Key::Account(a, 3) = key {
                if let Some(w) = wiped.get(&a) {
                    dep = Some(dep.map_or(*w, |d| if w.0 > d.0 { *w } else { d }));
                }
            }
            if let Some(d) = dep {
                if d.0 > start.0 {
                    start = d;
                }
            }
        }
        if start.1 > 0 {
            dependent += 1;
        }
        let finish = (start.0 + t, start.1 + 1);
        if finish.0 > critical {
            (critical, critical_txs) = finish;
        }
        let later = |e: &mut (f64, usize)| {
            if finish.0 >= e.0 {
                *e = finish;
            }
        };
        let mut write = |k: Key| later(written.entry(k).or_insert(finish));
        for w in &out.writes {
            let a = w.address;
            if w.destroyed || w.storage_reset {
                later(wiped.entry(a).or_insert(finish));
            }
            if w.destroyed {
                for f in 0..4 {
                    write(Key::Account(a, f));
                }
                continue;
            }
            if w.balance.is_some() {
                write(Key::Account(a, 0));
            }
            if w.nonce.is_some() {
                write(Key::Account(a, 1));
            }
            if w.code.is_some() {
                write(Key::Account(a, 2));
            }
            if !w.storage.is_empty() || w.storage_reset {
                write(Key::Account(a, 3));
            }
            for (s, _) in &w.storage {
                write(Key::Slot(a, *s));
            }
        }
    }
    CriticalPath {
        critical_ms: critical,
        critical_txs,
        dependent_txs: dependent,
    }
}

/// The bounds of every block under `dir` (those in `only`, all when empty); a block of `only` that is
/// not in the set is an error naming it.
pub fn mainnet_limits(dir: &Path, only: &[u64], runs: u32) -> Result<Vec<LimitRow>, BenchError> {
    let (blocks, _) = load_blocks(dir, only)?;
    let missing = missing_blocks(only, &blocks.iter().map(|b| b.number()).collect::<Vec<_>>());
    if !missing.is_empty() {
        return Err(BenchError::Setup {
            case: format!("blocks {missing:?}"),
            reason: format!("not in the set under {}", dir.display()),
        });
    }
    blocks.iter().map(|b| block_limit(b, runs)).collect()
}

/// The blocks of `asked` not in `found`.
fn missing_blocks(asked: &[u64], found: &[u64]) -> Vec<u64> {
    asked
        .iter()
        .copied()
        .filter(|n| !found.contains(n))
        .collect()
}

/// Sum of the rows' totals over the sum of their bounds on `threads` threads (`None` with no work).
pub fn aggregate(rows: &[LimitRow], threads: usize) -> Option<f64> {
    let total: f64 = rows.iter().map(|r| r.total_ms).sum();
    let bounds: f64 = rows.iter().map(|r| r.total_ms / r.limit(threads)).sum();
    (bounds > 0.0).then(|| total / bounds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use parevm_evm_core::{AccountWrite, ExecStatus};

    fn outcome(
        reads: Vec<(Location, U256)>,
        writes: Vec<AccountWrite>,
    ) -> Result<TxOutcome, InvalidTx> {
        Ok(TxOutcome {
            status: ExecStatus::Success,
            gas_used: 21_000,
            gas_refunded: 0,
            logs: Vec::new(),
            output: Default::default(),
            created_address: None,
            reads,
            writes,
            balance_bounds: Vec::new(),
        })
    }

    fn slot_write(a: Address, slot: u64) -> AccountWrite {
        let mut w = AccountWrite::new(a);
        w.storage.push((U256::from(slot), U256::from(1)));
        w
    }

    #[test]
    fn a_read_of_a_lower_write_waits_for_it_and_an_unrelated_read_does_not() {
        let (a, b) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let results = vec![
            outcome(vec![], vec![slot_write(a, 7)]),
            outcome(
                vec![(Location::Storage(b, U256::from(7)), U256::ZERO)],
                vec![],
            ),
            outcome(
                vec![(Location::Storage(a, U256::from(7)), U256::from(1))],
                vec![],
            ),
            Err(InvalidTx::NonceOverflow),
        ];
        let path = critical_path(&results, &[2.0, 5.0, 1.0, 9.0]);
        // 0 -> 2 is 3 long; 1 alone is 5.
        assert_eq!(
            path,
            CriticalPath {
                critical_ms: 5.0,
                critical_txs: 1,
                dependent_txs: 1
            }
        );
        let path = critical_path(&results, &[2.0, 1.0, 4.0, 9.0]);
        assert_eq!((path.critical_ms, path.critical_txs), (6.0, 2));
    }

    #[test]
    fn a_wiped_account_is_a_write_of_every_slot() {
        let a = Address::repeat_byte(3);
        let mut wipe = AccountWrite::new(a);
        wipe.storage_reset = true;
        let results = vec![
            outcome(vec![], vec![wipe]),
            outcome(
                vec![(Location::Storage(a, U256::from(42)), U256::ZERO)],
                vec![],
            ),
        ];
        let path = critical_path(&results, &[3.0, 1.0]);
        assert_eq!(
            (path.critical_ms, path.critical_txs, path.dependent_txs),
            (4.0, 2, 1)
        );
    }

    #[test]
    fn the_limit_is_the_work_bound_or_the_critical_path_and_unknown_blocks_are_named() {
        let row = |total_ms, critical_ms| LimitRow {
            number: 1,
            txs: 4,
            total_ms,
            critical_ms,
            critical_txs: 1,
            dependent_txs: 0,
        };
        assert_eq!(row(8.0, 1.0).limit(2), 2.0);
        assert_eq!(row(8.0, 1.0).limit(16), 8.0);
        assert_eq!(row(8.0, 6.0).limit(2), 8.0 / 6.0);
        assert_eq!(row(0.0, 0.0).limit(2), 1.0);
        assert_eq!(
            aggregate(&[row(8.0, 1.0), row(4.0, 4.0)], 2),
            Some(12.0 / 8.0)
        );
        assert_eq!(aggregate(&[], 2), None);
        assert_eq!(missing_blocks(&[5, 6, 7], &[6]), vec![5, 7]);
        assert!(missing_blocks(&[], &[6]).is_empty());
    }
}
