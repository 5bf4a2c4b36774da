//! The lookahead engine's schedule, decided from the block before any execution: the runs of consecutive
//! transactions threads claim at once ([`chunk_starts`]), the runs kept for the committer
//! ([`committers`]), and the long transactions helpers take first, out of block order ([`first_runs`]).
//! `mod.rs` builds [`super::Shared`] from them; `speculate.rs` hands the runs out.

use super::*;

/// A run of consecutive transactions is claimed at once, up to this much gas limit in all (about ten
/// plain transfers) or [`CHUNK_TXS`] transactions: claiming them one by one had the two threads take
/// turns transaction by transaction, so that every slot, the cursor and every outcome crossed between
/// the cores (on a block of plain transfers, as much time as the transfers themselves).
pub(super) const CHUNK_GAS: u64 = 200_000;
/// The most transactions in one claimed run.
pub(super) const CHUNK_TXS: usize = 16;

/// With the cost model on, in a block with (almost) no predicted-dependent transactions, one run in this
/// many past the committer's first is kept for the committer: the helpers never claim it and the committer
/// executes its transactions itself, final, when it reaches them. Without it, helpers claimed every run
/// ahead, and the committer, having caught up with a helper (validating costs less than executing), spent
/// its waits executing runs further ahead speculatively and then validated those too: each transaction it
/// executed cost it an execution and a validation. With its own runs it executes them once, and the
/// helpers keep ahead of it. Measured (`docs/benchmarks.md`): one in 3 beat one in 2 and 4 on plain
/// transfers and ERC-20; where predicted-dependent transactions already fall to the committer (the hot
/// mix), keeping runs for it too made it the bottleneck (1.18x -> 1.08x), hence [`any_dependent`].
pub(super) const COMMITTER_RUN_EVERY: usize = 3;

/// A transaction past the committer whose gas limit is at least this share of the whole block's is
/// taken by a helper first, out of block order. The longest transaction sets a block's critical path when
/// it is a large part of its work (16257471: one of 98 transactions, 13.6 M of 33 M gas limit, 2.9 ms of
/// 5.2 ms), and a helper walking the block in order started it only after the 21 before it (at 447 us;
/// first, at 114 us); a gas limit is the one sign of a long transaction before it runs. Measured on the
/// 55 mainnet blocks at 2 threads (`docs/benchmarks.md`): shares of 0.15, 0.1 and 0.05 all gained about
/// 2% in aggregate over none (12522062 1.39x -> 1.53x, 19929064 1.15x -> 1.61x).
pub(super) const GIANT_SHARE: f64 = 0.1;

/// A transaction past the committer with at least this gas limit is taken by a helper first too, after
/// those of [`GIANT_SHARE`] and the block's tail (see `Shared::first_runs`). In blocks of many small
/// transactions a long one holds a small share of the block's gas limit: 17666333's 2.3 ms transaction
/// (2 M gas limit, 3.5% of 56.6 M) started 2.4 ms into the block when a helper reached it in order, and
/// the block ended 2.2 ms after that, the committer validating alone (6.1 ms at 2 threads; 5.3-5.4 ms
/// with it taken first).
pub(super) const GIANT_GAS: u64 = 1_500_000;

/// The transactions helpers take first ([`GIANT_SHARE`], [`GIANT_GAS`]), largest gas limit first: those
/// after `from` whose gas limit is at least `least` and that are not predicted dependent.
/// Not only the largest: block 18988207's two (6 M and 5 M of 38 M) ran 0.24 ms and 3.4 ms, and the
/// second, taken by no one first, started 1.15 ms into a 4.9 ms block.
pub(super) fn giants(envs: &[Env], dependent: &[bool], from: TxIdx, least: u64) -> Vec<TxIdx> {
    let mut giants: Vec<TxIdx> = (from + 1..envs.len())
        .filter(|&i| !dependent[i] && envs[i].tx.gas_limit >= least)
        .collect();
    giants.sort_by_key(|&i| std::cmp::Reverse(envs[i].tx.gas_limit));
    giants
}

