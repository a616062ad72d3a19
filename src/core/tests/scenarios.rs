//! tracker.md §7 S1–S8, hit for hit, at `min_ts_gap = 0`.
//!
//! Adobe's pings fire on the first call (or internal tick) at or after their due time; ours
//! fire on the due instant itself. With the §7 convention (1 s steps, deadlines on whole
//! seconds, the playhead set at the start of each step before that instant's deadlines fire)
//! the two coincide, so the lists below are exactly those of §7. No deviation was found; the
//! only difference in general is that our pings are never late.

use serde_json::json;

use super::driver::*;
use crate::core::{Call, Qoe, TrackerConfig};

#[test]
fn s1_vod_play_pause_resume_complete() {
    let mut d = Driver::adobe();
    d.calls([start(Some(0)), Call::Play]);
    d.tick(5, 1.0);
    d.call(Call::Pause);
    d.tick(15, 0.0);
    d.call(Call::Play);
    d.tick(15, 1.0);
    d.call(Call::Complete);
    assert_hits(
        &d,
        &[
            ("sessionStart", 0.0, 0),
            ("play", 0.0, 0),
            ("play", 1.0, 1000),
            ("pauseStart", 5.0, 5000),
            ("ping", 5.0, 15000),
            ("play", 5.0, 20000),
            ("ping", 15.0, 30000),
            ("sessionComplete", 20.0, 35000),
        ],
    );
    // The whole sessionStart body: media params, enrichment, custom metadata, no QoE.
    let s = &d.sent[0];
    assert_eq!(s.path, "/api/v1/sessions");
    assert_eq!(
        s.body,
        json!({
            "playerTime": {"playhead": 0.0, "ts": 0},
            "eventType": "sessionStart",
            "params": {
                "media.id": "mediaID",
                "media.name": "mediaName",
                "media.length": 30.0,
                "media.contentType": "aod",
                "media.streamType": "audio",
                "media.resume": false,
                "media.downloaded": false,
                "media.channel": "unknown",
                "media.playerName": "unknown",
                "media.libraryVersion": "c-media-0.1.0",
                "analytics.trackingServer": "example.sc.omtrdc.net",
                "analytics.reportSuite": "rsid",
                "analytics.enableSSL": true,
                "visitor.marketingCloudOrgId": "ORG@AdobeOrg",
                "visitor.marketingCloudUserId": "ecid-1"
            },
            "customMetadata": {"media.show": "sampleshow", "key1": "value1"}
        })
    );
    // Later events go to the session the 201 named, and carry nothing but playerTime.
    assert!(d.sent[1..].iter().all(|s| s.path == "/api/v1/sessions/sid1/events"));
    assert_eq!(d.sent[4].body, json!({"playerTime": {"playhead": 5.0, "ts": 15000}, "eventType": "ping"}));
}

#[test]
fn s1_variant_session_end() {
    let mut d = Driver::adobe();
    d.calls([start(Some(0)), Call::Play]);
    d.tick(5, 1.0);
    d.call(Call::Pause);
    d.tick(15, 0.0);
    d.call(Call::Play);
    d.tick(15, 1.0);
    d.call(Call::SessionEnd);
    assert_eq!(d.hits().last().cloned(), Some(("sessionEnd".to_string(), 20.0, 35000)));
    assert_eq!(d.sent.len(), 8);
}

fn s2_s3(start_call: Call, complete_call: Call) -> Driver {
    let mut d = Driver::adobe();
    d.calls([start(Some(0)), start_call.clone()]);
    d.tick(5, 0.0);
    d.call(Call::Play);
    d.tick(5, 1.0);
    d.call(start_call);
    d.tick(15, 0.0);
    d.calls([complete_call, Call::Play]);
    d.tick(15, 1.0);
    d.call(Call::Complete);
    d
}

#[test]
fn s2_buffering() {
    let d = s2_s3(Call::BufferStart, Call::BufferComplete);
    assert_hits(
        &d,
        &[
            ("sessionStart", 0.0, 0),
            ("bufferStart", 0.0, 0),
            ("play", 0.0, 5000),
            ("play", 1.0, 6000),
            ("bufferStart", 5.0, 10000),
            ("ping", 5.0, 20000),
            // One hit from BufferComplete; the extra play is a no-op.
            ("play", 5.0, 25000),
            ("ping", 15.0, 35000),
            ("sessionComplete", 20.0, 40000),
        ],
    );
}

