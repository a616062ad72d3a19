//! Pure parser for the `Retry-After` header the core reads (a fuzz target uses it).

use std::time::Duration;

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
    let date_ms = http_date_secs(value.as_bytes())?.saturating_mul(1000);
    let delta = date_ms.saturating_sub(now_wall_ms);
    Some(Duration::from_millis(u64::try_from(delta).unwrap_or(0)))
}

/// Seconds since the epoch of an HTTP-date in any of the three forms a recipient must accept
/// (RFC 9110 §5.6.7): IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete RFC 850
/// `Sunday, 06-Nov-94 08:49:37 GMT` (two-digit years below 70 are 20xx) and asctime
/// `Sun Nov  6 08:49:37 1994`. None for anything else, for a date that does not exist, for a
/// weekday that does not match the date, and for years outside 1970..=9999.
pub(crate) fn http_date_secs(s: &[u8]) -> Option<i64> {
    const DAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
    const LONG_DAYS: [&[u8]; 7] = [b"Monday", b"Tuesday", b"Wednesday", b"Thursday", b"Friday", b"Saturday", b"Sunday"];
    let wday_of = |names: &[&[u8]; 7], name: &[u8]| names.iter().position(|n| *n == name);
    let (wday, day, mon, year, time) = if let Some(comma) = s.iter().position(|&b| b == b',') {
        let rest = s.get(comma + 1..)?;
        match (rest.len(), wday_of(&DAYS, &s[..comma]), wday_of(&LONG_DAYS, &s[..comma])) {
            // IMF-fixdate: ` 06 Nov 1994 08:49:37 GMT`
            (25, Some(w), _) if rest[0] == b' ' && rest[3] == b' ' && rest[7] == b' ' && rest[12] == b' ' => {
                (w, num(&rest[1..3])?, month(&rest[4..7])?, num(&rest[8..12])?, gmt(&rest[13..])?)
            }
            // RFC 850: ` 06-Nov-94 08:49:37 GMT`
            (23, _, Some(w)) if rest[0] == b' ' && rest[3] == b'-' && rest[7] == b'-' && rest[10] == b' ' => {
                let yy = num(&rest[8..10])?;
                (w, num(&rest[1..3])?, month(&rest[4..7])?, yy + if yy < 70 { 2000 } else { 1900 }, gmt(&rest[11..])?)
            }
            _ => return None,
        }
    } else {
        // asctime: `Sun Nov  6 08:49:37 1994`
        if s.len() != 24 || s[3] != b' ' || s[7] != b' ' || s[10] != b' ' || s[19] != b' ' {
            return None;
        }
        let day = if s[8] == b' ' { num(&s[9..10])? } else { num(&s[8..10])? };
        (wday_of(&DAYS, &s[..3])?, day, month(&s[4..7])?, num(&s[20..24])?, clock(&s[11..19])?)
    };
    if !(1970..=9999).contains(&year) || day < 1 || day > days_in_month(year, mon) {
        return None;
    }
    let days = days_since_epoch(year, mon, day);
    // 1970-01-01 was a Thursday (index 3, Monday first).
    if (days + 3) % 7 != wday as i64 {
        return None;
    }
    Some(days * 86_400 + time)
}

