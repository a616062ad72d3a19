//! Body checks of the upload endpoints that need no session state: decoding (UTF-8, depth,
//! JSON) and validation of each event with the [`Validator`], plus the endpoint rules the
//! schemas cannot express (sessionStart only on /sessions, the `media.downloaded` flag, ...).

use serde_json::Value;

use crate::validate::{EVENT_TYPES, Failure, Mode, Validation, Validator};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Deepest accepted JSON nesting (objects and arrays).
pub const MAX_JSON_DEPTH: usize = 64;

pub(crate) fn failure(path: impl Into<String>, rule: &str, message: impl Into<String>) -> Failure {
    Failure { path: path.into(), rule: rule.to_string(), message: message.into() }
}

/// Decodes a request body: UTF-8, nesting depth, then JSON.
pub(crate) fn parse_body(bytes: &[u8]) -> Result<Value, Failure> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        failure("", "utf8", format!("the body is not valid UTF-8 (invalid byte at offset {})", e.valid_up_to()))
    })?;
    if let Some(at) = depth_exceeded(text, MAX_JSON_DEPTH) {
        return Err(failure("", "depth", format!("JSON nested deeper than {MAX_JSON_DEPTH} levels (at byte {at})")));
    }
    if text.trim().is_empty() {
        return Err(failure("", "json", "the body is empty; expected JSON"));
    }
    serde_json::from_str(text).map_err(|e| failure("", "json", format!("malformed JSON: {e}")))
}

/// Byte offset where nesting first exceeds `max`, counting brackets outside strings. Runs
/// before serde_json so its own recursion limit (128) is never what answers; a malformed body
/// that this scan misreads is rejected by the parser anyway.
fn depth_exceeded(text: &str, max: usize) -> Option<usize> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, b) in text.bytes().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn prefixed(mut v: Validation, prefix: &str) -> Validation {
    if !prefix.is_empty() {
        for f in v.errors.iter_mut().chain(v.warnings.iter_mut()) {
            f.path = format!("{prefix}{}", f.path);
        }
    }
    v
}

/// Validates one event with the validator, then adds the envelope failures the collector
/// needs for routing (an object with a known `eventType`) unless the validator already named
/// a failure at that path.
fn validate_one(validator: &Validator, mode: Mode, v: &Value) -> Validation {
    let mut out = validator.validate_event(v, mode);
    let mut own = Vec::new();
    match v {
        Value::Object(map) => match map.get("eventType") {
            None => own.push(failure("/eventType", "required", "eventType is missing")),
            Some(Value::String(t)) if EVENT_TYPES.contains(&t.as_str()) => {}
            Some(Value::String(t)) => own.push(failure("/eventType", "enum", format!("unknown eventType {t:?}"))),
            Some(_) => own.push(failure("/eventType", "type", "eventType must be a string")),
        },
        _ => own.push(failure("", "type", "an event must be a JSON object")),
    }
    for f in own {
        if !out.errors.iter().any(|e| e.path == f.path) {
            out.errors.push(f);
        }
    }
    out
}

fn event_type(v: &Value) -> Option<&str> {
    v.get("eventType").and_then(Value::as_str)
}

fn downloaded_flag(v: &Value) -> Option<&Value> {
    v.get("params").and_then(|p| p.get("media.downloaded"))
}

/// A single object posted to `/api/v1/sessions`.
pub(crate) fn check_session_start(validator: &Validator, mode: Mode, v: &Value) -> Validation {
    let mut out = validate_one(validator, mode, v);
    if let Some(t) = event_type(v) {
        if t != "sessionStart" {
            out.errors.push(failure(
                "/eventType",
                "sessionStart-only",
                format!("/api/v1/sessions accepts only sessionStart, got {t:?}"),
            ));
        }
    }
    if downloaded_flag(v) == Some(&Value::Bool(true)) {
        out.errors.push(failure(
            "/params/media.downloaded",
            "downloaded-online",
            "media.downloaded: true is not allowed on an online session; upload downloaded sessions as an array to /api/v1/downloaded",
        ));
    }
    out
}

