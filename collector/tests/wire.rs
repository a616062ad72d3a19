//! The wire layer: every endpoint answers as the real back end does (mc-api.md §1–§6, §14 A),
//! bad input gets a clear 4xx, and sessions close on sessionEnd and on the timeouts.
//!
//! Tests named `validator_*` depend on the real schema validation in `src/validate.rs`
//! (schema failures answered 400, schemas served); they pass once it replaces the stub.

mod common;

use std::time::Duration;

use common::*;
use mc_collector::{Collector, Options, reason};
use serde_json::json;

fn collector() -> Collector {
    Collector::start(Options::default()).expect("collector")
}

fn assert_cors(r: &Reply) {
    assert_eq!(r.header("Access-Control-Allow-Origin"), Some("*"));
    assert_eq!(r.header("Access-Control-Allow-Methods"), Some("OPTIONS,POST,PUT"));
    assert_eq!(r.header("Access-Control-Allow-Headers"), Some("Content-Type"));
    assert_eq!(r.header("Access-Control-Expose-Headers"), Some("Location"));
}

// ---- POST /api/v1/sessions ----------------------------------------------------------------

#[test]
fn session_start_answers_201_with_location_and_cors() {
    let c = collector();
    let body = session_start(T0);
    let r = post(&c, "/api/v1/sessions", &body);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body, "");
    assert_eq!(r.header("Content-Type"), Some("application/octet-stream"));
    assert_cors(&r);
    let loc = r.header("Location").expect("Location");
    let sid = loc.strip_prefix("/api/v1/sessions/").expect("relative /api/v1/sessions/<sid>");
    assert!(is_sid(sid), "64 lowercase hex: {sid}");

    let sessions = c.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].sid, sid);
    assert_eq!(sessions[0].events, vec![body]);
    assert!(!sessions[0].downloaded);
    assert_eq!(sessions[0].closed, None);
    let req = &c.requests()[0];
    assert_eq!((req.status, req.sid.as_deref(), req.method.as_str()), (201, Some(sid), "POST"));

    // Every session gets its own id.
    let other = start(&c);
    assert_ne!(other, sid);
}

#[test]
fn non_session_start_on_sessions_is_400_naming_the_failure() {
    let c = collector();
    let r = post(&c, "/api/v1/sessions", &event("play", 0.0, T0));
    assert_eq!(r.status, 400);
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    let v = r.json();
    assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()));
    assert!(r.failure_rules().contains(&"sessionStart-only".to_string()), "{}", r.body);
    assert!(r.failure_paths().contains(&"/eventType".to_string()));
    assert!(c.sessions().is_empty());
    let rec = &c.requests()[0];
    assert_eq!(rec.status, 400);
    assert!(!rec.errors.is_empty());
    assert!(rec.rejected_content());
}

#[test]
fn downloaded_flag_on_a_single_object_is_400() {
    let c = collector();
    let r = post(&c, "/api/v1/sessions", &downloaded_start(T0));
    assert_eq!(r.status, 400);
    assert!(r.failure_paths().contains(&"/params/media.downloaded".to_string()), "{}", r.body);
    assert!(c.sessions().is_empty());
    // media.downloaded: false is the SDKs' online form and is fine.
    let mut online = session_start(T0);
    online["params"]["media.downloaded"] = json!(false);
    assert_eq!(post(&c, "/api/v1/sessions", &online).status, 201);
}

#[test]
fn array_on_sessions_is_the_deprecated_downloaded_form() {
    let c = collector();
    let batch = downloaded_batch(downloaded_start(T0));
    let r = post(&c, "/api/v1/sessions", &batch);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_cors(&r);
    let sid = r.header("Location").and_then(|l| l.strip_prefix("/api/v1/sessions/")).expect("Location");
    assert!(is_sid(sid));
    let s = c.session(sid).expect("session");
    assert!(s.downloaded);
    assert_eq!(s.closed.as_deref(), Some(reason::DOWNLOADED));
    assert_eq!(s.events.len(), 5);
    assert_eq!(serde_json::Value::Array(s.events.clone()), batch);
    // Events for it are refused: it is complete.
    assert_eq!(post(&c, &events_path(sid), &event("ping", 0.0, T0 + 200_000)).status, 410);
}

