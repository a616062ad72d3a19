//! Reliability matrix rows F1, F2, F3, F6, F7, F8 and D3 (spec/reliability.md §10.3): the retry
//! table of DESIGN.md proven end to end. Each test starts the collector, scripts its faults,
//! runs the C player `tests/c/rel_player.c` with short time knobs, and asserts on what the
//! collector received (tests/c/README.md).
//!
//! Scales: the production knobs are minutes; here they are shrunk by the factor each test
//! states ("1:10" = every duration a tenth of the production one), so the whole file runs in
//! well under a minute.

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::rel::{assert_fifo, body, expected_session, key, keys, player, program, run_player, session_for, stats};
use mc_collector::{Collector, Endpoint, Fault, FaultKind, Options, RequestRecord};

fn status_fault(endpoint: Endpoint, status: u16, headers: &[(&str, &str)], times: Option<u32>) -> Fault {
    Fault {
        endpoint,
        kind: FaultKind::Status {
            status,
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            body: None,
        },
        times,
        share: None,
        after_events: None,
        lasts: None,
    }
}

fn event_requests(requests: &[RequestRecord]) -> Vec<&RequestRecord> {
    requests.iter().filter(|r| r.path.ends_with("/events")).collect()
}

/// F1, at 1:10: the events endpoint answers 503 for 3 s (30 s), then heals. Backoff 50 ms × 2ⁿ
/// capped at 800 ms (500 ms / 8 s), 10 attempts per event (~4.8 s here). Two sessions keep playing through
/// the outage. Everything arrives, once, in order; no later event of a session is sent while
/// an earlier one is retried; the outage costs each session at most 8 requests (no hot loop).
#[test]
fn f1_outage_delivers_everything_in_order_without_a_hot_loop() {
    let collector = Collector::start(Options::default()).expect("collector");
    collector.add_fault(status_fault(Endpoint::Events, 503, &[], None));
    let exe = player();
    let url = collector.base_url();
    let steps = 8usize;
    let n_events = 2 * (steps + 3);
    let expect = format!("events_delivered={n_events},retry_exhausted=0,cache_overflow=0,sessions_started=2");
    let child = std::thread::spawn(move || {
        run_player(
            &exe,
            &url,
            &[
                ("MC_TRACKERS", "2"),
                ("MC_STEPS", "8"),
                ("MC_GAP_MS", "250"),
                ("MC_RETRY_BASE_MS", "50"),
                ("MC_RETRY_CAP_MS", "800"),
                ("MC_EVENT_ATTEMPTS", "10"),
                ("MC_EXPECT", &expect),
            ],
            Duration::from_secs(60),
        )
    });
    assert!(
        collector.wait_until(Duration::from_secs(10), |c| c.requests().iter().any(|r| r.status == 503)),
        "the outage began"
    );
    let outage_start = collector.now_ms();
    std::thread::sleep(Duration::from_secs(3));
    collector.clear_faults();
    let healed = collector.now_ms();
    let out = child.join().expect("player thread");
    let st = stats(&out);

    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 2);
    let requests = collector.requests();
    let expected = expected_session(steps);
    for id in ["rel-0", "rel-1"] {
        let s = session_for(&sessions, id);
        assert_eq!(keys(&s.events), expected, "{id}: every event once, in call order");
        let tries = assert_fifo(&requests, &s.sid, &expected[1..]);
        let failed: usize =
            requests.iter().filter(|r| r.sid.as_deref() == Some(s.sid.as_str()) && r.status == 503).count();
        assert!(failed >= 2, "{id}: the outage was seen ({failed} failures)");
        assert!(failed <= 8, "{id}: {failed} failed requests in a 3 s outage: a hot loop");
        println!("F1 {id}: tries per event {tries:?}, {failed} failed requests over {} ms", healed - outage_start);
    }
    assert_eq!(st["retries"] as usize, requests.iter().filter(|r| r.status == 503).count());
}

