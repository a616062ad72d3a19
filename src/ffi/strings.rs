//! Reading strings and arrays from C: NUL-terminated UTF-8 with a length cap, pointer + count
//! arrays with a count cap. Nothing here trusts a length the caller did not bound.

use std::ffi::c_char;
use std::fmt::Display;

use crate::core::Metadata;
use crate::ffi::error::{fail, quote};
use crate::ffi::types::mc_metadata;
use crate::status::mc_status;

/// Longest string value accepted (bytes, without the NUL).
pub const MAX_STRING: usize = 64 * 1024;
/// Longest identifier (ids, names, keys, URLs).
pub const MAX_NAME: usize = 4096;
/// Most metadata entries per call.
pub const MAX_METADATA: usize = 256;

/// A required string: NULL → `MC_ERR_NULL_ARGUMENT`. `field` names it in the message
/// (`config.tracking_server`, `error_id`, ...).
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string (or at least `cap + 1` readable bytes).
pub unsafe fn req_str(p: *const c_char, cap: usize, field: impl Display) -> Result<String, mc_status> {
    if p.is_null() {
        return Err(fail(mc_status::MC_ERR_NULL_ARGUMENT, format!("{field}: required (NULL)")));
    }
    // strnlen never reads past cap + 1 bytes, so an unterminated buffer is caught by the cap.
    let n = unsafe { libc::strnlen(p, cap + 1) };
    if n > cap {
        return Err(fail(mc_status::MC_ERR_TOO_LONG, format!("{field}: longer than the cap of {cap} bytes")));
    }
    let bytes = unsafe { std::slice::from_raw_parts(p as *const u8, n) };
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_owned()),
        Err(e) => Err(fail(
            mc_status::MC_ERR_INVALID_UTF8,
            format!("{field}: not valid UTF-8 (byte {} of {n})", e.valid_up_to()),
        )),
    }
}

/// A required, non-empty string.
///
/// # Safety
/// As `req_str`.
pub unsafe fn req_nonempty(p: *const c_char, cap: usize, field: impl Display) -> Result<String, mc_status> {
    let s = unsafe { req_str(p, cap, &field) }?;
    if s.is_empty() { Err(fail(mc_status::MC_ERR_INVALID_ARGUMENT, format!("{field}: empty"))) } else { Ok(s) }
}

/// An optional string: NULL → None.
///
/// # Safety
/// As `req_str`.
pub unsafe fn opt_str(p: *const c_char, cap: usize, field: impl Display) -> Result<Option<String>, mc_status> {
    if p.is_null() { Ok(None) } else { unsafe { req_str(p, cap, field) }.map(Some) }
}

/// Values that can reach an HTTP header or a URL must not carry control characters.
pub fn no_control_chars(s: &str, field: impl Display) -> Result<(), mc_status> {
    match s.char_indices().find(|(_, c)| c.is_control()) {
        Some((i, c)) => Err(fail(
            mc_status::MC_ERR_INVALID_ARGUMENT,
            format!("{field} ({}): control character U+{:04X} at byte {i}", quote(s), c as u32),
        )),
        None => Ok(()),
    }
}

