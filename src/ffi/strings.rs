//! Reading strings and arrays from C: NUL-terminated UTF-8 with a length cap, pointer + count
//! arrays with a count cap. Nothing here trusts a length the caller did not bound.

use std::ffi::c_char;

use crate::ffi::types::mc_metadata;
use crate::status::mc_status;

/// Longest string value accepted (bytes, without the NUL).
pub const MAX_STRING: usize = 64 * 1024;
/// Longest identifier (ids, names, keys, URLs).
pub const MAX_NAME: usize = 4096;
/// Most metadata entries per call.
pub const MAX_METADATA: usize = 256;

/// A required string: NULL → `MC_ERR_NULL_ARGUMENT`.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string (or at least `cap + 1` readable bytes).
pub unsafe fn req_str(p: *const c_char, cap: usize) -> Result<String, mc_status> {
    if p.is_null() {
        return Err(mc_status::MC_ERR_NULL_ARGUMENT);
    }
    // strnlen never reads past cap + 1 bytes, so an unterminated buffer is caught by the cap.
    let n = unsafe { libc::strnlen(p, cap + 1) };
    if n > cap {
        return Err(mc_status::MC_ERR_TOO_LONG);
    }
    let bytes = unsafe { std::slice::from_raw_parts(p as *const u8, n) };
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_owned()),
        Err(_) => Err(mc_status::MC_ERR_INVALID_UTF8),
    }
}

/// A required, non-empty string.
///
/// # Safety
/// As `req_str`.
pub unsafe fn req_nonempty(p: *const c_char, cap: usize) -> Result<String, mc_status> {
    let s = unsafe { req_str(p, cap) }?;
    if s.is_empty() { Err(mc_status::MC_ERR_INVALID_ARGUMENT) } else { Ok(s) }
}

/// An optional string: NULL → None.
///
/// # Safety
/// As `req_str`.
pub unsafe fn opt_str(p: *const c_char, cap: usize) -> Result<Option<String>, mc_status> {
    if p.is_null() { Ok(None) } else { unsafe { req_str(p, cap) }.map(Some) }
}

/// Values that can reach an HTTP header or a URL must not carry control characters.
pub fn no_control_chars(s: &str) -> Result<(), mc_status> {
    if s.chars().any(|c| c.is_control()) { Err(mc_status::MC_ERR_INVALID_ARGUMENT) } else { Ok(()) }
}

/// Metadata keys must match `^[a-zA-Z0-9_.]+$` (the customMetadata schema pattern).
pub fn valid_metadata_key(k: &str) -> bool {
    !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

/// A metadata array: NULL with n = 0 is empty; a bad key refuses the whole call.
///
/// # Safety
/// `p` is NULL or points to `n` readable entries.
pub unsafe fn metadata(p: *const mc_metadata, n: usize) -> Result<Vec<(String, String)>, mc_status> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if p.is_null() {
        return Err(mc_status::MC_ERR_NULL_ARGUMENT);
    }
    if n > MAX_METADATA {
        return Err(mc_status::MC_ERR_TOO_LONG);
    }
    let entries = unsafe { std::slice::from_raw_parts(p, n) };
    let mut out = Vec::with_capacity(n);
    for e in entries {
        let k = unsafe { req_str(e.key, MAX_NAME) }?;
        if !valid_metadata_key(&k) {
            return Err(mc_status::MC_ERR_INVALID_ARGUMENT);
        }
        let v = unsafe { req_str(e.value, MAX_STRING) }?;
        out.push((k, v));
    }
    Ok(out)
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
            assert_eq!(req_str(std::ptr::null(), 10), Err(mc_status::MC_ERR_NULL_ARGUMENT));
            assert_eq!(req_str(c"abc".as_ptr(), 10).unwrap(), "abc");
            assert_eq!(req_str(c"abcdef".as_ptr(), 3), Err(mc_status::MC_ERR_TOO_LONG));
            let bad = [0xffu8, 0xfe, 0];
            assert_eq!(req_str(bad.as_ptr() as *const c_char, 10), Err(mc_status::MC_ERR_INVALID_UTF8));
            assert_eq!(req_nonempty(c"".as_ptr(), 10), Err(mc_status::MC_ERR_INVALID_ARGUMENT));
            assert_eq!(opt_str(std::ptr::null(), 10), Ok(None));
        }
        assert!(no_control_chars("ua\r\nX: 1").is_err());
        assert!(valid_metadata_key("a.media.show") && !valid_metadata_key("bad key"));
        assert!(valid_state_name("fullscreen") && !valid_state_name(&"x".repeat(65)));
    }
}
