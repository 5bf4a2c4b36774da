//! The store's error type: what failed and, where it concerns a block, which one.

use crate::codec::CodecError;
use crate::kv::KvError;
use crate::trie::walk::WalkError;
use alloy_primitives::B256;
use parevm_block::GenesisError;
use parevm_evm_core::ViewError;

/// Why a store operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The backend failed.
    #[error(transparent)]
    Kv(#[from] KvError),
    /// A stored value does not decode.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// The stored trie is inconsistent.
    #[error(transparent)]
    Trie(#[from] WalkError),
    /// The database has no genesis yet (`parevm init`).
    #[error("the database holds no chain yet (run `parevm init` first)")]
    NotInitialized,
    /// The database holds another chain.
    #[error("the database holds genesis {stored}, not {given}")]
    GenesisMismatch {
        /// Stored genesis hash.
        stored: B256,
        /// The genesis given now.
        given: B256,
    },
    /// The genesis file or chain config is unusable.
    #[error(transparent)]
    Genesis(#[from] GenesisError),
    /// A block the operation needs is not stored.
    #[error("block {0} is not stored")]
    MissingBlock(String),
    /// A block to commit is not a child of the head.
    #[error("block {number} has parent {parent}, but the head is {head_number} ({head})")]
    NotChild {
        /// Its number.
        number: u64,
        /// Its parent hash.
        parent: B256,
        /// Head number.
        head_number: u64,
        /// Head hash.
        head: B256,
    },
    /// The head moved between opening a block's state and committing it.
    #[error("the head moved from block {expected} while block {number} was built on it")]
    HeadMoved {
        /// Block being committed.
        number: u64,
        /// The head it was built on.
        expected: u64,
    },
    /// The state root after applying a block differs from its header.
    #[error("block {number}: state root {computed} differs from the header's {header}")]
    StateRoot {
        /// Block number.
        number: u64,
        /// Computed root.
        computed: B256,
        /// Header root.
        header: B256,
    },
    /// An unwind would cross a block without its reverse diff, or the finalized block.
    #[error("cannot unwind to block {target}: {reason}")]
    Unwind {
        /// Requested block.
        target: u64,
        /// Why not.
        reason: String,
    },
    /// A forkchoice update names labels that do not fit the chain (the Engine API's invalid forkchoice
    /// state), or a side block does not fit its parent.
    #[error("invalid forkchoice: {0}")]
    Forkchoice(String),
    /// State at a block that is not available.
    #[error("state at block {number} is not available: {reason}")]
    StateUnavailable {
        /// Requested block.
        number: u64,
        /// Why not.
        reason: String,
    },
}

impl From<StoreError> for ViewError {
    fn from(e: StoreError) -> Self {
        ViewError::Backend(e.to_string())
    }
}
