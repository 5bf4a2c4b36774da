//! # parevm-state
//!
//! Where state diffs land: an in-memory world state that serves as a [`StateView`], applies the
//! [`WriteSet`]s of executed transactions, and computes the Merkle-Patricia state root (via alloy-trie).
//!
//! ```text
//! ... -> ordered commit -> state diff -> InMemoryState::apply -> state_root()
//! ```

#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod fork;
pub mod memory;
pub mod root;

pub use fork::{ForkAccount, ForkSource};
pub use memory::{AccountState, InMemoryState};
pub use root::{logs_hash, state_root, storage_root};
