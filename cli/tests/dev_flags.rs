//! `parevm dev`'s start flags refuse bad input before anything listens: a missing or malformed `--init`
//! genesis file, a base fee in it past 64 bits, a code size limit that is not a number or that conflicts
//! with `--disable-code-size-limit`, and a `--config-out` path that cannot be written; each exits non-zero
//! with a message naming what and where.

use std::process::Command;

/// Runs `parevm dev` with `args` (on a port nobody should be asked for, in case it did start) and returns
/// its exit status and standard error.
fn dev(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_parevm"))
        .args(["dev", "--silent", "--host", "127.0.0.1", "--port", "1"])
        .args(args)
        .output()
        .expect("parevm runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_start_flags_are_refused_with_what_and_where() {
    let dir = std::env::temp_dir().join(format!("parevm-dev-flags-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp folder");
    let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
    std::fs::write(path("broken.json"), "{\"config\": ").expect("write");
    std::fs::write(
        path("fee.json"),
        r#"{"config":{"chainId":5},"baseFeePerGas":"0x10000000000000000","alloc":{}}"#,
    )
    .expect("write");

    let cases: [(Vec<String>, &str); 5] = [
        (vec!["--init".into(), path("missing.json")], "reading "),
        (vec!["--init".into(), path("broken.json")], "genesis file "),
        (vec!["--init".into(), path("fee.json")], "baseFeePerGas"),
        (
            vec!["--code-size-limit".into(), "lots".into()],
            "invalid value 'lots'",
        ),
        (
            vec![
                "--code-size-limit".into(),
                "50000".into(),
                "--disable-code-size-limit".into(),
            ],
            "cannot be used with",
        ),
    ];
    for (args, expected) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (ok, err) = dev(&args);
        assert!(!ok, "{args:?} was accepted");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    // A --config-out that cannot be written (its folder does not exist) names the path.
    let out = path("no/such/folder/config.json");
    let (ok, err) = dev(&["--config-out", &out]);
    assert!(!ok);
    assert!(err.contains(&format!("writing {out}")), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The `Access-Control-Allow-Origin` a CORS preflight from `origin` gets from a `parevm dev` started with
/// `flags` (`None`: no such header).
fn allowed_origin(flags: &[&str], origin: &str) -> Option<String> {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_parevm"))
        .args(["dev", "--silent", "--port", &port.to_string()])
        .args(flags)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("parevm dev starts");
    let started = Instant::now();
    let head = loop {
        let answer = std::net::TcpStream::connect(("127.0.0.1", port)).and_then(|mut s| {
            let request = format!(
                "OPTIONS / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {origin}\r\n\
                 Access-Control-Request-Method: POST\r\nConnection: close\r\n\r\n"
            );
            s.write_all(request.as_bytes())?;
            let mut head = String::new();
            s.read_to_string(&mut head)?;
            Ok(head)
        });
        match answer {
            Ok(head) if head.starts_with("HTTP/1.1") => break head,
            _ if started.elapsed() > Duration::from_secs(30) => {
                let _ = child.kill();
                panic!("parevm dev did not answer");
            }
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    head.lines().find_map(|l| {
        l.to_ascii_lowercase()
            .strip_prefix("access-control-allow-origin:")
            .map(|v| v.trim().to_owned())
    })
}

/// anvil's CORS flags: any origin by default, `--allow-origin` one, `--no-cors` none.
#[test]
fn cors_follows_allow_origin_and_no_cors() {
    assert_eq!(
        allowed_origin(&[], "http://b.example").as_deref(),
        Some("*")
    );
    let one = ["--allow-origin", "http://a.example"];
    assert_eq!(
        allowed_origin(&one, "http://a.example").as_deref(),
        Some("http://a.example")
    );
    assert_eq!(allowed_origin(&one, "http://b.example"), None);
    assert_eq!(allowed_origin(&["--no-cors"], "http://a.example"), None);
}
