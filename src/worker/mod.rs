//! The worker thread: owns the core, the transport and the callbacks. It sleeps until a command
//! arrives (the player wakes it, only when it sleeps), a transfer needs attention, or the core's
//! next deadline comes. No polling tick: with nothing scheduled it sleeps until woken.
//!
//! Each pass is one [`Loop::step`] (commands, deadlines, starting transfers and driving libcurl
//! at once, callbacks) and one [`Loop::sleep`], so an event costs one wake-up and one response.
//! With no transfer in flight the worker parks (a futex: the cheapest wake-up, no descriptor to
//! drain); with transfers in flight it sleeps in the transport's `poll`, woken through its eventfd.
//!
//! Commands travel on two crossbeam channels. Event calls (and tracker creation) use a bounded
//! channel with `try_send`: when it is full the call is dropped and counted, never blocking.
//! Tracker removal, flush, shutdown and log lines use an unbounded control channel, drained only
//! after the event channel is empty, so they always come after the calls that preceded them.
//!
//! Downloaded trackers' hits go to the offline store (`offline`), which uploads finished
//! sessions through the same transport.
//!
//! The loop itself (`Loop`) has two drivers: the worker thread here (`Worker`: a step, then a
//! sleep), and the host's event loop (`host::Host`: a step per `mc_client_drive`, the waits
//! left to the host, which watches the transport's sockets and eventfd). Both run the same
//! `Loop::step`.

pub mod host;
#[cfg(not(feature = "offline"))]
#[path = "no_offline.rs"]
pub mod offline;
#[cfg(feature = "offline")]
pub mod offline;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};

use crate::clock::WallClock;
use crate::config::{Callbacks, ClientConfig};
use crate::core::{Call, Core, LogLevel, Outcome, Snapshot, Stamp, TrackerConfig, TrackerId, TrackerName, TrackerSlot};
use crate::stats::{Counter, Stats};
use crate::status::mc_status;
use crate::transport::{Completion, MAX_PARALLEL_TRANSFERS, Transport, TransportConfig, Waker};
use offline::{Offline, Privacy};

/// Request ids of uploads have this bit set, so completions find their owner.
const UPLOAD_ID_BIT: u64 = 1 << 63;

/// Commands one worker turn handles at most (see `Loop::drain_commands`).
const COMMANDS_PER_TURN: usize = 4096;

/// Commands from player threads.
pub enum Command {
    AddTracker {
        id: TrackerId,
        config: TrackerConfig,
        slot: Arc<TrackerSlot>,
    },
    Call {
        id: TrackerId,
        /// Stamp, playhead and QoE as they were when the player made the call.
        snap: Snapshot,
        call: Call,
        /// Metadata entries the C layer dropped from the call, one line each saying why.
        dropped_metadata: Option<Box<[String]>>,
    },
    /// Sent on the control channel; applied once the tracker's `queued` commands (its
    /// AddTracker and calls, on the events channel) have been handled.
    RemoveTracker {
        id: TrackerId,
        at: Stamp,
        queued: u64,
    },
    Flush {
        reply: Sender<Reply>,
    },
    Shutdown {
        deadline: Instant,
        done: Sender<Reply>,
    },
    Log {
        level: LogLevel,
        message: String,
    },
    SetNetwork(bool),
    SetPrivacy(Privacy),
    /// Test hook (`mc_debug_inject_panic`, debug builds): the worker panics handling it.
    #[cfg(debug_assertions)]
    InjectPanic,
}

