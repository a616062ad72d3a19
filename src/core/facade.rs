//! `Core`: the one object the worker drives. It routes player calls to the trackers, their
//! hits to delivery (or, for downloaded trackers, to a per-tracker store), deadlines to both,
//! and lost sessions (404/410, expiry) back to the tracker that must restart, under the
//! tracker's restart budget.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use super::backoff::{XorShift, restart_delay};
use super::delivery::Delivery;
use super::notices::Notices;
use super::rules::{Env, Hit, SessionKey, Tracker};
use super::{
    Call, CoreConfig, LogLevel, Notice, Outcome, Request, RequestId, Snapshot, Stamp, TrackerConfig, TrackerId,
    TrackerSlot,
};
use crate::hit::Event;
use crate::stats::Stats;

/// The sans-IO core: trackers (rule engines) and delivery, driven by the worker with player
/// calls, HTTP outcomes and the current time. Single-threaded; never blocks, never sleeps.
pub struct Core {
    config: CoreConfig,
    stats: Arc<Stats>,
    /// Boxed: a B-tree node holds eleven entries, so an unboxed tracker (about 600 bytes) made
    /// a client with one tracker carry a 6.5 KB node (measured with the fleet simulator).
    trackers: BTreeMap<TrackerId, Box<Tracker>>,
    /// Each tracker's next deadline, earliest first, so a turn visits only the trackers that are
    /// due. Refiled (`reschedule`) after anything that touches a tracker.
    deadlines: BTreeSet<(Instant, TrackerId)>,
    /// Where each tracker is filed in `deadlines`.
    deadline_of: HashMap<TrackerId, Instant>,
    delivery: Delivery,
    notices: Notices,
    /// Hits of downloaded trackers, until the offline store takes them.
    stored: BTreeMap<TrackerId, Vec<Event>>,
    next_key: SessionKey,
    /// Each tracker's restarts after a lost session, within the rolling restart window.
    restarts: HashMap<TrackerId, VecDeque<Instant>>,
    /// The latest time seen (restarts found while polling happen then).
    last_now: Option<Stamp>,
    /// The hits of the tracker step under way, reused from step to step (`step`).
    hits: Vec<Hit>,
    rng: XorShift,
}

/// Where one tracker's hits go.
fn route(
    delivery: &mut Delivery,
    stored: &mut BTreeMap<TrackerId, Vec<Event>>,
    notices: &mut Notices,
    tracker: TrackerId,
    downloaded: bool,
    hits: &mut Vec<Hit>,
) {
    for h in hits.drain(..) {
        if downloaded {
            stored.entry(tracker).or_default().push(h.event);
        } else {
            delivery.push(notices, tracker, h.key, h.event);
        }
    }
}

impl Core {
    pub fn new(config: CoreConfig, stats: Arc<Stats>, seed: u64) -> Core {
        let delivery = Delivery::new(
            crate::backend::new(&config.backend),
            config.retry.clone(),
            config.limits.clone(),
            config.fleet.clone(),
            stats.clone(),
            seed,
        );
        Core {
            config,
            stats,
            trackers: BTreeMap::new(),
            deadlines: BTreeSet::new(),
            deadline_of: HashMap::new(),
            delivery,
            notices: Notices::default(),
            stored: BTreeMap::new(),
            next_key: 0,
            restarts: HashMap::new(),
            last_now: None,
            hits: Vec::new(),
            // Restart delays draw from their own sequence, so adding one does not shift the
            // delivery's backoffs.
            rng: XorShift::new(seed.rotate_left(32) ^ 0xA5A5_5A5A_A5A5_5A5A),
        }
    }

    fn observe(&mut self, now: Stamp) {
        self.delivery.observe(now.mono);
        if self.last_now.is_none_or(|l| now.mono >= l.mono) {
            self.last_now = Some(now);
        }
    }

    /// Registers a tracker. An existing one with the same id is replaced: its pending events are
    /// still delivered, but an open session gets no sessionEnd (there is no stamp for one).
    pub fn add_tracker(&mut self, id: TrackerId, config: TrackerConfig, slot: Arc<TrackerSlot>) {
        if self.trackers.insert(id, Box::new(Tracker::new(id, config, slot))).is_some() {
            self.delivery.close_tracker(id);
        }
        self.reschedule(id);
    }

    /// Files tracker `id` under its current next deadline (none once it is gone).
    fn reschedule(&mut self, id: TrackerId) {
        let next = self.trackers.get(&id).and_then(|t| t.next_deadline(&self.config.timing));
        let old = match next {
            Some(d) => self.deadline_of.insert(id, d),
            None => self.deadline_of.remove(&id),
        };
        if old != next {
            if let Some(d) = old {
                self.deadlines.remove(&(d, id));
            }
            if let Some(d) = next {
                self.deadlines.insert((d, id));
            }
        }
    }

