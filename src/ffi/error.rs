//! The text behind a failed status: `mc_last_error()`.
//!
//! Every exported call passes through the boundary (`boundary.rs`), which records the call's
//! name and forgets the previous message. A refusal site names what is wrong with
//! [`fail`] (which field, which value, which limit); a failure no site described gets the
//! status's own description. The message reads `"<function>: <STATUS>: <what is wrong>"`, e.g.
//! `mc_client_new: MC_ERR_NULL_ARGUMENT: config.tracking_server: required`.
//!
//! A call that succeeds costs two thread-local stores. So do the failures a busy player can
//! repeat at a high rate (a full queue, a client shut down, a stale handle): they record only
//! the status and its subject, and the text is written when `mc_last_error()` asks for it.
//! Refusals of arguments, rare programming errors, write their text at once.

use std::cell::{Cell, RefCell};
use std::ffi::c_char;

use crate::ffi::boundary::ffi_boundary;
use crate::status::mc_status;

/// What the thread's most recent call left for `mc_last_error()`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Last {
    /// It succeeded (or no call was made yet).
    Nothing,
    /// `MESSAGE` holds the text.
    Written,
    /// A failure whose text is the status's description, written when asked for.
    Status(mc_status),
    /// A handle that does not resolve, written when asked for.
    Handle { kind: &'static str, handle: u64 },
}

thread_local! {
    /// The exported function the thread is in (its full Rust path, cut when a text is written).
    static CURRENT_FN: Cell<&'static str> = const { Cell::new("") };
    static LAST: Cell<Last> = const { Cell::new(Last::Nothing) };
    /// The message, NUL-terminated (what `mc_last_error` points into).
    static MESSAGE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Longest message kept (bytes): a hostile value quoted in a message cannot grow it further.
const MAX_MESSAGE: usize = 1024;

/// Longest excerpt of a caller's value quoted in a message.
const MAX_QUOTE: usize = 64;

/// Called when a call enters the boundary: `path` is the exported function's Rust path.
pub(crate) fn enter(path: &'static str) {
    CURRENT_FN.with(|f| f.set(path));
    LAST.with(|l| l.set(Last::Nothing));
}

/// The name of the exported function the thread is in, e.g. `mc_client_new`.
pub(crate) fn current_function() -> &'static str {
    let path = CURRENT_FN.with(|f| f.get());
    // `ffi_boundary!` passes the path of a helper fn nested in the export: `…::mc_x::here`.
    let path = path.strip_suffix("::here").unwrap_or(path);
    path.rsplit("::").next().unwrap_or(path)
}

/// Records why the current call fails and returns `status`, so a site reads
/// `return Err(fail(MC_ERR_OUT_OF_RANGE, format!(...)))`.
pub(crate) fn fail(status: mc_status, what: impl AsRef<str>) -> mc_status {
    write(status, what.as_ref());
    LAST.with(|l| l.set(Last::Written));
    status
}

/// MC_ERR_INVALID_HANDLE for `handle`, a `kind` ("client", "tracker") handle that does not
/// resolve. Its text is written only when asked for.
pub(crate) fn invalid_handle(kind: &'static str, handle: u64) -> mc_status {
    LAST.with(|l| l.set(Last::Handle { kind, handle }));
    mc_status::MC_ERR_INVALID_HANDLE
}

/// Writes the text of the most recent call into `MESSAGE` if it is not there yet; true when
/// there is one.
fn materialize() -> bool {
    match LAST.with(|l| l.get()) {
        Last::Nothing => return false,
        Last::Written => return true,
        Last::Status(s) => write(s, s.description()),
        Last::Handle { kind, handle } => {
            let why = if handle == 0 { "0 is never a handle" } else { "stale (freed), or not a handle of this kind" };
            write(mc_status::MC_ERR_INVALID_HANDLE, &format!("{kind} handle {handle:#x}: {why}"));
        }
    }
    LAST.with(|l| l.set(Last::Written));
    true
}

fn write(status: mc_status, what: &str) {
    let mut text = format!("{}: {}: {}", current_function(), status.name(), what);
    if text.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    MESSAGE.with(|m| {
        let mut m = m.borrow_mut();
        m.clear();
        // Interior NULs cannot come from C strings; drop any so the text is not cut short.
        m.extend(text.bytes().filter(|b| *b != 0));
        m.push(0);
    });
}

/// Called when a call leaves the boundary with `status`: a failure no site described gets the
/// status's description; a success leaves no message behind.
pub(crate) fn leave(status: mc_status) {
    LAST.with(|l| {
        if status == mc_status::MC_OK {
            l.set(Last::Nothing);
        } else if l.get() == Last::Nothing {
            l.set(Last::Status(status));
        }
    });
}

