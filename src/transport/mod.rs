//! HTTP transport: libcurl's multi interface, driven by the worker thread.
//!
//! The worker owns one [`Transport`]. It starts POSTs with [`Transport::start`], sleeps in
//! [`Transport::wait`] (which a player thread can end early through [`Transport::waker`]) and
//! drives transfers and collects the finished ones with [`Transport::perform`]. Nothing here
//! blocks except `wait`, and nothing here knows about MC sessions: retries, ordering and
//! backoff are the core's.
//!
//! libcurl is driven with `curl_multi_socket_action`: libcurl says which sockets to watch and
//! when its next timer is due (its socket and timer callbacks fill [`Watch`]); `wait` polls
//! those sockets and the wake-up descriptor, and `perform` hands libcurl only the sockets that
//! are ready and the timer when it is due. `curl_multi_perform` would look at every transfer in
//! flight on each call (a `poll` per transfer), which at hundreds of transfers in flight cost
//! more than the transfers themselves (docs/performance.md, section 3).
//!
//! A host-driven client's loop watches the same sockets and wake-up descriptor in the host's
//! event loop instead of `wait` (`sockets`).
//!
//! `curl::multi::Multi` is not `Send`, so a `Transport` must be created on the thread that
//! uses it.

pub(crate) mod base_url;
mod response;
mod sockets;
mod wake;

use std::collections::{BTreeMap, HashMap};
use std::ffi::CStr;
use std::os::raw::c_long;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use curl::easy::{Easy2, List};
use curl::multi::{Easy2Handle, Events, Multi, Socket};

use base_url::BadUrl;
use response::{Abort, Overflow, Sink};
pub use sockets::{WATCH_ERROR, WATCH_READ, WATCH_WRITE};
use wake::WakeFd;
pub use wake::Waker;

/// How the transport reaches the MC API. Every field has a production default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportConfig {
    /// `scheme://host[:port][/prefix]`, http or https, no trailing slash (one is tolerated).
    pub base_url: String,
    /// Time allowed to connect, TLS handshake included. Default 5 s, as Adobe's media SDK.
    pub connect_timeout: Duration,
    /// Time allowed for a whole transfer. Default 10 s, so a request never outlives the 10 s
    /// ping cadence.
    pub request_timeout: Duration,
    pub user_agent: String,
    /// A CA bundle file (CURLOPT_CAINFO) instead of libcurl's built-in default.
    pub ca_file: Option<String>,
    /// A directory of hashed CA certificates (CURLOPT_CAPATH).
    pub ca_path: Option<String>,
    /// None leaves libcurl's environment handling (`http_proxy`, `https_proxy`, `no_proxy`);
    /// `Some("")` turns every proxy off, environment included.
    pub proxy: Option<String>,
    /// Only for test endpoints with self-signed certificates.
    pub insecure_skip_tls_verify: bool,
    /// Response bodies beyond this abort the transfer (a network error).
    pub max_response_bytes: usize,
    /// Total response header bytes beyond this abort the transfer (a network error).
    pub max_header_bytes: usize,
}

impl Default for TransportConfig {
    fn default() -> TransportConfig {
        TransportConfig {
            base_url: String::new(),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            user_agent: concat!("media-collection/", env!("CARGO_PKG_VERSION")).to_owned(),
            ca_file: None,
            ca_path: None,
            proxy: None,
            insecure_skip_tls_verify: false,
            max_response_bytes: 64 * 1024,
            max_header_bytes: 16 * 1024,
        }
    }
}

/// How a transfer ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    /// The server answered; any status, 3xx included (redirects are never followed).
    Http {
        status: u16,
        /// The `Location` header, trimmed.
        location: Option<String>,
        /// The `Retry-After` header, trimmed and unparsed (seconds or an HTTP date).
        retry_after: Option<String>,
    },
    /// No usable answer: DNS, connect, TLS, a reset, a timeout, or a response over the caps.
    Network { message: String, timed_out: bool },
    /// Ended by [`Transport::abort_all`], or by the abort deadline ([`Transport::abort_at`],
    /// [`AbortHandle::abort`]) through libcurl's progress callback.
    Aborted,
}

/// Idle easy handles kept for reuse. Live connections sit in the multi handle's connection
/// cache either way; a pooled handle also keeps its TLS session cache and saves re-configuring.
/// As many as run at once: the pool only ever holds what peak concurrency made (one handle for
/// a player with one session), and a smaller cap made a busy client destroy and re-create a
/// handle for every transfer beyond it (docs/performance.md, section 3).
const MAX_IDLE_HANDLES: usize = MAX_PARALLEL_TRANSFERS;

