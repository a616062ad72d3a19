//! Crash-safe offline store for downloaded sessions (reliability.md §7.2).
//!
//! Each downloaded session is one append-only segment file. Records are framed with a length, a
//! sequence number and a CRC32C and go to disk with one positional `write()` each. A finished
//! session is published by an atomic rename, after which it waits for upload.
//!
//! # Format (little-endian)
//!
//! ```text
//! segment header (20 bytes): magic "MCSG" | version u8 = 1 | flags u8 = 0 | reserved u16 = 0
//!                            | created_ms i64 | crc32c(the 16 bytes before) u32
//! record header  (22 bytes): magic "MCRD" | version u8 = 1 | flags u8 = 0 | len u32 | seq u64
//!                            | crc32c(the 18 header bytes before, then the payload) u32
//! payload        (len bytes, at most 4 MiB)
//! ```
//!
//! Sequence numbers start at 0 in each segment and are consecutive; a gap is corruption.
//!
//! # Layout of the store directory (0700; every file 0600)
//!
//! ```text
//! .lock                                   flock'd by the one writer (Store::open → Locked otherwise);
//!                                         a forked child closes its copy (release_inherited_locks)
//! <id:020>.seg                            a session being recorded
//! <id:020>.seg.tmp                        a segment being created (its header written, not yet renamed)
//! <id:020>.<attempts>.<next_ms>.ready     a finished session; the upload backoff lives in the name,
//!                                         so one atomic rename persists it
//! <id:020>.<attempts>.<next_ms>.<acked>.ready
//!                                         the same, after a back end acknowledged the first <acked>
//!                                         events of a session it takes in parts (Media Edge's
//!                                         64 KB cap): a restart uploads only the rest
//! quarantine/<n:010>.<reason>.<name>      rejected or damaged files, the oldest deleted beyond the cap
//! ```
//!
//! # Recovery
//!
//! [`Store::open`] checks every file. Past a short or corrupt record the scan resynchronises at
//! the next record whose magic, length, CRC and sequence number check out, so one damaged record
//! loses that record alone: a damaged file is rewritten as its surviving records, in order and
//! renumbered (temp file, fdatasync, rename). The records lost are counted exactly in
//! `torn_records`: the gaps in the sequence numbers, plus the record headers still recognisable
//! in damage at the end (at least one). Damaged bytes (as opposed to a last record merely cut
//! short, the expected result of a kill) are copied to `quarantine/` for diagnostics. A file
//! whose first record (the session's sessionStart) is lost is quarantined whole, its surviving
//! records counted as lost too. Only the first 16 MiB past the first damage are searched.
//!
//! A file with a bad header, a zero-length file, or something that is not a regular file (a
//! directory, a FIFO) is moved to `quarantine/`; a symlink is unlinked, never followed. All of
//! these are counted in `quarantined`. Unfinished segments are reported as `orphaned` and stay
//! open, so the caller can finish them (a session from an earlier launch counts as complete). A
//! segment creation that never completed (`.seg.tmp`) and an unfinished segment holding no
//! record hold no data and are removed. Files whose names the store does not use are left alone.
//!
//! # Durability promise
//!
//! A record is *durable* once a completed `fdatasync` covers it: with [`Durability::OnClose`] (the
//! default) when its session is finished or [`Store::sync`] (`mc_client_flush`) returns Ok; with
//! [`Durability::EveryMs`] also within that interval; with [`Durability::EveryRecord`] when
//! [`Store::append`] returns Ok. Durable records survive a kill or power loss, given storage
//! that honours fdatasync. Delivery is **at least once**: a session is deleted only after its
//! upload got a 2xx, so the one duplicate possible is a batch whose 2xx arrived but whose delete
//! did not complete before a crash. A session uploaded in parts records each acknowledged part
//! (one rename, then a directory fsync) before the next goes, so the same holds per part: only
//! a part whose 2xx arrived but whose record did not complete can go twice.
//!
//! # Disk errors
//!
//! ENOSPC, EIO and the like come back as [`StoreError::Disk`] and never damage what is on disk:
//! a failed append is cut back to the last good record, and later appends work again once space
//! returns. A failed fdatasync cannot be retried and trusted ("fsyncgate"): the kernel may have
//! dropped the dirty pages. So the segment goes back to its last synced length; the records
//! after it were never acknowledged, and the error tells the caller so.

mod format;
mod fsutil;
mod sort;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufReader};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use format::{MAX_RECORD_LEN, decode_records, encode_record};
#[allow(unused_imports)]
pub(crate) use fsutil::Fault;

