//! Adobe's Media Edge API (media-edge.md): `POST {domain}/ee[/{hint}]/va/v1/{type}?configId=…`,
//! the session id from the sessionStart answer's `media-analytics:new-session` handle, bodies in
//! the XDM envelope `{"events":[{"xdm":{…}}]}` mapped from the hits per §6.
//!
//! Choices where the spec leaves one (§10), written down here and in the README:
//! - `configId` on every call, `timestamp` on every event (UTC, milliseconds, `Z`).
//! - Playheads, lengths, offsets and QoE values are rounded half away from zero to integers.
//! - `stateStart`/`stateEnd` hits go out as `statesUpdate` with one list of one state, as the
//!   Edge Media SDK does; state names pass through unchanged.
//! - Any 2xx accepts an event; a sessionStart succeeds iff the answer (200 or 207) has a
//!   non-empty session id. 408, 429, 502, 503, 504 are retried (`Retry-After` obeyed by the
//!   shared gate); 500 is not; 404/410 on an event restart the session.
//! - The location hint of the sessionStart answer (scope `EdgeNetwork`) is kept for that session
//!   and put in the path of its later calls. The client also remembers the last hint an answer
//!   gave, for its `ttlSeconds` (1800 when absent), and a later session's sessionStart goes to
//!   it (§1.3's recommendation, what Adobe's Edge extension does): a client stays on one edge.
//!   Expiry is measured on the events' own clock (the sessionStart's `ts`), so this stays free
//!   of clocks; a clock stepped back forgets the hint. Downloaded uploads go without a hint.
//! - `identityMap` goes in `events[0].xdm` of the sessionStart and of a downloaded upload.

use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value};

use super::{Backend, HttpRequest, SessionRoute, UploadPart, Verdict, resumed_start};
use crate::core::Outcome;
use crate::hit::{Event, EventType};

/// Adobe's edge domain; a first-party domain may replace it.
pub use super::EDGE_DEFAULT_DOMAIN as DEFAULT_DOMAIN;
/// A Media Edge request may be at most 64 KB (larger: 413), which matters for `/downloaded`.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Query values keep only RFC 3986 unreserved characters.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// What a Media Edge client is configured with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EdgeSettings {
    /// The datastream id (`configId`).
    pub config_id: String,
    /// A first-party device id, sent as `identityMap.FPID`.
    pub fpid: Option<String>,
}

/// A location hint a sessionStart answer gave, and the span of event time it holds for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LearnedHint {
    hint: String,
    /// The latest sessionStart `ts` sent before the answer came: the hint is not older.
    since_ms: i64,
    until_ms: i64,
}

/// The hint a client learned, and the `ts` of the latest sessionStart it sent (the hint's age
/// is counted from there: never later than the answer, so the hint never outlives its ttl).
#[derive(Debug, Default)]
struct HintMemory {
    learned: Option<LearnedHint>,
    last_start_ms: i64,
}

#[derive(Debug)]
pub struct MediaEdge {
    settings: EdgeSettings,
    /// Held only for a few field reads and writes, never across I/O; one worker uses it.
    hints: Mutex<HintMemory>,
}

/// A hint's life when its answer gives no `ttlSeconds` (Adobe's Edge extension's default).
const DEFAULT_HINT_TTL_S: i64 = 1800;
/// The longest life a hint is given, whatever the answer says.
const MAX_HINT_TTL_S: i64 = 86_400;

