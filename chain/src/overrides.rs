//! The state a call with overrides reads (`eth_call`'s and `eth_estimateGas`'s state and block
//! overrides, `debug_traceCall`'s): the state at the requested block with the override writes laid over
//! it, and BLOCKHASH answering the overridden block hashes first. Nothing of it reaches the chain.
//!
//! ```text
//! view at the block -> Overlay(view) + override writes -> Overridden { BLOCKHASH: overrides, else view } -> f
//! ```

use alloy_primitives::{Address, B256, U256};
use parevm_evm_core::{AccountBasic, Code, StateView, ViewError, WriteSet};
use parevm_parallel_commit::Overlay;
use std::collections::BTreeMap;

/// A state with a call's overrides laid over it.
struct Overridden<'a> {
    state: Overlay<'a>,
    block_hashes: &'a BTreeMap<u64, B256>,
}

impl StateView for Overridden<'_> {
    fn basic(&self, address: Address) -> Result<AccountBasic, ViewError> {
        self.state.basic(address)
    }

    fn balance(&self, address: Address) -> Result<U256, ViewError> {
        self.state.balance(address)
    }

    fn nonce(&self, address: Address) -> Result<u64, ViewError> {
        self.state.nonce(address)
    }

    fn code_hash(&self, address: Address) -> Result<B256, ViewError> {
        self.state.code_hash(address)
    }

    fn code_by_hash(&self, code_hash: B256) -> Result<Code, ViewError> {
        self.state.code_by_hash(code_hash)
    }

    fn storage(&self, address: Address, slot: U256) -> Result<U256, ViewError> {
        self.state.storage(address, slot)
    }

    fn block_hash(&self, number: u64) -> Result<B256, ViewError> {
        match self.block_hashes.get(&number) {
            Some(hash) => Ok(*hash),
            None => self.state.block_hash(number),
        }
    }

    fn has_storage(&self, address: Address) -> Result<bool, ViewError> {
        self.state.has_storage(address)
    }
}

/// Runs `f` on `view` with `writes` laid over it and BLOCKHASH answering `block_hashes` first.
pub fn with_overrides<R>(
    view: &(dyn StateView + Sync),
    writes: &WriteSet,
    block_hashes: &BTreeMap<u64, B256>,
    f: impl FnOnce(&dyn StateView) -> R,
) -> R {
    let mut state = Overlay::new(view);
    state.apply(writes);
    f(&Overridden {
        state,
        block_hashes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Bytes;
    use parevm_evm_core::{AccountWrite, BalanceWrite};
    use parevm_state::InMemoryState;

    #[test]
    fn writes_and_block_hashes_lie_over_the_state_and_leave_it_as_it_was() {
        let a = Address::repeat_byte(1);
        let mut s = InMemoryState::new();
        s.insert_account(
            a,
            U256::from(5),
            2,
            Bytes::new(),
            [(U256::from(1), U256::from(9))],
        );
        s.set_block_hash(3, B256::repeat_byte(3));
        let mut w = AccountWrite::new(a);
        w.balance = Some(BalanceWrite::Set(U256::from(7)));
        w.storage_reset = true;
        w.storage = vec![(U256::from(2), U256::from(4))];
        let hashes = BTreeMap::from([(4, B256::repeat_byte(4))]);
        with_overrides(&s, &vec![w], &hashes, |v| {
            assert_eq!(v.balance(a).unwrap(), U256::from(7));
            assert_eq!(v.nonce(a).unwrap(), 2);
            assert_eq!(
                v.storage(a, U256::from(1)).unwrap(),
                U256::ZERO,
                "state replaced"
            );
            assert_eq!(v.storage(a, U256::from(2)).unwrap(), U256::from(4));
            assert_eq!(v.block_hash(4).unwrap(), B256::repeat_byte(4));
            assert_eq!(v.block_hash(3).unwrap(), B256::repeat_byte(3));
        });
        assert_eq!(s.balance(a).unwrap(), U256::from(5));
        assert_eq!(s.storage(a, U256::from(1)).unwrap(), U256::from(9));
    }
}
