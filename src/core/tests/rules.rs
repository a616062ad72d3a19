//! The rule table (tracker.md §4.3), row by row, and the time-based rules: idle, resume, 24 h
//! cap, 404/410 restart, pre-roll window, QoE, errors, states.

use std::time::Duration;

use serde_json::json;

use super::driver::*;
use crate::core::{
    AdBreakInfo, AdInfo, Call, ChapterInfo, CoreConfig, ErrorSource, Identity, LogLevel, Notice, Outcome, Qoe,
    TrackerConfig,
};
use crate::stats::Counter;

/// A driver with an open session (no pre-roll window) and its sessionStart sent.
fn in_session() -> Driver {
    let mut d = Driver::adobe();
    d.call(start(Some(0)));
    d.notices();
    d
}

/// The call is rejected by `rule`: no hit, counted, reported with a log line.
#[track_caller]
fn rejected(d: &mut Driver, call: Call, rule: &str) {
    let before = d.sent.len();
    let ignored_before = d.count(Counter::IgnoredCall);
    let name = call.name();
    d.call(call);
    assert_eq!(d.types()[before..].to_vec(), Vec::<String>::new(), "{name} produced hits");
    assert_eq!(d.count(Counter::IgnoredCall), ignored_before + 1);
    let notices = d.notices();
    assert!(
        notices.iter().any(|n| matches!(n, Notice::CallIgnored { call, rule: r, .. } if *call == name && *r == rule)),
        "{name}: expected rule {rule}, got {notices:?}"
    );
    assert!(
        notices.iter().any(|n| matches!(n, Notice::Log { level: LogLevel::Warn, message } if message.contains(rule)))
    );
}

/// The call is accepted and produces exactly these hits.
#[track_caller]
fn produces(d: &mut Driver, call: Call, types: &[&str]) {
    let before = d.sent.len();
    let name = call.name();
    d.call(call);
    assert_eq!(d.types()[before..].to_vec(), types, "{name}");
    assert!(d.ignored().is_empty(), "{name} was ignored");
}

fn bad_break() -> Call {
    Call::AdBreakStart(Box::new(AdBreakInfo { name: "b".into(), position: 0, start_time: 0.0 }))
}

fn bad_ad() -> Call {
    Call::AdStart {
        ad: Box::new(AdInfo { id: String::new(), name: "a".into(), position: 1, length: 1.0 }),
        metadata: vec![],
    }
}

fn bad_chapter() -> Call {
    Call::ChapterStart {
        chapter: Box::new(ChapterInfo { name: "c".into(), position: 1, start_time: -1.0, length: 1.0 }),
        metadata: vec![],
    }
}

fn error(id: &str, source: ErrorSource) -> Call {
    Call::Error { id: id.into(), source }
}

#[test]
fn every_call_outside_a_session_is_rejected() {
    let mut d = Driver::adobe();
    let calls = [
        Call::Play,
        Call::Pause,
        Call::Complete,
        Call::SessionEnd,
        error("e", ErrorSource::Player),
        Call::BufferStart,
        Call::BufferComplete,
        Call::SeekStart,
        Call::SeekComplete,
        b1(),
        Call::AdBreakComplete,
        a1(),
        Call::AdComplete,
        Call::AdSkip,
        c1(),
        Call::ChapterComplete,
        Call::ChapterSkip,
        Call::BitrateChange,
        state_start("mute"),
        state_end("mute"),
    ];
    for c in calls {
        rejected(&mut d, c, "not_in_session");
    }
    // After complete, every call is rejected again until a new sessionStart.
    d.calls([start(Some(0)), Call::Play, Call::Complete]);
    d.notices();
    rejected(&mut d, Call::Play, "not_in_session");
    rejected(&mut d, Call::SessionEnd, "not_in_session");
    produces(&mut d, start(Some(0)), &["sessionStart"]);
}