thread_local! {
    /// On a worker thread: the address of its client's `Shared`; 0 elsewhere.
    static WORKER_OF: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How the loop waits (`Shared::sleep`): a player wakes it the matching way, and only when it
/// is not `AWAKE`.
const AWAKE: u8 = 0;
/// The worker parked (no transfer in flight): woken by `Thread::unpark`.
const PARKED: u8 = 1;
/// The worker in `Transport::wait` (transfers in flight), or the host's loop waiting on the
/// transport's wake-up descriptor: woken through the transport's `Waker`.
const POLLING: u8 = 2;

/// Client states.
pub const RUNNING: u8 = 0;
pub const SHUTTING_DOWN: u8 = 1;
pub const POISONED: u8 = 2;
pub const STOPPED: u8 = 3;

/// The receiving ends of the command channels, owned by the loop.
pub struct Inbox {
    events: Receiver<Command>,
    control: Receiver<Command>,
}

/// What player threads and the loop share. Everything here is lock-free.
pub struct Shared {
    events: Sender<Command>,
    control: Sender<Command>,
    /// `AWAKE`, `PARKED` or `POLLING`: only a sleeping (or about to sleep) loop costs a call a
    /// wake-up, and the mode says which one.
    sleep: AtomicU8,
    waker: OnceLock<Waker>,
    thread: OnceLock<std::thread::Thread>,
    pub stats: Arc<Stats>,
    pub clock: WallClock,
    pub state: AtomicU8,
    /// Lines at this level or more severe are forwarded to the log callback.
    pub log_level: Option<LogLevel>,
    /// The client has an offline store (downloaded trackers allowed).
    pub has_store: bool,
    /// `MC_PRIVACY_*` as last set: new sessions are refused while opted out.
    pub privacy: AtomicU8,
}

impl Shared {
    /// Queues an event command; drops and counts it when the queue is full. At most one
    /// non-blocking wake-up, and only when the worker sleeps.
    pub fn send_event(&self, cmd: Command) -> Result<(), mc_status> {
        match self.events.try_send(cmd) {
            Ok(()) => {
                self.wake_if_sleeping();
                Ok(())
            }
            Err(TrySendError::Full(_)) => {
                self.stats.incr(Counter::QueueOverflow);
                Err(mc_status::MC_ERR_QUEUE_FULL)
            }
            Err(TrySendError::Disconnected(_)) => Err(mc_status::MC_ERR_SHUT_DOWN),
        }
    }

    /// Queues a control command (never dropped) and wakes the loop if it sleeps.
    pub fn send_control(&self, cmd: Command) -> Result<(), mc_status> {
        self.control.send(cmd).map_err(|_| mc_status::MC_ERR_SHUT_DOWN)?;
        self.wake_if_sleeping();
        Ok(())
    }

    /// A loop that announced its sleep before the command was queued is woken; one that had
    /// not yet announced it sees the command when it looks at the queues after announcing
    /// (`Loop::announce_wait`). Both sides use SeqCst, so one of the two always happens.
    fn wake_if_sleeping(&self) {
        // The load keeps the common case (loop awake) free of a write to a shared line.
        if self.sleep.load(Ordering::SeqCst) == AWAKE {
            return;
        }
        match self.sleep.swap(AWAKE, Ordering::SeqCst) {
            // A futex wake at most; an unpark that comes before the park makes it return at once.
            PARKED => {
                if let Some(t) = self.thread.get() {
                    t.unpark();
                }
            }
            POLLING => {
                if let Some(w) = self.waker.get() {
                    // A failed wake-up means the loop is gone; the command is dropped with it.
                    let _ = w.wakeup();
                }
            }
            _ => {}
        }
    }

    /// True when called from this client's worker thread, or from inside its drive call (i.e.
    /// from a callback). A thread-local compare: no allocation on a player's thread.
    pub fn on_worker_thread(&self) -> bool {
        WORKER_OF.with(|w| w.get() == self as *const Shared as usize)
    }

    /// Forwards a line found on a player thread to the log callback, through the loop.
    pub fn log(&self, level: LogLevel, message: impl FnOnce() -> String) {
        if self.log_level.is_some_and(|l| level <= l) {
            let _ = self.send_event(Command::Log { level, message: message() });
        }
    }

    /// Marks this thread as running this client's loop until the guard is dropped (the drive
    /// call of a host-driven client); the previous mark comes back then.
    pub(crate) fn enter_loop(&self) -> LoopGuard {
        let previous = WORKER_OF.with(|w| w.replace(self as *const Shared as usize));
        LoopGuard { previous }
    }

    /// The channels, the shared state and its wake-up, for a loop of either driver.
    fn new(config: &ClientConfig, stats: Arc<Stats>, has_store: bool) -> (Arc<Shared>, Inbox) {
        let (events_tx, events_rx) = crossbeam_channel::bounded(config.queue_capacity);
        let (control_tx, control_rx) = crossbeam_channel::unbounded();
        let callbacks = config.callbacks;
        let clock = match config.clock {
            Some(c) => WallClock::from_caller(c),
            None => WallClock::new(),
        };
        let shared = Arc::new(Shared {
            events: events_tx,
            control: control_tx,
            sleep: AtomicU8::new(AWAKE),
            waker: OnceLock::new(),
            thread: OnceLock::new(),
            stats,
            clock,
            state: AtomicU8::new(RUNNING),
            log_level: callbacks.log.map(|_| callbacks.log_level),
            has_store,
            privacy: AtomicU8::new(crate::ffi::types::MC_PRIVACY_OPTED_IN as u8),
        });
        (shared, Inbox { events: events_rx, control: control_rx })
    }
}

/// Restores the thread's previous loop mark (see `Shared::enter_loop`).
pub(crate) struct LoopGuard {
    previous: usize,
}

impl Drop for LoopGuard {
    fn drop(&mut self) {
        WORKER_OF.with(|w| w.set(self.previous));
    }
}

/// A running worker: the shared state and what `mc_client_free` waits on.
/// What the worker answers a thread waiting on it: the status of a flush or a shutdown, or why
/// it could not start. One type for every answer, so that the channel code is there once
/// (each channel type is a copy of crossbeam's code; docs/performance.md, Footprint).
pub type Reply = Result<mc_status, String>;

pub struct Worker {
    pub shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    /// Starts the worker thread; returns once its transport is up (or failed).
    pub fn start(config: ClientConfig, stats: Arc<Stats>, offline: Option<Offline>) -> Result<Worker, mc_status> {
        let (shared, inbox) = Shared::new(&config, stats, offline.is_some());
        let callbacks = config.callbacks;
        let (ready_tx, ready_rx) = crossbeam_channel::bounded::<Reply>(1);
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("media-collection".into())
            .spawn(move || run(s, config, offline, inbox, ready_tx))
            .map_err(|_| mc_status::MC_ERR_INIT)?;
        match ready_rx.recv() {
            Ok(Ok(_)) => Ok(Worker { shared, thread: Some(thread) }),
            Ok(Err(message)) => {
                callbacks.log(LogLevel::Error, &format!("cannot start the HTTP transport: {message}"));
                let _ = thread.join();
                Err(mc_status::MC_ERR_INIT)
            }
            Err(_) => Err(mc_status::MC_ERR_INIT),
        }
    }

    /// Asks the worker to send what it can until `deadline`, then stop. Returns MC_OK when it
    /// stopped in time; otherwise the thread is left to finish on its own (it aborts its
    /// transfers at the deadline) and MC_ERR_TIMEOUT is returned.
    pub fn shutdown(mut self, timeout: Duration) -> mc_status {
        let deadline = Instant::now() + timeout;
        let (done_tx, done_rx) = crossbeam_channel::bounded(1);
        if self.shared.send_control(Command::Shutdown { deadline, done: done_tx }).is_err() {
            return mc_status::MC_ERR_SHUT_DOWN;
        }
        // The worker aborts transfers at the deadline; allow it a moment to wind down.
        let grace = Duration::from_millis(200);
        match done_rx.recv_timeout(timeout + grace) {
            Ok(_) | Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                if let Some(t) = self.thread.take() {
                    let _ = t.join();
                }
                mc_status::MC_OK
            }
            // Detached: the thread owns everything it uses and exits by itself.
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => mc_status::MC_ERR_TIMEOUT,
        }
    }
}

