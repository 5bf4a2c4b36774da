//! One POST over HTTP/1.1 with `Connection: close` (a fresh connection per request), the answer's status
//! and body, de-chunked when the server streams it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// How long a request waits for its answer.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a request got no HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// Connecting, writing or reading failed.
    #[error("{addr}: {what}: {source}")]
    Io {
        /// `host:port`.
        addr: String,
        /// The step that failed.
        what: &'static str,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The answer is not HTTP this client reads.
    #[error("{addr}: malformed HTTP answer ({why}): {text:?}")]
    Malformed {
        /// `host:port`.
        addr: String,
        /// What is wrong.
        why: &'static str,
        /// The raw answer.
        text: String,
    },
}

/// An HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status code (200, 401, ...).
    pub status: u16,
    /// The body, de-chunked.
    pub body: String,
}

/// POSTs the JSON `body` to `addr` (`host:port`), with the header `Authorization: <authorization>` when
/// given (`Bearer <token>` for the Engine API; anything else to test refusals).
pub fn post(addr: &str, body: &str, authorization: Option<&str>) -> Result<Answer, HttpError> {
    let io = |what| {
        let addr = addr.to_owned();
        move |source| HttpError::Io { addr, what, source }
    };
    let mut stream = TcpStream::connect(addr).map_err(io("connect"))?;
    stream
        .set_read_timeout(Some(READ_TIMEOUT))
        .map_err(io("set timeout"))?;
    let auth = authorization.map_or_else(String::new, |a| format!("Authorization: {a}\r\n"));
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         {auth}Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).map_err(io("write"))?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(io("read"))?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let malformed = |why| HttpError::Malformed {
        addr: addr.to_owned(),
        why,
        text: text.clone(),
    };
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| malformed("no header end"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| malformed("no status"))?;
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(rest).ok_or_else(|| malformed("bad chunk"))?
    } else {
        rest.to_owned()
    };
    Ok(Answer { status, body })
}

/// The body of a chunked answer; `None` when a chunk is malformed.
fn dechunk(mut rest: &str) -> Option<String> {
    let mut out = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n")?;
        let n = usize::from_str_radix(size.trim(), 16).ok()?;
        if n == 0 {
            return Some(out);
        }
        out.push_str(after.get(..n)?);
        rest = after.get(n + 2..).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dechunks_and_refuses_short_chunks() {
        assert_eq!(
            dechunk("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").as_deref(),
            Some("abcde")
        );
        assert_eq!(dechunk("5\r\nab"), None);
        assert_eq!(dechunk("zz\r\n"), None);
    }

    #[test]
    fn posts_and_reads_status_and_body() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap();
            let req = String::from_utf8_lossy(&buf[..n]).into_owned();
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
        assert!(req.contains("Authorization: Bearer t0k\r\n"), "{req}");
        assert!(req.ends_with("\r\n\r\n{}"), "{req}");
    }
}
