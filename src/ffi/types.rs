//! Every struct that crosses the ABI. Each begins with `uint32_t struct_size` and has an
//! `mc_<name>_init()` that fills the defaults and the size. Later versions only append fields;
//! the library reads only the bytes the caller's `struct_size` covers (see `read_versioned`).

use std::ffi::{c_char, c_void};

use crate::ffi::boundary::ffi_boundary;
use crate::ffi::error::fail;
use crate::status::mc_status;

/// A client handle: an index and a generation. 0 is never valid.
pub type mc_client_t = u64;
/// A tracker handle: an index and a generation. 0 is never valid. Log lines name a tracker
/// `t<n>` (`t<n>.<g>` once its slot is reused), `n` being the handle's low 32 bits and `g` bits
/// 32 to 55.
pub type mc_tracker_t = u64;

/// Log level (`mc_client_config.log_level`, the log callback's `level`): errors only.
pub const MC_LOG_ERROR: u32 = 1;
/// Log level: warnings and errors.
pub const MC_LOG_WARN: u32 = 2;
/// Log level: information, warnings and errors (the default).
pub const MC_LOG_INFO: u32 = 3;
/// Log level: everything, for debugging.
pub const MC_LOG_DEBUG: u32 = 4;

/// `mc_media_info.media_type`: sent as `media.streamType` "video".
pub const MC_MEDIA_TYPE_VIDEO: u32 = 0;
/// `mc_media_info.media_type`: sent as `media.streamType` "audio".
pub const MC_MEDIA_TYPE_AUDIO: u32 = 1;

/// `mc_client_config.backend`: Adobe's Media Collection API (the default).
pub const MC_BACKEND_MEDIA_COLLECTION: u32 = 0;
/// `mc_client_config.backend`: Adobe's Media Edge API (Edge Network); needs `edge_config_id`.
pub const MC_BACKEND_MEDIA_EDGE: u32 = 1;

/// `mc_client_config.store_durability`: sync at session end and on `mc_client_flush` (default).
pub const MC_DURABILITY_ON_CLOSE: u32 = 0;
/// `mc_client_config.store_durability`: also sync every `store_sync_interval_ms`.
pub const MC_DURABILITY_INTERVAL: u32 = 1;
/// `mc_client_config.store_durability`: sync after every record (slowest, nothing lost).
pub const MC_DURABILITY_EVERY_RECORD: u32 = 2;

/// `mc_client_set_privacy`: the user opted in (the default): everything is sent.
pub const MC_PRIVACY_OPTED_IN: u32 = 0;
/// `mc_client_set_privacy`: the user opted out: stored sessions are deleted, real-time sessions
/// end without another request, and new sessions are refused with MC_ERR_OPTED_OUT.
pub const MC_PRIVACY_OPTED_OUT: u32 = 1;
/// `mc_client_set_privacy`: not known yet: uploads of downloaded sessions wait.
pub const MC_PRIVACY_UNKNOWN: u32 = 2;

/// `mc_track_error` source: the player itself.
pub const MC_ERROR_SOURCE_PLAYER: u32 = 0;
/// `mc_track_error` source: something outside the player (CDN, DRM, network).
pub const MC_ERROR_SOURCE_EXTERNAL: u32 = 1;

/// `mc_event.kind`: a sessionStart got its session id (`session_id`).
pub const MC_EVENT_SESSION_STARTED: u32 = 1;
/// `mc_event.kind`: the server accepted an event (`event_type`, `http_status`).
pub const MC_EVENT_DELIVERED: u32 = 2;
/// `mc_event.kind`: a request failed (`event_type`, `http_status` or 0, `reason`, `retrying`).
/// `retrying` is true too when the request waits for the endpoint (a `Retry-After` pause or an
/// outage), which spends no attempt.
pub const MC_EVENT_REQUEST_FAILED: u32 = 3;
/// `mc_event.kind`: the tracker rules ignored a call (`call`, `reason` = the rule).
pub const MC_EVENT_CALL_IGNORED: u32 = 4;
/// `mc_event.kind`: an event was dropped (`event_type`, `reason` = the counter name).
pub const MC_EVENT_DROPPED: u32 = 5;
/// `mc_event.kind`: the tracker's session restarted as a resumed one (`reason`: idle,
/// session_cap, session_gone, session_expired). A restart after session_gone or session_expired
/// waits a jittered delay and is rationed (`restart_budget`); past the budget the tracker's
/// events come as MC_EVENT_DROPPED with reason `restart_budget_exhausted`.
pub const MC_EVENT_SESSION_RESTARTED: u32 = 6;
/// `mc_event.kind`: metadata entries of a call were dropped (NULL or invalid key, NULL value)
/// and the call went on with the rest (`call`; `reason` says which entries and why). Once per call.
pub const MC_EVENT_METADATA_DROPPED: u32 = 7;

/// `mc_client_config.threading`: the library's worker thread runs the client (the default).
pub const MC_THREADING_WORKER: u32 = 0;
/// `mc_client_config.threading`: the host's event loop runs the client through
/// `mc_client_drive`; the library starts no thread.
pub const MC_THREADING_HOST: u32 = 1;

/// Host-driven: watch the descriptor for reading (`mc_watch_callback`, `mc_client_host_poll`),
/// or it is readable (`mc_client_drive`'s `revents`).
pub const MC_WATCH_READ: u32 = 1;
/// Host-driven: watch the descriptor for writing, or it is writable.
pub const MC_WATCH_WRITE: u32 = 2;
/// Host-driven, `mc_client_drive`'s `revents` only: the descriptor is in error or hung up.
pub const MC_WATCH_ERROR: u32 = 4;
/// `mc_client_drive`'s `fd` when the timeout passed rather than a descriptor being ready.
pub const MC_DRIVE_TIMEOUT: i32 = -1;

/// Host-driven: watch `fd` for `events` (`MC_WATCH_READ` | `MC_WATCH_WRITE`) from now on,
/// replacing what was asked for it before; 0 = stop watching it (it may be closed next). Called
/// inside `mc_client_new` (the wake-up descriptor), `mc_client_drive`, `mc_client_flush` and
/// `mc_client_free`, on their calling thread.
pub type mc_watch_callback = Option<unsafe extern "C" fn(userdata: *mut c_void, fd: i32, events: u32)>;

/// Host-driven: call `mc_client_drive(client, MC_DRIVE_TIMEOUT, 0)` in `timeout_ms` (0: as
/// soon as possible), replacing any timer set before; -1 = no timer. Called where
/// `mc_watch_callback` is, when the timeout changes.
pub type mc_timer_callback = Option<unsafe extern "C" fn(userdata: *mut c_void, timeout_ms: i32)>;