use format::{
    Found, RECORD_HEADER_LEN, SEGMENT_HEADER_LEN, Tail, decode_segment_header, encode_segment_header, resync, scan,
};
pub use fsutil::release_inherited_locks;
use fsutil::{DirLock, Io, ReadAt, create_private, ensure_private_dir, fsync_dir, lock_dir, open_existing};

pub const DEFAULT_MAX_SESSIONS: usize = 100;
pub const DEFAULT_MAX_BYTES: u64 = 50 << 20;
pub const DEFAULT_MAX_AGE_MS: i64 = 30 * 24 * 3600 * 1000;
pub const DEFAULT_MAX_QUARANTINED: usize = 20;

const LOCK_FILE: &str = ".lock";
const QUARANTINE_DIR: &str = "quarantine";
/// At most this much of a corrupt tail is kept in quarantine: enough to diagnose, and a 2 GiB
/// file of garbage does not double.
const MAX_TAIL_COPY: u64 = 1 << 20;

/// When records are made durable (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// fdatasync when a session is finished and on [`Store::sync`] (`mc_client_flush`).
    #[default]
    OnClose,
    /// Also at most this long after a record is written (driven by [`Store::sync_due`]).
    EveryMs(Duration),
    /// fdatasync after every record.
    EveryRecord,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    pub dir: PathBuf,
    pub durability: Durability,
    pub max_sessions: usize,
    pub max_bytes: u64,
    /// Sessions older than this since their creation are evicted.
    pub max_age_ms: i64,
    pub max_quarantined: usize,
}

impl StoreConfig {
    /// The defaults: sync on close, 100 sessions, 50 MiB, 30 days, 20 quarantined files.
    pub fn new(dir: impl Into<PathBuf>) -> StoreConfig {
        StoreConfig {
            dir: dir.into(),
            durability: Durability::OnClose,
            max_sessions: DEFAULT_MAX_SESSIONS,
            max_bytes: DEFAULT_MAX_BYTES,
            max_age_ms: DEFAULT_MAX_AGE_MS,
            max_quarantined: DEFAULT_MAX_QUARANTINED,
        }
    }
}

#[derive(Debug)]
pub enum StoreError {
    /// Another `Store` (in this process or another) holds the directory.
    Locked,
    /// ENOSPC, EIO, EACCES, ...
    Disk(io::Error),
    /// No such session in the store.
    NotFound,
    /// A session's records failed their checks when read back.
    Corrupt(String),
    /// The store directory is writable by others and cannot be made private (see
    /// `ensure_private_dir`): which directory, its mode and owner.
    Unsafe(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Locked => f.write_str("the store directory is locked by another writer"),
            StoreError::Disk(e) => write!(f, "disk error: {e}"),
            StoreError::NotFound => f.write_str("no such stored session"),
            StoreError::Corrupt(m) => write!(f, "corrupt stored session: {m}"),
            StoreError::Unsafe(m) => write!(f, "unsafe store directory: {m}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Disk(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for StoreError {
    fn from(e: io::Error) -> StoreError {
        StoreError::Disk(e)
    }
}

/// Unique within a store directory; ordered like creation (creation ms × 1000, then +1 as needed).
pub type SegmentId = u64;

/// What [`Store::open`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Sessions kept: finished ones and `orphaned` ones.
    pub sessions_recovered: usize,
    /// Records lost to damage (short or corrupt records, and those orphaned by a lost first
    /// record), counted one by one.
    pub torn_records: u64,
    /// Files (and corrupt tails) moved to `quarantine/`, plus symlinks removed.
    pub quarantined: usize,
    /// Unfinished segments left by an earlier process; open now, for the caller to finish.
    pub orphaned: Vec<SegmentId>,
}

/// A finished session waiting for upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ready {
    pub id: SegmentId,
    pub created_ms: i64,
    pub attempts: u32,
    pub next_attempt_ms: i64,
    pub bytes: u64,
    /// How many of the session's events a back end has acknowledged (uploads in parts).
    pub acked: u64,
}

struct OpenSegment {
    file: File,
    created_ms: i64,
    /// Bytes of good records (and header); the next record goes here.
    len: u64,
    next_seq: u64,
    /// What the last completed fdatasync covered: where a failed one rolls back to.
    synced_len: u64,
    synced_seq: u64,
}

impl OpenSegment {
    fn dirty(&self) -> bool {
        self.len != self.synced_len
    }
}