/// F2, at 1:300: the outage (15 min → 3 s, plain 503s: the server answers, so no outage
/// probing) is far beyond what an event's 10 attempts cover (backoff 500 ms / 8 s → 5 ms /
/// 30 ms: ~0.2 s). Events that used their attempts are given up and
/// counted `retry_exhausted`; the session goes on; nothing is held beyond the caps; once the
/// server heals, the next event gets through within a step of the player (10 s → well under 1 s).
#[test]
fn f2_outage_beyond_the_budget_gives_up_counts_and_recovers() {
    let collector = Collector::start(Options::default()).expect("collector");
    collector.add_fault(status_fault(Endpoint::Events, 503, &[], None));
    let exe = player();
    let url = collector.base_url();
    let steps = 16usize;
    let child = std::thread::spawn(move || {
        run_player(
            &exe,
            &url,
            &[
                ("MC_STEPS", "16"),
                ("MC_GAP_MS", "250"),
                ("MC_RETRY_BASE_MS", "5"),
                ("MC_RETRY_CAP_MS", "30"),
                ("MC_EVENT_ATTEMPTS", "10"),
                ("MC_SESSION_QUEUE_CAP", "8"),
                ("MC_GLOBAL_CAP", "16"),
                ("MC_EXPECT_FLUSH", "MC_ERR_DELIVERY"),
                ("MC_EXPECT", "retry_exhausted>=6,cache_overflow=0,session_not_created=0"),
            ],
            Duration::from_secs(60),
        )
    });
    assert!(collector.wait_until(Duration::from_secs(10), |c| c.requests().iter().any(|r| r.status == 503)));
    std::thread::sleep(Duration::from_secs(3));
    collector.clear_faults();
    let healed = collector.now_ms();
    let out = child.join().expect("player thread");
    let st = stats(&out);

    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    let expected = expected_session(steps);
    let got = keys(&s.events);
    // What arrived is the calls in order, less the ones given up; nothing twice.
    let mut it = expected.iter();
    for k in &got {
        assert!(it.any(|e| e == k), "{k:?} out of order or duplicated in {got:?}");
    }
    let delivered_events = got.len() as u64;
    assert_eq!(st["events_delivered"], delivered_events, "the counters match the wire");
    assert_eq!(
        st["events_delivered"] + st["retry_exhausted"],
        expected.len() as u64,
        "every event is either delivered or counted: {st:?}"
    );
    // Recovery: the first event request after the heal succeeds, within one player step
    // (250 ms) plus a capped backoff (30 ms) plus slack.
    let requests = collector.requests();
    let after: Vec<_> = event_requests(&requests).into_iter().filter(|r| r.at_ms >= healed).collect();
    // A request the collector had already answered by the fault list while the faults were
    // being cleared may carry a stamp just after `healed`: at most one such 503, then 204s.
    let first = after.iter().find(|r| r.status == 204).expect("a delivered request after the heal");
    let late_503 = after.iter().take_while(|r| r.status != 204).count();
    assert!(late_503 <= 1, "{late_503} requests failed after the heal");
    assert!(after.iter().skip_while(|r| r.status != 204).all(|r| r.status == 204), "healed for good");
    assert!(first.at_ms - healed <= 600, "recovered {} ms after the heal", first.at_ms - healed);
    println!(
        "F2: given up {}, delivered {delivered_events}, recovered in {} ms",
        st["retry_exhausted"],
        first.at_ms - healed
    );
}

/// F3, at 1:10 (Retry-After 20 s → 2 s; the 300 s clamp → a configured 2.5 s). One event meets
/// four 429s in a row: `Retry-After: 2` (seconds), an HTTP date, `999999` (clamped), and
/// `soon` (garbage: treated as no header, so the ordinary 100 ms backoff applies). No retry
/// comes before the time asked (tolerance −0 / +1 s), and the session's later events wait.
#[test]
fn f3_retry_after_in_seconds_as_a_date_clamped_and_garbage() {
    let collector = Collector::start(Options::default()).expect("collector");
    collector.add_fault(status_fault(Endpoint::Events, 429, &[("Retry-After", "2")], Some(1)));
    let exe = player();
    let url = collector.base_url();
    let steps = 4usize;
    let child = std::thread::spawn(move || {
        run_player(
            &exe,
            &url,
            &[
                ("MC_STEPS", "4"),
                ("MC_GAP_MS", "100"),
                ("MC_RETRY_BASE_MS", "100"),
                ("MC_RETRY_CAP_MS", "400"),
                ("MC_EVENT_ATTEMPTS", "2"),
                ("MC_RETRY_AFTER_CAP_MS", "2500"),
                // No release jitter, so the probe after each pause goes when the pause ends.
                ("MC_RELEASE_MS", "0"),
                ("MC_EXPECT", "retry_exhausted=0,retries=4"),
            ],
            Duration::from_secs(60),
        )
    });
    // The HTTP date must be in the future when the second 429 goes out (about 2 s after the
    // first), so it is made once the first 429 was answered.
    assert!(collector.wait_until(Duration::from_secs(10), |c| c.requests().iter().any(|r| r.status == 429)));
    let wall_ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64;
    let date_ms = (wall_ms + 4_000) / 1000 * 1000;
    let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(date_ms as u64));
    collector.add_fault(status_fault(Endpoint::Events, 429, &[("Retry-After", &date)], Some(1)));
    collector.add_fault(status_fault(Endpoint::Events, 429, &[("Retry-After", "999999")], Some(1)));
    collector.add_fault(status_fault(Endpoint::Events, 429, &[("Retry-After", "soon")], Some(1)));
    let out = child.join().expect("player thread");
    let _ = stats(&out);

    let s = &collector.sessions()[0];
    assert_eq!(keys(&s.events), expected_session(steps));
    let requests = collector.requests();
    let tries = assert_fifo(&requests, &s.sid, &expected_session(steps)[1..]);
    assert_eq!(tries[0], 5, "the first event: four 429s, then delivered");
    let ev = event_requests(&requests);
    let gaps: Vec<i64> = ev.windows(2).take(4).map(|w| w[1].at_ms - w[0].at_ms).collect();
    println!("F3: gaps after each 429: {gaps:?} (date {date})");
    assert!((2000..=3000).contains(&gaps[0]), "Retry-After: 2 → {} ms", gaps[0]);
    let second_retry_at = ev[2].at_ms;
    assert!(
        (date_ms..=date_ms + 1000).contains(&second_retry_at),
        "Retry-After: {date} → retried at {} ms, {} ms from the date",
        second_retry_at,
        second_retry_at - date_ms
    );
    assert!((2500..=3500).contains(&gaps[2]), "Retry-After: 999999 clamped to 2.5 s → {} ms", gaps[2]);
    assert!((80..=1000).contains(&gaps[3]), "garbage Retry-After → ordinary backoff, {} ms", gaps[3]);
}