    /// Removes a tracker. An open session ends as trackSessionEnd ends it (adSkip,
    /// adBreakComplete, chapterSkip, sessionEnd); its pending events are still delivered.
    pub fn remove_tracker(&mut self, id: TrackerId, now: Stamp) {
        self.observe(now);
        self.restarts.remove(&id);
        self.delivery.unmute(id);
        let Some(mut t) = self.trackers.remove(&id) else {
            return;
        };
        let mut hits = Vec::new();
        let mut env = Env {
            config: &self.config,
            stats: &self.stats,
            notices: &mut self.notices,
            hits: &mut hits,
            next_key: &mut self.next_key,
        };
        t.remove(&mut env, now);
        route(&mut self.delivery, &mut self.stored, &mut self.notices, id, t.downloaded(), &mut hits);
        self.delivery.close_tracker(id);
        self.reschedule(id);
    }

    /// A player call, with what its thread captured at the call (stamp, playhead, QoE).
    pub fn handle_call(&mut self, id: TrackerId, snap: Snapshot, call: Call) {
        self.observe(snap.at);
        if !self.trackers.contains_key(&id) {
            let mut env = Env {
                config: &self.config,
                stats: &self.stats,
                notices: &mut self.notices,
                hits: &mut Vec::new(),
                next_key: &mut self.next_key,
            };
            return env.ignored(id, call.name(), "unknown_tracker");
        }
        // New content is not a restart: it goes out even past the restart budget (which it
        // does not refill).
        if matches!(call, Call::SessionStart { .. }) && self.trackers.get(&id).is_some_and(|t| !t.in_session()) {
            self.delivery.unmute(id);
        }
        self.step(id, |t, env| t.handle_call(env, snap, call));
    }

    /// The C layer dropped metadata entries of a call (NULL or invalid key, NULL value) and
    /// kept the rest: counted once per entry, reported once per call, logged. `entries` says
    /// which and why, one line each.
    pub fn metadata_dropped(&mut self, id: TrackerId, call: &'static str, entries: &[String]) {
        if entries.is_empty() {
            return;
        }
        self.stats.add(crate::stats::Counter::MetadataDropped, entries.len() as u64);
        let n = entries.len();
        let reason =
            format!("{n} metadata {} dropped: {}", if n == 1 { "entry" } else { "entries" }, entries.join("; "));
        self.notices.log(super::LogLevel::Warn, format!("{}: mc_track_{call}: {reason}", super::TrackerName(id)));
        self.notices.push(Notice::MetadataDropped { tracker: id, call, reason });
    }

    /// Runs one step of tracker `id` (absent: nothing), routes the hits it made and refiles its
    /// deadline. Returns what the step returned.
    fn step<R>(&mut self, id: TrackerId, f: impl FnOnce(&mut Tracker, &mut Env) -> R) -> Option<R> {
        let t = self.trackers.get_mut(&id)?;
        let mut hits = std::mem::take(&mut self.hits);
        let mut env = Env {
            config: &self.config,
            stats: &self.stats,
            notices: &mut self.notices,
            hits: &mut hits,
            next_key: &mut self.next_key,
        };
        let r = f(t, &mut env);
        let downloaded = t.downloaded();
        route(&mut self.delivery, &mut self.stored, &mut self.notices, id, downloaded, &mut hits);
        self.hits = hits;
        self.reschedule(id);
        Some(r)
    }

    /// Fires every deadline at or before `now.mono`: pings, content-start play, pre-roll
    /// release, idle timeout, session cap, retry backoffs.
    pub fn handle_timeout(&mut self, now: Stamp) {
        self.observe(now);
        // Only the trackers due; in id order, as hits (and so new session keys) must come out.
        // Ordered by a B-tree set of the kind delivery keeps (a sort would be one more copy of
        // std's sort in the library; docs/performance.md, Footprint).
        let mut due = BTreeSet::new();
        for (_, id) in self.deadlines.iter().take_while(|(d, _)| *d <= now.mono) {
            due.insert(*id);
        }
        for id in due {
            self.step(id, |t, env| t.on_deadlines(env, now));
        }
        self.delivery.handle_timeout(now.mono);
    }

