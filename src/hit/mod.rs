//! The hits the tracker rules produce, back-end neutral.
//!
//! A hit is written in the MC API's vocabulary (mc-api.md §2–§4: event type, player time, params
//! under their documented `media.*` names, QoE, custom metadata), which is also what the offline
//! store keeps. Each back end (`crate::backend`) turns a hit into its own request; for the MC API
//! that is this JSON as it stands.

use serde::Serialize;
use serde_json::{Map, Value};

/// The 20 event types of the MC API (Media Edge sends states through `statesUpdate` only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum EventType {
    SessionStart,
    Play,
    Ping,
    BufferStart,
    PauseStart,
    BitrateChange,
    Error,
    AdBreakStart,
    AdBreakComplete,
    AdStart,
    AdComplete,
    AdSkip,
    ChapterStart,
    ChapterComplete,
    ChapterSkip,
    SessionComplete,
    SessionEnd,
    StateStart,
    StateEnd,
    StatesUpdate,
}

impl EventType {
    /// Every event type.
    pub const ALL: [EventType; 20] = [
        EventType::SessionStart,
        EventType::Play,
        EventType::Ping,
        EventType::BufferStart,
        EventType::PauseStart,
        EventType::BitrateChange,
        EventType::Error,
        EventType::AdBreakStart,
        EventType::AdBreakComplete,
        EventType::AdStart,
        EventType::AdComplete,
        EventType::AdSkip,
        EventType::ChapterStart,
        EventType::ChapterComplete,
        EventType::ChapterSkip,
        EventType::SessionComplete,
        EventType::SessionEnd,
        EventType::StateStart,
        EventType::StateEnd,
        EventType::StatesUpdate,
    ];

    /// The event type named `name` in the JSON (`as_str`'s inverse).
    pub fn from_name(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::SessionStart => "sessionStart",
            EventType::Play => "play",
            EventType::Ping => "ping",
            EventType::BufferStart => "bufferStart",
            EventType::PauseStart => "pauseStart",
            EventType::BitrateChange => "bitrateChange",
            EventType::Error => "error",
            EventType::AdBreakStart => "adBreakStart",
            EventType::AdBreakComplete => "adBreakComplete",
            EventType::AdStart => "adStart",
            EventType::AdComplete => "adComplete",
            EventType::AdSkip => "adSkip",
            EventType::ChapterStart => "chapterStart",
            EventType::ChapterComplete => "chapterComplete",
            EventType::ChapterSkip => "chapterSkip",
            EventType::SessionComplete => "sessionComplete",
            EventType::SessionEnd => "sessionEnd",
            EventType::StateStart => "stateStart",
            EventType::StateEnd => "stateEnd",
            EventType::StatesUpdate => "statesUpdate",
        }
    }

    pub fn as_cstr(self) -> &'static std::ffi::CStr {
        match self {
            EventType::SessionStart => c"sessionStart",
            EventType::Play => c"play",
            EventType::Ping => c"ping",
            EventType::BufferStart => c"bufferStart",
            EventType::PauseStart => c"pauseStart",
            EventType::BitrateChange => c"bitrateChange",
            EventType::Error => c"error",
            EventType::AdBreakStart => c"adBreakStart",
            EventType::AdBreakComplete => c"adBreakComplete",
            EventType::AdStart => c"adStart",
            EventType::AdComplete => c"adComplete",
            EventType::AdSkip => c"adSkip",
            EventType::ChapterStart => c"chapterStart",
            EventType::ChapterComplete => c"chapterComplete",
            EventType::ChapterSkip => c"chapterSkip",
            EventType::SessionComplete => c"sessionComplete",
            EventType::SessionEnd => c"sessionEnd",
            EventType::StateStart => c"stateStart",
            EventType::StateEnd => c"stateEnd",
            EventType::StatesUpdate => c"statesUpdate",
        }
    }
}

/// `playerTime`: playhead in seconds, ts in ms since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PlayerTime {
    pub playhead: f64,
    pub ts: i64,
}

