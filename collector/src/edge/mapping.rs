//! Media Edge XDM events seen as MC events (media-edge.md §6, read backwards), so that one set of
//! session rules ([`crate::lint`]), one timeline and one playhead clock serve both APIs.
//!
//! An Edge event is kept as received (the `events[0].xdm` object, or a `/downloaded` item turned
//! into the same shape); this view is computed whenever a rule or the timeline reads it.

use std::borrow::Cow;

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `sessionDetails` field → MC param (⚠ `name` is the content id, `friendlyName` the name).
const SESSION_DETAILS: [(&str, &str); 33] = [
    ("name", "media.id"),
    ("friendlyName", "media.name"),
    ("length", "media.length"),
    ("contentType", "media.contentType"),
    ("streamType", "media.streamType"),
    ("playerName", "media.playerName"),
    ("channel", "media.channel"),
    ("hasResume", "media.resume"),
    ("isDownloaded", "media.downloaded"),
    ("appVersion", "media.sdkVersion"),
    ("show", "media.show"),
    ("season", "media.season"),
    ("episode", "media.episode"),
    ("assetID", "media.assetId"),
    ("genre", "media.genre"),
    ("firstAirDate", "media.firstAirDate"),
    ("firstDigitalDate", "media.firstDigitalDate"),
    ("rating", "media.rating"),
    ("originator", "media.originator"),
    ("network", "media.network"),
    ("showType", "media.showType"),
    ("adLoad", "media.adLoad"),
    ("mvpd", "media.pass.mvpd"),
    ("authorized", "media.pass.auth"),
    ("dayPart", "media.dayPart"),
    ("feed", "media.feed"),
    ("streamFormat", "media.streamFormat"),
    ("artist", "media.artist"),
    ("album", "media.album"),
    ("label", "media.label"),
    ("author", "media.author"),
    ("station", "media.station"),
    ("publisher", "media.publisher"),
];

/// `advertisingDetails` field → MC param (⚠ `name` is the ad id, `friendlyName` its name).
const AD_DETAILS: [(&str, &str); 11] = [
    ("name", "media.ad.id"),
    ("friendlyName", "media.ad.name"),
    ("length", "media.ad.length"),
    ("podPosition", "media.ad.podPosition"),
    ("playerName", "media.ad.playerName"),
    ("advertiser", "media.ad.advertiser"),
    ("campaignID", "media.ad.campaignId"),
    ("creativeID", "media.ad.creativeId"),
    ("creativeURL", "media.ad.creativeURL"),
    ("placementID", "media.ad.placementId"),
    ("siteID", "media.ad.siteId"),
];

const POD_DETAILS: [(&str, &str); 3] =
    [("index", "media.ad.podIndex"), ("offset", "media.ad.podSecond"), ("friendlyName", "media.ad.podFriendlyName")];

const CHAPTER_DETAILS: [(&str, &str); 4] = [
    ("index", "media.chapter.index"),
    ("offset", "media.chapter.offset"),
    ("length", "media.chapter.length"),
    ("friendlyName", "media.chapter.friendlyName"),
];

const QOE_DETAILS: [(&str, &str); 4] = [
    ("bitrate", "media.qoe.bitrate"),
    ("droppedFrames", "media.qoe.droppedFrames"),
    ("framesPerSecond", "media.qoe.framesPerSecond"),
    ("timeToStart", "media.qoe.timeToStart"),
];

/// ms since the epoch of an ISO-8601 timestamp with a UTC offset (`…Z`, `…+02:00`).
pub fn timestamp_ms(s: &str) -> Option<i64> {
    let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// Whether `event` is a Media Edge event (`eventType` `media.*` with a `mediaCollection`).
pub fn is_edge_event(event: &Value) -> bool {
    event.get("eventType").and_then(Value::as_str).is_some_and(|t| t.starts_with("media."))
        && event.get("mediaCollection").is_some()
}

/// The MC view of an event: Edge events mapped by [`to_mc`], MC events as they are.
pub fn mc_view(event: &Value) -> Cow<'_, Value> {
    if is_edge_event(event) { Cow::Owned(to_mc(event)) } else { Cow::Borrowed(event) }
}

fn copy(from: Option<&Value>, table: &[(&str, &str)], into: &mut Map<String, Value>) {
    let Some(from) = from.and_then(Value::as_object) else { return };
    for (xdm, mc) in table {
        if let Some(v) = from.get(*xdm) {
            into.insert((*mc).to_string(), v.clone());
        }
    }
}

fn state_list(list: Option<&Value>) -> Option<Value> {
    let items = list?.as_array()?;
    Some(Value::Array(items.iter().map(|s| json!({"media.state.name": s.get("name").cloned()})).collect()))
}

