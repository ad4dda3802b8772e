//! The `settings` of a container: systemd.nspawn(5)'s sections and keys under their
//! own names (`Exec: {Boot: true}`, `Files: {Bind: [/srv]}`), rendered into the
//! `.nspawn` file. Booleans become `yes`/`no`, lists become repeated keys. The known
//! sections and keys are those of systemd 252; a name outside them is an error with a
//! suggestion, at validation when the playbook is loaded.

use crate::args::did_you_mean;
use indexmap::IndexMap;
use serde::{Deserialize, Deserializer};

/// The keys of each section (systemd 252), and whether nspawn ignores the key in a
/// settings file it does not trust (one next to the image, in /var/lib/machines).
const SECTIONS: &[(&str, &[(&str, Trust)])] = &[
    (
        "Exec",
        &[
            ("Boot", Trust::Any),
            ("Ephemeral", Trust::Any),
            ("ProcessTwo", Trust::Any),
            ("Parameters", Trust::Any),
            ("Environment", Trust::Any),
            ("User", Trust::Any),
            ("WorkingDirectory", Trust::Any),
            ("PivotRoot", Trust::Any),
            ("Capability", Trust::Privileged),
            ("DropCapability", Trust::Any),
            ("AmbientCapability", Trust::Privileged),
            ("NoNewPrivileges", Trust::Any),
            ("KillSignal", Trust::Any),
            ("Personality", Trust::Any),
            ("MachineID", Trust::Privileged),
            ("PrivateUsers", Trust::Privileged),
            ("NotifyReady", Trust::Any),
            ("SystemCallFilter", Trust::Any),
            ("LimitCPU", Trust::Any),
            ("LimitFSIZE", Trust::Any),
            ("LimitDATA", Trust::Any),
            ("LimitSTACK", Trust::Any),
            ("LimitCORE", Trust::Any),
            ("LimitRSS", Trust::Any),
            ("LimitNOFILE", Trust::Any),
            ("LimitAS", Trust::Any),
            ("LimitNPROC", Trust::Any),
            ("LimitMEMLOCK", Trust::Any),
            ("LimitLOCKS", Trust::Any),
            ("LimitSIGPENDING", Trust::Any),
            ("LimitMSGQUEUE", Trust::Any),
            ("LimitNICE", Trust::Any),
            ("LimitRTPRIO", Trust::Any),
            ("LimitRTTIME", Trust::Any),
            ("OOMScoreAdjust", Trust::Any),
            ("CPUAffinity", Trust::Any),
            ("Hostname", Trust::Any),
            ("ResolvConf", Trust::Any),
            ("Timezone", Trust::Any),
            ("LinkJournal", Trust::Any),
            ("SuppressSync", Trust::Any),
        ],
    ),
    (
        "Files",
        &[
            ("ReadOnly", Trust::Any),
            ("Volatile", Trust::Any),
            ("Bind", Trust::Privileged),
            ("BindReadOnly", Trust::Privileged),
            ("BindUser", Trust::Privileged),
            ("TemporaryFileSystem", Trust::Privileged),
            ("Inaccessible", Trust::Privileged),
            ("Overlay", Trust::Privileged),
            ("OverlayReadOnly", Trust::Privileged),
            ("PrivateUsersOwnership", Trust::Privileged),
            ("PrivateUsersChown", Trust::Privileged),
        ],
    ),
    (
        "Network",
        &[
            ("Private", Trust::Any),
            ("VirtualEthernet", Trust::Privileged),
            ("VirtualEthernetExtra", Trust::Privileged),
            ("Interface", Trust::Privileged),
            ("MACVLAN", Trust::Privileged),
            ("IPVLAN", Trust::Privileged),
            ("Bridge", Trust::Privileged),
            ("Zone", Trust::Privileged),
            ("Port", Trust::Privileged),
        ],
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trust {
    /// Read from any settings file.
    Any,
    /// Only from /etc/systemd/nspawn or /run/systemd/nspawn ("privileged" in the man page).
    Privileged,
}

/// One setting's value as written in the playbook.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    List(Vec<Value>),
}

/// A name in the settings that systemd-nspawn does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    /// `[section]` or `[section, key]`.
    pub path: Vec<String>,
    pub message: String,
}

/// Settings in the order written: section → key → value.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings(IndexMap<String, IndexMap<String, Value>>);

impl<'de> Deserialize<'de> for Settings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Settings, D::Error> {
        let sections = IndexMap::<String, IndexMap<String, Value>>::deserialize(deserializer)?;
        for (section, keys) in &sections {
            for key in keys.keys() {
                check_name(section, Some(key))
                    .map_err(|unknown| serde::de::Error::custom(unknown.message))?;
            }
            check_name(section, None)
                .map_err(|unknown| serde::de::Error::custom(unknown.message))?;
        }
        Ok(Settings(sections))
    }
}

/// Check the section and key names of `settings` as written (values may still be
/// templates): the first unknown name, with a suggestion.
pub fn check_names(settings: &serde_json::Value) -> Result<(), UnknownName> {
    let Some(sections) = settings.as_object() else {
        return Ok(());
    };
    for (section, keys) in sections {
        check_name(section, None)?;
        for key in keys.as_object().into_iter().flat_map(|keys| keys.keys()) {
            check_name(section, Some(key))?;
        }
    }
    Ok(())
}