fn block_sigpipe() {
    // libcurl with NOSIGNAL (and OpenSSL) can raise SIGPIPE on a dead peer: never let it kill
    // the player. Only this thread's mask changes.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// Puts this thread in the kernel's batch class: when a player's call wakes it, it runs on an
/// idle core or when the player's thread yields or uses up its slice, and never preempts the
/// thread that woke it. Without this the woken worker (which slept, so the scheduler favours
/// it) often takes the caller's core before the call returns, and the call pays for the
/// worker's whole turn. Telemetry can wait a scheduler tick; a decoder cannot. Best effort: a
/// sandbox that forbids the call leaves the default policy.
fn never_preempt_the_player() {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    unsafe {
        let param = libc::sched_param { sched_priority: 0 };
        libc::sched_setscheduler(0, libc::SCHED_BATCH, &param);
    }
}

fn outcome(c: Completion, body: Vec<u8>) -> Outcome {
    match c {
        Completion::Http { status, location, retry_after } => Outcome::Http { status, location, retry_after, body },
        Completion::Network { message, timed_out } => Outcome::Network { message, timed_out },
        Completion::Aborted => Outcome::Aborted,
    }
}

/// Counters whose growth means events were given up.
const DROP_COUNTERS: [Counter; 8] = [
    Counter::QueueOverflow,
    Counter::SessionGone,
    Counter::CacheOverflow,
    Counter::SessionNotCreated,
    Counter::Rejected400,
    Counter::RetryExhausted,
    Counter::ShutDown,
    Counter::DiskError,
];

fn drops(stats: &Stats) -> u64 {
    DROP_COUNTERS.iter().map(|c| stats.get(*c)).sum()
}

/// The library's loop: the core, the transport, the store and the callbacks. One turn
/// (`step`) handles commands, deadlines, transfers and callbacks without waiting; the driver
/// (worker thread or host) decides how to wait for the next one (`wait_for`).
pub(crate) struct Loop {
    shared: Arc<Shared>,
    core: Core,
    transport: Transport,
    callbacks: Callbacks,
    inbox: Inbox,
    /// Live trackers and how many of their commands were handled.
    trackers: HashMap<TrackerId, u64>,
    /// Removals that arrived before the commands queued ahead of them: (queued, at).
    removals: HashMap<TrackerId, (u64, Stamp)>,
    offline: Option<Offline>,
    next_upload_id: u64,
    flushes: Vec<Sender<Reply>>,
    drops_at_last_flush: u64,
    shutdown: Option<(Instant, Sender<Reply>)>,
    /// At DEBUG only: what each request in flight is and when it started, for its log line.
    requests_logged: HashMap<u64, (String, Instant)>,
    /// Lines logged once the loop runs (`take_startup_lines`).
    startup: Vec<(LogLevel, String)>,
}

fn run(shared: Arc<Shared>, config: ClientConfig, offline: Option<Offline>, inbox: Inbox, ready: Sender<Reply>) {
    block_sigpipe();
    never_preempt_the_player();
    WORKER_OF.with(|w| w.set(Arc::as_ptr(&shared) as usize));
    let mut lp = match Loop::new(shared.clone(), config, offline, inbox) {
        Ok(lp) => lp,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let _ = shared.waker.set(lp.transport.waker());
    let _ = shared.thread.set(std::thread::current());
    let _ = ready.send(Ok(mc_status::MC_OK));
    for (level, line) in lp.take_startup_lines() {
        lp.callbacks.log(level, &line);
    }
    loop {
        let turn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let go_on = lp.step();
            if go_on {
                lp.sleep();
            }
            go_on
        }));
        match turn {
            Ok(true) => continue,
            Ok(false) => break,
            Err(_) => {
                // The core's state may be broken: stop here. Calls now fail with MC_ERR_POISONED;
                // waiting flushes and the shutdown see their reply channels close.
                shared.stats.incr(Counter::Panics);
                shared.state.store(POISONED, Ordering::SeqCst);
                break;
            }
        }
    }
    if shared.state.load(Ordering::SeqCst) != POISONED {
        shared.state.store(STOPPED, Ordering::SeqCst);
    }
}

