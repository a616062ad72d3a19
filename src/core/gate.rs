//! The endpoint gate: one per client, in front of every request to the back end (each session's
//! events, sessionStarts and downloaded uploads). It is how a client obeys the back end as a
//! whole rather than session by session (DESIGN's Fleet safety):
//!
//! - A 429 or 503 with `Retry-After` closes it until the time asked (clamped to the cap) plus a
//!   random part of the release window, so a fleet throttled together does not come back
//!   together.
//! - `outage_failures` network failures or timeouts in a row close it for one probe interval
//!   (±20 %); every failed probe doubles the interval, up to `outage_probe_cap`, so a fleet in a
//!   long outage knocks ever more rarely.
//! - When a pause ends, exactly one request goes out as a probe. Its answer decides: the endpoint
//!   still refuses (another `Retry-After`, another network failure) and the gate closes again;
//!   anything else opens it, and the requests that waited are released spread over the release
//!   window (delivery does that).
//! - After a pause the client is paced: the gap between two of its requests starts at
//!   `drain_start_interval` and the rate ramps linearly up to one request per
//!   `drain_end_interval` over `drain_ramp` (each gap ±20 %) and stays there until nothing
//!   more waits; then pacing ends. A backlog built during the pause thus drains over minutes
//!   instead of in one burst per client. A 503 or 429
//!   without `Retry-After` while paced (the back end is short of capacity) restarts the ramp and
//!   spends no attempt of its session.
//!
//! A request failed by the gate's cause (throttle or outage) while the gate is closed spends no
//! attempt of its session: the wait is the endpoint's, not the event's.

use std::time::{Duration, Instant};

use super::backoff::XorShift;
use super::parse::parse_retry_after;
use super::{FleetPolicy, Outcome, RequestId, Stamp};

/// Why the gate is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    /// The server said when to come back (`Retry-After`).
    Throttled,
    /// Requests do not reach the server.
    Outage,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Open,
    /// Nothing is sent before `until`; then one probe.
    Closed {
        until: Instant,
        cause: Cause,
    },
    /// The pause is over: one request (`probe`, once sent) tests the endpoint.
    Probing {
        cause: Cause,
        probe: Option<RequestId>,
    },
}

/// What one outcome did to the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Observed {
    /// The failure was the endpoint's (throttle or outage, gate closed): the request's session
    /// keeps its head without spending an attempt and waits for the gate.
    pub(crate) held: bool,
    /// The gate just closed (it was open or probing).
    pub(crate) closed: bool,
    /// The gate just opened after a pause: release what waited, spread.
    pub(crate) reopened: bool,
}

/// The drain pace after a pause: since when it ramps, and when the next request may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pace {
    since: Instant,
    next: Instant,
}

#[derive(Debug)]
pub(crate) struct Gate {
    state: State,
    /// Network failures or timeouts in a row (any HTTP answer resets it).
    failures: u32,
    /// Probes of this outage that failed: the probe interval doubles with each.
    failed_probes: u32,
    /// Set while the client drains after a pause.
    pace: Option<Pace>,
    policy: FleetPolicy,
    retry_after_cap: Duration,
}

/// The `Retry-After` delay of a 429 or 503 that carries a usable one.
pub(crate) fn throttle(outcome: &Outcome, now_ts: i64) -> Option<Duration> {
    match outcome {
        Outcome::Http { status: 429 | 503, retry_after: Some(v), .. } => parse_retry_after(v, now_ts),
        _ => None,
    }
}

impl Gate {
    pub(crate) fn new(policy: FleetPolicy, retry_after_cap: Duration) -> Gate {
        Gate { state: State::Open, failures: 0, failed_probes: 0, pace: None, policy, retry_after_cap }
    }

    /// Why the gate is shut, if it is.
    pub(crate) fn cause(&self) -> Option<Cause> {
        match self.state {
            State::Open => None,
            State::Closed { cause, .. } | State::Probing { cause, .. } => Some(cause),
        }
    }

