//! Delivery: sid queueing, one request in flight per session, retries, caps, shutdown.

use std::sync::Arc;
use std::time::Duration;

use super::driver::*;
use crate::core::{Call, CoreConfig, EventType, Notice, Outcome, Request, TrackerConfig, TrackerSlot};
use crate::stats::Counter;

/// Manual answering, no jitter, Adobe timing.
fn manual(tweak: impl FnOnce(&mut CoreConfig)) -> Driver {
    let mut c = adobe_config();
    c.retry.jitter = 0.0;
    tweak(&mut c);
    let mut d = Driver::new(c);
    d.auto = false;
    d
}

fn created(location: &str) -> Outcome {
    Outcome::Http { status: 201, location: Some(location.into()), retry_after: None, body: Vec::new() }
}

fn status(status: u16) -> Outcome {
    Outcome::Http { status, location: None, retry_after: None, body: Vec::new() }
}

fn retry_after(status: u16, value: &str) -> Outcome {
    Outcome::Http { status, location: None, retry_after: Some(value.into()), body: Vec::new() }
}

fn one(d: &mut Driver) -> Request {
    let mut r = d.poll_all();
    assert_eq!(r.len(), 1, "expected exactly one request, got {r:?}");
    r.remove(0)
}

/// Fires deadlines at ms `t` (the clock only moves forward).
fn at(d: &mut Driver, t: u64) {
    d.t = t;
    d.core.handle_timeout(d.stamp());
}

/// A session whose sid is known, with nothing in flight.
fn open_session(tweak: impl FnOnce(&mut CoreConfig)) -> Driver {
    let mut d = manual(tweak);
    d.call(start(Some(0)));
    let r = one(&mut d);
    d.respond(r.id, created("/api/v1/sessions/s1"));
    d.notices();
    d
}

#[test]
fn events_wait_for_the_201_and_follow_in_order() {
    let mut d = manual(|_| {});
    d.calls([start(Some(0)), Call::Play, c1()]);
    let r = one(&mut d);
    assert_eq!((r.path.as_str(), r.event_type, r.tracker), ("/api/v1/sessions", EventType::SessionStart, TRACKER));
    assert_eq!(d.core.pending_events(), 3);
    assert!(!d.core.is_drained());
    d.respond(r.id, created("https://edge.example/api/v1/sessions/abc?x=1#f"));
    let n = d.notices();
    assert!(n.contains(&Notice::SessionStarted { tracker: TRACKER, sid: "abc".into() }));
    assert!(n.contains(&Notice::Delivered { tracker: TRACKER, event_type: EventType::SessionStart, status: 201 }));
    // One in flight per session: the chapterStart waits for the play's answer.
    let r = one(&mut d);
    assert_eq!((r.path.as_str(), r.event_type), ("/api/v1/sessions/abc/events", EventType::Play));
    assert!(d.poll_all().is_empty());
    d.respond(r.id, status(204));
    let r = one(&mut d);
    assert_eq!(r.event_type, EventType::ChapterStart);
    d.respond(r.id, status(204));
    assert!(d.core.is_drained());
    assert_eq!(d.count(Counter::EventsDelivered), 3);
    assert_eq!(d.count(Counter::SessionsStarted), 1);
    assert_eq!(d.count(Counter::RequestsSent), 3);
    assert_eq!(d.types(), ["sessionStart", "play", "chapterStart"]);
}

