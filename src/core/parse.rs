//! Pure parser for the `Retry-After` header the core reads (a fuzz target uses it).

use std::time::{Duration, UNIX_EPOCH};

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
