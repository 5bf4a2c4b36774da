//! Running state tests: one file ([`run_file`]) → its tests → their cases (fork × `indexes`).
//!
//! For each case: clone the test's pre-state, build the [`Env`], execute the transaction, apply its writes
//! (an invalid transaction leaves the state untouched), then check, in this order, the expected exception,
//! the logs hash and the state root. A malformed fixture or a panicking EVM becomes a failed case; the
//! runner itself never panics on input.

use super::build::{case_env, pre_state};
use super::diff::diff_post_state;
use super::error::{CaseError, FixtureError};
use super::fixture::{parse_file, parse_test, Indexes, PostEntry, StateTest};
use super::report::CaseResult;
use super::skip::SkipList;
use super::trace::{summary_line, Eip3155Tracer, TraceSink};
use crate::exception::{tx_exception, Expected};
use crate::filter::Filter;
use alloy_primitives::{b256, Bytes, B256};
use parevm_evm_core::spec::spec_from_fixture_name;
use parevm_evm_core::{Env, TxError, TxExecution, TxOutcome};
use parevm_state::{logs_hash, InMemoryState};
use rayon::prelude::*;
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Once};
use std::time::Instant;

/// `keccak256(rlp([]))`: the logs hash of a transaction without logs.
pub const EMPTY_LOGS_HASH: B256 =
    b256!("1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347");

/// What to run and how.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Tests not to run.
    pub skip: SkipList,
    /// Stream an EIP-3155 trace of every case here (run one case at a time: one worker thread).
    pub trace: Option<TraceSink>,
    /// Which tests and forks run (the others are not counted).
    pub filter: Filter,
}

impl RunOptions {
    /// The shipped skip list, no tracing.
    pub fn new() -> Self {
        Self {
            skip: SkipList::default_list(),
            trace: None,
            filter: Filter::default(),
        }
    }
}

/// Runs every case of every test in `path`. Never fails: an unreadable or malformed file is one failed
/// result naming the file and the JSON path.
pub fn run_file(path: &Path, opts: &RunOptions) -> Vec<CaseResult> {
    let file: Arc<Path> = Arc::from(path);
    let json = match std::fs::read_to_string(path) {
        Ok(j) => j,
        Err(source) => {
            let e = FixtureError::Io {
                file: path.to_path_buf(),
                source,
            };
            return vec![CaseResult::new(&file, "", "", Indexes::default()).failed(e.into())];
        }
    };
    let tests = match parse_file(path, &json) {
        Ok(t) => t,
        Err(e) => return vec![CaseResult::new(&file, "", "", Indexes::default()).failed(e.into())],
    };
    let tests: Vec<_> = tests.into_iter().collect();
    tests
        .par_iter()
        .flat_map_iter(|(name, raw)| run_test(&file, name, raw, opts))
        .collect()
}

