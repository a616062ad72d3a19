//! The back ends: what differs between Adobe's MC API and Media Edge, behind one interface.
//!
//! The tracker rules produce back-end neutral hits (`crate::hit`); delivery queues them per
//! session, one request in flight, with retries, the restart budget and the endpoint gate. Only
//! the things listed in [`Backend`] differ per back end, and delivery reaches them through this
//! trait alone, so it names no type of either back end.

#[cfg(feature = "edge")]
pub mod edge;
pub mod mc;

use std::fmt::Debug;
use std::sync::Arc;

use serde_json::Value;

use crate::core::Outcome;
use crate::hit::Event;

/// Adobe's edge domain, Media Edge's endpoint when none is configured.
pub const EDGE_DEFAULT_DOMAIN: &str = "edge.adobedc.net";

/// Which back end a client reports to.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum BackendConfig {
    /// Adobe's Media Collection API (the default).
    #[default]
    MediaCollection,
    /// Adobe's Media Edge API (Edge Network), for one datastream (the `edge` feature).
    #[cfg(feature = "edge")]
    MediaEdge(edge::EdgeSettings),
}

/// Where an open session's later requests go: the session id the back end gave, and a routing
/// hint for back ends that keep a session on one server (empty for the MC API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRoute {
    pub sid: String,
    pub hint: Option<String>,
}

/// One HTTP POST: a path relative to the configured base URL (query included) and a JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    pub path: String,
    pub body: Vec<u8>,
}

/// One request of a downloaded session's upload, and how many of the session's events it
/// carries (not counting the sessionStart copy a later part begins with).
#[derive(Debug, Clone, PartialEq)]
pub struct UploadPart {
    pub request: HttpRequest,
    pub events: usize,
}

/// What a response means for the request that got it (each back end's retry table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A sessionStart was accepted and the session is open there.
    Started(SessionRoute),
    /// An event was accepted.
    Accepted,
    /// Worth trying again after a backoff (network, timeout, the retryable statuses, a
    /// sessionStart answered without a usable session id). The text says what happened.
    Retry(String),
    /// The session is gone (404/410 on an event): the tracker restarts it.
    Gone,
    /// The sessionStart failed for good; the text says why.
    NotCreated(String),
    /// Refused; retrying the same body cannot help. The text says why.
    Reject(String),
}

/// The parts of the wire protocol that differ per back end.
pub trait Backend: Debug + Send + Sync {
    /// Short name for log lines ("media-collection", "media-edge").
    fn name(&self) -> &'static str;
    /// The request that opens a session.
    fn session_start(&self, event: &Event) -> HttpRequest;
    /// The request for a later event of the open session `route`.
    fn event(&self, route: &SessionRoute, event: &Event) -> HttpRequest;
    /// What `outcome` means; `starting` when the request was a sessionStart.
    fn classify(&self, outcome: &Outcome, starting: bool) -> Verdict;
    /// The upload of one finished downloaded session (`batch`: its hits from sessionStart to the
    /// end, as the offline store kept them), in one or more parts sent in order. The first
    /// `acked` events already reached the back end (parts acknowledged before a restart): the
    /// upload covers the rest and begins as a later part does, with the sessionStart again
    /// ([`resumed_start`]). The parts' `events` add up to `batch.len() - acked`; none when
    /// nothing is left. `path` is the configured upload path (MC only).
    fn downloaded(&self, batch: &[Value], acked: usize, path: &str) -> Vec<UploadPart>;
}

/// The sessionStart a later part of a split downloaded session begins with: the session's own,
/// marked resumed, at the playhead of the part's first event and 1 ms before it, so that each
/// part is a valid session of its own.
pub fn resumed_start(start: &Event, next: &Event) -> Event {
    let mut resumed = start.clone();
    resumed.params.insert("media.resume".into(), Value::Bool(true));
    resumed.player_time.playhead = next.player_time.playhead;
    resumed.player_time.ts = next.player_time.ts - 1;
    resumed
}

/// The back end `config` names.
pub fn new(config: &BackendConfig) -> Arc<dyn Backend> {
    match config {
        BackendConfig::MediaCollection => Arc::new(mc::MediaCollection),
        #[cfg(feature = "edge")]
        BackendConfig::MediaEdge(settings) => Arc::new(edge::MediaEdge::new(settings.clone())),
    }
}
