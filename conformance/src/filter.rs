//! Which tests a run selects (`--fork`, `--name` of `parevm statetest` and `parevm blocktest`). A test the
//! filter leaves out is not run and not counted, unlike a skipped one.

/// A selection of tests: every condition set must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this fork (a state test's post key, a blockchain test's `network`), compared exactly.
    pub fork: Option<String>,
    /// Only tests whose name contains this text.
    pub name: Option<String>,
}

impl Filter {
    /// True when the test named `name` is selected (the fork is checked separately).
    pub fn name_selected(&self, name: &str) -> bool {
        self.name.as_deref().is_none_or(|n| name.contains(n))
    }

    /// True when `fork` is selected.
    pub fn fork_selected(&self, fork: &str) -> bool {
        self.fork.as_deref().is_none_or(|f| f == fork)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_conditions_select_everything() {
        let all = Filter::default();
        assert!(all.name_selected("x") && all.fork_selected("Cancun"));
        let f = Filter {
            fork: Some("Cancun".into()),
            name: Some("add11".into()),
        };
        assert!(f.name_selected("tests/stExample/add11Filler.json::add11[fork_Cancun]"));
        assert!(!f.name_selected("tests/stExample/add12.json::add12"));
        assert!(f.fork_selected("Cancun"));
        assert!(!f.fork_selected("CancunToPragueAtTime15k"));
    }
}
