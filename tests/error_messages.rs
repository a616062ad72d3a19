//! `mc_last_error()`: every refusal of a configuration or an argument names what is wrong.
//!
//! Table-driven over every field of every struct a player passes in (`mc_client_config`,
//! `mc_customer_id`, `mc_tracker_config`, `mc_media_info`, `mc_ad_break_info`, `mc_ad_info`,
//! `mc_chapter_info`, `mc_qoe`, `mc_metadata`, `mc_stats`): each row breaks one field and
//! asserts the status and the exact message. The field lists are read from the committed
//! header, so a field added later without a row here fails the test. Fields that no value can
//! make wrong (flags, callbacks, userdata) are listed as such.

use std::ffi::{CStr, CString, c_char, c_void};
use std::sync::Mutex;

use media_collection::ffi::client::*;
use media_collection::ffi::error::mc_last_error;
use media_collection::ffi::tracker::*;
use media_collection::ffi::types::*;
use media_collection::status::mc_status;

/// Nothing listens here: refusals happen before any request, and nothing valid is tracked.
const ENDPOINT: &CStr = c"http://127.0.0.1:9";

fn last_error() -> String {
    unsafe { CStr::from_ptr(mc_last_error()) }.to_str().expect("UTF-8").to_owned()
}

/// A configuration that `mc_client_new` accepts.
fn good_config() -> mc_client_config {
    let mut c = mc_client_config::defaults();
    c.endpoint = ENDPOINT.as_ptr();
    c.tracking_server = c"t.sc.omtrdc.net".as_ptr();
    c.report_suite = c"rsid".as_ptr();
    c.org_id = c"ORG@AdobeOrg".as_ptr();
    c
}

/// A string one byte over the 4096-byte cap of ids, names and URLs.
fn too_long() -> *const c_char {
    static S: std::sync::OnceLock<CString> = std::sync::OnceLock::new();
    S.get_or_init(|| CString::new("x".repeat(4097)).unwrap()).as_ptr()
}

const NOT_UTF8: &CStr = c"ab\xffcd";

/// The fields of `typedef struct { ... } <name>;` in the committed header.
fn header_fields(name: &str) -> Vec<String> {
    let header = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/media_collection.h")).unwrap();
    let end = header.find(&format!("}} {name};")).unwrap_or_else(|| panic!("{name} not in the header"));
    let start = header[..end].rfind("typedef struct").expect("typedef struct");
    header[start..end]
        .lines()
        .map(str::trim)
        .filter(|l| l.ends_with(';') && !l.starts_with('*') && !l.starts_with("/*"))
        .map(|l| l.trim_end_matches(';').rsplit([' ', '*']).next().unwrap().to_owned())
        .collect()
}

/// Every field of `name` has a row or is listed as one no value can make wrong, and no row
/// names a field that does not exist.
fn assert_covers(name: &str, rows: &[&str], cannot_be_wrong: &[&str]) {
    let fields = header_fields(name);
    assert!(fields.len() >= rows.len().min(2), "{name}: the header scan found {fields:?}");
    for f in &fields {
        assert!(
            rows.contains(&f.as_str()) || cannot_be_wrong.contains(&f.as_str()),
            "{name}.{f} has no refusal row in tests/error_messages.rs"
        );
    }
    for f in rows.iter().chain(cannot_be_wrong) {
        assert!(fields.iter().any(|x| x == f), "{name}.{f}: no such field in the header");
    }
}

type Mutate = fn(&mut mc_client_config);

