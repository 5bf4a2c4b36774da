//! Engine API authentication (execution-apis `src/engine/authentication.md`): every HTTP request to the
//! auth port carries `Authorization: Bearer <JWT>`, HS256 over a 32-byte secret shared with the rollup
//! node, with an `iat` claim within ±60 s of now. Anything else is answered HTTP 401 before JSON-RPC sees
//! it. The token check itself is alloy's `JwtSecret::validate` (jsonwebtoken underneath): no crypto here.
//!
//! ```text
//! HTTP request -> JwtAuth::validate (header present? "Bearer "? JwtSecret::validate) -> jsonrpsee
//!                                    \-- 401 with a one-line reason
//! ```

use crate::error::NodeError;
use alloy_rpc_types_engine::JwtSecret;
use http::{Request, Response, StatusCode};
use jsonrpsee::server::HttpBody;
use std::path::Path;
use tower_http::validate_request::ValidateRequest;

/// Reads the hex secret at `path`, or, when `path` is `None`, reads `default` if it exists and otherwise
/// writes a fresh random secret there (as op-reth does with `jwt.hex` in its datadir).
pub fn load_or_create(path: Option<&Path>, default: &Path) -> Result<JwtSecret, NodeError> {
    let err = |p: &Path, e: String| NodeError::JwtSecret {
        path: p.display().to_string(),
        reason: e,
    };
    match path {
        Some(p) => JwtSecret::from_file(p).map_err(|e| err(p, e.to_string())),
        None if default.exists() => {
            JwtSecret::from_file(default).map_err(|e| err(default, e.to_string()))
        }
        None => JwtSecret::try_create_random(default).map_err(|e| err(default, e.to_string())),
    }
}

/// The request validator: a tower-http `ValidateRequest` over the shared secret.
#[derive(Clone, Copy)]
pub struct JwtAuth {
    secret: JwtSecret,
}

impl std::fmt::Debug for JwtAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtAuth(..)")
    }
}

impl JwtAuth {
    /// A validator for tokens signed with `secret`.
    pub fn new(secret: JwtSecret) -> Self {
        Self { secret }
    }

    /// Checks the value of an `Authorization` header; `Err` says why it is refused.
    pub fn check(&self, header: Option<&str>) -> Result<(), String> {
        let value = header.ok_or("missing Authorization header")?;
        let token = value
            .strip_prefix("Bearer ")
            .ok_or("Authorization is not a Bearer token")?;
        self.secret
            .validate(token.trim())
            .map_err(|e| e.to_string())
    }
}

impl<B> ValidateRequest<B> for JwtAuth {
    type ResponseBody = HttpBody;

    fn validate(&mut self, request: &mut Request<B>) -> Result<(), Response<HttpBody>> {
        let header = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        self.check(header).map_err(|why| {
            tracing::debug!(%why, "engine API request refused");
            let mut res = Response::new(HttpBody::from(format!("{why}\n")));
            *res.status_mut() = StatusCode::UNAUTHORIZED;
            res
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_rpc_types_engine::Claims;
    use std::time::{SystemTime, UNIX_EPOCH};

    fn now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default()
    }

    #[test]
    fn secret_file_is_created_once_and_reread() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("jwt.hex");
        let a = load_or_create(None, &p).unwrap();
        let b = load_or_create(None, &p).unwrap();
        assert_eq!(a, b);
        assert_eq!(std::fs::read_to_string(&p).unwrap().trim().len(), 64);
        std::fs::write(&p, "zz").unwrap();
        assert!(load_or_create(Some(&p), &p).is_err());
    }

    #[test]
    fn header_forms() {
        let secret = JwtSecret::random();
        let auth = JwtAuth::new(secret);
        let tok = secret
            .encode(&Claims {
                iat: now(),
                exp: None,
            })
            .unwrap();
        assert!(auth.check(Some(&format!("Bearer {tok}"))).is_ok());
        assert!(auth.check(None).unwrap_err().contains("missing"));
        assert!(auth.check(Some(&tok)).unwrap_err().contains("Bearer"));
    }
}
