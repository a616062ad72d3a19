//! Checks of a Media Edge request body that need no session state: the envelope
//! (`{"events":[{"xdm":{…}}]}`, media-edge.md §2), the path's event type against
//! `xdm.eventType` (§1.1), the draft-04 schema of the event type (`schemas/edge/{strict,lenient}/`,
//! written from §3–§5) and the rules the schemas cannot express (a `sessionID` on every event
//! but sessionStart, a non-empty statesUpdate, a real date in `timestamp`, the `/downloaded` items).
//!
//! Failure paths are JSON pointers from the body root (`/events/0/xdm/mediaCollection/playhead`);
//! [`json_path`] turns them into the `$.…` names Adobe's error reports use.

use serde_json::Value;

use super::mapping::{downloaded_item_as_xdm, timestamp_ms};
use crate::validate::{Failure, Mode, Validation, clip, compile, judge};
use crate::wire::failure;

/// The Edge Network refuses a JSON request body over 64 KB with 413 (§1.4).
pub const MAX_EDGE_BODY_BYTES: usize = 64 * 1024;

macro_rules! edge_schema_files {
    ($($t:literal),* $(,)?) => {
        [$((
            $t,
            include_str!(concat!("../../schemas/edge/strict/", $t, ".json")),
            include_str!(concat!("../../schemas/edge/lenient/", $t, ".json")),
        )),*]
    };
}

const EDGE_SCHEMA_FILES: [(&str, &str, &str); 19] = edge_schema_files!(
    "sessionStart",
    "play",
    "ping",
    "bufferStart",
    "pauseStart",
    "bitrateChange",
    "error",
    "adBreakStart",
    "adBreakComplete",
    "adStart",
    "adComplete",
    "adSkip",
    "chapterStart",
    "chapterComplete",
    "chapterSkip",
    "statesUpdate",
    "sessionComplete",
    "sessionEnd",
    "downloaded",
);

/// The 19 operations of `/ee/va/v1/{eventType}` (§1.1): the event types, then `downloaded`
/// (derived from the schema table, so the two cannot drift apart).
pub const EDGE_OPERATIONS: [&str; 19] = {
    let mut out = [""; 19];
    let mut i = 0;
    while i < out.len() {
        out[i] = EDGE_SCHEMA_FILES[i].0;
        i += 1;
    }
    out
};

struct Compiled {
    operation: &'static str,
    strict: jsonschema::Validator,
    lenient: jsonschema::Validator,
}

/// Compiled Edge schemas of both sets, one per operation (the schema of `events[0].xdm`).
pub struct EdgeValidator {
    compiled: Vec<Compiled>,
}

impl Default for EdgeValidator {
    fn default() -> Self {
        EdgeValidator::new()
    }
}

/// An Edge body as checked: the event(s) to keep, or why the request is refused.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Checked {
    /// Not JSON, or no `events[0].xdm` object: 400.
    Envelope(Vec<Failure>),
    /// `xdm.eventType` names another operation than the path: 400 (§1.1, F6).
    Mismatch { payload: String, path: String },
    /// The event, with what its validation found. `xdm` is `events[0].xdm`; for `/downloaded`,
    /// `items` are its `mediaDownloadedEvents` in the shape of online events.
    Event { xdm: Value, items: Vec<Value>, errors: Vec<Failure>, warnings: Vec<Failure> },
}

const XDM: &str = "/events/0/xdm";

fn prefixed(v: Validation, prefix: &str) -> (Vec<Failure>, Vec<Failure>) {
    let fix = |fs: Vec<Failure>| fs.into_iter().map(|f| Failure { path: format!("{prefix}{}", f.path), ..f }).collect();
    (fix(v.errors), fix(v.warnings))
}

impl EdgeValidator {
    pub fn new() -> EdgeValidator {
        let compiled = EDGE_SCHEMA_FILES
            .iter()
            .map(|&(operation, strict, lenient)| Compiled {
                operation,
                strict: compile(operation, "edge/strict", strict),
                lenient: compile(operation, "edge/lenient", lenient),
            })
            .collect();
        EdgeValidator { compiled }
    }

    /// Validates one `xdm` object against the schema of `operation` (paths from the `xdm`).
    pub fn validate_xdm(&self, operation: &str, xdm: &Value, mode: Mode) -> Validation {
        match self.compiled.iter().find(|c| c.operation == operation) {
            Some(c) => judge(&c.strict, &c.lenient, xdm, mode),
            None => Validation {
                errors: vec![failure("/eventType", "eventType", format!("no Media Edge operation {operation:?}"))],
                warnings: Vec::new(),
            },
        }
    }

