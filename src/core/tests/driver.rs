//! A test driver: a `Core` with one fake clock (`mono` and `ts` move together, ts starts at 0),
//! one tracker whose slot the test writes, and an optional auto-responder that answers every
//! request at once (201 with a Location, 204) and records what was sent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::core::{
    AdBreakInfo, AdInfo, Call, ChapterInfo, Core, CoreConfig, Identity, MediaInfo, MediaType, Metadata, Notice,
    Outcome, Request, RequestId, Snapshot, Stamp, TrackerConfig, TrackerId, TrackerSlot,
};
use crate::stats::{Counter, Stats};

pub(super) const TRACKER: TrackerId = 7;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub(super) struct Sent {
    /// Fake time (ms) when the request was polled: the hit's monotonic instant in auto mode.
    pub(super) at: u64,
    pub(super) tracker: TrackerId,
    pub(super) path: String,
    pub(super) body: Value,
}

impl Sent {
    pub(super) fn event_type(&self) -> &str {
        self.body["eventType"].as_str().unwrap_or_default()
    }

    pub(super) fn playhead(&self) -> f64 {
        self.body["playerTime"]["playhead"].as_f64().unwrap_or(f64::NAN)
    }

    pub(super) fn ts(&self) -> i64 {
        self.body["playerTime"]["ts"].as_i64().unwrap_or(i64::MIN)
    }

    pub(super) fn params(&self) -> &Value {
        &self.body["params"]
    }

    pub(super) fn qoe(&self) -> &Value {
        &self.body["qoeData"]
    }

    pub(super) fn custom(&self) -> &Value {
        &self.body["customMetadata"]
    }
}

pub(super) struct Driver {
    pub(super) core: Core,
    pub(super) stats: Arc<Stats>,
    pub(super) slot: Arc<TrackerSlot>,
    base: Instant,
    /// Fake time, ms since the start.
    pub(super) t: u64,
    /// The wall clock minus the fake monotonic time (ms): a step of the wall clock changes it.
    pub(super) wall_offset: i64,
    /// Answer every request at once (201 + Location / 204) and record it.
    pub(super) auto: bool,
    pub(super) sent: Vec<Sent>,
    sids: u32,
}

pub(super) fn identity() -> Identity {
    Identity {
        tracking_server: "example.sc.omtrdc.net".into(),
        report_suite: "rsid".into(),
        org_id: "ORG@AdobeOrg".into(),
        ecid: Some("ecid-1".into()),
        library_version: "c-media-0.1.0".into(),
        ..Identity::default()
    }
}

/// Adobe-exact timing (`min_ts_gap` 0), default everything else.
pub(super) fn adobe_config() -> CoreConfig {
    let mut c = CoreConfig { identity: identity(), ..CoreConfig::default() };
    c.timing.min_ts_gap = Duration::ZERO;
    c
}

impl Driver {
    pub(super) fn new(config: CoreConfig) -> Driver {
        Driver::with_tracker(config, TrackerConfig::default())
    }

    pub(super) fn adobe() -> Driver {
        Driver::new(adobe_config())
    }

    pub(super) fn with_tracker(config: CoreConfig, tracker: TrackerConfig) -> Driver {
        Driver::with_seed(config, tracker, 1)
    }

    /// `seed` drives the retry jitter.
    pub(super) fn with_seed(config: CoreConfig, tracker: TrackerConfig, seed: u64) -> Driver {
        let stats = Arc::new(Stats::new());
        let mut core = Core::new(config, stats.clone(), seed);
        let slot = Arc::new(TrackerSlot::new());
        core.add_tracker(TRACKER, tracker, slot.clone());
        Driver { core, stats, slot, base: Instant::now(), t: 0, wall_offset: 0, auto: true, sent: Vec::new(), sids: 0 }
    }

    pub(super) fn stamp(&self) -> Stamp {
        self.stamp_at(self.t)
    }

