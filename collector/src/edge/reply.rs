//! The bodies the Edge Network answers with (media-edge.md §4.2, §5.6, §7, fixtures F2–F8):
//! the `handle[]` of a sessionStart, the 207 `errors[]` of a refused one, and RFC 7807
//! `application/problem+json` for 4xx.

use serde_json::{Value, json};

use super::check::json_path;
use crate::validate::Failure;

/// `https://ns.adobe.com/aep/errors/` + code.
fn error_type(code: &str) -> String {
    format!("https://ns.adobe.com/aep/errors/{code}")
}

/// A fresh UUID v4 for `requestId` (when the client sent none).
pub(crate) fn request_id() -> String {
    let mut b = [0u8; 16];
    // Without randomness the id is all zeros: it only labels an answer.
    let _ = getrandom::fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

fn location_handles(hint: &str) -> [Value; 2] {
    [
        json!({"type": "locationHint:result", "payload": [
            {"scope": "EdgeNetwork", "hint": hint, "ttlSeconds": 1800},
        ]}),
        json!({"type": "state:store", "payload": [
            {"key": "kndctr_MCCOLLECTOR_AdobeOrg_cluster", "value": hint, "maxAge": 1800},
        ]}),
    ]
}

/// 200 to a sessionStart (F2): the new-session handle among the location ones, at position
/// `rotation % 3`, so that a client which reads `handle[0]` instead of filtering by type fails.
pub(crate) fn new_session(request_id: &str, sid: &str, hint: &str, rotation: usize) -> Value {
    let [location, store] = location_handles(hint);
    let session = json!({"type": "media-analytics:new-session", "eventIndex": 0, "payload": [{"sessionId": sid}]});
    let mut handle = vec![session, location, store];
    handle.rotate_right(rotation % 3);
    json!({"requestId": request_id, "handle": handle})
}

/// 200 with location handles only: the answer to `/downloaded` (§5.6, §10.13), and to a
/// sessionStart on a datastream without Media Analytics (§4.2).
pub(crate) fn location_only(request_id: &str, hint: &str) -> Value {
    json!({"requestId": request_id, "handle": location_handles(hint)})
}

fn details(failures: &[Failure], strip: &str) -> Vec<Value> {
    failures
        .iter()
        .map(|f| {
            let reason = if f.rule == "required" && !f.message.starts_with("Missing required field") {
                format!("Missing required field: {}", f.message)
            } else {
                f.message.clone()
            };
            let pointer = match f.path.strip_prefix(strip) {
                Some(rest) if !strip.is_empty() => format!("/xdm{rest}"),
                _ => f.path.clone(),
            };
            json!({"name": json_path(&pointer), "reason": reason})
        })
        .collect()
}

/// 207 to a refused sessionStart or `/downloaded` (F3): location handles, no new-session
/// handle, one `va-edge-0400-400` error listing every failure as `$.xdm.…`.
pub(crate) fn multi_status(request_id: &str, hint: &str, failures: &[Failure]) -> Value {
    json!({
        "requestId": request_id,
        "handle": location_handles(hint),
        "errors": [{
            "type": error_type("va-edge-0400-400"),
            "status": 400,
            "title": "Invalid request",
            "report": {"eventIndex": 0, "details": details(failures, "/events/0/xdm")},
        }],
    })
}

/// What `report.details` holds: a list of `{name, reason}` or one sentence (§7.1).
pub(crate) enum Details<'a> {
    List(&'a [Failure]),
    Text(String),
    None,
}

/// An RFC 7807 problem (F5–F8) with `code` (`va-edge-0400-400`, `EXEG-0003-400`, …).
pub(crate) fn problem(status: u16, code: &str, title: &str, detail: &str, d: Details, request_id: &str) -> Value {
    let mut report = serde_json::Map::new();
    match d {
        Details::List(fs) => {
            report.insert("details".to_string(), Value::Array(details(fs, "")));
        }
        Details::Text(t) => {
            report.insert("details".to_string(), Value::String(t));
        }
        Details::None => {}
    }
    report.insert("requestId".to_string(), Value::String(request_id.to_string()));
    json!({"type": error_type(code), "status": status, "title": title, "detail": detail, "report": report})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handle_order_rotates() {
        for r in 0..3 {
            let v = new_session("r", "sid", "or2", r);
            let at = v["handle"].as_array().unwrap().iter().position(|h| h["type"] == "media-analytics:new-session");
            assert_eq!(at, Some(r));
        }
    }

    #[test]
    fn request_ids_are_uuid_v4() {
        let id = request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
    }
}
