//! The forked node's JSON-RPC over HTTP (ureq; `https://` through rustls with the webpki roots): single
//! calls and batches, the headers every call carries, a timeout per call, and retries with doubling waits
//! where another try may get past the failure (a timeout, a dropped connection, 429, 5xx). Used by
//! [`RemoteFork`](super::RemoteFork), which reads the fork's state through it.

use alloy_primitives::map::HashMap;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How the devnet talks to the forked node (anvil's `--fork-header`, `--timeout`, `--retries`,
/// `--fork-retry-backoff`).
#[derive(Clone, Debug)]
pub struct ForkClient {
    /// Headers sent with every call (`Authorization: Bearer ...` for a provider that wants one).
    pub headers: Vec<(String, String)>,
    /// How long one call may take.
    pub timeout: Duration,
    /// Tries after the first when a call times out, the node drops the connection, or answers 429 (rate
    /// limited) or a 5xx.
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

/// A JSON-RPC client of one node.
pub struct JsonRpc {
    url: String,
    agent: ureq::Agent,
    client: ForkClient,
    ids: AtomicU64,
    /// Requests sent (a batch once, each retry again): what a cache saves is visible in tests.
    calls: AtomicU64,
}

impl JsonRpc {
    /// A client of the node at `url`.
    pub fn new(url: &str, client: ForkClient) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(client.timeout))
            .build()
            .into();
        Self {
            url: url.to_owned(),
            agent,
            client,
            ids: AtomicU64::new(1),
            calls: AtomicU64::new(0),
        }
    }

    /// The node's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Requests sent so far (a batch once, each retry again).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// One JSON-RPC call; its `result`, or why there is none.
    pub fn call(&self, method: &str, params: Value) -> Result<Value, String> {
        let id = self.ids.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let answer = self.post(&body)?;
        result_of(answer)
    }

    /// Several calls in one JSON-RPC batch (one by one where the node refuses batches); their results in
    /// order.
    pub fn batch(&self, calls: &[(&str, Value)]) -> Result<Vec<Value>, String> {
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
            // A node that refuses batches answers one error object: the calls one by one then.
            tracing::debug!(url = %self.url, %answer, "batch refused, calling one by one");
            return calls
                .iter()
                .map(|(method, params)| self.call(method, params.clone()))
                .collect();
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
}

/// A failure another try may get past: a timeout, or a connection the node dropped (not one it refused, nor
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
        let fork = JsonRpc::new(&url, client(2));
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
        let fork = JsonRpc::new(&url, client(1));
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
        let fork = JsonRpc::new(&url, client(5));
        let e = fork.call("eth_chainId", json!([])).unwrap_err();
        assert_eq!(e, "HTTP 400: bad request");
        assert_eq!(server.join().unwrap().len(), 1);
        let e = JsonRpc::new("http://127.0.0.1:1", client(5))
            .call("eth_chainId", json!([]))
            .unwrap_err();
        assert!(
            !e.contains("tries"),
            "a refused connection is not retried: {e}"
        );
    }

    #[test]
    fn a_refused_batch_is_sent_call_by_call() {
        let refused =
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"no batches"}}"#;
        let (url, server) = scripted(vec![(200, refused), (200, OK), (200, OK)]);
        let rpc = JsonRpc::new(&url, client(0));
        let calls = [("eth_chainId", json!([])), ("eth_chainId", json!([]))];
        assert_eq!(rpc.batch(&calls).unwrap(), vec![json!("0x2a"); 2]);
        assert_eq!(server.join().unwrap().len(), 3);
        assert_eq!(rpc.calls(), 3);
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
