//! `mc_client_*`: one client per process, owning the worker thread and the transport.

use std::ffi::c_char;
use std::sync::atomic::Ordering;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use crate::backend::BackendConfig;
use crate::backend::EDGE_DEFAULT_DOMAIN as EDGE_DOMAIN;
#[cfg(feature = "edge")]
use crate::backend::edge::EdgeSettings;
use crate::clock::CallerClock;
use crate::config::{Callbacks, ClientConfig, HostCallbacks, HttpConfig, Threading};
use crate::core::{CoreConfig, CustomerId, FleetPolicy, Identity, Limits, LogLevel, RetryPolicy, Timing};
use crate::ffi::boundary::{ffi_boundary, install_fork_guard, set_current_client, status_of};
use crate::ffi::error::{fail, invalid_handle, quote};
use crate::ffi::handles::HandleTable;
use crate::ffi::strings::{MAX_NAME, no_control_chars, opt_str, req_nonempty, req_str};
use crate::ffi::types::*;
use crate::stats::{COUNTERS, Counter, Stats};
use crate::status::mc_status;
#[cfg(feature = "offline")]
use crate::store::{Durability, Store, StoreConfig, StoreError};
use crate::transport::base_url::BadUrl;
use crate::worker::host::Host;
#[cfg(feature = "offline")]
use crate::worker::offline::UploadConfig;
use crate::worker::offline::{Offline, Privacy};
use crate::worker::{self, Command, Shared, Worker};

/// The library version, as in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub struct ClientInner {
    pub shared: Arc<Shared>,
    /// The worker thread (MC_THREADING_WORKER), taken by `mc_client_free`.
    worker: Mutex<Option<Worker>>,
    /// The loop the host drives (MC_THREADING_HOST).
    pub host: Option<Host>,
}

pub static CLIENTS: LazyLock<HandleTable<ClientInner>> = LazyLock::new(|| HandleTable::new(0x43));

/// Poisons the client behind `handle` after a panic in a call on it. False if there is none.
pub fn poison(handle: u64) -> bool {
    match CLIENTS.get(handle) {
        Some(c) => {
            c.shared.state.store(worker::POISONED, Ordering::SeqCst);
            c.shared.stats.incr(Counter::Panics);
            true
        }
        None => false,
    }
}

/// The client's state as a status: Ok while it runs.
pub fn check_state(shared: &Shared) -> Result<(), mc_status> {
    match shared.state.load(Ordering::Relaxed) {
        worker::RUNNING => Ok(()),
        worker::SHUTTING_DOWN => Err(mc_status::MC_ERR_SHUT_DOWN),
        worker::POISONED => Err(mc_status::MC_ERR_POISONED),
        _ => Err(mc_status::MC_ERR_INVALID_HANDLE),
    }
}

fn resolve(handle: mc_client_t) -> Result<Arc<ClientInner>, mc_status> {
    let c = CLIENTS.resolve(handle)?;
    set_current_client(handle);
    Ok(c)
}

/// MC_ERR_OUT_OF_RANGE naming the field, its value and its range.
fn out_of_range(field: &str, value: impl std::fmt::Display, min: u64, max: u64, unit: &str) -> mc_status {
    fail(mc_status::MC_ERR_OUT_OF_RANGE, format!("config.{field} ({value}) is outside {min}..={max}{unit}"))
}

fn ms(value: u32, min: u32, max: u32, field: &str) -> Result<Duration, mc_status> {
    if (min..=max).contains(&value) {
        Ok(Duration::from_millis(value as u64))
    } else {
        Err(out_of_range(field, value, min as u64, max as u64, " ms"))
    }
}

fn count(value: u32, min: u32, max: u32, field: &str) -> Result<usize, mc_status> {
    if (min..=max).contains(&value) {
        Ok(value as usize)
    } else {
        Err(out_of_range(field, value, min as u64, max as u64, ""))
    }
}

#[cfg(feature = "offline")]
fn range64(value: u64, min: u64, max: u64, field: &str, unit: &str) -> Result<u64, mc_status> {
    if (min..=max).contains(&value) { Ok(value) } else { Err(out_of_range(field, value, min, max, unit)) }
}

/// A cap below its base: MC_ERR_OUT_OF_RANGE naming both.
fn below(field: &str, value: Duration, base_field: &str, base: Duration) -> mc_status {
    fail(
        mc_status::MC_ERR_OUT_OF_RANGE,
        format!("config.{field} ({}) is below config.{base_field} ({})", value.as_millis(), base.as_millis()),
    )
}

const TEN_MIN: u32 = 600_000;
const HOUR: u32 = 3_600_000;
/// Most `visitor.customerIDs` entries.
const MAX_CUSTOMER_IDS: usize = 64;

/// Checks the endpoint and returns it as `scheme://host[:port][/prefix]`.
fn base_url(endpoint: &str) -> Result<String, mc_status> {
    let bad = |why: &str| fail(mc_status::MC_ERR_INVALID_URL, format!("config.endpoint ({}): {why}", quote(endpoint)));
    if endpoint.chars().any(|c| c.is_control()) {
        return Err(bad("contains a control character"));
    }
    crate::transport::base_url::parse(endpoint).map_err(|e| match e {
        BadUrl::NotAUrl(why) => bad(&format!("not a URL ({why})")),
        BadUrl::Scheme(scheme) => bad(&format!("the scheme must be http or https, not {scheme}")),
        BadUrl::NonAsciiHost => bad("the host must be ASCII: write an international domain name in its xn-- form"),
        // Credentials, queries and fragments have no place in a base URL (and would leak into logs).
        BadUrl::Credentials => bad("credentials do not belong in the endpoint"),
        BadUrl::QueryOrFragment => bad("a query or fragment does not belong in the endpoint"),
    })
}

/// MC_ERR_UNSUPPORTED for MC_BACKEND_MEDIA_EDGE in a build without the back end.
fn no_edge() -> mc_status {
    fail(
        mc_status::MC_ERR_UNSUPPORTED,
        "config.backend (1) is MC_BACKEND_MEDIA_EDGE: this build has no Media Edge back end: it was built \
         without the `edge` feature",
    )
}

#[cfg(feature = "edge")]
fn edge_backend(config_id: String, fpid: Option<String>) -> Result<BackendConfig, mc_status> {
    Ok(BackendConfig::MediaEdge(EdgeSettings { config_id, fpid }))
}

/// Not reached: `build_config` refuses MC_BACKEND_MEDIA_EDGE first in a build without it.
#[cfg(not(feature = "edge"))]
fn edge_backend(_: String, _: Option<String>) -> Result<BackendConfig, mc_status> {
    Err(no_edge())
}

