//! The skip list: which state tests are not run, each with a reason. The list lives in
//! `conformance/skip/statetest.txt` and is embedded in the binary, so it is versioned with the code.
//!
//! Format: one pattern per line, `#` starts the reason (or a comment line). `*` matches any run of
//! characters; the pattern must match the whole test name. EEST names look like
//! `tests/<path>.py::test_x[fork_…]`; names without `::` (ethereum/tests fixtures) are matched as
//! `::<name>`, so `*::Name*` covers both.

/// The embedded default skip list.
pub const DEFAULT_SKIP_LIST: &str = include_str!("../../skip/statetest.txt");

/// One skip pattern with its reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkipRule {
    /// Glob pattern (`*` wildcard) over the test name.
    pub pattern: String,
    /// Why the matching tests are skipped.
    pub reason: String,
}

/// A parsed skip list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SkipList {
    rules: Vec<SkipRule>,
}

impl SkipList {
    /// The list shipped with parevm (`conformance/skip/statetest.txt`).
    pub fn default_list() -> Self {
        Self::parse(DEFAULT_SKIP_LIST)
    }

    /// Parses the skip-list format. A rule without a reason gets a generic one.
    pub fn parse(text: &str) -> Self {
        let mut rules = Vec::new();
        for line in text.lines() {
            let (pattern, reason) = match line.split_once('#') {
                Some((p, r)) => (p.trim(), r.trim()),
                None => (line.trim(), ""),
            };
            if pattern.is_empty() {
                continue;
            }
            rules.push(SkipRule {
                pattern: pattern.to_owned(),
                reason: if reason.is_empty() {
                    "listed in the skip list".to_owned()
                } else {
                    reason.to_owned()
                },
            });
        }
        Self { rules }
    }

    /// The rules.
    pub fn rules(&self) -> &[SkipRule] {
        &self.rules
    }

    /// The reason `test_name` is skipped, if it is.
    pub fn reason(&self, test_name: &str) -> Option<&str> {
        let prefixed;
        let subject = if test_name.contains("::") {
            test_name
        } else {
            prefixed = format!("::{test_name}");
            &prefixed
        };
        self.rules
            .iter()
            .find(|r| glob_match(&r.pattern, subject))
            .map(|r| r.reason.as_str())
    }
}

/// Whole-string glob match with `*` as the only wildcard (iterative, linear backtracking).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob() {
        assert!(glob_match("*", ""));
        assert!(glob_match("a*c", "abbbc"));
        assert!(glob_match("*::Init*", "x.json::InitCollision[fork_Cancun]"));
        assert!(!glob_match("a*c", "abcd"));
        assert!(!glob_match("abc", "ab"));
    }

    #[test]
    fn parse_keeps_patterns_and_reasons() {
        let list = SkipList::parse("# a comment line\n\n*::Slow*   # too slow\n*/dir/*\n");
        assert_eq!(list.rules().len(), 2);
        assert_eq!(
            list.reason("tests/x.py::SlowLoop[fork_Cancun-state_test]"),
            Some("too slow")
        );
        assert_eq!(
            list.reason("SlowLoop"),
            Some("too slow"),
            "legacy names match as ::<name>"
        );
        assert_eq!(
            list.reason("tests/dir/y.py::test_y[fork_Osaka]"),
            Some("listed in the skip list")
        );
        assert_eq!(list.reason("tests/other/z.py::test_z[fork_Osaka]"), None);
    }

    #[test]
    fn shipped_list_skips_nothing() {
        // EIP-7610 collisions with pre-existing storage are implemented: every fixture runs.
        assert_eq!(SkipList::default_list().rules(), &[]);
    }

    #[test]
    fn every_rule_has_a_reason() {
        for rule in SkipList::default_list().rules() {
            assert_ne!(rule.reason, "listed in the skip list", "{}", rule.pattern);
        }
    }
}
