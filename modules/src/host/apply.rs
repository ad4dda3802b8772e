//! The one walk over a task's ops: in order, stopped by a signal between two, each
//! op's paths resolved inside the root once ([`Resolved`]: which path, whether a final
//! symlink is followed, that `/` itself is never replaced), then carried out on the
//! disk (write.rs) or recorded in the check-mode overlay (record.rs) by the flag of
//! the task at hand. The daemon-reload books are kept here for both.

use super::caches::Applying;
use super::{os_error, reload, Host, Meta};
use crate::source::SourceFile;
use crate::{ModuleError, Op, OpOutput, Ownership, Progress, TimeSpec};
use rustix::io::Errno;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

/// A file-tree op with its paths resolved inside the root, as the disk and the overlay
/// both take it (`at`: canonical).
pub(super) enum Resolved<'op> {
    Write {
        at: PathBuf,
        content: &'op [u8],
        mode: u32,
        owner: Ownership,
        /// The command that must accept the new content first (WriteValidated).
        validate: Option<&'op [String]>,
        /// The path as the task named it (for progress).
        shown: &'op Path,
    },
    Copy {
        at: PathBuf,
        source: &'op SourceFile,
        mode: u32,
        owner: Ownership,
        shown: &'op Path,
    },
    Mkdir {
        at: PathBuf,
        mode: u32,
        owner: Ownership,
    },
    Symlink {
        at: PathBuf,
        target: &'op Path,
    },
    Hardlink {
        at: PathBuf,
        target: PathBuf,
    },
    Remove {
        at: PathBuf,
    },
    /// A copy of a regular file (its content and attributes, read now) at `to`.
    Backup {
        to: PathBuf,
        content: Vec<u8>,
        meta: Meta,
    },
    Chmod {
        at: PathBuf,
        mode: u32,
    },
    Chown {
        at: PathBuf,
        owner: Ownership,
    },
    Touch {
        at: PathBuf,
        mode: u32,
    },
    SetTimes {
        at: PathBuf,
        atime: Option<TimeSpec>,
        mtime: Option<TimeSpec>,
    },
}

/// An op applied or recorded, for `-vv`: its kind and path, or a program's argv (its
/// secrets masked); for `-vvv` its mode, owner, size and link target. Never a file's
/// content; for a `no_log` task, no path or argv either.
fn log_op(host: &Host, op: &Op, how: &'static str) {
    let (op, predicted) = match op {
        Op::Predicted(inner) => (&**inner, true),
        op => (op, false),
    };
    let hidden = host.logs_hidden();
    match op {
        Op::Run(spec) => {
            tracing::debug!(argv = ?host.shown_argv(spec), how, "a program");
            return;
        }
        _ if hidden => {
            let path = super::run::HIDDEN;
            tracing::debug!(op = op.kind(), path, predicted, how, "an op");
            return;
        }
        _ => tracing::debug!(op = op.kind(), path = ?op.path(), predicted, how, "an op"),
    }
    if !tracing::enabled!(tracing::Level::TRACE) {
        return;
    }
    let (mode, owner, bytes, target) = match op {
        Op::WriteFile {
            mode,
            owner,
            content,
            ..
        }
        | Op::WriteValidated {
            mode,
            owner,
            content,
            ..
        } => (Some(*mode), Some(*owner), Some(content.len() as u64), None),
        Op::CopyFile {
            mode,
            owner,
            source,
            ..
        } => (Some(*mode), Some(*owner), Some(source.size), None),
        Op::Mkdir { mode, owner, .. } => (Some(*mode), Some(*owner), None, None),
        Op::Chmod { mode, .. } | Op::Touch { mode, .. } => (Some(*mode), None, None, None),
        Op::Chown { owner, .. } => (None, Some(*owner), None, None),
        Op::Symlink { target, .. } | Op::Hardlink { target, .. } => {
            (None, None, None, Some(target.as_path()))
        }
        Op::Backup { to, .. } => (None, None, None, Some(to.as_path())),
        _ => (None, None, None, None),
    };
    tracing::trace!(
        mode = ?mode.map(|mode| format!("{mode:o}")),
        ?owner,
        bytes,
        ?target,
        "the op's attributes"
    );
}

