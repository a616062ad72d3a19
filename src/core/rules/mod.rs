//! Adobe's tracker rule engine (tracker.md §4–§5), one `Tracker` per player.
//!
//! Each call is checked against the predicates of its rule (§4.3); a rejected call produces no
//! hit and no time processing. An accepted call runs its actions, then the common exit action
//! (§4.4): the Init hacks, idle detection, the 24 h cap, content-start detection and playback
//! processing (state hits and pings).
//!
//! Adobe runs the exit action on every call and on a ~1 s internal tick. We have no tick: every
//! time-based outcome (ping, content start, idle timeout, 24 h cap, pre-roll release) has a
//! deadline, and when one comes due the exit action runs once at that instant. Between two
//! deadlines a tick would change nothing (the state only changes on calls), so the hits are the
//! same, only on time instead of up to a tick late. A deadline that fires late (the worker woke
//! late, or saw a later call first) still runs at its due instant: its hits' ts and the next
//! deadline derive from the due time, so lateness never accumulates. After a suspend (the
//! monotonic clock jumped past a whole ping interval) it runs at the wake-up instead: one ping,
//! and the schedule restarts from it, never a burst of catch-up pings.
//!
//! Each call carries the playhead and QoE of the slot as they were when it was made (Adobe
//! queues QoE updates in order with the calls); hits a deadline causes read the slot when they
//! fire.
//!
//! Deliberate departures from Adobe's SDK (tracker.md §9, §10):
//! - consecutive ts of one MC session are `min_ts_gap` apart (default 1 ms; 0 = Adobe exactly);
//! - a hit's ts is its MC session's wall-clock anchor plus the monotonic time since, so a
//!   wall-clock step inside a session does not distort the spacing (Adobe reads the wall clock
//!   at each call); the anchor is renewed by each new MC session, and once inside a session
//!   begun on an implausible clock (before 2020: a box that booted in 1970);
//! - sessionStart reports the media's initial playhead; channel and player name per tracker;
//! - errors may come from an "external" source;
//! - 404/410 restarts the session as a resumed one (Adobe drops the events);
//! - the idle clock and the 24 h clock are separate (iOS shares one variable for both);
//! - AdBreakComplete also ends the pre-roll window, and plays it drops are reported as ignored
//!   calls.

pub(crate) mod context;
pub(crate) mod hits;
pub(crate) mod preroll;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Map;

use self::context::{MediaContext, PlayState, Playback};
use self::hits::QoeMode;
use self::preroll::{Held, Preroll};
use super::notices::Notices;
use super::{
    AdBreakInfo, AdInfo, Call, ChapterInfo, CoreConfig, Counter, LogLevel, MediaInfo, Metadata, Notice, Qoe, Snapshot,
    Stamp, Timing, TrackerConfig, TrackerId, TrackerName, TrackerSlot,
};
use crate::hit::{Event, EventType, PlayerTime};
use crate::stats::Stats;

/// One MC session (a tracking session, or one of its restarts). Unique within a `Core`.
pub(crate) type SessionKey = u64;

/// Deadline firings of one tracker at one instant (each normally clears what was due; a
/// pre-roll replay may open a new window that is already due).
const MAX_FIRINGS: usize = 8;

/// 2020-01-01T00:00:00Z in ms: a session that began on an earlier wall clock began on a clock
/// that was not set yet.
const PLAUSIBLE_TS: i64 = 1_577_836_800_000;

/// A hit for the MC session `key`.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub(crate) key: SessionKey,
    pub(crate) event: Event,
}

/// What a tracker needs from the core while it processes one input.
pub(crate) struct Env<'a> {
    pub(crate) config: &'a CoreConfig,
    pub(crate) stats: &'a Stats,
    pub(crate) notices: &'a mut Notices,
    pub(crate) hits: &'a mut Vec<Hit>,
    pub(crate) next_key: &'a mut SessionKey,
}

impl Env<'_> {
    fn new_key(&mut self) -> SessionKey {
        *self.next_key += 1;
        *self.next_key
    }

    /// A rejected call: counted, reported to the event callback and logged.
    pub(crate) fn ignored(&mut self, tracker: TrackerId, call: &'static str, rule: &'static str) {
        self.stats.incr(Counter::IgnoredCall);
        self.notices.push(Notice::CallIgnored { tracker, call, rule });
        // A play dropped by the pre-roll window is the window doing its job, not a player bug.
        let level = if rule == "preroll_play_dropped" { LogLevel::Info } else { LogLevel::Warn };
        self.notices.log(level, format!("{}: {call} ignored ({rule}): {}", TrackerName(tracker), rule_text(rule)));
    }
}

