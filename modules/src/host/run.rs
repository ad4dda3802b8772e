//! Programs the Host runs: read-only queries while planning, plugin modules, the
//! `Run` ops of an apply and the `validate` command of a write — in the target, or on
//! the controller against the root (jailed), with progress read from their output.
//! Each run is logged (debug: argv with its secrets masked, place, exit status,
//! duration; trace: more, never stdin or output contents).

use super::{exec, plugin, Host, PluginCall, PluginRun};
use crate::progress::ProgressCounter;
use crate::{ModuleError, OpOutput, Progress};
use std::path::Path;
use std::sync::atomic::Ordering;

/// While held, the Host's logs name no argv and no path: a `no_log` task is at work
/// (its arguments may hold anything). Dropped: as before.
pub struct LogsHidden<'host> {
    host: &'host Host,
    before: bool,
}

impl Drop for LogsHidden<'_> {
    fn drop(&mut self) {
        self.host.logs_hidden.store(self.before, Ordering::Relaxed);
    }
}

impl Host {
    /// Hide argv and paths from this Host's logs until the guard is dropped: the
    /// runner holds one while a `no_log` task plans and applies.
    pub fn hide_logs(&self) -> LogsHidden<'_> {
        let before = self.logs_hidden.swap(true, Ordering::Relaxed);
        LogsHidden { host: self, before }
    }

    /// Whether logs must name no argv or path now (see [`Host::hide_logs`]); a job
    /// the runner starts in the background hides them as its task did.
    pub fn logs_hidden(&self) -> bool {
        self.logs_hidden.load(Ordering::Relaxed)
    }

    /// The argv as this Host's logs show it: the spec's secrets masked wherever they
    /// occur, or nothing of it for a `no_log` task.
    pub(super) fn shown_argv(&self, spec: &crate::RunSpec) -> Vec<String> {
        if self.logs_hidden() {
            return vec![HIDDEN.to_string()];
        }
        shown_argv(spec)
    }

    /// Run a read-only query (`systemctl --root=ROOT is-enabled x`, `pacman -Q`) while
    /// planning, in check mode too: the caller promises it changes nothing.
    pub fn query(&self, spec: &crate::RunSpec) -> Result<OpOutput, ModuleError> {
        self.run(spec, &mut |_| {})
    }

    /// Run a plugin module (an executable on the controller) inside the target, the
    /// way programs run here, within `call.limits`. In check mode too: the plugin is
    /// told, and decides what that means.
    pub fn run_plugin(&self, call: &PluginCall) -> Result<PluginRun, ModuleError> {
        let started = std::time::Instant::now();
        let run = plugin::run(self.exec(), self.root(), call);
        let took_ms = started.elapsed().as_millis();
        match &run {
            Ok(run) => tracing::debug!(
                program = %call.program.display(),
                place = run.exec.name(),
                ended = ?run.output.ended,
                took_ms,
                "ran a plugin module"
            ),
            Err(err) => tracing::debug!(
                program = %call.program.display(),
                %err,
                took_ms,
                "a plugin module did not run"
            ),
        }
        run
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
        let argv = self.shown_argv(spec);
        let place = match spec.place {
            crate::Place::Target => self.exec().name(),
            crate::Place::Controller if self.is_offline() => "controller, jailed",
            crate::Place::Controller => "controller",
        };
        tracing::trace!(
            ?argv,
            place,
            chdir = ?spec.chdir.as_ref().filter(|_| !self.logs_hidden()),
            env = ?spec.env.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            stdin_bytes = spec.stdin.as_ref().map(Vec::len),
            controller_paths = spec.controller_paths.len(),
            "starting a program"
        );
        let started = std::time::Instant::now();
        let output = match (spec.place, &spec.conversation) {
            (crate::Place::Target, Some(conversation)) => {
                super::pty::converse(self.exec(), self.root(), spec, conversation)
            }
            (crate::Place::Controller, Some(_)) => Err(ModuleError::Failed(
                "a conversation on a pty runs in the target only".into(),
            )),
            (crate::Place::Target, None) => {
                exec::run_streaming(self.exec(), self.root(), spec, &mut on_line)
            }
            (crate::Place::Controller, None) => {
                exec::run_tool_streaming(self.root(), spec, &mut on_line)
            }
        };
        let took_ms = started.elapsed().as_millis();
        match &output {
            Ok(output) => {
                tracing::debug!(?argv, place, rc = ?output.rc, took_ms, "ran a program");
                tracing::trace!(
                    stdout_bytes = output.stdout.len(),
                    stderr_bytes = output.stderr.len(),
                    "its output"
                );
            }
            Err(err) => {
                let err = if self.logs_hidden() {
                    HIDDEN.to_string()
                } else {
                    err.to_string()
                };
                tracing::debug!(?argv, place, %err, took_ms, "a program did not run")
            }
        }
        output
    }

    /// Run `validate` (`%s`: the temp file, a path inside the root) in the target;
    /// what it said when it refused the content.
    pub(super) fn validate(&self, validate: &[String], temp: &Path) -> Result<(), ModuleError> {
        let temp = temp.to_string_lossy();
        let argv = validate
            .iter()
            .map(|word| word.replace("%s", &temp))
            .collect();
        let spec = crate::RunSpec {
            argv,
            ..crate::RunSpec::default()
        };
        tracing::debug!(argv = ?self.shown_argv(&spec), "validating the new content");
        match self.run(&spec, &mut |_| {}) {
            Ok(output) if output.rc == Some(0) => Ok(()),
            Ok(output) => Err(ModuleError::Invalidated {
                rc: output.rc,
                stdout: output.stdout,
                stderr: output.stderr,
            }),
            Err(err) => Err(ModuleError::Refused(format!("failed to validate: {err}"))),
        }
    }
}

/// What logs show for what a `no_log` task ran or touched.
pub(super) const HIDDEN: &str = "(no_log)";

/// The argv as logs show it: each of the spec's secrets masked wherever it occurs.
fn shown_argv(spec: &crate::RunSpec) -> Vec<String> {
    spec.argv
        .iter()
        .map(|word| {
            spec.secrets
                .iter()
                .filter(|secret| !secret.is_empty())
                .fold(word.clone(), |word, secret| {
                    word.replace(secret.as_str(), crate::firstboot::secret::MASK)
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_in_the_logged_argv() {
        let spec = crate::RunSpec {
            argv: vec![
                "useradd".into(),
                "-p".into(),
                "!$6$salt$hash".into(),
                "bob".into(),
            ],
            secrets: vec!["$6$salt$hash".into()],
            ..crate::RunSpec::default()
        };
        assert_eq!(shown_argv(&spec), ["useradd", "-p", "!********", "bob"]);
    }

    #[test]
    fn a_no_log_task_shows_no_argv_while_the_guard_lives() {
        let host = Host::new(crate::HostOptions::default()).unwrap_or_else(|err| panic!("{err}"));
        let spec = crate::RunSpec {
            argv: vec!["echo".into(), "hunter2".into()],
            ..crate::RunSpec::default()
        };
        {
            let _outer = host.hide_logs();
            {
                let _inner = host.hide_logs();
                assert_eq!(host.shown_argv(&spec), [HIDDEN]);
            }
            assert_eq!(
                host.shown_argv(&spec),
                [HIDDEN],
                "the outer guard still holds"
            );
        }
        assert_eq!(host.shown_argv(&spec), ["echo", "hunter2"]);
    }
}