/// (field, how to break it, status, the message after "mc_client_new: <STATUS>: ").
fn client_rows() -> Vec<(&'static str, Mutate, mc_status, &'static str)> {
    use mc_status::*;
    vec![
        (
            "struct_size",
            |c| c.struct_size = 3,
            MC_ERR_STRUCT_SIZE,
            "config.struct_size (3) is not a version this library knows (STRUCT_SIZES bytes): fill the struct with its _init() first",
        ),
        ("endpoint", |c| c.endpoint = std::ptr::null(), MC_ERR_NULL_ARGUMENT, "config.endpoint: required (NULL)"),
        ("endpoint", |c| c.endpoint = c"".as_ptr(), MC_ERR_INVALID_ARGUMENT, "config.endpoint: empty"),
        (
            "endpoint",
            |c| c.endpoint = c"ftp://h".as_ptr(),
            MC_ERR_INVALID_URL,
            "config.endpoint (\"ftp://h\"): the scheme must be http or https, not ftp",
        ),
        (
            "endpoint",
            |c| c.endpoint = c"no url".as_ptr(),
            MC_ERR_INVALID_URL,
            "config.endpoint (\"no url\"): not a URL (relative URL without a base)",
        ),
        (
            "endpoint",
            |c| c.endpoint = c"http://u:p@h".as_ptr(),
            MC_ERR_INVALID_URL,
            "config.endpoint (\"http://u:p@h\"): credentials do not belong in the endpoint",
        ),
        (
            "endpoint",
            |c| c.endpoint = c"http://h/?q".as_ptr(),
            MC_ERR_INVALID_URL,
            "config.endpoint (\"http://h/?q\"): a query or fragment does not belong in the endpoint",
        ),
        (
            "endpoint",
            |c| c.endpoint = c"http://h:70000".as_ptr(),
            MC_ERR_INVALID_URL,
            "config.endpoint (\"http://h:70000\"): not a URL (invalid port number)",
        ),
        (
            "endpoint",
            |c| c.endpoint = c"https://b\xc3\xbccher.example".as_ptr(),
            MC_ERR_INVALID_URL,
            "config.endpoint (\"https://bücher.example\"): the host must be ASCII: write an international domain name in its xn-- form",
        ),
        (
            "endpoint",
            |c| c.endpoint = c"http://h/a/../b".as_ptr(),
            MC_ERR_INVALID_URL,
            "config.endpoint (\"http://h/a/../b\"): not a URL (a . or .. segment in the path)",
        ),
        (
            "endpoint",
            |c| c.endpoint = c"http://h\r\n".as_ptr(),
            MC_ERR_INVALID_URL,
            "config.endpoint (\"http://h\\r\\n\"): contains a control character",
        ),
        (
            "tracking_server",
            |c| c.tracking_server = std::ptr::null(),
            MC_ERR_NULL_ARGUMENT,
            "config.tracking_server: required (NULL)",
        ),
        (
            "tracking_server",
            |c| c.tracking_server = c"".as_ptr(),
            MC_ERR_INVALID_ARGUMENT,
            "config.tracking_server: empty",
        ),
        (
            "report_suite",
            |c| c.report_suite = std::ptr::null(),
            MC_ERR_NULL_ARGUMENT,
            "config.report_suite: required (NULL)",
        ),
        ("org_id", |c| c.org_id = c"".as_ptr(), MC_ERR_INVALID_ARGUMENT, "config.org_id: empty"),
        ("ecid", |c| c.ecid = NOT_UTF8.as_ptr(), MC_ERR_INVALID_UTF8, "config.ecid: not valid UTF-8 (byte 2 of 5)"),
        (
            "visitor_id",
            |c| c.visitor_id = too_long(),
            MC_ERR_TOO_LONG,
            "config.visitor_id: longer than the cap of 4096 bytes",
        ),
        ("aid", |c| c.aid = too_long(), MC_ERR_TOO_LONG, "config.aid: longer than the cap of 4096 bytes"),
        (
            "customer_ids",
            |c| c.n_customer_ids = 1,
            MC_ERR_NULL_ARGUMENT,
            "config.customer_ids: NULL with config.n_customer_ids 1",
        ),
        (
            "n_customer_ids",
            |c| {
                let ids = [mc_customer_id { id_type: std::ptr::null(), id: std::ptr::null(), auth_state: 0 }; 65];
                c.customer_ids = Box::leak(Box::new(ids)).as_ptr();
                c.n_customer_ids = 65;
            },
            MC_ERR_TOO_LONG,
            "config.n_customer_ids (65) is above the cap of 64",
        ),
        (
            "app_installation_id",
            |c| c.app_installation_id = NOT_UTF8.as_ptr(),
            MC_ERR_INVALID_UTF8,
            "config.app_installation_id: not valid UTF-8 (byte 2 of 5)",
        ),
        (
            "app_version",
            |c| c.app_version = too_long(),
            MC_ERR_TOO_LONG,
            "config.app_version: longer than the cap of 4096 bytes",
        ),
        ("channel", |c| c.channel = too_long(), MC_ERR_TOO_LONG, "config.channel: longer than the cap of 4096 bytes"),
        (
            "player_name",
            |c| c.player_name = NOT_UTF8.as_ptr(),
            MC_ERR_INVALID_UTF8,
            "config.player_name: not valid UTF-8 (byte 2 of 5)",
        ),
        ("log_level", |c| c.log_level = 0, MC_ERR_OUT_OF_RANGE, "config.log_level (0) is outside 1..=4"),
        ("log_level", |c| c.log_level = 5, MC_ERR_OUT_OF_RANGE, "config.log_level (5) is outside 1..=4"),
        (
            "ping_interval_ms",
            |c| c.ping_interval_ms = 0,
            MC_ERR_OUT_OF_RANGE,
            "config.ping_interval_ms (0) is outside 1..=600000 ms",
        ),
        (
            "granular_ad_ping_interval_ms",
            |c| c.granular_ad_ping_interval_ms = 600_001,
            MC_ERR_OUT_OF_RANGE,
            "config.granular_ad_ping_interval_ms (600001) is outside 1..=600000 ms",
        ),
        (
            "offline_ping_interval_ms",
            |c| c.offline_ping_interval_ms = 0,
            MC_ERR_OUT_OF_RANGE,
            "config.offline_ping_interval_ms (0) is outside 1..=600000 ms",
        ),
        (
            "content_start_delay_ms",
            |c| c.content_start_delay_ms = 0,
            MC_ERR_OUT_OF_RANGE,
            "config.content_start_delay_ms (0) is outside 1..=600000 ms",
        ),
        (
            "preroll_window_ms",
            |c| c.preroll_window_ms = 60_001,
            MC_ERR_OUT_OF_RANGE,
            "config.preroll_window_ms (60001) is outside 0..=60000 ms",
        ),
        (
            "idle_timeout_ms",
            |c| c.idle_timeout_ms = 0,
            MC_ERR_OUT_OF_RANGE,
            "config.idle_timeout_ms (0) is outside 1..=86400000 ms",
        ),
        (
            "session_cap_ms",
            |c| c.session_cap_ms = 604_800_001,
            MC_ERR_OUT_OF_RANGE,
            "config.session_cap_ms (604800001) is outside 1..=604800000 ms",
        ),
        (
            "min_ts_gap_ms",
            |c| c.min_ts_gap_ms = 1001,
            MC_ERR_OUT_OF_RANGE,
            "config.min_ts_gap_ms (1001) is outside 0..=1000 ms",
        ),
        (
            "connect_timeout_ms",
            |c| c.connect_timeout_ms = 0,
            MC_ERR_OUT_OF_RANGE,
            "config.connect_timeout_ms (0) is outside 1..=600000 ms",
        ),
        (
            "request_timeout_ms",
            |c| c.request_timeout_ms = 0,
            MC_ERR_OUT_OF_RANGE,
            "config.request_timeout_ms (0) is outside 1..=600000 ms",
        ),
        (
            "retry_base_ms",
            |c| c.retry_base_ms = 0,
            MC_ERR_OUT_OF_RANGE,
            "config.retry_base_ms (0) is outside 1..=600000 ms",
        ),
        (
            "retry_cap_ms",
            |c| c.retry_cap_ms = 3_600_001,
            MC_ERR_OUT_OF_RANGE,
            "config.retry_cap_ms (3600001) is outside 1..=3600000 ms",
        ),
        (
            "retry_cap_ms",
            |c| c.retry_cap_ms = 100,
            MC_ERR_OUT_OF_RANGE,
            "config.retry_cap_ms (100) is below config.retry_base_ms (500)",
        ),
        (
            "session_start_max_attempts",
            |c| c.session_start_max_attempts = 0,
            MC_ERR_OUT_OF_RANGE,
            "config.session_start_max_attempts (0) is outside 1..=100",
        ),
        (
            "session_start_budget_ms",
            |c| c.session_start_budget_ms = 0,
            MC_ERR_OUT_OF_RANGE,
            "config.session_start_budget_ms (0) is outside 1..=3600000 ms",
        ),
        (
            "event_retry_budget_ms",
            |c| c.event_retry_budget_ms = 0,
            MC_ERR_OUT_OF_RANGE,
            "config.event_retry_budget_ms (0) is outside 1..=3600000 ms",
        ),
        (
            "retry_after_cap_ms",
            |c| c.retry_after_cap_ms = 0,
            MC_ERR_OUT_OF_RANGE,
            "config.retry_after_cap_ms (0) is outside 1..=3600000 ms",
        ),
        (
            "user_agent",
            |c| c.user_agent = c"ua\r\nX: 1".as_ptr(),
            MC_ERR_INVALID_ARGUMENT,
            "config.user_agent (\"ua\\r\\nX: 1\"): control character U+000D at byte 2",
        ),
        (
            "ca_file",
            |c| c.ca_file = NOT_UTF8.as_ptr(),
            MC_ERR_INVALID_UTF8,
            "config.ca_file: not valid UTF-8 (byte 2 of 5)",
        ),
        ("ca_path", |c| c.ca_path = too_long(), MC_ERR_TOO_LONG, "config.ca_path: longer than the cap of 4096 bytes"),
        (
            "proxy",
            |c| c.proxy = c"http://p\n".as_ptr(),
            MC_ERR_INVALID_ARGUMENT,
            "config.proxy (\"http://p\\n\"): control character U+000A at byte 8",
        ),
        (
            "queue_capacity",
            |c| c.queue_capacity = 15,
            MC_ERR_OUT_OF_RANGE,
            "config.queue_capacity (15) is outside 16..=1048576",
        ),
        (
            "session_queue_cap",
            |c| c.session_queue_cap = 0,
            MC_ERR_OUT_OF_RANGE,
            "config.session_queue_cap (0) is outside 1..=100000",
        ),
        (
            "global_pending_cap",
            |c| c.global_pending_cap = 1_000_001,
            MC_ERR_OUT_OF_RANGE,
            "config.global_pending_cap (1000001) is outside 1..=1000000",
        ),
        (
            "store_dir",
            |c| c.store_dir = c"".as_ptr(),
            MC_ERR_INVALID_ARGUMENT,
            "config.store_dir: empty (NULL means no store)",
        ),
        (
            "store_dir",
            |c| c.store_dir = too_long(),
            MC_ERR_TOO_LONG,
            "config.store_dir: longer than the cap of 4096 bytes",
        ),
        // The store's settings are read only with a store_dir (the directory is never reached).
        (
            "store_durability",
            |c| {
                c.store_dir = c"/nonexistent/mc".as_ptr();
                c.store_durability = 3
            },
            MC_ERR_OUT_OF_RANGE,
            "config.store_durability (3) is outside 0..=2",
        ),
        (
            "store_sync_interval_ms",
            |c| {
                c.store_dir = c"/nonexistent/mc".as_ptr();
                c.store_durability = MC_DURABILITY_INTERVAL;
                c.store_sync_interval_ms = 0
            },
            MC_ERR_OUT_OF_RANGE,
            "config.store_sync_interval_ms (0) is outside 1..=600000 ms",
        ),
        (
            "store_max_sessions",
            |c| {
                c.store_dir = c"/nonexistent/mc".as_ptr();
                c.store_max_sessions = 0
            },
            MC_ERR_OUT_OF_RANGE,
            "config.store_max_sessions (0) is outside 1..=100000",
        ),
        (
            "store_max_bytes",
            |c| {
                c.store_dir = c"/nonexistent/mc".as_ptr();
                c.store_max_bytes = 4095
            },
            MC_ERR_OUT_OF_RANGE,
            "config.store_max_bytes (4095) is outside 4096..=1099511627776 bytes",
        ),
        (
            "store_max_age_ms",
            |c| {
                c.store_dir = c"/nonexistent/mc".as_ptr();
                c.store_max_age_ms = 0
            },
            MC_ERR_OUT_OF_RANGE,
            "config.store_max_age_ms (0) is outside 1..=315360000000 ms",
        ),
        (
            "store_max_quarantined",
            |c| {
                c.store_dir = c"/nonexistent/mc".as_ptr();
                c.store_max_quarantined = 10_001
            },
            MC_ERR_OUT_OF_RANGE,
            "config.store_max_quarantined (10001) is outside 0..=10000",
        ),
        (
            "upload_backoff_base_ms",
            |c| {
                c.store_dir = c"/nonexistent/mc".as_ptr();
                c.upload_backoff_base_ms = 0
            },
            MC_ERR_OUT_OF_RANGE,
            "config.upload_backoff_base_ms (0) is outside 1..=86400000 ms",
        ),
        (
            "upload_backoff_cap_ms",
            |c| {
                c.store_dir = c"/nonexistent/mc".as_ptr();
                c.upload_backoff_cap_ms = 1000
            },
            MC_ERR_OUT_OF_RANGE,
            "config.upload_backoff_cap_ms (1000) is below config.upload_backoff_base_ms (15000)",
        ),
        (
            "upload_give_up_ms",
            |c| {
                c.store_dir = c"/nonexistent/mc".as_ptr();
                c.upload_give_up_ms = 0
            },
            MC_ERR_OUT_OF_RANGE,
            "config.upload_give_up_ms (0) is outside 1..=31536000000 ms",
        ),
        (
            "upload_min_gap_ms",
            |c| {
                c.store_dir = c"/nonexistent/mc".as_ptr();
                c.upload_min_gap_ms = 600_001
            },
            MC_ERR_OUT_OF_RANGE,
            "config.upload_min_gap_ms (600001) is outside 0..=600000 ms",
        ),
        (
            "event_max_attempts",
            |c| c.event_max_attempts = 0,
            MC_ERR_OUT_OF_RANGE,
            "config.event_max_attempts (0) is outside 1..=1000",
        ),
        (
            "restart_budget",
            |c| c.restart_budget = 1001,
            MC_ERR_OUT_OF_RANGE,
            "config.restart_budget (1001) is outside 0..=1000",
        ),
        (
            "restart_window_ms",
            |c| c.restart_window_ms = 0,
            MC_ERR_OUT_OF_RANGE,
            "config.restart_window_ms (0) is outside 1..=86400000 ms",
        ),
        (
            "restart_delay_ms",
            |c| c.restart_delay_ms = 0,
            MC_ERR_OUT_OF_RANGE,
            "config.restart_delay_ms (0) is outside 1..=3600000 ms",
        ),
        (
            "restart_backoff_cap_ms",
            |c| c.restart_backoff_cap_ms = 5000,
            MC_ERR_OUT_OF_RANGE,
            "config.restart_backoff_cap_ms (5000) is below config.restart_delay_ms (10000)",
        ),
        (
            "outage_failures",
            |c| c.outage_failures = 0,
            MC_ERR_OUT_OF_RANGE,
            "config.outage_failures (0) is outside 1..=1000",
        ),
        (
            "outage_probe_interval_ms",
            |c| c.outage_probe_interval_ms = 0,
            MC_ERR_OUT_OF_RANGE,
            "config.outage_probe_interval_ms (0) is outside 1..=3600000 ms",
        ),
        (
            "release_window_ms",
            |c| c.release_window_ms = 600_001,
            MC_ERR_OUT_OF_RANGE,
            "config.release_window_ms (600001) is outside 0..=600000 ms",
        ),
        (
            "session_expiry_ms",
            |c| c.session_expiry_ms = 0,
            MC_ERR_OUT_OF_RANGE,
            "config.session_expiry_ms (0) is outside 1..=86400000 ms",
        ),
        (
            "network_return_window_ms",
            |c| {
                c.store_dir = c"/nonexistent/mc".as_ptr();
                c.network_return_window_ms = 3_600_001
            },
            MC_ERR_OUT_OF_RANGE,
            "config.network_return_window_ms (3600001) is outside 0..=3600000 ms",
        ),
        (
            "backend",
            |c| c.backend = 7,
            MC_ERR_OUT_OF_RANGE,
            "config.backend (7) is neither MC_BACKEND_MEDIA_COLLECTION (0) nor MC_BACKEND_MEDIA_EDGE (1)",
        ),
        (
            "edge_config_id",
            |c| c.backend = MC_BACKEND_MEDIA_EDGE,
            MC_ERR_NULL_ARGUMENT,
            "config.edge_config_id: the datastream id is required with MC_BACKEND_MEDIA_EDGE",
        ),
        ("fpid", |c| c.fpid = too_long(), MC_ERR_TOO_LONG, "config.fpid: longer than the cap of 4096 bytes"),
        (
            "drain_ramp_ms",
            |c| c.drain_ramp_ms = 86_400_001,
            MC_ERR_OUT_OF_RANGE,
            "config.drain_ramp_ms (86400001) is outside 0..=86400000 ms",
        ),
        ("threading", |c| c.threading = 2, MC_ERR_OUT_OF_RANGE, "config.threading (2) is outside 0..=1"),
        (
            "watch_callback",
            |c| c.watch_callback = Some(no_watch),
            MC_ERR_INVALID_ARGUMENT,
            "config.watch_callback is set but config.threading is MC_THREADING_WORKER: it is used only by a \
             host-driven client (MC_THREADING_HOST), whose loop the host runs",
        ),
        (
            "timer_callback",
            |c| c.timer_callback = Some(no_timer),
            MC_ERR_INVALID_ARGUMENT,
            "config.timer_callback is set but config.threading is MC_THREADING_WORKER: it is used only by a \
             host-driven client (MC_THREADING_HOST), whose loop the host runs",
        ),
        (
            "clock_monotonic_ms",
            |c| {
                c.threading = MC_THREADING_HOST;
                c.clock_monotonic_ms = Some(zero_clock);
            },
            MC_ERR_NULL_ARGUMENT,
            "config.clock_wall_ms: required with config.clock_monotonic_ms (a clock gives both or neither)",
        ),
        (
            "clock_wall_ms",
            |c| {
                c.clock_monotonic_ms = Some(zero_clock);
                c.clock_wall_ms = Some(zero_clock);
            },
            MC_ERR_INVALID_ARGUMENT,
            "config.clock_monotonic_ms is set but config.threading is MC_THREADING_WORKER: it is used only by a \
             host-driven client (MC_THREADING_HOST), whose loop the host runs",
        ),
    ]
}

