//! Fault injection: scripted misbehaviour of the upload endpoints, set from Rust
//! ([`crate::Collector::add_fault`]) or over HTTP (`POST /__debug/faults`).
//!
//! Over HTTP a fault is one flat JSON object (or an array of them):
//!
//! ```json
//! {"endpoint": "events", "kind": "status", "status": 503, "headers": {"Retry-After": "2"}, "times": 3}
//! {"endpoint": "sessions", "kind": "delay", "ms": 2000, "times": 1}
//! {"endpoint": "any", "kind": "drop_before_read", "share": 0.5}
//! {"endpoint": "events", "kind": "status", "status": 410, "after_events": 3}
//! {"endpoint": "any", "kind": "status", "status": 429, "headers": {"Retry-After": "1"}, "for_ms": 3000}
//! ```
//!
//! The last two are the back ends in trouble of the fleet-safety tests: every session answers
//! 410 once it took 3 events (`after_events`, per session), and a `Retry-After` on every answer
//! for 3 s (`for_ms`, from when the fault is added, on the collector's clock).
//!
//! `kind` is one of `status` (with `status`, optional `headers` as an object or a list of
//! `[name, value]` pairs, optional `body`), `delay` (with `ms`), `drop_before_read`,
//! `drop_after_read`, `hang`.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use hyper::header::{HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};

/// Which requests a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Endpoint {
    /// `POST /api/v1/sessions` (single object and the deprecated array form), and Media Edge
    /// `POST /ee[/{hint}]/va/v1/sessionStart`.
    Sessions,
    /// `POST /api/v1/sessions/{sid}/events`, and every other Media Edge operation.
    Events,
    /// `POST /api/v1/downloaded`, and Media Edge `POST /ee[/{hint}]/va/v1/downloaded`.
    Downloaded,
    /// Any of the upload endpoints above (not schemas, OPTIONS or `/__debug`).
    Any,
}

impl Endpoint {
    fn matches(self, actual: Endpoint) -> bool {
        self == Endpoint::Any || self == actual
    }
}

/// What the collector does to a request a fault applies to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "KindSpec", try_from = "KindSpec")]
pub enum FaultKind {
    /// Answer `status` (with the extra `headers` and the `body`, if any) without accepting the
    /// request: it is recorded with that status and reaches no session.
    Status { status: u16, headers: Vec<(String, String)>, body: Option<String> },
    /// Wait this long, then handle the request normally (recorded and accepted as usual).
    Delay(Duration),
    /// Close the connection without reading the body and without answering. Recorded as a
    /// request with status 0; nothing is accepted.
    DropBeforeRead,
    /// Read and handle the request normally (it IS accepted), then close the connection
    /// without answering: the client cannot know its request got through. Recorded with
    /// status 0.
    DropAfterRead,
    /// Read the request and never answer (until the client gives up or the collector shuts
    /// down). Recorded with status 0; nothing is accepted.
    Hang,
}

impl FaultKind {
    /// Short description used in request records, e.g. `status 503`, `delay 2000 ms`.
    pub fn describe(&self) -> String {
        match self {
            FaultKind::Status { status, .. } => format!("status {status}"),
            FaultKind::Delay(d) => format!("delay {} ms", d.as_millis()),
            FaultKind::DropBeforeRead => "drop_before_read".to_string(),
            FaultKind::DropAfterRead => "drop_after_read".to_string(),
            FaultKind::Hang => "hang".to_string(),
        }
    }

    fn check(&self) -> Result<(), String> {
        if let FaultKind::Status { status, headers, .. } = self {
            if !(200..=599).contains(status) {
                return Err(format!("status {status} is outside 200..=599"));
            }
            for (name, value) in headers {
                HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("invalid header name {name:?}"))?;
                HeaderValue::from_str(value).map_err(|_| format!("invalid value for header {name}: {value:?}"))?;
            }
        }
        Ok(())
    }
}

/// One scripted fault.
///
/// With neither `times` nor `share` it applies to every matching request until cleared.
/// `times: Some(n)` applies it to the next `n` matching requests, then it is removed.
/// `share: Some(s)` (0 < s ≤ 1) applies it to that share of matching requests,
/// deterministically spread: the n-th matching request is hit when `floor(n·s)` grows, so
/// 0.5 hits every 2nd request, 0.25 every 4th. Both together: that share, at most `times` times.
/// `after_events: Some(k)` scopes it per session: the first `k` event requests of each session
/// pass untouched, every later one of that session matches (requests without a session id never
/// do). `lasts: Some(d)` removes it `d` after it was added (on the collector's clock).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "FaultSpec", try_from = "FaultSpec")]
pub struct Fault {
    pub endpoint: Endpoint,
    pub kind: FaultKind,
    pub times: Option<u32>,
    pub share: Option<f64>,
    pub after_events: Option<u32>,
    pub lasts: Option<Duration>,
}