/// The MC event an Edge event stands for (media-edge.md §6): `media.` dropped from the type,
/// `timestamp` as `playerTime.ts`, the detail objects as `params`, `qoeDataDetails` and
/// `errorDetails` as `qoeData`, `customMetadata` as an object. Values keep their JSON type; a
/// field the view cannot read (a bad timestamp) is left out, for the rules to see it missing.
pub fn to_mc(event: &Value) -> Value {
    let kind = event.get("eventType").and_then(Value::as_str).unwrap_or_default();
    let kind = kind.strip_prefix("media.").unwrap_or(kind);
    let mc = event.get("mediaCollection");
    let field = |name: &str| mc.and_then(|m| m.get(name));

    let mut player_time = Map::new();
    if let Some(ph) = field("playhead") {
        player_time.insert("playhead".to_string(), ph.clone());
    }
    if let Some(ts) = event.get("timestamp").and_then(Value::as_str).and_then(timestamp_ms) {
        player_time.insert("ts".to_string(), json!(ts));
    }

    let mut params = Map::new();
    copy(field("sessionDetails"), &SESSION_DETAILS, &mut params);
    copy(field("advertisingDetails"), &AD_DETAILS, &mut params);
    copy(field("advertisingPodDetails"), &POD_DETAILS, &mut params);
    copy(field("chapterDetails"), &CHAPTER_DETAILS, &mut params);
    if let Some(list) = state_list(field("statesStart")) {
        params.insert("statesStart".to_string(), list);
    }
    if let Some(list) = state_list(field("statesEnd")) {
        params.insert("statesEnd".to_string(), list);
    }

    let mut qoe = Map::new();
    copy(field("qoeDataDetails"), &QOE_DETAILS, &mut qoe);
    copy(field("errorDetails"), &[("name", "media.qoe.errorID"), ("source", "media.qoe.errorSource")], &mut qoe);

    let mut out = Map::new();
    out.insert("eventType".to_string(), json!(kind));
    out.insert("playerTime".to_string(), Value::Object(player_time));
    if !params.is_empty() {
        out.insert("params".to_string(), Value::Object(params));
    }
    if !qoe.is_empty() {
        out.insert("qoeData".to_string(), Value::Object(qoe));
    }
    if let Some(items) = field("customMetadata").and_then(Value::as_array) {
        let custom: Map<String, Value> = items
            .iter()
            .filter_map(|i| {
                Some((i.get("name")?.as_str()?.to_string(), i.get("value").cloned().unwrap_or(Value::Null)))
            })
            .collect();
        out.insert("customMetadata".to_string(), Value::Object(custom));
    }
    Value::Object(out)
}

/// A `/downloaded` item (`mediaEventType`, `mediaEventTimestamp`, `mediaCollection`) in the
/// shape of an online event's `xdm`, so that downloaded and online Edge sessions read alike.
pub fn downloaded_item_as_xdm(item: &Value) -> Value {
    let mut out = Map::new();
    if let Some(t) = item.get("mediaEventType") {
        out.insert("eventType".to_string(), t.clone());
    }
    if let Some(ts) = item.get("mediaEventTimestamp") {
        out.insert("timestamp".to_string(), ts.clone());
    }
    out.insert("mediaCollection".to_string(), item.get("mediaCollection").cloned().unwrap_or(json!({})));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_with_offsets() {
        assert_eq!(timestamp_ms("1970-01-01T00:00:01.500Z"), Some(1500));
        assert_eq!(timestamp_ms("1970-01-01T02:00:00+02:00"), Some(0));
        assert_eq!(timestamp_ms("2025-09-26T15:52:24+00:00"), Some(1_758_901_944_000));
        assert_eq!(timestamp_ms("2025-09-26T15:52:24"), None, "no offset");
        assert_eq!(timestamp_ms("2025-13-26T15:52:24Z"), None);
    }

    #[test]
    fn names_swap_and_objects_flatten() {
        let start = json!({"eventType": "media.sessionStart", "timestamp": "1970-01-01T00:00:00.002Z",
            "mediaCollection": {"playhead": 0, "sessionDetails": {"name": "id-1", "friendlyName": "Name", "length": 60,
                "hasResume": false, "assetID": "a1"},
            "customMetadata": [{"name": "_tenant.x", "value": "1"}]}});
        let mc = to_mc(&start);
        assert_eq!(mc["eventType"], "sessionStart");
        assert_eq!(mc["playerTime"], json!({"playhead": 0, "ts": 2}));
        assert_eq!(mc["params"]["media.id"], "id-1");
        assert_eq!(mc["params"]["media.name"], "Name");
        assert_eq!(mc["params"]["media.length"], 60);
        assert_eq!(mc["params"]["media.resume"], false);
        assert_eq!(mc["params"]["media.assetId"], "a1");
        assert_eq!(mc["customMetadata"], json!({"_tenant.x": "1"}));

        let ad = json!({"eventType": "media.adStart", "mediaCollection": {"sessionID": "s", "playhead": 15,
            "advertisingDetails": {"name": "001", "friendlyName": "Ad 1", "length": 16, "podPosition": 1, "campaignID": "c"}}});
        let mc = to_mc(&ad);
        assert_eq!(mc["params"]["media.ad.id"], "001");
        assert_eq!(mc["params"]["media.ad.name"], "Ad 1");
        assert_eq!(mc["params"]["media.ad.campaignId"], "c");
        assert!(mc["playerTime"].get("ts").is_none());

        let states = json!({"eventType": "media.statesUpdate", "mediaCollection": {"sessionID": "s", "playhead": 1,
            "statesStart": [{"name": "mute"}], "statesEnd": [{"name": "fullscreen"}]}});
        let mc = to_mc(&states);
        assert_eq!(mc["params"]["statesStart"], json!([{"media.state.name": "mute"}]));
        assert_eq!(mc["params"]["statesEnd"], json!([{"media.state.name": "fullscreen"}]));

        let error = json!({"eventType": "media.error", "mediaCollection": {"sessionID": "s", "playhead": 1,
            "qoeDataDetails": {"bitrate": 35000}, "errorDetails": {"name": "e1", "source": "player"}}});
        let mc = to_mc(&error);
        assert_eq!(
            mc["qoeData"],
            json!({"media.qoe.bitrate": 35000, "media.qoe.errorID": "e1", "media.qoe.errorSource": "player"})
        );
    }

    #[test]
    fn mc_events_pass_through() {
        let play = json!({"eventType": "play", "playerTime": {"playhead": 1, "ts": 5}});
        assert!(matches!(mc_view(&play), Cow::Borrowed(_)));
        assert!(!is_edge_event(&json!({"eventType": "media.play"})));
    }
}
