//! The modelled back end: what the MC API does with a request, at fleet scale and in trouble.
//!
//! - Every request is answered after a latency (a floor plus an exponential tail).
//! - Sessions: a sessionStart gets a 201 with a `Location`; an event for an unknown session
//!   gets 404, for a closed or expired one 410. A session expires 10 minutes after its last
//!   event (mc-api: "idle 10 minutes → the session is closed").
//! - A script of faults over time: a total outage (connections refused, or black-holed until the
//!   client's connect timeout), a status on every request (503 or 429, with or without
//!   `Retry-After`), 410 for every session after k events, and a capacity in requests per second
//!   beyond which it answers 503.
//! - It records what it received and answered, per second of virtual time (`Recorder`).

use std::collections::HashMap;

use media_collection::core::{EventType, Outcome, Request};

use crate::record::{Column, Recorder};
use crate::rng::Rng;

/// A session is closed this long after its last event.
pub const SESSION_EXPIRY_MS: u64 = 10 * 60 * 1000;
/// How long a black-holed connection takes to fail: the client's default connect timeout.
pub const CONNECT_TIMEOUT_MS: u64 = 5_000;

const SESSIONS_PATH: &str = "/api/v1/sessions/";

#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Nothing answers: connections are refused at once, or with `timeouts` hang until the
    /// client's connect timeout.
    Outage { timeouts: bool },
    /// Every request is answered with `status` (503, 429), with `Retry-After: secs` when given.
    Status { status: u16, retry_after: Option<u32> },
    /// Every session answers 410 to events once it has accepted `after` of them (its
    /// sessionStart included).
    GoneAfter(u32),
    /// At most this multiple of the steady-state request rate is served each second; the rest
    /// gets a plain 503.
    Capacity(f64),
}

/// A fault from `from_ms` (inclusive) to `to_ms` (exclusive) of virtual time.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultWindow {
    pub from_ms: u64,
    pub to_ms: u64,
    pub fault: Fault,
}

impl FaultWindow {
    fn covers(&self, now: u64) -> bool {
        (self.from_ms..self.to_ms).contains(&now)
    }
}

/// How a request will end, kept small (a million players each hold a few in flight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Created(u64),
    Accepted,
    Status { status: u16, retry_after: Option<u32> },
    Refused,
    TimedOut,
}

