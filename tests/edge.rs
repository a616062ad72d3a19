//! The Media Edge back end end to end: the same tracker calls, asserted on what the collector's
//! Edge side received (its sessions, requests and lint).

use std::ffi::{CStr, CString};
use std::time::Duration;

use mc_collector::{Api, Collector, Endpoint, Fault, FaultKind, Options, Severity};
use media_collection::ffi::client::*;
use media_collection::ffi::error::mc_last_error;
use media_collection::ffi::tracker::*;
use media_collection::ffi::types::*;
use media_collection::status::mc_status;
use serde_json::Value;

fn edge_config(endpoint: &CString) -> mc_client_config {
    let mut cfg = mc_client_config::defaults();
    cfg.backend = MC_BACKEND_MEDIA_EDGE;
    cfg.endpoint = endpoint.as_ptr();
    cfg.edge_config_id = c"ds-test-1".as_ptr();
    cfg.fpid = c"fpid-0001".as_ptr();
    cfg.channel = c"edge-test".as_ptr();
    cfg.player_name = c"edge-player".as_ptr();
    cfg.preroll_window_ms = 0;
    cfg.ping_interval_ms = 600_000;
    cfg.content_start_delay_ms = 600_000;
    cfg
}

fn start(client: mc_client_t, id: &CStr) -> mc_tracker_t {
    let mut tracker = 0;
    assert_eq!(mc_tracker_new(client, std::ptr::null(), &mut tracker), mc_status::MC_OK);
    let mut media = mc_media_info::defaults();
    media.id = id.as_ptr();
    media.name = c"Edge show".as_ptr();
    media.content_type = c"vod".as_ptr();
    media.length = 120.4;
    assert_eq!(mc_track_session_start(tracker, &media, std::ptr::null(), 0), mc_status::MC_OK);
    tracker
}

fn types(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| e["eventType"].as_str().unwrap_or("?").to_owned()).collect()
}

fn edge_sessions(c: &Collector) -> Vec<mc_collector::SessionRecord> {
    c.sessions().into_iter().filter(|s| s.api == Api::Edge).collect()
}

