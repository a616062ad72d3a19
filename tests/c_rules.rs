//! The C harness for the tracker rules: a full session, a 410 mid-session and calls in the
//! wrong order, asserted on what the collector received (tests/c/README.md). The full session
//! and the SDK-parity program also run on Media Edge (`MC_BACKEND=edge`).

mod common;

use std::path::Path;
use std::time::Duration;

use mc_collector::lint::Severity;
use mc_collector::{Collector, Endpoint, Fault, FaultKind, Options};
use serde_json::Value;

/// The hits tests/c/full_session.c makes, pings left out (MC event types; `media.` + these on Edge).
const FULL_SESSION_HITS: [&str; 24] = [
    "sessionStart",
    "adBreakStart",
    "adStart",
    "play",
    "adComplete",
    "adStart",
    "play",
    "adComplete",
    "adBreakComplete",
    "play",
    "chapterStart",
    "play",
    "bufferStart",
    "play",
    "adBreakStart",
    "adStart",
    "play",
    "adComplete",
    "adBreakComplete",
    "play",
    "pauseStart",
    "play",
    "chapterComplete",
    "sessionComplete",
];

fn build(name: &str) -> std::path::PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/c/{name}.c"));
    common::build_c(name, &[src.as_path()], &[])
}

fn types(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| e["eventType"].as_str().unwrap_or("?").to_string()).collect()
}

fn without_pings(events: &[Value]) -> Vec<String> {
    types(events).into_iter().filter(|t| t != "ping").collect()
}

fn assert_lint_clean(collector: &Collector, sid: &str) {
    let errors: Vec<_> = collector.lint(sid).into_iter().filter(|f| f.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "lint errors in {sid}: {errors:#?}");
}

#[test]
fn a_full_session_with_ads_chapters_buffering_and_a_pause() {
    let collector = Collector::start(Options::default()).expect("collector");
    let exe = build("full_session");
    let url = collector.base_url();
    let out = common::run_c(&exe, &[("MC_ENDPOINT", url.as_str())], Duration::from_secs(120));
    common::assert_c_passed(&out);

    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert_eq!(without_pings(&s.events), FULL_SESSION_HITS);
    let start = &s.events[0];
    assert_eq!(start["params"]["media.show"], "Show");
    assert_eq!(start["params"]["media.episode"], "7");
    assert_eq!(start["customMetadata"]["custom"], "yes");
    assert_eq!(start["params"]["media.resume"], false);
    // Granular pings inside the pre-roll ads, and a ping while paused.
    let first_ad = s.events.iter().position(|e| e["eventType"] == "adStart").unwrap();
    let first_ad_end = s.events.iter().position(|e| e["eventType"] == "adComplete").unwrap();
    let ad_pings = s.events[first_ad..first_ad_end].iter().filter(|e| e["eventType"] == "ping").count();
    assert!(ad_pings >= 2, "granular pings inside the ad: {ad_pings}");
    let pause = s.events.iter().position(|e| e["eventType"] == "pauseStart").unwrap();
    assert_eq!(s.events[pause + 1]["eventType"], "ping", "pings go on while paused");
    let ad_start = &s.events[first_ad];
    assert_eq!(ad_start["params"]["media.ad.advertiser"], "Acme");
    assert_eq!(ad_start["params"]["media.ad.playerName"], "c-harness");
    assert_eq!(ad_start["customMetadata"]["creative"], "blue");
    assert_lint_clean(&collector, &s.sid);
}

