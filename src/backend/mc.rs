//! Adobe's Media Collection API (mc-api.md): `POST /api/v1/sessions`, the sid from the
//! `Location` of the 201, then `POST /api/v1/sessions/{sid}/events`; the hit's JSON is the body.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use serde_json::Value;

use super::{Backend, HttpRequest, SessionRoute, UploadPart, Verdict, resumed_start};
use crate::core::Outcome;
use crate::hit::Event;

pub(crate) const SESSIONS_PATH: &str = "/api/v1/sessions";
const SESSIONS: &str = "/sessions/";

/// Everything but RFC 3986 unreserved characters is encoded in the sid's path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

pub(crate) fn events_path(sid: &str) -> String {
    // Sized once and filled without the formatting machinery: this runs for every event.
    const EVENTS: &str = "/events";
    let mut path = String::with_capacity(SESSIONS_PATH.len() + 1 + 3 * sid.len() + EVENTS.len());
    path.push_str(SESSIONS_PATH);
    path.push('/');
    path.extend(utf8_percent_encode(sid, SEGMENT));
    path.push_str(EVENTS);
    path
}

#[derive(Debug, Clone, Copy, Default)]
pub struct MediaCollection;

impl Backend for MediaCollection {
    fn name(&self) -> &'static str {
        "media-collection"
    }

    fn session_start(&self, event: &Event) -> HttpRequest {
        HttpRequest { path: SESSIONS_PATH.to_owned(), body: event.to_json() }
    }

    fn event(&self, route: &SessionRoute, event: &Event) -> HttpRequest {
        HttpRequest { path: events_path(&route.sid), body: event.to_json() }
    }

    /// DESIGN's retry table: 2xx accepted (a sessionStart needs a usable `Location`); network
    /// errors, timeouts, 408, 429 and 5xx retried; 404/410 gone (a failed start on a
    /// sessionStart); every other status rejected.
    fn classify(&self, outcome: &Outcome, starting: bool) -> Verdict {
        match outcome {
            Outcome::Http { status, location, .. } if (200..300).contains(status) => {
                if !starting {
                    return Verdict::Accepted;
                }
                match location.as_deref().and_then(parse_location) {
                    Some(sid) => Verdict::Started(SessionRoute { sid, hint: None }),
                    None => Verdict::Retry(format!("HTTP {status} without a usable Location")),
                }
            }
            Outcome::Http { status: status @ (408 | 429 | 500..=599), .. } => Verdict::Retry(format!("HTTP {status}")),
            Outcome::Http { status: 404 | 410, .. } if !starting => Verdict::Gone,
            Outcome::Http { status: status @ (404 | 410), .. } => {
                Verdict::NotCreated(format!("HTTP {status}: the sessionStart was refused"))
            }
            Outcome::Http { status, .. } => Verdict::Reject(format!("HTTP {status}: rejected")),
            Outcome::Network { message, timed_out } => {
                Verdict::Retry(if *timed_out { format!("timed out: {message}") } else { message.clone() })
            }
            // Handled by delivery before classification (not a try); listed for completeness.
            Outcome::Aborted => Verdict::Retry("aborted".into()),
        }
    }

    /// One JSON array of the hits to the configured path (`/api/v1/downloaded`, or the
    /// deprecated `/api/v1/sessions`). The MC API takes a session whole, so `acked` is 0 unless
    /// the store was half uploaded to Media Edge by an earlier run: then the rest goes as a
    /// resumed session, as on Edge.
    fn downloaded(&self, batch: &[Value], acked: usize, path: &str) -> Vec<UploadPart> {
        let rest = batch.get(acked..).unwrap_or_default();
        if rest.is_empty() {
            return Vec::new();
        }
        let mut items = Vec::with_capacity(rest.len() + 1);
        if acked > 0 {
            let parse = Event::from_value;
            if let (Some(start), Some(next)) = (batch.first().and_then(parse), parse(&rest[0])) {
                // Through its JSON text: the code that writes and reads hits is linked anyway,
                // and a to_value of an Event would be a third copy of its serialisation.
                items.push(serde_json::from_slice(&resumed_start(&start, &next).to_json()).unwrap_or_default());
            }
        }
        items.extend_from_slice(rest);
        let body = serde_json::to_vec(&items).unwrap_or_default();
        vec![UploadPart { request: HttpRequest { path: path.to_owned(), body }, events: rest.len() }]
    }
}

