//! A plugin module's turn: its arguments rendered and prepared against its spec,
//! check mode honoured (skipped unless the spec says `supports_check_mode: true`),
//! the plugin run inside the target by the Host within the task's `timeout:` and the
//! output cap (on a machine or ssh host by its agent, the executable sent by hash and
//! cached there: runner/agent/plugin_cache.rs), and its answer (or why there is none)
//! turned into an outcome whose message names the plugin. Its stderr is kept in the result as `module_stderr`,
//! shown with -v (and with every failure).

use super::outcome::Outcome;
use super::remote::{RemotePlugin, Site};
use super::step::{located, Step};
use crate::events::Event;
use crate::inventory::connection::Become;
use crate::plugins::protocol::{self, Meta};
use crate::plugins::{args, Plugin, Protocol, MAX_STDERR, MAX_STDOUT};
use crate::yaml::Node;
use machinist_modules::host::bounded::{Bounded, Ended, Limits};
use machinist_modules::host::PluginCall;
use serde_json::Value as Json;

/// How much of an unusable stdout goes into the failed result.
const STDOUT_SHOWN: usize = 4096;

impl Step<'_> {
    pub(super) fn plugin(
        &mut self,
        plugin: &Plugin,
        args: &Node,
        becoming: Option<&Become>,
    ) -> Outcome {
        let (task, check) = (self.task, self.flags.check);
        let rendered = match self.render_args(args) {
            Ok(rendered) => rendered,
            Err(msg) => return Outcome::failed(msg),
        };
        let (prepared, secrets) = match plugin.options() {
            None => (rendered, Vec::new()),
            Some(options) => match args::prepare(options, rendered, &args.span) {
                Ok(prepared) => {
                    let secrets = args::secrets(options, &prepared);
                    (prepared, secrets)
                }
                Err(problem) => {
                    let span = problem
                        .key
                        .as_deref()
                        .and_then(|key| {
                            let entries = args.as_map().unwrap_or_default();
                            entries.iter().find(|(k, _)| k.name == key)
                        })
                        .map_or(&args.span, |(_, value)| &value.span);
                    let message = format!("module {}: {}", plugin.name, problem.message);
                    return Outcome::failed(located(span, message));
                }
            },
        };
        if check && !plugin.supports_check_mode() {
            let reason = format!(
                "plugin {} does not support check mode (its spec does not say supports_check_mode: true)",
                plugin.name
            );
            return Outcome::skipped(reason.clone()).with_msg(reason);
        }
        let meta = Meta {
            check_mode: check,
            diff: self.flags.diff,
            root: self.host.root().display().to_string(),
            no_log: task.no_log,
            verbosity: self.shared.verbosity,
        };
        let request = protocol::request(plugin.protocol, &plugin.name, prepared, &meta);
        let limits = Limits {
            timeout: task.timeout(),
            max_stdout: MAX_STDOUT,
            max_stderr: MAX_STDERR,
        };
        let args_file = plugin.protocol == Protocol::WantJson;
        let output = match self.host {
            Site::Local(host) => host
                .run_plugin(&PluginCall {
                    program: &plugin.path,
                    request: &request,
                    args_file,
                    limits,
                })
                .map(|run| run.output)
                .map_err(|err| err.to_string()),
            // The agent runs its cached copy of the executable, by the same rules.
            Site::Remote(remote, inner) => {
                let call = RemotePlugin {
                    name: &plugin.name,
                    program: &plugin.path,
                    request: &request,
                    args_file,
                    timeout: limits.timeout,
                    root: inner.as_deref(),
                };
                match remote.run_plugin(&call, becoming) {
                    Ok(output) => output,
                    Err(unreachable) => return Outcome::unreachable(unreachable.message),
                }
            }
        };
        match output {
            Ok(output) => self.plugin_outcome(plugin, output, &secrets),
            Err(err) => Outcome::failed(format!(
                "plugin {} ({}) could not be run: {err}",
                plugin.name,
                plugin.path.display()
            )),
        }
    }

    fn plugin_outcome(&mut self, plugin: &Plugin, out: Bounded, secrets: &[String]) -> Outcome {
        let who = format!("plugin {} ({})", plugin.name, plugin.path.display());
        let mut stderr = Json::String(String::from_utf8_lossy(&out.stderr).into_owned());
        protocol::mask(&mut stderr, secrets);
        let mut stderr = stderr.as_str().unwrap_or_default().to_string();
        if out.stderr_cut {
            stderr.push_str(&format!("\n[stderr cut after {} bytes]", MAX_STDERR));
        }
        let failed = |why: String, with_stdout: bool| {
            let mut outcome = Outcome::failed(why);
            if with_stdout && !out.stdout.is_empty() {
                let shown = &out.stdout[..out.stdout.len().min(STDOUT_SHOWN)];
                let mut stdout = Json::String(String::from_utf8_lossy(shown).into_owned());
                protocol::mask(&mut stdout, secrets);
                outcome.data.insert("module_stdout".into(), stdout);
            }
            if !stderr.is_empty() {
                outcome
                    .data
                    .insert("module_stderr".into(), stderr.clone().into());
            }
            outcome
        };
        let rc = match out.ended {
            Ended::TimedOut(after) => {
                let why = format!(
                    "{who} timed out after {:.1}s; it was killed with its process group",
                    after.as_secs_f64()
                );
                return failed(why, true);
            }
            Ended::TooMuchOutput(cap) => {
                let why = format!(
                    "{who} printed more than {} MiB on stdout; it was stopped",
                    cap / (1024 * 1024)
                );
                return failed(why, false);
            }
            Ended::Signaled(signal) => {
                let mut outcome = failed(format!("{who} was killed by signal {signal}"), true);
                outcome.data.insert("rc".into(), Json::from(-signal));
                return outcome;
            }
            Ended::Exited(rc) => rc,
        };
        let answer = match protocol::parse(&out.stdout, secrets) {
            Ok(answer) => answer,
            Err(why) => {
                let why = match rc {
                    0 => format!("{who} {why}"),
                    rc => format!("{who} exited with status {rc} and {why}"),
                };
                let mut outcome = failed(why, true);
                outcome.data.insert("rc".into(), Json::from(rc));
                return outcome;
            }
        };
        for warning in &answer.warnings {
            self.event(Event::Warning(format!("plugin {}: {warning}", plugin.name)));
        }
        let mut outcome = if answer.skipped {
            let reason = answer
                .msg
                .clone()
                .unwrap_or_else(|| format!("skipped by plugin {}", plugin.name));
            Outcome::skipped(reason)
        } else {
            Outcome::ok()
        };
        outcome.changed = answer.changed;
        outcome.failed = answer.failed || rc != 0;
        outcome.msg = answer.msg;
        outcome.diff = answer.diff;
        outcome.data = answer.data;
        if rc != 0 {
            outcome.data.insert("rc".into(), Json::from(rc));
            if outcome.msg.is_none() {
                outcome.msg = Some(format!("{who} exited with status {rc}"));
            }
        } else if outcome.failed && outcome.msg.is_none() {
            outcome.msg = Some(format!("{who} reported a failure without a message"));
        }
        if !stderr.is_empty() {
            outcome
                .data
                .insert("module_stderr".into(), stderr.clone().into());
            if self.shared.verbosity > 0 && !outcome.failed {
                let mut shown = serde_json::Map::new();
                shown.insert("changed".into(), outcome.changed.into());
                if let Some(msg) = &outcome.msg {
                    shown.insert("msg".into(), msg.clone().into());
                }
                shown.insert("module_stderr".into(), stderr.into());
                outcome.shown = Some(Json::Object(shown));
            }
        }
        outcome
    }
}