/// A caller-supplied clock reading in milliseconds (`mc_client_config.clock_*`).
pub type mc_clock_callback = Option<unsafe extern "C" fn(userdata: *mut c_void) -> i64>;

/// Receives log lines, on the thread that runs the client (the worker, or the host's inside a
/// drive call), and a refused `mc_client_new`'s line on its calling thread. `message` is valid
/// during the call.
pub type mc_log_callback = Option<unsafe extern "C" fn(userdata: *mut c_void, level: u32, message: *const c_char)>;

/// Receives delivery and rule notices, on the thread that runs the client (the worker, or the
/// host's inside a drive call). `event` is valid during the call.
pub type mc_event_callback = Option<unsafe extern "C" fn(userdata: *mut c_void, event: *const mc_event)>;

/// One notice for the event callback. Strings are NULL when they do not apply.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mc_event {
    /// Size of this struct as the library filled it: read only the fields it covers.
    pub struct_size: u32,
    /// One of `MC_EVENT_*`.
    pub kind: u32,
    /// The tracker the notice is about.
    pub tracker: mc_tracker_t,
    /// The MC session id (MC_EVENT_SESSION_STARTED).
    pub session_id: *const c_char,
    /// The MC eventType concerned, e.g. "play".
    pub event_type: *const c_char,
    /// The call concerned, e.g. "ad_complete" (MC_EVENT_CALL_IGNORED, MC_EVENT_METADATA_DROPPED).
    pub call: *const c_char,
    /// The rule, counter, failure message or dropped entries, depending on `kind`.
    pub reason: *const c_char,
    /// The HTTP status, or 0 when there was none.
    pub http_status: i32,
    /// The failed request will be tried again (MC_EVENT_REQUEST_FAILED).
    pub retrying: bool,
}

/// One `visitor.customerIDs` entry.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mc_customer_id {
    /// The id type, e.g. "userId" (the key in `visitor.customerIDs`).
    pub id_type: *const c_char,
    /// The customer id (`id` in the entry).
    pub id: *const c_char,
    /// 0 unknown, 1 authenticated, 2 logged out.
    pub auth_state: u32,
}

/// A `{key, value}` metadata entry. Keys must match `[a-zA-Z0-9_.]+`. Standard keys (`a.media.*`,
/// `a.media.ad.*`) become params; the rest goes to `customMetadata`. As in Adobe's SDK, an entry
/// with a NULL key, a key that does not match or a NULL value is dropped and the call goes on
/// with the others (counted in `metadata_dropped`, logged, and reported once per call as
/// MC_EVENT_METADATA_DROPPED); an empty value is kept.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mc_metadata {
    /// The key, `[a-zA-Z0-9_.]+`, up to 4096 bytes (longer, or not UTF-8: the call fails).
    pub key: *const c_char,
    /// The value, UTF-8, up to 64 KiB (longer, or not UTF-8: the call fails); may be empty.
    pub value: *const c_char,
}

