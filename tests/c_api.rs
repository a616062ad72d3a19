//! The C harness for the pipeline: each test starts the collector, sets any faults, builds and
//! runs a C program from tests/c/ against the fresh static library with MC_ENDPOINT pointing at
//! the collector, then asserts on what the collector received (tests/c/README.md).

mod common;

use std::path::Path;
use std::time::Duration;

use mc_collector::edge::mapping::timestamp_ms;
use mc_collector::lint::Severity;
use mc_collector::{Api, Collector, Endpoint, Fault, FaultKind, Options};
use serde_json::Value;

fn run_program(name: &str, collector: &Collector) {
    run_program_with(name, collector, &[]);
}

/// Runs a program with more environment (`MC_BACKEND=edge` for the Media Edge back end).
fn run_program_with(name: &str, collector: &Collector, env: &[(&str, &str)]) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/c/{name}.c"));
    let exe = common::build_c(name, &[src.as_path()], &[]);
    let url = collector.base_url();
    let mut vars = vec![("MC_ENDPOINT", url.as_str())];
    vars.extend_from_slice(env);
    let out = common::run_c(&exe, &vars, Duration::from_secs(120));
    common::assert_c_passed(&out);
}

fn event_types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["eventType"].as_str().unwrap_or("?")).collect()
}

fn ts(e: &Value) -> i64 {
    e["playerTime"]["ts"].as_i64().expect("integer ts")
}

fn assert_lint_clean(collector: &Collector, sid: &str) {
    let errors: Vec<_> = collector.lint(sid).into_iter().filter(|f| f.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "lint errors in {sid}: {errors:#?}");
}

#[test]
fn events_before_the_session_id_are_held_and_sent_first_in_order() {
    let collector = Collector::start(Options::default()).expect("collector");
    collector.add_fault(Fault {
        endpoint: Endpoint::Sessions,
        kind: FaultKind::Delay(Duration::from_secs(2)),
        times: Some(1),
        share: None,
        after_events: None,
        lasts: None,
    });
    run_program("session_queueing", &collector);

    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1, "one session");
    let s = &sessions[0];
    assert_eq!(
        event_types(&s.events),
        ["sessionStart", "play", "pauseStart", "play", "bufferStart", "play", "bitrateChange", "sessionComplete"]
    );
    let playheads: Vec<f64> = s.events.iter().map(|e| e["playerTime"]["playhead"].as_f64().unwrap()).collect();
    assert_eq!(playheads, [0.0, 0.0, 3.0, 3.0, 5.0, 5.0, 5.0, 7.0]);
    for w in s.events.windows(2) {
        assert!(ts(&w[1]) > ts(&w[0]), "ts strictly increasing: {} then {}", ts(&w[0]), ts(&w[1]));
    }
    assert_eq!(s.events[6]["qoeData"]["media.qoe.bitrate"], 1_500_000);

    // The sessionStart request arrived first and was answered 2 s later; every event request
    // came after that answer, although the player made every call before it.
    let requests = collector.requests();
    let start = requests.iter().find(|r| r.path == "/api/v1/sessions").expect("sessions request");
    let events: Vec<_> = requests.iter().filter(|r| r.path.ends_with("/events")).collect();
    assert_eq!(events.len(), 7);
    for r in &events {
        assert!(r.at_ms >= start.at_ms + 1900, "event request at {} before the 201 (start {})", r.at_ms, start.at_ms);
        assert_eq!(r.status, 204);
    }
    let last_call_ts = ts(&s.events[7]);
    assert!(last_call_ts < start.at_ms + 2000, "the player called before the sid was known");
    assert_lint_clean(&collector, &s.sid);
}