#[test]
fn session_start_rows() {
    let mut d = in_session();
    rejected(&mut d, start(Some(0)), "already_in_session");
    let mut d = Driver::adobe();
    let mut m = media(Some(0));
    m.id.clear();
    rejected(&mut d, start_with(m), "invalid_media_info");
    let mut m = media(Some(0));
    m.length = f64::NAN;
    rejected(&mut d, start_with(m), "invalid_media_info");
    // The sessionStart reports the media's initial playhead.
    let mut m = media(Some(0));
    m.initial_playhead = 42.5;
    produces(&mut d, start_with(m), &["sessionStart"]);
    assert_eq!(d.last().playhead(), 42.5);
}

#[test]
fn complete_and_session_end_close_what_is_open() {
    for (call, last) in [(Call::Complete, "sessionComplete"), (Call::SessionEnd, "sessionEnd")] {
        let mut d = in_session();
        d.calls([c1(), b1(), a1()]);
        produces(&mut d, call, &["adSkip", "adBreakComplete", "chapterSkip", last]);
        // Nothing open: only the closing hit.
        let mut d = in_session();
        d.call(Call::Play);
        produces(&mut d, Call::SessionEnd, &["sessionEnd"]);
    }
}

#[test]
fn playback_rows() {
    let mut d = in_session();
    // Inside a break but outside an ad every playback call is dropped.
    d.call(b1());
    for c in [Call::Play, Call::Pause, Call::BufferStart, Call::BufferComplete, Call::SeekStart, Call::SeekComplete] {
        rejected(&mut d, c, "in_break_not_in_ad");
    }
    d.call(Call::AdBreakComplete);
    d.notices();

    rejected(&mut d, Call::BufferComplete, "not_buffering");
    rejected(&mut d, Call::SeekComplete, "not_seeking");
    produces(&mut d, Call::BufferStart, &["bufferStart"]);
    rejected(&mut d, Call::BufferStart, "already_buffering");
    rejected(&mut d, Call::Pause, "buffering");
    rejected(&mut d, Call::SeekStart, "buffering");
    // BufferComplete before any play returns to Pause (there is no way back to Init).
    produces(&mut d, Call::BufferComplete, &["pauseStart"]);
    // Seek is its own effective state, reported as a pause: paused → seek → paused is two
    // pauseStarts, as in Adobe's SDK.
    produces(&mut d, Call::SeekStart, &["pauseStart"]);
    rejected(&mut d, Call::SeekStart, "already_seeking");
    rejected(&mut d, Call::Pause, "seeking");
    rejected(&mut d, Call::BufferStart, "seeking");
    produces(&mut d, Call::SeekComplete, &["pauseStart"]);
    // Play clears buffering and seeking at once.
    produces(&mut d, Call::BufferStart, &["bufferStart"]);
    produces(&mut d, Call::Play, &["play"]);
    produces(&mut d, Call::Play, &[]);
    produces(&mut d, Call::Pause, &["pauseStart"]);
    produces(&mut d, Call::SeekStart, &["pauseStart"]);
    produces(&mut d, Call::SeekComplete, &["pauseStart"]);
    produces(&mut d, Call::Play, &["play"]);
}

#[test]
fn seek_complete_in_init_forces_pause() {
    let mut d = in_session();
    produces(&mut d, Call::SeekStart, &["pauseStart"]);
    produces(&mut d, Call::SeekComplete, &["pauseStart"]);
    produces(&mut d, Call::Play, &["play"]);
}

#[test]
fn ad_break_rows() {
    let mut d = in_session();
    rejected(&mut d, Call::AdBreakComplete, "not_in_break");
    rejected(&mut d, bad_break(), "invalid_ad_break_info");
    produces(&mut d, b1(), &["adBreakStart"]);
    rejected(&mut d, b1(), "duplicate_ad_break");
    // A new break closes the open ad (skipped) and break first.
    d.call(a1());
    produces(&mut d, b2(), &["adSkip", "adBreakComplete", "adBreakStart"]);
    // An ad left open is skipped, never completed; then the playback state is flushed.
    d.call(a2());
    produces(&mut d, Call::AdBreakComplete, &["adSkip", "adBreakComplete", "play"]);
}