/// Client configuration. Fill with `mc_client_config_init`, then set what you need. Strings
/// are copied by `mc_client_new`. Every interval, timeout and backoff is in milliseconds and
/// accepts values from 1 ms (tests run on short scales) up to the documented maximum; a value
/// outside its range makes `mc_client_new` return `MC_ERR_OUT_OF_RANGE`, and mc_last_error()
/// names the field, its value and the range.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mc_client_config {
    /// Size of this struct in bytes (its version), set by `mc_client_config_init`: leave it as set.
    pub struct_size: u32,
    /// Base URL of the MC API: `https://<namespace>.hb-api.omtrdc.net`, with an optional port and
    /// path prefix. http is accepted for local testing. The host is ASCII (an international
    /// domain name in its `xn--` form); credentials, a query, a fragment and `.`/`..` path
    /// segments are refused. Required.
    pub endpoint: *const c_char,
    /// `analytics.trackingServer`. Required.
    pub tracking_server: *const c_char,
    /// `analytics.reportSuite`. Required.
    pub report_suite: *const c_char,
    /// `visitor.marketingCloudOrgId`, e.g. "0123456789@AdobeOrg". Required.
    pub org_id: *const c_char,
    /// `visitor.marketingCloudUserId` (ECID). Optional, strongly recommended.
    pub ecid: *const c_char,
    /// `analytics.visitorId`. Optional.
    pub visitor_id: *const c_char,
    /// `analytics.aid`. Optional.
    pub aid: *const c_char,
    /// `visitor.aamLocationHint`; negative = not sent. Default -1.
    pub aam_location_hint: i32,
    /// `visitor.customerIDs`: array of `n_customer_ids` entries, copied. May be NULL when 0.
    pub customer_ids: *const mc_customer_id,
    /// Number of entries in `customer_ids`. Default 0.
    pub n_customer_ids: usize,
    /// `appInstallationId`. Optional.
    pub app_installation_id: *const c_char,
    /// CCPA: `analytics.optOutServerSideForwarding: true` on every sessionStart. Default false.
    pub opt_out_server_side_forwarding: bool,
    /// CCPA: `analytics.optOutShare: true` on every sessionStart. Default false.
    pub opt_out_share: bool,
    /// `media.sdkVersion`: the player app's version. Optional.
    pub app_version: *const c_char,
    /// Default `media.channel` (a tracker may override it). Default "unknown" when unset.
    pub channel: *const c_char,
    /// Default `media.playerName` and `media.ad.playerName`. Default "unknown" when unset.
    pub player_name: *const c_char,
    /// Log callback, called on the thread that runs the client only (the worker; host-driven,
    /// the thread inside `mc_client_drive`, `mc_client_flush` or `mc_client_free`), except for
    /// the one line of a refused `mc_client_new`, which it gets on the calling thread before
    /// that call returns. NULL (the default): no logging.
    pub log_callback: mc_log_callback,
    /// Passed to `log_callback` as is. It must stay valid until `mc_client_free` returned
    /// MC_OK: after MC_ERR_TIMEOUT the worker, left to finish, may still call the callback.
    pub log_userdata: *mut c_void,
    /// The most verbose level passed to `log_callback` (`MC_LOG_*`). Default MC_LOG_INFO.
    pub log_level: u32,
    /// Event callback, called on the thread that runs the client only (as `log_callback`).
    /// NULL (the default): no notices.
    pub event_callback: mc_event_callback,
    /// Passed to `event_callback` as is; the same lifetime rule as `log_userdata`.
    pub event_userdata: *mut c_void,
    /// Ping interval in content and in ads without granular tracking. Default 10000, max 600000.
    pub ping_interval_ms: u32,
    /// Ping interval inside an ad with granular ad tracking. Default 1000, max 600000.
    pub granular_ad_ping_interval_ms: u32,
    /// Ping interval of downloaded sessions. Default 50000, max 600000.
    pub offline_ping_interval_ms: u32,
    /// Main content playing this long → the content-start `play`. Default 1000, max 600000.
    pub content_start_delay_ms: u32,
    /// Default pre-roll waiting window (0 disables). Default 250, max 60000.
    pub preroll_window_ms: u32,
    /// Idle (paused, buffering, seeking, not started) this long → sessionEnd; the next play
    /// resumes. Default 1800000 (30 min), max 86400000.
    pub idle_timeout_ms: u32,
    /// A session this old restarts as a resumed one. Default 86400000 (24 h), max 604800000.
    pub session_cap_ms: u32,
    /// Consecutive `ts` of one session are at least this far apart. Default 1 (the MC docs);
    /// 0 reproduces Adobe's SDK. Max 1000.
    pub min_ts_gap_ms: u32,
    /// TCP/TLS connect timeout. Default 5000, max 600000.
    pub connect_timeout_ms: u32,
    /// Whole-request timeout. Default 10000, max 600000.
    pub request_timeout_ms: u32,
    /// First retry backoff (doubles per try, ±20 % jitter). Default 500, max 600000.
    pub retry_base_ms: u32,
    /// Backoff cap. Default 8000, max 3600000; must be ≥ retry_base_ms.
    pub retry_cap_ms: u32,
    /// sessionStart attempts before its session is given up (`session_not_created`). Waits on a
    /// `Retry-After` or an outage spend none. Default 5, range 1–100.
    pub session_start_max_attempts: u32,
    /// No longer used: a sessionStart is given up after `session_start_max_attempts` attempts,
    /// however long the endpoint made it wait. Accepted (1–3600000); a value other than the
    /// default is logged once as ignored.
    pub session_start_budget_ms: u32,
    /// No longer used: an event is given up after `event_max_attempts` attempts (and the memory
    /// caps), however long the endpoint made it wait. Accepted (1–3600000); a value other than
    /// the default is logged once as ignored.
    pub event_retry_budget_ms: u32,
    /// A 429 or 503 with `Retry-After` pauses every request to the endpoint for that long, up
    /// to this. Default 300000, max 3600000.
    pub retry_after_cap_ms: u32,
    /// `User-Agent` header. NULL = "media-collection/<version>". No control characters.
    pub user_agent: *const c_char,
    /// CA bundle file for TLS verification. NULL = libcurl's default.
    pub ca_file: *const c_char,
    /// CA certificate directory for TLS verification. NULL = libcurl's default.
    pub ca_path: *const c_char,
    /// Proxy URL. NULL = libcurl's environment handling (`https_proxy`, `no_proxy`, ...).
    pub proxy: *const c_char,
    /// Calls queued to the worker at most; beyond, calls return MC_ERR_QUEUE_FULL and count
    /// `queue_overflow`. Default 8192, range 16–1048576.
    pub queue_capacity: u32,
    /// Events held per session (before its id arrives or behind a retry). Default 500, range 1–100000.
    pub session_queue_cap: u32,
    /// Events held over all sessions. Default 4096, range 1–1000000.
    pub global_pending_cap: u32,
    /// Directory of the offline store for downloaded content (created 0700 if missing; one
    /// client per directory: a second process gets MC_ERR_STORE_LOCKED). An existing directory
    /// that group or others can write is tightened to 0700 when the process owns it, and refused
    /// with MC_ERR_STORE_UNSAFE when it belongs to another user or is a shared sticky directory
    /// (/tmp). NULL = no store, and downloaded trackers are refused with MC_ERR_NO_STORE.
    /// A library built without its `offline` feature refuses a store with MC_ERR_UNSUPPORTED.
    pub store_dir: *const c_char,
    /// When stored events are synced to disk: `MC_DURABILITY_ON_CLOSE` (default: at session end
    /// and on `mc_client_flush`), `MC_DURABILITY_INTERVAL` (every `store_sync_interval_ms`) or
    /// `MC_DURABILITY_EVERY_RECORD`.
    pub store_durability: u32,
    /// Sync interval for MC_DURABILITY_INTERVAL. Default 1000, range 1–600000.
    pub store_sync_interval_ms: u32,
    /// Stored sessions kept at most; the oldest goes first (`store_evicted`). Default 100, range 1–100000.
    pub store_max_sessions: u32,
    /// Bytes of stored sessions kept at most. Default 50 MiB, range 4096–2^40.
    pub store_max_bytes: u64,
    /// A stored session older than this (since its creation) is evicted. Default 30 days.
    pub store_max_age_ms: u64,
    /// Quarantined sessions kept for diagnosis (oldest deleted first). Default 20, max 10000.
    pub store_max_quarantined: u32,
    /// First upload retry backoff (doubles per try, ±20 %). Default 15000, range 1–86400000.
    pub upload_backoff_base_ms: u32,
    /// Upload backoff cap. Default 3600000 (1 h), range 1–86400000; must be ≥ the base.
    pub upload_backoff_cap_ms: u32,
    /// A stored session still not uploaded this long after its creation is given up
    /// (quarantined, `retry_exhausted`). Default 7 days, range 1 ms–365 days.
    pub upload_give_up_ms: u64,
    /// Gap between two uploads. Default 100, max 600000.
    pub upload_min_gap_ms: u32,
    /// Upload to the deprecated `POST /api/v1/sessions` array form (for older back ends)
    /// instead of `POST /api/v1/downloaded`. Default false.
    pub use_deprecated_downloaded_endpoint: bool,
    /// The device starts offline: stored sessions wait for
    /// `mc_client_set_network_available(client, true)`. Default false (online).
    pub offline_at_start: bool,
    /// DANGER: true turns off TLS peer and host-name verification, so anyone on the path can
    /// read and alter what is sent. For a test back end with a certificate you cannot install
    /// (configure `ca_file` instead wherever you can). The worker logs a warning at start.
    /// Default false.
    pub dangerous_disable_tls_verification: bool,
    /// Attempts of an event before it is given up (`retry_exhausted`; the session goes on).
    /// Waits on a `Retry-After` or an outage spend none. Default 10, range 1–1000.
    pub event_max_attempts: u32,
    /// Session restarts after 404/410 or expiry, per tracker, within `restart_window_ms`. Past
    /// it the tracker sends nothing more for that media session (`restart_budget_exhausted`)
    /// until the player's next `mc_track_session_start`. Default 3, range 0–1000.
    pub restart_budget: u32,
    /// The rolling window of `restart_budget`. Default 3600000 (1 h), range 1–86400000.
    pub restart_window_ms: u32,
    /// The first restart in the window waits a random delay up to this; the n-th waits this
    /// × 2ⁿ ±20 %, capped at `restart_backoff_cap_ms`. Default 10000 (one ping interval),
    /// range 1–3600000.
    pub restart_delay_ms: u32,
    /// Cap of the restart delay. Default 600000 (10 min), range 1–86400000; must be ≥
    /// `restart_delay_ms`.
    pub restart_backoff_cap_ms: u32,
    /// This many network failures or timeouts in a row mean the endpoint is out: sessions stop
    /// retrying and one probe request goes out per `outage_probe_interval_ms`. Default 5,
    /// range 1–1000.
    pub outage_failures: u32,
    /// First probe interval during an outage (±20 %); each failed probe doubles it, up to 8
    /// times this. Default 60000, range 1–3600000.
    pub outage_probe_interval_ms: u32,
    /// When the endpoint opens again (after `Retry-After` or an outage), the requests that
    /// waited are released spread over this window; the probe after a `Retry-After` waits a
    /// random part of it too. It also sets the drain pace after a pause (see
    /// `drain_ramp_ms`): per share (one per live session, plus one) one request per 3 windows
    /// at first, ramping to one per 1.5 windows; 0 turns the pace off too. Default 10000,
    /// range 0–600000.
    pub release_window_ms: u32,
    /// The back end closes a session after this long without events: a session that delivered
    /// nothing for this long drops what it holds (`session_expired`) and restarts, under the
    /// restart budget. Default 600000 (10 min), range 1–86400000.
    pub session_expiry_ms: u32,
    /// After `mc_client_set_network_available(client, true)`, the first downloaded upload
    /// waits a random delay up to this, so devices that come back online together do not
    /// upload together. Default 30000, range 0–3600000.
    pub network_return_window_ms: u32,
    /// Which back end the client reports to: `MC_BACKEND_MEDIA_COLLECTION` (default) or
    /// `MC_BACKEND_MEDIA_EDGE`. With Media Edge, `endpoint` is the edge domain (NULL =
    /// `https://edge.adobedc.net`; a first-party domain is allowed), `edge_config_id` is
    /// required, and `tracking_server`, `report_suite`, `org_id` are not used. A library built
    /// without its `edge` feature refuses Media Edge with MC_ERR_UNSUPPORTED.
    pub backend: u32,
    /// Media Edge: the datastream id, sent as `configId` on every request. Required with
    /// `MC_BACKEND_MEDIA_EDGE`; ignored (one log line) with the MC API.
    pub edge_config_id: *const c_char,
    /// Media Edge: a first-party device id, sent in `identityMap.FPID` (with `ecid` and
    /// `customer_ids`, which go there too). NULL = none; ignored (one log line) with the MC API.
    pub fpid: *const c_char,
    /// After a pause (`Retry-After` or an outage) the client paces its requests so what it
    /// held drains over minutes, never slower than its players make events; the pace ramps up
    /// over this long and lasts until nothing more waits. A 503 or 429 without `Retry-After`
    /// while draining restarts the ramp and spends no attempt. 0 turns the pace off. Default
    /// 600000 (10 min), range 0–86400000.
    pub drain_ramp_ms: u32,
    /// Who runs the client: `MC_THREADING_WORKER` (default: a thread of the library's) or
    /// `MC_THREADING_HOST` (no thread: the host's event loop watches the client's descriptors
    /// and calls `mc_client_drive`; see the README's "Host-driven mode").
    pub threading: u32,
    /// Host-driven: told which descriptors to watch (see `mc_watch_callback`). NULL: the host
    /// asks with `mc_client_host_poll` instead. Refused (MC_ERR_INVALID_ARGUMENT) with the
    /// worker thread.
    pub watch_callback: mc_watch_callback,
    /// Host-driven: told when to drive the client next (see `mc_timer_callback`). NULL: the
    /// host asks with `mc_client_host_poll`. Refused with the worker thread.
    pub timer_callback: mc_timer_callback,
    /// Passed to `watch_callback` and `timer_callback` as is.
    pub host_userdata: *mut c_void,
    /// A test facility, host-driven only: the client reads this monotonic clock (ms, any
    /// origin, never decreasing) instead of the system's for every deadline, so a test moves
    /// time by moving its clock. Set with `clock_wall_ms`, or neither. Called on any thread
    /// that calls the library (player calls stamp the time), so it must be thread-safe.
    pub clock_monotonic_ms: mc_clock_callback,
    /// A test facility, with `clock_monotonic_ms`: the wall clock (ms since the epoch). Events
    /// carry it as `ts` (a wall-clock anchor plus the monotonic time since, as ever).
    pub clock_wall_ms: mc_clock_callback,
    /// Passed to the clock callbacks as is.
    pub clock_userdata: *mut c_void,
}