unsafe fn build_config(c: &mc_client_config) -> Result<ClientConfig, mc_status> {
    let opt = |p: *const c_char, field: &str| unsafe { opt_str(p, MAX_NAME, format_args!("config.{field}")) };
    let edge = match c.backend {
        MC_BACKEND_MEDIA_COLLECTION => false,
        MC_BACKEND_MEDIA_EDGE if cfg!(feature = "edge") => true,
        MC_BACKEND_MEDIA_EDGE => return Err(no_edge()),
        other => {
            return Err(fail(
                mc_status::MC_ERR_OUT_OF_RANGE,
                format!(
                    "config.backend ({other}) is neither MC_BACKEND_MEDIA_COLLECTION (0) nor MC_BACKEND_MEDIA_EDGE (1)"
                ),
            ));
        }
    };
    // Fields one back end does not use: refused when required and absent, noted once when set.
    let mut unused: Vec<&str> = Vec::new();
    let endpoint = if edge {
        opt(c.endpoint, "endpoint")?.unwrap_or_else(|| format!("https://{EDGE_DOMAIN}"))
    } else {
        unsafe { req_nonempty(c.endpoint, MAX_NAME, "config.endpoint") }?
    };
    let base_url = base_url(&endpoint)?;
    let analytics = |p: *const c_char, field: &str, unused: &mut Vec<&str>| -> Result<String, mc_status> {
        if !edge {
            return unsafe { req_nonempty(p, MAX_NAME, format_args!("config.{field}")) };
        }
        if !p.is_null() {
            unused.push(match field {
                "tracking_server" => "tracking_server",
                "report_suite" => "report_suite",
                _ => "org_id",
            });
        }
        Ok(String::new())
    };
    let backend = if edge {
        let config_id = unsafe { opt_str(c.edge_config_id, MAX_NAME, "config.edge_config_id") }?;
        let Some(config_id) = config_id.filter(|id| !id.is_empty()) else {
            return Err(fail(
                mc_status::MC_ERR_NULL_ARGUMENT,
                "config.edge_config_id: the datastream id is required with MC_BACKEND_MEDIA_EDGE",
            ));
        };
        no_control_chars(&config_id, "config.edge_config_id")?;
        edge_backend(config_id, opt(c.fpid, "fpid")?)?
    } else {
        opt(c.edge_config_id, "edge_config_id")?.is_some().then(|| unused.push("edge_config_id"));
        opt(c.fpid, "fpid")?.is_some().then(|| unused.push("fpid"));
        BackendConfig::MediaCollection
    };
    if c.n_customer_ids > 0 && c.customer_ids.is_null() {
        return Err(fail(
            mc_status::MC_ERR_NULL_ARGUMENT,
            format!("config.customer_ids: NULL with config.n_customer_ids {}", c.n_customer_ids),
        ));
    }
    if c.n_customer_ids > MAX_CUSTOMER_IDS {
        return Err(fail(
            mc_status::MC_ERR_TOO_LONG,
            format!("config.n_customer_ids ({}) is above the cap of {MAX_CUSTOMER_IDS}", c.n_customer_ids),
        ));
    }
    let mut customer_ids = Vec::with_capacity(c.n_customer_ids);
    if c.n_customer_ids > 0 {
        for (i, e) in unsafe { std::slice::from_raw_parts(c.customer_ids, c.n_customer_ids) }.iter().enumerate() {
            if e.auth_state > 2 {
                return Err(fail(
                    mc_status::MC_ERR_INVALID_ARGUMENT,
                    format!("config.customer_ids[{i}].auth_state ({}) is not 0, 1 or 2", e.auth_state),
                ));
            }
            customer_ids.push(CustomerId {
                id_type: unsafe {
                    req_nonempty(e.id_type, MAX_NAME, format_args!("config.customer_ids[{i}].id_type"))
                }?,
                id: unsafe { req_str(e.id, MAX_NAME, format_args!("config.customer_ids[{i}].id")) }?,
                auth_state: e.auth_state as u8,
            });
        }
    }
    let identity = Identity {
        tracking_server: analytics(c.tracking_server, "tracking_server", &mut unused)?,
        report_suite: analytics(c.report_suite, "report_suite", &mut unused)?,
        org_id: analytics(c.org_id, "org_id", &mut unused)?,
        ecid: opt(c.ecid, "ecid")?,
        visitor_id: opt(c.visitor_id, "visitor_id")?,
        aid: opt(c.aid, "aid")?,
        aam_location_hint: (c.aam_location_hint >= 0).then_some(c.aam_location_hint as i64),
        customer_ids,
        app_installation_id: opt(c.app_installation_id, "app_installation_id")?,
        opt_out_server_side_forwarding: c.opt_out_server_side_forwarding,
        opt_out_share: c.opt_out_share,
        app_version: opt(c.app_version, "app_version")?,
        channel: opt(c.channel, "channel")?,
        player_name: opt(c.player_name, "player_name")?,
        library_version: format!("c-media-collection-{VERSION}"),
    };
    let timing = Timing {
        ping_interval: ms(c.ping_interval_ms, 1, TEN_MIN, "ping_interval_ms")?,
        granular_ad_ping_interval: ms(c.granular_ad_ping_interval_ms, 1, TEN_MIN, "granular_ad_ping_interval_ms")?,
        offline_ping_interval: ms(c.offline_ping_interval_ms, 1, TEN_MIN, "offline_ping_interval_ms")?,
        content_start_delay: ms(c.content_start_delay_ms, 1, TEN_MIN, "content_start_delay_ms")?,
        preroll_window: ms(c.preroll_window_ms, 0, 60_000, "preroll_window_ms")?,
        idle_timeout: ms(c.idle_timeout_ms, 1, 86_400_000, "idle_timeout_ms")?,
        session_cap: ms(c.session_cap_ms, 1, 604_800_000, "session_cap_ms")?,
        min_ts_gap: ms(c.min_ts_gap_ms, 0, 1000, "min_ts_gap_ms")?,
    };
    let retry = RetryPolicy {
        base: ms(c.retry_base_ms, 1, TEN_MIN, "retry_base_ms")?,
        cap: ms(c.retry_cap_ms, 1, HOUR, "retry_cap_ms")?,
        jitter: 0.2,
        session_start_max_attempts: count(c.session_start_max_attempts, 1, 100, "session_start_max_attempts")? as u32,
        event_max_attempts: count(c.event_max_attempts, 1, 1000, "event_max_attempts")? as u32,
        retry_after_cap: ms(c.retry_after_cap_ms, 1, HOUR, "retry_after_cap_ms")?,
    };
    if retry.cap < retry.base {
        return Err(below("retry_cap_ms", retry.cap, "retry_base_ms", retry.base));
    }
    // The time budgets gave way to attempt budgets; old callers still pass them.
    let defaults = mc_client_config::defaults();
    let mut startup_warnings = Vec::new();
    for (name, value, default, instead) in [
        (
            "session_start_budget_ms",
            c.session_start_budget_ms,
            defaults.session_start_budget_ms,
            "session_start_max_attempts",
        ),
        ("event_retry_budget_ms", c.event_retry_budget_ms, defaults.event_retry_budget_ms, "event_max_attempts"),
    ] {
        ms(value, 1, HOUR, name)?;
        if value != default {
            startup_warnings.push(format!(
                "mc_client_config.{name} = {value} is ignored: requests are given up after {instead} attempts"
            ));
        }
    }
    let fleet = FleetPolicy {
        restart_budget: count(c.restart_budget, 0, 1000, "restart_budget")? as u32,
        restart_window: ms(c.restart_window_ms, 1, 86_400_000, "restart_window_ms")?,
        restart_delay: ms(c.restart_delay_ms, 1, HOUR, "restart_delay_ms")?,
        restart_backoff_cap: ms(c.restart_backoff_cap_ms, 1, 86_400_000, "restart_backoff_cap_ms")?,
        outage_failures: count(c.outage_failures, 1, 1000, "outage_failures")? as u32,
        outage_probe_interval: ms(c.outage_probe_interval_ms, 1, HOUR, "outage_probe_interval_ms")?,
        release_window: ms(c.release_window_ms, 0, TEN_MIN, "release_window_ms")?,
        session_expiry: ms(c.session_expiry_ms, 1, 86_400_000, "session_expiry_ms")?,
        ..FleetPolicy::default()
    };
    // The probe cap and the drain pace's intervals scale with the knobs they belong to (the
    // defaults give the production values: 8 min; 30 s to 15 s), so a test that shortens those
    // shortens these.
    let fleet = FleetPolicy {
        outage_probe_cap: fleet.outage_probe_interval.saturating_mul(8),
        drain_start_interval: fleet.release_window.saturating_mul(3),
        drain_end_interval: fleet.release_window.mul_f64(1.5),
        drain_ramp: ms(c.drain_ramp_ms, 0, 86_400_000, "drain_ramp_ms")?,
        ..fleet
    };
    if fleet.restart_backoff_cap < fleet.restart_delay {
        return Err(below(
            "restart_backoff_cap_ms",
            fleet.restart_backoff_cap,
            "restart_delay_ms",
            fleet.restart_delay,
        ));
    }
    let limits = Limits {
        session_queue_cap: count(c.session_queue_cap, 1, 100_000, "session_queue_cap")?,
        global_pending_cap: count(c.global_pending_cap, 1, 1_000_000, "global_pending_cap")?,
    };
    let user_agent = match opt(c.user_agent, "user_agent")? {
        Some(ua) => {
            no_control_chars(&ua, "config.user_agent")?;
            ua
        }
        None => format!("media-collection/{VERSION}"),
    };
    let proxy = opt(c.proxy, "proxy")?;
    if let Some(p) = &proxy {
        no_control_chars(p, "config.proxy")?;
    }
    let http = HttpConfig {
        base_url,
        connect_timeout: ms(c.connect_timeout_ms, 1, TEN_MIN, "connect_timeout_ms")?,
        request_timeout: ms(c.request_timeout_ms, 1, TEN_MIN, "request_timeout_ms")?,
        user_agent,
        ca_file: opt(c.ca_file, "ca_file")?,
        ca_path: opt(c.ca_path, "ca_path")?,
        proxy,
        insecure_skip_tls_verify: c.dangerous_disable_tls_verification,
    };
    let log_level = match c.log_level {
        MC_LOG_ERROR => LogLevel::Error,
        MC_LOG_WARN => LogLevel::Warn,
        MC_LOG_INFO => LogLevel::Info,
        MC_LOG_DEBUG => LogLevel::Debug,
        other => return Err(out_of_range("log_level", other, MC_LOG_ERROR as u64, MC_LOG_DEBUG as u64, "")),
    };
    if !unused.is_empty() {
        let other = if edge { "the MC API" } else { "Media Edge" };
        startup_warnings.push(format!("mc_client_config.{} ignored: used only by {other}", unused.join(", ")));
    }
    let changed = unsafe { c.non_defaults() };
    let target = match &backend {
        #[cfg(feature = "edge")]
        BackendConfig::MediaEdge(s) => format!("Media Edge datastream {}", quote(&s.config_id)),
        BackendConfig::MediaCollection => {
            format!("tracking server {}, report suite {}", identity.tracking_server, identity.report_suite)
        }
    };
    let startup_line = format!(
        "media-collection {VERSION} started: endpoint {}, {target}; {}",
        http.base_url,
        if changed.is_empty() {
            "every option at its default".to_owned()
        } else {
            format!("options not at their defaults: {}", changed.join(" "))
        }
    );
    let (threading, clock) = threading(c)?;
    Ok(ClientConfig {
        threading,
        clock,
        startup_line,
        core: CoreConfig { identity, timing, retry, limits, fleet, backend },
        startup_warnings,
        http,
        queue_capacity: count(c.queue_capacity, 16, 1 << 20, "queue_capacity")?,
        callbacks: Callbacks {
            log: c.log_callback,
            log_userdata: c.log_userdata,
            log_level,
            event: c.event_callback,
            event_userdata: c.event_userdata,
        },
    })
}

