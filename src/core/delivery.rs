//! Per session delivery (mc-api §7.1, media-edge §8.2, DESIGN's retry table), for any back end.
//!
//! - A session's sessionStart goes first; every later event waits behind it until the answer
//!   gives the session id, then goes where the back end says (`crate::backend`: requests and
//!   the classification of responses are the back end's, the queueing here is shared).
//! - One request in flight per session, in order; different sessions proceed concurrently.
//! - Retryable failures (the back end's table: network, timeout, 408, 429, 5xx; for sessionStart
//!   also a 2xx without a usable session id) wait a backoff while the session's later events wait behind. A
//!   sessionStart gives up after its attempts, and its session's events go with it; an event
//!   gives up after its attempts and the session goes on.
//! - The endpoint gate (`gate`) stands in front of every request: a `Retry-After` or an outage
//!   pauses all sessions at once, without spending their attempts; when it opens again the
//!   sessions that waited are released spread over the release window, and the client's
//!   requests are paced while it drains what it held (see `gate`).
//! - 404/410 on an event: the session is gone. Its held events are dropped and the tracker is
//!   told, so it restarts as a resumed session (the core rations restarts). 404/410 on a
//!   sessionStart is a failed start.
//! - A session that delivered nothing for longer than the back end keeps one (`session_expiry`)
//!   has expired when it is about to send again: its held events are dropped and the tracker
//!   is told, as for 404/410.
//! - Every event that does not reach the server is counted by reason and reported.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use super::backoff::{self, XorShift};
use super::gate::{Cause, Gate};
use super::notices::Notices;
use super::rules::SessionKey;
use super::{
    Counter, FleetPolicy, Limits, LogLevel, Notice, Outcome, Request, RequestId, RetryPolicy, Stamp, TrackerId,
    TrackerName,
};
use crate::backend::{Backend, SessionRoute, Verdict};
use crate::hit::{Event, EventType};
use crate::stats::Stats;

/// While draining, the client sends at least this many times as fast as its players make
/// events, so even a busy client's backlog shrinks.
const KEEP_UP: f64 = 1.25;
/// Seconds over which the rate the players make events at is averaged.
const MADE_TAU: f64 = 10.0;

/// The gate's name for a downloaded upload (delivery's own request ids start at 1).
pub(crate) const UPLOAD_REQUEST: RequestId = 0;

