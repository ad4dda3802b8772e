//! What systemctl's answers mean: `is-enabled` (offline and live) and
//! `show -p LoadState,ActiveState,SubState,UnitFileState,NeedDaemonReload` (live).

use crate::{Host, ModuleError, OpOutput};

/// A unit file's enablement, as `systemctl is-enabled` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enablement {
    /// `enabled`, `alias`: linked from a target's .wants/ for good.
    Enabled,
    /// `disabled`, `enabled-runtime`, `linked`, `linked-runtime`: not enabled for good
    /// (a runtime enablement is gone at the next boot, so `enable` still has work).
    Disabled(String),
    /// `masked`, `masked-runtime`: linked to /dev/null.
    Masked,
    /// `static`, `indirect`, `generated`, `transient`: no [Install] section of its own
    /// (or not a file at all); enabling or disabling it has no meaning.
    Fixed(String),
    /// No unit file of that name.
    NotFound,
}

impl Enablement {
    /// Read `systemctl is-enabled UNIT`'s output; `Err` with systemctl's complaint when
    /// it answered nothing we know.
    pub fn parse(output: &OpOutput) -> Result<Enablement, String> {
        let word = output
            .stdout
            .lines()
            .map(str::trim)
            .rfind(|line| !line.is_empty())
            .unwrap_or_default();
        if let Some(known) = Enablement::from_word(word) {
            return Ok(known);
        }
        Ok(match word {
            "" if output.stderr.contains("No such file or directory") => Enablement::NotFound,
            _ => {
                let said = match output.stdout.trim() {
                    "" => output.said(),
                    stdout => format!("{stdout}; {}", output.said()),
                };
                return Err(format!(
                    "systemctl is-enabled gave no state we know: {said}"
                ));
            }
        })
    }

    /// The state a word of `systemctl is-enabled` names.
    pub fn from_word(word: &str) -> Option<Enablement> {
        Some(match word {
            "enabled" | "alias" => Enablement::Enabled,
            "disabled" | "enabled-runtime" | "linked" | "linked-runtime" => {
                Enablement::Disabled(word.to_string())
            }
            "masked" | "masked-runtime" => Enablement::Masked,
            "static" | "indirect" | "generated" | "transient" => {
                Enablement::Fixed(word.to_string())
            }
            "not-found" => Enablement::NotFound,
            _ => return None,
        })
    }

    /// Whether the unit counts as enabled for `enabled: true`.
    pub fn is_enabled(&self) -> bool {
        *self == Enablement::Enabled
    }

    /// The word shown in diffs and results.
    pub fn word(&self) -> &str {
        match self {
            Enablement::Enabled => "true",
            Enablement::Disabled(_) => "false",
            Enablement::Masked => "masked",
            Enablement::Fixed(word) => word,
            Enablement::NotFound => "not-found",
        }
    }
}

/// A unit as the running manager sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Activity {
    pub load_state: String,
    pub active_state: String,
    pub sub_state: String,
    pub unit_file_state: String,
    /// The unit's file or drop-ins changed on disk since the manager loaded them.
    pub need_daemon_reload: bool,
}

impl Activity {
    /// The properties asked for with `systemctl show -p …`.
    pub const PROPERTIES: &'static str =
        "LoadState,ActiveState,SubState,UnitFileState,NeedDaemonReload";

    /// Read `KEY=VALUE` lines of `systemctl show`.
    pub fn parse(stdout: &str) -> Activity {
        let mut activity = Activity::default();
        for line in stdout.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = value.trim().to_string();
            match key {
                "LoadState" => activity.load_state = value,
                "ActiveState" => activity.active_state = value,
                "SubState" => activity.sub_state = value,
                "UnitFileState" => activity.unit_file_state = value,
                "NeedDaemonReload" => activity.need_daemon_reload = value == "yes",
                _ => {}
            }
        }
        activity
    }

    /// Running, or on its way (Ansible's test: active or activating).
    pub fn is_active(&self) -> bool {
        matches!(
            self.active_state.as_str(),
            "active" | "activating" | "reloading"
        )
    }

    pub fn is_found(&self) -> bool {
        self.load_state != "not-found" && !self.load_state.is_empty()
    }

    /// The registered `status` mapping (Ansible registers the unit's properties).
    pub fn as_json(&self) -> serde_json::Value {
        serde_json::json!({
            "LoadState": self.load_state,
            "ActiveState": self.active_state,
            "SubState": self.sub_state,
            "UnitFileState": self.unit_file_state,
            "NeedDaemonReload": if self.need_daemon_reload { "yes" } else { "no" },
        })
    }
}

/// Before asking `systemctl --root` about `unit`: `None` when the root exists. An
/// offline root that does not exist yet is one an earlier task would create when the
/// Host holds that task's predictions (the unit is predicted not enabled; the warning
/// says so), and otherwise a failure.
pub fn missing_root(host: &Host, unit: &str) -> Result<Option<String>, ModuleError> {
    if !host.is_offline() || host.root_exists() {
        return Ok(None);
    }
    if host.holds_predictions() {
        return Ok(Some(format!(
            "{} does not exist yet: assuming an earlier task creates it, {unit} is \
             predicted not enabled",
            host.root().display()
        )));
    }
    Err(ModuleError::Failed(format!(
        "the root {} does not exist",
        host.root().display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(rc: i32, stdout: &str, stderr: &str) -> OpOutput {
        OpOutput {
            rc: Some(rc),
            stdout: stdout.into(),
            stderr: stderr.into(),
        }
    }

    #[test]
    fn is_enabled_words() {
        let parse = |out| Enablement::parse(&out);
        assert_eq!(parse(said(0, "enabled\n", "")), Ok(Enablement::Enabled));
        assert_eq!(
            parse(said(1, "disabled\n", "")),
            Ok(Enablement::Disabled("disabled".into()))
        );
        assert_eq!(parse(said(1, "masked\n", "")), Ok(Enablement::Masked));
        assert_eq!(
            parse(said(0, "static\n", "")),
            Ok(Enablement::Fixed("static".into()))
        );
        assert_eq!(
            parse(said(
                1,
                "",
                "Failed to get unit file state for x.service: No such file or directory\n"
            )),
            Ok(Enablement::NotFound)
        );
        assert_eq!(
            parse(said(1, "", "Access denied\n")),
            Err("systemctl is-enabled gave no state we know: Access denied".into())
        );
        assert_eq!(
            parse(said(1, "bad\n", "")),
            Err("systemctl is-enabled gave no state we know: bad; it printed nothing on stderr (exit code 1)".into())
        );
    }

    #[test]
    fn show_properties() {
        let activity = Activity::parse(
            "LoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nNeedDaemonReload=no\n",
        );
        assert!(activity.is_active());
        assert!(activity.is_found());
        assert!(!activity.need_daemon_reload);
        let gone =
            Activity::parse("LoadState=not-found\nActiveState=inactive\nNeedDaemonReload=yes\n");
        assert!(!gone.is_active());
        assert!(!gone.is_found());
        assert!(gone.need_daemon_reload);
    }
}
