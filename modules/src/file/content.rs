//! state=file: a regular file with the given content (Ansible's copy and template once
//! the runner has read or rendered the source), or the mode/owner of an existing file.

use super::Task;
use crate::host::Meta;
use crate::source::{self, SourceFile, DIFF_LIMIT};
use crate::{Change, Diff, ModuleError, Op, Ownership, Plan};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// What the file must hold: text from the task (content, a rendered template) or a
/// controller file, streamed (copy's `src:`).
enum Wanted<'a> {
    Bytes(&'a [u8]),
    Source(SourceFile),
}

impl Wanted<'_> {
    fn len(&self) -> u64 {
        match self {
            Wanted::Bytes(content) => content.len() as u64,
            Wanted::Source(source) => source.size,
        }
    }

    fn write(&self, path: &Path, mode: u32, owner: Ownership) -> Op {
        match self {
            Wanted::Bytes(content) => Op::WriteFile {
                path: path.to_path_buf(),
                content: content.to_vec(),
                mode,
                owner,
            },
            Wanted::Source(source) => Op::CopyFile {
                path: path.to_path_buf(),
                source: source.clone(),
                mode,
                owner,
            },
        }
    }

    fn digest(&self) -> source::FileDigest {
        match self {
            Wanted::Bytes(content) => source::FileDigest {
                size: content.len() as u64,
                sha256: source::sha256(content),
                text: std::str::from_utf8(content).is_ok(),
            },
            Wanted::Source(source) => source::FileDigest {
                size: source.size,
                sha256: source.sha256,
                text: source.text,
            },
        }
    }

    /// The sha1 and md5 Ansible's copy and template register as `checksum` and (when
    /// they write) `md5sum`: the source's, in one pass (streamed for a controller file).
    fn checksums(&self) -> Result<(String, String), ModuleError> {
        use sha1::Digest;
        let mut sha1 = sha1::Sha1::new();
        let mut md5 = md5::Md5::new();
        match self {
            Wanted::Bytes(content) => {
                sha1.update(content);
                md5.update(content);
            }
            Wanted::Source(source) => source
                .chunks(|chunk| {
                    sha1.update(chunk);
                    md5.update(chunk);
                    Ok(())
                })
                .map_err(|err| ModuleError::io(&source.path, err))?,
        }
        Ok((
            crate::get_url::hex(&sha1.finalize()),
            crate::get_url::hex(&md5.finalize()),
        ))
    }

    /// Small text: the bytes, for a text diff; else `None` (a summary is shown).
    fn diffable(&self) -> Result<Option<Vec<u8>>, ModuleError> {
        match self {
            Wanted::Bytes(content) if content.len() as u64 <= DIFF_LIMIT => {
                Ok(std::str::from_utf8(content)
                    .is_ok()
                    .then(|| content.to_vec()))
            }
            Wanted::Bytes(_) => Ok(None),
            Wanted::Source(source) if source.text && source.size <= DIFF_LIMIT => source
                .read_all()
                .map(Some)
                .map_err(|err| ModuleError::io(&source.path, err)),
            Wanted::Source(_) => Ok(None),
        }
    }

    /// The "after" side of a diff.
    fn shown(&self) -> Result<String, ModuleError> {
        Ok(match self.diffable()? {
            Some(text) => String::from_utf8_lossy(&text).into_owned(),
            None => summary_of(&self.digest()),
        })
    }
}

fn summary_of(digest: &source::FileDigest) -> String {
    source::summary(digest.text, digest.size, &digest.sha256)
}

