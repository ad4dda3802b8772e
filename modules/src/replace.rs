//! The replace module (Ansible's `ansible.builtin.replace`): every match of a Python
//! regular expression (re.MULTILINE) replaced, within the section between `after` and
//! `before` when given (re.DOTALL, as Ansible builds it). UTF-8 files only. The
//! reading, writing, backup, validate and file attributes are [`crate::edit`]'s.

pub(crate) mod doc;

use crate::edit::{Common, Edit, TextFile};
use crate::file::{IdArg, ModeArg};
use crate::{Host, Module, ModuleError, Plan};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(alias = "dest", alias = "destfile", alias = "name")]
    pub path: String,
    pub regexp: String,
    #[serde(default, deserialize_with = "crate::file::text_or_scalar")]
    pub replace: Option<String>,
    pub after: Option<String>,
    pub before: Option<String>,
    #[serde(default)]
    pub backup: bool,
    pub validate: Option<String>,
    pub encoding: Option<String>,
    pub mode: Option<ModeArg>,
    pub owner: Option<IdArg>,
    pub group: Option<IdArg>,
    pub unsafe_writes: Option<bool>,
}

pub struct ReplaceModule;

impl Module for ReplaceModule {
    type Args = Args;
    const NAME: &'static str = "replace";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        if let Some(encoding) = &args.encoding {
            let normal = encoding.to_ascii_lowercase().replace('_', "-");
            if normal != "utf-8" && normal != "utf8" {
                return Err(ModuleError::invalid(
                    "encoding",
                    format!("encoding '{encoding}' is not supported: only utf-8 files are"),
                ));
            }
        }
        let file = TextFile::open(host, &args.path)?;
        let Some(bytes) = file.content()? else {
            return Err(ModuleError::Failed(format!(
                "Path {} does not exist !",
                file.shown
            )));
        };
        let contents = String::from_utf8(bytes)
            .map_err(|_| ModuleError::Failed(format!("{} is not valid UTF-8", file.shown)))?;
        let section_pattern = match (
            args.after.as_deref().filter(|a| !a.is_empty()),
            args.before.as_deref().filter(|b| !b.is_empty()),
        ) {
            (Some(after), Some(before)) => Some(format!("{after}(?P<subsection>.*?){before}")),
            (Some(after), None) => Some(format!("{after}(?P<subsection>.*)")),
            (None, Some(before)) => Some(format!("(?P<subsection>.*){before}")),
            (None, None) => None,
        };
        let (start, end) = match &section_pattern {
            None => (0, contents.len()),
            Some(pattern) => {
                let section = crate::pyregex::compile(&format!("(?s){pattern}"), false)
                    .map_err(|message| ModuleError::invalid("after", message))?;
                let found = section
                    .captures(contents.as_bytes())
                    .and_then(|caps| caps.name("subsection"))
                    .map(|m| (m.start(), m.end()));
                match found {
                    Some(range) => range,
                    None => {
                        return Ok(Plan::ok()
                            .with_msg(format!(
                                "Pattern for before/after params did not match the given file: {pattern}"
                            ))
                            .with_data("rc", 0))
                    }
                }
            }
        };
        let regexp = crate::pyregex::compile(&args.regexp, true)
            .map_err(|message| ModuleError::invalid("regexp", message))?;
        let section = &contents.as_bytes()[start..end];
        let template = crate::pyregex::python_replacement(args.replace.as_deref().unwrap_or(""));
        let count = regexp.find_iter(section).count();
        let replaced = regexp.replace_all(section, template.as_bytes());
        let changed = count > 0 && *replaced != *section;
        let mut after = contents.as_bytes()[..start].to_vec();
        after.extend_from_slice(&replaced);
        after.extend_from_slice(&contents.as_bytes()[end..]);
        let common = Common {
            backup: args.backup,
            validate: args.validate.as_deref(),
            mode: args.mode.as_ref(),
            owner: args.owner.as_ref(),
            group: args.group.as_ref(),
            unsafe_writes: args.unsafe_writes,
        };
        let edit = Edit {
            before: contents.into_bytes(),
            after,
            changed,
            msg: if changed {
                format!("{count} replacements made")
            } else {
                String::new()
            },
            make_parents: false,
            header: crate::edit::DiffHeader::Path,
        };
        let planned = file.plan(edit, &common)?;
        let plan = planned.plan.with_data("rc", 0);
        Ok(match planned.backup {
            Some(backup) => plan.with_data("backup_file", backup),
            None => plan,
        })
    }
}

#[cfg(test)]
mod tests;
