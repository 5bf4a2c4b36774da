//! Model tests: exhaustive exploration of every sequentially consistent interleaving of the two small
//! synchronisation protocols this crate adds to Block-STM, on small cases. Each model mirrors the code
//! step by step (one atomic operation or one critical section per step); a mutated variant of each is
//! checked to fail, so the explorer is known to find the bug it guards against.
//!
//! * The commit gate (`Block::try_commit`): a worker that finds the commit lock taken raises a "pending"
//!   flag and leaves; the holder re-checks the flag after unlocking. Property: once every worker has
//!   returned, every executed transaction is committed (no commit request is lost).
//! * The idle protocol (`Scheduler::wait_for_work` / `wake_all`): property: a worker never sleeps
//!   (without its timeout) while the work it waits for has been published.

use std::collections::HashSet;

/// Explores every interleaving of `threads` step functions from `init`; returns false when some final
/// state (no thread can step) fails `ok`, or some state has a thread blocked forever.
fn explore<S: Clone + Eq + std::hash::Hash>(
    init: S,
    threads: usize,
    step: &dyn Fn(&S, usize) -> Option<S>,
    ok: &dyn Fn(&S) -> bool,
) -> bool {
    let mut seen = HashSet::new();
    let mut stack = vec![init];
    while let Some(s) = stack.pop() {
        if !seen.insert(s.clone()) {
            continue;
        }
        let next: Vec<S> = (0..threads).filter_map(|t| step(&s, t)).collect();
        if next.is_empty() && !ok(&s) {
            return false;
        }
        stack.extend(next);
    }
    true
}

// ----- the commit gate -----

const N: usize = 3;

#[derive(Clone, PartialEq, Eq, Hash)]
struct Gate {
    pc: [u8; N],
    executed: [bool; N],
    committed: usize,
    locked: bool,
    pending: bool,
}

/// One step of worker `t`: execute its transaction, then `try_commit`.
fn gate_step(s: &Gate, t: usize, recheck_pending: bool) -> Option<Gate> {
    let mut n = s.clone();
    match s.pc[t] {
        // finish_execution of tx t
        0 => {
            n.executed[t] = true;
            n.pc[t] = 1;
        }
        // loop head: try_lock
        1 => {
            if s.locked {
                n.pc[t] = 5;
            } else {
                n.locked = true;
                n.pc[t] = 2;
            }
        }
        // pending.store(false)
        2 => {
            n.pending = false;
            n.pc[t] = 3;
        }
        // commit_ready: one transaction per step while the next is executed
        3 => {
            if s.committed < N && s.executed[s.committed] {
                n.committed += 1;
            } else {
                n.pc[t] = 4;
            }
        }
        // unlock
        4 => {
            n.locked = false;
            n.pc[t] = 6;
        }
        // after unlocking: pending.load() -> loop again, else return
        6 => n.pc[t] = if recheck_pending && s.pending { 1 } else { 9 },
        // request branch: pending.store(true)
        5 => {
            n.pending = true;
            n.pc[t] = 7;
        }
        // is_locked() -> return, else loop again
        7 => n.pc[t] = if s.locked { 9 } else { 1 },
        _ => return None,
    }
    Some(n)
}

fn gate_holds(recheck_pending: bool) -> bool {
    let init = Gate {
        pc: [0; N],
        executed: [false; N],
        committed: 0,
        locked: false,
        pending: false,
    };
    explore(init, N, &|s, t| gate_step(s, t, recheck_pending), &|s| {
        s.committed == N
    })
}

#[test]
fn commit_gate_never_loses_a_request() {
    assert!(gate_holds(true));
}

#[test]
fn commit_gate_without_the_recheck_loses_requests() {
    assert!(!gate_holds(false));
}

// ----- the idle protocol -----

#[derive(Clone, PartialEq, Eq, Hash)]
struct Idle {
    /// pc of the waker (thread 0) and the sleeper (thread 1).
    pc: [u8; 2],
    work: bool,
    sleepers: u8,
    locked: bool,
    waiting: bool,
}

/// Thread 0 publishes work and wakes; thread 1 found no work earlier and goes to sleep.
fn idle_step(s: &Idle, t: usize, waker_checks_sleepers_after: bool) -> Option<Idle> {
    let mut n = s.clone();
    if t == 0 {
        match s.pc[0] {
            // decrease_*_idx (SeqCst), or, in the broken variant, the sleeper check first
            0 if waker_checks_sleepers_after => {
                n.work = true;
                n.pc[0] = 1;
            }
            0 => n.pc[0] = if s.sleepers > 0 { 10 } else { 11 },
            10 => {
                n.work = true;
                n.pc[0] = 2;
            }
            11 => {
                n.work = true;
                n.pc[0] = 9;
            }
            // sleepers.load()
            1 => n.pc[0] = if s.sleepers > 0 { 2 } else { 9 },
            // lock; notify_all; unlock
            2 if !s.locked => {
                n.waiting = false;
                n.pc[0] = 9;
            }
            _ => return None,
        }
    } else {
        match s.pc[1] {
            // lock
            0 if !s.locked => {
                n.locked = true;
                n.pc[1] = 1;
            }
            // sleepers += 1
            1 => {
                n.sleepers += 1;
                n.pc[1] = 2;
            }
            // has_work()? else wait (releases the lock)
            2 => {
                if s.work {
                    n.pc[1] = 4;
                } else {
                    n.waiting = true;
                    n.locked = false;
                    n.pc[1] = 3;
                }
            }
            // woken: re-take the lock
            3 if !s.waiting && !s.locked => {
                n.locked = true;
                n.pc[1] = 4;
            }
            // sleepers -= 1; unlock
            4 => {
                n.sleepers -= 1;
                n.locked = false;
                n.pc[1] = 9;
            }
            _ => return None,
        }
    }
    Some(n)
}

fn idle_holds(waker_checks_sleepers_after: bool) -> bool {
    let init = Idle {
        pc: [0, 0],
        work: false,
        sleepers: 0,
        locked: false,
        waiting: false,
    };
    // Final states must have both threads done: a sleeper stuck in `wait` is a lost wake-up.
    explore(
        init,
        2,
        &|s, t| idle_step(s, t, waker_checks_sleepers_after),
        &|s| s.pc == [9, 9],
    )
}

#[test]
fn idle_protocol_never_loses_a_wake_up() {
    assert!(idle_holds(true));
}

#[test]
fn idle_protocol_checking_sleepers_first_loses_wake_ups() {
    assert!(!idle_holds(false));
}
