//! Superchain Registry genesis: a geth-style genesis file (header fields at the top level, `alloc` keyed by
//! address) and the chain's registry config (`[hardforks]`, `[optimism]`), to the genesis state, state
//! root, header and hash.
//!
//! ```text
//! alloc -> InMemoryState (zero storage values left out) -> state root
//! header: london shape; + withdrawalsRoot (empty trie) if Canyon is active at the genesis timestamp;
//!         + blobGasUsed, excessBlobGas = 0, parentBeaconBlockRoot = 0 if Ecotone;
//!         Isthmus: withdrawalsRoot = L2ToL1MessagePasser's storage root, requestsHash = sha256("")
//! ```
//! The alloc-to-state step ([`GenesisFile::state`]) is chain-neutral and can be shared with an Ethereum
//! genesis loader.

use crate::fork::{Eip1559Params, ForkTimes, OpChainConfig, OpFork};
use crate::predeploys::L2_TO_L1_MESSAGE_PASSER;
use crate::state::OpState;
use alloy_consensus::{Header, EMPTY_OMMER_ROOT_HASH};
use alloy_eips::eip7685::EMPTY_REQUESTS_HASH;
use alloy_primitives::{Address, Bloom, Bytes, B256, B64, U256};
use alloy_trie::EMPTY_ROOT_HASH;
use parevm_state::InMemoryState;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why a genesis or chain config could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file does not parse.
    #[error("{path}: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said (with the line and column).
        reason: String,
    },
}

/// A hex quantity (`"0x1c9c380"`) as u64.
fn quantity<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let s = String::deserialize(d)?;
    let digits = s.strip_prefix("0x").unwrap_or(&s);
    if digits.is_empty() {
        return Ok(0);
    }
    u64::from_str_radix(digits, 16).map_err(serde::de::Error::custom)
}

fn opt_quantity<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    s.map(|s| {
        let digits = s.strip_prefix("0x").unwrap_or(&s).to_string();
        if digits.is_empty() {
            return Ok(0);
        }
        u64::from_str_radix(&digits, 16).map_err(serde::de::Error::custom)
    })
    .transpose()
}

/// One genesis account.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct GenesisAccount {
    /// Balance.
    #[serde(default)]
    pub balance: U256,
    /// Nonce (absent in older files).
    #[serde(default, deserialize_with = "opt_quantity")]
    pub nonce: Option<u64>,
    /// Code.
    #[serde(default)]
    pub code: Option<Bytes>,
    /// Storage (zero values are listed in some files and left out of the trie).
    #[serde(default)]
    pub storage: BTreeMap<U256, U256>,
}

/// A geth-style genesis file.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenesisFile {
    /// Header nonce.
    #[serde(deserialize_with = "quantity")]
    pub nonce: u64,
    /// Genesis timestamp.
    #[serde(deserialize_with = "quantity")]
    pub timestamp: u64,
    /// Extra data, as given.
    #[serde(default)]
    pub extra_data: Bytes,
    /// Gas limit.
    #[serde(deserialize_with = "quantity")]
    pub gas_limit: u64,
    /// Difficulty.
    #[serde(default)]
    pub difficulty: U256,
    /// Mix hash.
    #[serde(default)]
    pub mix_hash: B256,
    /// Coinbase.
    #[serde(default)]
    pub coinbase: Address,
    /// Block number (0 unless a chain started later).
    #[serde(default, deserialize_with = "opt_quantity")]
    pub number: Option<u64>,
    /// Gas used.
    #[serde(default, deserialize_with = "opt_quantity")]
    pub gas_used: Option<u64>,
    /// Parent hash.
    #[serde(default)]
    pub parent_hash: Option<B256>,
    /// Base fee.
    #[serde(default, deserialize_with = "opt_quantity")]
    pub base_fee_per_gas: Option<u64>,
    /// Accounts.
    pub alloc: BTreeMap<Address, GenesisAccount>,
}

fn read(path: &Path) -> Result<String, GenesisError> {
    std::fs::read_to_string(path).map_err(|source| GenesisError::Io {
        path: path.to_path_buf(),
        source,
    })
}

