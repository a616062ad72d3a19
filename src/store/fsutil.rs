//! File-system helpers of the store: private dirs and files, the directory lock, directory
//! fsync, positional reads, and the write/sync path with its fault injector.

use std::fs::{self, DirBuilder, File, OpenOptions, Permissions};
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};

use super::StoreError;

pub const FILE_MODE: u32 = 0o600;
pub const DIR_MODE: u32 = 0o700;

/// Creates `dir` (and its parents) as 0700 if missing. An existing directory that group or
/// others can write (they could plant, swap or delete the store's files) is tightened to 0700
/// when this process owns it, and refused ([`StoreError::Unsafe`]) when it belongs to another
/// user or is a shared sticky directory such as /tmp, which must never be narrowed.
pub fn ensure_private_dir(dir: &Path) -> Result<(), StoreError> {
    match fs::symlink_metadata(dir) {
        Ok(_) => {
            // The fd is the truth: checks and chmod apply to the directory we opened.
            let d = File::open(dir)?;
            let meta = d.metadata()?;
            if !meta.is_dir() {
                let e = io::Error::new(io::ErrorKind::AlreadyExists, format!("{} is not a directory", dir.display()));
                return Err(StoreError::Disk(e));
            }
            let mode = meta.mode() & 0o7777;
            if mode & 0o022 == 0 {
                return Ok(());
            }
            // SAFETY: geteuid has no preconditions and cannot fail.
            let euid = unsafe { libc::geteuid() };
            if meta.uid() == euid && mode & 0o1000 == 0 {
                d.set_permissions(Permissions::from_mode(DIR_MODE))?;
                return Ok(());
            }
            let why = if mode & 0o1000 != 0 {
                "a shared sticky directory".to_owned()
            } else {
                format!("owned by uid {}, not by this process (uid {euid})", meta.uid())
            };
            Err(StoreError::Unsafe(format!(
                "{} is writable by group or others (mode {mode:04o}) and {why}: use a directory of this process's own",
                dir.display()
            )))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)?;
            // The umask may have taken bits away; say exactly what we mean.
            Ok(fs::set_permissions(dir, Permissions::from_mode(DIR_MODE))?)
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates a new file exclusively: 0600, never through a symlink.
pub fn create_private(path: &Path) -> io::Result<File> {
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    f.set_permissions(Permissions::from_mode(FILE_MODE))?;
    Ok(f)
}

/// Opens an existing regular file without following a symlink and without blocking on a FIFO;
/// read-write when allowed, else read-only. Anything but a regular file is refused.
pub fn open_existing(path: &Path) -> io::Result<File> {
    let open = |write: bool| {
        OpenOptions::new().read(true).write(write).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(path)
    };
    let f = match open(true) {
        Err(e) if matches!(e.raw_os_error(), Some(libc::EACCES | libc::EPERM | libc::EROFS)) => open(false)?,
        r => r?,
    };
    // The checks before the open can race; the fd is the truth.
    if !f.metadata()?.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
    }
    Ok(f)
}

/// Makes renames and unlinks in `dir` durable.
pub fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The descriptors of the store locks this process holds, so that a forked child can let go of
/// its copies (see [`release_inherited_locks`]). Lock-free: read in a fork handler.
static LOCK_FDS: [AtomicI32; 64] = [const { AtomicI32::new(-1) }; 64];

/// The store's lock file: holds the flock for its life.
pub struct DirLock(File);

impl DirLock {
    fn new(file: File) -> DirLock {
        let fd = file.as_raw_fd();
        // A process with more than 64 stores at once keeps the others' copies in its children.
        let _ = LOCK_FDS.iter().find(|slot| slot.compare_exchange(-1, fd, Ordering::SeqCst, Ordering::SeqCst).is_ok());
        DirLock(file)
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let fd = self.0.as_raw_fd();
        for slot in &LOCK_FDS {
            let _ = slot.compare_exchange(fd, -1, Ordering::SeqCst, Ordering::SeqCst);
        }
    }
}

/// In a forked child: closes its copies of the parent's store locks. A flock belongs to the
/// open file description, which the child shares; holding it would refuse the store to the
/// parent's next client (and to anyone) for as long as the child lives. Closing a copy never
/// releases the parent's lock. Async-signal-safe: atomics and close(2) only.
pub fn release_inherited_locks() {
    for slot in &LOCK_FDS {
        let fd = slot.swap(-1, Ordering::SeqCst);
        if fd >= 0 {
            // SAFETY: the descriptor is the child's copy of the parent's lock file. The objects
            // that own it in the parent are never dropped in the child (their worker thread did
            // not survive the fork), so nothing closes this number again.
            unsafe { libc::close(fd) };
        }
    }
}

/// Takes the store's single-writer lock: an exclusive, non-blocking `flock` on `<dir>/.lock`.
/// Held for the life of the returned lock; a second opener (another process, or this one
/// through another fd) gets `Locked`.
pub fn lock_dir(path: &Path) -> Result<DirLock, StoreError> {
    // A symlink here would point our lock, and the file we create, somewhere else.
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        fs::remove_file(path).map_err(StoreError::Disk)?;
    }
    for _ in 0..3 {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(FILE_MODE)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(path)
            .map_err(StoreError::Disk)?;
        let ours = file.metadata().map_err(StoreError::Disk)?;
        if !ours.is_file() {
            return Err(StoreError::Disk(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the lock is not a regular file",
            )));
        }
        // SAFETY: a plain syscall on an fd we own for the duration of the call.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let e = io::Error::last_os_error();
            return Err(match e.raw_os_error() {
                Some(libc::EWOULDBLOCK) => StoreError::Locked,
                _ => StoreError::Disk(e),
            });
        }
        // Sentry's re-check: if the file was replaced between our open and our flock, we locked
        // an orphan inode that the next opener would not see; try again on the new one.
        match fs::symlink_metadata(path) {
            Ok(m) if m.dev() == ours.dev() && m.ino() == ours.ino() => {
                let _ = file.set_permissions(Permissions::from_mode(FILE_MODE));
                return Ok(DirLock::new(file));
            }
            _ => continue,
        }
    }
    Err(StoreError::Locked)
}

/// A `Read` over a file at an explicit offset: leaves the fd's own offset alone.
pub struct ReadAt<'a> {
    pub file: &'a File,
    pub pos: u64,
}

impl Read for ReadAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// A disk fault to inject, so that tests (ours and the worker's) can exercise ENOSPC/EIO without
/// a full disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
pub enum Fault {
    /// After `after` more successful writes, every write stores half its bytes and then fails
    /// with `errno` (a partial write, the worst case), until the fault is cleared.
    Write { after: u32, errno: i32 },
    /// Every segment fdatasync fails with `errno` until the fault is cleared.
    Sync { errno: i32 },
}

/// The store's write and sync path.
#[derive(Debug, Default)]
pub struct Io {
    pub fault: Option<Fault>,
}

impl Io {
    /// One positional write of the whole buffer.
    pub fn write_all_at(&mut self, file: &File, buf: &[u8], off: u64) -> io::Result<()> {
        if let Some(Fault::Write { after, errno }) = &mut self.fault {
            if *after == 0 {
                file.write_all_at(&buf[..buf.len() / 2], off)?;
                return Err(io::Error::from_raw_os_error(*errno));
            }
            *after -= 1;
        }
        file.write_all_at(buf, off)
    }

    /// fdatasync.
    pub fn sync_data(&mut self, file: &File) -> io::Result<()> {
        if let Some(Fault::Sync { errno }) = self.fault {
            return Err(io::Error::from_raw_os_error(errno));
        }
        file.sync_data()
    }
}
