//! What a plan reads through the Host: metadata, file contents and digests, directory
//! listings and the target's user and group names — the overlay first, then the disk,
//! every path resolved inside the root (resolve.rs).

use super::overlay::{Attrs, Node, Seen, OVERLAY_DEV};
use super::{os_error, Host, Kind, Meta, NameDatabases};
use crate::source::{FileDigest, SourceFile, TargetSource};
use crate::{passwd, ModuleError};
use rustix::io::Errno;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

impl Host {
    /// The canonical in-root path: every symlink followed inside the root, the final
    /// one included; missing components are kept as written.
    pub fn resolve(&self, path: &Path) -> Result<PathBuf, ModuleError> {
        self.canonical(path, true)
    }

    /// The path's metadata without following a final symlink; `None` if absent.
    pub fn lstat(&self, path: &Path) -> Result<Option<Meta>, ModuleError> {
        self.lstat_canonical(&self.canonical(path, false)?)
    }

    /// The path's metadata, following symlinks inside the root; `None` if absent
    /// (a dangling link included).
    pub fn stat(&self, path: &Path) -> Result<Option<Meta>, ModuleError> {
        self.lstat_canonical(&self.canonical(path, true)?)
    }

    /// Whether the path exists, following symlinks inside the root.
    pub fn exists(&self, path: &Path) -> Result<bool, ModuleError> {
        Ok(self.stat(path)?.is_some())
    }

    /// The target of the symlink at `path`; `None` if absent or not a symlink.
    pub fn read_link(&self, path: &Path) -> Result<Option<PathBuf>, ModuleError> {
        Ok(self.lstat(path)?.and_then(|meta| match meta.kind {
            Kind::Symlink(target) => Some(target),
            _ => None,
        }))
    }

    /// The whole content of a regular file (symlinks followed inside the root).
    pub fn read_file(&self, path: &Path) -> Result<Option<Vec<u8>>, ModuleError> {
        self.read_canonical(&self.canonical(path, true)?)
    }

    /// [`Host::read_file`] of a path that [`Host::resolve`] gave (or a prefix of one).
    pub(crate) fn read_canonical(&self, canonical: &Path) -> Result<Option<Vec<u8>>, ModuleError> {
        match self.seen(canonical) {
            Seen::Absent => Ok(None),
            Seen::Node(Node::File { content, .. }) => Ok(Some(content)),
            Seen::Node(Node::Copied { source, .. }) => source
                .read_all()
                .map(Some)
                .map_err(|err| ModuleError::io(&source.path, err)),
            Seen::Node(Node::Dir { .. }) => Err(os_error(canonical, Errno::ISDIR)),
            Seen::Node(Node::Hardlink { to }) => self.read_file(&to),
            Seen::Node(Node::Symlink { .. } | Node::Absent) => Ok(None),
            Seen::Node(Node::Changed { .. }) | Seen::Disk => {
                match self.caches.take_pinned(canonical) {
                    Some(pinned) => self.disk.read_pinned(canonical, pinned).map(Some),
                    None => self.disk.read_file(canonical),
                }
                .map_err(|err| ModuleError::io(canonical, err))
            }
        }
    }

    /// The size, sha256 and text-ness of a regular file (symlinks followed inside the
    /// root), read in chunks: never the whole file in memory. `None` if absent.
    pub fn file_digest(&self, path: &Path) -> Result<Option<FileDigest>, ModuleError> {
        let canonical = self.canonical(path, true)?;
        if let Seen::Node(Node::Copied { source, .. }) = self.seen(&canonical) {
            return Ok(Some(FileDigest {
                size: source.size,
                sha256: source.sha256,
                text: source.text,
            }));
        }
        let mut digest = <sha2::Sha256 as sha2::Digest>::new();
        let mut size = 0u64;
        let mut text = crate::source::Utf8Check::default();
        let found = self.file_chunks(path, &mut |chunk| {
            sha2::Digest::update(&mut digest, chunk);
            size += chunk.len() as u64;
            text.feed(chunk);
            Ok(())
        })?;
        Ok(found.then(|| FileDigest {
            size,
            sha256: sha2::Digest::finalize(digest).into(),
            text: text.finish(),
        }))
    }