    pub(crate) fn is_open(&self) -> bool {
        self.state == State::Open
    }

    /// A request may start now (open, or probing with no probe out yet).
    pub(crate) fn may_send(&self) -> bool {
        matches!(self.state, State::Open | State::Probing { probe: None, .. })
    }

    /// A request may start at `now` (the latest time seen, if any): the gate lets one go and
    /// the drain pace has come due.
    pub(crate) fn may_send_at(&self, now: Option<Instant>) -> bool {
        self.may_send() && !matches!((self.pace, now), (Some(p), Some(now)) if p.next > now)
    }

    /// Request `id` started at `now`; while probing it is the probe. While paced, the next
    /// request waits the current gap of the ramp divided by `sessions` (one per session its
    /// players are still in, plus one for the backlog: a client of many players keeps up, a
    /// backlog of ended sessions does not speed it up), and never below `keep_up` requests
    /// per second (what the players make, with a margin);
    /// `backlog` (more requests wait already) keeps the pace at its end rate after the ramp,
    /// so pacing ends only once the client caught up.
    pub(crate) fn on_send(
        &mut self,
        id: RequestId,
        now: Option<Instant>,
        sessions: usize,
        keep_up: f64,
        backlog: bool,
        rng: &mut XorShift,
    ) {
        if let State::Probing { probe: p @ None, .. } = &mut self.state {
            *p = Some(id);
        }
        let (Some(pace), Some(now)) = (self.pace, now) else { return };
        let ramp = self.policy.drain_ramp.as_secs_f64();
        let elapsed = now.saturating_duration_since(pace.since).as_secs_f64();
        if elapsed >= ramp && !backlog {
            self.pace = None;
            return;
        }
        let rate = |interval: Duration| 1.0 / interval.as_secs_f64().max(0.001);
        let (start, end) = (rate(self.policy.drain_start_interval), rate(self.policy.drain_end_interval));
        let share = (elapsed / ramp).min(1.0);
        let per_session = start + (end - start).max(0.0) * share;
        let rate = (per_session * sessions.max(1) as f64).max(keep_up);
        let gap = Duration::from_secs_f64(1.0 / rate);
        let next = now.checked_add(rng.spread(gap, 0.2)).unwrap_or(now);
        self.pace = Some(Pace { since: pace.since, next });
    }

    /// Starts (or restarts) the drain ramp at `now`, when a request (the probe, or the one
    /// refused for capacity) just ended: the next waits one starting gap.
    fn pace_from(&mut self, now: Instant, rng: &mut XorShift) {
        if self.policy.drain_ramp.is_zero() || self.policy.drain_start_interval.is_zero() {
            return;
        }
        let next = now.checked_add(rng.spread(self.policy.drain_start_interval, 0.2)).unwrap_or(now);
        self.pace = Some(Pace { since: now, next });
    }

    /// The client drains after a pause (its requests are paced).
    pub(crate) fn is_paced(&self) -> bool {
        self.pace.is_some()
    }