#[test]
fn ad_rows() {
    let mut d = in_session();
    rejected(&mut d, a1(), "not_in_break");
    rejected(&mut d, Call::AdComplete, "not_in_break");
    rejected(&mut d, Call::AdSkip, "not_in_break");
    d.call(b1());
    rejected(&mut d, Call::AdComplete, "not_in_ad");
    rejected(&mut d, Call::AdSkip, "not_in_ad");
    rejected(&mut d, bad_ad(), "invalid_ad_info");
    // AdStart in Init forces Play; the flush after adStart sends it.
    produces(&mut d, a1(), &["adStart", "play"]);
    rejected(&mut d, a1(), "duplicate_ad");
    produces(&mut d, a2(), &["adSkip", "adStart", "play"]);
    produces(&mut d, Call::AdComplete, &["adComplete"]);
    d.call(a1());
    produces(&mut d, Call::AdSkip, &["adSkip"]);
    rejected(&mut d, Call::AdSkip, "not_in_ad");
}

#[test]
fn ad_start_while_paused_flushes_pause() {
    let mut d = in_session();
    d.calls([Call::Pause, b1()]);
    produces(&mut d, a1(), &["adStart", "pauseStart"]);
}

#[test]
fn chapter_rows() {
    let mut d = in_session();
    rejected(&mut d, Call::ChapterComplete, "not_in_chapter");
    rejected(&mut d, Call::ChapterSkip, "not_in_chapter");
    rejected(&mut d, bad_chapter(), "invalid_chapter_info");
    produces(&mut d, c1(), &["chapterStart"]);
    rejected(&mut d, c1(), "duplicate_chapter");
    produces(&mut d, c2(), &["chapterSkip", "chapterStart"]);
    produces(&mut d, Call::ChapterComplete, &["chapterComplete"]);
    d.call(c1());
    produces(&mut d, Call::ChapterSkip, &["chapterSkip"]);
}

#[test]
fn error_rows_and_payload() {
    let mut d = in_session();
    rejected(&mut d, error("", ErrorSource::Player), "invalid_error_id");
    // Without a QoE: only the error fields.
    produces(&mut d, error("E1", ErrorSource::Player), &["error"]);
    assert_eq!(d.last().qoe(), &json!({"media.qoe.errorID": "E1", "media.qoe.errorSource": "player"}));
    // With a QoE: the full QoE plus the error fields, always.
    d.slot.set_qoe(Qoe { bitrate: 5.0, dropped_frames: 1.0, fps: 30.0, startup_time: 7.9 });
    produces(&mut d, error("E2", ErrorSource::External), &["error"]);
    let q = json!({
        "media.qoe.bitrate": 5, "media.qoe.droppedFrames": 1, "media.qoe.framesPerSecond": 30,
        "media.qoe.timeToStart": 7
    });
    let mut with_error = q.clone();
    with_error["media.qoe.errorID"] = json!("E2");
    with_error["media.qoe.errorSource"] = json!("external");
    assert_eq!(d.last().qoe(), &with_error);
    // The memory held the error fields, so the next hit re-sends the plain QoE once.
    produces(&mut d, Call::Play, &["play"]);
    assert_eq!(d.last().qoe(), &q);
    produces(&mut d, Call::Pause, &["pauseStart"]);
    assert!(d.last().qoe().is_null());
    assert!(d.last().params().is_null());
}

