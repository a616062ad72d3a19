//! Per MC session delivery (mc-api §7.1, DESIGN's retry table).
//!
//! - A session's sessionStart goes to `POST /api/v1/sessions`; every later event waits behind
//!   it until the 201 gives the sid, then goes to `/api/v1/sessions/{sid}/events`.
//! - One request in flight per session, in order; different sessions proceed concurrently.
//! - Retryable failures (network, timeout, 408, 429, 5xx; for sessionStart also a 2xx without a
//!   usable `Location`) wait a backoff (or a longer `Retry-After`) while the session's later
//!   events wait behind. A sessionStart gives up after its tries or budget, and its session's
//!   events go with it; an event gives up after its budget and the session goes on.
//! - 404/410 on an event: the session is gone. Its held events are dropped and the tracker is
//!   told, so it restarts as a resumed session.
//! - Every event that does not reach the server is counted by reason and reported.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::backoff::{self, XorShift};
use super::notices::Notices;
use super::parse::{parse_location, parse_retry_after};
use super::rules::SessionKey;
use super::{
    Counter, Limits, LogLevel, Notice, Outcome, Request, RequestId, RetryPolicy, Stamp, TrackerId, TrackerName,
};
use crate::stats::Stats;
use crate::wire::{Event, EventType};

pub(crate) const SESSIONS_PATH: &str = "/api/v1/sessions";

/// Everything but RFC 3986 unreserved characters is encoded in the sid's path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

pub(crate) fn events_path(sid: &str) -> String {
    format!("{SESSIONS_PATH}/{}/events", utf8_percent_encode(sid, SEGMENT))
}

/// Events that open or close a session are never dropped for a full queue.
fn protected(t: EventType) -> bool {
    matches!(t, EventType::SessionStart | EventType::SessionComplete | EventType::SessionEnd)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// The sessionStart is at the head of the queue (waiting, in flight or backing off).
    Starting,
    /// The server gave the sid.
    Open { events_path: String },
    /// No more requests: later events are dropped with this reason.
    Dead(Counter),
}

#[derive(Debug)]
struct Session {
    tracker: TrackerId,
    phase: Phase,
    /// Held events; the head is the one in flight or backing off.
    queue: VecDeque<Event>,
    in_flight: Option<RequestId>,
    /// Set while the head backs off; cleared when it comes due.
    retry_at: Option<Instant>,
    /// Tries of the head so far.
    tries: u32,
    /// When the head was first tried (its retry budget runs from there).
    first_try: Option<Instant>,
    /// The tracker will send nothing more here (sessionEnd/sessionComplete, restart, removal).
    closed: bool,
}

impl Session {
    /// The head may be sent now.
    fn ready(&self) -> bool {
        self.in_flight.is_none()
            && self.retry_at.is_none()
            && !self.queue.is_empty()
            && !matches!(self.phase, Phase::Dead(_))
    }
}

/// How a response is classified (DESIGN's retry table).
enum Verdict {
    /// 2xx; for a sessionStart, with the sid from `Location`.
    Success(Option<String>),
    /// Network error, timeout, 408, 429, 5xx, or a sessionStart 2xx without a usable sid.
    Retry(String),
    /// 404/410 on an event.
    Gone,
    /// Anything else (400 and the other 4xx, 3xx): retrying the same body cannot help.
    Reject,
}

fn classify(outcome: &Outcome, starting: bool) -> Verdict {
    match outcome {
        Outcome::Http { status, location, .. } if (200..300).contains(status) => {
            if !starting {
                return Verdict::Success(None);
            }
            match location.as_deref().and_then(parse_location) {
                Some(sid) => Verdict::Success(Some(sid)),
                None => Verdict::Retry(format!("HTTP {status} without a usable Location")),
            }
        }
        Outcome::Http { status: 408 | 429 | 500..=599, .. } => Verdict::Retry(String::new()),
        Outcome::Http { status: 404 | 410, .. } if !starting => Verdict::Gone,
        Outcome::Http { .. } => Verdict::Reject,
        Outcome::Network { message, timed_out } => {
            Verdict::Retry(if *timed_out { format!("timed out: {message}") } else { message.clone() })
        }
        // Handled before classification (not a try); listed for completeness.
        Outcome::Aborted => Verdict::Retry(String::new()),
    }
}

fn status_of(outcome: &Outcome) -> Option<u16> {
    match outcome {
        Outcome::Http { status, .. } => Some(*status),
        _ => None,
    }
}