impl Task<'_> {
    pub(super) fn plan_file(&self) -> Result<Plan, ModuleError> {
        let wanted = match (&self.args.content, &self.args.copy_from) {
            (Some(content), _) => Some(Wanted::Bytes(content.as_bytes())),
            (None, Some(from)) => Some(Wanted::Source(
                SourceFile::open(Path::new(from))
                    .map_err(|err| ModuleError::io(Path::new(from), err))?,
            )),
            (None, None) => None,
        };
        self.plan_wanted(wanted.as_ref())
    }

    /// state=file with `content` as bytes (text from `content`, or a download).
    pub(super) fn plan_file_content(&self, content: Option<&[u8]>) -> Result<Plan, ModuleError> {
        self.plan_wanted(content.map(Wanted::Bytes).as_ref())
    }

    /// state=file with the bytes of a file, streamed (copy's `remote_src`).
    pub(super) fn plan_file_source(&self, source: SourceFile) -> Result<Plan, ModuleError> {
        self.plan_wanted(Some(&Wanted::Source(source)))
    }

    fn plan_wanted(&self, content: Option<&Wanted>) -> Result<Plan, ModuleError> {
        let place = self.place(self.args.follow)?;
        let meta = self.host.lstat_canonical(&place)?;
        let Some(content) = content else {
            return self.plan_existing_file(&place, meta);
        };
        let (checksum, md5sum) = content.checksums()?;
        let (plan, writes) = match meta {
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
        }?;
        let plan = plan.with_data("checksum", checksum);
        // As Ansible's copy module, run only when the content differs.
        Ok(match writes {
            true => plan.with_data("md5sum", md5sum),
            false => plan,
        })
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

    /// The plan, and that it writes the content.
    fn create_file(&self, place: &Path, content: &Wanted) -> Result<(Plan, bool), ModuleError> {
        self.expect_parent_dir(place)?;
        let mode = self.new_mode(false)?;
        let write = self.write_op(place, content, mode, self.owner)?;
        let change = Change {
            summary: format!("create {}", self.shown()),
            // As Ansible's copy and template: no file before, no `before` header.
            diff: Some(Diff {
                before_header: String::new(),
                ..Diff::of_path(self.shown(), "", content.shown()?)
            }),
            ops: vec![write],
        };
        let after = self.after("file", None, mode, content.len());
        Ok((self.finish(Plan::change(vec![change]), &after)?, true))
    }

    /// The plan, and whether it writes the content.
    fn replace_file(
        &self,
        place: &Path,
        meta: &Meta,
        content: &Wanted,
    ) -> Result<(Plan, bool), ModuleError> {
        // Small files are compared (and diffed) whole; big ones by digest, in chunks.
        let small = meta.size <= DIFF_LIMIT && content.len() <= DIFF_LIMIT;
        // `before`: the old file as diff text, or its summary (`summarised`).
        let (differs, before, summarised) = if small {
            let old = self.host.read_canonical(place)?.unwrap_or_default();
            let new = match content {
                Wanted::Bytes(bytes) => bytes.to_vec(),
                Wanted::Source(source) => source
                    .read_all()
                    .map_err(|err| ModuleError::io(&source.path, err))?,
            };
            let summarised = std::str::from_utf8(&old).is_err();
            (old != new, shown_content(&old), summarised)
        } else {
            let old = self.host.file_digest(place)?;
            let differs = meta.size != content.len()
                || old.map_or(true, |old| old.sha256 != content.digest().sha256);
            (
                differs,
                old.as_ref().map(summary_of).unwrap_or_default(),
                true,
            )
        };
        let mode = self.wanted_mode(meta.mode, false)?.unwrap_or(meta.mode);
        let rewrite = self.force() && differs;
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
            let (before, after) = match (summarised, content.diffable()?) {
                (false, Some(text)) => (before, String::from_utf8_lossy(&text).into_owned()),
                // One side summarised: both are (size and sha256, before and after).
                _ => (
                    self.host
                        .file_digest(place)?
                        .as_ref()
                        .map(summary_of)
                        .unwrap_or_default(),
                    summary_of(&content.digest()),
                ),
            };
            changes.push(Change {
                summary: format!("update {}", self.shown()),
                diff: Some(Diff::of_path(self.shown(), before, after)),
                ops,
            });
        }
        changes.extend(self.attr_change(place, meta)?);
        let size = if rewrite { content.len() } else { meta.size };
        let after = self.after("file", Some(meta), mode, size);
        let plan = self.finish(Plan::change(changes), &after)?;
        let plan = match backup {
            Some(to) => plan.with_data("backup_file", to.display().to_string()),
            None => plan,
        };
        Ok((plan, rewrite))
    }

    /// The plan, and whether it writes the content.
    fn replace_link_with_file(
        &self,
        place: &Path,
        content: &Wanted,
    ) -> Result<(Plan, bool), ModuleError> {
        let mode = self.new_mode(false)?;
        let after = self.after("file", None, mode, content.len());
        if !self.force() {
            return Ok((self.finish(Plan::ok(), &after)?, false));
        }
        let target = self.host.read_link(place)?.unwrap_or_default();
        let change = Change {
            summary: format!("replace symlink {} with a file", self.shown()),
            diff: Some(Diff::of_path(
                self.shown(),
                format!("state: link\nsrc: {}\n", target.display()),
                content.shown()?,
            )),
            ops: vec![
                Op::Remove {
                    path: place.to_path_buf(),
                },
                self.write_op(place, content, mode, self.owner)?,
            ],
        };
        Ok((self.finish(Plan::change(vec![change]), &after)?, true))
    }
}

impl Task<'_> {
    /// The write of new content: checked by `validate` first when the task has one
    /// (a validated copy's `src:` is read whole: the program checks the bytes in place).
    fn write_op(
        &self,
        place: &Path,
        content: &Wanted,
        mode: u32,
        owner: crate::Ownership,
    ) -> Result<Op, ModuleError> {
        let Some(validate) = self.args.validate.as_deref() else {
            return Ok(content.write(place, mode, owner));
        };
        let bytes = match content {
            Wanted::Bytes(bytes) => bytes.to_vec(),
            Wanted::Source(source) => source
                .read_all()
                .map_err(|err| ModuleError::io(&source.path, err))?,
        };
        Ok(Op::WriteValidated {
            path: place.to_path_buf(),
            content: bytes,
            mode,
            owner,
            validate: crate::edit::validate_argv(validate)?,
        })
    }
}

/// Content as diff text; binary content, or more than [`DIFF_LIMIT`] bytes, as a
/// one-line summary (size and sha256).
fn shown_content(content: &[u8]) -> String {
    match std::str::from_utf8(content) {
        Ok(text) if content.len() as u64 <= DIFF_LIMIT => text.to_string(),
        Ok(_) => source::summary(true, content.len() as u64, &source::sha256(content)),
        Err(_) => source::summary(false, content.len() as u64, &source::sha256(content)),
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
pub(crate) fn civil_from_days(days: u64) -> (u64, u64, u64) {
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