/// Per-tracker configuration. Fill with `mc_tracker_config_init`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mc_tracker_config {
    /// Size of this struct in bytes (its version), set by `mc_tracker_config_init`: leave it as set.
    pub struct_size: u32,
    /// `media.channel` for this tracker's sessions. NULL = the client's.
    pub channel: *const c_char,
    /// `media.playerName` (and `media.ad.playerName`) for this tracker. NULL = the client's.
    pub player_name: *const c_char,
    /// Downloaded content: events go to the offline store and are uploaded as one batch.
    pub downloaded: bool,
}

/// What is played. Fill with `mc_media_info_init`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mc_media_info {
    /// Size of this struct in bytes (its version), set by `mc_media_info_init`: leave it as set.
    pub struct_size: u32,
    /// `media.id`. Required, non-empty.
    pub id: *const c_char,
    /// `media.name`. Required, non-empty.
    pub name: *const c_char,
    /// `media.length` in seconds, ≥ 0. Use 86400 for live content of unknown length.
    pub length: f64,
    /// `media.contentType`, free text: "vod", "live", "linear", "aod", "podcast", ... Required.
    pub content_type: *const c_char,
    /// `MC_MEDIA_TYPE_VIDEO` or `MC_MEDIA_TYPE_AUDIO` → `media.streamType`.
    pub media_type: u32,
    /// Playhead of the sessionStart in seconds, ≥ 0. Default 0.
    pub initial_playhead: f64,
    /// `media.resume: true`: this session resumes one closed earlier. Default false.
    pub resumed: bool,
    /// Pre-roll waiting window in ms, 0–60000 (else MC_ERR_OUT_OF_RANGE); -1 = the client's
    /// `preroll_window_ms`. Default -1.
    pub preroll_wait_ms: i32,
    /// Pings every `granular_ad_ping_interval_ms` inside ads. Default false.
    pub granular_ad_tracking: bool,
}