#[test]
fn two_sessions_proceed_concurrently() {
    let mut d = manual(|_| {});
    d.core.add_tracker(8, TrackerConfig::default(), Arc::new(TrackerSlot::new()));
    d.calls([start(Some(0)), Call::Play]);
    d.call_as(8, start(Some(0)));
    d.call_as(8, Call::Play);
    let r = d.poll_all();
    assert_eq!(
        r.iter().map(|r| (r.tracker, r.event_type)).collect::<Vec<_>>(),
        [(TRACKER, EventType::SessionStart), (8, EventType::SessionStart)]
    );
    d.respond(r[1].id, created("/api/v1/sessions/b"));
    let r2 = one(&mut d);
    assert_eq!((r2.tracker, r2.path.as_str()), (8, "/api/v1/sessions/b/events"));
    d.respond(r[0].id, created("/api/v1/sessions/a"));
    let r1 = one(&mut d);
    assert_eq!((r1.tracker, r1.path.as_str()), (TRACKER, "/api/v1/sessions/a/events"));
    d.respond(r1.id, status(204));
    d.respond(r2.id, status(204));
    assert!(d.core.is_drained());
    assert_eq!(d.sent.iter().map(|s| s.tracker).collect::<Vec<_>>(), [TRACKER, 8, 8, TRACKER]);
}

#[test]
fn session_start_retries_with_backoff_then_gives_up() {
    let mut d = manual(|_| {});
    // No play: the first tracker deadline (an Init ping at 10 s) comes after every retry.
    d.calls([start(Some(0)), c1(), state_start("mute")]);
    let mut tries = Vec::new();
    loop {
        let r = one(&mut d);
        assert_eq!(r.path, "/api/v1/sessions");
        tries.push(d.t);
        d.respond(r.id, status(503));
        match d.core.poll_timeout() {
            Some(next) if d.ms(next) < 10_000 => {
                assert!(d.poll_all().is_empty(), "nothing is sent while backing off");
                let t = d.ms(next);
                at(&mut d, t);
            }
            _ => break,
        }
    }
    assert_eq!(tries, [0, 500, 1500, 3500, 7500]);
    assert_eq!(d.count(Counter::RequestsSent), 5);
    assert_eq!(d.count(Counter::Retries), 4);
    // After the last try the held events go with the sessionStart.
    assert_eq!(d.count(Counter::SessionNotCreated), 3);
    let n = d.notices();
    let failed: Vec<bool> = n
        .iter()
        .filter_map(|n| match n {
            Notice::RequestFailed { retrying, status: Some(503), .. } => Some(*retrying),
            _ => None,
        })
        .collect();
    assert_eq!(failed, [true, true, true, true, false]);
    let dropped = n.iter().filter(|n| matches!(n, Notice::Dropped { reason: Counter::SessionNotCreated, .. })).count();
    assert_eq!(dropped, 3);
    assert!(d.core.is_drained());
    // Later events of that session are dropped too, counted the same way.
    d.call(Call::Pause);
    assert_eq!(d.count(Counter::SessionNotCreated), 4);
    assert!(d.poll_all().is_empty());
    // A new session of the same tracker starts afresh.
    d.calls([Call::Complete, start(Some(0))]);
    assert_eq!(one(&mut d).event_type, EventType::SessionStart);
}

#[test]
fn backoff_is_jittered_within_its_share() {
    let mut seen = Vec::new();
    for seed in 1..20 {
        let mut c = adobe_config();
        c.retry.jitter = 0.2;
        let mut d = Driver::with_seed(c, TrackerConfig::default(), seed);
        d.auto = false;
        d.call(start(Some(0)));
        let r = one(&mut d);
        d.respond(r.id, status(503));
        let due = d.core.poll_timeout().map(|i| d.ms(i)).unwrap();
        assert!((400..=600).contains(&due), "{due}");
        seen.push(due);
    }
    seen.dedup();
    assert!(seen.len() > 5, "different seeds, different delays: {seen:?}");
}

#[test]
fn a_404_or_410_on_session_start_is_a_failed_start() {
    for code in [404, 410] {
        let mut d = manual(|_| {});
        d.calls([start(Some(0)), Call::Play]);
        let r = one(&mut d);
        d.respond(r.id, status(code));
        assert_eq!(d.count(Counter::SessionNotCreated), 2, "HTTP {code}: the start and its held play");
        assert_eq!(d.count(Counter::Rejected400), 0);
        assert_eq!(d.count(Counter::SessionGone), 0);
        assert_eq!(d.count(Counter::SessionsResumed), 0, "no restart of a session that never started");
        assert!(d.core.is_drained());
        assert!(d.poll_all().is_empty(), "not retried");
    }
}