/// Idle connections the multi handle keeps open. It must cover the transfers in flight at
/// once (one per session with a request out), or every request beyond the cache opens a new
/// TCP (and TLS) connection: a service tracking hundreds of streams needs hundreds. A player
/// with one session opens one; the cache only holds what peak concurrency opened.
const MAX_CACHED_CONNECTIONS: usize = 256;

/// Transfers the worker runs at once: as many as the connection cache keeps, so that every
/// transfer reuses a kept-alive connection.
pub const MAX_PARALLEL_TRANSFERS: usize = MAX_CACHED_CONNECTIONS;

/// How long `wait` may sleep while transfers run and libcurl states no deadline of its own.
/// curl's docs ask to call perform again within "a few seconds" in that case.
const MAX_WAIT_WHILE_BUSY: Duration = Duration::from_secs(1);

/// `wait(None)` with nothing in flight: poll takes an int of milliseconds.
const WAIT_FOREVER: Duration = Duration::from_millis(i32::MAX as u64);

// Options the curl crate has no setter for (curl/curl.h, libcurl 7.85+ and 7.65+).
const CURLOPT_PROTOCOLS_STR: curl_sys::CURLoption = curl_sys::CURLOPTTYPE_OBJECTPOINT + 318;
const CURLOPT_REDIR_PROTOCOLS_STR: curl_sys::CURLoption = curl_sys::CURLOPTTYPE_OBJECTPOINT + 319;
const CURLOPT_MAXLIFETIME_CONN: curl_sys::CURLoption = curl_sys::CURLOPTTYPE_LONG + 314;
const CURLOPT_SUPPRESS_CONNECT_HEADERS: curl_sys::CURLoption = curl_sys::CURLOPTTYPE_LONG + 265;

/// Slow-link guard (libcurl-security.md §Denial of Service): a transfer slower than this many
/// bytes per second for `LOW_SPEED_TIME` ends as a timeout. A real-time request (≈1 KiB) is
/// bounded by its total timeout long before; this catches a large batch crawling over a link
/// that still moves a few bytes (toxiproxy's `bandwidth`).
const LOW_SPEED_LIMIT: u32 = 1024;
const LOW_SPEED_TIME: Duration = Duration::from_secs(15);

/// Ends transfers from another thread: `Send + Sync`, cheap to clone.
#[derive(Clone)]
pub struct AbortHandle {
    abort: Arc<Abort>,
    waker: Waker,
}

impl AbortHandle {
    /// Every transfer in flight ends as [`Completion::Aborted`] the next time libcurl drives it
    /// (the waiting worker is woken for that), and no new one starts.
    pub fn abort(&self) {
        self.abort.now();
        let _ = self.waker.wakeup();
    }
}
struct Running {
    id: u64,
    handle: Easy2Handle<Sink>,
}

/// What libcurl asked for through its socket and timer callbacks. Those run inside libcurl
/// calls made by the worker, on its thread; the curl crate wants them `Send`, hence the mutex,
/// which is never contended (and never held across a libcurl call).
#[derive(Debug, Default)]
struct Watch {
    /// Sockets libcurl waits on, with the `poll` events it wants.
    sockets: HashMap<Socket, libc::c_short>,
    /// `sockets` changed since `wait` last built its descriptor list.
    changed: bool,
    /// When libcurl wants `socket_action(CURL_SOCKET_TIMEOUT)`; None: no timer.
    timer: Option<Instant>,
}

fn lock(w: &Mutex<Watch>) -> MutexGuard<'_, Watch> {
    // The callbacks cannot panic while holding it; a poisoned lock still holds valid data.
    w.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Rounds up, so a wait for libcurl's timer does not end just before it and spin.
fn poll_ms(d: Duration) -> libc::c_int {
    let ms = d.as_nanos().div_ceil(1_000_000);
    libc::c_int::try_from(ms).unwrap_or(libc::c_int::MAX)
}

