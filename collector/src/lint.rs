//! Session lint (spec §14 B): rules over a whole session's events.
//!
//! The rules follow the MC documentation, corrected by what Adobe's own SDKs send
//! (tracker.md §4, §9): equal `ts` values, a `play` after every `adStart`, 10 s pings inside
//! ads without granular tracking and 50 s pings for downloaded content are all normal there, so
//! they are never errors. Errors are kept for what the back end would mis-attribute or drop.
//!
//! Rule ids (stable; see [`rules`]) and severities:
//!
//! | rule | severity |
//! |---|---|
//! | `session-start-first` | error |
//! | `event-after-end` | error |
//! | `event-after-complete` | warning |
//! | `ts-order` | error |
//! | `ts-equal` | warning |
//! | `ad-outside-break` | error |
//! | `ad-unmatched`, `ad-break-unmatched`, `ad-unclosed` | warning |
//! | `ad-break-gap` | warning |
//! | `preroll-play` | error (play inside a pre-roll before its adStart); warning (play just before a break that looks like a pre-roll) |
//! | `play-after-break` | warning |
//! | `playhead-frozen-in-ad` | warning |
//! | `chapter-overlap` | error |
//! | `chapter-unclosed`, `chapter-unmatched` | warning |
//! | `ping-cadence` | warning |
//! | `ping-missing` | error |
//! | `playhead-range` | error when negative, else warning |
//! | `states-limit` | error |
//! | `state-end-unmatched`, `state-already-open` | warning |
//! | `dropped-frames-decrease` | warning |
//! | `time-to-start-changed` | warning |
//! | `custom-metadata-prefix` | warning |
//! | `error-source` | error |

use std::borrow::Cow;
use std::collections::HashSet;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::edge::mapping::mc_view;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One lint finding: rule id, severity, index of the event in the session, message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub index: Option<usize>,
    pub message: String,
}

/// Context the lint needs beyond the events.
#[derive(Debug, Clone, PartialEq)]
pub struct LintOptions {
    /// A downloaded session (50 s pings are expected).
    pub downloaded: bool,
    /// Tolerance on ping cadence, in ms.
    pub ping_tolerance_ms: i64,
}

impl Default for LintOptions {
    fn default() -> Self {
        LintOptions { downloaded: false, ping_tolerance_ms: 1500 }
    }
}

/// The rule ids, so tests and reports can name them without typos.
pub mod rules {
    pub const SESSION_START_FIRST: &str = "session-start-first";
    pub const EVENT_AFTER_END: &str = "event-after-end";
    pub const EVENT_AFTER_COMPLETE: &str = "event-after-complete";
    pub const TS_ORDER: &str = "ts-order";
    pub const TS_EQUAL: &str = "ts-equal";
    pub const AD_OUTSIDE_BREAK: &str = "ad-outside-break";
    pub const AD_UNMATCHED: &str = "ad-unmatched";
    pub const AD_BREAK_UNMATCHED: &str = "ad-break-unmatched";
    pub const AD_UNCLOSED: &str = "ad-unclosed";
    pub const AD_BREAK_GAP: &str = "ad-break-gap";
    pub const PREROLL_PLAY: &str = "preroll-play";
    pub const PLAY_AFTER_BREAK: &str = "play-after-break";
    pub const PLAYHEAD_FROZEN_IN_AD: &str = "playhead-frozen-in-ad";
    pub const CHAPTER_OVERLAP: &str = "chapter-overlap";
    pub const CHAPTER_UNCLOSED: &str = "chapter-unclosed";
    pub const CHAPTER_UNMATCHED: &str = "chapter-unmatched";
    pub const PING_CADENCE: &str = "ping-cadence";
    pub const PING_MISSING: &str = "ping-missing";
    pub const PLAYHEAD_RANGE: &str = "playhead-range";
    pub const MEDIA_LENGTH: &str = "media-length";
    pub const STATES_LIMIT: &str = "states-limit";
    pub const STATE_END_UNMATCHED: &str = "state-end-unmatched";
    pub const STATE_ALREADY_OPEN: &str = "state-already-open";
    pub const DROPPED_FRAMES_DECREASE: &str = "dropped-frames-decrease";
    pub const TIME_TO_START_CHANGED: &str = "time-to-start-changed";
    pub const CUSTOM_METADATA_PREFIX: &str = "custom-metadata-prefix";
    pub const ERROR_SOURCE: &str = "error-source";
}