/// A session with chapters, an ad, states, QoE and an error reaches the collector's Edge side as
/// one valid, lint-clean session; every call after the sessionStart uses its location hint.
#[test]
fn a_full_session_is_a_valid_edge_session() {
    let collector = Collector::start(Options::default()).expect("collector");
    let endpoint = CString::new(collector.base_url()).unwrap();
    let cfg = edge_config(&endpoint);
    let mut client = 0;
    assert_eq!(mc_client_new(&cfg, &mut client), mc_status::MC_OK);
    let t = start(client, c"edge-1");
    let mut chapter = mc_chapter_info::defaults();
    chapter.name = c"Chapter one".as_ptr();
    chapter.position = 1;
    chapter.length = 30.0;
    assert_eq!(mc_track_chapter_start(t, &chapter, std::ptr::null(), 0), mc_status::MC_OK);
    assert_eq!(mc_track_play(t), mc_status::MC_OK);
    assert_eq!(mc_update_playhead(t, 5.4), mc_status::MC_OK);
    let mut brk = mc_ad_break_info::defaults();
    brk.name = c"Mid-roll".as_ptr();
    brk.position = 1;
    brk.start_time = 5.4;
    assert_eq!(mc_track_ad_break_start(t, &brk), mc_status::MC_OK);
    let mut ad = mc_ad_info::defaults();
    ad.id = c"ad-001".as_ptr();
    ad.name = c"Ad one".as_ptr();
    ad.position = 1;
    ad.length = 15.0;
    assert_eq!(mc_track_ad_start(t, &ad, std::ptr::null(), 0), mc_status::MC_OK);
    assert_eq!(mc_track_ad_complete(t), mc_status::MC_OK);
    assert_eq!(mc_track_ad_break_complete(t), mc_status::MC_OK);
    assert_eq!(mc_track_state_start(t, c"mute".as_ptr()), mc_status::MC_OK);
    let mut qoe = mc_qoe::defaults();
    qoe.bitrate = 1_500_000.0;
    qoe.fps = 23.976;
    assert_eq!(mc_update_qoe(t, &qoe), mc_status::MC_OK);
    assert_eq!(mc_track_bitrate_change(t), mc_status::MC_OK);
    assert_eq!(mc_track_error(t, c"decoder-1".as_ptr(), MC_ERROR_SOURCE_PLAYER), mc_status::MC_OK);
    assert_eq!(mc_track_state_end(t, c"mute".as_ptr()), mc_status::MC_OK);
    assert_eq!(mc_update_playhead(t, 12.0), mc_status::MC_OK);
    assert_eq!(mc_track_pause(t), mc_status::MC_OK);
    assert_eq!(mc_track_chapter_complete(t), mc_status::MC_OK);
    assert_eq!(mc_track_complete(t), mc_status::MC_OK);
    assert_eq!(mc_client_flush(client, 10_000), mc_status::MC_OK);
    assert_eq!(mc_tracker_free(t), mc_status::MC_OK);
    assert_eq!(mc_client_free(client, 5_000), mc_status::MC_OK);

    let sessions = edge_sessions(&collector);
    assert_eq!(sessions.len(), 1, "one Edge session: {:#?}", collector.sessions());
    let s = &sessions[0];
    let got = types(&s.events);
    for t in [
        "media.sessionStart",
        "media.chapterStart",
        "media.play",
        "media.adBreakStart",
        "media.adStart",
        "media.adComplete",
        "media.adBreakComplete",
        "media.statesUpdate",
        "media.bitrateChange",
        "media.error",
        "media.pauseStart",
        "media.chapterComplete",
        "media.sessionComplete",
    ] {
        assert!(got.iter().any(|g| g == t), "{t} missing from {got:?}");
    }
    assert_eq!(got.first().map(String::as_str), Some("media.sessionStart"));
    assert_eq!(got.last().map(String::as_str), Some("media.sessionComplete"));
    let start = &s.events[0]["mediaCollection"]["sessionDetails"];
    assert_eq!(start["name"], "edge-1", "media.id is sessionDetails.name");
    assert_eq!(start["friendlyName"], "Edge show");
    assert_eq!(start["length"], 120, "length rounded to an integer");
    assert_eq!(start["channel"], "edge-test");
    assert_eq!(s.events[0]["identityMap"]["FPID"][0]["id"], "fpid-0001");
    let err = s.events.iter().find(|e| e["eventType"] == "media.error").expect("error event");
    assert_eq!(err["mediaCollection"]["errorDetails"]["name"], "decoder-1");
    assert_eq!(err["mediaCollection"]["errorDetails"]["source"], "player");
    let br = s.events.iter().find(|e| e["eventType"] == "media.bitrateChange").expect("bitrateChange");
    // The rules truncate QoE values to integers for both back ends (23.976 → 23).
    assert_eq!(br["mediaCollection"]["qoeDataDetails"]["framesPerSecond"], 23);
    assert_eq!(br["mediaCollection"]["qoeDataDetails"]["bitrate"], 1_500_000);
    // Every request was accepted; after the sessionStart each went to the location hint.
    for r in &s.requests {
        assert!((200..300).contains(&r.status), "{} answered {}: {:?} {:?}", r.path, r.status, r.error, r.errors);
    }
    let hint = s.location_hint.clone().expect("the collector gave a hint");
    assert!(s.requests[0].path.starts_with("/ee/va/v1/sessionStart"), "{}", s.requests[0].path);
    for r in &s.requests[1..] {
        assert!(r.path.starts_with(&format!("/ee/{hint}/va/v1/")), "{} without hint {hint}", r.path);
    }
    let errors: Vec<_> = collector.lint(&s.sid).into_iter().filter(|f| f.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "lint errors: {errors:#?}");
}