    /// The end of the current pause, if closed.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Closed { until, .. } => Some(until),
            _ => None,
        }
    }

    /// When the drain pace lets the next request go, if that is after `now`.
    pub(crate) fn pace_timeout(&self, now: Option<Instant>) -> Option<Instant> {
        self.pace.map(|p| p.next).filter(|next| now.is_some_and(|now| *next > now))
    }

    /// A pause that came due turns into probing.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        if let State::Closed { until, cause } = self.state {
            if until <= now {
                self.state = State::Probing { cause, probe: None };
            }
        }
    }

    fn close(&mut self, until: Instant, cause: Cause) -> bool {
        match &mut self.state {
            // Already paused: the later end wins, a throttle's cause wins (the server spoke).
            State::Closed { until: u, cause: c } => {
                *u = (*u).max(until);
                if cause == Cause::Throttled {
                    *c = cause;
                }
                false
            }
            _ => {
                self.state = State::Closed { until, cause };
                true
            }
        }
    }

    /// Request `id` (None: not one of delivery's, e.g. an upload that was not a probe) ended
    /// with `outcome`.
    pub(crate) fn observe(
        &mut self,
        id: Option<RequestId>,
        now: Stamp,
        outcome: &Outcome,
        rng: &mut XorShift,
    ) -> Observed {
        let was_probe = matches!(self.state, State::Probing { probe: Some(p), .. } if Some(p) == id);
        let mut seen = Observed::default();
        if let Some(ra) = throttle(outcome, now.ts) {
            self.failures = 0;
            let pause = ra.min(self.retry_after_cap) + rng.within(self.policy.release_window);
            seen.closed = self.close(now.mono.checked_add(pause).unwrap_or(now.mono), Cause::Throttled);
            seen.held = true;
            return seen;
        }
        match outcome {
            Outcome::Aborted => {
                // Not an answer: a probe cut short leaves room for another.
                if was_probe {
                    if let State::Probing { probe, .. } = &mut self.state {
                        *probe = None;
                    }
                }
            }
            Outcome::Network { .. } => {
                self.failures = self.failures.saturating_add(1);
                let out = match self.state {
                    State::Open => self.failures >= self.policy.outage_failures.max(1),
                    State::Probing { .. } => was_probe,
                    State::Closed { .. } => false,
                };
                if out {
                    if was_probe {
                        self.failed_probes = self.failed_probes.saturating_add(1);
                    }
                    let factor = 1u32.checked_shl(self.failed_probes.min(31)).unwrap_or(u32::MAX);
                    let cap = self.policy.outage_probe_cap.max(self.policy.outage_probe_interval);
                    let interval = self.policy.outage_probe_interval.checked_mul(factor).unwrap_or(cap).min(cap);
                    let wait = rng.spread(interval, 0.2);
                    seen.closed = self.close(now.mono.checked_add(wait).unwrap_or(now.mono), Cause::Outage);
                }
                seen.held = !self.is_open();
            }
            Outcome::Http { status, .. } => {
                self.failures = 0;
                // The endpoint answered. An outage is over; a throttle lasts as long as ordered,
                // unless this was its probe.
                let reopen = match self.state {
                    State::Open => false,
                    State::Closed { cause, .. } => cause == Cause::Outage,
                    State::Probing { cause, .. } => was_probe || cause == Cause::Outage,
                };
                if reopen {
                    self.state = State::Open;
                    self.failed_probes = 0;
                    self.pace_from(now.mono, rng);
                    seen.reopened = true;
                }
                // Short of capacity while draining: slow down again, the wait is the endpoint's.
                if matches!(status, 429 | 503) && self.pace.is_some() && self.is_open() {
                    if !seen.reopened {
                        self.pace_from(now.mono, rng);
                    }
                    seen.held = true;
                }
            }
        }
        seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16, retry_after: Option<&str>) -> Outcome {
        Outcome::Http { status, location: None, retry_after: retry_after.map(Into::into), body: Vec::new() }
    }

    fn net() -> Outcome {
        Outcome::Network { message: "connection refused".into(), timed_out: false }
    }

    fn policy() -> FleetPolicy {
        FleetPolicy {
            outage_failures: 3,
            outage_probe_interval: Duration::from_secs(60),
            release_window: Duration::from_secs(10),
            ..FleetPolicy::default()
        }
    }

    #[test]
    fn retry_after_closes_then_one_probe_decides() {
        let base = Instant::now();
        let at = |s: u64| Stamp { mono: base + Duration::from_secs(s), ts: 1_000_000 + s as i64 * 1000 };
        let mut rng = XorShift::new(3);
        let mut g = Gate::new(policy(), Duration::from_secs(300));
        let seen = g.observe(Some(1), at(0), &http(429, Some("120")), &mut rng);
        assert_eq!(seen, Observed { held: true, closed: true, reopened: false });
        let until = g.poll_timeout().unwrap();
        assert!(until >= base + Duration::from_secs(120) && until <= base + Duration::from_secs(130), "{until:?}");
        assert!(!g.may_send());
        // A garbage Retry-After or a plain 503 is no order: the session's own backoff applies.
        assert!(!g.observe(Some(2), at(1), &http(503, Some("soon")), &mut rng).closed);
        g.handle_timeout(base + Duration::from_secs(119));
        assert!(!g.may_send(), "nothing before the time asked");
        g.handle_timeout(until);
        assert!(g.may_send());
        g.on_send(9, None, 1, 0.0, false, &mut rng);
        assert!(!g.may_send(), "one probe at a time");
        // A stale answer of a request sent before the pause does not open a throttled gate.
        assert_eq!(g.observe(Some(4), at(131), &http(204, None), &mut rng), Observed::default());
        assert!(g.observe(Some(9), at(131), &http(204, None), &mut rng).reopened);
        assert!(g.is_open());
    }

    #[test]
    fn consecutive_network_failures_mean_an_outage_until_a_probe_gets_through() {
        let base = Instant::now();
        let at = |s: u64| Stamp { mono: base + Duration::from_secs(s), ts: s as i64 * 1000 };
        let mut rng = XorShift::new(5);
        let mut g = Gate::new(policy(), Duration::from_secs(300));
        assert!(!g.observe(Some(1), at(0), &net(), &mut rng).held);
        // An HTTP answer in between resets the count.
        g.observe(Some(2), at(0), &http(500, None), &mut rng);
        assert!(!g.observe(Some(3), at(1), &net(), &mut rng).held);
        assert!(!g.observe(Some(4), at(2), &net(), &mut rng).held);
        let seen = g.observe(Some(5), at(3), &net(), &mut rng);
        assert!(seen.held && seen.closed);
        let until = g.poll_timeout().unwrap();
        let wait = until - (base + Duration::from_secs(3));
        assert!((48.0..=72.0).contains(&wait.as_secs_f64()), "{wait:?}");
        // Failures of requests already in flight keep their sessions waiting, without a try.
        assert!(g.observe(Some(6), at(4), &net(), &mut rng).held);
        g.handle_timeout(until);
        g.on_send(7, None, 1, 0.0, false, &mut rng);
        let seen = g.observe(Some(7), at(70), &net(), &mut rng);
        assert!(seen.held && seen.closed, "a failed probe closes the gate again");
        let until = g.poll_timeout().unwrap();
        g.handle_timeout(until);
        g.on_send(8, None, 1, 0.0, false, &mut rng);
        g.observe(Some(8), at(140), &Outcome::Aborted, &mut rng);
        assert!(g.may_send(), "an aborted probe leaves room for another");
        g.on_send(10, None, 1, 0.0, false, &mut rng);
        assert!(g.observe(Some(10), at(141), &http(503, None), &mut rng).reopened, "any answer ends an outage");
        assert!(g.is_open());
    }

    #[test]
    fn failed_probes_double_the_interval_up_to_the_cap() {
        let base = Instant::now();
        let at = |s: u64| Stamp { mono: base + Duration::from_secs(s), ts: s as i64 * 1000 };
        let mut rng = XorShift::new(9);
        let p = FleetPolicy { outage_probe_cap: Duration::from_secs(300), ..policy() };
        let mut g = Gate::new(p, Duration::from_secs(300));
        for id in 1..=3 {
            g.observe(Some(id), at(0), &net(), &mut rng);
        }
        let mut now = 0;
        let mut waits = Vec::new();
        for id in 10..16 {
            let until = g.poll_timeout().unwrap();
            let wait = (until - base).as_secs_f64() - now as f64;
            waits.push(wait);
            now = (until - base).as_secs() + 1;
            g.handle_timeout(base + Duration::from_secs(now));
            g.on_send(id, None, 1, 0.0, false, &mut rng);
            g.observe(Some(id), at(now), &net(), &mut rng);
        }
        for (n, w) in waits.iter().enumerate() {
            let interval = (60.0 * f64::from(1u32 << n)).min(300.0);
            assert!((interval * 0.8 - 1.0..=interval * 1.2).contains(w), "wait {n}: {w} s, {waits:?}");
        }
        // An answer ends the outage and resets the backoff: the next outage starts at a minute.
        let until = g.poll_timeout().unwrap();
        g.handle_timeout(until);
        g.on_send(20, None, 1, 0.0, false, &mut rng);
        assert!(g.observe(Some(20), at(2000), &http(204, None), &mut rng).reopened);
        for id in 21..24 {
            g.observe(Some(id), at(2000), &net(), &mut rng);
        }
        let wait = (g.poll_timeout().unwrap() - base).as_secs_f64() - 2000.0;
        assert!((48.0..=72.0).contains(&wait), "{wait}");
    }

    #[test]
    fn after_a_pause_requests_are_paced_and_a_capacity_answer_restarts_the_ramp() {
        let base = Instant::now();
        let secs = |s: f64| base + Duration::from_secs_f64(s);
        let at = |s: f64| Stamp { mono: secs(s), ts: 1_000_000 + (s * 1000.0) as i64 };
        let mut rng = XorShift::new(4);
        let p = FleetPolicy {
            drain_start_interval: Duration::from_secs(30),
            drain_end_interval: Duration::from_secs(15),
            drain_ramp: Duration::from_secs(600),
            ..policy()
        };
        let mut g = Gate::new(p, Duration::from_secs(300));
        // Unpaced: a plain 503 is the session's business, not the gate's.
        assert_eq!(g.observe(Some(1), at(0.0), &http(503, None), &mut rng), Observed::default());
        assert!(g.may_send_at(Some(secs(0.0))));
        g.observe(Some(2), at(0.0), &http(429, Some("10")), &mut rng);
        let until = g.poll_timeout().unwrap();
        g.handle_timeout(until);
        let t0 = (until - base).as_secs_f64();
        g.on_send(3, Some(until), 1, 0.0, false, &mut rng);
        assert!(g.observe(Some(3), at(t0), &http(204, None), &mut rng).reopened);
        // The next request waits a starting gap (30 s ±20 %), for two shares half of it.
        let next = g.pace_timeout(Some(until)).unwrap();
        let gap = (next - until).as_secs_f64();
        assert!((24.0..=36.0).contains(&gap), "{gap}");
        assert!(!g.may_send_at(Some(next - Duration::from_millis(1))));
        assert!(g.may_send_at(Some(next)));
        g.on_send(4, Some(next), 2, 0.0, true, &mut rng);
        let gap = (g.pace_timeout(Some(next)).unwrap() - next).as_secs_f64();
        assert!((12.0..=18.0).contains(&gap), "two shares: {gap}");
        // Late in the ramp the gap nears the end interval.
        let late = secs(t0 + 590.0);
        g.on_send(5, Some(late), 1, 0.0, true, &mut rng);
        let gap = (g.pace_timeout(Some(late)).unwrap() - late).as_secs_f64();
        assert!((12.0..=18.5).contains(&gap), "{gap}");
        // A plain 503 while draining: held (no attempt), and the ramp starts over.
        let seen = g.observe(Some(5), at(t0 + 591.0), &http(503, None), &mut rng);
        assert_eq!(seen, Observed { held: true, closed: false, reopened: false });
        let gap = (g.pace_timeout(Some(late)).unwrap() - secs(t0 + 591.0)).as_secs_f64();
        assert!((24.0..=36.0).contains(&gap), "{gap}");
        // After the ramp with nothing more waiting, pacing ends.
        let done = secs(t0 + 591.0 + 601.0);
        g.on_send(6, Some(done), 1, 0.0, false, &mut rng);
        assert_eq!(g.pace_timeout(Some(done)), None);
        assert!(g.may_send_at(Some(done)));
    }
}