    /// Checks a decoded body posted to `/va/v1/{operation}`.
    pub(crate) fn check(&self, operation: &str, body: &Value, mode: Mode) -> Checked {
        let xdm = match envelope(body) {
            Ok(xdm) => xdm,
            Err(f) => return Checked::Envelope(f),
        };
        let payload = xdm.get("eventType").and_then(Value::as_str).unwrap_or_default();
        if let Some(p) = payload.strip_prefix("media.") {
            if p != operation && EDGE_OPERATIONS.contains(&p) {
                return Checked::Mismatch { payload: p.to_string(), path: operation.to_string() };
            }
        }
        let (mut errors, mut warnings) = prefixed(self.validate_xdm(operation, xdm, mode), XDM);
        for f in errors.iter_mut().chain(warnings.iter_mut()) {
            explain_timestamp(f);
        }
        let mut items = Vec::new();
        if operation == "downloaded" {
            self.check_downloaded(xdm, mode, &mut items, &mut errors, &mut warnings);
        } else {
            event_rules(operation, xdm, XDM, mode, true, &mut errors, &mut warnings);
        }
        Checked::Event { xdm: xdm.clone(), items, errors, warnings }
    }

    /// Each `mediaDownloadedEvents` item against the schema of its own type, sessionStart
    /// first, and no `sessionID` (Adobe makes one).
    fn check_downloaded(
        &self,
        xdm: &Value,
        mode: Mode,
        items: &mut Vec<Value>,
        errors: &mut Vec<Failure>,
        warnings: &mut Vec<Failure>,
    ) {
        let Some(list) = xdm.get("mediaDownloadedEvents").and_then(Value::as_array) else { return };
        for (i, item) in list.iter().enumerate() {
            let at = format!("{XDM}/mediaDownloadedEvents/{i}");
            let as_xdm = downloaded_item_as_xdm(item);
            let kind = item.get("mediaEventType").and_then(Value::as_str).and_then(|t| t.strip_prefix("media."));
            match kind {
                Some(k) if k != "downloaded" && EDGE_OPERATIONS.contains(&k) => {
                    let v = self.validate_xdm(k, &as_xdm, mode);
                    // The item names its type and time mediaEventType and mediaEventTimestamp.
                    let rename = |fs: Vec<Failure>| -> Vec<Failure> {
                        fs.into_iter()
                            .map(|f| {
                                let p = f.path.replacen("/eventType", "/mediaEventType", 1);
                                let p = if p.starts_with("/timestamp") {
                                    p.replacen("/timestamp", "/mediaEventTimestamp", 1)
                                } else {
                                    p
                                };
                                Failure { path: format!("{at}{p}"), ..f }
                            })
                            .collect()
                    };
                    for mut f in rename(v.errors) {
                        explain_timestamp(&mut f);
                        errors.push(f);
                    }
                    warnings.extend(rename(v.warnings));
                    event_rules(k, &as_xdm, &at, mode, false, errors, warnings);
                }
                // The downloaded schema has named the bad mediaEventType already.
                _ => {}
            }
            if i == 0 && kind != Some("sessionStart") {
                errors.push(failure(
                    format!("{at}/mediaEventType"),
                    "sessionStart-first",
                    format!(
                        "the first of mediaDownloadedEvents must be media.sessionStart, got {}",
                        item.get("mediaEventType").map_or_else(|| "nothing".to_string(), Value::to_string)
                    ),
                ));
            }
            items.push(as_xdm);
        }
    }
}

/// A timestamp that fails the schema's pattern, said as Adobe says it plus what is expected.
fn explain_timestamp(f: &mut Failure) {
    if f.rule == "pattern" && (f.path.ends_with("/timestamp") || f.path.ends_with("/mediaEventTimestamp")) {
        f.message = clip(format!(
            "Field should respect ISO 8601 standard: {} is not a date and time with a UTC offset (e.g. 2024-01-01T00:00:02.000Z)",
            f.message.split(" does not match").next().unwrap_or_default()
        ));
    }
}