/// F6: sessionStart fails twice with 503, then gets a 201 without `Location` (retryable, as
/// Adobe's SDK treats it), then succeeds; meanwhile the player goes on. The held events go out
/// after the session id, in call order, none lost. Scale 1:10 for the backoff (50 ms base).
#[test]
fn f6_session_bootstrap_retries_and_holds_the_events() {
    let collector = Collector::start(Options::default()).expect("collector");
    collector.add_fault(status_fault(Endpoint::Sessions, 503, &[], Some(2)));
    collector.add_fault(status_fault(Endpoint::Sessions, 201, &[], Some(1)));
    let steps = 6usize;
    let out = run_player(
        &player(),
        &collector.base_url(),
        &[
            ("MC_STEPS", "6"),
            ("MC_GAP_MS", "30"),
            ("MC_RETRY_BASE_MS", "50"),
            ("MC_RETRY_CAP_MS", "800"),
            ("MC_EXPECT", "sessions_started=1,retries=3,session_not_created=0,events_delivered=9"),
        ],
        Duration::from_secs(60),
    );
    let _ = stats(&out);
    let requests = collector.requests();
    let starts: Vec<_> = requests.iter().filter(|r| r.path == "/api/v1/sessions").collect();
    assert_eq!(starts.iter().map(|r| r.status).collect::<Vec<_>>(), [503, 503, 201, 201]);
    assert!(starts[2].fault.is_some() && starts[3].fault.is_none(), "the third 201 lacked Location");
    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(keys(&sessions[0].events), expected_session(steps));
    let first_event = event_requests(&requests).first().map(|r| r.at_ms).expect("events");
    assert!(first_event >= starts[3].at_ms, "no event before the session id");
}

/// F7 (404 variant; the 410 one is tests/c_rules.rs `a_410_mid_session_resumes_with_its_context`):
/// the back end forgets the session. A new, resumed session is created; the events that follow
/// go to the new sid; `session_gone` counts the one event the 404 cost.
#[test]
fn f7_a_404_restarts_the_session_and_later_events_follow_the_new_sid() {
    let collector = Collector::start(Options::default()).expect("collector");
    collector.add_fault(status_fault(Endpoint::Events, 404, &[], Some(1)));
    let steps = 4usize;
    let out = run_player(
        &player(),
        &collector.base_url(),
        &[
            ("MC_STEPS", "4"),
            ("MC_GAP_MS", "200"),
            ("MC_RESTART_DELAY_MS", "50"),
            ("MC_EXPECT_FLUSH", "MC_ERR_DELIVERY"),
            ("MC_EXPECT", "session_gone=1,sessions_started=2,sessions_resumed=1"),
        ],
        Duration::from_secs(60),
    );
    let _ = stats(&out);
    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 2, "the original and the resumed session");
    assert_eq!(keys(&sessions[0].events), [("sessionStart".to_owned(), 0.0)]);
    let resumed = &sessions[1].events;
    assert_eq!(resumed[0]["eventType"], "sessionStart");
    assert_eq!(resumed[0]["params"]["media.resume"], true);
    // Every call after the 404 lands in the new session, in order.
    let tail: Vec<_> = keys(resumed).into_iter().filter(|(_, ph)| *ph >= 1.0).collect();
    assert_eq!(tail, expected_session(steps)[2..].to_vec());
}

