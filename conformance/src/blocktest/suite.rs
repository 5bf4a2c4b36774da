//! Files and runs: one file's tests (with the skip list and panic guard), and many files on a rayon pool
//! handing each file's results to a sink as they finish.

use super::error::{CaseError, FixtureError};
use super::fixture::TestFile;
use super::report::{CaseResult, Status, Summary};
use super::runner::{run_case, CaseOptions};
use crate::filter::Filter;
use crate::statetest::{SkipList, SuiteError};
use rayon::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The skip list shipped with parevm (`conformance/skip/blocktest.txt`).
pub const DEFAULT_SKIP_LIST: &str = include_str!("../../skip/blocktest.txt");

/// How to run blockchain tests.
#[derive(Clone, Debug)]
pub struct BlocktestOptions {
    /// Tests not run, with reasons.
    pub skip: SkipList,
    /// Per-test options.
    pub case: CaseOptions,
    /// Files run at once (`None`: one per core).
    pub file_threads: Option<usize>,
    /// Which tests run (`fork` is the `network`); the others are not counted.
    pub filter: Filter,
}

impl Default for BlocktestOptions {
    fn default() -> Self {
        Self {
            skip: SkipList::parse(DEFAULT_SKIP_LIST),
            case: CaseOptions::default(),
            file_threads: None,
            filter: Filter::default(),
        }
    }
}

/// Runs every test of one file. An unreadable file is one failed result.
pub fn run_file(path: &Path, opts: &BlocktestOptions) -> Vec<CaseResult> {
    let file: Arc<Path> = Arc::from(path);
    let failed = |e: FixtureError| {
        vec![CaseResult {
            file: file.clone(),
            name: String::new(),
            network: String::new(),
            status: Status::Failed(e.into()),
            rejected: 0,
        }]
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(source) => {
            return failed(FixtureError::Io {
                file: path.to_path_buf(),
                source,
            })
        }
    };
    let tests: TestFile = match serde_json::from_slice(&bytes) {
        Ok(t) => t,
        Err(source) => {
            return failed(FixtureError::Json {
                file: path.to_path_buf(),
                source,
            })
        }
    };
    tests
        .iter()
        .filter(|(name, test)| {
            opts.filter.name_selected(name) && opts.filter.fork_selected(&test.network)
        })
        .map(|(name, test)| {
            let mut rejected = 0;
            let status = if let Some(reason) = opts.skip.reason(name) {
                Status::Skipped(reason.to_owned())
            } else {
                let r = catch_unwind(AssertUnwindSafe(|| run_case(path, name, test, &opts.case)));
                match r {
                    Ok(Ok(n)) => {
                        rejected = n;
                        Status::Passed
                    }
                    Ok(Err(e)) => Status::Failed(e),
                    Err(payload) => Status::Failed(CaseError::Panic(panic_message(&*payload))),
                }
            };
            CaseResult {
                file: file.clone(),
                name: name.clone(),
                network: test.network.clone(),
                status,
                rejected,
            }
        })
        .collect()
}

/// The text of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "(no message)".to_owned())
}

/// Runs every file, calling `sink` with each file's results as the file finishes (one call at a time),
/// and returns the totals.
pub fn run_files(
    files: &[PathBuf],
    opts: &BlocktestOptions,
    sink: &(dyn Fn(&[CaseResult]) + Sync),
) -> Result<Summary, SuiteError> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = opts.file_threads {
        builder = builder.num_threads(n);
    }
    let pool = builder.build().map_err(|e| SuiteError::Threads {
        threads: opts.file_threads.unwrap_or(0),
        message: e.to_string(),
    })?;
    let summary = Mutex::new(Summary::default());
    pool.install(|| {
        files.par_iter().for_each(|file| {
            let results = run_file(file, opts);
            // A poisoned lock only means a sink panicked earlier; the counts are still usable.
            let mut s = summary.lock().unwrap_or_else(|p| p.into_inner());
            for r in &results {
                s.add(r);
            }
            sink(&results);
        });
    });
    Ok(summary.into_inner().unwrap_or_else(|p| p.into_inner()))
}
