//! Mode, owner and group: what is wanted, how it differs from what is there, and the
//! result keys Ansible registers for a path (path, state, mode, uid, gid, owner, group,
//! size).

use super::{IdArg, State, Task};
use crate::host::Meta;
use crate::{mode, passwd, Change, Diff, Host, ModuleError, Op, Ownership, Plan};
use serde_json::Value as Json;
use std::path::Path;
use std::sync::Arc;

/// The id an `owner`/`group` argument names, looked up in the target's own databases.
pub fn owner_id(host: &Host, arg: Option<&IdArg>, field: &str) -> Result<Option<u32>, ModuleError> {
    let name = match arg {
        None => return Ok(None),
        Some(IdArg::Id(id)) => return Ok(Some(*id)),
        Some(IdArg::Name(name)) => name,
    };
    let (found, database) = if field == "owner" {
        (host.user_id(name)?, "/etc/passwd")
    } else {
        (host.group_id(name)?, "/etc/group")
    };
    found.map(Some).ok_or_else(|| {
        ModuleError::invalid(
            field,
            format!("{field} '{name}' does not exist in the target's {database}"),
        )
    })
}

/// What a path will be once the task is applied, for the registered result.
#[derive(Clone, Copy)]
pub struct After {
    pub state: &'static str,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
}

