//! The committer's side of the lookahead engine: walking the block in order, validating each speculative
//! outcome against the overlay (re-reading its read set), repairing balance reads made only to pay,
//! re-executing what went stale (from a redo point when one was recorded), speculating itself while it
//! waits, and applying each transaction's writes to the overlay.

use super::*;

/// Speculative outcomes consumed per decision on whether speculation pays.
pub(super) const WINDOW: u32 = 32;
/// The first read of `reads` that returns another value in `overlay` now (`None`: every read still
/// holds). A location of an account the overlay has not written still holds its base value, so only
/// written accounts are read again, unless the execution read what its layer held (`layered`, see
/// `Slot::layered`): a value a wrong speculation wrote to an account the committed transactions never
/// write differs from the base with nothing written to tell.
pub(super) fn first_stale(
    overlay: &Overlay<'_>,
    reads: &ReadSet,
    from: usize,
    layered: bool,
) -> Option<usize> {
    // Reads come in runs of one account (an account's balance, nonce and code hash; a contract's
    // slots): one that was not written is looked up once per run.
    let mut unwritten: Option<&Address> = None;
    let stale = reads[from..].iter().position(|(loc, seen)| {
        let address = loc.address();
        if unwritten == Some(address) {
            return false;
        }
        if !layered && !overlay.has_written(address) {
            unwritten = Some(address);
            return false;
        }
        let now = match loc {
            Location::Balance(a) => overlay.balance(*a),
            Location::Nonce(a) => overlay.nonce(*a).map(U256::from),
            Location::CodeHash(a) => overlay.code_hash(*a).map(|h| U256::from_be_bytes(h.0)),
            Location::Storage(a, s) => overlay.storage(*a, *s),
            Location::HasStorage(a) => overlay.has_storage(*a).map(|b| U256::from(u8::from(b))),
        };
        // A failing read is decided by the committer's own execution (it counts as changed).
        now.ok().is_none_or(|v| v != *seen)
    });
    stale.map(|k| from + k)
}

/// One changed balance read [`repair_balances`] takes.
pub(super) struct BalanceMove {
    /// The read's index in the read set.
    read: usize,
    /// The balance on the committer's overlay.
    now: U256,
    /// The account's balance write, when the transaction wrote one: its index in the write set and its
    /// value moved by the read's change.
    write: Option<(usize, U256)>,
}

/// Makes `out` the outcome executing its transaction on `overlay` gives, when every read that changed
/// from read `stale` on is a balance the transaction used only to check that it covered transfers out
/// and that still does (`TxOutcome::balance_bounds`): the execution would run exactly the same, so the
/// read takes the new value and the account's balance write moves by the difference. True when it did;
/// false (and `out` unchanged) when a read needs re-execution. `layered` as for [`first_stale`].
///
/// Block 19426586's failed speculations were mostly of this kind: swaps that end unwrapping ETH read the
/// ETH balance of WETH, which every wrap and unwrap before them in the block changed.
pub(super) fn repair_balances(
    overlay: &Overlay<'_>,
    out: &mut TxOutcome,
    stale: usize,
    layered: bool,
) -> bool {
    if out.balance_bounds.is_empty() {
        return false;
    }
    // Every changed read first, changing nothing.
    let mut moves: Vec<BalanceMove> = Vec::new();
    let mut k = stale;
    loop {
        let (Location::Balance(a), seen) = out.reads[k] else {
            return false;
        };
        let Some(&(_, bound)) = out.balance_bounds.iter().find(|(b, _)| *b == a) else {
            return false;
        };
        let Ok(now) = overlay.balance(a) else {
            return false;
        };
        // Whether the balance is zero decides whether a contract's emptiness (EIP-161) needs its code hash
        // read; the bound keeps that question's answer, not the reads asked on the way to it.
        if now < bound || now.is_zero() != seen.is_zero() {
            return false;
        }
        let written = match out.writes.iter().position(|w| w.address == a) {
            Some(w) => match out.writes[w].balance {
                Some(BalanceWrite::Set(b)) => match (b + now).checked_sub(seen) {
                    Some(moved) => Some((w, moved)),
                    None => return false,
                },
                Some(BalanceWrite::Add(_)) => return false,
                None => None,
            },
            None => None,
        };
        moves.push(BalanceMove {
            read: k,
            now,
            write: written,
        });
        match first_stale(overlay, &out.reads, k + 1, layered) {
            Some(next) => k = next,
            None => break,
        }
    }
    for m in moves {
        out.reads[m.read].1 = m.now;
        if let Some((w, b)) = m.write {
            out.writes[w].balance = Some(BalanceWrite::Set(b));
        }
    }
    true
}