/// The C harness's queueing case on Edge: the sessionStart is answered after 2 s, every event
/// made meanwhile goes after that answer, in order.
#[test]
fn events_wait_for_the_session_id_and_go_in_order() {
    let collector = Collector::start(Options::default()).expect("collector");
    collector.add_fault(Fault {
        endpoint: Endpoint::Sessions,
        kind: FaultKind::Delay(Duration::from_secs(2)),
        times: Some(1),
        share: None,
        after_events: None,
        lasts: None,
    });
    let endpoint = CString::new(collector.base_url()).unwrap();
    let cfg = edge_config(&endpoint);
    let mut client = 0;
    assert_eq!(mc_client_new(&cfg, &mut client), mc_status::MC_OK);
    let t = start(client, c"edge-queue");
    assert_eq!(mc_track_play(t), mc_status::MC_OK);
    assert_eq!(mc_update_playhead(t, 3.0), mc_status::MC_OK);
    assert_eq!(mc_track_pause(t), mc_status::MC_OK);
    assert_eq!(mc_track_play(t), mc_status::MC_OK);
    assert_eq!(mc_update_playhead(t, 5.0), mc_status::MC_OK);
    assert_eq!(mc_track_buffer_start(t), mc_status::MC_OK);
    assert_eq!(mc_track_buffer_complete(t), mc_status::MC_OK);
    assert_eq!(mc_update_playhead(t, 7.0), mc_status::MC_OK);
    assert_eq!(mc_track_complete(t), mc_status::MC_OK);
    assert_eq!(mc_client_flush(client, 10_000), mc_status::MC_OK);
    assert_eq!(mc_tracker_free(t), mc_status::MC_OK);
    assert_eq!(mc_client_free(client, 5_000), mc_status::MC_OK);

    let sessions = edge_sessions(&collector);
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert_eq!(
        types(&s.events),
        [
            "media.sessionStart",
            "media.play",
            "media.pauseStart",
            "media.play",
            "media.bufferStart",
            "media.play",
            "media.sessionComplete"
        ]
    );
    let playheads: Vec<i64> =
        s.events.iter().map(|e| e["mediaCollection"]["playhead"].as_i64().unwrap_or(-1)).collect();
    assert_eq!(playheads, [0, 0, 3, 3, 5, 5, 7]);
    for w in s.events.windows(2) {
        let (a, b) = (w[0]["timestamp"].as_str().unwrap_or(""), w[1]["timestamp"].as_str().unwrap_or(""));
        assert!(b > a, "timestamps strictly increase: {a} then {b}");
    }
    let answered = s.requests[0].at_ms + 2000;
    for r in &s.requests[1..] {
        assert!(r.at_ms >= answered - 50, "{} arrived before the sessionStart's answer", r.path);
    }
}

/// §1.3: a client's first sessionStart goes without a location hint; its later sessions start
/// on the hint the earlier answer gave (and keep it); a new client starts without one.
#[test]
fn a_later_session_starts_on_the_hint_the_client_learned() {
    let mut opts = Options::default();
    opts.edge.location_hint = "va6".into();
    let collector = Collector::start(opts).expect("collector");
    let endpoint = CString::new(collector.base_url()).unwrap();
    let cfg = edge_config(&endpoint);
    for client_run in 0..2 {
        let mut client = 0;
        assert_eq!(mc_client_new(&cfg, &mut client), mc_status::MC_OK);
        for _ in 0..2 {
            let t = start(client, c"edge-hint");
            assert_eq!(mc_track_play(t), mc_status::MC_OK);
            assert_eq!(mc_track_complete(t), mc_status::MC_OK);
            assert_eq!(mc_client_flush(client, 10_000), mc_status::MC_OK, "client {client_run}");
            assert_eq!(mc_tracker_free(t), mc_status::MC_OK);
        }
        assert_eq!(mc_client_free(client, 5_000), mc_status::MC_OK);
    }
    let sessions = edge_sessions(&collector);
    assert_eq!(sessions.len(), 4);
    let start_paths: Vec<&str> = sessions.iter().map(|s| s.requests[0].path.as_str()).collect();
    for (k, path) in start_paths.iter().enumerate() {
        let want = if k % 2 == 0 { "/ee/va/v1/sessionStart" } else { "/ee/va6/va/v1/sessionStart" };
        assert_eq!(*path, want, "session {k}: {start_paths:?}");
    }
    for s in &sessions {
        assert_eq!(types(&s.events), ["media.sessionStart", "media.play", "media.sessionComplete"]);
        for r in &s.requests {
            assert_eq!(r.status / 100, 2, "{} answered {}", r.path, r.status);
        }
        for r in &s.requests[1..] {
            assert!(r.path.starts_with("/ee/va6/va/v1/"), "{}", r.path);
        }
        let errors: Vec<_> = collector.lint(&s.sid).into_iter().filter(|f| f.severity == Severity::Error).collect();
        assert!(errors.is_empty(), "lint errors: {errors:#?}");
    }
}

