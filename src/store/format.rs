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
//! consecutive, so a record copied from elsewhere in the file, or a gap, is caught too.

use std::io::{self, Read};

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