/// An ad break (pod). Fill with `mc_ad_break_info_init`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mc_ad_break_info {
    /// Size of this struct in bytes (its version), set by `mc_ad_break_info_init`: leave it as set.
    pub struct_size: u32,
    /// `media.ad.podFriendlyName`. Required, non-empty.
    pub name: *const c_char,
    /// `media.ad.podIndex`, ≥ 1.
    pub position: u32,
    /// `media.ad.podSecond`: content seconds where the break starts, ≥ 0.
    pub start_time: f64,
}

/// An ad. Fill with `mc_ad_info_init`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mc_ad_info {
    /// Size of this struct in bytes (its version), set by `mc_ad_info_init`: leave it as set.
    pub struct_size: u32,
    /// `media.ad.id`. Required, non-empty.
    pub id: *const c_char,
    /// `media.ad.name`. Required, non-empty.
    pub name: *const c_char,
    /// `media.ad.podPosition`, ≥ 1.
    pub position: u32,
    /// `media.ad.length` in seconds, ≥ 0.
    pub length: f64,
}

/// A chapter. Fill with `mc_chapter_info_init`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mc_chapter_info {
    /// Size of this struct in bytes (its version), set by `mc_chapter_info_init`: leave it as set.
    pub struct_size: u32,
    /// `media.chapter.friendlyName`. Required, non-empty.
    pub name: *const c_char,
    /// `media.chapter.index`, ≥ 1.
    pub position: u32,
    /// `media.chapter.offset` in seconds, ≥ 0.
    pub start_time: f64,
    /// `media.chapter.length` in seconds, ≥ 0.
    pub length: f64,
}

/// Quality of experience. Fill with `mc_qoe_init`. All values ≥ 0; sent as integers.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mc_qoe {
    /// Size of this struct in bytes (its version), set by `mc_qoe_init`: leave it as set.
    pub struct_size: u32,
    /// `media.qoe.bitrate` in bits per second.
    pub bitrate: f64,
    /// `media.qoe.droppedFrames`: cumulative for the session.
    pub dropped_frames: f64,
    /// `media.qoe.framesPerSecond`.
    pub fps: f64,
    /// `media.qoe.timeToStart` in ms.
    pub startup_time: f64,
}

/// Counters of `mc_client_stats`, in the order of the library's counter table. Every event
/// that does not reach the server is counted under one reason.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct mc_stats {
    /// Size of this struct in bytes, set by `mc_stats_init`: `mc_client_stats` writes only the
    /// counters it covers.
    pub struct_size: u32,
    /// Event calls accepted onto the queue to the worker.
    pub calls_accepted: u64,
    /// MC events produced by the tracker rules (pings included).
    pub hits_generated: u64,
    /// Events the server accepted (2xx), sessionStart included.
    pub events_delivered: u64,
    /// Sessions whose sessionStart got a 201 with a usable Location.
    pub sessions_started: u64,
    /// HTTP requests started.
    pub requests_sent: u64,
    /// Requests sent again after a retryable failure.
    pub retries: u64,
    /// Calls the tracker rules rejected (no hit produced).
    pub ignored_call: u64,
    /// Calls dropped because the queue to the worker was full.
    pub queue_overflow: u64,
    /// Events dropped because a session's pending queue or the global cap was full.
    pub cache_overflow: u64,
    /// Events dropped because their sessionStart finally failed.
    pub session_not_created: u64,
    /// Events or batches the server rejected with 400.
    pub rejected_400: u64,
    /// 404/410 answers: the session restarted as a resumed one.
    pub session_gone: u64,
    /// Events or batches given up after their retry budget.
    pub retry_exhausted: u64,
    /// Events not delivered when the client shut down.
    pub shut_down: u64,
    /// Events or sessions dropped because the user opted out.
    pub opted_out: u64,
    /// Failed disk writes or syncs of the offline store.
    pub disk_error: u64,
    /// Torn or corrupt records discarded on store recovery, one by one (and the records of a
    /// session whose first record was lost).
    pub torn_tail_discarded: u64,
    /// Stored sessions evicted by the store caps.
    pub store_evicted: u64,
    /// Stored sessions moved to quarantine.
    pub quarantined: u64,
    /// Downloaded sessions uploaded with a 201.
    pub batches_uploaded: u64,
    /// Wall-clock steps of more than 5 s detected. A session's `ts` keep their monotonic spacing
    /// through them; the next session takes the corrected clock.
    pub clock_jumps: u64,
    /// Panics caught at the C boundary or in the worker.
    pub panics: u64,
    /// Sessions restarted as resumed ones (idle, 24 h cap, 404/410).
    pub sessions_resumed: u64,
    /// Metadata entries dropped from a call (NULL or invalid key, NULL value); the call and its
    /// other entries went on.
    pub metadata_dropped: u64,
    /// Events dropped because their tracker used up its restart budget (`restart_budget`
    /// restarts after 404/410 or expiry per `restart_window_ms`): nothing more is sent for that
    /// media session, until the player's next `mc_track_session_start`.
    pub restart_budget_exhausted: u64,
    /// Events dropped because their session delivered nothing for `session_expiry_ms` (the back
    /// end had closed it); the session restarts as a resumed one, under the restart budget.
    pub session_expired: u64,
    /// Times the endpoint was paused for every session: a `Retry-After`, an outage, a failed probe.
    pub endpoint_pauses: u64,
}

macro_rules! size_of_u32 {
    ($t:ty) => {
        std::mem::size_of::<$t>() as u32
    };
}

