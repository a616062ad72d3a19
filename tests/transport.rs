//! The libcurl transport against tiny canned-HTTP servers written here on std's TcpListener:
//! what arrives on the wire, how answers are read, connection reuse, concurrency, timeouts,
//! caps, and the wait/wakeup contract the worker's loop relies on.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use media_collection::transport::{Completion, Transport, TransportConfig};

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Request {
    line: String,
    /// Names lowercased.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Which accepted connection it came on, from 0.
    conn: usize,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

enum Reply {
    Bytes(Vec<u8>),
    /// Read the request, never answer, keep the connection open until the server is dropped.
    Hang,
}

type Responder = dyn Fn(&Request) -> Reply + Send + Sync;

/// A canned-HTTP server: a thread per connection, each answering requests in turn.
struct Server {
    addr: SocketAddr,
    accepts: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    fn start(respond: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let accepts = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let respond: Arc<Responder> = Arc::new(respond);
        let (a, r, s) = (accepts.clone(), requests.clone(), stop.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                if s.load(Ordering::SeqCst) {
                    return;
                }
                let conn = a.fetch_add(1, Ordering::SeqCst);
                let (r, s, respond) = (r.clone(), s.clone(), respond.clone());
                thread::spawn(move || serve(stream, conn, &r, &s, &*respond));
            }
        });
        Server { addr, accepts, requests, stop }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    fn accepts(&self) -> usize {
        self.accepts.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Unblock the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(mut stream: TcpStream, conn: usize, requests: &Mutex<Vec<Request>>, stop: &AtomicBool, respond: &Responder) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
    let mut buf = Vec::new();
    loop {
        let Some(req) = read_request(&mut stream, &mut buf, conn, stop) else {
            return;
        };
        requests.lock().unwrap().push(req.clone());
        match respond(&req) {
            Reply::Bytes(bytes) => {
                if stream.write_all(&bytes).is_err() {
                    return;
                }
            }
            Reply::Hang => {
                let until = Instant::now() + Duration::from_secs(10);
                while !stop.load(Ordering::SeqCst) && Instant::now() < until {
                    thread::sleep(Duration::from_millis(10));
                }
                return;
            }
        }
    }
}

/// Reads one request (headers, then a Content-Length body); None at EOF, error or stop.
fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>, conn: usize, stop: &AtomicBool) -> Option<Request> {
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        fill(stream, buf, &mut chunk, stop)?;
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let line = lines.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    while buf.len() < head_end + len {
        fill(stream, buf, &mut chunk, stop)?;
    }
    let body = buf[head_end..head_end + len].to_vec();
    buf.drain(..head_end + len);
    Some(Request { line, headers, body, conn })
}

fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>, chunk: &mut [u8], stop: &AtomicBool) -> Option<()> {
    let until = Instant::now() + Duration::from_secs(10);
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
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(_) => return None,
        }
    }
}

fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn canned(status: &'static str, headers: &'static [(&'static str, &'static str)]) -> Server {
    Server::start(move |_| Reply::Bytes(response(status, headers, b"")))
}

fn config(base_url: &str) -> TransportConfig {
    TransportConfig {
        base_url: base_url.to_owned(),
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(3),
        ..TransportConfig::default()
    }
}

fn transport(base_url: &str) -> Transport {
    Transport::new(config(base_url)).expect("transport")
}

/// Runs the worker's loop until `n` transfers finished, failing after `limit`.
fn drive(t: &mut Transport, n: usize, limit: Duration) -> Vec<(u64, Completion)> {
    let deadline = Instant::now() + limit;
    let mut out = Vec::new();
    loop {
        out.extend(t.perform());
        if out.len() >= n {
            return out;
        }
        assert!(Instant::now() < deadline, "only {} of {n} transfers finished: {out:?}", out.len());
        t.wait(Some(Duration::from_millis(200)));
    }
}

fn one(t: &mut Transport) -> Completion {
    let mut done = drive(t, 1, Duration::from_secs(5));
    assert_eq!(done.len(), 1);
    done.pop().unwrap().1
}

fn http(status: u16) -> Completion {
    Completion::Http { status, location: None, retry_after: None }
}

