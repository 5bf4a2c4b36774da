//! A state view that answers "not ready" the first time some locations are read, to check that an execution
//! parked on such a read and resumed gives exactly the outcome of an uninterrupted run (the parallel layer
//! parks and resumes executions this way).

use super::rng::Rng;
use alloy_primitives::{Address, B256, U256};
use parevm_evm_core::{Code, Location, StateView, ViewError};
use std::cell::RefCell;
use std::collections::HashSet;

/// Wraps a view; each location is refused once with probability `percent`, then served.
pub struct Flaky<'a> {
    inner: &'a dyn StateView,
    rng: RefCell<Rng>,
    percent: u64,
    /// Also refuse balance and nonce reads (off by default: see [`Flaky::new`]).
    accounts_too: bool,
    asked: RefCell<HashSet<Location>>,
}

impl<'a> Flaky<'a> {
    /// Refuses the first read of a storage slot or code hash with probability `percent`/100, drawn from
    /// `seed`; with `accounts_too`, balance and nonce reads as well.
    pub fn new(inner: &'a dyn StateView, seed: u64, percent: u64, accounts_too: bool) -> Self {
        Self {
            inner,
            rng: RefCell::new(Rng::new(seed)),
            percent,
            accounts_too,
            asked: RefCell::new(HashSet::new()),
        }
    }

    fn gate(&self, loc: Location) -> Result<(), ViewError> {
        let eligible = self.accounts_too
            || matches!(
                loc,
                Location::Storage(..) | Location::CodeHash(_) | Location::HasStorage(_)
            );
        if eligible
            && self.asked.borrow_mut().insert(loc)
            && self.rng.borrow_mut().chance(self.percent)
        {
            return Err(ViewError::NotReady(0));
        }
        Ok(())
    }
}

impl StateView for Flaky<'_> {
    fn balance(&self, address: Address) -> Result<U256, ViewError> {
        self.gate(Location::Balance(address))?;
        self.inner.balance(address)
    }
    fn nonce(&self, address: Address) -> Result<u64, ViewError> {
        self.gate(Location::Nonce(address))?;
        self.inner.nonce(address)
    }
    fn code_hash(&self, address: Address) -> Result<B256, ViewError> {
        self.gate(Location::CodeHash(address))?;
        self.inner.code_hash(address)
    }
    fn code_by_hash(&self, code_hash: B256) -> Result<Code, ViewError> {
        self.inner.code_by_hash(code_hash)
    }
    fn storage(&self, address: Address, slot: U256) -> Result<U256, ViewError> {
        self.gate(Location::Storage(address, slot))?;
        self.inner.storage(address, slot)
    }
    fn block_hash(&self, number: u64) -> Result<B256, ViewError> {
        self.inner.block_hash(number)
    }
    fn has_storage(&self, address: Address) -> Result<bool, ViewError> {
        self.gate(Location::HasStorage(address))?;
        self.inner.has_storage(address)
    }
}
