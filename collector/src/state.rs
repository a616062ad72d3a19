//! Everything the collector remembers: sessions, every request, the active faults, and the
//! listeners of [`Notice`]s. One value of [`State`] lives behind one mutex; nothing here awaits.

use std::collections::HashMap;
use std::sync::mpsc::Sender;

use serde::Serialize;
use serde_json::Value;

use crate::edge::mapping::mc_view;
use crate::faults::FaultSlot;
use crate::lint::{self, Finding, LintOptions, Severity};
use crate::validate::Failure;

/// A session closes after this long without an accepted event (collector clock).
pub const IDLE_TIMEOUT_MS: i64 = 10 * 60 * 1000;
/// A session closes after this long without a change of playhead across accepted events.
pub const PLAYHEAD_TIMEOUT_MS: i64 = 30 * 60 * 1000;
/// A Media Edge session is no longer computed this long after it started ("If the session is
/// longer than 24h, please start a new one").
pub const EDGE_SESSION_LIMIT_MS: i64 = 24 * 60 * 60 * 1000;

/// Why a session is closed (the value of [`SessionRecord::closed`]).
pub mod reason {
    /// A `sessionEnd` event was accepted.
    pub const SESSION_END: &str = "sessionEnd";
    /// 10 minutes without an accepted event.
    pub const IDLE_TIMEOUT: &str = "idle-timeout";
    /// 30 minutes without playhead movement.
    pub const PLAYHEAD_TIMEOUT: &str = "playhead-timeout";
    /// A downloaded session: complete (and closed) when it arrives.
    pub const DOWNLOADED: &str = "downloaded";
    /// A Media Edge session 24 hours after its start.
    pub const EDGE_24H: &str = "24h-limit";
}

/// Which API a session was started on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// The Media Collection API (`/api/v1/...`).
    #[default]
    Mc,
    /// The Media Edge API (`/ee[/{hint}]/va/v1/...`): events are kept as their `xdm` objects.
    Edge,
}

/// One HTTP request as the collector received and answered it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestRecord {
    /// Arrival order, from 0 (continues across [`crate::Collector::reset`]).
    pub seq: u64,
    pub method: String,
    /// Path without the query string.
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// The body as text (invalid UTF-8 replaced; a body over the limit is cut to its start).
    pub body: String,
    /// Status answered; 0 when the connection was closed (or left hanging) without an answer.
    pub status: u16,
    /// Arrival time on the collector clock, ms since the epoch.
    pub at_ms: i64,
    /// The session the request is about: the sid in the path, or the sid created.
    pub sid: Option<String>,
    /// Why the request was not accepted as sent, in one sentence (also set for silently
    /// dropped events, which are answered 204).
    pub error: Option<String>,
    /// Validation and decoding failures (what a 400 names).
    pub errors: Vec<Failure>,
    /// Validation warnings, and a non-JSON Content-Type.
    pub warnings: Vec<Failure>,
    /// The injected fault that applied, e.g. `status 503`, `delay 2000 ms`, `drop_after_read`.
    pub fault: Option<String>,
}

impl RequestRecord {
    /// The collector itself rejected the content of an upload (400 or 413 on `/api/...`; 400,
    /// 413, 415, or a 207 that started no session on a Media Edge path), as opposed to an answer
    /// scripted by a fault. These make `mc-collector` exit 1.
    pub fn rejected_content(&self) -> bool {
        if self.fault.is_some() {
            return false;
        }
        if crate::edge::is_edge_path(&self.path) {
            matches!(self.status, 400 | 413 | 415) || (self.status == 207 && self.sid.is_none())
        } else {
            matches!(self.status, 400 | 413) && self.path.starts_with("/api/")
        }
    }

    /// A request to a path the API does not have (preflight `OPTIONS` aside): the player's
    /// endpoint is wrong.
    pub fn unknown_path(&self) -> bool {
        crate::gate::unknown_path(&self.method, &self.path)
    }
}