    /// Every byte of a regular file (symlinks followed inside the root), in order,
    /// chunk by chunk: never the whole file in memory (an agent copies a dest that
    /// already holds a sent file's bytes this way). `false` if absent; an error of
    /// `each` stops the reading and is returned.
    /// A regular file of the target as a copy's source (copy's `remote_src`), never
    /// read whole here: opened inside the root and hashed in chunks, or what an earlier
    /// task of a check run recorded there; `None` when absent (a directory is an
    /// error).
    pub fn target_source(&self, path: &Path) -> Result<Option<TargetSource>, ModuleError> {
        let canonical = self.canonical(path, true)?;
        self.target_source_canonical(&canonical)
    }

    fn target_source_canonical(
        &self,
        canonical: &Path,
    ) -> Result<Option<TargetSource>, ModuleError> {
        match self.seen(canonical) {
            Seen::Absent | Seen::Node(Node::Symlink { .. } | Node::Absent) => Ok(None),
            Seen::Node(Node::File { content, .. }) => Ok(Some(TargetSource::Recorded(content))),
            Seen::Node(Node::Copied { source, .. }) => Ok(Some(TargetSource::Open(source))),
            Seen::Node(Node::Dir { .. }) => Err(os_error(canonical, Errno::ISDIR)),
            Seen::Node(Node::Hardlink { to }) => self.target_source_canonical(&to),
            Seen::Node(Node::Changed { .. }) | Seen::Disk => {
                let at = |err| ModuleError::io(canonical, err);
                let Some(fd) = self.disk.open_regular(canonical).map_err(at)? else {
                    return Ok(None);
                };
                let source = SourceFile::from_fd(fd, canonical).map_err(at)?;
                Ok(Some(TargetSource::Open(source)))
            }
        }
    }

