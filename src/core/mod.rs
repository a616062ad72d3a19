//! The sans-IO core: a single-threaded state machine with no threads, sockets or clock of its
//! own (the shape of quinn-proto). The worker feeds it player calls, HTTP outcomes and the
//! current time; it hands back requests to send, notices for the callbacks and its next
//! deadline. Tests drive it with a fake clock.
//!
//! - `rules`: Adobe's tracker rule engine, one per tracker (calls → MC events).
//! - `delivery`: per MC session sending: sid queueing, one request in flight, retries.
//! - `facade`: `Core`, which the worker drives, tying the two together.

pub(crate) mod backoff;
pub(crate) mod delivery;
pub mod facade;
pub(crate) mod gate;
pub(crate) mod notices;
pub mod parse;
pub(crate) mod rules;
pub mod slot;
#[cfg(test)]
mod tests;

pub use crate::backend::mc::parse_location;
pub use facade::Core;
pub use parse::parse_retry_after;

use std::time::{Duration, Instant};

pub use crate::hit::EventType;
pub use crate::stats::Counter;
pub use slot::{Qoe, TrackerSlot};

/// Identifies a tracker inside one client (the worker's key, not the C handle).
pub type TrackerId = u64;

/// A tracker's short, stable name in log lines instead of its 64-bit id: `t<n>`, or
/// `t<n>.<g>` once slot `n` holds its g-th tracker. The id is the C handle, whose low 32 bits
/// are the slot + 1 and bits 32–55 the slot's generation (`ffi::handles`); ids that are not
/// handles (the core's tests) read as generation 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackerName(pub TrackerId);

impl std::fmt::Display for TrackerName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let slot = self.0 & 0xffff_ffff;
        let generation = (self.0 >> 32) & 0x00ff_ffff;
        if generation <= 1 { write!(f, "t{slot}") } else { write!(f, "t{slot}.{generation}") }
    }
}

/// When a call was made: the monotonic instant (for deadlines) and the wall-clock ms that
/// becomes the event's `playerTime.ts`. Stamped on the player's thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub mono: Instant,
    pub ts: i64,
}

impl Stamp {
    /// The stamp `d` later on both clocks.
    pub fn after(self, d: Duration) -> Stamp {
        Stamp { mono: self.mono + d, ts: self.ts + d.as_millis() as i64 }
    }

    /// The stamp of the earlier instant `mono`, on the wall clock of this one.
    pub fn back_to(self, mono: Instant) -> Stamp {
        let back = self.mono.saturating_duration_since(mono).as_millis();
        Stamp { mono, ts: self.ts.saturating_sub(i64::try_from(back).unwrap_or(i64::MAX)) }
    }
}

/// The Adobe identity and defaults every sessionStart carries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Identity {
    pub tracking_server: String,
    pub report_suite: String,
    pub org_id: String,
    pub ecid: Option<String>,
    pub visitor_id: Option<String>,
    pub aid: Option<String>,
    pub aam_location_hint: Option<i64>,
    pub customer_ids: Vec<CustomerId>,
    pub app_installation_id: Option<String>,
    pub opt_out_server_side_forwarding: bool,
    pub opt_out_share: bool,
    /// `media.sdkVersion` (the player app's version).
    pub app_version: Option<String>,
    /// Default `media.channel` (a tracker may override it).
    pub channel: Option<String>,
    /// Default `media.playerName` (a tracker may override it); also `media.ad.playerName`.
    pub player_name: Option<String>,
    /// `media.libraryVersion`, e.g. "c-media-0.1.0".
    pub library_version: String,
}

/// One `visitor.customerIDs` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerId {
    pub id_type: String,
    pub id: String,
    /// 0 unknown, 1 authenticated, 2 logged out.
    pub auth_state: u8,
}

/// Every clock knob of the tracker rules. Defaults are Adobe's SDK values.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// Pings in content (and in ads without granular tracking).
    pub ping_interval: Duration,
    /// Pings inside an ad when the session asks for granular ad tracking.
    pub granular_ad_ping_interval: Duration,
    /// Pings of downloaded sessions, in content and in ads.
    pub offline_ping_interval: Duration,
    /// Main content playing this long → the content-start `play`.
    pub content_start_delay: Duration,
    /// Default pre-roll waiting window (a media info may override it; 0 disables).
    pub preroll_window: Duration,
    /// Idle this long → `sessionEnd`; the next play resumes.
    pub idle_timeout: Duration,
    /// A session this old restarts as a resumed one.
    pub session_cap: Duration,
    /// Consecutive `ts` of one session are at least this far apart (0 = Adobe's SDK exactly).
    pub min_ts_gap: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            ping_interval: Duration::from_secs(10),
            granular_ad_ping_interval: Duration::from_secs(1),
            offline_ping_interval: Duration::from_secs(50),
            content_start_delay: Duration::from_secs(1),
            preroll_window: Duration::from_millis(250),
            idle_timeout: Duration::from_secs(30 * 60),
            session_cap: Duration::from_secs(24 * 3600),
            min_ts_gap: Duration::from_millis(1),
        }
    }
}