#[test]
fn qoe_only_when_changed() {
    let mut d = in_session();
    let q1 = Qoe { bitrate: 1000.0, dropped_frames: 0.0, fps: 25.0, startup_time: 100.0 };
    // bitrateChange with no QoE ever set carries nothing.
    produces(&mut d, Call::BitrateChange, &["bitrateChange"]);
    assert!(d.last().qoe().is_null());
    d.slot.set_qoe(q1);
    // stateStart/stateEnd never carry QoE and leave the memory alone (Android).
    produces(&mut d, state_start("mute"), &["stateStart"]);
    assert!(d.last().qoe().is_null());
    produces(&mut d, Call::Play, &["play"]);
    assert_eq!(d.last().qoe()["media.qoe.bitrate"], json!(1000));
    produces(&mut d, c1(), &["chapterStart"]);
    assert!(d.last().qoe().is_null());
    // bitrateChange always carries the full QoE, even unchanged.
    produces(&mut d, Call::BitrateChange, &["bitrateChange"]);
    assert_eq!(d.last().qoe()["media.qoe.framesPerSecond"], json!(25));
    d.slot.set_qoe(Qoe { fps: 24.9, ..q1 });
    produces(&mut d, Call::Pause, &["pauseStart"]);
    assert_eq!(d.last().qoe()["media.qoe.framesPerSecond"], json!(24));
    // A change that truncates to the same integers is no change.
    d.slot.set_qoe(Qoe { fps: 24.1, ..q1 });
    produces(&mut d, Call::Play, &["play"]);
    assert!(d.last().qoe().is_null());
    // Deadline hits read the slot when they fire: the content-start play carries the change,
    // the ping after it nothing.
    d.slot.set_qoe(Qoe { bitrate: 2000.0, ..q1 });
    d.tick(1, 1.0);
    assert_eq!(d.last().event_type(), "play");
    assert_eq!(d.last().qoe()["media.qoe.bitrate"], json!(2000));
    d.tick(10, 1.0);
    assert_eq!(d.last().event_type(), "ping");
    assert!(d.last().qoe().is_null());
}

#[test]
fn states_and_the_ten_name_limit() {
    let mut d = in_session();
    rejected(&mut d, state_start("full screen"), "invalid_state_name");
    rejected(&mut d, state_end("bad-name"), "invalid_state_name");
    rejected(&mut d, state_end("mute"), "state_not_active");
    produces(&mut d, state_start("mute"), &["stateStart"]);
    assert_eq!(d.last().params(), &json!({"media.state.name": "mute"}));
    rejected(&mut d, state_start("mute"), "state_active");
    produces(&mut d, state_end("mute"), &["stateEnd"]);
    for i in 0..9 {
        produces(&mut d, state_start(&format!("s{i}")), &["stateStart"]);
    }
    // Ten distinct names used (mute + s0..s8): an eleventh is refused, a used one may restart.
    rejected(&mut d, state_start("s9"), "state_limit");
    produces(&mut d, state_start("mute"), &["stateStart"]);
    // A new tracking session resets the count.
    d.calls([Call::Complete, start(Some(0))]);
    d.notices();
    produces(&mut d, state_start("s9"), &["stateStart"]);
}

#[test]
fn unknown_tracker_calls_are_ignored() {
    let mut d = Driver::adobe();
    d.call_as(99, start(Some(0)));
    assert!(d.sent.is_empty());
    assert_eq!(d.ignored(), [("session_start", "unknown_tracker")]);
    assert_eq!(d.count(Counter::IgnoredCall), 1);
}

#[test]
fn identity_and_tracker_config_enrich_session_start() {
    let mut c = adobe_config();
    c.identity = Identity {
        visitor_id: Some("vid".into()),
        aid: Some("aid".into()),
        aam_location_hint: Some(9),
        customer_ids: vec![crate::core::CustomerId { id_type: "crm".into(), id: "u1".into(), auth_state: 1 }],
        app_installation_id: Some("install".into()),
        opt_out_server_side_forwarding: true,
        opt_out_share: true,
        app_version: Some("2.3".into()),
        channel: Some("global-channel".into()),
        player_name: Some("global-player".into()),
        ..identity()
    };
    let tracker = TrackerConfig { player_name: Some("tv-player".into()), ..Default::default() };
    let mut d = Driver::with_tracker(c, tracker);
    let mut m = media(Some(0));
    m.media_type = crate::core::MediaType::Video;
    m.resumed = true;
    d.call(Call::SessionStart {
        media: Box::new(m),
        metadata: vec![
            ("a.media.show".into(), "Show".into()),
            ("a.media.asset".into(), "A1".into()),
            ("k".into(), "v".into()),
        ],
    });
    let p = d.last().params().clone();
    assert_eq!(p["media.streamType"], json!("video"));
    assert_eq!(p["media.resume"], json!(true));
    assert_eq!(p["media.show"], json!("Show"));
    assert_eq!(p["media.assetId"], json!("A1"));
    assert_eq!(p["media.channel"], json!("global-channel"));
    assert_eq!(p["media.playerName"], json!("tv-player"));
    assert_eq!(p["media.sdkVersion"], json!("2.3"));
    assert_eq!(p["analytics.visitorId"], json!("vid"));
    assert_eq!(p["analytics.aid"], json!("aid"));
    assert_eq!(p["visitor.aamLocationHint"], json!(9));
    assert_eq!(p["visitor.customerIDs"], json!({"crm": {"id": "u1", "authState": 1}}));
    assert_eq!(p["appInstallationId"], json!("install"));
    assert_eq!(p["analytics.optOutServerSideForwarding"], json!(true));
    assert_eq!(p["analytics.optOutShare"], json!(true));
    assert_eq!(d.last().custom(), &json!({"k": "v"}));
    // The ad's player name follows the same fallback.
    d.calls([b1(), a1()]);
    assert_eq!(d.sent[2].params()["media.ad.playerName"], json!("tv-player"));
}

