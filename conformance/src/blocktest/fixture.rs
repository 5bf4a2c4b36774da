//! The filled blockchain-test format (EEST `blockchain_test`): serde types for the fields a runner reads.
//! Every number and hash is a hex string; they are parsed where used, so a bad value is reported with
//! its field name.

use serde::Deserialize;
use std::collections::BTreeMap;

/// One file: test name to test.
pub type TestFile = BTreeMap<String, BlockchainTest>;

/// One blockchain test.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockchainTest {
    /// Fork or transition name (`"Cancun"`, `"CancunToPragueAtTime15k"`).
    pub network: String,
    /// The genesis header's fields; `hash` and `stateRoot` are checked.
    pub genesis_block_header: GenesisHeader,
    /// The genesis block's RLP.
    #[serde(rename = "genesisRLP")]
    pub genesis_rlp: String,
    /// Genesis allocation.
    pub pre: BTreeMap<String, FixtureAccount>,
    /// Expected final allocation.
    pub post_state: Option<BTreeMap<String, FixtureAccount>>,
    /// Expected final state root, when the allocation is not given.
    pub post_state_hash: Option<String>,
    /// Hash of the expected head after all blocks.
    pub lastblockhash: String,
    /// The blocks, in import order.
    pub blocks: Vec<FixtureBlock>,
    /// Chain configuration.
    #[serde(default)]
    pub config: ChainConfig,
}

/// The genesis header fields the runner checks.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenesisHeader {
    /// Block hash.
    pub hash: String,
    /// State root of `pre`.
    pub state_root: String,
}

/// One account of an allocation.
#[derive(Debug, Deserialize)]
pub struct FixtureAccount {
    /// Nonce.
    pub nonce: String,
    /// Balance.
    pub balance: String,
    /// Code.
    pub code: String,
    /// Storage slot to value.
    #[serde(default)]
    pub storage: BTreeMap<String, String>,
}

/// One block to import.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FixtureBlock {
    /// The block's RLP.
    pub rlp: String,
    /// Present when the block must be rejected: the reason(s), `|`-separated.
    pub expect_exception: Option<String>,
    /// Decimal block number as the filler wrote it (informational).
    pub blocknumber: Option<String>,
}

/// `config`: chain id and the blob schedule per fork.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainConfig {
    /// Chain id (hex); 1 when absent.
    pub chainid: Option<String>,
    /// Blob parameters by fork name (`"Cancun"`, `"BPO1"`...).
    #[serde(default)]
    pub blob_schedule: BTreeMap<String, BlobEntry>,
}

/// One fork's blob parameters.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobEntry {
    /// Target blobs per block.
    pub target: String,
    /// Maximum blobs per block.
    pub max: String,
    /// Base fee update fraction.
    pub base_fee_update_fraction: String,
}