struct Published {
    created_ms: i64,
    attempts: u32,
    next_attempt_ms: i64,
    bytes: u64,
    acked: u64,
    /// The name on disk, which can lag `attempts`/`next_attempt_ms`/`acked` after a failed rename.
    name: String,
}

/// The offline store. One per directory; owned by one thread.
pub struct Store {
    cfg: StoreConfig,
    qdir: PathBuf,
    /// Holds the flock for the life of the store.
    _lock: DirLock,
    // Boxed: B-trees of (u64, Box<_>) compile to the same code whatever is boxed, which the
    // compiler keeps once (8 KiB less in the library: docs/performance.md, Footprint).
    open: BTreeMap<SegmentId, Box<OpenSegment>>,
    ready: BTreeMap<SegmentId, Box<Published>>,
    last_id: SegmentId,
    next_quarantine_seq: u64,
    last_interval_sync_ms: i64,
    io: Io,
}

fn segment_name(id: SegmentId) -> String {
    format!("{id:020}.seg")
}

fn ready_name(id: SegmentId, attempts: u32, next_attempt_ms: i64) -> String {
    ready_name_acked(id, attempts, next_attempt_ms, 0)
}

/// Without acknowledged events the name has no `acked` field (the name older versions read).
fn ready_name_acked(id: SegmentId, attempts: u32, next_attempt_ms: i64, acked: u64) -> String {
    match acked {
        0 => format!("{id:020}.{attempts}.{next_attempt_ms}.ready"),
        _ => format!("{id:020}.{attempts}.{next_attempt_ms}.{acked}.ready"),
    }
}

fn parse_id(s: &str) -> Option<SegmentId> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// What a file name in the store directory says it is.
enum Entry {
    Segment(SegmentId),
    /// id, attempts, next attempt (ms), acknowledged events.
    Ready(SegmentId, u32, i64, u64),
    Temp(SegmentId),
}

fn parse_name(name: &str) -> Option<Entry> {
    if let Some(stem) = name.strip_suffix(".seg.tmp") {
        return parse_id(stem).map(Entry::Temp);
    }
    if let Some(stem) = name.strip_suffix(".seg") {
        return parse_id(stem).map(Entry::Segment);
    }
    let stem = name.strip_suffix(".ready")?;
    let mut parts = stem.split('.');
    let (id, attempts, next) = (parts.next()?, parts.next()?, parts.next()?);
    let acked = match parts.next() {
        Some(a) if !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()) => a.parse().ok()?,
        Some(_) => return None,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    Some(Entry::Ready(parse_id(id)?, attempts.parse().ok()?, next.parse().ok()?, acked))
}

/// Keeps a quarantine reason usable in a file name.
fn sanitize_reason(reason: &str) -> String {
    let s: String = reason
        .chars()
        .take(40)
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
        .collect();
    if s.is_empty() { "unspecified".into() } else { s }
}