#[test]
fn session_start_without_a_usable_location_is_retried() {
    let mut d = manual(|_| {});
    d.calls([start(Some(0)), Call::Play]);
    let r = one(&mut d);
    d.respond(r.id, status(201));
    at(&mut d, 500);
    let r = one(&mut d);
    d.respond(r.id, created("garbage"));
    at(&mut d, 1500);
    let r = one(&mut d);
    assert_eq!(r.event_type, EventType::SessionStart);
    d.respond(r.id, created("/api/v1/sessions/a%20b%2Bc"));
    // The sid is decoded from Location and encoded again in the path.
    let r = one(&mut d);
    assert_eq!(r.path, "/api/v1/sessions/a%20b%2Bc/events");
    assert_eq!(d.count(Counter::Retries), 2);
    assert_eq!(d.count(Counter::SessionsStarted), 1);
    assert_eq!(d.count(Counter::EventsDelivered), 1);
}

#[test]
fn event_retry_holds_later_events() {
    let mut d = open_session(|_| {});
    d.calls([Call::Play, c1()]);
    let r = one(&mut d);
    d.respond(r.id, status(500));
    assert!(d.poll_all().is_empty());
    assert_eq!(d.ms(d.core.poll_timeout().unwrap()), 500);
    at(&mut d, 499);
    assert!(d.poll_all().is_empty());
    at(&mut d, 500);
    let r = one(&mut d);
    assert_eq!(r.event_type, EventType::Play);
    d.respond(r.id, Outcome::Network { message: "reset".into(), timed_out: false });
    at(&mut d, 1500);
    let r = one(&mut d);
    assert_eq!(r.event_type, EventType::Play);
    d.respond(r.id, status(204));
    let r = one(&mut d);
    assert_eq!(r.event_type, EventType::ChapterStart);
    d.respond(r.id, status(204));
    assert_eq!(d.types(), ["sessionStart", "play", "play", "play", "chapterStart"]);
    assert_eq!(d.count(Counter::Retries), 2);
    assert_eq!(d.count(Counter::RetryExhausted), 0);
}

#[test]
fn an_event_gives_up_after_its_attempts_and_the_session_goes_on() {
    let mut d = open_session(|c| c.retry.event_max_attempts = 3);
    d.calls([Call::Play, c1()]);
    for t in [0, 500, 1500] {
        at(&mut d, t);
        let r = one(&mut d);
        assert_eq!(r.event_type, EventType::Play);
        d.respond(r.id, status(502));
    }
    // The third attempt failed: the play is dropped, the chapterStart goes.
    assert_eq!(d.count(Counter::RetryExhausted), 1);
    assert!(d.notices().contains(&Notice::Dropped {
        tracker: TRACKER,
        event_type: EventType::Play,
        reason: Counter::RetryExhausted
    }));
    let r = one(&mut d);
    assert_eq!(r.event_type, EventType::ChapterStart);
}

#[test]
fn status_400_is_dropped_and_never_retried() {
    let mut d = open_session(|_| {});
    d.calls([Call::Play, c1()]);
    let r = one(&mut d);
    d.respond(r.id, status(400));
    assert_eq!(d.count(Counter::Rejected400), 1);
    let r = one(&mut d);
    assert_eq!(r.event_type, EventType::ChapterStart);
    // A 400 on sessionStart: the sessionStart counts as rejected, its held events as not created.
    let mut d = manual(|_| {});
    d.calls([start(Some(0)), Call::Play]);
    let r = one(&mut d);
    d.respond(r.id, status(400));
    assert_eq!(d.count(Counter::Rejected400), 1);
    assert_eq!(d.count(Counter::SessionNotCreated), 1);
    assert!(d.core.is_drained());
    assert_eq!(d.core.poll_timeout().map(|i| d.ms(i)), Some(1000), "only the content-start deadline");
}

