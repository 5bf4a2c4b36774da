//! A whole run: collect `*.json` files under the given paths, run them in parallel on a rayon pool
//! (optionally with a progress bar), hand each file's results to a sink as they finish, and total them.

use super::report::{CaseResult, Summary};
use super::runner::{run_file, RunOptions};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// A path does not exist or a folder cannot be walked.
    #[error("{path}: {message}")]
    Path {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The thread pool could not be built.
    #[error("cannot start {threads} threads: {message}")]
    Threads {
        /// Threads asked for.
        threads: usize,
        /// The pool's error.
        message: String,
    },
}

/// Every `*.json` file under `paths` (a file path is taken as is), sorted, without duplicates.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, SuiteError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_file() {
            files.push(path.clone());
            continue;
        }
        if !path.is_dir() {
            return Err(SuiteError::Path {
                path: path.clone(),
                message: "no such file or folder".into(),
            });
        }
        for entry in walkdir::WalkDir::new(path).follow_links(true) {
            let entry = entry.map_err(|e| SuiteError::Path {
                path: e.path().map_or_else(|| path.clone(), Path::to_path_buf),
                message: e.to_string(),
            })?;
            if entry.file_type().is_file() && entry.path().extension().is_some_and(|x| x == "json")
            {
                files.push(entry.into_path());
            }
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// How to run a suite.
#[derive(Clone, Debug, Default)]
pub struct SuiteOptions {
    /// Per-case options.
    pub run: RunOptions,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
    /// Draw a progress bar on stderr.
    pub progress: bool,
}

/// Runs every file, calling `sink` with each file's results as soon as the file is done (from worker
/// threads, one call at a time, with the progress bar suspended), and returns the totals.
pub fn run_files(
    files: &[PathBuf],
    opts: &SuiteOptions,
    sink: &(dyn Fn(&[CaseResult]) + Sync),
) -> Result<Summary, SuiteError> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = opts.threads {
        builder = builder.num_threads(n);
    }
    let pool = builder.build().map_err(|e| SuiteError::Threads {
        threads: opts.threads.unwrap_or(0),
        message: e.to_string(),
    })?;
    let bar = if opts.progress {
        let bar = ProgressBar::new(files.len() as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} files, {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        Some(bar)
    } else {
        None
    };
    let summary = Mutex::new(Summary::default());
    pool.install(|| {
        files.par_iter().for_each(|file| {
            let results = run_file(file, &opts.run);
            // A poisoned lock only means a sink panicked earlier; the counts are still usable.
            let mut s = summary.lock().unwrap_or_else(|p| p.into_inner());
            for r in &results {
                s.add(r);
            }
            match &bar {
                Some(bar) => {
                    bar.suspend(|| sink(&results));
                    bar.set_message(format!("{}", s.total));
                    bar.inc(1);
                }
                None => sink(&results),
            }
        });
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(summary.into_inner().unwrap_or_else(|p| p.into_inner()))
}