/// DESIGN's retry table for real-time requests. A request's failure spends one of its attempts
/// only when the session is to blame; waits the server orders (`Retry-After`) or that outage
/// probing imposes spend none (see `FleetPolicy`).
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// First backoff; doubles each try.
    pub base: Duration,
    pub cap: Duration,
    /// ± share of each backoff, e.g. 0.2.
    pub jitter: f64,
    /// Attempts of a sessionStart before its session is given up.
    pub session_start_max_attempts: u32,
    /// Attempts of an event before it is given up (`retry_exhausted`); the session goes on.
    pub event_max_attempts: u32,
    /// `Retry-After` is honoured up to this.
    pub retry_after_cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(8),
            jitter: 0.2,
            session_start_max_attempts: 5,
            event_max_attempts: 10,
            retry_after_cap: Duration::from_secs(300),
        }
    }
}

/// How one client treats a back end in trouble, so that a fleet of them never amplifies an
/// incident (DESIGN's Fleet safety). Defaults are production values.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetPolicy {
    /// Session restarts after 404/410 or expiry, per tracker, within `restart_window`. Past it
    /// the tracker sends nothing more for that media session (`restart_budget_exhausted`).
    pub restart_budget: u32,
    /// The rolling window of `restart_budget`.
    pub restart_window: Duration,
    /// The first restart in the window waits a random delay up to this (one ping interval);
    /// the n-th waits this × 2ⁿ, ±20 %, capped at `restart_backoff_cap`.
    pub restart_delay: Duration,
    pub restart_backoff_cap: Duration,
    /// This many network failures or timeouts in a row mean the endpoint is out: sessions stop
    /// retrying and one probe goes out after `outage_probe_interval` (±20 %); each failed probe
    /// doubles the interval, up to `outage_probe_cap`.
    pub outage_failures: u32,
    pub outage_probe_interval: Duration,
    pub outage_probe_cap: Duration,
    /// When the endpoint opens again (after a `Retry-After` pause or an outage), the requests
    /// that waited are released spread over this window, and the probe after a `Retry-After`
    /// pause waits a random part of it.
    pub release_window: Duration,
    /// The back end closes a session after this long without events: a session that delivered
    /// nothing for this long is treated as gone when sending resumes.
    pub session_expiry: Duration,
    /// After a pause the client's requests are paced, so what it held drains over minutes:
    /// per share (one per session a player is still in, plus one for the backlog), the first
    /// gap is `drain_start_interval`, the rate
    /// ramps linearly to one request per `drain_end_interval` over `drain_ramp` (gaps ±20 %)
    /// and stays there while requests still wait; then pacing ends. A 503 or 429
    /// without `Retry-After` while paced restarts the ramp and spends no attempt. A zero
    /// `drain_ramp` or `drain_start_interval` turns pacing off.
    pub drain_start_interval: Duration,
    pub drain_end_interval: Duration,
    pub drain_ramp: Duration,
}

impl Default for FleetPolicy {
    fn default() -> Self {
        FleetPolicy {
            restart_budget: 3,
            restart_window: Duration::from_secs(3600),
            restart_delay: Duration::from_secs(10),
            restart_backoff_cap: Duration::from_secs(600),
            outage_failures: 5,
            outage_probe_interval: Duration::from_secs(60),
            outage_probe_cap: Duration::from_secs(480),
            release_window: Duration::from_secs(10),
            session_expiry: Duration::from_secs(600),
            drain_start_interval: Duration::from_secs(30),
            drain_end_interval: Duration::from_secs(15),
            drain_ramp: Duration::from_secs(600),
        }
    }
}

/// Memory caps of the delivery layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Events held per session (before its sid, or behind a retry).
    pub session_queue_cap: usize,
    /// Events held over all sessions.
    pub global_pending_cap: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { session_queue_cap: 500, global_pending_cap: 4096 }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CoreConfig {
    pub identity: Identity,
    pub timing: Timing,
    pub retry: RetryPolicy,
    pub limits: Limits,
    pub fleet: FleetPolicy,
    /// Which back end the requests are for.
    pub backend: crate::backend::BackendConfig,
}

/// Per-tracker configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackerConfig {
    pub channel: Option<String>,
    pub player_name: Option<String>,
    /// Downloaded content: events go to the offline store (not in this version of the core).
    pub downloaded: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MediaType {
    #[default]
    Video,
    Audio,
}

