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

/// How the devnet talks to the forked node (anvil's `--fork-header`, `--timeout`, `--retries`,
/// `--fork-retry-backoff`).
#[derive(Clone, Debug)]
pub struct ForkClient {
    /// Headers sent with every call (`Authorization: Bearer ...` for a provider that wants one).
    pub headers: Vec<(String, String)>,
    /// How long one call may take.
    pub timeout: Duration,
    /// Tries after the first when the node cannot be reached, or answers 429 (rate limited) or a 5xx.
    pub retries: u32,
    /// The wait before the first retry; it doubles with each.
    pub backoff: Duration,
}

impl Default for ForkClient {
    /// anvil's defaults: 45 s a call, 5 retries, 1 s before the first.
    fn default() -> Self {
        Self {
            headers: Vec::new(),
            timeout: Duration::from_secs(45),
            retries: 5,
            backoff: Duration::from_secs(1),
        }
    }
}

impl ForkClient {
    /// Parses one `--fork-header` value, `Name: value`.
    pub fn parse_header(text: &str) -> Result<(String, String), String> {
        match text.split_once(':') {
            Some((name, value)) if !name.trim().is_empty() => {
                Ok((name.trim().to_owned(), value.trim().to_owned()))
            }
            _ => Err(format!(
                "{text:?} is not a header (expected \"Name: value\")"
            )),
        }
    }
}

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
    client: ForkClient,
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

    /// A client of the node at `url`, before it has read anything.
    fn client(url: &str, client: ForkClient) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(client.timeout))
            .build()
            .into();
        Self {
            url: url.to_owned(),
            agent,
            client,
            number: 0,
            ids: AtomicU64::new(1),
            accounts: RwLock::default(),
            slots: RwLock::default(),
            codes: RwLock::default(),
            hashes: RwLock::default(),
            calls: AtomicU64::new(0),
        }
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

    /// POSTs `body`, again after a wait where the node could not be reached or was busy (429, 5xx); the
    /// last reason when every try failed.
    fn post(&self, body: &Value) -> Result<Value, String> {
        let body = body.to_string();
        let mut wait = self.client.backoff;
        let mut tries = 0;
        loop {
            tries += 1;
            match self.post_once(&body) {
                Ok(answer) => return Ok(answer),
                Err((why, transient)) if transient && tries <= self.client.retries => {
                    tracing::warn!(url = %self.url, %why, "fork call failed, retrying");
                    std::thread::sleep(wait);
                    wait = wait.saturating_mul(2);
                }
                Err((why, _)) if tries > 1 => return Err(format!("{why} (after {tries} tries)")),
                Err((why, _)) => return Err(why),
            }
        }
    }

    /// One POST; on failure, why and whether another try may do better.
    fn post_once(&self, body: &str) -> Result<Value, (String, bool)> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let mut request = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json");
        for (name, value) in &self.client.headers {
            request = request.header(name, value);
        }
        let failed = |e: ureq::Error| {
            let transient = transient(&e);
            (e.to_string(), transient)
        };
        let mut answer = request.send(body).map_err(failed)?;
        let status = answer.status().as_u16();
        let text = answer
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_string()
            .map_err(failed)?;
        if status != 200 {
            let head: String = text.chars().take(200).collect();
            return Err((
                format!("HTTP {status}: {head}"),
                status == 429 || status >= 500,
            ));
        }
        serde_json::from_str(&text).map_err(|e| (format!("not JSON ({e})"), false))
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

/// A failure another try may not meet: a timeout, or a connection the node dropped (not one it refused, nor
/// a name that does not resolve).
fn transient(e: &ureq::Error) -> bool {
    use std::io::ErrorKind::*;
    match e {
        ureq::Error::Timeout(_) | ureq::Error::BodyStalled => true,
        ureq::Error::Io(io) => matches!(
            io.kind(),
            ConnectionReset
                | ConnectionAborted
                | BrokenPipe
                | UnexpectedEof
                | TimedOut
                | Interrupted
        ),
        _ => false,
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;

    /// A server answering one request per connection with `answers` (status, body) in turn; returns its
    /// URL and, once it is done, the header lines of each request.
    fn scripted(
        answers: Vec<(u16, &'static str)>,
    ) -> (String, std::thread::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for (status, body) in answers {
                let (stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let (mut head, mut length) = (String::new(), 0usize);
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line.trim().is_empty() {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                    head.push_str(&line);
                }
                let mut request = vec![0; length];
                reader.read_exact(&mut request).unwrap();
                seen.push(head);
                let mut stream = stream;
                write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{body}",
                    body.len()
                )
                .unwrap();
            }
            seen
        });
        (url, server)
    }

    fn client(retries: u32) -> ForkClient {
        ForkClient {
            headers: vec![("Authorization".into(), "Bearer t0ken".into())],
            timeout: Duration::from_secs(10),
            retries,
            backoff: Duration::from_millis(1),
        }
    }

    const OK: &str = r#"{"jsonrpc":"2.0","id":1,"result":"0x2a"}"#;

    #[test]
    fn a_busy_node_is_asked_again_with_the_headers_each_time() {
        let (url, server) = scripted(vec![(503, "busy"), (429, "slow down"), (200, OK)]);
        let fork = RemoteFork::client(&url, client(2));
        assert_eq!(fork.call("eth_chainId", json!([])).unwrap(), json!("0x2a"));
        let seen = server.join().unwrap();
        assert_eq!(seen.len(), 3);
        for head in &seen {
            assert!(head.contains("Bearer t0ken"), "{head}");
        }
    }

    #[test]
    fn the_last_failure_is_reported_after_the_retries() {
        let (url, server) = scripted(vec![(503, "busy"), (503, "still busy")]);
        let fork = RemoteFork::client(&url, client(1));
        let e = fork.call("eth_chainId", json!([])).unwrap_err();
        assert!(
            e.contains("HTTP 503: still busy") && e.contains("after 2 tries"),
            "{e}"
        );
        assert_eq!(server.join().unwrap().len(), 2);
    }

    #[test]
    fn a_refusal_is_not_retried() {
        let (url, server) = scripted(vec![(400, "bad request")]);
        let fork = RemoteFork::client(&url, client(5));
        let e = fork.call("eth_chainId", json!([])).unwrap_err();
        assert_eq!(e, "HTTP 400: bad request");
        assert_eq!(server.join().unwrap().len(), 1);
        let e = RemoteFork::client("http://127.0.0.1:1", client(5))
            .call("eth_chainId", json!([]))
            .unwrap_err();
        assert!(
            !e.contains("tries"),
            "a refused connection is not retried: {e}"
        );
    }

    #[test]
    fn headers_parse_as_name_and_value() {
        assert_eq!(
            ForkClient::parse_header("Authorization: Bearer x:y").unwrap(),
            ("Authorization".to_owned(), "Bearer x:y".to_owned())
        );
        assert!(ForkClient::parse_header("no colon").is_err());
        assert!(ForkClient::parse_header(": empty name").is_err());
    }
}