use rules::*;

/// Ping intervals (ms): content and ads by default, ads with granular tracking, downloaded.
const PING_CONTENT_MS: f64 = 10_000.0;
const PING_GRANULAR_AD_MS: f64 = 1_000.0;
const PING_DOWNLOADED_MS: f64 = 50_000.0;
/// A ping inside an ad this soon after the cadence reference means granular ad tracking.
const GRANULAR_DETECT_MS: f64 = 5_000.0;
/// Playhead slack (s): past `media.length`, and for "frozen" during an ad.
const PLAYHEAD_SLACK_S: f64 = 1.0;
const AD_PLAYHEAD_SLACK_S: f64 = 0.5;
/// How far the playhead may move before an ad break and still make it a pre-roll.
const PREROLL_PLAYHEAD_S: f64 = 1.0;
/// A day in seconds: the live playhead range, and the `media.length` of live content.
const DAY_S: f64 = 86_400.0;
const MAX_STATES: usize = 10;

/// The parts of one event the rules read; anything missing or of the wrong type is `None`, so
/// the lint runs on any JSON at all.
struct Ev<'a> {
    kind: &'a str,
    ts: Option<f64>,
    ph: Option<f64>,
    params: Option<&'a Map<String, Value>>,
    qoe: Option<&'a Map<String, Value>>,
    custom: Option<&'a Map<String, Value>>,
}

impl<'a> Ev<'a> {
    fn new(v: &'a Value) -> Ev<'a> {
        let finite = |x: Option<f64>| x.filter(|f| f.is_finite());
        let pt = v.get("playerTime");
        Ev {
            kind: v.get("eventType").and_then(Value::as_str).unwrap_or(""),
            ts: finite(pt.and_then(|p| p.get("ts")).and_then(Value::as_f64)),
            ph: finite(pt.and_then(|p| p.get("playhead")).and_then(Value::as_f64)),
            params: v.get("params").and_then(Value::as_object),
            qoe: v.get("qoeData").and_then(Value::as_object),
            custom: v.get("customMetadata").and_then(Value::as_object),
        }
    }

    fn param(&self, key: &str) -> Option<&'a Value> {
        self.params.and_then(|p| p.get(key))
    }

    fn qoe_num(&self, key: &str) -> Option<f64> {
        self.qoe.and_then(|q| q.get(key)).and_then(Value::as_f64).filter(|f| f.is_finite())
    }

    fn is(&self, kind: &str) -> bool {
        self.kind == kind
    }

    fn is_playback_state(&self) -> bool {
        matches!(self.kind, "play" | "pauseStart" | "bufferStart")
    }

    fn is_end(&self) -> bool {
        matches!(self.kind, "sessionEnd" | "sessionComplete")
    }
}

#[derive(Default)]
struct Out(Vec<Finding>);

impl Out {
    fn push(&mut self, rule: &str, severity: Severity, index: usize, message: impl Into<String>) {
        self.0.push(Finding { rule: rule.to_string(), severity, index: Some(index), message: message.into() });
    }
    fn error(&mut self, rule: &str, index: usize, message: impl Into<String>) {
        self.push(rule, Severity::Error, index, message);
    }
    fn warn(&mut self, rule: &str, index: usize, message: impl Into<String>) {
        self.push(rule, Severity::Warning, index, message);
    }
}