/// The runs helpers take first, in this order (`Shared::first_runs`), and the giants among them: the
/// giants of [`GIANT_SHARE`] (`long_gas`), else the block's last run of `chunks` when it lies past where
/// speculation reaches from the committer's start `from`, then the giants of [`GIANT_GAS`] not in it.
pub(super) fn first_runs(
    envs: &[Env],
    dependent: &[bool],
    from: TxIdx,
    long_gas: u64,
    chunks: &[TxIdx],
) -> (Vec<TxIdx>, Vec<(TxIdx, TxIdx)>) {
    let mut giants = giants(envs, dependent, from, long_gas.min(GIANT_GAS));
    let shares = giants
        .iter()
        .take_while(|&&g| envs[g].tx.gas_limit >= long_gas)
        .count();
    let mut runs: Vec<(TxIdx, TxIdx)> = giants[..shares].iter().map(|&g| (g, g + 1)).collect();
    let last_run = chunks[chunks.len() - 2];
    if shares == 0 && last_run > from + AHEAD {
        runs.push((last_run, envs.len()));
        // A giant in the tail runs with it.
        giants.retain(|&g| g < last_run);
    }
    runs.extend(giants[shares..].iter().map(|&g| (g, g + 1)));
    (giants, runs)
}

/// True when run `c` is one of `committer_runs`: runs `first + k * n` (k >= 1) for `Some((first, n))`
/// (see [`COMMITTER_RUN_EVERY`]; [`committers`] adds the cap on their gas).
pub(super) fn committer_run(committer_runs: Option<(usize, usize)>, c: usize) -> bool {
    committer_runs.is_some_and(|(first, n)| c > first && (c - first).is_multiple_of(n))
}

/// A run of at least this much gas limit is never the committer's: a long transaction it executes
/// itself holds every commit behind it, while one a helper executes leaves the committer validating
/// the rest meanwhile (17666333: a 2 ms transaction of 2 M gas limit, 3.5% of the block's, fell in a
/// committer's run when the runs shifted by one, and the block went from 1.44x to 1.29x).
pub(super) const COMMITTER_RUN_MAX_GAS: u64 = 500_000;

/// True when run `c` of `chunks` is the committer's: one of `committer_runs` and short enough
/// ([`COMMITTER_RUN_MAX_GAS`]).
pub(super) fn committers(
    committer_runs: Option<(usize, usize)>,
    envs: &[Env],
    chunks: &[TxIdx],
    c: usize,
) -> bool {
    committer_run(committer_runs, c)
        && envs[chunks[c]..chunks[c + 1]]
            .iter()
            .fold(0u64, |g, e| g.saturating_add(e.tx.gas_limit))
            < COMMITTER_RUN_MAX_GAS
}

/// Where each run of transactions claimed at once starts (see [`CHUNK_GAS`]), then `envs.len()`.
pub(super) fn chunk_starts(envs: &[Env]) -> Box<[TxIdx]> {
    let mut starts = vec![0];
    let (mut gas, mut len) = (0u64, 0usize);
    for (i, e) in envs.iter().enumerate() {
        if len > 0 && (gas >= CHUNK_GAS || len >= CHUNK_TXS) {
            starts.push(i);
            (gas, len) = (0, 0);
        }
        gas = gas.saturating_add(e.tx.gas_limit);
        len += 1;
    }
    starts.push(envs.len());
    starts.into_boxed_slice()
}

#[cfg(test)]
mod tests {
    use super::super::test_env as env;
    use super::*;