/// Runs `f` (a player's callback, which may call the API) and then puts back this call's
/// outcome, so the callback's own calls cannot change what `mc_last_error()` reports for it.
pub(crate) fn preserving<R>(f: impl FnOnce() -> R) -> R {
    let function = CURRENT_FN.with(|c| c.get());
    let last = LAST.with(|l| l.get());
    let message = MESSAGE.with(|m| m.borrow().clone());
    let r = f();
    CURRENT_FN.with(|c| c.set(function));
    LAST.with(|l| l.set(last));
    MESSAGE.with(|m| *m.borrow_mut() = message);
    r
}

/// The message of the thread's most recent call, or "" (for log lines and tests).
pub(crate) fn last_message() -> String {
    if !materialize() {
        return String::new();
    }
    MESSAGE.with(|m| {
        let m = m.borrow();
        String::from_utf8_lossy(m.strip_suffix(&[0]).unwrap_or(&m)).into_owned()
    })
}

/// A caller's string value as a message quotes it: in double quotes, control characters
/// escaped, cut after `MAX_QUOTE` bytes.
pub(crate) fn quote(s: &str) -> String {
    let mut end = s.len().min(MAX_QUOTE);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let more = if end < s.len() { "…" } else { "" };
    format!("{:?}{more}", &s[..end])
}

/// Describes why the thread's most recent `mc_*` call failed: `"<function>: <status name>:
/// <what is wrong>"`, naming the field, the value and the limit where there is one, e.g.
/// `"mc_client_new: MC_ERR_OUT_OF_RANGE: config.retry_cap_ms (100) is below
/// config.retry_base_ms (500)"`.
///
/// @return A NUL-terminated UTF-8 string owned by the library, never NULL: "" when the most
/// recent call returned MC_OK (or no call was made yet on this thread). It stays valid and
/// unchanged until this thread's next `mc_*` call other than mc_last_error(), mc_status_str(),
/// mc_event_kind_str() and mc_version() (those four neither set nor clear it), or until the
/// thread exits. Copy it to keep it longer.
///
/// Thread-local: each thread sees the outcome of its own calls only, so it is safe to call from
/// any thread, callbacks included. Never fails, never blocks.
#[unsafe(no_mangle)]
pub extern "C" fn mc_last_error() -> *const c_char {
    ffi_boundary! { @keep_last_error
        if materialize() {
            MESSAGE.with(|m| m.borrow().as_ptr() as *const c_char)
        } else {
            c"".as_ptr()
        }
    }
}

/// `v` as a message shows it: whole numbers without a `.0`, others in the shortest form that
/// reads back exactly (serde_json's), NaN and infinities by name. Not `{v}`: std's float
/// printing is about 16 KiB of code that these messages alone would pull into the library.
pub(crate) fn number_text(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        (if v > 0.0 { "inf" } else { "-inf" }).into()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        (v as i64).to_string()
    } else {
        serde_json::Number::from_f64(v).map(|n| n.to_string()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_names_the_function_and_the_status_and_is_cleared_by_success() {
        enter("media_collection::ffi::client::mc_client_new::here");
        assert_eq!(current_function(), "mc_client_new");
        leave(fail(mc_status::MC_ERR_NULL_ARGUMENT, "config.tracking_server: required"));
        assert_eq!(last_message(), "mc_client_new: MC_ERR_NULL_ARGUMENT: config.tracking_server: required");
        enter("media_collection::ffi::tracker::mc_track_play::here");
        leave(mc_status::MC_OK);
        assert_eq!(last_message(), "");
        enter("media_collection::ffi::tracker::mc_track_play::here");
        leave(mc_status::MC_ERR_QUEUE_FULL);
        assert!(last_message().starts_with("mc_track_play: MC_ERR_QUEUE_FULL: "), "{}", last_message());
    }

    #[test]
    fn long_and_hostile_values_are_cut_and_escaped() {
        assert_eq!(quote("a\r\nb"), "\"a\\r\\nb\"");
        let q = quote(&"é".repeat(100));
        assert!(q.ends_with('…') && q.len() < MAX_QUOTE + 8, "{q}");
        enter("x::mc_x::here");
        leave(fail(mc_status::MC_ERR_TOO_LONG, "x".repeat(10_000)));
        assert_eq!(last_message().len(), MAX_MESSAGE);
    }

    #[test]
    fn numbers_in_messages() {
        for (v, want) in [
            (-1.0, "-1"),
            (-2.0, "-2"),
            (-0.5, "-0.5"),
            (-1e300, "-1e+300"),
            (-123456.25, "-123456.25"),
            (-(0.1 + 0.2), "-0.30000000000000004"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            assert_eq!(number_text(v), want, "{v:?}");
        }
    }
}
