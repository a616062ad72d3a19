//! Fault injection (what the client sees, and whether the request was recorded and
//! accepted), the `/__debug` endpoints, and the Rust API around them.

mod common;

use std::time::{Duration, Instant};

use common::*;
use mc_collector::{Collector, Endpoint, Fault, FaultKind, Notice, Options, reason};
use serde_json::{Value, json};

fn collector() -> Collector {
    Collector::start(Options::default()).expect("collector")
}

fn fault(endpoint: Endpoint, kind: FaultKind, times: Option<u32>, share: Option<f64>) -> Fault {
    Fault { times, share, ..Fault::every(endpoint, kind) }
}

fn status(code: u16) -> FaultKind {
    FaultKind::Status { status: code, headers: vec![], body: None }
}

fn try_post(c: &Collector, path: &str, body: &Value, timeout: Duration) -> Result<Reply, ureq::Error> {
    let url = format!("{}{path}", c.base_url());
    try_send("POST", &url, Some("application/json"), Some(body.to_string().as_bytes()), timeout)
}

// ---- the fault kinds ------------------------------------------------------------------------

#[test]
fn status_fault_answers_with_headers_and_body_without_accepting() {
    let c = collector();
    c.add_fault(fault(
        Endpoint::Sessions,
        FaultKind::Status {
            status: 503,
            headers: vec![("Retry-After".into(), "2".into())],
            body: Some(r#"{"error":"busy"}"#.into()),
        },
        Some(1),
        None,
    ));
    let r = post(&c, "/api/v1/sessions", &session_start(T0));
    assert_eq!(r.status, 503);
    assert_eq!(r.header("Retry-After"), Some("2"));
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(r.json(), json!({"error": "busy"}));
    assert!(c.sessions().is_empty(), "not accepted");
    let rec = &c.requests()[0];
    assert_eq!(rec.status, 503);
    assert_eq!(rec.fault.as_deref(), Some("status 503"));
    assert!(rec.body.contains("sessionStart"), "the body was read and recorded");
    assert!(!rec.rejected_content(), "a scripted status is not the player's fault");
    // Used up after one request.
    assert!(c.faults().is_empty());
    assert_eq!(post(&c, "/api/v1/sessions", &session_start(T0)).status, 201);
}

#[test]
fn status_fault_on_a_share_of_events_is_deterministic() {
    let c = collector();
    let sid = start(&c);
    c.add_fault(fault(Endpoint::Events, status(500), None, Some(0.5)));
    let statuses: Vec<u16> = (1..=6)
        .map(|i| post(&c, &events_path(&sid), &event("ping", i as f64 * 10.0, T0 + i * 10_000)).status)
        .collect();
    assert_eq!(statuses, [204, 500, 204, 500, 204, 500]);
    assert_eq!(c.session(&sid).unwrap().events.len(), 4, "start + the 3 answered 204");
    // share without times stays until cleared.
    assert_eq!(c.faults().len(), 1);
    c.clear_faults();
    assert_eq!(post(&c, &events_path(&sid), &event("ping", 70.0, T0 + 70_000)).status, 204);
}

/// The fleet-safety back ends, over HTTP: every session answers 410 once it took 2 events, and
/// a `Retry-After` on every answer for a while.
#[test]
fn per_session_and_lasting_faults_over_http() {
    let c = collector();
    let r =
        post(&c, "/__debug/faults", &json!({"endpoint": "events", "kind": "status", "status": 410, "after_events": 2}));
    assert_eq!(r.status, 200);
    let (a, b) = (start(&c), start(&c));
    let ping = |sid: &str, i: i64| post(&c, &events_path(sid), &event("ping", i as f64 * 10.0, T0 + i * 10_000)).status;
    assert_eq!(
        [ping(&a, 1), ping(&a, 2), ping(&b, 1), ping(&a, 3), ping(&b, 2), ping(&b, 3)],
        [204, 204, 204, 410, 204, 410]
    );
    assert_eq!(c.session(&a).unwrap().events.len(), 3, "start + the 2 events before the fault");
    c.clear_faults();

    let r = post(
        &c,
        "/__debug/faults",
        &json!({"endpoint": "any", "kind": "status", "status": 429, "headers": {"Retry-After": "1"}, "for_ms": 60000}),
    );
    assert_eq!(r.status, 200);
    let throttled = post(&c, "/api/v1/sessions", &session_start(T0));
    assert_eq!((throttled.status, throttled.header("Retry-After")), (429, Some("1")));
    assert_eq!(get(&c, "/__debug/faults").json()[0]["for_ms"], 60000);
    // On the collector's clock: once a minute has passed the fault is over.
    c.advance_clock(Duration::from_secs(60));
    assert_eq!(post(&c, "/api/v1/sessions", &session_start(T0 + 60_000)).status, 201);
    assert!(c.faults().is_empty());
}

#[test]
fn delay_fault_answers_late_and_accepts() {
    let c = collector();
    c.add_fault(fault(Endpoint::Sessions, FaultKind::Delay(Duration::from_millis(400)), Some(1), None));
    let t = Instant::now();
    let r = post(&c, "/api/v1/sessions", &session_start(T0));
    assert!(t.elapsed() >= Duration::from_millis(400), "{:?}", t.elapsed());
    assert_eq!(r.status, 201);
    assert_eq!(c.sessions().len(), 1, "accepted");
    let rec = &c.requests()[0];
    assert_eq!(rec.status, 201);
    assert_eq!(rec.fault.as_deref(), Some("delay 400 ms"));
    // at_ms is the arrival time, before the delay.
    assert!(c.sessions()[0].created_at_ms >= rec.at_ms + 390);
    let t = Instant::now();
    assert_eq!(post(&c, "/api/v1/sessions", &session_start(T0)).status, 201);
    assert!(t.elapsed() < Duration::from_millis(400), "only the first was delayed");
}

#[test]
fn drop_before_read_closes_without_answer_and_accepts_nothing() {
    let c = collector();
    let sid = start(&c);
    c.add_fault(fault(Endpoint::Events, FaultKind::DropBeforeRead, Some(1), None));
    let res = try_post(&c, &events_path(&sid), &event("play", 0.0, T0 + 1), Duration::from_secs(10));
    assert!(res.is_err(), "the client got no answer: {res:?}");
    assert_eq!(c.session(&sid).unwrap().events.len(), 1, "nothing accepted");
    let rec = c.requests().pop().unwrap();
    assert_eq!(rec.status, 0);
    assert_eq!(rec.fault.as_deref(), Some("drop_before_read"));
    assert_eq!(rec.body, "", "the body was not read");
    assert_eq!(rec.sid.as_deref(), Some(sid.as_str()));
    // The session goes on.
    assert_eq!(post(&c, &events_path(&sid), &event("play", 0.0, T0 + 2)).status, 204);
}

#[test]
fn drop_after_read_accepts_but_does_not_answer() {
    let c = collector();
    let sid = start(&c);
    c.add_fault(fault(Endpoint::Events, FaultKind::DropAfterRead, Some(1), None));
    let play = event("play", 0.0, T0 + 1);
    let res = try_post(&c, &events_path(&sid), &play, Duration::from_secs(10));
    assert!(res.is_err(), "the client got no answer: {res:?}");
    let s = c.session(&sid).unwrap();
    assert_eq!(s.events, vec![session_start(T0), play.clone()], "accepted all the same");
    let rec = c.requests().pop().unwrap();
    assert_eq!(rec.status, 0);
    assert_eq!(rec.fault.as_deref(), Some("drop_after_read"));
    assert!(rec.error.as_deref().unwrap().contains("would have answered 204"));
    // The retry the client will send is a duplicate, and is accepted as such.
    assert_eq!(post(&c, &events_path(&sid), &play).status, 204);
    assert_eq!(c.session(&sid).unwrap().events.len(), 3);
}

#[test]
fn drop_after_read_on_sessions_creates_the_session() {
    let c = collector();
    c.add_fault(fault(Endpoint::Sessions, FaultKind::DropAfterRead, Some(1), None));
    assert!(try_post(&c, "/api/v1/sessions", &session_start(T0), Duration::from_secs(10)).is_err());
    assert_eq!(c.sessions().len(), 1, "the sid exists, but the client never learnt it");
    let rec = &c.requests()[0];
    assert_eq!(rec.sid.as_deref(), Some(c.sessions()[0].sid.as_str()));
}

#[test]
fn hang_never_answers_and_accepts_nothing() {
    let c = collector();
    c.add_fault(fault(Endpoint::Downloaded, FaultKind::Hang, Some(1), None));
    let batch = downloaded_batch(session_start(T0));
    let t = Instant::now();
    let res = try_post(&c, "/api/v1/downloaded", &batch, Duration::from_millis(500));
    assert!(res.is_err(), "timed out: {res:?}");
    assert!(t.elapsed() >= Duration::from_millis(450));
    assert!(c.sessions().is_empty());
    let rec = &c.requests()[0];
    assert_eq!((rec.status, rec.fault.as_deref()), (0, Some("hang")));
    assert!(rec.body.contains("sessionStart"), "the request was read");
    // Other requests are served meanwhile, and shutdown does not wait for the hung one.
    assert_eq!(post(&c, "/api/v1/downloaded", &batch).status, 201);
    let t = Instant::now();
    c.shutdown();
    assert!(t.elapsed() < Duration::from_secs(3), "shutdown took {:?}", t.elapsed());
}

#[test]
fn any_endpoint_and_times_and_order() {
    let c = collector();
    let sid = start(&c);
    c.add_fault(fault(Endpoint::Any, status(429), Some(3), None));
    c.add_fault(fault(Endpoint::Events, status(502), Some(1), None));
    assert_eq!(post(&c, "/api/v1/sessions", &session_start(T0)).status, 429);
    assert_eq!(post(&c, "/api/v1/downloaded", &downloaded_batch(session_start(T0))).status, 429);
    assert_eq!(post(&c, &events_path(&sid), &event("play", 0.0, T0 + 1)).status, 429);
    // The first fault is used up; the second now applies.
    assert_eq!(post(&c, &events_path(&sid), &event("play", 0.0, T0 + 1)).status, 502);
    assert_eq!(post(&c, &events_path(&sid), &event("play", 0.0, T0 + 1)).status, 204);
    // Schemas, OPTIONS and debug requests are never faulted.
    c.add_fault(fault(Endpoint::Any, FaultKind::Hang, None, None));
    assert_eq!(get(&c, "/api/v1/schemas/nonsense").status, 404);
    assert_eq!(send("OPTIONS", &format!("{}/api/v1/sessions", c.base_url()), None, None).status, 204);
    assert_eq!(get(&c, "/__debug/sessions").status, 200);
}

#[test]
fn invalid_faults_are_refused() {
    let c = collector();
    assert!(c.try_add_fault(fault(Endpoint::Events, status(99), None, None)).is_err());
    assert!(c.try_add_fault(fault(Endpoint::Events, FaultKind::Hang, Some(0), None)).is_err());
    assert!(c.try_add_fault(fault(Endpoint::Events, FaultKind::Hang, None, Some(0.0))).is_err());
    let bad_header = FaultKind::Status { status: 503, headers: vec![("Bad Name".into(), "1".into())], body: None };
    assert!(c.try_add_fault(fault(Endpoint::Events, bad_header, None, None)).is_err());
    assert!(c.faults().is_empty());
}

#[test]
fn faults_serialize_to_the_http_form() {
    let f = fault(Endpoint::Sessions, FaultKind::Delay(Duration::from_millis(1500)), Some(2), None);
    let v = serde_json::to_value(&f).unwrap();
    assert_eq!(v, json!({"endpoint": "sessions", "kind": "delay", "ms": 1500, "times": 2}));
    assert_eq!(serde_json::from_value::<Fault>(v).unwrap(), f);
}

// ---- /__debug over HTTP ---------------------------------------------------------------------

fn debug_post(c: &Collector, path: &str, body: &Value) -> Reply {
    post(c, path, body)
}

#[test]
fn debug_faults_over_http() {
    let c = collector();
    let r = debug_post(
        &c,
        "/__debug/faults",
        &json!([
            {"endpoint": "sessions", "kind": "status", "status": 503, "headers": {"Retry-After": "7"}, "times": 1},
            {"endpoint": "events", "kind": "drop_before_read", "share": 0.5}
        ]),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json().as_array().unwrap().len(), 2);
    assert_eq!(get(&c, "/__debug/faults").json().as_array().unwrap().len(), 2);
    let r = post(&c, "/api/v1/sessions", &session_start(T0));
    assert_eq!((r.status, r.header("Retry-After")), (503, Some("7")));
    assert_eq!(c.faults().len(), 1);

    let bad = debug_post(&c, "/__debug/faults", &json!({"endpoint": "events", "kind": "status", "status": 42}));
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].as_str().unwrap().contains("invalid fault"));
    let bad = post_raw(&c, "/__debug/faults", b"{nope");
    assert_eq!(bad.status, 400);

    let r = send("DELETE", &format!("{}/__debug/faults", c.base_url()), None, None);
    assert_eq!(r.status, 204);
    assert!(c.faults().is_empty());
    assert_eq!(post(&c, "/api/v1/sessions", &session_start(T0)).status, 201);
}

