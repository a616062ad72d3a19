//! A host-driven client (`MC_THREADING_HOST`) on a virtual clock, driven from a Rust test: the
//! Rust twin of tests/c/host_loop.h. Time moves only when the test moves it; requests go
//! through the real transport and are waited for in real time.

use std::ffi::c_void;
use std::sync::atomic::{AtomicI64, Ordering};

use media_collection::ffi::host::*;
use media_collection::ffi::types::*;
use media_collection::status::mc_status;

/// 2026-01-01T00:00:00Z: the virtual wall clock at virtual monotonic 0 (as host_loop.h).
pub const WALL0: i64 = 1_767_225_600_000;

const MAX_FDS: usize = 64;

/// The test's clock, in ms from 0. Boxed so the address handed to the client stays put.
pub struct VirtualClock {
    ms: AtomicI64,
}

unsafe extern "C" fn virtual_monotonic(userdata: *mut c_void) -> i64 {
    // SAFETY: `userdata` is the `VirtualClock` installed by `VirtualClock::install`, which
    // outlives the client (the caller's contract there).
    unsafe { &*(userdata as *const VirtualClock) }.now()
}

unsafe extern "C" fn virtual_wall(userdata: *mut c_void) -> i64 {
    // SAFETY: as above.
    WALL0 + unsafe { &*(userdata as *const VirtualClock) }.now()
}

impl VirtualClock {
    pub fn new() -> Box<VirtualClock> {
        Box::new(VirtualClock { ms: AtomicI64::new(0) })
    }

    pub fn now(&self) -> i64 {
        self.ms.load(Ordering::SeqCst)
    }

    fn set(&self, ms: i64) {
        assert!(ms >= self.now(), "the virtual clock never goes back ({} → {ms})", self.now());
        self.ms.store(ms, Ordering::SeqCst);
    }

    /// Makes `cfg` a host-driven client on this clock. The clock must outlive the client.
    pub fn install(&self, cfg: &mut mc_client_config) {
        cfg.threading = MC_THREADING_HOST;
        cfg.clock_monotonic_ms = Some(virtual_monotonic);
        cfg.clock_wall_ms = Some(virtual_wall);
        cfg.clock_userdata = self as *const VirtualClock as *mut c_void;
    }
}

/// What `mc_client_host_poll` said: the wait, and the descriptors with what to watch them for.
struct Wait {
    wait: mc_host_wait,
    fds: Vec<(i32, u32)>,
}

fn poll_state(client: mc_client_t) -> Wait {
    let mut fds = [0i32; MAX_FDS];
    let mut events = [0u32; MAX_FDS];
    let mut wait = mc_host_wait::defaults();
    let status = mc_client_host_poll(client, fds.as_mut_ptr(), events.as_mut_ptr(), MAX_FDS, &mut wait);
    assert_eq!(status, mc_status::MC_OK, "mc_client_host_poll");
    Wait { wait, fds: fds.into_iter().zip(events).take(wait.n_fds).collect() }
}

/// One poll() on the client's descriptors for at most `cap_ms` (and no longer than the client
/// allows), then a drive per ready descriptor, or one for the timeout when none was.
fn turn(client: mc_client_t, w: &Wait, cap_ms: i32) {
    let mut pfds: Vec<libc::pollfd> = w
        .fds
        .iter()
        .map(|&(fd, ev)| libc::pollfd {
            fd,
            events: (if ev & MC_WATCH_READ != 0 { libc::POLLIN } else { 0 })
                | (if ev & MC_WATCH_WRITE != 0 { libc::POLLOUT } else { 0 }),
            revents: 0,
        })
        .collect();
    let timeout = if w.wait.timeout_ms < 0 { cap_ms } else { w.wait.timeout_ms.min(cap_ms) };
    // SAFETY: `pfds` is a live array of `pfds.len()` entries.
    let n = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, timeout) };
    assert!(n >= 0, "poll: {}", std::io::Error::last_os_error());
    if n == 0 {
        assert_eq!(mc_client_drive(client, MC_DRIVE_TIMEOUT, 0), mc_status::MC_OK, "drive (timeout)");
        return;
    }
    for p in pfds.iter().filter(|p| p.revents != 0) {
        let ready = (if p.revents & libc::POLLIN != 0 { MC_WATCH_READ } else { 0 })
            | (if p.revents & libc::POLLOUT != 0 { MC_WATCH_WRITE } else { 0 })
            | (if p.revents & (libc::POLLERR | libc::POLLHUP) != 0 { MC_WATCH_ERROR } else { 0 });
        assert_eq!(mc_client_drive(client, p.fd, ready), mc_status::MC_OK, "drive fd {}", p.fd);
    }
}

/// One pass of a plain poll() loop on the system clock: asks the client what to wait for,
/// waits at most `cap_ms`, drives it. Returns what the client asked for.
pub fn poll_once(client: mc_client_t, cap_ms: i32) -> mc_host_wait {
    let w = poll_state(client);
    turn(client, &w, cap_ms);
    w.wait
}

/// Drives one host-driven client on its virtual clock from the test's thread.
pub struct HostLoop<'a> {
    pub client: mc_client_t,
    pub clock: &'a VirtualClock,
}

impl HostLoop<'_> {
    fn poll_state(&self) -> Wait {
        poll_state(self.client)
    }

    fn turn(&self, w: &Wait, cap_ms: i32) {
        turn(self.client, w, cap_ms)
    }

    /// Drives the client until it is idle at the current virtual instant: no request in
    /// flight (waited for in real time), no player call queued, no deadline due.
    pub fn settle(&self) {
        for _ in 0..100_000 {
            let w = self.poll_state();
            if w.wait.transfers == 0 && w.wait.timeout_ms != 0 {
                // Idle unless the wake-up descriptor has a call queued: look without waiting.
                let mut pfds: Vec<libc::pollfd> =
                    w.fds.iter().map(|&(fd, _)| libc::pollfd { fd, events: libc::POLLIN, revents: 0 }).collect();
                // SAFETY: as in `turn`.
                if unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, 0) } <= 0 {
                    return;
                }
                self.turn(&w, 0);
            } else {
                // A request in flight: wait for its socket (libcurl's own timer bounds it).
                self.turn(&w, 1000);
            }
        }
        panic!("the client never went idle at virtual {} ms", self.clock.now());
    }

    /// Moves the clock to `t_ms`, stopping at each of the client's deadlines on the way, so
    /// every ping and timer runs at its own instant (and its request is answered) before time
    /// moves on. The client is idle at `t_ms` on return.
    pub fn advance_to(&self, t_ms: i64) {
        loop {
            self.settle();
            let next = self.poll_state().wait.next_deadline_ms;
            if next < 0 || next > t_ms {
                break;
            }
            assert!(next > self.clock.now(), "a deadline at {next} ms is still pending at {} ms", self.clock.now());
            self.clock.set(next);
        }
        self.clock.set(t_ms);
        self.settle();
    }

    /// tracker.md §7's step: moves the clock to `t_ms` as `advance_to` does, but at `t_ms`
    /// itself runs `at_instant` (the step's playhead update) before the deadlines due there
    /// fire, so a ping at that instant reads the step's playhead. Idle at `t_ms` on return.
    pub fn step_to(&self, t_ms: i64, at_instant: impl FnOnce()) {
        self.advance_to(t_ms - 1);
        self.clock.set(t_ms);
        at_instant();
        self.settle();
    }
}