/// A libcurl multi handle with a pool of configured easy handles.
pub struct Transport {
    multi: Multi,
    cfg: TransportConfig,
    /// Keyed by the token stored in CURLOPT_PRIVATE; tokens grow, so iteration follows start
    /// order.
    running: BTreeMap<usize, Running>,
    next_token: usize,
    idle: Vec<Easy2<Sink>>,
    abort: Arc<Abort>,
    low_speed: (u32, Duration),
    /// Bodies of answered transfers not taken yet (see `take_body`); only non-empty ones.
    bodies: HashMap<u64, Vec<u8>>,
    watch: Arc<Mutex<Watch>>,
    wake: Arc<WakeFd>,
    /// What `poll` watches: the wake-up descriptor first, then libcurl's sockets.
    pollfds: Vec<libc::pollfd>,
    /// The URL of the request being started, NUL-terminated; reused from request to request.
    url: Vec<u8>,
    /// The transfers libcurl reported done in one `perform`, by token; reused likewise.
    done: Vec<(usize, Result<(), curl::Error>)>,
    /// Sockets the last `wait` found ready, for the next `perform`.
    ready: Vec<(Socket, Events)>,
    /// The last `wait` timed out with transfers in flight: a timer is due (libcurl's, or the
    /// `MAX_WAIT_WHILE_BUSY` guard), so `perform` lets libcurl check its timeouts.
    timed_out: bool,
}

impl Drop for Transport {
    fn drop(&mut self) {
        // Transfers still running (a worker that panicked mid-transfer) are removed while the
        // multi handle and its socket callback still live: fields drop in declaration order, and
        // an `Easy2Handle` dropped after `multi` would run that callback on freed memory.
        for run in std::mem::take(&mut self.running).into_values() {
            let _ = self.multi.remove2(run.handle);
        }
        self.wake.close();
    }
}

impl Transport {
    /// Checks the configuration and sets up the multi handle. Easy handles are made on demand.
    pub fn new(mut cfg: TransportConfig) -> Result<Transport, String> {
        cfg.base_url = checked_base_url(&cfg.base_url)?;
        // A CR or LF in the user agent would let it inject headers.
        cfg.user_agent = cfg.user_agent.replace(['\r', '\n', '\0'], " ");
        for (name, value) in [("ca_file", &cfg.ca_file), ("ca_path", &cfg.ca_path), ("proxy", &cfg.proxy)] {
            if value.as_deref().is_some_and(|v| v.contains('\0')) {
                return Err(format!("transport: {name} contains a NUL byte"));
            }
        }
        let before = inheritable_descriptors();
        let mut multi = Multi::new();
        // libcurl (before 8.x) makes the socketpair that wakes curl_multi_poll without
        // close-on-exec: every child the player starts with exec would inherit it. Connection
        // sockets need nothing here: the curl crate opens them close-on-exec.
        close_on_exec_since(before);
        multi.set_max_connects(MAX_CACHED_CONNECTIONS).map_err(|e| format!("transport: CURLMOPT_MAXCONNECTS: {e}"))?;
        let watch = Arc::new(Mutex::new(Watch::default()));
        let w = watch.clone();
        multi
            .socket_function(move |socket, what, _| {
                let mut w = lock(&w);
                if what.remove() {
                    w.sockets.remove(&socket);
                } else {
                    let mut events = 0;
                    if what.input() {
                        events |= libc::POLLIN;
                    }
                    if what.output() {
                        events |= libc::POLLOUT;
                    }
                    w.sockets.insert(socket, events);
                }
                w.changed = true;
            })
            .map_err(|e| format!("transport: CURLMOPT_SOCKETFUNCTION: {e}"))?;
        let w = watch.clone();
        multi
            .timer_function(move |after| {
                lock(&w).timer = after.map(|d| Instant::now() + d);
                true
            })
            .map_err(|e| format!("transport: CURLMOPT_TIMERFUNCTION: {e}"))?;
        let wake = WakeFd::new().map_err(|e| format!("transport: wake-up descriptor: {e}"))?;
        let pollfds = vec![libc::pollfd { fd: wake.poll_fd(), events: libc::POLLIN, revents: 0 }];
        Ok(Transport {
            multi,
            cfg,
            running: BTreeMap::new(),
            next_token: 1,
            idle: Vec::new(),
            abort: Arc::new(Abort::new()),
            low_speed: (LOW_SPEED_LIMIT, LOW_SPEED_TIME),
            bodies: HashMap::new(),
            watch,
            wake,
            pollfds,
            url: Vec::new(),
            done: Vec::new(),
            ready: Vec::new(),
            timed_out: false,
        })
    }

    /// From `deadline` on, transfers in flight end as [`Completion::Aborted`] (libcurl's
    /// progress callback returns "stop") and `start` refuses new ones. The worker sets this to
    /// its shutdown deadline, so nothing outlives `mc_client_free`'s bound even while libcurl
    /// is busy with the transfer.
    pub fn abort_at(&mut self, deadline: Instant) {
        self.abort.at(deadline);
    }

    /// A handle that aborts every transfer from another thread (see [`AbortHandle::abort`]).
    pub fn abort_handle(&self) -> AbortHandle {
        AbortHandle { abort: self.abort.clone(), waker: self.waker() }
    }

