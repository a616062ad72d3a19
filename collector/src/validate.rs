//! Validation of one MC event body against the draft-04 schema of its event type.
//!
//! The rules are data: one schema file per event type in two sets, `schemas/strict/` (the
//! documented schemas, mc-api.md §2–§4, §9, §11, §12) and `schemas/lenient/` (the §14 A.8
//! allowances), embedded in the binary and compiled once by [`Validator::new`]. Whatever the
//! lenient set accepts but the strict set rejects comes back as a warning, so a player team
//! sees where it relies on a leniency.

use jsonschema::error::ValidationErrorKind;
use serde::Serialize;
use serde_json::Value;

/// Which schema set answers a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The documented schemas exactly.
    Strict,
    /// Spec §14 A.8 allowances (the default).
    Lenient,
}

/// One thing wrong with a body: where (JSON pointer path), which rule, and a message.
///
/// `path` points at the offending value; for `required` and `additionalProperties` it points at
/// the missing or unexpected property itself (e.g. `/params/media.id`), which is what a player
/// engineer needs to find, rather than at the object that holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub path: String,
    pub rule: String,
    pub message: String,
}

/// Result of validating one body: errors decide the answer; warnings are what passed the
/// answering set but failed the strict one (or other advisories).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Validation {
    pub errors: Vec<Failure>,
    pub warnings: Vec<Failure>,
}

/// `(event type, strict schema text, lenient schema text)` of the 20 event types.
macro_rules! schema_files {
    ($($t:literal),* $(,)?) => {
        [$((
            $t,
            include_str!(concat!("../schemas/strict/", $t, ".json")),
            include_str!(concat!("../schemas/lenient/", $t, ".json")),
        )),*]
    };
}

const SCHEMA_FILES: [(&str, &str, &str); 20] = schema_files!(
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
    "sessionComplete",
    "sessionEnd",
    "stateStart",
    "stateEnd",
    "statesUpdate",
);

/// The 20 event types, in the order of the schema table.
pub const EVENT_TYPES: [&str; 20] = {
    let mut types = [""; 20];
    let mut i = 0;
    while i < types.len() {
        types[i] = SCHEMA_FILES[i].0;
        i += 1;
    }
    types
};

/// Messages quote the failing value; a huge value must not make a huge response.
const MAX_MESSAGE_CHARS: usize = 300;

struct Compiled {
    event_type: &'static str,
    strict_text: &'static str,
    strict: jsonschema::Validator,
    lenient: jsonschema::Validator,
}

/// Compiled schemas of both sets.
pub struct Validator {
    compiled: Vec<Compiled>,
}

pub(crate) fn compile(event_type: &str, set: &str, text: &str) -> jsonschema::Validator {
    // The schemas are embedded and every test compiles them, so a failure here is a build defect,
    // never a consequence of input.
    let schema: Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("schemas/{set}/{event_type}.json is not JSON: {e}"));
    jsonschema::draft4::options()
        .should_validate_formats(false)
        .build(&schema)
        .unwrap_or_else(|e| panic!("schemas/{set}/{event_type}.json is not a valid draft-04 schema: {e}"))
}

impl Validator {
    pub fn new() -> Validator {
        let compiled = SCHEMA_FILES
            .iter()
            .map(|&(event_type, strict_text, lenient_text)| Compiled {
                event_type,
                strict_text,
                strict: compile(event_type, "strict", strict_text),
                lenient: compile(event_type, "lenient", lenient_text),
            })
            .collect();
        Validator { compiled }
    }

    /// Validates one event body (any JSON value) with `mode` answering.
    pub fn validate_event(&self, body: &Value, mode: Mode) -> Validation {
        let Value::Object(map) = body else {
            return only_error(failure("", "eventType", "an event must be a JSON object with an eventType"));
        };
        let entry = match map.get("eventType") {
            None => return only_error(failure("/eventType", "eventType", "eventType is missing")),
            Some(Value::String(t)) => match self.compiled.iter().find(|c| c.event_type == t) {
                Some(entry) => entry,
                None => {
                    return only_error(failure(
                        "/eventType",
                        "eventType",
                        clip(format!("unknown eventType {t:?}; expected one of the 20 MC event types")),
                    ));
                }
            },
            Some(other) => {
                return only_error(failure(
                    "/eventType",
                    "eventType",
                    clip(format!("eventType must be a string, got {other}")),
                ));
            }
        };
        judge(&entry.strict, &entry.lenient, body, mode)
    }

    /// The strict schema document of an event type, as served at `/api/v1/schemas/{type}`.
    pub fn schema(&self, event_type: &str) -> Option<&'static str> {
        self.compiled.iter().find(|c| c.event_type == event_type).map(|c| c.strict_text)
    }
}

impl Default for Validator {
    fn default() -> Self {
        Validator::new()
    }
}

/// Validates `body` with the set `mode` names; in lenient mode, what only the strict schema
/// rejects comes back as warnings.
pub(crate) fn judge(
    strict: &jsonschema::Validator,
    lenient: &jsonschema::Validator,
    body: &Value,
    mode: Mode,
) -> Validation {
    let strict = failures(strict, body);
    match mode {
        Mode::Strict => Validation { errors: strict, warnings: Vec::new() },
        Mode::Lenient => {
            let errors = failures(lenient, body);
            let warnings = strict
                .into_iter()
                .filter(|s| !errors.iter().any(|e| e.path == s.path && e.rule == s.rule))
                .map(|s| Failure {
                    message: format!("accepted in lenient mode, the documented schema rejects it: {}", s.message),
                    ..s
                })
                .collect();
            Validation { errors, warnings }
        }
    }
}

fn failure(path: &str, rule: &str, message: impl Into<String>) -> Failure {
    Failure { path: path.to_string(), rule: rule.to_string(), message: message.into() }
}

fn only_error(f: Failure) -> Validation {
    Validation { errors: vec![f], warnings: Vec::new() }
}

pub(crate) fn clip(mut s: String) -> String {
    if let Some((cut, _)) = s.char_indices().nth(MAX_MESSAGE_CHARS) {
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// Appends one key to a JSON pointer, escaped per RFC 6901.
fn child(path: &str, key: &str) -> String {
    format!("{path}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// Every failure of `body` against one compiled schema, one per offending location.
pub(crate) fn failures(schema: &jsonschema::Validator, body: &Value) -> Vec<Failure> {
    let mut out = Vec::new();
    for e in schema.iter_errors(body) {
        let path = e.instance_path().as_str();
        match e.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for key in unexpected {
                    out.push(failure(
                        &child(path, key),
                        "additionalProperties",
                        clip(format!("property {key:?} is not allowed here")),
                    ));
                }
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().map_or_else(|| property.to_string(), str::to_string);
                out.push(failure(&child(path, &name), "required", clip(format!("{name:?} is required"))));
            }
            kind => out.push(failure(path, kind.keyword(), clip(e.to_string()))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_files_follow_event_types() {
        let names: Vec<&str> = SCHEMA_FILES.iter().map(|f| f.0).collect();
        assert_eq!(names, EVENT_TYPES);
    }

    #[test]
    fn pointers_are_escaped() {
        assert_eq!(child("/customMetadata", "a/b~c"), "/customMetadata/a~1b~0c");
    }

    #[test]
    fn long_messages_are_clipped() {
        let m = clip("é".repeat(1000));
        assert_eq!(m.chars().count(), MAX_MESSAGE_CHARS + 1);
    }
}