#[test]
fn debug_sessions_list_and_detail() {
    let c = collector();
    let sid = start(&c);
    assert_eq!(post(&c, &events_path(&sid), &event("play", 0.0, T0 + 10)).status, 204);
    assert_eq!(post(&c, &events_path(&sid), &event("sessionEnd", 1.0, T0 + 1010)).status, 204);
    assert_eq!(post(&c, &events_path(&sid), &event("ping", 1.0, T0 + 2010)).status, 410);
    assert_eq!(post(&c, "/api/v1/downloaded", &downloaded_batch(session_start(T0))).status, 201);

    let list = get(&c, "/__debug/sessions");
    assert_eq!(list.status, 200);
    assert_eq!(list.header("Content-Type"), Some("application/json"));
    let list = list.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let first = &list[0];
    assert_eq!(first["sid"], sid);
    assert_eq!(first["downloaded"], false);
    assert_eq!(first["closed"], true);
    assert_eq!(first["closed_reason"], reason::SESSION_END);
    assert_eq!(first["events"], 3);
    assert_eq!(first["dropped"], 1);
    assert_eq!(first["requests"], 4);
    assert!(first["errors"].is_u64() && first["warnings"].is_u64());
    assert_eq!(list[1]["downloaded"], true);
    assert_eq!(list[1]["closed_reason"], reason::DOWNLOADED);

    let detail = get(&c, &format!("/__debug/sessions/{sid}"));
    assert_eq!(detail.status, 200);
    let d = detail.json();
    assert_eq!(d["sid"], sid);
    assert_eq!(d["events"].as_array().unwrap().len(), 3);
    assert_eq!(d["events"][1], event("play", 0.0, T0 + 10));
    assert_eq!(d["dropped"], json!([event("ping", 1.0, T0 + 2010)]));
    assert!(d["findings"].is_array());
    let reqs = d["requests"].as_array().unwrap();
    assert_eq!(reqs.len(), 4);
    assert_eq!(reqs[3]["status"], 410);
    assert_eq!(reqs[0]["status"], 201);

    assert_eq!(get(&c, "/__debug/sessions/nope").status, 404);
}

