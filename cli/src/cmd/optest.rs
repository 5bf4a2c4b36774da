//! `parevm optest [--json] [--threads N] [PATH...]`: the OP-Stack fixtures through
//! `parevm_conformance::optest`: kona executor blocks (rebuilt on their witness and compared by block
//! hash) and Superchain genesis sets (genesis hash and state root), one line per case, and last
//! `N passed, M failed`.

use parevm_conformance::optest::{run_cases, CaseResult};
use parevm_conformance::unpack::op_dir;
use parevm_op_stack_adapter::Runner;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `parevm optest`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Folders to walk for fixture folders (`fixture.json` + `preimages.json`) and genesis sets
    /// (`expected.json` + `genesis/` + `configs/`). Default: the shared OP archives, unpacked into
    /// `target/op`.
    pub paths: Vec<PathBuf>,
    /// Print one JSON object per case on stdout.
    #[arg(long)]
    pub json: bool,
    /// Execute each block's transactions through the parallel executor on N threads (even small blocks);
    /// default: sequential.
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Runs the subcommand: `Ok(false)` when any case failed.
pub fn run(args: Args) -> anyhow::Result<bool> {
    let paths = if args.paths.is_empty() {
        vec![op_dir()?]
    } else {
        args.paths.clone()
    };
    let runner = match args.threads {
        Some(threads) => {
            parevm_parallel_commit::force_parallel_path(true);
            Runner::Parallel(threads.max(1))
        }
        None => Runner::Sequential,
    };
    let json = args.json;
    let mut sink = |r: &CaseResult| {
        let mut out = std::io::stdout().lock();
        let _ = if json {
            writeln!(out, "{}", r.to_json())
        } else {
            writeln!(out, "{r}")
        };
    };
    let (passed, failed) = run_cases(&paths, runner, &mut sink);
    println!("{passed} passed, {failed} failed");
    Ok(failed == 0 && passed > 0)
}