impl MediaEdge {
    pub fn new(settings: EdgeSettings) -> MediaEdge {
        MediaEdge { settings, hints: Mutex::new(HintMemory::default()) }
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, HintMemory> {
        // The memory is a cache: after a panic elsewhere its contents are still usable.
        self.hints.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The hint a sessionStart stamped `ts_ms` goes to: the last one learned, while it holds.
    /// An expired hint (or one from a clock since stepped back) is forgotten.
    fn start_hint(&self, ts_ms: i64) -> Option<String> {
        let mut m = self.memory();
        m.last_start_ms = m.last_start_ms.max(ts_ms);
        let holds = m.learned.as_ref().is_some_and(|l| (l.since_ms..l.until_ms).contains(&ts_ms));
        if !holds {
            m.learned = None;
        }
        m.learned.as_ref().map(|l| l.hint.clone())
    }

    /// Remembers the hint of a sessionStart answer; the hint of the session it opened: the
    /// answer's, else the one its sessionStart went to.
    fn learn_hint(&self, answer: Option<&Value>) -> Option<String> {
        let mut m = self.memory();
        match answer.and_then(location_hint) {
            Some((hint, ttl_s)) => {
                let since_ms = m.last_start_ms;
                let until_ms = since_ms.saturating_add(ttl_s.saturating_mul(1000));
                m.learned = (ttl_s > 0).then(|| LearnedHint { hint: hint.clone(), since_ms, until_ms });
                Some(hint)
            }
            None => m.learned.as_ref().map(|l| l.hint.clone()),
        }
    }

    fn path(&self, hint: Option<&str>, event_type: &str) -> String {
        let hint = hint.map(|h| format!("/{h}")).unwrap_or_default();
        format!("/ee{hint}/va/v1/{event_type}?configId={}", utf8_percent_encode(&self.settings.config_id, QUERY))
    }

    /// `xdm.identityMap` from the hit's visitor ids (ECID, customer ids) and the configured FPID;
    /// None when there is no identity. Exactly one entry is primary (ECID, else FPID, else the
    /// first customer id), as Edge asks when there are several.
    fn identity_map(&self, params: &Map<String, Value>) -> Option<Value> {
        let mut map = Map::new();
        let mut primary_taken = false;
        let entry = |id: &str, state: &str, primary_taken: &mut bool| {
            let primary = !*primary_taken;
            *primary_taken = true;
            Value::Array(vec![obj(&mut [
                ("id", id.into()),
                ("authenticatedState", state.into()),
                ("primary", primary.into()),
            ])])
        };
        if let Some(ecid) = params.get("visitor.marketingCloudUserId").and_then(Value::as_str) {
            map.insert("ECID".into(), entry(ecid, "ambiguous", &mut primary_taken));
        }
        if let Some(fpid) = self.settings.fpid.as_deref().filter(|f| !f.is_empty()) {
            map.insert("FPID".into(), entry(fpid, "ambiguous", &mut primary_taken));
        }
        if let Some(ids) = params.get("visitor.customerIDs").and_then(Value::as_object) {
            for (kind, v) in ids {
                let id = v.get("id").and_then(Value::as_str).unwrap_or_default();
                let state = match v.get("authState").and_then(Value::as_i64) {
                    Some(1) => "authenticated",
                    Some(2) => "loggedOut",
                    _ => "ambiguous",
                };
                map.insert(kind.clone(), entry(id, state, &mut primary_taken));
            }
        }
        (!map.is_empty()).then_some(Value::Object(map))
    }

    fn envelope(xdm: Value) -> Vec<u8> {
        serde_json::to_vec(&obj(&mut [("events", Value::Array(vec![obj(&mut [("xdm", xdm)])]))])).unwrap_or_default()
    }

    /// The downloaded item of one hit (§5.6): no sessionID.
    fn downloaded_item(event: &Event) -> Value {
        obj(&mut [
            ("mediaEventType", format!("media.{}", edge_type(event.event_type)).into()),
            ("mediaEventTimestamp", iso8601(event.player_time.ts).into()),
            ("mediaCollection", media_collection(event, None)),
        ])
    }
}

impl Backend for MediaEdge {
    fn name(&self) -> &'static str {
        "media-edge"
    }

    fn session_start(&self, event: &Event) -> HttpRequest {
        let mut xdm = xdm(event, None);
        if let Some(ids) = self.identity_map(&event.params) {
            xdm["identityMap"] = ids;
        }
        let hint = self.start_hint(event.player_time.ts);
        HttpRequest { path: self.path(hint.as_deref(), edge_type(event.event_type)), body: MediaEdge::envelope(xdm) }
    }

    fn event(&self, route: &SessionRoute, event: &Event) -> HttpRequest {
        HttpRequest {
            path: self.path(route.hint.as_deref(), edge_type(event.event_type)),
            body: MediaEdge::envelope(xdm(event, Some(&route.sid))),
        }
    }

    fn classify(&self, outcome: &Outcome, starting: bool) -> Verdict {
        match outcome {
            Outcome::Http { status, body, .. } if (200..300).contains(status) => {
                if !starting {
                    return Verdict::Accepted;
                }
                let answer = parse_json(body);
                let hint = self.learn_hint(answer.as_ref());
                match answer.as_ref().and_then(new_session_id) {
                    Some(sid) => Verdict::Started(SessionRoute { sid, hint }),
                    None if *status == 207 => Verdict::NotCreated(format!(
                        "HTTP 207 without a session id: {}",
                        answer.as_ref().map_or_else(|| "no JSON body".into(), errors_summary)
                    )),
                    None => Verdict::NotCreated(format!(
                        "HTTP {status} without a media-analytics:new-session handle (is Media Analytics enabled \
                         on datastream {:?}?)",
                        self.settings.config_id
                    )),
                }
            }
            Outcome::Http { status: status @ (408 | 429 | 502 | 503 | 504), body, .. } => {
                Verdict::Retry(format!("HTTP {status}{}", problem_suffix(body)))
            }
            Outcome::Http { status: 404 | 410, .. } if !starting => Verdict::Gone,
            Outcome::Http { status, body, .. } if starting => {
                Verdict::NotCreated(format!("HTTP {status}: the sessionStart was refused{}", problem_suffix(body)))
            }
            Outcome::Http { status, body, .. } => {
                Verdict::Reject(format!("HTTP {status}: rejected{}", problem_suffix(body)))
            }
            Outcome::Network { message, timed_out } => {
                Verdict::Retry(if *timed_out { format!("timed out: {message}") } else { message.clone() })
            }
            Outcome::Aborted => Verdict::Retry("aborted".into()),
        }
    }

    /// One `media.downloaded` request per part. A session whose request would pass 64 KB is cut
    /// between events; every part after the first begins with a copy of the sessionStart marked
    /// `hasResume: true`, 1 ms before the part's first event ([`resumed_start`]), so each part
    /// is a valid session of its own and no event is left out. With `acked` events already
    /// taken, the first part is such a later part.
    fn downloaded(&self, batch: &[Value], acked: usize, _path: &str) -> Vec<UploadPart> {
        // Indexed like `batch`, so that part sizes count the batch's events (a record that is
        // not a hit, which the store cannot hold, would be passed over but still counted).
        let events: Vec<Option<Event>> = batch.iter().map(Event::from_value).collect();
        let Some(start) = events.first().and_then(Option::as_ref).filter(|e| e.event_type == EventType::SessionStart)
        else {
            return Vec::new();
        };
        if acked >= batch.len() {
            return Vec::new();
        }
        let mut head = obj(&mut [("eventType", "media.downloaded".into())]);
        if let Some(ids) = self.identity_map(&start.params) {
            head["identityMap"] = ids;
        }
        let path = self.path(None, "downloaded");
        let build = |items: &[Value]| {
            let mut xdm = head.clone();
            xdm["mediaDownloadedEvents"] = Value::Array(items.to_vec());
            MediaEdge::envelope(xdm)
        };
        let empty_size = build(&[]).len();
        let item_size = |item: &Value| serde_json::to_vec(item).map_or(0, |v| v.len()) + 1;
        let mut parts: Vec<UploadPart> = Vec::new();
        // The items of the part being filled, how many batch events they carry, and its size.
        let mut current: Vec<Value> = Vec::new();
        let mut taken = 0;
        let mut size = empty_size;
        for e in &events[acked..] {
            let Some(e) = e else {
                taken += 1;
                continue;
            };
            let item = MediaEdge::downloaded_item(e);
            let cut = current.len() > 1 && size + item_size(&item) > MAX_REQUEST_BYTES;
            // A part holds its start and at least one event before it is cut.
            if cut || current.is_empty() && acked > 0 {
                if cut {
                    parts.push(UploadPart {
                        request: HttpRequest { path: path.clone(), body: build(&current) },
                        events: taken,
                    });
                    (current, taken) = (Vec::new(), 0);
                }
                let resumed = MediaEdge::downloaded_item(&resumed_start(start, e));
                size = empty_size + item_size(&resumed);
                current.push(resumed);
            }
            size += item_size(&item);
            current.push(item);
            taken += 1;
        }
        parts.push(UploadPart { request: HttpRequest { path, body: build(&current) }, events: taken });
        parts
    }
}

/// The Edge operation of a hit: states only through `statesUpdate`.
fn edge_type(t: EventType) -> &'static str {
    match t {
        EventType::StateStart | EventType::StateEnd => EventType::StatesUpdate.as_str(),
        t => t.as_str(),
    }
}

