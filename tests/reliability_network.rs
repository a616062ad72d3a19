//! Reliability matrix rows F4, F5 and S1 (spec/reliability.md §10.3), plus the transport's
//! security caps end to end: resets, black holes, cut-off and sliced answers, slow links,
//! bounded flush and shutdown against a stalled server, capped headers and bodies, redirects
//! never followed. The faults come from the raw TCP fault server in tests/common/faultnet.rs
//! (toxiproxy is not available), placed between the library and the collector.
//!
//! Scales: the request timeout is 10 s in production; here 500–800 ms (1:20 to 1:12, said per
//! test). `mc_client_flush(1000)` and `mc_client_free(2000)` run at their real values: S1 is
//! about those exact bounds.

mod common;

use std::time::{Duration, Instant};

use common::faultnet::{Act, FaultServer, Stalled};
use common::rel::{assert_fifo, body, expected_session, key, keys, player, run_player, stats, timing};
use mc_collector::{Collector, Options};
use media_collection::transport::{Completion, Transport, TransportConfig};

fn transport(base_url: &str, request_timeout: Duration) -> Transport {
    Transport::new(TransportConfig {
        base_url: base_url.to_owned(),
        connect_timeout: Duration::from_secs(2),
        request_timeout,
        ..TransportConfig::default()
    })
    .expect("transport")
}

/// Drives `t` until the server has seen `n` requests.
fn drive_until_seen(t: &mut Transport, server: &FaultServer, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.seen().len() < n {
        assert!(Instant::now() < deadline, "the request never arrived");
        assert!(t.perform().is_empty(), "a transfer ended early");
        t.wait(Some(Duration::from_millis(20)));
    }
}

/// Drives `t` as the worker does until one transfer ends; returns it and when it ended.
fn drive_one(t: &mut Transport, limit: Duration) -> (Completion, Instant) {
    let deadline = Instant::now() + limit;
    loop {
        if let Some((_, c)) = t.perform().into_iter().next() {
            return (c, Instant::now());
        }
        assert!(Instant::now() < deadline, "no transfer ended within {limit:?}");
        t.wait(Some(Duration::from_millis(50)));
    }
}

/// The shutdown deadline reaches a transfer in flight through libcurl's progress callback: a
/// black-holed request with a 10 s timeout ends as Aborted at the deadline, and no new
/// transfer starts after it.
#[test]
fn the_abort_deadline_ends_a_transfer_in_flight_through_the_progress_callback() {
    let server = FaultServer::start(None, Act::BlackHole);
    let mut t = transport(&server.url(), Duration::from_secs(10));
    t.start(1, "/api/v1/sessions", b"{}".to_vec()).expect("start");
    drive_until_seen(&mut t, &server, 1);
    let deadline = Instant::now() + Duration::from_millis(300);
    t.abort_at(deadline);
    let (c, at) = drive_one(&mut t, Duration::from_secs(5));
    assert_eq!(c, Completion::Aborted);
    let late = at.saturating_duration_since(deadline);
    assert!(at >= deadline && late < Duration::from_millis(150), "aborted {late:?} after the deadline");
    assert!(t.start(2, "/x", Vec::new()).is_err(), "nothing starts after the deadline");
    println!("progress-callback abort: {late:?} after the deadline");
}

/// The same from another thread (AbortHandle): the worker's wait is woken and the transfer
/// ends at once.
#[test]
fn an_abort_handle_ends_transfers_from_another_thread() {
    let server = FaultServer::start(None, Act::BlackHole);
    let mut t = transport(&server.url(), Duration::from_secs(10));
    let handle = t.abort_handle();
    t.start(7, "/api/v1/sessions", b"{}".to_vec()).expect("start");
    drive_until_seen(&mut t, &server, 1);
    let fired = Instant::now() + Duration::from_millis(200);
    let h = handle.clone();
    let th = std::thread::spawn(move || {
        std::thread::sleep(fired.saturating_duration_since(Instant::now()));
        h.abort();
    });
    // One long wait, as the worker sleeps: the abort must wake it.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut done = None;
    while done.is_none() && Instant::now() < deadline {
        t.wait(Some(Duration::from_secs(5)));
        done = t.perform().into_iter().next();
    }
    th.join().unwrap();
    let (id, c) = done.expect("the transfer ended");
    assert_eq!((id, c), (7, Completion::Aborted));
    assert!(Instant::now().saturating_duration_since(fired) < Duration::from_millis(300));
}

/// F5 at the transport: a link that still moves a few bytes (20 B/s) never hits a total
/// timeout of 10 s... before the slow-link guard (here 1000 B/s over 1 s; production
/// 1024 B/s over 15 s) ends it as a timeout.
#[test]
fn f5_the_slow_link_guard_ends_a_crawling_transfer() {
    let server = FaultServer::start(None, Act::Trickle { len: 400, gap: Duration::from_millis(50) });
    let mut t = transport(&server.url(), Duration::from_secs(10));
    t.set_low_speed(1000, Duration::from_secs(1));
    let started = Instant::now();
    t.start(1, "/api/v1/sessions", b"{}".to_vec()).expect("start");
    let (c, at) = drive_one(&mut t, Duration::from_secs(8));
    let took = at - started;
    assert!(matches!(c, Completion::Network { timed_out: true, .. }), "{c:?}");
    assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(4), "ended after {took:?}");
    println!("F5 slow-link guard: ended after {took:?}");
}