#[test]
fn deprecated_array_without_the_downloaded_flag_is_400_and_nothing_kept() {
    let c = collector();
    for start in [session_start(T0), {
        let mut s = session_start(T0);
        s["params"]["media.downloaded"] = json!(false);
        s
    }] {
        let r = post(&c, "/api/v1/sessions", &downloaded_batch(start));
        assert_eq!(r.status, 400);
        assert!(r.failure_paths().contains(&"/0/params/media.downloaded".to_string()), "{}", r.body);
    }
    assert!(c.sessions().is_empty());
    assert_eq!(c.requests().len(), 2);
}

/// Validator-dependent: needs the real sessionStart schema (media.length must be a number).
#[test]
fn validator_schema_failure_on_session_start_is_400_with_every_failure() {
    let c = collector();
    let mut bad = session_start(T0);
    bad["params"]["media.length"] = json!("60");
    bad["params"].as_object_mut().unwrap().remove("media.channel");
    let r = post(&c, "/api/v1/sessions", &bad);
    assert_eq!(r.status, 400, "{}", r.body);
    let paths = r.failure_paths();
    assert!(paths.iter().any(|p| p.contains("media.length")), "{paths:?}");
    assert!(r.json()["failures"].as_array().unwrap().len() >= 2, "every failure named: {}", r.body);
    assert!(c.sessions().is_empty());
}

// ---- POST /api/v1/downloaded ---------------------------------------------------------------

#[test]
fn downloaded_batch_is_201_and_kept_closed() {
    let c = collector();
    // media.downloaded is not needed on this endpoint.
    let batch = downloaded_batch(session_start(T0));
    let r = post(&c, "/api/v1/downloaded", &batch);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_cors(&r);
    let sessions = c.sessions();
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert!(s.downloaded);
    assert_eq!(s.closed.as_deref(), Some(reason::DOWNLOADED));
    assert_eq!(s.events.len(), 5);
    assert_eq!(c.requests()[0].sid.as_deref(), Some(s.sid.as_str()));
    assert!(c.lint(&s.sid).iter().all(|f| f.severity != mc_collector::Severity::Error));
}

#[test]
fn bad_downloaded_batches_are_400_and_nothing_is_kept() {
    let c = collector();
    let cases = [
        (json!({"not": "an array"}), ""),
        (json!([]), ""),
        (json!([event("play", 0.0, T0), session_start(T0 + 1)]), "/0/eventType"),
        (
            json!([session_start(T0), {"eventType": "nonsense", "playerTime": {"playhead": 0, "ts": T0}}]),
            "/1/eventType",
        ),
        (json!([session_start(T0), 42]), "/1"),
    ];
    for (body, path) in &cases {
        let r = post(&c, "/api/v1/downloaded", body);
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert!(r.failure_paths().contains(&path.to_string()), "{body}: {}", r.body);
    }
    assert!(c.sessions().is_empty(), "nothing kept as a session");
    let reqs = c.requests();
    assert_eq!(reqs.len(), cases.len(), "but every request recorded");
    assert!(reqs.iter().all(|r| r.status == 400 && !r.errors.is_empty() && r.sid.is_none()));
}

/// Validator-dependent: a later element that fails its own schema rejects the whole batch.
#[test]
fn validator_downloaded_batch_with_an_invalid_element_is_400_and_nothing_kept() {
    let c = collector();
    let mut batch = downloaded_batch(session_start(T0));
    batch[2] = json!({"eventType": "ping"}); // no playerTime
    let r = post(&c, "/api/v1/downloaded", &batch);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.failure_paths().iter().any(|p| p.starts_with("/2")), "{}", r.body);
    assert!(c.sessions().is_empty());
}

