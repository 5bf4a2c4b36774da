//! One POST over plain HTTP (ureq, no TLS: the tests talk to local servers), a fresh connection per
//! request, answered with its status and body whatever the status (a 401 of the Engine API is an answer,
//! not an error).

use std::time::Duration;

/// How long a request waits for its answer.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a request got no HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// Connecting, sending or reading failed, or the answer is not HTTP.
    #[error("{addr}: {source}")]
    Transport {
        /// `host:port`.
        addr: String,
        /// ureq's error.
        source: ureq::Error,
    },
}

/// An HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status code (200, 401, ...).
    pub status: u16,
    /// The body.
    pub body: String,
}

/// POSTs the JSON `body` to `addr` (`host:port`), with the header `Authorization: <authorization>` when
/// given (`Bearer <token>` for the Engine API; anything else to test refusals).
pub fn post(addr: &str, body: &str, authorization: Option<&str>) -> Result<Answer, HttpError> {
    let err = |source| HttpError::Transport {
        addr: addr.to_owned(),
        source,
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_idle_connections(0)
        .timeout_global(Some(READ_TIMEOUT))
        .build()
        .into();
    let mut request = agent
        .post(format!("http://{addr}/"))
        .header("Content-Type", "application/json");
    if let Some(a) = authorization {
        request = request.header("Authorization", a);
    }
    let mut answer = request.send(body).map_err(err)?;
    let status = answer.status().as_u16();
    let body = answer
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_to_string()
        .map_err(err)?;
    Ok(Answer { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn posts_and_reads_status_and_body() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            // Headers and body may come in separate writes: read until the body is in.
            let mut req = String::new();
            let mut buf = [0u8; 4096];
            while !req.ends_with("\r\n\r\n{}") {
                let n = s.read(&mut buf).unwrap();
                assert!(n > 0, "the request ended early: {req}");
                req.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
            s.write_all(b"HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n")
                .unwrap();
            req
        });
        let a = post(&addr, "{}", Some("Bearer t0k")).unwrap();
        assert_eq!(
            a,
            Answer {
                status: 401,
                body: "no".into()
            }
        );
        let req = server.join().unwrap();
        assert!(
            req.to_ascii_lowercase()
                .contains("authorization: bearer t0k\r\n"),
            "{req}"
        );
        assert!(req.ends_with("\r\n\r\n{}"), "{req}");
    }
}