/// A 404 on an event (the session is gone on the Edge side) restarts the tracker's session as a
/// resumed one, under the shared restart budget.
#[test]
fn a_gone_session_restarts_resumed() {
    let collector = Collector::start(Options::default()).expect("collector");
    collector.add_fault(Fault {
        endpoint: Endpoint::Events,
        kind: FaultKind::Status { status: 404, headers: Vec::new(), body: None },
        times: Some(1),
        share: None,
        after_events: Some(1),
        lasts: None,
    });
    let endpoint = CString::new(collector.base_url()).unwrap();
    let mut cfg = edge_config(&endpoint);
    cfg.restart_delay_ms = 1;
    let mut client = 0;
    assert_eq!(mc_client_new(&cfg, &mut client), mc_status::MC_OK);
    let t = start(client, c"edge-gone");
    assert_eq!(mc_track_play(t), mc_status::MC_OK);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(mc_update_playhead(t, 4.0), mc_status::MC_OK);
    assert_eq!(mc_track_pause(t), mc_status::MC_OK);
    assert!(collector.wait_until(Duration::from_secs(10), |c| edge_sessions(c).len() >= 2), "a second session");
    assert_eq!(mc_track_complete(t), mc_status::MC_OK);
    // The event answered 404 was given up (session_gone): the flush says so.
    assert_eq!(mc_client_flush(client, 10_000), mc_status::MC_ERR_DELIVERY);
    assert_eq!(mc_tracker_free(t), mc_status::MC_OK);
    assert_eq!(mc_client_free(client, 5_000), mc_status::MC_OK);
    let sessions = edge_sessions(&collector);
    assert_eq!(sessions.len(), 2, "the gone session and its restart");
    let resumed = &sessions[1].events[0];
    assert_eq!(resumed["eventType"], "media.sessionStart");
    assert_eq!(resumed["mediaCollection"]["sessionDetails"]["hasResume"], true);
    assert_eq!(resumed["mediaCollection"]["sessionDetails"]["name"], "edge-gone");
}

/// The datastream id is required with Media Edge; fields of the other back end are not.
#[test]
fn configuration_names_what_is_missing() {
    let endpoint = c"http://127.0.0.1:9".to_owned();
    let mut cfg = edge_config(&endpoint);
    cfg.edge_config_id = std::ptr::null();
    let mut client = 0;
    assert_eq!(mc_client_new(&cfg, &mut client), mc_status::MC_ERR_NULL_ARGUMENT);
    let msg = unsafe { CStr::from_ptr(mc_last_error()) }.to_string_lossy().into_owned();
    assert!(msg.contains("config.edge_config_id") && msg.contains("MC_BACKEND_MEDIA_EDGE"), "{msg}");
    let mut cfg = edge_config(&endpoint);
    cfg.backend = 7;
    assert_eq!(mc_client_new(&cfg, &mut client), mc_status::MC_ERR_OUT_OF_RANGE);
    let msg = unsafe { CStr::from_ptr(mc_last_error()) }.to_string_lossy().into_owned();
    assert!(msg.contains("config.backend (7)"), "{msg}");
    // No tracking server, report suite or org id: fine for Media Edge.
    let cfg = edge_config(&endpoint);
    assert_eq!(mc_client_new(&cfg, &mut client), mc_status::MC_OK);
    assert_eq!(mc_client_free(client, 1_000), mc_status::MC_OK);
}

