//! The real tree under the root, touched only through file descriptors.
//!
//! Every operation opens its parent directory with openat2(RESOLVE_IN_ROOT |
//! RESOLVE_NO_MAGICLINKS) on a fd of the root, then acts on the final name relative to
//! that fd without following a final symlink. Paths given here are canonical in-root
//! paths (see `path::chase`); the kernel re-resolves them inside the root, so a symlink
//! swapped in meanwhile still cannot lead outside it. Writes go to a temp file created
//! with the final mode, then are renamed over the target.

use super::path::{relative_to_root, split};
use super::{Kind, Meta};
use crate::Ownership;
use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use rustix::fs::{
    self, AtFlags, FileType, Gid, Mode, OFlags, ResolveFlags, Timespec, Timestamps, Uid,
};
use rustix::io::Errno;
use std::ffi::{OsStr, OsString};
use std::io::{self, Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// How often a temp name is retried when one is taken (left over by a crash).
const TEMP_NAME_TRIES: u32 = 100;

/// The most of one file the Host reads into memory (a file's old content, to compare
/// and diff; /etc/passwd; os-release): a hostile root's huge file is refused.
pub const MAX_READ_BYTES: u64 = 256 * 1024 * 1024;

/// Large writes go in chunks of this size, with progress after each.
pub const WRITE_CHUNK_BYTES: usize = 1024 * 1024;

/// The real tree below one root directory.
#[derive(Debug)]
pub struct Disk {
    root: PathBuf,
    /// The root, opened once it exists (a run may create it: pacstrap).
    root_fd: std::sync::OnceLock<OwnedFd>,
}

/// A regular file held by its O_PATH descriptor (which cannot read, nor had any
/// effect when opened), with what fstat said of it then.
#[derive(Debug)]
pub struct Pinned {
    fd: OwnedFd,
    dev: u64,
    ino: u64,
    size: u64,
}

impl Pinned {
    fn of(fd: OwnedFd, meta: &Meta) -> Pinned {
        Pinned {
            fd,
            dev: meta.dev,
            ino: meta.ino,
            size: meta.size,
        }
    }
}

/// `pinned` opened again with `flags` through /proc/self/fd: the very inode, whatever
/// is at its path now. `None` when /proc is not procfs (checked once: only procfs
/// makes /proc/self/fd/N that inode) or the open failed.
fn reopen_through_procfs(pinned: &OwnedFd, flags: OFlags) -> Option<OwnedFd> {
    static PROCFS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    const PROC_SUPER_MAGIC: i128 = 0x9fa0;
    let procfs = *PROCFS.get_or_init(|| {
        fs::statfs("/proc/self/fd").is_ok_and(|info| i128::from(info.f_type) == PROC_SUPER_MAGIC)
    });
    if !procfs {
        return None;
    }
    fs::open(
        format!("/proc/self/fd/{}", pinned.as_raw_fd()),
        flags,
        Mode::empty(),
    )
    .ok()
}

/// Whether an error means "there is nothing at that path".
pub fn is_absent(err: &io::Error) -> bool {
    matches!(
        Errno::from_io_error(err),
        Some(Errno::NOENT | Errno::NOTDIR)
    )
}

impl Disk {
    pub fn new(root: PathBuf) -> Disk {
        Disk {
            root,
            root_fd: std::sync::OnceLock::new(),
        }
    }

    fn root_fd(&self) -> io::Result<BorrowedFd<'_>> {
        if let Some(fd) = self.root_fd.get() {
            return Ok(fd.as_fd());
        }
        let fd = fs::open(
            &self.root,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(self.root_fd.get_or_init(|| fd).as_fd())
    }

    /// Open a canonical in-root path, confined to the root by the kernel.
    fn open(&self, canonical: &Path, flags: OFlags) -> io::Result<OwnedFd> {
        let root = self.root_fd()?;
        let relative = relative_to_root(canonical);
        let resolve = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
        match fs::openat2(
            root,
            relative,
            flags | OFlags::CLOEXEC,
            Mode::empty(),
            resolve,
        ) {
            Err(Errno::NOSYS) => open_without_symlinks(root, relative, flags),
            result => Ok(result?),
        }
    }

    /// The parent directory of a canonical path (opened for reading, so it can be
    /// fsynced) and the final name.
    fn open_parent(&self, canonical: &Path) -> io::Result<(OwnedFd, OsString)> {
        let (parent, name) = split(canonical).ok_or(Errno::INVAL)?;
        let dir = self.open(parent, OFlags::RDONLY | OFlags::DIRECTORY)?;
        Ok((dir, name.to_os_string()))
    }

    /// Metadata without following a final symlink; `None` when absent.
    #[cfg(test)]
    pub fn lstat(&self, canonical: &Path) -> io::Result<Option<Meta>> {
        Ok(self.lstat_pinned(canonical)?.map(|(meta, _)| meta))
    }

    /// [`Disk::lstat`], and a regular file found there kept pinned for
    /// [`Disk::read_pinned`].
    pub fn lstat_pinned(&self, canonical: &Path) -> io::Result<Option<(Meta, Option<Pinned>)>> {
        let fd = match self.open(canonical, OFlags::PATH | OFlags::NOFOLLOW) {
            Err(err) if is_absent(&err) => return Ok(None),
            result => result?,
        };
        let stat = fs::fstat(&fd)?;
        let kind = match FileType::from_raw_mode(stat.st_mode) {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink => {
                let target = fs::readlinkat(&fd, "", Vec::new())?;
                Kind::Symlink(PathBuf::from(OsString::from_vec(target.into_bytes())))
            }
            _ => Kind::Other,
        };
        let meta = meta_of(&stat, kind);
        let pinned = meta.is_file().then(|| Pinned::of(fd, &meta));
        Ok(Some((meta, pinned)))
    }

    /// The parts of the path's lstat answer that [`Meta`] leaves out (see
    /// `host/details.rs`); `None` when absent.
    #[allow(clippy::useless_conversion)]
    pub fn extra(&self, canonical: &Path) -> io::Result<Option<super::details::Extra>> {
        use super::details::{Extra, Timestamp};
        let fd = match self.open(canonical, OFlags::PATH | OFlags::NOFOLLOW) {
            Err(err) if is_absent(&err) => return Ok(None),
            result => result?,
        };
        let stat = fs::fstat(&fd)?;
        let at = |secs: i64, nanos: i64| Timestamp { secs, nanos };
        Ok(Some(Extra {
            file_type: stat.st_mode & 0o170000,
            atime: at(stat.st_atime as i64, stat.st_atime_nsec as i64),
            mtime: at(stat.st_mtime as i64, stat.st_mtime_nsec as i64),
            ctime: at(stat.st_ctime as i64, stat.st_ctime_nsec as i64),
            blocks: u64::try_from(stat.st_blocks).unwrap_or(0),
            block_size: u64::try_from(stat.st_blksize).unwrap_or(0),
            rdev: u64::from(stat.st_rdev),
        }))
    }

    /// [`Disk::lstat_pinned`] of a path none of whose components is a symlink
    /// (openat2's RESOLVE_NO_SYMLINKS, as well as RESOLVE_IN_ROOT); `None` when it is
    /// absent, when some component is a symlink, or on any other error: only a found
    /// path is an answer.
    pub fn lstat_without_symlinks(&self, canonical: &Path) -> Option<(Meta, Option<Pinned>)> {
        let root = self.root_fd().ok()?;
        let resolve = ResolveFlags::IN_ROOT | ResolveFlags::NO_SYMLINKS;
        let flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = fs::openat2(
            root,
            relative_to_root(canonical),
            flags,
            Mode::empty(),
            resolve,
        )
        .ok()?;
        let stat = fs::fstat(&fd).ok()?;
        let kind = match FileType::from_raw_mode(stat.st_mode) {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            // A final symlink (O_PATH|O_NOFOLLOW gives it): the chase decides.
            FileType::Symlink => return None,
            _ => Kind::Other,
        };
        let meta = meta_of(&stat, kind);
        let pinned = meta.is_file().then(|| Pinned::of(fd, &meta));
        Some((meta, pinned))
    }

    /// The content of the regular file at a canonical path; `None` when absent.
    ///
    /// The root is untrusted: what it has at a path may be a device (`/dev/zero`
    /// would be read forever), a FIFO or a huge sparse file. The path is pinned with
    /// O_PATH and checked to be a regular file before it is opened for reading (a
    /// device is never opened: opening one can have effects); see
    /// [`Disk::read_pinned`].
    pub fn read_file(&self, canonical: &Path) -> io::Result<Option<Vec<u8>>> {
        match self.pin_regular(canonical)? {
            Some(pinned) => self.read_pinned(canonical, pinned).map(Some),
            None => Ok(None),
        }
    }

    /// The regular file at a canonical path pinned with O_PATH (never opened: a
    /// device is refused before anything could have effects); `None` when absent or
    /// a dangling or swapped final link.
    fn pin_regular(&self, canonical: &Path) -> io::Result<Option<Pinned>> {
        let pinned = match self.open(canonical, OFlags::PATH | OFlags::NOFOLLOW) {
            Err(err) if is_absent(&err) => return Ok(None),
            result => result?,
        };
        let stat = fs::fstat(&pinned)?;
        match FileType::from_raw_mode(stat.st_mode) {
            FileType::RegularFile => {}
            FileType::Directory => return Err(Errno::ISDIR.into()),
            FileType::Symlink => return Ok(None),
            _ => {
                return Err(io::Error::other(
                    "not a regular file (a device, FIFO or socket)",
                ))
            }
        }
        let meta = meta_of(&stat, Kind::File);
        Ok(Some(Pinned::of(pinned, &meta)))
    }

    /// The content of a pinned regular file (at `canonical`), no more than
    /// [`MAX_READ_BYTES`]. The pinned inode itself is reopened through procfs, so
    /// what is read is the file that was checked to be regular; without procfs the
    /// path is opened again and must still be that file.
    pub fn read_pinned(&self, canonical: &Path, pinned: Pinned) -> io::Result<Vec<u8>> {
        let size = pinned.size;
        let fd = self.reopen_pinned(canonical, pinned)?;
        // One read of what fstat said and a byte more: when it gives exactly that
        // size, the file ends there (a regular file's read is short only at its end),
        // and no second read is needed to see 0 bytes. Otherwise (grown, shrunk, over
        // 1 MiB) on to the end.
        let expected = usize::try_from(size).unwrap_or(0).min(1 << 20);
        let mut reader = std::fs::File::from(fd).take(MAX_READ_BYTES + 1);
        let mut content = vec![0; expected + 1];
        let first = loop {
            match reader.read(&mut content) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                result => break result?,
            }
        };
        content.truncate(first);
        if first as u64 != size {
            reader.read_to_end(&mut content)?;
        }
        if content.len() as u64 > MAX_READ_BYTES {
            return Err(io::Error::other(format!(
                "larger than {MAX_READ_BYTES} bytes; machinist does not read it whole"
            )));
        }
        Ok(content)
    }

    /// A pinned regular file opened for reading: through procfs (the very inode that
    /// was checked), or the path again, which must still be that file.
    fn reopen_pinned(&self, canonical: &Path, pinned: Pinned) -> io::Result<OwnedFd> {
        let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
        if let Some(fd) = reopen_through_procfs(&pinned.fd, flags) {
            return Ok(fd);
        }
        let fd = self.open(canonical, flags | OFlags::NOFOLLOW)?;
        let again = meta_of(&fs::fstat(&fd)?, Kind::File);
        if (again.dev, again.ino) != (pinned.dev, pinned.ino) {
            return Err(io::Error::other("the file was replaced while it was read"));
        }
        Ok(fd)
    }

    /// Every byte of the regular file at a canonical path, chunk by chunk (never the
    /// whole file in memory); `false` when absent. Pinned and checked as
    /// [`Disk::read_file`] does.
    /// The regular file at a canonical path, opened for reading (as
    /// [`Disk::file_chunks`] reads it); `None` when absent.
    pub fn open_regular(&self, canonical: &Path) -> io::Result<Option<OwnedFd>> {
        let Some(pinned) = self.pin_regular(canonical)? else {
            return Ok(None);
        };
        self.reopen_pinned(canonical, pinned).map(Some)
    }

    pub fn file_chunks(&self, canonical: &Path, mut each: impl FnMut(&[u8])) -> io::Result<bool> {
        let Some(pinned) = self.pin_regular(canonical)? else {
            return Ok(false);
        };
        let fd = self.reopen_pinned(canonical, pinned)?;
        let mut file = std::fs::File::from(fd);
        let mut buffer = vec![0; 64 * 1024];
        loop {
            match file.read(&mut buffer) {
                Ok(0) => return Ok(true),
                Ok(read) => each(&buffer[..read]),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }

    /// The names in the directory at a canonical path, sorted; `None` when absent.
    pub fn read_dir(&self, canonical: &Path) -> io::Result<Option<Vec<OsString>>> {
        let fd = match self.open(
            canonical,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW,
        ) {
            Err(err) if is_absent(&err) => return Ok(None),
            result => result?,
        };
        let mut names = entry_names(fd)?;
        names.sort();
        Ok(Some(names))
    }

    /// Atomically replace (or create) a regular file.
    pub fn write_file(
        &self,
        canonical: &Path,
        content: &[u8],
        mode: u32,
        owner: Ownership,
    ) -> io::Result<()> {
        self.write_file_reporting(canonical, content, mode, owner, &mut |_| {})
    }

    /// [`Disk::write_file`], telling `on_written` the bytes written so far after each
    /// chunk of [`WRITE_CHUNK_BYTES`].
    pub fn write_file_reporting(
        &self,
        canonical: &Path,
        content: &[u8],
        mode: u32,
        owner: Ownership,
        on_written: &mut dyn FnMut(u64),
    ) -> io::Result<()> {
        self.write_file_with(canonical, mode, owner, |file| {
            let mut written = 0u64;
            for chunk in content.chunks(WRITE_CHUNK_BYTES) {
                file.write_all(chunk)?;
                written += chunk.len() as u64;
                on_written(written);
            }
            Ok(())
        })
    }

    /// Atomically replace (or create) a regular file with what `fill` writes into
    /// the temp file (a stream: copy's `src:`).
    pub fn write_file_with(
        &self,
        canonical: &Path,
        mode: u32,
        owner: Ownership,
        fill: impl FnOnce(&mut std::fs::File) -> io::Result<()>,
    ) -> io::Result<()> {
        let (dir, name) = self.open_parent(canonical)?;
        let (temp, file) = create_temp_file(&dir, &name, mode)?;
        let mut file = std::fs::File::from(file);
        let written = set_owner_and_mode(file.as_fd(), owner, mode)
            .and_then(|()| fill(&mut file))
            .and_then(|()| file.sync_all())
            .and_then(|()| Ok(fs::renameat(&dir, &temp, &dir, &name)?));
        if let Err(err) = written {
            let _ = fs::unlinkat(&dir, &temp, AtFlags::empty());
            return Err(err);
        }
        Ok(fs::fsync(&dir)?)
    }

    /// [`Disk::write_file`], with `check` run on the temp file (given its canonical
    /// in-root path) before the rename: when it answers an error, the temp file is
    /// removed, the old file stays, and the error is handed back inside `Ok`.
    pub fn write_file_checked(
        &self,
        canonical: &Path,
        content: &[u8],
        mode: u32,
        owner: Ownership,
        check: &mut dyn FnMut(&Path) -> Result<(), String>,
    ) -> io::Result<Result<(), String>> {
        let (dir, name) = self.open_parent(canonical)?;
        let (temp, file) = create_temp_file(&dir, &name, mode)?;
        let mut file = std::fs::File::from(file);
        let written = set_owner_and_mode(file.as_fd(), owner, mode)
            .and_then(|()| file.write_all(content))
            .and_then(|()| file.sync_all());
        drop(file);
        if let Err(err) = written {
            let _ = fs::unlinkat(&dir, &temp, AtFlags::empty());
            return Err(err);
        }
        let temp_path = canonical.with_file_name(&temp);
        if let Err(refused) = check(&temp_path) {
            let _ = fs::unlinkat(&dir, &temp, AtFlags::empty());
            return Ok(Err(refused));
        }
        rename_into_place(&dir, &temp, &name)?;
        Ok(Ok(()))
    }

    /// Create one directory; an existing directory is left as it is.
    pub fn mkdir(&self, canonical: &Path, mode: u32, owner: Ownership) -> io::Result<()> {
        let (dir, name) = self.open_parent(canonical)?;
        match fs::mkdirat(&dir, &name, Mode::from_raw_mode(mode & 0o777)) {
            Err(Errno::EXIST) => {
                let stat = fs::statat(&dir, &name, AtFlags::SYMLINK_NOFOLLOW)?;
                return match FileType::from_raw_mode(stat.st_mode) {
                    FileType::Directory => Ok(()),
                    _ => Err(Errno::EXIST.into()),
                };
            }
            result => result?,
        }
        let created = fs::openat(
            &dir,
            &name,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        set_owner_and_mode(created.as_fd(), owner, mode)?;
        Ok(fs::fsync(&dir)?)
    }

    /// Create or atomically replace a symlink; the target is stored verbatim.
    pub fn symlink(&self, canonical: &Path, target: &Path) -> io::Result<()> {
        let (dir, name) = self.open_parent(canonical)?;
        let temp = with_temp_name(&name, |temp| fs::symlinkat(target, &dir, temp))?;
        rename_into_place(&dir, &temp, &name)
    }

    /// Create or atomically replace a hard link to another canonical in-root path.
    pub fn hardlink(&self, canonical: &Path, target: &Path) -> io::Result<()> {
        let (target_dir, target_name) = self.open_parent(target)?;
        let (dir, name) = self.open_parent(canonical)?;
        let temp = with_temp_name(&name, |temp| {
            fs::linkat(&target_dir, &target_name, &dir, temp, AtFlags::empty())
        })?;
        rename_into_place(&dir, &temp, &name)?;
        // Renaming a link over another link to the same file does nothing.
        match fs::unlinkat(&dir, &temp, AtFlags::empty()) {
            Err(Errno::NOENT) | Ok(()) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// Remove a file, link or directory (recursively), never following links.
    pub fn remove(&self, canonical: &Path) -> io::Result<()> {
        let (dir, name) = match self.open_parent(canonical) {
            Err(err) if is_absent(&err) => return Ok(()),
            result => result?,
        };
        remove_at(dir.as_fd(), &name)?;
        Ok(fs::fsync(&dir)?)
    }

    /// Set permission bits; a symlink is left alone (Linux links have no mode).
    pub fn chmod(&self, canonical: &Path, mode: u32) -> io::Result<()> {
        if split(canonical).is_none() {
            let root = self.open(canonical, OFlags::RDONLY | OFlags::DIRECTORY)?;
            return Ok(fs::fchmod(&root, Mode::from_raw_mode(mode & 0o7777))?);
        }
        let (dir, name) = self.open_parent(canonical)?;
        let pinned = fs::openat(
            &dir,
            &name,
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let stat = fs::fstat(&pinned)?;
        let mode = Mode::from_raw_mode(mode & 0o7777);
        match FileType::from_raw_mode(stat.st_mode) {
            FileType::Symlink => Ok(()),
            FileType::RegularFile | FileType::Directory => {
                let flags = OFlags::RDONLY
                    | OFlags::NOFOLLOW
                    | OFlags::NONBLOCK
                    | OFlags::NOCTTY
                    | OFlags::CLOEXEC;
                let reopened = fs::openat(&dir, &name, flags, Mode::empty())?;
                let again = fs::fstat(&reopened)?;
                if (again.st_dev, again.st_ino) != (stat.st_dev, stat.st_ino) {
                    return Err(Errno::AGAIN.into());
                }
                Ok(fs::fchmod(&reopened, mode)?)
            }
            // Devices and fifos must not be opened; chmod the pinned inode itself.
            _ => Ok(fs::chmod(
                format!("/proc/self/fd/{}", pinned.as_raw_fd()),
                mode,
            )?),
        }
    }

    /// Set owner and/or group of the path itself (lchown semantics).
    pub fn chown(&self, canonical: &Path, owner: Ownership) -> io::Result<()> {
        let (uid, gid) = ids(owner)?;
        if split(canonical).is_none() {
            let root = self.open(canonical, OFlags::RDONLY | OFlags::DIRECTORY)?;
            return Ok(fs::fchown(&root, uid, gid)?);
        }
        let (dir, name) = self.open_parent(canonical)?;
        Ok(fs::chownat(
            &dir,
            &name,
            uid,
            gid,
            AtFlags::SYMLINK_NOFOLLOW,
        )?)
    }

    /// Set the access and/or modification time of the object at `canonical` (a final
    /// symlink itself, never what it points to); `None` leaves one as it is.
    pub fn set_times(
        &self,
        canonical: &Path,
        atime: Option<crate::TimeSpec>,
        mtime: Option<crate::TimeSpec>,
    ) -> io::Result<()> {
        let spec = |time: Option<crate::TimeSpec>| match time {
            None => Timespec {
                tv_sec: 0,
                tv_nsec: fs::UTIME_OMIT,
            },
            Some(crate::TimeSpec::Now) => Timespec {
                tv_sec: 0,
                tv_nsec: fs::UTIME_NOW,
            },
            Some(crate::TimeSpec::At(at)) => Timespec {
                tv_sec: at.secs,
                tv_nsec: at.nanos as _,
            },
        };
        let (dir, name) = self.open_parent(canonical)?;
        let times = Timestamps {
            last_access: spec(atime),
            last_modification: spec(mtime),
        };
        Ok(fs::utimensat(
            &dir,
            &name,
            &times,
            AtFlags::SYMLINK_NOFOLLOW,
        )?)
    }

    /// Set the modification time to now, creating an empty file with `mode` if missing.
    pub fn touch(&self, canonical: &Path, mode: u32) -> io::Result<()> {
        let (dir, name) = self.open_parent(canonical)?;
        let flags =
            OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        match fs::openat(&dir, &name, flags, Mode::from_raw_mode(mode & 0o777)) {
            Ok(created) => {
                fs::fchmod(&created, Mode::from_raw_mode(mode & 0o7777))?;
                Ok(fs::fsync(&dir)?)
            }
            Err(Errno::EXIST) => {
                let now = Timespec {
                    tv_sec: 0,
                    tv_nsec: fs::UTIME_NOW,
                };
                let times = Timestamps {
                    last_access: now,
                    last_modification: now,
                };
                Ok(fs::utimensat(
                    &dir,
                    &name,
                    &times,
                    AtFlags::SYMLINK_NOFOLLOW,
                )?)
            }
            Err(err) => Err(err.into()),
        }
    }
}

/// The RESOLVE_IN_ROOT fallback for kernels without openat2: open a canonical path one
/// component at a time, refusing every symlink (a canonical path has none).
fn open_without_symlinks(
    root: BorrowedFd<'_>,
    relative: &Path,
    flags: OFlags,
) -> io::Result<OwnedFd> {
    let names: Vec<&OsStr> = relative
        .iter()
        .filter(|name| *name != OsStr::new("."))
        .collect();
    let Some((last, parents)) = names.split_last() else {
        return Ok(fs::openat(
            root,
            ".",
            flags | OFlags::CLOEXEC,
            Mode::empty(),
        )?);
    };
    let mut dir = fs::openat(
        root,
        ".",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    for name in parents {
        let step = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        dir = fs::openat(&dir, *name, step, Mode::empty())?;
    }
    Ok(fs::openat(
        &dir,
        *last,
        flags | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

// st_dev, st_ino and st_nlink are `c_ulong`: u64 here, u32 on 32-bit targets.
#[allow(clippy::useless_conversion)]
fn meta_of(stat: &fs::Stat, kind: Kind) -> Meta {
    Meta {
        kind,
        mode: stat.st_mode & 0o7777,
        uid: stat.st_uid,
        gid: stat.st_gid,
        size: u64::try_from(stat.st_size).unwrap_or(0),
        dev: u64::from(stat.st_dev),
        ino: u64::from(stat.st_ino),
        nlink: u64::from(stat.st_nlink),
    }
}

fn entry_names(dir_fd: OwnedFd) -> io::Result<Vec<OsString>> {
    let mut names = Vec::new();
    let mut dir = fs::Dir::new(dir_fd)?;
    while let Some(entry) = dir.read() {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            names.push(OsString::from_vec(name.to_vec()));
        }
    }
    Ok(names)
}

fn ids(owner: Ownership) -> io::Result<(Option<Uid>, Option<Gid>)> {
    let invalid = |id: u32| id == u32::MAX;
    if owner.uid.is_some_and(invalid) || owner.gid.is_some_and(invalid) {
        return Err(Errno::INVAL.into());
    }
    Ok((owner.uid.map(Uid::from_raw), owner.gid.map(Gid::from_raw)))
}

/// Owner first (chown clears setuid/setgid bits), then the exact mode (the creation
/// mode was reduced by the umask).
fn set_owner_and_mode(fd: BorrowedFd<'_>, owner: Ownership, mode: u32) -> io::Result<()> {
    if owner.uid.is_some() || owner.gid.is_some() {
        let (uid, gid) = ids(owner)?;
        fs::fchown(fd, uid, gid)?;
    }
    Ok(fs::fchmod(fd, Mode::from_raw_mode(mode & 0o7777))?)
}

/// A hidden name next to `name` for a file about to be renamed over it.
fn temp_name(name: &OsStr) -> OsString {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let serial = COUNTER.fetch_add(1, Ordering::Relaxed);
    let stem = &name.as_bytes()[..name.len().min(200)];
    let mut temp = b".".to_vec();
    temp.extend_from_slice(stem);
    temp.extend_from_slice(format!(".machinist-{}-{serial}~", std::process::id()).as_bytes());
    OsString::from_vec(temp)
}

/// Create something under a fresh temp name, retrying names that are taken.
fn with_temp_name(
    name: &OsStr,
    mut create: impl FnMut(&OsStr) -> rustix::io::Result<()>,
) -> io::Result<OsString> {
    for _ in 0..TEMP_NAME_TRIES {
        let temp = temp_name(name);
        match create(&temp) {
            Ok(()) => return Ok(temp),
            Err(Errno::EXIST) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(Errno::EXIST.into())
}

/// An exclusive new temp file, never more permissive than `mode` from its first byte.
fn create_temp_file(dir: &OwnedFd, name: &OsStr, mode: u32) -> io::Result<(OsString, OwnedFd)> {
    let flags = OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut created = None;
    let temp = with_temp_name(name, |temp| {
        created = Some(fs::openat(
            dir,
            temp,
            flags,
            Mode::from_raw_mode(mode & 0o777),
        )?);
        Ok(())
    })?;
    let fd = created.ok_or(Errno::EXIST)?;
    Ok((temp, fd))
}

fn rename_into_place(dir: &OwnedFd, temp: &OsStr, name: &OsStr) -> io::Result<()> {
    if let Err(err) = fs::renameat(dir, temp, dir, name) {
        let _ = fs::unlinkat(dir, temp, AtFlags::empty());
        return Err(err.into());
    }
    Ok(fs::fsync(dir)?)
}

fn remove_at(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<()> {
    let stat = match fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Err(Errno::NOENT) => return Ok(()),
        result => result?,
    };
    if FileType::from_raw_mode(stat.st_mode) != FileType::Directory {
        return Ok(fs::unlinkat(dir, name, AtFlags::empty())?);
    }
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let sub = fs::openat(dir, name, flags, Mode::empty())?;
    let listing = fs::openat(&sub, ".", flags, Mode::empty())?;
    for entry in entry_names(listing)? {
        remove_at(sub.as_fd(), &entry)?;
    }
    Ok(fs::unlinkat(dir, name, AtFlags::REMOVEDIR)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_files_are_born_with_no_more_than_the_final_mode() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let dir_fd = fs::open(
            dir.path(),
            OFlags::RDONLY | OFlags::DIRECTORY,
            Mode::empty(),
        )?;
        let (name, fd) = create_temp_file(&dir_fd, OsStr::new("secret"), 0o600)?;
        let born = fs::fstat(&fd)?.st_mode & 0o7777;
        assert_eq!(born & !0o600, 0, "born with {born:o}");
        assert!(name.as_bytes().starts_with(b".secret.machinist-"));
        Ok(())
    }

    #[test]
    fn devices_and_fifos_are_never_read() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let disk = Disk::new(dir.path().to_path_buf());
        rustix::fs::mknodat(
            rustix::fs::CWD,
            dir.path().join("fifo"),
            FileType::Fifo,
            Mode::from_raw_mode(0o644),
            0,
        )?;
        let fifo = disk.read_file(Path::new("/fifo"));
        assert!(fifo.is_err(), "{fifo:?}");
        // /dev/zero itself, reached as a root: a device is refused before it is read.
        let dev = Disk::new(PathBuf::from("/dev"));
        assert!(dev.read_file(Path::new("/zero")).is_err());
        std::fs::write(dir.path().join("plain"), "x")?;
        assert_eq!(disk.read_file(Path::new("/plain"))?, Some(b"x".to_vec()));
        assert_eq!(disk.read_file(Path::new("/missing"))?, None);
        Ok(())
    }

    #[test]
    fn the_openat2_fallback_refuses_every_symlink() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir(dir.path().join("real"))?;
        std::fs::write(dir.path().join("real/file"), "x")?;
        std::os::unix::fs::symlink("real", dir.path().join("link"))?;
        let root = fs::open(dir.path(), OFlags::PATH | OFlags::DIRECTORY, Mode::empty())?;
        assert!(
            open_without_symlinks(root.as_fd(), Path::new("real/file"), OFlags::RDONLY).is_ok()
        );
        assert!(open_without_symlinks(root.as_fd(), Path::new("."), OFlags::PATH).is_ok());
        assert!(
            open_without_symlinks(root.as_fd(), Path::new("link/file"), OFlags::RDONLY).is_err()
        );
        assert!(open_without_symlinks(root.as_fd(), Path::new("link"), OFlags::RDONLY).is_err());
        Ok(())
    }
}
