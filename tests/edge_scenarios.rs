//! tracker.md §7's golden scenarios S1–S8 replayed on the Media Edge back end, end to end: the
//! same tracker calls, through the library and libcurl, against the collector's Edge side,
//! asserted on what the collector received: the hits of §7 as Edge events (media-edge.md §6),
//! with their integer playheads and exact timestamps, ad, pod and chapter details, QoE only when
//! it changed, and a lint-clean session. A ninth scenario of our own covers QoE, player states
//! and an error.
//!
//! Time is virtual: the client is host-driven (`MC_THREADING_HOST`) on the test's clock, with
//! tracker.md's real intervals (10-s pings, 1-s granular ad pings, the 1-s content start, the
//! 250-ms pre-roll window). The test moves the clock step by step as §7's convention says: at an
//! instant the step's playhead is set first, then the deadlines due fire, then the calls are
//! made; after each step it drives the client until it is idle (no request in flight, nothing
//! due), so every hit reaches the collector before the clock moves on and no scheduling on the
//! machine can change a result.

mod common;

use std::ffi::CString;
use std::time::{Duration, Instant};

use common::host_loop::{HostLoop, VirtualClock, WALL0};
use mc_collector::edge::mapping::timestamp_ms;
use mc_collector::{Api, Collector, Endpoint, Fault, FaultKind, Options, SessionRecord, Severity};
use media_collection::ffi::client::*;
use media_collection::ffi::tracker::*;
use media_collection::ffi::types::*;
use media_collection::status::mc_status;
use serde_json::{Value, json};

const PLAYER: &str = "edge-scenario-player";

