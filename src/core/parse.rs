//! Pure parsers for the two response headers the core reads (fuzz targets use them).

use std::time::{Duration, UNIX_EPOCH};

use percent_encoding::percent_decode_str;

const SESSIONS: &str = "/sessions/";

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

/// A `Retry-After` value as a delay from now: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
/// A date in the past is a zero delay. `now_wall_ms` is the current wall clock (ms since the
/// epoch). None when the value is neither form.
pub fn parse_retry_after(value: &str, now_wall_ms: i64) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits to fit is still "a very long time", not garbage.
        return Some(Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX)));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    let date_ms = match date.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(_) => return Some(Duration::ZERO),
    };
    let delta = date_ms.saturating_sub(now_wall_ms);
    Some(Duration::from_millis(u64::try_from(delta).unwrap_or(0)))
}

/// Wall-clock ms of a `SystemTime` (tests build HTTP dates from it).
#[cfg(test)]
pub(crate) fn wall_ms(t: std::time::SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

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

    #[test]
    fn retry_after_seconds_dates_and_garbage() {
        let now = wall_ms(SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480));
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("99999999999999999999999", now), Some(Duration::from_secs(u64::MAX)));
        // 2015-10-21 07:28:00 GMT is 1445412480; +30 s.
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now), Some(Duration::ZERO));
        for bad in ["", "-5", "1.5", "soon", "Wed, 32 Oct 2015 07:28:30 GMT"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }
}