#[test]
fn s3_seek_is_reported_as_pause() {
    let d = s2_s3(Call::SeekStart, Call::SeekComplete);
    assert_hits(
        &d,
        &[
            ("sessionStart", 0.0, 0),
            ("pauseStart", 0.0, 0),
            ("play", 0.0, 5000),
            ("play", 1.0, 6000),
            ("pauseStart", 5.0, 10000),
            ("ping", 5.0, 20000),
            ("play", 5.0, 25000),
            ("ping", 15.0, 35000),
            ("sessionComplete", 20.0, 40000),
        ],
    );
}

fn s4_s5(granular: bool) -> Driver {
    let mut d = Driver::adobe();
    let mut m = media(None);
    m.granular_ad_tracking = granular;
    d.calls([start_with(m), Call::Play, b1(), a1()]);
    d.tick(15, 0.0);
    d.calls([Call::AdComplete, Call::AdBreakComplete]);
    d.tick(15, 1.0);
    d.call(Call::Complete);
    d
}

#[test]
fn s4_preroll_app_plays_first() {
    let d = s4_s5(false);
    assert_hits(
        &d,
        &[
            ("sessionStart", 0.0, 0),
            ("adBreakStart", 0.0, 0),
            ("adStart", 0.0, 0),
            // The app's early play was dropped by the pre-roll window; this one is the forced
            // Play flushed after adStart.
            ("play", 0.0, 0),
            ("ping", 0.0, 10000),
            ("adComplete", 0.0, 15000),
            ("adBreakComplete", 0.0, 15000),
            ("play", 0.0, 15000),
            ("play", 1.0, 16000),
            ("ping", 11.0, 26000),
            ("sessionComplete", 15.0, 30000),
        ],
    );
    assert_eq!(
        d.sent[1].params(),
        &json!({"media.ad.podFriendlyName": "adBreakName", "media.ad.podIndex": 1, "media.ad.podSecond": 1.1})
    );
    assert_eq!(
        d.sent[2].params(),
        &json!({
            "media.ad.id": "adID",
            "media.ad.name": "adName",
            "media.ad.length": 15.0,
            "media.ad.podPosition": 1,
            "media.ad.advertiser": "sampleAdvertiser",
            "media.ad.playerName": "unknown"
        })
    );
    assert_eq!(d.sent[2].custom(), &json!({"key1": "value1"}));
}

#[test]
fn s5_preroll_with_granular_ad_pings() {
    let d = s4_s5(true);
    let mut want = vec![("sessionStart", 0.0, 0), ("adBreakStart", 0.0, 0), ("adStart", 0.0, 0), ("play", 0.0, 0)];
    for s in 1..=15 {
        want.push(("ping", 0.0, s * 1000));
    }
    want.extend([
        ("adComplete", 0.0, 15000),
        ("adBreakComplete", 0.0, 15000),
        ("play", 0.0, 15000),
        ("play", 1.0, 16000),
        // Back to 10 s outside the ad.
        ("ping", 11.0, 26000),
        ("sessionComplete", 15.0, 30000),
    ]);
    assert_hits(&d, &want);
}

#[test]
fn s5_downloaded_ignores_granular_and_pings_every_50s() {
    let mut d = Driver::with_tracker(adobe_config(), TrackerConfig { downloaded: true, ..Default::default() });
    let mut m = media(None);
    m.granular_ad_tracking = true;
    d.calls([start_with(m), Call::Play, b1(), a1()]);
    d.tick(60, 0.0);
    d.calls([Call::AdComplete, Call::AdBreakComplete]);
    d.tick(60, 1.0);
    d.call(Call::Complete);
    // Nothing goes to the network; the hits wait for the offline store.
    assert!(d.sent.is_empty());
    assert_eq!(d.core.pending_events(), 0);
    let stored = d.core.take_stored(TRACKER);
    let got: Vec<(&str, f64, i64)> =
        stored.iter().map(|e| (e.event_type.as_str(), e.player_time.playhead, e.player_time.ts)).collect();
    assert_eq!(
        got,
        [
            ("sessionStart", 0.0, 0),
            ("adBreakStart", 0.0, 0),
            ("adStart", 0.0, 0),
            ("play", 0.0, 0),
            ("ping", 0.0, 50000),
            ("adComplete", 0.0, 60000),
            ("adBreakComplete", 0.0, 60000),
            ("play", 0.0, 60000),
            ("play", 1.0, 61000),
            ("ping", 51.0, 111000),
            ("sessionComplete", 60.0, 120000),
        ]
    );
    assert_eq!(stored[0].params["media.downloaded"], json!(true));
    assert!(d.core.take_stored(TRACKER).is_empty());
}

