//! Downloaded content on the worker: the hits of downloaded trackers go to the crash-safe store
//! (`crate::store`), one segment per session; finished sessions are uploaded one at a time,
//! oldest first, each as one JSON array (`sessionStart` first), at least `min_gap` apart.
//!
//! A back end that takes a session in parts (Media Edge's 64 KB cap) gets them in order; each
//! acknowledged part is recorded in the store before the next goes, so a restart (after a crash
//! or a stop) uploads only the parts not yet acknowledged.
//!
//! Outcomes (DESIGN's retry table): 2xx → deleted (a part but the last: recorded); 400 (or
//! another 4xx) → quarantined, never retried; network error, 408, 429, 5xx → kept, retried
//! after 15 s × 2ⁿ ±20 % (capped at 1 h, `Retry-After` honoured and clamped), the attempt
//! count persisted; given up (quarantined) once the session is older than the give-up age.
//! Uploads go through the core's endpoint gate like every request (the worker asks
//! `Core::may_upload`), so a `Retry-After` or an outage pauses them too.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::backend::{Backend, BackendConfig, UploadPart, Verdict};
use crate::config::Callbacks;
use crate::core::backoff::XorShift;
use crate::core::{LogLevel, Outcome, TrackerId, parse_retry_after};
use crate::hit::{Event, EventType};
use crate::stats::{Counter, Stats};
use crate::store::{SegmentId, Store, StoreError};

/// Upload knobs (see `mc_client_config`).
#[derive(Debug, Clone, PartialEq)]
pub struct UploadConfig {
    /// `/api/v1/downloaded`, or the deprecated `/api/v1/sessions` array form.
    pub path: &'static str,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// A stored session older than this (since its creation) is given up.
    pub give_up_ms: i64,
    pub min_gap: Duration,
    pub retry_after_cap: Duration,
    /// The first upload after the network comes back waits a random delay up to this.
    pub network_return_window: Duration,
}

pub use crate::config::Privacy;

struct InFlight {
    request: u64,
    segment: SegmentId,
}

/// The session being uploaded: the requests still to go (the head is in flight or next). A
/// back end that splits a session (Media Edge's 64 KB cap) sends the parts in order; a part
/// that went through is recorded (`acked`) and not sent again, by this process or the next.
struct Upload {
    segment: SegmentId,
    parts: VecDeque<UploadPart>,
    /// The session's events the back end has acknowledged, this process's parts included.
    acked: u64,
}

pub struct Offline {
    store: Store,
    /// Turns a stored session into its upload request(s).
    backend: Arc<dyn Backend>,
    cfg: UploadConfig,
    stats: Arc<Stats>,
    /// The open segment of each downloaded tracker's current session.
    open: HashMap<TrackerId, SegmentId>,
    in_flight: Option<InFlight>,
    upload: Option<Upload>,
    last_upload_end: Option<Instant>,
    network: bool,
    privacy: Privacy,
    /// A disk error since the last flush: the next flush reports MC_ERR_DISK.
    disk_error: bool,
    /// Jitter (xorshift64*: its output is mixed even from a small seed, such as a clock).
    rng: XorShift,
}

fn disk_message(e: &StoreError) -> String {
    match e {
        StoreError::Locked => "the store directory is locked by another process".into(),
        StoreError::Disk(io) => format!("disk error: {io}"),
        StoreError::NotFound => "stored session not found".into(),
        StoreError::Corrupt(m) => format!("corrupt stored session: {m}"),
        StoreError::Unsafe(m) => format!("unsafe store directory: {m}"),
    }
}

/// Builds the batch Adobe's back end expects from a stored session's records: nothing before the
/// first sessionStart, nothing after the first sessionComplete/sessionEnd, and a trailing
/// sessionEnd at the last event's playhead and ts when the session never ended (a session an
/// earlier process left open).
pub fn build_batch(records: &[Vec<u8>]) -> Option<Vec<Value>> {
    let mut out: Vec<Value> = Vec::with_capacity(records.len() + 1);
    let mut ended = false;
    for r in records {
        let Ok(v) = serde_json::from_slice::<Value>(r) else { continue };
        let t = v["eventType"].as_str().unwrap_or("");
        if out.is_empty() && t != "sessionStart" {
            continue;
        }
        out.push(v.clone());
        if t == "sessionComplete" || t == "sessionEnd" {
            ended = true;
            break;
        }
    }
    let last = out.last()?;
    if !ended {
        let pt = last["playerTime"].clone();
        let mut end = Map::new();
        end.insert("playerTime".into(), pt);
        end.insert("eventType".into(), "sessionEnd".into());
        out.push(Value::Object(end));
    }
    Some(out)
}

