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
//! Calls block the calling thread (ureq; `https://` URLs through rustls with the webpki roots). A failed
//! call is a [`ViewError::Backend`] naming the method, the URL and the reason; the caller's operation fails
//! and nothing is cached.

use alloy_consensus::Header;
use alloy_primitives::map::{AddressMap, B256Map, HashMap};
use alloy_primitives::{Address, Bytes, B256, U256, U64};
use parevm_evm_core::{Bytecode, Code, ViewError};
use parevm_state::{ForkAccount, ForkSource};
use parking_lot::RwLock;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How long one call to the forked node may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

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
    url: String,
    agent: ureq::Agent,
    number: u64,
    ids: AtomicU64,
    accounts: RwLock<AddressMap<ForkAccount>>,
    slots: RwLock<HashMap<(Address, U256), U256>>,
    codes: RwLock<B256Map<Code>>,
    hashes: RwLock<HashMap<u64, B256>>,
    /// Calls made (each batch counts once): what the cache saves is visible in tests.
    calls: AtomicU64,
}

impl std::fmt::Debug for RemoteFork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteFork")
            .field("url", &self.url)
            .field("number", &self.number)
            .finish()
    }
}

impl RemoteFork {
    /// Connects to the node at `url` and reads the block to fork at: `block`, or the node's newest.
    pub fn connect(url: &str, block: Option<u64>) -> Result<ForkStart, ForkError> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(CALL_TIMEOUT))
            .build()
            .into();
        let mut fork = Self {
            url: url.to_owned(),
            agent,
            number: 0,
            ids: AtomicU64::new(1),
            accounts: RwLock::default(),
            slots: RwLock::default(),
            codes: RwLock::default(),
            hashes: RwLock::default(),
            calls: AtomicU64::new(0),
        };
        let start = |method: &str, reason: String| ForkError::Call {
            url: url.to_owned(),
            method: method.to_owned(),
            reason,
        };
        let chain_id: U64 = fork
            .parse(fork.call("eth_chainId", json!([])))
            .map_err(|e| start("eth_chainId", e))?;
        let head: U64 = fork
            .parse(fork.call("eth_blockNumber", json!([])))
            .map_err(|e| start("eth_blockNumber", e))?;
        let head = head.to::<u64>();
        let number = block.unwrap_or(head);
        let answer = fork
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

    /// The node's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The fork block's number.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// Sends one call to the forked node as it came (`eth_getBlockByNumber` below the fork block, ...); its
    /// result, or why there is none.
    pub fn forward(&self, method: &str, params: &[Value]) -> Result<Value, String> {
        self.call(method, Value::Array(params.to_vec()))
    }

    /// Calls (and batches) sent to the node so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// The fork block as a JSON-RPC block parameter.
    fn at(&self) -> Value {
        json!(U64::from(self.number))
    }

    /// One JSON-RPC call; its `result`, or why there is none.
    fn call(&self, method: &str, params: Value) -> Result<Value, String> {
        let id = self.ids.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let answer = self.post(&body)?;
        result_of(answer)
    }

    /// Several calls in one JSON-RPC batch; their results in order.
    fn batch(&self, calls: &[(&str, Value)]) -> Result<Vec<Value>, String> {
        let first = self.ids.fetch_add(calls.len() as u64, Ordering::Relaxed);
        let body: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(i, (method, params))| {
                json!({"jsonrpc": "2.0", "id": first + i as u64, "method": method, "params": params})
            })
            .collect();
        let answer = self.post(&Value::Array(body))?;
        let Value::Array(answers) = answer else {
            // A node that refuses batches answers one error object.
            return Err(format!(
                "a batch of {} calls: {}",
                calls.len(),
                result_of(answer).err().unwrap_or_default()
            ));
        };
        let mut by_id: HashMap<u64, Value> = HashMap::default();
        for a in answers {
            let id = a.get("id").and_then(Value::as_u64).unwrap_or(u64::MAX);
            by_id.insert(id, a);
        }
        (0..calls.len() as u64)
            .map(|i| {
                let a = by_id
                    .remove(&(first + i))
                    .ok_or_else(|| format!("no answer to call {} of the batch", i + 1))?;
                result_of(a)
            })
            .collect()
    }

    fn post(&self, body: &Value) -> Result<Value, String> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let mut answer = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .map_err(|e| e.to_string())?;
        let status = answer.status().as_u16();
        let text = answer
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_string()
            .map_err(|e| e.to_string())?;
        if status != 200 {
            let head: String = text.chars().take(200).collect();
            return Err(format!("HTTP {status}: {head}"));
        }
        serde_json::from_str(&text).map_err(|e| format!("not JSON ({e})"))
    }

    fn parse<T: serde::de::DeserializeOwned>(&self, v: Result<Value, String>) -> Result<T, String> {
        let v = v?;
        serde_json::from_value(v.clone()).map_err(|e| format!("unexpected answer {v}: {e}"))
    }

    /// A failed read as the state reports it.
    fn failed(&self, method: &str, reason: String) -> ViewError {
        ViewError::Backend(format!("fork {}: {method}: {reason}", self.url))
    }
}

/// The `result` of one JSON-RPC answer, or its error.
fn result_of(mut answer: Value) -> Result<Value, String> {
    if let Some(e) = answer.get("error") {
        return Err(format!("error {e}"));
    }
    match answer.get_mut("result") {
        Some(r) => Ok(r.take()),
        None => Err(format!("an answer without result: {answer}")),
    }
}

impl ForkSource for RemoteFork {
    fn account(&self, address: Address) -> Result<ForkAccount, ViewError> {
        if let Some(a) = self.accounts.read().get(&address) {
            return Ok(a.clone());
        }
        let at = self.at();
        let answers = self
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
            .parse(self.call("eth_getStorageAt", json!([address, slot, self.at()])))
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
