//! mc-collector: a validating local stand-in for Adobe's Media Collection API back end, and at
//! the same time for the Edge Network's Media Edge API ([`edge`]).
//!
//! It answers the four MC endpoints as the real back end does (spec §14 A) and the Media Edge
//! paths as the Edge Network does, records every request, keeps sessions with their 404/410 and
//! timeout rules on a clock tests can move, injects faults on demand, and lints whole sessions
//! of either API with one set of rules (spec §14 B). Tests use it as a library:
//!
//! ```no_run
//! use std::time::Duration;
//! use mc_collector::{Collector, Endpoint, Fault, FaultKind, Options};
//!
//! let collector = Collector::start(Options::default()).expect("collector");
//! collector.add_fault(Fault {
//!     endpoint: Endpoint::Events,
//!     kind: FaultKind::Status { status: 503, headers: vec![("Retry-After".into(), "1".into())], body: None },
//!     times: Some(1),
//!     share: None,
//!     after_events: None,
//!     lasts: None,
//! });
//! // ... run a player with MC_ENDPOINT=collector.base_url() ...
//! assert!(collector.wait_until(Duration::from_secs(10), |c| c.sessions().len() == 1));
//! let session = &collector.sessions()[0];
//! let findings = collector.lint(&session.sid);
//! # let _ = findings;
//! ```
//!
//! The same things are reachable over HTTP under `/__debug/` (see the README), and the
//! `mc-collector` command wraps it all for player teams.

pub mod clock;
pub mod edge;
mod faults;
pub mod gate;
pub mod lint;
mod server;
mod shared;
pub mod show;
mod state;
pub mod validate;
mod wire;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::oneshot;

pub use edge::EdgeOptions;
pub use faults::{Endpoint, Fault, FaultKind};
pub use gate::{Gate, PlayerExit, Verdict};
pub use lint::{Finding, Severity};
pub use state::{
    Api, EDGE_SESSION_LIMIT_MS, IDLE_TIMEOUT_MS, Notice, PLAYHEAD_TIMEOUT_MS, RequestRecord, SessionRecord, Summary,
    lint_events, reason,
};
pub use validate::{Failure, Mode};
pub use wire::{MAX_BODY_BYTES, MAX_JSON_DEPTH};

use shared::Shared;

/// How to run a collector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    /// Address to listen on; port 0 picks a free port ([`Collector::addr`] tells which).
    pub listen: SocketAddr,
    /// Answer with the documented (strict) schemas instead of the lenient ones (spec §14 A.8).
    pub strict: bool,
    /// Answer 204 instead of 410 to events for closed sessions (they are kept as dropped either way).
    pub silent_drop: bool,
    /// How the Media Edge side answers (location hint, 404 or 410, datastream ids).
    pub edge: EdgeOptions,
}

impl Default for Options {
    /// `127.0.0.1:0`, lenient, 410 for closed sessions, [`EdgeOptions::default`].
    fn default() -> Self {
        Options {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            strict: false,
            silent_drop: false,
            edge: EdgeOptions::default(),
        }
    }
}

/// A running collector: an HTTP server on its own thread (with its own tokio runtime) and
/// the record of everything it received. Dropping it shuts the server down.
pub struct Collector {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Collector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collector").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl Collector {
    /// Binds `opts.listen` and starts serving. Fails when the Edge options are invalid
    /// ([`EdgeOptions::check`]), the address cannot be bound or no thread or runtime can be created.
    pub fn start(opts: Options) -> std::io::Result<Collector> {
        opts.edge.check().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let std_listener = TcpListener::bind(opts.listen)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("mc-collector-worker")
            .enable_io()
            .enable_time()
            .build()?;
        let listener = {
            let _entered = rt.enter();
            tokio::net::TcpListener::from_std(std_listener)?
        };
        let shared = Arc::new(Shared::new(&opts));
        let (stop, stopped) = oneshot::channel();
        let server_shared = shared.clone();
        let thread = std::thread::Builder::new().name("mc-collector".to_string()).spawn(move || {
            rt.block_on(server::serve(listener, server_shared, stopped));
            // Drops every connection, including requests left hanging by a fault.
            rt.shutdown_timeout(Duration::from_secs(1));
        })?;
        Ok(Collector { shared, addr, stop: Some(stop), thread: Some(thread) })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://IP:PORT`, the value for a player's `MC_ENDPOINT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every session, in the order they were created (timeouts applied first).
    pub fn sessions(&self) -> Vec<SessionRecord> {
        self.shared.sessions()
    }

    /// One session by sid.
    pub fn session(&self, sid: &str) -> Option<SessionRecord> {
        self.shared.session(sid)
    }

    /// Every recorded request, in arrival order. Requests to `/__debug/...` are not recorded.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.requests()
    }

