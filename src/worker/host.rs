//! Host-driven mode: no thread of ours. The host's event loop (a `poll()` loop, GLib, libuv)
//! watches the descriptors the client names and calls `mc_client_drive` when one is ready or
//! the timeout passed; each call runs one turn of the same `Loop` the worker thread runs.
//!
//! The descriptors are libcurl's sockets (the transport drives libcurl's multi-socket
//! interface either way) and the transport's wake-up eventfd, through which player calls on
//! other threads wake the host's loop: as on the worker, at most one non-blocking write per
//! event call, and only when the loop announced a wait. After each turn
//! the host is told what changed (watch and timer callbacks), and it can ask for the whole set
//! (`Host::wait_state`, for a plain `poll()` loop).
//!
//! One mutex guards the loop. A drive call only tries it (another thread driving: MC_ERR_BUSY,
//! never a wait); flush and free take it, then drive the loop themselves until done or their
//! bound, waiting in `poll()` on the client's own descriptors.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

use crate::config::{ClientConfig, HostCallbacks};
use crate::core::LogLevel;
use crate::ffi::error::{fail, quote};
use crate::stats::{Counter, Stats};
use crate::status::mc_status;

use super::offline::Offline;
use super::{Command, Loop, POISONED, Shared};

pub use crate::transport::{WATCH_ERROR, WATCH_READ, WATCH_WRITE};

/// What the host's loop needs to wait (`mc_client_host_poll`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostWait {
    /// Descriptors to watch.
    pub n_fds: usize,
    /// How long the host may wait before the next drive call, in ms; -1: until a descriptor
    /// is ready.
    pub timeout_ms: i32,
    /// HTTP transfers in flight.
    pub transfers: u32,
    /// The library's next deadline on its monotonic clock (the caller's, when it supplied
    /// one), in ms; -1: none.
    pub next_deadline_ms: i64,
}

/// A host-driven client's loop and what the host was told about it.
pub struct Host {
    shared: Arc<Shared>,
    driver: Mutex<Driver>,
}

struct Driver {
    lp: Loop,
    wake_fd: i32,
    host: HostCallbacks,
    /// The descriptors the host was last told to watch, with their interest.
    told: BTreeMap<i32, u32>,
    /// The timer the host was last told about (as a real-time instant; None: no timer), or
    /// None before the first report.
    told_timer: Option<Option<Instant>>,
    stopped: bool,
}

// SAFETY: libcurl's handles (in `lp`'s transport) and the callbacks' userdata may be used from
// any thread as long as one thread at a time does (libcurl-thread.3); the mutex in `Host`
// makes sure of that, and `Host::start` builds the driver before any other thread sees it.
unsafe impl Send for Driver {}

/// Milliseconds for a host's timer, rounded up so the host never wakes before the deadline
/// (and spins), capped to what a C int holds.
fn ceil_ms(d: Duration) -> i32 {
    d.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32
}