// ---- pre-roll window ----

#[test]
fn preroll_window_replays_held_calls_on_its_deadline() {
    let mut d = Driver::adobe();
    d.calls([start(None), c1(), Call::Play]);
    assert_eq!(d.types(), ["sessionStart"]);
    assert_eq!(d.ms(d.core.poll_timeout().unwrap()), 250);
    // A flush waits for the held calls.
    assert!(!d.core.is_drained());
    d.advance(250);
    assert!(d.core.is_drained());
    // Replayed with their own stamps (ts 0); then content start 1 s after the play.
    assert_hits(&d, &[("sessionStart", 0.0, 0), ("chapterStart", 0.0, 0), ("play", 0.0, 0)]);
    d.slot.set_playhead(1.0);
    d.advance(750);
    assert_eq!(d.hits().last().cloned(), Some(("play".to_string(), 1.0, 1000)));
}

#[test]
fn preroll_window_drops_plays_before_the_first_break_and_counts_them() {
    let mut d = Driver::adobe();
    d.calls([start(None), Call::Play, Call::Pause, Call::Play]);
    d.notices();
    d.call(b1());
    assert_eq!(d.types(), ["sessionStart", "pauseStart", "adBreakStart"]);
    assert_eq!(d.ignored(), [("play", "preroll_play_dropped"), ("play", "preroll_play_dropped")]);
    assert_eq!(d.count(Counter::IgnoredCall), 2);
}

#[test]
fn preroll_window_is_released_by_session_end_and_configurable() {
    let mut d = Driver::adobe();
    d.calls([start(Some(5000)), Call::Play]);
    d.t = 100;
    d.call(Call::SessionEnd);
    assert_hits(&d, &[("sessionStart", 0.0, 0), ("play", 0.0, 0), ("sessionEnd", 0.0, 100)]);
    // A call after an overdue window releases it first.
    let mut d = Driver::adobe();
    d.calls([start(None), Call::Play]);
    d.t = 400;
    d.call(Call::Pause);
    assert_hits(&d, &[("sessionStart", 0.0, 0), ("play", 0.0, 0), ("pauseStart", 0.0, 400)]);
}

// ---- idle, resume, 24 h cap, 404/410 ----