unsafe extern "C" fn no_watch(_: *mut std::ffi::c_void, _: i32, _: u32) {}
unsafe extern "C" fn no_timer(_: *mut std::ffi::c_void, _: i32) {}
unsafe extern "C" fn zero_clock(_: *mut std::ffi::c_void) -> i64 {
    0
}

/// Fields of `mc_client_config` no value can make wrong.
const CLIENT_CANNOT_BE_WRONG: [&str; 12] = [
    "aam_location_hint", // any i32: negative means "not sent"
    "opt_out_server_side_forwarding",
    "opt_out_share",
    "log_callback",
    "log_userdata",
    "event_callback",
    "event_userdata",
    "use_deprecated_downloaded_endpoint",
    "offline_at_start",
    "dangerous_disable_tls_verification",
    "host_userdata",
    "clock_userdata",
];

#[test]
fn every_client_config_field_is_refused_by_name() {
    let rows = client_rows();
    let names: Vec<&str> = rows.iter().map(|r| r.0).collect();
    assert_covers("mc_client_config", &names, &CLIENT_CANNOT_BE_WRONG);
    let sizes = format!("{} to {}", std::mem::size_of::<mc_client_config>(), std::mem::size_of::<mc_client_config>());
    for (field, mutate, status, detail) in rows {
        let mut c = good_config();
        mutate(&mut c);
        let mut client = 0;
        let got = mc_client_new(&c, &mut client);
        let expected = format!("mc_client_new: {}: {}", status.name(), detail.replace("STRUCT_SIZES", &sizes));
        assert_eq!(got, status, "{field}: {}", last_error());
        assert_eq!(client, 0, "{field}: no handle on failure");
        assert_eq!(last_error(), expected, "{field}");
    }
}

