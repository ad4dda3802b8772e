//! The `locale_gen` module (Ansible's `community.general.locale_gen`): locales of the
//! target generated (`present`) or not (`absent`), as entries of /etc/locale.gen and a
//! run of `locale-gen` in the target. A name (`en_US.UTF-8`) becomes its entry
//! (`en_US.UTF-8 UTF-8`) from the root's locale.gen or /usr/share/i18n/SUPPORTED, as
//! Ansible finds it; enabling is firstboot's `locales` setting, disabling comments the
//! entry out. The diff is the one of /etc/locale.gen.

pub mod doc;

use crate::firstboot::locale_gen::normalized;
use crate::{
    firstboot, Change, Diff, Host, Module, ModuleError, Op, Ownership, Place, Plan, RunSpec,
};
use serde::{Deserialize, Deserializer};
use std::path::Path;

const LOCALE_GEN: &str = "/etc/locale.gen";
const SUPPORTED: &str = "/usr/share/i18n/SUPPORTED";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    #[default]
    Present,
    Absent,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// Locale names (`en_US.UTF-8`), one or a list.
    #[serde(deserialize_with = "one_or_more")]
    pub name: Vec<String>,
    #[serde(default)]
    pub state: State,
}

fn one_or_more<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Names {
        One(String),
        More(Vec<String>),
    }
    Ok(match Names::deserialize(deserializer)? {
        Names::One(name) => vec![name],
        Names::More(names) => names,
    })
}

pub struct LocaleGenModule;

impl Module for LocaleGenModule {
    type Args = Args;
    const NAME: &'static str = "locale_gen";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let current = text(host, LOCALE_GEN)?;
        let supported = text(host, SUPPORTED)?;
        let mut entries = Vec::new();
        for name in &args.name {
            let name = name.trim();
            if name.is_empty() || name.contains(char::is_whitespace) || name.contains('#') {
                return Err(ModuleError::invalid(
                    "name",
                    format!("'{name}' is not a locale name"),
                ));
            }
            let entry = entry_of(current.as_deref(), name)
                .or_else(|| entry_of(supported.as_deref(), name))
                .ok_or_else(|| {
                    ModuleError::invalid(
                        "name",
                        format!(
                            "The locale you've entered is not available on your system: {name} \
                             (not in {LOCALE_GEN} or {SUPPORTED})"
                        ),
                    )
                })?;
            entries.push(entry);
        }
        let plan = Plan::ok().with_data("name", &args.name);
        let change = match args.state {
            State::Present => firstboot::locales_change(host, &entries)?,
            State::Absent => disable_change(host, current.as_deref().unwrap_or(""), &entries)?,
        };
        Ok(Plan {
            changes: change.into_iter().collect(),
            ..plan
        })
    }
}

fn text(host: &Host, path: &str) -> Result<Option<String>, ModuleError> {
    Ok(host
        .read_file(Path::new(path))?
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
}

/// The entry (`NAME CHARSET`) of a locale name in a locale.gen or SUPPORTED list,
/// commented or not.
fn entry_of(list: Option<&str>, name: &str) -> Option<String> {
    list?.lines().find_map(|line| {
        let entry = normalized(line.trim_start().trim_start_matches('#'));
        let mut words = entry.split(' ');
        (words.next() == Some(name) && words.clone().count() == 1).then_some(entry)
    })
}

/// /etc/locale.gen with the entries commented out, then `locale-gen`.
fn disable_change(
    host: &Host,
    current: &str,
    entries: &[String],
) -> Result<Option<Change>, ModuleError> {
    let after: String = current
        .lines()
        .map(|line| {
            let enabled = !line.trim_start().starts_with('#');
            if enabled && entries.contains(&normalized(line)) {
                format!("# {}\n", line.trim())
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    if after == current || after.trim_end() == current.trim_end() {
        return Ok(None);
    }
    let meta = host.stat(Path::new(LOCALE_GEN))?;
    Ok(Some(Change {
        summary: "disable locales in /etc/locale.gen and run locale-gen".into(),
        diff: Some(Diff::of_path(LOCALE_GEN, current, after.clone())),
        ops: vec![
            Op::WriteFile {
                path: LOCALE_GEN.into(),
                content: after.into_bytes(),
                mode: meta.as_ref().map_or(0o644, |m| m.mode),
                owner: Ownership {
                    uid: meta.as_ref().map(|m| m.uid),
                    gid: meta.as_ref().map(|m| m.gid),
                },
            },
            Op::Run(RunSpec {
                argv: vec!["locale-gen".into()],
                place: Place::Target,
                ..RunSpec::default()
            }),
        ],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_their_entries() {
        let gen = "#  en_US ISO-8859-1\n#en_US.UTF-8 UTF-8\nde_DE.UTF-8 UTF-8\n";
        assert_eq!(
            entry_of(Some(gen), "en_US.UTF-8").as_deref(),
            Some("en_US.UTF-8 UTF-8")
        );
        assert_eq!(
            entry_of(Some(gen), "en_US").as_deref(),
            Some("en_US ISO-8859-1")
        );
        assert_eq!(entry_of(Some(gen), "fr_FR.UTF-8"), None);
        assert_eq!(
            entry_of(Some("# en_US.UTF-8 UTF-8 extra\n"), "en_US.UTF-8"),
            None
        );
    }
}
