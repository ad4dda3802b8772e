//! state=file: a regular file with the given content (Ansible's copy and template once
//! the runner has read or rendered the source), or the mode/owner of an existing file.

use super::Task;
use crate::host::Meta;
use crate::{Change, Diff, ModuleError, Op, Plan};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

impl Task<'_> {
    pub(super) fn plan_file(&self) -> Result<Plan, ModuleError> {
        let place = self.place(self.args.follow)?;
        let meta = self.host.lstat_canonical(&place)?;
        let Some(content) = &self.args.content else {
            return self.plan_existing_file(&place, meta);
        };
        let content = content.as_bytes();
        match meta {
            None => self.create_file(&place, content),
            Some(meta) if meta.is_file() => self.replace_file(&place, &meta, content),
            // Only with follow: false; the link itself gives way to a file.
            Some(meta) if meta.is_symlink() => self.replace_link_with_file(&place, content),
            Some(meta) if meta.is_dir() => Err(ModuleError::Failed(format!(
                "{} is a directory; refusing to replace it with a file",
                self.shown()
            ))),
            Some(_) => Err(ModuleError::Failed(format!(
                "{} is not a regular file",
                self.shown()
            ))),
        }
    }

    fn plan_existing_file(&self, place: &Path, meta: Option<Meta>) -> Result<Plan, ModuleError> {
        let meta = match meta {
            None => {
                return Err(ModuleError::Failed(format!(
                    "file {} does not exist; give content, or use state=touch",
                    self.shown()
                )))
            }
            Some(meta) if meta.is_dir() => {
                return Err(ModuleError::Failed(format!(
                    "{} is a directory, not a file",
                    self.shown()
                )))
            }
            Some(meta) if meta.is_symlink() => {
                return Err(ModuleError::Failed(format!(
                    "{} is a symlink; use follow: true to act on its target, or state=link",
                    self.shown()
                )))
            }
            Some(meta) => meta,
        };
        let changes = self.attr_change(place, &meta)?.into_iter().collect();
        let mode = self.wanted_mode(meta.mode, false)?.unwrap_or(meta.mode);
        let after = self.after("file", Some(&meta), mode, meta.size);
        self.finish(Plan::change(changes), &after)
    }

    fn create_file(&self, place: &Path, content: &[u8]) -> Result<Plan, ModuleError> {
        self.expect_parent_dir(place)?;
        let mode = self.new_mode(false)?;
        let write = self.write_op(place, content, mode, self.owner)?;
        let change = Change {
            summary: format!("create {}", self.shown()),
            diff: Some(Diff::of_path(self.shown(), "", shown_content(content))),
            ops: vec![write],
        };
        let after = self.after("file", None, mode, content.len() as u64);
        self.finish(Plan::change(vec![change]), &after)
    }

    fn replace_file(&self, place: &Path, meta: &Meta, content: &[u8]) -> Result<Plan, ModuleError> {
        let old = self.host.read_canonical(place)?.unwrap_or_default();
        let mode = self.wanted_mode(meta.mode, false)?.unwrap_or(meta.mode);
        let rewrite = self.force() && old != content;
        let mut changes = Vec::new();
        let mut backup = None;
        if rewrite {
            let mut ops = Vec::new();
            if self.args.backup {
                let to = backup_name(place, SystemTime::now());
                ops.push(Op::Backup {
                    path: place.to_path_buf(),
                    to: to.clone(),
                });
                backup = Some(to);
            }
            ops.push(self.write_op(place, content, mode, self.kept_owner(Some(meta)))?);
            changes.push(Change {
                summary: format!("update {}", self.shown()),
                diff: Some(Diff::of_path(
                    self.shown(),
                    shown_content(&old),
                    shown_content(content),
                )),
                ops,
            });
        }
        changes.extend(self.attr_change(place, meta)?);
        let size = if rewrite {
            content.len() as u64
        } else {
            meta.size
        };
        let after = self.after("file", Some(meta), mode, size);
        let plan = self.finish(Plan::change(changes), &after)?;
        Ok(match backup {
            Some(to) => plan.with_data("backup_file", to.display().to_string()),
            None => plan,
        })
    }

    fn replace_link_with_file(&self, place: &Path, content: &[u8]) -> Result<Plan, ModuleError> {
        let mode = self.new_mode(false)?;
        let after = self.after("file", None, mode, content.len() as u64);
        if !self.force() {
            return self.finish(Plan::ok(), &after);
        }
        let target = self.host.read_link(place)?.unwrap_or_default();
        let change = Change {
            summary: format!("replace symlink {} with a file", self.shown()),
            diff: Some(Diff::of_path(
                self.shown(),
                format!("state: link\nsrc: {}\n", target.display()),
                shown_content(content),
            )),
            ops: vec![
                Op::Remove {
                    path: place.to_path_buf(),
                },
                self.write_op(place, content, mode, self.owner)?,
            ],
        };
        self.finish(Plan::change(vec![change]), &after)
    }
}

impl Task<'_> {
    /// The write of new content: checked by `validate` first when the task has one.
    fn write_op(
        &self,
        place: &Path,
        content: &[u8],
        mode: u32,
        owner: crate::Ownership,
    ) -> Result<Op, ModuleError> {
        let path = place.to_path_buf();
        let content = content.to_vec();
        Ok(match self.args.validate.as_deref() {
            None => Op::WriteFile {
                path,
                content,
                mode,
                owner,
            },
            Some(validate) => Op::WriteValidated {
                path,
                content,
                mode,
                owner,
                validate: crate::edit::validate_argv(validate)?,
            },
        })
    }
}

/// Content as diff text; binary content as a one-line placeholder.
fn shown_content(content: &[u8]) -> String {
    match std::str::from_utf8(content) {
        Ok(text) => text.to_string(),
        Err(_) => {
            let digest: String = Sha256::digest(content)
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect();
            format!("(binary, {} bytes, sha256 {digest})\n", content.len())
        }
    }
}

/// Ansible's backup name, `PATH.YYYY-MM-DD@HH:MM:SS~` (in UTC here: the name must not
/// depend on the runner's time zone).
pub(crate) fn backup_name(place: &Path, now: SystemTime) -> PathBuf {
    let seconds = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let (year, month, day) = civil_from_days(seconds / 86_400);
    let time = seconds % 86_400;
    let stamp = format!(
        "{year:04}-{month:02}-{day:02}@{:02}:{:02}:{:02}",
        time / 3600,
        time % 3600 / 60,
        time % 60
    );
    PathBuf::from(format!("{}.{stamp}~", place.display()))
}

/// Year, month, day of a count of days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn backup_names_carry_a_utc_timestamp() {
        let at = |seconds| UNIX_EPOCH + Duration::from_secs(seconds);
        let name = |seconds| backup_name(Path::new("/etc/hosts"), at(seconds));
        assert_eq!(name(0), Path::new("/etc/hosts.1970-01-01@00:00:00~"));
        assert_eq!(
            name(951_782_400 + 3661),
            Path::new("/etc/hosts.2000-02-29@01:01:01~")
        );
        assert_eq!(
            name(1_767_225_599),
            Path::new("/etc/hosts.2025-12-31@23:59:59~")
        );
    }

    #[test]
    fn binary_content_is_summarised() {
        assert_eq!(shown_content(b"text\n"), "text\n");
        let shown = shown_content(&[0xff, 0xfe]);
        assert!(shown.starts_with("(binary, 2 bytes, sha256 "), "{shown}");
    }
}