#[test]
fn every_customer_id_field_is_refused_by_name() {
    type Row = (&'static str, mc_customer_id, mc_status, &'static str);
    let ok = mc_customer_id { id_type: c"userId".as_ptr(), id: c"u-1".as_ptr(), auth_state: 1 };
    let rows: Vec<Row> = vec![
        (
            "id_type",
            mc_customer_id { id_type: c"".as_ptr(), ..ok },
            mc_status::MC_ERR_INVALID_ARGUMENT,
            "config.customer_ids[1].id_type: empty",
        ),
        (
            "id",
            mc_customer_id { id: std::ptr::null(), ..ok },
            mc_status::MC_ERR_NULL_ARGUMENT,
            "config.customer_ids[1].id: required (NULL)",
        ),
        (
            "auth_state",
            mc_customer_id { auth_state: 3, ..ok },
            mc_status::MC_ERR_INVALID_ARGUMENT,
            "config.customer_ids[1].auth_state (3) is not 0, 1 or 2",
        ),
    ];
    let names: Vec<&str> = rows.iter().map(|r| r.0).collect();
    assert_covers("mc_customer_id", &names, &[]);
    for (field, bad, status, detail) in rows {
        let ids = [ok, bad];
        let mut c = good_config();
        c.customer_ids = ids.as_ptr();
        c.n_customer_ids = 2;
        let mut client = 0;
        assert_eq!(mc_client_new(&c, &mut client), status, "{field}");
        assert_eq!(last_error(), format!("mc_client_new: {}: {detail}", status.name()), "{field}");
    }
}