#[test]
fn s6_preroll_two_ads_then_midroll_two_ads() {
    let mut d = Driver::adobe();
    d.calls([start(Some(0)), b1(), a1()]);
    d.tick(15, 0.0);
    d.calls([Call::AdComplete, a2()]);
    d.tick(15, 0.0);
    d.calls([Call::AdComplete, Call::AdBreakComplete, Call::Play]);
    d.tick(15, 1.0);
    d.calls([b2(), a1()]);
    d.tick(15, 0.0);
    d.calls([Call::AdComplete, a2()]);
    d.tick(15, 0.0);
    d.calls([Call::AdComplete, Call::AdBreakComplete, Call::Complete]);
    assert_hits(
        &d,
        &[
            ("sessionStart", 0.0, 0),
            ("adBreakStart", 0.0, 0),
            ("adStart", 0.0, 0),
            ("play", 0.0, 0),
            ("ping", 0.0, 10000),
            ("adComplete", 0.0, 15000),
            ("adStart", 0.0, 15000),
            ("play", 0.0, 15000),
            ("ping", 0.0, 25000),
            ("adComplete", 0.0, 30000),
            ("adBreakComplete", 0.0, 30000),
            ("play", 0.0, 30000),
            ("play", 1.0, 31000),
            ("ping", 11.0, 41000),
            ("adBreakStart", 15.0, 45000),
            ("adStart", 15.0, 45000),
            ("play", 15.0, 45000),
            ("ping", 15.0, 55000),
            ("adComplete", 15.0, 60000),
            ("adStart", 15.0, 60000),
            ("play", 15.0, 60000),
            ("ping", 15.0, 70000),
            ("adComplete", 15.0, 75000),
            ("adBreakComplete", 15.0, 75000),
            ("play", 15.0, 75000),
            ("sessionComplete", 15.0, 75000),
        ],
    );
    assert_eq!(d.sent[14].params()["media.ad.podIndex"], json!(2));
    assert_eq!(d.sent[14].params()["media.ad.podSecond"], json!(2.2));
    assert_eq!(d.sent[19].params()["media.ad.id"], json!("adID2"));
}

#[test]
fn s7_delayed_ad_start_and_chapters_between_breaks() {
    let mut d = Driver::adobe();
    d.calls([start(None), b1()]);
    d.tick(15, 0.0);
    d.call(a1());
    d.tick(15, 0.0);
    d.calls([Call::AdComplete, Call::AdBreakComplete, c1()]);
    d.tick(15, 1.0);
    d.calls([Call::ChapterComplete, b2()]);
    d.tick(25, 0.0);
    d.call(a2());
    d.tick(15, 0.0);
    d.calls([Call::AdComplete, Call::AdBreakComplete, Call::Complete]);
    assert_hits(
        &d,
        &[
            ("sessionStart", 0.0, 0),
            ("adBreakStart", 0.0, 0),
            // Init-state ping: an ad break with no ad yet.
            ("ping", 0.0, 10000),
            ("adStart", 0.0, 15000),
            ("play", 0.0, 15000),
            ("ping", 0.0, 25000),
            ("adComplete", 0.0, 30000),
            ("adBreakComplete", 0.0, 30000),
            ("play", 0.0, 30000),
            ("chapterStart", 0.0, 30000),
            ("play", 1.0, 31000),
            ("ping", 11.0, 41000),
            ("chapterComplete", 15.0, 45000),
            ("adBreakStart", 15.0, 45000),
            // The 10 s cadence continues from 41000: chapter and break hits do not reset it.
            ("ping", 15.0, 51000),
            ("ping", 15.0, 61000),
            ("adStart", 15.0, 70000),
            ("play", 15.0, 70000),
            ("ping", 15.0, 80000),
            ("adComplete", 15.0, 85000),
            ("adBreakComplete", 15.0, 85000),
            ("play", 15.0, 85000),
            ("sessionComplete", 15.0, 85000),
        ],
    );
    assert_eq!(
        d.sent[9].params(),
        &json!({
            "media.chapter.friendlyName": "chapterName",
            "media.chapter.index": 1,
            "media.chapter.offset": 1.1,
            "media.chapter.length": 30.0
        })
    );
    assert_eq!(d.sent[9].custom(), &json!({"chapterKey": "chapterValue"}));
}