/// Who runs the client, and the caller's clock: both only host-driven.
fn threading(c: &mc_client_config) -> Result<(Threading, Option<CallerClock>), mc_status> {
    let clock = match (c.clock_monotonic_ms, c.clock_wall_ms) {
        (Some(monotonic_ms), Some(wall_ms)) => Some(CallerClock { monotonic_ms, wall_ms, userdata: c.clock_userdata }),
        (None, None) => None,
        (Some(_), None) => {
            return Err(fail(
                mc_status::MC_ERR_NULL_ARGUMENT,
                "config.clock_wall_ms: required with config.clock_monotonic_ms (a clock gives both or neither)",
            ));
        }
        (None, Some(_)) => {
            return Err(fail(
                mc_status::MC_ERR_NULL_ARGUMENT,
                "config.clock_monotonic_ms: required with config.clock_wall_ms (a clock gives both or neither)",
            ));
        }
    };
    match c.threading {
        MC_THREADING_HOST => Ok((
            Threading::Host(HostCallbacks {
                watch: c.watch_callback,
                timer: c.timer_callback,
                userdata: c.host_userdata,
            }),
            clock,
        )),
        MC_THREADING_WORKER => {
            let host_only = [
                ("watch_callback", c.watch_callback.is_some()),
                ("timer_callback", c.timer_callback.is_some()),
                ("clock_monotonic_ms", clock.is_some()),
            ];
            if let Some((field, _)) = host_only.iter().find(|(_, set)| *set) {
                return Err(fail(
                    mc_status::MC_ERR_INVALID_ARGUMENT,
                    format!(
                        "config.{field} is set but config.threading is MC_THREADING_WORKER: it is used only by a \
                         host-driven client (MC_THREADING_HOST), whose loop the host runs"
                    ),
                ));
            }
            Ok((Threading::Worker, None))
        }
        other => Err(out_of_range("threading", other, MC_THREADING_WORKER as u64, MC_THREADING_HOST as u64, "")),
    }
}

