//! Targets learned to create contracts: a call that bumps the callee's nonce (CREATE) makes every later
//! speculative call of the same target fail validation, so the lookahead engine leaves such targets to
//! the committer (see [`creating_target`]).

use super::*;

/// The call target of `env` when its outcome `out` changed the target's nonce: a contract that created
/// contracts (CREATE reads and bumps the creator's nonce), so that every later call to it that creates
/// one too reads a nonce this transaction wrote. Its speculative executions would fail validation (block
/// 2462997: six calls to one contract that creates, each helper speculation of them failed), so its calls
/// are left to the committer like those of a hot target.
pub(super) fn creating_target(env: &Env, out: &TxOutcome) -> Option<Address> {
    let to = env.tx.kind.to()?;
    if *to == env.tx.caller {
        return None;
    }
    out.writes
        .iter()
        .any(|w| w.address == *to && w.nonce.is_some())
        .then_some(*to)
}

/// Most targets learned to create contracts while the committer works alone that take the helpers'
/// share of the block from the call-in decision: each costs a pass over the rest of the block.
pub(super) const MAX_CREATORS: usize = 8;

/// The targets the committer learned to create contracts while working alone ([`creating_target`]).
#[derive(Default)]
pub(super) struct Creators {
    pub(super) list: Vec<Address>,
}

impl Creators {
    /// True when `env` calls a known creator.
    pub(super) fn has(&self, env: &Env) -> bool {
        !self.list.is_empty() && env.tx.kind.to().is_some_and(|to| self.list.contains(to))
    }

    /// Adds `to`; true when it is new and within [`MAX_CREATORS`].
    pub(super) fn add(&mut self, to: Address) -> bool {
        if self.list.len() >= MAX_CREATORS || self.list.contains(&to) {
            return false;
        }
        self.list.push(to);
        true
    }

    /// Units of gas limit of the transactions of `rest` that call `to` and are not predicted dependent.
    pub(super) fn open_gas_to(&self, to: Address, rest: &[Env], dependent: &[bool]) -> u64 {
        rest.iter()
            .zip(dependent)
            .filter(|(e, d)| !**d && e.tx.kind.to() == Some(&to))
            .fold(0u64, |g, (e, _)| g.saturating_add(e.tx.gas_limit.max(1)))
    }
}