/// One session as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionRecord {
    pub sid: String,
    /// The API it was started on; Edge events are kept as their `xdm` objects (the lint and
    /// the timeline read them through [`crate::edge::mapping::mc_view`]).
    pub api: Api,
    /// Media Edge: the location hint its sessionStart answer gave.
    pub location_hint: Option<String>,
    /// Uploaded as a downloaded batch (`/api/v1/downloaded` or the deprecated array form).
    pub downloaded: bool,
    /// `None` while open, else why it closed: see [`reason`].
    pub closed: Option<String>,
    /// When it closed on the collector clock (for timeouts: when the deadline passed).
    pub closed_at_ms: Option<i64>,
    pub created_at_ms: i64,
    /// Accepted events, in arrival order, exactly as received (for Media Edge: each request's
    /// `events[0].xdm`; the items of a `/downloaded` as `{eventType, timestamp, mediaCollection}`).
    pub events: Vec<Value>,
    /// Events posted after the session closed (answered 410, or 204 with silent drop).
    pub dropped: Vec<Value>,
    /// Every request about this session, rejected ones included, in arrival order.
    pub requests: Vec<RequestRecord>,
}

/// What a [`crate::Collector::subscribe`]r hears, in the order it happened.
#[derive(Debug, Clone)]
pub enum Notice {
    /// A request was answered (or dropped, or left hanging by a fault).
    Request(RequestRecord),
    /// A session reached an end worth reporting: `sessionComplete`, `sessionEnd`, a timeout,
    /// or a downloaded batch accepted. `why` is `sessionComplete` or a [`reason`].
    Settled { sid: String, why: String, downloaded: bool, events: Vec<Value> },
}

/// Counts over everything recorded; [`Summary::ok`] is what decides `mc-collector`'s exit status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub sessions: usize,
    pub events: usize,
    pub lint_errors: usize,
    pub lint_warnings: usize,
    /// Requests the collector refused for their content ([`RequestRecord::rejected_content`]).
    pub rejected_requests: usize,
    /// Requests to a path the API does not have ([`RequestRecord::unknown_path`]): a player
    /// whose endpoint is wrong.
    pub unknown_path_requests: usize,
}

impl Summary {
    /// No lint error in any session, no rejected content and no request to an unknown path.
    /// (`mc-collector` also requires a session: see [`crate::Gate`].)
    pub fn ok(&self) -> bool {
        self.lint_errors == 0 && self.rejected_requests == 0 && self.unknown_path_requests == 0
    }
}

/// Lints the events of one session (the options the collector uses everywhere).
pub fn lint_events(events: &[Value], downloaded: bool) -> Vec<Finding> {
    lint::lint_session(events, &LintOptions { downloaded, ..LintOptions::default() })
}

#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) sid: String,
    api: Api,
    hint: Option<String>,
    downloaded: bool,
    created_at_ms: i64,
    closed: Option<(String, i64)>,
    pub(crate) events: Vec<Value>,
    dropped: Vec<Value>,
    last_event_ms: i64,
    last_playhead: Option<f64>,
    playhead_moved_ms: i64,
}

impl Session {
    fn deadline(&self) -> Option<(i64, &'static str)> {
        if self.closed.is_some() {
            return None;
        }
        let idle = self.last_event_ms.saturating_add(IDLE_TIMEOUT_MS);
        let frozen = self.playhead_moved_ms.saturating_add(PLAYHEAD_TIMEOUT_MS);
        let first = if idle <= frozen { (idle, reason::IDLE_TIMEOUT) } else { (frozen, reason::PLAYHEAD_TIMEOUT) };
        let day = self.created_at_ms.saturating_add(EDGE_SESSION_LIMIT_MS);
        Some(if self.api == Api::Edge && day < first.0 { (day, reason::EDGE_24H) } else { first })
    }

    fn accept(&mut self, event: Value, now: i64) {
        let ph = mc_view(&event).get("playerTime").and_then(|p| p.get("playhead")).and_then(Value::as_f64);
        if let Some(ph) = ph {
            if self.last_playhead != Some(ph) {
                if self.last_playhead.is_some() {
                    self.playhead_moved_ms = now;
                }
                self.last_playhead = Some(ph);
            }
        }
        self.last_event_ms = now;
        self.events.push(event);
    }
}

