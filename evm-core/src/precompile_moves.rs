//! Precompiles moved or taken away for one call: the state overrides of `eth_call`, `eth_estimateGas`
//! and `eth_simulateV1` may move a precompile to another address (`movePrecompileToAddress`), and any
//! override of a precompile's address takes the precompile away there (its code, if given, runs
//! instead), as geth applies them. The result is a [`ChainRules`] that answers the changed set from
//! [`ChainRules::precompiles`] and delegates everything else to the chain's rules.
//!
//! ```text
//! RPC overrides -> with_moves(chain rules, spec, overridden addresses, moves)
//!   -> the fork's set, minus every overridden precompile, plus each moved one at its destination
//!   -> interned &'static rules (calls run it through CfgEnv::rules)
//!        call_precompiles(spec)  the changed set: what a CALL runs
//!        precompiles(spec)       the fork's own set: what EIP-2929 counts warm, as geth does
//! ```
//!
//! revm-precompile's `Precompile` keeps its address with its function and does not hand the function
//! out, so a moved precompile runs through a *trampoline*: one of [`SLOTS`] plain functions, each calling
//! the original `Precompile` kept in its slot. A slot is taken once per (set, address) and reused
//! afterwards; the changed sets are interned too (at most [`MAX_SETS`] per process), so that no request
//! leaks memory and every set lives for the whole program, as evm-core's sets do.

use crate::env::Env;
use crate::error::InvalidTx;
use crate::rules::{ChainRules, DepositRules, ExtraFee, FeeSettlement, RuleState};
use crate::spec::SpecId;
use crate::view::ViewError;
use alloy_primitives::Address;
use revm_precompile::{Precompile, PrecompileError, PrecompileFn, PrecompileResult, Precompiles};
use std::sync::{Mutex, OnceLock};

/// Trampolines, hence distinct (set, address) pairs that can ever be moved in one process.
pub const SLOTS: usize = 64;

/// Distinct changed sets one process keeps.
pub const MAX_SETS: usize = 256;

/// Why a set of precompile overrides cannot be applied (geth's words where geth refuses the same).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoveError {
    /// `movePrecompileToAddress` on an address that holds no precompile.
    #[error("account {0} is not a precompile")]
    NotAPrecompile(Address),
    /// A precompile moved to an address the same overrides also change.
    #[error("account {0} is already overridden")]
    DestinationOverridden(Address),
    /// Every trampoline is taken (see [`SLOTS`]).
    #[error("too many distinct precompiles moved in this process (at most {SLOTS})")]
    NoTrampoline,
    /// Every interned set is taken (see [`MAX_SETS`]).
    #[error("too many distinct precompile overrides in this process (at most {MAX_SETS})")]
    TooManySets,
}

/// The original precompile behind each trampoline.
static SOURCES: [OnceLock<Precompile>; SLOTS] = [const { OnceLock::new() }; SLOTS];

/// Which (set, address) each taken slot holds, in slot order.
static SLOT_KEYS: Mutex<Vec<(usize, Address)>> = Mutex::new(Vec::new());

fn trampoline<const I: usize>(input: &[u8], gas_limit: u64, reservoir: u64) -> PrecompileResult {
    match SOURCES[I].get() {
        Some(p) => p.execute(input, gas_limit, reservoir),
        None => Err(PrecompileError::Fatal(
            "moved precompile without a source".into(),
        )),
    }
}

macro_rules! trampolines {
    ($($i:literal)*) => { [$(trampoline::<$i> as PrecompileFn),*] };
}

static TRAMPOLINES: [PrecompileFn; SLOTS] = trampolines!(
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
    32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63
);

/// The precompile at `from` in `set`, answering at `to`.
fn readdressed(
    set: &'static Precompiles,
    from: Address,
    to: Address,
) -> Result<Precompile, MoveError> {
    let source = set.get(&from).ok_or(MoveError::NotAPrecompile(from))?;
    let key = (set as *const Precompiles as usize, from);
    let mut keys = SLOT_KEYS.lock().unwrap_or_else(|p| p.into_inner());
    let slot = match keys.iter().position(|k| *k == key) {
        Some(i) => i,
        None if keys.len() < SLOTS => {
            let i = keys.len();
            // The slot is new, so nothing has set its source yet.
            let _ = SOURCES[i].set(source.clone());
            keys.push(key);
            i
        }
        None => return Err(MoveError::NoTrampoline),
    };
    Ok(Precompile::new(source.id().clone(), to, TRAMPOLINES[slot]))
}