impl Offline {
    pub fn new(store: Store, cfg: UploadConfig, stats: Arc<Stats>, seed: u64, online: bool) -> Offline {
        Offline {
            store,
            backend: crate::backend::new(&BackendConfig::default()),
            cfg,
            stats,
            open: HashMap::new(),
            in_flight: None,
            upload: None,
            last_upload_end: None,
            network: online,
            privacy: Privacy::OptedIn,
            disk_error: false,
            rng: XorShift::new(seed),
        }
    }

    /// Uploads for `backend` (the MC API unless set).
    pub fn with_backend(mut self, backend: Arc<dyn Backend>) -> Offline {
        self.backend = backend;
        self
    }

    fn disk_failed(&mut self, cb: &Callbacks, what: &str, e: &StoreError) {
        self.stats.incr(Counter::DiskError);
        self.disk_error = true;
        cb.log(LogLevel::Error, &format!("offline store: {what}: {}", disk_message(e)));
        cb.notice(&crate::core::Notice::Dropped {
            tracker: 0,
            event_type: EventType::SessionStart,
            reason: Counter::DiskError,
        });
    }

    /// Writes a downloaded tracker's hits: a sessionStart opens a segment, a sessionComplete or
    /// sessionEnd finishes (publishes) it. Hits outside a session are not stored.
    pub fn record(&mut self, tracker: TrackerId, events: Vec<Event>, now_ms: i64, cb: &Callbacks) {
        if self.privacy == Privacy::OptedOut {
            self.stats.add(Counter::OptedOut, events.len() as u64);
            return;
        }
        for e in events {
            if e.event_type == EventType::SessionStart {
                if let Some(old) = self.open.remove(&tracker) {
                    self.finish(old, now_ms, cb);
                }
                match self.store.begin(now_ms) {
                    Ok(id) => {
                        self.open.insert(tracker, id);
                    }
                    Err(err) => {
                        self.disk_failed(cb, "cannot start a stored session", &err);
                        continue;
                    }
                }
            }
            let Some(&id) = self.open.get(&tracker) else { continue };
            if let Err(err) = self.store.append(id, &e.to_json()) {
                self.disk_failed(cb, "cannot append an event", &err);
            }
            if matches!(e.event_type, EventType::SessionComplete | EventType::SessionEnd) {
                self.open.remove(&tracker);
                self.finish(id, now_ms, cb);
            }
        }
    }

    fn finish(&mut self, id: SegmentId, now_ms: i64, cb: &Callbacks) {
        if let Err(err) = self.store.finish(id) {
            self.disk_failed(cb, "cannot publish a finished session", &err);
        }
        let evicted = self.store.enforce_caps(now_ms);
        if !evicted.is_empty() {
            self.stats.add(Counter::StoreEvicted, evicted.len() as u64);
            cb.log(LogLevel::Warn, &format!("offline store: {} session(s) evicted by the caps", evicted.len()));
        }
    }

    /// For `mc_client_flush`: syncs every open segment. False when a disk error happened since
    /// the previous flush (records since then may not be durable).
    pub fn flush(&mut self, cb: &Callbacks) -> bool {
        if let Err(e) = self.store.sync() {
            self.disk_failed(cb, "cannot sync", &e);
        }
        !std::mem::take(&mut self.disk_error)
    }

    /// Periodic work: interval syncs.
    pub fn tick(&mut self, now_ms: i64, cb: &Callbacks) {
        if let Err(e) = self.store.sync_due(now_ms) {
            self.disk_failed(cb, "cannot sync", &e);
        }
    }

    fn uploads_allowed(&self) -> bool {
        self.network && self.privacy == Privacy::OptedIn && self.in_flight.is_none()
    }

