//! The on-disk format of a segment: a fixed header, then framed records (reliability.md §7.2).
//!
//! ```text
//! segment header (20 bytes): magic "MCSG" | version u8 | flags u8 | reserved u16 | created_ms i64 | crc32c u32
//! record header  (22 bytes): magic "MCRD" | version u8 | flags u8 | len u32 | seq u64 | crc32c u32
//! record payload (len bytes)
//! ```
//!
//! Little-endian throughout. A header's CRC covers the header bytes before it; a record's CRC
//! covers its header without the CRC, then the payload. Sequence numbers start at 0 and are
//! consecutive, so a record copied from elsewhere in the file, or a gap, is caught too; after
//! damage they tell recovery ([`resync`]) exactly how many records were lost.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;

pub const SEGMENT_MAGIC: u32 = u32::from_le_bytes(*b"MCSG");
pub const RECORD_MAGIC: u32 = u32::from_le_bytes(*b"MCRD");
pub const VERSION: u8 = 1;
pub const SEGMENT_HEADER_LEN: usize = 20;
pub const RECORD_HEADER_LEN: usize = 22;
/// The largest payload a record may carry. An event is capped at 1 MiB at the C boundary; the
/// margin covers its JSON encoding. A larger length field is corruption, not a reason to allocate.
pub const MAX_RECORD_LEN: usize = 4 << 20;

pub fn encode_segment_header(created_ms: i64) -> [u8; SEGMENT_HEADER_LEN] {
    let mut h = [0u8; SEGMENT_HEADER_LEN];
    h[0..4].copy_from_slice(&SEGMENT_MAGIC.to_le_bytes());
    h[4] = VERSION;
    // h[5] flags and h[6..8] reserved stay zero.
    h[8..16].copy_from_slice(&created_ms.to_le_bytes());
    let crc = crc32c::crc32c(&h[..16]);
    h[16..20].copy_from_slice(&crc.to_le_bytes());
    h
}

/// The creation time in a valid segment header, or None.
pub fn decode_segment_header(h: &[u8]) -> Option<i64> {
    let h = h.get(..SEGMENT_HEADER_LEN)?;
    let ok = le_u32(&h[0..4]) == SEGMENT_MAGIC
        && h[4] == VERSION
        && h[5..8] == [0, 0, 0]
        && le_u32(&h[16..20]) == crc32c::crc32c(&h[..16]);
    ok.then(|| i64::from_le_bytes(h[8..16].try_into().unwrap_or_default()))
}