#[test]
fn idle_ends_the_session_and_play_resumes_it() {
    let mut d = Driver::adobe();
    d.slot.set_qoe(Qoe { bitrate: 1.0, dropped_frames: 0.0, fps: 25.0, startup_time: 3.0 });
    d.calls([start(Some(0)), c1(), state_start("mute"), Call::Play]);
    d.tick(10, 1.0);
    d.call(Call::Pause);
    let paused_at = d.t;
    let before = d.sent.len();
    d.advance(30 * 60 * 1000);
    // Pings every 10 s while paused, then sessionEnd exactly 30 min after the pause.
    let after: Vec<_> = d.hits()[before..].to_vec();
    assert_eq!(after.len(), 180);
    assert!(after[..179].iter().all(|h| h.0 == "ping"));
    assert_eq!(after[179], ("sessionEnd".to_string(), 10.0, (paused_at + 30 * 60 * 1000) as i64));
    // Tracker idle: nothing scheduled, hits dropped, context kept.
    assert_eq!(d.core.poll_timeout(), None);
    let before = d.sent.len();
    d.calls([c2(), state_start("fullscreen"), state_end("mute")]);
    assert_eq!(d.sent.len(), before);
    // Play resumes on a new MC session with the context re-sent, all at the play's ts.
    d.t += 5000;
    d.slot.set_playhead(12.0);
    d.call(Call::Play);
    let ts = d.t as i64;
    let resumed: Vec<_> = d.hits()[before..].to_vec();
    assert_eq!(
        resumed,
        [
            ("sessionStart".to_string(), 12.0, ts),
            ("chapterStart".to_string(), 12.0, ts),
            ("stateStart".to_string(), 12.0, ts),
            ("play".to_string(), 12.0, ts),
        ]
    );
    let s = &d.sent[before];
    assert_eq!(s.path, "/api/v1/sessions");
    assert_eq!(s.params()["media.resume"], json!(true));
    assert_eq!(s.params()["media.id"], json!("mediaID"));
    assert_eq!(s.custom(), &json!({"media.show": "sampleshow", "key1": "value1"}));
    // The QoE memory was cleared: the new sessionStart carries the QoE again.
    assert_eq!(s.qoe()["media.qoe.framesPerSecond"], json!(25));
    assert_eq!(d.sent[before + 1].params()["media.chapter.friendlyName"], json!("chapterName2"));
    assert_eq!(d.sent[before + 2].params(), &json!({"media.state.name": "fullscreen"}));
    assert!(d.sent[before + 3].path.ends_with("sid2/events"));
    // Content start fires again 1 s later.
    d.tick(1, 1.0);
    assert_eq!(d.hits().last().cloned(), Some(("play".to_string(), 13.0, ts + 1000)));
    assert_eq!(d.count(Counter::SessionsResumed), 1);
    assert!(d.notices().contains(&Notice::SessionRestarted { tracker: TRACKER, reason: "idle" }));
}

#[test]
fn a_session_that_never_plays_ends_after_the_idle_timeout() {
    let mut d = Driver::adobe();
    d.call(start(Some(0)));
    d.advance(30 * 60 * 1000);
    let h = d.hits();
    assert_eq!(h.len(), 1 + 179 + 1);
    assert_eq!(h.last().cloned(), Some(("sessionEnd".to_string(), 0.0, 1_800_000)));
}

#[test]
fn the_24h_cap_restarts_a_playing_session_at_once() {
    let mut c = adobe_config();
    c.timing.ping_interval = Duration::from_secs(600);
    let mut d = Driver::new(c);
    d.calls([start(Some(0)), b1(), a1(), Call::AdComplete, Call::AdBreakComplete, c1(), state_start("mute")]);
    let before = d.sent.len();
    d.slot.set_playhead(100.0);
    d.advance(24 * 3600 * 1000);
    let day = 24 * 3600 * 1000;
    let tail: Vec<_> = d.hits()[before..].iter().filter(|h| h.0 != "ping").cloned().collect();
    assert_eq!(
        tail,
        [
            ("play".to_string(), 100.0, 1000),
            ("sessionEnd".to_string(), 100.0, day),
            ("sessionStart".to_string(), 100.0, day),
            ("chapterStart".to_string(), 100.0, day),
            ("stateStart".to_string(), 100.0, day),
            ("play".to_string(), 100.0, day),
        ]
    );
    assert!(d.notices().contains(&Notice::SessionRestarted { tracker: TRACKER, reason: "session_cap" }));
    // The new session's content start, and its own cap a day later.
    d.advance(1000);
    assert_eq!(d.hits().last().cloned(), Some(("play".to_string(), 100.0, day + 1000)));
    assert_eq!(d.core.poll_timeout().map(|i| d.ms(i)), Some(day as u64 + 1000 + 600_000));
}