impl mc_client_config {
    pub fn defaults() -> mc_client_config {
        mc_client_config {
            struct_size: size_of_u32!(mc_client_config),
            endpoint: std::ptr::null(),
            tracking_server: std::ptr::null(),
            report_suite: std::ptr::null(),
            org_id: std::ptr::null(),
            ecid: std::ptr::null(),
            visitor_id: std::ptr::null(),
            aid: std::ptr::null(),
            aam_location_hint: -1,
            customer_ids: std::ptr::null(),
            n_customer_ids: 0,
            app_installation_id: std::ptr::null(),
            opt_out_server_side_forwarding: false,
            opt_out_share: false,
            app_version: std::ptr::null(),
            channel: std::ptr::null(),
            player_name: std::ptr::null(),
            log_callback: None,
            log_userdata: std::ptr::null_mut(),
            log_level: MC_LOG_INFO,
            event_callback: None,
            event_userdata: std::ptr::null_mut(),
            ping_interval_ms: 10_000,
            granular_ad_ping_interval_ms: 1_000,
            offline_ping_interval_ms: 50_000,
            content_start_delay_ms: 1_000,
            preroll_window_ms: 250,
            idle_timeout_ms: 1_800_000,
            session_cap_ms: 86_400_000,
            min_ts_gap_ms: 1,
            connect_timeout_ms: 5_000,
            request_timeout_ms: 10_000,
            retry_base_ms: 500,
            retry_cap_ms: 8_000,
            session_start_max_attempts: 5,
            session_start_budget_ms: 60_000,
            event_retry_budget_ms: 60_000,
            retry_after_cap_ms: 300_000,
            user_agent: std::ptr::null(),
            ca_file: std::ptr::null(),
            ca_path: std::ptr::null(),
            proxy: std::ptr::null(),
            queue_capacity: 8192,
            session_queue_cap: 500,
            global_pending_cap: 4096,
            store_dir: std::ptr::null(),
            store_durability: MC_DURABILITY_ON_CLOSE,
            store_sync_interval_ms: 1000,
            store_max_sessions: 100,
            store_max_bytes: 50 * 1024 * 1024,
            store_max_age_ms: 30 * 86_400_000,
            store_max_quarantined: 20,
            upload_backoff_base_ms: 15_000,
            upload_backoff_cap_ms: 3_600_000,
            upload_give_up_ms: 7 * 86_400_000,
            upload_min_gap_ms: 100,
            use_deprecated_downloaded_endpoint: false,
            offline_at_start: false,
            dangerous_disable_tls_verification: false,
            event_max_attempts: 10,
            restart_budget: 3,
            restart_window_ms: 3_600_000,
            restart_delay_ms: 10_000,
            restart_backoff_cap_ms: 600_000,
            outage_failures: 5,
            outage_probe_interval_ms: 60_000,
            release_window_ms: 10_000,
            session_expiry_ms: 600_000,
            network_return_window_ms: 30_000,
            backend: MC_BACKEND_MEDIA_COLLECTION,
            edge_config_id: std::ptr::null(),
            fpid: std::ptr::null(),
            drain_ramp_ms: 600_000,
            threading: MC_THREADING_WORKER,
            watch_callback: None,
            timer_callback: None,
            host_userdata: std::ptr::null_mut(),
            clock_monotonic_ms: None,
            clock_wall_ms: None,
            clock_userdata: std::ptr::null_mut(),
        }
    }
}

/// Appends `name=value` to `out` for each listed field of `c` that differs from `d`.
macro_rules! changed {
    ($out:ident, $c:ident, $d:ident; $($field:ident),* $(,)?) => {
        $( if $c.$field != $d.$field { note(&mut $out, stringify!($field), &$c.$field); } )*
    };
}

/// `name=value` into `out`: one call per changed option, so that the formatting is here once
/// rather than at each of the fifty options (about 4 KiB of code; docs/performance.md).
#[inline(never)]
fn note(out: &mut Vec<String>, name: &str, value: &dyn std::fmt::Display) {
    out.push(format!("{name}={value}"));
}

impl mc_client_config {
    /// The options set to something other than their defaults, as `name=value` for the startup
    /// log line. Personal data (ids) and the proxy (it may hold credentials) show only as set.
    ///
    /// # Safety
    /// The string fields are NULL or NUL-terminated (already checked by `mc_client_new`).
    pub unsafe fn non_defaults(&self) -> Vec<String> {
        let (c, d) = (self, mc_client_config::defaults());
        let mut out = Vec::new();
        let text = |p: *const c_char| unsafe { std::ffi::CStr::from_ptr(p) }.to_string_lossy().into_owned();
        for (name, p) in [
            ("app_version", c.app_version),
            ("channel", c.channel),
            ("player_name", c.player_name),
            ("user_agent", c.user_agent),
            ("ca_file", c.ca_file),
            ("ca_path", c.ca_path),
            ("store_dir", c.store_dir),
            ("edge_config_id", c.edge_config_id),
        ] {
            if !p.is_null() {
                note(&mut out, name, &crate::ffi::error::quote(&text(p)));
            }
        }
        for (name, set) in [
            ("ecid", !c.ecid.is_null()),
            ("visitor_id", !c.visitor_id.is_null()),
            ("aid", !c.aid.is_null()),
            ("app_installation_id", !c.app_installation_id.is_null()),
            ("proxy", !c.proxy.is_null()),
            ("fpid", !c.fpid.is_null()),
            ("event_callback", c.event_callback.is_some()),
            ("watch_callback", c.watch_callback.is_some()),
            ("timer_callback", c.timer_callback.is_some()),
            ("clock_monotonic_ms", c.clock_monotonic_ms.is_some()),
            ("clock_wall_ms", c.clock_wall_ms.is_some()),
        ] {
            if set {
                note(&mut out, name, &"(set)");
            }
        }
        changed!(out, c, d;
            aam_location_hint, n_customer_ids, opt_out_server_side_forwarding, opt_out_share, log_level,
            ping_interval_ms, granular_ad_ping_interval_ms, offline_ping_interval_ms, content_start_delay_ms,
            preroll_window_ms, idle_timeout_ms, session_cap_ms, min_ts_gap_ms, connect_timeout_ms,
            request_timeout_ms, retry_base_ms, retry_cap_ms, session_start_max_attempts, session_start_budget_ms,
            event_retry_budget_ms, retry_after_cap_ms, queue_capacity, session_queue_cap, global_pending_cap,
            store_durability, store_sync_interval_ms, store_max_sessions, store_max_bytes, store_max_age_ms,
            store_max_quarantined, upload_backoff_base_ms, upload_backoff_cap_ms, upload_give_up_ms,
            upload_min_gap_ms, use_deprecated_downloaded_endpoint, offline_at_start,
            dangerous_disable_tls_verification, event_max_attempts, restart_budget, restart_window_ms,
            restart_delay_ms, restart_backoff_cap_ms, outage_failures, outage_probe_interval_ms,
            release_window_ms, session_expiry_ms, network_return_window_ms, backend,
            drain_ramp_ms, threading,
        );
        out
    }
}