/// One record, ready for a single `write()`. A payload over [`MAX_RECORD_LEN`] yields a record the
/// decoder rejects; `Store::append` refuses such payloads before getting here.
pub fn encode_record(seq: u64, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(RECORD_HEADER_LEN + payload.len());
    out.extend_from_slice(&RECORD_MAGIC.to_le_bytes());
    out.push(VERSION);
    out.push(0);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    let crc = crc32c::crc32c_append(crc32c::crc32c(&out), payload);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Decodes a record stream (the bytes after a segment header): the records of the good prefix,
/// the prefix's length, and whether anything after it was torn or corrupt. Never panics, and
/// never allocates more than the input's length.
pub fn decode_records(bytes: &[u8]) -> (Vec<(u64, Vec<u8>)>, usize, bool) {
    let mut records = Vec::new();
    let mut reader = bytes;
    match scan(&mut reader, bytes.len() as u64, |seq, p| records.push((seq, p.to_vec()))) {
        // A slice reader cannot fail; the arm only keeps this total.
        Err(_) => (records, 0, !bytes.is_empty()),
        Ok(s) => (records, s.good_len as usize, s.tail != Tail::Clean),
    }
}

/// How a scan ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tail {
    /// Every byte belonged to a good record.
    Clean,
    /// The last record is incomplete: the expected result of a kill in the middle of a write.
    Short,
    /// A complete record (or header) failed its checks: damage, kept for diagnostics.
    Corrupt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scan {
    /// Bytes of good records from the start of the stream.
    pub good_len: u64,
    pub records: u64,
    pub tail: Tail,
}

/// Reads records from `r`, which holds `avail` bytes, and hands each good payload to `visit`.
/// Stops at the first short or corrupt record. Only I/O errors are errors.
pub fn scan<R: Read>(r: &mut R, avail: u64, mut visit: impl FnMut(u64, &[u8])) -> io::Result<Scan> {
    let mut s = Scan { good_len: 0, records: 0, tail: Tail::Clean };
    let mut payload = Vec::new();
    loop {
        let remaining = avail - s.good_len;
        if remaining == 0 {
            return Ok(s);
        }
        let mut h = [0u8; RECORD_HEADER_LEN];
        if remaining < RECORD_HEADER_LEN as u64 || read_full(r, &mut h)? < RECORD_HEADER_LEN {
            s.tail = Tail::Short;
            return Ok(s);
        }
        let len = le_u32(&h[6..10]) as usize;
        let seq = u64::from_le_bytes(h[10..18].try_into().unwrap_or_default());
        if le_u32(&h[0..4]) != RECORD_MAGIC || h[4] != VERSION || h[5] != 0 || len > MAX_RECORD_LEN || seq != s.records
        {
            s.tail = Tail::Corrupt;
            return Ok(s);
        }
        // Checked against what is there before allocating: a forged length cannot cost memory.
        if len as u64 > remaining - RECORD_HEADER_LEN as u64 {
            s.tail = Tail::Short;
            return Ok(s);
        }
        payload.clear();
        payload.resize(len, 0);
        if read_full(r, &mut payload)? < len {
            s.tail = Tail::Short;
            return Ok(s);
        }
        if crc32c::crc32c_append(crc32c::crc32c(&h[..18]), &payload) != le_u32(&h[18..22]) {
            s.tail = Tail::Corrupt;
            return Ok(s);
        }
        visit(seq, &payload);
        s.good_len += (RECORD_HEADER_LEN + len) as u64;
        s.records += 1;
    }
}

/// A good record found past damage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// File offset of its header.
    pub offset: u64,
    pub len: u64,
    pub seq: u64,
}

/// What [`resync`] found after the point where [`scan`] stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resync {
    /// Good records after the damage, in file order, with strictly increasing sequence numbers.
    pub found: Vec<Found>,
    /// Damaged byte ranges `[start, end)` (file offsets), in order.
    pub damaged: Vec<(u64, u64)>,
    /// Records lost: the gaps in the sequence numbers (exact), plus the record headers still
    /// recognisable in a damaged range at the end (at least one).
    pub lost: u64,
    /// The only damage is one record cut short at the end of the file: the expected result of
    /// a kill in the middle of a write, not corruption.
    pub torn_end: bool,
}

/// Bytes past the first damage that recovery searches for records; damage beyond this window
/// is cut off as a tail (a segment of events is far smaller; a huge file of garbage is not read).
pub const RESYNC_WINDOW: u64 = 16 << 20;

/// Searches `file` from `from` (where [`scan`] stopped; `next_seq` is the sequence number it
/// expected there) to `size` for the records that survive damage: the search resumes at the next
/// record magic whose header, length and CRC check out and whose sequence number is beyond the
/// last good one. Reads with bounded memory (one record and one search chunk at a time).
pub fn resync(file: &File, from: u64, size: u64, next_seq: u64) -> io::Result<Resync> {
    let end = size.min(from.saturating_add(RESYNC_WINDOW));
    let mut r = Resync::default();
    let mut min_seq = next_seq;
    let mut pos = from;
    let mut damage_start = None;
    while pos < end {
        match record_at(file, pos, end, min_seq)? {
            Some(f) => {
                if let Some(start) = damage_start.take() {
                    r.damaged.push((start, pos));
                }
                r.lost += f.seq - min_seq;
                min_seq = f.seq + 1;
                pos += RECORD_HEADER_LEN as u64 + f.len;
                r.found.push(f);
            }
            None => {
                damage_start.get_or_insert(pos);
                pos = next_magic(file, pos + 1, end)?.unwrap_or(end);
            }
        }
    }
    if pos < size {
        damage_start.get_or_insert(pos);
    }
    if let Some(start) = damage_start {
        r.damaged.push((start, size));
        r.lost += headers_in(file, start, end)?.max(1);
        r.torn_end = r.damaged.len() == 1 && is_short_record(file, start, size, min_seq)?;
    }
    Ok(r)
}

