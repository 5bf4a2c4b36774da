//! Results: one [`CaseResult`] per case (test × fork × indexes), its human line and its JSON object, and
//! the [`Summary`] counts per fork and per failure category.

use super::error::CaseError;
use super::fixture::Indexes;
use alloy_primitives::B256;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// How a case ended.
#[derive(Debug)]
pub enum CaseStatus {
    /// Matched the fixture.
    Passed,
    /// Did not match, or could not run.
    Failed(CaseError),
    /// Listed in the skip list, with the reason.
    Skipped(String),
}

/// The result of one case.
#[derive(Debug)]
pub struct CaseResult {
    /// The fixture file.
    pub file: Arc<Path>,
    /// The test name (empty when the whole file is unreadable).
    pub name: String,
    /// The fork (post key; empty when the test could not be parsed).
    pub fork: String,
    /// Which transaction variant.
    pub indexes: Indexes,
    /// Outcome.
    pub status: CaseStatus,
    /// The computed state root, when the case got that far.
    pub state_root: Option<B256>,
    /// The computed logs hash, when the case got that far.
    pub logs_hash: Option<B256>,
    /// Gas charged, for a valid transaction.
    pub gas_used: Option<u64>,
    /// For a case with `expectException`: whether the transaction was rejected with an error the fixture
    /// names (`Some(false)` also when it was not rejected at all).
    pub exception: Option<bool>,
}

impl CaseResult {
    /// A passing result for the named case, to be filled in.
    pub fn new(file: &Arc<Path>, name: &str, fork: &str, indexes: Indexes) -> Self {
        Self {
            file: file.clone(),
            name: name.to_owned(),
            fork: fork.to_owned(),
            indexes,
            status: CaseStatus::Passed,
            state_root: None,
            logs_hash: None,
            gas_used: None,
            exception: None,
        }
    }

    /// Marks the case failed.
    pub fn failed(mut self, e: CaseError) -> Self {
        self.status = CaseStatus::Failed(e);
        self
    }

    /// Marks the case skipped.
    pub fn skipped(mut self, reason: &str) -> Self {
        self.status = CaseStatus::Skipped(reason.to_owned());
        self
    }

    /// True when passed.
    pub fn passed(&self) -> bool {
        matches!(self.status, CaseStatus::Passed)
    }

    /// The failure, if any.
    pub fn error(&self) -> Option<&CaseError> {
        match &self.status {
            CaseStatus::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// The case as one JSON object: `name`, `fork`, `indexes`, `pass`, `error`, `stateRoot`, `logsHash`
    /// (plus `file`, `skipped` and `gasUsed`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "file": self.file.display().to_string(),
            "fork": self.fork,
            "indexes": self.indexes,
            "pass": self.passed(),
            "skipped": matches!(self.status, CaseStatus::Skipped(_)),
            "error": match &self.status {
                CaseStatus::Passed => None,
                CaseStatus::Failed(e) => Some(e.to_string()),
                CaseStatus::Skipped(r) => Some(format!("skipped: {r}")),
            },
            "stateRoot": self.state_root.map(|r| r.to_string()),
            "logsHash": self.logs_hash.map(|h| h.to_string()),
            "gasUsed": self.gas_used,
        })
    }
}

impl fmt::Display for CaseResult {
    /// `FAIL <name> [<fork> d=…,g=…,v=…]: <what differed>` (or PASS / SKIP).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = match self.status {
            CaseStatus::Passed => "PASS",
            CaseStatus::Failed(_) => "FAIL",
            CaseStatus::Skipped(_) => "SKIP",
        };
        let name = if self.name.is_empty() {
            self.file.display().to_string()
        } else {
            self.name.clone()
        };
        let Indexes { data, gas, value } = self.indexes;
        write!(f, "{word} {name}")?;
        if !self.fork.is_empty() {
            write!(f, " [{} d={data},g={gas},v={value}]", self.fork)?;
        }
        match &self.status {
            CaseStatus::Passed => Ok(()),
            CaseStatus::Failed(e) => write!(f, ": {e}"),
            CaseStatus::Skipped(r) => write!(f, ": {r}"),
        }
    }
}

/// Pass/fail/skip counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
    /// Cases skipped.
    pub skipped: usize,
}

impl Counts {
    fn add(&mut self, r: &CaseResult) {
        match r.status {
            CaseStatus::Passed => self.passed += 1,
            CaseStatus::Failed(_) => self.failed += 1,
            CaseStatus::Skipped(_) => self.skipped += 1,
        }
    }
}

impl fmt::Display for Counts {
    /// `N passed, M failed, K skipped`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }
}

/// Totals of a run.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// All cases.
    pub total: Counts,
    /// Per fork (post key; `""` for files or tests that could not be parsed).
    pub per_fork: BTreeMap<String, Counts>,
    /// Failures per fork and [`CaseError::category`].
    pub categories: BTreeMap<(String, &'static str), usize>,
    /// Per fork, cases with `expectException`: (rejected with a named error, not).
    pub exceptions: BTreeMap<String, (usize, usize)>,
}

impl Summary {
    /// Counts one result.
    pub fn add(&mut self, r: &CaseResult) {
        self.total.add(r);
        self.per_fork.entry(r.fork.clone()).or_default().add(r);
        if let Some(e) = r.error() {
            *self
                .categories
                .entry((r.fork.clone(), e.category()))
                .or_default() += 1;
        }
        if let Some(matched) = r.exception {
            let (yes, no) = self.exceptions.entry(r.fork.clone()).or_default();
            *if matched { yes } else { no } += 1;
        }
    }

    /// Cases with `expectException` over all forks: (matched by name, mismatched).
    pub fn exception_totals(&self) -> (usize, usize) {
        self.exceptions
            .values()
            .fold((0, 0), |(a, b), (y, n)| (a + y, b + n))
    }

    /// True when nothing failed.
    pub fn ok(&self) -> bool {
        self.total.failed == 0
    }

    /// A per-fork table, one line per fork, followed by failure categories.
    pub fn table(&self) -> String {
        let mut out = String::new();
        for (fork, c) in &self.per_fork {
            let fork = if fork.is_empty() { "(unparsed)" } else { fork };
            out.push_str(&format!("  {fork:<18} {c}\n"));
        }
        if !self.exceptions.is_empty() {
            out.push_str("expected exceptions by fork (matched by name, mismatched):\n");
            for (fork, (yes, no)) in &self.exceptions {
                out.push_str(&format!("  {fork:<18} {yes} matched, {no} mismatched\n"));
            }
        }
        if !self.categories.is_empty() {
            out.push_str("failures by fork and category:\n");
            for ((fork, cat), n) in &self.categories {
                let fork = if fork.is_empty() { "(unparsed)" } else { fork };
                out.push_str(&format!("  {fork:<18} {cat:<22} {n}\n"));
            }
        }
        out
    }
}
