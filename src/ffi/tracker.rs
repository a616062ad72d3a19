//! `mc_tracker_*`, `mc_track_*` and `mc_update_*`: the calls a player makes from any thread.
//!
//! What a call's status can say: bad arguments, an invalid or stale handle, a client shut down,
//! poisoned or forked, a full queue. Whether the tracker rules accept the call is decided later
//! on the worker: a rejected call is counted (`ignored_call`), logged and reported through the
//! event callback with the rule that rejected it.
//!
//! Thread safety: every function may be called from any thread. Calls on one tracker should
//! come from one thread at a time (or be ordered by the player): their order is the order they
//! reach the queue.

use std::ffi::c_char;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use crate::core::{
    AdBreakInfo, AdInfo, Call, ChapterInfo, ErrorSource, LogLevel, MediaInfo, MediaType, Qoe, Snapshot, TrackerConfig,
    TrackerSlot,
};
use crate::ffi::boundary::{ffi_boundary, set_current_client, status_of};
use crate::ffi::client::{CLIENTS, check_state};
use crate::ffi::error::{fail, quote};
use crate::ffi::handles::HandleTable;
use crate::ffi::strings::{MAX_NAME, MAX_STRING, metadata, opt_str, req_nonempty, valid_state_name};
use crate::ffi::types::*;
use crate::stats::Counter;
use crate::status::mc_status;
use crate::worker::{Command, Shared};

pub struct TrackerInner {
    client: u64,
    shared: Arc<Shared>,
    slot: Arc<TrackerSlot>,
    /// Commands of this tracker accepted into the queue (its AddTracker included): the worker
    /// removes the tracker once it has handled that many, whatever order the two channels
    /// deliver in.
    queued: AtomicU64,
}

pub(crate) static TRACKERS: LazyLock<HandleTable<TrackerInner>> = LazyLock::new(|| HandleTable::new(0x54));

/// Invalidates every tracker handle of a client being freed.
pub fn forget_client(client: u64) {
    for (h, t) in TRACKERS.live() {
        if t.client == client {
            TRACKERS.remove(h);
        }
    }
}

fn resolve(handle: mc_tracker_t) -> Result<Arc<TrackerInner>, mc_status> {
    let t = TRACKERS.resolve(handle)?;
    set_current_client(t.client);
    check_state(&t.shared)?;
    Ok(t)
}

fn opted_in(shared: &Shared) -> Result<(), mc_status> {
    if shared.privacy.load(Ordering::Relaxed) == MC_PRIVACY_OPTED_OUT as u8 {
        Err(mc_status::MC_ERR_OPTED_OUT)
    } else {
        Ok(())
    }
}

fn finite_non_negative(v: f64, field: &str) -> Result<f64, mc_status> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(fail(
            mc_status::MC_ERR_INVALID_ARGUMENT,
            format!("{field} ({}) must be a finite number >= 0", crate::ffi::error::number_text(v)),
        ))
    }
}

fn position(p: u32, field: &str) -> Result<u32, mc_status> {
    // Adobe's SDK refuses positions below 1; so do we, on the caller's thread.
    if p >= 1 { Ok(p) } else { Err(fail(mc_status::MC_ERR_INVALID_ARGUMENT, format!("{field} (0) must be >= 1"))) }
}

/// Stamps and queues a call. A bad argument is reported with its status and a log line.
fn track(handle: mc_tracker_t, build: impl FnOnce(&TrackerInner) -> Result<Call, mc_status>) -> mc_status {
    track_dropping(handle, |t| build(t).map(|c| (c, Vec::new())))
}

/// `track` for the calls with metadata: `build` also returns the entries it dropped (one line
/// each), which the worker counts, logs and reports.
fn track_dropping(
    handle: mc_tracker_t,
    build: impl FnOnce(&TrackerInner) -> Result<(Call, Vec<String>), mc_status>,
) -> mc_status {
    let t = match resolve(handle) {
        Ok(t) => t,
        Err(s) => return s,
    };
    let (call, dropped) = match build(&t) {
        Ok(c) => c,
        Err(s) => {
            // The same line mc_last_error() returns, through the worker.
            t.shared.log(LogLevel::Warn, crate::ffi::error::last_message);
            return s;
        }
    };
    // The call travels with the playhead and QoE of this moment: the worker may handle it after
    // the player has moved on.
    let snap = Snapshot { at: t.shared.clock.stamp(&t.shared.stats), playhead: t.slot.playhead(), qoe: t.slot.qoe() };
    let dropped_metadata = (!dropped.is_empty()).then(|| dropped.into_boxed_slice());
    match t.shared.send_event(Command::Call { id: handle, snap, call, dropped_metadata }) {
        Ok(()) => {
            t.queued.fetch_add(1, Ordering::Relaxed);
            t.shared.stats.incr(Counter::CallsAccepted);
            mc_status::MC_OK
        }
        Err(s) => s,
    }
}