    /// Overrides the slow-link guard (default 1024 bytes/s over 15 s) for
    /// transfers started from now on. libcurl counts `time` in whole seconds (at least 1).
    pub fn set_low_speed(&mut self, bytes_per_second: u32, time: Duration) {
        self.low_speed = (bytes_per_second, time.max(Duration::from_secs(1)));
    }

    /// Wakes a thread blocked in [`Transport::wait`]. `Send + Sync`; after the transport is
    /// dropped, `wakeup()` returns an error and does nothing else.
    pub fn waker(&self) -> Waker {
        Waker::new(self.wake.clone())
    }

    /// Starts `POST base_url + path` with a JSON body. `path` begins with `/` (one is added
    /// otherwise). The transfer makes progress in later `perform` calls; its completion carries
    /// `id`. An error here means nothing was started.
    pub fn start(&mut self, id: u64, path: &str, body: Vec<u8>) -> Result<(), String> {
        // Paths carry session ids taken from the server's Location: refuse anything that could
        // split the request line or header block before libcurl sees it.
        if let Some(bad) = path.bytes().find(|b| b.is_ascii_control() || *b == b' ') {
            return Err(format!("transport: path {path:?} contains byte {bad:#04x}"));
        }
        if self.abort.triggered() {
            return Err("transport: shutting down, no new transfer".to_owned());
        }
        let mut easy = match self.idle.pop() {
            Some(easy) => easy,
            None => self.configured_handle()?,
        };
        easy.get_mut().begin();
        if let Err(e) = self.set_request(&mut easy, path, body) {
            let url = String::from_utf8_lossy(&self.url[..self.url.len().saturating_sub(1)]).into_owned();
            self.recycle(easy);
            return Err(format!("transport: request to {url}: {e}"));
        }
        let token = self.next_token;
        let mut handle = self.multi.add2(easy).map_err(|e| format!("transport: adding a transfer: {e}"))?;
        if let Err(e) = handle.set_token(token) {
            // Without its token the transfer could never be matched to its completion.
            if let Ok(easy) = self.multi.remove2(handle) {
                self.recycle(easy);
            }
            return Err(format!("transport: CURLOPT_PRIVATE: {e}"));
        }
        self.next_token = self.next_token.wrapping_add(1);
        self.running.insert(token, Running { id, handle });
        Ok(())
    }

    /// The body of the response that completed transfer `id` (empty when there was none),
    /// taken once; kept aside so that [`Completion`] stays a small comparable value.
    pub fn take_body(&mut self, id: u64) -> Vec<u8> {
        // The MC API answers without bodies: most of the time there is nothing to look up.
        if self.bodies.is_empty() {
            return Vec::new();
        }
        self.bodies.remove(&id).unwrap_or_default()
    }

    /// Transfers started and not yet returned by `perform` or `abort_all`.
    pub fn in_flight(&self) -> usize {
        self.running.len()
    }

    /// Drives the transfers that need it (sockets the last `wait` found ready, libcurl's timer
    /// when due, transfers just started) without blocking, and returns the finished ones.
    pub fn perform(&mut self) -> Vec<(u64, Completion)> {
        if self.running.is_empty() {
            self.ready.clear();
            return Vec::new();
        }
        let performed = self.drive();
        let mut done = std::mem::take(&mut self.done);
        self.multi.messages(|msg| {
            if let (Ok(token), Some(result)) = (msg.token(), msg.result()) {
                done.push((token, result));
            }
        });
        let mut finished: Vec<(u64, Completion)> =
            done.drain(..).filter_map(|(token, result)| self.finish(token, result)).collect();
        self.done = done;
        if let Err(e) = performed {
            // A multi-level error (out of memory, a broken internal state) may leave transfers
            // that never finish: end them all so their sessions can retry.
            let message = format!("curl_multi_socket_action: {e}");
            for run in std::mem::take(&mut self.running).into_values() {
                if let Ok(easy) = self.multi.remove2(run.handle) {
                    self.recycle(easy);
                }
                let completion = Completion::Network { message: message.clone(), timed_out: false };
                finished.push((run.id, completion));
            }
        }
        finished
    }