/// The same program on Media Edge: the same hits as Edge events, the metadata in
/// `sessionDetails`/`advertisingDetails` and `{name, value}` items, granular pings in the ads, a
/// ping while paused, every call after the sessionStart on the session's location hint.
#[test]
fn on_media_edge_a_full_session_with_ads_chapters_buffering_and_a_pause() {
    let collector = Collector::start(Options::default()).expect("collector");
    let exe = build("full_session");
    let url = collector.base_url();
    let out = common::run_c(&exe, &[("MC_ENDPOINT", url.as_str()), ("MC_BACKEND", "edge")], Duration::from_secs(120));
    common::assert_c_passed(&out);

    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    let expected: Vec<String> = FULL_SESSION_HITS.iter().map(|t| format!("media.{t}")).collect();
    let got: Vec<String> = types(&s.events).into_iter().filter(|t| t != "media.ping").collect();
    assert_eq!(got, expected);
    let start = &s.events[0]["mediaCollection"];
    assert_eq!(start["sessionDetails"]["name"], "full-session");
    assert_eq!(start["sessionDetails"]["show"], "Show");
    assert_eq!(start["sessionDetails"]["episode"], "7");
    assert_eq!(start["sessionDetails"]["hasResume"], false);
    assert_eq!(start["customMetadata"], serde_json::json!([{"name": "custom", "value": "yes"}]));
    assert_eq!(s.events[0]["identityMap"]["ECID"][0]["id"], "ecid-0001");
    let first_ad = s.events.iter().position(|e| e["eventType"] == "media.adStart").unwrap();
    let first_ad_end = s.events.iter().position(|e| e["eventType"] == "media.adComplete").unwrap();
    let ad_pings = s.events[first_ad..first_ad_end].iter().filter(|e| e["eventType"] == "media.ping").count();
    assert!(ad_pings >= 2, "granular pings inside the ad: {ad_pings}");
    let pause = s.events.iter().position(|e| e["eventType"] == "media.pauseStart").unwrap();
    assert_eq!(s.events[pause + 1]["eventType"], "media.ping", "pings go on while paused");
    let ad = &s.events[first_ad]["mediaCollection"];
    assert_eq!(ad["advertisingDetails"]["name"], "ad-1");
    assert_eq!(ad["advertisingDetails"]["advertiser"], "Acme");
    assert_eq!(ad["advertisingDetails"]["playerName"], "c-harness");
    assert_eq!(ad["customMetadata"], serde_json::json!([{"name": "creative", "value": "blue"}]));
    let hint = s.location_hint.clone().expect("a location hint");
    for r in &s.requests[1..] {
        assert!(r.path.starts_with(&format!("/ee/{hint}/va/v1/")), "{}", r.path);
        assert_eq!(r.status, 204, "{}", r.path);
    }
    assert_lint_clean(&collector, &s.sid);
}

#[test]
fn a_410_mid_session_resumes_with_its_context() {
    let collector = Collector::start(Options::default()).expect("collector");
    let exe = build("session_gone");
    let url = collector.base_url();
    let child =
        std::thread::spawn(move || common::run_c(&exe, &[("MC_ENDPOINT", url.as_str())], Duration::from_secs(60)));
    // Once two pings are in, the back end "forgets" the session.
    let pinged = collector.wait_until(Duration::from_secs(20), |c| {
        c.sessions().iter().any(|s| s.events.iter().filter(|e| e["eventType"] == "ping").count() >= 2)
    });
    assert!(pinged, "pings arrived");
    collector.add_fault(Fault {
        endpoint: Endpoint::Events,
        kind: FaultKind::Status { status: 410, headers: vec![], body: None },
        times: Some(1),
        share: None,
        after_events: None,
        lasts: None,
    });
    let out = child.join().expect("harness thread");
    common::assert_c_passed(&out);

    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 2, "the original and the resumed session");
    let (first, second) = (&sessions[0], &sessions[1]);
    assert_eq!(first.events[0]["params"]["media.resume"], false);
    let resumed = &second.events;
    assert_eq!(resumed[0]["eventType"], "sessionStart");
    assert_eq!(resumed[0]["params"]["media.resume"], true);
    assert_eq!(resumed[0]["params"]["media.id"], "gone-1");
    assert_eq!(types(&resumed[1..4]), ["chapterStart", "stateStart", "play"]);
    assert_eq!(resumed[2]["params"]["media.state.name"], "fullscreen");
    assert_eq!(without_pings(resumed).last().map(String::as_str), Some("sessionComplete"));
    assert_lint_clean(&collector, &first.sid);
    assert_lint_clean(&collector, &second.sid);
}

#[test]
fn calls_in_the_wrong_order_are_ignored_counted_and_reported() {
    let collector = Collector::start(Options::default()).expect("collector");
    let exe = build("wrong_order");
    let url = collector.base_url();
    let out = common::run_c(&exe, &[("MC_ENDPOINT", url.as_str())], Duration::from_secs(60));
    common::assert_c_passed(&out);
    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert_eq!(
        without_pings(&s.events),
        [
            "sessionStart",
            "play",
            "adBreakStart",
            "adStart",
            "play",
            "adComplete",
            "adBreakComplete",
            "play",
            "sessionComplete"
        ]
    );
    assert_lint_clean(&collector, &s.sid);
}