    /// The earliest deadline; None when nothing is scheduled (the worker then sleeps until woken).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let trackers = self.deadlines.first().map(|(d, _)| *d);
        trackers.into_iter().chain(self.delivery.poll_timeout()).min()
    }

    /// The next request to send: at most one in flight per MC session, none while the
    /// endpoint is paused (`Retry-After`, outage) except its one probe.
    pub fn poll_request(&mut self) -> Option<Request> {
        loop {
            let request = self.delivery.poll_request(&mut self.notices);
            let expired = self.delivery.take_expired();
            if request.is_some() || expired.is_empty() {
                return request;
            }
            let now = self.last_now?;
            for (tracker, key) in expired {
                self.session_lost(tracker, key, now, "session_expired");
            }
        }
    }

    pub fn handle_response(&mut self, id: RequestId, now: Stamp, outcome: Outcome) {
        self.observe(now);
        let Some((tracker, key)) = self.delivery.handle_response(&mut self.notices, id, now, outcome) else {
            return;
        };
        self.session_lost(tracker, key, now, "session_gone");
    }

    /// MC session `key` of `tracker` is dead on the server (404/410 or expired). The tracker
    /// resumes on a new one after a jittered delay, unless it used up its restart budget: then
    /// it sends nothing more for this media session.
    fn session_lost(&mut self, tracker: TrackerId, key: SessionKey, now: Stamp, reason: &'static str) {
        if !self.trackers.get(&tracker).is_some_and(|t| t.is_live(key)) {
            self.delivery.close(key);
            return;
        }
        let fleet = &self.config.fleet;
        let window = self.restarts.entry(tracker).or_default();
        while window.front().is_some_and(|t| now.mono.saturating_duration_since(*t) >= fleet.restart_window) {
            window.pop_front();
        }
        let n = window.len() as u32;
        if n >= fleet.restart_budget {
            self.delivery.mute(tracker, key);
            self.notices.log(
                LogLevel::Warn,
                format!(
                    "tracker {tracker}: restart budget exhausted ({n} restarts within {} s, then {reason}): \
                     nothing more is sent for this media session; its events are dropped as \
                     restart_budget_exhausted until the next session_start",
                    fleet.restart_window.as_secs()
                ),
            );
            return;
        }
        window.push_back(now.mono);
        let delay = restart_delay(fleet.restart_delay, fleet.restart_backoff_cap, n, &mut self.rng);
        self.delivery.close(key);
        self.step(tracker, |t, env| t.on_session_gone(env, key, now, reason));
        let new_key = self.trackers.get(&tracker).and_then(|t| t.session_key()).filter(|k| *k != key);
        if let (Some(k), Some(until)) = (new_key, now.mono.checked_add(delay)) {
            self.delivery.defer(k, until);
        }
    }

    /// A downloaded upload may start now: the endpoint is open and the drain pace after a pause
    /// lets a request go, or the upload can be the endpoint's probe.
    pub fn may_upload(&self) -> bool {
        self.delivery.may_upload()
    }

    /// A downloaded upload started (after `may_upload`).
    pub fn upload_started(&mut self) {
        self.delivery.upload_started();
    }

    /// A downloaded upload ended: its answer counts for the endpoint (a `Retry-After` pauses
    /// every session too; network failures count toward an outage).
    pub fn upload_finished(&mut self, now: Stamp, outcome: &Outcome) {
        self.observe(now);
        self.delivery.upload_finished(&mut self.notices, now, outcome);
    }

    /// Callback and log notices, in order.
    pub fn poll_notice(&mut self) -> Option<Notice> {
        self.notices.pop()
    }

    /// Nothing queued to send, nothing in flight, nothing waiting on a retry, and no call held
    /// by a pre-roll window (a flush right after sessionStart + play waits for that play).
    pub fn is_drained(&self) -> bool {
        self.delivery.held() == 0 && !self.trackers.values().any(|t| t.holds_calls())
    }

    /// Gives up everything pending: each event is counted `ShutDown` and reported as dropped.
    /// Returns how many.
    pub fn shut_down(&mut self) -> u64 {
        self.delivery.shut_down(&mut self.notices)
    }

    /// Events held for delivery, over all sessions (in flight included).
    pub fn pending_events(&self) -> usize {
        self.delivery.held()
    }

    /// The hits of a downloaded tracker so far (the offline store takes them).
    pub fn take_stored(&mut self, id: TrackerId) -> Vec<Event> {
        self.stored.remove(&id).unwrap_or_default()
    }

    /// Every downloaded tracker's hits so far, in order per tracker.
    pub fn drain_stored(&mut self) -> Vec<(TrackerId, Vec<Event>)> {
        std::mem::take(&mut self.stored).into_iter().collect()
    }

    /// The user opted out: every real-time session ends without another request, everything
    /// held is dropped and counted `OptedOut`, and trackers leave their sessions (a new one needs
    /// a new sessionStart, which the C layer refuses while opted out). Returns the events dropped.
    pub fn opt_out(&mut self) -> u64 {
        for t in self.trackers.values_mut() {
            t.forget_session();
        }
        // Without a session no tracker has a deadline.
        self.deadlines.clear();
        self.deadline_of.clear();
        let mut n = 0;
        for (tracker, events) in std::mem::take(&mut self.stored) {
            for e in events {
                self.stats.incr(crate::stats::Counter::OptedOut);
                self.notices.dropped(tracker, e.event_type, crate::stats::Counter::OptedOut);
                n += 1;
            }
        }
        n + self.delivery.give_up_all(&mut self.notices, crate::stats::Counter::OptedOut)
    }
}
#[cfg(test)]
impl Core {
    /// The delivery state, for a failing test's message.
    pub(crate) fn debug_state(&self) -> String {
        format!("{:#?}", self.delivery)
    }

    /// Panics unless the deadline and delivery indexes match a recomputation from scratch.
    pub(crate) fn check_indexes(&self) {
        let of: HashMap<TrackerId, Instant> =
            self.trackers.iter().filter_map(|(id, t)| t.next_deadline(&self.config.timing).map(|d| (*id, d))).collect();
        let deadlines: BTreeSet<(Instant, TrackerId)> = of.iter().map(|(id, d)| (*d, *id)).collect();
        assert_eq!(self.deadline_of, of, "deadline map");
        assert_eq!(self.deadlines, deadlines, "deadline index");
        self.delivery.check_indexes();
    }
}