    fn drive(&mut self) -> Result<(), curl::MultiError> {
        let mut result = Ok(());
        for (socket, events) in self.ready.drain(..) {
            if let Err(e) = self.multi.action(socket, &events) {
                result = Err(e);
            }
        }
        // A new transfer sets a timer of 0: it is started here. libcurl may set another 0
        // timer while handling one (a connection handed on); a few rounds cover that without
        // a trip through `wait`.
        let mut due = std::mem::take(&mut self.timed_out);
        for _ in 0..4 {
            let timer = lock(&self.watch).timer.filter(|t| *t <= Instant::now());
            if !due && timer.is_none() {
                break;
            }
            due = false;
            if let Err(e) = self.multi.timeout() {
                result = Err(e);
                break;
            }
            // libcurl reports its timer in whole milliseconds and calls the timer callback again
            // only when its next deadline changes: should a timer taken as due not have expired
            // yet by libcurl's clock, it is still the next one after the call and is not
            // reported again. Keep it, 1 ms on, rather than spin on it or lose it.
            let mut w = lock(&self.watch);
            if timer.is_some() && w.timer == timer {
                w.timer = Some(Instant::now() + Duration::from_millis(1));
            }
        }
        if self.abort.triggered() {
            // Past the abort deadline, every transfer is driven so that libcurl calls each
            // one's progress callback, which ends it, silent or not.
            if let Err(e) = self.multi.perform() {
                result = Err(e);
            }
        }
        result
    }

    /// libcurl's timer, while a transfer runs. With none running `perform` does not drive
    /// libcurl, so a timer left from the last transfer would stay due for ever and the worker's
    /// `wait`, or a host told to wait that long, would spin on it.
    fn curl_timer(&self) -> Option<Instant> {
        if self.running.is_empty() { None } else { lock(&self.watch).timer }
    }