#[test]
fn post_carries_the_json_body_content_type_and_user_agent() {
    let server =
        Server::start(|_| Reply::Bytes(response("201 Created", &[("Location", "  /api/v1/sessions/abc123 ")], b"")));
    let mut cfg = config(&format!("{}/prefix/", server.url()));
    cfg.user_agent = "player/1.0\r\nX-Injected: yes".to_owned();
    let mut t = Transport::new(cfg).unwrap();
    // Over 1 KiB, where libcurl would otherwise send `Expect: 100-continue`.
    let body = format!("{{\"eventType\":\"sessionStart\",\"pad\":\"{}\"}}", "x".repeat(2000)).into_bytes();
    t.start(7, "/api/v1/sessions", body.clone()).unwrap();
    assert_eq!(t.in_flight(), 1);
    let done = drive(&mut t, 1, Duration::from_secs(5));
    assert_eq!(
        done,
        [(7, Completion::Http { status: 201, location: Some("/api/v1/sessions/abc123".into()), retry_after: None })]
    );
    assert_eq!(t.in_flight(), 0);

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.line, "POST /prefix/api/v1/sessions HTTP/1.1");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("user-agent"), Some("player/1.0  X-Injected: yes"));
    assert_eq!(r.header("x-injected"), None, "CR/LF in the user agent cannot add headers");
    assert_eq!(r.header("expect"), None);
    assert_eq!(r.body, body);
}

#[test]
fn a_path_without_leading_slash_gets_one() {
    let server = canned("204 No Content", &[]);
    let mut t = transport(&server.url());
    t.start(1, "api/v1/sessions/s/events", b"{}".to_vec()).unwrap();
    assert_eq!(one(&mut t), http(204));
    assert_eq!(server.requests()[0].line, "POST /api/v1/sessions/s/events HTTP/1.1");
}