/// What an op "produced" in check mode: nothing, and for a program that would have
/// run, rc 0 (as Ansible reports a command in check mode).
fn checked_output(op: &Op) -> OpOutput {
    OpOutput {
        rc: matches!(op, Op::Run(_)).then_some(0),
        ..OpOutput::default()
    }
}

impl Host {
    /// Carry out ops in order: on disk (`check == false`), or into the overlay (`check
    /// == true`: the task at hand is in check mode; a `Run` does nothing and reports rc
    /// 0 with no output). Stops at the first error. A real change forgets what the
    /// overlay said about its path, so the disk shows.
    pub fn apply(&self, ops: &[Op], check: bool) -> Result<Vec<OpOutput>, ModuleError> {
        self.apply_with_progress(ops, check, &mut |_| {})
    }

    /// Records `ops` in the overlay as check mode does, without logging them as done
    /// or recorded: what a plan of a [`Host::scratch`] assumes its earlier parts left.
    pub fn assume(&self, ops: &[Op]) -> Result<(), ModuleError> {
        let _applying = Applying::start();
        for op in ops {
            self.record(op)?;
            tracing::trace!(op = op.kind(), path = ?op.path(), "assumed while planning");
        }
        Ok(())
    }

    /// [`Host::apply`], telling `on_progress` how a long `Run` advances (for runs
    /// whose spec says how their output tells it).
    pub fn apply_with_progress(
        &self,
        ops: &[Op],
        check: bool,
        on_progress: &mut dyn FnMut(Progress),
    ) -> Result<Vec<OpOutput>, ModuleError> {
        // While ops apply, the tree changes under every cache: see `caches`.
        let _applying = Applying::start();
        // `_applying` is dropped after the ops ran.
        let mut outputs = Vec::with_capacity(ops.len());
        let mut a_run_failed = false;
        for (done, op) in ops.iter().enumerate() {
            // A signal stops the run between operations, never inside one; a task
            // whose first operation was about to start is let through (the runner
            // checks before each task and item).
            if let Some(signal) = crate::interrupt::pending().filter(|_| done > 0) {
                return Err(ModuleError::Interrupted {
                    signal: crate::interrupt::name(signal),
                    done,
                    total: ops.len(),
                });
            }
            let output = if check {
                self.record(op)?;
                log_op(self, op, "recorded (check mode)");
                checked_output(op)
            } else {
                let output = self.carry_out(op, a_run_failed, on_progress)?;
                a_run_failed |= matches!(op, Op::Run(_)) && output.rc != Some(0);
                output
            };
            self.keep_reload_books(op, &output);
            outputs.push(output);
        }
        Ok(outputs)
    }

    /// One op on the disk (a `Verify` after a failed run is left: the run's failure
    /// is the task's).
    fn carry_out(
        &self,
        op: &Op,
        a_run_failed: bool,
        on_progress: &mut dyn FnMut(Progress),
    ) -> Result<OpOutput, ModuleError> {
        match op {
            Op::Run(spec) if a_run_failed && spec.after_success_only => {
                tracing::debug!(argv = ?self.shown_argv(spec), "not run: a step before it failed");
                Ok(OpOutput::default())
            }
            Op::Run(spec) => self.run(spec, on_progress),
            Op::Verify(verify) => {
                if !a_run_failed {
                    if !self.logs_hidden() {
                        tracing::debug!(what = %verify.what, "verifying");
                    }
                    verify.run(self)?;
                }
                Ok(OpOutput::default())
            }
            Op::Predicted(_) | Op::PredictedEnablement { .. } => Ok(OpOutput::default()),
            _ => {
                let resolved = self.resolve_op(op)?;
                let output = self.write(resolved, on_progress)?;
                log_op(self, op, "applied");
                Ok(output)
            }
        }
    }