/// What `mc_track_session_start` describes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MediaInfo {
    pub id: String,
    pub name: String,
    /// Seconds; 86400 for live content of unknown length.
    pub length: f64,
    /// `media.contentType`: free text such as "vod", "live", "aod".
    pub content_type: String,
    /// `media.streamType`: "video" or "audio".
    pub media_type: MediaType,
    /// Playhead of the sessionStart (the slot is set to it as well).
    pub initial_playhead: f64,
    /// `media.resume: true` (a session resumed from another device or run).
    pub resumed: bool,
    /// Pre-roll waiting window; None = the client default.
    pub preroll_wait: Option<Duration>,
    pub granular_ad_tracking: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AdBreakInfo {
    pub name: String,
    /// ≥ 1.
    pub position: u32,
    pub start_time: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AdInfo {
    pub id: String,
    pub name: String,
    /// ≥ 1.
    pub position: u32,
    pub length: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChapterInfo {
    pub name: String,
    /// ≥ 1.
    pub position: u32,
    pub start_time: f64,
    pub length: f64,
}

/// `{key, value}` pairs as the player gave them (keys already checked on the player's thread).
pub type Metadata = Vec<(String, String)>;

/// What the player's thread captured when a call was made, beside the call itself: its stamp
/// and the playhead and QoE of the slot at that moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snapshot {
    pub at: Stamp,
    pub playhead: f64,
    /// None when the player never set a QoE.
    pub qoe: Option<Qoe>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorSource {
    Player,
    External,
}

/// One tracker call, as it travels to the worker. Large payloads are boxed so the command stays
/// small on the channel.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    SessionStart { media: Box<MediaInfo>, metadata: Metadata },
    Play,
    Pause,
    Complete,
    SessionEnd,
    Error { id: Box<str>, source: ErrorSource },
    BufferStart,
    BufferComplete,
    SeekStart,
    SeekComplete,
    AdBreakStart(Box<AdBreakInfo>),
    AdBreakComplete,
    AdStart { ad: Box<AdInfo>, metadata: Metadata },
    AdComplete,
    AdSkip,
    ChapterStart { chapter: Box<ChapterInfo>, metadata: Metadata },
    ChapterComplete,
    ChapterSkip,
    BitrateChange,
    StateStart(Box<str>),
    StateEnd(Box<str>),
}

impl Call {
    /// The C function's name without the `mc_track_` prefix, for logs and callbacks.
    pub fn name(&self) -> &'static str {
        match self {
            Call::SessionStart { .. } => "session_start",
            Call::Play => "play",
            Call::Pause => "pause",
            Call::Complete => "complete",
            Call::SessionEnd => "session_end",
            Call::Error { .. } => "error",
            Call::BufferStart => "buffer_start",
            Call::BufferComplete => "buffer_complete",
            Call::SeekStart => "seek_start",
            Call::SeekComplete => "seek_complete",
            Call::AdBreakStart(_) => "ad_break_start",
            Call::AdBreakComplete => "ad_break_complete",
            Call::AdStart { .. } => "ad_start",
            Call::AdComplete => "ad_complete",
            Call::AdSkip => "ad_skip",
            Call::ChapterStart { .. } => "chapter_start",
            Call::ChapterComplete => "chapter_complete",
            Call::ChapterSkip => "chapter_skip",
            Call::BitrateChange => "bitrate_change",
            Call::StateStart(_) => "state_start",
            Call::StateEnd(_) => "state_end",
        }
    }
}

/// Identifies a request handed to the transport.
pub type RequestId = u64;

/// An HTTP POST the worker must send. `path` is relative to the configured base URL
/// (e.g. `/api/v1/sessions`); `body` is JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub id: RequestId,
    pub tracker: TrackerId,
    pub event_type: EventType,
    pub path: String,
    pub body: Vec<u8>,
}

/// How a request ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The server answered. `body` is kept up to the transport's response cap (Media Edge
    /// puts the session id there); the MC API's answers carry nothing the core reads in it.
    Http { status: u16, location: Option<String>, retry_after: Option<String>, body: Vec<u8> },
    /// No usable answer: connect failure, reset, timeout, ...
    Network { message: String, timed_out: bool },
    /// Aborted by the worker at shutdown.
    Aborted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
}

/// What the core tells the host through the event and log callbacks.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// A sessionStart got its sid.
    SessionStarted {
        tracker: TrackerId,
        sid: String,
    },
    /// The server accepted an event (2xx).
    Delivered {
        tracker: TrackerId,
        event_type: EventType,
        status: u16,
    },
    /// A request failed; `retrying` says whether it will be tried again.
    RequestFailed {
        tracker: TrackerId,
        event_type: EventType,
        status: Option<u16>,
        retrying: bool,
        message: String,
    },
    /// The tracker rules rejected a call: no hit was produced.
    CallIgnored {
        tracker: TrackerId,
        call: &'static str,
        rule: &'static str,
    },
    /// An event was dropped; `reason` is the counter it was added to.
    Dropped {
        tracker: TrackerId,
        event_type: EventType,
        reason: Counter,
    },
    /// The tracker's MC session was restarted as a resumed one (idle, cap, 404/410).
    SessionRestarted {
        tracker: TrackerId,
        reason: &'static str,
    },
    /// Metadata entries of a call were dropped (NULL or invalid key, NULL value); the call and
    /// its other entries went on. `reason` says which entries and why.
    MetadataDropped {
        tracker: TrackerId,
        call: &'static str,
        reason: String,
    },
    Log {
        level: LogLevel,
        message: String,
    },
}