impl Loop {
    /// Sets up the transport and the core. Runs on the thread that will first drive the loop.
    pub(crate) fn new(
        shared: Arc<Shared>,
        config: ClientConfig,
        offline: Option<Offline>,
        inbox: Inbox,
    ) -> Result<Loop, String> {
        let http = config.http.clone();
        let insecure = http.insecure_skip_tls_verify;
        let transport_config = TransportConfig {
            base_url: http.base_url,
            connect_timeout: http.connect_timeout,
            request_timeout: http.request_timeout,
            user_agent: http.user_agent,
            ca_file: http.ca_file,
            ca_path: http.ca_path,
            proxy: http.proxy,
            insecure_skip_tls_verify: http.insecure_skip_tls_verify,
            max_response_bytes: 64 * 1024,
            max_header_bytes: 16 * 1024,
        };
        let transport = Transport::new(transport_config)?;
        let seed = shared.clock.stamp(&shared.stats).ts as u64 ^ (std::process::id() as u64) << 32;
        let core = Core::new(config.core, shared.stats.clone(), seed);
        let drops_at_last_flush = drops(&shared.stats);
        let mut startup = vec![(LogLevel::Info, config.startup_line)];
        if insecure {
            startup.push((
                LogLevel::Warn,
                "TLS verification is OFF (dangerous_disable_tls_verification): anyone on the network path \
                 can read and alter what this client sends"
                    .to_owned(),
            ));
        }
        startup.extend(config.startup_warnings.into_iter().map(|w| (LogLevel::Warn, w)));
        let lp = Loop {
            shared,
            core,
            transport,
            callbacks: config.callbacks,
            inbox,
            trackers: HashMap::new(),
            removals: HashMap::new(),
            offline,
            next_upload_id: UPLOAD_ID_BIT,
            flushes: Vec::new(),
            drops_at_last_flush,
            shutdown: None,
            requests_logged: HashMap::new(),
            startup,
        };
        Ok(lp)
    }