/// The header at `pos` if its fixed fields are plausible: (len, seq).
fn header_at(file: &File, pos: u64, end: u64, min_seq: u64) -> io::Result<Option<(u64, u64, [u8; RECORD_HEADER_LEN])>> {
    let mut h = [0u8; RECORD_HEADER_LEN];
    if end.saturating_sub(pos) < RECORD_HEADER_LEN as u64 || read_full_at(file, &mut h, pos)? < RECORD_HEADER_LEN {
        return Ok(None);
    }
    let len = le_u32(&h[6..10]) as u64;
    let seq = u64::from_le_bytes(h[10..18].try_into().unwrap_or_default());
    let plausible = le_u32(&h[0..4]) == RECORD_MAGIC
        && h[4] == VERSION
        && h[5] == 0
        && len <= MAX_RECORD_LEN as u64
        && seq >= min_seq;
    Ok(plausible.then_some((len, seq, h)))
}

/// A complete, checked record at `pos` with a sequence number of at least `min_seq`.
fn record_at(file: &File, pos: u64, end: u64, min_seq: u64) -> io::Result<Option<Found>> {
    let Some((len, seq, h)) = header_at(file, pos, end, min_seq)? else { return Ok(None) };
    if len > end - pos - RECORD_HEADER_LEN as u64 {
        return Ok(None);
    }
    let mut payload = vec![0u8; len as usize];
    if read_full_at(file, &mut payload, pos + RECORD_HEADER_LEN as u64)? < payload.len() {
        return Ok(None);
    }
    let ok = crc32c::crc32c_append(crc32c::crc32c(&h[..18]), &payload) == le_u32(&h[18..22]);
    Ok(ok.then_some(Found { offset: pos, len, seq }))
}

/// The offset of the next record magic at or after `from`, before `end`.
fn next_magic(file: &File, from: u64, end: u64) -> io::Result<Option<u64>> {
    const CHUNK: usize = 64 << 10;
    let magic = RECORD_MAGIC.to_le_bytes();
    let mut buf = vec![0u8; CHUNK];
    let mut at = from;
    while end.saturating_sub(at) >= magic.len() as u64 {
        let want = (end - at).min(CHUNK as u64) as usize;
        let n = read_full_at(file, &mut buf[..want], at)?;
        if n < magic.len() {
            return Ok(None);
        }
        // The first byte by a plain scan (quick even unoptimised), then the other three.
        let mut i = 0;
        while let Some(k) = buf[i..n].iter().position(|&b| b == magic[0]) {
            i += k;
            if i + magic.len() > n {
                break;
            }
            if buf[i..i + magic.len()] == magic {
                return Ok(Some(at + i as u64));
            }
            i += 1;
        }
        // The last bytes may hold the start of a magic that the next chunk completes.
        at += (n - (magic.len() - 1)) as u64;
    }
    Ok(None)
}

/// How many record headers a damaged range at the end holds: magic, version and flags intact
/// (its sequence number or length may be what was damaged). A payload cannot fake one: it is
/// JSON, which has no raw control bytes such as the version's.
fn headers_in(file: &File, from: u64, end: u64) -> io::Result<u64> {
    let mut count = 0;
    let mut pos = from;
    let mut h = [0u8; 6];
    while let Some(at) = next_magic(file, pos, end)? {
        if read_full_at(file, &mut h, at)? == h.len() && h[4] == VERSION && h[5] == 0 {
            count += 1;
        }
        pos = at + 1;
    }
    Ok(count)
}

/// Whether `[pos, size)` is one record cut short: fewer bytes than a header, or a plausible
/// header (the expected sequence number) whose payload runs past the end.
fn is_short_record(file: &File, pos: u64, size: u64, seq: u64) -> io::Result<bool> {
    if size - pos < RECORD_HEADER_LEN as u64 {
        return Ok(true);
    }
    Ok(match header_at(file, pos, size, seq)? {
        Some((len, s, _)) => s == seq && pos + RECORD_HEADER_LEN as u64 + len > size,
        None => false,
    })
}

fn read_full_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], at + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Like `read_exact`, but reports how much was read before the end instead of failing.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn le_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes(b.try_into().unwrap_or_default())
}