/// Lints the accepted events of one session, in arrival order. Media Edge events are read as
/// the MC events they map to ([`crate::edge::mapping::mc_view`]), so one set of rules serves both
/// APIs; findings name the MC fields (the collector's README maps them to XDM).
pub fn lint_session(events: &[Value], opts: &LintOptions) -> Vec<Finding> {
    let views: Vec<Cow<Value>> = events.iter().map(mc_view).collect();
    let evs: Vec<Ev> = views.iter().map(|v| Ev::new(v)).collect();
    let mut out = Out::default();
    lifecycle(&evs, &mut out);
    ts_order(&evs, &mut out);
    structure(&evs, &mut out);
    ping_cadence(&evs, opts, &mut out);
    playhead_range(&evs, &mut out);
    states(&evs, &mut out);
    qoe(&evs, &mut out);
    metadata_and_errors(&evs, &mut out);
    let mut findings = out.0;
    findings.sort_by_key(|f| f.index.unwrap_or(usize::MAX));
    findings
}

fn describe(kind: &str) -> String {
    if kind.is_empty() { "an event without eventType".to_string() } else { kind.to_string() }
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x}") }
}

/// `session-start-first`, `event-after-end`, `event-after-complete`.
fn lifecycle(evs: &[Ev], out: &mut Out) {
    let mut ended = false;
    let mut completed = false;
    for (i, e) in evs.iter().enumerate() {
        if i == 0 && !e.is("sessionStart") {
            out.error(
                SESSION_START_FIRST,
                i,
                format!("the session begins with {}; sessionStart must come first", describe(e.kind)),
            );
        } else if i > 0 && e.is("sessionStart") {
            out.error(SESSION_START_FIRST, i, "a second sessionStart in one session; a new session needs a new sid");
        }
        if ended {
            out.error(
                EVENT_AFTER_END,
                i,
                format!("{} after sessionEnd: the back end drops every event of a closed session", describe(e.kind)),
            );
        } else if completed && !e.is("ping") && !e.is("sessionEnd") {
            out.warn(
                EVENT_AFTER_COMPLETE,
                i,
                format!(
                    "{} after sessionComplete: only pings (or sessionEnd) are expected once content completed",
                    describe(e.kind)
                ),
            );
        }
        ended |= e.is("sessionEnd");
        completed |= e.is("sessionComplete");
    }
}

/// `ts-order` (decreasing) and `ts-equal` (less than 1 ms apart, which Adobe's SDK does routinely).
fn ts_order(evs: &[Ev], out: &mut Out) {
    let mut prev: Option<(usize, f64)> = None;
    for (i, e) in evs.iter().enumerate() {
        let Some(ts) = e.ts else { continue };
        if let Some((j, p)) = prev {
            if p - ts >= 1.0 {
                out.error(
                    TS_ORDER,
                    i,
                    format!(
                        "ts {} is {} ms before the ts of event {j}; ts must not decrease",
                        fmt_num(ts),
                        fmt_num(p - ts)
                    ),
                );
            } else if (ts - p).abs() < 1.0 {
                out.warn(
                    TS_EQUAL,
                    i,
                    format!(
                        "{} has the same ts as event {j} ({}); the docs ask for at least 1 ms between events",
                        describe(e.kind),
                        fmt_num(ts)
                    ),
                );
            }
        }
        prev = Some((i, ts));
    }
}