    /// The lines to log once the loop runs: the startup line and any warnings.
    pub(crate) fn take_startup_lines(&mut self) -> Vec<(LogLevel, String)> {
        std::mem::take(&mut self.startup)
    }

    fn now(&self) -> Stamp {
        self.shared.clock.stamp(&self.shared.stats)
    }

    /// One turn without waiting: commands, deadlines, transfers (started and driven at once, so
    /// a woken command's request is on the wire before the driver waits again), callbacks.
    /// False = stopped (the shutdown finished). The driver waits between turns (`sleep` on the
    /// worker, the host's loop otherwise).
    pub(crate) fn step(&mut self) -> bool {
        self.drain_commands();
        let now = self.now();
        self.core.handle_timeout(now);
        self.store_hits(now.ts);
        if let Some(o) = self.offline.as_mut() {
            o.tick(now.ts, &self.callbacks);
        }
        self.pump();
        self.deliver_notices();
        self.answer_flushes();
        if let Some((deadline, _)) = &self.shutdown {
            let deadline = *deadline;
            // An upload in flight is waited for too: cut off, its batch would stay stored and
            // be uploaded again by the next client although the server may have it.
            let uploading = self.offline.as_ref().is_some_and(Offline::upload_in_flight);
            if (self.core.is_drained() && !uploading) || Instant::now() >= deadline {
                self.finish_shutdown();
                return false;
            }
        }
        true
    }

    /// Handles queued commands, at most `COMMANDS_PER_TURN` (a player that never stops calling
    /// must not starve deadlines and transfers; the sleep that follows returns at once).
    ///
    /// Control commands are taken as soon as they come, not behind every event queued since,
    /// so they cannot pile up. A tracker removal waits for its tracker's own commands (see
    /// `Command::RemoveTracker`). The rare others (flush, shutdown, network, privacy) first
    /// dispatch the events queued before them: the player pushed those earlier, so they are in
    /// `events` when the control command is seen, and `events.len()` covers them.
    fn drain_commands(&mut self) {
        let (events, control) = (self.inbox.events.clone(), self.inbox.control.clone());
        let mut budget = COMMANDS_PER_TURN;
        while budget > 0 {
            budget -= 1;
            match control.try_recv() {
                Ok(cmd @ Command::RemoveTracker { .. }) => self.dispatch(cmd),
                Ok(cmd) => {
                    for _ in 0..events.len() {
                        match events.try_recv() {
                            Ok(e) => self.dispatch(e),
                            Err(_) => break,
                        }
                    }
                    self.dispatch(cmd);
                }
                Err(_) => match events.try_recv() {
                    Ok(e) => self.dispatch(e),
                    Err(_) => break,
                },
            }
        }
    }