/// Digits only (no sign, no space), as a number.
fn num(s: &[u8]) -> Option<u32> {
    s.iter().try_fold(0u32, |n, &b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
}

fn month(s: &[u8]) -> Option<u32> {
    const MONTHS: [&[u8]; 12] =
        [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];
    MONTHS.iter().position(|m| *m == s).map(|i| i as u32 + 1)
}

/// `hh:mm:ss GMT` as seconds into the day.
fn gmt(s: &[u8]) -> Option<i64> {
    if s.len() != 12 || &s[8..] != b" GMT" {
        return None;
    }
    clock(&s[..8])
}

/// `hh:mm:ss` as seconds into the day (no leap second, as the date forms' grammar says).
fn clock(s: &[u8]) -> Option<i64> {
    if s.len() != 8 || s[2] != b':' || s[5] != b':' {
        return None;
    }
    let (h, m, sec) = (num(&s[..2])?, num(&s[3..5])?, num(&s[6..])?);
    (h < 24 && m < 60 && sec < 60).then(|| i64::from(h * 3600 + m * 60 + sec))
}

fn days_in_month(year: u32, mon: u32) -> u32 {
    match mon {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian; year >= 1970).
fn days_since_epoch(year: u32, mon: u32, day: u32) -> i64 {
    // Counting years from March puts the leap day last (the usual civil-from-days shift).
    let y = i64::from(if mon <= 2 { year - 1 } else { year });
    let m = i64::from(mon);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let era_days = y * 365 + y / 4 - y / 100 + y / 400;
    era_days + doy - 719_468
}

/// Wall-clock ms of a `SystemTime` (tests build HTTP dates from it).
#[cfg(test)]
pub(crate) fn wall_ms(t: std::time::SystemTime) -> i64 {
    t.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{SystemTime, UNIX_EPOCH};

    // 2015-10-21 07:28:00 GMT, a Wednesday.
    const NOW_S: i64 = 1_445_412_480;

    #[test]
    fn retry_after_seconds_dates_and_garbage() {
        let now = wall_ms(SystemTime::UNIX_EPOCH + Duration::from_secs(NOW_S as u64));
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("99999999999999999999999", now), Some(Duration::from_secs(u64::MAX)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now), Some(Duration::ZERO));
        for bad in ["", "-5", "1.5", "soon", "Wed, 32 Oct 2015 07:28:30 GMT"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }

    /// Each of the three forms RFC 9110 §5.6.7 says a recipient must accept, as a delay from
    /// `NOW_S`; dates in the past are a zero delay, never negative and never garbage.
    #[test]
    fn retry_after_date_forms() {
        let now = NOW_S * 1000;
        for (value, secs) in [
            ("Wed, 21 Oct 2015 07:28:30 GMT", 30),
            ("Wednesday, 21-Oct-15 07:28:30 GMT", 30),
            ("Wed Oct 21 07:28:30 2015", 30),
            ("  Wed, 21 Oct 2015 08:28:00 GMT\t", 3600),
            ("Thu, 22 Oct 2015 07:28:00 GMT", 86_400),
            ("Thu Oct 22 07:28:00 2015", 86_400),
            ("Sun Nov  1 07:28:00 2015", 11 * 86_400),
            ("Sun Nov 01 07:28:00 2015", 11 * 86_400),
            ("Mon, 29 Feb 2016 07:28:00 GMT", 131 * 86_400),
            ("Fri, 31 Dec 9999 23:59:59 GMT", 253_402_300_799 - NOW_S),
            // The past: a zero delay.
            ("Wed, 21 Oct 2015 07:28:00 GMT", 0),
            ("Wed, 21 Oct 2015 07:27:59 GMT", 0),
            ("Sunday, 06-Nov-94 08:49:37 GMT", 0),
            ("Sun Nov  6 08:49:37 1994", 0),
            ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
        ] {
            assert_eq!(parse_retry_after(value, now), Some(Duration::from_secs(secs as u64)), "{value:?}");
        }
        // An RFC 850 two-digit year below 70 is in this century.
        assert_eq!(http_date_secs(b"Friday, 01-Jan-38 00:00:00 GMT"), Some(2_145_916_800));
        assert_eq!(http_date_secs(b"Thursday, 01-Jan-70 00:00:00 GMT"), Some(0));
    }

    #[test]
    fn retry_after_bad_values() {
        let now = NOW_S * 1000;
        for bad in [
            "Wed, 21 Oct 2015 07:28:30",       // no zone
            "Wed, 21 Oct 2015 07:28:30 UTC",   // not GMT
            "Wed, 21 Oct 2015 07:28:30 +0000", // a numeric zone (RFC 5322, not HTTP)
            "Wed, 21 Oct 2015 7:28:30 GMT",    // one-digit hour
            "Wed, 21 Oct 15 07:28:30 GMT",     // two-digit year in the fixdate form
            "Wed,  21 Oct 2015 07:28:30 GMT",  // two spaces
            "wed, 21 Oct 2015 07:28:30 GMT",   // names are case-sensitive
            "Wed, 21 oct 2015 07:28:30 GMT",
            "Thu, 21 Oct 2015 07:28:30 GMT",       // the wrong weekday
            "Wednesday, 21 Oct 2015 07:28:30 GMT", // long weekday, fixdate layout
            "Wed, 21-Oct-15 07:28:30 GMT",         // short weekday, RFC 850 layout
            "Wed, 31 Sep 2015 07:28:30 GMT",       // no such day
            "Thu, 29 Feb 2015 07:28:30 GMT",       // not a leap year
            "Sat, 00 Oct 2015 07:28:30 GMT",
            "Wed, 21 Oct 2015 24:00:00 GMT",
            "Wed, 21 Oct 2015 07:60:00 GMT",
            "Wed, 21 Oct 2015 07:28:60 GMT", // no leap second
            "Wed, 21 Oct 2015 07:28:+1 GMT",
            "Wed, 31 Dec 1969 23:59:59 GMT", // before 1970
            "Wed Oct 21 07:28:30 2015 GMT",
            "Wed Oct 21 07:28:30 15",
            "Wed Oct  21 07:28:30 2015",
            "Wed Oct 21 07:28:30 20x5",
            ",",
            "Wed,",
            "Wed, é1 Oct 2015 07:28:30 GMT",
            "1e3",
            "+30",
            "30 s",
        ] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }

    /// Against an independent formatter (the `httpdate` crate, a test-only dependency): every
    /// IMF-fixdate it writes from 1970 to 9999 reads back as the same second.
    #[test]
    fn http_dates_read_back_as_written() {
        let mut t: u64 = 0;
        while t < 253_402_300_799 {
            let text = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(t));
            assert_eq!(http_date_secs(text.as_bytes()), Some(t as i64), "{text}");
            t += 86_400 * 13 + 3_607;
        }
    }

    /// The `httpdate` crate's reading, except that it does not look at the byte between the
    /// year and the time of the RFC 850 form (which the grammar says is a space).
    fn httpdate_reads(text: &str) -> Option<i64> {
        let t = text.trim().as_bytes();
        if t.contains(&b'-') && t.len() > 13 && t[t.len() - 13] != b' ' {
            return None;
        }
        httpdate::parse_http_date(text).ok().map(|d| d.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64)
    }

    /// Every one-byte change of a date in each form, read by both parsers: the same answer.
    #[test]
    fn one_byte_changes_read_as_httpdate_reads_them() {
        let seeds = ["Wed, 21 Oct 2015 07:28:30 GMT", "Wednesday, 21-Oct-15 07:28:30 GMT", "Wed Oct 21 07:28:30 2015"];
        let replacements = b" ,-:0129AGMTWadeoxz\t";
        for seed in seeds {
            for i in 0..seed.len() {
                for &r in replacements.iter() {
                    let mut v = seed.as_bytes().to_vec();
                    v[i] = r;
                    for candidate in [v.clone(), [&v[..i], &v[i + 1..]].concat(), [&v[..=i], &v[i..]].concat()] {
                        let text = String::from_utf8(candidate).unwrap();
                        assert_eq!(http_date_secs(text.trim().as_bytes()), httpdate_reads(&text), "{text:?}");
                    }
                }
            }
        }
    }
}