/// Ad breaks, ads and chapters: nesting, the gap before and between ads, pre-roll, the play
/// after a break, the frozen playhead inside an ad.
fn structure(evs: &[Ev], out: &mut Out) {
    let mut in_break: Option<usize> = None;
    let mut in_ad: Option<(usize, Option<f64>, bool)> = None; // (index, playhead, frozen warning given)
    let mut breaks_seen = 0usize;
    let mut preroll_waiting = false; // inside a pre-roll break, before its first adStart
    let mut plays_before_break: Vec<usize> = Vec::new();
    let mut first_ph: Option<f64> = None;
    let mut max_ph: Option<f64> = None;
    let mut after_break: Option<usize> = None;
    let mut chapter: Option<usize> = None;
    let mut ended = false;
    // A resumed session (media.resume) continues content already started: it has no pre-roll.
    let resumed = evs
        .iter()
        .find(|e| e.is("sessionStart"))
        .and_then(|s| s.param("media.resume"))
        .is_some_and(|r| r == &Value::Bool(true));

    for (i, e) in evs.iter().enumerate() {
        if ended {
            break;
        }
        if let Some(ph) = e.ph {
            if breaks_seen == 0 {
                first_ph.get_or_insert(ph);
                max_ph = Some(max_ph.map_or(ph, |m: f64| m.max(ph)));
            }
        }

        // Playhead inside an ad stays at the content position.
        if let Some((start, Some(ph0), warned)) = in_ad.as_mut() {
            if let Some(ph) = e.ph {
                if !*warned && (ph - *ph0).abs() > AD_PLAYHEAD_SLACK_S {
                    *warned = true;
                    out.warn(
                        PLAYHEAD_FROZEN_IN_AD,
                        i,
                        format!(
                            "playhead moved from {} to {} inside the ad started at event {start}; during ads it stays at the content position (server-side ad insertion moves it: report the content position, not the stream's)",
                            fmt_num(*ph0),
                            fmt_num(ph)
                        ),
                    );
                }
            }
        }

        // The next playback-state event after adBreakComplete should put the player back to play.
        if let Some(j) = after_break {
            if e.is("play") || e.is("pauseStart") || e.is_end() {
                after_break = None;
            } else if e.is("bufferStart") || e.is("adBreakStart") {
                after_break = None;
                out.warn(
                    PLAY_AFTER_BREAK,
                    i,
                    format!("{} follows the adBreakComplete at event {j} with no play in between", e.kind),
                );
            }
        }

        // Nothing but pings between adBreakStart and the first adStart, and between ads.
        let in_gap = in_break.is_some() && in_ad.is_none();
        if in_gap && preroll_waiting && e.is("play") {
            out.error(
                PREROLL_PLAY,
                i,
                "play inside a pre-roll break before its adStart; the first play comes after adStart",
            );
        } else if in_gap
            && !matches!(
                e.kind,
                "ping" | "adStart" | "adBreakStart" | "adBreakComplete" | "sessionEnd" | "sessionComplete"
            )
        {
            out.warn(
                AD_BREAK_GAP,
                i,
                format!(
                    "{} inside an ad break but outside an ad; only pings belong before an adStart or between ads",
                    describe(e.kind)
                ),
            );
        }

        match e.kind {
            "adBreakStart" => {
                if let Some(j) = in_break {
                    out.warn(
                        AD_BREAK_UNMATCHED,
                        i,
                        format!("adBreakStart while the ad break of event {j} is still open"),
                    );
                }
                if breaks_seen == 0 && !resumed {
                    if plays_before_break.is_empty() {
                        preroll_waiting = true;
                    } else {
                        // Unsure: a play came first, but content did not advance before the
                        // break, so it looks like a pre-roll the play should have waited for.
                        let advanced = match (first_ph, max_ph) {
                            (Some(f), Some(m)) => m - f > PREROLL_PLAYHEAD_S,
                            _ => false,
                        };
                        if !advanced {
                            for &p in &plays_before_break {
                                out.warn(
                                    PREROLL_PLAY,
                                    p,
                                    format!(
                                        "play before the ad break at event {i}, which looks like a pre-roll (the playhead did not advance); the first play comes after its adStart"
                                    ),
                                );
                            }
                        }
                    }
                }
                breaks_seen += 1;
                in_break = Some(i);
                in_ad = None;
            }
            "adBreakComplete" => {
                if in_break.is_none() {
                    out.warn(AD_BREAK_UNMATCHED, i, "adBreakComplete without an open ad break");
                } else {
                    after_break = Some(i);
                }
                if let Some((j, _, _)) = in_ad {
                    out.warn(
                        AD_UNCLOSED,
                        i,
                        format!(
                            "adBreakComplete while the ad of event {j} is open; close it with adComplete or adSkip"
                        ),
                    );
                }
                in_break = None;
                in_ad = None;
                preroll_waiting = false;
            }
            "adStart" | "adComplete" | "adSkip" if in_break.is_none() => {
                out.error(
                    AD_OUTSIDE_BREAK,
                    i,
                    format!(
                        "{} outside an ad break; the back end ignores ads without adBreakStart/adBreakComplete",
                        e.kind
                    ),
                );
            }
            "adStart" => {
                if let Some((j, _, _)) = in_ad {
                    out.warn(
                        AD_UNMATCHED,
                        i,
                        format!("adStart while the ad of event {j} is open; close it with adComplete or adSkip first"),
                    );
                }
                in_ad = Some((i, e.ph, false));
                preroll_waiting = false;
            }
            "adComplete" | "adSkip" => {
                if in_ad.is_none() {
                    out.warn(AD_UNMATCHED, i, format!("{} without an open ad", e.kind));
                }
                in_ad = None;
            }
            "chapterStart" => {
                if let Some(j) = chapter {
                    out.error(
                        CHAPTER_OVERLAP,
                        i,
                        format!("chapterStart while the chapter of event {j} is open; close it with chapterComplete or chapterSkip first"),
                    );
                }
                chapter = Some(i);
            }
            "chapterComplete" | "chapterSkip" => {
                if chapter.is_none() {
                    out.warn(CHAPTER_UNMATCHED, i, format!("{} without an open chapter", e.kind));
                }
                chapter = None;
            }
            "play" if in_break.is_none() && breaks_seen == 0 => plays_before_break.push(i),
            "sessionEnd" | "sessionComplete" => {
                if let Some(j) = chapter {
                    out.warn(
                        CHAPTER_UNCLOSED,
                        i,
                        format!(
                            "{} while the chapter of event {j} is open; send chapterComplete or chapterSkip first",
                            e.kind
                        ),
                    );
                }
                if let Some(j) = in_ad.map(|a| a.0).or(in_break) {
                    out.warn(
                        AD_UNCLOSED,
                        i,
                        format!("{} while the ad or ad break of event {j} is open; close them first", e.kind),
                    );
                }
                ended = true;
            }
            _ => {}
        }
    }
}