#[test]
fn retry_after_seconds_date_and_clamp() {
    // No release jitter and no drain pace here, so the probe goes exactly when the pause ends
    // and what waited right after it.
    let no_jitter = |c: &mut CoreConfig| {
        c.fleet.release_window = Duration::ZERO;
        c.fleet.drain_ramp = Duration::ZERO;
    };
    // Seconds, larger than the backoff: used.
    let mut d = open_session(no_jitter);
    d.call(Call::Play);
    let r = one(&mut d);
    d.respond(r.id, retry_after(429, "3"));
    assert_eq!(d.core.poll_timeout().map(|i| d.ms(i)), Some(1000), "content start comes first");
    at(&mut d, 2999);
    assert!(d.poll_all().is_empty());
    at(&mut d, 3000);
    assert_eq!(one(&mut d).event_type, EventType::Play);

    // An HTTP date (the fake wall clock starts at the epoch): 5 s from now.
    let mut d = open_session(no_jitter);
    d.call(Call::Play);
    let r = one(&mut d);
    d.respond(r.id, retry_after(503, "Thu, 01 Jan 1970 00:00:05 GMT"));
    at(&mut d, 4999);
    assert!(d.poll_all().is_empty());
    at(&mut d, 5000);
    assert_eq!(one(&mut d).event_type, EventType::Play);

    // Garbage is no order: the ordinary backoff applies.
    let mut d = open_session(no_jitter);
    d.call(Call::Play);
    let r = one(&mut d);
    d.respond(r.id, retry_after(503, "soon"));
    at(&mut d, 499);
    assert!(d.poll_all().is_empty());
    at(&mut d, 500);
    assert_eq!(one(&mut d).event_type, EventType::Play);
    assert_eq!(d.count(Counter::EndpointPauses), 0);

    // Clamped to retry_after_cap.
    let mut d = open_session(|c| {
        no_jitter(c);
        c.retry.retry_after_cap = Duration::from_secs(2);
    });
    d.call(Call::Play);
    let r = one(&mut d);
    d.respond(r.id, retry_after(503, "100"));
    at(&mut d, 1999);
    assert!(d.poll_all().is_empty());
    at(&mut d, 2000);
    assert_eq!(one(&mut d).event_type, EventType::Play);

    // Far beyond what the old time budget allowed: waited for, not given up, no attempt spent.
    let mut d = open_session(|c| {
        no_jitter(c);
        c.retry.event_max_attempts = 1;
    });
    d.calls([Call::Play, c1()]);
    let r = one(&mut d);
    d.respond(r.id, retry_after(503, "200"));
    assert_eq!(d.count(Counter::RetryExhausted), 0);
    at(&mut d, 200_000);
    let r = one(&mut d);
    assert_eq!(r.event_type, EventType::Play);
    d.respond(r.id, status(204));
    assert_eq!(one(&mut d).event_type, EventType::ChapterStart);
    assert_eq!(d.count(Counter::RetryExhausted), 0);
}

#[test]
fn queue_caps_drop_new_events_but_never_session_boundaries() {
    let mut d = manual(|c| c.limits.session_queue_cap = 3);
    d.calls([start(Some(0)), Call::Play, Call::Pause, Call::Play, Call::Pause, Call::Complete]);
    // sessionStart + 2 held, two dropped, sessionComplete kept beyond the cap.
    assert_eq!(d.core.pending_events(), 4);
    assert_eq!(d.count(Counter::CacheOverflow), 2);
    let n = d.notices();
    assert_eq!(n.iter().filter(|n| matches!(n, Notice::Dropped { reason: Counter::CacheOverflow, .. })).count(), 2);
    d.auto = true;
    let r = one(&mut d);
    d.respond(r.id, created("/api/v1/sessions/s"));
    d.pump();
    assert_eq!(d.types(), ["sessionStart", "play", "pauseStart", "sessionComplete"]);

    // The global cap counts every session's held events.
    let mut d = manual(|c| c.limits.global_pending_cap = 3);
    d.core.add_tracker(8, TrackerConfig::default(), Arc::new(TrackerSlot::new()));
    d.calls([start(Some(0)), Call::Play]);
    d.call_as(8, start(Some(0)));
    d.call_as(8, Call::Play);
    d.call_as(8, Call::SessionEnd);
    assert_eq!(d.core.pending_events(), 4);
    assert_eq!(d.count(Counter::CacheOverflow), 1);
}

