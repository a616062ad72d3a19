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

    /// How long until libcurl's own timer expires; None when it has none, or when no transfer
    /// is in flight: `perform` then does not drive libcurl, so a timer left over from the last
    /// transfer would stay due and the host would spin on a timeout of 0 (the worker's `wait`
    /// ignores it likewise).
    pub fn socket_timer(&self) -> Option<Duration> {
        if self.running.is_empty() {
            return None;
        }
        lock(&self.watch).timer.map(|t| t.saturating_duration_since(Instant::now()))
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
