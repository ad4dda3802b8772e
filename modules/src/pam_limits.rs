//! The pam_limits module (`community.general.pam_limits`): one `DOMAIN TYPE ITEM
//! VALUE` line of limits.conf(5) set, edited line by line as community.general 11
//! edits it — whitespace runs read as one space, the first matching line's value
//! replaced (or kept under `use_max`/`use_min`), a missing limit appended, a trailing
//! `# comment` kept, or given with `comment` — and its messages, byte for byte,
//! including the quirks its users' files already carry: a comment taken from an
//! earlier line is reused for the limit written, with its line end. Every value in
//! the file is checked as the module checks it. The reading, writing and backup are
//! [`crate::edit`]'s; the file is not created in a missing directory.

pub(crate) mod doc;

use crate::edit::{Common, DiffHeader, Edit, TextFile};
use crate::{Host, Module, ModuleError, Plan};
use serde::Deserialize;

/// limits.conf's items (community.general's `pam_items`).
pub const ITEMS: &[&str] = &[
    "core",
    "data",
    "fsize",
    "memlock",
    "nofile",
    "rss",
    "stack",
    "cpu",
    "nproc",
    "as",
    "maxlogins",
    "maxsyslogins",
    "priority",
    "locks",
    "sigpending",
    "msgqueue",
    "nice",
    "rtprio",
    "chroot",
];

/// `soft`, `hard`, or `-` (both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum LimitType {
    #[serde(rename = "soft")]
    Soft,
    #[serde(rename = "hard")]
    Hard,
    #[serde(rename = "-")]
    Both,
}

impl LimitType {
    fn as_str(self) -> &'static str {
        match self {
            LimitType::Soft => "soft",
            LimitType::Hard => "hard",
            LimitType::Both => "-",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(deserialize_with = "crate::file::text_or_scalar")]
    pub domain: Option<String>,
    pub limit_type: LimitType,
    #[serde(deserialize_with = "limit_item")]
    pub limit_item: String,
    #[serde(deserialize_with = "crate::file::text_or_scalar")]
    pub value: Option<String>,
    #[serde(default)]
    pub use_max: bool,
    #[serde(default)]
    pub use_min: bool,
    #[serde(default)]
    pub backup: bool,
    #[serde(default = "limits_conf")]
    pub dest: String,
    #[serde(default, deserialize_with = "crate::file::text_or_scalar")]
    pub comment: Option<String>,
}

/// One of [`ITEMS`], refused otherwise as Ansible's choices are.
fn limit_item<'de, D: serde::Deserializer<'de>>(de: D) -> Result<String, D::Error> {
    let item = String::deserialize(de)?;
    match ITEMS.contains(&item.as_str()) {
        true => Ok(item),
        false => Err(serde::de::Error::custom(format!(
            "value of limit_item must be one of: {}, got: {item}",
            ITEMS.join(", ")
        ))),
    }
}

fn limits_conf() -> String {
    "/etc/security/limits.conf".into()
}

pub struct PamLimitsModule;

impl Module for PamLimitsModule {
    type Args = Args;
    const NAME: &'static str = "pam_limits";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let wanted = Wanted::from_args(args)?;
        let file = TextFile::open(host, &args.dest)?;
        let existing = file.content()?;
        if existing.is_none() && !file.parent_is_dir()? {
            let parent = std::path::Path::new(&file.shown)
                .parent()
                .unwrap_or(std::path::Path::new("/"));
            return Err(ModuleError::Failed(format!(
                "directory {} is not writable (check presence, access rights, use sudo)",
                parent.display()
            )));
        }
        let before = match &existing {
            None => String::new(),
            Some(bytes) => String::from_utf8(bytes.clone())
                .map_err(|_| ModuleError::Failed(format!("{} is not UTF-8 text", file.shown)))?,
        };
        let edited = edit(&before, &wanted, &file.shown)?;
        tracing::debug!(path = %file.shown, changed = edited.changed, "pam_limits");
        let changed = edited.changed || existing.is_none();
        let common = Common {
            backup: args.backup,
            validate: None,
            mode: None,
            owner: None,
            group: None,
            unsafe_writes: None,
        };
        let planned = file.plan(
            Edit {
                changed,
                before: before.into_bytes(),
                after: edited.text.into_bytes(),
                msg: String::new(),
                make_parents: false,
                header: DiffHeader::Bare,
            },
            &common,
        )?;
        let mut plan = planned.plan.with_msg(edited.message);
        if let Some(backup) = planned.backup {
            plan = plan.with_data("backup_file", backup);
        }
        Ok(plan)
    }
}

