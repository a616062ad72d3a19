//! The Media Edge API side of the collector (media-edge.md): `POST
//! /ee[/{locationHint}]/va/v1/{eventType}?configId=…` beside the MC paths, answered as Adobe's
//! Edge Network answers (200 with `handle[]`, 204, 207 with `errors[]`, problem+json 4xx,
//! 404/410 for unknown or expired sessions, 413 over 64 KB).
//!
//! - [`route`](parse_path): which paths are Edge paths;
//! - [`check`]: the envelope, the path/eventType match and the schemas of `schemas/edge/`;
//! - [`mapping`]: an Edge event seen as the MC event it stands for (§6), so the session rules,
//!   the timeline and the verdicts are the MC ones;
//! - `reply`: the answer bodies; `answer`: the request handling.

pub(crate) mod answer;
pub mod check;
pub mod mapping;
pub(crate) mod reply;

pub use check::{EDGE_OPERATIONS, EdgeValidator, MAX_EDGE_BODY_BYTES};

/// How the Edge side answers (part of [`crate::Options`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EdgeOptions {
    /// The location hint every sessionStart answer gives (`EdgeNetwork` scope), e.g. `or2`.
    pub location_hint: String,
    /// The status of an event for a session closed by a timeout: 410 (default) or 404. (After
    /// a `sessionEnd` it is always 404.)
    pub expired_status: u16,
    /// The datastream ids (`configId`) accepted; empty accepts any non-empty id.
    pub datastreams: Vec<String>,
    /// Datastream ids set up without Media Analytics: a valid sessionStart with one of them is
    /// answered 200 without the new-session handle, and no session is made (§4.2).
    pub datastreams_without_media: Vec<String>,
}

impl Default for EdgeOptions {
    /// Hint `or2`, 410 for expired sessions, any datastream.
    fn default() -> Self {
        EdgeOptions {
            location_hint: "or2".to_string(),
            expired_status: 410,
            datastreams: Vec::new(),
            datastreams_without_media: Vec::new(),
        }
    }
}

impl EdgeOptions {
    /// Says what is wrong with the options, if anything.
    pub fn check(&self) -> Result<(), String> {
        let h = &self.location_hint;
        if h.is_empty() || h.len() > 32 || !h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(format!("location hint {h:?}: expected 1 to 32 letters, digits, '-' or '_' (like or2, va6)"));
        }
        if !matches!(self.expired_status, 404 | 410) {
            return Err(format!("expired status {}: expected 404 or 410", self.expired_status));
        }
        if let Some(d) = self.datastreams.iter().chain(&self.datastreams_without_media).find(|d| d.is_empty()) {
            return Err(format!("datastream id {d:?}: must not be empty"));
        }
        Ok(())
    }
}

/// A Media Edge request path, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EdgePath {
    /// The location hint between `/ee` and `/va` (`or2` in `/ee/or2/va/v1/play`), if any.
    pub(crate) hint: Option<String>,
    /// One of [`EDGE_OPERATIONS`].
    pub(crate) operation: &'static str,
}

/// The first segment of an Edge path: `ee`, or `ee-pre-prd` for pre-production (§1.2).
fn is_prefix(segment: &str) -> bool {
    segment == "ee" || segment == "ee-pre-prd"
}

/// Whether `path` is under the Edge Network prefixes (whether or not it names an operation).
pub fn is_edge_path(path: &str) -> bool {
    path.split('/').nth(1).is_some_and(is_prefix)
}

/// `events[0].xdm.mediaCollection.sessionID` of a raw Edge body, if it has one.
pub(crate) fn body_session_id(bytes: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let sid = v.get("events")?.get(0)?.get("xdm")?.get("mediaCollection")?.get("sessionID")?.as_str()?;
    (!sid.is_empty()).then(|| sid.to_string())
}

/// `/ee[/{hint}]/va/v1/{operation}` with a known operation, else `None`.
pub(crate) fn parse_path(path: &str) -> Option<EdgePath> {
    let segments: Vec<&str> = path.split('/').collect();
    let (hint, op) = match segments.as_slice() {
        ["", ee, "va", "v1", op] if is_prefix(ee) => (None, *op),
        ["", ee, hint, "va", "v1", op] if is_prefix(ee) && !hint.is_empty() => (Some((*hint).to_string()), *op),
        _ => return None,
    };
    let operation = EDGE_OPERATIONS.iter().find(|o| **o == op)?;
    Some(EdgePath { hint, operation })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(parse_path("/ee/va/v1/sessionStart"), Some(EdgePath { hint: None, operation: "sessionStart" }));
        assert_eq!(parse_path("/ee/or2/va/v1/play"), Some(EdgePath { hint: Some("or2".into()), operation: "play" }));
        assert_eq!(parse_path("/ee-pre-prd/va/v1/downloaded").map(|p| p.operation), Some("downloaded"));
        assert_eq!(parse_path("/ee/va/v1/stateStart"), None, "no stateStart on Edge");
        assert_eq!(parse_path("/ee/va/v2/play"), None);
        assert_eq!(parse_path("/ee//va/v1/play"), None);
        assert_eq!(parse_path("/ee/a/b/va/v1/play"), None);
        assert!(is_edge_path("/ee/anything") && is_edge_path("/ee") && !is_edge_path("/api/v1/sessions"));
    }
}
