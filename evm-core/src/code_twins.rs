//! Per-thread copies ("twins") of the contract code a thread keeps running, so that threads executing the
//! same contract at once do not share its reference counts.
//!
//! A [`Code`] is an `Arc`: every transaction that loads a contract from the state clones it and drops the
//! clone when it ends. When two workers of the parallel engine run transactions of one token, both bump the
//! same counts, and the counts' cache line moves between the cores on every bump (`perf` of the ERC-20
//! block at 2 threads put about 5% of all samples on those `lock inc`/`lock dec`). The journal asks here
//! first ([`get`]) and tells what it loaded ([`offer`]); once a thread has loaded the same code
//! [`TWIN_AFTER`] times, it makes its own analysed copy, and from then on its loads clone that copy, whose
//! counts only it touches.
//!
//! Off unless the thread turned it on ([`ThreadTwins::enable`], which the parallel engine's threads do for
//! a block's run): on one thread nothing is shared, and every copy would be pure cost (the mainnet blocks
//! load hundreds of contracts a few times each). Sits beside the journal's code loading
//! (`Journal::code_at`). Code is content-addressed, so a twin found by its hash is always the code the
//! state holds under that hash; nothing here is read back as state.

use crate::code::{Bytecode, Code};
use alloy_primitives::B256;
use std::cell::{Cell, RefCell};
use std::sync::Arc;

/// Entries per thread, direct-mapped by the hash's first byte.
const WAYS: usize = 16;

/// Loads of one code (in a row in its slot) after which a thread makes its twin: a contract a block calls
/// once or twice is not worth copying, a token or a router called all through it is.
pub const TWIN_AFTER: u32 = 4;

/// One contract seen by this thread: its hash, its loads so far, and its twin once it has one.
struct Entry {
    hash: B256,
    loads: u32,
    twin: Option<Code>,
}

thread_local! {
    static ENABLED: Cell<bool> = const { Cell::new(false) };
    static TWINS: RefCell<[Option<Entry>; WAYS]> = const { RefCell::new([const { None }; WAYS]) };
}

/// Twins on for the current thread while this guard lives (they stay made for the next time).
#[must_use = "twins are off again when the guard is dropped"]
pub struct ThreadTwins {
    was: bool,
}

impl ThreadTwins {
    /// Turns twins on for the current thread until the guard is dropped.
    pub fn enable() -> Self {
        Self {
            was: ENABLED.with(|e| e.replace(true)),
        }
    }
}

impl Drop for ThreadTwins {
    fn drop(&mut self) {
        ENABLED.with(|e| e.set(self.was));
    }
}

/// True when the current thread has twins on.
#[inline]
fn enabled() -> bool {
    ENABLED.with(Cell::get)
}

/// The slot of `hash`.
#[inline]
fn way(hash: &B256) -> usize {
    hash[0] as usize % WAYS
}

/// This thread's twin of the code with hash `hash`, if it has one.
#[inline]
pub(crate) fn get(hash: &B256) -> Option<Code> {
    if !enabled() {
        return None;
    }
    TWINS.with(|t| {
        let t = t.try_borrow().ok()?;
        match &t[way(hash)] {
            Some(Entry {
                hash: h,
                twin: Some(c),
                ..
            }) if h == hash => Some(c.clone()),
            _ => None,
        }
    })
}

/// Notes that this thread loaded `code` (hash `hash`) from the state: the [`TWIN_AFTER`]th load in a row of
/// the same hash in its slot makes a twin for the loads after it.
pub(crate) fn offer(hash: &B256, code: &Code) {
    if !enabled() {
        return;
    }
    TWINS.with(|t| {
        let Ok(mut t) = t.try_borrow_mut() else {
            return;
        };
        let slot = &mut t[way(hash)];
        match slot {
            Some(e) if e.hash == *hash => {
                e.loads += 1;
                if e.twin.is_none() && e.loads >= TWIN_AFTER {
                    e.twin = Some(Arc::new(Bytecode::clone(code)));
                }
            }
            _ => {
                *slot = Some(Entry {
                    hash: *hash,
                    loads: 1,
                    twin: None,
                })
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Bytes;

    fn code(bytes: &'static [u8]) -> (B256, Code) {
        let c = Arc::new(Bytecode::new(Bytes::from_static(bytes)));
        (c.hash(), c)
    }

    /// Offers `code` `n` times.
    fn load(hash: &B256, code: &Code, n: u32) {
        for _ in 0..n {
            offer(hash, code);
        }
    }

    #[test]
    fn off_unless_enabled() {
        let (hash, shared) = code(&[0x60, 0x05, 0x00]);
        load(&hash, &shared, TWIN_AFTER);
        assert!(get(&hash).is_none(), "nothing kept while off");
        let on = ThreadTwins::enable();
        load(&hash, &shared, TWIN_AFTER);
        assert!(get(&hash).is_some());
        drop(on);
        assert!(get(&hash).is_none(), "off again after the guard");
    }

    #[test]
    fn the_nth_load_makes_a_twin_that_later_loads_get() {
        let _on = ThreadTwins::enable();
        let (hash, shared) = code(&[0x60, 0x01, 0x60, 0x02, 0x01, 0x5b, 0x00]);
        assert!(get(&hash).is_none());
        load(&hash, &shared, TWIN_AFTER - 1);
        assert!(get(&hash).is_none(), "too few loads make no twin");
        offer(&hash, &shared);
        let twin = get(&hash).expect("twin after TWIN_AFTER loads");
        assert!(!Arc::ptr_eq(&twin, &shared), "a copy of its own");
        assert_eq!(twin.bytes(), shared.bytes());
        assert_eq!(twin.hash(), hash);
        for pc in 0..shared.len() {
            assert_eq!(twin.is_jumpdest(pc), shared.is_jumpdest(pc));
            assert_eq!(twin.op_at(pc), shared.op_at(pc));
        }
    }

    #[test]
    fn another_hash_in_the_same_slot_replaces_the_entry() {
        let _on = ThreadTwins::enable();
        let (a, ca) = code(&[0x60, 0x01, 0x00]);
        // Find code whose hash falls in the same slot as `a`.
        let mut n = 0u8;
        let (b, cb) = loop {
            let bytes: &'static [u8] = Box::leak(vec![0x60, n, 0x00].into_boxed_slice());
            let (h, c) = code(bytes);
            if h != a && way(&h) == way(&a) {
                break (h, c);
            }
            n = n.wrapping_add(1);
        };
        load(&a, &ca, TWIN_AFTER);
        assert!(get(&a).is_some());
        offer(&b, &cb);
        assert!(get(&a).is_none(), "evicted");
        assert!(get(&b).is_none(), "one load of b");
        load(&b, &cb, TWIN_AFTER - 1);
        assert_eq!(get(&b).map(|c| c.hash()), Some(b));
    }

    #[test]
    fn twins_are_per_thread() {
        let _on = ThreadTwins::enable();
        let (hash, shared) = code(&[0x60, 0x07, 0x00]);
        load(&hash, &shared, TWIN_AFTER);
        assert!(get(&hash).is_some());
        let other = std::thread::spawn(move || {
            let _on = ThreadTwins::enable();
            get(&hash).is_none()
        });
        assert!(other.join().unwrap_or(false), "another thread has none");
    }
}