static LOG_LINES: Mutex<Vec<(u32, String, std::thread::ThreadId)>> = Mutex::new(Vec::new());

unsafe extern "C" fn record_log(_: *mut c_void, level: u32, message: *const c_char) {
    let m = unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned();
    // A callback may call the API; that does not change what mc_last_error() reports.
    assert_eq!(mc_track_play(0), mc_status::MC_ERR_INVALID_HANDLE);
    LOG_LINES.lock().unwrap().push((level, m, std::thread::current().id()));
}

#[test]
fn a_refused_client_config_reaches_the_log_callback_on_the_calling_thread() {
    let mut c = good_config();
    c.retry_cap_ms = 100;
    c.log_callback = Some(record_log);
    let mut client = 0;
    assert_eq!(mc_client_new(&c, &mut client), mc_status::MC_ERR_OUT_OF_RANGE);
    let lines = LOG_LINES.lock().unwrap().clone();
    assert_eq!(
        lines,
        vec![(
            MC_LOG_ERROR,
            "mc_client_new: MC_ERR_OUT_OF_RANGE: config.retry_cap_ms (100) is below config.retry_base_ms (500)"
                .to_owned(),
            std::thread::current().id()
        )],
        "the same line as mc_last_error(), before mc_client_new returned"
    );
    assert_eq!(last_error(), lines[0].1, "the callback's own call did not replace it");
}

#[test]
fn the_message_lives_until_the_threads_next_call_and_success_clears_it() {
    let mut c = good_config();
    c.tracking_server = std::ptr::null();
    let mut client = 0;
    assert_eq!(mc_client_new(&c, &mut client), mc_status::MC_ERR_NULL_ARGUMENT);
    let p = mc_last_error();
    let text = last_error();
    // The string functions neither set nor clear it.
    let _ = media_collection::ffi::client::mc_status_str(1);
    let _ = media_collection::ffi::client::mc_event_kind_str(2);
    let _ = media_collection::ffi::client::mc_version();
    assert_eq!(mc_last_error(), p);
    assert_eq!(last_error(), text);
    // Another thread has its own.
    assert_eq!(std::thread::spawn(last_error).join().unwrap(), "");
    // A failure no site described still says what the status means.
    assert_eq!(mc_track_play(0), mc_status::MC_ERR_INVALID_HANDLE);
    assert_eq!(last_error(), "mc_track_play: MC_ERR_INVALID_HANDLE: tracker handle 0x0: 0 is never a handle");
    let mut q = mc_qoe::defaults();
    assert_eq!(mc_qoe_init_sized(&mut q, std::mem::size_of::<mc_qoe>()), mc_status::MC_OK);
    assert_eq!(last_error(), "", "a success leaves no message");
    assert_eq!(mc_client_free(0, 0), mc_status::MC_OK);
    assert_eq!(last_error(), "");
}

/// A client and a tracker for the argument rows (nothing is sent: every row is refused).
struct Fixture {
    client: mc_client_t,
    tracker: mc_tracker_t,
}

impl Fixture {
    fn new() -> Fixture {
        let mut client = 0;
        assert_eq!(mc_client_new(&good_config(), &mut client), mc_status::MC_OK, "{}", last_error());
        let mut tracker = 0;
        assert_eq!(mc_tracker_new(client, std::ptr::null(), &mut tracker), mc_status::MC_OK);
        Fixture { client, tracker }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        mc_tracker_free(self.tracker);
        mc_client_free(self.client, 0);
    }
}

fn check(field: &str, got: mc_status, status: mc_status, function: &str, detail: &str) {
    assert_eq!(got, status, "{field}: {}", last_error());
    assert_eq!(last_error(), format!("{function}: {}: {detail}", status.name()), "{field}");
}

#[test]
fn every_tracker_config_field_is_refused_by_name() {
    let f = Fixture::new();
    let mut out = 0;
    let run = |mutate: &dyn Fn(&mut mc_tracker_config), out: &mut mc_tracker_t| {
        let mut t = mc_tracker_config::defaults();
        mutate(&mut t);
        mc_tracker_new(f.client, &t, out)
    };
    let rows: [(&str, mc_status, &str); 4] = [
        ("struct_size", mc_status::MC_ERR_STRUCT_SIZE, ""),
        ("channel", mc_status::MC_ERR_TOO_LONG, "config.channel: longer than the cap of 4096 bytes"),
        ("player_name", mc_status::MC_ERR_INVALID_UTF8, "config.player_name: not valid UTF-8 (byte 2 of 5)"),
        (
            "downloaded",
            mc_status::MC_ERR_NO_STORE,
            "config.downloaded is true but the client has no store (set store_dir in its configuration)",
        ),
    ];
    assert_covers("mc_tracker_config", &rows.map(|r| r.0), &[]);
    let size = std::mem::size_of::<mc_tracker_config>();
    let struct_size = format!(
        "config.struct_size (2) is not a version this library knows ({size} to {size} bytes): fill the struct with its _init() first"
    );
    check("struct_size", run(&|t| t.struct_size = 2, &mut out), rows[0].1, "mc_tracker_new", &struct_size);
    check("channel", run(&|t| t.channel = too_long(), &mut out), rows[1].1, "mc_tracker_new", rows[1].2);
    check("player_name", run(&|t| t.player_name = NOT_UTF8.as_ptr(), &mut out), rows[2].1, "mc_tracker_new", rows[2].2);
    check("downloaded", run(&|t| t.downloaded = true, &mut out), rows[3].1, "mc_tracker_new", rows[3].2);
    check(
        "out",
        mc_tracker_new(f.client, std::ptr::null(), std::ptr::null_mut()),
        mc_status::MC_ERR_NULL_ARGUMENT,
        "mc_tracker_new",
        "out: NULL",
    );
    assert_eq!(out, 0);
}

