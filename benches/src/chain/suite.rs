//! Runs the chain benchmark: per state size, a fresh redb datadir, then each block in memory and through
//! the store, side by side.

use super::world::generate;
use crate::error::BenchError;
use crate::synthetic::workloads::CHAIN;
use crate::world::{parevm_state, Chain};
use alloy_consensus::Header;
use alloy_primitives::B256;
use parevm_block::txs::{run_transactions, PostStateRoots};
use parevm_block::{StateStore, TxRunner};
use parevm_storage::overlay::Overlay;
use parevm_storage::BlockState;
use parevm_storage::{ChainStore, NewBlock};
use std::path::PathBuf;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// What to run.
#[derive(Clone, Debug)]
pub struct ChainBenchOptions {
    /// State sizes (filler accounts).
    pub accounts: Vec<usize>,
    /// ERC-20 tokens.
    pub tokens: usize,
    /// Holders per token.
    pub holders: usize,
    /// Blocks per state size.
    pub blocks: usize,
    /// Transfers per block.
    pub txs: usize,
    /// Executor threads (1 = sequential).
    pub threads: usize,
    /// Where the datadirs go (emptied first).
    pub dir: PathBuf,
    /// When the store's commits are made durable.
    pub durability: parevm_storage::Durability,
    /// Hold the latest blocks in memory and flush them in groups in the background (instead of
    /// `durability`).
    pub layer: Option<parevm_storage::FlushPolicy>,
    /// The whole store in memory (no file), instead of redb.
    pub memory_store: bool,
    /// After the blocks, unwind the store to genesis and replay them pipelined as `parevm import` runs:
    /// block N+1 executes on block N's overlay while N's root and commit run on a second thread.
    pub pipeline: bool,
    /// Recompute each block's root this many times more after flushing the store (its background flush
    /// idle) and report the minimum wall and CPU time per block: root figures that hold on a loaded machine.
    pub root_repeats: usize,
}

/// The minimum storage-root and account-root wall time and root CPU time (all threads) of `n` more
/// computations of `state`'s root, after a flush so that the background flush does not run meanwhile.
fn root_repeats(
    store: &ChainStore,
    state: &BlockState,
    n: usize,
) -> Result<(Duration, Duration, Duration), BenchError> {
    store.sync().map_err(setup)?;
    let rooted = state.root_outcome().map_err(setup)?;
    let mut min = (Duration::MAX, Duration::MAX, Duration::MAX);
    for _ in 0..n {
        let cpu = crate::cpu::process_cpu_time();
        let outcome = parevm_storage::changes::compute_root_with(
            state.base().kv().as_ref(),
            &rooted.0,
            state.known_before(),
        )
        .map_err(setup)?;
        let cpu = crate::cpu::process_cpu_time().saturating_sub(cpu);
        if outcome.root != rooted.1.root {
            return Err(setup(format!(
                "recomputed root {} differs from {}",
                outcome.root, rooted.1.root
            )));
        }
        min = (
            min.0.min(outcome.storage_time),
            min.1.min(outcome.account_time),
            min.2.min(cpu),
        );
    }
    Ok(min)
}

