//! Where benchmark data lives: the shared data folder (`../shared` beside the repository, or
//! `PAREVM_SHARED`). Data is read in place, never copied into the repository.

use crate::error::BenchError;
use alloy_primitives::{hex, Bytes};
use std::path::PathBuf;

/// Environment variable that overrides the shared data folder.
pub const SHARED_ENV: &str = "PAREVM_SHARED";

/// The shared data folder: `$PAREVM_SHARED`, else `../shared` next to the repository root.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os(SHARED_ENV) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    }
}

/// Reads `bench-bytecode/<name>` (hex, optional `0x`, surrounding whitespace ignored).
pub fn bench_bytecode(name: &str) -> Result<Bytes, BenchError> {
    let path = shared_dir().join("bench-bytecode").join(name);
    let text = std::fs::read_to_string(&path).map_err(|source| BenchError::Io {
        path: path.clone(),
        source,
    })?;
    let bytes = hex::decode(text.trim()).map_err(|source| BenchError::Hex { path, source })?;
    Ok(bytes.into())
}
