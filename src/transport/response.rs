//! What a transfer keeps of its response: the two headers the worker acts on, and byte counts
//! that cap how much a server (or anything posing as one) can make us read.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use curl::easy::{Handler, WriteError};

/// When every transfer of a transport must end (shutdown). Checked by libcurl's progress
/// callback, which libcurl calls while it drives a transfer, so a transfer in flight is cut off
/// by libcurl itself at the deadline (sentry-native's pattern), not only when the worker gets
/// round to removing it. Shared by the transport, its handles and [`super::AbortHandle`]s.
#[derive(Debug)]
pub(crate) struct Abort {
    base: Instant,
    /// Nanoseconds after `base` from which transfers abort; `u64::MAX`: never.
    at_ns: AtomicU64,
}

impl Abort {
    pub(crate) fn new() -> Abort {
        Abort { base: Instant::now(), at_ns: AtomicU64::new(u64::MAX) }
    }

    /// Abort from `deadline` on (an earlier deadline already set wins).
    pub(crate) fn at(&self, deadline: Instant) {
        let ns = u64::try_from(deadline.saturating_duration_since(self.base).as_nanos()).unwrap_or(u64::MAX - 1);
        self.at_ns.fetch_min(ns, Ordering::SeqCst);
    }

    pub(crate) fn now(&self) {
        self.at_ns.store(0, Ordering::SeqCst);
    }

    pub(crate) fn triggered(&self) -> bool {
        let at = self.at_ns.load(Ordering::Relaxed);
        at != u64::MAX && u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX) >= at
    }
}

/// Which cap a response went over; the transfer was aborted because of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overflow {
    Body,
    Headers,
}

/// The curl handler of one easy handle. It lives as long as the handle and is cleared by
/// `begin` before each transfer, so a pooled handle carries nothing from its last use.
#[derive(Debug)]
pub(crate) struct Sink {
    max_body: usize,
    max_header: usize,
    body_bytes: usize,
    header_bytes: usize,
    location: Option<String>,
    retry_after: Option<String>,
    /// The body, up to `max_body` (a Media Edge sessionStart answer carries the session id).
    body: Vec<u8>,
    overflow: Option<Overflow>,
    abort: Arc<Abort>,
    /// What the transport last set on the handle, kept with it so that a pooled handle's next
    /// transfer sets only what differs (`super::Transport::start`).
    pub(crate) applied: Applied,
}

/// The request side of a handle: what it was last set to, and the body of the transfer in flight,
/// which libcurl reads in place (CURLOPT_POSTFIELDS), so it is not copied per request.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    /// The URL set with CURLOPT_URL, NUL-terminated; empty before the first transfer.
    pub(crate) url: Vec<u8>,
    /// The slow-link guard (bytes per second, whole seconds) set on the handle.
    pub(crate) low_speed: Option<(u32, u64)>,
    /// The request body; libcurl holds a pointer to it until the handle is recycled.
    pub(crate) body: Vec<u8>,
}

impl Sink {
    pub(crate) fn new(max_body: usize, max_header: usize, abort: Arc<Abort>) -> Sink {
        Sink {
            max_body,
            max_header,
            body_bytes: 0,
            header_bytes: 0,
            location: None,
            retry_after: None,
            body: Vec::new(),
            overflow: None,
            abort,
            applied: Applied::default(),
        }
    }

    /// The transport's abort deadline has passed.
    pub(crate) fn aborted(&self) -> bool {
        self.abort.triggered()
    }

    /// Forget the previous transfer.
    pub(crate) fn begin(&mut self) {
        self.body_bytes = 0;
        self.header_bytes = 0;
        self.location = None;
        self.retry_after = None;
        self.body = Vec::new();
        self.overflow = None;
    }

    pub(crate) fn overflow(&self) -> Option<Overflow> {
        self.overflow
    }

    pub(crate) fn take_location(&mut self) -> Option<String> {
        self.location.take()
    }

    pub(crate) fn take_body(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.body)
    }

    pub(crate) fn take_retry_after(&mut self) -> Option<String> {
        self.retry_after.take()
    }

    pub(crate) fn max_body(&self) -> usize {
        self.max_body
    }

    pub(crate) fn max_header(&self) -> usize {
        self.max_header
    }
}

impl Handler for Sink {
    /// The body is kept up to the cap (the MC API's answers are in the status line and headers;
    /// Media Edge's sessionStart answer is JSON). Returning less than was offered makes libcurl abort with CURLE_WRITE_ERROR, so
    /// an endless body ends the transfer instead of holding the worker.
    fn write(&mut self, data: &[u8]) -> Result<usize, WriteError> {
        let total = self.body_bytes.saturating_add(data.len());
        if total > self.max_body {
            self.overflow = Some(Overflow::Body);
            return Ok(0);
        }
        self.body_bytes = total;
        self.body.extend_from_slice(data);
        Ok(data.len())
    }

    /// Called by libcurl while it drives the transfer (CURLOPT_XFERINFOFUNCTION); false ends it
    /// with CURLE_ABORTED_BY_CALLBACK.
    fn progress(&mut self, _dltotal: f64, _dlnow: f64, _ultotal: f64, _ulnow: f64) -> bool {
        !self.abort.triggered()
    }