// ---- POST /api/v1/sessions/{sid}/events ----------------------------------------------------

#[test]
fn events_are_204_and_appended_in_order() {
    let c = collector();
    let sid = start(&c);
    let evs = [event("play", 0.0, T0 + 10), event("ping", 10.0, T0 + 10_010), event("pauseStart", 12.0, T0 + 12_010)];
    for e in &evs {
        let r = post(&c, &events_path(&sid), e);
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(r.body, "");
        assert_cors(&r);
    }
    let s = c.session(&sid).unwrap();
    assert_eq!(&s.events[1..], &evs);
    assert_eq!(s.requests.len(), 4);
    assert!(s.requests.iter().all(|r| r.sid.as_deref() == Some(sid.as_str())));
}

#[test]
fn unknown_session_is_404() {
    let c = collector();
    let r = post(&c, &events_path(&"ab".repeat(32)), &event("play", 0.0, T0));
    assert_eq!(r.status, 404);
    assert!(r.json()["error"].as_str().unwrap().contains("unknown session"));
    assert!(!c.requests()[0].rejected_content());
}

#[test]
fn session_start_on_the_events_endpoint_is_400() {
    let c = collector();
    let sid = start(&c);
    let r = post(&c, &events_path(&sid), &session_start(T0 + 5));
    assert_eq!(r.status, 400);
    assert!(r.failure_rules().contains(&"unexpected-sessionStart".to_string()), "{}", r.body);
    assert_eq!(c.session(&sid).unwrap().events.len(), 1);
}

/// Validator-dependent: an event without playerTime fails its schema.
#[test]
fn validator_invalid_event_is_400_and_not_appended() {
    let c = collector();
    let sid = start(&c);
    let r = post(&c, &events_path(&sid), &json!({"eventType": "play"}));
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.failure_paths().iter().any(|p| p.is_empty() || p.contains("playerTime")), "{}", r.body);
    let r = post(&c, &events_path(&sid), &json!({"eventType": "ping", "playerTime": {"playhead": 1, "ts": 1.5}}));
    assert_eq!(r.status, 400, "ts must be an integer: {}", r.body);
    assert_eq!(c.session(&sid).unwrap().events.len(), 1);
}

#[test]
fn session_end_closes_at_once_then_410_and_dropped() {
    let c = collector();
    let sid = start(&c);
    assert_eq!(post(&c, &events_path(&sid), &event("play", 0.0, T0 + 1)).status, 204);
    assert_eq!(post(&c, &events_path(&sid), &event("sessionEnd", 3.0, T0 + 3001)).status, 204);
    let s = c.session(&sid).unwrap();
    assert_eq!(s.closed.as_deref(), Some(reason::SESSION_END));
    assert_eq!(s.events.len(), 3);
    let late = event("ping", 3.0, T0 + 4000);
    let r = post(&c, &events_path(&sid), &late);
    assert_eq!(r.status, 410);
    // A second sessionEnd is dropped the same way.
    assert_eq!(post(&c, &events_path(&sid), &event("sessionEnd", 3.0, T0 + 4001)).status, 410);
    let s = c.session(&sid).unwrap();
    assert_eq!(s.events.len(), 3);
    assert_eq!(s.dropped.len(), 2);
    assert_eq!(s.dropped[0], late);
    assert!(c.requests().last().unwrap().error.as_deref().unwrap().contains("closed"));
}

#[test]
fn session_complete_does_not_close() {
    let c = collector();
    let sid = start(&c);
    assert_eq!(post(&c, &events_path(&sid), &event("sessionComplete", 5.0, T0 + 5000)).status, 204);
    assert_eq!(post(&c, &events_path(&sid), &event("ping", 5.0, T0 + 6000)).status, 204);
    assert_eq!(c.session(&sid).unwrap().closed, None);
}