#[test]
fn every_media_info_field_is_refused_by_name() {
    let f = Fixture::new();
    let good = || {
        let mut m = mc_media_info::defaults();
        m.id = c"id".as_ptr();
        m.name = c"name".as_ptr();
        m.content_type = c"vod".as_ptr();
        m
    };
    type Row = (&'static str, fn(&mut mc_media_info), mc_status, &'static str);
    use mc_status::*;
    let rows: Vec<Row> = vec![
        (
            "struct_size",
            |m| m.struct_size = 0,
            MC_ERR_STRUCT_SIZE,
            "media.struct_size (0) is not a version this library knows",
        ),
        ("id", |m| m.id = std::ptr::null(), MC_ERR_NULL_ARGUMENT, "media.id: required (NULL)"),
        ("name", |m| m.name = c"".as_ptr(), MC_ERR_INVALID_ARGUMENT, "media.name: empty"),
        ("length", |m| m.length = -1.0, MC_ERR_INVALID_ARGUMENT, "media.length (-1) must be a finite number >= 0"),
        (
            "content_type",
            |m| m.content_type = NOT_UTF8.as_ptr(),
            MC_ERR_INVALID_UTF8,
            "media.content_type: not valid UTF-8 (byte 2 of 5)",
        ),
        (
            "media_type",
            |m| m.media_type = 7,
            MC_ERR_INVALID_ARGUMENT,
            "media.media_type (7) is not MC_MEDIA_TYPE_VIDEO or MC_MEDIA_TYPE_AUDIO",
        ),
        (
            "initial_playhead",
            |m| m.initial_playhead = f64::NAN,
            MC_ERR_INVALID_ARGUMENT,
            "media.initial_playhead (NaN) must be a finite number >= 0",
        ),
        (
            "preroll_wait_ms",
            |m| m.preroll_wait_ms = 60_001,
            MC_ERR_OUT_OF_RANGE,
            "media.preroll_wait_ms (60001) is outside 0..=60000 ms (or -1 for the client's)",
        ),
    ];
    let names: Vec<&str> = rows.iter().map(|r| r.0).collect();
    assert_covers("mc_media_info", &names, &["resumed", "granular_ad_tracking"]);
    for (field, mutate, status, detail) in rows {
        let mut m = good();
        mutate(&mut m);
        let got = mc_track_session_start(f.tracker, &m, std::ptr::null(), 0);
        assert_eq!(got, status, "{field}: {}", last_error());
        let prefix = format!("mc_track_session_start: {}: {detail}", status.name());
        assert!(last_error().starts_with(&prefix), "{field}: {} does not start with {prefix}", last_error());
    }
    check(
        "media",
        mc_track_session_start(f.tracker, std::ptr::null(), std::ptr::null(), 0),
        MC_ERR_NULL_ARGUMENT,
        "mc_track_session_start",
        "media: required (NULL)",
    );
}

#[test]
fn every_metadata_field_is_refused_by_name() {
    let f = Fixture::new();
    let mut m = mc_media_info::defaults();
    m.id = c"id".as_ptr();
    m.name = c"name".as_ptr();
    m.content_type = c"vod".as_ptr();
    let ok = mc_metadata { key: c"a.media.show".as_ptr(), value: c"S".as_ptr() };
    // An entry with a NULL or badly formed key, or a NULL value, is dropped (counted and
    // reported by the worker) and the call goes on; a string that cannot be read refuses it.
    let rows: [(&str, mc_metadata, mc_status, &str); 3] = [
        (
            "key",
            mc_metadata { key: too_long(), ..ok },
            mc_status::MC_ERR_TOO_LONG,
            "metadata[1].key: longer than the cap of 4096 bytes",
        ),
        (
            "key",
            mc_metadata { key: NOT_UTF8.as_ptr(), ..ok },
            mc_status::MC_ERR_INVALID_UTF8,
            "metadata[1].key: not valid UTF-8 (byte 2 of 5)",
        ),
        (
            "value",
            mc_metadata { value: NOT_UTF8.as_ptr(), ..ok },
            mc_status::MC_ERR_INVALID_UTF8,
            "metadata[1].value: not valid UTF-8 (byte 2 of 5)",
        ),
    ];
    assert_covers("mc_metadata", &rows.map(|r| r.0), &[]);
    for (field, bad, status, detail) in rows {
        let md = [ok, bad];
        check(field, mc_track_session_start(f.tracker, &m, md.as_ptr(), 2), status, "mc_track_session_start", detail);
    }
    check(
        "metadata",
        mc_track_chapter_start(
            f.tracker,
            &{
                let mut c = mc_chapter_info::defaults();
                c.name = c"c".as_ptr();
                c
            },
            std::ptr::null(),
            3,
        ),
        mc_status::MC_ERR_NULL_ARGUMENT,
        "mc_track_chapter_start",
        "metadata: NULL with n_metadata 3",
    );
    let many = vec![ok; 257];
    check(
        "n_metadata",
        mc_track_session_start(f.tracker, &m, many.as_ptr(), many.len()),
        mc_status::MC_ERR_TOO_LONG,
        "mc_track_session_start",
        "n_metadata (257) is above the cap of 256 entries",
    );
}