/// `ping-cadence` and `ping-missing`. The reference is the last ping or playback-state event
/// (tracker.md §4.5); the interval depends on where the session is (content, ad, downloaded),
/// and a change of interval gives the client a full new interval from the change.
fn ping_cadence(evs: &[Ev], opts: &LintOptions, out: &mut Out) {
    let tol = opts.ping_tolerance_ms.max(0) as f64;
    let granular = !opts.downloaded && uses_granular_ad_pings(evs);
    let interval = |in_ad: bool| {
        if opts.downloaded {
            PING_DOWNLOADED_MS
        } else if in_ad && granular {
            PING_GRANULAR_AD_MS
        } else {
            PING_CONTENT_MS
        }
    };
    let any_ping = evs.iter().any(|e| e.is("ping"));
    let mut in_ad = false;
    let mut reference: Option<(usize, f64)> = None;
    let mut deadline = 0.0;
    let mut warned = false;
    let mut missing_reported = false;

    for (i, e) in evs.iter().enumerate() {
        let Some(ts) = e.ts else { continue };
        if let Some((r, rts)) = reference {
            let expected = interval(in_ad);
            if ts > deadline + tol && !warned {
                warned = true;
                let gap = ts - rts;
                let place = if opts.downloaded {
                    "a downloaded session"
                } else if in_ad && granular {
                    "an ad with granular (1 s) ad pings"
                } else if in_ad {
                    "an ad"
                } else {
                    "content"
                };
                out.warn(
                    PING_CADENCE,
                    i,
                    format!(
                        "{} ms without a ping since event {r} ({}); pings are due about every {} ms in {place}",
                        fmt_num(gap),
                        evs[r].kind,
                        fmt_num(expected)
                    ),
                );
            }
            let gap = ts - rts;
            if !any_ping && !missing_reported && gap > 2.0 * expected + tol {
                missing_reported = true;
                out.error(
                    PING_MISSING,
                    i,
                    format!(
                        "the session sends no pings at all ({} ms open without one); pings are due about every {} ms",
                        fmt_num(gap),
                        fmt_num(expected)
                    ),
                );
            }
        }
        if e.is_end() {
            // Adobe's SDK stops pinging after sessionComplete; sessionEnd closes the session.
            break;
        }
        let was = interval(in_ad);
        match e.kind {
            "adStart" => in_ad = true,
            "adComplete" | "adSkip" | "adBreakStart" | "adBreakComplete" => in_ad = false,
            _ => {}
        }
        let now = interval(in_ad);
        if reference.is_some() && now != was {
            deadline = if now < was { f64::min(deadline, ts + now) } else { f64::max(deadline, ts + now) };
            warned = false;
        }
        if e.is("ping") || e.is("sessionStart") || e.is_playback_state() {
            reference = Some((i, ts));
            deadline = ts + now;
            warned = false;
        }
    }
}