#[test]
fn silent_drop_answers_204_and_records_the_drop() {
    let c = Collector::start(Options { silent_drop: true, ..Options::default() }).expect("collector");
    let sid = start(&c);
    assert_eq!(post(&c, &events_path(&sid), &event("sessionEnd", 0.0, T0 + 1)).status, 204);
    let r = post(&c, &events_path(&sid), &event("ping", 0.0, T0 + 2));
    assert_eq!(r.status, 204);
    let s = c.session(&sid).unwrap();
    assert_eq!(s.dropped, vec![event("ping", 0.0, T0 + 2)]);
    assert_eq!(s.events.len(), 2);
    let rec = c.requests().pop().unwrap();
    assert_eq!(rec.status, 204);
    assert!(rec.error.as_deref().unwrap().contains("dropped"));
}

// ---- schemas, OPTIONS ----------------------------------------------------------------------

/// Validator-dependent: the stub serves no schema.
#[test]
fn validator_schemas_are_served_as_json() {
    let c = collector();
    for t in mc_collector::validate::EVENT_TYPES {
        let r = get(&c, &format!("/api/v1/schemas/{t}"));
        assert_eq!(r.status, 200, "{t}");
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        assert!(r.json().is_object());
    }
}

#[test]
fn unknown_schema_is_404() {
    let c = collector();
    let r = get(&c, "/api/v1/schemas/seekStart");
    assert_eq!(r.status, 404);
    assert!(r.json()["error"].as_str().is_some());
}

#[test]
fn options_on_any_path_is_204_with_cors() {
    let c = collector();
    for path in
        ["/api/v1/sessions", "/api/v1/sessions/abc/events", "/api/v1/downloaded", "/whatever", "/__debug/faults"]
    {
        let r = send("OPTIONS", &format!("{}{path}", c.base_url()), None, None);
        assert_eq!(r.status, 204, "{path}");
        assert_cors(&r);
    }
}

// ---- bad input ------------------------------------------------------------------------------

#[test]
fn malformed_json_is_400() {
    let c = collector();
    for body in [&b"{\"eventType\": \"sessionStart\","[..], b"", b"nonsense", b"{\"a\":1}{"] {
        let r = post_raw(&c, "/api/v1/sessions", body);
        assert_eq!(r.status, 400, "{:?}", String::from_utf8_lossy(body));
        assert_eq!(r.failure_rules(), ["json"]);
    }
    let sid = start(&c);
    let r = post_raw(&c, &events_path(&sid), b"{\"eventType\":");
    assert_eq!(r.status, 400);
    assert_eq!(r.failure_rules(), ["json"]);
}

#[test]
fn body_over_one_mib_is_413() {
    let c = collector();
    let mut big = session_start(T0);
    big["customMetadata"]["pad"] = json!("x".repeat(mc_collector::MAX_BODY_BYTES));
    let r = post(&c, "/api/v1/sessions", &big);
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.failure_rules(), ["size"]);
    assert!(c.sessions().is_empty());
    let rec = &c.requests()[0];
    assert_eq!(rec.status, 413);
    assert!(rec.rejected_content());
    // Just under the limit is read (and then judged on its content).
    let mut fits = session_start(T0);
    let room = mc_collector::MAX_BODY_BYTES - fits.to_string().len() - 20;
    fits["customMetadata"]["pad"] = json!("x".repeat(room));
    assert_eq!(post(&c, "/api/v1/sessions", &fits).status, 201);
}

#[test]
fn nesting_deeper_than_64_is_400() {
    let c = collector();
    let nested = |depth: usize| {
        // The root object is level 1; `deep` adds depth - 1 levels of arrays.
        let inner = format!("{}{}", "[".repeat(depth - 1), "]".repeat(depth - 1));
        format!("{{\"eventType\":\"sessionStart\",\"deep\":{inner}}}")
    };
    for depth in [65, 129, 10_000] {
        let r = post_raw(&c, "/api/v1/sessions", nested(depth).as_bytes());
        assert_eq!(r.status, 400, "depth {depth}");
        assert_eq!(r.failure_rules(), ["depth"], "depth {depth}");
    }
    // 64 levels parse; whatever the validator says then, it is not the depth rule.
    let r = post_raw(&c, "/api/v1/sessions", nested(64).as_bytes());
    if r.status == 400 {
        assert!(!r.failure_rules().contains(&"depth".to_string()), "{}", r.body);
    }
}

