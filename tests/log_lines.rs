//! The log lines a player engineer reads: the INFO startup line (version, endpoint, the
//! options not at their defaults), one DEBUG line per request (`t1: POST …/events play -> 204
//! in 3 ms`) matching what the collector received, trackers named `t<n>` instead of their
//! 64-bit handles, refusals with the text of `mc_last_error()`, and every line delivered on the
//! worker thread (none written on the player's thread per call).

use std::ffi::{CStr, CString, c_char, c_void};
use std::sync::Mutex;

use mc_collector::{Collector, Options};
use media_collection::ffi::client::*;
use media_collection::ffi::error::mc_last_error;
use media_collection::ffi::tracker::*;
use media_collection::ffi::types::*;
use media_collection::status::mc_status;

struct Line {
    level: u32,
    text: String,
    thread: Option<String>,
}

static LINES: Mutex<Vec<Line>> = Mutex::new(Vec::new());

unsafe extern "C" fn record(_: *mut c_void, level: u32, message: *const c_char) {
    let text = unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned();
    let thread = std::thread::current().name().map(str::to_owned);
    LINES.lock().unwrap().push(Line { level, text, thread });
}

#[test]
fn startup_request_and_refusal_lines_say_what_happened() {
    let collector = Collector::start(Options::default()).expect("collector");
    let endpoint = CString::new(collector.base_url()).unwrap();
    let mut cfg = mc_client_config::defaults();
    cfg.endpoint = endpoint.as_ptr();
    cfg.tracking_server = c"logs.sc.omtrdc.net".as_ptr();
    cfg.report_suite = c"logs-rsid".as_ptr();
    cfg.org_id = c"LOGS@AdobeOrg".as_ptr();
    cfg.ecid = c"a-personal-id".as_ptr();
    cfg.player_name = c"log-test".as_ptr();
    cfg.preroll_window_ms = 0;
    cfg.ping_interval_ms = 600_000;
    cfg.content_start_delay_ms = 600_000;
    cfg.log_callback = Some(record);
    cfg.log_level = MC_LOG_DEBUG;
    let mut client = 0;
    assert_eq!(mc_client_new(&cfg, &mut client), mc_status::MC_OK);
    let mut tracker = 0;
    assert_eq!(mc_tracker_new(client, std::ptr::null(), &mut tracker), mc_status::MC_OK);
    let mut media = mc_media_info::defaults();
    media.id = c"log-1".as_ptr();
    media.name = c"Logs".as_ptr();
    media.content_type = c"vod".as_ptr();
    media.length = 60.0;
    assert_eq!(mc_track_session_start(tracker, &media, std::ptr::null(), 0), mc_status::MC_OK);
    for i in 0..100 {
        assert_eq!(mc_update_playhead(tracker, i as f64 / 10.0), mc_status::MC_OK);
    }
    assert_eq!(mc_track_play(tracker), mc_status::MC_OK);
    assert_eq!(mc_track_error(tracker, c"".as_ptr(), MC_ERROR_SOURCE_PLAYER), mc_status::MC_ERR_INVALID_ARGUMENT);
    let refusal = unsafe { CStr::from_ptr(mc_last_error()) }.to_str().unwrap().to_owned();
    assert_eq!(refusal, "mc_track_error: MC_ERR_INVALID_ARGUMENT: error_id: empty");
    assert_eq!(mc_track_pause(tracker), mc_status::MC_OK);
    assert_eq!(mc_track_complete(tracker), mc_status::MC_OK);
    assert_eq!(mc_client_flush(client, 10_000), mc_status::MC_OK);
    assert_eq!(mc_tracker_free(tracker), mc_status::MC_OK);
    assert_eq!(mc_client_free(client, 5_000), mc_status::MC_OK);

    let lines = std::mem::take(&mut *LINES.lock().unwrap());
    let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    // Every line came from the worker thread, none from this (the player's) thread.
    for l in &lines {
        assert_eq!(l.thread.as_deref(), Some("media-collection"), "{:?} logged off the worker", l.text);
    }

    // First: the startup line, naming the version, the endpoint and what differs from the
    // defaults, with personal data shown only as set.
    let first = &lines[0];
    assert_eq!(first.level, MC_LOG_INFO);
    let expected = format!(
        "media-collection {} started: endpoint {}, tracking server logs.sc.omtrdc.net, report suite logs-rsid; \
         options not at their defaults: player_name=\"log-test\" ecid=(set) log_level=4 ping_interval_ms=600000 \
         content_start_delay_ms=600000 preroll_window_ms=0",
        env!("CARGO_PKG_VERSION"),
        collector.base_url()
    );
    assert_eq!(first.text, expected);
    assert!(!texts.iter().any(|t| t.contains("a-personal-id")), "the ECID never reaches a log line");

    // One DEBUG line per request the collector received, with its path, event type and status.
    // "t1: POST <path> <eventType> -> <status> in <n> ms"
    let request_line = |t: &str| -> Option<(String, String, u16)> {
        let (request, outcome) = t.strip_prefix("t1: POST ")?.split_once(" -> ")?;
        let (path, event_type) = request.split_once(' ')?;
        let (status, took) = outcome.split_once(" in ")?;
        took.strip_suffix(" ms")?.parse::<u64>().ok()?;
        Some((path.to_owned(), event_type.to_owned(), status.parse().ok()?))
    };
    let mut logged: Vec<(String, String, u16)> =
        lines.iter().filter(|l| l.level == MC_LOG_DEBUG).filter_map(|l| request_line(&l.text)).collect();
    let mut received: Vec<(String, String, u16)> = collector
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| {
            let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            (r.path, body["eventType"].as_str().unwrap().to_owned(), r.status)
        })
        .collect();
    logged.sort();
    received.sort();
    assert!(received.len() >= 4, "sessionStart, play, pauseStart, sessionComplete: {received:?}");
    assert_eq!(logged, received, "DEBUG request lines against the collector's record:\n{texts:#?}");
    let sid = &collector.sessions()[0].sid;
    let play = format!("t1: POST /api/v1/sessions/{sid}/events play -> 204 in ");
    assert!(texts.iter().any(|t| t.starts_with(&play)), "{play}… missing: {texts:#?}");

    // The refusal, at WARN, with the very text of mc_last_error().
    assert!(lines.iter().any(|l| l.level == MC_LOG_WARN && l.text == refusal), "{texts:#?}");
    // Trackers by their short name, never by the 64-bit handle; no line per playhead update.
    assert!(!texts.iter().any(|t| t.contains(&tracker.to_string())), "{texts:#?}");
    assert!(lines.len() < 20, "a handful of lines, not one per call: {texts:#?}");
}