impl Fault {
    /// A fault on every matching request until cleared (set the other fields to narrow it).
    pub fn every(endpoint: Endpoint, kind: FaultKind) -> Fault {
        Fault { endpoint, kind, times: None, share: None, after_events: None, lasts: None }
    }
}

impl Fault {
    /// Checks the values a fault can get wrong (status range, header syntax, share, times).
    pub fn check(&self) -> Result<(), String> {
        self.kind.check()?;
        if self.times == Some(0) {
            return Err("times must be at least 1".to_string());
        }
        if let Some(s) = self.share {
            if !(s > 0.0 && s <= 1.0) {
                return Err(format!("share {s} is outside (0, 1]"));
            }
        }
        if self.after_events.is_some() && !matches!(self.endpoint, Endpoint::Events | Endpoint::Any) {
            return Err("after_events counts event requests: use it with endpoint \"events\" (or \"any\")".to_string());
        }
        if self.lasts == Some(Duration::ZERO) {
            return Err("for_ms must be at least 1".to_string());
        }
        Ok(())
    }
}

/// A fault plus its counters.
#[derive(Debug, Clone)]
pub(crate) struct FaultSlot {
    pub(crate) fault: Fault,
    seen: u64,
    fired: u32,
    /// Event requests each session let through so far (`after_events`).
    passed: HashMap<String, u32>,
    /// When it ends (`lasts`), in the collector's ms.
    until_ms: Option<i64>,
}

impl FaultSlot {
    pub(crate) fn new(fault: Fault, now_ms: i64) -> FaultSlot {
        let until_ms = fault.lasts.map(|d| now_ms.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)));
        FaultSlot { fault, seen: 0, fired: 0, passed: HashMap::new(), until_ms }
    }

    fn exhausted(&self, now_ms: i64) -> bool {
        matches!(self.fault.times, Some(t) if self.fired >= t) || self.until_ms.is_some_and(|u| now_ms >= u)
    }

    /// Within its session scope: the session took its `after_events` already.
    fn in_scope(&mut self, sid: Option<&str>) -> bool {
        let Some(k) = self.fault.after_events else { return true };
        let Some(sid) = sid else { return false };
        let passed = self.passed.entry(sid.to_string()).or_default();
        if *passed < k {
            *passed += 1;
            return false;
        }
        true
    }

    fn fires(&mut self) -> bool {
        self.seen += 1;
        let hit = match self.fault.share {
            None => true,
            Some(s) => ((self.seen as f64) * s).floor() > (((self.seen - 1) as f64) * s).floor(),
        };
        if hit {
            self.fired += 1;
        }
        hit
    }
}

/// The fault (if any) for the next request to `endpoint` (of session `sid`, for events) at
/// `now_ms`: faults are tried in the order they were added and the first that fires applies.
/// Used-up and ended faults are removed.
pub(crate) fn take(
    slots: &mut Vec<FaultSlot>,
    endpoint: Endpoint,
    sid: Option<&str>,
    now_ms: i64,
) -> Option<FaultKind> {
    slots.retain(|s| !s.exhausted(now_ms));
    let mut chosen = None;
    for slot in slots.iter_mut() {
        if slot.fault.endpoint.matches(endpoint) && slot.in_scope(sid) && slot.fires() {
            chosen = Some(slot.fault.kind.clone());
            break;
        }
    }
    slots.retain(|s| !s.exhausted(now_ms));
    chosen
}

// ---- JSON form --------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum HeadersSpec {
    Map(BTreeMap<String, String>),
    Pairs(Vec<(String, String)>),
}

