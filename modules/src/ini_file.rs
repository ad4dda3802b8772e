//! The ini_file module (`community.general.ini_file`): one option of one section of an
//! INI-style file set, added, or removed, or a whole section added or removed,
//! written byte for byte as community.general 11's `do_ini` writes it — its fake
//! first and last sections, its order of edits (matching values kept, other
//! occurrences rewritten, the rest deleted under `exclusive`, missing ones inserted
//! after the section's last non-blank non-comment line), commented-out options
//! (`#opt = v`, `;opt`) reused unless `modify_inactive_option: false`, and its
//! messages. The reading, writing, backup and file attributes are [`crate::edit`]'s.
//!
//! As Python reads the file (UTF-8 with an optional BOM, universal newlines), `\r\n`
//! and `\r` become `\n` in what an edit writes. `section_has_values` and `follow` are
//! not arguments here (refused as unknown).

pub(crate) mod doc;
mod lines;

use crate::edit::{Common, Edit, TextFile};
use crate::file::{IdArg, ModeArg};
use crate::{Host, Module, ModuleError, Plan};
use serde::Deserialize;

pub use crate::presence::Presence as State;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(alias = "dest")]
    pub path: String,
    #[serde(default, deserialize_with = "crate::file::text_or_scalar")]
    pub section: Option<String>,
    #[serde(default, deserialize_with = "crate::file::text_or_scalar")]
    pub option: Option<String>,
    #[serde(default, deserialize_with = "crate::file::text_or_scalar")]
    pub value: Option<String>,
    #[serde(default, deserialize_with = "scalar_list")]
    pub values: Option<Vec<Option<String>>>,
    #[serde(default)]
    pub state: State,
    #[serde(default = "yes")]
    pub exclusive: bool,
    #[serde(default)]
    pub allow_no_value: bool,
    #[serde(default)]
    pub no_extra_spaces: bool,
    #[serde(default)]
    pub ignore_spaces: bool,
    #[serde(default = "yes")]
    pub modify_inactive_option: bool,
    #[serde(default = "yes")]
    pub create: bool,
    #[serde(default)]
    pub backup: bool,
    pub mode: Option<ModeArg>,
    pub owner: Option<IdArg>,
    pub group: Option<IdArg>,
    pub unsafe_writes: Option<bool>,
}

fn yes() -> bool {
    true
}

/// Ansible's `list` of `str`: a list of scalars (each as Ansible makes it a string),
/// or one string of comma-separated items.
fn scalar_list<'de, D: serde::Deserializer<'de>>(
    de: D,
) -> Result<Option<Vec<Option<String>>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(transparent)]
    struct Item(#[serde(deserialize_with = "crate::file::text_or_scalar")] Option<String>);
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum List {
        Text(String),
        Items(Vec<Item>),
    }
    Ok(Option::<List>::deserialize(de)?.map(|list| match list {
        List::Text(text) => text.split(',').map(|s| Some(s.to_string())).collect(),
        List::Items(items) => items.into_iter().map(|item| item.0).collect(),
    }))
}

pub struct IniFileModule;

impl Module for IniFileModule {
    type Args = Args;
    const NAME: &'static str = "ini_file";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        if args.value.is_some() && args.values.is_some() {
            return Err(ModuleError::invalid(
                "values",
                "parameters are mutually exclusive: value|values",
            ));
        }
        let values: Vec<Option<String>> = match (&args.value, &args.values) {
            (Some(value), _) => vec![Some(value.clone())],
            (None, Some(values)) => values.clone(),
            (None, None) => Vec::new(),
        };
        if args.state == State::Present
            && !args.allow_no_value
            && args.value.is_none()
            && values.is_empty()
        {
            return Err(ModuleError::Failed(
                "Parameter 'value(s)' must be defined if state=present and allow_no_value=False."
                    .into(),
            ));
        }
        let file = TextFile::open(host, &args.path)?;
        let existing = file.content()?;
        if existing.is_none() && !args.create {
            return Err(ModuleError::Failed(format!(
                "Destination {} does not exist!",
                file.shown
            )));
        }
        let text = match &existing {
            None => String::new(),
            Some(bytes) => {
                let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
                String::from_utf8(bytes.to_vec())
                    .map_err(|_| ModuleError::Failed(format!("{} is not UTF-8 text", file.shown)))?
                    .replace("\r\n", "\n")
                    .replace('\r', "\n")
            }
        };
        let edited = lines::edit(
            &text,
            &lines::Wanted {
                section: args.section.as_deref().filter(|s| !s.is_empty()),
                option: args.option.as_deref(),
                values,
                state: args.state,
                exclusive: args.exclusive,
                allow_no_value: args.allow_no_value,
                no_extra_spaces: args.no_extra_spaces,
                ignore_spaces: args.ignore_spaces,
                modify_inactive_option: args.modify_inactive_option,
            },
        )?;
        tracing::debug!(path = %file.shown, msg = edited.msg, changed = edited.changed, "ini_file");
        if existing.is_none() && !edited.changed {
            // Nothing to write, and no file to set attributes on.
            return Ok(Plan::ok()
                .with_msg(edited.msg)
                .with_data("path", &args.path));
        }
        let common = Common {
            backup: args.backup,
            validate: None,
            mode: args.mode.as_ref(),
            owner: args.owner.as_ref(),
            group: args.group.as_ref(),
            unsafe_writes: args.unsafe_writes,
        };
        let edit = Edit {
            changed: edited.changed,
            before: text.into_bytes(),
            after: edited.text.into_bytes(),
            msg: edited.msg.to_string(),
            make_parents: true,
            header: crate::edit::DiffHeader::Content,
        };
        let planned = file.plan(edit, &common)?;
        let mut plan = planned
            .plan
            .with_msg(edited.msg)
            .with_data("path", &args.path);
        if let Some(backup) = planned.backup {
            plan = plan.with_data("backup_file", backup);
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests;