#[test]
fn invalid_utf8_is_400() {
    let c = collector();
    let mut body = session_start(T0).to_string().into_bytes();
    let at = body.iter().position(|&b| b == b'v').unwrap(); // inside "vod" or similar
    body[at] = 0xff;
    let r = post_raw(&c, "/api/v1/sessions", &body);
    assert_eq!(r.status, 400);
    assert_eq!(r.failure_rules(), ["utf8"]);
    // The record keeps the body readable.
    assert!(c.requests()[0].body.contains('\u{fffd}'));
}

#[test]
fn wrong_method_is_405_with_allow() {
    let c = collector();
    let base = c.base_url();
    for (method, path, allow) in [
        ("GET", "/api/v1/sessions", "OPTIONS, POST"),
        ("PUT", "/api/v1/sessions", "OPTIONS, POST"),
        ("GET", "/api/v1/downloaded", "OPTIONS, POST"),
        ("DELETE", "/api/v1/sessions/abc/events", "OPTIONS, POST"),
        ("POST", "/api/v1/schemas/play", "OPTIONS, GET"),
    ] {
        let body = (method == "PUT" || method == "POST").then_some(&b"{}"[..]);
        let r = send(method, &format!("{base}{path}"), Some("application/json"), body);
        assert_eq!(r.status, 405, "{method} {path}");
        assert_eq!(r.header("Allow"), Some(allow));
        assert!(r.json()["error"].as_str().unwrap().contains("not allowed"));
    }
}

#[test]
fn unknown_path_is_404_json() {
    let c = collector();
    for path in ["/", "/api/v2/sessions", "/api/v1/sessions/abc", "/api/v1/sessions//events"] {
        let r = send("POST", &format!("{}{path}", c.base_url()), Some("application/json"), Some(b"{}"));
        assert_eq!(r.status, 404, "{path}");
        assert!(r.json()["error"].as_str().unwrap().contains("no such endpoint"));
    }
    assert_eq!(c.requests().len(), 4, "recorded too");
}

#[test]
fn any_content_type_is_accepted_with_a_warning() {
    let c = collector();
    let body = session_start(T0).to_string();
    let url = format!("{}/api/v1/sessions", c.base_url());
    let r = send("POST", &url, Some("text/plain"), Some(body.as_bytes()));
    assert_eq!(r.status, 201);
    let r = send("POST", &url, None, Some(body.as_bytes()));
    assert_eq!(r.status, 201);
    let r = send("POST", &url, Some("application/json; charset=utf-8"), Some(body.as_bytes()));
    assert_eq!(r.status, 201);
    let warned: Vec<bool> = c.requests().iter().map(|r| r.warnings.iter().any(|w| w.rule == "content-type")).collect();
    assert_eq!(warned, [true, true, false]);
}

#[test]
fn bad_requests_do_not_disturb_other_sessions() {
    let c = collector();
    let sid = start(&c);
    assert_eq!(post(&c, &events_path(&sid), &event("play", 0.0, T0 + 1)).status, 204);
    assert_eq!(post_raw(&c, &events_path(&sid), b"{oops").status, 400);
    assert_eq!(post_raw(&c, &events_path(&sid), &[0xc3, 0x28]).status, 400);
    assert_eq!(post_raw(&c, "/api/v1/sessions", "[".repeat(100).as_bytes()).status, 400);
    let other = start(&c);
    assert_eq!(post(&c, &events_path(&other), &event("sessionEnd", 0.0, T0 + 1)).status, 204);
    assert_eq!(post(&c, &events_path(&sid), &event("ping", 10.0, T0 + 10_001)).status, 204);
    let s = c.session(&sid).unwrap();
    assert_eq!(s.events.len(), 3);
    assert_eq!(s.closed, None);
}

