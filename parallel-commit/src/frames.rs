//! Frame lookahead for a block that stays on one thread (issue 16): the block runs in order on the
//! sequential path's [`Overlay`], and each transaction long enough for it gets a scout and helpers on the
//! threads, which run the calls of its top frame ahead of it (evm-core's `FrameBoard`,
//! `docs/frames.md`). The committer never waits for them, so the results are the sequential path's.

use crate::config::ParallelConfig;
use crate::error::ParallelError;
use crate::frame_history;
use crate::pools::kept_pool;
use crate::sequential::{map_tx_error, Overlay};
use alloy_primitives::TxKind;
use parevm_evm_core::{
    run_frame_helper, Env, FrameBoard, InvalidTx, StateView, TxError, TxExecution, TxOutcome,
};
use std::time::Instant;

/// Stack of a helper thread (the interpreter keeps frames on the heap; this is headroom, as the pools').
const HELPER_STACK: usize = 8 << 20;

/// Executes `envs` in order over `base`, with frame lookahead on `helpers` threads for each transaction
/// that calls a contract with a gas limit of at least `cfg.frame_min_gas`, whose kind last ran at least
/// `cfg.frame_min_ns` and whose kind's lookahead has paid lately (`frame_history.rs`).
pub(crate) fn execute_with_frames(
    envs: &[Env],
    base: &(dyn StateView + Sync),
    helpers: usize,
    cfg: &ParallelConfig,
) -> Result<Vec<Result<TxOutcome, InvalidTx>>, ParallelError> {
    let mut overlay = Overlay::for_block(base, envs.len());
    let mut results = Vec::with_capacity(envs.len());
    for (tx, env) in envs.iter().enumerate() {
        let kind = match env.tx.kind {
            TxKind::Call(to) if env.tx.gas_limit >= cfg.frame_min_gas => {
                Some(frame_history::kind(to, &env.tx.data))
            }
            _ => None,
        };
        let lookahead = kind
            .as_ref()
            .is_some_and(|k| frame_history::worth_lookahead(k, cfg.frame_min_ns));
        let started = Instant::now();
        let mut outcome = None;
        let r = if lookahead {
            let board = FrameBoard::new();
            let view = &overlay;
            let r = match kept_pool(helpers).filter(|_| rayon::current_thread_index().is_none()) {
                // The kept pool's threads, from a thread outside any rayon pool (the node's, a benchmark's):
                // no thread start per transaction.
                Some(pool) => pool.in_place_scope(|s| {
                    for h in 0..helpers {
                        let board = &board;
                        s.spawn(move |_| run_frame_helper(env, view, board, h == 0));
                    }
                    commit(env, view, &board, true)
                }),
                // Scoped threads of their own from inside a rayon pool (a test runner's): a rayon worker that
                // waits for a scope runs other jobs of its pool meanwhile, which would nest blocks on its
                // stack.
                None => std::thread::scope(|s| {
                    let spawned = (0..helpers).all(|h| {
                        let board = &board;
                        std::thread::Builder::new()
                            .name(format!("parevm-frames-{h}"))
                            .stack_size(HELPER_STACK)
                            .spawn_scoped(s, move || run_frame_helper(env, view, board, h == 0))
                            .is_ok()
                    });
                    commit(env, view, &board, spawned)
                }),
            };
            outcome = Some(board.outcome());
            map_tx_error(tx, r)?
        } else {
            map_tx_error(tx, TxExecution::borrowed(env).resume(&overlay))?
        };
        if let Some(kind) = kind {
            let ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
            frame_history::record(kind, ns, outcome);
        }
        if let Ok(out) = &r {
            overlay.apply(&out.writes);
        }
        results.push(r);
    }
    Ok(results)
}

/// The committer's run of one transaction, taking helper frames from `board` when `attach`, then tells the
/// helpers to stop.
fn commit(
    env: &Env,
    view: &(dyn StateView + Sync),
    board: &FrameBoard,
    attach: bool,
) -> Result<TxOutcome, TxError> {
    let mut exec = TxExecution::borrowed(env);
    if attach {
        exec.attach_board(board);
    }
    let r = exec.resume(view);
    board.finish();
    r
}
