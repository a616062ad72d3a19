//! Deadlines and timestamps against a worker that wakes late and a wall clock that steps
//! (DESIGN: Time, playhead, retries).

use super::driver::*;
use crate::core::{Call, CoreConfig, LogLevel, Notice};

/// 2026-06-15, a plausible wall clock (ms since the epoch).
const WALL_2026: i64 = 1_781_481_600_000;
const DAY_MS: i64 = 86_400_000;

/// Runs the core as the worker does until `end`, except that every sleep lasts `permille` ‰
/// longer than asked (Linux stretches a `poll` timeout by about 0.1 %).
fn run_waking_late(d: &mut Driver, end: u64, permille: u64) {
    while let Some(next) = d.core.poll_timeout() {
        let due = d.ms(next).max(d.t);
        let wake = due + ((due - d.t) * permille).div_ceil(1000);
        if wake > end {
            break;
        }
        d.t = wake;
        d.core.handle_timeout(d.stamp());
        d.pump();
    }
    d.t = end;
}

fn ping_ts(d: &Driver) -> Vec<i64> {
    d.sent.iter().filter(|s| s.event_type() == "ping").map(|s| s.ts()).collect()
}

#[test]
fn pings_stay_on_their_due_instants_for_an_hour_when_the_worker_wakes_late() {
    let c = CoreConfig { identity: identity(), ..CoreConfig::default() };
    let gap = c.timing.min_ts_gap.as_millis() as i64;
    let mut d = Driver::new(c);
    d.calls([start(Some(0)), Call::Play]);
    run_waking_late(&mut d, 3_600_000 + 1_500, 1);
    // The content-start play is due 1 s after play; the pings every 10 s after it.
    let pings = ping_ts(&d);
    let worst = pings.iter().enumerate().map(|(i, ts)| (ts - (1000 + (i as i64 + 1) * 10_000)).abs()).max();
    println!("ping lateness after an hour of 10 s pings, worker waking 0.1 % late: worst {worst:?} ms");
    let content_start = &d.sent[2];
    assert_eq!((content_start.event_type(), content_start.ts()), ("play", 1000));
    assert_eq!(pings.len(), 360, "one ping per 10 s for an hour");
    assert!(worst.unwrap() <= 2 + gap, "pings drift: worst {worst:?} ms");
    // The worker did wake late: the hits are on time, not the wake-ups.
    assert!(d.sent.iter().any(|s| s.event_type() == "ping" && s.at as i64 > s.ts()));
}

#[test]
fn other_deadline_hits_are_stamped_at_their_due_instant() {
    // Idle end: paused at 5 s, the 30 min idle timeout ends the session at 5 s + 30 min
    // exactly, though the worker wakes late.
    let mut d = Driver::adobe();
    d.calls([start(Some(0)), Call::Play]);
    d.advance(5_000);
    d.call(Call::Pause);
    run_waking_late(&mut d, 40 * 60_000, 1);
    let end = d.sent.iter().find(|s| s.event_type() == "sessionEnd").expect("idle sessionEnd");
    assert_eq!(end.ts(), 5_000 + 30 * 60_000);
    assert!(end.at as i64 > end.ts(), "the wake-up was late, the hit is not");
    // Pre-roll release: the held play replays with its own ts, and the content-start play that
    // follows is timed from it, not from the late wake-up.
    let mut d = Driver::adobe();
    d.calls([start(None), Call::Play]);
    d.t = 300;
    d.core.handle_timeout(d.stamp());
    d.pump();
    d.t = 1_300;
    d.core.handle_timeout(d.stamp());
    d.pump();
    assert_hits(&d, &[("sessionStart", 0.0, 0), ("play", 0.0, 0), ("play", 0.0, 1_000)]);
}

#[test]
fn after_a_suspend_one_ping_is_sent_and_the_schedule_restarts_from_it() {
    let mut d = Driver::adobe();
    d.calls([start(Some(0)), Call::Play]);
    d.advance(21_000);
    assert_eq!(ping_ts(&d), [11_000, 21_000]);
    // The device sleeps through nine deadlines; the monotonic clock jumps 95 s.
    d.t = 116_000;
    d.core.handle_timeout(d.stamp());
    d.pump();
    assert_eq!(ping_ts(&d), [11_000, 21_000, 116_000], "one ping, at the wake-up, no catch-up burst");
    d.advance(20_000);
    assert_eq!(ping_ts(&d), [11_000, 21_000, 116_000, 126_000, 136_000]);
}

/// Every hit of the session after `from` is spaced from the previous one exactly as the
/// monotonic clock moved (the driver records the fake monotonic time of each hit).
#[track_caller]
fn assert_ts_follow_the_monotonic_clock(d: &Driver, from: usize) {
    for w in d.sent[from..].windows(2) {
        let (a, b) = (&w[0], &w[1]);
        assert_eq!(
            b.ts() - a.ts(),
            b.at as i64 - a.at as i64,
            "{} at {} (ts {}) -> {} at {} (ts {})",
            a.event_type(),
            a.at,
            a.ts(),
            b.event_type(),
            b.at,
            b.ts()
        );
    }
}

#[test]
fn a_wall_clock_step_back_keeps_the_ts_spacing_until_the_next_session() {
    let mut d = Driver::adobe();
    d.wall_offset = WALL_2026 + DAY_MS;
    d.calls([start(Some(0)), Call::Play]);
    d.advance(5_000);
    // NTP corrects a box that ran a day ahead. Then 24 calls over 11 s.
    d.wall_offset -= DAY_MS;
    let before = d.sent.len();
    for i in 0..24 {
        d.call(if i % 2 == 0 { Call::Pause } else { Call::Play });
        d.advance(458);
    }
    assert_eq!(d.sent.len() - before, 24);
    assert_ts_follow_the_monotonic_clock(&d, 0);
    let spacing: Vec<i64> = d.sent[before..].windows(2).map(|w| w[1].ts() - w[0].ts()).collect();
    println!("ts spacing after a one-day step back, calls 458 ms apart: {spacing:?}");
    // The session keeps its anchor; the next one takes the corrected wall clock.
    d.call(Call::Complete);
    d.advance(1_000);
    d.call(start(Some(0)));
    assert_eq!(d.last().event_type(), "sessionStart");
    assert_eq!(d.last().ts(), d.t as i64 + WALL_2026);
}

#[test]
fn a_session_begun_on_a_1970_clock_is_re_anchored_once() {
    // A set-top box boots in 1970 and NTP steps it to 2026 two seconds into the session.
    let mut d = Driver::adobe();
    d.calls([start(Some(0)), Call::Play]);
    assert_eq!(d.last().ts(), 0);
    d.advance(2_000);
    d.notices();
    d.wall_offset = WALL_2026;
    d.call(Call::Pause);
    assert_eq!(d.last().ts(), WALL_2026 + 2_000, "re-anchored to the wall clock");
    let logs = d.notices();
    assert!(
        logs.iter()
            .any(|n| matches!(n, Notice::Log { level: LogLevel::Info, message } if message.contains("re-anchored"))),
        "{logs:?}"
    );
    let anchored = d.sent.len() - 1;
    // Once only: a later correction within the session does not move the ts again.
    d.advance(3_000);
    d.wall_offset -= 5 * 60_000;
    d.call(Call::Play);
    d.advance(12_000);
    assert_ts_follow_the_monotonic_clock(&d, anchored);
    assert!(d.sent.len() - anchored >= 3);
}