fn tracker_new(client: mc_client_t, config: *const mc_tracker_config, out: *mut mc_tracker_t) -> Result<(), mc_status> {
    let c = CLIENTS.resolve(client)?;
    set_current_client(client);
    check_state(&c.shared)?;
    if out.is_null() {
        return Err(fail(mc_status::MC_ERR_NULL_ARGUMENT, "out: NULL"));
    }
    let cfg = if config.is_null() {
        mc_tracker_config::defaults()
    } else {
        unsafe {
            read_versioned(config, mc_tracker_config::defaults(), std::mem::size_of::<mc_tracker_config>(), "config")
        }?
    };
    let config = TrackerConfig {
        channel: unsafe { opt_str(cfg.channel, MAX_NAME, "config.channel") }?,
        player_name: unsafe { opt_str(cfg.player_name, MAX_NAME, "config.player_name") }?,
        downloaded: cfg.downloaded,
    };
    if config.downloaded && !cfg!(feature = "offline") {
        return Err(fail(
            mc_status::MC_ERR_UNSUPPORTED,
            "config.downloaded is true but this build has no offline store: it was built without the `offline` \
             feature",
        ));
    }
    if config.downloaded && !c.shared.has_store {
        // Downloaded content needs the offline store: `store_dir` in the client configuration.
        return Err(fail(
            mc_status::MC_ERR_NO_STORE,
            "config.downloaded is true but the client has no store (set store_dir in its configuration)",
        ));
    }
    opted_in(&c.shared)?;
    let slot = Arc::new(TrackerSlot::new());
    // The AddTracker is counted up front: it is queued before any call can be made.
    let inner =
        Arc::new(TrackerInner { client, shared: c.shared.clone(), slot: slot.clone(), queued: AtomicU64::new(1) });
    let handle = TRACKERS.insert(inner)?;
    if let Err(s) = c.shared.send_event(Command::AddTracker { id: handle, config, slot }) {
        TRACKERS.remove(handle);
        return Err(s);
    }
    unsafe { out.write(handle) };
    Ok(())
}

/// Creates a tracker: one per player instance, one media session at a time.
///
/// @param client The client (from mc_client_new()).
/// @param config The tracker's settings (filled by mc_tracker_config_init()), or NULL for the
///   defaults (the client's channel and player name, real-time content). Read and copied during
///   the call.
/// @param out Receives the new handle, written only on MC_OK.
/// @return MC_OK with `*out` set, or why not (mc_last_error() names the field).
/// @retval MC_OK Created.
/// @retval MC_ERR_NULL_ARGUMENT `out` is NULL.
/// @retval MC_ERR_STRUCT_SIZE A `struct_size` is not a version this library knows (fill it with its _init()).
/// @retval MC_ERR_INVALID_UTF8 A string is not valid UTF-8.
/// @retval MC_ERR_TOO_LONG A string or an array is over its cap.
/// @retval MC_ERR_NO_STORE `config->downloaded` is set but the client has no `store_dir`.
/// @retval MC_ERR_UNSUPPORTED `config->downloaded` is set and the library was built without its
///   `offline` feature (no offline store).
/// @retval MC_ERR_OPTED_OUT The user opted out (mc_client_set_privacy()).
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_QUEUE_FULL The queue to the worker is full: the call was dropped and counted
///   (`queue_overflow`).
/// @retval MC_ERR_TOO_MANY_HANDLES Over a million objects of this kind are alive.
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Any thread; never blocks.
#[unsafe(no_mangle)]
pub extern "C" fn mc_tracker_new(
    client: mc_client_t,
    config: *const mc_tracker_config,
    out: *mut mc_tracker_t,
) -> mc_status {
    ffi_boundary! { status_of(tracker_new(client, config, out)) }
}

fn tracker_free(tracker: mc_tracker_t) -> Result<(), mc_status> {
    if tracker == 0 {
        return Ok(());
    }
    let t = TRACKERS.take(tracker)?;
    set_current_client(t.client);
    if t.shared.state.load(Ordering::Relaxed) != crate::worker::RUNNING {
        return Ok(());
    }
    let at = t.shared.clock.stamp(&t.shared.stats);
    // Removal travels on the control channel, never dropped; the worker applies it after the
    // tracker's `queued` commands, which travel on the events channel.
    let queued = t.queued.load(Ordering::Relaxed);
    t.shared.send_control(Command::RemoveTracker { id: tracker, at, queued })
}

/// Frees a tracker. An open session is ended (`sessionEnd`, after closing an open ad, ad break
/// or chapter); its events already queued are still delivered. The handle is invalid at once.
///
/// @param tracker The tracker, or 0 (a no-op returning MC_OK).
/// @return MC_OK, or why the handle was not freed.
/// @retval MC_OK Freed (or `tracker` was 0, or its client is already shutting down).
/// @retval MC_ERR_INVALID_HANDLE `tracker` was freed already, or is not a tracker.
/// @retval MC_ERR_SHUT_DOWN The client's worker is gone.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Any thread; never blocks. Must not race with another call on the same tracker.
#[unsafe(no_mangle)]
pub extern "C" fn mc_tracker_free(tracker: mc_tracker_t) -> mc_status {
    ffi_boundary! { status_of(tracker_free(tracker)) }
}