/// The same program on Media Edge: the collector's Edge side answers the sessionStart after 2 s;
/// every event arrives after that answer, in call order, none lost, each on the session's
/// location hint and naming its session id in the body.
#[test]
fn on_media_edge_events_before_the_session_id_are_held_and_sent_first_in_order() {
    let collector = Collector::start(Options::default()).expect("collector");
    collector.add_fault(Fault {
        endpoint: Endpoint::Sessions,
        kind: FaultKind::Delay(Duration::from_secs(2)),
        times: Some(1),
        share: None,
        after_events: None,
        lasts: None,
    });
    run_program_with("session_queueing", &collector, &[("MC_BACKEND", "edge")]);

    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1, "one session");
    let s = &sessions[0];
    assert_eq!(s.api, Api::Edge);
    assert_eq!(
        event_types(&s.events),
        [
            "media.sessionStart",
            "media.play",
            "media.pauseStart",
            "media.play",
            "media.bufferStart",
            "media.play",
            "media.bitrateChange",
            "media.sessionComplete"
        ]
    );
    let playheads: Vec<i64> = s.events.iter().map(|e| e["mediaCollection"]["playhead"].as_i64().unwrap()).collect();
    assert_eq!(playheads, [0, 0, 3, 3, 5, 5, 5, 7]);
    let ts: Vec<i64> =
        s.events.iter().map(|e| timestamp_ms(e["timestamp"].as_str().unwrap()).expect("ISO-8601")).collect();
    for w in ts.windows(2) {
        assert!(w[1] > w[0], "timestamps strictly increasing: {ts:?}");
    }
    assert_eq!(s.events[6]["mediaCollection"]["qoeDataDetails"]["bitrate"], 1_500_000);
    assert!(s.events[1..].iter().all(|e| e["mediaCollection"]["sessionID"] == s.sid.as_str()));

    // The sessionStart went first and was answered 2 s later; every event request came after
    // that answer, on the hint the answer gave, although the player made every call before it.
    let requests = collector.requests();
    let start = requests.iter().find(|r| r.path.starts_with("/ee/va/v1/sessionStart")).expect("sessionStart");
    let hint = s.location_hint.clone().expect("a location hint");
    let events: Vec<_> = requests.iter().filter(|r| r.seq != start.seq).collect();
    assert_eq!(events.len(), 7);
    for r in &events {
        assert!(
            r.at_ms >= start.at_ms + 1900,
            "event request at {} before the answer (start {})",
            r.at_ms,
            start.at_ms
        );
        assert!(r.path.starts_with(&format!("/ee/{hint}/va/v1/")), "{}", r.path);
        assert_eq!(r.status, 204);
    }
    assert!(ts[7] < start.at_ms + 2000, "the player called before the session id was known");
    assert_lint_clean(&collector, &s.sid);
}

#[test]
fn pings_fire_on_a_short_interval() {
    let collector = Collector::start(Options::default()).expect("collector");
    run_program("pings", &collector);
    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    let pings: Vec<&Value> = s.events.iter().filter(|e| e["eventType"] == "ping").collect();
    assert!(pings.len() >= 8, "expected ~11 pings at 100 ms over 1.2 s, got {}", pings.len());
    for w in pings.windows(2) {
        let gap = ts(w[1]) - ts(w[0]);
        assert!((80..=250).contains(&gap), "ping gap {gap} ms");
    }
    assert!(pings.iter().all(|p| p.get("params").is_none()), "pings carry no params");
    assert_eq!(event_types(&s.events).last(), Some(&"sessionComplete"));
    assert_lint_clean(&collector, &s.sid);
}

#[test]
fn eight_threads_with_eight_trackers_each() {
    let collector = Collector::start(Options::default()).expect("collector");
    run_program("threads", &collector);
    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 64);
    let mut ids: Vec<String> = Vec::new();
    for s in &sessions {
        assert_eq!(
            event_types(&s.events),
            ["sessionStart", "play", "pauseStart", "play", "sessionComplete"],
            "{}",
            s.sid
        );
        let ph: Vec<f64> = s.events.iter().map(|e| e["playerTime"]["playhead"].as_f64().unwrap()).collect();
        assert_eq!(ph, [0.0, 0.0, 3.0, 4.0, 5.0]);
        ids.push(s.events[0]["params"]["media.id"].as_str().unwrap().to_string());
        assert_lint_clean(&collector, &s.sid);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 64, "every tracker's session arrived once");
}

#[test]
fn misuse_of_every_export_returns_the_documented_status() {
    let collector = Collector::start(Options::default()).expect("collector");
    run_program("misuse", &collector);
    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].events[0]["params"]["media.id"], "misuse-1");
    assert_lint_clean(&collector, &sessions[0].sid);
}

/// A child started with fork + exec while a client runs inherits none of the library's
/// descriptors (the worker's wake-up pair included); the session still arrives.
#[test]
fn a_child_started_with_exec_inherits_no_descriptor_of_the_library() {
    let collector = Collector::start(Options::default()).expect("collector");
    run_program("cloexec", &collector);
    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(event_types(&sessions[0].events), ["sessionStart", "play", "sessionComplete"]);
}

/// In a child the parent's handles answer MC_ERR_FORKED, but a client the child creates works;
/// in the pre-fork model (the parent frees its client, then forks) every child reports.
#[test]
fn a_forked_child_gets_mc_err_forked_on_the_parents_handles_and_its_own_client_works() {
    let collector = Collector::start(Options::default()).expect("collector");
    run_program("fork", &collector);
    let sessions = collector.sessions();
    let mut ids: Vec<String> =
        sessions.iter().map(|s| s.events[0]["params"]["media.id"].as_str().unwrap_or("?").to_owned()).collect();
    ids.sort();
    let mut expected = vec!["fork-child".to_owned(), "fork-parent".to_owned()];
    expected.extend((0..8).map(|i| format!("fork-loop-{i}")));
    expected.sort();
    assert_eq!(ids, expected, "every process delivered its session, once");
    for s in &sessions {
        let want: &[&str] = if s.events[0]["params"]["media.id"] == "fork-parent" {
            &["sessionStart", "play", "pauseStart", "sessionComplete"]
        } else {
            &["sessionStart", "play", "sessionComplete"]
        };
        assert_eq!(event_types(&s.events), want);
        assert_lint_clean(&collector, &s.sid);
    }
}
