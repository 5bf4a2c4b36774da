//! `parevm dev --fork-url URL`: another chain's state at one block, read over JSON-RPC when the devnet's own
//! state does not hold an account or slot, and cached for good (the block never changes).
//!
//! ```text
//! start:   eth_chainId, eth_blockNumber (or --fork-block-number), eth_getBlockByNumber -> the first block
//! reads:   InMemoryState miss -> RemoteFork::account  -> one batch: eth_getBalance, eth_getTransactionCount,
//!                                                        eth_getCode at the fork block -> cache
//!                             -> RemoteFork::storage  -> eth_getStorageAt -> cache
//!          BLOCKHASH at or below the fork block       -> eth_getBlockByNumber -> cache
//! ```
//! Calls block the calling thread (`client.rs`). A failed call is a [`ViewError::Backend`] naming the
//! method, the URL and the reason; the caller's operation fails and nothing is cached.

mod client;

pub use client::{ForkClient, JsonRpc};

use alloy_consensus::Header;
use alloy_primitives::map::{AddressMap, B256Map, HashMap};
use alloy_primitives::{Address, Bytes, B256, U256, U64};
use parevm_evm_core::{Bytecode, Code, ViewError};
use parevm_state::{ForkAccount, ForkSource};
use parking_lot::RwLock;
use serde_json::{json, Value};
use std::sync::Arc;

/// Why the fork could not start.
#[derive(Debug, thiserror::Error)]
pub enum ForkError {
    /// A call to the forked node failed.
    #[error("fork {url}: {method}: {reason}")]
    Call {
        /// The node.
        url: String,
        /// The JSON-RPC method.
        method: String,
        /// What went wrong.
        reason: String,
    },
    /// The node has no such block.
    #[error("fork {url}: no block {number} (its head is {head})")]
    NoBlock {
        /// The node.
        url: String,
        /// The block asked for.
        number: u64,
        /// The node's newest block.
        head: u64,
    },
}

/// Where the devnet's chain starts when it forks another: the state source and the block it forks at.
#[derive(Debug)]
pub struct ForkStart {
    /// The forked chain's state at `header`.
    pub source: Arc<RemoteFork>,
    /// The block forked at, as the forked chain has it (its hash is the first local block's parent hash).
    pub header: Header,
    /// The forked chain's id.
    pub chain_id: u64,
}

impl ForkStart {
    /// The base fee the block after the fork block gets under EIP-1559 (`None` before London).
    pub fn next_base_fee(&self) -> Option<u64> {
        let h = &self.header;
        h.base_fee_per_gas
            .map(|fee| parevm_block::header::next_base_fee(h.gas_used, h.gas_limit, fee))
    }
}

/// Another chain's state at one block, over JSON-RPC.
pub struct RemoteFork {
    rpc: JsonRpc,
    number: u64,
    accounts: RwLock<AddressMap<ForkAccount>>,
    slots: RwLock<HashMap<(Address, U256), U256>>,
    codes: RwLock<B256Map<Code>>,
    hashes: RwLock<HashMap<u64, B256>>,
}

impl std::fmt::Debug for RemoteFork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteFork")
            .field("url", &self.rpc.url())
            .field("number", &self.number)
            .finish()
    }
}

impl RemoteFork {
    /// Connects to the node at `url` and reads the block to fork at: `block`, or the node's newest.
    pub fn connect(url: &str, block: Option<u64>) -> Result<ForkStart, ForkError> {
        Self::connect_with(url, block, ForkClient::default())
    }

    /// [`RemoteFork::connect`] with the client's headers, timeout and retries.
    pub fn connect_with(
        url: &str,
        block: Option<u64>,
        client: ForkClient,
    ) -> Result<ForkStart, ForkError> {
        let mut fork = Self::client(url, client);
        let start = |method: &str, reason: String| ForkError::Call {
            url: url.to_owned(),
            method: method.to_owned(),
            reason,
        };
        let chain_id: U64 = fork
            .parse(fork.rpc.call("eth_chainId", json!([])))
            .map_err(|e| start("eth_chainId", e))?;
        let head: U64 = fork
            .parse(fork.rpc.call("eth_blockNumber", json!([])))
            .map_err(|e| start("eth_blockNumber", e))?;
        let head = head.to::<u64>();
        let number = block.unwrap_or(head);
        let answer = fork
            .rpc
            .call("eth_getBlockByNumber", json!([U64::from(number), false]))
            .map_err(|e| start("eth_getBlockByNumber", e))?;
        if answer.is_null() {
            return Err(ForkError::NoBlock {
                url: url.to_owned(),
                number,
                head,
            });
        }
        let block: alloy_rpc_types_eth::Block = serde_json::from_value(answer)
            .map_err(|e| start("eth_getBlockByNumber", format!("not a block: {e}")))?;
        let header = block.header.inner;
        if header.hash_slow() != block.header.hash {
            return Err(start(
                "eth_getBlockByNumber",
                format!(
                    "block {number}'s header fields hash to {}, not to its hash {} (a header with fields \
                     this client does not know)",
                    header.hash_slow(),
                    block.header.hash
                ),
            ));
        }
        fork.number = number;
        fork.hashes.write().insert(number, block.header.hash);
        Ok(ForkStart {
            source: Arc::new(fork),
            header,
            chain_id: chain_id.to::<u64>(),
        })
    }