/// `events[0].xdm` of a body, or what is wrong with the envelope.
fn envelope(body: &Value) -> Result<&Value, Vec<Failure>> {
    let Some(events) = body.get("events") else {
        return Err(vec![failure(
            "/events",
            "required",
            "Missing required field: the body must be {\"events\":[{\"xdm\":{…}}]}",
        )]);
    };
    let Some(events) = events.as_array() else {
        return Err(vec![failure("/events", "type", "events must be an array of one {\"xdm\":{…}} object")]);
    };
    match events.len() {
        1 => {}
        0 => {
            return Err(vec![failure("/events", "minItems", "events is empty; it must hold one {\"xdm\":{…}} object")]);
        }
        n => {
            return Err(vec![failure(
                "/events",
                "maxItems",
                format!("events holds {n} events; Media Edge takes one event per request"),
            )]);
        }
    }
    match events[0].get("xdm") {
        Some(xdm @ Value::Object(_)) => Ok(xdm),
        Some(_) => Err(vec![failure(XDM, "type", "events[0].xdm must be an object")]),
        None => Err(vec![failure(XDM, "required", "Missing required field: events[0].xdm")]),
    }
}

/// The rules of one event the schemas cannot express. `online`: posted on its own (it needs a
/// `sessionID`) rather than inside `/downloaded` (where it must have none).
fn event_rules(
    kind: &str,
    xdm: &Value,
    at: &str,
    mode: Mode,
    online: bool,
    errors: &mut Vec<Failure>,
    warnings: &mut Vec<Failure>,
) {
    let mc = xdm.get("mediaCollection");
    let sid = mc.and_then(|m| m.get("sessionID"));
    let sid_path = format!("{at}/mediaCollection/sessionID");
    match (kind, online, sid) {
        ("sessionStart", true, Some(_)) => {
            let f = failure(
                sid_path,
                "sessionStart-sessionID",
                "sessionStart carries no sessionID: the answer's media-analytics:new-session handle gives it",
            );
            if mode == Mode::Strict { errors.push(f) } else { warnings.push(f) }
        }
        (_, false, Some(_)) => errors.push(failure(
            sid_path,
            "downloaded-sessionID",
            "a downloaded event carries no sessionID: Adobe makes the session id of a downloaded session",
        )),
        ("sessionStart", true, None) | (_, false, None) => {}
        (_, true, None) if mc.is_some_and(Value::is_object) => errors.push(failure(
            sid_path,
            "required",
            format!("Missing required field: media.{kind} needs the sessionID from the sessionStart answer"),
        )),
        _ => {}
    }
    if kind == "statesUpdate" {
        let non_empty = |k: &str| mc.and_then(|m| m.get(k)).and_then(Value::as_array).is_some_and(|a| !a.is_empty());
        if mc.is_some_and(Value::is_object) && !non_empty("statesStart") && !non_empty("statesEnd") {
            errors.push(failure(
                format!("{at}/mediaCollection"),
                "states-empty",
                "Empty statesUpdate event: at least one of statesStart or statesEnd list should be non-empty",
            ));
        }
    }
    if let Some(Value::String(ts)) = xdm.get("timestamp") {
        let ts_path = format!("{at}/timestamp");
        if timestamp_ms(ts).is_none() && !errors.iter().any(|f| f.path == ts_path) {
            errors.push(failure(
                ts_path,
                "format",
                clip(format!(
                    "Field should respect ISO 8601 standard: {ts:?} is not a date and time with a UTC offset"
                )),
            ));
        }
    }
}

/// A JSON pointer as the `$.a.b[0].c` name Adobe's error reports use.
pub fn json_path(pointer: &str) -> String {
    let mut out = String::from("$");
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            out.push('.');
            out.push_str(&seg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schema_files_follow_operations() {
        let names: Vec<&str> = EDGE_SCHEMA_FILES.iter().map(|f| f.0).collect();
        assert_eq!(names, EDGE_OPERATIONS);
    }

    #[test]
    fn json_paths() {
        assert_eq!(json_path("/events/0/xdm/mediaCollection/playhead"), "$.events[0].xdm.mediaCollection.playhead");
        assert_eq!(json_path(""), "$");
    }

    #[test]
    fn envelope_shapes() {
        let v = EdgeValidator::new();
        for bad in [json!({}), json!({"events": {}}), json!({"events": []}), json!({"events": [{"xdm": 1}]}), json!([])]
        {
            assert!(matches!(v.check("play", &bad, Mode::Lenient), Checked::Envelope(_)), "{bad}");
        }
        let two = json!({"events": [{"xdm": {}}, {"xdm": {}}]});
        assert!(matches!(v.check("play", &two, Mode::Lenient), Checked::Envelope(f) if f[0].rule == "maxItems"));
    }
}