/// Sessions started faster than they can be sent stop at the global cap: the new session is
/// refused whole (its start and everything after, counted `cache_overflow`), memory stays
/// bounded, and sessions start again once the backlog is sent.
#[test]
fn session_starts_beyond_the_global_cap_are_refused_and_counted() {
    let mut d = manual(|c| c.limits.global_pending_cap = 2);
    d.calls([start(Some(0)), Call::Play]);
    d.core.add_tracker(8, TrackerConfig::default(), Arc::new(TrackerSlot::new()));
    d.call_as(8, start(Some(0)));
    d.call_as(8, Call::Play);
    d.call_as(8, Call::SessionEnd);
    assert_eq!(d.core.pending_events(), 2, "only the first session is held");
    assert_eq!(d.count(Counter::CacheOverflow), 3, "the refused session's start, play and end");
    assert_eq!(d.count(Counter::SessionNotCreated), 0);
    let types: Vec<EventType> = d.poll_all().iter().map(|r| r.event_type).collect();
    assert_eq!(types, [EventType::SessionStart], "nothing of the refused session is sent");

    // Once the backlog drains, a new session starts normally.
    let mut d = manual(|c| c.limits.global_pending_cap = 2);
    d.calls([start(Some(0)), Call::Play, Call::SessionEnd]);
    let r = one(&mut d);
    d.respond(r.id, created("/api/v1/sessions/s"));
    for _ in 0..2 {
        let r = one(&mut d);
        d.respond(r.id, status(204));
    }
    assert_eq!(d.core.pending_events(), 0);
    d.core.add_tracker(8, TrackerConfig::default(), Arc::new(TrackerSlot::new()));
    d.call_as(8, start(Some(0)));
    assert_eq!(d.core.pending_events(), 1);
    assert_eq!(d.count(Counter::CacheOverflow), 0);
}

#[test]
fn shut_down_gives_up_everything_pending() {
    let mut d = manual(|_| {});
    d.calls([start(Some(0)), Call::Play, c1()]);
    let r = one(&mut d);
    // The worker aborts transfers in flight first: not a try, the event stays pending.
    d.respond(r.id, Outcome::Aborted);
    assert_eq!(d.core.pending_events(), 3);
    let again = one(&mut d);
    assert_eq!(again.event_type, EventType::SessionStart);
    assert_eq!(d.count(Counter::Retries), 0);
    d.notices();
    assert_eq!(d.core.shut_down(), 3);
    assert_eq!(d.count(Counter::ShutDown), 3);
    assert_eq!(
        d.notices().iter().filter(|n| matches!(n, Notice::Dropped { reason: Counter::ShutDown, .. })).count(),
        3
    );
    assert!(d.core.is_drained());
    assert_eq!(d.core.pending_events(), 0);
    assert!(d.poll_all().is_empty());
    // A late answer for the aborted transfer is ignored.
    d.respond(again.id, status(204));
    assert_eq!(d.count(Counter::EventsDelivered), 0);
}

#[test]
fn unknown_and_repeated_responses_are_ignored() {
    let mut d = open_session(|_| {});
    d.call(Call::Play);
    let r = one(&mut d);
    d.respond(12345, status(204));
    d.respond(r.id, status(204));
    d.respond(r.id, status(204));
    assert_eq!(d.count(Counter::EventsDelivered), 2);
    assert!(d.core.is_drained());
}
