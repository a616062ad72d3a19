//! The Media Edge side (media-edge.md): the spec's fixtures (§11) as requests the collector
//! accepts or refuses exactly as documented, each response variant, the faults on Edge paths,
//! and the session lint of Edge sessions (tracker scenarios mapped to XDM per §6: zero errors).

mod common;

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{Reply, get, post, send, try_send};
use mc_collector::lint::Severity;
use mc_collector::{Api, Collector, EdgeOptions, Endpoint, Fault, FaultKind, Gate, Options, reason};
use serde_json::{Map, Value, json};

const Q: &str = "?configId=ds-test-1";

fn collector() -> Collector {
    Collector::start(Options::default()).expect("collector")
}

fn read(dir: &str, name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(dir).join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// An Edge fixture with `{SID}` replaced by `sid`.
fn fixture(name: &str, sid: &str) -> Value {
    let text = read("edge", name).to_string().replace("{SID}", sid);
    serde_json::from_str(&text).expect("fixture JSON")
}

fn envelope(xdm: &Value) -> Value {
    json!({"events": [{"xdm": xdm}]})
}

fn edge(c: &Collector, path: &str, body: &Value) -> Reply {
    send("POST", &format!("{}{path}", c.base_url()), Some("application/json"), Some(body.to_string().as_bytes()))
}

/// The session id of a sessionStart answer, found by handle type (never by position).
fn sid_of(r: &Reply) -> Option<String> {
    let body = r.json();
    let handle = body["handle"].as_array()?;
    let h = handle.iter().find(|h| h["type"] == "media-analytics:new-session")?;
    h["payload"][0]["sessionId"].as_str().map(str::to_string)
}

fn start(c: &Collector) -> String {
    let r = edge(c, &format!("/ee/va/v1/sessionStart{Q}"), &read("edge", "f01_session_start.json"));
    assert_eq!(r.status, 200, "{}", r.body);
    sid_of(&r).expect("a new-session handle")
}

fn detail_names(r: &Reply, details: &Value) -> Vec<String> {
    details
        .as_array()
        .unwrap_or_else(|| panic!("details array in {}", r.body))
        .iter()
        .map(|d| d["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn last_request(c: &Collector) -> mc_collector::RequestRecord {
    c.requests().pop().expect("a request")
}

#[test]
fn f1_session_start_is_answered_200_with_a_new_session_handle_and_the_location_hint() {
    let c = collector();
    let mut positions = HashSet::new();
    for _ in 0..3 {
        let r = edge(&c, &format!("/ee/va/v1/sessionStart{Q}"), &read("edge", "f01_session_start.json"));
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.header("content-type").is_some_and(|t| t.starts_with("application/json")));
        let body = r.json();
        let handle = body["handle"].as_array().expect("handle[]");
        positions.insert(handle.iter().position(|h| h["type"] == "media-analytics:new-session"));
        let hint = handle.iter().find(|h| h["type"] == "locationHint:result").expect("location hint handle");
        assert_eq!(hint["payload"][0], json!({"scope": "EdgeNetwork", "hint": "or2", "ttlSeconds": 1800}));
        assert_eq!(body["requestId"].as_str().map(str::len), Some(36));
        let sid = sid_of(&r).expect("sessionId");
        assert!(common::is_sid(&sid), "{sid}");
        let s = c.session(&sid).expect("recorded");
        assert_eq!((s.api, s.location_hint.as_deref()), (Api::Edge, Some("or2")));
        assert_eq!(s.events, vec![read("edge", "f01_session_start.json")["events"][0]["xdm"].clone()]);
    }
    assert_eq!(positions.len(), 3, "the new-session handle moves between sessions: {positions:?}");
    // A requestId in the query is echoed.
    let r =
        edge(&c, "/ee/va/v1/sessionStart?configId=ds-test-1&requestId=req-1", &read("edge", "f01_session_start.json"));
    assert_eq!(r.json()["requestId"], "req-1");
}

#[test]
fn f3_bad_session_start_is_answered_207_with_every_failure_and_no_session() {
    let c = collector();
    let r = edge(&c, &format!("/ee/va/v1/sessionStart{Q}"), &read("edge", "f03_session_start_bad.json"));
    assert_eq!(r.status, 207, "{}", r.body);
    assert_eq!(sid_of(&r), None);
    let body = r.json();
    assert!(body["handle"].as_array().unwrap().iter().any(|h| h["type"] == "locationHint:result"));
    let e = &body["errors"][0];
    assert_eq!(e["type"], "https://ns.adobe.com/aep/errors/va-edge-0400-400");
    assert_eq!(e["status"], 400);
    assert_eq!(e["report"]["eventIndex"], 0);
    let names = detail_names(&r, &e["report"]["details"]);
    assert!(names.contains(&"$.xdm.mediaCollection.sessionDetails.name".to_string()), "{names:?}");
    assert!(names.contains(&"$.xdm.timestamp".to_string()), "{names:?}");
    let reasons = e["report"]["details"].to_string();
    assert!(reasons.contains("Missing required field") && reasons.contains("ISO 8601"), "{reasons}");
    assert!(c.sessions().is_empty());
    let rec = last_request(&c);
    assert_eq!((rec.status, rec.sid.clone()), (207, None));
    assert!(rec.rejected_content());
    assert_eq!(c.summary().rejected_requests, 1, "a 207 that started no session fails the gate");
}

#[test]
fn f4_events_with_the_location_hint_are_answered_204_and_recorded() {
    let c = collector();
    let sid = start(&c);
    let r = edge(&c, &format!("/ee/or2/va/v1/play{Q}"), &fixture("f04_play.json", &sid));
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    assert!(last_request(&c).warnings.is_empty(), "{:?}", last_request(&c).warnings);
    // Without the hint the event is accepted, with a warning that names the hint to use.
    let ping = envelope(&json!({"eventType": "media.ping", "timestamp": "2022-03-04T13:39:10.000Z",
        "mediaCollection": {"sessionID": sid, "playhead": 35}}));
    assert_eq!(edge(&c, &format!("/ee/va/v1/ping{Q}"), &ping).status, 204);
    let rec = last_request(&c);
    assert_eq!(rec.sid.as_deref(), Some(sid.as_str()));
    let w: Vec<&str> = rec.warnings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(w, ["location-hint"], "{:?}", rec.warnings);
    assert!(rec.warnings[0].message.contains("/ee/or2/va/v1/"), "{}", rec.warnings[0].message);
    let s = c.session(&sid).unwrap();
    let kinds: Vec<&str> = s.events.iter().map(|e| e["eventType"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["media.sessionStart", "media.play", "media.ping"]);
}

#[test]
fn f5_event_without_playhead_is_answered_400_problem_json() {
    let c = collector();
    let sid = start(&c);
    let r = edge(&c, &format!("/ee/or2/va/v1/ping{Q}"), &fixture("f05_ping_no_playhead.json", &sid));
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let body = r.json();
    assert_eq!(body["type"], "https://ns.adobe.com/aep/errors/va-edge-0400-400");
    assert_eq!(body["title"], "Bad Request");
    let names = detail_names(&r, &body["report"]["details"]);
    assert_eq!(names, ["$.events[0].xdm.mediaCollection.playhead"]);
    assert!(body["report"]["details"][0]["reason"].as_str().unwrap().starts_with("Missing required field"));
    assert!(body["report"]["requestId"].is_string());
    assert_eq!(c.session(&sid).unwrap().events.len(), 1, "not accepted");
    assert!(last_request(&c).rejected_content());
}

#[test]
fn f6_path_event_type_mismatch_is_answered_400() {
    let c = collector();
    let sid = start(&c);
    let r = edge(&c, &format!("/ee/or2/va/v1/chapterStart{Q}"), &fixture("f06_ad_break_start.json", &sid));
    assert_eq!(r.status, 400, "{}", r.body);
    let body = r.json();
    assert_eq!(body["type"], "https://ns.adobe.com/aep/errors/va-edge-0400-400");
    assert_eq!(
        body["report"]["details"],
        "The payload eventType adBreakStart was different from the path eventType chapterStart"
    );
    assert_eq!(c.session(&sid).unwrap().events.len(), 1);
    // The same body on its own path is accepted.
    assert_eq!(
        edge(&c, &format!("/ee/or2/va/v1/adBreakStart{Q}"), &fixture("f06_ad_break_start.json", &sid)).status,
        204
    );
}

#[test]
fn f7_unknown_ended_and_expired_sessions_are_404_or_410() {
    let c = collector();
    let unknown = "5c32e1a6ef6b58be5136ba8db2f79f1d251d3121a898bc8fb60123b8fdb9aa1c";
    let r = edge(&c, &format!("/ee/va6/va/v1/play{Q}"), &fixture("f04_play.json", unknown));
    assert_eq!(r.status, 404, "{}", r.body);
    let body = r.json();
    assert_eq!(body["type"], "https://ns.adobe.com/aep/errors/va-edge-0404-404");
    assert!(body["report"]["details"].as_str().unwrap().contains("please start a new one"), "{}", r.body);

    // Ended by sessionEnd: 404, the event kept as dropped.
    let sid = start(&c);
    let end = envelope(&json!({"eventType": "media.sessionEnd", "timestamp": "2022-03-04T13:39:01.000Z",
        "mediaCollection": {"sessionID": sid, "playhead": 25}}));
    assert_eq!(edge(&c, &format!("/ee/or2/va/v1/sessionEnd{Q}"), &end).status, 204);
    assert_eq!(edge(&c, &format!("/ee/or2/va/v1/play{Q}"), &fixture("f04_play.json", &sid)).status, 404);
    let s = c.session(&sid).unwrap();
    assert_eq!((s.closed.as_deref(), s.dropped.len()), (Some(reason::SESSION_END), 1));

    // Expired (10 min idle): 410 by default.
    let sid = start(&c);
    c.advance_clock(Duration::from_secs(10 * 60));
    let r = edge(&c, &format!("/ee/or2/va/v1/play{Q}"), &fixture("f04_play.json", &sid));
    assert_eq!(r.status, 410, "{}", r.body);
    assert_eq!(r.json()["type"], "https://ns.adobe.com/aep/errors/va-edge-0410-410");
    assert!(!last_request(&c).rejected_content(), "404/410 answers do not fail the gate");

    // ... 404 when so configured, 204 with silent drop.
    for (opts, status) in [
        (Options { edge: EdgeOptions { expired_status: 404, ..EdgeOptions::default() }, ..Options::default() }, 404),
        (Options { silent_drop: true, ..Options::default() }, 204),
    ] {
        let c = Collector::start(opts).expect("collector");
        let sid = start(&c);
        c.advance_clock(Duration::from_secs(10 * 60));
        assert_eq!(edge(&c, &format!("/ee/or2/va/v1/play{Q}"), &fixture("f04_play.json", &sid)).status, status);
        assert_eq!(c.session(&sid).unwrap().dropped.len(), 1);
    }
    // An MC session id is unknown to the Edge paths and the other way round.
    let mc_sid = common::start(&c);
    assert_eq!(edge(&c, &format!("/ee/or2/va/v1/play{Q}"), &fixture("f04_play.json", &mc_sid)).status, 404);
    let edge_sid = start(&c);
    let mc_play = common::event("play", 1.0, common::T0 + 1);
    assert_eq!(post(&c, &common::events_path(&edge_sid), &mc_play).status, 404);
}

#[test]
fn f8_datastream_ids_are_checked() {
    let c = collector();
    let r = edge(&c, "/ee/va/v1/sessionStart", &read("edge", "f01_session_start.json"));
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["type"], "https://ns.adobe.com/aep/errors/EXEG-0003-400");
    assert!(r.json()["detail"].as_str().unwrap().contains("configId"));
    // Events without configId are accepted (SWAGGER declares it on sessionStart only), with a warning.
    let sid = start(&c);
    assert_eq!(edge(&c, "/ee/or2/va/v1/play", &fixture("f04_play.json", &sid)).status, 204);
    assert_eq!(last_request(&c).warnings[0].rule, "configId");

    let opts = Options {
        edge: EdgeOptions { datastreams: vec!["ds-test-1".into()], ..EdgeOptions::default() },
        ..Options::default()
    };
    let c = Collector::start(opts).expect("collector");
    let r = edge(&c, "/ee/va/v1/sessionStart?configId=bad", &read("edge", "f01_session_start.json"));
    assert_eq!(r.status, 400);
    let body = r.json();
    assert_eq!(
        (body["type"].as_str(), body["title"].as_str()),
        (Some("https://ns.adobe.com/aep/errors/EXEG-0003-400"), Some("Invalid datastream ID"))
    );
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("The datastream ID 'bad' referenced in your request does not exist")
    );
    assert!(body["report"]["requestId"].is_string());
    assert_eq!(start(&c).len(), 64);
}

#[test]
fn a_datastream_without_media_analytics_answers_200_without_a_session_id() {
    let opts = Options {
        edge: EdgeOptions {
            datastreams: vec!["ds-test-1".into()],
            datastreams_without_media: vec!["ds-no-media".into()],
            ..EdgeOptions::default()
        },
        ..Options::default()
    };
    let c = Collector::start(opts).expect("collector");
    let r = edge(&c, "/ee/va/v1/sessionStart?configId=ds-no-media", &read("edge", "f01_session_start.json"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(sid_of(&r), None);
    assert!(r.json()["handle"].as_array().unwrap().iter().any(|h| h["type"] == "locationHint:result"));
    assert!(c.sessions().is_empty());
    assert!(last_request(&c).error.unwrap().contains("without Media Analytics"));
    assert_eq!(start(&c).len(), 64, "the other datastream has Media Analytics");
}

#[test]
fn a_request_that_asks_for_streaming_gets_one_record_separated_answer() {
    let c = collector();
    let mut body = read("edge", "f01_session_start.json");
    body["meta"] =
        json!({"konductorConfig": {"streaming": {"enabled": true, "recordSeparator": "\u{0}", "lineFeed": "\n"}}});
    let r = edge(&c, &format!("/ee/va/v1/sessionStart{Q}"), &body);
    assert_eq!(r.status, 200);
    let record =
        r.body.strip_prefix('\u{0}').and_then(|b| b.strip_suffix('\n')).unwrap_or_else(|| panic!("{:?}", r.body));
    let v: Value = serde_json::from_str(record).unwrap();
    let sid =
        v["handle"].as_array().unwrap().iter().find(|h| h["type"] == "media-analytics:new-session").unwrap()["payload"]
            [0]["sessionId"]
            .as_str()
            .unwrap()
            .to_string();
    assert_eq!(c.session(&sid).unwrap().api, Api::Edge);
}

#[test]
fn several_identities_need_a_primary_one() {
    let c = collector();
    let mut body = read("edge", "f01_session_start.json");
    body["events"][0]["xdm"]["identityMap"] = json!({"FPID": [{"id": "f1"}], "ECID": [{"id": "e1"}]});
    let r = edge(&c, &format!("/ee/va/v1/sessionStart{Q}"), &body);
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["type"], "https://ns.adobe.com/aep/errors/EXEG-0306-400");
    assert!(r.json()["detail"].as_str().unwrap().starts_with("2 identities"));
    body["events"][0]["xdm"]["identityMap"]["ECID"][0]["primary"] = json!(true);
    assert_eq!(edge(&c, &format!("/ee/va/v1/sessionStart{Q}"), &body).status, 200);
}

#[test]
fn f9_to_f13_event_bodies_are_accepted_and_an_empty_states_update_refused() {
    let c = collector();
    let sid = start(&c);
    for (op, name) in [
        ("adBreakStart", "f06_ad_break_start.json"),
        ("adStart", "f09_ad_start.json"),
        ("chapterStart", "f10_chapter_start.json"),
        ("error", "f11_error.json"),
        ("bitrateChange", "f12_bitrate_change.json"),
        ("statesUpdate", "f13_states_update.json"),
    ] {
        let r = edge(&c, &format!("/ee/or2/va/v1/{op}{Q}"), &fixture(name, &sid));
        assert_eq!(r.status, 204, "{name}: {}", r.body);
        let rec = last_request(&c);
        assert!(rec.errors.is_empty() && rec.warnings.is_empty(), "{name}: {:?} {:?}", rec.errors, rec.warnings);
    }
    let r = edge(&c, &format!("/ee/or2/va/v1/statesUpdate{Q}"), &fixture("f13_states_update_empty.json", &sid));
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.json()["report"]["details"][0]["reason"].as_str().unwrap().contains("Empty statesUpdate event"));
    // A float where the API takes an integer, and a detail object where it is "not allowed".
    let mut ad = fixture("f09_ad_start.json", &sid);
    ad["events"][0]["xdm"]["mediaCollection"]["advertisingDetails"]["length"] = json!(15.5);
    let r = edge(&c, &format!("/ee/or2/va/v1/adStart{Q}"), &ad);
    assert_eq!(r.status, 400);
    assert_eq!(
        detail_names(&r, &r.json()["report"]["details"]),
        ["$.events[0].xdm.mediaCollection.advertisingDetails.length"]
    );
    let mut complete = fixture("f04_play.json", &sid);
    complete["events"][0]["xdm"]["eventType"] = json!("media.adComplete");
    complete["events"][0]["xdm"]["mediaCollection"]["advertisingDetails"] = json!({"name": "001"});
    assert_eq!(edge(&c, &format!("/ee/or2/va/v1/adComplete{Q}"), &complete).status, 204, "lenient: a warning");
    assert_eq!(last_request(&c).warnings[0].path, "/events/0/xdm/mediaCollection/advertisingDetails");
    assert_eq!(c.session(&sid).unwrap().events.len(), 8);
}

#[test]
fn f14_downloaded_is_answered_200_and_kept_as_a_closed_downloaded_session() {
    let c = collector();
    let r = edge(&c, &format!("/ee/va/v1/downloaded{Q}"), &read("edge", "f14_downloaded.json"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(sid_of(&r), None, "no session id for a downloaded session (media-edge.md §10.13)");
    assert!(r.json()["handle"].as_array().unwrap().iter().any(|h| h["type"] == "locationHint:result"));
    let s = &c.sessions()[0];
    assert_eq!((s.api, s.downloaded, s.closed.as_deref()), (Api::Edge, true, Some(reason::DOWNLOADED)));
    let kinds: Vec<&str> = s.events.iter().map(|e| e["eventType"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["media.sessionStart", "media.play", "media.ping", "media.sessionComplete"]);
    assert_eq!(s.events[1]["timestamp"], "2025-09-26T15:52:25+00:00");
    assert!(c.lint(&s.sid).iter().all(|f| f.severity != Severity::Error), "{:?}", c.lint(&s.sid));

    // A sessionID in an item, and a first item that is not sessionStart: 207, no session.
    let mut with_sid = read("edge", "f14_downloaded.json");
    with_sid["events"][0]["xdm"]["mediaDownloadedEvents"][1]["mediaCollection"]["sessionID"] = json!("abc");
    let r = edge(&c, &format!("/ee/va/v1/downloaded{Q}"), &with_sid);
    assert_eq!(r.status, 207, "{}", r.body);
    let names = detail_names(&r, &r.json()["errors"][0]["report"]["details"]);
    assert_eq!(names, ["$.xdm.mediaDownloadedEvents[1].mediaCollection.sessionID"]);
    let mut no_start = read("edge", "f14_downloaded.json");
    no_start["events"][0]["xdm"]["mediaDownloadedEvents"].as_array_mut().unwrap().remove(0);
    let r = edge(&c, &format!("/ee/va/v1/downloaded{Q}"), &no_start);
    assert_eq!(r.status, 207);
    assert!(r.body.contains("must be media.sessionStart"), "{}", r.body);
    assert_eq!(c.sessions().len(), 1);
}

#[test]
fn bodies_over_64_kb_are_413_and_other_content_types_415() {
    let c = collector();
    let mut big = read("edge", "f14_downloaded.json");
    let items = big["events"][0]["xdm"]["mediaDownloadedEvents"].as_array_mut().unwrap();
    let ping = items[2].clone();
    while serde_json::to_vec(&items).unwrap().len() <= 64 * 1024 {
        items.insert(2, ping.clone());
    }
    let r = edge(&c, &format!("/ee/va/v1/downloaded{Q}"), &big);
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.json()["type"], "https://ns.adobe.com/aep/errors/EXEG-0112-413");
    assert!(r.json()["detail"].as_str().unwrap().contains("65536"));

    let url = format!("{}/ee/va/v1/sessionStart{Q}", c.base_url());
    let body = read("edge", "f01_session_start.json").to_string();
    let r = send("POST", &url, Some("application/x-www-form-urlencoded"), Some(body.as_bytes()));
    assert_eq!(r.status, 415, "{}", r.body);
    assert_eq!(r.json()["type"], "https://ns.adobe.com/aep/errors/EXEG-0111-415");
    assert_eq!(send("POST", &url, None, Some(body.as_bytes())).status, 415);
    assert_eq!(send("POST", &url, Some("text/plain"), Some(body.as_bytes())).status, 200);
    assert_eq!(c.summary().rejected_requests, 3);
}

#[test]
fn malformed_bodies_and_envelopes_are_400() {
    let c = collector();
    let url = format!("{}/ee/va/v1/play{Q}", c.base_url());
    let r = send("POST", &url, Some("application/json"), Some(b"{\"events\":"));
    assert_eq!(r.status, 400);
    assert!(r.json()["detail"].as_str().unwrap().starts_with("malformed JSON"));
    let sid = start(&c);
    let play = fixture("f04_play.json", &sid)["events"][0]["xdm"].clone();
    let two = json!({"events": [{"xdm": play}, {"xdm": play}]});
    let r = edge(&c, &format!("/ee/or2/va/v1/play{Q}"), &two);
    assert_eq!(r.status, 400);
    assert!(r.body.contains("one event per request"), "{}", r.body);
    let r = edge(&c, &format!("/ee/or2/va/v1/play{Q}"), &play);
    assert_eq!(r.status, 400, "a bare xdm without the envelope");
    assert_eq!(detail_names(&r, &r.json()["report"]["details"]), ["$.events"]);
}

#[test]
fn timestamp_is_required_in_strict_mode_and_a_warning_in_lenient_mode() {
    let mut start_body = read("edge", "f01_session_start.json");
    start_body["events"][0]["xdm"].as_object_mut().unwrap().remove("timestamp");
    let c = collector();
    assert_eq!(edge(&c, &format!("/ee/va/v1/sessionStart{Q}"), &start_body).status, 200);
    let w = last_request(&c).warnings;
    assert!(w.iter().any(|f| f.path == "/events/0/xdm/timestamp" && f.rule == "required"), "{w:?}");
    let strict = Collector::start(Options { strict: true, ..Options::default() }).expect("collector");
    let r = edge(&strict, &format!("/ee/va/v1/sessionStart{Q}"), &start_body);
    assert_eq!(r.status, 207);
    assert_eq!(detail_names(&r, &r.json()["errors"][0]["report"]["details"]), ["$.xdm.timestamp"]);

    // Unknown fields: a warning in lenient mode, refused in strict mode.
    for (c, expected) in [(&c, 204), (&strict, 400)] {
        let sid = start(c);
        let mut play = fixture("f04_play.json", &sid);
        play["events"][0]["xdm"]["mediaCollection"]["sessionId"] = json!(sid);
        let r = edge(c, &format!("/ee/or2/va/v1/play{Q}"), &play);
        assert_eq!(r.status, expected, "{}", r.body);
        let rec = last_request(c);
        let found = rec.errors.iter().chain(&rec.warnings).any(|f| f.path == "/events/0/xdm/mediaCollection/sessionId");
        assert!(found, "{:?} {:?}", rec.errors, rec.warnings);
    }
}

#[test]
fn a_session_start_with_a_session_id_is_a_warning_in_lenient_mode_and_refused_in_strict_mode() {
    let mut body = read("edge", "f01_session_start.json");
    body["events"][0]["xdm"]["mediaCollection"]["sessionID"] = json!("mine");
    let c = collector();
    assert_eq!(edge(&c, &format!("/ee/va/v1/sessionStart{Q}"), &body).status, 200);
    assert_eq!(last_request(&c).warnings[0].rule, "sessionStart-sessionID");
    let strict = Collector::start(Options { strict: true, ..Options::default() }).expect("collector");
    let r = edge(&strict, &format!("/ee/va/v1/sessionStart{Q}"), &body);
    assert_eq!(r.status, 207);
    assert_eq!(detail_names(&r, &r.json()["errors"][0]["report"]["details"]), ["$.xdm.mediaCollection.sessionID"]);
}

#[test]
fn unknown_edge_operations_are_404_and_count_as_unknown_paths() {
    let c = collector();
    let r = edge(&c, &format!("/ee/va/v1/stateStart{Q}"), &json!({}));
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert!(r.json()["detail"].as_str().unwrap().contains("statesUpdate"), "{}", r.body);
    assert_eq!(get(&c, "/ee/or2/va/v1/play").status, 405);
    assert_eq!(c.summary().unknown_path_requests, 1);
    let verdict = Gate { expect_sessions: 0 }.judge(&c.report_json(), None);
    assert!(!verdict.ok());
    // Pre-production paths are served too.
    let r = edge(&c, &format!("/ee-pre-prd/va/v1/sessionStart{Q}"), &read("edge", "f01_session_start.json"));
    assert_eq!(r.status, 200);
}

fn post_session(c: &Collector, events: &[Value]) -> String {
    let r = edge(c, &format!("/ee/va/v1/sessionStart{Q}"), &envelope(&events[0]));
    assert_eq!(r.status, 200, "{}", r.body);
    let sid = sid_of(&r).unwrap();
    for e in &events[1..] {
        let text = e.to_string().replace("{SID}", &sid);
        let mut e: Value = serde_json::from_str(&text).unwrap();
        e["mediaCollection"]["sessionID"] = json!(sid);
        let op = e["eventType"].as_str().unwrap().trim_start_matches("media.").to_string();
        let r = edge(c, &format!("/ee/or2/va/v1/{op}{Q}"), &envelope(&e));
        assert_eq!(r.status, 204, "{op}: {}", r.body);
        let rec = last_request(c);
        assert!(rec.warnings.is_empty(), "{op}: {:?}", rec.warnings);
    }
    sid
}

#[test]
fn f16_doc_example_sessions_lint_without_errors() {
    let c = collector();
    for name in ["f16_example1.json", "f16_example2.json"] {
        let events = read("edge", name).as_array().unwrap().clone();
        let sid = post_session(&c, &events);
        let s = c.session(&sid).unwrap();
        assert_eq!(s.events.len(), events.len());
        let errors: Vec<_> = c.lint(&sid).into_iter().filter(|f| f.severity == Severity::Error).collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
    assert_eq!(c.sessions()[0].closed.as_deref(), Some(reason::SESSION_END));
    assert!(c.summary().ok());
}

// ---- tracker scenarios as Media Edge sessions (media-edge.md §6) ----------------------------

fn iso(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).expect("ts");
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Rounds half away from zero, as the spec recommends for every integer field (§2).
fn int(v: &Value) -> Value {
    json!(v.as_f64().map_or(0, |f| f.round() as i64))
}

/// Copies MC params into an XDM object by the §6 tables (`int` for the integer fields).
fn pick(params: &Map<String, Value>, table: &[(&str, &str, bool)]) -> Option<Value> {
    let mut out = Map::new();
    for (mc, xdm, integer) in table {
        if let Some(v) = params.get(*mc) {
            out.insert((*xdm).to_string(), if *integer { int(v) } else { v.clone() });
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// One MC event as the Media Edge `xdm` the library's Edge back end is to send (§6): written
/// here from the spec's forward tables, independently of the collector's reverse mapping.
fn mc_to_edge(e: &Value) -> Value {
    let kind = e["eventType"].as_str().unwrap();
    let empty = Map::new();
    let params = e["params"].as_object().unwrap_or(&empty);
    let qoe = e["qoeData"].as_object().unwrap_or(&empty);
    let mut mc = Map::new();
    mc.insert("playhead".into(), int(&e["playerTime"]["playhead"]));
    let session = [
        ("media.id", "name", false),
        ("media.name", "friendlyName", false),
        ("media.length", "length", true),
        ("media.contentType", "contentType", false),
        ("media.streamType", "streamType", false),
        ("media.playerName", "playerName", false),
        ("media.channel", "channel", false),
        ("media.resume", "hasResume", false),
    ];
    let ad = [
        ("media.ad.id", "name", false),
        ("media.ad.name", "friendlyName", false),
        ("media.ad.length", "length", true),
        ("media.ad.podPosition", "podPosition", true),
        ("media.ad.playerName", "playerName", false),
    ];
    let pod = [
        ("media.ad.podIndex", "index", true),
        ("media.ad.podSecond", "offset", true),
        ("media.ad.podFriendlyName", "friendlyName", false),
    ];
    let chapter = [
        ("media.chapter.index", "index", true),
        ("media.chapter.offset", "offset", true),
        ("media.chapter.length", "length", true),
        ("media.chapter.friendlyName", "friendlyName", false),
    ];
    let q = [
        ("media.qoe.bitrate", "bitrate", true),
        ("media.qoe.droppedFrames", "droppedFrames", true),
        ("media.qoe.framesPerSecond", "framesPerSecond", true),
        ("media.qoe.timeToStart", "timeToStart", true),
    ];
    let edge_kind = match kind {
        "stateStart" | "stateEnd" => {
            let list = if kind == "stateStart" { "statesStart" } else { "statesEnd" };
            mc.insert(list.into(), json!([{"name": params["media.state.name"]}]));
            "statesUpdate"
        }
        "statesUpdate" => {
            for list in ["statesStart", "statesEnd"] {
                if let Some(items) = params.get(list).and_then(Value::as_array) {
                    let names: Vec<Value> = items.iter().map(|i| json!({"name": i["media.state.name"]})).collect();
                    mc.insert(list.into(), Value::Array(names));
                }
            }
            kind
        }
        "error" => {
            let name = qoe.get("media.qoe.errorID").or(params.get("media.errorId")).cloned();
            let source = qoe.get("media.qoe.errorSource").or(params.get("media.errorSource")).cloned();
            mc.insert("errorDetails".into(), json!({"name": name, "source": source}));
            kind
        }
        _ => kind,
    };
    for (key, table) in [
        ("sessionDetails", &session[..]),
        ("advertisingDetails", &ad),
        ("advertisingPodDetails", &pod),
        ("chapterDetails", &chapter),
    ] {
        let wanted = matches!(
            (key, kind),
            ("sessionDetails", "sessionStart")
                | ("advertisingDetails", "adStart")
                | ("advertisingPodDetails", "adBreakStart")
                | ("chapterDetails", "chapterStart")
        );
        if let (true, Some(v)) = (wanted, pick(params, table)) {
            mc.insert(key.into(), v);
        }
    }
    let qoe_details = pick(qoe, &q);
    match (qoe_details, kind) {
        (Some(v), _) => {
            mc.insert("qoeDataDetails".into(), v);
        }
        (None, "bitrateChange") => {
            mc.insert("qoeDataDetails".into(), json!({}));
        }
        _ => {}
    }
    if let (Some(cm), "sessionStart" | "adStart" | "chapterStart") = (e["customMetadata"].as_object(), kind) {
        let items: Vec<Value> = cm.iter().map(|(k, v)| json!({"name": k, "value": v})).collect();
        mc.insert("customMetadata".into(), Value::Array(items));
    }
    json!({"eventType": format!("media.{edge_kind}"), "timestamp": iso(e["playerTime"]["ts"].as_i64().unwrap()), "mediaCollection": mc})
}

#[test]
fn tracker_scenarios_mapped_to_xdm_lint_without_errors() {
    let c = collector();
    let online = [
        "s1.json",
        "s1_session_end.json",
        "s2.json",
        "s3.json",
        "s4.json",
        "s5.json",
        "s6.json",
        "s7.json",
        "s8.json",
        "tl1_session.json",
        "ads_no_granular.json",
        "live_states_errors.json",
    ];
    for name in online {
        let events: Vec<Value> = read("", name).as_array().unwrap().iter().map(mc_to_edge).collect();
        let sid = post_session(&c, &events);
        assert_eq!(c.session(&sid).unwrap().events.len(), events.len(), "{name}");
        let findings = c.lint(&sid);
        let errors: Vec<_> = findings.iter().filter(|f| f.severity == Severity::Error).collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
    for name in ["downloaded_example.json", "downloaded_50s.json"] {
        let items: Vec<Value> = read("", name)
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let x = mc_to_edge(e);
                json!({"mediaEventType": x["eventType"], "mediaEventTimestamp": x["timestamp"], "mediaCollection": x["mediaCollection"]})
            })
            .collect();
        let n = items.len();
        let body = envelope(
            &json!({"eventType": "media.downloaded", "identityMap": {"FPID": [{"id": "fpid-1", "primary": true}]}, "mediaDownloadedEvents": items}),
        );
        let r = edge(&c, &format!("/ee/va/v1/downloaded{Q}"), &body);
        assert_eq!(r.status, 200, "{name}: {}", r.body);
        let s = c.sessions().pop().unwrap();
        assert_eq!((s.downloaded, s.events.len()), (true, n));
        let errors: Vec<_> = c.lint(&s.sid).into_iter().filter(|f| f.severity == Severity::Error).collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
    let summary = c.summary();
    assert_eq!((summary.sessions, summary.lint_errors, summary.rejected_requests), (online.len() + 2, 0, 0));
}

#[test]
fn session_rules_find_errors_in_edge_sessions_and_the_report_shows_them() {
    let c = collector();
    let sid = start(&c);
    let mut ad = fixture("f09_ad_start.json", &sid);
    ad["events"][0]["xdm"]["timestamp"] = json!("2023-04-04T11:35:17.000Z");
    assert_eq!(edge(&c, &format!("/ee/or2/va/v1/adStart{Q}"), &ad).status, 204);
    let findings = c.lint(&sid);
    assert!(findings.iter().any(|f| f.rule == "ad-outside-break" && f.severity == Severity::Error), "{findings:?}");
    assert_eq!(c.summary().lint_errors, 1, "{findings:?}");
    let report = c.report_json();
    assert_eq!(report["sessions"][0]["api"], "edge");
    assert_eq!(report["sessions"][0]["location_hint"], "or2");
    let text = mc_collector::show::render(&report, &Gate::default());
    assert!(text.contains(&format!("Media Edge session {sid}: 2 events, 1 error")), "{text}");
    assert!(text.contains("media.adStart") && text.contains("media.ad.id=\"001\""), "{text}");
    assert!(text.contains("^ error ad-outside-break"), "{text}");
    assert!(text.contains("verdict: FAIL"), "{text}");
}

// ---- faults on Edge paths ----------------------------------------------------------------------

fn fault(endpoint: Endpoint, kind: FaultKind, times: Option<u32>) -> Fault {
    Fault { times, ..Fault::every(endpoint, kind) }
}

fn status(status: u16, headers: &[(&str, &str)]) -> FaultKind {
    FaultKind::Status {
        status,
        headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        body: None,
    }
}

#[test]
fn faults_apply_to_edge_paths_from_rust() {
    let c = collector();
    let url = |p: &str| format!("{}{p}{Q}", c.base_url());
    let start_body = read("edge", "f01_session_start.json").to_string();

    c.add_fault(fault(Endpoint::Sessions, status(503, &[("Retry-After", "2")]), Some(1)));
    let r = send("POST", &url("/ee/va/v1/sessionStart"), Some("application/json"), Some(start_body.as_bytes()));
    assert_eq!((r.status, r.header("retry-after")), (503, Some("2")));
    assert!(c.sessions().is_empty());
    let sid = start(&c);

    // 404 to every event, until cleared.
    c.add_fault(fault(Endpoint::Events, status(404, &[]), None));
    for _ in 0..3 {
        assert_eq!(edge(&c, &format!("/ee/or2/va/v1/play{Q}"), &fixture("f04_play.json", &sid)).status, 404);
    }
    assert_eq!(c.session(&sid).unwrap().events.len(), 1);
    assert_eq!(last_request(&c).fault.as_deref(), Some("status 404"));
    c.clear_faults();

    c.add_fault(fault(Endpoint::Events, FaultKind::Delay(Duration::from_millis(300)), Some(1)));
    let t = Instant::now();
    assert_eq!(edge(&c, &format!("/ee/or2/va/v1/play{Q}"), &fixture("f04_play.json", &sid)).status, 204);
    assert!(t.elapsed() >= Duration::from_millis(300));

    let play = fixture("f04_play.json", &sid).to_string();
    let short = Duration::from_millis(500);
    c.add_fault(fault(Endpoint::Events, FaultKind::DropBeforeRead, Some(1)));
    assert!(
        try_send("POST", &url("/ee/or2/va/v1/play"), Some("application/json"), Some(play.as_bytes()), short).is_err()
    );
    c.add_fault(fault(Endpoint::Events, FaultKind::DropAfterRead, Some(1)));
    assert!(
        try_send("POST", &url("/ee/or2/va/v1/play"), Some("application/json"), Some(play.as_bytes()), short).is_err()
    );
    c.add_fault(fault(Endpoint::Events, FaultKind::Hang, Some(1)));
    assert!(
        try_send("POST", &url("/ee/or2/va/v1/play"), Some("application/json"), Some(play.as_bytes()), short).is_err()
    );
    // Delay and drop_after_read handle the event; drop_before_read and hang do not.
    let s = c.session(&sid).unwrap();
    assert_eq!(s.events.len(), 3);
    // Every faulted event is recorded under its session (read from the body's sessionID).
    let faults: Vec<&str> = s.requests.iter().filter_map(|r| r.fault.as_deref()).collect();
    assert_eq!(
        faults,
        ["status 404", "status 404", "status 404", "delay 300 ms", "drop_before_read", "drop_after_read", "hang"]
    );

    c.add_fault(fault(Endpoint::Downloaded, status(502, &[]), Some(1)));
    assert_eq!(edge(&c, &format!("/ee/va/v1/downloaded{Q}"), &read("edge", "f14_downloaded.json")).status, 502);
    assert_eq!(c.sessions().len(), 1);
}

#[test]
fn faults_over_http_apply_to_edge_paths() {
    let c = collector();
    let sid = start(&c);
    let set = |f: Value| assert_eq!(post(&c, "/__debug/faults", &f).status, 200);
    set(json!({"endpoint": "events", "kind": "status", "status": 410, "times": 2}));
    for _ in 0..2 {
        assert_eq!(edge(&c, &format!("/ee/or2/va/v1/play{Q}"), &fixture("f04_play.json", &sid)).status, 410);
    }
    assert_eq!(edge(&c, &format!("/ee/or2/va/v1/play{Q}"), &fixture("f04_play.json", &sid)).status, 204);
    set(json!({"endpoint": "any", "kind": "status", "status": 429, "headers": {"Retry-After": "1"}, "share": 0.5}));
    let r1 = edge(&c, &format!("/ee/va/v1/sessionStart{Q}"), &read("edge", "f01_session_start.json"));
    let r2 = edge(&c, &format!("/ee/va/v1/sessionStart{Q}"), &read("edge", "f01_session_start.json"));
    assert_eq!((r1.status, r2.status, r2.header("retry-after")), (200, 429, Some("1")));
    assert!(!last_request(&c).rejected_content(), "injected statuses do not fail the gate");
}

#[test]
fn every_session_answers_410_after_k_events_on_edge_paths_too() {
    let c = collector();
    let gone = status(410, &[]);
    c.add_fault(Fault { after_events: Some(2), ..Fault::every(Endpoint::Events, gone) });
    let (a, b) = (start(&c), start(&c));
    let play = |sid: &str| edge(&c, &format!("/ee/or2/va/v1/play{Q}"), &fixture("f04_play.json", sid)).status;
    // Counted per session (the session named in each body): a, a, b, a, b, b.
    assert_eq!([play(&a), play(&a), play(&b), play(&a), play(&b), play(&b)], [204, 204, 204, 410, 204, 410]);
    assert_eq!((c.session(&a).unwrap().events.len(), c.session(&b).unwrap().events.len()), (3, 3));
    // sessionStart is no event: a new session still starts.
    assert_eq!(start(&c).len(), 64);
}

#[test]
fn retry_after_on_every_edge_answer_for_a_period() {
    let c = collector();
    let sid = start(&c);
    let throttled = status(429, &[("Retry-After", "5")]);
    c.add_fault(Fault { lasts: Some(Duration::from_secs(30)), ..Fault::every(Endpoint::Any, throttled) });
    let r = edge(&c, &format!("/ee/va/v1/sessionStart{Q}"), &read("edge", "f01_session_start.json"));
    assert_eq!((r.status, r.header("retry-after")), (429, Some("5")));
    let r = edge(&c, &format!("/ee/or2/va/v1/play{Q}"), &fixture("f04_play.json", &sid));
    assert_eq!((r.status, r.header("retry-after")), (429, Some("5")));
    let r = edge(&c, &format!("/ee/va/v1/downloaded{Q}"), &read("edge", "f14_downloaded.json"));
    assert_eq!(r.status, 429);
    c.advance_clock(Duration::from_secs(30));
    assert_eq!(edge(&c, &format!("/ee/or2/va/v1/play{Q}"), &fixture("f04_play.json", &sid)).status, 204);
    assert!(c.faults().is_empty());
}

#[test]
fn session_scoped_faults_over_http_on_edge_paths() {
    let c = collector();
    let sid = start(&c);
    let f = json!({"endpoint": "events", "kind": "status", "status": 410, "after_events": 1});
    assert_eq!(post(&c, "/__debug/faults", &f).status, 200);
    let play = || edge(&c, &format!("/ee/or2/va/v1/play{Q}"), &fixture("f04_play.json", &sid)).status;
    assert_eq!([play(), play()], [204, 410]);
}