impl mc_tracker_config {
    pub fn defaults() -> mc_tracker_config {
        mc_tracker_config {
            struct_size: size_of_u32!(mc_tracker_config),
            channel: std::ptr::null(),
            player_name: std::ptr::null(),
            downloaded: false,
        }
    }
}

impl mc_media_info {
    pub fn defaults() -> mc_media_info {
        mc_media_info {
            struct_size: size_of_u32!(mc_media_info),
            id: std::ptr::null(),
            name: std::ptr::null(),
            length: 0.0,
            content_type: std::ptr::null(),
            media_type: MC_MEDIA_TYPE_VIDEO,
            initial_playhead: 0.0,
            resumed: false,
            preroll_wait_ms: -1,
            granular_ad_tracking: false,
        }
    }
}

impl mc_ad_break_info {
    pub fn defaults() -> mc_ad_break_info {
        mc_ad_break_info {
            struct_size: size_of_u32!(mc_ad_break_info),
            name: std::ptr::null(),
            position: 1,
            start_time: 0.0,
        }
    }
}

impl mc_ad_info {
    pub fn defaults() -> mc_ad_info {
        mc_ad_info {
            struct_size: size_of_u32!(mc_ad_info),
            id: std::ptr::null(),
            name: std::ptr::null(),
            position: 1,
            length: 0.0,
        }
    }
}

impl mc_chapter_info {
    pub fn defaults() -> mc_chapter_info {
        mc_chapter_info {
            struct_size: size_of_u32!(mc_chapter_info),
            name: std::ptr::null(),
            position: 1,
            start_time: 0.0,
            length: 0.0,
        }
    }
}

impl mc_qoe {
    pub fn defaults() -> mc_qoe {
        mc_qoe { struct_size: size_of_u32!(mc_qoe), bitrate: 0.0, dropped_frames: 0.0, fps: 0.0, startup_time: 0.0 }
    }
}

impl mc_stats {
    pub fn defaults() -> mc_stats {
        mc_stats { struct_size: size_of_u32!(mc_stats), ..Default::default() }
    }
}

/// Reads a versioned struct: copies only the bytes the caller's `struct_size` covers over the
/// defaults, so a caller built against an older (shorter) header keeps the defaults of fields
/// appended since. A size below `min_size` or above the current size is refused.
///
/// # Safety
/// `ptr` must point to at least `struct_size` readable bytes (the caller's contract).
pub unsafe fn read_versioned<T: Copy>(ptr: *const T, defaults: T, min_size: usize, what: &str) -> Result<T, mc_status> {
    if ptr.is_null() {
        return Err(fail(mc_status::MC_ERR_NULL_ARGUMENT, format!("{what}: required (NULL)")));
    }
    // Every versioned struct starts with its size.
    let size = unsafe { std::ptr::read_unaligned(ptr as *const u32) } as usize;
    if size < min_size || size > std::mem::size_of::<T>() {
        return Err(struct_size_error(what, size, min_size, std::mem::size_of::<T>()));
    }
    let mut out = defaults;
    unsafe {
        std::ptr::copy_nonoverlapping(ptr as *const u8, &mut out as *mut T as *mut u8, size);
    }
    Ok(out)
}

/// MC_ERR_STRUCT_SIZE, naming the struct, the size found and the sizes this library knows.
pub fn struct_size_error(what: &str, size: usize, min: usize, max: usize) -> mc_status {
    fail(
        mc_status::MC_ERR_STRUCT_SIZE,
        format!(
            "{what}.struct_size ({size}) is not a version this library knows ({min} to {max} bytes): \
             fill the struct with its _init() first"
        ),
    )
}

/// Writes the defaults of a struct into the caller's `size` bytes (the caller's version of the
/// struct, which may be older and shorter than the library's) and sets `struct_size` to it.
/// Checks NULL; never reads the target, never writes past `size`.
pub(crate) fn init_into<T>(out: *mut T, value: T, size: usize) -> mc_status {
    if out.is_null() {
        return fail(mc_status::MC_ERR_NULL_ARGUMENT, "the struct to fill: NULL");
    }
    // Every versioned struct starts with `uint32_t struct_size`; a newer caller's struct has
    // fields this library cannot fill.
    if size < std::mem::size_of::<u32>() || size > std::mem::size_of::<T>() {
        return fail(
            mc_status::MC_ERR_STRUCT_SIZE,
            format!(
                "size ({size}) is not a version this library knows (4 to {} bytes): a header newer than the library?",
                std::mem::size_of::<T>()
            ),
        );
    }
    unsafe {
        std::ptr::copy_nonoverlapping(&value as *const T as *const u8, out as *mut u8, size);
        std::ptr::write_unaligned(out as *mut u32, size as u32);
    }
    mc_status::MC_OK
}

/// Fills `*config` with the defaults (every field's documented default; the four required
/// strings NULL) and its `struct_size`.
/// Call it through the `mc_client_config_init(p)` macro, which passes `sizeof *(p)`: the size the caller
/// was compiled with, so an older caller is never written past its struct.
///
/// @param config The struct to fill.
/// @param size `sizeof *config` as the caller was compiled (the macro passes it).
/// @return MC_OK when filled.
/// @retval MC_OK Filled.
/// @retval MC_ERR_NULL_ARGUMENT `config` is NULL.
/// @retval MC_ERR_STRUCT_SIZE `size` is not a version this library knows (a header newer than the library?).
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Any thread; never blocks; touches no client.
#[unsafe(no_mangle)]
pub extern "C" fn mc_client_config_init_sized(config: *mut mc_client_config, size: usize) -> mc_status {
    ffi_boundary! { init_into(config, mc_client_config::defaults(), size) }
}

/// Fills `*config` with the defaults (the client's channel and player name, real-time content) and its `struct_size`.
/// Call it through the `mc_tracker_config_init(p)` macro, which passes `sizeof *(p)`: the size the caller
/// was compiled with, so an older caller is never written past its struct.
///
/// @param config The struct to fill.
/// @param size `sizeof *config` as the caller was compiled (the macro passes it).
/// @return MC_OK when filled.
/// @retval MC_OK Filled.
/// @retval MC_ERR_NULL_ARGUMENT `config` is NULL.
/// @retval MC_ERR_STRUCT_SIZE `size` is not a version this library knows (a header newer than the library?).
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Any thread; never blocks; touches no client.
#[unsafe(no_mangle)]
pub extern "C" fn mc_tracker_config_init_sized(config: *mut mc_tracker_config, size: usize) -> mc_status {
    ffi_boundary! { init_into(config, mc_tracker_config::defaults(), size) }
}