#[test]
fn every_ad_break_ad_and_chapter_field_is_refused_by_name() {
    let f = Fixture::new();
    use mc_status::*;
    let pod = |mutate: fn(&mut mc_ad_break_info)| {
        let mut b = mc_ad_break_info::defaults();
        b.name = c"pre".as_ptr();
        mutate(&mut b);
        mc_track_ad_break_start(f.tracker, &b)
    };
    let ad = |mutate: fn(&mut mc_ad_info)| {
        let mut a = mc_ad_info::defaults();
        a.id = c"ad".as_ptr();
        a.name = c"Ad".as_ptr();
        mutate(&mut a);
        mc_track_ad_start(f.tracker, &a, std::ptr::null(), 0)
    };
    let chapter = |mutate: fn(&mut mc_chapter_info)| {
        let mut c = mc_chapter_info::defaults();
        c.name = c"c1".as_ptr();
        mutate(&mut c);
        mc_track_chapter_start(f.tracker, &c, std::ptr::null(), 0)
    };
    let s = "mc_track_ad_break_start";
    assert_covers("mc_ad_break_info", &["struct_size", "name", "position", "start_time"], &[]);
    check(
        "struct_size",
        pod(|b| b.struct_size = 1 << 20),
        MC_ERR_STRUCT_SIZE,
        s,
        &format!(
            "info.struct_size (1048576) is not a version this library knows ({0} to {0} bytes): fill the struct with its _init() first",
            std::mem::size_of::<mc_ad_break_info>()
        ),
    );
    check("name", pod(|b| b.name = std::ptr::null()), MC_ERR_NULL_ARGUMENT, s, "info.name: required (NULL)");
    check("position", pod(|b| b.position = 0), MC_ERR_INVALID_ARGUMENT, s, "info.position (0) must be >= 1");
    check(
        "start_time",
        pod(|b| b.start_time = f64::INFINITY),
        MC_ERR_INVALID_ARGUMENT,
        s,
        "info.start_time (inf) must be a finite number >= 0",
    );

    let s = "mc_track_ad_start";
    assert_covers("mc_ad_info", &["struct_size", "id", "name", "position", "length"], &[]);
    check(
        "struct_size",
        ad(|a| a.struct_size = 0),
        MC_ERR_STRUCT_SIZE,
        s,
        &format!(
            "info.struct_size (0) is not a version this library knows ({0} to {0} bytes): fill the struct with its _init() first",
            std::mem::size_of::<mc_ad_info>()
        ),
    );
    check("id", ad(|a| a.id = c"".as_ptr()), MC_ERR_INVALID_ARGUMENT, s, "info.id: empty");
    check(
        "name",
        ad(|a| a.name = NOT_UTF8.as_ptr()),
        MC_ERR_INVALID_UTF8,
        s,
        "info.name: not valid UTF-8 (byte 2 of 5)",
    );
    check("position", ad(|a| a.position = 0), MC_ERR_INVALID_ARGUMENT, s, "info.position (0) must be >= 1");
    check(
        "length",
        ad(|a| a.length = -0.5),
        MC_ERR_INVALID_ARGUMENT,
        s,
        "info.length (-0.5) must be a finite number >= 0",
    );

    let s = "mc_track_chapter_start";
    assert_covers("mc_chapter_info", &["struct_size", "name", "position", "start_time", "length"], &[]);
    check(
        "struct_size",
        chapter(|c| c.struct_size = 5),
        MC_ERR_STRUCT_SIZE,
        s,
        &format!(
            "info.struct_size (5) is not a version this library knows ({0} to {0} bytes): fill the struct with its _init() first",
            std::mem::size_of::<mc_chapter_info>()
        ),
    );
    check("name", chapter(|c| c.name = c"".as_ptr()), MC_ERR_INVALID_ARGUMENT, s, "info.name: empty");
    check("position", chapter(|c| c.position = 0), MC_ERR_INVALID_ARGUMENT, s, "info.position (0) must be >= 1");
    check(
        "start_time",
        chapter(|c| c.start_time = -1.0),
        MC_ERR_INVALID_ARGUMENT,
        s,
        "info.start_time (-1) must be a finite number >= 0",
    );
    check(
        "length",
        chapter(|c| c.length = f64::NAN),
        MC_ERR_INVALID_ARGUMENT,
        s,
        "info.length (NaN) must be a finite number >= 0",
    );
}

#[test]
fn every_qoe_and_stats_field_and_plain_argument_is_refused_by_name() {
    let f = Fixture::new();
    use mc_status::*;
    let qoe = |mutate: fn(&mut mc_qoe)| {
        let mut q = mc_qoe::defaults();
        mutate(&mut q);
        mc_update_qoe(f.tracker, &q)
    };
    let s = "mc_update_qoe";
    assert_covers("mc_qoe", &["struct_size", "bitrate", "dropped_frames", "fps", "startup_time"], &[]);
    check(
        "struct_size",
        qoe(|q| q.struct_size = 0),
        MC_ERR_STRUCT_SIZE,
        s,
        &format!(
            "qoe.struct_size (0) is not a version this library knows ({0} to {0} bytes): fill the struct with its _init() first",
            std::mem::size_of::<mc_qoe>()
        ),
    );
    check(
        "bitrate",
        qoe(|q| q.bitrate = -1.0),
        MC_ERR_INVALID_ARGUMENT,
        s,
        "qoe.bitrate (-1) must be a finite number >= 0",
    );
    check(
        "dropped_frames",
        qoe(|q| q.dropped_frames = f64::NAN),
        MC_ERR_INVALID_ARGUMENT,
        s,
        "qoe.dropped_frames (NaN) must be a finite number >= 0",
    );
    check(
        "fps",
        qoe(|q| q.fps = f64::NEG_INFINITY),
        MC_ERR_INVALID_ARGUMENT,
        s,
        "qoe.fps (-inf) must be a finite number >= 0",
    );
    check(
        "startup_time",
        qoe(|q| q.startup_time = -2.0),
        MC_ERR_INVALID_ARGUMENT,
        s,
        "qoe.startup_time (-2) must be a finite number >= 0",
    );

    // mc_stats is filled by the library; only its struct_size comes from the caller.
    let fields = header_fields("mc_stats");
    assert_eq!(fields[0], "struct_size");
    let mut st = mc_stats::defaults();
    st.struct_size = 4;
    check(
        "struct_size",
        mc_client_stats(f.client, &mut st),
        MC_ERR_STRUCT_SIZE,
        "mc_client_stats",
        &format!(
            "stats.struct_size (4) is not a version this library knows (12 to {} bytes): fill the struct with its _init() first",
            std::mem::size_of::<mc_stats>()
        ),
    );

    check(
        "seconds",
        mc_update_playhead(f.tracker, -3.0),
        MC_ERR_INVALID_ARGUMENT,
        "mc_update_playhead",
        "seconds (-3) must be a finite number >= 0",
    );
    check(
        "error_id",
        mc_track_error(f.tracker, c"".as_ptr(), 0),
        MC_ERR_INVALID_ARGUMENT,
        "mc_track_error",
        "error_id: empty",
    );
    check(
        "source",
        mc_track_error(f.tracker, c"E1".as_ptr(), 9),
        MC_ERR_INVALID_ARGUMENT,
        "mc_track_error",
        "source (9) is not MC_ERROR_SOURCE_PLAYER or MC_ERROR_SOURCE_EXTERNAL",
    );
    check(
        "name",
        mc_track_state_start(f.tracker, c"full screen".as_ptr()),
        MC_ERR_INVALID_ARGUMENT,
        "mc_track_state_start",
        "name (\"full screen\"): must match [a-zA-Z0-9_.]{1,64}",
    );
    check(
        "name",
        mc_track_state_end(f.tracker, std::ptr::null()),
        MC_ERR_NULL_ARGUMENT,
        "mc_track_state_end",
        "name: required (NULL)",
    );
    check(
        "privacy",
        mc_client_set_privacy(f.client, 3),
        MC_ERR_INVALID_ARGUMENT,
        "mc_client_set_privacy",
        "privacy (3) is not an MC_PRIVACY_* value",
    );
    check(
        "config",
        mc_qoe_init_sized(std::ptr::null_mut(), 8),
        MC_ERR_NULL_ARGUMENT,
        "mc_qoe_init_sized",
        "the struct to fill: NULL",
    );
    let stale = f.tracker ^ (1 << 32);
    check(
        "tracker",
        mc_track_pause(stale),
        MC_ERR_INVALID_HANDLE,
        "mc_track_pause",
        &format!("tracker handle {stale:#x}: stale (freed), or not a handle of this kind"),
    );
    check(
        "client",
        mc_client_flush(f.tracker, 0),
        MC_ERR_INVALID_HANDLE,
        "mc_client_flush",
        &format!("client handle {:#x}: stale (freed), or not a handle of this kind", f.tracker),
    );
}