/// The offline store's and the uploader's settings.
#[cfg(feature = "offline")]
type OfflineConfig = (StoreConfig, UploadConfig);
/// Nothing: a build without the `offline` feature refuses a `store_dir`.
#[cfg(not(feature = "offline"))]
type OfflineConfig = std::convert::Infallible;

/// A build without the `offline` feature: MC_ERR_UNSUPPORTED when `store_dir` is set.
#[cfg(not(feature = "offline"))]
unsafe fn offline_config(c: &mc_client_config) -> Result<Option<OfflineConfig>, mc_status> {
    match unsafe { opt_str(c.store_dir, MAX_NAME, "config.store_dir") }? {
        None => Ok(None),
        Some(dir) => Err(fail(
            mc_status::MC_ERR_UNSUPPORTED,
            format!(
                "config.store_dir ({}): this build has no offline store: it was built without the `offline` feature",
                quote(&dir)
            ),
        )),
    }
}

#[cfg(not(feature = "offline"))]
fn open_offline(config: OfflineConfig, _: bool, _: &Arc<Stats>, _: &BackendConfig) -> Result<Offline, mc_status> {
    match config {}
}

/// The offline store's and the uploader's settings, or None without a store directory.
#[cfg(feature = "offline")]
unsafe fn offline_config(c: &mc_client_config) -> Result<Option<OfflineConfig>, mc_status> {
    let Some(dir) = (unsafe { opt_str(c.store_dir, MAX_NAME, "config.store_dir") })? else {
        return Ok(None);
    };
    if dir.is_empty() {
        return Err(fail(mc_status::MC_ERR_INVALID_ARGUMENT, "config.store_dir: empty (NULL means no store)"));
    }
    let durability = match c.store_durability {
        MC_DURABILITY_ON_CLOSE => Durability::OnClose,
        MC_DURABILITY_INTERVAL => {
            Durability::EveryMs(ms(c.store_sync_interval_ms, 1, TEN_MIN, "store_sync_interval_ms")?)
        }
        MC_DURABILITY_EVERY_RECORD => Durability::EveryRecord,
        other => return Err(out_of_range("store_durability", other, 0, MC_DURABILITY_EVERY_RECORD as u64, "")),
    };
    let store = StoreConfig {
        dir: dir.into(),
        durability,
        max_sessions: count(c.store_max_sessions, 1, 100_000, "store_max_sessions")?,
        max_bytes: range64(c.store_max_bytes, 4096, 1 << 40, "store_max_bytes", " bytes")?,
        max_age_ms: range64(c.store_max_age_ms, 1, 3650 * 86_400_000, "store_max_age_ms", " ms")? as i64,
        max_quarantined: count(c.store_max_quarantined, 0, 10_000, "store_max_quarantined")?,
    };
    let upload = UploadConfig {
        path: if c.use_deprecated_downloaded_endpoint { "/api/v1/sessions" } else { "/api/v1/downloaded" },
        backoff_base: ms(c.upload_backoff_base_ms, 1, 86_400_000, "upload_backoff_base_ms")?,
        backoff_cap: ms(c.upload_backoff_cap_ms, 1, 86_400_000, "upload_backoff_cap_ms")?,
        give_up_ms: range64(c.upload_give_up_ms, 1, 365 * 86_400_000, "upload_give_up_ms", " ms")? as i64,
        min_gap: ms(c.upload_min_gap_ms, 0, TEN_MIN, "upload_min_gap_ms")?,
        retry_after_cap: ms(c.retry_after_cap_ms, 1, HOUR, "retry_after_cap_ms")?,
        network_return_window: ms(c.network_return_window_ms, 0, HOUR, "network_return_window_ms")?,
    };
    if upload.backoff_cap < upload.backoff_base {
        return Err(below("upload_backoff_cap_ms", upload.backoff_cap, "upload_backoff_base_ms", upload.backoff_base));
    }
    Ok(Some((store, upload)))
}

/// Opens the store on the caller's thread, so a locked or unusable directory is a status.
/// Sessions an earlier process left unfinished are published for upload (the upload closes
/// them with a trailing sessionEnd).
#[cfg(feature = "offline")]
fn open_offline(
    (store, upload): OfflineConfig,
    online: bool,
    stats: &Arc<Stats>,
    backend: &BackendConfig,
) -> Result<Offline, mc_status> {
    let now_ms = crate::clock::wall_now_ms();
    let dir = store.dir.clone();
    let (mut store, recovery) = Store::open(store, now_ms).map_err(|e| match e {
        StoreError::Locked => fail(
            mc_status::MC_ERR_STORE_LOCKED,
            format!("config.store_dir ({}): locked by another process", quote(&dir.to_string_lossy())),
        ),
        StoreError::Unsafe(why) => {
            fail(mc_status::MC_ERR_STORE_UNSAFE, format!("config.store_dir ({}): {why}", quote(&dir.to_string_lossy())))
        }
        e => fail(
            mc_status::MC_ERR_DISK,
            format!("config.store_dir ({}): cannot open the store: {e}", quote(&dir.to_string_lossy())),
        ),
    })?;
    stats.add(Counter::TornTailDiscarded, recovery.torn_records);
    stats.add(Counter::Quarantined, recovery.quarantined as u64);
    for id in recovery.orphaned {
        if store.finish(id).is_err() {
            stats.incr(Counter::DiskError);
        }
    }
    stats.add(Counter::StoreEvicted, store.enforce_caps(now_ms).len() as u64);
    Ok(Offline::new(store, upload, stats.clone(), now_ms as u64, online).with_backend(crate::backend::new(backend)))
}

fn client_new(config: *const mc_client_config, out: *mut mc_client_t) -> Result<(), mc_status> {
    if out.is_null() {
        return Err(fail(mc_status::MC_ERR_NULL_ARGUMENT, "out: NULL"));
    }
    let c = unsafe {
        read_versioned(config, mc_client_config::defaults(), std::mem::size_of::<mc_client_config>(), "config")
    }?;
    let result = client_new_from(&c, out);
    if result.is_err() {
        // No worker runs yet to carry the line: the log callback gets it on this thread.
        log_refusal(&c);
    }
    result
}

/// Gives the log callback of a refused configuration the refusal, on the calling thread.
fn log_refusal(c: &mc_client_config) {
    let Some(f) = c.log_callback else { return };
    if c.log_level >= MC_LOG_ERROR {
        let line = std::ffi::CString::new(crate::ffi::error::last_message()).unwrap_or_default();
        crate::ffi::error::preserving(|| unsafe { f(c.log_userdata, MC_LOG_ERROR, line.as_ptr()) });
    }
}