fn downloaded_session(name: &str, pauses: usize) -> (Collector, Vec<mc_collector::SessionRecord>) {
    let collector = Collector::start(Options::default()).expect("collector");
    let endpoint = CString::new(collector.base_url()).unwrap();
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("edge-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dir_c = CString::new(dir.to_string_lossy().into_owned()).unwrap();
    let mut cfg = edge_config(&endpoint);
    cfg.store_dir = dir_c.as_ptr();
    cfg.upload_min_gap_ms = 0;
    let mut client = 0;
    assert_eq!(mc_client_new(&cfg, &mut client), mc_status::MC_OK);
    record_downloaded_session(client, c"edge-offline", pauses);
    let expected = 2 * pauses + 3;
    let delivered = |c: &Collector| {
        c.sessions().iter().filter(|s| s.api == Api::Edge && s.downloaded).map(|s| s.events.len()).sum::<usize>()
    };
    assert!(
        collector.wait_until(Duration::from_secs(20), |c| delivered(c) >= expected),
        "uploads: {:#?}",
        collector.requests().iter().map(|r| (r.path.clone(), r.status, r.error.clone())).collect::<Vec<_>>()
    );
    assert_eq!(mc_client_free(client, 5_000), mc_status::MC_OK);
    let _ = std::fs::remove_dir_all(&dir);
    let sessions: Vec<_> = collector.sessions().into_iter().filter(|s| s.api == Api::Edge && s.downloaded).collect();
    (collector, sessions)
}

/// A downloaded session goes up as one `media.downloaded` request to `/ee/va/v1/downloaded`
/// and becomes one lint-clean downloaded session.
#[test]
fn a_downloaded_session_is_one_upload() {
    let (collector, sessions) = downloaded_session("small", 3);
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    let uploads: Vec<_> = collector.requests().into_iter().filter(|r| r.path.ends_with("/va/v1/downloaded")).collect();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].path, "/ee/va/v1/downloaded");
    let got = types(&s.events);
    assert_eq!(got.first().map(String::as_str), Some("media.sessionStart"));
    assert_eq!(got.last().map(String::as_str), Some("media.sessionComplete"));
    assert_eq!(got.iter().filter(|t| *t == "media.pauseStart").count(), 3);
    let errors: Vec<_> = collector.lint(&s.sid).into_iter().filter(|f| f.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "lint errors: {errors:#?}");
}

/// A session over 64 KB is cut into requests under the cap; each part is a session of its own
/// (the later ones resumed) and every event arrives once, in order.
#[test]
fn a_downloaded_session_over_64_kb_is_split_and_nothing_is_lost() {
    let pauses = 400;
    let (collector, sessions) = downloaded_session("big", pauses);
    let uploads: Vec<_> = collector.requests().into_iter().filter(|r| r.path.ends_with("/va/v1/downloaded")).collect();
    assert!(uploads.len() >= 2, "{} uploads", uploads.len());
    for u in &uploads {
        assert!(u.body.len() <= 64 * 1024, "an upload of {} bytes", u.body.len());
        assert!((200..300).contains(&u.status), "answered {}: {:?}", u.status, u.errors);
    }
    assert_eq!(sessions.len(), uploads.len(), "one session per part");
    let mut pauses_seen = 0;
    let mut playheads = Vec::new();
    for (k, s) in sessions.iter().enumerate() {
        assert_eq!(s.events[0]["eventType"], "media.sessionStart");
        assert_eq!(s.events[0]["mediaCollection"]["sessionDetails"]["hasResume"], k > 0, "part {k}");
        for e in s.events.iter().filter(|e| e["eventType"] == "media.pauseStart") {
            pauses_seen += 1;
            playheads.push(e["mediaCollection"]["playhead"].as_i64().unwrap_or(-1));
        }
    }
    assert_eq!(pauses_seen, pauses, "every pause once");
    let expected: Vec<i64> = (1..=pauses as i64).collect();
    assert_eq!(playheads, expected, "in order");
}

/// Records a downloaded session on `client`: start, play, `pauses` pause/play pairs one second
/// apart, complete (2 × pauses + 3 hits).
fn record_downloaded_session(client: mc_client_t, id: &CStr, pauses: usize) {
    let mut tcfg = mc_tracker_config::defaults();
    tcfg.downloaded = true;
    let mut t = 0;
    assert_eq!(mc_tracker_new(client, &tcfg, &mut t), mc_status::MC_OK);
    let mut media = mc_media_info::defaults();
    media.id = id.as_ptr();
    media.name = c"Offline show".as_ptr();
    media.content_type = c"vod".as_ptr();
    media.length = 3600.0;
    assert_eq!(mc_track_session_start(t, &media, std::ptr::null(), 0), mc_status::MC_OK);
    assert_eq!(mc_track_play(t), mc_status::MC_OK);
    for i in 0..pauses {
        assert_eq!(mc_update_playhead(t, i as f64 + 1.0), mc_status::MC_OK);
        assert_eq!(mc_track_pause(t), mc_status::MC_OK);
        assert_eq!(mc_track_play(t), mc_status::MC_OK);
    }
    assert_eq!(mc_track_complete(t), mc_status::MC_OK);
    assert_eq!(mc_tracker_free(t), mc_status::MC_OK);
}