/// A chain's rules with a changed precompile set for one fork.
#[derive(Debug)]
struct Moved {
    base: &'static dyn ChainRules,
    spec: SpecId,
    set: &'static Precompiles,
}

impl ChainRules for Moved {
    fn name(&self) -> &'static str {
        self.base.name()
    }

    fn precompiles(&self, spec: SpecId) -> &'static Precompiles {
        self.base.precompiles(spec)
    }

    fn call_precompiles(&self, spec: SpecId) -> Option<&'static Precompiles> {
        if spec == self.spec {
            Some(self.set)
        } else {
            self.base.call_precompiles(spec)
        }
    }

    fn validate_tx(&self, env: &Env) -> Result<(), InvalidTx> {
        self.base.validate_tx(env)
    }

    fn deposits(&self) -> Option<DepositRules> {
        self.base.deposits()
    }

    fn extra_fee(&self, env: &Env, state: &mut dyn RuleState) -> Result<ExtraFee, ViewError> {
        self.base.extra_fee(env, state)
    }

    fn settle_extra_fee(&self, env: &Env, fee: &ExtraFee, gas_used: u64) -> FeeSettlement {
        self.base.settle_extra_fee(env, fee, gas_used)
    }

    fn base_fee_recipient(&self) -> Option<Address> {
        self.base.base_fee_recipient()
    }
}

/// What identifies an interned set: the chain's rules, the fork, the precompiles taken away and the
/// moves (destination, source), in order.
type SetKey = (usize, SpecId, Vec<Address>, Vec<(Address, Address)>);