    /// A client of the node at `url`, before it has read anything.
    fn client(url: &str, client: ForkClient) -> Self {
        Self {
            rpc: JsonRpc::new(url, client),
            number: 0,
            accounts: RwLock::default(),
            slots: RwLock::default(),
            codes: RwLock::default(),
            hashes: RwLock::default(),
        }
    }

    /// The node's URL.
    pub fn url(&self) -> &str {
        self.rpc.url()
    }

    /// The fork block's number.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// Sends one call to the forked node as it came (`eth_getBlockByNumber` below the fork block, ...); its
    /// result, or why there is none.
    pub fn forward(&self, method: &str, params: &[Value]) -> Result<Value, String> {
        self.rpc.call(method, Value::Array(params.to_vec()))
    }

    /// Calls (and batches) sent to the node so far.
    pub fn calls(&self) -> u64 {
        self.rpc.calls()
    }

    /// The fork block as a JSON-RPC block parameter.
    fn at(&self) -> Value {
        json!(U64::from(self.number))
    }

    fn parse<T: serde::de::DeserializeOwned>(&self, v: Result<Value, String>) -> Result<T, String> {
        let v = v?;
        serde_json::from_value(v.clone()).map_err(|e| format!("unexpected answer {v}: {e}"))
    }

    /// A failed read as the state reports it.
    fn failed(&self, method: &str, reason: String) -> ViewError {
        ViewError::Backend(format!("fork {}: {method}: {reason}", self.url()))
    }
}

impl ForkSource for RemoteFork {
    fn account(&self, address: Address) -> Result<ForkAccount, ViewError> {
        if let Some(a) = self.accounts.read().get(&address) {
            return Ok(a.clone());
        }
        let at = self.at();
        let answers = self
            .rpc
            .batch(&[
                ("eth_getBalance", json!([address, at])),
                ("eth_getTransactionCount", json!([address, at])),
                ("eth_getCode", json!([address, at])),
            ])
            .map_err(|e| self.failed("eth_getBalance/eth_getTransactionCount/eth_getCode", e))?;
        let [balance, nonce, code] = <[Value; 3]>::try_from(answers)
            .map_err(|_| self.failed("batch", "not three answers".into()))?;
        let balance: U256 = self
            .parse(Ok(balance))
            .map_err(|e| self.failed("eth_getBalance", e))?;
        let nonce: U64 = self
            .parse(Ok(nonce))
            .map_err(|e| self.failed("eth_getTransactionCount", e))?;
        let code: Bytes = self
            .parse(Ok(code))
            .map_err(|e| self.failed("eth_getCode", e))?;
        let code = if code.is_empty() {
            Bytecode::empty()
        } else {
            let code: Code = Arc::new(Bytecode::new(code));
            self.codes
                .write()
                .entry(code.hash())
                .or_insert_with(|| code.clone())
                .clone()
        };
        let account = ForkAccount {
            balance,
            nonce: nonce.to::<u64>(),
            code,
        };
        self.accounts.write().insert(address, account.clone());
        Ok(account)
    }

    fn storage(&self, address: Address, slot: U256) -> Result<U256, ViewError> {
        if let Some(v) = self.slots.read().get(&(address, slot)) {
            return Ok(*v);
        }
        let v: U256 = self
            .parse(
                self.rpc
                    .call("eth_getStorageAt", json!([address, slot, self.at()])),
            )
            .map_err(|e| self.failed("eth_getStorageAt", e))?;
        self.slots.write().insert((address, slot), v);
        Ok(v)
    }

    fn code(&self, hash: B256) -> Option<Code> {
        self.codes.read().get(&hash).cloned()
    }

    fn block_hash(&self, number: u64) -> Result<B256, ViewError> {
        if let Some(h) = self.hashes.read().get(&number) {
            return Ok(*h);
        }
        let block = self
            .rpc
            .call("eth_getBlockByNumber", json!([U64::from(number), false]))
            .map_err(|e| self.failed("eth_getBlockByNumber", e))?;
        let hash: B256 = self
            .parse(Ok(block.get("hash").cloned().unwrap_or(Value::Null)))
            .map_err(|e| self.failed("eth_getBlockByNumber", format!("block {number}: {e}")))?;
        self.hashes.write().insert(number, hash);
        Ok(hash)
    }

    fn block_number(&self) -> u64 {
        self.number
    }
}
