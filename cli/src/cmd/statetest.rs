//! `parevm statetest [--json] [--trace] [--threads N] [--fork F] [--name TEXT] PATH...`: runs official state tests (files, or
//! folders walked for `*.json`) through `parevm_conformance::statetest` and prints every failure, a
//! per-fork table and, last, `N passed, M failed, K skipped`.

use parevm_conformance::filter::Filter;
use parevm_conformance::statetest::trace::TraceSink;
use parevm_conformance::statetest::{
    collect_files, install_panic_hook, run_files, CaseResult, CaseStatus, RunOptions, SkipList,
    SuiteOptions,
};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `parevm statetest`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// State-test files or folders (walked for `*.json`).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Print one JSON object per case on stdout (name, fork, indexes, pass, error, stateRoot, logsHash).
    #[arg(long)]
    pub json: bool,
    /// Stream an EIP-3155 trace (JSON lines only: one per instruction, one summary per case) of every
    /// case to stderr, running one case at a time; best with `--name`/`--fork` or a single file.
    #[arg(long)]
    pub trace: bool,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Run only this fork (a post key: `Cancun`, `Prague`, ...).
    #[arg(long)]
    pub fork: Option<String>,
    /// Run only tests whose name contains this text.
    #[arg(long)]
    pub name: Option<String>,
    /// Also print passing and skipped cases.
    #[arg(long, short)]
    pub verbose: bool,
}

/// Runs the subcommand: `Ok(false)` when any case failed.
pub fn run(args: Args) -> anyhow::Result<bool> {
    let start = Instant::now();
    install_panic_hook();
    let files = collect_files(&args.paths)?;
    let opts = SuiteOptions {
        run: RunOptions {
            skip: SkipList::default_list(),
            trace: args.trace.then(TraceSink::stderr),
            filter: Filter {
                fork: args.fork.clone(),
                name: args.name.clone(),
            },
        },
        // Traced cases run one at a time, so their lines never interleave.
        threads: if args.trace { Some(1) } else { args.threads },
        progress: std::io::stderr().is_terminal() && !args.trace,
    };
    let sink = |results: &[CaseResult]| print_results(results, &args);
    let summary = run_files(&files, &opts, &sink)?;
    let table = format!(
        "{} files in {:.1}s\n{}",
        files.len(),
        start.elapsed().as_secs_f64(),
        summary.table()
    );
    if args.trace {
        // The trace on stderr stays JSON lines only.
        let _ = writeln!(std::io::stdout().lock(), "{table}");
    } else {
        writeln!(std::io::stderr().lock(), "{table}")?;
    }
    // A closed stdout (`| head`) is not an error worth a panic.
    let _ = writeln!(std::io::stdout().lock(), "{}", summary.total);
    Ok(summary.ok())
}

/// Prints one file's results: JSON lines on stdout with `--json`, else failures (and with `--verbose`
/// everything) as text on stdout; traces on stderr.
fn print_results(results: &[CaseResult], args: &Args) {
    let mut out = std::io::stdout().lock();
    for r in results {
        if args.json {
            let _ = writeln!(out, "{}", r.to_json());
        } else if args.verbose || matches!(r.status, CaseStatus::Failed(_)) {
            let _ = writeln!(out, "{r}");
        }
    }
}