impl Answer {
    /// What the transport would hand the core.
    pub fn outcome(self) -> Outcome {
        match self {
            Answer::Created(sid) => Outcome::Http {
                status: 201,
                location: Some(format!("{SESSIONS_PATH}{sid}")),
                retry_after: None,
                body: Vec::new(),
            },
            Answer::Accepted => Outcome::Http { status: 204, location: None, retry_after: None, body: Vec::new() },
            Answer::Status { status, retry_after } => Outcome::Http {
                status,
                location: None,
                retry_after: retry_after.map(|s| s.to_string()),
                body: Vec::new(),
            },
            Answer::Refused => Outcome::Network { message: "Couldn't connect to server".into(), timed_out: false },
            Answer::TimedOut => Outcome::Network { message: "Connection timed out".into(), timed_out: true },
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct ServerSession {
    last_event_ms: u64,
    events: u32,
}

/// The sid in an events path: `/api/v1/sessions/{sid}/events`.
fn sid_of(path: &str) -> Option<u64> {
    path.strip_prefix(SESSIONS_PATH)?.strip_suffix("/events")?.parse().ok()
}

pub struct Backend {
    faults: Vec<FaultWindow>,
    sessions: HashMap<u64, ServerSession>,
    next_sid: u64,
    last_sweep_ms: u64,
    /// Requests served in the current second (for `Capacity`).
    served_second: u64,
    served: u64,
    /// Requests per second the capacity is a multiple of, once measured.
    steady_rate: Option<f64>,
    /// The steady-state window `[from, to)` in seconds the rate is measured over.
    steady_window: (u64, u64),
    pub rec: Recorder,
    rng: Rng,
    /// Events (sessionStarts included) answered 2xx: what the back end received.
    pub accepted_events: u64,
    latency_floor_ms: u64,
    latency_tail_ms: f64,
}

impl Backend {
    pub fn new(faults: Vec<FaultWindow>, steady_window: (u64, u64), seconds: usize, seed: u64) -> Backend {
        Backend {
            faults,
            sessions: HashMap::new(),
            next_sid: 1,
            last_sweep_ms: 0,
            served_second: u64::MAX,
            served: 0,
            steady_rate: None,
            steady_window,
            rec: Recorder::new(seconds),
            rng: Rng::new(seed),
            accepted_events: 0,
            latency_floor_ms: 30,
            latency_tail_ms: 40.0,
        }
    }

    fn active(&self, now: u64) -> impl Iterator<Item = &Fault> {
        self.faults.iter().filter(move |w| w.covers(now)).map(|w| &w.fault)
    }

    /// Answers `req`, arrived at `now`: the answer and how long after `now` the client has it.
    pub fn handle(&mut self, now: u64, req: &Request) -> (u64, Answer) {
        let sec = now / 1000;
        let starting = req.event_type == EventType::SessionStart;
        self.rec.add(sec, Column::Requests, 1);
        if starting {
            self.rec.add(sec, Column::SessionStarts, 1);
        }
        self.sweep(now);
        let latency = self.latency_floor_ms + (self.rng.exp(self.latency_tail_ms) as u64).min(2_000);
        let mut capacity = None;
        let mut status = None;
        let mut gone_after = None;
        let mut outage = None;
        for f in self.active(now) {
            match *f {
                Fault::Outage { timeouts } => outage = Some(timeouts),
                Fault::Status { status: s, retry_after } => status = Some((s, retry_after)),
                Fault::GoneAfter(k) => gone_after = Some(k),
                Fault::Capacity(x) => capacity = Some(x),
            }
        }
        if let Some(timeouts) = outage {
            self.rec.add(sec, Column::Failed, 1);
            return if timeouts { (CONNECT_TIMEOUT_MS, Answer::TimedOut) } else { (latency, Answer::Refused) };
        }
        if let Some(factor) = capacity {
            if self.served_second != sec {
                self.served_second = sec;
                self.served = 0;
            }
            let limit = factor * self.steady_rate();
            if self.served as f64 >= limit {
                return self.status(sec, latency, 503, None);
            }
            self.served += 1;
        }
        if let Some((s, retry_after)) = status {
            return self.status(sec, latency, s, retry_after);
        }
        if starting {
            let sid = self.next_sid;
            self.next_sid += 1;
            self.sessions.insert(sid, ServerSession { last_event_ms: now, events: 1 });
            return self.accept(sec, latency, Answer::Created(sid));
        }
        let Some(sid) = sid_of(&req.path) else {
            return self.status(sec, latency, 404, None);
        };
        let Some(s) = self.sessions.get_mut(&sid) else {
            return self.status(sec, latency, 404, None);
        };
        let expired = now.saturating_sub(s.last_event_ms) >= SESSION_EXPIRY_MS;
        if expired || gone_after.is_some_and(|k| s.events >= k) {
            if expired {
                self.sessions.remove(&sid);
            }
            return self.status(sec, latency, 410, None);
        }
        s.last_event_ms = now;
        s.events += 1;
        if req.event_type == EventType::SessionEnd {
            self.sessions.remove(&sid);
        }
        self.accept(sec, latency, Answer::Accepted)
    }

    fn accept(&mut self, sec: u64, latency: u64, a: Answer) -> (u64, Answer) {
        self.rec.add(sec, Column::Ok, 1);
        self.accepted_events += 1;
        (latency, a)
    }

    fn status(&mut self, sec: u64, latency: u64, status: u16, retry_after: Option<u32>) -> (u64, Answer) {
        let col = match status {
            503 => Column::Unavailable,
            429 => Column::Throttled,
            _ => Column::Gone,
        };
        self.rec.add(sec, col, 1);
        (latency, Answer::Status { status, retry_after })
    }

    /// The mean request rate over the steady-state window, measured once, when first needed.
    fn steady_rate(&mut self) -> f64 {
        let (from, to) = self.steady_window;
        *self.steady_rate.get_or_insert_with(|| self.rec.mean(Column::Requests, from, to))
    }

    /// Forgets sessions expired for another 10 min once a minute, so the table stays the size
    /// of the live fleet (until then an expired session answers 410, after that 404).
    fn sweep(&mut self, now: u64) {
        if now < self.last_sweep_ms + 60_000 {
            return;
        }
        self.last_sweep_ms = now;
        self.sessions.retain(|_, s| now.saturating_sub(s.last_event_ms) < 2 * SESSION_EXPIRY_MS);
    }

    /// Sessions the back end holds open now.
    pub fn open_sessions(&self) -> usize {
        self.sessions.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(event_type: EventType, path: &str) -> Request {
        Request { id: 1, tracker: 0, event_type, path: path.into(), body: Vec::new() }
    }

    fn sid(a: Answer) -> u64 {
        match a {
            Answer::Created(s) => s,
            other => panic!("expected 201, got {other:?}"),
        }
    }

    #[test]
    fn sessions_expire_after_ten_idle_minutes_and_gone_after_k_events() {
        let mut b = Backend::new(
            vec![FaultWindow { from_ms: 3_600_000, to_ms: 7_200_000, fault: Fault::GoneAfter(3) }],
            (0, 60),
            3 * 3600,
            1,
        );
        let s = sid(b.handle(0, &req(EventType::SessionStart, "/api/v1/sessions")).1);
        let path = format!("/api/v1/sessions/{s}/events");
        assert_eq!(b.handle(1_000, &req(EventType::Play, &path)).1, Answer::Accepted);
        assert_eq!(b.handle(1_000 + SESSION_EXPIRY_MS - 1, &req(EventType::Ping, &path)).1, Answer::Accepted);
        let late = 1_000 + 2 * SESSION_EXPIRY_MS + 5_000;
        assert_eq!(b.handle(late, &req(EventType::Ping, &path)).1, Answer::Status { status: 410, retry_after: None });
        assert_eq!(b.handle(late, &req(EventType::Ping, &path)).1, Answer::Status { status: 404, retry_after: None });
        // In the GoneAfter window: sessionStart + 2 events, then 410.
        let s = sid(b.handle(3_600_000, &req(EventType::SessionStart, "/api/v1/sessions")).1);
        let path = format!("/api/v1/sessions/{s}/events");
        assert_eq!(b.handle(3_600_001, &req(EventType::Play, &path)).1, Answer::Accepted);
        assert_eq!(b.handle(3_600_002, &req(EventType::Ping, &path)).1, Answer::Accepted);
        assert_eq!(
            b.handle(3_600_003, &req(EventType::Ping, &path)).1,
            Answer::Status { status: 410, retry_after: None }
        );
        assert_eq!(b.accepted_events, 6);
        assert_eq!(b.rec.total(Column::Gone), 3);
    }

    #[test]
    fn capacity_is_a_multiple_of_the_measured_steady_rate() {
        let mut b = Backend::new(
            vec![FaultWindow { from_ms: 10_000, to_ms: 20_000, fault: Fault::Capacity(1.5) }],
            (0, 10),
            30,
            1,
        );
        // Steady: 10 requests per second for 10 s.
        for ms in (0..10_000).step_by(100) {
            b.handle(ms, &req(EventType::SessionStart, "/api/v1/sessions"));
        }
        let answers: Vec<Answer> =
            (0..30).map(|i| b.handle(10_000 + i, &req(EventType::SessionStart, "/api/v1/sessions")).1).collect();
        let created = answers.iter().filter(|a| matches!(a, Answer::Created(_))).count();
        assert_eq!(created, 15, "1.5 × 10 requests/s");
        assert_eq!(b.rec.total(Column::Unavailable), 15);
    }

    #[test]
    fn outage_refuses_or_times_out_and_status_faults_carry_retry_after() {
        let mut b = Backend::new(
            vec![
                FaultWindow { from_ms: 0, to_ms: 1_000, fault: Fault::Outage { timeouts: false } },
                FaultWindow { from_ms: 1_000, to_ms: 2_000, fault: Fault::Outage { timeouts: true } },
                FaultWindow {
                    from_ms: 2_000,
                    to_ms: 3_000,
                    fault: Fault::Status { status: 429, retry_after: Some(120) },
                },
            ],
            (0, 1),
            10,
            1,
        );
        let r = req(EventType::SessionStart, "/api/v1/sessions");
        assert_eq!(b.handle(0, &r).1, Answer::Refused);
        assert_eq!(b.handle(1_000, &r), (CONNECT_TIMEOUT_MS, Answer::TimedOut));
        let (_, a) = b.handle(2_000, &r);
        assert_eq!(a, Answer::Status { status: 429, retry_after: Some(120) });
        assert!(matches!(a.outcome(), Outcome::Http { status: 429, retry_after: Some(ref s), .. } if s == "120"));
        assert_eq!(b.accepted_events, 0);
        assert_eq!(b.rec.total(Column::Failed), 2);
    }
}
