//! The client configuration in Rust terms, after the C layer checked it. Built by
//! `ffi::client` from `mc_client_config`; owned by the worker.

use std::ffi::{CString, c_void};
use std::time::Duration;

use crate::clock::CallerClock;
use crate::core::{CoreConfig, LogLevel, Notice, TrackerId};
use crate::ffi::types::{mc_event_callback, mc_log_callback, mc_timer_callback, mc_watch_callback};

/// The user's privacy choice (`mc_client_set_privacy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privacy {
    OptedIn,
    OptedOut,
    /// Uploads wait until the user opts in.
    Unknown,
}

/// HTTP settings for the transport.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpConfig {
    /// scheme://host[:port][/prefix], without a trailing slash.
    pub base_url: String,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub user_agent: String,
    pub ca_file: Option<String>,
    pub ca_path: Option<String>,
    pub proxy: Option<String>,
    /// `dangerous_disable_tls_verification`: no TLS peer or host check (logged loudly).
    pub insecure_skip_tls_verify: bool,
}

/// Who runs the client's loop (`mc_client_config.threading`).
#[derive(Debug, Clone, Copy)]
pub enum Threading {
    /// The library's worker thread (the default).
    Worker,
    /// The host's event loop, through `mc_client_drive`; no thread of ours.
    Host(HostCallbacks),
}

/// The host's loop callbacks (`mc_client_config.watch_callback`, `timer_callback`).
#[derive(Debug, Clone, Copy)]
pub struct HostCallbacks {
    pub watch: mc_watch_callback,
    pub timer: mc_timer_callback,
    pub userdata: *mut c_void,
}

// SAFETY: called only inside the client's own calls on the thread driving it; the host
// promised its userdata may be used there (documented on the config fields).
unsafe impl Send for HostCallbacks {}

impl HostCallbacks {
    /// Tells the host to watch `fd` for `events` (`MC_WATCH_*`; 0: stop watching it).
    pub fn watch(&self, fd: i32, events: u32) {
        if let Some(f) = self.watch {
            unsafe { f(self.userdata, fd, events) };
        }
    }

    /// Tells the host when to call `mc_client_drive(client, MC_DRIVE_TIMEOUT, 0)`: in
    /// `timeout_ms` (0: at once), or never (-1).
    pub fn timer(&self, timeout_ms: i32) {
        if let Some(f) = self.timer {
            unsafe { f(self.userdata, timeout_ms) };
        }
    }
}

/// The player's callbacks with their userdata. They run on the thread that runs the loop: the
/// worker, or the host's inside a drive call.
#[derive(Debug, Clone, Copy)]
pub struct Callbacks {
    pub log: mc_log_callback,
    pub log_userdata: *mut c_void,
    pub log_level: LogLevel,
    pub event: mc_event_callback,
    pub event_userdata: *mut c_void,
}

// SAFETY: the userdata pointers are only passed back to the player's callbacks, on the worker
// thread; the player promised they may be used there (documented on the config fields).
unsafe impl Send for Callbacks {}

impl Default for Callbacks {
    fn default() -> Self {
        Callbacks {
            log: None,
            log_userdata: std::ptr::null_mut(),
            log_level: LogLevel::Info,
            event: None,
            event_userdata: std::ptr::null_mut(),
        }
    }
}

fn cstring(s: &str) -> CString {
    // Interior NULs cannot come from the C side (strings end at the first NUL); drop any the
    // server put in a header so the callback still gets the rest.
    CString::new(s.replace('\0', "")).unwrap_or_default()
}

impl Callbacks {
    pub fn wants(&self, level: LogLevel) -> bool {
        self.log.is_some() && level <= self.log_level
    }

    pub fn log(&self, level: LogLevel, message: &str) {
        if let Some(f) = self.log {
            if level <= self.log_level {
                let m = cstring(message);
                unsafe { f(self.log_userdata, level as u32, m.as_ptr()) };
            }
        }
    }

    /// Passes a core notice to the event callback (and log lines to the log callback).
    pub fn notice(&self, n: &Notice) {
        use crate::ffi::types::*;
        if let Notice::Log { level, message } = n {
            self.log(*level, message);
            return;
        }
        let Some(f) = self.event else { return };
        let mut session_id = None;
        let mut event_type = None;
        let mut call = None;
        let mut reason = None;
        let mut http_status = 0i32;
        let mut retrying = false;
        let (kind, tracker): (u32, TrackerId) = match n {
            Notice::SessionStarted { tracker, sid } => {
                session_id = Some(cstring(sid));
                (MC_EVENT_SESSION_STARTED, *tracker)
            }
            Notice::Delivered { tracker, event_type: et, status } => {
                event_type = Some(et.as_cstr());
                http_status = *status as i32;
                (MC_EVENT_DELIVERED, *tracker)
            }
            Notice::RequestFailed { tracker, event_type: et, status, retrying: r, message } => {
                event_type = Some(et.as_cstr());
                http_status = status.map(|s| s as i32).unwrap_or(0);
                retrying = *r;
                reason = Some(cstring(message));
                (MC_EVENT_REQUEST_FAILED, *tracker)
            }
            Notice::CallIgnored { tracker, call: c, rule } => {
                call = Some(cstring(c));
                reason = Some(cstring(rule));
                (MC_EVENT_CALL_IGNORED, *tracker)
            }
            Notice::Dropped { tracker, event_type: et, reason: counter } => {
                event_type = Some(et.as_cstr());
                reason = Some(cstring(crate::stats::COUNTER_NAMES[*counter as usize]));
                (MC_EVENT_DROPPED, *tracker)
            }
            Notice::SessionRestarted { tracker, reason: r } => {
                reason = Some(cstring(r));
                (MC_EVENT_SESSION_RESTARTED, *tracker)
            }
            Notice::MetadataDropped { tracker, call: c, reason: r } => {
                call = Some(cstring(c));
                reason = Some(cstring(r));
                (MC_EVENT_METADATA_DROPPED, *tracker)
            }
            Notice::Log { .. } => return,
        };
        let ev = mc_event {
            struct_size: std::mem::size_of::<mc_event>() as u32,
            kind,
            tracker,
            session_id: session_id.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            event_type: event_type.map_or(std::ptr::null(), |s| s.as_ptr()),
            call: call.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            reason: reason.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            http_status,
            retrying,
        };
        unsafe { f(self.event_userdata, &ev) };
    }
}

/// Everything `mc_client_new` hands to the worker.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub core: CoreConfig,
    pub http: HttpConfig,
    /// Event commands queued to the worker at most.
    pub queue_capacity: usize,
    pub callbacks: Callbacks,
    /// The INFO line the worker logs once it runs: version, endpoint, options not at their
    /// defaults.
    pub startup_line: String,
    /// Logged once by the worker when it starts (e.g. config fields that no longer apply).
    pub startup_warnings: Vec<String>,
    /// Worker thread or host-driven.
    pub threading: Threading,
    /// The caller's clock (host-driven only), instead of the system's.
    pub clock: Option<CallerClock>,
}