/// The limit asked for, checked as the module checks its arguments.
struct Wanted<'a> {
    domain: &'a str,
    limit_type: &'static str,
    item: &'a str,
    value: &'a str,
    use_max: bool,
    use_min: bool,
    comment: &'a str,
}

impl<'a> Wanted<'a> {
    fn from_args(args: &'a Args) -> Result<Wanted<'a>, ModuleError> {
        let required = |value: &'a Option<String>, name: &str| {
            value.as_deref().ok_or_else(|| {
                ModuleError::invalid(name, format!("missing required arguments: {name}"))
            })
        };
        let domain = required(&args.domain, "domain")?;
        let value = required(&args.value, "value")?;
        if args.use_max && args.use_min {
            return Err(ModuleError::Failed(
                "Cannot use use_min and use_max at the same time.".into(),
            ));
        }
        check_value(&args.limit_item, value, "")?;
        Ok(Wanted {
            domain,
            limit_type: args.limit_type.as_str(),
            item: &args.limit_item,
            value,
            use_max: args.use_max,
            use_min: args.use_min,
            comment: args.comment.as_deref().unwrap_or(""),
        })
    }
}

/// Python's `repr` of a string as the module's messages show it.
fn repr(text: &str) -> String {
    if text.contains('\'') && !text.contains('"') {
        format!("\"{text}\"")
    } else {
        format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

/// The module's `_assert_is_valid_value`.
fn check_value(item: &str, value: &str, prefix: &str) -> Result<(), ModuleError> {
    let valid = if matches!(item, "nice" | "priority") {
        python_int(value).is_some_and(|n| (-20..=19).contains(&n))
    } else {
        matches!(value, "unlimited" | "infinity" | "-1") || is_python_digits(value)
    };
    if valid {
        return Ok(());
    }
    let (value, item) = (repr(value), repr(item));
    Err(ModuleError::Failed(
        if matches!(item.as_str(), "'nice'" | "'priority'") {
            format!(
            "{prefix} Value of {value} for item {item} is invalid. Value must be a number in the range -20 to 19 inclusive. Refer to the limits.conf(5) manual pages for more details."
        )
        } else {
            format!(
            "{prefix} Value of {value} for item {item} is invalid. Value must either be 'unlimited', 'infinity' or -1, all of which indicate no limit, or a limit of 0 or larger. Refer to the limits.conf(5) manual pages for more details."
        )
        },
    ))
}

/// Python's `str.isdigit()` for the ASCII digits a limit is written with.
fn is_python_digits(value: &str) -> bool {
    !value.is_empty() && value.chars().all(|c| c.is_ascii_digit())
}

/// Python's `int(str)`: surrounding whitespace, a sign, digits and underscores
/// between them.
fn python_int(value: &str) -> Option<i64> {
    let trimmed = value.trim();
    let digits = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    trimmed.replace('_', "").parse().ok()
}

/// The file edited: its text, whether it changed, and the module's `msg` (the
/// limit's line as it now stands, with its line end).
struct Edited {
    text: String,
    changed: bool,
    message: String,
}

/// community.general 11's loop over limits.conf, line by line.
fn edit(before: &str, wanted: &Wanted, shown: &str) -> Result<Edited, ModuleError> {
    let mut out = String::with_capacity(before.len() + 64);
    let mut changed = false;
    let mut found = false;
    let mut message = String::new();
    let mut new_value = wanted.value.to_string();
    let mut new_comment = wanted.comment.to_string();
    let invalid_prefix = format!("Invalid configuration found in '{shown}'.");
    for line in before.split_inclusive('\n') {
        if line.starts_with('#') {
            out.push_str(line);
            continue;
        }
        let squeezed = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if squeezed.is_empty() {
            out.push_str(line);
            continue;
        }
        let without_comment = squeezed.split('#').next().unwrap_or_default().trim_end();
        let old_comment = line.split_once('#').map_or("", |(_, comment)| comment);
        if new_comment.is_empty() {
            new_comment = old_comment.to_string();
        }
        let fields: Vec<&str> = without_comment.split(' ').collect();
        let [domain, limit_type, item, actual] = fields[..] else {
            out.push_str(line);
            continue;
        };
        check_value(item, actual, &invalid_prefix)?;
        if domain != wanted.domain || limit_type != wanted.limit_type || item != wanted.item {
            out.push_str(line);
            continue;
        }
        found = true;
        if wanted.value == actual {
            message = line.to_string();
            out.push_str(line);
            continue;
        }
        let no_limit = |value: &str| matches!(value, "unlimited" | "infinity" | "-1");
        let (actual_unlimited, value_unlimited) = (no_limit(actual), no_limit(wanted.value));
        let number = |value: &str| python_int(value).unwrap_or_default();
        if wanted.use_max {
            new_value = if actual_unlimited {
                actual.to_string()
            } else if value_unlimited {
                wanted.value.to_string()
            } else {
                number(wanted.value).max(number(actual)).to_string()
            };
        }
        if wanted.use_min {
            new_value = match (actual_unlimited, value_unlimited) {
                (true, true) | (false, true) => actual.to_string(),
                (true, false) => wanted.value.to_string(),
                (false, false) => number(wanted.value).min(number(actual)).to_string(),
            };
        }
        if new_value != actual {
            changed = true;
            if !new_comment.is_empty() {
                new_comment = format!("\t#{new_comment}");
            }
            let limit = limit_line(wanted, &new_value, &new_comment);
            out.push_str(&limit);
            message = limit;
        } else {
            message = line.to_string();
            out.push_str(line);
        }
    }
    if !found {
        changed = true;
        if !new_comment.is_empty() {
            new_comment = format!("\t#{new_comment}");
        }
        let limit = limit_line(wanted, &new_value, &new_comment);
        out.push_str(&limit);
        message = limit;
    }
    Ok(Edited {
        text: out,
        changed,
        message,
    })
}

/// `DOMAIN\tTYPE\tITEM\tVALUE[\t#COMMENT]\n`, as the module writes a limit.
fn limit_line(wanted: &Wanted, value: &str, comment: &str) -> String {
    format!(
        "{}\t{}\t{}\t{value}{comment}\n",
        wanted.domain, wanted.limit_type, wanted.item
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(value: &'static str) -> Wanted<'static> {
        Wanted {
            domain: "joe",
            limit_type: "soft",
            item: "nofile",
            value,
            use_max: false,
            use_min: false,
            comment: "",
        }
    }

    #[test]
    fn a_missing_limit_is_appended() {
        let edited = edit("# header\n\n", &wanted("64000"), "/l").unwrap();
        assert_eq!(edited.text, "# header\n\njoe\tsoft\tnofile\t64000\n");
        assert!(edited.changed);
        assert_eq!(edited.message, "joe\tsoft\tnofile\t64000\n");
    }

    #[test]
    fn a_line_with_the_value_is_kept_whatever_its_spacing() {
        let before = "joe    soft   nofile   64000\n";
        let edited = edit(before, &wanted("64000"), "/l").unwrap();
        assert_eq!(edited.text, before);
        assert!(!edited.changed);
    }

    #[test]
    fn a_changed_value_keeps_the_lines_comment_with_its_line_end() {
        let edited = edit("joe soft nofile 100 # mine\n", &wanted("200"), "/l").unwrap();
        assert_eq!(edited.text, "joe\tsoft\tnofile\t200\t# mine\n\n");
    }

    #[test]
    fn use_max_keeps_the_larger_and_unlimited() {
        let mut max = wanted("50");
        max.use_max = true;
        let kept = edit("joe soft nofile 100\n", &max, "/l").unwrap();
        assert!(!kept.changed);
        let unlimited = edit("joe soft nofile unlimited\n", &max, "/l").unwrap();
        assert!(!unlimited.changed);
        let mut min = wanted("unlimited");
        min.use_min = true;
        assert!(!edit("joe soft nofile 100\n", &min, "/l").unwrap().changed);
    }

    #[test]
    fn an_invalid_value_in_the_file_is_an_error() {
        let error = edit("joe soft nofile lots\n", &wanted("1"), "/l")
            .err()
            .unwrap();
        assert!(
            error.to_string().contains(
                "Invalid configuration found in '/l'. Value of 'lots' for item 'nofile' is invalid"
            ),
            "{error}"
        );
        assert!(check_value("nice", "-20", "").is_ok());
        assert!(check_value("nice", "20", "").is_err());
        assert!(check_value("nofile", "-2", "").is_err());
    }
}