/// Whether the session pings about every second inside ads (granular ad tracking): some ping
/// inside an ad comes well under the 10 s default after its reference.
fn uses_granular_ad_pings(evs: &[Ev]) -> bool {
    let mut in_ad = false;
    let mut reference: Option<f64> = None;
    for e in evs {
        match e.kind {
            "adStart" => in_ad = true,
            "adComplete" | "adSkip" | "adBreakStart" | "adBreakComplete" => in_ad = false,
            _ => {}
        }
        let Some(ts) = e.ts else { continue };
        if in_ad && e.is("ping") && reference.is_some_and(|r| ts - r < GRANULAR_DETECT_MS) {
            return true;
        }
        if e.is("ping") || e.is("sessionStart") || e.is_playback_state() {
            reference = Some(ts);
        }
    }
    false
}

/// `playhead-range`: VOD within 0..=media.length (plus slack), live within 0..86400.
/// Reported once per kind of violation with a count, since a wrong playhead is usually wrong
/// on every event.
fn playhead_range(evs: &[Ev], out: &mut Out) {
    let start = evs.iter().find(|e| e.is("sessionStart"));
    let length = start.and_then(|s| s.param("media.length")).and_then(Value::as_f64).filter(|l| l.is_finite());
    let content_type =
        start.and_then(|s| s.param("media.contentType")).and_then(Value::as_str).unwrap_or("").to_ascii_lowercase();
    let live = matches!(content_type.as_str(), "live" | "linear") || length.is_some_and(|l| l >= DAY_S);
    // The schema types media.length as a number only; a negative one (a player that passed
    // "unknown" as -1) breaks every completion metric of the session.
    if let (Some(l), Some(i)) = (length.filter(|l| *l < 0.0), evs.iter().position(|e| e.is("sessionStart"))) {
        out.error(
            MEDIA_LENGTH,
            i,
            format!(
                "media.length is {}; it must be 0 or more (seconds; 86400 for live content of unknown length)",
                fmt_num(l)
            ),
        );
    }

    let mut negative: Vec<usize> = Vec::new();
    let mut over: Vec<usize> = Vec::new();
    for (i, e) in evs.iter().enumerate() {
        let Some(ph) = e.ph else { continue };
        if ph < 0.0 {
            negative.push(i);
        } else if live && ph >= DAY_S {
            over.push(i);
        } else if let Some(l) = length.filter(|l| !live && *l > 0.0) {
            if ph > l + PLAYHEAD_SLACK_S {
                over.push(i);
            }
        }
    }
    let count = |v: &[usize]| if v.len() > 1 { format!(" ({} events in all)", v.len()) } else { String::new() };
    if let Some(&i) = negative.first() {
        out.error(
            PLAYHEAD_RANGE,
            i,
            format!("negative playhead {}{}", fmt_num(evs[i].ph.unwrap_or(0.0)), count(&negative)),
        );
    }
    if let Some(&i) = over.first() {
        let ph = fmt_num(evs[i].ph.unwrap_or(0.0));
        let msg = if live {
            format!("playhead {ph} is not a second of the day (live content: 0 <= playhead < 86400){}", count(&over))
        } else {
            format!("playhead {ph} is past media.length {}{}", fmt_num(length.unwrap_or(0.0)), count(&over))
        };
        out.warn(PLAYHEAD_RANGE, i, msg);
    }
}

