//! Results: one [`CaseResult`] per blockchain test, its line and JSON object, and the [`Summary`] with
//! counts per network and failures per category.

use super::error::CaseError;
use crate::statetest::Counts;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// How a test ended.
#[derive(Debug)]
pub enum Status {
    /// Matched the fixture.
    Passed,
    /// Did not match, or could not run.
    Failed(CaseError),
    /// In the skip list, with the reason.
    Skipped(String),
}

/// The result of one blockchain test.
#[derive(Debug)]
pub struct CaseResult {
    /// The fixture file.
    pub file: Arc<Path>,
    /// The test name (empty when the file is unreadable).
    pub name: String,
    /// The `network` (empty when unknown).
    pub network: String,
    /// Outcome.
    pub status: Status,
    /// Invalid blocks rejected with an exception the fixture names (counted for a passing test).
    pub rejected: usize,
}

impl CaseResult {
    /// True when passed.
    pub fn passed(&self) -> bool {
        matches!(self.status, Status::Passed)
    }

    /// The failure, if any.
    pub fn error(&self) -> Option<&CaseError> {
        match &self.status {
            Status::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// The test as one JSON object: `name`, `file`, `network`, `pass`, `skipped`, `error`, `category`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "file": self.file.display().to_string(),
            "network": self.network,
            "pass": self.passed(),
            "skipped": matches!(self.status, Status::Skipped(_)),
            "error": match &self.status {
                Status::Passed => None,
                Status::Failed(e) => Some(e.to_string()),
                Status::Skipped(r) => Some(format!("skipped: {r}")),
            },
            "category": self.error().map(CaseError::category),
        })
    }
}

impl fmt::Display for CaseResult {
    /// `FAIL <name> [<network>]: <what differed>` (or PASS / SKIP).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = match self.status {
            Status::Passed => "PASS",
            Status::Failed(_) => "FAIL",
            Status::Skipped(_) => "SKIP",
        };
        let name = if self.name.is_empty() {
            self.file.display().to_string()
        } else {
            self.name.clone()
        };
        write!(f, "{word} {name} [{}]", self.network)?;
        match &self.status {
            Status::Passed => Ok(()),
            Status::Failed(e) => write!(f, ": {e}"),
            Status::Skipped(r) => write!(f, ": {r}"),
        }
    }
}

/// Totals of a run.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// All tests.
    pub total: Counts,
    /// Per network.
    pub per_network: BTreeMap<String, Counts>,
    /// Failures per network and category.
    pub categories: BTreeMap<(String, &'static str), usize>,
    /// Per network: invalid blocks rejected with a named exception, and tests failed on an exception
    /// mismatch.
    pub exceptions: BTreeMap<String, (usize, usize)>,
}

impl Summary {
    /// Counts one result.
    pub fn add(&mut self, r: &CaseResult) {
        let counts = self.per_network.entry(r.network.clone()).or_default();
        for c in [&mut self.total, counts] {
            match r.status {
                Status::Passed => c.passed += 1,
                Status::Failed(_) => c.failed += 1,
                Status::Skipped(_) => c.skipped += 1,
            }
        }
        if let Some(e) = r.error() {
            *self
                .categories
                .entry((r.network.clone(), e.category()))
                .or_default() += 1;
        }
        let mismatch = matches!(r.error(), Some(CaseError::WrongException { .. }));
        if r.rejected > 0 || mismatch {
            let (yes, no) = self.exceptions.entry(r.network.clone()).or_default();
            *yes += r.rejected;
            *no += usize::from(mismatch);
        }
    }

    /// Over all networks: (invalid blocks rejected with a named exception, exception mismatches).
    pub fn exception_totals(&self) -> (usize, usize) {
        self.exceptions
            .values()
            .fold((0, 0), |(a, b), (y, n)| (a + y, b + n))
    }

    /// True when nothing failed.
    pub fn ok(&self) -> bool {
        self.total.failed == 0
    }

    /// One line per network, then failures by network and category.
    pub fn table(&self) -> String {
        let label = |n: &str| {
            if n.is_empty() {
                "(unparsed)".to_owned()
            } else {
                n.to_owned()
            }
        };
        let mut out = String::new();
        for (network, c) in &self.per_network {
            out.push_str(&format!("  {:<26} {c}\n", label(network)));
        }
        if !self.exceptions.is_empty() {
            out.push_str(
                "invalid blocks by network (rejected as expected, exception mismatches):\n",
            );
            for (network, (yes, no)) in &self.exceptions {
                out.push_str(&format!(
                    "  {:<26} {yes} matched, {no} mismatched\n",
                    label(network)
                ));
            }
        }
        if !self.categories.is_empty() {
            out.push_str("failures by network and category:\n");
            for ((network, cat), n) in &self.categories {
                out.push_str(&format!("  {:<26} {cat:<22} {n}\n", label(network)));
            }
        }
        out
    }
}