#[test]
fn debug_requests_reset_clock_and_report() {
    let c = collector();
    let sid = start(&c);
    assert_eq!(post_raw(&c, &events_path(&sid), b"{bad").status, 400);

    let reqs = get(&c, "/__debug/requests").json();
    let reqs = reqs.as_array().unwrap();
    assert_eq!(reqs.len(), 2, "debug requests are not recorded");
    assert_eq!(reqs[1]["status"], 400);
    assert_eq!(reqs[1]["errors"][0]["rule"], "json");
    assert_eq!(reqs[1]["sid"], sid);
    assert!(reqs[1]["headers"].as_array().unwrap().iter().any(|h| h[0] == "content-type"));

    // The clock: 10 min on, the session is closed.
    let before = get(&c, "/__debug/clock").json()["now_ms"].as_i64().unwrap();
    let r = debug_post(&c, "/__debug/clock", &json!({"advance_ms": 600_001}));
    assert_eq!(r.status, 200);
    assert!(r.json()["now_ms"].as_i64().unwrap() >= before + 600_001);
    assert_eq!(r.json()["offset_ms"], 600_001);
    assert_eq!(c.session(&sid).unwrap().closed.as_deref(), Some(reason::IDLE_TIMEOUT));
    assert_eq!(debug_post(&c, "/__debug/clock", &json!({"advance_ms": -5})).status, 400);
    assert_eq!(debug_post(&c, "/__debug/clock", &json!({})).status, 400);

    let report = get(&c, "/__debug/report").json();
    assert_eq!(report["summary"]["sessions"], 1);
    assert_eq!(report["summary"]["rejected_requests"], 1);
    assert_eq!(report["summary"]["ok"], false);
    assert_eq!(report["sessions"][0]["closed_reason"], reason::IDLE_TIMEOUT);
    assert_eq!(report["requests"].as_array().unwrap().len(), 2);
    assert_eq!(report["collector"]["mode"], "lenient");

    let r = debug_post(&c, "/__debug/reset", &json!({}));
    assert_eq!(r.status, 204);
    assert!(c.sessions().is_empty());
    assert!(c.requests().is_empty());
    assert_eq!(get(&c, "/__debug/clock").json()["offset_ms"], 0);
    assert_eq!(get(&c, "/__debug/sessions").json(), json!([]));

    assert_eq!(get(&c, "/__debug/nothing").status, 404);
    assert_eq!(send("PUT", &format!("{}/__debug/reset", c.base_url()), None, Some(b"")).status, 405);
}