/// F5 end to end, at 1:12 (request timeout 10 s → 800 ms): the first event's answer trickles
/// at 20 B/s; the request times out, is retried, and delivered once the link is healthy;
/// the trickled request never reached the collector, so nothing is duplicated.
#[test]
fn f5_a_slow_answer_times_out_and_the_event_is_retried_and_delivered() {
    let collector = Collector::start(Options::default()).expect("collector");
    let proxy = FaultServer::start(Some(collector.addr()), Act::Forward);
    proxy.script([Act::Forward, Act::Trickle { len: 400, gap: Duration::from_millis(50) }]);
    let out = run_player(
        &player(),
        &proxy.url(),
        &[("MC_STEPS", "2"), ("MC_REQUEST_TIMEOUT_MS", "800"), ("MC_RETRY_BASE_MS", "50"), ("MC_EXPECT", "retries=1")],
        Duration::from_secs(30),
    );
    let _ = stats(&out);
    let seen = proxy.seen();
    assert_eq!(seen[1].act, "trickle");
    let retry_gap = seen[2].at - seen[1].at;
    assert_eq!(seen[2].body, seen[1].body, "the same event again");
    assert!(
        retry_gap >= Duration::from_millis(800) && retry_gap <= Duration::from_millis(800 + 1000 + 100),
        "retried {retry_gap:?} after the slow request began"
    );
    assert_eq!(keys(&collector.sessions()[0].events), expected_session(2));
}

/// F4 at 1:20 (request timeout 10 s → 500 ms; backoff 50 ms × 2ⁿ ≤ 400 ms): one event meets,
/// in turn, a reset (RST), a black hole, an answer cut after 20 bytes (toxiproxy limit_data)
/// and an answer in 3-byte slices (slicer). Every failed request ends within its timeout + 1 s
/// and is retried; everything is delivered in order; the only duplicate is the one the
/// cut-off answer makes unavoidable (the collector had accepted it: the documented window).
#[test]
fn f4_resets_black_holes_cut_and_sliced_answers() {
    let collector = Collector::start(Options::default()).expect("collector");
    let proxy = FaultServer::start(Some(collector.addr()), Act::Forward);
    proxy.script([
        Act::Forward,
        Act::Reset,
        Act::BlackHole,
        Act::LimitData(20),
        Act::Slice { bytes: 3, gap: Duration::from_millis(5) },
    ]);
    let steps = 3usize;
    let out = run_player(
        &player(),
        &proxy.url(),
        &[
            ("MC_STEPS", "3"),
            ("MC_REQUEST_TIMEOUT_MS", "500"),
            ("MC_CONNECT_TIMEOUT_MS", "500"),
            ("MC_RETRY_BASE_MS", "50"),
            ("MC_RETRY_CAP_MS", "400"),
            ("MC_EVENT_ATTEMPTS", "10"),
            // libcurl itself resends once, transparently, a request whose reused connection died
            // before any answer byte (the reset): the library counts 2 or 3 retries.
            ("MC_EXPECT", "retries>=2,retry_exhausted=0,events_delivered=6"),
        ],
        Duration::from_secs(30),
    );
    let _ = stats(&out);
    let seen = proxy.seen();
    let acts: Vec<&str> = seen.iter().map(|s| s.act).collect();
    assert_eq!(&acts[..5], ["forward", "reset", "black_hole", "limit_data", "slice"]);
    // Each faulted request is retried (same body) within its timeout + 1 s.
    for i in 1..=3 {
        assert_eq!(seen[i + 1].body, seen[i].body, "request {i} retried");
        let gap = seen[i + 1].at - seen[i].at;
        assert!(gap <= Duration::from_millis(500 + 1000), "{}: next try after {gap:?}", seen[i].act);
        println!("F4 {}: retried after {gap:?}", seen[i].act);
    }
    // The collector accepted the cut-off request and its retry: one duplicate, adjacent.
    let s = &collector.sessions()[0];
    let mut expected = expected_session(steps);
    expected.insert(1, ("play".to_owned(), 0.0));
    assert_eq!(keys(&s.events), expected);
    let requests = collector.requests();
    let first_event = requests.iter().find(|r| r.path.ends_with("/events")).expect("events");
    assert_eq!(key(&body(first_event)), ("play".to_owned(), 0.0));
}

