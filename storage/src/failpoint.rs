//! Named points between executing, writing and committing where a test can make the store fail or the
//! process die, to prove that no crash leaves a half-written block.
//!
//! ```text
//! PAREVM_FAILPOINTS="commit-after-root=exit,kv-before-commit=error"   (read once per process)
//! failpoint::set("kv-before-commit", Action::Error)                   (in-process tests)
//! ```
//! `error` makes the point return [`KvError::Failpoint`]; `exit` ends the process at once with status 86,
//! without unwinding or flushing, as a `kill -9` would. The points are always compiled (one relaxed atomic
//! load when none is set) so the shipped binary can be crash-tested; the `fail` crate compiles its points
//! out unless a cargo feature is enabled, which would need a second build of the binary for the kill tests.

use crate::kv::KvError;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// Exit status of a process stopped by an `exit` failpoint.
pub const EXIT_STATUS: i32 = 86;

/// What a failpoint does when reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Return an error from the point.
    Error,
    /// End the process immediately (no unwinding, no destructors).
    Exit,
}

/// True once any point is configured.
static ARMED: AtomicBool = AtomicBool::new(false);

fn points() -> &'static Mutex<HashMap<String, Action>> {
    static POINTS: OnceLock<Mutex<HashMap<String, Action>>> = OnceLock::new();
    POINTS.get_or_init(|| {
        let mut map = HashMap::new();
        if let Ok(spec) = std::env::var("PAREVM_FAILPOINTS") {
            for item in spec.split(',').filter(|s| !s.is_empty()) {
                let (name, action) = item.split_once('=').unwrap_or((item, "error"));
                let action = if action == "exit" {
                    Action::Exit
                } else {
                    Action::Error
                };
                map.insert(name.to_owned(), action);
            }
        }
        // ORDERING: the flag only says "look in the map"; the map is behind a mutex.
        ARMED.store(!map.is_empty(), Ordering::Relaxed);
        Mutex::new(map)
    })
}

/// Reads `PAREVM_FAILPOINTS` (call once at startup in binaries that honour it).
pub fn init_from_env() {
    let _ = points();
}

/// Arms `name` with `action`.
pub fn set(name: &str, action: Action) {
    points().lock().insert(name.to_owned(), action);
    // ORDERING: see `points`.
    ARMED.store(true, Ordering::Relaxed);
}

/// Disarms every point.
pub fn clear() {
    points().lock().clear();
    // ORDERING: see `points`.
    ARMED.store(false, Ordering::Relaxed);
}

/// Passes through point `name`: `Err` when armed with [`Action::Error`], never returns when armed with
/// [`Action::Exit`].
pub fn hit(name: &'static str) -> Result<(), KvError> {
    // ORDERING: see `points`.
    if !ARMED.load(Ordering::Relaxed) {
        return Ok(());
    }
    match points().lock().get(name) {
        Some(Action::Error) => Err(KvError::Failpoint(name)),
        Some(Action::Exit) => std::process::exit(EXIT_STATUS),
        None => Ok(()),
    }
}
