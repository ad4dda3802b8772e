//! In-root path resolution as the Host does it: the chase of host/path.rs over the
//! effective tree (overlay over disk), with the shortcuts that spare it (a parent known
//! to resolve to itself, one openat2 for a path without symlinks) and their caches.

use super::{path, Host, Kind};
use crate::ModuleError;
use std::path::{Path, PathBuf};

impl Host {
    pub(super) fn canonical(
        &self,
        path: &Path,
        follow_final: bool,
    ) -> Result<PathBuf, ModuleError> {
        let symlink_at = |candidate: &Path| {
            Ok(self
                .lstat_canonical(candidate)?
                .and_then(|meta| match meta.kind {
                    Kind::Symlink(target) => Some(target),
                    _ => None,
                }))
        };
        self.caches.canonical(path, follow_final, || {
            match self.below_canonical_parent(path, follow_final, &symlink_at)? {
                Some(canonical) => Ok(canonical),
                None => path::chase(path, follow_final, symlink_at),
            }
        })
    }

    /// Whether the absolute `dir` resolves to itself: each ancestor below the nearest
    /// one known to (`/` always does) is spelt plainly (no `.`, `..` or `//`) and is
    /// not a symlink. What is learnt is remembered. Any doubt or error: `false`.
    pub(super) fn resolves_to_itself(
        &self,
        dir: &Path,
        symlink_at: &impl Fn(&Path) -> Result<Option<PathBuf>, ModuleError>,
    ) -> bool {
        let mut unknown = Vec::new();
        let mut anchored = false;
        for ancestor in dir.ancestors() {
            // (Bytes: comparing Paths walks their components.)
            if ancestor.as_os_str() == "/" || self.caches.resolves_to_itself(ancestor) {
                anchored = true;
                break;
            }
            unknown.push(ancestor);
        }
        if !anchored {
            return false;
        }
        for ancestor in unknown.into_iter().rev() {
            let (Some(parent), Some(name)) = (ancestor.parent(), ancestor.file_name()) else {
                return false;
            };
            let plain = parent.join(name);
            if plain.as_os_str() != ancestor.as_os_str() || !matches!(symlink_at(&plain), Ok(None))
            {
                return false;
            }
            self.caches
                .canonical(&plain, true, || Ok::<_, ()>(plain.clone()))
                .ok();
        }
        true
    }

    /// `path` itself, when the disk alone decides (a real run: nothing in the overlay),
    /// it is spelt plainly and one openat2 with RESOLVE_NO_SYMLINKS finds it: no
    /// component is a symlink, so the chase would walk it unchanged. Its metadata and
    /// its ancestors (directories that resolve to themselves) are remembered: one
    /// openat2 instead of one per ancestor not known yet (a new directory's parent).
    /// `None`: the chase decides.
    pub(super) fn found_without_symlinks(&self, path: &Path) -> Option<PathBuf> {
        if !path::is_plain(path) || !self.overlay.is_empty() {
            return None;
        }
        let (meta, pinned) = self.disk.lstat_without_symlinks(path)?;
        let _ = self.caches.stat(path, || Ok::<_, ()>(Some(meta)));
        if let Some(pinned) = pinned {
            self.caches.pin(path, pinned);
        }
        for ancestor in path.ancestors().skip(1) {
            if ancestor.as_os_str() == "/" || self.caches.resolves_to_itself(ancestor) {
                break;
            }
            let _ = self
                .caches
                .canonical(ancestor, true, || Ok::<_, ()>(ancestor.to_path_buf()));
        }
        Some(path.to_path_buf())
    }

    /// The chase of `path` in one step, when its parent is known to resolve to itself:
    /// no component of it is a symlink (one followed could not lead back to the same
    /// path without a loop), so the chase would walk it unchanged, with no hop, and
    /// only the final name is left. `None`: not known, or the final name is a symlink
    /// to follow; the whole chase decides.
    pub(super) fn below_canonical_parent(
        &self,
        path: &Path,
        follow_final: bool,
        symlink_at: &impl Fn(&Path) -> Result<Option<PathBuf>, ModuleError>,
    ) -> Result<Option<PathBuf>, ModuleError> {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Ok(None);
        };
        if !self.caches.resolves_to_itself(parent) {
            if let Some(found) = self.found_without_symlinks(path) {
                return Ok(Some(found));
            }
            if !self.resolves_to_itself(parent, symlink_at) {
                return Ok(None);
            }
        }
        let candidate = parent.join(name);
        if follow_final && symlink_at(&candidate)?.is_some() {
            return Ok(None);
        }
        Ok(Some(candidate))
    }

    /// The canonical path of something that is replaced or removed: never `/` itself.
    pub(super) fn named(&self, path: &Path, follow_final: bool) -> Result<PathBuf, ModuleError> {
        let canonical = self.canonical(path, follow_final)?;
        if canonical == Path::new("/") {
            return Err(ModuleError::Escape {
                path: path::absolute(path),
                reason: "the root directory itself cannot be replaced or removed".into(),
            });
        }
        Ok(canonical)
    }
}
