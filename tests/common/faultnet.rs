//! A raw TCP fault server for the reliability tests, in place of toxiproxy (not available
//! here). It sits between the library and an upstream (usually the collector), reads one
//! HTTP/1.1 request at a time and applies the next scripted [`Act`]: relay it, reset the
//! connection, swallow it (black hole), cut the answer after N bytes, trickle the answer, or
//! answer with canned bytes. Requests in absolute form (`POST http://host/path`, as sent to a
//! proxy) are relayed in origin form, so the same server doubles as a forward HTTP proxy.
//!
//! Every request is recorded with its arrival time and the act applied; the tests assert on
//! those records and on what the collector received behind it.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// What the server does with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Act {
    /// Relay to the upstream and pass its answer back unchanged.
    Forward,
    /// Read the request, then reset the connection (SO_LINGER 0 + close: an RST, no answer).
    Reset,
    /// Read the request and never answer; the connection stays open until the server drops.
    BlackHole,
    /// Relay, but pass back only the first `n` bytes of the answer, then close (toxiproxy's
    /// `limit_data`).
    LimitData(usize),
    /// Relay, and pass the answer back in slices of `bytes` with `gap` between them
    /// (toxiproxy's `slicer`): the answer is whole, only slow.
    Slice { bytes: usize, gap: Duration },
    /// Answer with these bytes without relaying (a redirect, a huge header block, ...).
    Respond(Vec<u8>),
    /// Answer a status line and headers, then a body of `len` bytes at one byte per `gap`
    /// (a slow link / slow read by the client).
    Trickle { len: usize, gap: Duration },
}

impl Act {
    pub fn name(&self) -> &'static str {
        match self {
            Act::Forward => "forward",
            Act::Reset => "reset",
            Act::BlackHole => "black_hole",
            Act::LimitData(_) => "limit_data",
            Act::Slice { .. } => "slice",
            Act::Respond(_) => "respond",
            Act::Trickle { .. } => "trickle",
        }
    }
}

/// One request as the fault server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Arrival (the end of its body), on this process's monotonic clock.
    pub at: Instant,
    /// The request line as received, e.g. `POST /api/v1/sessions HTTP/1.1`.
    pub line: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Which accepted connection it came on, from 0.
    pub conn: usize,
    /// The act applied.
    pub act: &'static str,
}

impl Seen {
    /// The path in origin form (absolute-form requests lose their scheme and authority).
    pub fn path(&self) -> String {
        let target = self.line.split(' ').nth(1).unwrap_or("");
        origin_form(target).0
    }

    /// The request was sent to us as to a proxy (absolute form).
    pub fn absolute(&self) -> bool {
        self.line.split(' ').nth(1).is_some_and(|t| t.starts_with("http://") || t.starts_with("https://"))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

struct State {
    script: Mutex<VecDeque<Act>>,
    default: Mutex<Act>,
    seen: Mutex<Vec<Seen>>,
    accepts: AtomicUsize,
    stop: AtomicBool,
    upstream: Option<SocketAddr>,
}

/// A running fault server; dropping it closes every connection, black holes included.
pub struct FaultServer {
    addr: SocketAddr,
    state: Arc<State>,
}

impl FaultServer {
    /// Starts on 127.0.0.1:0 in front of `upstream` (None: only `Respond`, `Reset`,
    /// `BlackHole` and `Trickle` make sense). Requests beyond the script get `default`.
    pub fn start(upstream: Option<SocketAddr>, default: Act) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fault server");
        let addr = listener.local_addr().expect("fault server address");
        let state = Arc::new(State {
            script: Mutex::new(VecDeque::new()),
            default: Mutex::new(default),
            seen: Mutex::new(Vec::new()),
            accepts: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            upstream,
        });
        let s = state.clone();
        thread::Builder::new()
            .name("fault-accept".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if s.stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let conn = s.accepts.fetch_add(1, Ordering::SeqCst);
                    let s2 = s.clone();
                    let _ = thread::Builder::new().name("fault-conn".into()).spawn(move || serve(stream, conn, &s2));
                }
            })
            .expect("fault server thread");
        FaultServer { addr, state }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Acts for the next requests, in order, before the default applies again.
    pub fn script(&self, acts: impl IntoIterator<Item = Act>) {
        self.state.script.lock().unwrap().extend(acts);
    }

