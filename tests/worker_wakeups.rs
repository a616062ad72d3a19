//! What an event call costs the worker in wake-ups, counted as the worker thread's voluntary
//! context switches (each one is the worker going back to sleep), with what the collector
//! received as the check that nothing was lost on the way.

use std::ffi::CString;
use std::time::{Duration, Instant};

use mc_collector::{Collector, Endpoint, Fault, FaultKind, Options};
use media_collection::ffi::client::*;
use media_collection::ffi::tracker::*;
use media_collection::ffi::types::*;
use media_collection::status::mc_status;

/// The library's worker thread of this process ("media-collection", cut to 15 bytes).
fn worker_tid() -> u32 {
    let tasks = std::fs::read_dir("/proc/self/task").expect("/proc/self/task");
    tasks
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|tid| {
            std::fs::read_to_string(format!("/proc/self/task/{tid}/comm")).is_ok_and(|c| c.trim() == "media-collectio")
        })
        .expect("the worker thread")
}

fn sleeps(tid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/self/task/{tid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("voluntary_ctxt_switches")
}

/// While a tracker's request is on the wire (the collector holds every answer 150 ms), its
/// further calls are queued without waking the worker: the response wakes it, and it then sends
/// them in order. A call on a tracker with nothing on the wire still wakes it at once.
#[test]
fn calls_behind_a_request_on_the_wire_do_not_wake_the_worker_and_all_arrive_in_order() {
    let collector = Collector::start(Options::default()).expect("collector");
    collector.add_fault(Fault {
        endpoint: Endpoint::Any,
        kind: FaultKind::Delay(Duration::from_millis(150)),
        times: None,
        share: None,
        after_events: None,
        lasts: None,
    });
    let endpoint = CString::new(collector.base_url()).unwrap();
    let mut cfg = mc_client_config::defaults();
    cfg.endpoint = endpoint.as_ptr();
    cfg.tracking_server = c"wake.sc.omtrdc.net".as_ptr();
    cfg.report_suite = c"wake-rsid".as_ptr();
    cfg.org_id = c"WAKE@AdobeOrg".as_ptr();
    cfg.player_name = c"wake-test".as_ptr();
    cfg.preroll_window_ms = 0;
    cfg.ping_interval_ms = 600_000;
    cfg.content_start_delay_ms = 600_000;
    let mut client = 0;
    assert_eq!(mc_client_new(&cfg, &mut client), mc_status::MC_OK);
    let mut tracker = 0;
    assert_eq!(mc_tracker_new(client, std::ptr::null(), &mut tracker), mc_status::MC_OK);
    let mut media = mc_media_info::defaults();
    media.id = c"wake-1".as_ptr();
    media.name = c"Wake-ups".as_ptr();
    media.content_type = c"vod".as_ptr();
    media.length = 60.0;
    let worker = worker_tid();

    // The sessionStart goes on the wire and is held 150 ms; ten calls come meanwhile.
    assert_eq!(mc_track_session_start(tracker, &media, std::ptr::null(), 0), mc_status::MC_OK);
    std::thread::sleep(Duration::from_millis(30));
    let before = sleeps(worker);
    let started = Instant::now();
    for i in 0..10 {
        assert_eq!(mc_update_playhead(tracker, f64::from(i)), mc_status::MC_OK);
        let s = if i % 2 == 0 { mc_track_play(tracker) } else { mc_track_pause(tracker) };
        assert_eq!(s, mc_status::MC_OK);
        std::thread::sleep(Duration::from_millis(3));
    }
    let behind = sleeps(worker) - before;
    let window = started.elapsed();
    assert_eq!(mc_client_flush(client, 10_000), mc_status::MC_OK);

    // Nothing on the wire now: a call wakes the worker, which sends it and sleeps again.
    let before = sleeps(worker);
    assert_eq!(mc_track_play(tracker), mc_status::MC_OK);
    std::thread::sleep(Duration::from_millis(50));
    let idle = sleeps(worker) - before;
    assert_eq!(mc_client_flush(client, 10_000), mc_status::MC_OK);
    assert_eq!(mc_tracker_free(tracker), mc_status::MC_OK);
    assert_eq!(mc_client_free(client, 5_000), mc_status::MC_OK);

    // The calls were made inside the 150 ms the sessionStart was held: none of them woke it.
    // (Each would have, one by one, as the worker slept in between.)
    if window < Duration::from_millis(120) {
        assert!(behind <= 1, "{behind} worker wake-ups for 10 calls behind a request on the wire");
    }
    assert!(idle >= 1, "a call with nothing on the wire did not wake the worker ({idle} sleeps)");

    // Every call reached the collector, in the order made.
    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1);
    let types: Vec<String> = collector
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/events"))
        .filter_map(|r| serde_json::from_str::<serde_json::Value>(&r.body).ok())
        .map(|v| v["eventType"].as_str().unwrap_or_default().to_owned())
        .filter(|t| t == "play" || t == "pauseStart")
        .collect();
    let mut expected: Vec<&str> = (0..10).map(|i| if i % 2 == 0 { "play" } else { "pauseStart" }).collect();
    expected.push("play");
    assert_eq!(types, expected);
}