#[test]
fn s8_seek_out_of_an_ad_chapter_skip_and_session_end_mid_ad() {
    let mut d = Driver::adobe();
    d.calls([start(None), b1(), a1()]);
    d.tick(5, 0.0);
    d.call(Call::SeekStart);
    d.tick(1, 5.0);
    d.calls([Call::SeekComplete, Call::AdSkip, Call::AdBreakComplete, c1()]);
    d.tick(15, 1.0);
    d.call(Call::SeekStart);
    d.tick(1, 5.0);
    d.calls([Call::ChapterSkip, Call::SeekComplete, b2(), a2()]);
    d.tick(15, 0.0);
    d.call(Call::SessionEnd);
    assert_hits(
        &d,
        &[
            ("sessionStart", 0.0, 0),
            ("adBreakStart", 0.0, 0),
            ("adStart", 0.0, 0),
            ("play", 0.0, 0),
            ("pauseStart", 0.0, 5000),
            ("play", 5.0, 6000),
            ("adSkip", 5.0, 6000),
            ("adBreakComplete", 5.0, 6000),
            ("play", 5.0, 6000),
            ("chapterStart", 5.0, 6000),
            ("play", 6.0, 7000),
            ("ping", 16.0, 17000),
            ("pauseStart", 20.0, 21000),
            ("chapterSkip", 25.0, 22000),
            ("play", 25.0, 22000),
            ("adBreakStart", 25.0, 22000),
            ("adStart", 25.0, 22000),
            ("play", 25.0, 22000),
            ("ping", 25.0, 32000),
            // sessionEnd closes the open ad and break implicitly.
            ("adSkip", 25.0, 37000),
            ("adBreakComplete", 25.0, 37000),
            ("sessionEnd", 25.0, 37000),
        ],
    );
}

#[test]
fn default_min_ts_gap_spreads_equal_timestamps_by_1ms() {
    // S4 with the default 1 ms gap: hits that Adobe sends with one ts are nudged apart. The
    // nudge never moves deadlines (pings stay on the clock), only the ts sent.
    let mut c = adobe_config();
    c.timing.min_ts_gap = std::time::Duration::from_millis(1);
    let mut d = Driver::new(c);
    d.calls([start(None), Call::Play, b1(), a1()]);
    d.tick(15, 0.0);
    d.calls([Call::AdComplete, Call::AdBreakComplete]);
    d.tick(15, 1.0);
    d.call(Call::Complete);
    assert_hits(
        &d,
        &[
            ("sessionStart", 0.0, 0),
            ("adBreakStart", 0.0, 1),
            ("adStart", 0.0, 2),
            ("play", 0.0, 3),
            ("ping", 0.0, 10000),
            ("adComplete", 0.0, 15000),
            ("adBreakComplete", 0.0, 15001),
            ("play", 0.0, 15002),
            ("play", 1.0, 16000),
            ("ping", 11.0, 26000),
            ("sessionComplete", 15.0, 30000),
        ],
    );
}

#[test]
fn qoe_rides_on_the_scenario_hits_only_when_changed() {
    // S1 with a QoE set after play: the next hit (the content-start play) carries it once.
    let mut d = Driver::adobe();
    d.calls([start(Some(0)), Call::Play]);
    d.slot.set_qoe(Qoe { bitrate: 100000.0, dropped_frames: 2.0, fps: 23.5, startup_time: 20.0 });
    d.tick(5, 1.0);
    d.call(Call::Pause);
    let q = json!({
        "media.qoe.bitrate": 100000, "media.qoe.droppedFrames": 2,
        "media.qoe.framesPerSecond": 23, "media.qoe.timeToStart": 20
    });
    assert_eq!(d.sent[2].qoe(), &q);
    assert!(d.sent[3].qoe().is_null());
}

