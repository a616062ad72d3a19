//! The hits the tracker rules produce, back-end neutral.
//!
//! A hit is written in the MC API's vocabulary (mc-api.md §2–§4: event type, player time, params
//! under their documented `media.*` names, QoE, custom metadata), which is also what the offline
//! store keeps. Each back end (`crate::backend`) turns a hit into its own request; for the MC API
//! that is this JSON as it stands.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The 20 event types of the MC API (Media Edge sends states through `statesUpdate` only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PlayerTime {
    pub playhead: f64,
    pub ts: i64,
}

/// One hit. Empty maps are omitted from its JSON, as Adobe's SDK does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

    pub fn to_json(&self) -> Vec<u8> {
        // Serializing these types cannot fail: keys are strings and numbers are finite.
        serde_json::to_vec(self).unwrap_or_default()
    }
}