#[test]
fn paths_with_control_characters_or_spaces_are_refused() {
    let server = canned("204 No Content", &[]);
    let mut t = transport(&server.url());
    for path in ["/a\r\nX-Evil: 1", "/a b", "/a\0"] {
        assert!(t.start(1, path, b"{}".to_vec()).is_err(), "{path:?} accepted");
    }
    assert_eq!(t.in_flight(), 0);
    t.start(2, "/api/v1/sessions/ok%20id/events", b"{}".to_vec()).unwrap();
    assert_eq!(one(&mut t), http(204));
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn no_content_204() {
    let server = canned("204 No Content", &[]);
    let mut t = transport(&server.url());
    t.start(1, "/api/v1/sessions/s/events", b"{}".to_vec()).unwrap();
    assert_eq!(one(&mut t), http(204));
}

#[test]
fn retry_after_is_captured_in_seconds_or_as_a_date() {
    let server = Server::start(|req| {
        if req.line.contains("/a ") {
            Reply::Bytes(response("429 Too Many Requests", &[("retry-after", " 30 ")], b"slow down"))
        } else {
            Reply::Bytes(response("503 Service Unavailable", &[("RETRY-AFTER", "Wed, 21 Oct 2015 07:28:00 GMT")], b""))
        }
    });
    let mut t = transport(&server.url());
    t.start(1, "/a", b"{}".to_vec()).unwrap();
    assert_eq!(one(&mut t), Completion::Http { status: 429, location: None, retry_after: Some("30".into()) });
    t.start(2, "/b", b"{}".to_vec()).unwrap();
    assert_eq!(
        one(&mut t),
        Completion::Http { status: 503, location: None, retry_after: Some("Wed, 21 Oct 2015 07:28:00 GMT".into()) }
    );
}

#[test]
fn sequential_requests_reuse_one_connection() {
    let server = canned("204 No Content", &[]);
    let mut t = transport(&server.url());
    for id in 1..=3 {
        t.start(id, "/api/v1/sessions/s/events", b"{}".to_vec()).unwrap();
        assert_eq!(one(&mut t), http(204));
    }
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(server.accepts(), 1, "one TCP connection for all three");
    assert!(reqs.iter().all(|r| r.conn == 0));
}

/// Pooled handles keep the URL they were last given and point libcurl at the body in place:
/// each request must still carry exactly its own path, body and length, whatever the handle
/// sent before (same URL again, another one, a longer or shorter body, none at all).
#[test]
fn reused_handles_send_each_request_with_its_own_path_and_body() {
    let server = canned("204 No Content", &[]);
    let mut t = transport(&server.url());
    let long = format!("{{\"pad\":\"{}\"}}", "y".repeat(3000)).into_bytes();
    let sent: Vec<(&str, Vec<u8>)> = vec![
        ("/api/v1/sessions/a/events", b"{\"n\":1}".to_vec()),
        ("/api/v1/sessions/a/events", long.clone()),
        ("/api/v1/sessions/a/events", b"{}".to_vec()),
        ("/api/v1/sessions/b/events", Vec::new()),
        ("/api/v1/sessions/a/events", b"{\"n\":5}".to_vec()),
    ];
    for (id, (path, body)) in sent.iter().enumerate() {
        if id == 3 {
            // A changed slow-link guard applies from the next transfer on.
            t.set_low_speed(10, Duration::from_secs(2));
        }
        t.start(id as u64, path, body.clone()).unwrap();
        assert_eq!(one(&mut t), http(204));
    }
    // Two at once, then again the other way round: the two pooled handles swap URLs and bodies.
    for round in 0..2u64 {
        let (first, second) = if round == 0 { ("c", "d") } else { ("d", "c") };
        t.start(10 + 2 * round, &format!("/api/v1/sessions/{first}/events"), first.as_bytes().to_vec()).unwrap();
        t.start(11 + 2 * round, &format!("/api/v1/sessions/{second}/events"), second.repeat(700).into_bytes()).unwrap();
        let mut done = drive(&mut t, 2, Duration::from_secs(5));
        done.sort_by_key(|(id, _)| *id);
        assert_eq!(done, [(10 + 2 * round, http(204)), (11 + 2 * round, http(204))]);
    }

    let reqs = server.requests();
    assert_eq!(reqs.len(), sent.len() + 4);
    for (r, (path, body)) in reqs.iter().zip(&sent) {
        assert_eq!(r.line, format!("POST {path} HTTP/1.1"));
        assert_eq!(&r.body, body, "{path}");
        assert_eq!(r.header("content-length"), Some(body.len().to_string().as_str()));
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
    let mut pairs: Vec<(String, Vec<u8>)> = reqs[sent.len()..]
        .iter()
        .map(|r| (r.line.split(' ').nth(1).unwrap_or_default().to_owned(), r.body.clone()))
        .collect();
    pairs.sort();
    let expect = |sid: &str, body: Vec<u8>| (format!("/api/v1/sessions/{sid}/events"), body);
    assert_eq!(
        pairs,
        [
            expect("c", b"c".to_vec()),
            expect("c", "c".repeat(700).into_bytes()),
            expect("d", b"d".to_vec()),
            expect("d", "d".repeat(700).into_bytes()),
        ]
    );
}

#[test]
fn three_transfers_run_concurrently() {
    // Each request is held until all three have arrived: a transport that ran them one at a
    // time would never get an answer.
    let arrived = Arc::new((Mutex::new(0usize), Condvar::new()));
    let a = arrived.clone();
    let server = Server::start(move |_| {
        let (count, cv) = &*a;
        let mut n = count.lock().unwrap();
        *n += 1;
        cv.notify_all();
        let (n, _) = cv.wait_timeout_while(n, Duration::from_secs(3), |n| *n < 3).unwrap();
        if *n >= 3 {
            Reply::Bytes(response("204 No Content", &[], b""))
        } else {
            Reply::Bytes(response("500 Internal Server Error", &[], b"not concurrent"))
        }
    });
    let mut t = transport(&server.url());
    for id in [10, 20, 30] {
        t.start(id, &format!("/api/v1/sessions/s{id}/events"), b"{}".to_vec()).unwrap();
    }
    assert_eq!(t.in_flight(), 3);
    let started = Instant::now();
    let mut done = drive(&mut t, 3, Duration::from_secs(5));
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    done.sort_by_key(|(id, _)| *id);
    assert_eq!(done, [(10, http(204)), (20, http(204)), (30, http(204))]);
    assert_eq!(server.accepts(), 3);
}

/// A transport dropped with transfers on the wire (a worker that panicked mid-transfer) removes
/// them while libcurl's socket callback can still run: removing a handle makes libcurl tell that
/// callback to forget the socket. Dropped after the multi handle, it ran on freed memory: this
/// test died of SIGSEGV, and so, now and then, did a player whose worker panicked.
#[test]
fn dropping_a_transport_with_transfers_on_the_wire_is_safe() {
    let server = Server::start(|_| Reply::Hang);
    let mut t = transport(&server.url());
    for id in [1, 2, 3] {
        t.start(id, "/api/v1/sessions", b"{}".to_vec()).unwrap();
    }
    let started = Instant::now();
    while server.requests().len() < 3 {
        assert!(started.elapsed() < Duration::from_secs(5), "the requests never arrived");
        assert!(t.perform().is_empty(), "the server never answers");
        t.wait(Some(Duration::from_millis(50)));
    }
    assert_eq!(t.in_flight(), 3);
    drop(t);
    // The process goes on, and a new transport works against the same server's address space.
    let answered = canned("204 No Content", &[]);
    let mut again = transport(&answered.url());
    again.start(4, "/api/v1/sessions", b"{}".to_vec()).unwrap();
    assert_eq!(one(&mut again), http(204));
}

#[test]
fn a_silent_server_times_out() {
    let server = Server::start(|_| Reply::Hang);
    let mut cfg = config(&server.url());
    cfg.request_timeout = Duration::from_millis(300);
    let mut t = Transport::new(cfg).unwrap();
    t.start(5, "/api/v1/sessions", b"{}".to_vec()).unwrap();
    let started = Instant::now();
    // wait(None) must still come back: libcurl's own deadline bounds it while a transfer runs.
    let mut done = Vec::new();
    while done.is_empty() {
        assert!(started.elapsed() < Duration::from_secs(3), "no timeout");
        done = t.perform();
        if done.is_empty() {
            t.wait(None);
        }
    }
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_millis(1500), "took {elapsed:?}");
    assert!(elapsed >= Duration::from_millis(250), "took only {elapsed:?}");
    match &done[..] {
        [(5, Completion::Network { timed_out: true, .. })] => {}
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[test]
fn connection_refused_is_a_network_error() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut t = transport(&format!("http://127.0.0.1:{port}"));
    t.start(9, "/api/v1/sessions", b"{}".to_vec()).unwrap();
    match one(&mut t) {
        Completion::Network { message, timed_out } => {
            assert!(!timed_out);
            assert!(!message.is_empty());
        }
        other => panic!("expected a network error, got {other:?}"),
    }
}

#[test]
fn a_redirect_is_returned_not_followed() {
    let server = Server::start(|req| {
        if req.line.contains("/elsewhere") {
            Reply::Bytes(response("200 OK", &[], b""))
        } else {
            Reply::Bytes(response("302 Found", &[("Location", "/elsewhere")], b""))
        }
    });
    let mut t = transport(&server.url());
    t.start(1, "/api/v1/sessions", b"{}".to_vec()).unwrap();
    assert_eq!(one(&mut t), Completion::Http { status: 302, location: Some("/elsewhere".into()), retry_after: None });
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn an_oversized_body_is_cut_off() {
    let server = Server::start(|_| Reply::Bytes(response("200 OK", &[], &vec![b'x'; 1024 * 1024])));
    let mut t = transport(&server.url());
    t.start(1, "/api/v1/sessions", b"{}".to_vec()).unwrap();
    let started = Instant::now();
    match one(&mut t) {
        Completion::Network { message, timed_out } => {
            assert!(!timed_out);
            assert!(message.contains("body"), "{message}");
        }
        other => panic!("expected a network error, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(2));

    // The handle goes back to the pool and works for the next request.
    t.start(2, "/api/v1/sessions", b"{}".to_vec()).unwrap();
    assert!(matches!(one(&mut t), Completion::Network { .. }));
}

#[test]
fn oversized_headers_are_cut_off() {
    let big = "y".repeat(20 * 1024);
    let server = Server::start(move |_| Reply::Bytes(response("204 No Content", &[("X-Big", big.as_str())], b"")));
    let mut t = transport(&server.url());
    t.start(1, "/api/v1/sessions", b"{}".to_vec()).unwrap();
    match one(&mut t) {
        Completion::Network { message, .. } => assert!(message.contains("headers"), "{message}"),
        other => panic!("expected a network error, got {other:?}"),
    }
}

#[test]
fn a_body_under_the_cap_is_fine() {
    let server = Server::start(|_| Reply::Bytes(response("400 Bad Request", &[], &[b'e'; 60 * 1024])));
    let mut t = transport(&server.url());
    t.start(1, "/api/v1/sessions", b"{}".to_vec()).unwrap();
    assert_eq!(one(&mut t), http(400));
}

#[test]
fn wait_without_deadline_returns_on_wakeup_from_another_thread() {
    let mut t = transport("http://127.0.0.1:9");
    let waker = t.waker();
    let started = Instant::now();
    let waking = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        waker.wakeup().expect("wakeup");
    });
    t.wait(None);
    let elapsed = started.elapsed();
    waking.join().unwrap();
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    assert!(elapsed >= Duration::from_millis(30), "returned before the wakeup: {elapsed:?}");
}

#[test]
fn a_wakeup_before_the_wait_is_not_lost() {
    let mut t = transport("http://127.0.0.1:9");
    t.waker().wakeup().unwrap();
    let started = Instant::now();
    t.wait(Some(Duration::from_secs(5)));
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn wait_with_a_timeout_and_no_transfers_sleeps_without_spinning() {
    let mut t = transport("http://127.0.0.1:9");
    let started = Instant::now();
    t.wait(Some(Duration::from_millis(50)));
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(40), "returned at once: {elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    assert!(t.perform().is_empty());
}

#[test]
fn the_waker_outlives_the_transport_harmlessly() {
    let t = transport("http://127.0.0.1:9");
    let waker = t.waker();
    drop(t);
    assert!(waker.wakeup().is_err());
}

#[test]
fn abort_all_ends_every_transfer_in_start_order() {
    let server = Server::start(|_| Reply::Hang);
    let mut t = transport(&server.url());
    t.start(1, "/api/v1/sessions/a/events", b"{}".to_vec()).unwrap();
    t.start(2, "/api/v1/sessions/b/events", b"{}".to_vec()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    while server.requests().len() < 2 {
        assert!(Instant::now() < deadline, "requests never arrived");
        assert!(t.perform().is_empty());
        t.wait(Some(Duration::from_millis(20)));
    }
    assert_eq!(t.abort_all(), [(1, Completion::Aborted), (2, Completion::Aborted)]);
    assert_eq!(t.in_flight(), 0);
    assert!(t.perform().is_empty());
    assert!(t.abort_all().is_empty());
}

#[test]
fn handles_aborted_mid_transfer_are_reused() {
    let hang = Server::start(|req| {
        if req.line.contains("/hang") { Reply::Hang } else { Reply::Bytes(response("204 No Content", &[], b"")) }
    });
    let mut t = transport(&hang.url());
    t.start(1, "/hang", b"{}".to_vec()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    while hang.requests().is_empty() {
        assert!(Instant::now() < deadline, "request never arrived");
        t.perform();
        t.wait(Some(Duration::from_millis(20)));
    }
    assert_eq!(t.abort_all(), [(1, Completion::Aborted)]);
    t.start(2, "/ok", b"{}".to_vec()).unwrap();
    assert_eq!(one(&mut t), http(204));
}

#[test]
fn bad_base_urls_are_refused() {
    for url in
        ["", "not a url", "ftp://example.com", "file:///etc/passwd", "http://example.com/?q=1", "http://example.com/#x"]
    {
        assert!(Transport::new(config(url)).is_err(), "{url:?} was accepted");
    }
    assert!(Transport::new(config("https://example.com/prefix/")).is_ok());
    assert!(Transport::new(config("HTTP://127.0.0.1:8080")).is_ok());
    let mut nul = config("http://127.0.0.1:1");
    nul.proxy = Some("http://a\0b".into());
    assert!(Transport::new(nul).is_err());
}

#[test]
fn defaults_are_the_production_values() {
    let d = TransportConfig::default();
    assert_eq!(d.connect_timeout, Duration::from_secs(5));
    assert_eq!(d.request_timeout, Duration::from_secs(10));
    assert_eq!(d.max_response_bytes, 64 * 1024);
    assert_eq!(d.max_header_bytes, 16 * 1024);
    assert!(!d.insecure_skip_tls_verify);
    assert_eq!(d.proxy, None);
}

#[test]
fn https_really_speaks_tls() {
    // A plain-HTTP peer that answers at once: TLS must fail on it, not fall back to plaintext.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let _ = s.write_all(&response("204 No Content", &[], b""));
            thread::sleep(Duration::from_millis(200));
        }
    });
    let mut t = transport(&format!("https://{addr}"));
    t.start(1, "/x", b"{}".to_vec()).unwrap();
    match one(&mut t) {
        Completion::Network { timed_out: false, .. } => {}
        other => panic!("expected a TLS failure, got {other:?}"),
    }
}

/// A transfer that only libcurl's timer moves on (a silent server, 200 ms timeout) ends at that
/// timer round after round, well before the 1 s guard of `wait` would end it: the transport
/// keeps libcurl's timer across `socket_action` calls.
#[test]
fn libcurls_timer_ends_a_silent_transfer_on_time_every_round() {
    let server = Server::start(|_| Reply::Hang);
    let mut cfg = config(&server.url());
    cfg.request_timeout = Duration::from_millis(200);
    let mut t = Transport::new(cfg).unwrap();
    for round in 0..6 {
        t.start(round, "/api/v1/sessions", b"{}".to_vec()).unwrap();
        let started = Instant::now();
        let mut done = Vec::new();
        while done.is_empty() {
            assert!(started.elapsed() < Duration::from_secs(3), "no timeout");
            done = t.perform();
            if done.is_empty() {
                t.wait(None);
            }
        }
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_millis(600), "round {round}: the timeout came after {elapsed:?}");
        assert!(matches!(&done[..], [(id, Completion::Network { timed_out: true, .. })] if *id == round));
    }
}
