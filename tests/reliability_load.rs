//! Reliability matrix row L1 (spec/reliability.md §10.3): throughput and concurrency through
//! the C API against the collector.
//!
//! Normal run (reduced scale): 8 threads × 50 trackers, 200 000 API calls (a playhead update
//! each, an event call every 10th), paced below the measured delivery rate. Full scale, as the
//! matrix asks: `MC_L1_FULL=1 cargo test --release --test reliability_load` runs 1 000 000 calls
//! from 32 threads. Both: 0 loss, 0 duplicates, per-session order kept on the wire, p99 call
//! latency under 100 µs; then one unpaced burst whose refusals are exactly `queue_overflow`.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::rel::{key, program};
use mc_collector::{Collector, Options};

#[test]
fn l1_many_threads_no_loss_no_duplicates_order_kept_and_an_exact_overflow_count() {
    let full = matches!(std::env::var("MC_L1_FULL").as_deref(), Ok("1") | Ok("true"));
    let (threads, trackers, calls, burst) =
        if full { ("32", "50", "1000000", "50000") } else { ("8", "50", "200000", "20000") };
    // The latency bound is for the plain build; sanitizers slow every call down several times.
    let p99_ns = match (common::sanitizer(), common::valgrind()) {
        (common::Sanitizer::None, false) => "100000",
        _ => "2000000",
    };
    let collector = Collector::start(Options::default()).expect("collector");
    let exe = program("rel_load", &["-pthread"]);
    let url = collector.base_url();
    let out = common::run_c(
        &exe,
        &[
            ("MC_ENDPOINT", url.as_str()),
            ("MC_L1_THREADS", threads),
            ("MC_L1_TRACKERS", trackers),
            ("MC_L1_CALLS", calls),
            ("MC_L1_BURST", burst),
            ("MC_L1_P99_NS", p99_ns),
        ],
        Duration::from_secs(if full { 1200 } else { 300 }),
    );
    common::assert_c_passed(&out);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let events_called: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("l1-events: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("l1-events");
    let burst_accepted: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("l1-burst: "))
        .and_then(|l| l.split(", ").nth(1))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("l1-burst accepted");

    let sessions = collector.sessions();
    let n_sessions: usize = threads.parse::<usize>().unwrap() * trackers.parse::<usize>().unwrap();
    assert_eq!(sessions.len(), n_sessions + 1, "every tracker's session, plus the burst's");
    let mut ids = HashMap::new();
    let mut player_events = 0usize;
    for s in &sessions {
        let id = s.events[0]["params"]["media.id"].as_str().unwrap_or("?").to_owned();
        assert!(ids.insert(id.clone(), ()).is_none(), "{id}: one session per tracker");
        let k: Vec<(String, f64)> = s.events.iter().map(key).collect();
        if id == "l1-burst" {
            assert_eq!(k.len(), burst_accepted + 3, "the burst: every accepted call delivered once");
            assert!(k[2..k.len() - 1].iter().all(|(t, _)| t == "bitrateChange"));
            continue;
        }
        // sessionStart, play, then pause/play with playheads 1, 2, 3, ... exactly: nothing
        // lost, nothing twice, nothing out of order.
        assert_eq!(k[0].0, "sessionStart", "{id}");
        assert_eq!(k[1], ("play".to_owned(), 0.0), "{id}");
        let body = &k[2..k.len() - 1];
        for (i, (t, ph)) in body.iter().enumerate() {
            let n = i + 1;
            let want = if n % 2 == 1 { "pauseStart" } else { "play" };
            assert!(t == want && *ph == n as f64, "{id}: event {n} is {t}@{ph}, expected {want}@{n}");
        }
        assert_eq!(k.last().map(|(t, _)| t.as_str()), Some("sessionComplete"), "{id}");
        player_events += body.len();
    }
    assert_eq!(player_events, events_called, "the wire holds exactly the event calls made");
    println!("{}", text.lines().filter(|l| l.starts_with("l1")).collect::<Vec<_>>().join("\n"));
}

