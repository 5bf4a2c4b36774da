//! The run's processes and its folder: every child (anvil, kona-node, each `parevm node` launch) writes
//! stdout and stderr into its own log file in the run folder and is killed (SIGKILL) on drop; on a failing
//! test the folder is kept and the tail of every log printed. Also: free 127.0.0.1 ports, and waiting for a
//! condition with a deadline.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The run folder (datadirs, configs, logs). Kept and reported when the test fails.
pub struct RunDir {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl RunDir {
    /// A fresh folder under the system temp dir.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("parevm-kona-e2e-")
            .tempdir()
            .expect("temp dir");
        let path = dir.path().to_path_buf();
        Self {
            dir: Some(dir),
            path,
        }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let mut logs: Vec<PathBuf> = std::fs::read_dir(&self.path)
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        logs.retain(|p| p.extension().is_some_and(|x| x == "log"));
        logs.sort();
        for log in logs {
            eprintln!("\n===== tail of {} =====", log.display());
            let lines: Vec<String> = File::open(&log)
                .map(|f| BufReader::new(f).lines().map_while(Result::ok).collect())
                .unwrap_or_default();
            for line in &lines[lines.len().saturating_sub(80)..] {
                eprintln!("{line}");
            }
        }
        if let Some(dir) = self.dir.take() {
            eprintln!("\nrun folder kept: {}", dir.keep().display());
        }
    }
}

/// A child process with its log file, killed on drop.
pub struct Proc {
    name: String,
    child: Child,
    /// Its stdout + stderr.
    pub log: PathBuf,
}

impl Proc {
    /// Spawns `cmd` with stdin closed and both outputs in `<dir>/<name>.log`.
    pub fn spawn(name: &str, cmd: &mut Command, dir: &Path) -> Self {
        let log = dir.join(format!("{name}.log"));
        let out = File::create(&log).expect("create log file");
        let err = out.try_clone().expect("clone log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("{name} does not start: {e} ({cmd:?})"));
        Self {
            name: name.to_owned(),
            child,
            log,
        }
    }

    /// SIGKILL and reap.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Panics when the process has exited.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!(
                "{} exited ({status}); see {}",
                self.name,
                self.log.display()
            );
        }
    }

    /// The log's text so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until a log line contains `marker` and returns the word after it.
    pub fn wait_for_log(&mut self, marker: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let text = self.log_text();
            let found = text.lines().find_map(|l| {
                l.split(marker)
                    .nth(1)
                    .and_then(|rest| rest.split_whitespace().next())
                    .map(str::to_owned)
            });
            if let Some(word) = found {
                return word;
            }
            self.assert_running();
            assert!(
                Instant::now() < deadline,
                "{} printed no {marker:?} within {timeout:?}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A TCP port free on 127.0.0.1 now.
pub fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a free TCP port")
        .port()
}

/// A UDP port free on 127.0.0.1 now.
pub fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("bind a free UDP port")
        .port()
}

/// Polls `f` every 250 ms until it returns `Some`, or panics after `timeout` naming `what`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Runs a command to completion and returns its stdout; panics with both outputs when it fails.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?} does not run: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
