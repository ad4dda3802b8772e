//! Progress of long work, handed by the Host to whoever watches (the runner turns it
//! into `Event::Progress`): a program run (pacstrap installing a hundred packages),
//! where some output lines are steps; and a large file written (bytes).

/// A file write of at least this many bytes reports its progress.
pub const LARGE_WRITE_BYTES: usize = 8 * 1024 * 1024;

/// What `done` and `total` count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProgressUnit {
    /// Steps of a program (pacstrap: packages).
    Steps,
    /// Bytes written.
    Bytes,
}

/// How far long work got: `done` of `total` `unit`s, doing `what` now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    pub what: String,
    pub unit: ProgressUnit,
}

/// How a program's standard output tells its progress: every line that `step` maps to
/// `Some(what)` is one step of `total` (a line past the total raises the total).
#[derive(Debug, Clone, Copy)]
pub struct ProgressLines {
    pub total: u64,
    pub step: fn(&str) -> Option<String>,
}

impl PartialEq for ProgressLines {
    fn eq(&self, other: &ProgressLines) -> bool {
        // Function addresses say which parser it is; nothing else can.
        self.total == other.total && self.step as usize == other.step as usize
    }
}

impl Eq for ProgressLines {}

/// Counts the steps of one run.
#[derive(Debug)]
pub struct ProgressCounter {
    lines: ProgressLines,
    done: u64,
}

impl ProgressCounter {
    pub fn new(lines: ProgressLines) -> ProgressCounter {
        ProgressCounter { lines, done: 0 }
    }

    /// The progress after one more line of output, if that line is a step.
    pub fn line(&mut self, line: &str) -> Option<Progress> {
        let what = (self.lines.step)(line)?;
        self.done += 1;
        Some(Progress {
            done: self.done,
            total: self.lines.total.max(self.done),
            what,
            unit: ProgressUnit::Steps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shouted(line: &str) -> Option<String> {
        line.strip_prefix("step ").map(str::to_string)
    }

    #[test]
    fn steps_are_counted_and_the_total_grows_when_passed() {
        let mut counter = ProgressCounter::new(ProgressLines {
            total: 2,
            step: shouted,
        });
        assert_eq!(counter.line("noise"), None);
        let seen: Vec<_> = ["step a", "step b", "step c"]
            .iter()
            .filter_map(|line| counter.line(line))
            .map(|p| (p.done, p.total, p.what))
            .collect();
        assert_eq!(
            seen,
            [
                (1, 2, "a".to_string()),
                (2, 2, "b".to_string()),
                (3, 3, "c".to_string())
            ]
        );
    }
}
