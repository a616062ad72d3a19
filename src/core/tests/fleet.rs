//! Fleet safety on the fake clock: the restart budget and its delays, the endpoint gate
//! (`Retry-After`, outage probing, the spread release), session expiry. A small simulated back
//! end answers every request at once; the tests count what it received.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::driver::*;
use crate::core::{Call, CoreConfig, EventType, Notice, Outcome, Request, TrackerConfig, TrackerSlot};
use crate::stats::Counter;

const SEC: u64 = 1000;
const MIN: u64 = 60 * SEC;
const HOUR: u64 = 60 * MIN;

/// One request as the simulated back end received it.
#[derive(Debug, Clone)]
struct Got {
    t: u64,
    event_type: EventType,
    sid: Option<String>,
    status: u16,
}

/// A back end: `answer(request, sid, events the sid accepted so far, t)` → the HTTP status
/// (201 with a fresh sid for accepted sessionStarts), or a network failure.
struct Backend<F> {
    answer: F,
    sids: u32,
    accepted: HashMap<String, u32>,
    got: Vec<Got>,
    retry_after: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Answer {
    Status(u16),
    Down,
}

impl<F: FnMut(&Request, u32, u64) -> Answer> Backend<F> {
    fn new(answer: F) -> Backend<F> {
        Backend { answer, sids: 0, accepted: HashMap::new(), got: Vec::new(), retry_after: None }
    }

    fn respond(&mut self, r: &Request, t: u64) -> Outcome {
        let sid = r.path.strip_prefix("/api/v1/sessions/").and_then(|p| p.strip_suffix("/events")).map(str::to_owned);
        let seen = sid.as_ref().map_or(0, |s| *self.accepted.get(s).unwrap_or(&0));
        let answer = (self.answer)(r, seen, t);
        let status = match answer {
            Answer::Status(s) => s,
            Answer::Down => 0,
        };
        self.got.push(Got { t, event_type: r.event_type, sid: sid.clone(), status });
        match answer {
            Answer::Down => Outcome::Network { message: "connection refused".into(), timed_out: false },
            Answer::Status(201) if sid.is_none() => {
                self.sids += 1;
                Outcome::Http {
                    status: 201,
                    location: Some(format!("/api/v1/sessions/s{}", self.sids)),
                    retry_after: None,
                    body: Vec::new(),
                }
            }
            Answer::Status(s) => {
                if (200..300).contains(&s) {
                    if let Some(sid) = sid {
                        *self.accepted.entry(sid).or_default() += 1;
                    }
                }
                let retry_after = if matches!(s, 429 | 503) { self.retry_after.clone() } else { None };
                Outcome::Http { status: s, location: None, retry_after, body: Vec::new() }
            }
        }
    }

    fn starts(&self, from: u64, to: u64) -> usize {
        self.got.iter().filter(|g| g.event_type == EventType::SessionStart && (from..to).contains(&g.t)).count()
    }

