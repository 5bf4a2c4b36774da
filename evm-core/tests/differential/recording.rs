//! A state view that records every location the interpreter asks for, to check that the read set of the
//! outcome is complete: the parallel layer validates a transaction by its read set alone, so a location read
//! from the view but missing from `TxOutcome::reads` is a conflict it could never detect.

use alloy_primitives::{Address, B256, U256};
use parevm_evm_core::{Code, Location, ReadSet, StateView, ViewError};
use std::cell::RefCell;

/// Wraps a view and remembers what was read from it, with the values returned.
pub struct Recording<'a> {
    inner: &'a dyn StateView,
    seen: RefCell<Vec<(Location, U256)>>,
}

impl<'a> Recording<'a> {
    /// Records reads of `inner`.
    pub fn new(inner: &'a dyn StateView) -> Self {
        Self {
            inner,
            seen: RefCell::new(Vec::new()),
        }
    }

    fn note<T>(
        &self,
        loc: Location,
        r: Result<T, ViewError>,
        v: impl Fn(&T) -> U256,
    ) -> Result<T, ViewError> {
        if let Ok(x) = &r {
            self.seen.borrow_mut().push((loc, v(x)));
        }
        r
    }

    /// The first location read from the view that `reads` lacks or records with another value.
    pub fn missing_from(&self, reads: &ReadSet) -> Option<String> {
        let recorded: std::collections::HashMap<Location, U256> = reads.iter().copied().collect();
        self.seen
            .borrow()
            .iter()
            .find_map(|(loc, v)| match recorded.get(loc) {
                None => Some(format!(
                    "{loc:?} was read from the view but is not in the read set"
                )),
                Some(r) if r != v => Some(format!("{loc:?} read as {v:#x}, read set says {r:#x}")),
                Some(_) => None,
            })
    }
}

impl StateView for Recording<'_> {
    fn balance(&self, address: Address) -> Result<U256, ViewError> {
        self.note(
            Location::Balance(address),
            self.inner.balance(address),
            |v| *v,
        )
    }
    fn nonce(&self, address: Address) -> Result<u64, ViewError> {
        self.note(Location::Nonce(address), self.inner.nonce(address), |v| {
            U256::from(*v)
        })
    }
    fn code_hash(&self, address: Address) -> Result<B256, ViewError> {
        self.note(
            Location::CodeHash(address),
            self.inner.code_hash(address),
            |v| U256::from_be_bytes(v.0),
        )
    }
    fn code_by_hash(&self, code_hash: B256) -> Result<Code, ViewError> {
        self.inner.code_by_hash(code_hash)
    }
    fn storage(&self, address: Address, slot: U256) -> Result<U256, ViewError> {
        self.note(
            Location::Storage(address, slot),
            self.inner.storage(address, slot),
            |v| *v,
        )
    }
    fn block_hash(&self, number: u64) -> Result<B256, ViewError> {
        self.inner.block_hash(number)
    }
    fn has_storage(&self, address: Address) -> Result<bool, ViewError> {
        self.note(
            Location::HasStorage(address),
            self.inner.has_storage(address),
            |v| U256::from(u8::from(*v)),
        )
    }
}