    /// The act for every request once the script is used up.
    pub fn set_default(&self, act: Act) {
        *self.state.default.lock().unwrap() = act;
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    pub fn accepts(&self) -> usize {
        self.state.accepts.load(Ordering::SeqCst)
    }

    /// Polls every 5 ms until `pred` holds (true) or `timeout` passes (false).
    pub fn wait_until(&self, timeout: Duration, pred: impl Fn(&[Seen]) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if pred(&self.seen()) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        // Unblocks the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn next_act(state: &State) -> Act {
    match state.script.lock().unwrap().pop_front() {
        Some(a) => a,
        None => state.default.lock().unwrap().clone(),
    }
}

fn serve(mut client: TcpStream, conn: usize, state: &State) {
    let _ = client.set_read_timeout(Some(Duration::from_millis(50)));
    let _ = client.set_nodelay(true);
    let mut buf = Vec::new();
    let mut upstream: Option<(TcpStream, Vec<u8>)> = None;
    loop {
        let Some(req) = read_message(&mut client, &mut buf, &state.stop, true) else {
            return;
        };
        let act = next_act(state);
        let line = String::from_utf8_lossy(req.head.split(|&b| b == b'\r').next().unwrap_or(&[])).into_owned();
        state.seen.lock().unwrap().push(Seen {
            at: Instant::now(),
            line: line.clone(),
            headers: req.headers.clone(),
            body: req.body.clone(),
            conn,
            act: act.name(),
        });
        match act {
            Act::Reset => {
                reset(client);
                return;
            }
            Act::BlackHole => {
                while !state.stop.load(Ordering::SeqCst) {
                    thread::sleep(Duration::from_millis(10));
                }
                return;
            }
            Act::Respond(bytes) => {
                if client.write_all(&bytes).is_err() {
                    return;
                }
            }
            Act::Trickle { len, gap } => {
                // A 204 has no body, so the header block itself trickles: the client cannot
                // finish before the last byte.
                let bytes = format!("HTTP/1.1 204 No Content\r\nX-Pad: {}\r\n\r\n", "p".repeat(len)).into_bytes();
                for b in bytes {
                    if state.stop.load(Ordering::SeqCst) || client.write_all(&[b]).is_err() {
                        return;
                    }
                    thread::sleep(gap);
                }
            }
            Act::Forward | Act::LimitData(_) | Act::Slice { .. } => {
                let Some(answer) = relay(state, &mut upstream, &req, &line) else {
                    // The upstream went away: the client sees a closed connection.
                    return;
                };
                let ok = match act {
                    Act::LimitData(n) => {
                        let _ = client.write_all(&answer[..n.min(answer.len())]);
                        let _ = client.shutdown(Shutdown::Both);
                        return;
                    }
                    Act::Slice { bytes, gap } => answer.chunks(bytes.max(1)).all(|c| {
                        let ok = client.write_all(c).is_ok();
                        thread::sleep(gap);
                        ok
                    }),
                    _ => client.write_all(&answer).is_ok(),
                };
                if !ok {
                    return;
                }
            }
        }
    }
}

/// Sends the request upstream (origin form) and reads its answer whole.
fn relay(state: &State, upstream: &mut Option<(TcpStream, Vec<u8>)>, req: &Message, line: &str) -> Option<Vec<u8>> {
    let addr = state.upstream?;
    let mut parts = line.splitn(3, ' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    let (path, _) = origin_form(target);
    let mut head = format!("{method} {path} {version}\r\n").into_bytes();
    let first_line_end = req.head.windows(2).position(|w| w == b"\r\n")? + 2;
    for l in String::from_utf8_lossy(&req.head[first_line_end..]).split("\r\n") {
        // Proxy-only headers are not the origin's business.
        if l.to_ascii_lowercase().starts_with("proxy-") {
            continue;
        }
        head.extend_from_slice(l.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.truncate(head.len() - 2);
    for attempt in 0..2 {
        if upstream.is_none() {
            let s = TcpStream::connect(addr).ok()?;
            let _ = s.set_read_timeout(Some(Duration::from_millis(50)));
            let _ = s.set_nodelay(true);
            *upstream = Some((s, Vec::new()));
        }
        let (up, buf) = upstream.as_mut()?;
        let sent = up.write_all(&head).and_then(|()| up.write_all(&req.body));
        let answer = sent.ok().and_then(|()| read_message(up, buf, &state.stop, false));
        match answer {
            Some(m) => return Some([m.head, m.body].concat()),
            // A kept-alive upstream connection may have closed meanwhile: one fresh try.
            None if attempt == 0 && !state.stop.load(Ordering::SeqCst) => *upstream = None,
            None => return None,
        }
    }
    None
}

/// `http://host:port/path?q` → (`/path?q`, Some(host:port)); origin form passes through.
fn origin_form(target: &str) -> (String, Option<String>) {
    for scheme in ["http://", "https://"] {
        if let Some(rest) = target.strip_prefix(scheme) {
            return match rest.find('/') {
                Some(i) => (rest[i..].to_owned(), Some(rest[..i].to_owned())),
                None => ("/".to_owned(), Some(rest.to_owned())),
            };
        }
    }
    (target.to_owned(), None)
}

/// An RST instead of a FIN: SO_LINGER {on, 0} then close.
fn reset(stream: TcpStream) {
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: a valid socket fd owned by `stream`, and a properly sized linger struct.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
    drop(stream);
}

struct Message {
    /// Everything up to and including the blank line.
    head: Vec<u8>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// One HTTP/1.1 message with a Content-Length body (none for requests without one, and for
/// 1xx/204/304 answers). None at EOF, on error or on stop.
fn read_message(stream: &mut TcpStream, buf: &mut Vec<u8>, stop: &AtomicBool, request: bool) -> Option<Message> {
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        fill(stream, buf, &mut chunk, stop)?;
    };
    let head = buf[..head_end].to_vec();
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let first = lines.next().unwrap_or("").to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let bodyless = !request && {
        let code = first.split(' ').nth(1).unwrap_or("");
        code.starts_with('1') || code == "204" || code == "304"
    };
    let len: usize = if bodyless {
        0
    } else {
        headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0)
    };
    while buf.len() < head_end + len {
        fill(stream, buf, &mut chunk, stop)?;
    }
    let body = buf[head_end..head_end + len].to_vec();
    buf.drain(..head_end + len);
    Some(Message { head, headers, body })
}

fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>, chunk: &mut [u8], stop: &AtomicBool) -> Option<()> {
    // Long enough for any relayed answer (the collector may be told to delay); short enough
    // that an abandoned connection thread ends by itself.
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        if stop.load(Ordering::SeqCst) || Instant::now() > until {
            return None;
        }
        match stream.read(chunk) {
            Ok(0) => return None,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                return Some(());
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted) => {
                continue;
            }
            Err(_) => return None,
        }
    }
}

/// A listener that accepts connections and never reads or answers (a stalled server whose
/// kernel still completes handshakes), counting accepts.
pub struct Stalled {
    addr: SocketAddr,
    accepts: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Stalled {
    pub fn start() -> Stalled {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let accepts = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, s) = (accepts.clone(), stop.clone());
        thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    return;
                }
                if let Ok(stream) = stream {
                    a.fetch_add(1, Ordering::SeqCst);
                    held.push(stream);
                }
            }
        });
        Stalled { addr, accepts, stop }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn accepts(&self) -> usize {
        self.accepts.load(Ordering::SeqCst)
    }
}

impl Drop for Stalled {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}
