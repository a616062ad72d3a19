//! Hit contents (tracker.md §5): params and customMetadata per event type, the standard
//! metadata mapping, and the "QoE only when changed" memory.

use serde_json::{Map, Value};

use crate::core::{AdBreakInfo, AdInfo, ChapterInfo, ErrorSource, Identity, MediaType, Metadata, Qoe, TrackerConfig};

use super::context::MediaContext;

/// Standard content metadata: context-data key → sessionStart param (§5.2).
const STANDARD_MEDIA: [(&str, &str); 23] = [
    ("a.media.show", "media.show"),
    ("a.media.season", "media.season"),
    ("a.media.episode", "media.episode"),
    ("a.media.asset", "media.assetId"),
    ("a.media.genre", "media.genre"),
    ("a.media.airDate", "media.firstAirDate"),
    ("a.media.digitalDate", "media.firstDigitalDate"),
    ("a.media.rating", "media.rating"),
    ("a.media.originator", "media.originator"),
    ("a.media.network", "media.network"),
    ("a.media.type", "media.showType"),
    ("a.media.adLoad", "media.adLoad"),
    ("a.media.pass.mvpd", "media.pass.mvpd"),
    ("a.media.pass.auth", "media.pass.auth"),
    ("a.media.dayPart", "media.dayPart"),
    ("a.media.feed", "media.feed"),
    ("a.media.format", "media.streamFormat"),
    ("a.media.artist", "media.artist"),
    ("a.media.album", "media.album"),
    ("a.media.label", "media.label"),
    ("a.media.author", "media.author"),
    ("a.media.station", "media.station"),
    ("a.media.publisher", "media.publisher"),
];

/// Standard ad metadata: context-data key → adStart param.
const STANDARD_AD: [(&str, &str); 6] = [
    ("a.media.ad.advertiser", "media.ad.advertiser"),
    ("a.media.ad.campaign", "media.ad.campaignId"),
    ("a.media.ad.creative", "media.ad.creativeId"),
    ("a.media.ad.placement", "media.ad.placementId"),
    ("a.media.ad.site", "media.ad.siteId"),
    ("a.media.ad.creativeURL", "media.ad.creativeURL"),
];

pub(crate) const QOE_ERROR_ID: &str = "media.qoe.errorID";
pub(crate) const QOE_ERROR_SOURCE: &str = "media.qoe.errorSource";