/// Metadata keys must match `^[a-zA-Z0-9_.]+$` (the customMetadata schema pattern).
pub fn valid_metadata_key(k: &str) -> bool {
    !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

/// A metadata array as Adobe's SDK takes it: entries with a NULL key, a key that does not
/// match the pattern or a NULL value are dropped (the second list says which and why, one line
/// each) and the rest kept. What cannot be an entry refuses the call: NULL with n > 0, more than
/// `MAX_METADATA` entries, a string that is not UTF-8 or is over its cap.
///
/// # Safety
/// `p` is NULL or points to `n` readable entries.
pub unsafe fn metadata(p: *const mc_metadata, n: usize) -> Result<(Metadata, Vec<String>), mc_status> {
    if n == 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    if p.is_null() {
        return Err(fail(mc_status::MC_ERR_NULL_ARGUMENT, format!("metadata: NULL with n_metadata {n}")));
    }
    if n > MAX_METADATA {
        return Err(fail(
            mc_status::MC_ERR_TOO_LONG,
            format!("n_metadata ({n}) is above the cap of {MAX_METADATA} entries"),
        ));
    }
    let entries = unsafe { std::slice::from_raw_parts(p, n) };
    let (mut kept, mut dropped) = (Vec::with_capacity(n), Vec::new());
    for (i, e) in entries.iter().enumerate() {
        let Some(k) = (unsafe { opt_str(e.key, MAX_NAME, format_args!("metadata[{i}].key")) })? else {
            dropped.push(format!("entry {i}: the key is NULL"));
            continue;
        };
        if !valid_metadata_key(&k) {
            dropped.push(format!("entry {i}: key {:?} does not match [a-zA-Z0-9_.]+", shorten(&k)));
            continue;
        }
        let Some(v) = (unsafe { opt_str(e.value, MAX_STRING, format_args!("metadata[{i}].value")) })? else {
            dropped.push(format!("entry {i}: the value of key {k:?} is NULL"));
            continue;
        };
        kept.push((k, v));
    }
    Ok((kept, dropped))
}

/// At most 64 characters of `s` (for a log line), with `...` when cut.
fn shorten(s: &str) -> String {
    match s.char_indices().nth(64) {
        Some((at, _)) => format!("{}...", &s[..at]),
        None => s.to_owned(),
    }
}

/// Player state names: `^[a-zA-Z0-9_.]{1,64}$`.
pub fn valid_state_name(s: &str) -> bool {
    (1..=64).contains(&s.len()) && valid_metadata_key(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_checked() {
        unsafe {
            assert_eq!(req_str(std::ptr::null(), 10, "f"), Err(mc_status::MC_ERR_NULL_ARGUMENT));
            assert_eq!(req_str(c"abc".as_ptr(), 10, "f").unwrap(), "abc");
            assert_eq!(req_str(c"abcdef".as_ptr(), 3, "f"), Err(mc_status::MC_ERR_TOO_LONG));
            let bad = [0xffu8, 0xfe, 0];
            assert_eq!(req_str(bad.as_ptr() as *const c_char, 10, "f"), Err(mc_status::MC_ERR_INVALID_UTF8));
            assert_eq!(req_nonempty(c"".as_ptr(), 10, "f"), Err(mc_status::MC_ERR_INVALID_ARGUMENT));
            assert_eq!(opt_str(std::ptr::null(), 10, "f"), Ok(None));
        }
        assert!(no_control_chars("ua\r\nX: 1", "f").is_err());
        assert!(valid_metadata_key("a.media.show") && !valid_metadata_key("bad key"));
        assert!(valid_state_name("fullscreen") && !valid_state_name(&"x".repeat(65)));
    }

    fn entry(key: *const c_char, value: *const c_char) -> mc_metadata {
        mc_metadata { key, value }
    }

    #[test]
    fn bad_metadata_entries_are_dropped_and_the_rest_kept() {
        let null = std::ptr::null();
        let md = [
            entry(c"vAlid_keY.12".as_ptr(), c"v".as_ptr()),
            entry(c"bad key".as_ptr(), c"x".as_ptr()),
            entry(null, c"x".as_ptr()),
            entry(c"empty".as_ptr(), c"".as_ptr()),
            entry(c"no_value".as_ptr(), null),
        ];
        let (kept, dropped) = unsafe { metadata(md.as_ptr(), md.len()) }.unwrap();
        assert_eq!(kept, [("vAlid_keY.12".to_string(), "v".to_string()), ("empty".into(), "".into())]);
        assert_eq!(
            dropped,
            [
                "entry 1: key \"bad key\" does not match [a-zA-Z0-9_.]+",
                "entry 2: the key is NULL",
                "entry 4: the value of key \"no_value\" is NULL",
            ]
        );
    }

    #[test]
    fn what_cannot_be_an_entry_still_refuses_the_call() {
        let bad = [0xffu8, 0];
        let long = "k".repeat(MAX_NAME + 1) + "\0";
        let cases = [
            (entry(bad.as_ptr() as *const c_char, c"v".as_ptr()), mc_status::MC_ERR_INVALID_UTF8),
            (entry(c"k".as_ptr(), bad.as_ptr() as *const c_char), mc_status::MC_ERR_INVALID_UTF8),
            (entry(long.as_ptr() as *const c_char, c"v".as_ptr()), mc_status::MC_ERR_TOO_LONG),
        ];
        for (e, status) in cases {
            assert_eq!(unsafe { metadata([e].as_ptr(), 1) }, Err(status));
        }
        assert_eq!(unsafe { metadata(std::ptr::null(), 2) }, Err(mc_status::MC_ERR_NULL_ARGUMENT));
        let many = vec![entry(c"k".as_ptr(), c"v".as_ptr()); MAX_METADATA + 1];
        assert_eq!(unsafe { metadata(many.as_ptr(), many.len()) }, Err(mc_status::MC_ERR_TOO_LONG));
        assert_eq!(unsafe { metadata(std::ptr::null(), 0) }, Ok((Vec::new(), Vec::new())));
    }
}