impl Task<'_> {
    /// The mode wanted for an object whose mode is `current`; `None` if not asked.
    pub(super) fn wanted_mode(
        &self,
        current: u32,
        is_dir: bool,
    ) -> Result<Option<u32>, ModuleError> {
        self.args
            .mode
            .as_ref()
            .map(|wanted| wanted.resolve(current, is_dir))
            .transpose()
    }

    /// The mode of an object about to be created: asked for, or 0644 / 0755.
    pub(super) fn new_mode(&self, is_dir: bool) -> Result<u32, ModuleError> {
        let default = if is_dir { 0o755 } else { 0o644 };
        Ok(self.wanted_mode(default, is_dir)?.unwrap_or(default))
    }

    /// The owner an object is written with when it replaces `current`: asked for, or
    /// kept (a replacement is a new inode, which would otherwise belong to us).
    pub(super) fn kept_owner(&self, current: Option<&Meta>) -> Ownership {
        Ownership {
            uid: self.owner.uid.or(current.map(|meta| meta.uid)),
            gid: self.owner.gid.or(current.map(|meta| meta.gid)),
        }
    }

    /// The change giving the existing object at `place` the wanted mode and owner.
    /// Symlinks take an owner (lchown) but no mode (Linux links have none).
    pub(super) fn attr_change(
        &self,
        place: &Path,
        meta: &Meta,
    ) -> Result<Option<Change>, ModuleError> {
        self.attr_change_named(place, self.shown(), meta)
    }

    /// [`Task::attr_change`] for a path shown as `shown` (paths below a directory).
    pub(super) fn attr_change_named(
        &self,
        place: &Path,
        shown: &str,
        meta: &Meta,
    ) -> Result<Option<Change>, ModuleError> {
        let mode = if meta.is_symlink() {
            None
        } else {
            self.wanted_mode(meta.mode, meta.is_dir())?
                .filter(|mode| *mode != meta.mode)
        };
        let uid = self.owner.uid.filter(|uid| *uid != meta.uid);
        let gid = self.owner.gid.filter(|gid| *gid != meta.gid);
        let mut before = String::new();
        let mut after = String::new();
        let mut summary = Vec::new();
        let mut ops = Vec::new();
        let mut differs = |key: &str, old: String, new: String| {
            before.push_str(&format!("{key}: {old}\n"));
            after.push_str(&format!("{key}: {new}\n"));
            summary.push(format!("{key} {old} -> {new}"));
        };
        if let Some(new) = mode {
            differs("mode", mode::format(meta.mode), mode::format(new));
        }
        if let Some(new) = uid {
            differs("owner", self.user_shown(meta.uid)?, self.user_shown(new)?);
        }
        if let Some(new) = gid {
            differs("group", self.group_shown(meta.gid)?, self.group_shown(new)?);
        }
        if uid.is_some() || gid.is_some() {
            // Owner first: chown clears setuid/setgid, the chmod after sets them.
            let owner = Ownership { uid, gid };
            ops.push(Op::Chown {
                path: place.to_path_buf(),
                owner,
            });
        }
        if let Some(mode) = mode {
            ops.push(Op::Chmod {
                path: place.to_path_buf(),
                mode,
            });
        }
        if ops.is_empty() {
            return Ok(None);
        }
        Ok(Some(Change {
            summary: format!("{shown}: {}", summary.join(", ")),
            diff: Some(Diff::of_path(shown, before, after)),
            ops,
        }))
    }

    /// What `current` (or a new object, with `mode`) becomes with the wanted owner.
    pub(super) fn after(
        &self,
        state: &'static str,
        current: Option<&Meta>,
        mode: u32,
        size: u64,
    ) -> After {
        let (uid, gid) = crate::host::effective_ids();
        let ours = Ownership {
            uid: Some(uid),
            gid: Some(gid),
        };
        let kept = self.kept_owner(current);
        After {
            state,
            mode,
            uid: kept.uid.or(ours.uid).unwrap_or(0),
            gid: kept.gid.or(ours.gid).unwrap_or(0),
            size,
        }
    }

    /// Whether the result names the path `path`, `dest` or both, as ansible-core's
    /// modules do: file's touch, link and hard `dest`; its other states `path`; copy
    /// and template `dest` when they write the content, both when their file module
    /// only checks it.
    fn result_names(&self, plan: &Plan) -> (bool, bool) {
        let writes = plan
            .changes
            .iter()
            .flat_map(|change| &change.ops)
            .any(|op| {
                matches!(
                    op,
                    Op::WriteFile { .. } | Op::CopyFile { .. } | Op::WriteValidated { .. }
                )
            });
        let args = self.args;
        let copies = args.content.is_some()
            || args.copy_from.is_some()
            || args.copy_tree.is_some()
            || args.remote_src;
        match args.state {
            Some(State::Touch | State::Link | State::Hard) => (false, true),
            _ if copies => (!writes, true),
            _ => (true, false),
        }
    }

    /// The plan with the result keys of the path (`path` and/or `dest`, as Ansible's
    /// file and copy name it), built when asked for.
    pub(super) fn finish(&self, plan: Plan, after: &After) -> Result<Plan, ModuleError> {
        let (users, groups) = self.host.name_databases()?;
        let shown = self.shown.clone();
        let (path, dest) = self.result_names(&plan);
        let After {
            state,
            mode,
            uid,
            gid,
            size,
        } = *after;
        Ok(plan.with_deferred_data(move || {
            let name = |database: Option<Arc<str>>, id: u32| {
                database
                    .and_then(|db| passwd::name_of(&db, id))
                    .unwrap_or_else(|| id.to_string())
            };
            let mut data = serde_json::Map::new();
            if path {
                data.insert("path".into(), Json::String(shown.clone()));
            }
            if dest {
                data.insert("dest".into(), Json::String(shown));
            }
            data.insert("state".into(), Json::from(state));
            data.insert("mode".into(), Json::String(mode::format(mode)));
            data.insert("uid".into(), Json::from(uid));
            data.insert("gid".into(), Json::from(gid));
            data.insert("owner".into(), Json::String(name(users, uid)));
            data.insert("group".into(), Json::String(name(groups, gid)));
            data.insert("size".into(), Json::from(size));
            data
        }))
    }

    /// The plan with only `path` and `state` (Ansible's `state: absent`).
    pub(super) fn finish_absent(&self, plan: Plan, state: &str) -> Plan {
        plan.with_data("path", self.shown())
            .with_data("state", state)
    }

    fn user_shown(&self, uid: u32) -> Result<String, ModuleError> {
        Ok(self.host.user_name(uid)?.unwrap_or_else(|| uid.to_string()))
    }

    fn group_shown(&self, gid: u32) -> Result<String, ModuleError> {
        Ok(self
            .host
            .group_name(gid)?
            .unwrap_or_else(|| gid.to_string()))
    }
}