#[test]
fn qoe_is_the_one_at_each_call_even_when_the_calls_are_handled_later() {
    // Adobe's sequence play, bitrateChange, qoe(1,4,3,2), bitrateChange, bitrateChange,
    // qoe(2.2,4.1,3.1,2.3), bitrateChange, made back to back inside the 250 ms pre-roll window:
    // every call is handled later (at the window's release), yet each hit carries the QoE as it
    // was when its call was made.
    let mut d = Driver::adobe();
    d.calls([start(None), Call::Play, Call::BitrateChange]);
    d.slot.set_qoe(Qoe { bitrate: 1.0, startup_time: 4.0, fps: 3.0, dropped_frames: 2.0 });
    d.calls([Call::BitrateChange, Call::BitrateChange]);
    d.slot.set_qoe(Qoe { bitrate: 2.2, startup_time: 4.1, fps: 3.1, dropped_frames: 2.3 });
    d.call(Call::BitrateChange);
    assert_eq!(d.types(), ["sessionStart"], "the window holds the calls");
    d.advance(250);
    assert_hits(
        &d,
        &[
            ("sessionStart", 0.0, 0),
            ("play", 0.0, 0),
            ("bitrateChange", 0.0, 0),
            ("bitrateChange", 0.0, 0),
            ("bitrateChange", 0.0, 0),
            ("bitrateChange", 0.0, 0),
        ],
    );
    let qoe = |bitrate: i64| {
        json!({
            "media.qoe.bitrate": bitrate, "media.qoe.droppedFrames": 2,
            "media.qoe.framesPerSecond": 3, "media.qoe.timeToStart": 4
        })
    };
    assert!(d.sent[2].qoe().is_null(), "no QoE was set at the first bitrateChange");
    assert_eq!(d.sent[3].qoe(), &qoe(1));
    assert_eq!(d.sent[4].qoe(), &qoe(1));
    assert_eq!(d.sent[5].qoe(), &qoe(2));
    // A ping reads the slot when it fires; "only when changed" compares with what was sent.
    d.advance(1000);
    assert_eq!(d.last().event_type(), "play");
    assert!(d.last().qoe().is_null(), "the content-start play: the QoE sent last is unchanged");
    d.slot.set_qoe(Qoe { bitrate: 3.0, startup_time: 4.0, fps: 3.0, dropped_frames: 2.0 });
    d.advance(10_000);
    assert_eq!(d.last().event_type(), "ping");
    assert_eq!(d.last().qoe(), &qoe(3));
}

#[test]
fn bad_metadata_entries_are_dropped_and_the_session_starts_with_the_rest() {
    // Adobe's SDK drops entries with a bad key or a NULL value and keeps the valid ones (a
    // mixed-case key with digits, an empty value). The entries go through the C layer's
    // conversion, as a player's would.
    use crate::ffi::strings::metadata;
    use crate::ffi::types::mc_metadata;
    let entry = |key: *const std::ffi::c_char, value: *const std::ffi::c_char| mc_metadata { key, value };
    let md = [
        entry(c"vAlid_keY.12".as_ptr(), c"value1".as_ptr()),
        entry(c"invalid-key".as_ptr(), c"dropped".as_ptr()),
        entry(c"emptyValue".as_ptr(), c"".as_ptr()),
        entry(std::ptr::null(), c"dropped".as_ptr()),
        entry(c"a.media.show".as_ptr(), c"show".as_ptr()),
        entry(c"nullValue".as_ptr(), std::ptr::null()),
    ];
    let (kept, dropped) = unsafe { metadata(md.as_ptr(), md.len()) }.expect("the call is accepted");
    let mut d = Driver::adobe();
    d.core.metadata_dropped(TRACKER, "session_start", &dropped);
    d.call(Call::SessionStart { media: Box::new(media(Some(0))), metadata: kept });
    d.call(Call::Play);
    d.t = 500;
    // A second start (a player retrying) is ignored: the session opened with the first one.
    d.call(start(Some(0)));
    assert_hits(&d, &[("sessionStart", 0.0, 0), ("play", 0.0, 0)]);
    assert_eq!(d.sent[0].custom(), &json!({"vAlid_keY.12": "value1", "emptyValue": ""}));
    assert_eq!(d.sent[0].params()["media.show"], json!("show"));
    assert_eq!(d.count(crate::stats::Counter::MetadataDropped), 3);
    let notices = d.notices();
    let reported: Vec<&String> = notices
        .iter()
        .filter_map(|n| match n {
            crate::core::Notice::MetadataDropped { call: "session_start", reason, .. } => Some(reason),
            _ => None,
        })
        .collect();
    assert_eq!(reported.len(), 1, "once per call: {notices:?}");
    assert!(notices.iter().any(|n| matches!(
        n,
        crate::core::Notice::CallIgnored { call: "session_start", rule: "already_in_session", .. }
    )));
    assert!(reported[0].starts_with("3 metadata entries dropped: entry 1: key \"invalid-key\""), "{}", reported[0]);
    assert!(reported[0].contains("entry 3: the key is NULL") && reported[0].contains("\"nullValue\" is NULL"));
}
