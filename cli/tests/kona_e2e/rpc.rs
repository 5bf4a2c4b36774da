//! A blocking JSON-RPC client over plain HTTP/1.1 (one connection per call), for anvil, the eth port of
//! `parevm node` and, with an HS256 JWT issued per call, its Engine API port.

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One JSON-RPC endpoint.
#[derive(Clone)]
pub struct Rpc {
    /// `host:port`.
    pub addr: String,
    /// The Engine API's JWT secret, when calls need a token.
    secret: Option<[u8; 32]>,
}

impl Rpc {
    /// An endpoint without authentication.
    pub fn new(addr: impl Into<String>) -> Self {
        Self {
            addr: addr.into(),
            secret: None,
        }
    }

    /// An Engine API endpoint: every call carries a fresh token signed with `secret`.
    pub fn with_jwt(addr: impl Into<String>, secret: [u8; 32]) -> Self {
        Self {
            addr: addr.into(),
            secret: Some(secret),
        }
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Calls `method`; `Ok(result)`, or `Err` with the error object or the transport failure.
    pub fn try_call(&self, method: &str, params: Value) -> Result<Value, String> {
        let body =
            json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
        let text = self.post(&body)?;
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{method}: answer is not JSON ({e}): {text}"))?;
        match v.get("error") {
            Some(err) => Err(format!("{method}: {err}")),
            None => Ok(v.get("result").cloned().unwrap_or(Value::Null)),
        }
    }

    /// [`Self::try_call`], panicking on any failure.
    pub fn call(&self, method: &str, params: Value) -> Value {
        self.try_call(method, params)
            .unwrap_or_else(|e| panic!("{} {e}", self.addr))
    }

    /// `eth_blockNumber`, or `None` while the endpoint does not answer.
    pub fn block_number(&self) -> Option<u64> {
        self.try_call("eth_blockNumber", json!([]))
            .ok()
            .as_ref()
            .and_then(quantity)
    }

    fn token(secret: &[u8; 32]) -> String {
        let iat = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs();
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &json!({ "iat": iat }),
            &jsonwebtoken::EncodingKey::from_secret(secret),
        )
        .expect("token encodes")
    }

    fn post(&self, body: &str) -> Result<String, String> {
        let addr = &self.addr;
        let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .map_err(|e| e.to_string())?;
        let auth = self.secret.as_ref().map_or_else(String::new, |s| {
            format!("Authorization: Bearer {}\r\n", Self::token(s))
        });
        let request = format!(
            "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             {auth}Connection: close\r\n\r\n{body}",
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .map_err(|e| format!("write to {addr}: {e}"))?;
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .map_err(|e| format!("read from {addr}: {e}"))?;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, rest) = text
            .split_once("\r\n\r\n")
            .ok_or_else(|| format!("{addr}: no HTTP header end in {text:?}"))?;
        let status = head.split_whitespace().nth(1).unwrap_or_default();
        if status != "200" {
            return Err(format!("{addr}: HTTP {status}: {rest}"));
        }
        if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            return dechunk(rest);
        }
        Ok(rest.to_owned())
    }
}

fn dechunk(mut rest: &str) -> Result<String, String> {
    let mut out = String::new();
    loop {
        let (size, after) = rest
            .split_once("\r\n")
            .ok_or_else(|| "bad chunk".to_owned())?;
        let n = usize::from_str_radix(size.trim(), 16).map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(out);
        }
        out.push_str(after.get(..n).ok_or_else(|| "short chunk".to_owned())?);
        rest = after.get(n + 2..).unwrap_or_default();
    }
}

/// A JSON quantity (`"0x1a"`) as u64.
pub fn quantity(v: &Value) -> Option<u64> {
    u64::from_str_radix(v.as_str()?.strip_prefix("0x")?, 16).ok()
}

/// A JSON quantity as u128 (balances, mints), panicking on anything else.
pub fn quantity_u128(v: &Value) -> u128 {
    v.as_str()
        .and_then(|s| s.strip_prefix("0x"))
        .and_then(|h| u128::from_str_radix(h, 16).ok())
        .unwrap_or_else(|| panic!("not a quantity: {v}"))
}