/// Runs the cases of one raw test.
fn run_test(
    file: &Arc<Path>,
    name: &str,
    raw: &serde_json::value::RawValue,
    opts: &RunOptions,
) -> Vec<CaseResult> {
    if !opts.filter.name_selected(name) {
        return Vec::new();
    }
    let skip = opts.skip.reason(name);
    let test = match parse_test(file, name, raw) {
        Ok(t) => t,
        Err(e) => {
            let r = CaseResult::new(file, name, "", Indexes::default());
            return vec![match skip {
                Some(reason) => r.skipped(reason),
                None => r.failed(e.into()),
            }];
        }
    };
    let cases: Vec<(&str, &PostEntry<'_>)> = test
        .post
        .iter()
        .filter(|(fork, _)| opts.filter.fork_selected(fork))
        .flat_map(|(fork, entries)| entries.iter().map(move |e| (fork.as_str(), e)))
        .collect();
    if let Some(reason) = skip {
        return cases
            .iter()
            .map(|(fork, e)| CaseResult::new(file, name, fork, e.indexes).skipped(reason))
            .collect();
    }
    let pre = pre_state(&test);
    cases
        .par_iter()
        .map(|(fork, entry)| {
            let case = || CaseResult::new(file, name, fork, entry.indexes);
            guarded(|| run_case(case(), &test, &pre, fork, entry, opts))
                .unwrap_or_else(|msg| case().failed(CaseError::Panic(msg)))
        })
        .collect()
}

/// Runs one case; `result` names it and is filled in.
fn run_case(
    mut result: CaseResult,
    test: &StateTest<'_>,
    pre: &InMemoryState,
    fork: &str,
    entry: &PostEntry<'_>,
    opts: &RunOptions,
) -> CaseResult {
    let Some(spec) = spec_from_fixture_name(fork) else {
        return result.failed(CaseError::UnknownFork(fork.to_owned()));
    };
    let env = match case_env(test, fork, spec, entry.indexes) {
        Ok(env) => env,
        Err(message) => {
            let e = FixtureError::Invalid {
                file: result.file.to_path_buf(),
                test: result.name.clone(),
                message,
            };
            return result.failed(e.into());
        }
    };
    let mut state = pre.clone();
    let started = Instant::now();
    let outcome = execute(env, &state, opts.trace.as_ref());
    let time_ns = started.elapsed().as_nanos();
    let mut error = None;
    let mut log_count = 0;
    let mut output = Bytes::new();
    let logs = match outcome {
        Ok(out) => {
            output = out.output.clone();
            state.apply(&out.writes);
            log_count = out.logs.len();
            result.gas_used = Some(out.gas_used);
            if let Some(expected) = &entry.expect_exception {
                result.exception = Some(false);
                error = Some(CaseError::ExpectedException {
                    expected: expected.clone(),
                    status: format!("{:?}", out.status),
                    gas_used: out.gas_used,
                });
            }
            logs_hash(&out.logs)
        }
        Err(TxError::Invalid(e)) => {
            match &entry.expect_exception {
                None => error = Some(CaseError::UnexpectedException(e.to_string())),
                Some(expected) => {
                    let got = tx_exception(&e, spec);
                    let matched = Expected::parse(expected).matches(got);
                    result.exception = Some(matched);
                    if !matched {
                        error = Some(CaseError::WrongException {
                            expected: expected.clone(),
                            got,
                            error: e.to_string(),
                        });
                    }
                }
            }
            EMPTY_LOGS_HASH
        }
        Err(TxError::View(e)) => {
            return result.failed(CaseError::Execution(e.to_string()));
        }
    };
    let root = state.state_root();
    result.state_root = Some(root);
    result.logs_hash = Some(logs);
    if error.is_none() && logs != entry.logs.0 {
        error = Some(CaseError::Logs {
            expected: entry.logs.0,
            got: logs,
            count: log_count,
        });
    }
    if error.is_none() && root != entry.hash.0 {
        error = Some(CaseError::StateRoot {
            expected: entry.hash.0,
            got: root,
            diff: entry.state.map_or_else(Vec::new, |raw| {
                diff_post_state(&result.file, &result.name, raw, &state)
            }),
        });
    }
    if let Some(sink) = &opts.trace {
        sink.line(&summary_line(
            root,
            &output,
            result.gas_used.unwrap_or(0),
            error.is_none(),
            fork,
            time_ns,
        ));
    }
    match error {
        Some(e) => result.failed(e),
        None => result,
    }
}

/// Executes the transaction, streaming an EIP-3155 trace to `trace` when given.
fn execute(
    env: Env,
    state: &InMemoryState,
    trace: Option<&TraceSink>,
) -> Result<TxOutcome, TxError> {
    let mut exec = TxExecution::new(env);
    if let Some(sink) = trace {
        exec.set_tracer(Box::new(Eip3155Tracer::new(sink.clone())));
    }
    exec.resume(state)
}

thread_local! {
    /// Set while a case runs on this thread: the panic hook then records instead of printing.
    static IN_CASE: Cell<bool> = const { Cell::new(false) };
    /// The message and location of the last panic inside a case on this thread.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs (once) a panic hook that, while a case runs, records the panic message and location for the
/// case's failure instead of printing it. Panics elsewhere go to the previous hook. Optional: without it
/// a failed case still reports the panic message, only without its location.
pub fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_CASE.with(Cell::get) {
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(info.to_string().replace('\n', " ")));
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, turning a panic into its message.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let was = IN_CASE.with(|c| c.replace(true));
    LAST_PANIC.with(|p| p.borrow_mut().take());
    let r = catch_unwind(AssertUnwindSafe(f));
    IN_CASE.with(|c| c.set(was));
    r.map_err(|payload| {
        LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| {
                payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic with a non-string payload".to_owned())
            })
    })
}