impl GenesisFile {
    /// Reads a genesis file.
    pub fn load(path: &Path) -> Result<Self, GenesisError> {
        let text = read(path)?;
        serde_json::from_str(&text).map_err(|e| GenesisError::Parse {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// The genesis state (zero storage values left out).
    pub fn state(&self) -> InMemoryState {
        let mut state = InMemoryState::new();
        for (address, acc) in &self.alloc {
            state.insert_account(
                *address,
                acc.balance,
                acc.nonce.unwrap_or(0),
                acc.code.clone().unwrap_or_default(),
                acc.storage.iter().map(|(k, v)| (*k, *v)),
            );
        }
        state
    }

    /// The genesis header over `state` (this file's alloc) under `forks`.
    pub fn header(&self, forks: &ForkTimes, state: &mut InMemoryState) -> Header {
        let t = self.timestamp;
        let canyon = forks.is_active(OpFork::Canyon, t);
        let ecotone = forks.is_active(OpFork::Ecotone, t);
        let isthmus = forks.is_active(OpFork::Isthmus, t);
        let withdrawals_root = if isthmus {
            state.storage_root_of(L2_TO_L1_MESSAGE_PASSER).ok()
        } else {
            canyon.then_some(EMPTY_ROOT_HASH)
        };
        Header {
            parent_hash: self.parent_hash.unwrap_or_default(),
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: self.coinbase,
            state_root: state.state_root(),
            transactions_root: EMPTY_ROOT_HASH,
            receipts_root: EMPTY_ROOT_HASH,
            logs_bloom: Bloom::ZERO,
            difficulty: self.difficulty,
            number: self.number.unwrap_or(0),
            gas_limit: self.gas_limit,
            gas_used: self.gas_used.unwrap_or(0),
            timestamp: t,
            extra_data: self.extra_data.clone(),
            mix_hash: self.mix_hash,
            nonce: B64::from(self.nonce),
            base_fee_per_gas: self.base_fee_per_gas,
            withdrawals_root,
            blob_gas_used: ecotone.then_some(0),
            excess_blob_gas: ecotone.then_some(0),
            parent_beacon_block_root: ecotone.then_some(B256::ZERO),
            requests_hash: isthmus.then_some(EMPTY_REQUESTS_HASH),
            ..Default::default()
        }
    }
}

/// The parts of a registry chain config (`superchain/configs/<network>/<chain>.toml`) execution needs.
#[derive(Clone, Debug, Deserialize)]
pub struct RegistryConfig {
    /// Chain name.
    #[serde(default)]
    pub name: String,
    /// L2 chain id.
    pub chain_id: u64,
    /// Fork times.
    #[serde(default)]
    pub hardforks: ForkTimes,
    /// EIP-1559 constants.
    #[serde(default)]
    pub optimism: Eip1559Params,
}

impl RegistryConfig {
    /// Reads a registry chain config.
    pub fn load(path: &Path) -> Result<Self, GenesisError> {
        let text = read(path)?;
        toml::from_str(&text).map_err(|e| GenesisError::Parse {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// The chain config for block execution.
    pub fn chain(&self) -> OpChainConfig {
        OpChainConfig {
            chain_id: self.chain_id,
            forks: self.hardforks,
            eip1559: self.optimism,
        }
    }
}

/// A computed genesis.
#[derive(Clone, Debug)]
pub struct OpGenesis {
    /// The genesis header.
    pub header: Header,
    /// Its hash.
    pub hash: B256,
    /// The genesis state.
    pub state: InMemoryState,
}

/// Computes the genesis of a chain from its genesis file and fork times.
pub fn compute(genesis: &GenesisFile, forks: &ForkTimes) -> OpGenesis {
    let mut state = genesis.state();
    let header = genesis.header(forks, &mut state);
    OpGenesis {
        hash: header.hash_slow(),
        header,
        state,
    }
}

/// A Superchain chain ready to run: its config and its computed genesis.
#[derive(Clone, Debug)]
pub struct OpChain {
    /// Chain id, fork times and EIP-1559 constants (from the registry config).
    pub config: OpChainConfig,
    /// The genesis header, hash and state.
    pub genesis: OpGenesis,
}

/// Loads a chain from its Superchain Registry genesis file (`superchain/extra/genesis/<network>/<chain>.json`,
/// decompressed) and its registry config (`superchain/configs/<network>/<chain>.toml`): the entry point
/// for a node starting a registry chain. Compare `genesis.hash` with the registry's `genesis.l2.hash`.
pub fn load_chain(genesis_file: &Path, config_file: &Path) -> Result<OpChain, GenesisError> {
    let registry = RegistryConfig::load(config_file)?;
    let file = GenesisFile::load(genesis_file)?;
    let config = registry.chain();
    Ok(OpChain {
        genesis: compute(&file, &config.forks),
        config,
    })
}
