//! `enabled` and `masked`: asked of `systemctl is-enabled` (with `--root` offline),
//! changed with `systemctl enable|disable|mask|unmask`. `enable` of an enabled unit
//! prints nothing and exits 0, so the answer to "is it enabled" decides `changed`,
//! never the command's silence.

use super::Task;
use crate::systemd::{self, Enablement};
use crate::{Change, ModuleError};

impl Task<'_> {
    /// The unit's enablement now, or a prediction where systemctl cannot see it yet: a
    /// unit file this task writes, or a root or unit an earlier task would have created
    /// (when the Host holds that task's predictions).
    fn current_enablement(&mut self, unit: &str) -> Result<Enablement, ModuleError> {
        let predicted = Enablement::Disabled("not-found".into());
        if let Some(warning) = systemd::missing_root(self.host, unit)? {
            self.warn(warning);
            return Ok(predicted);
        }
        match self.systemctl.is_enabled(unit)? {
            Enablement::NotFound if self.wrote_unit_file => Ok(predicted),
            Enablement::NotFound if self.args.enabled == Some(true) => {
                if self.host.holds_predictions() {
                    self.warn(format!(
                        "{unit} is not installed in {}: assuming an earlier task installs it \
                         (its changes are only predicted)",
                        self.host.root().display()
                    ));
                    return Ok(predicted);
                }
                Err(ModuleError::Failed(format!(
                    "no unit file {unit} in {}; nothing to enable",
                    self.host.root().display()
                )))
            }
            found => Ok(found),
        }
    }

    /// The mask and enable/disable changes, in the order they must run.
    pub(super) fn plan_enablement(&mut self, unit: &str) -> Result<Vec<Change>, ModuleError> {
        let (masked, enabled) = (self.args.masked, self.args.enabled);
        if masked.is_none() && enabled.is_none() {
            return Ok(Vec::new());
        }
        let current = self.current_enablement(unit)?;
        let mut changes = Vec::new();
        let mut unmasked = false;
        match (masked, current == Enablement::Masked) {
            (Some(true), false) => {
                self.facet("masked", "false", "true");
                changes.push(self.enablement_change("mask", unit));
            }
            (Some(false), true) => {
                self.facet("masked", "true", "false");
                changes.push(self.enablement_change("unmask", unit));
                unmasked = true;
            }
            _ => {}
        }
        self.plan.data.insert(
            "masked".into(),
            (masked.unwrap_or(current == Enablement::Masked)).into(),
        );
        let Some(want) = enabled else {
            return Ok(changes);
        };
        let verb = if want { "enable" } else { "disable" };
        let after = if want { "true" } else { "false" };
        let change = match &current {
            // What unmasking reveals is not known before it runs; enable and disable
            // are idempotent, so running one costs nothing if it was already so.
            Enablement::Masked if unmasked => {
                self.facet("enabled", "masked", after);
                Some(self.enablement_change(verb, unit))
            }
            Enablement::Masked if want => {
                return Err(ModuleError::Failed(format!(
                    "{unit} is masked; give masked: false to unmask it before enabling"
                )))
            }
            Enablement::Fixed(word) => {
                self.plan.msg = Some(format!(
                    "{unit} is {word}: it has no [Install] section of its own to enable or disable"
                ));
                None
            }
            current if current.is_enabled() == want => None,
            current => {
                self.facet("enabled", current.word(), after);
                Some(self.enablement_change(verb, unit))
            }
        };
        let now = match (&change, &current) {
            (Some(_), _) => after.to_string(),
            (None, Enablement::Fixed(word)) => word.clone(),
            (None, current) => current.word().to_string(),
        };
        let now = match now.as_str() {
            "true" => serde_json::Value::Bool(true),
            "false" => serde_json::Value::Bool(false),
            _ => serde_json::Value::String(now),
        };
        self.plan.data.insert("enabled".into(), now);
        changes.extend(change);
        Ok(changes)
    }

    fn enablement_change(&self, verb: &str, unit: &str) -> Change {
        Change {
            summary: format!("{verb} {unit}"),
            diff: None,
            ops: self.systemctl.enablement_ops(verb, &[unit]),
        }
    }

    pub(super) fn systemctl_change(&self, words: &[&str], summary: String) -> Change {
        Change {
            summary,
            diff: None,
            ops: vec![self.systemctl.op(words)],
        }
    }
}
