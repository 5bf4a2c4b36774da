//! Why a replay fixture could not be read, naming the file.

use super::fixture::FieldError;
use alloy_primitives::B256;
use std::path::PathBuf;

/// A replay input that is missing or malformed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A file is not the JSON expected.
    #[error("{path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The error.
        source: serde_json::Error,
    },
    /// A field does not parse.
    #[error("{path}: {source}")]
    Field {
        /// The file.
        path: PathBuf,
        /// The field and why.
        source: FieldError,
    },
    /// An account's code is not in `bytecodes.json`.
    #[error("{path}: code {hash} not in bytecodes.json")]
    MissingCode {
        /// The pre-state file.
        path: PathBuf,
        /// The code hash.
        hash: B256,
    },
    /// A path is neither a block folder nor a folder of block folders.
    #[error("{0}: neither a block folder (block.json) nor a set (bytecodes.json)")]
    NotBlocks(PathBuf),
    /// The archive could not be unpacked.
    #[error(transparent)]
    Unpack(#[from] crate::unpack::UnpackError),
}

impl ReplayError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| ReplayError::Io { path, source }
    }

    /// A JSON error in `path`.
    pub fn json(path: impl Into<PathBuf>) -> impl FnOnce(serde_json::Error) -> Self {
        let path = path.into();
        move |source| ReplayError::Json { path, source }
    }

    /// A field error in `path`.
    pub fn field(path: impl Into<PathBuf>) -> impl FnOnce(FieldError) -> Self {
        let path = path.into();
        move |source| ReplayError::Field { path, source }
    }
}
