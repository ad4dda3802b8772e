//! A file-tree op carried out on the disk (disk.rs: through openat2 fds, atomic
//! writes), its paths already resolved (apply.rs); what the overlay said about the
//! path is forgotten, so the disk shows. Large writes report their progress; a
//! streamed copy is hashed as it is written and kept only with the planned bytes.

use super::apply::Resolved;
use super::{disk, Host};
use crate::{ModuleError, OpOutput, Ownership, Progress};
use std::path::Path;

impl Host {
    pub(super) fn write(
        &self,
        op: Resolved,
        on_progress: &mut dyn FnMut(Progress),
    ) -> Result<OpOutput, ModuleError> {
        let done = |result: std::io::Result<()>, canonical: &Path| {
            result.map_err(|err| ModuleError::io(canonical, err))?;
            self.overlay.forget(canonical);
            Ok(OpOutput::default())
        };
        match op {
            Resolved::Write {
                at,
                content,
                mode,
                owner,
                validate: None,
                shown,
            } => {
                let total = content.len() as u64;
                let large = content.len() >= crate::progress::LARGE_WRITE_BYTES;
                let mut on_written = |done: u64| {
                    if large {
                        on_progress(Progress {
                            done,
                            total,
                            what: format!("writing {}", shown.display()),
                            unit: crate::ProgressUnit::Bytes,
                        });
                    }
                };
                let written =
                    self.disk
                        .write_file_reporting(&at, content, mode, owner, &mut on_written);
                done(written, &at)
            }
            Resolved::Write {
                at,
                content,
                mode,
                owner,
                validate: Some(validate),
                ..
            } => {
                let mut refusal = None;
                let mut check = |temp: &Path| {
                    self.validate(validate, temp).map_err(|err| {
                        let said = err.to_string();
                        refusal = Some(err);
                        said
                    })
                };
                let checked = self
                    .disk
                    .write_file_checked(&at, content, mode, owner, &mut check);
                match checked {
                    Ok(Err(said)) => Err(refusal.unwrap_or(ModuleError::Refused(said))),
                    written => done(written.map(drop), &at),
                }
            }
            Resolved::Copy {
                at,
                source,
                mode,
                owner,
                shown,
            } => {
                let large = source.size >= crate::progress::LARGE_WRITE_BYTES as u64;
                let mut copied = 0u64;
                let mut digest = <sha2::Sha256 as sha2::Digest>::new();
                let written = self.disk.write_file_with(&at, mode, owner, |file| {
                    source.chunks(|chunk| {
                        std::io::Write::write_all(file, chunk)?;
                        sha2::Digest::update(&mut digest, chunk);
                        let before = copied;
                        copied += chunk.len() as u64;
                        // One event a MiB (the source reads smaller chunks).
                        let step = disk::WRITE_CHUNK_BYTES as u64;
                        let crossed = before / step != copied / step || copied == source.size;
                        if large && crossed {
                            on_progress(Progress {
                                done: copied,
                                total: source.size.max(copied),
                                what: format!("writing {}", shown.display()),
                                unit: crate::ProgressUnit::Bytes,
                            });
                        }
                        Ok(())
                    })?;
                    // The bytes planned, or the old file stays (a target's file
                    // changed since: remote_src).
                    let sha256: [u8; 32] = sha2::Digest::finalize(digest.clone()).into();
                    if copied != source.size || sha256 != source.sha256 {
                        return Err(std::io::Error::other(format!(
                            "{} changed while it was copied",
                            source.path.display()
                        )));
                    }
                    Ok(())
                });
                done(written, &at)
            }
            Resolved::Mkdir { at, .. } if at == Path::new("/") => Ok(OpOutput::default()),
            Resolved::Mkdir { at, mode, owner } => done(self.disk.mkdir(&at, mode, owner), &at),
            Resolved::Symlink { at, target } => done(self.disk.symlink(&at, target), &at),
            Resolved::Hardlink { at, target } => done(self.disk.hardlink(&at, &target), &at),
            Resolved::Remove { at } => done(self.disk.remove(&at), &at),
            Resolved::Backup { to, content, meta } => {
                let owner = Ownership {
                    uid: Some(meta.uid),
                    gid: Some(meta.gid),
                };
                done(self.disk.write_file(&to, &content, meta.mode, owner), &to)
            }
            Resolved::Chmod { at, mode } => done(self.disk.chmod(&at, mode), &at),
            Resolved::Chown { at, owner } => done(self.disk.chown(&at, owner), &at),
            Resolved::Touch { at, mode } => done(self.disk.touch(&at, mode), &at),
            Resolved::SetTimes { at, atime, mtime } => {
                done(self.disk.set_times(&at, atime, mtime), &at)
            }
        }
    }
}
