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