/// A client with an offline store in `dir` that uploads without a pause between requests.
fn store_client(endpoint: &CString, dir: &std::path::Path) -> mc_client_t {
    let dir_c = CString::new(dir.to_string_lossy().into_owned()).unwrap();
    let mut cfg = edge_config(endpoint);
    cfg.store_dir = dir_c.as_ptr();
    cfg.upload_min_gap_ms = 0;
    cfg.upload_backoff_base_ms = 50;
    cfg.network_return_window_ms = 0;
    let mut client = 0;
    assert_eq!(mc_client_new(&cfg, &mut client), mc_status::MC_OK);
    client
}

/// The accepted `/downloaded` uploads (their parts, in arrival order).
fn accepted_uploads(c: &Collector) -> Vec<mc_collector::RequestRecord> {
    c.requests().into_iter().filter(|r| r.path.ends_with("/va/v1/downloaded") && r.status / 100 == 2).collect()
}

/// A session cut into parts, stopped after its first part went through (the collector fails the
/// later ones): the next client on the same store uploads only the parts not yet acknowledged,
/// so the collector gets every event exactly once, in order, and no part twice.
#[test]
fn a_split_downloaded_session_stopped_between_parts_resumes_after_the_acknowledged_ones() {
    let collector = Collector::start(Options::default()).expect("collector");
    // The first upload passes, the next 998 fail (share 0.999: the n-th request is hit when
    // floor(n * 0.999) grows, which it does from the 2nd on).
    collector.add_fault(Fault {
        endpoint: Endpoint::Downloaded,
        kind: FaultKind::Status { status: 503, headers: Vec::new(), body: None },
        times: None,
        share: Some(0.999),
        after_events: None,
        lasts: None,
    });
    let endpoint = CString::new(collector.base_url()).unwrap();
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("edge-store-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);

    let pauses = 700; // three parts
    let client = store_client(&endpoint, &dir);
    record_downloaded_session(client, c"edge-offline-resume", pauses);
    let uploads = |c: &Collector| c.requests().iter().filter(|r| r.path.ends_with("/va/v1/downloaded")).count();
    assert!(collector.wait_until(Duration::from_secs(20), |c| uploads(c) >= 3), "the first part and two failures");
    assert_eq!(mc_client_free(client, 2_000), mc_status::MC_OK);
    let first_run = accepted_uploads(&collector);
    assert_eq!(first_run.len(), 1, "one part went through before the stop");

    collector.clear_faults();
    let client = store_client(&endpoint, &dir);
    let expected = 2 * pauses + 3;
    let delivered = |c: &Collector| {
        c.sessions().iter().filter(|s| s.api == Api::Edge && s.downloaded).map(|s| s.events.len()).sum::<usize>()
    };
    // Every event, plus the sessionStart copy that begins each part after the first.
    let parts_done = |c: &Collector| delivered(c) >= expected + accepted_uploads(c).len() - 1;
    assert!(collector.wait_until(Duration::from_secs(20), parts_done), "the other parts");
    assert_eq!(mc_client_free(client, 5_000), mc_status::MC_OK);
    let _ = std::fs::remove_dir_all(&dir);

    let accepted = accepted_uploads(&collector);
    assert!(accepted.len() >= 3, "{} parts", accepted.len());
    assert_eq!(accepted[0].body, first_run[0].body, "the first part went once, before the stop");
    let sessions: Vec<_> = collector.sessions().into_iter().filter(|s| s.api == Api::Edge && s.downloaded).collect();
    assert_eq!(sessions.len(), accepted.len(), "one session per accepted part, none twice");
    let mut playheads = Vec::new();
    for (k, s) in sessions.iter().enumerate() {
        assert_eq!(s.events[0]["eventType"], "media.sessionStart");
        assert_eq!(s.events[0]["mediaCollection"]["sessionDetails"]["hasResume"], k > 0, "part {k}");
        for e in s.events.iter().filter(|e| e["eventType"] == "media.pauseStart") {
            playheads.push(e["mediaCollection"]["playhead"].as_i64().unwrap_or(-1));
        }
        let errors: Vec<_> = collector.lint(&s.sid).into_iter().filter(|f| f.severity == Severity::Error).collect();
        assert!(errors.is_empty(), "part {k}: lint errors: {errors:#?}");
    }
    let expected_playheads: Vec<i64> = (1..=pauses as i64).collect();
    assert_eq!(playheads, expected_playheads, "every pause exactly once, in order");
}

/// Collects the reasons of the event callback's request failures (userdata: a `Mutex<Vec<String>>`).
unsafe extern "C" fn request_failures(userdata: *mut std::ffi::c_void, event: *const mc_event) {
    // SAFETY: the library passes a valid event for the call; userdata is the test's Mutex.
    let (e, list) = unsafe { (&*event, &*(userdata as *const std::sync::Mutex<Vec<String>>)) };
    if e.kind == MC_EVENT_REQUEST_FAILED && !e.reason.is_null() {
        // SAFETY: a non-NULL reason is a NUL-terminated string valid during the call.
        let reason = unsafe { CStr::from_ptr(e.reason) }.to_string_lossy().into_owned();
        list.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(reason);
    }
}

/// media-edge.md §4.2 and §7: a sessionStart answered 207 without a session id, 200 without the
/// new-session handle (a datastream without Media Analytics) or problem+json 400 (an unknown
/// datastream) fails the start for good: tried once, nothing else sent for the session, its
/// events counted as `session_not_created`, and the reason in words in the event callback.
#[test]
fn session_start_answers_without_a_session_fail_the_start_and_say_why() {
    const F3: &str = r#"{"requestId":"d4be","handle":[{"type":"locationHint:result","payload":[{"scope":"EdgeNetwork","hint":"or2","ttlSeconds":1800}]}],
 "errors":[{"type":"https://ns.adobe.com/aep/errors/va-edge-0400-400","status":400,"title":"Invalid request",
 "report":{"eventIndex":0,"details":[{"name":"$.xdm.mediaCollection.sessionDetails.name","reason":"Missing required field"}]}}]}"#;
    struct Case {
        what: &'static str,
        datastream: &'static CStr,
        fault: Option<Fault>,
        known: Vec<String>,
        without_media: Vec<String>,
        reason: &'static [&'static str],
    }
    let cases = [
        Case {
            what: "207 without a session id",
            datastream: c"ds-test-1",
            fault: Some(Fault {
                endpoint: Endpoint::Sessions,
                kind: FaultKind::Status {
                    status: 207,
                    headers: vec![("Content-Type".into(), "application/json".into())],
                    body: Some(F3.into()),
                },
                times: Some(1),
                share: None,
                after_events: None,
                lasts: None,
            }),
            known: Vec::new(),
            without_media: Vec::new(),
            reason: &[
                "HTTP 207 without a session id",
                "$.xdm.mediaCollection.sessionDetails.name Missing required field",
            ],
        },
        Case {
            what: "200 without the new-session handle",
            datastream: c"ds-no-media",
            fault: None,
            known: Vec::new(),
            without_media: vec!["ds-no-media".into()],
            reason: &["without a media-analytics:new-session handle", "ds-no-media"],
        },
        Case {
            what: "problem+json 400",
            datastream: c"ds-unknown",
            fault: None,
            known: vec!["ds-test-1".into()],
            without_media: Vec::new(),
            reason: &["HTTP 400", "EXEG-0003-400"],
        },
    ];
    for case in cases {
        let mut opts = Options::default();
        opts.edge.datastreams = case.known;
        opts.edge.datastreams_without_media = case.without_media;
        let collector = Collector::start(opts).expect("collector");
        if let Some(f) = case.fault {
            collector.add_fault(f);
        }
        let endpoint = CString::new(collector.base_url()).unwrap();
        let reasons = std::sync::Mutex::new(Vec::<String>::new());
        let mut cfg = edge_config(&endpoint);
        cfg.edge_config_id = case.datastream.as_ptr();
        cfg.event_callback = Some(request_failures);
        cfg.event_userdata = &reasons as *const _ as *mut std::ffi::c_void;
        let mut client = 0;
        assert_eq!(mc_client_new(&cfg, &mut client), mc_status::MC_OK);
        let t = start(client, c"edge-refused");
        assert_eq!(mc_track_play(t), mc_status::MC_OK);
        assert_eq!(mc_track_complete(t), mc_status::MC_OK);
        // The held events were given up: the flush says so.
        assert_eq!(mc_client_flush(client, 10_000), mc_status::MC_ERR_DELIVERY, "{}", case.what);
        let mut st = mc_stats::defaults();
        assert_eq!(mc_client_stats(client, &mut st), mc_status::MC_OK);
        assert_eq!(mc_tracker_free(t), mc_status::MC_OK);
        assert_eq!(mc_client_free(client, 5_000), mc_status::MC_OK);

        let requests = collector.requests();
        let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, ["/ee/va/v1/sessionStart"], "{}: tried once, nothing else sent", case.what);
        assert!(collector.sessions().is_empty(), "{}: no session", case.what);
        assert!(st.session_not_created >= 1, "{}: counted", case.what);
        let reasons = reasons.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let said = reasons.iter().find(|r| case.reason.iter().all(|w| r.contains(w)));
        assert!(said.is_some(), "{}: the callback says {:?}, expected {:?}", case.what, reasons, case.reason);
    }
}