/// A JSON object of `fields` (each value taken, Null left behind): one function in place of the
/// insertions `json!` writes out at each object literal (docs/performance.md, Footprint).
fn obj(fields: &mut [(&str, Value)]) -> Value {
    let mut m = Map::new();
    for (k, v) in fields {
        m.insert((*k).to_owned(), std::mem::take(v));
    }
    Value::Object(m)
}

/// `events[0].xdm` of an online event.
pub(crate) fn xdm(event: &Event, sid: Option<&str>) -> Value {
    obj(&mut [
        ("eventType", format!("media.{}", edge_type(event.event_type)).into()),
        ("timestamp", iso8601(event.player_time.ts).into()),
        ("mediaCollection", media_collection(event, sid)),
    ])
}

/// A number as the integer Edge wants: rounded half away from zero; not finite → 0.
fn int(v: &Value) -> Option<Value> {
    let f = v.as_f64()?;
    Some(Value::from(if f.is_finite() { f.round().clamp(i64::MIN as f64, i64::MAX as f64) as i64 } else { 0 }))
}

/// `from` keys of `params` copied to `to` keys of `into`, numbers rounded when `integer`.
fn copy(params: &Map<String, Value>, into: &mut Map<String, Value>, table: &[(&str, &str, bool)]) {
    for (from, to, integer) in table {
        if let Some(v) = params.get(*from) {
            let v = if *integer { int(v) } else { Some(v.clone()) };
            if let Some(v) = v {
                into.insert((*to).into(), v);
            }
        }
    }
}