/// How an upload is answered (the server turns it into a response).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// 201; `location` for `/api/v1/sessions`, not for `/api/v1/downloaded`.
    Created {
        sid: String,
        location: bool,
    },
    NoContent,
    Reject {
        status: u16,
        error: String,
        failures: Vec<Failure>,
    },
}

#[cfg(test)]
impl Outcome {
    pub(crate) fn status(&self) -> u16 {
        match self {
            Outcome::Created { .. } => 201,
            Outcome::NoContent => 204,
            Outcome::Reject { status, .. } => *status,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct State {
    sessions: Vec<Session>,
    index: HashMap<String, usize>,
    requests: Vec<RequestRecord>,
    pub(crate) faults: Vec<FaultSlot>,
    subscribers: Vec<Sender<Notice>>,
    pending: Vec<Notice>,
}

impl State {
    /// Forgets sessions, requests and faults; subscribers stay.
    pub(crate) fn reset(&mut self) {
        self.sessions.clear();
        self.index.clear();
        self.requests.clear();
        self.faults.clear();
        self.pending.clear();
    }

    pub(crate) fn subscribe(&mut self, tx: Sender<Notice>) {
        self.subscribers.push(tx);
    }

    fn notify(&mut self, make: impl FnOnce() -> Notice) {
        if self.subscribers.is_empty() {
            return;
        }
        let notice = make();
        self.subscribers.retain(|tx| tx.send(notice.clone()).is_ok());
    }

    /// Queues a [`Notice::Settled`]; [`State::flush`] sends it, so that the request that
    /// settled a session is heard before the session's report.
    fn settle(&mut self, idx: usize, why: &str) {
        if self.subscribers.is_empty() {
            return;
        }
        let s = &self.sessions[idx];
        let notice = Notice::Settled {
            sid: s.sid.clone(),
            why: why.to_string(),
            downloaded: s.downloaded,
            events: s.events.clone(),
        };
        self.pending.push(notice);
    }

    /// Sends the queued [`Notice::Settled`]s.
    pub(crate) fn flush(&mut self) {
        for notice in std::mem::take(&mut self.pending) {
            self.notify(|| notice);
        }
    }

    /// Closes every open session whose timeout has passed at `now`.
    pub(crate) fn expire(&mut self, now: i64) {
        for idx in 0..self.sessions.len() {
            if let Some((at, why)) = self.sessions[idx].deadline() {
                if now >= at {
                    self.sessions[idx].closed = Some((why.to_string(), at));
                    self.settle(idx, why);
                }
            }
        }
    }

    /// Stores a request record, keeping arrival order, and tells subscribers.
    pub(crate) fn record(&mut self, rec: RequestRecord) {
        let pos = self.requests.partition_point(|r| r.seq < rec.seq);
        self.requests.insert(pos, rec.clone());
        self.notify(|| Notice::Request(rec));
        self.flush();
    }

    fn new_sid(&self) -> Result<String, String> {
        loop {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| format!("no random session id: {e}"))?;
            let sid: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            if !self.index.contains_key(&sid) {
                return Ok(sid);
            }
        }
    }

    fn insert(&mut self, session: Session) -> usize {
        let idx = self.sessions.len();
        self.index.insert(session.sid.clone(), idx);
        self.sessions.push(session);
        idx
    }

    fn new_session(&self, sid: String, downloaded: bool, now: i64) -> Session {
        Session {
            sid,
            api: Api::Mc,
            hint: None,
            downloaded,
            created_at_ms: now,
            closed: None,
            events: Vec::new(),
            dropped: Vec::new(),
            last_event_ms: now,
            last_playhead: None,
            playhead_moved_ms: now,
        }
    }

    /// Opens a session with an already validated sessionStart.
    pub(crate) fn start_session(&mut self, start: Value, now: i64) -> Outcome {
        match self.new_sid() {
            Ok(sid) => {
                let mut s = self.new_session(sid.clone(), false, now);
                s.accept(start, now);
                self.insert(s);
                Outcome::Created { sid, location: true }
            }
            Err(e) => Outcome::Reject { status: 500, error: e, failures: Vec::new() },
        }
    }

    /// Opens a Media Edge session with an already validated sessionStart `xdm`; `hint` is the
    /// location hint its answer gives.
    pub(crate) fn start_edge_session(&mut self, start: Value, hint: &str, now: i64) -> Outcome {
        match self.new_sid() {
            Ok(sid) => {
                let mut s = self.new_session(sid.clone(), false, now);
                s.api = Api::Edge;
                s.hint = Some(hint.to_string());
                s.accept(start, now);
                self.insert(s);
                Outcome::Created { sid, location: false }
            }
            Err(e) => Outcome::Reject { status: 500, error: e, failures: Vec::new() },
        }
    }

    /// How many sessions were started (the Edge answer varies its handle order with it).
    pub(crate) fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// The location hint a Media Edge session was given (`None`: no such Edge session).
    pub(crate) fn edge_hint(&self, sid: &str) -> Option<&str> {
        let s = &self.sessions[*self.index.get(sid)?];
        if s.api == Api::Edge { s.hint.as_deref() } else { None }
    }

    /// Keeps an already validated downloaded batch as a closed session.
    pub(crate) fn add_downloaded(&mut self, events: Vec<Value>, location: bool, now: i64) -> Outcome {
        self.add_batch(events, Api::Mc, location, now)
    }

    /// Keeps the items of an already validated Media Edge `/downloaded` (as `xdm` objects) as
    /// a closed session.
    pub(crate) fn add_edge_downloaded(&mut self, events: Vec<Value>, now: i64) -> Outcome {
        self.add_batch(events, Api::Edge, false, now)
    }

    fn add_batch(&mut self, events: Vec<Value>, api: Api, location: bool, now: i64) -> Outcome {
        match self.new_sid() {
            Ok(sid) => {
                let mut s = self.new_session(sid.clone(), true, now);
                s.api = api;
                s.events = events;
                s.closed = Some((reason::DOWNLOADED.to_string(), now));
                let idx = self.insert(s);
                self.settle(idx, reason::DOWNLOADED);
                Outcome::Created { sid, location }
            }
            Err(e) => Outcome::Reject { status: 500, error: e, failures: Vec::new() },
        }
    }

    /// An event for `sid`: `body` is the decoded body (or why it could not be decoded) and
    /// `errors` its validation errors. Unknown → 404; closed → 410 (or 204 with `silent_drop`),
    /// kept as dropped; invalid → 400; else accepted (a sessionEnd closes the session).
    pub(crate) fn post_event(
        &mut self,
        sid: &str,
        body: Result<Value, Failure>,
        errors: &[Failure],
        silent_drop: bool,
        now: i64,
    ) -> (Outcome, Option<String>) {
        let closed = |_: &str| if silent_drop { None } else { Some(410) };
        self.post(sid, Api::Mc, body, errors, closed, now)
    }

    /// A Media Edge event (its `xdm`) for `sid`, answered as [`State::post_event`] answers MC
    /// events except for closed sessions (media-edge.md §7.2, §12): 404 after a sessionEnd,
    /// `expired_status` (404 or 410) after a timeout, 204 with `silent_drop`.
    pub(crate) fn post_edge_event(
        &mut self,
        sid: &str,
        body: Result<Value, Failure>,
        errors: &[Failure],
        silent_drop: bool,
        expired_status: u16,
        now: i64,
    ) -> (Outcome, Option<String>) {
        let closed = |why: &str| match (silent_drop, why) {
            (true, _) => None,
            (false, reason::SESSION_END) => Some(404),
            (false, _) => Some(expired_status),
        };
        self.post(sid, Api::Edge, body, errors, closed, now)
    }

    /// `closed` gives the status for an event to a closed session (`None`: 204, silently dropped).
    fn post(
        &mut self,
        sid: &str,
        api: Api,
        body: Result<Value, Failure>,
        errors: &[Failure],
        closed: impl Fn(&str) -> Option<u16>,
        now: i64,
    ) -> (Outcome, Option<String>) {
        self.expire(now);
        let idx = match self.index.get(sid) {
            Some(&idx) if self.sessions[idx].api == api => idx,
            Some(_) => {
                let other = if api == Api::Mc { "Media Edge" } else { "MC" };
                let e = format!("unknown session {sid} (it is a session of the {other} API)");
                return (Outcome::Reject { status: 404, error: e, failures: Vec::new() }, None);
            }
            None => {
                let e = format!("unknown session {sid}");
                return (Outcome::Reject { status: 404, error: e, failures: Vec::new() }, None);
            }
        };
        let session = &mut self.sessions[idx];
        if let Some((why, _)) = &session.closed {
            let e = format!("session closed ({why}); event dropped");
            let status = closed(why);
            if let Ok(v) = body {
                session.dropped.push(v);
            }
            let outcome = match status {
                None => Outcome::NoContent,
                Some(status) => Outcome::Reject { status, error: e.clone(), failures: Vec::new() },
            };
            return (outcome, Some(e));
        }
        let event = match body {
            Err(f) => {
                let e = f.message.clone();
                return (Outcome::Reject { status: 400, error: e, failures: vec![f] }, None);
            }
            Ok(_) if !errors.is_empty() => {
                let e = invalid_message("event", errors.len());
                return (Outcome::Reject { status: 400, error: e, failures: errors.to_vec() }, None);
            }
            Ok(v) => v,
        };
        let kind = event.get("eventType").and_then(Value::as_str).unwrap_or_default();
        let kind = kind.strip_prefix("media.").unwrap_or(kind).to_string();
        session.accept(event, now);
        match kind.as_str() {
            "sessionEnd" => {
                session.closed = Some((reason::SESSION_END.to_string(), now));
                self.settle(idx, reason::SESSION_END);
            }
            "sessionComplete" => self.settle(idx, "sessionComplete"),
            _ => {}
        }
        (Outcome::NoContent, None)
    }

    fn session_record(&self, s: &Session) -> SessionRecord {
        SessionRecord {
            sid: s.sid.clone(),
            api: s.api,
            location_hint: s.hint.clone(),
            downloaded: s.downloaded,
            closed: s.closed.as_ref().map(|(why, _)| why.clone()),
            closed_at_ms: s.closed.as_ref().map(|(_, at)| *at),
            created_at_ms: s.created_at_ms,
            events: s.events.clone(),
            dropped: s.dropped.clone(),
            requests: self.requests.iter().filter(|r| r.sid.as_deref() == Some(s.sid.as_str())).cloned().collect(),
        }
    }

    pub(crate) fn sessions(&self) -> Vec<SessionRecord> {
        self.sessions.iter().map(|s| self.session_record(s)).collect()
    }

    pub(crate) fn session(&self, sid: &str) -> Option<SessionRecord> {
        self.index.get(sid).map(|&i| self.session_record(&self.sessions[i]))
    }

    /// `(events, downloaded)` of a session, for linting outside the lock.
    pub(crate) fn lint_input(&self, sid: &str) -> Option<(Vec<Value>, bool)> {
        self.index.get(sid).map(|&i| (self.sessions[i].events.clone(), self.sessions[i].downloaded))
    }

    pub(crate) fn requests(&self) -> Vec<RequestRecord> {
        self.requests.clone()
    }
}

pub(crate) fn invalid_message(what: &str, n: usize) -> String {
    format!("{what} failed validation ({n} failure{})", if n == 1 { "" } else { "s" })
}

/// One session's entry in `/__debug/sessions` and the report.
pub(crate) fn session_summary(s: &SessionRecord, findings: &[Finding]) -> Value {
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    serde_json::json!({
        "sid": s.sid,
        "api": s.api,
        "location_hint": s.location_hint,
        "downloaded": s.downloaded,
        "closed": s.closed.is_some(),
        "closed_reason": s.closed,
        "closed_at_ms": s.closed_at_ms,
        "created_at_ms": s.created_at_ms,
        "events": s.events.len(),
        "dropped": s.dropped.len(),
        "requests": s.requests.len(),
        "rejected": s.requests.iter().filter(|r| r.rejected_content()).count(),
        "errors": errors,
        "warnings": findings.len() - errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(kind: &str, ph: f64) -> Value {
        json!({"eventType": kind, "playerTime": {"playhead": ph, "ts": 1}})
    }

    fn started(st: &mut State, now: i64) -> String {
        match st.start_session(ev("sessionStart", 0.0), now) {
            Outcome::Created { sid, .. } => sid,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sid_is_64_lowercase_hex() {
        let mut st = State::default();
        let sid = started(&mut st, 0);
        assert_eq!(sid.len(), 64);
        assert!(sid.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
    }

    #[test]
    fn idle_timeout_comes_first_when_events_stop() {
        let mut st = State::default();
        let sid = started(&mut st, 0);
        st.expire(IDLE_TIMEOUT_MS - 1);
        assert_eq!(st.session(&sid).unwrap().closed, None);
        st.expire(IDLE_TIMEOUT_MS);
        let s = st.session(&sid).unwrap();
        assert_eq!(s.closed.as_deref(), Some(reason::IDLE_TIMEOUT));
        assert_eq!(s.closed_at_ms, Some(IDLE_TIMEOUT_MS));
    }

    #[test]
    fn playhead_timeout_with_pings_at_a_frozen_playhead() {
        let mut st = State::default();
        let sid = started(&mut st, 0);
        let mut now = 0;
        for _ in 0..5 {
            now += 5 * 60 * 1000;
            assert_eq!(st.post_event(&sid, Ok(ev("ping", 0.0)), &[], false, now).0, Outcome::NoContent);
        }
        now += 5 * 60 * 1000;
        let (o, _) = st.post_event(&sid, Ok(ev("ping", 0.0)), &[], false, now);
        assert_eq!(o.status(), 410);
        assert_eq!(st.session(&sid).unwrap().closed.as_deref(), Some(reason::PLAYHEAD_TIMEOUT));
        assert_eq!(st.session(&sid).unwrap().dropped.len(), 1);
    }

    #[test]
    fn an_edge_session_expires_24_hours_after_its_start() {
        let mut st = State::default();
        let xdm = |kind: &str, ph: i64| json!({"eventType": kind, "mediaCollection": {"playhead": ph}});
        let sid = match st.start_edge_session(xdm("media.sessionStart", 0), "or2", 0) {
            Outcome::Created { sid, .. } => sid,
            other => panic!("{other:?}"),
        };
        let step = 5 * 60 * 1000;
        let mut now = 0;
        while now + step < EDGE_SESSION_LIMIT_MS {
            now += step;
            let (o, _) = st.post_edge_event(&sid, Ok(xdm("media.ping", now / 1000)), &[], false, 410, now);
            assert_eq!(o, Outcome::NoContent, "at {now}");
        }
        let (o, _) = st.post_edge_event(&sid, Ok(xdm("media.ping", 86_400)), &[], false, 410, EDGE_SESSION_LIMIT_MS);
        assert_eq!(o.status(), 410);
        let s = st.session(&sid).unwrap();
        assert_eq!((s.closed.as_deref(), s.closed_at_ms), (Some(reason::EDGE_24H), Some(EDGE_SESSION_LIMIT_MS)));
        // MC sessions have no such limit.
        let mc = started(&mut st, 0);
        let mut now = 0;
        while now < EDGE_SESSION_LIMIT_MS + step {
            now += step;
            assert_eq!(st.post_event(&mc, Ok(ev("ping", (now / 1000) as f64)), &[], false, now).0, Outcome::NoContent);
        }
    }

    #[test]
    fn moving_playhead_keeps_the_session_open() {
        let mut st = State::default();
        let sid = started(&mut st, 0);
        for i in 1..=8 {
            let now = i * 5 * 60 * 1000;
            assert_eq!(st.post_event(&sid, Ok(ev("ping", i as f64)), &[], false, now).0, Outcome::NoContent);
        }
        assert_eq!(st.session(&sid).unwrap().closed, None);
    }
}