/// Tracker churn faster than the worker: 6 000 attempts to create a tracker,, started and freed in a tight
/// loop from one thread while the queue overflows. Every tracker whose session reached the
/// collector is removed by the worker (its session ends with sessionEnd), none is left behind
/// when its removal overtakes its own calls (the two travel on different channels), and
/// every refused call is counted. A regression test for a backlog the fuzzer found.
#[test]
fn tracker_churn_leaves_no_tracker_behind() {
    use media_collection::ffi::client::*;
    use media_collection::ffi::tracker::*;
    use media_collection::status::mc_status;

    let collector = Collector::start(Options::default()).expect("collector");
    let endpoint = std::ffi::CString::new(collector.base_url()).unwrap();
    let mut cfg = common::ffi::config(&endpoint);
    cfg.queue_capacity = 64;
    let mut client = 0;
    assert_eq!(mc_client_new(&cfg, &mut client), mc_status::MC_OK);

    let (mut created, mut refused) = (0u64, 0u64);
    for i in 0..6000 {
        let mut t = 0;
        match mc_tracker_new(client, std::ptr::null(), &mut t) {
            mc_status::MC_OK => created += 1,
            mc_status::MC_ERR_QUEUE_FULL => {
                // Let the worker catch up a little, so that most trackers do get in.
                refused += 1;
                std::thread::sleep(Duration::from_micros(200));
                continue;
            }
            s => panic!("mc_tracker_new: {s:?}"),
        }
        let id = std::ffi::CString::new(format!("churn-{i}")).unwrap();
        let m = common::ffi::media(&id, 60.0);
        for s in [mc_track_session_start(t, &m, std::ptr::null(), 0), mc_track_play(t)] {
            assert!(matches!(s, mc_status::MC_OK | mc_status::MC_ERR_QUEUE_FULL), "{s:?}");
            refused += (s == mc_status::MC_ERR_QUEUE_FULL) as u64;
        }
        assert_eq!(mc_tracker_free(t), mc_status::MC_OK);
    }
    let flushed = mc_client_flush(client, 30_000);
    assert!(matches!(flushed, mc_status::MC_OK | mc_status::MC_ERR_DELIVERY), "{flushed:?}");
    let st = common::ffi::stats(client);
    assert_eq!(mc_client_free(client, 2000), mc_status::MC_OK);

    assert_eq!(st.queue_overflow, refused, "every refused call counted");
    let sessions = collector.sessions();
    assert!(created >= 300 && sessions.len() >= 300, "{created} trackers, {} sessions", sessions.len());
    for s in &sessions {
        let last = s.events.last().map(|e| e["eventType"].as_str().unwrap_or("?").to_owned());
        assert_eq!(last.as_deref(), Some("sessionEnd"), "a freed tracker ends its session: {:?}", s.events[0]);
    }
    assert_eq!(st.shut_down, 0, "nothing was left for the shutdown: every tracker was removed before it");
    println!(
        "churn: {created} trackers created, {refused} calls refused, {} sessions delivered, all ended",
        sessions.len()
    );
}

/// The player's thread is never preempted by the worker it wakes: the worker runs in the
/// kernel's batch class (no wake-up preemption), while the thread that created the client keeps
/// its own policy. Its events are still delivered.
#[cfg(target_os = "linux")]
#[test]
fn the_worker_thread_never_preempts_the_player_on_wake_up() {
    use media_collection::ffi::client::*;
    use media_collection::ffi::tracker::*;
    use media_collection::status::mc_status;

    let collector = Collector::start(Options::default()).expect("collector");
    let endpoint = std::ffi::CString::new(collector.base_url()).unwrap();
    let cfg = common::ffi::config(&endpoint);
    let mut client = 0;
    assert_eq!(mc_client_new(&cfg, &mut client), mc_status::MC_OK);

    // Every worker thread of this process (another test of this file may run one too).
    let workers: Vec<libc::pid_t> = std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|tid: &libc::pid_t| {
            std::fs::read_to_string(format!("/proc/self/task/{tid}/comm"))
                .is_ok_and(|c| c.starts_with("media-collecti")) // the kernel keeps 15 bytes
        })
        .collect();
    assert!(!workers.is_empty(), "no thread named media-collection (comm media-collectio)");
    for tid in workers {
        let policy = unsafe { libc::sched_getscheduler(tid) };
        // -1: the thread (another test's client) ended meanwhile.
        assert!(policy == libc::SCHED_BATCH || policy == -1, "worker {tid}: policy {policy}, not SCHED_BATCH");
    }
    assert_eq!(unsafe { libc::sched_getscheduler(0) }, libc::SCHED_OTHER, "the caller's policy changed");

    let mut t = 0;
    assert_eq!(mc_tracker_new(client, std::ptr::null(), &mut t), mc_status::MC_OK);
    let m = common::ffi::media(c"batch-1", 60.0);
    assert_eq!(mc_track_session_start(t, &m, std::ptr::null(), 0), mc_status::MC_OK);
    assert_eq!(mc_track_play(t), mc_status::MC_OK);
    assert_eq!(mc_track_session_end(t), mc_status::MC_OK);
    assert_eq!(mc_tracker_free(t), mc_status::MC_OK);
    assert_eq!(mc_client_free(client, 10_000), mc_status::MC_OK);
    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1);
    let types: Vec<_> = sessions[0].events.iter().map(|e| e["eventType"].as_str().unwrap_or("?")).collect();
    assert_eq!(types, ["sessionStart", "play", "sessionEnd"]);
}