    /// Check mode: record what `op` would do, failing where the disk would fail.
    fn record(&self, op: &Op) -> Result<(), ModuleError> {
        match op {
            Op::Run(_) => self.overlay.record_unrun(),
            Op::Verify(_) => {}
            Op::Predicted(op) => self.record(op)?,
            Op::PredictedEnablement { unit, state } => {
                self.overlay.set_enablement(unit, state.as_deref());
            }
            _ => self.record_resolved(self.resolve_op(op)?)?,
        }
        Ok(())
    }

    /// The paths of a file-tree op resolved inside the root (the walk hands over no
    /// other kind: one would be an internal error).
    fn resolve_op<'op>(&self, op: &'op Op) -> Result<Resolved<'op>, ModuleError> {
        Ok(match op {
            Op::WriteFile {
                path,
                content,
                mode,
                owner,
            } => Resolved::Write {
                at: self.named(path, true)?,
                content,
                mode: *mode,
                owner: *owner,
                validate: None,
                shown: path,
            },
            Op::WriteValidated {
                path,
                content,
                mode,
                owner,
                validate,
            } => Resolved::Write {
                at: self.named(path, true)?,
                content,
                mode: *mode,
                owner: *owner,
                validate: Some(validate),
                shown: path,
            },
            Op::CopyFile {
                path,
                source,
                mode,
                owner,
            } => Resolved::Copy {
                at: self.named(path, true)?,
                source,
                mode: *mode,
                owner: *owner,
                shown: path,
            },
            Op::Mkdir { path, mode, owner } => Resolved::Mkdir {
                at: self.canonical(path, false)?,
                mode: *mode,
                owner: *owner,
            },
            Op::Symlink { path, target } => Resolved::Symlink {
                at: self.named(path, false)?,
                target,
            },
            Op::Hardlink { path, target } => Resolved::Hardlink {
                at: self.named(path, false)?,
                target: self.named(target, true)?,
            },
            Op::Remove { path } => Resolved::Remove {
                at: self.named(path, false)?,
            },
            Op::Backup { path, to } => {
                let source = self.named(path, true)?;
                let (content, meta) = self.backup_source(&source)?;
                Resolved::Backup {
                    to: self.named(to, false)?,
                    content,
                    meta,
                }
            }
            Op::Chmod { path, mode } => Resolved::Chmod {
                at: self.canonical(path, false)?,
                mode: *mode,
            },
            Op::Chown { path, owner } => Resolved::Chown {
                at: self.canonical(path, false)?,
                owner: *owner,
            },
            Op::Touch { path, mode } => Resolved::Touch {
                at: self.named(path, true)?,
                mode: *mode,
            },
            Op::SetTimes { path, atime, mtime } => Resolved::SetTimes {
                at: self.canonical(path, false)?,
                atime: *atime,
                mtime: *mtime,
            },
            Op::Run(_) | Op::Verify(_) | Op::Predicted(_) | Op::PredictedEnablement { .. } => {
                return Err(ModuleError::Failed(format!(
                    "internal: {} is not an op on the file tree",
                    op.kind()
                )))
            }
        })
    }

    /// The content and attributes of the regular file a backup copies.
    fn backup_source(&self, source: &Path) -> Result<(Vec<u8>, Meta), ModuleError> {
        let content = self.read_file(source)?;
        let meta = self.lstat_canonical(source)?;
        match (content, meta) {
            (Some(content), Some(meta)) if meta.is_file() => Ok((content, meta)),
            (_, Some(_)) => Err(os_error(source, Errno::INVAL)),
            _ => Err(os_error(source, Errno::NOENT)),
        }
    }

    fn keep_reload_books(&self, op: &Op, output: &OpOutput) {
        if reload::changes_units(op) {
            self.reload_owed.store(true, Ordering::Relaxed);
        } else if reload::pays_reload(op, output) {
            self.reload_owed.store(false, Ordering::Relaxed);
        }
    }
}