    fn requests(&self, from: u64, to: u64) -> usize {
        self.got.iter().filter(|g| (from..to).contains(&g.t)).count()
    }
}

/// Runs the core until `until` ms: deadlines fire on time, every request is answered at once.
fn run<F: FnMut(&Request, u32, u64) -> Answer>(d: &mut Driver, b: &mut Backend<F>, until: u64) {
    loop {
        d.core.handle_timeout(d.stamp());
        while let Some(r) = d.core.poll_request() {
            let outcome = b.respond(&r, d.t);
            let now = d.stamp();
            d.core.handle_response(r.id, now, outcome);
        }
        d.core.check_indexes();
        match d.core.poll_timeout().map(|i| d.ms(i)) {
            Some(next) if next <= until => d.t = next.max(d.t),
            _ => break,
        }
    }
    d.t = d.t.max(until);
}

fn driver(tweak: impl FnOnce(&mut CoreConfig)) -> Driver {
    let mut c = adobe_config();
    tweak(&mut c);
    let mut d = Driver::with_seed(c, TrackerConfig::default(), 11);
    d.auto = false;
    d
}

/// A player that started content and plays: pings every 10 s.
fn playing(d: &mut Driver) {
    d.calls([start(Some(0)), Call::Play]);
}

fn healthy(r: &Request, _seen: u32, _t: u64) -> Answer {
    Answer::Status(if r.event_type == EventType::SessionStart { 201 } else { 204 })
}

/// At most `max` sessionStarts in any rolling hour (checked at every start).
fn assert_rolling_hour(got: &[Got], max: usize) {
    let starts: Vec<u64> = got.iter().filter(|g| g.event_type == EventType::SessionStart).map(|g| g.t).collect();
    for (i, t) in starts.iter().enumerate() {
        let in_hour = starts[i..].iter().take_while(|s| **s < t + HOUR).count();
        assert!(in_hour <= max, "{in_hour} sessionStarts in the hour from {t} ms: {starts:?}");
    }
}

#[test]
fn a_back_end_that_loses_every_session_after_3_events_gets_at_most_4_starts_an_hour() {
    let mut d = driver(|_| {});
    let mut b = Backend::new(|r: &Request, seen: u32, _t: u64| match r.event_type {
        EventType::SessionStart => Answer::Status(201),
        _ if seen >= 3 => Answer::Status(410),
        _ => Answer::Status(204),
    });
    playing(&mut d);
    run(&mut d, &mut b, 30 * MIN);
    assert_eq!(b.starts(0, 30 * MIN), 4, "the first plus 3 restarts, then nothing for this media session");
    assert_eq!(d.count(Counter::SessionsResumed), 3);
    assert_eq!(b.got.iter().filter(|g| g.status == 410).count(), 4, "each session lost once");
    let last = b.got.last().unwrap().t;
    assert!(last < 5 * MIN, "nothing sent after the budget ran out (last request at {last} ms)");
    // The player's pings keep coming: each is dropped and counted, none is sent.
    assert!(d.count(Counter::RestartBudgetExhausted) > 150, "{}", d.count(Counter::RestartBudgetExhausted));
    let n = d.notices();
    let logs = n
        .iter()
        .filter(|n| matches!(n, Notice::Log { message, .. } if message.contains("restart budget exhausted")))
        .count();
    assert_eq!(logs, 1, "said once");
    assert!(n.iter().any(|n| matches!(
        n,
        Notice::Dropped { reason: Counter::RestartBudgetExhausted, event_type: EventType::Ping, .. }
    )));

    // New content is no restart: it starts at once. It does not refill the budget: its first
    // loss, within the hour of the 3 restarts, ends its sending too.
    d.calls([Call::Complete, start(Some(0)), Call::Play]);
    run(&mut d, &mut b, 3 * HOUR);
    let starts: Vec<u64> = b.got.iter().filter(|g| g.event_type == EventType::SessionStart).map(|g| g.t).collect();
    assert_eq!(starts.len(), 5, "{starts:?}");
    assert_eq!(starts[4], 30 * MIN, "not delayed");
    assert_rolling_hour(&b.got, 5);
    assert!(b.got.last().unwrap().t < 35 * MIN, "and nothing more for 2.5 h");
    assert!(d.count(Counter::RestartBudgetExhausted) > 900);
    // Every hit is accounted for.
    let dropped: u64 = [Counter::SessionGone, Counter::RestartBudgetExhausted].iter().map(|c| d.count(*c)).sum();
    assert_eq!(d.count(Counter::HitsGenerated), d.count(Counter::EventsDelivered) + dropped);
}

#[test]
fn an_idle_tracker_whose_sessions_404_on_every_event_stays_within_the_budget() {
    // A 201 whose sid the back end then does not know (another node): 404 to every event.
    let mut d = driver(|_| {});
    let mut b = Backend::new(|r: &Request, _seen: u32, _t: u64| {
        Answer::Status(if r.event_type == EventType::SessionStart { 201 } else { 404 })
    });
    // Started, never played: only the tracker's own pings.
    d.call(start(Some(0)));
    run(&mut d, &mut b, 5 * HOUR);
    assert_rolling_hour(&b.got, 4);
    assert_eq!(b.starts(0, 5 * HOUR), 4);
    assert!(b.requests(0, 5 * HOUR) <= 8, "{} requests", b.requests(0, 5 * HOUR));
}

#[test]
fn restarts_wait_a_jittered_growing_delay_and_events_made_meanwhile_follow_the_new_session() {
    let delays: Vec<Vec<u64>> = (1..=8)
        .map(|seed| {
            let mut c = adobe_config();
            c.fleet.restart_budget = 4;
            let mut d = Driver::with_seed(c, TrackerConfig::default(), seed);
            d.auto = false;
            // The 3rd event of every session is lost (410); the time from each loss to the
            // next sessionStart is the restart's delay.
            let mut b = Backend::new(|r: &Request, seen: u32, _t: u64| match r.event_type {
                EventType::SessionStart => Answer::Status(201),
                _ if seen >= 2 => Answer::Status(410),
                _ => Answer::Status(204),
            });
            playing(&mut d);
            run(&mut d, &mut b, 2 * HOUR);
            let losses: Vec<u64> = b.got.iter().filter(|g| g.status == 410).map(|g| g.t).collect();
            let starts: Vec<u64> =
                b.got.iter().filter(|g| g.event_type == EventType::SessionStart).map(|g| g.t).skip(1).collect();
            assert_eq!(starts.len(), 4, "seed {seed}");
            // Events made while a restart waited were held and went into the new session, in
            // order, after its sessionStart.
            let after_first: Vec<EventType> =
                b.got.iter().skip_while(|g| g.t < starts[0]).map(|g| g.event_type).collect();
            assert_eq!(after_first[0], EventType::SessionStart);
            assert_eq!(after_first[1], EventType::Play, "the restart's flushed playback state");
            losses.iter().zip(&starts).map(|(l, s)| s - l).collect()
        })
        .collect();
    for d in &delays {
        assert!(d[0] <= 10 * SEC, "first restart within one ping interval: {d:?}");
        assert!((16 * SEC..=24 * SEC).contains(&d[1]), "then 20 s ±20 %: {d:?}");
        assert!((32 * SEC..=48 * SEC).contains(&d[2]), "then 40 s ±20 %: {d:?}");
        assert!((64 * SEC..=96 * SEC).contains(&d[3]), "then 80 s ±20 %: {d:?}");
    }
    let mut firsts: Vec<u64> = delays.iter().map(|d| d[0]).collect();
    firsts.sort_unstable();
    firsts.dedup();
    assert!(firsts.len() >= 6, "a fleet does not restart in the same instant: {firsts:?}");
}

#[test]
fn the_restart_window_rolls_and_the_budget_is_configurable() {
    let mut d = driver(|c| {
        c.fleet.restart_budget = 1;
        c.fleet.restart_window = Duration::from_secs(600);
        c.fleet.restart_delay = Duration::from_millis(100);
    });
    // The back end loses one session in ten minutes' worth of events.
    let mut b = Backend::new(|r: &Request, seen: u32, _t: u64| match r.event_type {
        EventType::SessionStart => Answer::Status(201),
        _ if seen >= 80 => Answer::Status(410),
        _ => Answer::Status(204),
    });
    playing(&mut d);
    run(&mut d, &mut b, 2 * HOUR);
    // Each session lives ~13 min (80 pings), longer than the window: every loss finds the
    // window empty again and restarts.
    let starts = b.starts(0, 2 * HOUR);
    assert!(starts >= 8, "{starts}");
    assert_eq!(d.count(Counter::RestartBudgetExhausted), 0);
}

#[test]
fn retry_after_pauses_every_session_and_start_then_one_probe_then_a_spread_release() {
    // The release window alone (the drain pace has its own test).
    let mut d = driver(|c| c.fleet.drain_ramp = Duration::ZERO);
    for id in 20..40 {
        d.core.add_tracker(id, TrackerConfig::default(), Arc::new(TrackerSlot::new()));
    }
    // A healthy start for all 21 trackers.
    let mut b = Backend::new(healthy);
    playing(&mut d);
    for id in 20..40 {
        d.call_as(id, start(Some(0)));
        d.call_as(id, Call::Play);
    }
    run(&mut d, &mut b, MIN);
    let steady = b.requests(30 * SEC, MIN);
    assert!(steady >= 60, "21 sessions ping every 10 s: {steady}");

    // Then 429 with Retry-After: 120 on everything for 5 minutes.
    let mut b2 = Backend::new(
        |r: &Request, _seen: u32, t: u64| {
            if t < 6 * MIN { Answer::Status(429) } else { healthy(r, 0, t) }
        },
    );
    b2.retry_after = Some("120".into());
    b2.sids = 100;
    let delivered_before = d.count(Counter::EventsDelivered);
    run(&mut d, &mut b2, 10 * MIN);
    // While it lasts: one request per Retry-After period, none inside a pause.
    let throttled: Vec<&Got> = b2.got.iter().filter(|g| g.status == 429).collect();
    assert!(throttled[0].t <= MIN + 10 * SEC, "the first ping after the switch: {}", throttled[0].t);
    for w in throttled.windows(2) {
        assert!(w[1].t - w[0].t >= 120 * SEC, "a request inside the pause: {} then {}", w[0].t, w[1].t);
        assert!(w[1].t - w[0].t <= 130 * SEC, "the probe waits at most the release window more");
    }
    assert!(throttled.len() <= 4, "{} requests in 5 min of Retry-After: 120", throttled.len());
    // Afterwards: every sessions' held events delivered, spread over the release window.
    let released: Vec<u64> = b2.got.iter().filter(|g| g.status != 429).map(|g| g.t).collect();
    let first = released[0];
    let within_window = released.iter().filter(|t| **t < first + 10 * SEC).count();
    let mut instants = released.clone();
    instants.dedup();
    assert!(instants.len() >= 15, "released over many instants, not one burst: {instants:?}");
    assert!(within_window >= 21, "every session released within the window");
    assert_eq!(d.count(Counter::RetryExhausted), 0, "waiting on the server spends no attempt");
    assert_eq!(d.count(Counter::CacheOverflow), 0);
    let held_then_sent = d.count(Counter::EventsDelivered) - delivered_before;
    assert!(held_then_sent >= 21 * 50, "the pings of the pause were held and delivered: {held_then_sent}");
    assert!(d.count(Counter::EndpointPauses) >= 3);
}

#[test]
fn a_throttled_session_start_waits_without_spending_its_attempts() {
    let mut d = driver(|c| {
        c.retry.session_start_max_attempts = 1;
        c.fleet.release_window = Duration::ZERO;
    });
    let mut b = Backend::new(
        |r: &Request, _seen: u32, t: u64| {
            if t < 30 * SEC { Answer::Status(503) } else { healthy(r, 0, t) }
        },
    );
    b.retry_after = Some("7".into());
    playing(&mut d);
    run(&mut d, &mut b, MIN);
    let starts: Vec<u64> = b.got.iter().filter(|g| g.event_type == EventType::SessionStart).map(|g| g.t).collect();
    assert_eq!(starts, [0, 7 * SEC, 14 * SEC, 21 * SEC, 28 * SEC, 35 * SEC]);
    assert_eq!(d.count(Counter::SessionNotCreated), 0);
    assert_eq!(d.count(Counter::SessionsStarted), 1);
}

#[test]
fn during_an_outage_a_client_probes_ever_more_rarely_then_resumes_in_order() {
    let mut d = driver(|_| {});
    for id in 20..40 {
        d.core.add_tracker(id, TrackerConfig::default(), Arc::new(TrackerSlot::new()));
    }
    let mut b = Backend::new(
        |r: &Request, _seen: u32, t: u64| {
            if (5 * MIN..25 * MIN).contains(&t) { Answer::Down } else { healthy(r, 0, t) }
        },
    );
    playing(&mut d);
    for id in 20..40 {
        d.call_as(id, start(Some(0)));
        d.call_as(id, Call::Play);
    }
    run(&mut d, &mut b, 30 * MIN);
    let steady = b.requests(MIN, 5 * MIN) as f64 / 4.0;
    let outage = b.requests(5 * MIN, 25 * MIN) as f64 / 20.0;
    assert!(outage <= 0.2 * steady, "outage {outage:.1}/min against steady {steady:.1}/min");
    // After the first failures one probe at a time, the interval doubling from a minute up to
    // the cap (8 min), each ±20 %.
    let probes: Vec<u64> = b.got.iter().filter(|g| g.status == 0).map(|g| g.t).filter(|t| *t > 6 * MIN).collect();
    for (i, w) in probes.windows(2).enumerate() {
        let interval = (MIN << (i + 1)).min(8 * MIN);
        let gap = w[1] - w[0];
        assert!(gap * 10 >= interval * 8 && gap * 10 <= interval * 12, "probe {i}: {gap} ms, {probes:?}");
    }
    assert!(probes.len() >= 3, "{probes:?}");
    // Outage over: every session resumes, nothing given up, per-session order kept.
    assert_eq!(d.count(Counter::RetryExhausted), 0);
    let mut last_ts: HashMap<String, i64> = HashMap::new();
    for s in d.sent.iter().filter(|s| s.path.ends_with("/events")) {
        let ts = s.ts();
        let prev = last_ts.insert(s.path.clone(), ts).unwrap_or(i64::MIN);
        assert!(ts >= prev, "{} out of order", s.path);
    }
    println!("outage: {outage:.2} requests/min against {steady:.1} steady ({:.1} %)", 100.0 * outage / steady);
}

#[test]
fn a_session_silent_past_the_server_expiry_drops_what_it_held_and_restarts() {
    let mut d = driver(|c| c.fleet.session_expiry = Duration::from_secs(600));
    let mut b = Backend::new(
        |r: &Request, _seen: u32, t: u64| {
            if (MIN..16 * MIN).contains(&t) { Answer::Down } else { healthy(r, 0, t) }
        },
    );
    playing(&mut d);
    run(&mut d, &mut b, 40 * MIN);
    let expired = d.count(Counter::SessionExpired);
    assert!(expired >= 55, "the pings held for 10 min were dropped as session_expired: {expired}");
    assert_eq!(d.count(Counter::SessionsResumed), 1);
    // The restart's sessionStart waited for the outage to end, with what the player did since.
    assert!(d.count(Counter::EventsDelivered) >= 6 + 20, "{}", d.count(Counter::EventsDelivered));
    let after: Vec<&Got> = b.got.iter().filter(|g| g.t >= 16 * MIN && g.status != 0).collect();
    assert_eq!(after[0].event_type, EventType::SessionStart, "a new session, not events to the dead one");
    assert!(after.iter().all(|g| g.sid.as_deref() != Some("s1")), "nothing more to the expired session");
    assert!(d.core.pending_events() < 10, "memory freed");
    let dropped: u64 =
        [Counter::SessionExpired, Counter::CacheOverflow, Counter::RetryExhausted].iter().map(|c| d.count(*c)).sum();
    assert_eq!(
        d.count(Counter::HitsGenerated),
        d.count(Counter::EventsDelivered) + dropped + d.core.pending_events() as u64
    );
}

#[test]
fn held_events_stay_under_the_caps_during_a_long_pause_and_overflow_is_counted() {
    let mut d = driver(|c| {
        c.limits.session_queue_cap = 20;
        c.fleet.session_expiry = Duration::from_secs(24 * 3600);
    });
    let mut b = Backend::new(
        |r: &Request, _seen: u32, t: u64| {
            if (MIN..10 * MIN).contains(&t) { Answer::Status(503) } else { healthy(r, 0, t) }
        },
    );
    b.retry_after = Some("300".into());
    playing(&mut d);
    run(&mut d, &mut b, 12 * MIN);
    assert!(d.count(Counter::CacheOverflow) > 20);
    assert_eq!(d.count(Counter::RetryExhausted), 0);
    let accounted =
        d.count(Counter::EventsDelivered) + d.count(Counter::CacheOverflow) + d.core.pending_events() as u64;
    assert_eq!(d.count(Counter::HitsGenerated), accounted);
}

#[test]
fn uploads_pass_the_same_gate_as_sessions() {
    let mut d = driver(|c| {
        c.fleet.release_window = Duration::ZERO;
        c.fleet.drain_ramp = Duration::ZERO;
    });
    let mut b = Backend::new(healthy);
    playing(&mut d);
    run(&mut d, &mut b, 5 * SEC);
    assert!(d.core.may_upload());
    // A downloaded upload answered 429 with Retry-After: 30 pauses the real-time sessions too.
    d.core.upload_started();
    let throttled = Outcome::Http { status: 429, location: None, retry_after: Some("30".into()), body: Vec::new() };
    let now = d.stamp();
    d.core.upload_finished(now, &throttled);
    assert!(!d.core.may_upload(), "no upload inside the pause");
    let before = b.got.len();
    run(&mut d, &mut b, 35 * SEC - 1);
    assert_eq!(b.got.len(), before, "no real-time request inside the pause");
    run(&mut d, &mut b, 40 * SEC);
    assert!(b.got.len() > before, "the sessions go on after it");
    assert_eq!(b.got[before].t, 35 * SEC, "as soon as the pause ends");
    assert!(d.core.may_upload());

    // Network failures of uploads count toward an outage; then an upload may be the probe
    // (here the player is done: nothing real-time could probe).
    d.call(Call::Complete);
    run(&mut d, &mut b, 40 * SEC);
    assert_eq!(d.core.poll_timeout(), None);
    for _ in 0..5 {
        d.core.upload_started();
        let now = d.stamp();
        d.core.upload_finished(now, &Outcome::Network { message: "refused".into(), timed_out: false });
    }
    assert!(!d.core.may_upload(), "outage: wait for the probe interval");
    let probe_at = d.ms(d.core.poll_timeout().unwrap());
    assert!((40 * SEC + 48 * SEC..=40 * SEC + 72 * SEC).contains(&probe_at), "{probe_at}");
    d.t = probe_at;
    d.core.handle_timeout(d.stamp());
    assert!(d.core.may_upload(), "the upload may be the probe");
    d.core.upload_started();
    assert!(d.core.poll_request().is_none(), "one probe at a time");
    let now = d.stamp();
    d.core.upload_finished(now, &Outcome::Http { status: 201, location: None, retry_after: None, body: Vec::new() });
    assert!(d.core.may_upload());
    assert_eq!(d.count(Counter::EndpointPauses), 2);
}

/// The requests the back end answered with `status` from `from` on (ms).
fn times(b: &[Got], from: u64, status: impl Fn(u16) -> bool) -> Vec<u64> {
    b.iter().filter(|g| g.t >= from && status(g.status)).map(|g| g.t).collect()
}

#[test]
fn after_an_outage_the_backlog_drains_paced_over_minutes_not_in_a_burst() {
    // Expiry out of the way: the held pings are the backlog to drain.
    let mut d = driver(|c| c.fleet.session_expiry = Duration::from_secs(24 * 3600));
    let mut b = Backend::new(
        |r: &Request, _seen: u32, t: u64| {
            if (MIN..6 * MIN).contains(&t) { Answer::Down } else { healthy(r, 0, t) }
        },
    );
    playing(&mut d);
    run(&mut d, &mut b, 60 * MIN);
    let sent = times(&b.got, 6 * MIN, |s| s != 0);
    let reopen = sent[0];
    // Two shares (the live session and the backlog): one request per 15 s (±20 %) at first,
    // per 7.5 s after 10 min, or 1.25× the rate the player makes events (a ping per 10 s,
    // averaged over 10 s) when that is faster; never a burst.
    let first_minute = sent.iter().filter(|t| **t < reopen + MIN).count();
    assert!((3..=6).contains(&first_minute), "{first_minute} requests in the first minute after the outage");
    let paced: Vec<u64> = sent.iter().copied().take_while(|t| *t < reopen + 10 * MIN).collect();
    for w in paced.windows(2) {
        assert!(w[1] - w[0] >= 4 * SEC, "a gap of {} ms while draining: {paced:?}", w[1] - w[0]);
    }
    // Everything the outage held arrives, nothing is given up, and pacing ends once drained:
    // the player's pings every 10 s again.
    assert_eq!(d.count(Counter::RetryExhausted), 0);
    assert!(d.core.pending_events() <= 1, "{} still held", d.core.pending_events());
    let late = times(&b.got, 57 * MIN, |s| s != 0);
    assert!((17..=20).contains(&late.len()), "after the drain a ping per 10 s: {late:?}");
    let dropped: u64 = [Counter::SessionExpired, Counter::CacheOverflow].iter().map(|c| d.count(*c)).sum();
    assert_eq!(dropped, 0);
    assert_eq!(d.count(Counter::HitsGenerated), d.count(Counter::EventsDelivered) + d.core.pending_events() as u64);
}

#[test]
fn a_503_while_draining_slows_the_client_down_without_spending_attempts() {
    let mut d = driver(|c| {
        c.fleet.session_expiry = Duration::from_secs(24 * 3600);
        c.retry.event_max_attempts = 2;
    });
    // An outage, then a back end short of capacity (plain 503) for 4 minutes, then healthy.
    let mut b = Backend::new(|r: &Request, _seen: u32, t: u64| match t {
        t if (MIN..6 * MIN).contains(&t) => Answer::Down,
        t if (6 * MIN..10 * MIN).contains(&t) => Answer::Status(503),
        t => healthy(r, 0, t),
    });
    playing(&mut d);
    // The failures before the outage is recognised spend attempts (two per event here).
    run(&mut d, &mut b, 6 * MIN);
    let given_up = d.count(Counter::RetryExhausted);
    run(&mut d, &mut b, 70 * MIN);
    // The probe finds the back end answering (at its backed-off time, late in the 503s); from
    // then each 503 restarts the ramp and the next request waits a starting gap (30 s ±20 %).
    let refused = times(&b.got, 6 * MIN, |s| s == 503);
    assert!(refused.len() >= 2, "{refused:?}");
    for w in refused.windows(2) {
        assert!(w[1] - w[0] >= 24 * SEC, "503s {} ms apart: {refused:?}", w[1] - w[0]);
    }
    // Waiting on the back end's capacity spends no attempt: nothing more given up, the rest
    // delivered.
    assert_eq!(d.count(Counter::RetryExhausted), given_up);
    assert!(d.core.pending_events() <= 1, "{} still held", d.core.pending_events());
    assert_eq!(
        d.count(Counter::HitsGenerated),
        d.count(Counter::EventsDelivered) + given_up + d.core.pending_events() as u64
    );
}