    /// Applies a pending removal of `id` once every command queued before it was handled.
    fn remove_when_due(&mut self, id: TrackerId) {
        let Some(&(queued, at)) = self.removals.get(&id) else { return };
        if self.trackers.get(&id).copied().unwrap_or(0) >= queued {
            self.removals.remove(&id);
            self.trackers.remove(&id);
            self.core.remove_tracker(id, at);
        }
    }

    fn dispatch(&mut self, cmd: Command) {
        match cmd {
            Command::AddTracker { id, config, slot } => {
                self.trackers.insert(id, 1);
                self.core.add_tracker(id, config, slot);
                self.remove_when_due(id);
            }
            Command::Call { id, snap, call, dropped_metadata } => {
                if let Some(entries) = dropped_metadata {
                    self.core.metadata_dropped(id, call.name(), &entries);
                }
                self.core.handle_call(id, snap, call);
                if let Some(handled) = self.trackers.get_mut(&id) {
                    *handled += 1;
                    if !self.removals.is_empty() {
                        self.remove_when_due(id);
                    }
                }
            }
            Command::RemoveTracker { id, at, queued } => {
                self.removals.insert(id, (queued, at));
                self.remove_when_due(id);
            }
            Command::Flush { reply } => self.flushes.push(reply),
            Command::Shutdown { deadline, done } => {
                // Trackers still open end their sessions, as a destroyed player would.
                let now = self.now();
                self.removals.clear();
                for id in std::mem::take(&mut self.trackers).into_keys() {
                    self.core.remove_tracker(id, now);
                }
                // libcurl itself cuts off what is still in flight at the deadline (progress
                // callback), even in the middle of a slow transfer.
                self.transport.abort_at(deadline);
                self.shutdown = Some((deadline, done));
            }
            Command::Log { level, message } => self.callbacks.log(level, &message),
            #[cfg(debug_assertions)]
            Command::InjectPanic => panic!("worker panic injected by mc_debug_inject_panic"),
            Command::SetNetwork(available) => {
                let now = self.now();
                if let Some(o) = self.offline.as_mut() {
                    o.set_network(available, now.ts, &self.callbacks);
                }
            }
            Command::SetPrivacy(p) => {
                if p == Privacy::OptedOut {
                    let dropped = self.core.opt_out();
                    self.callbacks.log(LogLevel::Info, &format!("opted out: {dropped} pending event(s) dropped"));
                }
                if let Some(o) = self.offline.as_mut() {
                    o.set_privacy(p, &self.callbacks);
                }
            }
        }
    }

    /// Moves downloaded trackers' hits into the offline store.
    fn store_hits(&mut self, now_ms: i64) {
        let stored = self.core.drain_stored();
        if let Some(o) = self.offline.as_mut() {
            for (tracker, events) in stored {
                o.record(tracker, events, now_ms, &self.callbacks);
            }
        }
    }