// ---- the Rust API ---------------------------------------------------------------------------

#[test]
fn report_json_holds_sessions_findings_and_requests() {
    let c = collector();
    let sid = start(&c);
    assert_eq!(post(&c, &events_path(&sid), &event("play", 0.0, T0 + 10)).status, 204);
    let report = c.report_json();
    assert_eq!(report["summary"]["sessions"], 1);
    assert_eq!(report["summary"]["events"], 2);
    assert_eq!(report["summary"]["ok"], c.summary().ok());
    let s = &report["sessions"][0];
    assert_eq!(s["sid"], sid);
    assert_eq!(s["events"].as_array().unwrap().len(), 2);
    assert!(s["findings"].is_array());
    assert_eq!(s["request_seqs"], json!([0, 1]));
    assert_eq!(report["requests"].as_array().unwrap().len(), 2);
}

#[test]
fn subscribers_hear_requests_then_the_settled_session() {
    let c = collector();
    let rx = c.subscribe();
    let sid = start(&c);
    assert_eq!(post(&c, &events_path(&sid), &event("sessionEnd", 0.0, T0 + 1)).status, 204);
    let mut heard = Vec::new();
    while let Ok(n) = rx.recv_timeout(Duration::from_millis(500)) {
        heard.push(match n {
            Notice::Request(r) => format!("request {}", r.status),
            Notice::Settled { why, events, .. } => format!("settled {why} {}", events.len()),
        });
        if heard.len() == 3 {
            break;
        }
    }
    assert_eq!(heard, ["request 201", "request 204", "settled sessionEnd 2"]);

    // Timeouts are heard when the clock moves.
    let other = start(&c);
    let _ = rx.recv_timeout(Duration::from_millis(500));
    c.advance_clock(Duration::from_secs(601));
    match rx.recv_timeout(Duration::from_millis(500)) {
        Ok(Notice::Settled { sid, why, .. }) => {
            assert_eq!((sid, why.as_str()), (other, reason::IDLE_TIMEOUT))
        }
        other => panic!("expected the timeout: {other:?}"),
    }
}

#[test]
fn wait_until_polls_until_true_or_timeout() {
    let c = collector();
    assert!(!c.wait_until(Duration::from_millis(50), |c| !c.sessions().is_empty()));
    let url = c.base_url();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        send(
            "POST",
            &format!("{url}/api/v1/sessions"),
            Some("application/json"),
            Some(session_start(T0).to_string().as_bytes()),
        )
    });
    assert!(c.wait_until(Duration::from_secs(10), |c| c.sessions().len() == 1));
    assert_eq!(t.join().unwrap().status, 201);
    assert!(c.base_url().starts_with("http://127.0.0.1:"));
    assert_eq!(c.addr().port(), c.base_url().rsplit(':').next().unwrap().parse::<u16>().unwrap());
}

#[test]
fn strict_mode_is_reported() {
    let c = Collector::start(Options { strict: true, ..Options::default() }).expect("collector");
    assert_eq!(c.report_json()["collector"]["mode"], "strict");
    assert_eq!(post(&c, "/api/v1/sessions", &session_start(T0)).status, 201);
}

#[test]
fn a_port_in_use_is_an_error() {
    let c = collector();
    let err = Collector::start(Options { listen: c.addr(), ..Options::default() });
    assert!(err.is_err());
}