/// Starts a session: `sessionStart` with the media info, the client's identity and the metadata
/// (`a.media.*` standard keys become params, other keys customMetadata). Events the player sends
/// before the server answers are held and sent after it, in order.
/// Strings and structs are read and copied before the call returns: the caller keeps them.
///
/// A metadata entry with a NULL key, a key not matching `[a-zA-Z0-9_.]+` or a NULL value is
/// dropped and the session starts with the others (`metadata_dropped`, a log line,
/// MC_EVENT_METADATA_DROPPED); NULL with `n_metadata` > 0, more than MC_MAX_METADATA entries, a
/// string over its cap or not UTF-8 refuse the call.
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @param media What is played (filled by mc_media_info_init(); `id`, `name` and `content_type` set).
/// @param metadata_entries `n_metadata` entries, or NULL when `n_metadata` is 0.
/// @param n_metadata Number of entries, at most MC_MAX_METADATA.
/// @return MC_OK when the call was queued, or why it was not.
/// @retval MC_OK Queued. Whether the tracker rules accept the call is decided on the worker: a
///   call they reject still returns MC_OK, and is counted (`ignored_call`), logged, and reported
///   to the event callback (MC_EVENT_CALL_IGNORED, with the rule).
/// @retval MC_ERR_NULL_ARGUMENT A required pointer is NULL.
/// @retval MC_ERR_STRUCT_SIZE A `struct_size` is not a version this library knows (fill it with its _init()).
/// @retval MC_ERR_INVALID_ARGUMENT An argument is empty, negative, not finite, or not a known value.
/// @retval MC_ERR_INVALID_UTF8 A string is not valid UTF-8.
/// @retval MC_ERR_TOO_LONG A string or an array is over its cap.
/// @retval MC_ERR_OUT_OF_RANGE A value is outside its documented range.
/// @retval MC_ERR_OPTED_OUT The user opted out (mc_client_set_privacy()).
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_QUEUE_FULL The queue to the worker is full: the call was dropped and counted
///   (`queue_overflow`).
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// A refused argument is named by mc_last_error(), and the client's log callback gets the same
/// line (WARN) through the worker.
/// Never blocks: stamps the time, queues a command and wakes the worker at most once (no syscall
/// when it is awake). Calls on one tracker must not race: make them from one thread at a time, or
/// order them yourself; the order they reach the queue is the session's order.
#[unsafe(no_mangle)]
pub extern "C" fn mc_track_session_start(
    tracker: mc_tracker_t,
    media: *const mc_media_info,
    metadata_entries: *const mc_metadata,
    n_metadata: usize,
) -> mc_status {
    ffi_boundary! {
        track_dropping(tracker, |t| {
            opted_in(&t.shared)?;
            let m = unsafe {
                read_versioned(media, mc_media_info::defaults(), std::mem::size_of::<mc_media_info>(), "media")
            }?;
            let media_type = match m.media_type {
                MC_MEDIA_TYPE_VIDEO => MediaType::Video,
                MC_MEDIA_TYPE_AUDIO => MediaType::Audio,
                other => {
                    return Err(fail(
                        mc_status::MC_ERR_INVALID_ARGUMENT,
                        format!("media.media_type ({other}) is not MC_MEDIA_TYPE_VIDEO or MC_MEDIA_TYPE_AUDIO"),
                    ));
                }
            };
            let preroll_wait = match m.preroll_wait_ms {
                -1 => None,
                w if (0..=60_000).contains(&w) => Some(Duration::from_millis(w as u64)),
                other => {
                    return Err(fail(
                        mc_status::MC_ERR_OUT_OF_RANGE,
                        format!("media.preroll_wait_ms ({other}) is outside 0..=60000 ms (or -1 for the client's)"),
                    ));
                }
            };
            let info = MediaInfo {
                id: unsafe { req_nonempty(m.id, MAX_NAME, "media.id") }?,
                name: unsafe { req_nonempty(m.name, MAX_STRING, "media.name") }?,
                length: finite_non_negative(m.length, "media.length")?,
                content_type: unsafe { req_nonempty(m.content_type, MAX_NAME, "media.content_type") }?,
                media_type,
                initial_playhead: finite_non_negative(m.initial_playhead, "media.initial_playhead")?,
                resumed: m.resumed,
                preroll_wait,
                granular_ad_tracking: m.granular_ad_tracking,
            };
            let (md, dropped) = unsafe { metadata(metadata_entries, n_metadata) }?;
            Ok((Call::SessionStart { media: Box::new(info), metadata: md }, dropped))
        })
    }
}

