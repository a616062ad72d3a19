//! The collector clock: wall-clock time plus an offset that tests move forward, so the
//! 10 min and 30 min session timeouts can be exercised without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    /// Milliseconds since the Unix epoch, offset included.
    pub(crate) fn now_ms(&self) -> i64 {
        wall_ms().saturating_add(self.offset_ms())
    }

    pub(crate) fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }

    pub(crate) fn advance(&self, d: Duration) {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        // fetch_update never fails with a closure that always returns Some.
        let _ = self.offset_ms.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |o| Some(o.saturating_add(ms)));
    }

    pub(crate) fn reset(&self) {
        self.offset_ms.store(0, Ordering::SeqCst);
    }
}

fn wall_ms() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        // A wall clock before 1970 (set-top boxes at boot): negative milliseconds.
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// `HH:MM:SS.mmm` (UTC) of a time in ms since the epoch, for the command's timeline.
pub fn format_time_of_day(ms: i64) -> String {
    let day_ms = ms.rem_euclid(86_400_000);
    let (h, rest) = (day_ms / 3_600_000, day_ms % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let (s, milli) = (rest / 1000, rest % 1000);
    format!("{h:02}:{m:02}:{s:02}.{milli:03}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward() {
        let c = Clock::default();
        let before = c.now_ms();
        c.advance(Duration::from_secs(600));
        assert!(c.now_ms() >= before + 600_000);
        c.reset();
        assert!(c.now_ms() < before + 600_000);
    }

    #[test]
    fn time_of_day_format() {
        assert_eq!(format_time_of_day(0), "00:00:00.000");
        assert_eq!(format_time_of_day(43_201_234), "12:00:01.234");
        assert_eq!(format_time_of_day(86_400_000 + 5), "00:00:00.005");
    }
}