    /// Starts every request the core has ready and feeds back every finished transfer, until
    /// neither produces more work. libcurl is driven once on entry (the sleep may have ended for
    /// socket activity or a timer) and again only after new transfers were started, which puts
    /// a woken command's request on the wire before the worker sleeps again.
    fn pump(&mut self) {
        let mut drive = true;
        loop {
            let mut progressed = false;
            // Beyond the connections the transport keeps, more parallel transfers only churn
            // connections: the rest wait their turn in the core, oldest session first.
            while self.transport.in_flight() < MAX_PARALLEL_TRANSFERS {
                let Some(req) = self.core.poll_request() else { break };
                progressed = true;
                if self.callbacks.wants(LogLevel::Debug) {
                    let what = format!("{}: POST {} {}", TrackerName(req.tracker), req.path, req.event_type.as_str());
                    self.requests_logged.insert(req.id, (what, Instant::now()));
                }
                if let Err(message) = self.transport.start(req.id, &req.path, req.body) {
                    let now = self.now();
                    let o = Outcome::Network { message, timed_out: false };
                    self.log_request_end(req.id, &o);
                    self.core.handle_response(req.id, now, o);
                }
            }
            // Shutting down, no upload starts: the batch stays stored for the next client. Uploads
            // pass the same endpoint gate as the core's requests.
            if let Some(o) = self.offline.as_mut().filter(|_| self.shutdown.is_none() && self.core.may_upload()) {
                let now = self.shared.clock.stamp(&self.shared.stats);
                let id = self.next_upload_id;
                if let Some((path, body)) = o.poll_upload(id, now.mono, now.ts, &self.callbacks) {
                    progressed = true;
                    self.next_upload_id += 1;
                    if self.callbacks.wants(LogLevel::Debug) {
                        self.requests_logged.insert(id, (format!("POST {path} (downloaded session)"), Instant::now()));
                    }
                    self.core.upload_started();
                    if let Err(message) = self.transport.start(id, &path, body) {
                        if let Some((what, _)) = self.requests_logged.remove(&id) {
                            self.callbacks.log(LogLevel::Debug, &format!("{what} -> not sent ({message})"));
                        }
                        let failed = Outcome::Network { message, timed_out: false };
                        self.core.upload_finished(now, &failed);
                        o.handle_response(failed, now.mono, now.ts, &self.callbacks);
                    }
                }
            }
            if !progressed && !drive {
                break;
            }
            drive = false;
            let finished = self.transport.perform();
            if finished.is_empty() && !progressed {
                break;
            }
            // A finished transfer can make its session's next request ready: the next pass
            // starts it (and only then drives libcurl again).
            for (id, c) in finished {
                let now = self.now();
                let body = self.transport.take_body(id);
                self.complete(id, now, outcome(c, body));
            }
        }
    }

    /// Routes a finished transfer to its owner: an upload, or the core.
    fn complete(&mut self, id: u64, now: Stamp, o: Outcome) {
        self.log_request_end(id, &o);
        if id & UPLOAD_ID_BIT != 0 {
            if let Some(off) = self.offline.as_mut() {
                if off.owns(id) {
                    self.core.upload_finished(now, &o);
                    off.handle_response(o, now.mono, now.ts, &self.callbacks);
                }
            }
        } else {
            self.core.handle_response(id, now, o);
        }
        self.store_hits(now.ts);
    }

    /// The DEBUG line of a finished request: `t1: POST /api/v1/sessions/…/events play -> 204 in 3 ms`.
    fn log_request_end(&mut self, id: u64, o: &Outcome) {
        // Empty unless DEBUG lines are wanted: no hashing per completion then.
        if self.requests_logged.is_empty() {
            return;
        }
        let Some((what, started)) = self.requests_logged.remove(&id) else { return };
        let ms = started.elapsed().as_millis();
        let line = match o {
            Outcome::Http { status, .. } => format!("{what} -> {status} in {ms} ms"),
            Outcome::Network { message, timed_out: true } => format!("{what} -> timed out after {ms} ms ({message})"),
            Outcome::Network { message, .. } => format!("{what} -> failed after {ms} ms ({message})"),
            Outcome::Aborted => format!("{what} -> aborted at shutdown after {ms} ms"),
        };
        self.callbacks.log(LogLevel::Debug, &line);
    }

    fn deliver_notices(&mut self) {
        while let Some(n) = self.core.poll_notice() {
            self.callbacks.notice(&n);
        }
    }

    fn answer_flushes(&mut self) {
        if self.flushes.is_empty() || !self.inbox.events.is_empty() || !self.core.is_drained() {
            return;
        }
        // The store's records become durable here; a disk error since the last flush (records
        // lost or not durable) is the more specific answer and wins over MC_ERR_DELIVERY.
        let disk_ok = self.offline.as_mut().is_none_or(|o| o.flush(&self.callbacks));
        let now_drops = drops(&self.shared.stats);
        let status = if !disk_ok {
            mc_status::MC_ERR_DISK
        } else if now_drops > self.drops_at_last_flush {
            mc_status::MC_ERR_DELIVERY
        } else {
            mc_status::MC_OK
        };
        self.drops_at_last_flush = now_drops;
        for f in self.flushes.drain(..) {
            let _ = f.send(Ok(status));
        }
    }