    /// Blocks until a transfer needs attention, the [`Waker`] is woken, or `timeout` passes
    /// (`None`: no deadline of our own). A wakeup that came while not waiting ends the next
    /// wait at once, so none is lost.
    pub fn wait(&mut self, timeout: Option<Duration>) {
        let now = Instant::now();
        let mut bound = timeout.unwrap_or(WAIT_FOREVER);
        if !self.running.is_empty() {
            bound = bound.min(MAX_WAIT_WHILE_BUSY);
        }
        // libcurl's own deadline (timeouts, connect retries, ...) comes before ours.
        if let Some(t) = self.curl_timer() {
            bound = bound.min(t.saturating_duration_since(now));
        }
        {
            let mut w = lock(&self.watch);
            if w.changed {
                w.changed = false;
                self.pollfds.truncate(1);
                let sockets = w.sockets.iter();
                self.pollfds.extend(sockets.map(|(&fd, &events)| libc::pollfd { fd, events, revents: 0 }));
            }
        }
        for p in &mut self.pollfds {
            p.revents = 0;
        }
        // SAFETY: `pollfds` is a live array of `len` pollfd structs that poll may write into.
        let n = unsafe { libc::poll(self.pollfds.as_mut_ptr(), self.pollfds.len() as libc::nfds_t, poll_ms(bound)) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
                // Never let a failing poll turn the worker's loop into a spin.
                std::thread::sleep(bound.min(Duration::from_millis(10)));
            }
            return;
        }
        self.timed_out = n == 0 && !self.running.is_empty();
        if self.pollfds[0].revents != 0 {
            self.wake.drain();
        }
        for p in self.pollfds[1..].iter().filter(|p| p.revents != 0) {
            let mut events = Events::new();
            events
                .input(p.revents & (libc::POLLIN | libc::POLLHUP) != 0)
                .output(p.revents & libc::POLLOUT != 0)
                .error(p.revents & (libc::POLLERR | libc::POLLNVAL) != 0);
            self.ready.push((p.fd, events));
        }
    }

    /// Ends every transfer in flight (shutdown). Each comes back as [`Completion::Aborted`],
    /// in start order.
    pub fn abort_all(&mut self) -> Vec<(u64, Completion)> {
        let running = std::mem::take(&mut self.running);
        let mut aborted = Vec::with_capacity(running.len());
        for run in running.into_values() {
            // Removing a handle mid-transfer stops it; libcurl closes its connection.
            if let Ok(easy) = self.multi.remove2(run.handle) {
                self.recycle(easy);
            }
            aborted.push((run.id, Completion::Aborted));
        }
        aborted
    }

    fn finish(&mut self, token: usize, result: Result<(), curl::Error>) -> Option<(u64, Completion)> {
        let run = self.running.remove(&token)?;
        let completion = match self.multi.remove2(run.handle) {
            Ok(mut easy) => {
                let completion = completion_of(&mut easy, result);
                let body = easy.get_mut().take_body();
                if matches!(completion, Completion::Http { .. }) && !body.is_empty() {
                    self.bodies.insert(run.id, body);
                }
                self.recycle(easy);
                completion
            }
            Err(e) => Completion::Network { message: format!("curl_multi_remove_handle: {e}"), timed_out: false },
        };
        Some((run.id, completion))
    }

    /// Sets a handle's URL, body and slow-link guard for its next transfer. What the handle
    /// already has is not set again (a player with one session reuses one handle for one URL),
    /// and the body is not copied: libcurl reads it where the handle keeps it.
    fn set_request(&mut self, easy: &mut Easy2<Sink>, path: &str, body: Vec<u8>) -> Result<(), curl::Error> {
        let slash = if path.starts_with('/') { "" } else { "/" };
        self.url.clear();
        self.url.extend_from_slice(self.cfg.base_url.as_bytes());
        self.url.extend_from_slice(slash.as_bytes());
        self.url.extend_from_slice(path.as_bytes());
        self.url.push(0);
        let (limit, time) = self.low_speed;
        let low_speed = (limit, time.as_secs());
        if easy.get_ref().applied.url != self.url {
            // The path has no NUL (`start` refuses control bytes) and neither has the checked
            // base URL, so this is the one terminating NUL.
            let url =
                CStr::from_bytes_with_nul(&self.url).map_err(|_| curl::Error::new(curl_sys::CURLE_URL_MALFORMAT))?;
            easy.get_mut().applied.url.clear();
            check(setopt_str(easy, curl_sys::CURLOPT_URL, url))?;
            easy.get_mut().applied.url.extend_from_slice(&self.url);
        }
        easy.get_mut().applied.body = body;
        set_body(easy, &easy.get_ref().applied.body)?;
        if easy.get_ref().applied.low_speed != Some(low_speed) {
            easy.get_mut().applied.low_speed = None;
            check(setopt_long(easy, curl_sys::CURLOPT_LOW_SPEED_LIMIT, c_long::from(limit)))?;
            let seconds = c_long::try_from(low_speed.1).unwrap_or(c_long::MAX);
            check(setopt_long(easy, curl_sys::CURLOPT_LOW_SPEED_TIME, seconds))?;
            easy.get_mut().applied.low_speed = Some(low_speed);
        }
        Ok(())
    }

    fn recycle(&mut self, mut easy: Easy2<Sink>) {
        if self.idle.len() < MAX_IDLE_HANDLES {
            easy.get_mut().begin();
            let _ = easy.take_error_buf();
            // libcurl no longer points at the last body, which is then released (downloaded
            // batches can be large).
            let _ = set_body(&easy, &[]);
            easy.get_mut().applied.body = Vec::new();
            self.idle.push(easy);
        }
    }

    /// A new easy handle with every per-transport option set; a request then only sets its URL
    /// and body.
    fn configured_handle(&self) -> Result<Easy2<Sink>, String> {
        let cfg = &self.cfg;
        let mut easy = Easy2::new(Sink::new(cfg.max_response_bytes, cfg.max_header_bytes, self.abort.clone()));
        let fail = |what: &str, e: curl::Error| format!("transport: {what}: {e}");

        // No signals: the worker is one thread among the player's, and SIGALRM-based DNS
        // timeouts are not thread-safe (libcurl-thread.md).
        easy.signal(false).map_err(|e| fail("CURLOPT_NOSIGNAL", e))?;
        // The progress callback is how a shutdown deadline cuts a transfer off mid-flight.
        easy.progress(true).map_err(|e| fail("CURLOPT_NOPROGRESS", e))?;
        // The MC API answers where a session lives with Location; following it would POST the
        // event again elsewhere.
        easy.follow_location(false).map_err(|e| fail("CURLOPT_FOLLOWLOCATION", e))?;
        // Only http and https, whatever the URL or a redirect says (libcurl-security.md).
        set_protocols(&easy, CURLOPT_PROTOCOLS_STR, curl_sys::CURLOPT_PROTOCOLS)?;
        set_protocols(&easy, CURLOPT_REDIR_PROTOCOLS_STR, curl_sys::CURLOPT_REDIR_PROTOCOLS)?;
        // Certificate and host name checks stay on unless a test endpoint asks otherwise.
        let verify = !cfg.insecure_skip_tls_verify;
        easy.ssl_verify_peer(verify).map_err(|e| fail("CURLOPT_SSL_VERIFYPEER", e))?;
        easy.ssl_verify_host(verify).map_err(|e| fail("CURLOPT_SSL_VERIFYHOST", e))?;
        if let Some(file) = &cfg.ca_file {
            easy.cainfo(file).map_err(|e| fail("CURLOPT_CAINFO", e))?;
        }
        if let Some(dir) = &cfg.ca_path {
            easy.capath(dir).map_err(|e| fail("CURLOPT_CAPATH", e))?;
        }
        if let Some(proxy) = &cfg.proxy {
            easy.proxy(proxy).map_err(|e| fail("CURLOPT_PROXY", e))?;
        }
        // Answers from a proxy's CONNECT are not the MC API's: keep them out of the header caps.
        // Older libcurl lacks the option; the status-line reset in Sink covers it there.
        let _ = setopt_long(&easy, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1);
        // Kept-alive connections through NATs and set-top-box routers survive idle gaps
        // between pings.
        easy.tcp_keepalive(true).map_err(|e| fail("CURLOPT_TCP_KEEPALIVE", e))?;
        // Reconnect (and re-validate the certificate) at least hourly on a reused connection.
        // Unknown before libcurl 7.80: then connections live by MAXAGE_CONN alone.
        let _ = setopt_long(&easy, CURLOPT_MAXLIFETIME_CONN, 3600);
        // libcurl reads 0 as "no timeout", so a zero from the config becomes 1 ms.
        easy.connect_timeout(cfg.connect_timeout.max(Duration::from_millis(1)))
            .map_err(|e| fail("CURLOPT_CONNECTTIMEOUT_MS", e))?;
        easy.timeout(cfg.request_timeout.max(Duration::from_millis(1))).map_err(|e| fail("CURLOPT_TIMEOUT_MS", e))?;
        easy.useragent(&cfg.user_agent).map_err(|e| fail("CURLOPT_USERAGENT", e))?;
        let mut headers = List::new();
        headers.append("Content-Type: application/json").map_err(|e| fail("header list", e))?;
        // An empty Expect stops libcurl's `Expect: 100-continue` on bodies over 1 KiB, which
        // costs a 1 s stall against servers that do not answer it.
        headers.append("Expect:").map_err(|e| fail("header list", e))?;
        easy.http_headers(headers).map_err(|e| fail("CURLOPT_HTTPHEADER", e))?;
        easy.post(true).map_err(|e| fail("CURLOPT_POST", e))?;
        Ok(easy)
    }
}