#[test]
fn concurrent_sessions_are_kept_apart() {
    let c = collector();
    std::thread::scope(|scope| {
        for t in 0..8 {
            let c = &c;
            scope.spawn(move || {
                let mut start_body = session_start(T0);
                start_body["params"]["media.id"] = json!(format!("video-{t}"));
                let r = post(c, "/api/v1/sessions", &start_body);
                assert_eq!(r.status, 201);
                let sid = r.header("Location").unwrap().rsplit('/').next().unwrap().to_string();
                for i in 1..=10 {
                    let e = event("ping", i as f64 * 10.0, T0 + i * 10_000);
                    assert_eq!(post(c, &events_path(&sid), &e).status, 204);
                }
            });
        }
    });
    let sessions = c.sessions();
    assert_eq!(sessions.len(), 8);
    let mut ids: Vec<_> = sessions.iter().map(|s| s.events[0]["params"]["media.id"].to_string()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 8);
    assert!(sessions.iter().all(|s| s.events.len() == 11 && s.requests.len() == 11));
    assert_eq!(c.requests().len(), 88);
    let seqs: Vec<u64> = c.requests().iter().map(|r| r.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "arrival order");
}

// ---- timeouts on the collector clock --------------------------------------------------------

#[test]
fn ten_minutes_without_events_closes_the_session() {
    let c = collector();
    let sid = start(&c);
    c.advance_clock(Duration::from_secs(9 * 60));
    assert_eq!(post(&c, &events_path(&sid), &event("ping", 10.0, T0 + 10_000)).status, 204);
    c.advance_clock(Duration::from_secs(9 * 60 + 59));
    assert_eq!(c.session(&sid).unwrap().closed, None, "9:59 after the last event");
    c.advance_clock(Duration::from_secs(2));
    let s = c.session(&sid).unwrap();
    assert_eq!(s.closed.as_deref(), Some(reason::IDLE_TIMEOUT), "seen without any request");
    let r = post(&c, &events_path(&sid), &event("ping", 20.0, T0 + 20_000));
    assert_eq!(r.status, 410);
    assert_eq!(c.session(&sid).unwrap().dropped.len(), 1);
}

#[test]
fn thirty_minutes_without_playhead_movement_closes_the_session() {
    let c = collector();
    let sid = start(&c);
    assert_eq!(post(&c, &events_path(&sid), &event("play", 0.0, T0 + 1)).status, 204);
    assert_eq!(post(&c, &events_path(&sid), &event("pauseStart", 0.0, T0 + 2)).status, 204);
    // Pings keep coming (so never idle), the playhead stays at 0.
    for i in 1..=5 {
        c.advance_clock(Duration::from_secs(5 * 60));
        let r = post(&c, &events_path(&sid), &event("ping", 0.0, T0 + i * 300_000));
        assert_eq!(r.status, 204, "after {} min", i * 5);
    }
    c.advance_clock(Duration::from_secs(5 * 60));
    let r = post(&c, &events_path(&sid), &event("ping", 0.0, T0 + 1_800_000));
    assert_eq!(r.status, 410, "30 min without playhead movement");
    let s = c.session(&sid).unwrap();
    assert_eq!(s.closed.as_deref(), Some(reason::PLAYHEAD_TIMEOUT));
    assert_eq!(s.events.len(), 8);
}

#[test]
fn a_moving_playhead_keeps_the_session_open() {
    let c = collector();
    let sid = start(&c);
    for i in 1..=9 {
        c.advance_clock(Duration::from_secs(5 * 60));
        let r = post(&c, &events_path(&sid), &event("ping", i as f64 * 30.0, T0 + i * 300_000));
        assert_eq!(r.status, 204, "after {} min", i * 5);
    }
    assert_eq!(c.session(&sid).unwrap().closed, None);
}