#[test]
fn the_24h_cap_while_idle_only_ends_the_session() {
    let mut c = adobe_config();
    c.timing.ping_interval = Duration::from_secs(3600);
    let mut d = Driver::new(c);
    d.calls([start(Some(0)), Call::Play]);
    let day = 24 * 3600 * 1000u64;
    d.advance(day - 10 * 60 * 1000);
    d.call(Call::Pause);
    d.advance(10 * 60 * 1000);
    assert_eq!(d.hits().last().cloned(), Some(("sessionEnd".to_string(), 0.0, day as i64)));
    assert_eq!(d.core.poll_timeout(), None);
    // No restart until playback resumes.
    d.advance(3600 * 1000);
    let n = d.sent.len();
    d.call(Call::Play);
    assert_eq!(d.types()[n..], ["sessionStart", "play"]);
}

#[test]
fn session_gone_restarts_as_a_resumed_session() {
    for status in [404, 410] {
        // The restart waits a random delay up to this (fleet tests cover the delays).
        let mut c = adobe_config();
        c.fleet.restart_delay = std::time::Duration::from_millis(1);
        let mut d = Driver::new(c);
        d.auto = false;
        d.calls([start(Some(0)), c1(), Call::Play]);
        let r = d.poll_all();
        d.respond(
            r[0].id,
            Outcome::Http {
                status: 201,
                location: Some("/api/v1/sessions/old".into()),
                retry_after: None,
                body: Vec::new(),
            },
        );
        let r = d.poll_all();
        assert_eq!(r[0].path, "/api/v1/sessions/old/events");
        d.slot.set_playhead(3.0);
        d.respond(r[0].id, Outcome::Http { status, location: None, retry_after: None, body: Vec::new() });
        // chapterStart failed and play was still held: both are dropped as session_gone.
        assert_eq!(d.count(Counter::SessionGone), 2);
        let notices = d.notices();
        assert!(notices.contains(&Notice::SessionRestarted { tracker: TRACKER, reason: "session_gone" }));
        assert_eq!(
            notices.iter().filter(|n| matches!(n, Notice::Dropped { reason: Counter::SessionGone, .. })).count(),
            2
        );
        assert_eq!(d.count(Counter::SessionsResumed), 1);
        // After its delay, the new session re-sends the context and the playback state.
        assert!(d.poll_all().is_empty(), "the restart waits its delay");
        d.advance(1);
        d.auto = true;
        d.pump();
        let resumed: Vec<_> = d.sent[2..].iter().map(|s| (s.event_type().to_owned(), s.path.clone())).collect();
        assert_eq!(
            resumed,
            [
                ("sessionStart".to_string(), "/api/v1/sessions".to_string()),
                ("chapterStart".to_string(), "/api/v1/sessions/sid1/events".to_string()),
                ("play".to_string(), "/api/v1/sessions/sid1/events".to_string()),
            ]
        );
        assert_eq!(d.sent[2].params()["media.resume"], json!(true));
        assert_eq!(d.sent[2].playhead(), 3.0);
    }
}

#[test]
fn session_gone_after_the_session_ended_does_not_restart() {
    let mut d = Driver::adobe();
    d.auto = false;
    d.calls([start(Some(0)), Call::Play, Call::Complete]);
    let r = d.poll_all();
    d.respond(
        r[0].id,
        Outcome::Http { status: 201, location: Some("/api/v1/sessions/x".into()), retry_after: None, body: Vec::new() },
    );
    let r = d.poll_all();
    d.respond(r[0].id, Outcome::Http { status: 410, location: None, retry_after: None, body: Vec::new() });
    assert_eq!(d.count(Counter::SessionGone), 2);
    assert_eq!(d.count(Counter::SessionsResumed), 0);
    assert!(d.poll_all().is_empty());
    assert!(d.core.is_drained());
}

// ---- deadlines ----

#[test]
fn an_overdue_deadline_fires_before_a_later_call() {
    // The worker may see a call before it fires a deadline that passed: the ping still comes
    // first, stamped with its due time.
    let mut d = Driver::adobe();
    d.calls([start(Some(0)), Call::Play]);
    d.tick(1, 1.0);
    d.t = 12_000;
    d.call(Call::Pause);
    assert_eq!(d.hits()[3..], [("ping".to_string(), 1.0, 11_000), ("pauseStart".to_string(), 1.0, 12_000)]);
}