/// The MC session id in a sessionStart response's `Location` (mc-api §1.4).
///
/// Accepts the documented relative form (`/api/v1/sessions/<sid>`) and, as the spec recommends,
/// an absolute URL: the sid is what follows the last `/sessions/`, without query or fragment.
/// A percent-encoded sid is decoded (the events path encodes it again). None when there is no
/// usable sid: empty, more than one path segment, or control characters.
pub fn parse_location(value: &str) -> Option<String> {
    let value = value.trim();
    let value = value.split('#').next().unwrap_or_default();
    let value = value.split('?').next().unwrap_or_default();
    let start = value.rfind(SESSIONS)? + SESSIONS.len();
    let raw = value[start..].strip_suffix('/').unwrap_or(&value[start..]);
    if raw.is_empty() || raw.contains('/') {
        return None;
    }
    let sid = percent_decode_str(raw).decode_utf8().ok()?;
    if sid.is_empty() || sid.chars().any(|c| c.is_control() || c == '/') {
        return None;
    }
    Some(sid.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The MC API takes a session whole: one array of every hit; after events a Media Edge run
    /// had acknowledged, the rest as a resumed session.
    #[test]
    fn downloaded_batch_whole_or_the_rest_resumed() {
        let batch = vec![
            json!({"playerTime": {"playhead": 0.0, "ts": 1000}, "eventType": "sessionStart", "params": {"media.id": "m"}}),
            json!({"playerTime": {"playhead": 0.0, "ts": 2000}, "eventType": "play"}),
            json!({"playerTime": {"playhead": 5.0, "ts": 7000}, "eventType": "sessionComplete"}),
        ];
        let parts = MediaCollection.downloaded(&batch, 0, "/api/v1/downloaded");
        assert_eq!(parts.len(), 1);
        assert_eq!((parts[0].events, parts[0].request.path.as_str()), (3, "/api/v1/downloaded"));
        assert_eq!(serde_json::from_slice::<Value>(&parts[0].request.body).unwrap(), json!(batch));
        let parts = MediaCollection.downloaded(&batch, 2, "/api/v1/downloaded");
        assert_eq!(parts[0].events, 1);
        let sent: Value = serde_json::from_slice(&parts[0].request.body).unwrap();
        assert_eq!(
            sent,
            json!([
                {"playerTime": {"playhead": 5.0, "ts": 6999}, "eventType": "sessionStart",
                 "params": {"media.id": "m", "media.resume": true}},
                batch[2]
            ])
        );
        assert!(MediaCollection.downloaded(&batch, 3, "/api/v1/downloaded").is_empty());
    }

    #[test]
    fn events_path_encodes_the_sid_as_one_segment() {
        let hex = "bfcca2ca597a3c71bc03b4ce357833ad02b3570d262ecd0c595fcf8f2ae4df58";
        assert_eq!(events_path(hex), format!("/api/v1/sessions/{hex}/events"));
        assert_eq!(events_path("a b/c~d.e_f-g%é"), "/api/v1/sessions/a%20b%2Fc~d.e_f-g%25%C3%A9/events");
    }

    #[test]
    fn location_relative_absolute_and_garbage() {
        let hex = "bfcca2ca597a3c71bc03b4ce357833ad02b3570d262ecd0c595fcf8f2ae4df58";
        assert_eq!(parse_location(&format!("/api/v1/sessions/{hex}")).as_deref(), Some(hex));
        assert_eq!(parse_location(&format!("https://x.hb-api.omtrdc.net/api/v1/sessions/{hex}")).as_deref(), Some(hex));
        assert_eq!(parse_location("http://127.0.0.1:8080/prefix/api/v1/sessions/abc?x=1#frag").as_deref(), Some("abc"));
        assert_eq!(parse_location(" /api/v1/sessions/abc/ ").as_deref(), Some("abc"));
        // The last `/sessions/` wins (a prefix may contain the word).
        assert_eq!(parse_location("/sessions/api/v1/sessions/s1").as_deref(), Some("s1"));
        assert_eq!(parse_location("/api/v1/sessions/a%20b").as_deref(), Some("a b"));
        for bad in [
            "",
            "garbage",
            "/api/v1/sessions/",
            "/api/v1/sessions/?x=1",
            "/api/v1/sessions/#f",
            "/api/v1/sessions/a/b",
            "/api/v1/session/abc",
            "/api/v1/sessions/%2F",
            "/api/v1/sessions/%0a",
            "/api/v1/sessions/%ff",
        ] {
            assert_eq!(parse_location(bad), None, "{bad:?}");
        }
    }
}
