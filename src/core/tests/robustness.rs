//! Calls in any order, odd values, random server answers and clock jumps: the core never
//! panics, never leaves a due deadline behind, and accounts for every hit (delivered, dropped
//! by reason, or still pending).

use std::sync::Arc;
use std::time::Duration;

use super::driver::*;
use crate::core::backoff::XorShift;
use crate::core::{
    AdBreakInfo, AdInfo, Call, ChapterInfo, CoreConfig, ErrorSource, Outcome, Qoe, Request, TrackerConfig, TrackerSlot,
};
use crate::stats::Counter;

struct Rng(XorShift);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        ((self.0.next_signed_unit() + 1.0) / 2.0 * n as f64) as u64 % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn random_call(r: &mut Rng) -> Call {
    let names = ["mute", "fullscreen", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "bad name", ""];
    match r.below(26) {
        0 | 1 => {
            let mut m = media(match r.below(3) {
                0 => None,
                1 => Some(0),
                _ => Some(300),
            });
            m.granular_ad_tracking = r.chance(50);
            if r.chance(5) {
                m.id.clear();
            }
            if r.chance(5) {
                m.initial_playhead = f64::NAN;
            }
            start_with(m)
        }
        2 | 3 => Call::Play,
        4 => Call::Pause,
        5 => Call::Complete,
        6 => Call::SessionEnd,
        7 => Call::Error { id: if r.chance(20) { "".into() } else { "e".into() }, source: ErrorSource::External },
        8 => Call::BufferStart,
        9 => Call::BufferComplete,
        10 => Call::SeekStart,
        11 => Call::SeekComplete,
        12 => {
            [b1(), b2(), Call::AdBreakStart(Box::new(AdBreakInfo { name: "".into(), position: 0, start_time: -1.0 }))]
                [r.below(3) as usize]
                .clone()
        }
        13 => Call::AdBreakComplete,
        14 => [
            a1(),
            a2(),
            Call::AdStart {
                ad: Box::new(AdInfo { id: "x".into(), name: "y".into(), position: 3, length: f64::INFINITY }),
                metadata: vec![("bad key!".into(), "v".into())],
            },
        ][r.below(3) as usize]
            .clone(),
        15 => Call::AdComplete,
        16 => Call::AdSkip,
        17 => [
            c1(),
            c2(),
            Call::ChapterStart {
                chapter: Box::new(ChapterInfo { name: "z".into(), position: 1, start_time: f64::NAN, length: 1.0 }),
                metadata: vec![],
            },
        ][r.below(3) as usize]
            .clone(),
        18 => Call::ChapterComplete,
        19 => Call::ChapterSkip,
        20 => Call::BitrateChange,
        21 | 22 => Call::StateStart(names[r.below(names.len() as u64) as usize].into()),
        23 | 24 => Call::StateEnd(names[r.below(names.len() as u64) as usize].into()),
        _ => Call::Play,
    }
}

fn random_outcome(r: &mut Rng, req: &Request) -> Outcome {
    let http = |status: u16, location: Option<&str>, retry_after: Option<&str>| Outcome::Http {
        status,
        location: location.map(str::to_owned),
        retry_after: retry_after.map(str::to_owned),
        body: Vec::new(),
    };
    let created = if req.path == "/api/v1/sessions" { Some("/api/v1/sessions/ok") } else { None };
    match r.below(20) {
        0 => http(201, None, None),
        1 => http(201, Some("junk"), None),
        2 => http(400, None, None),
        3 => http(404, None, None),
        4 => http(410, None, None),
        5 => http(429, None, Some("2")),
        6 => http(503, None, Some("Wed, 21 Oct 2015 07:28:00 GMT")),
        7 => http(500, None, Some("garbage")),
        8 => Outcome::Network { message: "reset".into(), timed_out: r.chance(50) },
        9 => Outcome::Aborted,
        10 => http(302, None, None),
        _ => http(if created.is_some() { 201 } else { 204 }, created, None),
    }
}

fn drops(d: &Driver) -> u64 {
    [
        Counter::CacheOverflow,
        Counter::SessionNotCreated,
        Counter::Rejected400,
        Counter::SessionGone,
        Counter::RetryExhausted,
        Counter::ShutDown,
        Counter::RestartBudgetExhausted,
        Counter::SessionExpired,
    ]
    .iter()
    .map(|c| d.count(*c))
    .sum()
}

#[track_caller]
fn assert_accounted(d: &Driver) {
    let generated = d.count(Counter::HitsGenerated);
    let accounted = d.count(Counter::EventsDelivered) + drops(d) + d.core.pending_events() as u64;
    assert_eq!(generated, accounted, "every hit is delivered, dropped by reason, or pending");
    if d.core.pending_events() > 0 {
        assert!(!d.core.is_drained());
    }
}