    pub fn file_chunks(
        &self,
        path: &Path,
        each: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<bool, ModuleError> {
        let canonical = self.canonical(path, true)?;
        match self.seen(&canonical) {
            Seen::Absent => Ok(false),
            Seen::Node(Node::File { content, .. }) => each(&content)
                .map(|()| true)
                .map_err(|err| ModuleError::io(&canonical, err)),
            Seen::Node(Node::Copied { source, .. }) => source
                .chunks(|chunk| each(chunk))
                .map(|()| true)
                .map_err(|err| ModuleError::io(&canonical, err)),
            Seen::Node(Node::Dir { .. }) => Err(os_error(&canonical, Errno::ISDIR)),
            Seen::Node(Node::Hardlink { to }) => self.file_chunks(&to, each),
            Seen::Node(Node::Symlink { .. } | Node::Absent) => Ok(false),
            Seen::Node(Node::Changed { .. }) | Seen::Disk => {
                let mut failed = None;
                let found = self
                    .disk
                    .file_chunks(&canonical, |chunk| {
                        if failed.is_none() {
                            failed = each(chunk).err();
                        }
                    })
                    .map_err(|err| ModuleError::io(&canonical, err))?;
                match failed {
                    Some(err) => Err(ModuleError::io(&canonical, err)),
                    None => Ok(found),
                }
            }
        }
    }

    /// The names in a directory (symlinks followed inside the root), sorted; `None` if
    /// absent, an error if it is not a directory.
    pub fn read_dir(&self, path: &Path) -> Result<Option<Vec<OsString>>, ModuleError> {
        let canonical = self.canonical(path, true)?;
        let Some(meta) = self.lstat_canonical(&canonical)? else {
            return Ok(None);
        };
        if !meta.is_dir() {
            return Err(os_error(&canonical, Errno::NOTDIR));
        }
        let (added, removed) = self.overlay.children(&canonical);
        let mut names = match self.seen(&canonical) {
            Seen::Node(Node::Dir { .. }) => Vec::new(),
            _ => self
                .disk
                .read_dir(&canonical)
                .map_err(|err| ModuleError::io(&canonical, err))?
                .unwrap_or_default(),
        };
        names.retain(|name| !removed.contains(name));
        names.extend(added);
        names.sort();
        names.dedup();
        Ok(Some(names))
    }

    /// The uid of a user in the target's /etc/passwd (a numeric string is the id
    /// itself); `None` when the user does not exist there.
    pub fn user_id(&self, name: &str) -> Result<Option<u32>, ModuleError> {
        self.id_in("/etc/passwd", name)
    }

    /// The gid of a group in the target's /etc/group (numeric strings pass through).
    pub fn group_id(&self, name: &str) -> Result<Option<u32>, ModuleError> {
        self.id_in("/etc/group", name)
    }

    /// The target's /etc/passwd and /etc/group as read, to look names up in later
    /// ([`passwd::name_of`]).
    pub(crate) fn name_databases(&self) -> Result<NameDatabases, ModuleError> {
        Ok((self.database("/etc/passwd")?, self.database("/etc/group")?))
    }

    /// The name of a uid in the target's /etc/passwd.
    pub fn user_name(&self, uid: u32) -> Result<Option<String>, ModuleError> {
        Ok(self
            .database("/etc/passwd")?
            .and_then(|db| passwd::name_of(&db, uid)))
    }

    /// The name of a gid in the target's /etc/group.
    pub fn group_name(&self, gid: u32) -> Result<Option<String>, ModuleError> {
        Ok(self
            .database("/etc/group")?
            .and_then(|db| passwd::name_of(&db, gid)))
    }

    pub(super) fn id_in(
        &self,
        database: &'static str,
        name: &str,
    ) -> Result<Option<u32>, ModuleError> {
        if let Ok(id) = name.parse() {
            return Ok(Some(id));
        }
        Ok(self
            .database(database)?
            .and_then(|db| passwd::id_of(&db, name)))
    }

    pub(super) fn database(&self, path: &'static str) -> Result<Option<Arc<str>>, ModuleError> {
        self.caches.database(path, || {
            let content = self.read_file(Path::new(path))?;
            Ok(content.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
        })
    }

    pub(super) fn seen(&self, canonical: &Path) -> Seen {
        self.overlay.lookup(canonical)
    }

    /// Metadata of a canonical path in the effective tree (overlay over disk): what
    /// [`Host::lstat`] answers for a path that [`Host::resolve`] gave, or a prefix of
    /// one, without resolving it again.
    pub(crate) fn lstat_canonical(&self, canonical: &Path) -> Result<Option<Meta>, ModuleError> {
        let made = |kind, attrs: Attrs, size| Meta {
            kind,
            mode: attrs.mode,
            uid: attrs.uid,
            gid: attrs.gid,
            size,
            dev: OVERLAY_DEV,
            ino: attrs.ino,
            nlink: 1,
        };
        let on_disk = || {
            self.caches.stat(canonical, || {
                let found = self
                    .disk
                    .lstat_pinned(canonical)
                    .map_err(|err| ModuleError::io(canonical, err))?;
                Ok(found.map(|(meta, pinned)| {
                    if let Some(pinned) = pinned {
                        self.caches.pin(canonical, pinned);
                    }
                    meta
                }))
            })
        };
        Ok(match self.seen(canonical) {
            Seen::Absent | Seen::Node(Node::Absent) => None,
            Seen::Disk => on_disk()?,
            Seen::Node(Node::File { content, attrs }) => {
                Some(made(Kind::File, attrs, content.len() as u64))
            }
            Seen::Node(Node::Copied { source, attrs }) => {
                Some(made(Kind::File, attrs, source.size))
            }
            Seen::Node(Node::Dir { attrs }) => Some(made(Kind::Dir, attrs, 0)),
            Seen::Node(Node::Symlink { target, attrs }) => {
                let size = target.as_os_str().len() as u64;
                Some(made(Kind::Symlink(target), attrs, size))
            }
            Seen::Node(Node::Hardlink { to }) => self.lstat_canonical(&to)?,
            Seen::Node(Node::Changed { mode, uid, gid }) => on_disk()?.map(|meta| Meta {
                mode: mode.unwrap_or(meta.mode),
                uid: uid.unwrap_or(meta.uid),
                gid: gid.unwrap_or(meta.gid),
                ..meta
            }),
        })
    }
}
