//! Why the devnet could not start or do what a dev method asked.

/// Devnet failures.
#[derive(Debug, thiserror::Error)]
pub enum DevnetError {
    /// The mnemonic or derivation path is not valid.
    #[error("mnemonic: {0}")]
    Mnemonic(String),
    /// Signing failed.
    #[error("signing: {0}")]
    Sign(String),
    /// A state file could not be read or written.
    #[error("state file {path}: {reason}")]
    StateFile {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The server could not start.
    #[error("server: {0}")]
    Server(String),
    /// The datadir could not be opened or read.
    #[error("datadir: {0}")]
    Datadir(#[from] crate::datadir::DatadirError),
    /// The forked chain could not be read (`--fork-url`).
    #[error("fork: {0}")]
    Fork(String),
    /// The chain refused an operation.
    #[error(transparent)]
    Chain(#[from] parevm_chain::ChainError),
}
