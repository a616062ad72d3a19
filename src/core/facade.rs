//! `Core`: the one object the worker drives. It routes player calls to the trackers, their
//! hits to delivery (or, for downloaded trackers, to a per-tracker store), deadlines to both,
//! and 404/410 answers back to the tracker that must restart.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;

use super::delivery::Delivery;
use super::notices::Notices;
use super::rules::{Env, Hit, SessionKey, Tracker};
use super::{
    Call, CoreConfig, Notice, Outcome, Request, RequestId, Snapshot, Stamp, TrackerConfig, TrackerId, TrackerSlot,
};
use crate::stats::Stats;
use crate::wire::Event;

/// The sans-IO core: trackers (rule engines) and delivery, driven by the worker with player
/// calls, HTTP outcomes and the current time. Single-threaded; never blocks, never sleeps.
pub struct Core {
    config: CoreConfig,
    stats: Arc<Stats>,
    trackers: BTreeMap<TrackerId, Tracker>,
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
}

/// Where one tracker's hits go.
fn route(
    delivery: &mut Delivery,
    stored: &mut BTreeMap<TrackerId, Vec<Event>>,
    notices: &mut Notices,
    tracker: TrackerId,
    downloaded: bool,
    hits: Vec<Hit>,
) {
    for h in hits {
        if downloaded {
            stored.entry(tracker).or_default().push(h.event);
        } else {
            delivery.push(notices, tracker, h.key, h.event);
        }
    }
}

impl Core {
    pub fn new(config: CoreConfig, stats: Arc<Stats>, seed: u64) -> Core {
        let delivery = Delivery::new(config.retry.clone(), config.limits.clone(), stats.clone(), seed);
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
        }
    }

    /// Registers a tracker. An existing one with the same id is replaced: its pending events are
    /// still delivered, but an open session gets no sessionEnd (there is no stamp for one).
    pub fn add_tracker(&mut self, id: TrackerId, config: TrackerConfig, slot: Arc<TrackerSlot>) {
        if self.trackers.insert(id, Tracker::new(id, config, slot)).is_some() {
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
        self.delivery.observe(now.mono);
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
        route(&mut self.delivery, &mut self.stored, &mut self.notices, id, t.downloaded(), hits);
        self.delivery.close_tracker(id);
        self.reschedule(id);
    }

    /// A player call, with what its thread captured at the call (stamp, playhead, QoE).
    pub fn handle_call(&mut self, id: TrackerId, snap: Snapshot, call: Call) {
        self.delivery.observe(snap.at.mono);
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
        let mut hits = Vec::new();
        let mut env = Env {
            config: &self.config,
            stats: &self.stats,
            notices: &mut self.notices,
            hits: &mut hits,
            next_key: &mut self.next_key,
        };
        let r = f(t, &mut env);
        let downloaded = t.downloaded();
        route(&mut self.delivery, &mut self.stored, &mut self.notices, id, downloaded, hits);
        self.reschedule(id);
        Some(r)
    }

    /// Fires every deadline at or before `now.mono`: pings, content-start play, pre-roll
    /// release, idle timeout, session cap, retry backoffs.
    pub fn handle_timeout(&mut self, now: Stamp) {
        self.delivery.observe(now.mono);
        // Only the trackers due; in id order, as hits (and so new session keys) must come out.
        let mut due: Vec<TrackerId> =
            self.deadlines.iter().take_while(|(d, _)| *d <= now.mono).map(|(_, id)| *id).collect();
        due.sort_unstable();
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

    /// The next request to send: at most one in flight per MC session.
    pub fn poll_request(&mut self) -> Option<Request> {
        self.delivery.poll_request()
    }

    pub fn handle_response(&mut self, id: RequestId, now: Stamp, outcome: Outcome) {
        let Some((tracker, key)) = self.delivery.handle_response(&mut self.notices, id, now, outcome) else {
            return;
        };
        // 404/410: the old session is dead; the tracker resumes on a new one.
        self.delivery.close(key);
        self.step(tracker, |t, env| t.on_session_gone(env, key, now));
    }

    /// Callback and log notices, in order.
    pub fn poll_notice(&mut self) -> Option<Notice> {
        self.notices.pop()
    }

    /// Nothing queued to send, nothing in flight, nothing waiting on a retry, and no call held
    /// by a pre-roll window (a flush right after sessionStart + play waits for that play).
    pub fn is_drained(&self) -> bool {
        self.delivery.held() == 0 && !self.trackers.values().any(Tracker::holds_calls)
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