/// The quarantine sequence number a quarantined file's name starts with (0 if none).
fn quarantine_seq(name: &str) -> u64 {
    name.split('.').next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

fn disk(e: io::Error) -> StoreError {
    StoreError::Disk(e)
}

impl Store {
    /// Opens (creating if needed) the store directory, takes its lock and recovers every file.
    pub fn open(cfg: StoreConfig, now_ms: i64) -> Result<(Store, Recovery), StoreError> {
        ensure_private_dir(&cfg.dir)?;
        let lock = lock_dir(&cfg.dir.join(LOCK_FILE))?;
        let qdir = cfg.dir.join(QUARANTINE_DIR);
        // A file or symlink squatting on the quarantine's name is ours to clear.
        if fs::symlink_metadata(&qdir).is_ok_and(|m| !m.is_dir()) {
            fs::remove_file(&qdir).map_err(disk)?;
        }
        ensure_private_dir(&qdir)?;
        let next_quarantine_seq = fs::read_dir(&qdir)
            .map_err(disk)?
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().map(quarantine_seq))
            .max()
            .map_or(0, |m| m + 1);
        let mut store = Store {
            cfg,
            qdir,
            _lock: lock,
            open: BTreeMap::new(),
            ready: BTreeMap::new(),
            last_id: 0,
            next_quarantine_seq,
            last_interval_sync_ms: now_ms,
            io: Io::default(),
        };
        let recovery = store.recover()?;
        Ok((store, recovery))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.cfg.dir.join(name)
    }

    fn recover(&mut self) -> Result<Recovery, StoreError> {
        let mut rec = Recovery::default();
        let mut names: Vec<String> =
            fs::read_dir(&self.cfg.dir).map_err(disk)?.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect();
        // Sorted, a `.ready` comes before a `.seg` of the same id, so a duplicate keeps the former.
        sort::sort(&mut names);
        for name in names {
            match parse_name(&name) {
                Some(Entry::Temp(id)) => {
                    self.last_id = self.last_id.max(id);
                    let path = self.path(&name);
                    if fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
                        self.quarantine_counted(&name, "not-a-file", &mut rec);
                    } else {
                        // A creation that never completed: a header and no record.
                        let _ = fs::remove_file(&path);
                    }
                }
                Some(Entry::Segment(id)) => self.recover_file(&name, id, None, &mut rec),
                Some(Entry::Ready(id, attempts, next, acked)) => {
                    self.recover_file(&name, id, Some((attempts, next, acked)), &mut rec)
                }
                None => {}
            }
        }
        let _ = fsync_dir(&self.cfg.dir);
        let _ = fsync_dir(&self.qdir);
        self.trim_quarantine();
        sort::sort(&mut rec.orphaned);
        Ok(rec)
    }

    /// Checks one segment (`backoff`: attempts, next attempt and acknowledged events; None for an
    /// unfinished one) and keeps its good prefix.
    fn recover_file(&mut self, name: &str, id: SegmentId, backoff: Option<(u32, i64, u64)>, rec: &mut Recovery) {
        self.last_id = self.last_id.max(id);
        if self.open.contains_key(&id) || self.ready.contains_key(&id) {
            return self.quarantine_counted(name, "duplicate", rec);
        }
        let path = self.path(name);
        let Ok(meta) = fs::symlink_metadata(&path) else { return };
        if !meta.is_file() {
            return self.quarantine_counted(name, "not-a-file", rec);
        }
        if meta.len() == 0 {
            return self.quarantine_counted(name, "empty", rec);
        }
        let file = match open_existing(&path) {
            Ok(f) => f,
            Err(_) => return self.quarantine_counted(name, "unopenable", rec),
        };
        let size = match file.metadata() {
            Ok(m) => m.len(),
            Err(_) => return self.quarantine_counted(name, "unreadable", rec),
        };
        let mut header = [0u8; SEGMENT_HEADER_LEN];
        let created_ms = match file.read_exact_at(&mut header, 0) {
            Ok(()) => decode_segment_header(&header),
            Err(_) => None,
        };
        let Some(created_ms) = created_ms else {
            drop(file);
            return self.quarantine_counted(name, "bad-header", rec);
        };
        let body = size - SEGMENT_HEADER_LEN as u64;
        let mut reader = BufReader::with_capacity(64 << 10, ReadAt { file: &file, pos: SEGMENT_HEADER_LEN as u64 });
        let scanned = match scan(&mut reader, body, |_, _| {}) {
            Ok(s) => s,
            Err(_) => {
                drop(file);
                return self.quarantine_counted(name, "unreadable", rec);
            }
        };
        let mut good = SEGMENT_HEADER_LEN as u64 + scanned.good_len;
        let mut records = scanned.records;
        let mut file = file;
        if scanned.tail != Tail::Clean {
            let damage = match resync(&file, good, size, records) {
                Ok(r) => r,
                Err(_) => {
                    drop(file);
                    return self.quarantine_counted(name, "unreadable", rec);
                }
            };
            rec.torn_records += damage.lost;
            if !damage.torn_end && self.save_damage(id, &file, &damage.damaged).is_ok() {
                rec.quarantined += 1;
            }
            if records == 0 && !damage.found.is_empty() {
                // The session's first record (its sessionStart) is lost: what follows cannot be
                // uploaded as a session. Its records are discarded with the file.
                rec.torn_records += damage.found.len() as u64;
                drop(file);
                return self.quarantine_counted(name, "first-record-lost", rec);
            }
            let rewritten = match damage.found.is_empty() {
                true => None,
                false => match self.rewrite(name, id, &file, good, records, &damage.found) {
                    Ok(r) => Some(r),
                    Err(_) => {
                        // Without a rewrite the records past the damage cannot be kept: they
                        // are lost too, and the good prefix stays.
                        rec.torn_records += damage.found.len() as u64;
                        None
                    }
                },
            };
            match rewritten {
                Some((new_file, len)) => {
                    file = new_file;
                    good = len;
                    records += damage.found.len() as u64;
                }
                // If the cut fails (a read-only file), `len` still marks the good prefix: reads
                // stop there and appends overwrite what follows.
                None => {
                    let _ = file.set_len(good).and_then(|()| file.sync_data());
                }
            }
        }
        match backoff {
            None if records == 0 => {
                drop(file);
                let _ = fs::remove_file(&path);
            }
            None => {
                self.open.insert(
                    id,
                    Box::new(OpenSegment {
                        file,
                        created_ms,
                        len: good,
                        next_seq: records,
                        synced_len: good,
                        synced_seq: records,
                    }),
                );
                rec.orphaned.push(id);
                rec.sessions_recovered += 1;
            }
            Some((attempts, next_attempt_ms, acked)) => {
                let p = Published { created_ms, attempts, next_attempt_ms, bytes: good, acked, name: name.to_string() };
                self.ready.insert(id, Box::new(p));
                rec.sessions_recovered += 1;
            }
        }
    }

    fn quarantine_counted(&mut self, name: &str, reason: &str, rec: &mut Recovery) {
        if self.quarantine_file(name, reason).is_ok() {
            rec.quarantined += 1;
        }
    }

    /// Copies the damaged byte ranges of a segment (at most `MAX_TAIL_COPY` bytes in all, one
    /// after the other) into quarantine, for diagnostics.
    fn save_damage(&mut self, id: SegmentId, file: &File, ranges: &[(u64, u64)]) -> io::Result<()> {
        let name = format!("{:010}.corrupt.{id:020}.damaged", self.next_quarantine_seq);
        self.next_quarantine_seq += 1;
        let path = self.qdir.join(name);
        let out = create_private(&path)?;
        let mut at = 0u64;
        let copied = (|| {
            for &(from, to) in ranges {
                let n = (to - from).min(MAX_TAIL_COPY - at);
                let mut buf = vec![0u8; n as usize];
                file.read_exact_at(&mut buf, from)?;
                out.write_all_at(&buf, at)?;
                at += n;
            }
            out.sync_data()
        })();
        if copied.is_err() {
            let _ = fs::remove_file(&path);
        }
        copied
    }

    /// Rewrites a damaged segment as its good prefix (`good` bytes, `records` records) followed
    /// by the records found past the damage, renumbered to follow on: written under a temp name,
    /// synced, then renamed over `name`. Returns the new file and its length.
    fn rewrite(
        &mut self,
        name: &str,
        id: SegmentId,
        file: &File,
        good: u64,
        records: u64,
        found: &[Found],
    ) -> io::Result<(File, u64)> {
        let tmp = self.path(&format!("{id:020}.seg.tmp"));
        let out = create_private(&tmp)?;
        let written = (|| {
            let mut buf = vec![0u8; (64 << 10).min(good as usize)];
            let mut at = 0;
            while at < good {
                let n = (good - at).min(buf.len() as u64) as usize;
                file.read_exact_at(&mut buf[..n], at)?;
                self.io.write_all_at(&out, &buf[..n], at)?;
                at += n as u64;
            }
            for (seq, f) in (records..).zip(found) {
                let mut payload = vec![0u8; f.len as usize];
                file.read_exact_at(&mut payload, f.offset + RECORD_HEADER_LEN as u64)?;
                let record = encode_record(seq, &payload);
                self.io.write_all_at(&out, &record, at)?;
                at += record.len() as u64;
            }
            self.io.sync_data(&out)?;
            fs::rename(&tmp, self.path(name))?;
            Ok(at)
        })();
        match written {
            Ok(len) => Ok((out, len)),
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    /// Moves `name` from the store directory into quarantine (a symlink is unlinked instead:
    /// never followed, never kept). The caller fsyncs the directories.
    fn quarantine_file(&mut self, name: &str, reason: &str) -> io::Result<()> {
        let from = self.path(name);
        if fs::symlink_metadata(&from)?.file_type().is_symlink() {
            return fs::remove_file(&from);
        }
        let to = self.qdir.join(format!("{:010}.{}.{name}", self.next_quarantine_seq, sanitize_reason(reason)));
        self.next_quarantine_seq += 1;
        fs::rename(&from, &to)
    }

    /// Deletes the oldest quarantined files beyond the cap.
    fn trim_quarantine(&mut self) {
        let Ok(entries) = fs::read_dir(&self.qdir) else { return };
        let mut names: Vec<(u64, String)> =
            entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).map(|n| (quarantine_seq(&n), n)).collect();
        if names.len() <= self.cfg.max_quarantined {
            return;
        }
        sort::sort(&mut names);
        let excess = names.len() - self.cfg.max_quarantined;
        for (_, name) in names.into_iter().take(excess) {
            let path = self.qdir.join(name);
            let _ = match fs::symlink_metadata(&path) {
                Ok(m) if m.is_dir() => fs::remove_dir_all(&path),
                _ => fs::remove_file(&path),
            };
        }
        let _ = fsync_dir(&self.qdir);
    }

    /// Starts a new segment: created under a temp name, header synced, then renamed into place,
    /// so a `.seg` is never seen without its header.
    pub fn begin(&mut self, created_ms: i64) -> Result<SegmentId, StoreError> {
        // Clamped (to the year 2286) so that a wild clock cannot use up the id space.
        let by_time = created_ms.clamp(0, 10_000_000_000_000) as u64 * 1000;
        let next =
            self.last_id.checked_add(1).ok_or_else(|| StoreError::Disk(io::Error::other("segment ids exhausted")))?;
        let id = by_time.max(next);
        let tmp = self.path(&format!("{id:020}.seg.tmp"));
        let path = self.path(&segment_name(id));
        // Taken even if the creation fails, so that a stale temp file cannot block every later id.
        self.last_id = id;
        let file = create_private(&tmp).map_err(disk)?;
        let header = encode_segment_header(created_ms);
        let made = self
            .io
            .write_all_at(&file, &header, 0)
            .and_then(|()| self.io.sync_data(&file))
            .and_then(|()| fs::rename(&tmp, &path));
        if let Err(e) = made {
            let _ = fs::remove_file(&tmp);
            return Err(StoreError::Disk(e));
        }
        if let Err(e) = fsync_dir(&self.cfg.dir) {
            let _ = fs::remove_file(&path);
            return Err(StoreError::Disk(e));
        }
        let len = SEGMENT_HEADER_LEN as u64;
        let seg = OpenSegment { file, created_ms, len, next_seq: 0, synced_len: len, synced_seq: 0 };
        self.open.insert(id, Box::new(seg));
        Ok(id)
    }

    /// Appends one record with one write. On a write error the segment is cut back to its last
    /// good record, so nothing already stored is harmed and the next append can succeed.
    pub fn append(&mut self, id: SegmentId, payload: &[u8]) -> Result<(), StoreError> {
        let seg = self.open.get_mut(&id).ok_or(StoreError::NotFound)?;
        if payload.len() > MAX_RECORD_LEN {
            return Err(StoreError::Disk(io::Error::new(io::ErrorKind::InvalidInput, "record larger than 4 MiB")));
        }
        let record = encode_record(seg.next_seq, payload);
        if let Err(e) = self.io.write_all_at(&seg.file, &record, seg.len) {
            // Best effort: if this fails too, the next record overwrites the partial one anyway.
            let _ = seg.file.set_len(seg.len);
            return Err(StoreError::Disk(e));
        }
        seg.len += record.len() as u64;
        seg.next_seq += 1;
        if self.cfg.durability == Durability::EveryRecord {
            sync_segment(&mut self.io, seg).map_err(disk)?;
        }
        Ok(())
    }

    /// Syncs the segment and publishes it as ready (atomic rename, then a directory fsync). A
    /// failed sync still publishes the durable prefix, and reports the error.
    pub fn finish(&mut self, id: SegmentId) -> Result<(), StoreError> {
        let mut seg = self.open.remove(&id).ok_or(StoreError::NotFound)?;
        let synced = sync_segment(&mut self.io, &mut seg);
        let name = ready_name(id, 0, 0);
        if let Err(e) = fs::rename(self.path(&segment_name(id)), self.path(&name)) {
            self.open.insert(id, seg);
            return Err(StoreError::Disk(e));
        }
        let p =
            Published { created_ms: seg.created_ms, attempts: 0, next_attempt_ms: 0, bytes: seg.len, acked: 0, name };
        self.ready.insert(id, Box::new(p));
        fsync_dir(&self.cfg.dir).map_err(disk)?;
        synced.map_err(disk)
    }

    /// fdatasync every open segment with unsynced records (`mc_client_flush`). Every segment is
    /// tried; the first error is returned.
    pub fn sync(&mut self) -> Result<(), StoreError> {
        let mut result = Ok(());
        for seg in self.open.values_mut() {
            if let Err(e) = sync_segment(&mut self.io, seg) {
                if result.is_ok() {
                    result = Err(StoreError::Disk(e));
                }
            }
        }
        result
    }

    /// With [`Durability::EveryMs`] and unsynced records: when [`Store::sync_due`] must run.
    pub fn next_sync_deadline_ms(&self) -> Option<i64> {
        let Durability::EveryMs(every) = self.cfg.durability else { return None };
        let ms = i64::try_from(every.as_millis()).unwrap_or(i64::MAX);
        self.open.values().any(|s| s.dirty()).then(|| self.last_interval_sync_ms.saturating_add(ms))
    }

    /// Runs the interval sync if it is due.
    pub fn sync_due(&mut self, now_ms: i64) -> Result<(), StoreError> {
        match self.next_sync_deadline_ms() {
            Some(deadline) if now_ms >= deadline => {
                self.last_interval_sync_ms = now_ms;
                self.sync()
            }
            Some(_) => Ok(()),
            // Nothing pending: the next record is synced at most one interval after it is written.
            None => {
                self.last_interval_sync_ms = now_ms;
                Ok(())
            }
        }
    }

    /// Finished sessions, oldest first.
    pub fn ready(&self) -> Vec<Ready> {
        let mut out: Vec<Ready> = self
            .ready
            .iter()
            .map(|(&id, p)| Ready {
                id,
                created_ms: p.created_ms,
                attempts: p.attempts,
                next_attempt_ms: p.next_attempt_ms,
                bytes: p.bytes,
                acked: p.acked,
            })
            .collect();
        sort::sort_by(&mut out, |a, b| (a.created_ms, a.id).cmp(&(b.created_ms, b.id)));
        out
    }

    /// A session's payloads in order, every record checked again.
    pub fn read(&self, id: SegmentId) -> Result<Vec<Vec<u8>>, StoreError> {
        let (opened, len);
        let file = if let Some(seg) = self.open.get(&id) {
            len = seg.len;
            &seg.file
        } else {
            let p = self.ready.get(&id).ok_or(StoreError::NotFound)?;
            len = p.bytes;
            opened = open_existing(&self.path(&p.name)).map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => StoreError::NotFound,
                _ => StoreError::Disk(e),
            })?;
            &opened
        };
        let size = file.metadata().map_err(disk)?.len();
        let mut header = [0u8; SEGMENT_HEADER_LEN];
        let header_ok = file.read_exact_at(&mut header, 0).is_ok() && decode_segment_header(&header).is_some();
        if !header_ok || size < len {
            return Err(StoreError::Corrupt(format!("segment {id}: bad header or shorter than recorded")));
        }
        let body = len - SEGMENT_HEADER_LEN as u64;
        let mut records = Vec::new();
        let mut reader = BufReader::with_capacity(64 << 10, ReadAt { file, pos: SEGMENT_HEADER_LEN as u64 });
        let s = scan(&mut reader, body, |_, p| records.push(p.to_vec())).map_err(disk)?;
        if s.tail != Tail::Clean {
            return Err(StoreError::Corrupt(format!("segment {id}: bad record {} at byte {}", s.records, s.good_len)));
        }
        Ok(records)
    }

    /// Deletes a session (after its upload got a 2xx): unlink, then fsync the directory. The
    /// store forgets it even if the unlink fails, so it is not uploaded twice in this run.
    pub fn delete(&mut self, id: SegmentId) -> Result<(), StoreError> {
        let name = if let Some(p) = self.ready.remove(&id) {
            p.name
        } else if self.open.remove(&id).is_some() {
            segment_name(id)
        } else {
            return Err(StoreError::NotFound);
        };
        match fs::remove_file(self.path(&name)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(StoreError::Disk(e)),
            _ => {}
        }
        fsync_dir(&self.cfg.dir).map_err(disk)
    }

    /// Moves a session into `quarantine/` (a 400, an unreadable file), then trims the quarantine
    /// to its cap, oldest first. The store forgets it even if the move fails.
    pub fn quarantine(&mut self, id: SegmentId, reason: &str) -> Result<(), StoreError> {
        let name = if let Some(p) = self.ready.remove(&id) {
            p.name
        } else if self.open.remove(&id).is_some() {
            segment_name(id)
        } else {
            return Err(StoreError::NotFound);
        };
        self.quarantine_file(&name, reason).map_err(disk)?;
        let synced = fsync_dir(&self.cfg.dir).and_then(|()| fsync_dir(&self.qdir));
        self.trim_quarantine();
        synced.map_err(disk)
    }

    /// Persists a session's upload attempts and next attempt time (an atomic rename), so that a
    /// restart keeps the backoff. Memory is updated even if the disk is not.
    pub fn record_attempt(&mut self, id: SegmentId, attempts: u32, next_attempt_ms: i64) -> Result<(), StoreError> {
        let p = self.ready.get_mut(&id).ok_or(StoreError::NotFound)?;
        p.attempts = attempts;
        p.next_attempt_ms = next_attempt_ms;
        self.rename_ready(id)
    }

    /// Persists that a back end acknowledged the first `acked` events of a session it takes in
    /// parts (an atomic rename, then a directory fsync), so that a restart sends only the rest.
    /// Memory is updated even if the disk is not.
    pub fn record_acked(&mut self, id: SegmentId, acked: u64) -> Result<(), StoreError> {
        let p = self.ready.get_mut(&id).ok_or(StoreError::NotFound)?;
        p.acked = acked;
        self.rename_ready(id)
    }

    /// Gives a finished session's file the name its upload state calls for.
    fn rename_ready(&mut self, id: SegmentId) -> Result<(), StoreError> {
        let p = self.ready.get_mut(&id).ok_or(StoreError::NotFound)?;
        let name = ready_name_acked(id, p.attempts, p.next_attempt_ms, p.acked);
        if name == p.name {
            return Ok(());
        }
        fs::rename(self.cfg.dir.join(&p.name), self.cfg.dir.join(&name)).map_err(disk)?;
        p.name = name;
        fsync_dir(&self.cfg.dir).map_err(disk)
    }

    /// Evicts finished sessions, oldest first, while any is older than `max_age_ms` or the store
    /// is over `max_sessions` / `max_bytes` (open segments count towards both but are not
    /// evicted). Returns the evicted ids, for the caller to count.
    pub fn enforce_caps(&mut self, now_ms: i64) -> Vec<SegmentId> {
        let mut sessions = self.ready.len() + self.open.len();
        let mut bytes: u64 = self.ready.values().map(|p| p.bytes).chain(self.open.values().map(|s| s.len)).sum();
        let mut evicted = Vec::new();
        for r in self.ready() {
            let too_old = now_ms.saturating_sub(r.created_ms) > self.cfg.max_age_ms;
            if !too_old && sessions <= self.cfg.max_sessions && bytes <= self.cfg.max_bytes {
                // Oldest first: everything after this one is younger.
                break;
            }
            let Some(p) = self.ready.get(&r.id) else { continue };
            match fs::remove_file(self.cfg.dir.join(&p.name)) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => continue,
                _ => {}
            }
            self.ready.remove(&r.id);
            sessions -= 1;
            bytes -= r.bytes;
            evicted.push(r.id);
        }
        if !evicted.is_empty() {
            let _ = fsync_dir(&self.cfg.dir);
        }
        evicted
    }

    /// Privacy opt-out: deletes every session (open, finished and quarantined). Returns how many
    /// sessions (open and finished) were deleted; every file is tried, the first error returned.
    pub fn delete_all(&mut self) -> Result<usize, StoreError> {
        let mut names: Vec<String> = self.ready.values().map(|p| p.name.clone()).collect();
        names.extend(self.open.keys().map(|&id| segment_name(id)));
        self.ready.clear();
        self.open.clear();
        let count = names.len();
        let mut first_err = None;
        for name in names {
            match fs::remove_file(self.path(&name)) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    first_err.get_or_insert(e);
                }
                _ => {}
            }
        }
        let max = std::mem::replace(&mut self.cfg.max_quarantined, 0);
        self.trim_quarantine();
        self.cfg.max_quarantined = max;
        if let Err(e) = fsync_dir(&self.cfg.dir) {
            first_err.get_or_insert(e);
        }
        match first_err {
            Some(e) => Err(StoreError::Disk(e)),
            None => Ok(count),
        }
    }

    /// Sessions being recorded (including orphans from an earlier process), by id.
    pub fn open_segments(&self) -> Vec<SegmentId> {
        self.open.keys().copied().collect()
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.cfg.dir
    }

    /// Injects a disk fault into appends, segment creation and syncs (None clears it), so tests
    /// can exercise ENOSPC/EIO without a full disk.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn inject_fault(&mut self, fault: Option<Fault>) {
        self.io.fault = fault;
    }
}

/// fdatasync one segment if it has unsynced records. On failure it goes back to its last synced
/// length: after a failed fdatasync the kernel may have dropped the pages, and a retry that
/// succeeds proves nothing (fsyncgate).
fn sync_segment(io: &mut Io, seg: &mut OpenSegment) -> io::Result<()> {
    if !seg.dirty() {
        return Ok(());
    }
    match io.sync_data(&seg.file) {
        Ok(()) => {
            seg.synced_len = seg.len;
            seg.synced_seq = seg.next_seq;
            Ok(())
        }
        Err(e) => {
            seg.len = seg.synced_len;
            seg.next_seq = seg.synced_seq;
            let _ = seg.file.set_len(seg.len).and_then(|()| seg.file.sync_data());
            Err(e)
        }
    }
}
