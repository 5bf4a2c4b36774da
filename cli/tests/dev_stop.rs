//! `parevm dev` stops when asked, whatever it is doing: SIGTERM in the middle of `anvil_mine` of ten million
//! blocks ends the process within seconds (the run stops at its current block), with exit status 0.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// POSTs one JSON-RPC request; the raw HTTP response, or `None` when the node does not answer.
fn post(port: u16, body: &str, timeout: Duration) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(timeout)).ok()?;
    let req = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

#[test]
fn sigterm_during_a_long_anvil_mine_ends_the_process() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_parevm"))
        .args(["dev", "--silent", "--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("parevm dev starts");
    let chain_id = r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#;
    let started = Instant::now();
    while post(port, chain_id, Duration::from_secs(2)).is_none_or(|r| !r.contains("0x7a69")) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "parevm dev did not answer"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Ten million blocks: hours of mining, answered only at the end.
    let mine = std::thread::spawn(move || {
        post(
            port,
            r#"{"jsonrpc":"2.0","id":2,"method":"anvil_mine","params":["0x989680"]}"#,
            Duration::from_secs(60),
        )
    });
    std::thread::sleep(Duration::from_millis(700));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let asked = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for parevm dev") {
            break status;
        }
        if asked.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("parevm dev still running 20 s after SIGTERM during anvil_mine");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "exit status {status:?}");
    let _ = mine.join();
}