/// Fills `*info` with the defaults (video, playhead 0, the client's pre-roll window) and its `struct_size`.
/// Call it through the `mc_media_info_init(p)` macro, which passes `sizeof *(p)`: the size the caller
/// was compiled with, so an older caller is never written past its struct.
///
/// @param info The struct to fill.
/// @param size `sizeof *info` as the caller was compiled (the macro passes it).
/// @return MC_OK when filled.
/// @retval MC_OK Filled.
/// @retval MC_ERR_NULL_ARGUMENT `info` is NULL.
/// @retval MC_ERR_STRUCT_SIZE `size` is not a version this library knows (a header newer than the library?).
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Any thread; never blocks; touches no client.
#[unsafe(no_mangle)]
pub extern "C" fn mc_media_info_init_sized(info: *mut mc_media_info, size: usize) -> mc_status {
    ffi_boundary! { init_into(info, mc_media_info::defaults(), size) }
}

/// Fills `*info` with the defaults (position 1, start 0) and its `struct_size`.
/// Call it through the `mc_ad_break_info_init(p)` macro, which passes `sizeof *(p)`: the size the caller
/// was compiled with, so an older caller is never written past its struct.
///
/// @param info The struct to fill.
/// @param size `sizeof *info` as the caller was compiled (the macro passes it).
/// @return MC_OK when filled.
/// @retval MC_OK Filled.
/// @retval MC_ERR_NULL_ARGUMENT `info` is NULL.
/// @retval MC_ERR_STRUCT_SIZE `size` is not a version this library knows (a header newer than the library?).
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Any thread; never blocks; touches no client.
#[unsafe(no_mangle)]
pub extern "C" fn mc_ad_break_info_init_sized(info: *mut mc_ad_break_info, size: usize) -> mc_status {
    ffi_boundary! { init_into(info, mc_ad_break_info::defaults(), size) }
}

/// Fills `*info` with the defaults (position 1, length 0) and its `struct_size`.
/// Call it through the `mc_ad_info_init(p)` macro, which passes `sizeof *(p)`: the size the caller
/// was compiled with, so an older caller is never written past its struct.
///
/// @param info The struct to fill.
/// @param size `sizeof *info` as the caller was compiled (the macro passes it).
/// @return MC_OK when filled.
/// @retval MC_OK Filled.
/// @retval MC_ERR_NULL_ARGUMENT `info` is NULL.
/// @retval MC_ERR_STRUCT_SIZE `size` is not a version this library knows (a header newer than the library?).
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Any thread; never blocks; touches no client.
#[unsafe(no_mangle)]
pub extern "C" fn mc_ad_info_init_sized(info: *mut mc_ad_info, size: usize) -> mc_status {
    ffi_boundary! { init_into(info, mc_ad_info::defaults(), size) }
}

/// Fills `*info` with the defaults (position 1, offset 0, length 0) and its `struct_size`.
/// Call it through the `mc_chapter_info_init(p)` macro, which passes `sizeof *(p)`: the size the caller
/// was compiled with, so an older caller is never written past its struct.
///
/// @param info The struct to fill.
/// @param size `sizeof *info` as the caller was compiled (the macro passes it).
/// @return MC_OK when filled.
/// @retval MC_OK Filled.
/// @retval MC_ERR_NULL_ARGUMENT `info` is NULL.
/// @retval MC_ERR_STRUCT_SIZE `size` is not a version this library knows (a header newer than the library?).
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Any thread; never blocks; touches no client.
#[unsafe(no_mangle)]
pub extern "C" fn mc_chapter_info_init_sized(info: *mut mc_chapter_info, size: usize) -> mc_status {
    ffi_boundary! { init_into(info, mc_chapter_info::defaults(), size) }
}

/// Fills `*qoe` with the defaults (all zero) and its `struct_size`.
/// Call it through the `mc_qoe_init(p)` macro, which passes `sizeof *(p)`: the size the caller
/// was compiled with, so an older caller is never written past its struct.
///
/// @param qoe The struct to fill.
/// @param size `sizeof *qoe` as the caller was compiled (the macro passes it).
/// @return MC_OK when filled.
/// @retval MC_OK Filled.
/// @retval MC_ERR_NULL_ARGUMENT `qoe` is NULL.
/// @retval MC_ERR_STRUCT_SIZE `size` is not a version this library knows (a header newer than the library?).
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Any thread; never blocks; touches no client.
#[unsafe(no_mangle)]
pub extern "C" fn mc_qoe_init_sized(qoe: *mut mc_qoe, size: usize) -> mc_status {
    ffi_boundary! { init_into(qoe, mc_qoe::defaults(), size) }
}

/// Fills `*stats` with the defaults (all zero; call it before mc_client_stats()) and its `struct_size`.
/// Call it through the `mc_stats_init(p)` macro, which passes `sizeof *(p)`: the size the caller
/// was compiled with, so an older caller is never written past its struct.
///
/// @param stats The struct to fill.
/// @param size `sizeof *stats` as the caller was compiled (the macro passes it).
/// @return MC_OK when filled.
/// @retval MC_OK Filled.
/// @retval MC_ERR_NULL_ARGUMENT `stats` is NULL.
/// @retval MC_ERR_STRUCT_SIZE `size` is not a version this library knows (a header newer than the library?).
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Any thread; never blocks; touches no client.
#[unsafe(no_mangle)]
pub extern "C" fn mc_stats_init_sized(stats: *mut mc_stats, size: usize) -> mc_status {
    ffi_boundary! { init_into(stats, mc_stats::defaults(), size) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::COUNTERS;

    #[test]
    fn stats_struct_matches_the_counter_table() {
        assert_eq!(std::mem::size_of::<mc_stats>(), 8 + 8 * COUNTERS);
    }

    #[test]
    fn versioned_reads_keep_defaults_beyond_the_callers_size() {
        let mut q = mc_qoe::defaults();
        q.bitrate = 5.0;
        q.startup_time = 7.0;
        // A caller whose struct ends after `bitrate`.
        q.struct_size = (std::mem::offset_of!(mc_qoe, bitrate) + 8) as u32;
        let read = unsafe { read_versioned(&q, mc_qoe::defaults(), q.struct_size as usize, "qoe") }.unwrap();
        assert_eq!(read.bitrate, 5.0);
        assert_eq!(read.startup_time, 0.0);
        q.struct_size = 3;
        assert_eq!(
            unsafe { read_versioned(&q, mc_qoe::defaults(), 16, "qoe") }.unwrap_err(),
            mc_status::MC_ERR_STRUCT_SIZE
        );
    }
}
