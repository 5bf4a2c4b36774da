//! Reading a replay set from disk: the shared code and block-hash tables, the block folders, and each
//! block's pre-state as an [`InMemoryState`].

use super::error::ReplayError;
use super::fixture::{PreAccount, RpcBlock};
use super::hex::{b256_of, bytes_of};
use alloy_primitives::map::HashMap;
use alloy_primitives::{Bytes, B256};
use parevm_state::InMemoryState;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Code by hash and ancestor hashes, shared by every block of a set.
#[derive(Debug, Default)]
pub struct SetData {
    /// `bytecodes.json`.
    pub codes: HashMap<B256, Bytes>,
    /// `block_hashes.json`.
    pub block_hashes: Vec<(u64, B256)>,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ReplayError> {
    let bytes = fs::read(path).map_err(ReplayError::io(path))?;
    serde_json::from_slice(&bytes).map_err(ReplayError::json(path))
}

impl SetData {
    /// Reads `bytecodes.json` and `block_hashes.json` from `root`.
    pub fn load(root: &Path) -> Result<Self, ReplayError> {
        let path = root.join("bytecodes.json");
        let raw: BTreeMap<String, String> = read_json(&path)?;
        let mut codes = HashMap::default();
        for (hash, code) in &raw {
            let parse = || -> Result<(B256, Bytes), super::hex::HexError> {
                Ok((b256_of(hash)?, bytes_of(code)?))
            };
            let (hash_value, code) = parse().map_err(|source| ReplayError::Field {
                path: path.clone(),
                source: super::fixture::FieldError {
                    field: hash.clone(),
                    source,
                },
            })?;
            codes.insert(hash_value, code);
        }
        let path = root.join("block_hashes.json");
        let raw: BTreeMap<String, String> = read_json(&path)?;
        let mut block_hashes = Vec::with_capacity(raw.len());
        for (number, hash) in &raw {
            let field_err = |what: &'static str, text: &str| ReplayError::Field {
                path: path.clone(),
                source: super::fixture::FieldError {
                    field: number.clone(),
                    source: super::hex::HexError {
                        what,
                        text: text.to_owned(),
                    },
                },
            };
            let n: u64 = number
                .parse()
                .map_err(|_| field_err("a decimal block number", number))?;
            let h = b256_of(hash).map_err(|_| field_err("a 32-byte hash", hash))?;
            block_hashes.push((n, h));
        }
        Ok(Self {
            codes,
            block_hashes,
        })
    }
}

/// The block folders under `dir` and the set root holding the shared files.
///
/// `dir` is either a set (holds `bytecodes.json`; its numbered sub-folders are the blocks, in numeric
/// order) or one block folder (holds `block.json`; the set is its parent).
pub fn block_dirs(dir: &Path) -> Result<(PathBuf, Vec<PathBuf>), ReplayError> {
    if dir.join("block.json").is_file() {
        let root = dir.parent().unwrap_or(dir).to_path_buf();
        return Ok((root, vec![dir.to_path_buf()]));
    }
    if !dir.join("bytecodes.json").is_file() {
        return Err(ReplayError::NotBlocks(dir.to_path_buf()));
    }
    let mut blocks: Vec<(u64, PathBuf)> = fs::read_dir(dir)
        .map_err(ReplayError::io(dir))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("block.json").is_file())
        .filter_map(|p| {
            let n = p.file_name()?.to_str()?.parse::<u64>().ok()?;
            Some((n, p))
        })
        .collect();
    blocks.sort();
    Ok((
        dir.to_path_buf(),
        blocks.into_iter().map(|(_, p)| p).collect(),
    ))
}

/// Reads `<dir>/block.json`.
pub fn load_block(dir: &Path) -> Result<RpcBlock, ReplayError> {
    read_json(&dir.join("block.json"))
}

/// Builds the pre-state of the block in `dir`: `pre_state.json` with codes and block hashes from `set`.
pub fn load_pre_state(dir: &Path, set: &SetData) -> Result<InMemoryState, ReplayError> {
    let path = dir.join("pre_state.json");
    let raw: BTreeMap<String, PreAccount> = read_json(&path)?;
    let mut state = InMemoryState::new();
    for (address, account) in &raw {
        let a = account.parse(address).map_err(ReplayError::field(&path))?;
        let code = match a.code_hash {
            Some(hash) => {
                set.codes
                    .get(&hash)
                    .cloned()
                    .ok_or_else(|| ReplayError::MissingCode {
                        path: path.clone(),
                        hash,
                    })?
            }
            None => Bytes::new(),
        };
        state.insert_account(a.address, a.balance, a.nonce, code, a.storage);
    }
    for (number, hash) in &set.block_hashes {
        state.set_block_hash(*number, *hash);
    }
    Ok(state)
}