/// The sockets and pipes of this process that a child started with exec would inherit (not
/// close-on-exec), or None where the system cannot list descriptors.
fn inheritable_descriptors() -> Option<Vec<i32>> {
    let listing = std::fs::read_dir("/proc/self/fd").or_else(|_| std::fs::read_dir("/dev/fd")).ok()?;
    let fds: Vec<i32> = listing.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect();
    Some(fds.into_iter().filter(|&fd| inheritable_socket_or_pipe(fd).is_some()).collect())
}

/// The descriptor's flags if it is a socket or a pipe without close-on-exec.
fn inheritable_socket_or_pipe(fd: i32) -> Option<i32> {
    // SAFETY: fstat and fcntl on a descriptor number only read its state; a number closed
    // meanwhile (the listing's own) makes them fail with EBADF.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        if libc::fstat(fd, &mut st) != 0 {
            return None;
        }
        let kind = st.st_mode & libc::S_IFMT;
        let flags = libc::fcntl(fd, libc::F_GETFD);
        ((kind == libc::S_IFSOCK || kind == libc::S_IFIFO) && flags >= 0 && flags & libc::FD_CLOEXEC == 0)
            .then_some(flags)
    }
}

/// Marks close-on-exec the inheritable sockets and pipes that appeared since `before` was
/// listed: those libcurl made for the multi handle. (One another thread opened in the same
/// instant would be marked too; that only keeps it from children started with exec.)
fn close_on_exec_since(before: Option<Vec<i32>>) {
    let (Some(before), Some(now)) = (before, inheritable_descriptors()) else { return };
    for fd in now.into_iter().filter(|fd| !before.contains(fd)) {
        if let Some(flags) = inheritable_socket_or_pipe(fd) {
            // SAFETY: sets a flag of a descriptor this process holds; nothing else changes.
            unsafe { libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC) };
        }
    }
}