impl Host {
    /// Sets up the loop on the calling thread; no thread is started. The host's watch callback
    /// hears of the wake-up descriptor, and its timer callback of an immediate first turn (the
    /// startup lines are logged there), before this returns.
    pub fn start(
        config: ClientConfig,
        host: HostCallbacks,
        stats: Arc<Stats>,
        offline: Option<Offline>,
    ) -> Result<Host, mc_status> {
        let (shared, inbox) = Shared::new(&config, stats, offline.is_some());
        let callbacks = config.callbacks;
        let init_failed = |message: String| {
            callbacks.log(LogLevel::Error, &format!("cannot start the HTTP transport: {message}"));
            fail(mc_status::MC_ERR_INIT, message)
        };
        let mut lp = Loop::new(shared.clone(), config, offline, inbox).map_err(init_failed)?;
        let wake_fd = lp.transport.wake_fd();
        let _ = shared.waker.set(lp.transport.waker());
        for (level, message) in lp.take_startup_lines() {
            shared.send_control(Command::Log { level, message })?;
        }
        let mut driver = Driver { lp, wake_fd, host, told: BTreeMap::new(), told_timer: None, stopped: false };
        driver.report();
        Ok(Host { shared, driver: Mutex::new(driver) })
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The loop, if no other thread drives it now. A call from inside a drive call (a
    /// callback) would wait on itself.
    fn try_driver(&self, what: &str) -> Result<MutexGuard<'_, Driver>, mc_status> {
        if self.shared.on_worker_thread() {
            return Err(fail(
                mc_status::MC_ERR_WOULD_DEADLOCK,
                format!("{what} called from this client's own callback, inside its drive call"),
            ));
        }
        match self.driver.try_lock() {
            Ok(d) => Ok(d),
            Err(TryLockError::WouldBlock) => Err(fail(
                mc_status::MC_ERR_BUSY,
                format!("{what}: another thread is driving this client right now; drive it from one thread"),
            )),
            Err(TryLockError::Poisoned(_)) => Err(mc_status::MC_ERR_POISONED),
        }
    }

    /// One turn: `fd` is ready with `revents` (`MC_WATCH_*`), or -1 when the timeout passed.
    pub fn drive(&self, fd: i32, revents: u32) -> Result<(), mc_status> {
        let mut d = self.try_driver("mc_client_drive")?;
        if d.stopped {
            return Err(mc_status::MC_ERR_SHUT_DOWN);
        }
        if fd < -1 {
            return Err(fail(
                mc_status::MC_ERR_INVALID_ARGUMENT,
                format!("fd ({fd}) is neither a descriptor nor MC_DRIVE_TIMEOUT (-1)"),
            ));
        }
        let _in_loop = self.shared.enter_loop();
        // A descriptor dropped earlier in the host's iteration (its poll() result is older than
        // the last turn) only takes a turn.
        let ready = if fd == d.wake_fd || d.told.contains_key(&fd) { vec![(fd, revents)] } else { Vec::new() };
        d.turn(&ready)
    }

    /// Writes the descriptors to watch into `fds`/`events` (up to their length) and says how
    /// long the host may wait. MC_ERR_TOO_LONG, naming the count, when they do not fit.
    pub fn wait_state(&self, fds: &mut [i32], events: &mut [u32]) -> Result<HostWait, mc_status> {
        let d = self.try_driver("mc_client_host_poll")?;
        if d.stopped {
            return Err(mc_status::MC_ERR_SHUT_DOWN);
        }
        let wanted = d.wanted();
        let cap = fds.len().min(events.len());
        if wanted.len() > cap {
            return Err(fail(
                mc_status::MC_ERR_TOO_LONG,
                format!("cap ({cap}) is too small: {} descriptors to watch", wanted.len()),
            ));
        }
        for (i, (fd, ev)) in wanted.iter().enumerate() {
            fds[i] = *fd;
            events[i] = *ev;
        }
        Ok(HostWait {
            n_fds: wanted.len(),
            timeout_ms: d.timeout().map_or(-1, ceil_ms),
            transfers: d.lp.transfers() as u32,
            next_deadline_ms: d.lp.next_deadline_ms().unwrap_or(-1),
        })
    }

    /// `mc_client_flush` of a host-driven client: queues the flush, then drives the loop on
    /// this thread until it is answered or `timeout` passed.
    pub fn flush(&self, timeout: Duration) -> Result<(), mc_status> {
        let deadline = Instant::now() + timeout;
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.shared.send_control(Command::Flush { reply: tx })?;
        let mut d = self.lock_driver()?;
        let _in_loop = self.shared.enter_loop();
        loop {
            if let Ok(reply) = rx.try_recv() {
                // A flush is answered with a status (an `Err` reply is the worker's start only).
                let status = reply.unwrap_or(mc_status::MC_ERR_SHUT_DOWN);
                return if status == mc_status::MC_OK { Ok(()) } else { Err(status) };
            }
            if d.stopped {
                return Err(mc_status::MC_ERR_SHUT_DOWN);
            }
            if Instant::now() >= deadline {
                return Err(mc_status::MC_ERR_TIMEOUT);
            }
            d.wait_and_turn(deadline)?;
        }
    }

    /// `mc_client_free` of a host-driven client: queues the shutdown, then drives the loop on
    /// this thread until it stopped (it stops by itself at the deadline, aborting transfers).
    /// The host is told to stop watching every descriptor and to drop its timer.
    pub fn shutdown(&self, timeout: Duration) -> mc_status {
        let deadline = Instant::now() + timeout;
        let (done_tx, _done_rx) = crossbeam_channel::bounded(1);
        if self.shared.send_control(Command::Shutdown { deadline, done: done_tx }).is_err() {
            return mc_status::MC_ERR_SHUT_DOWN;
        }
        let mut d = match self.lock_driver() {
            Ok(d) => d,
            Err(s) => return s,
        };
        let _in_loop = self.shared.enter_loop();
        // The loop ends itself at the deadline; the grace only guards against a stuck turn.
        let give_up = deadline + Duration::from_millis(200);
        while !d.stopped {
            if Instant::now() >= give_up {
                d.stop();
                return mc_status::MC_ERR_TIMEOUT;
            }
            if let Err(panicked) = d.wait_and_turn(deadline) {
                return panicked;
            }
        }
        mc_status::MC_OK
    }

    /// The loop for flush and free, which wait for it: a drive in progress on another thread
    /// ends within its turn.
    fn lock_driver(&self) -> Result<MutexGuard<'_, Driver>, mc_status> {
        self.driver.lock().map_err(|_| mc_status::MC_ERR_POISONED)
    }
}

