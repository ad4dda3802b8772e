//! The blockinfile module (Ansible's `ansible.builtin.blockinfile`): a block of lines
//! between two marker lines, inserted, replaced or removed, placed as Ansible places
//! it (insertafter/insertbefore with BOF/EOF, a `(?m)` pattern searched across the
//! whole file), with append_newline/prepend_newline. The reading, writing, backup,
//! validate and file attributes are [`crate::edit`]'s.

pub(crate) mod doc;

use crate::edit::{self, Common, Edit, TextFile};
use crate::file::{IdArg, ModeArg};
use crate::lineinfile::State;
use crate::{Host, Module, ModuleError, Plan};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(alias = "dest", alias = "destfile", alias = "name")]
    pub path: String,
    #[serde(default)]
    pub state: State,
    #[serde(default = "default_marker")]
    pub marker: String,
    #[serde(
        default,
        alias = "content",
        deserialize_with = "crate::file::text_or_scalar"
    )]
    pub block: Option<String>,
    pub insertafter: Option<String>,
    pub insertbefore: Option<String>,
    #[serde(default)]
    pub create: bool,
    #[serde(default)]
    pub backup: bool,
    pub validate: Option<String>,
    #[serde(default = "default_begin")]
    pub marker_begin: String,
    #[serde(default = "default_end")]
    pub marker_end: String,
    #[serde(default)]
    pub append_newline: bool,
    #[serde(default)]
    pub prepend_newline: bool,
    pub mode: Option<ModeArg>,
    pub owner: Option<IdArg>,
    pub group: Option<IdArg>,
    pub unsafe_writes: Option<bool>,
}

fn default_marker() -> String {
    "# {mark} ANSIBLE MANAGED BLOCK".into()
}

fn default_begin() -> String {
    "BEGIN".into()
}

fn default_end() -> String {
    "END".into()
}

pub struct BlockinfileModule;

impl Module for BlockinfileModule {
    type Args = Args;
    const NAME: &'static str = "blockinfile";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        if args.insertafter.is_some() && args.insertbefore.is_some() {
            return Err(ModuleError::invalid(
                "insertafter",
                "parameters are mutually exclusive: insertbefore|insertafter",
            ));
        }
        let file = TextFile::open(host, &args.path)?;
        let original = file.content()?;
        let present = args.state == State::Present;
        if original.is_none() {
            if !present {
                return Ok(Plan::ok().with_msg(format!("File {} not present", file.shown)));
            }
            if !args.create {
                return Err(ModuleError::Failed(format!(
                    "Path {} does not exist !",
                    file.shown
                )));
            }
        }
        let before = original.clone().unwrap_or_default();
        let (after, block_written) = edited(args, &before)?;
        let (changed, msg) = if original.as_deref() == Some(&after[..]) {
            (false, "")
        } else if original.is_none() {
            (true, "File created")
        } else if !block_written {
            (true, "Block removed")
        } else {
            (true, "Block inserted")
        };
        let common = Common {
            backup: args.backup,
            validate: args.validate.as_deref(),
            mode: args.mode.as_ref(),
            owner: args.owner.as_ref(),
            group: args.group.as_ref(),
            unsafe_writes: args.unsafe_writes,
        };
        let edit = Edit {
            before,
            after,
            changed,
            msg: msg.to_string(),
            make_parents: true,
            header: crate::edit::DiffHeader::Content,
        };
        let planned = file.plan(edit, &common)?;
        Ok(match planned.backup {
            Some(backup) => planned.plan.with_data("backup_file", backup),
            None => planned.plan,
        })
    }
}

/// The file's new content, and whether it holds the block (false: removed).
fn edited(args: &Args, original: &[u8]) -> Result<(Vec<u8>, bool), ModuleError> {
    let mut lines = edit::splitlines(original);
    let present = args.state == State::Present;
    let marker = |mark: &str| {
        let mut line = args.marker.replace("{mark}", mark).into_bytes();
        line.push(b'\n');
        line
    };
    let marker0 = marker(&args.marker_begin);
    let marker1 = marker(&args.marker_end);
    let block = args.block.as_deref().unwrap_or_default().as_bytes();
    let block_lines: Vec<Vec<u8>> = if present && !block.is_empty() {
        let mut block = block.to_vec();
        if !block.ends_with(b"\n") {
            block.push(b'\n');
        }
        std::iter::once(marker0.clone())
            .chain(edit::splitlines(&block))
            .chain(std::iter::once(marker1.clone()))
            .collect()
    } else {
        Vec::new()
    };

    let (insertafter, insertbefore) = match (&args.insertafter, &args.insertbefore) {
        (None, None) => (Some("EOF"), None),
        (after, before) => (after.as_deref(), before.as_deref()),
    };
    let insert_pattern = match (insertafter, insertbefore) {
        (Some(after), _) if after != "EOF" => Some(("insertafter", after)),
        (None, Some(before)) if before != "BOF" => Some(("insertbefore", before)),
        _ => None,
    };

    let begin = lines.iter().rposition(|line| *line == marker0);
    let end = lines.iter().rposition(|line| *line == marker1);
    let mut at = match (begin, end) {
        (Some(n0), Some(n1)) if n0 < n1 => {
            lines.drain(n0..=n1);
            n0
        }
        (Some(n0), Some(n1)) => {
            lines.drain(n1..=n0);
            n1
        }
        _ => match insert_pattern {
            Some((field, pattern)) => {
                let regex = crate::pyregex::compile(pattern, false)
                    .map_err(|message| ModuleError::invalid(field, message))?;
                let found = if has_multiline_flag(pattern) {
                    regex.find(original).map(|found| {
                        let upto = if insertafter.is_some() {
                            found.end()
                        } else {
                            found.start()
                        };
                        original[..upto].iter().filter(|b| **b == b'\n').count()
                    })
                } else {
                    lines
                        .iter()
                        .rposition(|line| regex.is_match(edit::without_newline(line)))
                };
                match found {
                    None => lines.len(),
                    Some(n0) if insertafter.is_some() => n0 + 1,
                    Some(n0) => n0,
                }
            }
            None if insertbefore.is_some() => 0,
            None => lines.len(),
        },
    };
    if at > 0 && !lines[at - 1].ends_with(b"\n") {
        lines[at - 1].push(b'\n');
    }
    if args.prepend_newline && present && at != 0 && lines[at - 1] != b"\n" {
        lines.insert(at, b"\n".to_vec());
        at += 1;
    }
    let written = !block_lines.is_empty();
    let after_block = at + block_lines.len();
    lines.splice(at..at, block_lines);
    if args.append_newline && present && after_block < lines.len() && lines[after_block] != b"\n" {
        lines.insert(after_block, b"\n".to_vec());
    }
    Ok((lines.concat(), written))
}

/// Whether a pattern turns on Python's re.MULTILINE with a leading inline flag group
/// (`(?m)…`, `(?im)…`): Ansible then searches the whole file, not line by line.
fn has_multiline_flag(pattern: &str) -> bool {
    pattern
        .strip_prefix("(?")
        .and_then(|rest| rest.split_once(')'))
        .is_some_and(|(flags, _)| {
            flags.chars().all(|c| c.is_ascii_alphabetic()) && flags.contains('m')
        })
}

#[cfg(test)]
mod tests;