    pub(super) fn stamp_at(&self, t: u64) -> Stamp {
        Stamp { mono: self.base + Duration::from_millis(t), ts: t as i64 + self.wall_offset }
    }

    /// Milliseconds since the start of an instant the core returned, rounded up (jittered
    /// backoffs are not whole milliseconds).
    pub(super) fn ms(&self, i: Instant) -> u64 {
        i.duration_since(self.base).as_nanos().div_ceil(1_000_000) as u64
    }

    /// A call of the test's tracker at the current time, with the slot's playhead as snapshot.
    pub(super) fn call(&mut self, c: Call) {
        self.call_as(TRACKER, c);
    }

    pub(super) fn call_as(&mut self, tracker: TrackerId, c: Call) {
        // What the C layer captures on the player's thread at the call.
        let snap = Snapshot { at: self.stamp(), playhead: self.slot.playhead(), qoe: self.slot.qoe() };
        self.core.handle_call(tracker, snap, c);
        self.pump();
    }

    pub(super) fn calls(&mut self, cs: impl IntoIterator<Item = Call>) {
        for c in cs {
            self.call(c);
        }
    }

    /// tracker.md §7 "tick ×n (+k)": each step moves the playhead by k, the clock by 1 s, and
    /// fires the deadlines due (the playhead is set before they fire).
    pub(super) fn tick(&mut self, n: u32, k: f64) {
        for _ in 0..n {
            self.slot.set_playhead(self.slot.playhead() + k);
            self.t += 1000;
            self.core.handle_timeout(self.stamp());
            self.pump();
        }
    }

    /// Moves the clock to `t + ms`, firing every deadline on its instant on the way.
    pub(super) fn advance(&mut self, ms: u64) {
        let end = self.t + ms;
        while let Some(next) = self.core.poll_timeout() {
            let at = self.ms(next).max(self.t);
            if at > end {
                break;
            }
            self.t = at;
            self.core.handle_timeout(self.stamp());
            self.pump();
        }
        self.t = end;
    }

    /// Auto mode: sends and answers every ready request.
    pub(super) fn pump(&mut self) {
        self.core.check_indexes();
        if !self.auto {
            return;
        }
        while let Some(r) = self.core.poll_request() {
            let outcome = if r.path == "/api/v1/sessions" {
                self.sids += 1;
                Outcome::Http {
                    status: 201,
                    location: Some(format!("/api/v1/sessions/sid{}", self.sids)),
                    retry_after: None,
                    body: Vec::new(),
                }
            } else {
                Outcome::Http { status: 204, location: None, retry_after: None, body: Vec::new() }
            };
            self.record(&r);
            let now = self.stamp();
            self.core.handle_response(r.id, now, outcome);
        }
    }

    pub(super) fn record(&mut self, r: &Request) {
        let body = serde_json::from_slice(&r.body).expect("request bodies are JSON");
        self.sent.push(Sent { at: self.t, tracker: r.tracker, path: r.path.clone(), body });
    }

    /// Manual mode: every request ready now, recorded.
    pub(super) fn poll_all(&mut self) -> Vec<Request> {
        let mut out = Vec::new();
        while let Some(r) = self.core.poll_request() {
            self.record(&r);
            out.push(r);
        }
        self.core.check_indexes();
        out
    }

    pub(super) fn respond(&mut self, id: RequestId, outcome: Outcome) {
        let now = self.stamp();
        self.core.handle_response(id, now, outcome);
        self.core.check_indexes();
    }

    pub(super) fn hits(&self) -> Vec<(String, f64, i64)> {
        self.sent.iter().map(|s| (s.event_type().to_owned(), s.playhead(), s.ts())).collect()
    }

    pub(super) fn types(&self) -> Vec<String> {
        self.sent.iter().map(|s| s.event_type().to_owned()).collect()
    }

    pub(super) fn last(&self) -> &Sent {
        self.sent.last().expect("something was sent")
    }

    pub(super) fn notices(&mut self) -> Vec<Notice> {
        std::iter::from_fn(|| self.core.poll_notice()).collect()
    }