    /// Lint findings over a session's accepted events (empty for an unknown sid).
    pub fn lint(&self, sid: &str) -> Vec<Finding> {
        self.shared.lint(sid)
    }

    /// Adds a fault (see [`Fault`] for `times` and `share`). Faults are tried in the order
    /// they were added; the first that fires applies.
    ///
    /// # Panics
    /// If the fault is invalid (status outside 200..=599, a bad header, `times: Some(0)`,
    /// `share` outside (0, 1]): a mistake in the calling test. [`Collector::try_add_fault`]
    /// returns the reason instead.
    pub fn add_fault(&self, f: Fault) {
        if let Err(e) = self.try_add_fault(f) {
            panic!("invalid fault: {e}");
        }
    }

    /// Adds a fault, or says why it is invalid.
    pub fn try_add_fault(&self, f: Fault) -> Result<(), String> {
        self.shared.add_fault(f)
    }

    /// The faults still active, in order.
    pub fn faults(&self) -> Vec<Fault> {
        self.shared.faults()
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.shared.clear_faults()
    }

    /// Moves the collector clock forward (for the 10 min and 30 min timeouts) and applies
    /// the timeouts at once.
    pub fn advance_clock(&self, d: Duration) {
        self.shared.advance_clock(d)
    }

    /// The collector clock: ms since the epoch, plus the offset added by [`Collector::advance_clock`].
    pub fn now_ms(&self) -> i64 {
        self.shared.clock.now_ms()
    }

    /// Closes the sessions whose timeouts have passed. Done lazily on every request and
    /// every look at the record anyway; the command calls it every second so the timeline
    /// shows timeouts as they happen.
    pub fn check_timeouts(&self) {
        self.shared.check_timeouts()
    }

    /// Forgets all sessions, requests and faults and puts the clock back to real time.
    pub fn reset(&self) {
        self.shared.reset()
    }

    /// Polls `pred` about every 5 ms until it holds (true) or `timeout` passes (false).
    pub fn wait_until(&self, timeout: Duration, pred: impl Fn(&Collector) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if pred(self) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Counts over everything recorded; [`Summary::ok`] decides the command's exit status.
    pub fn summary(&self) -> Summary {
        self.shared.summary()
    }

    /// The whole record as JSON: `collector` (version, mode, clock), `summary`, `sessions`
    /// (each with its events, dropped events and findings) and `requests`.
    pub fn report_json(&self) -> Value {
        self.shared.report_json()
    }

    /// A channel that hears every request as it is answered and every session as it
    /// settles (see [`Notice`]); the `mc-collector` command prints its timeline from it.
    /// The channel closes when the collector shuts down.
    pub fn subscribe(&self) -> Receiver<Notice> {
        self.shared.subscribe()
    }

    /// Stops the server and waits for its thread (also done on drop). Requests in flight,
    /// including hung ones, are cut off.
    pub fn shutdown(self) {
        drop(self)
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collector_and_records_cross_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Collector>();
        send_sync::<SessionRecord>();
        send_sync::<RequestRecord>();
        send_sync::<Fault>();
    }
}