#[derive(Debug)]
pub(crate) struct Delivery {
    policy: RetryPolicy,
    limits: Limits,
    stats: Arc<Stats>,
    rng: XorShift,
    /// In creation order (keys only grow), so requests go out oldest session first.
    sessions: BTreeMap<SessionKey, Session>,
    /// The keys of the sessions that are `ready`, so a turn does not scan every session. Public
    /// operations on one session unindex it first and index it again after (`reindexed`).
    ready: BTreeSet<SessionKey>,
    /// Every session's `retry_at`, earliest first.
    retries: BTreeSet<(Instant, SessionKey)>,
    in_flight: HashMap<RequestId, SessionKey>,
    next_request: RequestId,
    /// Events held over all sessions.
    held: usize,
    /// The latest monotonic time seen, used as the send time of requests (poll_request has no
    /// clock of its own).
    clock: Option<Instant>,
    shut: bool,
}

impl Delivery {
    pub(crate) fn new(policy: RetryPolicy, limits: Limits, stats: Arc<Stats>, seed: u64) -> Delivery {
        Delivery {
            policy,
            limits,
            stats,
            rng: XorShift::new(seed),
            sessions: BTreeMap::new(),
            ready: BTreeSet::new(),
            retries: BTreeSet::new(),
            in_flight: HashMap::new(),
            next_request: 0,
            held: 0,
            clock: None,
            shut: false,
        }
    }

    /// Records the time; the worker's clock only moves forward but a stale stamp must not
    /// move ours back.
    pub(crate) fn observe(&mut self, now: Instant) {
        self.clock = Some(self.clock.map_or(now, |c| c.max(now)));
    }

    pub(crate) fn held(&self) -> usize {
        self.held
    }

    fn drop_event(&self, notices: &mut Notices, tracker: TrackerId, event_type: EventType, reason: Counter) {
        self.stats.incr(reason);
        notices.dropped(tracker, event_type, reason);
    }

    /// Queues a hit of MC session `key`; a sessionStart opens the session.
    pub(crate) fn push(&mut self, notices: &mut Notices, tracker: TrackerId, key: SessionKey, event: Event) {
        self.reindexed(key, |d| d.push_unindexed(notices, tracker, key, event));
    }

    fn push_unindexed(&mut self, notices: &mut Notices, tracker: TrackerId, key: SessionKey, event: Event) {
        let t = event.event_type;
        if self.shut {
            return self.drop_event(notices, tracker, t, Counter::ShutDown);
        }
        if t == EventType::SessionStart {
            // A sessionStart passes the per-session cap, not the global one: a player that
            // starts sessions faster than they can be sent must not grow memory without bound.
            // The refused session stays as a dead entry (no events), so what follows for it is
            // counted under the same reason, and it is forgotten when it closes.
            let full = self.held >= self.limits.global_pending_cap;
            let session = Session {
                tracker,
                phase: if full { Phase::Dead(Counter::CacheOverflow) } else { Phase::Starting },
                queue: if full { VecDeque::new() } else { VecDeque::from([event]) },
                in_flight: None,
                retry_at: None,
                tries: 0,
                first_try: None,
                closed: false,
            };
            // Keys are never reused; should one be, the first session is kept and the newcomer
            // still counted.
            match self.sessions.entry(key) {
                Entry::Vacant(v) => {
                    v.insert(session);
                    if full {
                        self.drop_event(notices, tracker, t, Counter::CacheOverflow);
                    } else {
                        self.held += 1;
                    }
                }
                Entry::Occupied(_) => {
                    self.drop_event(notices, tracker, t, Counter::SessionNotCreated);
                }
            }
            return;
        }
        let (cap, global_full) = (self.limits.session_queue_cap, self.held >= self.limits.global_pending_cap);
        let closing = matches!(t, EventType::SessionEnd | EventType::SessionComplete);
        let reason = match self.sessions.get_mut(&key) {
            // Only events after a failed or removed session land here.
            None => Some(Counter::SessionNotCreated),
            Some(s) => {
                s.closed |= closing;
                match s.phase {
                    Phase::Dead(reason) => Some(reason),
                    _ if !protected(t) && (s.queue.len() >= cap || global_full) => Some(Counter::CacheOverflow),
                    _ => {
                        s.queue.push_back(event);
                        None
                    }
                }
            }
        };
        match reason {
            Some(r) => self.drop_event(notices, tracker, t, r),
            None => self.held += 1,
        }
        self.forget_if_done(key);
    }

    /// The tracker sends nothing more to `key`; it is forgotten once drained.
    pub(crate) fn close(&mut self, key: SessionKey) {
        self.reindexed(key, |d| {
            if let Some(s) = d.sessions.get_mut(&key) {
                s.closed = true;
            }
            d.forget_if_done(key);
        });
    }

    /// Runs `f`, which may change or remove session `key` only, and files the session again
    /// under what it became.
    fn reindexed<R>(&mut self, key: SessionKey, f: impl FnOnce(&mut Delivery) -> R) -> R {
        if let Some(s) = self.sessions.get(&key) {
            self.ready.remove(&key);
            if let Some(t) = s.retry_at {
                self.retries.remove(&(t, key));
            }
        }
        let r = f(self);
        if let Some(s) = self.sessions.get(&key) {
            if s.ready() {
                self.ready.insert(key);
            }
            if let Some(t) = s.retry_at {
                self.retries.insert((t, key));
            }
        }
        r
    }