/// Why a rule rejects a call, for the log line.
fn rule_text(rule: &str) -> &'static str {
    match rule {
        "not_in_session" => "no session is open; call session_start first",
        "already_in_session" => "a session is open; call complete or session_end first",
        "invalid_media_info" => "the media info is invalid",
        "in_break_not_in_ad" => "inside an ad break but outside an ad, playback calls are dropped",
        "already_buffering" => "buffering already started",
        "already_seeking" => "seeking already started",
        "buffering" => "buffering; call buffer_complete first",
        "seeking" => "seeking; call seek_complete first",
        "not_buffering" => "buffering was not started",
        "not_seeking" => "seeking was not started",
        "not_in_break" => "no ad break is open",
        "not_in_ad" => "no ad is open",
        "not_in_chapter" => "no chapter is open",
        "invalid_ad_break_info" => "the ad break info is invalid",
        "invalid_ad_info" => "the ad info is invalid",
        "invalid_chapter_info" => "the chapter info is invalid",
        "duplicate_ad_break" => "this ad break is already open",
        "duplicate_ad" => "this ad is already open",
        "duplicate_chapter" => "this chapter is already open",
        "invalid_error_id" => "the error id is empty",
        "invalid_state_name" => "a state name must match [a-zA-Z0-9_.]{1,64}",
        "state_active" => "this state is already active",
        "state_not_active" => "this state is not active",
        "state_limit" => "10 distinct states were already tracked in this session",
        "preroll_play_dropped" => "a play before the pre-roll's ad break start is dropped",
        "unknown_tracker" => "the tracker does not exist",
        _ => "rejected",
    }
}

/// When a hit happens, at which playhead and with which QoE (None: never set).
#[derive(Debug, Clone, Copy)]
struct Moment {
    stamp: Stamp,
    playhead: f64,
    qoe: Option<Qoe>,
}

/// What the exit action must know about the call that ran before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    /// Any other call, or a deadline.
    Plain,
    AdStart,
    AdBreakComplete,
    BufferOrSeekComplete,
}

impl After {
    fn of(call: &Call) -> After {
        match call {
            Call::AdStart { .. } => After::AdStart,
            Call::AdBreakComplete => After::AdBreakComplete,
            Call::BufferComplete | Call::SeekComplete => After::BufferOrSeekComplete,
            _ => After::Plain,
        }
    }
}

/// Zero intervals would make a deadline fire forever.
fn at_least_1ms(d: Duration) -> Duration {
    d.max(Duration::from_millis(1))
}

fn since(from: Instant, m: Moment) -> Duration {
    m.stamp.mono.saturating_duration_since(from)
}

fn usable_playhead(p: f64) -> bool {
    p.is_finite() && p >= 0.0
}

fn finite_non_negative(v: f64) -> bool {
    v.is_finite() && v >= 0.0
}

fn valid_media(m: &MediaInfo) -> bool {
    !m.id.is_empty() && !m.name.is_empty() && !m.content_type.is_empty() && finite_non_negative(m.length)
}

fn valid_ad_break(b: &AdBreakInfo) -> bool {
    !b.name.is_empty() && b.position >= 1 && finite_non_negative(b.start_time)
}

fn valid_ad(a: &AdInfo) -> bool {
    !a.id.is_empty() && !a.name.is_empty() && a.position >= 1 && finite_non_negative(a.length)
}

fn valid_chapter(c: &ChapterInfo) -> bool {
    !c.name.is_empty() && c.position >= 1 && finite_non_negative(c.start_time) && finite_non_negative(c.length)
}

