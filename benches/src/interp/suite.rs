//! Runs the interp suite: for each case, build both engines, check they agree, time them alternately.

use super::cases::{all_cases, InterpCase, CHAIN};
use crate::engine::{Ours, Reference, RunResult};
use crate::error::BenchError;
use crate::timing::{self, median, TimingPlan};
use std::time::Duration;

/// What to run and how long.
#[derive(Clone, Debug, Default)]
pub struct SuiteOptions {
    /// Only cases whose name contains this.
    pub filter: Option<String>,
    /// Timing plan per case.
    pub plan: TimingPlan,
    /// Also run [`super::cases::extra_loops`].
    pub extra: bool,
}

/// One measured case.
#[derive(Clone, Debug)]
pub struct InterpRow {
    /// Case name.
    pub name: String,
    /// Gas used by the transaction (equal in both engines).
    pub gas_used: u64,
    /// Timed runs per engine.
    pub iterations: usize,
    /// Median wall time of parevm.
    pub ours: Duration,
    /// Median wall time of revm.
    pub revm: Duration,
    /// Remarks (a gas figure that differs from the published one).
    pub note: String,
}

impl InterpRow {
    /// parevm time over revm time (below 1: parevm is faster).
    pub fn ratio(&self) -> f64 {
        self.ours.as_secs_f64() / self.revm.as_secs_f64()
    }

    /// Throughput in millions of gas per second.
    pub fn mgas_per_s(&self, d: Duration) -> f64 {
        self.gas_used as f64 / d.as_secs_f64() / 1e6
    }
}

/// Builds both engines for `case`, runs each once and checks that status, gas used and output agree.
pub fn check(case: &InterpCase) -> Result<(Ours, Reference, RunResult), BenchError> {
    let ours = Ours::new(case.name, &CHAIN, &case.accounts, &case.tx);
    let mut reference = Reference::new(case.name, &CHAIN, &case.accounts, &case.tx);
    let a = ours.run()?;
    let b = reference.run()?;
    let mismatch = |what: String| BenchError::Mismatch {
        case: case.name.to_string(),
        what,
    };
    if a.status != b.status {
        return Err(mismatch(format!(
            "status: parevm {}, revm {}",
            a.status, b.status
        )));
    }
    if a.gas_used != b.gas_used {
        return Err(mismatch(format!(
            "gas used: parevm {}, revm {}",
            a.gas_used, b.gas_used
        )));
    }
    if a.output != b.output {
        return Err(mismatch(format!(
            "output: parevm {} bytes, revm {} bytes",
            a.output.len(),
            b.output.len()
        )));
    }
    if !a.is_success() {
        return Err(BenchError::Setup {
            case: case.name.to_string(),
            reason: format!("call ended {}", a.status),
        });
    }
    Ok((ours, reference, a))
}

/// Checks and times every selected case, printing progress to stderr.
pub fn run_suite(opts: &SuiteOptions) -> Result<Vec<InterpRow>, BenchError> {
    let mut rows = Vec::new();
    let mut cases = all_cases()?;
    if opts.extra {
        cases.extend(super::cases::extra_loops());
    }
    for case in cases {
        if opts
            .filter
            .as_deref()
            .is_some_and(|f| !case.name.contains(f))
        {
            continue;
        }
        let (ours, mut reference, result) = check(&case)?;
        let note = match case.expected_gas {
            Some(g) if g != result.gas_used => format!("published gas {g}"),
            _ => String::new(),
        };
        eprintln!(
            "{}: engines agree (gas {}), timing...",
            case.name, result.gas_used
        );
        let s = timing::alternate(opts.plan, || ours.run(), || reference.run())?;
        rows.push(InterpRow {
            name: case.name.to_string(),
            gas_used: result.gas_used,
            iterations: s.a.len(),
            ours: median(&s.a),
            revm: median(&s.b),
            note,
        });
    }
    Ok(rows)
}