/// One hit. Empty maps are omitted from its JSON, as Adobe's SDK does.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    #[serde(rename = "playerTime")]
    pub player_time: PlayerTime,
    #[serde(rename = "eventType")]
    pub event_type: EventType,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub params: Map<String, Value>,
    #[serde(rename = "qoeData", default, skip_serializing_if = "Map::is_empty")]
    pub qoe_data: Map<String, Value>,
    #[serde(rename = "customMetadata", default, skip_serializing_if = "Map::is_empty")]
    pub custom_metadata: Map<String, Value>,
}

impl Event {
    pub fn new(event_type: EventType, playhead: f64, ts: i64) -> Event {
        Event {
            player_time: PlayerTime { playhead, ts },
            event_type,
            params: Map::new(),
            qoe_data: Map::new(),
            custom_metadata: Map::new(),
        }
    }

    /// The hit `v` holds, as `to_json` wrote it (a stored hit read back); None when it is not
    /// one: `playerTime` and `eventType` are required, the three maps may be absent but must be
    /// objects when present, unknown fields are passed over, as a derived `Deserialize` reads
    /// it. Written out by hand because the derived reader costs about 11 KiB of code for the
    /// one use, a downloaded session's upload (docs/performance.md, Footprint).
    pub fn from_value(v: &Value) -> Option<Event> {
        let map = |key: &str| match v.get(key) {
            None => Some(Map::new()),
            Some(Value::Object(m)) => Some(m.clone()),
            Some(_) => None,
        };
        let time = v.get("playerTime")?;
        Some(Event {
            player_time: PlayerTime { playhead: time.get("playhead")?.as_f64()?, ts: time.get("ts")?.as_i64()? },
            event_type: EventType::from_name(v.get("eventType")?.as_str()?)?,
            params: map("params")?,
            qoe_data: map("qoeData")?,
            custom_metadata: map("customMetadata")?,
        })
    }

    pub fn to_json(&self) -> Vec<u8> {
        // Serializing these types cannot fail: keys are strings and numbers are finite.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_hit_reads_back_as_it_was_written() {
        let mut e = Event::new(EventType::AdStart, 12.5, 1_700_000_000_123);
        e.params.insert("media.ad.id".into(), json!("ad-1"));
        e.qoe_data.insert("media.qoe.bitrate".into(), json!(4_500_000));
        e.custom_metadata.insert("show".into(), json!("x"));
        let v: Value = serde_json::from_slice(&e.to_json()).unwrap();
        assert_eq!(Event::from_value(&v), Some(e));
        for t in EventType::ALL {
            let e = Event::new(t, 0.0, 1);
            let v: Value = serde_json::from_slice(&e.to_json()).unwrap();
            assert_eq!(Event::from_value(&v), Some(e), "{}", t.as_str());
        }
    }

    #[test]
    fn what_is_not_a_hit_reads_as_none() {
        let good = json!({ "playerTime": { "playhead": 1, "ts": 5 }, "eventType": "play", "extra": 1 });
        assert_eq!(Event::from_value(&good), Some(Event::new(EventType::Play, 1.0, 5)));
        let bad = [
            json!("play"),
            json!({ "eventType": "play" }),
            json!({ "playerTime": { "playhead": 1 }, "eventType": "play" }),
            json!({ "playerTime": { "playhead": 1, "ts": 1.5 }, "eventType": "play" }),
            json!({ "playerTime": { "playhead": "1", "ts": 1 }, "eventType": "play" }),
            json!({ "playerTime": { "playhead": 1, "ts": 1 }, "eventType": "Play" }),
            json!({ "playerTime": { "playhead": 1, "ts": 1 }, "eventType": "play", "params": [] }),
            json!({ "playerTime": { "playhead": 1, "ts": 1 }, "eventType": "play", "qoeData": null }),
        ];
        for v in bad {
            assert_eq!(Event::from_value(&v), None, "{v}");
        }
    }
}
