//! What a chain is configured with: chain id, fork, gas limit, initial base fee, fee recipient, how the pool
//! orders candidates, and how many threads build a block.

use alloy_primitives::Address;
use parevm_evm_core::SpecId;

/// How the pool orders candidates across senders (each sender's transactions stay in nonce order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TxOrder {
    /// Highest effective tip first; arrival order breaks ties (anvil's default).
    #[default]
    Fees,
    /// Arrival order.
    Fifo,
}

impl std::str::FromStr for TxOrder {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "fees" => Ok(TxOrder::Fees),
            "fifo" => Ok(TxOrder::Fifo),
            other => Err(format!("unknown order {other:?} (fees or fifo)")),
        }
    }
}

impl std::fmt::Display for TxOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TxOrder::Fees => "fees",
            TxOrder::Fifo => "fifo",
        })
    }
}

/// Configuration of one chain.
#[derive(Clone, Debug)]
pub struct ChainConfig {
    /// Chain id transactions must carry (EIP-155).
    pub chain_id: u64,
    /// Fork in force for every block.
    pub spec: SpecId,
    /// Gas limit of new blocks.
    pub gas_limit: u64,
    /// Base fee of the first block after genesis (EIP-1559 adjusts it from there).
    pub base_fee: u64,
    /// Fee recipient of new blocks.
    pub coinbase: Address,
    /// Candidate order across senders.
    pub order: TxOrder,
    /// Worker threads for block building (1 = the sequential builder).
    pub threads: usize,
    /// How many recent blocks keep the reverse diffs that answer state queries at older blocks.
    pub history: usize,
    /// Enforce the EIP-7825 transaction gas cap (2^24) from Osaka on. Off by default, as in anvil
    /// (`--enable-tx-gas-limit` turns it on): a transaction may then use up to the block's gas limit.
    pub enforce_tx_gas_cap: bool,
    /// EIP-170 code size limit in bytes (anvil's `--code-size-limit`; init code may be twice it); `None`:
    /// the fork's limit. `Some(usize::MAX)` disables it (`--disable-code-size-limit`).
    pub code_size_limit: Option<usize>,
    /// Number of the genesis block (a genesis file's `number`, anvil's `--init`); 0 by default.
    pub genesis_number: u64,
}

impl Default for ChainConfig {
    fn default() -> Self {
        Self {
            chain_id: 31337,
            spec: SpecId::OSAKA,
            gas_limit: 30_000_000,
            base_fee: 1_000_000_000,
            coinbase: Address::ZERO,
            order: TxOrder::Fees,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            history: 8192,
            enforce_tx_gas_cap: false,
            code_size_limit: None,
            genesis_number: 0,
        }
    }
}
