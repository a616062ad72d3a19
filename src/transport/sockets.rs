//! The transport seen from a host's event loop (host-driven mode): instead of waiting in
//! `Transport::wait`, the host watches the sockets libcurl asked for and the wake-up
//! descriptor, reports what is ready (`socket_ready`), and the next `perform` drives libcurl
//! with it. Nothing here waits.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use curl::multi::Events;

use super::{Transport, lock};

/// Watch for reading (`MC_WATCH_READ`).
pub const WATCH_READ: u32 = 1;
/// Watch for writing (`MC_WATCH_WRITE`).
pub const WATCH_WRITE: u32 = 2;
/// The descriptor is in error or hung up (a drive call's `revents` only).
pub const WATCH_ERROR: u32 = 4;

impl Transport {
    /// The sockets libcurl wants watched, with `WATCH_*` interest.
    pub fn watched_sockets(&self) -> BTreeMap<i32, u32> {
        let w = lock(&self.watch);
        let interest = |events: libc::c_short| {
            (if events & libc::POLLIN != 0 { WATCH_READ } else { 0 })
                | (if events & libc::POLLOUT != 0 { WATCH_WRITE } else { 0 })
        };
        // Inserted one by one: collecting into a B-tree sorts first, a copy of the sort for
        // this one pair type (docs/performance.md, Footprint).
        let mut watched = BTreeMap::new();
        for (&fd, &events) in &w.sockets {
            watched.insert(fd, interest(events));
        }
        watched
    }

    /// How long until libcurl's own timer expires; None when it has none (or no transfer runs,
    /// `curl_timer`).
    pub fn socket_timer(&self) -> Option<Duration> {
        self.curl_timer().map(|t| t.saturating_duration_since(Instant::now()))
    }

    /// The host saw `fd` ready (`WATCH_*` bits): the next `perform` hands it to libcurl.
    pub fn socket_ready(&mut self, fd: i32, revents: u32) {
        let mut events = Events::new();
        events.input(revents & WATCH_READ != 0).output(revents & WATCH_WRITE != 0).error(revents & WATCH_ERROR != 0);
        self.ready.push((fd, events));
    }

    /// The descriptor a player's call makes readable to wake the loop (the `Waker`'s).
    pub fn wake_fd(&self) -> i32 {
        self.wake.poll_fd()
    }

    /// Resets the wake-up descriptor after the host saw it readable.
    pub fn drain_wake(&self) {
        self.wake.drain();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::TransportConfig;

    /// The host's busy loop, deterministically: after the last transfer libcurl may leave a
    /// timer that is already due (its clock in whole ms); with nothing running `perform` does
    /// not drive libcurl, so that timer must not be reported as a deadline.
    #[test]
    fn a_timer_left_by_the_last_transfer_is_no_deadline_once_none_runs() {
        let base_url = "http://127.0.0.1:9".to_owned();
        let t = Transport::new(TransportConfig { base_url, ..TransportConfig::default() }).expect("transport");
        lock(&t.watch).timer = Some(Instant::now());
        assert_eq!(t.in_flight(), 0);
        assert_eq!(t.socket_timer(), None);
    }
}
