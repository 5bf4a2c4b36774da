//! `parevm optest`: OP-Stack fixtures. Walks paths for kona executor fixtures (a folder with `fixture.json`
//! and `preimages.json`: one OP Sepolia block, rebuilt from its parent header and payload attributes on a
//! witness-backed state, compared by block hash) and Superchain genesis sets (a folder with
//! `expected.json`, `genesis/` and `configs/`: each chain's genesis hash and state root).
//!
//! ```text
//! paths -> find_cases -> OpCase::{Block, GenesisSet}
//!   Block:      fixture.json + preimages.json -> WitnessState -> build_block (sequential / N threads) -> hash
//!   GenesisSet: expected.json -> per chain: genesis file + registry toml -> state root, header hash
//! -> one CaseResult per block or chain
//! ```

pub mod genesis;
pub mod kona;

use parevm_op_stack_adapter::Runner;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why a case could not be run or did not match.
#[derive(Debug, thiserror::Error)]
pub enum OpTestError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file does not parse.
    #[error("{path}: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        reason: String,
    },
    /// A preimage whose key is not the keccak256 of its value.
    #[error("{path}: preimage {key} does not hash to its key")]
    BadPreimage {
        /// The file.
        path: PathBuf,
        /// The key.
        key: alloy_primitives::B256,
    },
    /// The block could not be built.
    #[error("{path}: block {number}: {source}")]
    Block {
        /// The fixture.
        path: PathBuf,
        /// The block number.
        number: u64,
        /// Why.
        source: parevm_op_stack_adapter::OpBlockError,
    },
    /// A genesis file or config could not be read.
    #[error(transparent)]
    Genesis(#[from] parevm_op_stack_adapter::genesis::GenesisError),
}

pub(crate) fn read(path: &Path) -> Result<String, OpTestError> {
    std::fs::read_to_string(path).map_err(|source| OpTestError::Io {
        path: path.to_path_buf(),
        source,
    })
}

pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    path: &Path,
    text: &str,
) -> Result<T, OpTestError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| OpTestError::Parse {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// A runnable unit found under the paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpCase {
    /// A kona executor fixture folder.
    Block(PathBuf),
    /// A Superchain genesis set folder.
    GenesisSet(PathBuf),
}

/// Finds the cases under `paths` (each a case folder or a folder above some), sorted.
pub fn find_cases(paths: &[PathBuf]) -> Vec<OpCase> {
    let mut cases = Vec::new();
    for root in paths {
        for entry in walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_dir())
        {
            let dir = entry.path();
            if dir.join("fixture.json").is_file() && dir.join("preimages.json").is_file() {
                cases.push(OpCase::Block(dir.to_path_buf()));
            } else if dir.join("expected.json").is_file() && dir.join("genesis").is_dir() {
                cases.push(OpCase::GenesisSet(dir.to_path_buf()));
            }
        }
    }
    cases.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    cases.dedup();
    cases
}

/// The result of one block or one genesis chain.
#[derive(Debug)]
pub struct CaseResult {
    /// `block-26207960 (4 threads)`, `genesis mainnet/ink`.
    pub name: String,
    /// Ok with a short summary (the hash), or why it failed.
    pub outcome: Result<String, String>,
}

impl CaseResult {
    /// True when the case passed.
    pub fn passed(&self) -> bool {
        self.outcome.is_ok()
    }

    /// The result as one JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.outcome {
            Ok(s) => serde_json::json!({"name": self.name, "pass": true, "detail": s}),
            Err(e) => serde_json::json!({"name": self.name, "pass": false, "error": e}),
        }
    }
}

impl fmt::Display for CaseResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Ok(s) => write!(f, "PASS {} {s}", self.name),
            Err(e) => write!(f, "FAIL {} {e}", self.name),
        }
    }
}

/// Runs every case under `paths`, calling `sink` with each result as it comes.
pub fn run_cases(
    paths: &[PathBuf],
    runner: Runner,
    sink: &mut dyn FnMut(&CaseResult),
) -> (usize, usize) {
    let (mut passed, mut failed) = (0, 0);
    let mut count = |r: CaseResult, sink: &mut dyn FnMut(&CaseResult)| {
        if r.passed() {
            passed += 1;
        } else {
            failed += 1;
        }
        sink(&r);
    };
    for case in find_cases(paths) {
        match case {
            OpCase::Block(dir) => count(kona::run_fixture(&dir, runner), sink),
            OpCase::GenesisSet(dir) => match genesis::run_set(&dir) {
                Ok(results) => results.into_iter().for_each(|r| count(r, sink)),
                Err(e) => count(
                    CaseResult {
                        name: format!("genesis set {}", dir.display()),
                        outcome: Err(e.to_string()),
                    },
                    sink,
                ),
            },
        }
    }
    (passed, failed)
}