    /// Called once per header line, status lines included. Returning false aborts the transfer.
    fn header(&mut self, line: &[u8]) -> bool {
        self.header_bytes = self.header_bytes.saturating_add(line.len());
        if self.header_bytes > self.max_header {
            self.overflow = Some(Overflow::Headers);
            return false;
        }
        if line.starts_with(b"HTTP/") {
            // A new response begins (after a `100 Continue`, or a proxy's CONNECT answer):
            // only the headers of the final one count.
            self.location = None;
            self.retry_after = None;
            return true;
        }
        // Only the two names below matter: other lines (Date, Content-Length, ...) are passed
        // over on their first letter.
        if !matches!(line.trim_ascii_start().first(), Some(b'l' | b'L' | b'r' | b'R')) {
            return true;
        }
        if let Some((name, value)) = split_header(line) {
            if name.eq_ignore_ascii_case(b"location") && self.location.is_none() {
                self.location = text(value);
            } else if name.eq_ignore_ascii_case(b"retry-after") && self.retry_after.is_none() {
                self.retry_after = text(value);
            }
        }
        true
    }
}

/// `Name: value` with both parts trimmed; None for lines without a colon (the blank line that
/// ends the headers, obsolete folded continuations).
fn split_header(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = line.iter().position(|&b| b == b':')?;
    Some((line[..colon].trim_ascii(), line[colon + 1..].trim_ascii()))
}

/// An empty value is as good as none; bytes that are not UTF-8 are replaced rather than
/// failing the transfer, and the worker's parser then rejects them.
fn text(value: &[u8]) -> Option<String> {
    if value.is_empty() { None } else { Some(String::from_utf8_lossy(value).into_owned()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(sink: &mut Sink, lines: &[&str]) -> bool {
        lines.iter().all(|l| sink.header(l.as_bytes()))
    }

    #[test]
    fn location_and_retry_after_are_found_case_insensitively_and_trimmed() {
        let mut s = Sink::new(64, 1024, Arc::new(Abort::new()));
        assert!(feed(
            &mut s,
            &["HTTP/1.1 201 Created\r\n", "LOCATION:   /api/v1/sessions/abc \r\n", "retry-AFTER:\t120\r\n", "\r\n"]
        ));
        assert_eq!(s.take_location().as_deref(), Some("/api/v1/sessions/abc"));
        assert_eq!(s.take_retry_after().as_deref(), Some("120"));
    }

    #[test]
    fn other_headers_pass_and_lookalike_names_do_not_count() {
        let mut s = Sink::new(64, 1024, Arc::new(Abort::new()));
        assert!(feed(
            &mut s,
            &[
                "HTTP/1.1 503 Service Unavailable\r\n",
                "Date: Thu, 03 Dec 2026 14:00:00 GMT\r\n",
                "X-Location: /api/v1/sessions/wrong\r\n",
                "Retry-After-Hint: 1\r\n",
                "Content-Length: 0\r\n",
                " retry-after: 7\r\n",
                "\r\n",
            ]
        ));
        assert_eq!(s.take_location(), None);
        assert_eq!(s.take_retry_after().as_deref(), Some("7"));
    }

    #[test]
    fn only_the_final_response_headers_count() {
        let mut s = Sink::new(64, 1024, Arc::new(Abort::new()));
        assert!(feed(
            &mut s,
            &["HTTP/1.1 100 Continue\r\n", "Location: /wrong\r\n", "\r\n", "HTTP/1.1 204 No Content\r\n", "\r\n"]
        ));
        assert_eq!(s.take_location(), None);
    }

    #[test]
    fn empty_values_and_lines_without_colon_are_ignored() {
        let mut s = Sink::new(64, 1024, Arc::new(Abort::new()));
        assert!(feed(&mut s, &["HTTP/1.1 201 Created\r\n", "Location:   \r\n", " folded\r\n", "\r\n"]));
        assert_eq!(s.take_location(), None);
    }

    #[test]
    fn the_abort_deadline_stops_progress() {
        let abort = Arc::new(Abort::new());
        let mut s = Sink::new(10, 20, abort.clone());
        assert!(s.progress(0.0, 0.0, 0.0, 0.0));
        abort.at(Instant::now() + std::time::Duration::from_secs(3600));
        assert!(s.progress(0.0, 0.0, 0.0, 0.0) && !s.aborted());
        abort.at(Instant::now());
        assert!(!s.progress(0.0, 0.0, 0.0, 0.0) && s.aborted());
    }

    #[test]
    fn caps_abort_and_say_which() {
        let mut s = Sink::new(10, 20, Arc::new(Abort::new()));
        assert_eq!(s.write(b"0123456789").ok(), Some(10));
        assert_eq!(s.write(b"x").ok(), Some(0));
        assert_eq!(s.overflow(), Some(Overflow::Body));

        s.begin();
        assert_eq!(s.overflow(), None);
        assert!(s.header(b"HTTP/1.1 200 OK\r\n"));
        assert!(!s.header(b"X-Long: aaaaaaaaaaaaaaaa\r\n"));
        assert_eq!(s.overflow(), Some(Overflow::Headers));
    }
}
