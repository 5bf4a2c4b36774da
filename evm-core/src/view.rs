//! The state view: the one trait through which a transaction reads state.
//!
//! Every read is per *location* (an account's balance, nonce or code hash, or one storage slot), which is the
//! granularity the parallel layer versions. A view may answer [`ViewError::NotReady`]: the value depends on a
//! lower transaction that has not finished. The interpreter then parks (keeps its frame stack) and the caller
//! resumes it later; nothing it did before the read is redone.

use crate::code::Code;
use alloy_primitives::{Address, B256, U256};

/// Index of a transaction in its block.
pub type TxIdx = usize;

/// One versioned piece of state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Location {
    /// An account's balance.
    Balance(Address),
    /// An account's nonce.
    Nonce(Address),
    /// An account's code hash; `B256::ZERO` encodes "account does not exist".
    CodeHash(Address),
    /// One storage slot.
    Storage(Address, U256),
    /// Whether the account's storage is non-empty (read value 1) or empty (0); asked only by the EIP-7610
    /// creation-collision check. See [`StateView::has_storage`].
    HasStorage(Address),
}

impl Location {
    /// The account the location belongs to.
    #[inline]
    pub fn address(&self) -> &Address {
        match self {
            Location::Balance(a)
            | Location::Nonce(a)
            | Location::CodeHash(a)
            | Location::Storage(a, _)
            | Location::HasStorage(a) => a,
        }
    }

    /// The value `view` holds at this location, in the read set's encoding (a nonce as a number, a code
    /// hash as its big-endian bytes, storage presence as 0 or 1).
    pub fn read_from(self, view: &dyn StateView) -> Result<U256, ViewError> {
        Ok(match self {
            Location::Balance(a) => view.balance(a)?,
            Location::Nonce(a) => U256::from(view.nonce(a)?),
            Location::CodeHash(a) => U256::from_be_bytes(view.code_hash(a)?.0),
            Location::Storage(a, slot) => view.storage(a, slot)?,
            Location::HasStorage(a) => U256::from(u8::from(view.has_storage(a)?)),
        })
    }
}

/// An account's balance, nonce and code hash, read together by [`StateView::basic`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountBasic {
    /// Balance (zero when absent).
    pub balance: U256,
    /// Nonce (zero when absent).
    pub nonce: u64,
    /// Code hash; `B256::ZERO` when the account does not exist.
    pub code_hash: B256,
}

/// Why a view could not answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    /// The value will be written by lower transaction `.0`, which has not finished yet.
    #[error("state not ready: depends on transaction {0}")]
    NotReady(TxIdx),
    /// The backing store failed.
    #[error("state backend error: {0}")]
    Backend(String),
}

/// Read access to world state as of the start of one transaction.
///
/// `code_hash` distinguishes a missing account (`B256::ZERO`) from an existing account without code
/// (`KECCAK_EMPTY`); pre-Spurious-Dragon gas rules depend on that difference.
pub trait StateView {
    /// Balance of `address` (zero when absent).
    fn balance(&self, address: Address) -> Result<U256, ViewError>;
    /// Nonce of `address` (zero when absent).
    fn nonce(&self, address: Address) -> Result<u64, ViewError>;
    /// Code hash of `address`: `B256::ZERO` when the account does not exist.
    fn code_hash(&self, address: Address) -> Result<B256, ViewError>;
    /// Code with the given hash. Code is content-addressed, so this read is never versioned.
    fn code_by_hash(&self, code_hash: B256) -> Result<Code, ViewError>;
    /// Value of one storage slot (zero when absent).
    fn storage(&self, address: Address, slot: U256) -> Result<U256, ViewError>;
    /// Hash of block `number` (only asked for the 256 most recent blocks).
    fn block_hash(&self, number: u64) -> Result<B256, ViewError>;
    /// True when `address` has at least one non-zero storage slot (EIP-7610: a contract creation at an
    /// address with non-empty storage fails, as with a nonce or code there).
    ///
    /// A store answers from the account's storage root (not the empty-trie root), without reading slots.
    /// Only the collision check asks, and only for an account with zero nonce and no code. Such an
    /// account's storage cannot have been written in the current block (storage is written only by code
    /// running at the account, which leaves it code or a nonce; a pre-Spurious-Dragon creation that
    /// returns no code cannot target the same address twice), so a view layered over a block's base state
    /// answers from the base, and `false` once a lower transaction of the block has wiped the account's
    /// storage (destroyed it or created it anew). That rule is exact for every account the check asks
    /// about, and cheap to version: it depends only on the base and on storage wipes.
    fn has_storage(&self, address: Address) -> Result<bool, ViewError>;

    /// Balance, nonce and code hash of `address` in one call: three reads of three locations, which a
    /// view backed by one account record answers with one lookup instead of three. All or nothing: an
    /// error means none of the three was read.
    fn basic(&self, address: Address) -> Result<AccountBasic, ViewError> {
        Ok(AccountBasic {
            balance: self.balance(address)?,
            nonce: self.nonce(address)?,
            code_hash: self.code_hash(address)?,
        })
    }
}

impl<T: StateView + ?Sized> StateView for &T {
    fn balance(&self, address: Address) -> Result<U256, ViewError> {
        (**self).balance(address)
    }
    fn nonce(&self, address: Address) -> Result<u64, ViewError> {
        (**self).nonce(address)
    }
    fn code_hash(&self, address: Address) -> Result<B256, ViewError> {
        (**self).code_hash(address)
    }
    fn code_by_hash(&self, code_hash: B256) -> Result<Code, ViewError> {
        (**self).code_by_hash(code_hash)
    }
    fn storage(&self, address: Address, slot: U256) -> Result<U256, ViewError> {
        (**self).storage(address, slot)
    }
    fn block_hash(&self, number: u64) -> Result<B256, ViewError> {
        (**self).block_hash(number)
    }
    fn has_storage(&self, address: Address) -> Result<bool, ViewError> {
        (**self).has_storage(address)
    }
    fn basic(&self, address: Address) -> Result<AccountBasic, ViewError> {
        (**self).basic(address)
    }
}