/// Edge's retry table end to end (media-edge.md §7.2, §10.12): an event answered 502 is sent
/// again and arrives; one answered 500 is not retried: dropped and counted (`rejected_400`), and
/// the session goes on.
#[test]
fn an_event_answered_502_is_retried_and_one_answered_500_is_not() {
    for (status, retried) in [(502u16, true), (500, false)] {
        let collector = Collector::start(Options::default()).expect("collector");
        collector.add_fault(Fault {
            endpoint: Endpoint::Events,
            kind: FaultKind::Status { status, headers: Vec::new(), body: None },
            times: Some(1),
            share: None,
            after_events: Some(1),
            lasts: None,
        });
        let endpoint = CString::new(collector.base_url()).unwrap();
        let mut cfg = edge_config(&endpoint);
        cfg.retry_base_ms = 20;
        let mut client = 0;
        assert_eq!(mc_client_new(&cfg, &mut client), mc_status::MC_OK);
        let t = start(client, c"edge-retry");
        assert_eq!(mc_track_play(t), mc_status::MC_OK);
        assert_eq!(mc_update_playhead(t, 3.0), mc_status::MC_OK);
        assert_eq!(mc_track_pause(t), mc_status::MC_OK);
        assert_eq!(mc_track_complete(t), mc_status::MC_OK);
        let flushed = mc_client_flush(client, 10_000);
        let mut st = mc_stats::defaults();
        assert_eq!(mc_client_stats(client, &mut st), mc_status::MC_OK);
        assert_eq!(mc_tracker_free(t), mc_status::MC_OK);
        assert_eq!(mc_client_free(client, 5_000), mc_status::MC_OK);

        let s = &edge_sessions(&collector)[0];
        let statuses: Vec<(String, u16)> =
            s.requests.iter().map(|r| (r.path.rsplit('/').next().unwrap_or_default().to_owned(), r.status)).collect();
        let pause = |st: u16| ("pauseStart".to_owned(), st);
        if retried {
            assert_eq!(flushed, mc_status::MC_OK);
            assert_eq!(
                types(&s.events),
                ["media.sessionStart", "media.play", "media.pauseStart", "media.sessionComplete"]
            );
            assert!(statuses.contains(&pause(502)) && statuses.contains(&pause(204)), "{statuses:?}");
            assert_eq!(st.rejected_400, 0);
        } else {
            assert_eq!(flushed, mc_status::MC_ERR_DELIVERY, "a dropped event");
            assert_eq!(types(&s.events), ["media.sessionStart", "media.play", "media.sessionComplete"]);
            assert_eq!(statuses.iter().filter(|(p, _)| p == "pauseStart").count(), 1, "not retried: {statuses:?}");
            assert!(statuses.contains(&pause(500)), "{statuses:?}");
            assert_eq!(st.rejected_400, 1);
        }
    }
}