mod host_driven {
    use super::*;
    use media_collection::ffi::host::*;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    static CLIENT: AtomicU64 = AtomicU64::new(0);
    static ONCE: AtomicBool = AtomicBool::new(false);
    static SEEN: Mutex<Vec<(&'static str, mc_status, String)>> = Mutex::new(Vec::new());

    /// Inside the drive call (the startup line): every call that would wait on the loop from
    /// the loop itself is refused, and so is a drive from another thread meanwhile.
    unsafe extern "C" fn misuse_from_the_log_callback(_: *mut c_void, _: u32, _: *const c_char) {
        if ONCE.swap(true, Ordering::SeqCst) {
            return;
        }
        let client = CLIENT.load(Ordering::SeqCst);
        let mut seen = Vec::new();
        seen.push(("flush", mc_client_flush(client, 10), last_error()));
        seen.push(("free", mc_client_free(client, 10), last_error()));
        seen.push(("drive", mc_client_drive(client, MC_DRIVE_TIMEOUT, 0), last_error()));
        let other = std::thread::spawn(move || (mc_client_drive(client, MC_DRIVE_TIMEOUT, 0), last_error()));
        let (status, text) = other.join().unwrap();
        seen.push(("drive from another thread", status, text));
        SEEN.lock().unwrap().extend(seen);
    }

    #[test]
    fn host_driven_misuse_gets_a_status_and_words() {
        // A worker-thread client cannot be driven.
        let mut worker = 0;
        assert_eq!(mc_client_new(&good_config(), &mut worker), mc_status::MC_OK);
        assert_eq!(mc_client_drive(worker, MC_DRIVE_TIMEOUT, 0), mc_status::MC_ERR_UNSUPPORTED);
        assert_eq!(
            last_error(),
            "mc_client_drive: MC_ERR_UNSUPPORTED: the client runs its own worker thread: only a client created \
             with threading = MC_THREADING_HOST is driven by the host"
        );
        let mut w = mc_host_wait::defaults();
        assert_eq!(
            mc_client_host_poll(worker, std::ptr::null_mut(), std::ptr::null_mut(), 0, &mut w),
            mc_status::MC_ERR_UNSUPPORTED
        );
        assert_eq!(mc_client_free(worker, 1000), mc_status::MC_OK);

        let mut c = good_config();
        c.threading = MC_THREADING_HOST;
        c.log_callback = Some(misuse_from_the_log_callback);
        let mut client = 0;
        assert_eq!(mc_client_new(&c, &mut client), mc_status::MC_OK);
        CLIENT.store(client, Ordering::SeqCst);
        // Too small an array: named, and nothing written.
        let mut fds = [-7i32; 1];
        let mut events = [0u32; 1];
        let mut w = mc_host_wait::defaults();
        assert_eq!(
            mc_client_host_poll(client, fds.as_mut_ptr(), events.as_mut_ptr(), 0, &mut w),
            mc_status::MC_ERR_TOO_LONG
        );
        assert_eq!(last_error(), "mc_client_host_poll: MC_ERR_TOO_LONG: cap (0) is too small: 1 descriptors to watch");
        assert_eq!(mc_client_host_poll(client, fds.as_mut_ptr(), events.as_mut_ptr(), 1, &mut w), mc_status::MC_OK);
        assert_eq!((w.n_fds, events[0], w.timeout_ms), (1, MC_WATCH_READ, 0), "the wake-up eventfd, and a turn due");
        assert!(fds[0] >= 0);
        assert_eq!(mc_client_drive(client, -2, 0), mc_status::MC_ERR_INVALID_ARGUMENT);
        assert_eq!(
            last_error(),
            "mc_client_drive: MC_ERR_INVALID_ARGUMENT: fd (-2) is neither a descriptor nor MC_DRIVE_TIMEOUT (-1)"
        );
        // The first turn logs the startup line: the callback misuses the client.
        assert_eq!(mc_client_drive(client, MC_DRIVE_TIMEOUT, 0), mc_status::MC_OK);
        let seen = SEEN.lock().unwrap().clone();
        let expect = [
            (
                "flush",
                mc_status::MC_ERR_WOULD_DEADLOCK,
                "mc_client_flush: MC_ERR_WOULD_DEADLOCK: called from this client's own callback, inside the drive call it would wait for",
            ),
            (
                "free",
                mc_status::MC_ERR_WOULD_DEADLOCK,
                "mc_client_free: MC_ERR_WOULD_DEADLOCK: called from this client's own callback, inside the drive call it would wait for",
            ),
            (
                "drive",
                mc_status::MC_ERR_WOULD_DEADLOCK,
                "mc_client_drive: MC_ERR_WOULD_DEADLOCK: mc_client_drive called from this client's own callback, inside its drive call",
            ),
            (
                "drive from another thread",
                mc_status::MC_ERR_BUSY,
                "mc_client_drive: MC_ERR_BUSY: mc_client_drive: another thread is driving this client right now; drive it from one thread",
            ),
        ];
        assert_eq!(seen.len(), expect.len(), "{seen:?}");
        for ((what, status, text), (w2, s2, t2)) in seen.iter().zip(expect) {
            assert_eq!((*what, *status, text.as_str()), (w2, s2, t2));
        }
        assert_eq!(mc_client_free(client, 1000), mc_status::MC_OK);
        assert_eq!(mc_client_drive(client, MC_DRIVE_TIMEOUT, 0), mc_status::MC_ERR_INVALID_HANDLE);
    }
}