    #[test]
    fn first_runs_are_the_large_shares_then_the_tail_then_the_large_gas_limits() {
        let with_limit = |caller: u8, gas_limit: u64| {
            let mut e = env(caller, caller.wrapping_add(100), 0);
            e.tx.gas_limit = gas_limit;
            e
        };
        // 200 transactions of 100 k (runs of two), 20 M of gas limit before the changes below.
        let mut envs: Vec<Env> = (0..200).map(|i| with_limit(i as u8, 100_000)).collect();
        for (i, e) in envs.iter_mut().enumerate() {
            // Distinct senders, and calls with input (not bare): nothing predicted dependent.
            let mut a = [0u8; 20];
            a[18] = (i >> 8) as u8 + 1;
            a[19] = i as u8;
            e.tx.caller = Address::from(a);
            e.tx.data = alloy_primitives::Bytes::from_static(&[1]);
        }
        let runs_of = |envs: &[Env]| {
            let total: u64 = envs.iter().map(|e| e.tx.gas_limit).sum();
            let long_gas = (GIANT_SHARE * total as f64) as u64;
            first_runs(
                envs,
                &predicted_dependent(envs),
                0,
                long_gas,
                &chunk_starts(envs),
            )
        };
        // Nothing large: only the tail.
        let (giants, runs) = runs_of(&envs);
        assert!(giants.is_empty());
        assert_eq!(runs, [(198, 200)]);
        // A 2 M gas limit (a tenth of 24.4 M is more): after the tail; one in the tail runs with it.
        envs[50].tx.gas_limit = 2_000_000;
        envs[199].tx.gas_limit = 2_000_000;
        let (giants, runs) = runs_of(&envs);
        assert_eq!(giants, [50]);
        assert_eq!(runs, [(199, 200), (50, 51)]);
        // A large share: first, and no tail; the 2 M ones after it, largest first.
        envs[120].tx.gas_limit = 8_000_000;
        envs[50].tx.gas_limit = 1_500_000;
        let (giants, runs) = runs_of(&envs);
        assert_eq!(giants, [120, 199, 50]);
        assert_eq!(runs, [(120, 121), (199, 200), (50, 51)]);
    }

    #[test]
    fn giants_are_the_large_shares_of_gas_limit_past_the_committer_largest_first() {
        let with_limit = |caller: u8, gas_limit: u64| {
            let mut e = env(caller, caller.wrapping_add(100), 0);
            e.tx.gas_limit = gas_limit;
            e
        };
        // A tenth of the block's gas limit, as `run` passes it.
        let giants = |envs: &[Env], dependent: &[bool], from| {
            let total: u64 = envs.iter().map(|e| e.tx.gas_limit).sum();
            giants(envs, dependent, from, (GIANT_SHARE * total as f64) as u64)
        };
        // 100 k of 1.9 M: under a tenth.
        let flat: Vec<Env> = (0..19).map(|i| with_limit(i, 100_000)).collect();
        assert!(giants(&flat, &predicted_dependent(&flat), 0).is_empty());
        let mut envs = flat.clone();
        envs[7].tx.gas_limit = 2_000_000;
        let dependent = predicted_dependent(&envs);
        assert_eq!(giants(&envs, &dependent, 0), [7]);
        // The committer's next transaction is its own, and so is everything before it.
        assert!(giants(&envs, &dependent, 7).is_empty());
        // Two (of 6.7 M): the larger first, wherever it is.
        envs[12].tx.gas_limit = 3_000_000;
        let dependent = predicted_dependent(&envs);
        assert_eq!(giants(&envs, &dependent, 0), [12, 7]);
        assert_eq!(giants(&envs, &dependent, 7), [12]);
        // A transaction predicted dependent is left to the committer.
        envs[12].tx.caller = envs[3].tx.caller;
        assert_eq!(giants(&envs, &predicted_dependent(&envs), 0), [7]);
    }

    #[test]
    fn every_third_run_past_the_first_is_the_committers_and_none_without_the_cost_model() {
        let kept: Vec<usize> = (0..12)
            .filter(|&c| committer_run(Some((2, 3)), c))
            .collect();
        assert_eq!(kept, vec![5, 8, 11]);
        assert!((0..12).all(|c| !committer_run(None, c)));
        assert!(!any_dependent(&[false; 20]));
        let mut one = [false; 20];
        one[3] = true;
        assert!(!any_dependent(&one), "one in 20 keeps the committer's runs");
        one[4] = true;
        assert!(any_dependent(&one));
    }
}
