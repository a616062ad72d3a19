//! Event timestamps: a wall-clock anchor plus the monotonic time since (DESIGN: Time).
//! Stamped on the player's thread with two vDSO clock reads, no syscall. When the wall clock
//! steps (set-top boxes boot in 1970 and step when NTP syncs; NTP corrects a box that ran
//! ahead), the anchor is renewed and the step counted; deadlines never see it because they run
//! on the monotonic clock. Stamps carry both clocks: the core takes a session's ts anchor from
//! its first stamp and counts later ts on the monotonic clock, so a step shows only in the next
//! session (or once, in a session begun before 2020; see core::rules).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::core::Stamp;
use crate::stats::{Counter, Stats};

/// A jump larger than this renews the anchor.
const JUMP_THRESHOLD_MS: i64 = 5_000;

#[derive(Debug)]
pub struct WallClock {
    base: Instant,
    /// wall ms − monotonic ms since `base`.
    offset_ms: AtomicI64,
}

/// Milliseconds since the epoch on the wall clock (0 before 1970).
pub fn wall_now_ms() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        // A clock before 1970: stamp as the epoch rather than a negative ts.
        Err(_) => 0,
    }
}

impl WallClock {
    pub fn new() -> WallClock {
        let base = Instant::now();
        WallClock { base, offset_ms: AtomicI64::new(wall_now_ms()) }
    }

    /// The current stamp; renews the anchor (and counts it) when the wall clock jumped.
    pub fn stamp(&self, stats: &Stats) -> Stamp {
        let mono = Instant::now();
        let mono_ms = mono.saturating_duration_since(self.base).as_millis() as i64;
        let wall = wall_now_ms();
        let mut offset = self.offset_ms.load(Ordering::Relaxed);
        if (wall - (mono_ms + offset)).abs() > JUMP_THRESHOLD_MS {
            let renewed = wall - mono_ms;
            // Only the thread that wins the exchange counts the jump.
            if self.offset_ms.compare_exchange(offset, renewed, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
                stats.incr(Counter::ClockJumps);
            }
            offset = renewed;
        }
        Stamp { mono, ts: mono_ms + offset }
    }
}

impl Default for WallClock {
    fn default() -> Self {
        WallClock::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_follow_the_wall_clock_and_count_jumps() {
        let stats = Stats::new();
        let c = WallClock::new();
        let s = c.stamp(&stats);
        assert!((s.ts - wall_now_ms()).abs() < 1000);
        // Pretend the anchor was taken before a one-day jump.
        c.offset_ms.fetch_sub(86_400_000, Ordering::Relaxed);
        let s2 = c.stamp(&stats);
        assert!((s2.ts - wall_now_ms()).abs() < 1000);
        assert_eq!(stats.get(Counter::ClockJumps), 1);
        assert!(s2.mono >= s.mono);
    }
}
