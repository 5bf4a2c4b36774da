//! The synchronisation primitives the scheduler is written against: parking_lot's mutex and condition
//! variable, std's atomics. They are named in one module so that the model-checking test
//! (`tests/model_check.rs`) can compile the real `scheduler.rs` against shuttle's instrumented
//! primitives, which it provides under these names with the same API.

pub(crate) use parking_lot::{Condvar, Mutex};
pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