    pub(crate) fn close_tracker(&mut self, tracker: TrackerId) {
        let keys: Vec<SessionKey> =
            self.sessions.iter().filter(|(_, s)| s.tracker == tracker).map(|(k, _)| *k).collect();
        for k in keys {
            self.close(k);
        }
    }

    fn forget_if_done(&mut self, key: SessionKey) {
        if self.sessions.get(&key).is_some_and(|s| s.closed && s.queue.is_empty() && s.in_flight.is_none()) {
            self.sessions.remove(&key);
        }
    }

    /// The next request: the head of the oldest session that is ready to send.
    pub(crate) fn poll_request(&mut self) -> Option<Request> {
        // Sending makes the session not ready (in flight), so it leaves the index.
        let key = self.ready.pop_first()?;
        let s = self.sessions.get_mut(&key)?;
        let head = s.queue.front()?;
        let path = match &s.phase {
            Phase::Starting => SESSIONS_PATH.to_owned(),
            Phase::Open { events_path } => events_path.clone(),
            Phase::Dead(_) => return None,
        };
        self.next_request += 1;
        let id = self.next_request;
        self.in_flight.insert(id, key);
        s.in_flight = Some(id);
        if s.tries == 0 {
            s.first_try = self.clock;
        } else {
            self.stats.incr(Counter::Retries);
        }
        s.tries = s.tries.saturating_add(1);
        self.stats.incr(Counter::RequestsSent);
        Some(Request { id, tracker: s.tracker, event_type: head.event_type, path, body: head.to_json() })
    }

    /// A request ended. Returns the (tracker, session) whose session is gone (404/410), for the
    /// tracker to restart.
    pub(crate) fn handle_response(
        &mut self,
        notices: &mut Notices,
        id: RequestId,
        now: Stamp,
        outcome: Outcome,
    ) -> Option<(TrackerId, SessionKey)> {
        self.observe(now.mono);
        let key = self.in_flight.remove(&id)?;
        self.reindexed(key, |d| {
            let gone = d.settle(notices, key, now, outcome);
            d.forget_if_done(key);
            gone
        })
    }

    fn settle(
        &mut self,
        notices: &mut Notices,
        key: SessionKey,
        now: Stamp,
        outcome: Outcome,
    ) -> Option<(TrackerId, SessionKey)> {
        let s = self.sessions.get_mut(&key)?;
        s.in_flight = None;
        let event_type = s.queue.front()?.event_type;
        let tracker = s.tracker;
        let starting = s.phase == Phase::Starting;
        if outcome == Outcome::Aborted {
            // Not a try: the event stays at the head and may be sent again.
            s.tries = s.tries.saturating_sub(1);
            return None;
        }
        let status = status_of(&outcome);
        match classify(&outcome, starting) {
            Verdict::Success(sid) => {
                if let Some(sid) = sid {
                    s.phase = Phase::Open { events_path: events_path(&sid) };
                    self.stats.incr(Counter::SessionsStarted);
                    notices.push(Notice::SessionStarted { tracker, sid });
                }
                self.pop_head(key);
                self.stats.incr(Counter::EventsDelivered);
                notices.push(Notice::Delivered { tracker, event_type, status: status.unwrap_or(200) });
                None
            }
            Verdict::Retry(message) => {
                let message = if message.is_empty() { format!("HTTP {}", status.unwrap_or(0)) } else { message };
                let retry_after = match &outcome {
                    Outcome::Http { retry_after: Some(v), .. } => parse_retry_after(v, now.ts),
                    _ => None,
                };
                self.retry_or_give_up(notices, key, now, status, message, retry_after);
                None
            }
            Verdict::Gone => {
                notices.push(Notice::RequestFailed {
                    tracker,
                    event_type,
                    status,
                    retrying: false,
                    message: "the session is gone; restarting it as a resumed session".into(),
                });
                self.kill(notices, key, Counter::SessionGone, Counter::SessionGone);
                Some((tracker, key))
            }
            Verdict::Reject => {
                notices.push(Notice::RequestFailed {
                    tracker,
                    event_type,
                    status,
                    retrying: false,
                    message: format!("HTTP {}: rejected", status.unwrap_or(0)),
                });
                if starting {
                    self.kill(notices, key, Counter::Rejected400, Counter::SessionNotCreated);
                } else {
                    self.pop_head(key);
                    self.drop_event(notices, tracker, event_type, Counter::Rejected400);
                }
                None
            }
        }
    }

