//! A check that runs after the ops before it (`Op::Verify`): for what a program's exit
//! code cannot say (pacman installs an ignored package and still exits 0).

use crate::{Host, ModuleError};
use std::sync::Arc;

type Check = dyn Fn(&Host) -> Result<(), ModuleError> + Send + Sync;

/// A named check of the target after a real run.
#[derive(Clone)]
pub struct Verify {
    /// What is checked, for reports and `Debug`.
    pub what: String,
    check: Arc<Check>,
}

impl Verify {
    pub fn new(
        what: impl Into<String>,
        check: impl Fn(&Host) -> Result<(), ModuleError> + Send + Sync + 'static,
    ) -> Verify {
        Verify {
            what: what.into(),
            check: Arc::new(check),
        }
    }

    /// Check the target now.
    pub fn run(&self, host: &Host) -> Result<(), ModuleError> {
        (self.check)(host)
    }
}

impl std::fmt::Debug for Verify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verify")
            .field("what", &self.what)
            .finish_non_exhaustive()
    }
}

/// Two checks are the same when they say they check the same thing.
impl PartialEq for Verify {
    fn eq(&self, other: &Verify) -> bool {
        self.what == other.what
    }
}

impl Eq for Verify {}
