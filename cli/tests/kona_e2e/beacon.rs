//! The L1 beacon API stub kona-node needs at startup (anvil has none): `/eth/v1/config/spec` answers
//! `SECONDS_PER_SLOT` and `/eth/v1/beacon/genesis` the L1 genesis time, as a beacon node does (decimal
//! strings); anything else is 404 (the chain carries no blobs, so kona asks for no sidecars).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

/// Serves the stub on a free 127.0.0.1 port from a background thread and returns its URL.
pub fn start(genesis_time: u64, seconds_per_slot: u64) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the beacon stub");
    let addr = listener.local_addr().expect("beacon stub address");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(match stream.try_clone() {
                Ok(s) => s,
                Err(_) => continue,
            });
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            // Drain the headers (GET requests have no body).
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request_line.split_whitespace().nth(1).unwrap_or_default();
            let (status, body) = if path.starts_with("/eth/v1/config/spec") {
                (
                    "200 OK",
                    format!(r#"{{"data":{{"SECONDS_PER_SLOT":"{seconds_per_slot}"}}}}"#),
                )
            } else if path.starts_with("/eth/v1/beacon/genesis") {
                (
                    "200 OK",
                    format!(
                        r#"{{"data":{{"genesis_time":"{genesis_time}","genesis_validators_root":"0x{}","genesis_fork_version":"0x00000000"}}}}"#,
                        "00".repeat(32)
                    ),
                )
            } else {
                (
                    "404 Not Found",
                    r#"{"code":404,"message":"not served by the stub"}"#.to_owned(),
                )
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}