    /// When the worker must look again (an upload due, an interval sync), if ever.
    pub fn next_deadline(&self, now: Instant, now_ms: i64) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut consider = |at: Instant| next = Some(next.map_or(at, |n: Instant| n.min(at)));
        if let Some(ms) = self.store.next_sync_deadline_ms() {
            consider(now + Duration::from_millis((ms - now_ms).max(0) as u64));
        }
        if self.uploads_allowed() {
            if let Some(r) = self.store.ready().first() {
                let due = now + Duration::from_millis((r.next_attempt_ms - now_ms).max(0) as u64);
                let gap = self.last_upload_end.map_or(now, |t| t + self.cfg.min_gap);
                consider(due.max(gap));
            }
        }
        next
    }

    /// The next upload to start, if one is due: (path, JSON body, segment, event count).
    pub fn poll_upload(
        &mut self,
        request: u64,
        now: Instant,
        now_ms: i64,
        cb: &Callbacks,
    ) -> Option<(String, Vec<u8>)> {
        if !self.uploads_allowed() || self.last_upload_end.is_some_and(|t| now < t + self.cfg.min_gap) {
            return None;
        }
        let ready = self.store.ready();
        if let Some(u) = self.upload.take() {
            // The rest of a session already under way goes first, when its backoff allows.
            if let Some(r) = ready.iter().find(|r| r.id == u.segment) {
                if r.next_attempt_ms > now_ms {
                    self.upload = Some(u);
                    return None;
                }
                if let Some(part) = u.parts.front().map(|p| p.request.clone()) {
                    self.in_flight = Some(InFlight { request, segment: u.segment });
                    self.upload = Some(u);
                    return Some((part.path, part.body));
                }
            }
        }
        for r in ready {
            if r.next_attempt_ms > now_ms {
                // Oldest first: a younger session does not overtake one waiting for its backoff.
                return None;
            }
            let records = match self.store.read(r.id) {
                Ok(records) => records,
                Err(e) => {
                    cb.log(LogLevel::Error, &format!("offline store: {}: quarantined", disk_message(&e)));
                    self.quarantine(r.id, "unreadable", cb);
                    continue;
                }
            };
            let Some(batch) = build_batch(&records) else {
                self.quarantine(r.id, "no sessionStart", cb);
                continue;
            };
            let events = batch.len() as u64;
            let acked = usize::try_from(r.acked).unwrap_or(usize::MAX);
            if acked >= batch.len() {
                // Nothing left to send. (The last part is followed by the delete, not by a record,
                // so only a record written otherwise says this; a dying process leaves the count
                // before its last part, which then goes again.)
                cb.log(LogLevel::Info, "offline: every event of a stored session was acknowledged before: deleted");
                self.uploaded(r.id, cb);
                continue;
            }
            let parts: VecDeque<UploadPart> = self.backend.downloaded(&batch, acked, self.cfg.path).into();
            let Some(first) = parts.front().map(|p| p.request.clone()) else {
                self.quarantine(r.id, "no upload request", cb);
                continue;
            };
            if acked > 0 {
                cb.log(
                    LogLevel::Info,
                    &format!(
                        "offline: resuming a session of {events} events after the {acked} acknowledged before, in {} \
                         request(s)",
                        parts.len()
                    ),
                );
            } else if parts.len() > 1 {
                cb.log(
                    LogLevel::Info,
                    &format!("offline: a session of {events} events goes up in {} requests (size cap)", parts.len()),
                );
            }
            self.in_flight = Some(InFlight { request, segment: r.id });
            self.upload = Some(Upload { segment: r.id, parts, acked: r.acked });
            return Some((first.path, first.body));
        }
        None
    }

    /// A session whose every event the back end acknowledged: deleted and counted.
    fn uploaded(&mut self, id: SegmentId, cb: &Callbacks) {
        if let Err(e) = self.store.delete(id) {
            self.disk_failed(cb, "cannot delete an uploaded session", &e);
        }
        self.stats.incr(Counter::BatchesUploaded);
    }

    /// An upload was started and has not finished yet.
    pub fn upload_in_flight(&self) -> bool {
        self.in_flight.is_some()
    }

    pub fn owns(&self, request: u64) -> bool {
        self.in_flight.as_ref().is_some_and(|f| f.request == request)
    }

    fn quarantine(&mut self, id: SegmentId, reason: &str, cb: &Callbacks) {
        self.stats.incr(Counter::Quarantined);
        if let Err(e) = self.store.quarantine(id, reason) {
            self.disk_failed(cb, "cannot quarantine", &e);
        }
    }

    fn unit(&mut self) -> f64 {
        self.rng.next_unit()
    }

    fn backoff(&mut self, attempts: u32) -> Duration {
        let base = self.cfg.backoff_base.as_secs_f64() * 2f64.powi(attempts.saturating_sub(1).min(30) as i32);
        // ±20 % jitter so devices that failed together do not retry in lockstep.
        let d = base * (0.8 + 0.4 * self.unit());
        Duration::from_secs_f64(d.min(self.cfg.backoff_cap.as_secs_f64()))
    }

    pub fn handle_response(&mut self, outcome: Outcome, now: Instant, now_ms: i64, cb: &Callbacks) {
        let Some(f) = self.in_flight.take() else { return };
        self.last_upload_end = Some(now);
        let Some(ready) = self.store.ready().into_iter().find(|r| r.id == f.segment) else { return };
        let (retryable, status, retry_after) = match &outcome {
            Outcome::Http { status, .. } if (200..300).contains(status) => {
                let Some(mut u) = self.upload.take().filter(|u| u.segment == f.segment) else { return };
                let Some(part) = u.parts.pop_front() else { return };
                u.acked += part.events as u64;
                self.stats.add(Counter::EventsDelivered, part.events as u64);
                if !u.parts.is_empty() {
                    // Recorded before the next part goes: a restart sends only the rest.
                    if let Err(e) = self.store.record_acked(f.segment, u.acked) {
                        self.disk_failed(cb, "cannot record an uploaded part", &e);
                    }
                    cb.log(
                        LogLevel::Info,
                        &format!("offline: uploaded a part of a session ({status}), {} to go", u.parts.len()),
                    );
                    self.upload = Some(u);
                    return;
                }
                self.uploaded(f.segment, cb);
                cb.log(LogLevel::Info, &format!("offline: uploaded a session of {} events ({status})", u.acked));
                return;
            }
            // The back end's retry table, as for an event of an open session.
            Outcome::Http { status, retry_after, .. } => (
                matches!(self.backend.classify(&outcome, false), Verdict::Retry(_)),
                Some(*status),
                retry_after.clone(),
            ),
            Outcome::Network { .. } => (true, None, None),
            // Shutdown: the session stays stored and is uploaded by the next client.
            Outcome::Aborted => return,
        };
        if !retryable {
            self.upload = None;
            self.stats.incr(Counter::Rejected400);
            cb.log(LogLevel::Error, &format!("offline: upload refused ({status:?}): session quarantined"));
            self.quarantine(f.segment, "rejected", cb);
            return;
        }
        if now_ms - ready.created_ms >= self.cfg.give_up_ms {
            self.upload = None;
            self.stats.incr(Counter::RetryExhausted);
            cb.log(LogLevel::Error, "offline: upload given up after its retry budget: session quarantined");
            self.quarantine(f.segment, "retry budget exhausted", cb);
            return;
        }
        let attempts = ready.attempts + 1;
        let mut wait = self.backoff(attempts);
        if let Some(ra) = retry_after.as_deref().and_then(|v| parse_retry_after(v, now_ms)) {
            wait = wait.max(ra.min(self.cfg.retry_after_cap));
        }
        let next = now_ms + wait.as_millis() as i64;
        cb.log(
            LogLevel::Warn,
            &format!("offline: upload failed ({status:?}), retry {attempts} in {} ms", wait.as_millis()),
        );
        if let Err(e) = self.store.record_attempt(f.segment, attempts, next) {
            self.disk_failed(cb, "cannot record an upload attempt", &e);
        }
    }

    /// Connectivity changed. Coming back resets every backoff; the first upload waits a random
    /// part of the network-return window (a region's devices come back online together), the
    /// others follow it `min_gap` apart.
    pub fn set_network(&mut self, available: bool, now_ms: i64, cb: &Callbacks) {
        let returned = available && !self.network;
        self.network = available;
        if returned {
            let window = self.cfg.network_return_window.as_millis() as f64;
            let at = now_ms.saturating_add((window * self.unit()) as i64);
            for r in self.store.ready() {
                if r.next_attempt_ms != at {
                    if let Err(e) = self.store.record_attempt(r.id, 0, at) {
                        self.disk_failed(cb, "cannot reset a backoff", &e);
                    }
                }
            }
            self.last_upload_end = None;
        }
    }

    /// Privacy changed. Opting out deletes every stored session and records nothing more.
    pub fn set_privacy(&mut self, p: Privacy, cb: &Callbacks) {
        self.privacy = p;
        if p == Privacy::OptedOut {
            self.open.clear();
            match self.store.delete_all() {
                Ok(n) => self.stats.add(Counter::OptedOut, n as u64),
                Err(e) => self.disk_failed(cb, "cannot delete stored sessions", &e),
            }
        }
    }

    /// Sessions waiting in the store (finished, not yet uploaded).
    pub fn ready_count(&self) -> usize {
        self.store.ready().len()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::StoreConfig;

    /// An offline store with `sessions` finished sessions, offline, in a scratch directory.
    fn offline_with(tag: &str, sessions: usize, seed: u64) -> (Offline, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("mc-offline-{tag}-{}-{seed}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let now_ms = 1_700_000_000_000;
        let (mut store, _) = Store::open(StoreConfig::new(dir.join("store")), now_ms).expect("store");
        for _ in 0..sessions {
            let id = store.begin(now_ms).unwrap();
            store.append(id, br#"{"eventType":"sessionStart","playerTime":{"playhead":0,"ts":1}}"#).unwrap();
            store.finish(id).unwrap();
        }
        let cfg = UploadConfig {
            path: "/api/v1/downloaded",
            backoff_base: Duration::from_secs(15),
            backoff_cap: Duration::from_secs(3600),
            give_up_ms: 7 * 86_400_000,
            min_gap: Duration::from_millis(100),
            retry_after_cap: Duration::from_secs(300),
            network_return_window: Duration::from_secs(30),
        };
        (Offline::new(store, cfg, Arc::new(Stats::new()), seed, false), dir)
    }

    /// A region's devices come back online together: each waits a random part of the window
    /// before its first upload, so their uploads spread over it.
    #[test]
    fn the_first_upload_after_the_network_returns_is_spread_over_the_window() {
        let now_ms = 1_700_000_100_000;
        let now = Instant::now();
        let cb = Callbacks::default();
        let mut waits = Vec::new();
        for seed in 1..=20u64 {
            let (mut o, dir) = offline_with("return", 2, seed * 7919);
            assert!(o.poll_upload(1, now, now_ms, &cb).is_none(), "offline: nothing goes");
            o.set_network(true, now_ms, &cb);
            let ready = o.store.ready();
            let wait = Duration::from_millis((ready[0].next_attempt_ms - now_ms) as u64);
            assert!(wait <= Duration::from_secs(30), "{wait:?}");
            assert!(ready.iter().all(|r| r.attempts == 0), "backoffs reset");
            if !wait.is_zero() {
                assert!(o.poll_upload(1, now, now_ms, &cb).is_none(), "not before its delay");
            }
            let at_ms = now_ms + wait.as_millis() as i64 + 1;
            assert!(o.poll_upload(1, now + wait, at_ms, &cb).is_some(), "uploads once the delay passed");
            waits.push(wait.as_millis());
            let _ = std::fs::remove_dir_all(dir);
        }
        waits.sort_unstable();
        let spread = waits[waits.len() - 1] - waits[0];
        assert!(spread >= 15_000, "20 devices spread over {spread} ms of the 30 s window: {waits:?}");
    }

    /// A stored session whose record says every event was acknowledged is deleted, not sent
    /// again.
    #[test]
    fn a_session_acknowledged_whole_before_a_restart_is_deleted_not_sent() {
        let now_ms = 1_700_000_100_000;
        let cb = Callbacks::default();
        let (mut o, dir) = offline_with("acked", 1, 1);
        let id = o.store.ready()[0].id;
        // The stored sessionStart and the sessionEnd the batch closes it with.
        o.store.record_acked(id, 2).unwrap();
        o.set_network(true, now_ms, &cb);
        let at_ms = o.store.ready()[0].next_attempt_ms;
        assert!(o.poll_upload(1, Instant::now(), at_ms, &cb).is_none(), "nothing to send");
        assert_eq!(o.ready_count(), 0, "deleted");
        assert_eq!(o.stats.get(Counter::BatchesUploaded), 1);
        let _ = std::fs::remove_dir_all(dir);
    }

    fn rec(v: Value) -> Vec<u8> {
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn batches_start_at_session_start_and_end_once() {
        let pt = |ph: f64, ts: i64| json!({"playhead": ph, "ts": ts});
        let records = vec![
            rec(json!({"eventType": "ping", "playerTime": pt(0.0, 1)})),
            rec(json!({"eventType": "sessionStart", "playerTime": pt(0.0, 2)})),
            rec(json!({"eventType": "play", "playerTime": pt(0.0, 3)})),
            rec(json!({"eventType": "ping", "playerTime": pt(50.0, 53)})),
        ];
        let b = build_batch(&records).unwrap();
        let types: Vec<&str> = b.iter().map(|e| e["eventType"].as_str().unwrap()).collect();
        assert_eq!(types, ["sessionStart", "play", "ping", "sessionEnd"]);
        assert_eq!(b[3]["playerTime"], pt(50.0, 53), "the trailing sessionEnd takes the last event's time");

        let mut ended = records.clone();
        ended.push(rec(json!({"eventType": "sessionComplete", "playerTime": pt(60.0, 63)})));
        ended.push(rec(json!({"eventType": "ping", "playerTime": pt(60.0, 70)})));
        let b = build_batch(&ended).unwrap();
        assert_eq!(b.last().unwrap()["eventType"], "sessionComplete");
        assert_eq!(b.len(), 4);
        assert!(build_batch(&records[..1]).is_none(), "no sessionStart, no batch");
    }
}