    fn finish_shutdown(&mut self) {
        for (id, c) in self.transport.abort_all() {
            let now = self.now();
            self.complete(id, now, outcome(c, Vec::new()));
        }
        self.core.shut_down();
        // What downloaded trackers recorded stays on disk for the next client: make it durable.
        if let Some(o) = self.offline.as_mut() {
            let _ = o.flush(&self.callbacks);
        }
        self.deliver_notices();
        for f in self.flushes.drain(..) {
            let _ = f.send(Ok(mc_status::MC_ERR_SHUT_DOWN));
        }
        if let Some((_, done)) = self.shutdown.take() {
            let _ = done.send(Ok(mc_status::MC_OK));
        }
    }

    /// How long the loop may wait before its next turn: until the core's or the store's next
    /// deadline (on the client's clock) or the shutdown bound (real time), whichever comes
    /// first; None: until woken. Zero while commands wait (a turn handles a bounded number).
    pub(crate) fn wait_for(&self) -> Option<Duration> {
        if !self.inbox.events.is_empty() || !self.inbox.control.is_empty() {
            return Some(Duration::ZERO);
        }
        let now = self.shared.clock.mono_now();
        let mut until = self.core.poll_timeout();
        if let Some(o) = self.offline.as_ref() {
            if let Some(d) = o.next_deadline(now, self.shared.clock.wall_ms()) {
                until = Some(until.map_or(d, |u| u.min(d)));
            }
        }
        let mut wait = until.map(|u| u.saturating_duration_since(now));
        if let Some((deadline, _)) = &self.shutdown {
            let left = deadline.saturating_duration_since(Instant::now());
            wait = Some(wait.map_or(left, |w| w.min(left)));
        }
        wait
    }

    /// The core's next deadline, on the client's clock (the caller's, when it supplied one).
    pub(crate) fn next_deadline_ms(&self) -> Option<i64> {
        let mut until = self.core.poll_timeout();
        if let Some(o) = self.offline.as_ref() {
            let now = self.shared.clock.mono_now();
            if let Some(d) = o.next_deadline(now, self.shared.clock.wall_ms()) {
                until = Some(until.map_or(d, |u| u.min(d)));
            }
        }
        until.map(|u| self.shared.clock.mono_ms_of(u))
    }

    /// Announces that the driver is about to wait, then looks once more: a command sent before
    /// the announcement is seen here (false: take another turn first); one sent after it finds
    /// `mode` set and wakes the driver that way.
    pub(crate) fn announce_wait(&self, mode: u8) -> bool {
        self.shared.sleep.store(mode, Ordering::SeqCst);
        if !self.inbox.events.is_empty() || !self.inbox.control.is_empty() {
            self.shared.sleep.store(AWAKE, Ordering::SeqCst);
            return false;
        }
        true
    }

    /// The host's loop is about to wait: a call wakes it through the transport's descriptor.
    pub(crate) fn announce_host_wait(&self) -> bool {
        self.announce_wait(POLLING)
    }

    /// The driver woke up: calls need not wake it until the next announcement.
    pub(crate) fn awake(&self) {
        self.shared.sleep.store(AWAKE, Ordering::SeqCst);
    }

    /// Transfers in flight.
    pub(crate) fn transfers(&self) -> usize {
        self.transport.in_flight()
    }

    pub(crate) fn transport_mut(&mut self) -> &mut Transport {
        &mut self.transport
    }

    /// The worker's wait until the next turn is due. With nothing in flight no socket needs
    /// watching (libcurl checks an idle kept-alive connection when it reuses it): park, which a
    /// player ends with a futex wake instead of a write to the wake-up descriptor that the
    /// worker must then drain. With transfers in flight, the transport's `poll`.
    fn sleep(&mut self) {
        let timeout = self.wait_for();
        let mode = if self.transport.in_flight() == 0 { PARKED } else { POLLING };
        if timeout == Some(Duration::ZERO) || !self.announce_wait(mode) {
            return;
        }
        if mode == PARKED {
            // May return early (an unpark meant for an earlier sleep): the next step then finds
            // nothing to do and the worker sleeps again.
            match timeout {
                Some(t) => std::thread::park_timeout(t),
                None => std::thread::park(),
            }
        } else {
            self.transport.wait(timeout);
        }
        self.awake();
    }
}