impl HeadersSpec {
    fn into_pairs(self) -> Vec<(String, String)> {
        match self {
            HeadersSpec::Map(m) => m.into_iter().collect(),
            HeadersSpec::Pairs(p) => p,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KindSpec {
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    headers: Option<HeadersSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ms: Option<u64>,
}

impl From<FaultKind> for KindSpec {
    fn from(k: FaultKind) -> KindSpec {
        let mut spec = KindSpec { kind: String::new(), status: None, headers: None, body: None, ms: None };
        spec.kind = match k {
            FaultKind::Status { status, headers, body } => {
                spec.status = Some(status);
                spec.headers = (!headers.is_empty()).then_some(HeadersSpec::Pairs(headers));
                spec.body = body;
                "status"
            }
            FaultKind::Delay(d) => {
                spec.ms = Some(u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
                "delay"
            }
            FaultKind::DropBeforeRead => "drop_before_read",
            FaultKind::DropAfterRead => "drop_after_read",
            FaultKind::Hang => "hang",
        }
        .to_string();
        spec
    }
}

impl TryFrom<KindSpec> for FaultKind {
    type Error = String;

    fn try_from(s: KindSpec) -> Result<FaultKind, String> {
        let only = |allowed: &[&str]| -> Result<(), String> {
            let present = [
                ("status", s.status.is_some()),
                ("headers", s.headers.is_some()),
                ("body", s.body.is_some()),
                ("ms", s.ms.is_some()),
            ];
            match present.iter().find(|(name, set)| *set && !allowed.contains(name)) {
                Some((name, _)) => Err(format!("field {name:?} does not apply to kind {:?}", s.kind)),
                None => Ok(()),
            }
        };
        let kind = match s.kind.as_str() {
            "status" => {
                only(&["status", "headers", "body"])?;
                let status = s.status.ok_or("kind \"status\" needs a \"status\" field")?;
                let headers = s.headers.clone().map(HeadersSpec::into_pairs).unwrap_or_default();
                FaultKind::Status { status, headers, body: s.body.clone() }
            }
            "delay" => {
                only(&["ms"])?;
                FaultKind::Delay(Duration::from_millis(s.ms.ok_or("kind \"delay\" needs an \"ms\" field")?))
            }
            "drop_before_read" => {
                only(&[])?;
                FaultKind::DropBeforeRead
            }
            "drop_after_read" => {
                only(&[])?;
                FaultKind::DropAfterRead
            }
            "hang" => {
                only(&[])?;
                FaultKind::Hang
            }
            other => {
                return Err(format!("unknown kind {other:?} (status, delay, drop_before_read, drop_after_read, hang)"));
            }
        };
        kind.check()?;
        Ok(kind)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultSpec {
    endpoint: Endpoint,
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    headers: Option<HeadersSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    times: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    share: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    after_events: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    for_ms: Option<u64>,
}

impl From<Fault> for FaultSpec {
    fn from(f: Fault) -> FaultSpec {
        let k = KindSpec::from(f.kind);
        FaultSpec {
            endpoint: f.endpoint,
            kind: k.kind,
            status: k.status,
            headers: k.headers,
            body: k.body,
            ms: k.ms,
            times: f.times,
            share: f.share,
            after_events: f.after_events,
            for_ms: f.lasts.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        }
    }
}

impl TryFrom<FaultSpec> for Fault {
    type Error = String;

    fn try_from(s: FaultSpec) -> Result<Fault, String> {
        let kind = FaultKind::try_from(KindSpec {
            kind: s.kind,
            status: s.status,
            headers: s.headers,
            body: s.body,
            ms: s.ms,
        })?;
        let fault = Fault {
            endpoint: s.endpoint,
            kind,
            times: s.times,
            share: s.share,
            after_events: s.after_events,
            lasts: s.for_ms.map(Duration::from_millis),
        };
        fault.check()?;
        Ok(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(kind: FaultKind, times: Option<u32>, share: Option<f64>) -> Fault {
        Fault { times, share, ..Fault::every(Endpoint::Events, kind) }
    }

    #[test]
    fn times_limits_and_removes() {
        let mut slots = vec![FaultSlot::new(fault(FaultKind::Hang, Some(2), None), 0)];
        assert_eq!(take(&mut slots, Endpoint::Sessions, None, 0), None);
        assert_eq!(take(&mut slots, Endpoint::Events, None, 0), Some(FaultKind::Hang));
        assert_eq!(take(&mut slots, Endpoint::Events, None, 0), Some(FaultKind::Hang));
        assert!(slots.is_empty());
        assert_eq!(take(&mut slots, Endpoint::Events, None, 0), None);
    }

    #[test]
    fn share_is_spread_deterministically() {
        let mut slots = vec![FaultSlot::new(fault(FaultKind::Hang, None, Some(0.5)), 0)];
        let hits: Vec<bool> = (0..6).map(|_| take(&mut slots, Endpoint::Events, None, 0).is_some()).collect();
        assert_eq!(hits, [false, true, false, true, false, true]);
        let mut slots = vec![FaultSlot::new(fault(FaultKind::Hang, Some(1), Some(0.25)), 0)];
        let hits: Vec<bool> = (0..8).map(|_| take(&mut slots, Endpoint::Events, None, 0).is_some()).collect();
        assert_eq!(hits, [false, false, false, true, false, false, false, false]);
    }

    #[test]
    fn any_matches_every_upload_endpoint() {
        let mut slots = vec![FaultSlot::new(Fault::every(Endpoint::Any, FaultKind::Hang), 0)];
        for e in [Endpoint::Sessions, Endpoint::Events, Endpoint::Downloaded] {
            assert_eq!(take(&mut slots, e, None, 0), Some(FaultKind::Hang));
        }
    }

    #[test]
    fn after_events_scopes_per_session_and_lasts_ends_it() {
        let gone = FaultKind::Status { status: 410, headers: vec![], body: None };
        let mut slots =
            vec![FaultSlot::new(Fault { after_events: Some(2), ..Fault::every(Endpoint::Events, gone.clone()) }, 0)];
        let mut seq = |sid: &str| take(&mut slots, Endpoint::Events, Some(sid), 0).is_some();
        assert_eq!(
            [seq("a"), seq("a"), seq("b"), seq("a"), seq("b"), seq("b"), seq("a")],
            [false, false, false, true, false, true, true]
        );
        assert_eq!(take(&mut slots, Endpoint::Sessions, None, 0), None, "no session, no match");

        let mut slots = vec![FaultSlot::new(
            Fault { lasts: Some(Duration::from_millis(100)), ..Fault::every(Endpoint::Any, gone) },
            1000,
        )];
        assert!(take(&mut slots, Endpoint::Sessions, None, 1099).is_some());
        assert!(take(&mut slots, Endpoint::Sessions, None, 1100).is_none());
        assert!(slots.is_empty(), "removed once over");
    }

    #[test]
    fn json_round_trip_and_checks() {
        let f: Fault = serde_json::from_str(
            r#"{"endpoint":"events","kind":"status","status":503,"headers":{"Retry-After":"2"},"times":1}"#,
        )
        .unwrap();
        assert_eq!(
            f.kind,
            FaultKind::Status { status: 503, headers: vec![("Retry-After".into(), "2".into())], body: None }
        );
        let back: Fault = serde_json::from_value(serde_json::to_value(&f).unwrap()).unwrap();
        assert_eq!(back, f);
        let d: Fault = serde_json::from_str(r#"{"endpoint":"sessions","kind":"delay","ms":250}"#).unwrap();
        assert_eq!(d.kind, FaultKind::Delay(Duration::from_millis(250)));
        let g: Fault = serde_json::from_str(
            r#"{"endpoint":"events","kind":"status","status":410,"after_events":3,"for_ms":5000}"#,
        )
        .unwrap();
        assert_eq!((g.after_events, g.lasts), (Some(3), Some(Duration::from_secs(5))));
        assert_eq!(serde_json::from_value::<Fault>(serde_json::to_value(&g).unwrap()).unwrap(), g);
        for bad in [
            r#"{"endpoint":"events","kind":"status"}"#,
            r#"{"endpoint":"events","kind":"status","status":42}"#,
            r#"{"endpoint":"events","kind":"hang","ms":5}"#,
            r#"{"endpoint":"events","kind":"explode"}"#,
            r#"{"endpoint":"nowhere","kind":"hang"}"#,
            r#"{"endpoint":"events","kind":"hang","share":1.5}"#,
            r#"{"endpoint":"events","kind":"hang","times":0}"#,
            r#"{"endpoint":"events","kind":"hang","tiems":3}"#,
            r#"{"endpoint":"sessions","kind":"hang","after_events":3}"#,
            r#"{"endpoint":"events","kind":"hang","for_ms":0}"#,
            r#"{"endpoint":"events","kind":"status","status":503,"headers":{"Bad Name":"x"}}"#,
        ] {
            assert!(serde_json::from_str::<Fault>(bad).is_err(), "{bad} should be rejected");
        }
    }
}