fn client_new_from(c: &mc_client_config, out: *mut mc_client_t) -> Result<(), mc_status> {
    let cfg = unsafe { build_config(c) }?;
    let offline_cfg = unsafe { offline_config(c) }?;
    install_fork_guard();
    let stats = Arc::new(Stats::new());
    let offline = match offline_cfg {
        Some(o) => Some(open_offline(o, !c.offline_at_start, &stats, &cfg.core.backend)?),
        None => None,
    };
    let inner = match cfg.threading {
        Threading::Worker => {
            let worker = Worker::start(cfg, stats, offline)?;
            let shared = worker.shared.clone();
            Arc::new(ClientInner { shared, worker: Mutex::new(Some(worker)), host: None })
        }
        Threading::Host(callbacks) => {
            let host = Host::start(cfg, callbacks, stats, offline)?;
            Arc::new(ClientInner { shared: host.shared().clone(), worker: Mutex::new(None), host: Some(host) })
        }
    };
    match CLIENTS.insert(inner.clone()) {
        Ok(handle) => {
            unsafe { out.write(handle) };
            Ok(())
        }
        Err(e) => {
            if let Some(w) = inner.worker.lock().unwrap_or_else(|e| e.into_inner()).take() {
                w.shutdown(Duration::ZERO);
            }
            if let Some(h) = &inner.host {
                h.shutdown(Duration::ZERO);
            }
            Err(e)
        }
    }
}

/// Creates a client: checks `config`, starts the worker thread and the HTTP transport (and opens
/// the offline store when `store_dir` is set). Create one per process: each client has a thread;
/// after fork() a child creates its own (the parent's handles answer MC_ERR_FORKED there).
/// Host-driven (`threading` = MC_THREADING_HOST) no thread is started: before this returns,
/// the watch callback is asked to watch the client's wake-up descriptor and the timer callback
/// to drive it at once (its first turn logs the startup line).
///
/// @param config The configuration (filled by mc_client_config_init(), then the four required
///   strings set). Read during the call: its strings and arrays are copied, and it may be freed
///   once the call returns. The callbacks and their userdata are kept (see their fields).
/// @param out Receives the new handle, written only on MC_OK.
/// @return MC_OK with `*out` set, or why the configuration was refused.
/// @retval MC_OK Created; the worker logs the INFO startup line (version, endpoint, the options
///   not at their defaults).
/// @retval MC_ERR_NULL_ARGUMENT `config`, `out` or a required string is NULL.
/// @retval MC_ERR_STRUCT_SIZE A `struct_size` is not a version this library knows (fill it with its _init()).
/// @retval MC_ERR_INVALID_ARGUMENT An argument is empty, negative, not finite, or not a known value.
/// @retval MC_ERR_INVALID_UTF8 A string is not valid UTF-8.
/// @retval MC_ERR_TOO_LONG A string or an array is over its cap.
/// @retval MC_ERR_OUT_OF_RANGE A value is outside its documented range.
/// @retval MC_ERR_INVALID_URL `endpoint` is not an http or https base URL.
/// @retval MC_ERR_STORE_LOCKED `store_dir` is used by another process.
/// @retval MC_ERR_STORE_UNSAFE `store_dir` is writable by group or others and cannot be made
///   private (another user's directory, or a shared sticky one such as /tmp).
/// @retval MC_ERR_DISK `store_dir` cannot be created or opened.
/// @retval MC_ERR_TOO_MANY_HANDLES Over a million objects of this kind are alive.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
/// @retval MC_ERR_INIT The worker thread, the wake-up eventfd or the HTTP transport could not start.
/// @retval MC_ERR_UNSUPPORTED The library was built without the feature the configuration asks
///   for: `backend` is MC_BACKEND_MEDIA_EDGE without the `edge` feature, or `store_dir` is set
///   without the `offline` feature.
///
/// Every refusal is described by mc_last_error(), which names the field, its value and the
/// limit, e.g. "mc_client_new: MC_ERR_OUT_OF_RANGE: config.retry_cap_ms (100) is below
/// config.retry_base_ms (500)". There is no worker yet to carry log lines, so when `config` has a
/// `log_callback` it gets the same line (MC_LOG_ERROR) on the calling thread, before this
/// function returns: the one exception to "callbacks run on the thread that runs the client".
///
/// Any thread. Blocks until the worker has started (a thread spawn, milliseconds) and, with a
/// store, while the store directory is opened and recovered.
#[unsafe(no_mangle)]
pub extern "C" fn mc_client_new(config: *const mc_client_config, out: *mut mc_client_t) -> mc_status {
    ffi_boundary! { status_of(client_new(config, out)) }
}

/// Why a flush or free from the client's own callback is refused.
fn deadlock_text(c: &ClientInner) -> &'static str {
    if c.host.is_some() {
        "called from this client's own callback, inside the drive call it would wait for"
    } else {
        "called from this client's own callback, on the worker it would wait for"
    }
}

fn client_flush(client: mc_client_t, timeout_ms: u32) -> Result<(), mc_status> {
    let c = resolve(client)?;
    check_state(&c.shared)?;
    if c.shared.on_worker_thread() {
        return Err(fail(mc_status::MC_ERR_WOULD_DEADLOCK, deadlock_text(&c)));
    }
    if let Some(host) = &c.host {
        return host.flush(Duration::from_millis(timeout_ms as u64));
    }
    let (tx, rx) = crossbeam_channel::bounded(1);
    c.shared.send_control(Command::Flush { reply: tx })?;
    match rx.recv_timeout(Duration::from_millis(timeout_ms as u64)) {
        // A flush is answered with a status (an `Err` reply is the worker's start only).
        Ok(reply) => match reply.unwrap_or(mc_status::MC_ERR_SHUT_DOWN) {
            mc_status::MC_OK => Ok(()),
            status => Err(status),
        },
        Err(crossbeam_channel::RecvTimeoutError::Timeout) => Err(mc_status::MC_ERR_TIMEOUT),
        Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
            Err(check_state(&c.shared).err().unwrap_or(mc_status::MC_ERR_SHUT_DOWN))
        }
    }
}

