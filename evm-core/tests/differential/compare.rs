//! Compares what the two engines made of a case and renders a readable report of a mismatch.

use super::case::Case;
use super::observed::{fmt_account, Observed, Status};
use std::fmt::Write;

/// The first difference between parevm (`ours`) and revm (`oracle`), or `None` when they agree.
pub fn first_difference(case: &Case, ours: &Observed, oracle: &Observed) -> Option<String> {
    match (&ours.result, &oracle.result) {
        (Err(_), Err(_)) => {}
        (Ok(_), Err(e)) => return Some(format!("validity: parevm executed, revm rejected ({e})")),
        (Err(e), Ok(_)) => return Some(format!("validity: parevm rejected ({e}), revm executed")),
        (Ok(a), Ok(b)) => {
            if a.status != b.status {
                return Some(format!(
                    "status: parevm {:?} {}, revm {:?} {}",
                    a.status, a.detail, b.status, b.detail
                ));
            }
            if a.gas_used != b.gas_used {
                return Some(format!(
                    "gas used: parevm {}, revm {}",
                    a.gas_used, b.gas_used
                ));
            }
            if a.gas_refunded != b.gas_refunded {
                return Some(format!(
                    "gas refunded: parevm {}, revm {}",
                    a.gas_refunded, b.gas_refunded
                ));
            }
            // A successful creation's output is the deployed code in revm and empty in parevm; neither is
            // consensus data, so compare the created address instead.
            let creation_success = case.tx.to.is_none() && a.status == Status::Success;
            if !creation_success && a.output != b.output {
                return Some(format!("output: parevm {}, revm {}", a.output, b.output));
            }
            if a.created != b.created {
                return Some(format!(
                    "created address: parevm {:?}, revm {:?}",
                    a.created, b.created
                ));
            }
            if a.logs != b.logs {
                return Some(format!(
                    "logs: parevm {} logs, revm {} logs",
                    a.logs.len(),
                    b.logs.len()
                ));
            }
        }
    }
    if let Some(problem) = &ours.self_check {
        return Some(format!("parevm self-check: {problem}"));
    }
    let addrs: std::collections::BTreeSet<_> = ours.post.keys().chain(oracle.post.keys()).collect();
    for addr in addrs {
        match (ours.post.get(addr), oracle.post.get(addr)) {
            (Some(a), Some(b)) if a == b => {}
            (Some(a), Some(b)) => {
                let what = if a.balance != b.balance {
                    "balance"
                } else if a.nonce != b.nonce {
                    "nonce"
                } else if a.code != b.code {
                    "code"
                } else {
                    "storage"
                };
                return Some(format!(
                    "post-state {what} of {addr}:\n  parevm {}\n  revm   {}",
                    fmt_account(a),
                    fmt_account(b)
                ));
            }
            (Some(a), None) => {
                return Some(format!(
                    "post-state: {addr} exists only in parevm: {}",
                    fmt_account(a)
                ));
            }
            (None, Some(b)) => {
                return Some(format!(
                    "post-state: {addr} exists only in revm: {}",
                    fmt_account(b)
                ));
            }
            (None, None) => {}
        }
    }
    None
}

/// The full report of a mismatch: case, both results, the accounts that differ, and the first difference.
pub fn report(case: &Case, ours: &Observed, oracle: &Observed, diff: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "==== differential mismatch, seed {:#018x} ====",
        case.seed
    );
    let _ = write!(s, "{case}");
    for (name, o) in [("parevm", ours), ("revm", oracle)] {
        match &o.result {
            Ok(e) => {
                let _ = write!(s, "{name}: {e}");
            }
            Err(e) => {
                let _ = writeln!(s, "{name}: rejected: {e}");
            }
        }
    }
    let _ = writeln!(s, "post-state accounts that differ:");
    let addrs: std::collections::BTreeSet<_> = ours.post.keys().chain(oracle.post.keys()).collect();
    for addr in addrs {
        let (a, b) = (ours.post.get(addr), oracle.post.get(addr));
        if a != b {
            let show = |x: Option<&super::observed::PostAccount>| {
                x.map_or("(absent)".to_string(), fmt_account)
            };
            let _ = writeln!(
                s,
                "  {addr}\n    parevm {}\n    revm   {}",
                show(a),
                show(b)
            );
        }
    }
    let _ = writeln!(s, "FIRST DIFFERENCE: {diff}");
    let _ = writeln!(
        s,
        "replay: PAREVM_DIFF_SEED={:#x} cargo test -p parevm-evm-core --test differential -- --nocapture",
        case.seed
    );
    s
}