/// One event posted to `/api/v1/sessions/{sid}/events`.
pub(crate) fn check_event(validator: &Validator, mode: Mode, v: &Value) -> Validation {
    let mut out = validate_one(validator, mode, v);
    if event_type(v) == Some("sessionStart") {
        out.errors.push(failure(
            "/eventType",
            "unexpected-sessionStart",
            "sessionStart is not accepted on the events endpoint; POST it to /api/v1/sessions",
        ));
    }
    out
}

/// A downloaded batch: the body of `/api/v1/downloaded`, or an array posted to
/// `/api/v1/sessions` (the deprecated form, which also needs `media.downloaded: true`).
pub(crate) fn check_batch(validator: &Validator, mode: Mode, body: &Value, deprecated_form: bool) -> Validation {
    let Value::Array(items) = body else {
        return Validation {
            errors: vec![failure("", "type", "a downloaded session must be a JSON array of events")],
            warnings: Vec::new(),
        };
    };
    if items.is_empty() {
        return Validation {
            errors: vec![failure("", "minItems", "a downloaded session needs at least its sessionStart")],
            warnings: Vec::new(),
        };
    }
    let mut out = Validation::default();
    for (i, item) in items.iter().enumerate() {
        let v = prefixed(validate_one(validator, mode, item), &format!("/{i}"));
        out.errors.extend(v.errors);
        out.warnings.extend(v.warnings);
    }
    match event_type(&items[0]) {
        Some("sessionStart") => {}
        other => out.errors.push(failure(
            "/0/eventType",
            "sessionStart-first",
            format!("element 0 of a downloaded session must be sessionStart, got {other:?}"),
        )),
    }
    if deprecated_form && downloaded_flag(&items[0]) != Some(&Value::Bool(true)) {
        out.errors.push(failure(
            "/0/params/media.downloaded",
            "downloaded-flag",
            "an array posted to /api/v1/sessions (deprecated downloaded form) needs media.downloaded: true on its sessionStart",
        ));
    }
    out
}

/// Whether a Content-Type header value names JSON (parameters such as charset allowed).
pub(crate) fn is_json_content_type(value: &str) -> bool {
    value.split(';').next().map(str::trim).is_some_and(|m| m.eq_ignore_ascii_case("application/json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn depth_limit() {
        assert!(parse_body(nested(64).as_bytes()).is_ok());
        assert_eq!(parse_body(nested(65).as_bytes()).unwrap_err().rule, "depth");
        assert_eq!(parse_body(nested(500).as_bytes()).unwrap_err().rule, "depth");
        // Brackets inside strings do not count.
        let s = format!("{{\"a\":\"{}\"}}", "[".repeat(100));
        assert!(parse_body(s.as_bytes()).is_ok());
        let s = format!("{{\"a\":\"\\\"{}\"}}", "{".repeat(100));
        assert!(parse_body(s.as_bytes()).is_ok());
    }

    #[test]
    fn decoding_errors() {
        assert_eq!(parse_body(b"{\"a\":").unwrap_err().rule, "json");
        assert_eq!(parse_body(b"").unwrap_err().rule, "json");
        assert_eq!(parse_body(b"{\"a\":\"\xff\"}").unwrap_err().rule, "utf8");
    }

    #[test]
    fn envelope_rules() {
        let v = Validator::new();
        let play = serde_json::json!({"eventType": "play", "playerTime": {"playhead": 0, "ts": 1}});
        assert!(check_event(&v, Mode::Lenient, &play).errors.is_empty());
        assert!(!check_session_start(&v, Mode::Lenient, &play).errors.is_empty());
        let bogus = serde_json::json!({"eventType": "bogus"});
        assert!(!check_event(&v, Mode::Lenient, &bogus).errors.is_empty());
        assert!(!check_event(&v, Mode::Lenient, &serde_json::json!([1])).errors.is_empty());
        let batch = serde_json::json!([play]);
        let errs = check_batch(&v, Mode::Lenient, &batch, false).errors;
        assert!(errs.iter().any(|f| f.path == "/0/eventType"), "{errs:?}");
    }

    #[test]
    fn content_types() {
        assert!(is_json_content_type("application/json"));
        assert!(is_json_content_type("Application/JSON; charset=utf-8"));
        assert!(!is_json_content_type("text/plain"));
        assert!(!is_json_content_type("application/x-www-form-urlencoded"));
    }
}