/// The player is playing (first frame, or resumed after pause, buffering or seeking). Hit:
/// `play` when the playback state changes; before a pre-roll it is held by the pre-roll window.
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @return MC_OK when the call was queued, or why it was not.
/// @retval MC_OK Queued. Whether the tracker rules accept the call is decided on the worker: a
///   call they reject still returns MC_OK, and is counted (`ignored_call`), logged, and reported
///   to the event callback (MC_EVENT_CALL_IGNORED, with the rule).
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_QUEUE_FULL The queue to the worker is full: the call was dropped and counted
///   (`queue_overflow`).
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Never blocks: stamps the time, queues a command and wakes the worker at most once (no syscall
/// when it is awake). Calls on one tracker must not race: make them from one thread at a time, or
/// order them yourself; the order they reach the queue is the session's order.
#[unsafe(no_mangle)]
pub extern "C" fn mc_track_play(tracker: mc_tracker_t) -> mc_status {
    ffi_boundary! { track(tracker, |_| Ok(Call::Play)) }
}

/// The player paused. Hit: `pauseStart`. Ignored while buffering or seeking, and inside an ad
/// break outside an ad.
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @return MC_OK when the call was queued, or why it was not.
/// @retval MC_OK Queued. Whether the tracker rules accept the call is decided on the worker: a
///   call they reject still returns MC_OK, and is counted (`ignored_call`), logged, and reported
///   to the event callback (MC_EVENT_CALL_IGNORED, with the rule).
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_QUEUE_FULL The queue to the worker is full: the call was dropped and counted
///   (`queue_overflow`).
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Never blocks: stamps the time, queues a command and wakes the worker at most once (no syscall
/// when it is awake). Calls on one tracker must not race: make them from one thread at a time, or
/// order them yourself; the order they reach the queue is the session's order.
#[unsafe(no_mangle)]
pub extern "C" fn mc_track_pause(tracker: mc_tracker_t) -> mc_status {
    ffi_boundary! { track(tracker, |_| Ok(Call::Pause)) }
}

/// The content reached its end. Hits: [adSkip] [adBreakComplete] [chapterSkip]
/// `sessionComplete`; the session is over (no sessionEnd follows).
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @return MC_OK when the call was queued, or why it was not.
/// @retval MC_OK Queued. Whether the tracker rules accept the call is decided on the worker: a
///   call they reject still returns MC_OK, and is counted (`ignored_call`), logged, and reported
///   to the event callback (MC_EVENT_CALL_IGNORED, with the rule).
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_QUEUE_FULL The queue to the worker is full: the call was dropped and counted
///   (`queue_overflow`).
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Never blocks: stamps the time, queues a command and wakes the worker at most once (no syscall
/// when it is awake). Calls on one tracker must not race: make them from one thread at a time, or
/// order them yourself; the order they reach the queue is the session's order.
#[unsafe(no_mangle)]
pub extern "C" fn mc_track_complete(tracker: mc_tracker_t) -> mc_status {
    ffi_boundary! { track(tracker, |_| Ok(Call::Complete)) }
}

/// The viewer left for good. Hits: [adSkip] [adBreakComplete] [chapterSkip] `sessionEnd`.
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @return MC_OK when the call was queued, or why it was not.
/// @retval MC_OK Queued. Whether the tracker rules accept the call is decided on the worker: a
///   call they reject still returns MC_OK, and is counted (`ignored_call`), logged, and reported
///   to the event callback (MC_EVENT_CALL_IGNORED, with the rule).
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_QUEUE_FULL The queue to the worker is full: the call was dropped and counted
///   (`queue_overflow`).
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Never blocks: stamps the time, queues a command and wakes the worker at most once (no syscall
/// when it is awake). Calls on one tracker must not race: make them from one thread at a time, or
/// order them yourself; the order they reach the queue is the session's order.
#[unsafe(no_mangle)]
pub extern "C" fn mc_track_session_end(tracker: mc_tracker_t) -> mc_status {
    ffi_boundary! { track(tracker, |_| Ok(Call::SessionEnd)) }
}

/// Buffering started. Hit: `bufferStart`.
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @return MC_OK when the call was queued, or why it was not.
/// @retval MC_OK Queued. Whether the tracker rules accept the call is decided on the worker: a
///   call they reject still returns MC_OK, and is counted (`ignored_call`), logged, and reported
///   to the event callback (MC_EVENT_CALL_IGNORED, with the rule).
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_QUEUE_FULL The queue to the worker is full: the call was dropped and counted
///   (`queue_overflow`).
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Never blocks: stamps the time, queues a command and wakes the worker at most once (no syscall
/// when it is awake). Calls on one tracker must not race: make them from one thread at a time, or
/// order them yourself; the order they reach the queue is the session's order.
#[unsafe(no_mangle)]
pub extern "C" fn mc_track_buffer_start(tracker: mc_tracker_t) -> mc_status {
    ffi_boundary! { track(tracker, |_| Ok(Call::BufferStart)) }
}

/// Buffering ended. Hit: `play` or `pauseStart` (back to the underlying state).
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @return MC_OK when the call was queued, or why it was not.
/// @retval MC_OK Queued. Whether the tracker rules accept the call is decided on the worker: a
///   call they reject still returns MC_OK, and is counted (`ignored_call`), logged, and reported
///   to the event callback (MC_EVENT_CALL_IGNORED, with the rule).
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_QUEUE_FULL The queue to the worker is full: the call was dropped and counted
///   (`queue_overflow`).
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Never blocks: stamps the time, queues a command and wakes the worker at most once (no syscall
/// when it is awake). Calls on one tracker must not race: make them from one thread at a time, or
/// order them yourself; the order they reach the queue is the session's order.
#[unsafe(no_mangle)]
pub extern "C" fn mc_track_buffer_complete(tracker: mc_tracker_t) -> mc_status {
    ffi_boundary! { track(tracker, |_| Ok(Call::BufferComplete)) }
}

/// Seeking started. Hit: `pauseStart` (the MC API has no seek events).
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @return MC_OK when the call was queued, or why it was not.
/// @retval MC_OK Queued. Whether the tracker rules accept the call is decided on the worker: a
///   call they reject still returns MC_OK, and is counted (`ignored_call`), logged, and reported
///   to the event callback (MC_EVENT_CALL_IGNORED, with the rule).
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_QUEUE_FULL The queue to the worker is full: the call was dropped and counted
///   (`queue_overflow`).
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Never blocks: stamps the time, queues a command and wakes the worker at most once (no syscall
/// when it is awake). Calls on one tracker must not race: make them from one thread at a time, or
/// order them yourself; the order they reach the queue is the session's order.
#[unsafe(no_mangle)]
pub extern "C" fn mc_track_seek_start(tracker: mc_tracker_t) -> mc_status {
    ffi_boundary! { track(tracker, |_| Ok(Call::SeekStart)) }
}

/// Seeking ended. Hit: `play` or `pauseStart`.
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @return MC_OK when the call was queued, or why it was not.
/// @retval MC_OK Queued. Whether the tracker rules accept the call is decided on the worker: a
///   call they reject still returns MC_OK, and is counted (`ignored_call`), logged, and reported
///   to the event callback (MC_EVENT_CALL_IGNORED, with the rule).
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_QUEUE_FULL The queue to the worker is full: the call was dropped and counted
///   (`queue_overflow`).
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Never blocks: stamps the time, queues a command and wakes the worker at most once (no syscall
/// when it is awake). Calls on one tracker must not race: make them from one thread at a time, or
/// order them yourself; the order they reach the queue is the session's order.
#[unsafe(no_mangle)]
pub extern "C" fn mc_track_seek_complete(tracker: mc_tracker_t) -> mc_status {
    ffi_boundary! { track(tracker, |_| Ok(Call::SeekComplete)) }
}

/// The ad break ended. Hits: [adSkip] `adBreakComplete`, then `play` (or `pauseStart`).
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @return MC_OK when the call was queued, or why it was not.
/// @retval MC_OK Queued. Whether the tracker rules accept the call is decided on the worker: a
///   call they reject still returns MC_OK, and is counted (`ignored_call`), logged, and reported
///   to the event callback (MC_EVENT_CALL_IGNORED, with the rule).
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_QUEUE_FULL The queue to the worker is full: the call was dropped and counted
///   (`queue_overflow`).
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Never blocks: stamps the time, queues a command and wakes the worker at most once (no syscall
/// when it is awake). Calls on one tracker must not race: make them from one thread at a time, or
/// order them yourself; the order they reach the queue is the session's order.
#[unsafe(no_mangle)]
pub extern "C" fn mc_track_ad_break_complete(tracker: mc_tracker_t) -> mc_status {
    ffi_boundary! { track(tracker, |_| Ok(Call::AdBreakComplete)) }
}

/// The ad played to its end. Hit: `adComplete`.
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @return MC_OK when the call was queued, or why it was not.
/// @retval MC_OK Queued. Whether the tracker rules accept the call is decided on the worker: a
///   call they reject still returns MC_OK, and is counted (`ignored_call`), logged, and reported
///   to the event callback (MC_EVENT_CALL_IGNORED, with the rule).
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_QUEUE_FULL The queue to the worker is full: the call was dropped and counted
///   (`queue_overflow`).
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Never blocks: stamps the time, queues a command and wakes the worker at most once (no syscall
/// when it is awake). Calls on one tracker must not race: make them from one thread at a time, or
/// order them yourself; the order they reach the queue is the session's order.
#[unsafe(no_mangle)]
pub extern "C" fn mc_track_ad_complete(tracker: mc_tracker_t) -> mc_status {
    ffi_boundary! { track(tracker, |_| Ok(Call::AdComplete)) }
}

/// The ad was skipped. Hit: `adSkip`.
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @return MC_OK when the call was queued, or why it was not.
/// @retval MC_OK Queued. Whether the tracker rules accept the call is decided on the worker: a
///   call they reject still returns MC_OK, and is counted (`ignored_call`), logged, and reported
///   to the event callback (MC_EVENT_CALL_IGNORED, with the rule).
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_QUEUE_FULL The queue to the worker is full: the call was dropped and counted
///   (`queue_overflow`).
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Never blocks: stamps the time, queues a command and wakes the worker at most once (no syscall
/// when it is awake). Calls on one tracker must not race: make them from one thread at a time, or
/// order them yourself; the order they reach the queue is the session's order.
#[unsafe(no_mangle)]
pub extern "C" fn mc_track_ad_skip(tracker: mc_tracker_t) -> mc_status {
    ffi_boundary! { track(tracker, |_| Ok(Call::AdSkip)) }
}

/// The chapter ended. Hit: `chapterComplete`.
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @return MC_OK when the call was queued, or why it was not.
/// @retval MC_OK Queued. Whether the tracker rules accept the call is decided on the worker: a
///   call they reject still returns MC_OK, and is counted (`ignored_call`), logged, and reported
///   to the event callback (MC_EVENT_CALL_IGNORED, with the rule).
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_QUEUE_FULL The queue to the worker is full: the call was dropped and counted
///   (`queue_overflow`).
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Never blocks: stamps the time, queues a command and wakes the worker at most once (no syscall
/// when it is awake). Calls on one tracker must not race: make them from one thread at a time, or
/// order them yourself; the order they reach the queue is the session's order.
#[unsafe(no_mangle)]
pub extern "C" fn mc_track_chapter_complete(tracker: mc_tracker_t) -> mc_status {
    ffi_boundary! { track(tracker, |_| Ok(Call::ChapterComplete)) }
}

/// The chapter was skipped. Hit: `chapterSkip`.
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @return MC_OK when the call was queued, or why it was not.
/// @retval MC_OK Queued. Whether the tracker rules accept the call is decided on the worker: a
///   call they reject still returns MC_OK, and is counted (`ignored_call`), logged, and reported
///   to the event callback (MC_EVENT_CALL_IGNORED, with the rule).
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_QUEUE_FULL The queue to the worker is full: the call was dropped and counted
///   (`queue_overflow`).
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Never blocks: stamps the time, queues a command and wakes the worker at most once (no syscall
/// when it is awake). Calls on one tracker must not race: make them from one thread at a time, or
/// order them yourself; the order they reach the queue is the session's order.
#[unsafe(no_mangle)]
pub extern "C" fn mc_track_chapter_skip(tracker: mc_tracker_t) -> mc_status {
    ffi_boundary! { track(tracker, |_| Ok(Call::ChapterSkip)) }
}

/// The bitrate changed (set it first with mc_update_qoe()). Hit: `bitrateChange` with the
/// whole QoE as it was at this call.
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @return MC_OK when the call was queued, or why it was not.
/// @retval MC_OK Queued. Whether the tracker rules accept the call is decided on the worker: a
///   call they reject still returns MC_OK, and is counted (`ignored_call`), logged, and reported
///   to the event callback (MC_EVENT_CALL_IGNORED, with the rule).
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_QUEUE_FULL The queue to the worker is full: the call was dropped and counted
///   (`queue_overflow`).
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Never blocks: stamps the time, queues a command and wakes the worker at most once (no syscall
/// when it is awake). Calls on one tracker must not race: make them from one thread at a time, or
/// order them yourself; the order they reach the queue is the session's order.
#[unsafe(no_mangle)]
pub extern "C" fn mc_track_bitrate_change(tracker: mc_tracker_t) -> mc_status {
    ffi_boundary! { track(tracker, |_| Ok(Call::BitrateChange)) }
}

/// A playback error. Hit: `error` with `media.qoe.errorID` and `media.qoe.errorSource`. The
/// session goes on; call mc_track_session_end() if the error is fatal. The string is copied
/// before the call returns.
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @param error_id The player's error id, non-empty, at most MC_MAX_NAME bytes.
/// @param source MC_ERROR_SOURCE_PLAYER or MC_ERROR_SOURCE_EXTERNAL.
/// @return MC_OK when the call was queued, or why it was not.
/// @retval MC_OK Queued. Whether the tracker rules accept the call is decided on the worker: a
///   call they reject still returns MC_OK, and is counted (`ignored_call`), logged, and reported
///   to the event callback (MC_EVENT_CALL_IGNORED, with the rule).
/// @retval MC_ERR_NULL_ARGUMENT A required pointer is NULL.
/// @retval MC_ERR_INVALID_ARGUMENT An argument is empty, negative, not finite, or not a known value.
/// @retval MC_ERR_INVALID_UTF8 A string is not valid UTF-8.
/// @retval MC_ERR_TOO_LONG A string or an array is over its cap.
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_QUEUE_FULL The queue to the worker is full: the call was dropped and counted
///   (`queue_overflow`).
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// A refused argument is named by mc_last_error(), and the client's log callback gets the same
/// line (WARN) through the worker.
/// Never blocks: stamps the time, queues a command and wakes the worker at most once (no syscall
/// when it is awake). Calls on one tracker must not race: make them from one thread at a time, or
/// order them yourself; the order they reach the queue is the session's order.
#[unsafe(no_mangle)]
pub extern "C" fn mc_track_error(tracker: mc_tracker_t, error_id: *const c_char, source: u32) -> mc_status {
    ffi_boundary! {
        track(tracker, |_| {
            let id = unsafe { req_nonempty(error_id, MAX_NAME, "error_id") }?;
            let source = match source {
                MC_ERROR_SOURCE_PLAYER => ErrorSource::Player,
                MC_ERROR_SOURCE_EXTERNAL => ErrorSource::External,
                other => {
                    return Err(fail(
                        mc_status::MC_ERR_INVALID_ARGUMENT,
                        format!("source ({other}) is not MC_ERROR_SOURCE_PLAYER or MC_ERROR_SOURCE_EXTERNAL"),
                    ));
                }
            };
            Ok(Call::Error { id: id.into_boxed_str(), source })
        })
    }
}

/// An ad break starts. Hits: [adSkip] [adBreakComplete] `adBreakStart`.
/// Strings and structs are read and copied before the call returns: the caller keeps them.
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @param info The break (filled by mc_ad_break_info_init(); `name` set, `position` >= 1).
/// @return MC_OK when the call was queued, or why it was not.
/// @retval MC_OK Queued. Whether the tracker rules accept the call is decided on the worker: a
///   call they reject still returns MC_OK, and is counted (`ignored_call`), logged, and reported
///   to the event callback (MC_EVENT_CALL_IGNORED, with the rule).
/// @retval MC_ERR_NULL_ARGUMENT A required pointer is NULL.
/// @retval MC_ERR_STRUCT_SIZE A `struct_size` is not a version this library knows (fill it with its _init()).
/// @retval MC_ERR_INVALID_ARGUMENT An argument is empty, negative, not finite, or not a known value.
/// @retval MC_ERR_INVALID_UTF8 A string is not valid UTF-8.
/// @retval MC_ERR_TOO_LONG A string or an array is over its cap.
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_QUEUE_FULL The queue to the worker is full: the call was dropped and counted
///   (`queue_overflow`).
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// A refused argument is named by mc_last_error(), and the client's log callback gets the same
/// line (WARN) through the worker.
/// Never blocks: stamps the time, queues a command and wakes the worker at most once (no syscall
/// when it is awake). Calls on one tracker must not race: make them from one thread at a time, or
/// order them yourself; the order they reach the queue is the session's order.
#[unsafe(no_mangle)]
pub extern "C" fn mc_track_ad_break_start(tracker: mc_tracker_t, info: *const mc_ad_break_info) -> mc_status {
    ffi_boundary! {
        track(tracker, |_| {
            let b = unsafe {
                read_versioned(info, mc_ad_break_info::defaults(), std::mem::size_of::<mc_ad_break_info>(), "info")
            }?;
            Ok(Call::AdBreakStart(Box::new(AdBreakInfo {
                name: unsafe { req_nonempty(b.name, MAX_STRING, "info.name") }?,
                position: position(b.position, "info.position")?,
                start_time: finite_non_negative(b.start_time, "info.start_time")?,
            })))
        })
    }
}

/// An ad starts inside the current break. Hits: [adSkip] `adStart` (standard `a.media.ad.*`
/// metadata become params, the rest customMetadata), then `play`. Bad metadata entries are
/// dropped as in mc_track_session_start().
/// Strings and structs are read and copied before the call returns: the caller keeps them.
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @param info The ad (filled by mc_ad_info_init(); `id` and `name` set, `position` >= 1).
/// @param metadata_entries `n_metadata` entries, or NULL when `n_metadata` is 0.
/// @param n_metadata Number of entries, at most MC_MAX_METADATA.
/// @return MC_OK when the call was queued, or why it was not.
/// @retval MC_OK Queued. Whether the tracker rules accept the call is decided on the worker: a
///   call they reject still returns MC_OK, and is counted (`ignored_call`), logged, and reported
///   to the event callback (MC_EVENT_CALL_IGNORED, with the rule).
/// @retval MC_ERR_NULL_ARGUMENT A required pointer is NULL.
/// @retval MC_ERR_STRUCT_SIZE A `struct_size` is not a version this library knows (fill it with its _init()).
/// @retval MC_ERR_INVALID_ARGUMENT An argument is empty, negative, not finite, or not a known value.
/// @retval MC_ERR_INVALID_UTF8 A string is not valid UTF-8.
/// @retval MC_ERR_TOO_LONG A string or an array is over its cap.
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_QUEUE_FULL The queue to the worker is full: the call was dropped and counted
///   (`queue_overflow`).
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// A refused argument is named by mc_last_error(), and the client's log callback gets the same
/// line (WARN) through the worker.
/// Never blocks: stamps the time, queues a command and wakes the worker at most once (no syscall
/// when it is awake). Calls on one tracker must not race: make them from one thread at a time, or
/// order them yourself; the order they reach the queue is the session's order.
#[unsafe(no_mangle)]
pub extern "C" fn mc_track_ad_start(
    tracker: mc_tracker_t,
    info: *const mc_ad_info,
    metadata_entries: *const mc_metadata,
    n_metadata: usize,
) -> mc_status {
    ffi_boundary! {
        track_dropping(tracker, |_| {
            let a = unsafe { read_versioned(info, mc_ad_info::defaults(), std::mem::size_of::<mc_ad_info>(), "info") }?;
            let ad = AdInfo {
                id: unsafe { req_nonempty(a.id, MAX_NAME, "info.id") }?,
                name: unsafe { req_nonempty(a.name, MAX_STRING, "info.name") }?,
                position: position(a.position, "info.position")?,
                length: finite_non_negative(a.length, "info.length")?,
            };
            let (md, dropped) = unsafe { metadata(metadata_entries, n_metadata) }?;
            Ok((Call::AdStart { ad: Box::new(ad), metadata: md }, dropped))
        })
    }
}

/// A chapter starts. Hits: [chapterSkip] `chapterStart` (all metadata → customMetadata). Bad
/// metadata entries are dropped as in mc_track_session_start().
/// Strings and structs are read and copied before the call returns: the caller keeps them.
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @param info The chapter (filled by mc_chapter_info_init(); `name` set, `position` >= 1).
/// @param metadata_entries `n_metadata` entries, or NULL when `n_metadata` is 0.
/// @param n_metadata Number of entries, at most MC_MAX_METADATA.
/// @return MC_OK when the call was queued, or why it was not.
/// @retval MC_OK Queued. Whether the tracker rules accept the call is decided on the worker: a
///   call they reject still returns MC_OK, and is counted (`ignored_call`), logged, and reported
///   to the event callback (MC_EVENT_CALL_IGNORED, with the rule).
/// @retval MC_ERR_NULL_ARGUMENT A required pointer is NULL.
/// @retval MC_ERR_STRUCT_SIZE A `struct_size` is not a version this library knows (fill it with its _init()).
/// @retval MC_ERR_INVALID_ARGUMENT An argument is empty, negative, not finite, or not a known value.
/// @retval MC_ERR_INVALID_UTF8 A string is not valid UTF-8.
/// @retval MC_ERR_TOO_LONG A string or an array is over its cap.
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_QUEUE_FULL The queue to the worker is full: the call was dropped and counted
///   (`queue_overflow`).
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// A refused argument is named by mc_last_error(), and the client's log callback gets the same
/// line (WARN) through the worker.
/// Never blocks: stamps the time, queues a command and wakes the worker at most once (no syscall
/// when it is awake). Calls on one tracker must not race: make them from one thread at a time, or
/// order them yourself; the order they reach the queue is the session's order.
#[unsafe(no_mangle)]
pub extern "C" fn mc_track_chapter_start(
    tracker: mc_tracker_t,
    info: *const mc_chapter_info,
    metadata_entries: *const mc_metadata,
    n_metadata: usize,
) -> mc_status {
    ffi_boundary! {
        track_dropping(tracker, |_| {
            let c = unsafe {
                read_versioned(info, mc_chapter_info::defaults(), std::mem::size_of::<mc_chapter_info>(), "info")
            }?;
            let chapter = ChapterInfo {
                name: unsafe { req_nonempty(c.name, MAX_STRING, "info.name") }?,
                position: position(c.position, "info.position")?,
                start_time: finite_non_negative(c.start_time, "info.start_time")?,
                length: finite_non_negative(c.length, "info.length")?,
            };
            let (md, dropped) = unsafe { metadata(metadata_entries, n_metadata) }?;
            Ok((Call::ChapterStart { chapter: Box::new(chapter), metadata: md }, dropped))
        })
    }
}

fn state_name(name: *const c_char) -> Result<Box<str>, mc_status> {
    let n = unsafe { req_nonempty(name, 64, "name") }?;
    if !valid_state_name(&n) {
        return Err(fail(
            mc_status::MC_ERR_INVALID_ARGUMENT,
            format!("name ({}): must match [a-zA-Z0-9_.]{{1,64}}", quote(&n)),
        ));
    }
    Ok(n.into_boxed_str())
}

/// A player state starts (`fullscreen`, `mute`, `closedCaptioning`, `pictureInPicture`,
/// `inFocus`, or a custom name). Hit: `stateStart`. At most 10 distinct names per session (more
/// are ignored and reported). The name is copied before the call returns.
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @param name The state, matching `[a-zA-Z0-9_.]{1,64}`.
/// @return MC_OK when the call was queued, or why it was not.
/// @retval MC_OK Queued. Whether the tracker rules accept the call is decided on the worker: a
///   call they reject still returns MC_OK, and is counted (`ignored_call`), logged, and reported
///   to the event callback (MC_EVENT_CALL_IGNORED, with the rule).
/// @retval MC_ERR_NULL_ARGUMENT A required pointer is NULL.
/// @retval MC_ERR_INVALID_ARGUMENT An argument is empty, negative, not finite, or not a known value.
/// @retval MC_ERR_INVALID_UTF8 A string is not valid UTF-8.
/// @retval MC_ERR_TOO_LONG A string or an array is over its cap.
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_QUEUE_FULL The queue to the worker is full: the call was dropped and counted
///   (`queue_overflow`).
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// A refused argument is named by mc_last_error(), and the client's log callback gets the same
/// line (WARN) through the worker.
/// Never blocks: stamps the time, queues a command and wakes the worker at most once (no syscall
/// when it is awake). Calls on one tracker must not race: make them from one thread at a time, or
/// order them yourself; the order they reach the queue is the session's order.
#[unsafe(no_mangle)]
pub extern "C" fn mc_track_state_start(tracker: mc_tracker_t, name: *const c_char) -> mc_status {
    ffi_boundary! { track(tracker, |_| Ok(Call::StateStart(state_name(name)?))) }
}

/// A player state ends. Hit: `stateEnd`. The name is copied before the call returns.
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @param name The state, matching `[a-zA-Z0-9_.]{1,64}`.
/// @return MC_OK when the call was queued, or why it was not.
/// @retval MC_OK Queued. Whether the tracker rules accept the call is decided on the worker: a
///   call they reject still returns MC_OK, and is counted (`ignored_call`), logged, and reported
///   to the event callback (MC_EVENT_CALL_IGNORED, with the rule).
/// @retval MC_ERR_NULL_ARGUMENT A required pointer is NULL.
/// @retval MC_ERR_INVALID_ARGUMENT An argument is empty, negative, not finite, or not a known value.
/// @retval MC_ERR_INVALID_UTF8 A string is not valid UTF-8.
/// @retval MC_ERR_TOO_LONG A string or an array is over its cap.
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_QUEUE_FULL The queue to the worker is full: the call was dropped and counted
///   (`queue_overflow`).
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// A refused argument is named by mc_last_error(), and the client's log callback gets the same
/// line (WARN) through the worker.
/// Never blocks: stamps the time, queues a command and wakes the worker at most once (no syscall
/// when it is awake). Calls on one tracker must not race: make them from one thread at a time, or
/// order them yourself; the order they reach the queue is the session's order.
#[unsafe(no_mangle)]
pub extern "C" fn mc_track_state_end(tracker: mc_tracker_t, name: *const c_char) -> mc_status {
    ffi_boundary! { track(tracker, |_| Ok(Call::StateEnd(state_name(name)?))) }
}

fn update_playhead(tracker: mc_tracker_t, seconds: f64) -> Result<(), mc_status> {
    let t = resolve(tracker)?;
    t.slot.set_playhead(finite_non_negative(seconds, "seconds")?);
    Ok(())
}

/// The current playhead in seconds (content position; for live, the second of the day). Call it
/// often (e.g. every second); during ads keep the content position.
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @param seconds The playhead, finite and >= 0.
/// @return MC_OK when stored.
/// @retval MC_OK Stored; the next event and ping carry it.
/// @retval MC_ERR_INVALID_ARGUMENT `seconds` is negative or not finite.
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Only stores a number: no queue, no wake-up, no syscall, no log line. Any thread; calls on one
/// tracker must not race.
#[unsafe(no_mangle)]
pub extern "C" fn mc_update_playhead(tracker: mc_tracker_t, seconds: f64) -> mc_status {
    ffi_boundary! { status_of(update_playhead(tracker, seconds)) }
}

fn update_qoe(tracker: mc_tracker_t, qoe: *const mc_qoe) -> Result<(), mc_status> {
    let t = resolve(tracker)?;
    let q = unsafe { read_versioned(qoe, mc_qoe::defaults(), std::mem::size_of::<mc_qoe>(), "qoe") }?;
    t.slot.set_qoe(Qoe {
        bitrate: finite_non_negative(q.bitrate, "qoe.bitrate")?,
        dropped_frames: finite_non_negative(q.dropped_frames, "qoe.dropped_frames")?,
        fps: finite_non_negative(q.fps, "qoe.fps")?,
        startup_time: finite_non_negative(q.startup_time, "qoe.startup_time")?,
    });
    Ok(())
}

/// The current quality of experience. Each later `mc_track_*` call takes the QoE of its
/// moment along, as the playhead: its hit carries it when it differs from the QoE last sent,
/// `bitrateChange` and `error` always; a ping carries the QoE of when it fires, when changed.
///
/// @param tracker The tracker (from mc_tracker_new()).
/// @param qoe The values (filled by mc_qoe_init()), each finite and >= 0; read during the call.
/// @return MC_OK when stored.
/// @retval MC_OK Stored.
/// @retval MC_ERR_NULL_ARGUMENT A required pointer is NULL.
/// @retval MC_ERR_STRUCT_SIZE A `struct_size` is not a version this library knows (fill it with its _init()).
/// @retval MC_ERR_INVALID_ARGUMENT A value is negative or not finite (mc_last_error() names it).
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind, or its client was freed.
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// Only stores the values: no queue, no wake-up, no syscall, no log line. Any thread; calls on
/// one tracker must not race.
#[unsafe(no_mangle)]
pub extern "C" fn mc_update_qoe(tracker: mc_tracker_t, qoe: *const mc_qoe) -> mc_status {
    ffi_boundary! { status_of(update_qoe(tracker, qoe)) }
}