    fn retry_or_give_up(
        &mut self,
        notices: &mut Notices,
        key: SessionKey,
        now: Stamp,
        status: Option<u16>,
        message: String,
        retry_after: Option<std::time::Duration>,
    ) {
        let Some(s) = self.sessions.get_mut(&key) else {
            return;
        };
        let starting = s.phase == Phase::Starting;
        let tracker = s.tracker;
        let event_type = s.queue.front().map_or(EventType::Ping, |e| e.event_type);
        let mut delay = backoff::delay(&self.policy, s.tries.saturating_sub(1), &mut self.rng);
        if let Some(ra) = retry_after.map(|ra| ra.min(self.policy.retry_after_cap)) {
            delay = delay.max(ra);
        }
        let first = s.first_try.unwrap_or(now.mono).min(now.mono);
        let budget = if starting { self.policy.session_start_budget } else { self.policy.event_budget };
        // No try starts after the budget: a Retry-After beyond it gives up now rather than
        // blocking the session's queue.
        let next = now.mono.checked_add(delay);
        let in_budget = match (next, first.checked_add(budget)) {
            (Some(next), Some(end)) => next <= end,
            (Some(_), None) => true,
            (None, _) => false,
        };
        let tries_left = !starting || s.tries < self.policy.session_start_max_attempts.max(1);
        let retrying = in_budget && tries_left;
        notices.push(Notice::RequestFailed { tracker, event_type, status, retrying, message: message.clone() });
        if retrying {
            s.retry_at = next;
            return;
        }
        if starting {
            notices.log(
                LogLevel::Warn,
                format!("{}: sessionStart failed after {} tries ({message})", TrackerName(tracker), s.tries),
            );
            self.kill(notices, key, Counter::SessionNotCreated, Counter::SessionNotCreated);
        } else {
            self.pop_head(key);
            self.drop_event(notices, tracker, event_type, Counter::RetryExhausted);
        }
    }

    fn pop_head(&mut self, key: SessionKey) {
        if let Some(s) = self.sessions.get_mut(&key) {
            if s.queue.pop_front().is_some() {
                self.held = self.held.saturating_sub(1);
            }
            s.tries = 0;
            s.first_try = None;
            s.retry_at = None;
        }
    }

    /// The session can send nothing more: the head is dropped as `head`, the rest as `rest`,
    /// and so is anything the tracker still sends to it.
    fn kill(&mut self, notices: &mut Notices, key: SessionKey, head: Counter, rest: Counter) {
        let Some(s) = self.sessions.get_mut(&key) else {
            return;
        };
        s.phase = Phase::Dead(rest);
        s.retry_at = None;
        let tracker = s.tracker;
        let events: Vec<Event> = s.queue.drain(..).collect();
        self.held = self.held.saturating_sub(events.len());
        for (i, e) in events.iter().enumerate() {
            self.drop_event(notices, tracker, e.event_type, if i == 0 { head } else { rest });
        }
    }

    /// Backoffs that came due end; their heads can be polled again.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        self.observe(now);
        while let Some(&(t, key)) = self.retries.first().filter(|(t, _)| *t <= now) {
            self.reindexed(key, |d| {
                if let Some(s) = d.sessions.get_mut(&key) {
                    s.retry_at = None;
                }
            });
            // Should the entry be stale, it must still go, or this loop would not end.
            self.retries.remove(&(t, key));
        }
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.retries.first().map(|(t, _)| *t)
    }

    /// Gives up everything held (in flight included: the worker aborted those transfers).
    pub(crate) fn shut_down(&mut self, notices: &mut Notices) -> u64 {
        self.shut = true;
        self.give_up_all(notices, Counter::ShutDown)
    }

    /// Drops every session and everything it holds, each event counted under `reason`. A
    /// response still in flight is ignored when it arrives.
    pub(crate) fn give_up_all(&mut self, notices: &mut Notices, reason: Counter) -> u64 {
        let mut n = 0u64;
        for s in std::mem::take(&mut self.sessions).into_values() {
            for e in s.queue {
                self.stats.incr(reason);
                notices.dropped(s.tracker, e.event_type, reason);
                n += 1;
            }
        }
        self.in_flight.clear();
        self.ready.clear();
        self.retries.clear();
        self.held = 0;
        n
    }

    /// Panics unless `ready` and `retries` match the sessions (tests only: it walks them all).
    #[cfg(test)]
    pub(crate) fn check_indexes(&self) {
        let ready: BTreeSet<SessionKey> = self.sessions.iter().filter(|(_, s)| s.ready()).map(|(k, _)| *k).collect();
        let retries: BTreeSet<(Instant, SessionKey)> =
            self.sessions.iter().filter_map(|(k, s)| s.retry_at.map(|t| (t, *k))).collect();
        assert_eq!(self.ready, ready, "ready index");
        assert_eq!(self.retries, retries, "retry index");
    }
}