fn run(seed: u64, steps: usize) {
    let mut r = Rng(XorShift::new(seed));
    let mut c = CoreConfig { identity: identity(), ..CoreConfig::default() };
    c.limits.session_queue_cap = 20;
    c.limits.global_pending_cap = 50;
    c.retry.event_max_attempts = 4;
    // Short fleet scales, so restarts, pauses, probes and expiry all happen within a run.
    c.fleet.restart_delay = Duration::from_millis(500);
    c.fleet.restart_backoff_cap = Duration::from_secs(4);
    c.fleet.outage_probe_interval = Duration::from_secs(2);
    c.fleet.release_window = Duration::from_millis(300);
    c.fleet.session_expiry = Duration::from_secs(20);
    let mut d = Driver::new(c);
    d.auto = false;
    d.core.add_tracker(8, TrackerConfig::default(), Arc::new(TrackerSlot::new()));
    let mut in_flight: Vec<Request> = Vec::new();
    for _ in 0..steps {
        match r.below(100) {
            0..=39 => {
                let tracker = if r.chance(70) { TRACKER } else { 8 };
                d.call_as(tracker, random_call(&mut r));
            }
            40..=54 => {
                d.t += match r.below(100) {
                    0..=1 => 31 * 60 * 1000,
                    2 => 25 * 3600 * 1000,
                    _ => r.below(3000),
                };
                d.core.handle_timeout(d.stamp());
                if let Some(next) = d.core.poll_timeout() {
                    assert!(next > d.stamp().mono, "a due deadline was left behind");
                }
            }
            55..=64 => in_flight.extend(d.poll_all()),
            65..=79 if !in_flight.is_empty() => {
                let req = in_flight.swap_remove(r.below(in_flight.len() as u64) as usize);
                let outcome = random_outcome(&mut r, &req);
                d.respond(req.id, outcome);
            }
            80..=84 => {
                let p = [d.slot.playhead() + 1.0, f64::NAN, -3.0, f64::INFINITY, 1e300][r.below(5) as usize];
                d.slot.set_playhead(p);
            }
            85..=87 => {
                let v = [1.0, 23.5, f64::NAN, -1.0, f64::MAX][r.below(5) as usize];
                d.slot.set_qoe(Qoe { bitrate: v, dropped_frames: v, fps: v, startup_time: v });
            }
            88 => {
                d.core.remove_tracker(8, d.stamp());
                d.core.add_tracker(8, TrackerConfig::default(), Arc::new(TrackerSlot::new()));
            }
            _ => {
                d.notices();
            }
        }
        assert_accounted(&d);
        d.core.check_indexes();
    }
    // Everything ends and drains once the server answers.
    d.core.remove_tracker(TRACKER, d.stamp());
    d.core.remove_tracker(8, d.stamp());
    for _ in 0..10_000 {
        for req in in_flight.drain(..).chain(d.poll_all()) {
            let ok = if req.path == "/api/v1/sessions" {
                Outcome::Http {
                    status: 201,
                    location: Some("/api/v1/sessions/s".into()),
                    retry_after: None,
                    body: Vec::new(),
                }
            } else {
                Outcome::Http { status: 204, location: None, retry_after: None, body: Vec::new() }
            };
            d.respond(req.id, ok);
        }
        if d.core.is_drained() {
            break;
        }
        match d.core.poll_timeout() {
            Some(next) => {
                d.t = d.t.max(d.ms(next));
                d.core.handle_timeout(d.stamp());
            }
            None => in_flight.extend(d.poll_all()),
        }
    }
    assert!(d.core.is_drained(), "seed {seed}: not drained: {}", d.core.debug_state());
    assert_eq!(d.core.poll_timeout(), None);
    assert_accounted(&d);
    d.core.check_indexes();
    assert_eq!(d.core.shut_down(), 0);
    d.core.check_indexes();
}

#[test]
fn random_sequences_never_panic_and_lose_nothing_silently() {
    for seed in 1..=24 {
        run(seed, 3000);
    }
}

#[test]
fn shut_down_midway_accounts_for_everything() {
    let mut r = Rng(XorShift::new(99));
    let mut d = Driver::adobe();
    d.auto = false;
    for _ in 0..500 {
        d.call(random_call(&mut r));
        d.t += r.below(2000);
        d.core.handle_timeout(d.stamp());
        d.core.check_indexes();
    }
    let _ = d.poll_all();
    let n = d.core.shut_down();
    d.core.check_indexes();
    assert_eq!(d.count(Counter::ShutDown), n);
    // Hits after the shutdown are dropped and counted too.
    d.calls([start(Some(0)), Call::Play]);
    assert_accounted(&d);
    assert_eq!(d.core.pending_events(), 0);
}