/// What the worker learns from a finished transfer.
fn completion_of(easy: &mut Easy2<Sink>, result: Result<(), curl::Error>) -> Completion {
    match result {
        Ok(()) => match easy.response_code() {
            Ok(code @ 100..=599) => Completion::Http {
                status: code as u16,
                location: easy.get_mut().take_location(),
                retry_after: easy.get_mut().take_retry_after(),
            },
            Ok(code) => Completion::Network { message: format!("no valid HTTP status ({code})"), timed_out: false },
            Err(e) => Completion::Network { message: format!("CURLINFO_RESPONSE_CODE: {e}"), timed_out: false },
        },
        Err(e) if e.is_aborted_by_callback() && easy.get_ref().aborted() => Completion::Aborted,
        Err(e) => {
            let sink = easy.get_ref();
            let message = match sink.overflow() {
                Some(Overflow::Body) => format!("response body over {} bytes, transfer aborted", sink.max_body()),
                Some(Overflow::Headers) => {
                    format!("response headers over {} bytes, transfer aborted", sink.max_header())
                }
                None => match easy.take_error_buf() {
                    Some(detail) => format!("{} ({detail})", e.description()),
                    None => e.description().to_owned(),
                },
            };
            Completion::Network { message, timed_out: e.is_operation_timedout() }
        }
    }
}

/// `base_url` must be an absolute http(s) URL that a path can be appended to.
fn checked_base_url(raw: &str) -> Result<String, String> {
    base_url::parse(raw).map_err(|e| {
        let why = match e {
            BadUrl::NotAUrl(why) => why,
            BadUrl::Scheme(_) => "only http and https are allowed",
            BadUrl::NonAsciiHost => "the host must be ASCII (an international name in its xn-- form)",
            BadUrl::Credentials => "credentials do not belong in a base URL",
            BadUrl::QueryOrFragment => "a query or fragment cannot take a path",
        };
        format!("transport: base_url {raw:?}: {why}")
    })
}

/// Restricts protocols with the string option (7.85+), or the deprecated bitmask on an older
/// libcurl that does not know it.
fn set_protocols(
    easy: &Easy2<Sink>,
    str_option: curl_sys::CURLoption,
    mask_option: curl_sys::CURLoption,
) -> Result<(), String> {
    match setopt_str(easy, str_option, c"http,https") {
        curl_sys::CURLE_OK => Ok(()),
        curl_sys::CURLE_UNKNOWN_OPTION => {
            let mask = c_long::from(curl_sys::CURLPROTO_HTTP | curl_sys::CURLPROTO_HTTPS);
            match setopt_long(easy, mask_option, mask) {
                curl_sys::CURLE_OK => Ok(()),
                code => Err(format!("transport: protocol restriction: {}", curl::Error::new(code))),
            }
        }
        code => Err(format!("transport: protocol restriction: {}", curl::Error::new(code))),
    }
}

fn setopt_long(easy: &Easy2<Sink>, option: curl_sys::CURLoption, value: c_long) -> curl_sys::CURLcode {
    // SAFETY: `raw()` is the live handle owned by `easy`, used on this thread only, and
    // `option` is a CURLOPTTYPE_LONG option, which libcurl reads as a long.
    unsafe { curl_sys::curl_easy_setopt(easy.raw(), option, value) }
}

fn setopt_str(easy: &Easy2<Sink>, option: curl_sys::CURLoption, value: &CStr) -> curl_sys::CURLcode {
    // SAFETY: as in `setopt_long`; `option` is a string option, and libcurl copies string
    // arguments (since 7.17.0), so `value` need not outlive the call.
    unsafe { curl_sys::curl_easy_setopt(easy.raw(), option, value.as_ptr()) }
}

/// Points the handle's POST body at `body` without copying it (CURLOPT_POSTFIELDS), the size
/// first so that libcurl never reads past it. `body` must stay where it is, unchanged, until the
/// handle is pointed elsewhere: the handle's own `Applied::body` (or a static empty slice) is.
fn set_body(easy: &Easy2<Sink>, body: &[u8]) -> Result<(), curl::Error> {
    let size = curl_sys::curl_off_t::try_from(body.len()).unwrap_or(curl_sys::curl_off_t::MAX);
    // SAFETY: a live handle, on this thread; CURLOPT_POSTFIELDSIZE_LARGE reads a curl_off_t and
    // CURLOPT_POSTFIELDS a pointer that libcurl reads (never writes) during later transfers, as
    // long as the caller keeps `body` in place, as documented above. A slice's pointer is never
    // NULL (NULL would make libcurl read the body through the read callback instead).
    unsafe {
        check(curl_sys::curl_easy_setopt(easy.raw(), curl_sys::CURLOPT_POSTFIELDSIZE_LARGE, size))?;
        check(curl_sys::curl_easy_setopt(easy.raw(), curl_sys::CURLOPT_POSTFIELDS, body.as_ptr()))
    }
}

fn check(code: curl_sys::CURLcode) -> Result<(), curl::Error> {
    if code == curl_sys::CURLE_OK { Ok(()) } else { Err(curl::Error::new(code)) }
}
