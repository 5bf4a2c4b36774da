//! Why the node could not start or do what was asked: each error names what and where. Engine API
//! answers map these to the spec's codes in [`crate::engine_api`].

use parevm_op_stack_adapter::OpBlockError;
use parevm_storage::StoreError;

/// A node failure.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// A configuration file is missing, unreadable or inconsistent.
    #[error("config: {0}")]
    Config(String),
    /// The JWT secret file is unreadable or malformed.
    #[error("jwt secret {path}: {reason}")]
    JwtSecret {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The chain store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A block could not be built or executed.
    #[error("block: {0}")]
    Block(#[from] OpBlockError),
    /// Anything else that is the node's own fault.
    #[error("{0}")]
    Internal(String),
}