/// S1 against a black hole (toxiproxy timeout=0: connections accepted, requests read, nothing
/// answered), at the real bounds: `mc_client_flush(client, 1000)` returns MC_ERR_TIMEOUT within
/// 1.0–1.3 s; `mc_client_free(client, 2000)` returns within 2.25 s, having aborted the transfer
/// in flight; every undelivered event is counted `shut_down` and reported.
#[test]
fn s1_flush_and_free_are_bounded_against_a_black_hole() {
    let server = FaultServer::start(None, Act::BlackHole);
    let out = run_player(
        &player(),
        &server.url(),
        &[
            ("MC_TRACKERS", "2"),
            ("MC_STEPS", "4"),
            ("MC_GAP_MS", "10"),
            ("MC_FLUSH_MS", "1000"),
            ("MC_EXPECT_FLUSH", "MC_ERR_TIMEOUT"),
            ("MC_FLUSH_MIN_MS", "1000"),
            ("MC_FLUSH_MAX_MS", "1300"),
            ("MC_FREE_MS", "2000"),
            ("MC_FREE_MAX_MS", "2250"),
            ("MC_EXPECT", "events_delivered=0,shut_down=0"),
            ("MC_EXPECT_DROPPED", "shut_down=14"),
        ],
        Duration::from_secs(30),
    );
    let (flush_ms, free_ms) = timing(&out);
    println!("S1 black hole: flush(1000) took {flush_ms} ms, free(2000) took {free_ms} ms");
    assert!(server.seen().iter().all(|s| s.path() == "/api/v1/sessions"), "only sessionStarts went out");
}

/// S1 against a listener that accepts and never reads: the same bounds hold.
#[test]
fn s1_flush_and_free_are_bounded_against_a_server_that_never_reads() {
    let server = Stalled::start();
    let out = run_player(
        &player(),
        &server.url(),
        &[
            ("MC_STEPS", "2"),
            ("MC_FLUSH_MS", "1000"),
            ("MC_EXPECT_FLUSH", "MC_ERR_TIMEOUT"),
            ("MC_FLUSH_MIN_MS", "1000"),
            ("MC_FLUSH_MAX_MS", "1300"),
            ("MC_FREE_MS", "2000"),
            ("MC_FREE_MAX_MS", "2250"),
            ("MC_EXPECT_DROPPED", "shut_down=5"),
        ],
        Duration::from_secs(30),
    );
    let (flush_ms, free_ms) = timing(&out);
    println!("S1 never-reading server: flush(1000) took {flush_ms} ms, free(2000) took {free_ms} ms");
    assert!(server.accepts() >= 1);
}

fn redirect(location: &str) -> Act {
    Act::Respond(
        format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n").into_bytes(),
    )
}

/// Redirects are never followed, to another host or to `file://`: the event answered 307 is
/// dropped and counted (a 3xx is not retryable), the redirect target sees no connection, and
/// the session goes on.
#[test]
fn redirects_are_never_followed() {
    let collector = Collector::start(Options::default()).expect("collector");
    let elsewhere = FaultServer::start(Some(collector.addr()), Act::Forward);
    let proxy = FaultServer::start(Some(collector.addr()), Act::Forward);
    let target = format!("{}/api/v1/sessions/x/events", elsewhere.url());
    proxy.script([Act::Forward, redirect(&target), redirect("file:///etc/passwd")]);
    let out = run_player(
        &player(),
        &proxy.url(),
        &[
            ("MC_STEPS", "2"),
            ("MC_EXPECT_FLUSH", "MC_ERR_DELIVERY"),
            ("MC_EXPECT", "rejected_400=2,retries=0,events_delivered=3"),
        ],
        Duration::from_secs(30),
    );
    let _ = stats(&out);
    assert_eq!(elsewhere.accepts(), 0, "the redirect target was never contacted");
    let got = keys(&collector.sessions()[0].events);
    let mut expected = expected_session(2);
    expected.drain(1..3);
    assert_eq!(got, expected);
}

/// Capped answers: a header block over 16 KiB and a body over 64 KiB end the transfer as a
/// network error (retried like one); the library neither reads on nor keeps the bytes.
#[test]
fn oversized_headers_and_bodies_are_cut_off_and_retried() {
    let collector = Collector::start(Options::default()).expect("collector");
    let proxy = FaultServer::start(Some(collector.addr()), Act::Forward);
    let huge_header = format!("HTTP/1.1 204 No Content\r\nX-Big: {}\r\n\r\n", "h".repeat(20 * 1024)).into_bytes();
    let huge_body = {
        let mut b = b"HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n".to_vec();
        b.extend(std::iter::repeat_n(b'b', 1 << 20));
        b
    };
    proxy.script([Act::Forward, Act::Respond(huge_header), Act::Respond(huge_body)]);
    let out = run_player(
        &player(),
        &proxy.url(),
        &[("MC_STEPS", "2"), ("MC_RETRY_BASE_MS", "20"), ("MC_EXPECT", "retries=2,events_delivered=5")],
        Duration::from_secs(30),
    );
    let _ = stats(&out);
    let seen = proxy.seen();
    assert_eq!(seen[1].body, seen[2].body);
    assert_eq!(seen[2].body, seen[3].body);
    assert_eq!(keys(&collector.sessions()[0].events), expected_session(2));
    let requests = collector.requests();
    let tries = assert_fifo(&requests, &collector.sessions()[0].sid, &expected_session(2)[1..]);
    assert_eq!(tries, [1, 1, 1, 1], "the collector saw each event once");
}