#[test]
fn nothing_is_scheduled_without_a_session() {
    let mut d = Driver::adobe();
    assert_eq!(d.core.poll_timeout(), None);
    d.calls([start(Some(0)), Call::Play, Call::Complete]);
    assert_eq!(d.core.poll_timeout(), None);
    d.core.handle_timeout(d.stamp_at(10_000_000));
    assert_eq!(d.sent.len(), 3);
}

#[test]
fn pings_follow_the_last_playback_hit_not_other_hits() {
    let mut d = Driver::adobe();
    d.calls([start(Some(0)), Call::Play]);
    d.tick(4, 1.0);
    // Chapter, state and error hits do not move the ping clock.
    d.calls([c1(), state_start("mute"), error("e", ErrorSource::Player), Call::BitrateChange]);
    d.tick(7, 1.0);
    let pings: Vec<i64> = d.hits().iter().filter(|h| h.0 == "ping").map(|h| h.2).collect();
    assert_eq!(pings, [11000]);
}

// ---- removal and downloaded trackers ----

#[test]
fn removing_a_tracker_ends_its_session_and_still_delivers() {
    let mut d = Driver::adobe();
    d.auto = false;
    d.calls([start(Some(0)), c1(), b1(), a1()]);
    d.t = 2000;
    d.core.remove_tracker(TRACKER, d.stamp());
    // Nothing sent yet: the sessionStart is the only request until the 201.
    assert_eq!(d.poll_all().len(), 1);
    assert_eq!(d.core.pending_events(), 9);
    d.auto = true;
    d.respond(
        1,
        Outcome::Http { status: 201, location: Some("/api/v1/sessions/s".into()), retry_after: None, body: Vec::new() },
    );
    d.pump();
    assert_eq!(
        d.types(),
        [
            "sessionStart",
            "chapterStart",
            "adBreakStart",
            "adStart",
            "play",
            "adSkip",
            "adBreakComplete",
            "chapterSkip",
            "sessionEnd"
        ]
    );
    assert!(d.core.is_drained());
    assert_eq!(d.core.poll_timeout(), None);
    // Calls to the removed tracker are ignored.
    d.call(Call::Play);
    assert_eq!(d.ignored().last().cloned(), Some(("play", "unknown_tracker")));
}

#[test]
fn downloaded_hits_are_kept_apart_from_delivery() {
    let mut d = Driver::with_tracker(adobe_config(), TrackerConfig { downloaded: true, ..Default::default() });
    d.calls([start(Some(0)), Call::Play]);
    d.tick(120, 1.0);
    d.call(Call::Complete);
    assert!(d.sent.is_empty());
    assert!(d.core.is_drained());
    let stored = d.core.take_stored(TRACKER);
    let pings: Vec<i64> = stored.iter().filter(|e| e.event_type.as_str() == "ping").map(|e| e.player_time.ts).collect();
    assert_eq!(pings, [51000, 101000]);
    assert_eq!(stored.last().map(|e| e.event_type.as_str()), Some("sessionComplete"));
    assert_eq!(d.count(Counter::HitsGenerated), stored.len() as u64);
}

#[test]
fn zero_timing_knobs_do_not_spin() {
    let mut c = CoreConfig { identity: identity(), ..CoreConfig::default() };
    c.timing.ping_interval = Duration::ZERO;
    c.timing.idle_timeout = Duration::ZERO;
    c.timing.session_cap = Duration::ZERO;
    c.timing.content_start_delay = Duration::ZERO;
    c.timing.preroll_window = Duration::ZERO;
    let mut d = Driver::new(c);
    d.calls([start(None), Call::Play]);
    // Deadlines are at least 1 ms away, so time always moves on.
    let next = d.core.poll_timeout().unwrap();
    assert!(d.ms(next) >= 1);
    d.advance(50);
    assert!(d.sent.len() < 500);
}