/// The startup line names every option of `mc_client_config` that differs from its default: all
/// fields of the header's struct set at once, each must appear (a field added later without
/// its place in `mc_client_config::non_defaults` fails here).
#[test]
fn the_startup_line_covers_every_option() {
    let mut c = mc_client_config::defaults();
    let ids = [mc_customer_id { id_type: c"userId".as_ptr(), id: c"u".as_ptr(), auth_state: 1 }];
    c.ecid = c"e".as_ptr();
    c.visitor_id = c"v".as_ptr();
    c.aid = c"a".as_ptr();
    c.aam_location_hint = 7;
    c.customer_ids = ids.as_ptr();
    c.n_customer_ids = 1;
    c.app_installation_id = c"i".as_ptr();
    c.opt_out_server_side_forwarding = true;
    c.opt_out_share = true;
    c.app_version = c"1".as_ptr();
    c.channel = c"ch".as_ptr();
    c.player_name = c"p".as_ptr();
    c.log_level = MC_LOG_DEBUG;
    c.event_callback = Some(no_event);
    for f in [
        &mut c.ping_interval_ms,
        &mut c.granular_ad_ping_interval_ms,
        &mut c.offline_ping_interval_ms,
        &mut c.content_start_delay_ms,
        &mut c.preroll_window_ms,
        &mut c.idle_timeout_ms,
        &mut c.session_cap_ms,
        &mut c.min_ts_gap_ms,
        &mut c.connect_timeout_ms,
        &mut c.request_timeout_ms,
        &mut c.retry_base_ms,
        &mut c.retry_cap_ms,
        &mut c.session_start_max_attempts,
        &mut c.session_start_budget_ms,
        &mut c.event_retry_budget_ms,
        &mut c.retry_after_cap_ms,
        &mut c.queue_capacity,
        &mut c.session_queue_cap,
        &mut c.global_pending_cap,
        &mut c.store_durability,
        &mut c.store_sync_interval_ms,
        &mut c.store_max_sessions,
        &mut c.store_max_quarantined,
        &mut c.upload_backoff_base_ms,
        &mut c.upload_backoff_cap_ms,
        &mut c.upload_min_gap_ms,
        &mut c.event_max_attempts,
        &mut c.restart_budget,
        &mut c.restart_window_ms,
        &mut c.restart_delay_ms,
        &mut c.restart_backoff_cap_ms,
        &mut c.outage_failures,
        &mut c.outage_probe_interval_ms,
        &mut c.release_window_ms,
        &mut c.session_expiry_ms,
        &mut c.network_return_window_ms,
        &mut c.backend,
        &mut c.drain_ramp_ms,
        &mut c.threading,
    ] {
        *f += 1;
    }
    c.edge_config_id = c"ds".as_ptr();
    c.fpid = c"fpid".as_ptr();
    c.store_max_bytes += 1;
    c.store_max_age_ms += 1;
    c.upload_give_up_ms += 1;
    c.user_agent = c"ua".as_ptr();
    c.ca_file = c"/ca.pem".as_ptr();
    c.ca_path = c"/ca".as_ptr();
    c.proxy = c"http://user:secret@proxy:3128".as_ptr();
    c.store_dir = c"/store".as_ptr();
    c.use_deprecated_downloaded_endpoint = true;
    c.offline_at_start = true;
    c.dangerous_disable_tls_verification = true;
    c.watch_callback = Some(no_watch);
    c.timer_callback = Some(no_timer);
    c.clock_monotonic_ms = Some(no_clock);
    c.clock_wall_ms = Some(no_clock);
    let line = unsafe { c.non_defaults() }.join(" ");
    assert!(!line.contains("secret"), "the proxy's credentials stay out: {line}");

    let header = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/media_collection.h")).unwrap();
    let end = header.find("} mc_client_config;").unwrap();
    let start = header[..end].rfind("typedef struct").unwrap();
    let fields: Vec<&str> = header[start..end]
        .lines()
        .map(str::trim)
        .filter(|l| l.ends_with(';') && !l.starts_with('*'))
        .map(|l| l.trim_end_matches(';').rsplit([' ', '*']).next().unwrap())
        .collect();
    assert!(fields.len() > 50, "{fields:?}");
    // Not options: the struct's version and the required strings (the line names them in its
    // own words). Shown otherwise: the log callback (whoever reads the line set it), the
    // userdata pointers (meaningless in a log), the customer ids (as n_customer_ids).
    let not_options = ["struct_size", "endpoint", "tracking_server", "report_suite", "org_id"];
    let shown_otherwise =
        ["log_callback", "log_userdata", "event_userdata", "customer_ids", "host_userdata", "clock_userdata"];
    for f in fields.iter().filter(|f| !not_options.contains(f) && !shown_otherwise.contains(f)) {
        assert!(line.contains(&format!("{f}=")), "{f} missing from the startup line: {line}");
    }
}

unsafe extern "C" fn no_event(_: *mut c_void, _: *const mc_event) {}
unsafe extern "C" fn no_watch(_: *mut c_void, _: i32, _: u32) {}
unsafe extern "C" fn no_timer(_: *mut c_void, _: i32) {}
unsafe extern "C" fn no_clock(_: *mut c_void) -> i64 {
    0
}