/// Events that open or close a session are never dropped for a full queue.
fn protected(t: EventType) -> bool {
    matches!(t, EventType::SessionStart | EventType::SessionComplete | EventType::SessionEnd)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// The sessionStart is at the head of the queue (waiting, in flight or backing off).
    Starting,
    /// The server gave the session id (and the back end's routing for it).
    Open(SessionRoute),
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
    /// Set while the head backs off (or a restart waits its delay); cleared when it comes due.
    retry_at: Option<Instant>,
    /// Attempts of the head spent so far (waits on the endpoint gate spend none).
    tries: u32,
    /// The head failed before: sending it again is a retry.
    failed: bool,
    /// The last 2xx of this session (the back end's expiry runs from there).
    last_delivered: Option<Instant>,
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

fn status_of(outcome: &Outcome) -> Option<u16> {
    match outcome {
        Outcome::Http { status, .. } => Some(*status),
        _ => None,
    }
}

#[derive(Debug)]
pub(crate) struct Delivery {
    backend: Arc<dyn Backend>,
    policy: RetryPolicy,
    limits: Limits,
    fleet: FleetPolicy,
    gate: Gate,
    /// Trackers past their restart budget: their new sessions are refused.
    muted: HashSet<TrackerId>,
    /// Sessions found expired while polling, for the core to restart.
    expired: Vec<(TrackerId, SessionKey)>,
    /// When the endpoint gate last opened after a pause.
    last_reopen: Option<Instant>,
    /// How fast the players make events (per second, decaying over `MADE_TAU`), so the drain
    /// pace never falls below what the client makes: a backlog shrinks however busy it is.
    made_rate: f64,
    made_at: Option<Instant>,
    stats: Arc<Stats>,
    rng: XorShift,
    /// In creation order (keys only grow), so requests go out oldest session first.
    /// Boxed, as the trackers are: a B-tree node stays small, and the map shares its code with
    /// the other (u64, Box<_>) maps (docs/performance.md, Footprint).
    sessions: BTreeMap<SessionKey, Box<Session>>,
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
    pub(crate) fn new(
        backend: Arc<dyn Backend>,
        policy: RetryPolicy,
        limits: Limits,
        fleet: FleetPolicy,
        stats: Arc<Stats>,
        seed: u64,
    ) -> Delivery {
        Delivery {
            backend,
            gate: Gate::new(fleet.clone(), policy.retry_after_cap),
            policy,
            limits,
            fleet,
            muted: HashSet::new(),
            expired: Vec::new(),
            last_reopen: None,
            made_rate: 0.0,
            made_at: None,
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
            // A tracker past its restart budget sends nothing more for its media session.
            let refused = if self.muted.contains(&tracker) {
                Some(Counter::RestartBudgetExhausted)
            } else if self.held >= self.limits.global_pending_cap {
                Some(Counter::CacheOverflow)
            } else {
                None
            };
            let session = Session {
                tracker,
                phase: refused.map_or(Phase::Starting, Phase::Dead),
                queue: if refused.is_some() { VecDeque::new() } else { VecDeque::from([event]) },
                in_flight: None,
                retry_at: None,
                tries: 0,
                failed: false,
                last_delivered: None,
                closed: false,
            };
            // Keys are never reused; should one be, the first session is kept and the newcomer
            // still counted.
            match self.sessions.entry(key) {
                Entry::Vacant(v) => {
                    v.insert(Box::new(session));
                    match refused {
                        Some(reason) => self.drop_event(notices, tracker, t, reason),
                        None => self.held += 1,
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
            None => {
                self.held += 1;
                self.note_made();
            }
        }
        self.forget_if_done(key);
    }

    /// One more event made: an exponentially decaying count.
    fn note_made(&mut self) {
        let Some(now) = self.clock else { return };
        let since = self.made_at.map_or(MADE_TAU, |t| now.saturating_duration_since(t).as_secs_f64());
        self.made_rate = self.made_rate * (-since / MADE_TAU).exp() + 1.0 / MADE_TAU;
        self.made_at = Some(now);
    }

    /// The rate the players make events at now, per second.
    fn made_rate_now(&self) -> f64 {
        match (self.clock, self.made_at) {
            (Some(now), Some(at)) => {
                self.made_rate * (-now.saturating_duration_since(at).as_secs_f64() / MADE_TAU).exp()
            }
            _ => 0.0,
        }
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

    /// The next request: the head of the oldest session that is ready to send, when the
    /// endpoint gate lets one go. A session found expired on the way is dropped (see
    /// `take_expired`).
    pub(crate) fn poll_request(&mut self, notices: &mut Notices) -> Option<Request> {
        loop {
            if !self.gate.may_send_at(self.clock) {
                return None;
            }
            // Sending makes the session not ready (in flight), so it leaves the index.
            let key = self.ready.pop_first()?;
            if self.has_expired(key) {
                self.expire(notices, key);
                continue;
            }
            let live = self.live_sessions();
            let keep_up = self.made_rate_now() * KEEP_UP;
            let Some(s) = self.sessions.get_mut(&key) else { continue };
            let Some(head) = s.queue.front() else { continue };
            let http = match &s.phase {
                Phase::Starting => self.backend.session_start(head),
                Phase::Open(route) => self.backend.event(route, head),
                Phase::Dead(_) => continue,
            };
            self.next_request += 1;
            let id = self.next_request;
            self.in_flight.insert(id, key);
            s.in_flight = Some(id);
            if s.failed {
                self.stats.incr(Counter::Retries);
            }
            s.tries = s.tries.saturating_add(1);
            self.stats.incr(Counter::RequestsSent);
            let backlog = s.queue.len() > 1 || !self.ready.is_empty();
            self.gate.on_send(id, self.clock, live, keep_up, backlog, &mut self.rng);
            return Some(Request {
                id,
                tracker: s.tracker,
                event_type: head.event_type,
                path: http.path,
                body: http.body,
            });
        }
    }

    /// An open session that delivered nothing for `session_expiry`: the back end has closed it.
    fn has_expired(&self, key: SessionKey) -> bool {
        let (Some(s), Some(now)) = (self.sessions.get(&key), self.clock) else {
            return false;
        };
        // Only a silence the sending caused (failures of the head, or a pause of the endpoint)
        // counts: a tracker that simply had nothing to say is not second-guessed.
        let Some(last) = s.last_delivered else { return false };
        matches!(s.phase, Phase::Open(_))
            && now.saturating_duration_since(last) >= self.fleet.session_expiry
            && (s.failed || self.last_reopen.is_some_and(|r| r > last))
    }

    fn expire(&mut self, notices: &mut Notices, key: SessionKey) {
        let Some(s) = self.sessions.get(&key) else { return };
        let (tracker, held) = (s.tracker, s.queue.len());
        notices.log(
            LogLevel::Warn,
            format!(
                "tracker {tracker}: session expired (nothing delivered for {} s, the back end has closed it); \
                 {held} held event(s) dropped",
                self.fleet.session_expiry.as_secs()
            ),
        );
        self.reindexed(key, |d| d.kill(notices, key, Counter::SessionExpired, Counter::SessionExpired));
        self.expired.push((tracker, key));
    }

    /// The sessions found expired since the last call, for their trackers to restart.
    pub(crate) fn take_expired(&mut self) -> Vec<(TrackerId, SessionKey)> {
        std::mem::take(&mut self.expired)
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
        let seen = self.gate.observe(Some(id), now, &outcome, &mut self.rng);
        self.note_gate(notices, seen.closed, seen.reopened, now.mono);
        let key = self.in_flight.remove(&id)?;
        self.reindexed(key, |d| {
            let gone = d.settle(notices, key, now, outcome, seen.held);
            d.forget_if_done(key);
            gone
        })
    }

    /// Counts and logs a pause of the endpoint; a reopened one releases what waited.
    fn note_gate(&mut self, notices: &mut Notices, closed: bool, reopened: bool, now: Instant) {
        if closed {
            self.stats.incr(Counter::EndpointPauses);
            let until = self.gate.poll_timeout().map_or(0, |u| u.saturating_duration_since(now).as_millis());
            let why = match self.gate.cause() {
                Some(Cause::Throttled) => "the server asked to wait (Retry-After)",
                _ => "the endpoint is unreachable (network failures in a row); probing",
            };
            notices.log(LogLevel::Warn, format!("endpoint paused for {until} ms: {why}; every session waits"));
        }
        if reopened {
            notices.log(LogLevel::Info, "endpoint open again; waiting requests released".into());
            self.last_reopen = Some(now);
            self.release(now);
        }
    }

    /// Every session ready to send gets a random start within the release window, so what
    /// waited on a pause does not go out in one burst.
    fn release(&mut self, now: Instant) {
        let window = self.fleet.release_window;
        if window.is_zero() {
            return;
        }
        for key in std::mem::take(&mut self.ready) {
            let at = now.checked_add(self.rng.within(window));
            if let Some(s) = self.sessions.get_mut(&key) {
                s.retry_at = at;
            }
            match at {
                Some(t) => {
                    self.retries.insert((t, key));
                }
                None => {
                    self.ready.insert(key);
                }
            }
        }
    }

    /// Session `key`'s sessionStart (not tried yet) waits until `until` (a restart's delay).
    pub(crate) fn defer(&mut self, key: SessionKey, until: Instant) {
        self.reindexed(key, |d| {
            if let Some(s) = d.sessions.get_mut(&key).filter(|s| s.phase == Phase::Starting && s.tries == 0) {
                s.retry_at = Some(s.retry_at.map_or(until, |t| t.max(until)));
            }
        });
    }

    /// Tracker past its restart budget: its dead session `key` now drops what comes as
    /// `restart_budget_exhausted`, and so does any session it opens until `unmute`.
    pub(crate) fn mute(&mut self, tracker: TrackerId, key: SessionKey) {
        self.muted.insert(tracker);
        if let Some(s) = self.sessions.get_mut(&key) {
            s.phase = Phase::Dead(Counter::RestartBudgetExhausted);
        }
    }

    /// The player started new content: the tracker's sessions go out again (the restart
    /// budget is not refilled).
    pub(crate) fn unmute(&mut self, tracker: TrackerId) {
        self.muted.remove(&tracker);
    }

    /// A downloaded upload may start now: only when the endpoint is open, or as the probe.
    pub(crate) fn may_upload(&self) -> bool {
        self.gate.may_send_at(self.clock)
    }

    pub(crate) fn upload_started(&mut self) {
        let backlog = !self.ready.is_empty();
        let live = self.live_sessions();
        let keep_up = self.made_rate_now() * KEEP_UP;
        self.gate.on_send(UPLOAD_REQUEST, self.clock, live, keep_up, backlog, &mut self.rng);
    }

    /// The drain pace's share count: one per session a player is still in (to keep up with
    /// what it makes) plus one for the backlog. Counted only while paced: it walks the sessions.
    fn live_sessions(&self) -> usize {
        if !self.gate.is_paced() {
            return 1;
        }
        1 + self.sessions.values().filter(|s| !s.closed && !matches!(s.phase, Phase::Dead(_))).count()
    }

    /// A downloaded upload ended: its answer counts for the endpoint gate as any request's.
    pub(crate) fn upload_finished(&mut self, notices: &mut Notices, now: Stamp, outcome: &Outcome) {
        self.observe(now.mono);
        let seen = self.gate.observe(Some(UPLOAD_REQUEST), now, outcome, &mut self.rng);
        self.note_gate(notices, seen.closed, seen.reopened, now.mono);
    }

    fn settle(
        &mut self,
        notices: &mut Notices,
        key: SessionKey,
        now: Stamp,
        outcome: Outcome,
        held: bool,
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
        match self.backend.classify(&outcome, starting) {
            Verdict::Started(_) | Verdict::Accepted if !starting => {
                self.accepted(notices, key, now, tracker, event_type, status)
            }
            Verdict::Started(route) => {
                let sid = route.sid.clone();
                s.phase = Phase::Open(route);
                self.stats.incr(Counter::SessionsStarted);
                notices.push(Notice::SessionStarted { tracker, sid });
                self.accepted(notices, key, now, tracker, event_type, status)
            }
            Verdict::Accepted => {
                // A sessionStart accepted without a session id: the back end's classify
                // returns Retry or NotCreated for that, so this is its mistake; retried.
                self.retry_or_give_up(notices, key, status, "accepted without a session id".into());
                None
            }
            Verdict::Retry(message) => {
                s.failed = true;
                if held {
                    // The endpoint's wait, not the event's: no attempt spent, the head waits
                    // for the gate.
                    s.tries = s.tries.saturating_sub(1);
                    let message = format!("{message}; waiting for the endpoint (Retry-After, outage or capacity)");
                    notices.push(Notice::RequestFailed { tracker, event_type, status, retrying: true, message });
                    return None;
                }
                self.retry_or_give_up(notices, key, status, message);
                None
            }
            Verdict::NotCreated(message) => {
                notices.push(Notice::RequestFailed { tracker, event_type, status, retrying: false, message });
                self.kill(notices, key, Counter::SessionNotCreated, Counter::SessionNotCreated);
                None
            }
            Verdict::Gone if !starting => {
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
            Verdict::Gone => {
                let message = format!("HTTP {}: the sessionStart was refused", status.unwrap_or(0));
                notices.push(Notice::RequestFailed { tracker, event_type, status, retrying: false, message });
                self.kill(notices, key, Counter::SessionNotCreated, Counter::SessionNotCreated);
                None
            }
            Verdict::Reject(message) => {
                notices.push(Notice::RequestFailed { tracker, event_type, status, retrying: false, message });
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

    /// The head reached the server.
    fn accepted(
        &mut self,
        notices: &mut Notices,
        key: SessionKey,
        now: Stamp,
        tracker: TrackerId,
        event_type: EventType,
        status: Option<u16>,
    ) -> Option<(TrackerId, SessionKey)> {
        if let Some(s) = self.sessions.get_mut(&key) {
            s.last_delivered = Some(now.mono);
        }
        self.pop_head(key);
        self.stats.incr(Counter::EventsDelivered);
        notices.push(Notice::Delivered { tracker, event_type, status: status.unwrap_or(200) });
        None
    }

    fn retry_or_give_up(&mut self, notices: &mut Notices, key: SessionKey, status: Option<u16>, message: String) {
        let Some(s) = self.sessions.get_mut(&key) else {
            return;
        };
        let starting = s.phase == Phase::Starting;
        let tracker = s.tracker;
        let event_type = s.queue.front().map_or(EventType::Ping, |e| e.event_type);
        let delay = backoff::delay(&self.policy, s.tries.saturating_sub(1), &mut self.rng);
        let max = if starting { self.policy.session_start_max_attempts } else { self.policy.event_max_attempts };
        let next = self.clock.and_then(|c| c.checked_add(delay));
        let retrying = s.tries < max.max(1) && next.is_some();
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
            s.failed = false;
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
        self.gate.handle_timeout(now);
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
        let retry = self.retries.first().map(|(t, _)| *t);
        // The drain pace only matters when something waits for it.
        let pace = self.gate.pace_timeout(self.clock).filter(|_| !self.ready.is_empty());
        retry.into_iter().chain(self.gate.poll_timeout()).chain(pace).min()
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
