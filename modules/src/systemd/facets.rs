//! A unit's state as a diff: one line per facet that changes (`enabled: false` →
//! `enabled: true`, `active: inactive` → `active: active`), under the unit's name, so
//! `--diff` shows state changes the way it shows file changes.

use crate::Diff;

#[derive(Debug, Default)]
pub struct Facets {
    /// (facet, before, after)
    changed: Vec<(String, String, String)>,
}

impl Facets {
    pub fn push(&mut self, facet: &str, before: impl Into<String>, after: impl Into<String>) {
        self.changed
            .push((facet.to_string(), before.into(), after.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.changed.is_empty()
    }

    /// The diff under `header` (the unit's name); `None` when nothing changes.
    pub fn diff(&self, header: &str) -> Option<Diff> {
        if self.changed.is_empty() {
            return None;
        }
        let lines = |pick: fn(&(String, String, String)) -> &str| -> String {
            self.changed
                .iter()
                .map(|facet| format!("{}: {}\n", facet.0, pick(facet)))
                .collect()
        };
        Some(Diff {
            before_header: header.to_string(),
            after_header: header.to_string(),
            before: lines(|facet| &facet.1),
            after: lines(|facet| &facet.2),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_facet() {
        let mut facets = Facets::default();
        assert_eq!(facets.diff("a.service"), None);
        facets.push("enabled", "false", "true");
        facets.push("active", "inactive", "active");
        let diff = facets.diff("a.service");
        assert_eq!(
            diff.map(|d| (d.before, d.after)),
            Some((
                "enabled: false\nactive: inactive\n".to_string(),
                "enabled: true\nactive: active\n".to_string()
            ))
        );
    }
}
