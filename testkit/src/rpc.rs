//! A JSON-RPC endpoint over [`crate::http::post`]: calls answered with their `result` or their `error`
//! object, and, for the Engine API, a fresh HS256 token per call (`iat` = now).

use crate::http::post;
use serde_json::{json, Value};

/// One JSON-RPC endpoint.
#[derive(Debug, Clone)]
pub struct Rpc {
    /// `host:port`.
    pub addr: String,
    /// The Engine API's JWT secret, when calls need a token.
    secret: Option<Vec<u8>>,
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
    pub fn with_jwt(addr: impl Into<String>, secret: impl Into<Vec<u8>>) -> Self {
        Self {
            addr: addr.into(),
            secret: Some(secret.into()),
        }
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The whole JSON-RPC answer to `method(params)` (`result` or `error`); `Err` when there is no JSON
    /// answer with HTTP 200.
    pub fn answer(&self, method: &str, params: Value) -> Result<Value, String> {
        let body =
            json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
        let auth = self
            .secret
            .as_deref()
            .map(|s| format!("Bearer {}", hs256_token(s)));
        let a = post(&self.addr, &body, auth.as_deref()).map_err(|e| format!("{method}: {e}"))?;
        if a.status != 200 {
            return Err(format!(
                "{method}: {}: HTTP {}: {}",
                self.addr, a.status, a.body
            ));
        }
        serde_json::from_str(&a.body)
            .map_err(|e| format!("{method}: answer is not JSON ({e}): {}", a.body))
    }

    /// Calls `method`; `Ok(result)`, or `Err` with the error object or the transport failure.
    pub fn try_call(&self, method: &str, params: Value) -> Result<Value, String> {
        let v = self.answer(method, params)?;
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
}

/// An Engine API token signed with `secret` (HS256, `iat` = now, no `exp`).
pub fn hs256_token(secret: &[u8]) -> String {
    let iat = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({ "iat": iat }),
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .expect("an HS256 token always encodes")
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