    /// The rules of the calls ignored since the notices were last read.
    pub(super) fn ignored(&mut self) -> Vec<(&'static str, &'static str)> {
        self.notices()
            .into_iter()
            .filter_map(|n| match n {
                Notice::CallIgnored { call, rule, .. } => Some((call, rule)),
                _ => None,
            })
            .collect()
    }

    pub(super) fn count(&self, c: Counter) -> u64 {
        self.stats.get(c)
    }
}

/// Compares hit lists (type, playhead, ts) and prints both in full when they differ.
#[track_caller]
pub(super) fn assert_hits(d: &Driver, expected: &[(&str, f64, i64)]) {
    let got = d.hits();
    let want: Vec<(String, f64, i64)> = expected.iter().map(|(t, p, ts)| (t.to_string(), *p, *ts)).collect();
    if got != want {
        let show = |v: &[(String, f64, i64)]| {
            v.iter().map(|(t, p, ts)| format!("{t}({p},{ts})")).collect::<Vec<_>>().join("\n  ")
        };
        panic!("hits differ\n got:\n  {}\n want:\n  {}", show(&got), show(&want));
    }
}

// ---- fixtures of tracker.md §7 ----

pub(super) fn media(preroll_wait_ms: Option<u64>) -> MediaInfo {
    MediaInfo {
        id: "mediaID".into(),
        name: "mediaName".into(),
        length: 30.0,
        content_type: "aod".into(),
        media_type: MediaType::Audio,
        initial_playhead: 0.0,
        resumed: false,
        preroll_wait: preroll_wait_ms.map(Duration::from_millis),
        granular_ad_tracking: false,
    }
}

pub(super) fn media_metadata() -> Metadata {
    vec![("media.show".into(), "sampleshow".into()), ("key1".into(), "value1".into())]
}

/// sessionStart with the §7 media; `pw` None = the default pre-roll window (250 ms).
pub(super) fn start(pw: Option<u64>) -> Call {
    Call::SessionStart { media: Box::new(media(pw)), metadata: media_metadata() }
}

pub(super) fn start_with(m: MediaInfo) -> Call {
    Call::SessionStart { media: Box::new(m), metadata: media_metadata() }
}

pub(super) fn b1() -> Call {
    Call::AdBreakStart(Box::new(AdBreakInfo { name: "adBreakName".into(), position: 1, start_time: 1.1 }))
}

pub(super) fn b2() -> Call {
    Call::AdBreakStart(Box::new(AdBreakInfo { name: "adBreakName2".into(), position: 2, start_time: 2.2 }))
}

pub(super) fn ad_metadata() -> Metadata {
    vec![("key1".into(), "value1".into()), ("a.media.ad.advertiser".into(), "sampleAdvertiser".into())]
}

pub(super) fn a1() -> Call {
    Call::AdStart {
        ad: Box::new(AdInfo { id: "adID".into(), name: "adName".into(), position: 1, length: 15.0 }),
        metadata: ad_metadata(),
    }
}

pub(super) fn a2() -> Call {
    Call::AdStart {
        ad: Box::new(AdInfo { id: "adID2".into(), name: "adName2".into(), position: 2, length: 20.0 }),
        metadata: ad_metadata(),
    }
}

pub(super) fn c1() -> Call {
    Call::ChapterStart {
        chapter: Box::new(ChapterInfo { name: "chapterName".into(), position: 1, start_time: 1.1, length: 30.0 }),
        metadata: vec![("chapterKey".into(), "chapterValue".into())],
    }
}

pub(super) fn c2() -> Call {
    Call::ChapterStart {
        chapter: Box::new(ChapterInfo { name: "chapterName2".into(), position: 2, start_time: 2.2, length: 40.0 }),
        metadata: Vec::new(),
    }
}

pub(super) fn state_start(name: &str) -> Call {
    Call::StateStart(name.into())
}

pub(super) fn state_end(name: &str) -> Call {
    Call::StateEnd(name.into())
}