/// F8: one event answered 400 is dropped and counted `rejected_400`, never sent again; the
/// session goes on and every later event is delivered in order.
#[test]
fn f8_a_400_is_dropped_counted_and_never_retried() {
    let collector = Collector::start(Options::default()).expect("collector");
    collector.add_fault(status_fault(Endpoint::Events, 400, &[], Some(1)));
    let steps = 4usize;
    let out = run_player(
        &player(),
        &collector.base_url(),
        &[
            ("MC_STEPS", "4"),
            ("MC_GAP_MS", "50"),
            ("MC_RETRY_BASE_MS", "20"),
            ("MC_EXPECT_FLUSH", "MC_ERR_DELIVERY"),
            ("MC_EXPECT", "rejected_400=1,retries=0"),
            ("MC_EXPECT_DROPPED", "rejected_400=1"),
        ],
        Duration::from_secs(60),
    );
    let _ = stats(&out);
    let requests = collector.requests();
    let rejected: Vec<_> = requests.iter().filter(|r| r.status == 400).collect();
    assert_eq!(rejected.len(), 1);
    let dropped = key(&body(rejected[0]));
    assert_eq!(dropped, ("play".to_owned(), 0.0), "the first event met the 400");
    let same = requests.iter().filter(|r| r.path.ends_with("/events") && key(&body(r)) == dropped).count();
    assert_eq!(same, 1, "the 400 request was never sent again");
    let mut expected = expected_session(steps);
    expected.remove(1);
    assert_eq!(keys(&collector.sessions()[0].events), expected);
}

/// D3: the wall clock steps by ±1 day while an event backs off. Backoff runs on the monotonic
/// clock, so the retry comes when its backoff ends (300 ms ± 20 %), not a day early or late;
/// the step is counted (`clock_jumps`); within the session the ts keep the monotonic spacing
/// either way (the next session takes the new wall clock), so they never run backward.
/// The step comes from a clock_gettime shim built into the program (-DREL_CLOCK_SHIM).
#[test]
fn d3_a_wall_clock_jump_during_backoff_neither_stalls_nor_hurries_the_retry() {
    for jump in [86_400_000i64, -86_400_000] {
        let collector = Collector::start(Options::default()).expect("collector");
        collector.add_fault(status_fault(Endpoint::Events, 503, &[], Some(1)));
        let exe = program("rel_player", &["-DREL_CLOCK_SHIM"]);
        let jump_s = jump.to_string();
        let started = Instant::now();
        let out = run_player(
            &exe,
            &collector.base_url(),
            &[
                ("MC_STEPS", "3"),
                ("MC_GAP_MS", "100"),
                ("MC_RETRY_BASE_MS", "300"),
                ("MC_RETRY_CAP_MS", "300"),
                ("MC_JUMP_AT_STEP", "1"),
                ("MC_JUMP_MS", &jump_s),
                ("MC_EXPECT", "clock_jumps=1,retries=1,retry_exhausted=0"),
            ],
            Duration::from_secs(30),
        );
        let _ = stats(&out);
        assert!(started.elapsed() < Duration::from_secs(10));
        let requests = collector.requests();
        let ev = event_requests(&requests);
        assert_eq!(ev[0].status, 503);
        let gap = ev[1].at_ms - ev[0].at_ms;
        assert!((240..=600).contains(&gap), "jump {jump}: retry {gap} ms after the 503 (backoff 300 ms ± 20 %)");
        let s = &collector.sessions()[0];
        assert_eq!(keys(&s.events), expected_session(3));
        let ts = |i: usize| s.events[i]["playerTime"]["ts"].as_i64().unwrap();
        let moved = ts(s.events.len() - 1) - ts(0);
        // Either way the session's ts move as the monotonic clock did (a few hundred ms), not
        // by the step.
        assert!((0..5_000).contains(&moved), "jump {jump}: ts moved by {moved} ms across the session");
        assert!((1..s.events.len()).all(|i| ts(i) > ts(i - 1)), "jump {jump}: ts strictly increasing");
        println!("D3 jump {jump} ms: retry after {gap} ms, ts moved {moved} ms");
    }
}