/// MC session params → `sessionDetails` (§6.1, §6.2).
const SESSION_DETAILS: &[(&str, &str, bool)] = &[
    ("media.id", "name", false),
    ("media.name", "friendlyName", false),
    ("media.length", "length", true),
    ("media.contentType", "contentType", false),
    ("media.streamType", "streamType", false),
    ("media.playerName", "playerName", false),
    ("media.channel", "channel", false),
    ("media.resume", "hasResume", false),
    ("media.sdkVersion", "appVersion", false),
    ("media.show", "show", false),
    ("media.season", "season", false),
    ("media.episode", "episode", false),
    ("media.assetId", "assetID", false),
    ("media.genre", "genre", false),
    ("media.firstAirDate", "firstAirDate", false),
    ("media.firstDigitalDate", "firstDigitalDate", false),
    ("media.rating", "rating", false),
    ("media.originator", "originator", false),
    ("media.network", "network", false),
    ("media.showType", "showType", false),
    ("media.adLoad", "adLoad", false),
    ("media.pass.mvpd", "mvpd", false),
    ("media.pass.auth", "authorized", false),
    ("media.dayPart", "dayPart", false),
    ("media.feed", "feed", false),
    ("media.streamFormat", "streamFormat", false),
    ("media.artist", "artist", false),
    ("media.album", "album", false),
    ("media.label", "label", false),
    ("media.author", "author", false),
    ("media.station", "station", false),
    ("media.publisher", "publisher", false),
];