/// Re-executes transaction `i`, whose speculative outcome `spec` failed validation at read `stale`
/// (`None`: no outcome), on `overlay`: taken up at the latest redo point of `redo` before that read when
/// there is one (every read before it still holds, so the redo equals a run from the start), from the
/// start otherwise.
pub(super) fn re_execute(
    i: TxIdx,
    env: &Env,
    overlay: &Overlay<'_>,
    spec: Option<TxOutcome>,
    stale: Option<usize>,
    redo: Option<Box<RedoLog>>,
    report: &mut ExecReport,
) -> Result<TxResult, ParallelError> {
    if let (Some(out), Some(stale), Some(log)) = (spec, stale, redo) {
        let (_, saved) = log.skipped(stale);
        if let Some(mut exec) = TxExecution::redo(env, *log, &out.reads, stale) {
            report.redos += 1;
            report.redo_saved_gas += saved;
            return map_tx_error(i, exec.resume(overlay));
        }
    }
    execute_final(i, env, overlay)
}

/// The committer with helpers: walks the rest of the block from `from` in order on the overlay,
/// committing validated speculative outcomes and executing everything else itself.
/// `current` names the transaction the committer is executing (for a panic's error).
pub(super) fn commit<'a>(
    shared: &Shared<'a>,
    mine: Committed<'a>,
    from: TxIdx,
    adaptive: bool,
    current: &std::cell::Cell<Option<TxIdx>>,
) -> Result<(Vec<TxResult>, ExecReport), ParallelError> {
    let envs = shared.envs;
    let Committed {
        mut overlay,
        mut results,
        mut report,
    } = mine;
    let Some(mut reader) = shared.slots.reader() else {
        return Err(ParallelError::Protocol {
            tx: from,
            message: "the slots' reader was taken before the committer".into(),
        });
    };
    let (mut window, mut failed) = (0u32, 0u32);
    // Per call target: speculative outcomes that failed and that held.
    let mut strikes = Strikes::default();
    // The run of the transaction the committer took last, and whether the cursor is known to be past it:
    // runs are walked in order, so the run of `i` is found by stepping, and the cursor (a line every claim
    // writes) is read once per run the committer takes slots of, not once per such slot.
    let (mut run, mut cursor_past) = (shared.chunk_of(from), false);
    for (i, env) in envs.iter().enumerate().skip(from) {
        // The helpers read the committer's position on every claim, so it is written only once per
        // `PUBLISH` transactions (a stale one only holds speculation back a little earlier).
        if i % PUBLISH == 0 {
            // ORDERING: Relaxed; see `Shared::claim`.
            shared.committed.store(i, Ordering::Relaxed);
        }
        // The next transactions' outcomes were written on a helper's core: ask for them now, so that
        // their lines arrive while this one is validated and applied (each line fetched from the other
        // core on demand stalls the committer for about a tenth of a plain transfer).
        if let Some(next) = shared.slots.get(i + 2) {
            prefetch_slot(next);
        }
        prefetch_outcome(&reader, i + 1);
        let slot = &shared.slots[i];
        let backoff = Backoff::new();
        // While waiting once a validation has failed or for a long transaction (`SpecView::Committer`):
        // the committer's own speculative writes over its overlay, dropped before the overlay takes
        // transaction `i`'s writes.
        let mut layer: Option<Overlay<'_>> = None;
        let ready = loop {
            // ORDERING: Acquire pairs with the Release store of READY in `Shared::speculate`.
            match slot.state(Ordering::Acquire) {
                READY => break true,
                OWNED | PREDICTED => break false,
                FREE => {
                    if slot.own() {
                        // The helpers may be behind the committer: move the cursor past its run.
                        // Only here: every claim writes the cursor's line, so reading it on every
                        // transaction would fetch it from the helper's core each time. A slot that is
                        // READY or RUNNING lies in a run already claimed, and a lower slot is never
                        // FREE (the committer took every slot it passed).
                        while shared.chunks[run + 1] <= i {
                            (run, cursor_past) = (run + 1, false);
                        }
                        if !cursor_past {
                            // ORDERING: Relaxed; see `Shared::claim`.
                            if shared.cursor.load(Ordering::Relaxed) <= run {
                                shared.cursor.fetch_max(run + 1, Ordering::Relaxed);
                            }
                            cursor_past = true;
                        }
                        break false;
                    }
                }
                _ => {
                    // A helper is running it: do other useful work meanwhile, or wait.
                    // ORDERING: Acquire pairs with the Release store in `Shared::help`.
                    if shared.failed.load(Ordering::Acquire) {
                        if let Some(e) = shared.failure.lock().take() {
                            return Err(e);
                        }
                    }
                    // Waiting for a long transaction, the committer speculates every run after
                    // it, its own kept runs included, in block order on its layer: a run it skipped
                    // left its writes out of the layer, and every later read of them went stale
                    // (15537394: a mint counter that 20 calls after its 26 M gas creation bump; the
                    // 16 calls after a kept run all failed and ran again after the creation, one by
                    // one: 1.6 ms -> 1.1 ms at 2 threads with them in the layer).
                    let long = env.tx.gas_limit >= shared.long_gas;
                    // ORDERING: Relaxed; see `Shared::chain`.
                    let chained = shared.chain.load(Ordering::Relaxed) || long;
                    let claim = if chained {
                        shared.claim_within(usize::MAX, long)
                    } else {
                        shared.claim()
                    };
                    if let Claim::Chunk(start, end) = claim {
                        let view = if chained {
                            SpecView::Committer(layer.get_or_insert_with(|| {
                                Overlay::with_capacity(&overlay, 4 * CHUNK_TXS)
                            }))
                        } else {
                            SpecView::Fixed(&overlay)
                        };
                        report.executions += shared.speculate_run(start, end, view, current);
                        backoff.reset();
                    } else {
                        backoff.snooze();
                    }
                }
            }
        };
        drop(layer);
        current.set(Some(i));
        let r = if ready {
            report.validations += 1;
            // READY above: the slot holds its outcome (or `None`: re-execute).
            let layered = reader.layered(i);
            let spec = reader.take(i).flatten();
            if let Some(out) = &spec {
                // The storage of its writes, applied after the validation below.
                for w in &out.writes {
                    prefetch::slice(&w.storage, 2);
                }
            }
            window += 1;
            let mut spec = spec;
            let stale = spec.as_mut().map(|out| {
                let stale = first_stale(&overlay, &out.reads, 0, layered)?;
                match repair_balances(&overlay, out, stale, layered) {
                    true => {
                        report.balance_repairs += 1;
                        None
                    }
                    false => Some(stale),
                }
            });
            let valid = stale == Some(None);
            if adaptive {
                if let Some(to) = env.tx.kind.to() {
                    learn(shared, &mut strikes, *to, valid);
                }
            }
            match spec {
                Some(out) if valid => Ok(out),
                spec => {
                    if failed == 0 {
                        // ORDERING: Relaxed; see `Shared::chain`.
                        shared.chain.store(true, Ordering::Relaxed);
                    }
                    failed += 1;
                    report.re_executions += 1;
                    report.wasted_gas += spec.as_ref().map_or(0, |o| o.gas_used);
                    report.executions += 1;
                    let redo = reader.take_redo(i);
                    re_execute(i, env, &overlay, spec, stale.flatten(), redo, &mut report)?
                }
            }
        } else {
            report.serial_txs += 1;
            report.executions += 1;
            execute_final(i, env, &overlay)?
        };
        if window == WINDOW {
            // Speculation that fails three times in four costs more than it saves: stop it (the
            // helpers finish their current transaction and leave).
            if adaptive && failed * 4 >= WINDOW * 3 {
                // ORDERING: Relaxed; see `Shared::claim`.
                shared.stop.store(true, Ordering::Relaxed);
            }
            (window, failed) = (0, 0);
        }
        if adaptive {
            if let Some(to) = r.as_ref().ok().and_then(|o| creating_target(env, o)) {
                shared.make_hot(to);
            }
        }
        if let Ok(out) = &r {
            overlay.apply(&out.writes);
            report.gas_used += out.gas_used;
        }
        results.push(r);
    }
    Ok((results, report))
}

