//! Positional JSON-RPC parameters, decoded one by one so a wrong type is answered with -32602 and serde's
//! own description of what was expected where (anvil's wording), never a panic.

use crate::error::{RpcError, RpcResult};
use jsonrpsee::types::Params;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The parameters of one call.
#[derive(Debug)]
pub struct Args(Vec<Value>);

impl Args {
    /// Reads the parameters: absent or `null` is no parameters; an array is positional; anything else is
    /// refused.
    pub fn new(params: &Params<'_>) -> RpcResult<Self> {
        let Some(raw) = params.as_str() else {
            return Ok(Self(Vec::new()));
        };
        match serde_json::from_str::<Value>(raw) {
            Ok(Value::Array(v)) => Ok(Self(v)),
            Ok(Value::Null) => Ok(Self(Vec::new())),
            Ok(_) => Err(RpcError::InvalidParams(
                "invalid type: map, expected a sequence of parameters".into(),
            )),
            Err(e) => Err(RpcError::InvalidParams(e.to_string())),
        }
    }

    /// The parameters as given (a call forwarded elsewhere as it came).
    pub fn values(&self) -> &[Value] {
        &self.0
    }

    /// Number of parameters given.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True without parameters.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Parameter `i`, which must be present.
    pub fn req<T: DeserializeOwned>(&self, i: usize) -> RpcResult<T> {
        match self.0.get(i) {
            Some(v) => decode(v),
            None => Err(RpcError::InvalidParams(format!(
                "expected params sequence with length {} but got {}",
                i + 1,
                self.0.len()
            ))),
        }
    }

    /// Parameter `i` if present and not `null`.
    pub fn opt<T: DeserializeOwned>(&self, i: usize) -> RpcResult<Option<T>> {
        match self.0.get(i) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => decode(v).map(Some),
        }
    }

    /// Refuses more than `n` parameters.
    pub fn at_most(&self, n: usize) -> RpcResult<()> {
        if self.0.len() > n {
            return Err(RpcError::InvalidParams(format!(
                "too many parameters: expected at most {n}, got {}",
                self.0.len()
            )));
        }
        Ok(())
    }
}

fn decode<T: DeserializeOwned>(v: &Value) -> RpcResult<T> {
    T::deserialize(v).map_err(|e| RpcError::InvalidParams(e.to_string()))
}