const POD_DETAILS: &[(&str, &str, bool)] = &[
    ("media.ad.podIndex", "index", true),
    ("media.ad.podSecond", "offset", true),
    ("media.ad.podFriendlyName", "friendlyName", false),
];

const AD_DETAILS: &[(&str, &str, bool)] = &[
    ("media.ad.id", "name", false),
    ("media.ad.name", "friendlyName", false),
    ("media.ad.length", "length", true),
    ("media.ad.podPosition", "podPosition", true),
    ("media.ad.playerName", "playerName", false),
    ("media.ad.advertiser", "advertiser", false),
    ("media.ad.campaignId", "campaignID", false),
    ("media.ad.creativeId", "creativeID", false),
    ("media.ad.creativeURL", "creativeURL", false),
    ("media.ad.placementId", "placementID", false),
    ("media.ad.siteId", "siteID", false),
];

const CHAPTER_DETAILS: &[(&str, &str, bool)] = &[
    ("media.chapter.index", "index", true),
    ("media.chapter.offset", "offset", true),
    ("media.chapter.length", "length", true),
    ("media.chapter.friendlyName", "friendlyName", false),
];

const QOE_DETAILS: &[(&str, &str, bool)] = &[
    ("media.qoe.bitrate", "bitrate", true),
    ("media.qoe.droppedFrames", "droppedFrames", true),
    ("media.qoe.framesPerSecond", "framesPerSecond", true),
    ("media.qoe.timeToStart", "timeToStart", true),
];

