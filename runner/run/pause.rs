//! `pause` (Ansible's `ansible.builtin.pause`), a runner action on the controller, run
//! once for all the hosts of the play (`Task::run_once`, Ansible's bypass of the host
//! loop): wait `seconds` or `minutes` (a stop signal ends the wait), or, without
//! either, ask on the terminal and register the answer as `user_input`. Without a
//! terminal no one can answer: that is refused with a message saying so (Ansible goes
//! on without an answer). It waits under `--check` too, as Ansible's does.

use super::outcome::Outcome;
use super::step::Step;
pub use crate::playbook::action_args::pause::Args;
use crate::vault::terminal::Terminal;
use crate::yaml::Node;
use machinist_modules::interrupt;
use serde_json::{json, Value as Json};
use std::time::{Duration, Instant};

impl Step<'_> {
    pub(super) fn pause(&mut self, args: &Node) -> Outcome {
        let rendered = match self.render_args(args) {
            Ok(rendered) => rendered,
            Err(msg) => return Outcome::failed(msg),
        };
        let parsed: Args = match serde_json::from_value(Json::Object(rendered)) {
            Ok(parsed) => parsed,
            Err(err) => return Outcome::failed(format!("pause: {err}")),
        };
        let duration = match duration(&parsed) {
            Ok(duration) => duration,
            Err(msg) => return Outcome::failed(msg),
        };
        let started_at = crate::template::now_text();
        let start = Instant::now();
        let hidden = if parsed.echo {
            ""
        } else {
            " (output is hidden)"
        };
        let mut user_input = String::new();
        match duration {
            Some((seconds, _)) => {
                if let (Some(prompt), Some(mut terminal)) = (&parsed.prompt, Terminal::open()) {
                    let name = self.task.display_name();
                    let _ = terminal.tell(&format!("[{name}]\n{prompt}{hidden}:\n"));
                }
                tracing::info!(seconds, "pausing");
                if !wait(seconds) {
                    return Outcome::failed("pause: interrupted");
                }
            }
            None => {
                let Some(mut terminal) = Terminal::open() else {
                    return Outcome::failed(
                        "pause: no terminal to answer the prompt (the run's stdin is not one): \
                         give seconds or minutes, or run it from a terminal",
                    );
                };
                let prompt = parsed
                    .prompt
                    .as_deref()
                    .unwrap_or("Press enter to continue, Ctrl+C to interrupt");
                let name = self.task.display_name();
                match terminal.ask(&format!("[{name}]\n{prompt}{hidden}:"), !parsed.echo) {
                    Ok(answer) => user_input = answer,
                    Err(err) => return Outcome::failed(format!("pause: {err}")),
                }
            }
        }
        let elapsed = start.elapsed();
        let stdout = match duration {
            Some((_, true)) => format!(
                "Paused for {} minutes",
                round2(elapsed.as_secs_f64() / 60.0)
            ),
            _ => format!("Paused for {} seconds", round2(elapsed.as_secs_f64())),
        };
        let mut outcome = Outcome::ok();
        let data = json!({
            "rc": 0, "stderr": "", "stdout": stdout, "start": started_at, "stop": crate::template::now_text(),
            "delta": elapsed.as_secs(), "echo": parsed.echo,
            "user_input": user_input,
        });
        if let Json::Object(data) = data {
            outcome.data.extend(data);
        }
        outcome
    }
}

/// The wait in seconds, and whether it was given in minutes; `None`: ask.
fn duration(args: &Args) -> Result<Option<(u64, bool)>, String> {
    match (&args.minutes, &args.seconds) {
        (Some(_), Some(_)) => Err("parameters are mutually exclusive: minutes|seconds".into()),
        (Some(minutes), None) => Ok(Some((minutes.value("minutes")? * 60, true))),
        // Ansible waits at least a second.
        (None, Some(seconds)) => Ok(Some((seconds.value("seconds")?.max(1), false))),
        (None, None) => Ok(None),
    }
}

/// Python's `round(x, 2)` as `str` shows it (`1.0`, `0.02`).
fn round2(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    let text = format!("{rounded}");
    match text.contains('.') {
        true => text,
        false => format!("{text}.0"),
    }
}

/// Sleep, or less when a stop signal arrives; false when one did.
fn wait(seconds: u64) -> bool {
    let until = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < until {
        if interrupt::pending().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50).min(until - Instant::now()));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playbook::action_args::pause::Number;

    #[test]
    fn the_duration_is_in_seconds_at_least_one() {
        let args = |seconds: Option<u64>, minutes: Option<u64>| Args {
            seconds: seconds.map(Number::Int),
            minutes: minutes.map(Number::Int),
            prompt: None,
            echo: true,
        };
        assert_eq!(duration(&args(Some(0), None)), Ok(Some((1, false))));
        assert_eq!(duration(&args(None, Some(2))), Ok(Some((120, true))));
        assert_eq!(duration(&args(None, None)), Ok(None));
        assert!(duration(&args(Some(1), Some(1))).is_err());
        assert_eq!(round2(1.004), "1.0");
        assert_eq!(round2(0.0166), "0.02");
    }
}