/// `^[a-zA-Z0-9_.]+$`: the customMetadata key pattern. The C layer already dropped (and counted)
/// entries that fail it; this filter keeps any other caller of the core from sending one.
pub(crate) fn valid_metadata_key(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

/// `^[a-zA-Z0-9_.]{1,64}$`: the player-state name pattern.
pub(crate) fn valid_state_name(name: &str) -> bool {
    name.len() <= 64 && valid_metadata_key(name)
}

/// `p[key] = v`: one call in place of the key's allocation and the map insertion inlined at each
/// of the forty sites below (docs/performance.md, Footprint).
#[inline(never)]
fn put(p: &mut Map<String, Value>, key: &str, v: Value) {
    p.insert(key.to_owned(), v);
}

/// A JSON number; non-finite values (never let through by validation) become 0.
fn num(v: f64) -> Value {
    Value::from(if v.is_finite() { v } else { 0.0 })
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

/// Tracker config, else client identity, else "unknown" (Android's default; the MC API
/// requires both keys).
fn channel<'a>(identity: &'a Identity, tracker: &'a TrackerConfig) -> &'a str {
    non_empty(&tracker.channel).or(non_empty(&identity.channel)).unwrap_or("unknown")
}

fn player_name<'a>(identity: &'a Identity, tracker: &'a TrackerConfig) -> &'a str {
    non_empty(&tracker.player_name).or(non_empty(&identity.player_name)).unwrap_or("unknown")
}

/// Splits metadata into mapped standard params and customMetadata. Later duplicates win.
fn split_metadata(md: &Metadata, table: &[(&str, &str)], params: &mut Map<String, Value>) -> Map<String, Value> {
    let mut custom = Map::new();
    for (k, v) in md.iter().filter(|(k, _)| valid_metadata_key(k)) {
        match table.iter().find(|(from, _)| from == k) {
            Some((_, to)) => {
                params.insert((*to).to_owned(), Value::from(v.as_str()));
            }
            None => {
                custom.insert(k.clone(), Value::from(v.as_str()));
            }
        }
    }
    custom
}

/// sessionStart params and customMetadata (§5.1, with the send-time enrichment done here).
pub(crate) fn session_start(
    identity: &Identity,
    tracker: &TrackerConfig,
    ctx: &MediaContext,
    resume: bool,
) -> (Map<String, Value>, Map<String, Value>) {
    let m = &ctx.media;
    let mut p = Map::new();
    put(&mut p, "media.id", Value::from(m.id.as_str()));
    put(&mut p, "media.name", Value::from(m.name.as_str()));
    put(&mut p, "media.length", num(m.length));
    put(&mut p, "media.contentType", Value::from(m.content_type.as_str()));
    let stream_type = match m.media_type {
        MediaType::Video => "video",
        MediaType::Audio => "audio",
    };
    put(&mut p, "media.streamType", Value::from(stream_type));
    put(&mut p, "media.resume", Value::from(resume || m.resumed));
    put(&mut p, "media.downloaded", Value::from(tracker.downloaded));
    let custom = split_metadata(&ctx.metadata, &STANDARD_MEDIA, &mut p);
    put(&mut p, "media.channel", Value::from(channel(identity, tracker)));
    put(&mut p, "media.playerName", Value::from(player_name(identity, tracker)));
    if let Some(v) = non_empty(&identity.app_version) {
        put(&mut p, "media.sdkVersion", Value::from(v));
    }
    if !identity.library_version.is_empty() {
        put(&mut p, "media.libraryVersion", Value::from(identity.library_version.as_str()));
    }
    put(&mut p, "analytics.trackingServer", Value::from(identity.tracking_server.as_str()));
    put(&mut p, "analytics.reportSuite", Value::from(identity.report_suite.as_str()));
    put(&mut p, "analytics.enableSSL", Value::from(true));
    if let Some(v) = non_empty(&identity.visitor_id) {
        put(&mut p, "analytics.visitorId", Value::from(v));
    }
    if let Some(v) = non_empty(&identity.aid) {
        put(&mut p, "analytics.aid", Value::from(v));
    }
    put(&mut p, "visitor.marketingCloudOrgId", Value::from(identity.org_id.as_str()));
    if let Some(v) = non_empty(&identity.ecid) {
        put(&mut p, "visitor.marketingCloudUserId", Value::from(v));
    }
    if let Some(v) = identity.aam_location_hint {
        put(&mut p, "visitor.aamLocationHint", Value::from(v));
    }
    if !identity.customer_ids.is_empty() {
        // Inserted one by one (a later id of the same type wins, as with collect): collecting
        // into the map would sort first, with a copy of the sort for this one pair type.
        let mut ids = Map::new();
        for c in &identity.customer_ids {
            let mut id = Map::new();
            put(&mut id, "id", Value::from(c.id.as_str()));
            put(&mut id, "authState", Value::from(c.auth_state));
            ids.insert(c.id_type.clone(), Value::Object(id));
        }
        put(&mut p, "visitor.customerIDs", Value::Object(ids));
    }
    if let Some(v) = non_empty(&identity.app_installation_id) {
        put(&mut p, "appInstallationId", Value::from(v));
    }
    if identity.opt_out_server_side_forwarding {
        put(&mut p, "analytics.optOutServerSideForwarding", Value::from(true));
    }
    if identity.opt_out_share {
        put(&mut p, "analytics.optOutShare", Value::from(true));
    }
    (p, custom)
}

pub(crate) fn ad_break_start(b: &AdBreakInfo) -> Map<String, Value> {
    let mut p = Map::new();
    put(&mut p, "media.ad.podFriendlyName", Value::from(b.name.as_str()));
    put(&mut p, "media.ad.podIndex", Value::from(b.position));
    put(&mut p, "media.ad.podSecond", num(b.start_time));
    p
}

pub(crate) fn ad_start(
    identity: &Identity,
    tracker: &TrackerConfig,
    ad: &AdInfo,
    md: &Metadata,
) -> (Map<String, Value>, Map<String, Value>) {
    let mut p = Map::new();
    put(&mut p, "media.ad.id", Value::from(ad.id.as_str()));
    put(&mut p, "media.ad.name", Value::from(ad.name.as_str()));
    put(&mut p, "media.ad.length", num(ad.length));
    put(&mut p, "media.ad.podPosition", Value::from(ad.position));
    let custom = split_metadata(md, &STANDARD_AD, &mut p);
    put(&mut p, "media.ad.playerName", Value::from(player_name(identity, tracker)));
    (p, custom)
}

/// chapterStart: all chapter metadata is custom (no standard mapping).
pub(crate) fn chapter_start(c: &ChapterInfo, md: &Metadata) -> (Map<String, Value>, Map<String, Value>) {
    let mut p = Map::new();
    put(&mut p, "media.chapter.friendlyName", Value::from(c.name.as_str()));
    put(&mut p, "media.chapter.index", Value::from(c.position));
    put(&mut p, "media.chapter.offset", num(c.start_time));
    put(&mut p, "media.chapter.length", num(c.length));
    let custom = split_metadata(md, &[], &mut p);
    (p, custom)
}

pub(crate) fn state(name: &str) -> Map<String, Value> {
    let mut p = Map::new();
    put(&mut p, "media.state.name", Value::from(name));
    p
}

/// QoE as the MC API wants it: non-negative integers, truncated (23.5 → 23); empty when never
/// set.
pub(crate) fn qoe_map(q: Option<Qoe>) -> Map<String, Value> {
    // `max` maps NaN and negatives to 0 and `as` saturates: never a panic, never a float.
    let int = |v: f64| Value::from(v.max(0.0) as i64);
    let mut m = Map::new();
    if let Some(q) = q {
        put(&mut m, "media.qoe.bitrate", int(q.bitrate));
        put(&mut m, "media.qoe.droppedFrames", int(q.dropped_frames));
        put(&mut m, "media.qoe.framesPerSecond", int(q.fps));
        put(&mut m, "media.qoe.timeToStart", int(q.startup_time));
    }
    m
}

/// How a hit carries QoE (§5.3).
#[derive(Debug, Clone, Copy)]
pub(crate) enum QoeMode<'a> {
    /// Only when it differs from what the last QoE-carrying hit sent.
    IfChanged,
    /// bitrateChange: always the full QoE (when one was ever set).
    Always,
    /// error: always, plus the error id and source.
    Error { id: &'a str, source: ErrorSource },
    /// stateStart/stateEnd (Android): never, and the memory is left alone.
    Never,
}

/// `lastQoE` of the hit generator: what the last hit that carried QoE carried.
#[derive(Debug, Clone, Default)]
pub(crate) struct QoeMemory {
    last: Map<String, Value>,
}

impl QoeMemory {
    /// A restart sends the QoE again.
    pub(crate) fn clear(&mut self) {
        self.last.clear();
    }

    /// The qoeData for one hit, given the QoE now in the slot.
    pub(crate) fn attach(&mut self, mode: QoeMode<'_>, current: Option<Qoe>) -> Map<String, Value> {
        let cur = qoe_map(current);
        match mode {
            QoeMode::Never => Map::new(),
            QoeMode::Always if !cur.is_empty() => {
                self.last = cur.clone();
                cur
            }
            QoeMode::Error { id, source } => {
                let mut m = cur;
                m.insert(QOE_ERROR_ID.into(), Value::from(id));
                let source = match source {
                    ErrorSource::Player => "player",
                    ErrorSource::External => "external",
                };
                m.insert(QOE_ERROR_SOURCE.into(), Value::from(source));
                // The memory includes the error fields, so the next hit re-sends the plain QoE.
                self.last = m.clone();
                m
            }
            QoeMode::IfChanged | QoeMode::Always => {
                if cur == self.last {
                    Map::new()
                } else {
                    self.last = cur.clone();
                    cur
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn name_and_key_patterns() {
        assert!(valid_state_name("fullscreen"));
        assert!(valid_state_name("a.b_C9"));
        assert!(valid_state_name(&"x".repeat(64)));
        assert!(!valid_state_name(&"x".repeat(65)));
        assert!(!valid_state_name(""));
        assert!(!valid_state_name("full screen"));
        assert!(!valid_state_name("état"));
        assert!(valid_metadata_key(&"k".repeat(300)));
        assert!(!valid_metadata_key("a-b"));
    }

    #[test]
    fn qoe_is_truncated_to_integers() {
        let q = Qoe { bitrate: 100000.9, dropped_frames: -2.0, fps: 23.5, startup_time: f64::NAN };
        let m = qoe_map(Some(q));
        assert_eq!(m["media.qoe.bitrate"], json!(100000));
        assert_eq!(m["media.qoe.droppedFrames"], json!(0));
        assert_eq!(m["media.qoe.framesPerSecond"], json!(23));
        assert_eq!(m["media.qoe.timeToStart"], json!(0));
        assert!(m["media.qoe.droppedFrames"].is_i64());
    }

    #[test]
    fn standard_metadata_is_mapped_and_the_rest_is_custom() {
        let md: Metadata = vec![
            ("a.media.show".into(), "S".into()),
            ("a.media.format".into(), "F".into()),
            ("media.show".into(), "custom".into()),
            ("bad key".into(), "dropped".into()),
        ];
        let mut p = Map::new();
        let custom = split_metadata(&md, &STANDARD_MEDIA, &mut p);
        assert_eq!(p["media.show"], json!("S"));
        assert_eq!(p["media.streamFormat"], json!("F"));
        assert_eq!(custom.len(), 1);
        assert_eq!(custom["media.show"], json!("custom"));
    }
}