/// Cache lines of a speculative outcome's read set, and of its write set, prefetched ahead.
pub(super) const PREFETCH_LINES: usize = 12;

/// Prefetches the lines of `slot` (its state, and its outcome when it is ready).
pub(super) fn prefetch_slot(slot: &Slot) {
    prefetch::slice(std::slice::from_ref(slot), 4);
}

/// Prefetches the read and write sets of the speculative outcome of transaction `i`, when it is ready.
pub(super) fn prefetch_outcome(reader: &Reader<'_>, i: TxIdx) {
    if let Some(out) = reader.peek(i) {
        prefetch::slice(&out.reads, PREFETCH_LINES);
        prefetch::slice(&out.writes, PREFETCH_LINES);
    }
}

/// Records whether a speculative execution of a call to `to` held; a target whose executions failed at
/// least twice and more often than they held becomes hot (see `Shared::hot`, `strikes.rs`).
pub(super) fn learn(shared: &Shared<'_>, strikes: &mut Strikes, to: Address, valid: bool) {
    if strikes.record(to, valid) {
        shared.make_hot(to);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_env as env;
    use super::*;

    /// Pays 10 wei to its caller on every call: `CALL(0xffff, CALLER, 10, 0, 0, 0, 0)`.
    const PAYER_CODE: &[u8] = &[
        0x60, 0, 0x60, 0, 0x60, 0, 0x60, 0, 0x60, 10, 0x33, 0x61, 0xff, 0xff, 0xf1, 0x00,
    ];

    /// A state with the payer (at 0xAA, holding `payer_balance` wei) and funded senders 1 and 2.
    fn payer_state(payer_balance: u64) -> parevm_state::InMemoryState {
        let mut s = parevm_state::InMemoryState::default();
        s.insert_account(
            Address::repeat_byte(0xaa),
            U256::from(payer_balance),
            1,
            alloy_primitives::Bytes::from_static(PAYER_CODE),
            [],
        );
        for sender in [1, 2] {
            s.insert_account(
                Address::repeat_byte(sender),
                U256::from(10u64.pow(18)),
                0,
                alloy_primitives::Bytes::new(),
                [],
            );
        }
        s
    }

    fn payer_call(caller: u8) -> Env {
        let mut e = env(caller, 0xaa, 0);
        e.tx.gas_limit = 100_000;
        e.tx.gas_price = U256::from(1);
        e.block.basefee = U256::from(1);
        e.block.gas_limit = 30_000_000;
        e
    }

    /// Executes `env` over `view`, recording reads, as a helper does.
    fn run(env: &Env, view: &dyn StateView) -> TxOutcome {
        TxExecution::borrowed(env)
            .resume(view)
            .expect("the transaction executes")
    }

    /// Transaction 1 executed on the base state saw the payer's 100 wei; transaction 0 paid 10 of them
    /// out first. The payer's balance was only checked to cover the payment, and still covers it: the
    /// repaired outcome is the one executing transaction 1 after transaction 0 gives, read set included.
    #[test]
    fn a_payment_checked_against_a_changed_balance_is_repaired_as_re_execution_gives() {
        let base = payer_state(100);
        let (first, second) = (payer_call(1), payer_call(2));
        let mut spec = run(&second, &base);
        let payer = Address::repeat_byte(0xaa);
        assert_eq!(spec.balance_bounds, vec![(payer, U256::from(10))]);
        let mut overlay = Overlay::for_block(&base, 2);
        overlay.apply(&run(&first, &base).writes);
        let stale =
            first_stale(&overlay, &spec.reads, 0, false).expect("the payer's balance changed");
        assert_eq!(spec.reads[stale].0, Location::Balance(payer));
        assert!(repair_balances(&overlay, &mut spec, stale, false));
        let fresh = run(&second, &overlay);
        assert_eq!(spec.reads, fresh.reads);
        assert_eq!(spec.writes, fresh.writes);
        assert_eq!(spec.gas_used, fresh.gas_used);
        assert_eq!(spec.status, fresh.status);
        assert_eq!(first_stale(&overlay, &spec.reads, 0, false), None);
    }

    /// The payer held 15 wei: after transaction 0 it cannot pay transaction 1 (whose execution on the base
    /// state did pay), so the outcome is left alone for re-execution.
    #[test]
    fn a_payment_the_changed_balance_no_longer_covers_is_not_repaired() {
        let base = payer_state(15);
        let (first, second) = (payer_call(1), payer_call(2));
        let mut spec = run(&second, &base);
        let before = (spec.reads.clone(), spec.writes.clone());
        let mut overlay = Overlay::for_block(&base, 2);
        overlay.apply(&run(&first, &base).writes);
        let stale =
            first_stale(&overlay, &spec.reads, 0, false).expect("the payer's balance changed");
        assert!(!repair_balances(&overlay, &mut spec, stale, false));
        assert_eq!((spec.reads, spec.writes), before);
        // Executed after transaction 0, the payment fails: the payer keeps its 5 wei.
        let fresh = run(&second, &overlay);
        assert!(!fresh
            .writes
            .iter()
            .any(|w| w.address == Address::repeat_byte(0xaa)));
    }
}