static SETS: Mutex<Vec<(SetKey, &'static Moved)>> = Mutex::new(Vec::new());

/// `base` with geth's precompile overrides applied under `spec`: `overridden` are all the addresses the
/// state overrides name, `moves` the (from, to) pairs of `movePrecompileToAddress`. Each overridden
/// address that holds a precompile loses it; each move first puts the precompile at its destination
/// (over a precompile there, if any). Overrides in address order; a later move to the same destination
/// wins. `base` itself when no precompile is touched.
pub fn with_moves(
    base: &'static dyn ChainRules,
    spec: SpecId,
    overridden: &[Address],
    moves: &[(Address, Address)],
) -> Result<&'static dyn ChainRules, MoveError> {
    let original = base.precompiles(spec);
    let mut moves: Vec<(Address, Address)> = moves.to_vec();
    moves.sort();
    for &(from, to) in &moves {
        if !original.contains(&from) {
            return Err(MoveError::NotAPrecompile(from));
        }
        if overridden.contains(&to) {
            return Err(MoveError::DestinationOverridden(to));
        }
    }
    let mut removed: Vec<Address> = overridden
        .iter()
        .chain(moves.iter().map(|(from, _)| from))
        .filter(|a| original.contains(a))
        .copied()
        .collect();
    removed.sort();
    removed.dedup();
    if removed.is_empty() {
        return Ok(base);
    }
    // Destination -> source, the last move to a destination winning.
    let mut placed: Vec<(Address, Address)> = Vec::with_capacity(moves.len());
    for &(from, to) in &moves {
        placed.retain(|(d, _)| *d != to);
        placed.push((to, from));
    }
    placed.sort();
    let key: SetKey = (
        base as *const dyn ChainRules as *const () as usize,
        spec,
        removed.clone(),
        placed.clone(),
    );
    let mut sets = SETS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, rules)) = sets.iter().find(|(k, _)| *k == key) {
        return Ok(*rules);
    }
    if sets.len() >= MAX_SETS {
        return Err(MoveError::TooManySets);
    }
    let mut kept: Vec<Precompile> = original
        .addresses()
        .filter(|a| !removed.contains(a) && !placed.iter().any(|(d, _)| d == *a))
        .filter_map(|a| original.get(a).cloned())
        .collect();
    for &(to, from) in &placed {
        kept.push(readdressed(original, from, to)?);
    }
    let mut set = Precompiles::default();
    set.extend(kept);
    let rules: &'static Moved = Box::leak(Box::new(Moved {
        base,
        spec,
        set: Box::leak(Box::new(set)),
    }));
    sets.push((key, rules));
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::precompiles::run_in;
    use crate::rules::ETHEREUM;

    fn addr(n: u64) -> Address {
        Address::left_padding_from(&n.to_be_bytes())
    }

    const SPEC: SpecId = SpecId::PRAGUE;

    #[test]
    fn untouched_precompiles_keep_the_chains_rules() {
        let rules = with_moves(&ETHEREUM, SPEC, &[addr(0xc0ffee)], &[]).unwrap();
        assert!(rules.call_precompiles(SPEC).is_none());
    }

    #[test]
    fn a_moved_precompile_runs_at_its_destination_and_not_at_its_origin() {
        let to = addr(0x123456);
        let rules = with_moves(&ETHEREUM, SPEC, &[addr(4)], &[(addr(4), to)]).unwrap();
        let set = rules.call_precompiles(SPEC).unwrap();
        assert!(!set.contains(&addr(4)));
        let out = run_in_any(set, &to, b"\x12\x34", 100_000);
        let identity = run_in(ETHEREUM.precompiles(SPEC), &addr(4), b"\x12\x34", 100_000);
        assert_eq!(out, identity);
        assert!(out.is_some());
        // The warm set stays the fork's.
        assert!(std::ptr::eq(
            rules.precompiles(SPEC),
            ETHEREUM.precompiles(SPEC)
        ));
        // Other forks are untouched, and the same overrides give the same interned rules.
        assert!(rules.call_precompiles(SpecId::CANCUN).is_none());
        let again = with_moves(&ETHEREUM, SPEC, &[addr(4)], &[(addr(4), to)]).unwrap();
        assert!(again
            .call_precompiles(SPEC)
            .is_some_and(|s| std::ptr::eq(s, set)));
    }

    #[test]
    fn code_over_a_precompile_takes_it_away() {
        let rules = with_moves(&ETHEREUM, SPEC, &[addr(2)], &[]).unwrap();
        let set = rules.call_precompiles(SPEC).unwrap();
        assert!(!set.contains(&addr(2)));
        assert_eq!(set.len(), ETHEREUM.precompiles(SPEC).len() - 1);
    }

    #[test]
    fn moves_over_another_precompile_replace_it() {
        // sha256 moved onto identity's address: identity is gone, 0x04 hashes.
        let rules = with_moves(&ETHEREUM, SPEC, &[addr(2)], &[(addr(2), addr(4))]).unwrap();
        let set = rules.call_precompiles(SPEC).unwrap();
        let sha = run_in(ETHEREUM.precompiles(SPEC), &addr(2), b"abc", 100_000);
        assert_eq!(run_in_any(set, &addr(4), b"abc", 100_000), sha);
        assert!(!set.contains(&addr(2)));
    }

    #[test]
    fn geths_refusals() {
        let err = with_moves(&ETHEREUM, SPEC, &[addr(0xc1)], &[(addr(0xc1), addr(9))]);
        assert_eq!(err.err(), Some(MoveError::NotAPrecompile(addr(0xc1))));
        let err = with_moves(
            &ETHEREUM,
            SPEC,
            &[addr(1), addr(0xc2)],
            &[(addr(1), addr(0xc2))],
        );
        assert_eq!(
            err.err(),
            Some(MoveError::DestinationOverridden(addr(0xc2)))
        );
    }

    fn run_in_any(
        set: &Precompiles,
        address: &Address,
        input: &[u8],
        gas: u64,
    ) -> Option<crate::precompiles::PrecompileCall> {
        crate::precompiles::run_moved(set, address, input, gas)
    }
}