/// The state names a `stateStart`/`stateEnd` or one list of a `statesUpdate` names.
fn state_names<'a>(e: &Ev<'a>, list: &str) -> Vec<&'a str> {
    match e.params.and_then(|p| p.get(list)) {
        Some(Value::Array(items)) => {
            items.iter().filter_map(|it| it.get("media.state.name").and_then(Value::as_str)).collect()
        }
        _ => Vec::new(),
    }
}

/// `states-limit`, `state-end-unmatched`, `state-already-open`.
fn states(evs: &[Ev], out: &mut Out) {
    let mut distinct: Vec<&str> = Vec::new();
    let mut open: HashSet<&str> = HashSet::new();
    for (i, e) in evs.iter().enumerate() {
        let single = || e.param("media.state.name").and_then(Value::as_str).into_iter().collect::<Vec<_>>();
        let (ends, starts) = match e.kind {
            "stateStart" => (Vec::new(), single()),
            "stateEnd" => (single(), Vec::new()),
            "statesUpdate" => (state_names(e, "statesEnd"), state_names(e, "statesStart")),
            _ => continue,
        };
        for name in ends {
            if !open.remove(name) {
                out.warn(STATE_END_UNMATCHED, i, format!("state {name:?} ends but is not open"));
            }
        }
        for name in starts {
            if !distinct.contains(&name) {
                if distinct.len() >= MAX_STATES {
                    out.error(
                        STATES_LIMIT,
                        i,
                        format!("state {name:?} would be distinct state number {}; at most {MAX_STATES} per session are kept", distinct.len() + 1),
                    );
                    continue;
                }
                distinct.push(name);
            }
            if !open.insert(name) {
                out.warn(STATE_ALREADY_OPEN, i, format!("state {name:?} starts but is already open"));
            }
        }
    }
}

/// `dropped-frames-decrease` (the value is cumulative) and `time-to-start-changed`.
fn qoe(evs: &[Ev], out: &mut Out) {
    let mut dropped: Option<(usize, f64)> = None;
    let mut tts: Option<f64> = None;
    let mut played = false;
    for (i, e) in evs.iter().enumerate() {
        if let Some(d) = e.qoe_num("media.qoe.droppedFrames") {
            if let Some((j, p)) = dropped {
                if d < p {
                    out.warn(
                        DROPPED_FRAMES_DECREASE,
                        i,
                        format!(
                            "droppedFrames fell from {} (event {j}) to {}; it is a cumulative count",
                            fmt_num(p),
                            fmt_num(d)
                        ),
                    );
                }
            }
            dropped = Some((i, d));
        }
        if let Some(t) = e.qoe_num("media.qoe.timeToStart") {
            if let Some(p) = tts.filter(|p| played && *p != t) {
                out.warn(
                    TIME_TO_START_CHANGED,
                    i,
                    format!("timeToStart changed from {} to {} after the first play", fmt_num(p), fmt_num(t)),
                );
            }
            tts = Some(t);
        }
        played |= e.is("play");
    }
}

/// `custom-metadata-prefix` and `error-source`.
fn metadata_and_errors(evs: &[Ev], out: &mut Out) {
    for (i, e) in evs.iter().enumerate() {
        if let Some(cm) = e.custom {
            let reserved: Vec<&str> =
                cm.keys().map(String::as_str).filter(|k| k.starts_with("a.") || k.starts_with("media.")).collect();
            if !reserved.is_empty() {
                out.warn(
                    CUSTOM_METADATA_PREFIX,
                    i,
                    format!(
                        "customMetadata keys {reserved:?} on {}: \"a.\" is reserved and \"media.\" may overwrite standard fields",
                        e.kind
                    ),
                );
            }
        }
        let sources = [
            ("qoeData", "media.qoe.errorSource", e.qoe.and_then(|q| q.get("media.qoe.errorSource"))),
            ("params", "media.errorSource", e.param("media.errorSource")),
        ];
        for (place, key, value) in sources {
            let Some(v) = value else { continue };
            if !matches!(v.as_str(), Some("player" | "external")) {
                out.error(ERROR_SOURCE, i, format!("{place} {key} is {v}; it must be \"player\" or \"external\""));
            }
        }
    }
}