fn require(ok: bool, rule: &'static str) -> Result<(), &'static str> {
    if ok { Ok(()) } else { Err(rule) }
}

/// One player's tracker.
pub(crate) struct Tracker {
    id: TrackerId,
    config: Arc<TrackerConfig>,
    slot: Arc<TrackerSlot>,
    /// The last call's playhead snapshot: the fallback when the slot holds an unusable value.
    last_playhead: f64,
    /// The tracking session ("in media"), from sessionStart to complete/sessionEnd.
    session: Option<Session>,
}

impl Tracker {
    pub(crate) fn new(id: TrackerId, config: TrackerConfig, slot: Arc<TrackerSlot>) -> Tracker {
        Tracker { id, config: Arc::new(config), slot, last_playhead: 0.0, session: None }
    }

    pub(crate) fn downloaded(&self) -> bool {
        self.config.downloaded
    }

    /// Leaves the tracking session without a hit (the user opted out: nothing more is sent).
    pub(crate) fn forget_session(&mut self) {
        self.session = None;
    }

    /// True while a pre-roll window holds calls (they become hits when it ends).
    pub(crate) fn holds_calls(&self) -> bool {
        self.session.as_ref().is_some_and(|s| s.preroll.as_ref().is_some_and(|p| !p.is_empty()))
    }

    /// The earliest instant at which `on_deadline` has something to do.
    pub(crate) fn next_deadline(&self, timing: &Timing) -> Option<Instant> {
        self.session.as_ref().and_then(|s| s.next_deadline(timing))
    }

    /// A player call, with what its thread captured when it was made.
    pub(crate) fn handle_call(&mut self, env: &mut Env, snap: Snapshot, call: Call) {
        // A deadline the worker has not fired yet comes first, as it would have on time. Its
        // hits carry this call's QoE: the slot may already hold a later one.
        self.fire_due(env, snap.at, snap.qoe);
        let playhead = if usable_playhead(snap.playhead) { snap.playhead } else { self.last_playhead };
        self.last_playhead = playhead;
        let held = Held { at: snap.at, playhead, qoe: snap.qoe, call };
        if self.session.as_ref().is_some_and(|s| s.preroll.is_some()) {
            self.run(env, VecDeque::from([held]));
        } else {
            // What `run` does with one call and no pre-roll window, without a queue to allocate.
            self.process(env, held);
        }
    }

    /// Fires every deadline due at `now` (pre-roll release, pings, content start, idle timeout,
    /// 24 h cap). Playhead and QoE come from the slot.
    pub(crate) fn on_deadlines(&mut self, env: &mut Env, now: Stamp) {
        let qoe = self.slot.qoe();
        self.fire_due(env, now, qoe);
    }

    /// Fires each deadline due by `now` at its own due instant (see the module notes).
    fn fire_due(&mut self, env: &mut Env, now: Stamp, qoe: Option<Qoe>) {
        for _ in 0..MAX_FIRINGS {
            let Some(due) = self.next_deadline(&env.config.timing).filter(|d| *d <= now.mono) else {
                return;
            };
            let at = self.firing_stamp(due, now, &env.config.timing);
            self.on_deadline(env, at, qoe);
        }
    }

    /// When a deadline due at `due` runs, seen at `now`: at `due`, unless the monotonic clock
    /// jumped past a whole ping interval since (a suspend), then at `now`.
    fn firing_stamp(&self, due: Instant, now: Stamp, timing: &Timing) -> Stamp {
        let interval = self.session.as_ref().map_or(timing.ping_interval, |s| s.ping_interval(timing));
        if now.mono.saturating_duration_since(due) < interval { now.back_to(due) } else { now }
    }

    /// Runs what is due at `at`: the pre-roll release, then one exit action.
    fn on_deadline(&mut self, env: &mut Env, at: Stamp, qoe: Option<Qoe>) {
        let Some(s) = self.session.as_ref() else {
            return;
        };
        if let Some(p) = &s.preroll {
            if p.due.is_none_or(|d| d > at.mono) {
                // While the window is open nothing else runs; calls wait in it.
                return;
            }
            let kept = self.release_preroll(env);
            self.run(env, kept.into());
        }
        let m = Moment { stamp: at, playhead: self.slot_playhead(), qoe };
        if let Some(s) = self.session.as_mut().filter(|s| s.preroll.is_none()) {
            s.exit_action(env, m, After::Plain);
        }
    }

    /// MC session `key` is live for this tracker (its current session, tracking).
    pub(crate) fn is_live(&self, key: SessionKey) -> bool {
        self.session.as_ref().is_some_and(|s| s.key == key && s.tracking)
    }

    /// In a tracking session (between sessionStart and complete/sessionEnd).
    pub(crate) fn in_session(&self) -> bool {
        self.session.is_some()
    }

    /// The current MC session, if any.
    pub(crate) fn session_key(&self) -> Option<SessionKey> {
        self.session.as_ref().map(|s| s.key)
    }

    /// The server lost MC session `key` (404/410, or it expired): if it is still this tracker's
    /// live session, restart as a resumed one. The failed event is not re-sent: the restart
    /// sequence re-sends the context (chapter, ad break, ad, states) and the playback state,
    /// which is what any lost event contributed.
    pub(crate) fn on_session_gone(&mut self, env: &mut Env, key: SessionKey, now: Stamp, reason: &'static str) {
        let m = Moment { stamp: now, playhead: self.slot_playhead(), qoe: self.slot.qoe() };
        let Some(s) = self.session.as_mut() else {
            return;
        };
        if s.key != key || !s.tracking {
            return;
        }
        s.restart(env, m, reason);
        if s.preroll.is_none() {
            s.exit_action(env, m, After::Plain);
        }
    }

    /// The player is gone: an open session ends as trackSessionEnd would end it.
    pub(crate) fn remove(&mut self, env: &mut Env, now: Stamp) {
        if self.session.is_none() {
            return;
        }
        let qoe = self.slot.qoe();
        self.fire_due(env, now, qoe);
        let playhead = self.slot_playhead();
        self.run(env, VecDeque::from([Held { at: now, playhead, qoe, call: Call::SessionEnd }]));
    }

    fn slot_playhead(&self) -> f64 {
        let p = self.slot.playhead();
        if usable_playhead(p) { p } else { self.last_playhead }
    }

    /// Processes calls in order; while a pre-roll window is open they are held in it, and a
    /// release puts the held calls back at the front of the line.
    fn run(&mut self, env: &mut Env, mut queue: VecDeque<Held>) {
        while let Some(h) = queue.pop_front() {
            if let Some(p) = self.session.as_mut().and_then(|s| s.preroll.as_mut()) {
                if p.hold(h) {
                    let kept = self.release_preroll(env);
                    for k in kept.into_iter().rev() {
                        queue.push_front(k);
                    }
                }
                continue;
            }
            self.process(env, h);
        }
    }

    fn release_preroll(&mut self, env: &mut Env) -> Vec<Held> {
        let Some(p) = self.session.as_mut().and_then(|s| s.preroll.take()) else {
            return Vec::new();
        };
        let (kept, dropped) = p.release();
        for d in dropped {
            env.ignored(self.id, d.call.name(), "preroll_play_dropped");
        }
        kept
    }

    /// One call through its rule: predicates, actions, exit action.
    fn process(&mut self, env: &mut Env, h: Held) {
        let name = h.call.name();
        let m = Moment { stamp: h.at, playhead: h.playhead, qoe: h.qoe };
        if let Call::SessionStart { media, metadata } = h.call {
            if self.session.is_some() {
                return env.ignored(self.id, name, "already_in_session");
            }
            return self.session_start(env, m, *media, metadata);
        }
        let Some(s) = self.session.as_mut() else {
            return env.ignored(self.id, name, "not_in_session");
        };
        if let Err(rule) = s.check(&h.call) {
            return env.ignored(self.id, name, rule);
        }
        let after = After::of(&h.call);
        if s.act(env, m, h.call) {
            self.session = None;
            return;
        }
        s.exit_action(env, m, after);
    }

    fn session_start(&mut self, env: &mut Env, m: Moment, media: MediaInfo, metadata: Metadata) {
        if !valid_media(&media) {
            return env.ignored(self.id, "session_start", "invalid_media_info");
        }
        // The sessionStart reports the media's initial playhead (Adobe reports 0).
        let playhead = if usable_playhead(media.initial_playhead) { media.initial_playhead } else { 0.0 };
        self.last_playhead = playhead;
        let m = Moment { playhead, ..m };
        let wait = media.preroll_wait.unwrap_or(env.config.timing.preroll_window);
        let now = m.stamp.mono;
        let mut s = Session {
            tracker: self.id,
            config: self.config.clone(),
            ctx: MediaContext::new(media, metadata),
            key: env.new_key(),
            tracking: true,
            last_playback: Playback::Init,
            ping_ref: now,
            qoe: Default::default(),
            anchor: m.stamp,
            last_ts: None,
            preroll: (!wait.is_zero()).then(|| Preroll::new(now.checked_add(wait))),
            media_idle: false,
            idle_start: now,
            content_started: false,
            content_ref: None,
            session_ref: now,
        };
        let (params, custom) = hits::session_start(&env.config.identity, &s.config, &s.ctx, false);
        s.emit(env, m, EventType::SessionStart, params, custom, QoeMode::IfChanged);
        s.exit_action(env, m, After::Plain);
        self.session = Some(s);
    }
}

/// A tracking session: the context plus the hit generator of its current MC session.
struct Session {
    tracker: TrackerId,
    config: Arc<TrackerConfig>,
    ctx: MediaContext,
    /// The current MC session; a restart moves to a new one.
    key: SessionKey,
    /// False while "tracker idle" (after an idle or cap sessionEnd): hits are dropped, the
    /// context is kept.
    tracking: bool,
    /// The effective state the last playback hit reported.
    last_playback: Playback,
    /// The last playback-state hit or ping: pings are due an interval after it.
    ping_ref: Instant,
    qoe: hits::QoeMemory,
    /// The wall clock and monotonic instant this MC session's ts count from.
    anchor: Stamp,
    /// Last ts sent on this MC session (for `min_ts_gap`).
    last_ts: Option<i64>,
    preroll: Option<Preroll>,
    media_idle: bool,
    idle_start: Instant,
    content_started: bool,
    /// When main content started playing (reset inside ad breaks).
    content_ref: Option<Instant>,
    /// Start of the current MC session, for the 24 h cap.
    session_ref: Instant,
}

impl Session {
    fn ping_interval(&self, t: &Timing) -> Duration {
        at_least_1ms(if self.config.downloaded {
            t.offline_ping_interval
        } else if self.ctx.in_ad() && self.ctx.media.granular_ad_tracking {
            t.granular_ad_ping_interval
        } else {
            t.ping_interval
        })
    }

    fn next_deadline(&self, t: &Timing) -> Option<Instant> {
        if let Some(p) = &self.preroll {
            return p.due;
        }
        if !self.tracking {
            // Tracker idle: nothing happens until the player plays again.
            return None;
        }
        let ping = self.ping_ref.checked_add(self.ping_interval(t));
        let cap = self.session_ref.checked_add(at_least_1ms(t.session_cap));
        let idle = if self.media_idle { self.idle_start.checked_add(at_least_1ms(t.idle_timeout)) } else { None };
        let content = match self.content_ref {
            Some(r) if !self.content_started && !self.ctx.is_idle() && !self.ctx.in_break() => {
                r.checked_add(t.content_start_delay)
            }
            _ => None,
        };
        [ping, cap, idle, content].into_iter().flatten().min()
    }

    /// The predicates of the call's rule (§4.3), in Adobe's order; the first that fails names
    /// the rejection.
    fn check(&self, call: &Call) -> Result<(), &'static str> {
        let c = &self.ctx;
        let playback = require(c.playback_allowed(), "in_break_not_in_ad");
        match call {
            Call::SessionStart { .. } => Err("already_in_session"),
            Call::Complete | Call::SessionEnd | Call::BitrateChange => Ok(()),
            Call::Error { id, .. } => require(!id.is_empty(), "invalid_error_id"),
            Call::Play => playback,
            Call::Pause => playback.and(require(!c.buffering, "buffering")).and(require(!c.seeking, "seeking")),
            Call::BufferStart => {
                playback.and(require(!c.buffering, "already_buffering")).and(require(!c.seeking, "seeking"))
            }
            Call::BufferComplete => playback.and(require(c.buffering, "not_buffering")),
            Call::SeekStart => {
                playback.and(require(!c.seeking, "already_seeking")).and(require(!c.buffering, "buffering"))
            }
            Call::SeekComplete => playback.and(require(c.seeking, "not_seeking")),
            Call::AdBreakStart(b) => require(valid_ad_break(b), "invalid_ad_break_info")
                .and(require(c.ad_break.as_ref() != Some(&**b), "duplicate_ad_break")),
            Call::AdBreakComplete => require(c.in_break(), "not_in_break"),
            Call::AdStart { ad, .. } => require(c.in_break(), "not_in_break")
                .and(require(valid_ad(ad), "invalid_ad_info"))
                .and(require(c.ad.as_ref().map(|(a, _)| a) != Some(&**ad), "duplicate_ad")),
            Call::AdComplete | Call::AdSkip => {
                require(c.in_break(), "not_in_break").and(require(c.in_ad(), "not_in_ad"))
            }
            Call::ChapterStart { chapter, .. } => require(valid_chapter(chapter), "invalid_chapter_info")
                .and(require(c.chapter.as_ref().map(|(ch, _)| ch) != Some(&**chapter), "duplicate_chapter")),
            Call::ChapterComplete | Call::ChapterSkip => require(c.in_chapter(), "not_in_chapter"),
            Call::StateStart(n) => require(hits::valid_state_name(n), "invalid_state_name")
                .and(require(!c.is_state_active(n), "state_active"))
                .and(require(c.may_start_state(n), "state_limit")),
            Call::StateEnd(n) => require(hits::valid_state_name(n), "invalid_state_name")
                .and(require(c.is_state_active(n), "state_not_active")),
        }
    }

    /// The rule's actions. True when the call ended the tracking session.
    fn act(&mut self, env: &mut Env, m: Moment, call: Call) -> bool {
        match call {
            Call::SessionStart { .. } => {}
            Call::Complete => {
                self.close_open(env, m);
                self.emit_plain(env, m, EventType::SessionComplete);
                return true;
            }
            Call::SessionEnd => {
                self.close_open(env, m);
                self.emit_plain(env, m, EventType::SessionEnd);
                return true;
            }
            Call::Error { id, source } => {
                self.emit(env, m, EventType::Error, Map::new(), Map::new(), QoeMode::Error { id: &id, source });
            }
            Call::Play => {
                self.ctx.seeking = false;
                self.ctx.buffering = false;
                self.ctx.play_state = PlayState::Play;
            }
            Call::Pause => self.ctx.play_state = PlayState::Pause,
            Call::BufferStart => self.ctx.buffering = true,
            Call::BufferComplete => self.ctx.buffering = false,
            Call::SeekStart => self.ctx.seeking = true,
            Call::SeekComplete => self.ctx.seeking = false,
            Call::AdBreakStart(b) => {
                self.skip_ad(env, m);
                self.complete_break(env, m);
                let params = hits::ad_break_start(&b);
                self.ctx.ad_break = Some(*b);
                self.emit(env, m, EventType::AdBreakStart, params, Map::new(), QoeMode::IfChanged);
            }
            Call::AdBreakComplete => {
                // An ad left open is skipped, never completed (Adobe's rule).
                self.skip_ad(env, m);
                self.complete_break(env, m);
            }
            Call::AdStart { ad, metadata } => {
                self.skip_ad(env, m);
                let (params, custom) = hits::ad_start(&env.config.identity, &self.config, &ad, &metadata);
                self.ctx.ad = Some((*ad, metadata));
                self.emit(env, m, EventType::AdStart, params, custom, QoeMode::IfChanged);
            }
            Call::AdComplete => {
                self.ctx.ad = None;
                self.emit_plain(env, m, EventType::AdComplete);
            }
            Call::AdSkip => self.skip_ad(env, m),
            Call::ChapterStart { chapter, metadata } => {
                self.skip_chapter(env, m);
                let (params, custom) = hits::chapter_start(&chapter, &metadata);
                self.ctx.chapter = Some((*chapter, metadata));
                self.emit(env, m, EventType::ChapterStart, params, custom, QoeMode::IfChanged);
            }
            Call::ChapterComplete => {
                self.ctx.chapter = None;
                self.emit_plain(env, m, EventType::ChapterComplete);
            }
            Call::ChapterSkip => self.skip_chapter(env, m),
            Call::BitrateChange => {
                self.emit(env, m, EventType::BitrateChange, Map::new(), Map::new(), QoeMode::Always);
            }
            Call::StateStart(name) => {
                self.ctx.start_state(&name);
                self.emit(env, m, EventType::StateStart, hits::state(&name), Map::new(), QoeMode::Never);
            }
            Call::StateEnd(name) => {
                self.ctx.end_state(&name);
                self.emit(env, m, EventType::StateEnd, hits::state(&name), Map::new(), QoeMode::Never);
            }
        }
        false
    }

    fn skip_ad(&mut self, env: &mut Env, m: Moment) {
        if self.ctx.ad.take().is_some() {
            self.emit_plain(env, m, EventType::AdSkip);
        }
    }

    fn complete_break(&mut self, env: &mut Env, m: Moment) {
        if self.ctx.ad_break.take().is_some() {
            self.emit_plain(env, m, EventType::AdBreakComplete);
        }
    }

    fn skip_chapter(&mut self, env: &mut Env, m: Moment) {
        if self.ctx.chapter.take().is_some() {
            self.emit_plain(env, m, EventType::ChapterSkip);
        }
    }

    /// What complete and sessionEnd close implicitly: adSkip, adBreakComplete, chapterSkip.
    fn close_open(&mut self, env: &mut Env, m: Moment) {
        self.skip_ad(env, m);
        self.complete_break(env, m);
        self.skip_chapter(env, m);
    }

    /// The exit action, after every accepted call and at every deadline (§4.4).
    fn exit_action(&mut self, env: &mut Env, m: Moment, after: After) {
        let c = &mut self.ctx;
        match after {
            // A pre-roll plays even if the app never called play.
            After::AdStart if c.play_state == PlayState::Init && !c.buffering && !c.seeking => {
                c.play_state = PlayState::Play;
            }
            // There is no way back to Init: the end of a buffer or seek before any play is a pause.
            After::BufferOrSeekComplete if c.play_state == PlayState::Init => c.play_state = PlayState::Pause,
            _ => {}
        }
        self.idle_detection(env, m);
        self.cap_detection(env, m);
        self.content_start_detection(env, m);
        self.process_playback(env, m, matches!(after, After::AdStart | After::AdBreakComplete));
    }

    /// §4.7: idle since `idle_start` for `idle_timeout` → sessionEnd; playing again → restart.
    fn idle_detection(&mut self, env: &mut Env, m: Moment) {
        if self.ctx.is_idle() {
            if !self.media_idle {
                self.media_idle = true;
                self.idle_start = m.stamp.mono;
            } else if self.tracking && since(self.idle_start, m) >= at_least_1ms(env.config.timing.idle_timeout) {
                self.abort(env, m, "idle timeout");
            }
        } else {
            if !self.tracking {
                self.restart(env, m, "idle");
            }
            self.media_idle = false;
        }
    }

    /// §4.8: a session this old ends; it restarts at once unless the media is idle.
    fn cap_detection(&mut self, env: &mut Env, m: Moment) {
        if self.tracking && since(self.session_ref, m) >= at_least_1ms(env.config.timing.session_cap) {
            self.abort(env, m, "session cap");
            if !self.ctx.is_idle() {
                self.restart(env, m, "session_cap");
            }
        }
    }

    /// Once per MC session, main content playing for `content_start_delay` re-sends the
    /// playback hit (Adobe's "content start" play).
    fn content_start_detection(&mut self, env: &mut Env, m: Moment) {
        if self.content_started || self.ctx.is_idle() {
            return;
        }
        if self.ctx.in_break() {
            self.content_ref = None;
            return;
        }
        let from = *self.content_ref.get_or_insert(m.stamp.mono);
        if since(from, m) >= env.config.timing.content_start_delay {
            self.process_playback(env, m, true);
            self.content_started = true;
        }
    }

    /// A state hit when the effective state changed (or on a flush), else a ping when due.
    fn process_playback(&mut self, env: &mut Env, m: Moment, flush: bool) {
        if !self.tracking {
            return;
        }
        let state = self.ctx.effective();
        if state != self.last_playback || flush {
            self.emit_plain(env, m, state.event_type());
            self.last_playback = state;
            self.ping_ref = m.stamp.mono;
        } else if since(self.ping_ref, m) >= self.ping_interval(&env.config.timing) {
            // One ping however long the gap: no catch-up (Adobe's behaviour).
            self.emit_plain(env, m, EventType::Ping);
            self.ping_ref = m.stamp.mono;
        }
    }

    /// Ends the MC session without closing the context ("tracker idle").
    fn abort(&mut self, env: &mut Env, m: Moment, why: &str) {
        self.emit_plain(env, m, EventType::SessionEnd);
        self.tracking = false;
        env.notices.log(LogLevel::Info, format!("{}: session ended ({why})", TrackerName(self.tracker)));
    }

    /// A new MC session that resumes this one: sessionStart with `media.resume`, then the
    /// context (chapter, ad break, ad, active states) and a flushed playback hit, all at `m`.
    fn restart(&mut self, env: &mut Env, m: Moment, reason: &'static str) {
        self.key = env.new_key();
        self.tracking = true;
        self.last_playback = Playback::Init;
        self.ping_ref = m.stamp.mono;
        self.qoe.clear();
        self.anchor = m.stamp;
        self.last_ts = None;
        self.session_ref = m.stamp.mono;
        self.content_started = false;
        self.content_ref = None;
        let (params, custom) = hits::session_start(&env.config.identity, &self.config, &self.ctx, true);
        self.emit(env, m, EventType::SessionStart, params, custom, QoeMode::IfChanged);
        let chapter = self.ctx.chapter.as_ref().map(|(c, md)| hits::chapter_start(c, md));
        if let Some((params, custom)) = chapter {
            self.emit(env, m, EventType::ChapterStart, params, custom, QoeMode::IfChanged);
        }
        if let Some(params) = self.ctx.ad_break.as_ref().map(hits::ad_break_start) {
            self.emit(env, m, EventType::AdBreakStart, params, Map::new(), QoeMode::IfChanged);
        }
        let ad = self.ctx.ad.as_ref().map(|(ad, md)| hits::ad_start(&env.config.identity, &self.config, ad, md));
        if let Some((params, custom)) = ad {
            self.emit(env, m, EventType::AdStart, params, custom, QoeMode::IfChanged);
        }
        let active: Vec<String> = self.ctx.active_states().map(str::to_owned).collect();
        for name in active {
            self.emit(env, m, EventType::StateStart, hits::state(&name), Map::new(), QoeMode::Never);
        }
        self.process_playback(env, m, true);
        env.stats.incr(Counter::SessionsResumed);
        env.notices.push(Notice::SessionRestarted { tracker: self.tracker, reason });
        env.notices.log(LogLevel::Info, format!("{}: session restarted ({reason})", TrackerName(self.tracker)));
    }

    /// The ts of a hit at `at`: the session's anchor plus the monotonic time since, whatever
    /// the wall clock did meanwhile (its steps are counted where they are seen, `clock_jumps`).
    /// A session begun on an implausible clock takes the wall clock once it is plausible.
    fn ts_at(&mut self, env: &mut Env, at: Stamp) -> i64 {
        if self.anchor.ts < PLAUSIBLE_TS && at.ts >= PLAUSIBLE_TS {
            env.notices.log(
                LogLevel::Info,
                format!(
                    "{}: the session began on an unset wall clock (ts {}); its ts are re-anchored to the \
                     wall clock (ts {})",
                    TrackerName(self.tracker),
                    self.anchor.ts,
                    at.ts
                ),
            );
            self.anchor = at;
        }
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        if at.mono >= self.anchor.mono {
            self.anchor.ts.saturating_add(ms(at.mono - self.anchor.mono))
        } else {
            self.anchor.ts.saturating_sub(ms(self.anchor.mono - at.mono))
        }
    }

    fn emit_plain(&mut self, env: &mut Env, m: Moment, event_type: EventType) {
        self.emit(env, m, event_type, Map::new(), Map::new(), QoeMode::IfChanged);
    }

    /// Builds one hit. Dropped while tracker idle (Adobe's behaviour: the context still moves).
    fn emit(
        &mut self,
        env: &mut Env,
        m: Moment,
        event_type: EventType,
        params: Map<String, serde_json::Value>,
        custom_metadata: Map<String, serde_json::Value>,
        qoe: QoeMode<'_>,
    ) {
        if !self.tracking {
            return;
        }
        // Consecutive ts of one MC session stay `min_ts_gap` apart and never go backwards.
        let gap = i64::try_from(env.config.timing.min_ts_gap.as_millis()).unwrap_or(i64::MAX);
        let ts = self.ts_at(env, m.stamp);
        let ts = match self.last_ts {
            Some(last) => ts.max(last.saturating_add(gap)),
            None => ts,
        };
        self.last_ts = Some(ts);
        let qoe_data = self.qoe.attach(qoe, m.qoe);
        let event = Event {
            player_time: PlayerTime { playhead: m.playhead, ts },
            event_type,
            params,
            qoe_data,
            custom_metadata,
        };
        env.stats.incr(Counter::HitsGenerated);
        env.hits.push(Hit { key: self.key, event });
    }
}