/// The median of `values` (sorted in place); zero when empty.
fn median(values: &mut [Duration]) -> Duration {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// One block of the sequential pass, kept for the pipelined replay.
struct Recorded {
    envs: Vec<parevm_evm_core::Env>,
    header: Header,
    hash: B256,
    gas: u64,
}

/// Totals of the pipelined replay of a state size's blocks.
#[derive(Clone, Copy, Debug, Default)]
pub struct PipelineTotals {
    /// Wall time from the first block's start to the last block's commit and the final sync.
    pub wall: Duration,
    /// The final sync (included in `wall`).
    pub final_sync: Duration,
    /// Sum of execution on the store (main thread).
    pub exec: Duration,
    /// Sum of the state roots (commit thread).
    pub root: Duration,
    /// Sum of the commits (commit thread).
    pub commit: Duration,
}

/// One block's figures.
#[derive(Clone, Debug)]
pub struct ChainRow {
    /// Filler accounts of the state.
    pub accounts: usize,
    /// Block number.
    pub block: u64,
    /// Transactions.
    pub txs: usize,
    /// Gas used.
    pub gas: u64,
    /// Execution on the in-memory state.
    pub exec_memory: Duration,
    /// Execution on the store's overlay.
    pub exec_store: Duration,
    /// Storage tries of the changed accounts (parallel).
    pub storage_root: Duration,
    /// The account trie.
    pub account_root: Duration,
    /// Building the batch (old values, reverse diff, encodings).
    pub build: Duration,
    /// Writing the batch durably (redb's transaction and its fsync).
    pub write: Duration,
    /// Puts and deletes in the batch.
    pub writes: usize,
    /// The in-memory state's from-scratch root (first block only).
    pub full_root: Option<Duration>,
}

impl ChainRow {
    /// Building and writing the batch.
    pub fn commit(&self) -> Duration {
        self.build + self.write
    }

    /// Root plus commit.
    pub fn root_commit(&self) -> Duration {
        self.storage_root + self.account_root + self.commit()
    }

    /// Mgas/s of execution in memory.
    pub fn mgas_memory(&self) -> f64 {
        self.gas as f64 / 1e6 / self.exec_memory.as_secs_f64().max(1e-12)
    }

    /// Mgas/s through the store: execution on its overlay, root and commit, one after the other.
    pub fn mgas_store(&self) -> f64 {
        self.gas as f64
            / 1e6
            / (self.exec_store + self.root_commit())
                .as_secs_f64()
                .max(1e-12)
    }

    /// (root + commit) / execution on the store.
    pub fn overhead(&self) -> f64 {
        self.root_commit().as_secs_f64() / self.exec_store.as_secs_f64().max(1e-12)
    }
}

fn setup(e: impl std::fmt::Display) -> BenchError {
    BenchError::Setup {
        case: "chain".into(),
        reason: e.to_string(),
    }
}

/// Runs every state size; `on_row` sees each block as it finishes.
pub fn run_suite(
    opts: &ChainBenchOptions,
    on_row: &mut dyn FnMut(&ChainRow),
) -> Result<Vec<ChainRow>, BenchError> {
    let runner = if opts.threads > 1 {
        TxRunner::Parallel {
            threads: opts.threads,
        }
    } else {
        TxRunner::Sequential
    };
    let mut rows = Vec::new();
    for &n in &opts.accounts {
        let started = Instant::now();
        let world = generate(n, opts.tokens, opts.holders, opts.blocks, opts.txs)?;
        let mut memory = parevm_state(&world.accounts);
        let datadir = opts.dir.join(format!("accounts-{n}"));
        let _ = std::fs::remove_dir_all(&datadir);
        let store = match opts.layer {
            _ if opts.memory_store => ChainStore::open_in_memory(),
            Some(policy) => ChainStore::open_layered(&datadir, policy),
            None => ChainStore::open_with(&datadir, opts.durability),
        }
        .map_err(setup)?;
        store
            .init_chain(None, &memory, |root| Header {
                state_root: root,
                gas_limit: 60_000_000,
                ..Default::default()
            })
            .map_err(setup)?;
        store.sync().map_err(setup)?;
        eprintln!(
            "{n} accounts: generated and written in {:.1}s ({})",
            started.elapsed().as_secs_f64(),
            store.describe()
        );
        let body = alloy_rlp::encode(
            alloy_consensus::BlockBody::<parevm_block::input::BlockTx>::default(),
        );
        let (mut memory_total, mut store_total) = (Duration::ZERO, Duration::ZERO);
        let mut recorded = Vec::new();
        let mut repeats: Vec<(Duration, Duration, Duration)> = Vec::new();
        for (b, txs) in world.blocks.iter().enumerate() {
            let number = b as u64 + 1;
            let chain = Chain { number, ..CHAIN };
            let envs: Vec<_> = txs.iter().map(|t| chain.parevm_env(t)).collect();

            let t = Instant::now();
            let mem =
                run_transactions(&envs, &mut memory, runner, true, PostStateRoots::Skip, None)
                    .map_err(setup)?;
            let exec_memory = t.elapsed();
            memory_total += exec_memory;

            let wall = Instant::now();
            let (head, _) = store.head().map_err(setup)?;
            let mut state = store.begin_block().map_err(setup)?;
            let t = Instant::now();
            let res = run_transactions(&envs, &mut state, runner, true, PostStateRoots::Skip, None)
                .map_err(setup)?;
            let exec_store = t.elapsed();
            if res.gas_used != mem.gas_used {
                return Err(setup(format!(
                    "block {number}: gas {} on the store, {} in memory",
                    res.gas_used, mem.gas_used
                )));
            }
            let root = state.state_root().map_err(setup)?;
            if opts.root_repeats > 0 {
                let (storage, account, cpu) = root_repeats(&store, &state, opts.root_repeats)?;
                eprintln!(
                    "block {number} root recomputed {} times, minimum: storage root {:.3} ms, account root {:.3} ms, CPU {:.3} ms",
                    opts.root_repeats,
                    storage.as_secs_f64() * 1e3,
                    account.as_secs_f64() * 1e3,
                    cpu.as_secs_f64() * 1e3
                );
                if b > 0 {
                    repeats.push((storage, account, cpu));
                }
            }
            let header = Header {
                parent_hash: head.hash,
                number,
                state_root: root,
                gas_used: res.gas_used,
                gas_limit: 60_000_000,
                timestamp: number,
                ..Default::default()
            };
            let hash = header.hash_slow();
            let stats = store
                .commit_block(
                    NewBlock {
                        header: &header,
                        hash,
                        body: &body,
                        tx_hashes: &[],
                        senders: &[],
                        receipts: &[],
                    },
                    &state,
                )
                .map_err(setup)?;
            store_total += wall.elapsed();
            eprintln!(
                "block {number} writes by table: {}",
                table_writes(&stats.tables)
            );
            let full_root = if b == 0 {
                let t = Instant::now();
                let full = memory.state_root();
                let elapsed = t.elapsed();
                if full != root {
                    return Err(setup(format!(
                        "block {number}: incremental root {root}, from scratch {full}"
                    )));
                }
                Some(elapsed)
            } else {
                None
            };
            let row = ChainRow {
                accounts: n,
                block: number,
                txs: txs.len(),
                gas: res.gas_used,
                exec_memory,
                exec_store,
                storage_root: stats.storage_root,
                account_root: stats.account_root,
                build: stats.build,
                write: stats.write,
                writes: stats.writes,
                full_root,
            };
            on_row(&row);
            rows.push(row);
            if opts.pipeline {
                recorded.push(Recorded {
                    envs,
                    header,
                    hash,
                    gas: res.gas_used,
                });
            }
        }
        if !repeats.is_empty() {
            let pick = |f: fn(&(Duration, Duration, Duration)) -> Duration| {
                median(&mut repeats.iter().map(f).collect::<Vec<_>>()).as_secs_f64() * 1e3
            };
            eprintln!(
                "{n} accounts, root recomputed {} times per block, medians of the minima over blocks 2-{}: \
                 storage root {:.2} ms, account root {:.2} ms, CPU {:.2} ms",
                opts.root_repeats,
                world.blocks.len(),
                pick(|r| r.0),
                pick(|r| r.1),
                pick(|r| r.2)
            );
        }
        // The blocks are only all on disk once the last group is flushed: that wait is part of the
        // store's wall time (a layer that never catches up would show here, not in the rows).
        let t = Instant::now();
        store.sync().map_err(setup)?;
        let final_sync = t.elapsed();
        store_total += final_sync;
        let layer = store
            .layer_stats()
            .map(|s| {
                format!(
                    "; layer: {} flushes of {} blocks ({} to the journal, {:.1} ms), {} keys to the \
                     tables, {:.1} ms flushing in the background, {} commits waited {:.1} ms",
                    s.flushes,
                    s.commits_flushed,
                    s.journaled,
                    s.journal_time.as_secs_f64() * 1e3,
                    s.entries_flushed,
                    s.flush_time.as_secs_f64() * 1e3,
                    s.waits,
                    s.waited.as_secs_f64() * 1e3
                )
            })
            .unwrap_or_default();
        eprintln!(
            "{n} accounts, {} blocks: in-memory execution {:.1} ms, through the store {:.1} ms \
             (final sync {:.1} ms included): store/memory - 1 = {:.2}{layer}",
            world.blocks.len(),
            memory_total.as_secs_f64() * 1e3,
            store_total.as_secs_f64() * 1e3,
            final_sync.as_secs_f64() * 1e3,
            store_total.as_secs_f64() / memory_total.as_secs_f64().max(1e-12) - 1.0,
        );
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let sums =
            rows.iter()
                .filter(|r| r.accounts == n)
                .fold([Duration::ZERO; 3], |[e, r, c], row| {
                    [
                        e + row.exec_store,
                        r + row.storage_root + row.account_root,
                        c + row.commit(),
                    ]
                });
        eprintln!(
            "{n} accounts, sequential: added wall (store - in-memory execution) {:.1} ms = {:.2} of \
             in-memory execution; sums: execution on the store {:.1} ms, root {:.1} ms, commit {:.1} ms",
            ms(store_total.saturating_sub(memory_total)),
            ratio(store_total.saturating_sub(memory_total), memory_total),
            ms(sums[0]),
            ms(sums[1]),
            ms(sums[2]),
        );
        if opts.pipeline {
            store.unwind_to(0).map_err(setup)?;
            store.sync().map_err(setup)?;
            let p = replay_pipelined(&store, &recorded, runner, &body)?;
            let added = p.wall.saturating_sub(memory_total);
            eprintln!(
                "{n} accounts, pipelined (block N+1 executes while N's root and commit run): wall {:.1} ms \
                 (final sync {:.1} ms included), added wall (wall - in-memory execution {:.1} ms) {:.1} ms \
                 = {:.2} of in-memory execution; sums: execution on the store {:.1} ms, root {:.1} ms, \
                 commit {:.1} ms",
                ms(p.wall),
                ms(p.final_sync),
                ms(memory_total),
                ms(added),
                ratio(added, memory_total),
                ms(p.exec),
                ms(p.root),
                ms(p.commit),
            );
        }
    }
    Ok(rows)
}

/// `a / b`, 0 for an empty `b`.
fn ratio(a: Duration, b: Duration) -> f64 {
    if b.is_zero() {
        0.0
    } else {
        a.as_secs_f64() / b.as_secs_f64()
    }
}

/// Replays `blocks` (the sequential pass's, with their headers) on `store`, which is back at their parent,
/// pipelined as `parevm import` runs them: the calling thread executes block N+1 on block N's overlay
/// (reads fall through it to the committed state) while a second thread moves N onto the committed head,
/// computes its root (checked against the recorded header by `commit_block`) and commits it.
fn replay_pipelined(
    store: &ChainStore,
    blocks: &[Recorded],
    runner: TxRunner,
    body: &[u8],
) -> Result<PipelineTotals, BenchError> {
    let started = Instant::now();
    let mut totals = PipelineTotals::default();
    let (exec, root_commit) = std::thread::scope(|scope| {
        let (jobs, job_rx) = mpsc::sync_channel::<(BlockState, &Recorded)>(0);
        let committer = scope.spawn(move || -> Result<(Duration, Duration), BenchError> {
            let (mut root, mut commit) = (Duration::ZERO, Duration::ZERO);
            for (mut state, block) in job_rx {
                if state.is_pending() {
                    store.rebase(&mut state).map_err(setup)?;
                }
                let stats = store
                    .commit_block(
                        NewBlock {
                            header: &block.header,
                            hash: block.hash,
                            body,
                            tx_hashes: &[],
                            senders: &[],
                            receipts: &[],
                        },
                        &state,
                    )
                    .map_err(setup)?;
                root += stats.storage_root + stats.account_root;
                commit += stats.build + stats.write;
            }
            Ok((root, commit))
        });
        let executed = (|| -> Result<Duration, BenchError> {
            let mut exec = Duration::ZERO;
            let mut pending: Option<(Arc<Overlay>, (u64, B256))> = None;
            for block in blocks {
                let t = Instant::now();
                let mut state = match &pending {
                    Some((below, parent)) => store.begin_block_on(below.clone(), *parent),
                    None => store.begin_block(),
                }
                .map_err(setup)?;
                let res = run_transactions(
                    &block.envs,
                    &mut state,
                    runner,
                    true,
                    PostStateRoots::Skip,
                    None,
                )
                .map_err(setup)?;
                exec += t.elapsed();
                if res.gas_used != block.gas {
                    return Err(setup(format!(
                        "block {}: gas {} pipelined, {} before",
                        block.header.number, res.gas_used, block.gas
                    )));
                }
                pending = Some((
                    Arc::new(state.overlay().clone()),
                    (block.header.number, block.hash),
                ));
                if jobs.send((state, block)).is_err() {
                    // The committer stopped on an error, reported below.
                    break;
                }
            }
            Ok(exec)
        })();
        drop(jobs);
        let committed = committer
            .join()
            .unwrap_or_else(|_| Err(setup("the commit thread panicked")));
        // A commit error comes first: it is why the execution loop stopped.
        let committed = committed?;
        Ok::<_, BenchError>((executed?, committed))
    })?;
    let t = Instant::now();
    store.sync().map_err(setup)?;
    totals.final_sync = t.elapsed();
    totals.wall = started.elapsed();
    totals.exec = exec;
    (totals.root, totals.commit) = root_commit;
    Ok(totals)
}

/// The non-empty tables of a batch: `name puts/deletes KiB`.
pub fn table_writes(tables: &[parevm_storage::kv::TableWrites]) -> String {
    parevm_storage::kv::Table::ALL
        .iter()
        .zip(tables)
        .filter(|(_, w)| w.puts + w.deletes > 0)
        .map(|(t, w)| {
            format!(
                "{} {}/{} {:.0}KiB",
                t.name(),
                w.puts,
                w.deletes,
                w.bytes as f64 / 1024.0
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rows as a text table.
pub fn table(rows: &[ChainRow]) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mut out = String::from(
        "accounts  block  txs   Mgas  exec mem ms  exec store ms  storage root ms  account root ms  build ms  write ms  writes  (root+commit)/exec  Mgas/s mem  Mgas/s store  full root ms\n",
    );
    for r in rows {
        out.push_str(&format!(
            "{:>8}  {:>5}  {:>4}  {:>5.1}  {:>11.1}  {:>13.1}  {:>15.1}  {:>15.1}  {:>8.1}  {:>8.1}  {:>6}  {:>17.2}  {:>10.0}  {:>12.1}  {:>12}\n",
            r.accounts,
            r.block,
            r.txs,
            r.gas as f64 / 1e6,
            ms(r.exec_memory),
            ms(r.exec_store),
            ms(r.storage_root),
            ms(r.account_root),
            ms(r.build),
            ms(r.write),
            r.writes,
            r.overhead(),
            r.mgas_memory(),
            r.mgas_store(),
            r.full_root.map_or("-".into(), |d| format!("{:.0}", ms(d))),
        ));
    }
    out
}

/// The rows as CSV.
pub fn csv(rows: &[ChainRow]) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mut out = String::from("accounts,block,txs,gas,exec_memory_ms,exec_store_ms,storage_root_ms,account_root_ms,build_ms,write_ms,writes,root_commit_over_exec,mgas_s_memory,mgas_s_store,full_root_ms\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{:.3},{:.3},{:.3},{:.3},{:.3},{:.3},{},{:.4},{:.1},{:.2},{}\n",
            r.accounts,
            r.block,
            r.txs,
            r.gas,
            ms(r.exec_memory),
            ms(r.exec_store),
            ms(r.storage_root),
            ms(r.account_root),
            ms(r.build),
            ms(r.write),
            r.writes,
            r.overhead(),
            r.mgas_memory(),
            r.mgas_store(),
            r.full_root
                .map_or(String::new(), |d| format!("{:.3}", ms(d))),
        ));
    }
    out
}