/// Waits until every event accepted before this call was delivered or given up (and counted),
/// and makes the offline store's records durable (fdatasync).
///
/// @param client The client (from mc_client_new()).
/// @param timeout_ms How long to wait at most, in milliseconds.
/// @return MC_OK when everything was delivered, or why not.
/// @retval MC_OK Everything accepted before the call was delivered (or stored, for downloaded
///   content).
/// @retval MC_ERR_DISK A disk write or sync of the store failed since the previous flush
///   (`disk_error`; records may be lost). It wins over MC_ERR_DELIVERY.
/// @retval MC_ERR_DELIVERY Done, but some events were dropped since the previous flush (see
///   mc_client_stats() for the reasons).
/// @retval MC_ERR_TIMEOUT Still sending after `timeout_ms`: nothing is lost, the worker goes on.
/// @retval MC_ERR_WOULD_DEADLOCK Called from one of this client's callbacks, on the worker (or inside the
///   drive call) it would wait for.
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Blocks the calling thread up to `timeout_ms`: never call it from a latency-sensitive thread.
/// Any thread but the client's callbacks. Host-driven, this call drives the client itself on
/// the calling thread meanwhile (waiting in poll() on the client's own descriptors), so the
/// callbacks run there; it waits first for a drive in progress on another thread to end.
#[unsafe(no_mangle)]
pub extern "C" fn mc_client_flush(client: mc_client_t, timeout_ms: u32) -> mc_status {
    ffi_boundary! { status_of(client_flush(client, timeout_ms)) }
}

fn client_free(client: mc_client_t, timeout_ms: u32) -> Result<(), mc_status> {
    if client == 0 {
        return Ok(());
    }
    let c = resolve(client)?;
    if c.shared.on_worker_thread() {
        return Err(fail(mc_status::MC_ERR_WOULD_DEADLOCK, deadlock_text(&c)));
    }
    CLIENTS.remove(client).ok_or_else(|| invalid_handle("client", client))?;
    // Trackers of this client become invalid handles at once.
    crate::ffi::tracker::forget_client(client);
    let worker = c.worker.lock().unwrap_or_else(|e| e.into_inner()).take();
    let poisoned = c.shared.state.load(Ordering::SeqCst) == worker::POISONED;
    if !poisoned {
        c.shared.state.store(worker::SHUTTING_DOWN, Ordering::SeqCst);
    }
    let status = match (worker, &c.host) {
        (Some(w), _) if !poisoned => w.shutdown(Duration::from_millis(timeout_ms as u64)),
        (None, Some(h)) if !poisoned => h.shutdown(Duration::from_millis(timeout_ms as u64)),
        _ => mc_status::MC_OK,
    };
    if !poisoned {
        c.shared.state.store(worker::STOPPED, Ordering::SeqCst);
    }
    if status == mc_status::MC_OK { Ok(()) } else { Err(status) }
}

/// Ends every open session (as mc_tracker_free() would), sends what it can within `timeout_ms`,
/// then stops the worker and frees the client. Events not delivered by then are counted
/// (`shut_down`). An upload of a stored (downloaded) session already in flight is waited for
/// within the bound, so it is deleted after its 2xx; no new upload starts (stored sessions wait
/// for the next client). One cut off by the bound stays stored and is uploaded again by the next
/// client: the at-least-once case. The handle, and the handles of the client's trackers, are
/// invalid at once: later calls on them return MC_ERR_INVALID_HANDLE without blocking.
///
/// @param client The client, or 0 (a no-op returning MC_OK).
/// @param timeout_ms How long to wait at most for the sending and the worker's exit, in
///   milliseconds (the worker is given 200 ms more to wind down its aborted transfers).
/// @return MC_OK when the worker stopped in time.
/// @retval MC_OK Freed; the worker has exited and will call no callback again.
/// @retval MC_ERR_TIMEOUT Freed, but the worker was left to finish aborting on its own: it may
///   still call the callbacks, so their userdata must stay valid.
/// @retval MC_ERR_WOULD_DEADLOCK Called from one of this client's callbacks: nothing was freed.
/// @retval MC_ERR_INVALID_HANDLE `client` was freed already, or is not a client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Blocks up to `timeout_ms` + 200 ms. Any thread but the client's callbacks; must not race with
/// another mc_client_free() of the same client. Host-driven, it drives the client itself on the
/// calling thread until it stopped (best from the host's loop thread, between two drives), then
/// tells the watch callback to stop watching each descriptor (they are closed next) and the
/// timer callback to drop its timer (-1).
#[unsafe(no_mangle)]
pub extern "C" fn mc_client_free(client: mc_client_t, timeout_ms: u32) -> mc_status {
    ffi_boundary! { status_of(client_free(client, timeout_ms)) }
}

fn client_stats(client: mc_client_t, out: *mut mc_stats) -> Result<(), mc_status> {
    let c = resolve(client)?;
    if out.is_null() {
        return Err(fail(mc_status::MC_ERR_NULL_ARGUMENT, "stats: required (NULL)"));
    }
    let size = unsafe { std::ptr::read_unaligned(out as *const u32) } as usize;
    let min = std::mem::size_of::<u32>() + 8;
    if size < min || size > std::mem::size_of::<mc_stats>() {
        return Err(crate::ffi::types::struct_size_error("stats", size, min, std::mem::size_of::<mc_stats>()));
    }
    let snap = c.shared.stats.snapshot();
    let mut s = mc_stats::defaults();
    s.struct_size = size as u32;
    let mut fields: [&mut u64; COUNTERS] = [
        &mut s.calls_accepted,
        &mut s.hits_generated,
        &mut s.events_delivered,
        &mut s.sessions_started,
        &mut s.requests_sent,
        &mut s.retries,
        &mut s.ignored_call,
        &mut s.queue_overflow,
        &mut s.cache_overflow,
        &mut s.session_not_created,
        &mut s.rejected_400,
        &mut s.session_gone,
        &mut s.retry_exhausted,
        &mut s.shut_down,
        &mut s.opted_out,
        &mut s.disk_error,
        &mut s.torn_tail_discarded,
        &mut s.store_evicted,
        &mut s.quarantined,
        &mut s.batches_uploaded,
        &mut s.clock_jumps,
        &mut s.panics,
        &mut s.sessions_resumed,
        &mut s.metadata_dropped,
        &mut s.restart_budget_exhausted,
        &mut s.session_expired,
        &mut s.endpoint_pauses,
    ];
    for (f, v) in fields.iter_mut().zip(snap) {
        **f = v;
    }
    // Only the bytes the caller's struct has room for.
    unsafe { std::ptr::copy_nonoverlapping(&s as *const mc_stats as *const u8, out as *mut u8, size) };
    Ok(())
}

/// Copies the counters into `*stats`: every event that did not reach the server is counted
/// under one reason.
///
/// @param client The client (from mc_client_new()).
/// @param stats Receives the counters; its `struct_size` must be set first (mc_stats_init()). Only
///   the counters that size covers are written, and only on MC_OK.
/// @return MC_OK with `*stats` filled.
/// @retval MC_OK Filled.
/// @retval MC_ERR_NULL_ARGUMENT A required pointer is NULL.
/// @retval MC_ERR_STRUCT_SIZE A `struct_size` is not a version this library knows (fill it with its _init()).
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Lock-free; any thread, callbacks included. Works on a poisoned or shutting-down client.
#[unsafe(no_mangle)]
pub extern "C" fn mc_client_stats(client: mc_client_t, stats: *mut mc_stats) -> mc_status {
    ffi_boundary! { status_of(client_stats(client, stats)) }
}