fn check_name(section: &str, key: Option<&str>) -> Result<(), UnknownName> {
    let Some((_, keys)) = SECTIONS.iter().find(|(name, _)| *name == section) else {
        let hint = did_you_mean(section, SECTIONS.iter().map(|(name, _)| *name))
            .map(|name| format!(" (did you mean '{name}'?)"))
            .unwrap_or_default();
        return Err(UnknownName {
            path: vec![section.to_string()],
            message: format!(
                "unknown section '{section}' in settings{hint}; systemd.nspawn(5) has Exec, Files and Network"
            ),
        });
    };
    let Some(key) = key else {
        return Ok(());
    };
    if keys.iter().any(|(name, _)| *name == key) {
        return Ok(());
    }
    let hint = did_you_mean(key, keys.iter().map(|(name, _)| *name))
        .map(|name| format!(" (did you mean '{name}'?)"))
        .unwrap_or_default();
    Err(UnknownName {
        path: vec![section.to_string(), key.to_string()],
        message: format!("unknown key '{key}' in section [{section}] of settings{hint}"),
    })
}

impl Settings {
    /// The `.nspawn` file: sections in the order given, one line per value.
    pub fn render(&self) -> Result<String, String> {
        let mut out = String::new();
        for (section, keys) in &self.0 {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&format!("[{section}]\n"));
            for (key, value) in keys {
                for line in lines(value).map_err(|msg| format!("{section}.{key}: {msg}"))? {
                    out.push_str(&format!("{key}={line}\n"));
                }
            }
        }
        Ok(out)
    }

    /// The privileged keys present (`Files.Bind`, `Network.Bridge`, …).
    pub fn privileged(&self) -> Vec<String> {
        let mut found = Vec::new();
        for (section, keys) in &self.0 {
            let known = SECTIONS
                .iter()
                .find(|(name, _)| name == section)
                .map_or(&[][..], |(_, keys)| *keys);
            for key in keys.keys() {
                if known.contains(&(key.as_str(), Trust::Privileged)) {
                    found.push(format!("{section}.{key}"));
                }
            }
        }
        found
    }

    /// The host paths bound into the container (`Bind`, `BindReadOnly`: SOURCE[:DEST…]).
    pub fn bind_sources(&self) -> Vec<String> {
        let Some(files) = self.0.get("Files") else {
            return Vec::new();
        };
        ["Bind", "BindReadOnly"]
            .iter()
            .filter_map(|key| files.get(*key))
            .flat_map(|value| lines(value).unwrap_or_default())
            .filter_map(|line| {
                let source = line.split(':').next().unwrap_or_default();
                (source.starts_with('/')).then(|| source.to_string())
            })
            .collect()
    }
}

/// The value as the lines of one key: yes/no for booleans, one per list item.
fn lines(value: &Value) -> Result<Vec<String>, String> {
    let one = |value: &Value| -> Result<String, String> {
        let text = match value {
            Value::Bool(true) => "yes".to_string(),
            Value::Bool(false) => "no".to_string(),
            Value::Int(number) => number.to_string(),
            Value::Float(number) => number.to_string(),
            Value::Text(text) => text.clone(),
            Value::List(_) => return Err("a list inside a list".into()),
        };
        if text.contains('\n') {
            return Err("a value cannot span lines".into());
        }
        Ok(text)
    };
    match value {
        Value::List(items) => items.iter().map(one).collect(),
        value => Ok(vec![one(value)?]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings(value: serde_json::Value) -> Result<Settings, String> {
        serde_json::from_value(value).map_err(|err| err.to_string())
    }

    #[test]
    fn renders_booleans_lists_and_order() -> Result<(), String> {
        let rendered = settings(json!({
            "Exec": {"Boot": true, "PrivateUsers": "pick"},
            "Files": {"Bind": ["/var/cache/pacman/pkg", "/srv:/mnt:rbind"], "ReadOnly": false},
            "Network": {"Bridge": "br0"},
        }))?
        .render()?;
        assert_eq!(
            rendered,
            "[Exec]\nBoot=yes\nPrivateUsers=pick\n\n[Files]\nBind=/var/cache/pacman/pkg\nBind=/srv:/mnt:rbind\nReadOnly=no\n\n[Network]\nBridge=br0\n"
        );
        Ok(())
    }

    #[test]
    fn unknown_names_get_suggestions() {
        let err = settings(json!({"Network": {"Bridg": "br0"}}))
            .err()
            .unwrap_or_default();
        assert!(err.contains("did you mean 'Bridge'"), "{err}");
        let err = settings(json!({"exec": {"Boot": true}}))
            .err()
            .unwrap_or_default();
        assert!(err.contains("did you mean 'Exec'"), "{err}");
        assert_eq!(
            check_names(&json!({"Files": {"Bnd": "{{ x }}"}})).map_err(|e| e.path),
            Err(vec!["Files".to_string(), "Bnd".to_string()])
        );
        assert!(check_names(&json!({"Files": {"Bind": "{{ x }}"}})).is_ok());
    }

    #[test]
    fn privileged_keys_and_bind_sources() -> Result<(), String> {
        let parsed = settings(json!({
            "Exec": {"Boot": true, "PrivateUsers": "pick"},
            "Files": {"Bind": ["/a", "/b:/c"], "BindReadOnly": "+/rel"},
            "Network": {"Private": true, "Bridge": "br0"},
        }))?;
        assert_eq!(
            parsed.privileged(),
            [
                "Exec.PrivateUsers",
                "Files.Bind",
                "Files.BindReadOnly",
                "Network.Bridge"
            ]
        );
        assert_eq!(parsed.bind_sources(), ["/a", "/b"]);
        Ok(())
    }

    #[test]
    fn nested_lists_and_multiline_values_are_refused() -> Result<(), String> {
        assert!(settings(json!({"Exec": {"Parameters": [["a"]]}}))?
            .render()
            .is_err());
        assert!(settings(json!({"Exec": {"Hostname": "a\nb"}}))?
            .render()
            .is_err());
        Ok(())
    }
}