/// `xdm.mediaCollection` of a hit (§3, §6).
fn media_collection(event: &Event, sid: Option<&str>) -> Value {
    let mut mc = Map::new();
    if let Some(sid) = sid {
        mc.insert("sessionID".into(), sid.into());
    }
    mc.insert("playhead".into(), int(&Value::from(event.player_time.playhead)).unwrap_or(Value::from(0)));
    let p = &event.params;
    let mut details = |key: &str, table: &[(&str, &str, bool)]| {
        let mut d = Map::new();
        copy(p, &mut d, table);
        mc.insert(key.into(), Value::Object(d));
    };
    match event.event_type {
        EventType::SessionStart => details("sessionDetails", SESSION_DETAILS),
        EventType::AdBreakStart => details("advertisingPodDetails", POD_DETAILS),
        EventType::AdStart => details("advertisingDetails", AD_DETAILS),
        EventType::ChapterStart => details("chapterDetails", CHAPTER_DETAILS),
        EventType::StateStart | EventType::StateEnd => {
            let name = p.get("media.state.name").cloned().unwrap_or_else(|| "".into());
            let list = if event.event_type == EventType::StateStart { "statesStart" } else { "statesEnd" };
            mc.insert(list.into(), Value::Array(vec![obj(&mut [("name", name)])]));
        }
        EventType::StatesUpdate => {
            for list in ["statesStart", "statesEnd"] {
                if let Some(items) = p.get(list).and_then(Value::as_array) {
                    let names: Vec<Value> = items
                        .iter()
                        .map(|i| obj(&mut [("name", i.get("media.state.name").cloned().unwrap_or_else(|| "".into()))]))
                        .collect();
                    mc.insert(list.into(), Value::Array(names));
                }
            }
        }
        EventType::Error => {
            let q = &event.qoe_data;
            let name = q.get("media.qoe.errorID").cloned().unwrap_or_else(|| "".into());
            let source = match q.get("media.qoe.errorSource").and_then(Value::as_str) {
                Some("external") => "external",
                _ => "player",
            };
            mc.insert("errorDetails".into(), obj(&mut [("name", name), ("source", source.into())]));
        }
        _ => {}
    }
    let mut qoe = Map::new();
    copy(&event.qoe_data, &mut qoe, QOE_DETAILS);
    if !qoe.is_empty() || event.event_type == EventType::BitrateChange {
        mc.insert("qoeDataDetails".into(), Value::Object(qoe));
    }
    if matches!(event.event_type, EventType::SessionStart | EventType::AdStart | EventType::ChapterStart)
        && !event.custom_metadata.is_empty()
    {
        let items: Vec<Value> = event
            .custom_metadata
            .iter()
            .map(|(k, v)| {
                let value = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                obj(&mut [("name", k.as_str().into()), ("value", value.into())])
            })
            .collect();
        mc.insert("customMetadata".into(), Value::Array(items));
    }
    Value::Object(mc)
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` of ms since the epoch (UTC; proleptic Gregorian calendar).
pub(crate) fn iso8601(ms: i64) -> String {
    let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s, milli) = (ms_of_day / 3_600_000, ms_of_day / 60_000 % 60, ms_of_day / 1000 % 60, ms_of_day % 1000);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

/// A JSON answer; a leading record separator (`\u0000`, Edge's streamed form) and whitespace are
/// tolerated.
fn parse_json(body: &[u8]) -> Option<Value> {
    let start = body.iter().position(|b| *b != 0 && !b.is_ascii_whitespace())?;
    serde_json::from_slice(&body[start..]).ok()
}

fn handles<'a>(answer: &'a Value, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    answer["handle"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(move |h| h["type"] == kind)
        .flat_map(|h| h["payload"].as_array().into_iter().flatten())
}

/// `handle[type == media-analytics:new-session].payload[0].sessionId`, non-empty, without
/// control characters (it travels in bodies only, but ends up in log lines).
pub(crate) fn new_session_id(answer: &Value) -> Option<String> {
    let sid = handles(answer, "media-analytics:new-session").next()?["sessionId"].as_str()?;
    (!sid.is_empty() && !sid.chars().any(char::is_control)).then(|| sid.to_owned())
}

/// The `EdgeNetwork` location hint of an answer, when it is a plain path segment, with its
/// `ttlSeconds` (the default when absent or not a number, at most a day, never negative).
pub(crate) fn location_hint(answer: &Value) -> Option<(String, i64)> {
    let entry = handles(answer, "locationHint:result").find(|p| p["scope"] == "EdgeNetwork")?;
    let hint = entry["hint"].as_str()?;
    let ok = !hint.is_empty()
        && hint.len() <= 32
        && hint.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let ttl = entry["ttlSeconds"].as_i64().unwrap_or(DEFAULT_HINT_TTL_S).clamp(0, MAX_HINT_TTL_S);
    ok.then(|| (hint.to_owned(), ttl))
}

/// One problem+json object in words: code, title, detail and the named fields (§7.1; `details`
/// as an array or a string).
fn problem_text(p: &Value) -> String {
    let mut out = String::new();
    if let Some(code) = p["type"].as_str().and_then(|t| t.rsplit('/').next()) {
        out.push_str(code);
    }
    for key in ["title", "detail"] {
        if let Some(t) = p[key].as_str() {
            let _ = write!(out, "{}{t}", if out.is_empty() { "" } else { ": " });
        }
    }
    match &p["report"]["details"] {
        Value::String(s) => {
            let _ = write!(out, " ({s})");
        }
        Value::Array(items) => {
            let fields: Vec<String> = items
                .iter()
                .map(|d| format!("{} {}", d["name"].as_str().unwrap_or("?"), d["reason"].as_str().unwrap_or("")))
                .collect();
            if !fields.is_empty() {
                let _ = write!(out, " ({})", fields.join("; "));
            }
        }
        _ => {}
    }
    out
}

/// `: <problem>` for a problem+json body, nothing for any other body.
fn problem_suffix(body: &[u8]) -> String {
    match parse_json(body).map(|p| problem_text(&p)) {
        Some(t) if !t.is_empty() => format!(": {t}"),
        _ => String::new(),
    }
}

/// The `errors[]` of a 207 in words.
fn errors_summary(answer: &Value) -> String {
    let errors: Vec<String> = answer["errors"].as_array().into_iter().flatten().map(problem_text).collect();
    if errors.is_empty() { "no errors listed".into() } else { errors.join(" | ") }
}

#[cfg(test)]
#[path = "edge_tests.rs"]
mod tests;