fn set_network_available(client: mc_client_t, available: bool) -> Result<(), mc_status> {
    let c = resolve(client)?;
    check_state(&c.shared)?;
    c.shared.send_control(Command::SetNetwork(available))
}

/// Tells the library whether the device is online. Coming back online resets the backoff of
/// stored (downloaded) sessions and uploads them at once; while offline, uploads wait. The
/// default is online (see `offline_at_start`).
///
/// @param client The client (from mc_client_new()).
/// @param available True when the device is online.
/// @return MC_OK when the change was queued.
/// @retval MC_OK Queued to the worker.
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Any thread; never blocks.
#[unsafe(no_mangle)]
pub extern "C" fn mc_client_set_network_available(client: mc_client_t, available: bool) -> mc_status {
    ffi_boundary! { status_of(set_network_available(client, available)) }
}

fn set_privacy(client: mc_client_t, privacy: u32) -> Result<(), mc_status> {
    let c = resolve(client)?;
    check_state(&c.shared)?;
    let p = match privacy {
        MC_PRIVACY_OPTED_IN => Privacy::OptedIn,
        MC_PRIVACY_OPTED_OUT => Privacy::OptedOut,
        MC_PRIVACY_UNKNOWN => Privacy::Unknown,
        other => {
            return Err(fail(
                mc_status::MC_ERR_INVALID_ARGUMENT,
                format!("privacy ({other}) is not an MC_PRIVACY_* value"),
            ));
        }
    };
    // Refuse new sessions from now on, before the worker has even seen the command.
    c.shared.privacy.store(privacy as u8, Ordering::SeqCst);
    c.shared.send_control(Command::SetPrivacy(p))
}

/// Sets the user's privacy choice. Opted out: stored sessions are deleted, real-time sessions
/// end without another request, and mc_track_session_start() and mc_tracker_new() return
/// MC_ERR_OPTED_OUT. Unknown: uploads of downloaded sessions wait until opted in. Opted in is the
/// default.
///
/// @param client The client (from mc_client_new()).
/// @param privacy MC_PRIVACY_OPTED_IN, MC_PRIVACY_OPTED_OUT or MC_PRIVACY_UNKNOWN.
/// @return MC_OK when the choice was applied.
/// @retval MC_OK New sessions are refused (opted out) from now on; the rest is queued to the worker.
/// @retval MC_ERR_INVALID_ARGUMENT `privacy` is not an MC_PRIVACY_* value.
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Any thread; never blocks.
#[unsafe(no_mangle)]
pub extern "C" fn mc_client_set_privacy(client: mc_client_t, privacy: u32) -> mc_status {
    ffi_boundary! { status_of(set_privacy(client, privacy)) }
}

/// Test hook for reliability row A4, in debug builds only and not in the header: `site` 1
/// panics inside this call on the caller's thread; 2 makes the worker panic when it handles the
/// next command. Either way the panic is contained and poisons this client alone.
#[cfg(debug_assertions)]
#[unsafe(no_mangle)]
pub extern "C" fn mc_debug_inject_panic(client: mc_client_t, site: u32) -> mc_status {
    ffi_boundary! {
        status_of((|| {
            let c = resolve(client)?;
            check_state(&c.shared)?;
            match site {
                1 => panic!("panic injected by mc_debug_inject_panic"),
                2 => c.shared.send_control(Command::InjectPanic),
                _ => Err(mc_status::MC_ERR_INVALID_ARGUMENT),
            }
        })())
    }
}

static VERSION_C: LazyLock<std::ffi::CString> = LazyLock::new(|| std::ffi::CString::new(VERSION).unwrap_or_default());

/// The library version at run time, e.g. "0.1.0".
///
/// @return A static NUL-terminated string, never NULL. Compare it with MC_VERSION_STRING to
/// detect a library older or newer than the header. Leaves mc_last_error() unchanged.
#[unsafe(no_mangle)]
pub extern "C" fn mc_version() -> *const c_char {
    ffi_boundary! { @keep_last_error VERSION_C.as_ptr() }
}

/// The name of a status code, e.g. "MC_ERR_TIMEOUT", for logs. mc_last_error() says more:
/// what was wrong with which argument.
///
/// @param status A status code, as returned by any `mc_*` function (any number is accepted).
/// @return A static NUL-terminated string, never NULL: "MC_ERR_UNKNOWN" for a number that is
/// not a code. Leaves mc_last_error() unchanged.
#[unsafe(no_mangle)]
pub extern "C" fn mc_status_str(status: u32) -> *const c_char {
    ffi_boundary! { @keep_last_error
        match mc_status::from_u32(status) {
            Some(s) => s.name_c().as_ptr(),
            None => c"MC_ERR_UNKNOWN".as_ptr(),
        }
    }
}