impl Driver {
    /// The descriptors the host should watch: the wake-up eventfd and libcurl's sockets.
    fn wanted(&self) -> BTreeMap<i32, u32> {
        let mut wanted = self.lp.transport.watched_sockets();
        wanted.insert(self.wake_fd, WATCH_READ);
        wanted
    }

    /// How long the host may wait: the loop's next turn or libcurl's timer, whichever first.
    fn timeout(&self) -> Option<Duration> {
        let mut wait = self.lp.wait_for();
        if let Some(curl) = self.lp.transport.socket_timer() {
            wait = Some(wait.map_or(curl, |w| w.min(curl)));
        }
        wait
    }

    /// One turn after `ready` descriptors, then the host hears what changed. A panic in the
    /// turn is caught here, as the worker thread catches its own: the loop's state may be
    /// broken, so the client is poisoned (later calls fail fast with MC_ERR_POISONED) and the
    /// host stops watching it.
    fn turn(&mut self, ready: &[(i32, u32)]) -> Result<(), mc_status> {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.turn_unguarded(ready))) {
            Ok(()) => Ok(()),
            Err(payload) => {
                let what = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".into());
                let shared = self.lp.shared.clone();
                shared.stats.incr(Counter::Panics);
                shared.state.store(POISONED, Ordering::SeqCst);
                self.stop();
                Err(fail(
                    mc_status::MC_ERR_PANIC,
                    format!("internal panic caught in the client's loop ({}); the client is poisoned", quote(&what)),
                ))
            }
        }
    }

    fn turn_unguarded(&mut self, ready: &[(i32, u32)]) {
        self.lp.awake();
        for &(fd, revents) in ready {
            if fd == self.wake_fd {
                self.lp.transport.drain_wake();
            } else {
                self.lp.transport_mut().socket_ready(fd, revents);
            }
        }
        if self.lp.step() {
            self.report();
        } else {
            self.stop();
        }
    }

    /// Tells the host which descriptors changed and, when it moved, the timer. Announces the
    /// wait first, so a call made from now on wakes the host.
    fn report(&mut self) {
        let timeout = if self.lp.announce_host_wait() { self.timeout() } else { Some(Duration::ZERO) };
        let wanted = self.wanted();
        for (&fd, _) in self.told.iter().filter(|(fd, _)| !wanted.contains_key(fd)) {
            self.host.watch(fd, 0);
        }
        for (&fd, &ev) in wanted.iter().filter(|(fd, ev)| self.told.get(fd) != Some(ev)) {
            self.host.watch(fd, ev);
        }
        self.told = wanted;
        let at = timeout.map(|t| Instant::now() + t);
        // Unchanged: no timer before and none now, or the same instant to the millisecond. An
        // immediate turn is always said again (the host fired the previous timer).
        let unchanged = match (self.told_timer, at) {
            (Some(None), None) => true,
            (Some(Some(before)), Some(now)) => {
                before.max(now) - before.min(now) < Duration::from_millis(1) && timeout != Some(Duration::ZERO)
            }
            _ => false,
        };
        if !unchanged {
            self.host.timer(timeout.map_or(-1, ceil_ms));
            self.told_timer = Some(at);
        }
    }

    /// The loop stopped (shutdown finished): the host stops watching and drops its timer.
    fn stop(&mut self) {
        self.stopped = true;
        for &fd in self.told.keys() {
            self.host.watch(fd, 0);
        }
        self.told.clear();
        self.host.timer(-1);
        self.told_timer = Some(None);
    }

    /// Waits in `poll()` on the client's own descriptors until one is ready, the loop's next
    /// turn is due or `deadline` (for flush and free, which drive the loop themselves).
    fn wait_and_turn(&mut self, deadline: Instant) -> Result<(), mc_status> {
        let left = deadline.saturating_duration_since(Instant::now());
        let wait = self.timeout().map_or(left, |t| t.min(left));
        let mut fds: Vec<libc::pollfd> = self
            .wanted()
            .into_iter()
            .map(|(fd, ev)| {
                let mut events = 0;
                if ev & WATCH_READ != 0 {
                    events |= libc::POLLIN;
                }
                if ev & WATCH_WRITE != 0 {
                    events |= libc::POLLOUT;
                }
                libc::pollfd { fd, events, revents: 0 }
            })
            .collect();
        // SAFETY: `fds` is a live array of `fds.len()` pollfd structs.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ceil_ms(wait)) };
        let mut ready = Vec::new();
        if n > 0 {
            for p in &fds {
                let mut bits = 0;
                if p.revents & libc::POLLIN != 0 {
                    bits |= WATCH_READ;
                }
                if p.revents & libc::POLLOUT != 0 {
                    bits |= WATCH_WRITE;
                }
                if p.revents & (libc::POLLERR | libc::POLLHUP) != 0 {
                    bits |= WATCH_ERROR;
                }
                if bits != 0 {
                    ready.push((p.fd, bits));
                }
            }
        }
        self.turn(&ready)
    }
}
