//! Programs the Host runs: read-only queries while planning, plugin modules, the
//! `Run` ops of an apply and the `validate` command of a write — in the target, or on
//! the controller against the root (jailed), with progress read from their output.

use super::{exec, plugin, Host, PluginCall, PluginRun};
use crate::progress::ProgressCounter;
use crate::{ModuleError, OpOutput, Progress};
use std::path::Path;

impl Host {
    /// Run a read-only query (`systemctl --root=ROOT is-enabled x`, `pacman -Q`) while
    /// planning, in check mode too: the caller promises it changes nothing.
    pub fn query(&self, spec: &crate::RunSpec) -> Result<OpOutput, ModuleError> {
        self.run(spec, &mut |_| {})
    }

    /// Run a plugin module (an executable on the controller) inside the target, the
    /// way programs run here, within `call.limits`. In check mode too: the plugin is
    /// told, and decides what that means.
    pub fn run_plugin(&self, call: &PluginCall) -> Result<PluginRun, ModuleError> {
        plugin::run(self.exec(), self.root(), call)
    }

    pub(super) fn run(
        &self,
        spec: &crate::RunSpec,
        on_progress: &mut dyn FnMut(Progress),
    ) -> Result<OpOutput, ModuleError> {
        let mut counter = spec.progress.map(ProgressCounter::new);
        let mut on_line = |line: &str| {
            if let Some(progress) = counter.as_mut().and_then(|counter| counter.line(line)) {
                on_progress(progress);
            }
        };
        match spec.place {
            crate::Place::Target => {
                exec::run_streaming(self.exec(), self.root(), spec, &mut on_line)
            }
            crate::Place::Controller => exec::run_tool_streaming(self.root(), spec, &mut on_line),
        }
    }

    /// Run `validate` (`%s`: the temp file, a path inside the root) in the target;
    /// Ansible's message when it fails.
    pub(super) fn validate(&self, validate: &[String], temp: &Path) -> Result<(), String> {
        let temp = temp.to_string_lossy();
        let argv = validate
            .iter()
            .map(|word| word.replace("%s", &temp))
            .collect();
        let spec = crate::RunSpec {
            argv,
            ..crate::RunSpec::default()
        };
        tracing::debug!(argv = ?spec.argv, "validating the new content");
        match self.run(&spec, &mut |_| {}) {
            Ok(output) if output.rc == Some(0) => Ok(()),
            Ok(output) => Err(format!(
                "failed to validate: rc:{} error:{}",
                output.rc.map_or("none".to_string(), |rc| rc.to_string()),
                output.stderr
            )),
            Err(err) => Err(format!("failed to validate: {err}")),
        }
    }
}