/// tracker.md §7's break, ad and chapter fixtures.
#[derive(Clone, Copy, Debug)]
struct Break(&'static str, u32, f64);
#[derive(Clone, Copy, Debug)]
struct Ad(&'static str, &'static str, u32, f64);
#[derive(Clone, Copy, Debug)]
struct Chapter(&'static str, u32, f64, f64);

const B1: Break = Break("adBreakName", 1, 1.1);
const B2: Break = Break("adBreakName2", 2, 2.2);
const A1: Ad = Ad("adID", "adName", 1, 15.0);
const A2: Ad = Ad("adID2", "adName2", 2, 20.0);
const C1: Chapter = Chapter("chapterName", 1, 1.1, 30.0);

/// One step of a scenario: a tracker call at the current instant, or `Tick(n, k)`: n one-second
/// steps, the playhead moved by k at each.
#[derive(Clone, Copy, Debug)]
enum Do {
    Start,
    Play,
    Pause,
    Complete,
    End,
    BufferStart,
    BufferComplete,
    SeekStart,
    SeekComplete,
    AdBreakStart(Break),
    AdStart(Ad),
    AdComplete,
    AdSkip,
    AdBreakComplete,
    ChapterStart(Chapter),
    ChapterComplete,
    ChapterSkip,
    /// mc_update_qoe(bitrate, startup time, fps, dropped frames).
    Qoe(f64, f64, f64, f64),
    BitrateChange,
    StateStart(&'static str),
    StateEnd(&'static str),
    Error(&'static str),
    Tick(u32, f64),
}
use Do::*;

/// How a scenario's tracker is set up: `preroll` is §7's "pw=default" (the 250-ms window), else
/// "pw=0"; `granular` asks for 1-s pings inside ads; `seeks_in_ad`: the scenario moves the
/// playhead inside an ad, which the collector's lint warns about; `answer_delay_ms`: the
/// collector holds every answer this long (real time).
#[derive(Clone, Copy, Default)]
struct Setup {
    preroll: bool,
    granular: bool,
    seeks_in_ad: bool,
    answer_delay_ms: u64,
}

/// An expected hit: (MC event type, playhead, scenario ms), as written in tracker.md §7.
type Hit = (&'static str, i64, u64);

/// What the collector's Edge side recorded for one scenario.
struct Run {
    session: SessionRecord,
}

impl Run {
    fn events_of(&self, kind: &str) -> Vec<&Value> {
        let kind = format!("media.{kind}");
        self.session.events.iter().filter(|e| e["eventType"] == kind.as_str()).collect()
    }

    /// The detail object (`advertisingDetails`, ...) of every `kind` event, in order.
    fn details(&self, kind: &str, object: &str) -> Vec<Value> {
        self.events_of(kind).iter().map(|e| e["mediaCollection"][object].clone()).collect()
    }
}

fn cstr(s: &str) -> CString {
    CString::new(s).expect("no NUL")
}

/// The Edge events the collector holds so far.
fn received(collector: &Collector) -> usize {
    collector.sessions().iter().filter(|s| s.api == Api::Edge).map(|s| s.events.len()).sum()
}

struct Player<'a> {
    t: mc_tracker_t,
    host: HostLoop<'a>,
    collector: &'a Collector,
    hits: &'a [Hit],
    /// The session asks for granular (1-s) ad pings.
    granular: bool,
    playhead: f64,
}

impl Player<'_> {
    /// The hits of the scenario's instants up to now.
    fn due(&self) -> usize {
        let now = self.host.clock.now();
        self.hits.iter().filter(|(_, _, at)| *at as i64 <= now).count()
    }

    /// Before the clock moves on: every hit of the instants so far reached the collector, and
    /// none of a later instant.
    fn assert_delivered_so_far(&self) {
        let now = self.host.clock.now();
        assert_eq!(received(self.collector), self.due(), "the collector's events once the client is idle at {now} ms");
    }

    fn call(&mut self, step: Do) {
        if let Tick(n, k) = step {
            for _ in 0..n {
                self.assert_delivered_so_far();
                let next = self.host.clock.now() + 1000;
                let t = self.t;
                let playhead = self.playhead + k;
                self.host.step_to(next, || assert_eq!(mc_update_playhead(t, playhead), mc_status::MC_OK));
                self.playhead = playhead;
            }
            return;
        }
        let t = self.t;
        let status = match step {
            Start => {
                let mut media = mc_media_info::defaults();
                media.id = c"mediaID".as_ptr();
                media.name = c"mediaName".as_ptr();
                media.length = 30.0;
                media.content_type = c"aod".as_ptr();
                media.media_type = MC_MEDIA_TYPE_AUDIO;
                let md = [
                    mc_metadata { key: c"media.show".as_ptr(), value: c"sampleshow".as_ptr() },
                    mc_metadata { key: c"key1".as_ptr(), value: c"value1".as_ptr() },
                ];
                media.granular_ad_tracking = self.granular;
                mc_track_session_start(t, &media, md.as_ptr(), md.len())
            }
            Play => mc_track_play(t),
            Pause => mc_track_pause(t),
            Complete => mc_track_complete(t),
            End => mc_track_session_end(t),
            BufferStart => mc_track_buffer_start(t),
            BufferComplete => mc_track_buffer_complete(t),
            SeekStart => mc_track_seek_start(t),
            SeekComplete => mc_track_seek_complete(t),
            AdBreakStart(Break(name, position, start)) => {
                let name = cstr(name);
                let mut b = mc_ad_break_info::defaults();
                b.name = name.as_ptr();
                b.position = position;
                b.start_time = start;
                mc_track_ad_break_start(t, &b)
            }
            AdStart(Ad(id, name, position, length)) => {
                let (id, name) = (cstr(id), cstr(name));
                let mut a = mc_ad_info::defaults();
                a.id = id.as_ptr();
                a.name = name.as_ptr();
                a.position = position;
                a.length = length;
                // One standard key (to advertisingDetails.advertiser) and one custom key.
                let md = [
                    mc_metadata { key: c"a.media.ad.advertiser".as_ptr(), value: c"Ad Guys".as_ptr() },
                    mc_metadata { key: c"adKey".as_ptr(), value: c"adValue".as_ptr() },
                ];
                mc_track_ad_start(t, &a, md.as_ptr(), md.len())
            }
            AdComplete => mc_track_ad_complete(t),
            AdSkip => mc_track_ad_skip(t),
            AdBreakComplete => mc_track_ad_break_complete(t),
            ChapterStart(Chapter(name, position, start, length)) => {
                let name = cstr(name);
                let mut c = mc_chapter_info::defaults();
                c.name = name.as_ptr();
                c.position = position;
                c.start_time = start;
                c.length = length;
                let md = [mc_metadata { key: c"chapterKey".as_ptr(), value: c"chapterValue".as_ptr() }];
                mc_track_chapter_start(t, &c, md.as_ptr(), md.len())
            }
            ChapterComplete => mc_track_chapter_complete(t),
            ChapterSkip => mc_track_chapter_skip(t),
            Qoe(bitrate, startup_time, fps, dropped_frames) => {
                let mut q = mc_qoe::defaults();
                q.bitrate = bitrate;
                q.startup_time = startup_time;
                q.fps = fps;
                q.dropped_frames = dropped_frames;
                mc_update_qoe(t, &q)
            }
            BitrateChange => mc_track_bitrate_change(t),
            StateStart(name) => mc_track_state_start(t, cstr(name).as_ptr()),
            StateEnd(name) => mc_track_state_end(t, cstr(name).as_ptr()),
            Error(id) => mc_track_error(t, cstr(id).as_ptr(), MC_ERROR_SOURCE_PLAYER),
            Tick(..) => unreachable!("handled above"),
        };
        assert_eq!(status, mc_status::MC_OK, "{step:?} at {} ms", self.host.clock.now());
        self.host.settle();
        assert!(received(self.collector) <= self.due(), "nothing ahead of its instant ({step:?})");
    }
}

/// What a session's `min_ts_gap_ms` (1, Media Edge wants distinct timestamps) makes of the
/// scenario's instants: each hit at its instant, or 1 ms after the hit before it when they share
/// one.
fn expected_timestamps(hits: &[Hit]) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::with_capacity(hits.len());
    for (_, _, at) in hits {
        let at = *at as i64;
        out.push(out.last().map_or(at, |prev| at.max(prev + 1)));
    }
    out
}

/// Plays `calls` through a host-driven Media Edge client on a virtual clock against a fresh
/// collector and checks what its Edge side received: one session whose events are `hits` (type
/// and integer playhead) in order, each at its scenario instant to the millisecond and delivered
/// before the clock moved past it, one request per event, every one accepted, every call after
/// the sessionStart on the session's location hint, no QoE unless the scenario set some, the
/// client's counters, no lint error and only the lint warnings the scenario's own calls earn.
fn replay(setup: Setup, calls: &[Do], hits: &[Hit]) -> Run {
    let began = Instant::now();
    let collector = Collector::start(Options::default()).expect("collector");
    if setup.answer_delay_ms > 0 {
        let late = FaultKind::Delay(Duration::from_millis(setup.answer_delay_ms));
        collector.add_fault(Fault::every(Endpoint::Any, late));
    }
    let endpoint = cstr(&collector.base_url());
    let player = cstr(PLAYER);
    let clock = VirtualClock::new();
    let mut cfg = mc_client_config::defaults();
    cfg.backend = MC_BACKEND_MEDIA_EDGE;
    cfg.endpoint = endpoint.as_ptr();
    cfg.edge_config_id = c"ds-test-1".as_ptr();
    cfg.fpid = c"fpid-0001".as_ptr();
    cfg.channel = c"edge-scenarios".as_ptr();
    cfg.player_name = player.as_ptr();
    clock.install(&mut cfg);
    // tracker.md's intervals are the defaults: pings 10 s, granular ad pings 1 s, content
    // start 1 s, the pre-roll window 250 ms.
    assert_eq!(
        (cfg.ping_interval_ms, cfg.granular_ad_ping_interval_ms, cfg.content_start_delay_ms, cfg.preroll_window_ms),
        (10_000, 1_000, 1_000, 250)
    );
    if !setup.preroll {
        cfg.preroll_window_ms = 0;
    }
    let mut client = 0;
    assert_eq!(mc_client_new(&cfg, &mut client), mc_status::MC_OK);
    let mut t = 0;
    assert_eq!(mc_tracker_new(client, std::ptr::null(), &mut t), mc_status::MC_OK);
    let host = HostLoop { client, clock: &clock };
    host.settle();
    let mut p = Player { t, host, collector: &collector, hits, granular: setup.granular, playhead: 0.0 };
    for step in calls {
        p.call(*step);
    }
    p.assert_delivered_so_far();
    let virtual_ms = clock.now();
    assert_eq!(mc_client_flush(client, 5_000), mc_status::MC_OK);
    let mut stats = mc_stats::defaults();
    assert_eq!(mc_client_stats(client, &mut stats), mc_status::MC_OK);
    assert_eq!(mc_tracker_free(t), mc_status::MC_OK);
    assert_eq!(mc_client_free(client, 5_000), mc_status::MC_OK);
    println!("{virtual_ms} ms of scenario in {} ms of real time", began.elapsed().as_millis());
    assert_eq!(received(&collector), hits.len(), "nothing more arrived after the last step");
    // The pre-roll window drops a play made before the first adBreakStart (tracker.md §4.6),
    // and counts it as an ignored call.
    let dropped_plays = if setup.preroll {
        calls.iter().take_while(|c| !matches!(c, AdBreakStart(_) | Tick(..))).filter(|c| matches!(c, Play)).count()
    } else {
        0
    };
    let sent = hits.len() as u64;
    assert_eq!(
        (stats.hits_generated, stats.events_delivered, stats.requests_sent, stats.retries, stats.ignored_call),
        (sent, sent, sent, 0, dropped_plays as u64),
        "the client's counters (hits, delivered, requests, retries, ignored calls)"
    );

    let sessions: Vec<SessionRecord> = collector.sessions().into_iter().filter(|s| s.api == Api::Edge).collect();
    assert_eq!(sessions.len(), 1, "one Edge session: {:#?}", collector.sessions());
    let session = sessions.into_iter().next().expect("one session");
    let got: Vec<(String, i64)> = session
        .events
        .iter()
        .map(|e| {
            let kind = e["eventType"].as_str().unwrap_or("?").to_owned();
            (kind, e["mediaCollection"]["playhead"].as_i64().unwrap_or(-1))
        })
        .collect();
    let want: Vec<(String, i64)> = hits.iter().map(|(kind, ph, _)| (format!("media.{kind}"), *ph)).collect();
    assert_eq!(got, want, "the Edge events (type, playhead) in order");

    // Each event's timestamp is the virtual wall clock at its scenario instant, exactly.
    let ts: Vec<i64> = session
        .events
        .iter()
        .map(|e| timestamp_ms(e["timestamp"].as_str().unwrap_or("")).expect("an ISO-8601 timestamp") - WALL0)
        .collect();
    assert_eq!(ts, expected_timestamps(hits), "timestamps, ms after the scenario's t=0");

    let sets_qoe = calls.iter().any(|c| matches!(c, Qoe(..)));
    if !sets_qoe {
        for e in &session.events {
            assert!(e["mediaCollection"].get("qoeDataDetails").is_none(), "no QoE was set: {e}");
        }
    }
    assert_eq!(session.requests.len(), hits.len(), "one request per event: none sent twice");
    for r in &session.requests {
        assert!((200..300).contains(&r.status), "{} answered {}: {:?} {:?}", r.path, r.status, r.error, r.errors);
        assert!(r.warnings.is_empty(), "{}: validation warnings {:?}", r.path, r.warnings);
    }
    let hint = session.location_hint.clone().expect("the sessionStart answer gave a hint");
    for r in &session.requests[1..] {
        assert!(r.path.starts_with(&format!("/ee/{hint}/va/v1/")), "{} without the hint {hint}", r.path);
    }
    // No lint error, and only the warnings the scenario's own calls earn: §7's metadata key
    // `media.show` (a reserved prefix in customMetadata) and, in S8, the playhead moving in an ad.
    let findings = collector.lint(&session.sid);
    let rules: Vec<(&str, Severity)> = findings.iter().map(|f| (f.rule.as_str(), f.severity)).collect();
    let mut want = vec![("custom-metadata-prefix", Severity::Warning)];
    if setup.seeks_in_ad {
        want.push(("playhead-frozen-in-ad", Severity::Warning));
    }
    assert_eq!(rules, want, "lint findings: {findings:#?}");
    Run { session }
}

fn pod(b: Break) -> Value {
    json!({"friendlyName": b.0, "index": b.1, "offset": b.2.round() as i64})
}

fn ad(a: Ad) -> Value {
    json!({
        "name": a.0, "friendlyName": a.1, "podPosition": a.2, "length": a.3 as i64,
        "playerName": PLAYER, "advertiser": "Ad Guys"
    })
}

fn chapter(c: Chapter) -> Value {
    json!({"friendlyName": c.0, "index": c.1, "offset": c.2.round() as i64, "length": c.3 as i64})
}

fn s1_calls(last: Do) -> Vec<Do> {
    vec![Start, Play, Tick(5, 1.0), Pause, Tick(15, 0.0), Play, Tick(15, 1.0), last]
}

const S1_HITS: &[Hit] = &[
    ("sessionStart", 0, 0),
    ("play", 0, 0),
    ("play", 1, 1000),
    ("pauseStart", 5, 5000),
    ("ping", 5, 15000),
    ("play", 5, 20000),
    ("ping", 15, 30000),
    ("sessionComplete", 20, 35000),
];

#[test]
fn s1_vod_play_pause_resume_complete() {
    let run = replay(Setup::default(), &s1_calls(Complete), S1_HITS);
    let start = &run.session.events[0];
    assert_eq!(
        start["mediaCollection"]["sessionDetails"],
        json!({
            "name": "mediaID", "friendlyName": "mediaName", "length": 30, "contentType": "aod",
            "streamType": "audio", "hasResume": false, "channel": "edge-scenarios", "playerName": PLAYER,
        }),
        "media.id is sessionDetails.name, media.name its friendlyName (§6.1)"
    );
    let mut custom = start["mediaCollection"]["customMetadata"].as_array().cloned().unwrap_or_default();
    custom.sort_by_key(|m| m["name"].as_str().unwrap_or_default().to_owned());
    assert_eq!(
        custom,
        [json!({"name": "key1", "value": "value1"}), json!({"name": "media.show", "value": "sampleshow"})],
        "non-standard metadata as {{name, value}} items"
    );
    assert_eq!(start["identityMap"]["FPID"][0]["id"], "fpid-0001");
    assert!(
        run.session.events[1..].iter().all(|e| e["mediaCollection"]["sessionID"] == run.session.sid.as_str()),
        "every later event names the session"
    );
}

#[test]
fn s1_with_every_answer_late_gives_the_same_session() {
    // Real time spent waiting for the back end moves no clock of the client's: every answer
    // 150 ms late changes no hit, no playhead and no timestamp.
    let run = replay(Setup { answer_delay_ms: 150, ..Setup::default() }, &s1_calls(Complete), S1_HITS);
    let faults: Vec<Option<&str>> = run.session.requests.iter().map(|r| r.fault.as_deref()).collect();
    assert_eq!(faults, [Some("delay 150 ms"); 8], "every answer was held");
}

#[test]
fn s1_variant_session_end() {
    let mut hits = S1_HITS.to_vec();
    *hits.last_mut().expect("hits") = ("sessionEnd", 20, 35000);
    replay(Setup::default(), &s1_calls(End), &hits);
}

fn s2_s3_calls(start: Do, complete: Do) -> Vec<Do> {
    vec![Start, start, Tick(5, 0.0), Play, Tick(5, 1.0), start, Tick(15, 0.0), complete, Play, Tick(15, 1.0), Complete]
}

#[test]
fn s2_buffering() {
    replay(
        Setup::default(),
        &s2_s3_calls(BufferStart, BufferComplete),
        &[
            ("sessionStart", 0, 0),
            ("bufferStart", 0, 0),
            ("play", 0, 5000),
            ("play", 1, 6000),
            ("bufferStart", 5, 10000),
            ("ping", 5, 20000),
            // One hit from BufferComplete; the extra play is a no-op.
            ("play", 5, 25000),
            ("ping", 15, 35000),
            ("sessionComplete", 20, 40000),
        ],
    );
}

#[test]
fn s3_seek_is_reported_as_pause() {
    replay(
        Setup::default(),
        &s2_s3_calls(SeekStart, SeekComplete),
        &[
            ("sessionStart", 0, 0),
            ("pauseStart", 0, 0),
            ("play", 0, 5000),
            ("play", 1, 6000),
            ("pauseStart", 5, 10000),
            ("ping", 5, 20000),
            ("play", 5, 25000),
            ("ping", 15, 35000),
            ("sessionComplete", 20, 40000),
        ],
    );
}

const S4_CALLS: &[Do] =
    &[Start, Play, AdBreakStart(B1), AdStart(A1), Tick(15, 0.0), AdComplete, AdBreakComplete, Tick(15, 1.0), Complete];

#[test]
fn s4_preroll_one_ad_play_called_first() {
    let run = replay(
        Setup { preroll: true, ..Setup::default() },
        S4_CALLS,
        &[
            ("sessionStart", 0, 0),
            ("adBreakStart", 0, 0),
            ("adStart", 0, 0),
            // The early play was dropped by the pre-roll window; this one follows the adStart.
            ("play", 0, 0),
            ("ping", 0, 10000),
            ("adComplete", 0, 15000),
            ("adBreakComplete", 0, 15000),
            ("play", 0, 15000),
            ("play", 1, 16000),
            ("ping", 11, 26000),
            ("sessionComplete", 15, 30000),
        ],
    );
    assert_eq!(run.details("adBreakStart", "advertisingPodDetails"), [pod(B1)]);
    assert_eq!(run.details("adStart", "advertisingDetails"), [ad(A1)], "ad.id is name, ad.name friendlyName");
    assert_eq!(run.details("adStart", "customMetadata"), [json!([{"name": "adKey", "value": "adValue"}])]);
    for kind in ["adComplete", "adBreakComplete"] {
        for e in run.events_of(kind) {
            let mc = e["mediaCollection"].as_object().expect("mediaCollection");
            let mut keys: Vec<&str> = mc.keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(keys, ["playhead", "sessionID"], "{kind} carries no details object (§5.1)");
        }
    }
}

#[test]
fn s5_preroll_with_granular_ad_pings() {
    let mut hits: Vec<Hit> = vec![("sessionStart", 0, 0), ("adBreakStart", 0, 0), ("adStart", 0, 0), ("play", 0, 0)];
    hits.extend((1..=15).map(|s| ("ping", 0, s * 1000)));
    hits.extend([
        ("adComplete", 0, 15000),
        ("adBreakComplete", 0, 15000),
        ("play", 0, 15000),
        ("play", 1, 16000),
        // Back to 10 s in content.
        ("ping", 11, 26000),
        ("sessionComplete", 15, 30000),
    ]);
    replay(Setup { preroll: true, granular: true, ..Setup::default() }, S4_CALLS, &hits);
}

#[test]
fn s6_preroll_with_two_ads_then_a_midroll_with_two_ads() {
    let run = replay(
        Setup::default(),
        &[
            Start,
            AdBreakStart(B1),
            AdStart(A1),
            Tick(15, 0.0),
            AdComplete,
            AdStart(A2),
            Tick(15, 0.0),
            AdComplete,
            AdBreakComplete,
            Play,
            Tick(15, 1.0),
            AdBreakStart(B2),
            AdStart(A1),
            Tick(15, 0.0),
            AdComplete,
            AdStart(A2),
            Tick(15, 0.0),
            AdComplete,
            AdBreakComplete,
            Complete,
        ],
        &[
            ("sessionStart", 0, 0),
            ("adBreakStart", 0, 0),
            ("adStart", 0, 0),
            ("play", 0, 0),
            ("ping", 0, 10000),
            ("adComplete", 0, 15000),
            ("adStart", 0, 15000),
            ("play", 0, 15000),
            ("ping", 0, 25000),
            ("adComplete", 0, 30000),
            ("adBreakComplete", 0, 30000),
            ("play", 0, 30000),
            ("play", 1, 31000),
            ("ping", 11, 41000),
            ("adBreakStart", 15, 45000),
            ("adStart", 15, 45000),
            ("play", 15, 45000),
            ("ping", 15, 55000),
            ("adComplete", 15, 60000),
            ("adStart", 15, 60000),
            ("play", 15, 60000),
            ("ping", 15, 70000),
            ("adComplete", 15, 75000),
            ("adBreakComplete", 15, 75000),
            ("play", 15, 75000),
            ("sessionComplete", 15, 75000),
        ],
    );
    assert_eq!(run.details("adBreakStart", "advertisingPodDetails"), [pod(B1), pod(B2)]);
    assert_eq!(run.details("adStart", "advertisingDetails"), [ad(A1), ad(A2), ad(A1), ad(A2)]);
}

#[test]
fn s7_delayed_ad_start_and_chapters_between_breaks() {
    let run = replay(
        Setup { preroll: true, ..Setup::default() },
        &[
            Start,
            AdBreakStart(B1),
            Tick(15, 0.0),
            AdStart(A1),
            Tick(15, 0.0),
            AdComplete,
            AdBreakComplete,
            ChapterStart(C1),
            Tick(15, 1.0),
            ChapterComplete,
            AdBreakStart(B2),
            Tick(25, 0.0),
            AdStart(A2),
            Tick(15, 0.0),
            AdComplete,
            AdBreakComplete,
            Complete,
        ],
        &[
            ("sessionStart", 0, 0),
            ("adBreakStart", 0, 0),
            ("ping", 0, 10000),
            ("adStart", 0, 15000),
            ("play", 0, 15000),
            ("ping", 0, 25000),
            ("adComplete", 0, 30000),
            ("adBreakComplete", 0, 30000),
            ("play", 0, 30000),
            ("chapterStart", 0, 30000),
            ("play", 1, 31000),
            ("ping", 11, 41000),
            ("chapterComplete", 15, 45000),
            ("adBreakStart", 15, 45000),
            // The 10-s cadence continues from 41 s.
            ("ping", 15, 51000),
            ("ping", 15, 61000),
            ("adStart", 15, 70000),
            ("play", 15, 70000),
            ("ping", 15, 80000),
            ("adComplete", 15, 85000),
            ("adBreakComplete", 15, 85000),
            ("play", 15, 85000),
            ("sessionComplete", 15, 85000),
        ],
    );
    assert_eq!(run.details("chapterStart", "chapterDetails"), [chapter(C1)]);
    assert_eq!(
        run.details("chapterStart", "customMetadata"),
        [json!([{"name": "chapterKey", "value": "chapterValue"}])]
    );
    assert_eq!(run.details("adBreakStart", "advertisingPodDetails"), [pod(B1), pod(B2)]);
}

#[test]
fn s8_seek_out_of_an_ad_chapter_skip_and_session_end_inside_an_ad() {
    let run = replay(
        Setup { preroll: true, seeks_in_ad: true, ..Setup::default() },
        &[
            Start,
            AdBreakStart(B1),
            AdStart(A1),
            Tick(5, 0.0),
            SeekStart,
            Tick(1, 5.0),
            SeekComplete,
            AdSkip,
            AdBreakComplete,
            ChapterStart(C1),
            Tick(15, 1.0),
            SeekStart,
            Tick(1, 5.0),
            ChapterSkip,
            SeekComplete,
            AdBreakStart(B2),
            AdStart(A2),
            Tick(15, 0.0),
            End,
        ],
        &[
            ("sessionStart", 0, 0),
            ("adBreakStart", 0, 0),
            ("adStart", 0, 0),
            ("play", 0, 0),
            ("pauseStart", 0, 5000),
            ("play", 5, 6000),
            ("adSkip", 5, 6000),
            ("adBreakComplete", 5, 6000),
            ("play", 5, 6000),
            ("chapterStart", 5, 6000),
            ("play", 6, 7000),
            ("ping", 16, 17000),
            ("pauseStart", 20, 21000),
            ("chapterSkip", 25, 22000),
            ("play", 25, 22000),
            ("adBreakStart", 25, 22000),
            ("adStart", 25, 22000),
            ("play", 25, 22000),
            ("ping", 25, 32000),
            // sessionEnd closes the open ad and break implicitly.
            ("adSkip", 25, 37000),
            ("adBreakComplete", 25, 37000),
            ("sessionEnd", 25, 37000),
        ],
    );
    assert_eq!(run.details("chapterStart", "chapterDetails"), [chapter(C1)]);
    assert_eq!(run.details("adStart", "advertisingDetails"), [ad(A1), ad(A2)]);
}

/// Ours, beyond §7: QoE goes only with the first event after it changed (always with
/// bitrateChange and error), player states go as statesUpdate, and an error as errorDetails.
#[test]
fn s9_qoe_only_when_changed_states_and_an_error() {
    let run = replay(
        Setup::default(),
        &[
            Start,
            Play,
            Tick(2, 1.0),
            Qoe(2000.0, 2.0, 25.0, 0.0),
            BitrateChange,
            Tick(1, 1.0),
            Pause,
            StateStart("mute"),
            Tick(1, 0.0),
            Qoe(3000.0, 2.0, 23.976, 5.0),
            Play,
            Tick(1, 1.0),
            StateEnd("mute"),
            Error("decoder-1"),
            Tick(1, 1.0),
            Complete,
        ],
        &[
            ("sessionStart", 0, 0),
            ("play", 0, 0),
            ("play", 1, 1000),
            ("bitrateChange", 2, 2000),
            ("pauseStart", 3, 3000),
            ("statesUpdate", 3, 3000),
            ("play", 3, 4000),
            ("statesUpdate", 4, 5000),
            ("error", 4, 5000),
            ("sessionComplete", 5, 6000),
        ],
    );
    let first = json!({"bitrate": 2000, "timeToStart": 2, "framesPerSecond": 25, "droppedFrames": 0});
    let second = json!({"bitrate": 3000, "timeToStart": 2, "framesPerSecond": 23, "droppedFrames": 5});
    let qoe: Vec<Value> = run.session.events.iter().map(|e| e["mediaCollection"]["qoeDataDetails"].clone()).collect();
    assert_eq!(
        qoe,
        [
            Value::Null,
            Value::Null,
            Value::Null,
            first.clone(),  // bitrateChange: always
            Value::Null,    // unchanged
            Value::Null,    // states never carry QoE
            second.clone(), // the first event after the change
            Value::Null,
            second.clone(), // error: always
            second,         // after an error the plain QoE goes once more (tracker.md §5.3)
        ]
    );
    let states = run.details("statesUpdate", "statesStart");
    assert_eq!(states, [json!([{"name": "mute"}]), Value::Null]);
    assert_eq!(run.details("statesUpdate", "statesEnd"), [Value::Null, json!([{"name": "mute"}])]);
    assert_eq!(run.details("error", "errorDetails"), [json!({"name": "decoder-1", "source": "player"})]);
}