/// The name of an event kind (`mc_event.kind`), e.g. "MC_EVENT_DELIVERED", for logs.
///
/// @param kind One of the `MC_EVENT_*` values (any number is accepted).
/// @return A static NUL-terminated string, never NULL: "MC_EVENT_UNKNOWN" for a number that is
/// not a kind. Leaves mc_last_error() unchanged.
#[unsafe(no_mangle)]
pub extern "C" fn mc_event_kind_str(kind: u32) -> *const c_char {
    ffi_boundary! { @keep_last_error
        match kind {
            MC_EVENT_SESSION_STARTED => c"MC_EVENT_SESSION_STARTED".as_ptr(),
            MC_EVENT_DELIVERED => c"MC_EVENT_DELIVERED".as_ptr(),
            MC_EVENT_REQUEST_FAILED => c"MC_EVENT_REQUEST_FAILED".as_ptr(),
            MC_EVENT_CALL_IGNORED => c"MC_EVENT_CALL_IGNORED".as_ptr(),
            MC_EVENT_DROPPED => c"MC_EVENT_DROPPED".as_ptr(),
            MC_EVENT_SESSION_RESTARTED => c"MC_EVENT_SESSION_RESTARTED".as_ptr(),
            MC_EVENT_METADATA_DROPPED => c"MC_EVENT_METADATA_DROPPED".as_ptr(),
            _ => c"MC_EVENT_UNKNOWN".as_ptr(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalised_and_checked() {
        assert_eq!(base_url("http://127.0.0.1:8080").unwrap(), "http://127.0.0.1:8080");
        assert_eq!(base_url("https://ns.hb-api.omtrdc.net/").unwrap(), "https://ns.hb-api.omtrdc.net");
        assert_eq!(base_url("https://cname.example.com/mc/").unwrap(), "https://cname.example.com/mc");
        assert_eq!(base_url("http://[::1]:9/").unwrap(), "http://[::1]:9");
        for bad in ["ftp://x", "file:///etc", "http://", "not a url", "http://u:p@h", "http://h/?q=1", "http://h\r\n/"]
        {
            assert_eq!(base_url(bad), Err(mc_status::MC_ERR_INVALID_URL), "{bad}");
        }
    }

    fn required() -> mc_client_config {
        let mut c = mc_client_config::defaults();
        c.endpoint = c"http://127.0.0.1:9".as_ptr();
        c.tracking_server = c"t.sc.omtrdc.net".as_ptr();
        c.report_suite = c"rs".as_ptr();
        c.org_id = c"O@AdobeOrg".as_ptr();
        c
    }

    #[cfg(not(all(feature = "edge", feature = "offline")))]
    fn last_error() -> String {
        unsafe { std::ffi::CStr::from_ptr(crate::ffi::error::mc_last_error()) }.to_string_lossy().into_owned()
    }

    /// A build without the `edge` feature refuses Media Edge at mc_client_new, and says why.
    #[cfg(not(feature = "edge"))]
    #[test]
    fn a_build_without_media_edge_refuses_it_and_says_why() {
        let mut c = required();
        c.backend = MC_BACKEND_MEDIA_EDGE;
        c.edge_config_id = c"ds-1".as_ptr();
        let mut out: mc_client_t = 0;
        assert_eq!(mc_client_new(&c, &mut out), mc_status::MC_ERR_UNSUPPORTED);
        assert_eq!(out, 0, "written only on success");
        assert_eq!(
            last_error(),
            "mc_client_new: MC_ERR_UNSUPPORTED: config.backend (1) is MC_BACKEND_MEDIA_EDGE: this build has no Media \
             Edge back end: it was built without the `edge` feature"
        );
    }

    /// A build without the `offline` feature refuses a store directory at mc_client_new and a
    /// downloaded tracker at mc_tracker_new, and says why; a client without a store works.
    #[cfg(not(feature = "offline"))]
    #[test]
    fn a_build_without_the_offline_store_refuses_it_and_says_why() {
        let mut c = required();
        c.store_dir = c"/var/lib/player/mc".as_ptr();
        let mut client: mc_client_t = 0;
        assert_eq!(mc_client_new(&c, &mut client), mc_status::MC_ERR_UNSUPPORTED);
        assert_eq!(client, 0, "written only on success");
        assert_eq!(
            last_error(),
            "mc_client_new: MC_ERR_UNSUPPORTED: config.store_dir (\"/var/lib/player/mc\"): this build has no offline \
             store: it was built without the `offline` feature"
        );
        c.store_dir = std::ptr::null();
        assert_eq!(mc_client_new(&c, &mut client), mc_status::MC_OK);
        let mut t = mc_tracker_config::defaults();
        t.downloaded = true;
        let mut tracker: mc_tracker_t = 0;
        assert_eq!(crate::ffi::tracker::mc_tracker_new(client, &t, &mut tracker), mc_status::MC_ERR_UNSUPPORTED);
        assert_eq!(tracker, 0, "written only on success");
        assert_eq!(
            last_error(),
            "mc_tracker_new: MC_ERR_UNSUPPORTED: config.downloaded is true but this build has no offline store: it \
             was built without the `offline` feature"
        );
        t.downloaded = false;
        assert_eq!(crate::ffi::tracker::mc_tracker_new(client, &t, &mut tracker), mc_status::MC_OK);
        assert_eq!(crate::ffi::tracker::mc_tracker_free(tracker), mc_status::MC_OK);
        assert_eq!(mc_client_free(client, 0), mc_status::MC_OK);
    }

    #[cfg(feature = "edge")]
    #[test]
    fn each_back_end_notes_the_other_ones_fields_as_ignored() {
        let mut c = required();
        c.edge_config_id = c"ds-1".as_ptr();
        c.fpid = c"f-1".as_ptr();
        let cfg = unsafe { build_config(&c) }.unwrap();
        assert_eq!(cfg.core.backend, BackendConfig::MediaCollection);
        assert_eq!(
            cfg.startup_warnings,
            ["mc_client_config.edge_config_id, fpid ignored: used only by Media Edge"],
            "one line"
        );
        c.backend = MC_BACKEND_MEDIA_EDGE;
        let cfg = unsafe { build_config(&c) }.unwrap();
        assert_eq!(
            cfg.core.backend,
            BackendConfig::MediaEdge(EdgeSettings { config_id: "ds-1".into(), fpid: Some("f-1".into()) })
        );
        assert_eq!(
            cfg.startup_warnings,
            ["mc_client_config.tracking_server, report_suite, org_id ignored: used only by the MC API"]
        );
        assert!(cfg.startup_line.contains("Media Edge datastream \"ds-1\""), "{}", cfg.startup_line);
        // Without an endpoint Media Edge goes to Adobe's edge domain.
        let mut c = mc_client_config::defaults();
        c.backend = MC_BACKEND_MEDIA_EDGE;
        c.edge_config_id = c"ds-2".as_ptr();
        let cfg = unsafe { build_config(&c) }.unwrap();
        assert_eq!(cfg.http.base_url, "https://edge.adobedc.net");
        assert!(cfg.startup_warnings.is_empty());
    }

    #[test]
    fn fleet_knobs_reach_the_core_and_the_old_time_budgets_are_accepted_but_ignored() {
        let cfg = unsafe { build_config(&required()) }.unwrap();
        assert_eq!(cfg.core.fleet, crate::core::FleetPolicy::default(), "the C defaults are the core's");
        assert_eq!(cfg.core.retry, RetryPolicy::default());
        assert!(cfg.startup_warnings.is_empty(), "defaults are not worth a warning");

        let mut c = required();
        c.event_retry_budget_ms = 200;
        c.session_start_budget_ms = 200;
        c.restart_budget = 0;
        c.release_window_ms = 0;
        c.event_max_attempts = 2;
        let cfg = unsafe { build_config(&c) }.unwrap();
        assert_eq!((cfg.core.fleet.restart_budget, cfg.core.retry.event_max_attempts), (0, 2));
        assert_eq!(cfg.startup_warnings.len(), 2, "{:?}", cfg.startup_warnings);
        assert!(cfg.startup_warnings[1].contains("event_retry_budget_ms = 200 is ignored"));

        for bad in [
            |c: &mut mc_client_config| c.event_max_attempts = 0,
            |c: &mut mc_client_config| c.outage_failures = 0,
            |c: &mut mc_client_config| c.session_expiry_ms = 0,
            |c: &mut mc_client_config| c.event_retry_budget_ms = 0,
            |c: &mut mc_client_config| {
                c.restart_delay_ms = 20_000;
                c.restart_backoff_cap_ms = 10_000;
            },
        ] {
            let mut c = required();
            bad(&mut c);
            assert_eq!(unsafe { build_config(&c) }.err(), Some(mc_status::MC_ERR_OUT_OF_RANGE));
        }
    }
}