#[test]
fn qoe_at_each_call_and_bad_metadata_entries_dropped_as_in_adobes_sdk() {
    let collector = Collector::start(Options::default()).expect("collector");
    let exe = build("sdk_parity");
    let url = collector.base_url();
    let out = common::run_c(&exe, &[("MC_ENDPOINT", url.as_str())], Duration::from_secs(60));
    common::assert_c_passed(&out);

    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1, "the bad entries did not stop the start; the second start was ignored");
    let s = &sessions[0];
    assert_eq!(
        without_pings(&s.events),
        [
            "sessionStart",
            "play",
            "bitrateChange",
            "bitrateChange",
            "bitrateChange",
            "bitrateChange",
            "adBreakStart",
            "adStart",
            "play",
            "adComplete",
            "adBreakComplete",
            "play",
            "chapterStart",
            "chapterComplete",
            "sessionComplete",
        ]
    );
    let start = &s.events[0];
    assert_eq!(start["customMetadata"], serde_json::json!({"vAlid_keY.12": "value1", "emptyValue": ""}));
    assert_eq!(start["params"]["media.show"], "Show");
    // Each bitrateChange carries the QoE of its call: none, the first twice, the second.
    let qoe = |bitrate: i64| {
        serde_json::json!({
            "media.qoe.bitrate": bitrate, "media.qoe.droppedFrames": 2,
            "media.qoe.framesPerSecond": 3, "media.qoe.timeToStart": 4
        })
    };
    let changes: Vec<&Value> = s.events.iter().filter(|e| e["eventType"] == "bitrateChange").collect();
    assert!(changes[0].get("qoeData").is_none(), "{}", changes[0]);
    assert_eq!(changes[1]["qoeData"], qoe(1));
    assert_eq!(changes[2]["qoeData"], qoe(1));
    assert_eq!(changes[3]["qoeData"], qoe(2));
    let ad = s.events.iter().find(|e| e["eventType"] == "adStart").unwrap();
    assert_eq!(ad["params"]["media.ad.advertiser"], "Acme");
    assert!(ad.get("customMetadata").is_none(), "{ad}");
    let chapter = s.events.iter().find(|e| e["eventType"] == "chapterStart").unwrap();
    assert_eq!(chapter["customMetadata"], serde_json::json!({"chapterKey": "chapterValue"}));
    assert_lint_clean(&collector, &s.sid);
}

/// The same program on Media Edge: each bitrateChange carries the QoE of its call as
/// `qoeDataDetails` (empty when none was set: Edge requires the object), the valid metadata
/// entries arrive as `{name, value}` items, the standard ones in their XDM fields.
#[test]
fn on_media_edge_qoe_at_each_call_and_bad_metadata_entries_dropped() {
    let collector = Collector::start(Options::default()).expect("collector");
    let exe = build("sdk_parity");
    let url = collector.base_url();
    let out = common::run_c(&exe, &[("MC_ENDPOINT", url.as_str()), ("MC_BACKEND", "edge")], Duration::from_secs(60));
    common::assert_c_passed(&out);

    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1, "the bad entries did not stop the start; the second start was ignored");
    let s = &sessions[0];
    let got: Vec<String> = types(&s.events).into_iter().filter(|t| t != "media.ping").collect();
    let expected: Vec<String> = [
        "sessionStart",
        "play",
        "bitrateChange",
        "bitrateChange",
        "bitrateChange",
        "bitrateChange",
        "adBreakStart",
        "adStart",
        "play",
        "adComplete",
        "adBreakComplete",
        "play",
        "chapterStart",
        "chapterComplete",
        "sessionComplete",
    ]
    .iter()
    .map(|t| format!("media.{t}"))
    .collect();
    assert_eq!(got, expected);
    let start = &s.events[0]["mediaCollection"];
    let mut custom = start["customMetadata"].as_array().cloned().unwrap_or_default();
    custom.sort_by_key(|m| m["name"].as_str().unwrap_or_default().to_owned());
    assert_eq!(
        custom,
        [
            serde_json::json!({"name": "emptyValue", "value": ""}),
            serde_json::json!({"name": "vAlid_keY.12", "value": "value1"})
        ]
    );
    assert_eq!(start["sessionDetails"]["show"], "Show");
    let qoe = |bitrate: i64| serde_json::json!({"bitrate": bitrate, "droppedFrames": 2, "framesPerSecond": 3, "timeToStart": 4});
    let changes: Vec<&Value> = s.events.iter().filter(|e| e["eventType"] == "media.bitrateChange").collect();
    let details: Vec<&Value> = changes.iter().map(|e| &e["mediaCollection"]["qoeDataDetails"]).collect();
    assert_eq!(details, [&serde_json::json!({}), &qoe(1), &qoe(1), &qoe(2)]);
    let ad = &s.events.iter().find(|e| e["eventType"] == "media.adStart").unwrap()["mediaCollection"];
    assert_eq!(ad["advertisingDetails"]["advertiser"], "Acme");
    assert!(ad.get("customMetadata").is_none(), "{ad}");
    let chapter = &s.events.iter().find(|e| e["eventType"] == "media.chapterStart").unwrap()["mediaCollection"];
    assert_eq!(chapter["customMetadata"], serde_json::json!([{"name": "chapterKey", "value": "chapterValue"}]));
    assert_lint_clean(&collector, &s.sid);
}
