//! Event timestamps: a wall-clock anchor plus the monotonic time since (DESIGN: Time).
//! Stamped on the player's thread with two vDSO clock reads, no syscall. When the wall clock
//! steps (set-top boxes boot in 1970 and step when NTP syncs; NTP corrects a box that ran
//! ahead), the anchor is renewed and the step counted; deadlines never see it because they run
//! on the monotonic clock. Stamps carry both clocks: the core takes a session's ts anchor from
//! its first stamp and counts later ts on the monotonic clock, so a step shows only in the next
//! session (or once, in a session begun before 2020; see core::rules).
//!
//! A host-driven client may be given the caller's own clock instead ([`CallerClock`], a test
//! facility): both readings then come from the caller's callbacks, so a test runs thirty
//! minutes of pings by moving its clock rather than waiting.

use std::ffi::c_void;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::core::Stamp;
use crate::stats::{Counter, Stats};

/// A jump larger than this renews the anchor.
const JUMP_THRESHOLD_MS: i64 = 5_000;

/// Reads one of the caller's clocks, in milliseconds.
pub type ClockFn = unsafe extern "C" fn(userdata: *mut c_void) -> i64;

/// The caller's monotonic and wall clocks (`mc_client_config.clock_*`).
#[derive(Debug, Clone, Copy)]
pub struct CallerClock {
    pub monotonic_ms: ClockFn,
    pub wall_ms: ClockFn,
    pub userdata: *mut c_void,
}

// SAFETY: the caller promised (documented on the config fields) that its clock callbacks may be
// called from any thread with this userdata.
unsafe impl Send for CallerClock {}
unsafe impl Sync for CallerClock {}

impl CallerClock {
    fn mono_ms(&self) -> i64 {
        unsafe { (self.monotonic_ms)(self.userdata) }
    }

    fn wall_ms(&self) -> i64 {
        unsafe { (self.wall_ms)(self.userdata) }.max(0)
    }
}

#[derive(Debug)]
pub struct WallClock {
    base: Instant,
    /// wall ms − monotonic ms since `base`.
    offset_ms: AtomicI64,
    /// The caller's clock and its monotonic reading at `base`, when it supplied one.
    caller: Option<(CallerClock, i64)>,
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
        WallClock { base, offset_ms: AtomicI64::new(wall_now_ms()), caller: None }
    }

    /// A clock that reads the caller's callbacks. Its monotonic time maps onto `Instant`s from
    /// now on (the core's deadlines are `Instant`s): the caller's reading `m` is `base + (m − m0)`.
    pub fn from_caller(caller: CallerClock) -> WallClock {
        WallClock {
            base: Instant::now(),
            offset_ms: AtomicI64::new(caller.wall_ms()),
            caller: Some((caller, caller.mono_ms())),
        }
    }

    /// True when the caller supplied the clock.
    pub fn is_callers(&self) -> bool {
        self.caller.is_some()
    }

    /// The monotonic time as an `Instant` (the caller's, mapped, when it supplied a clock).
    pub fn mono_now(&self) -> Instant {
        match &self.caller {
            // A caller's clock that went back stays at its start rather than before `base`.
            Some((c, m0)) => self.base + Duration::from_millis((c.mono_ms() - m0).max(0) as u64),
            None => Instant::now(),
        }
    }

    /// `at` on the caller's monotonic clock in ms (the same scale as its callback returns), or
    /// on this clock's own scale (ms since it was made) without a caller's clock.
    pub fn mono_ms_of(&self, at: Instant) -> i64 {
        let since = at.saturating_duration_since(self.base).as_millis() as i64;
        since + self.caller.as_ref().map_or(0, |(_, m0)| *m0)
    }

    /// Milliseconds since the epoch on the wall clock in use.
    pub fn wall_ms(&self) -> i64 {
        match &self.caller {
            Some((c, _)) => c.wall_ms(),
            None => wall_now_ms(),
        }
    }

    /// The current stamp; renews the anchor (and counts it) when the wall clock jumped.
    pub fn stamp(&self, stats: &Stats) -> Stamp {
        let mono = self.mono_now();
        let mono_ms = mono.saturating_duration_since(self.base).as_millis() as i64;
        let wall = self.wall_ms();
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

    static VIRTUAL_MONO: AtomicI64 = AtomicI64::new(5_000);
    static VIRTUAL_WALL: AtomicI64 = AtomicI64::new(1_767_225_600_000);
    unsafe extern "C" fn mono(_: *mut c_void) -> i64 {
        VIRTUAL_MONO.load(Ordering::SeqCst)
    }
    unsafe extern "C" fn wall(_: *mut c_void) -> i64 {
        VIRTUAL_WALL.load(Ordering::SeqCst)
    }

    #[test]
    fn a_callers_clock_gives_both_readings_and_moves_only_when_it_moves() {
        let stats = Stats::new();
        let c =
            WallClock::from_caller(CallerClock { monotonic_ms: mono, wall_ms: wall, userdata: std::ptr::null_mut() });
        let s = c.stamp(&stats);
        assert_eq!(s.ts, 1_767_225_600_000);
        assert_eq!(c.mono_ms_of(s.mono), 5_000, "the caller's scale");
        // Thirty minutes pass on the caller's clock, none in real time.
        VIRTUAL_MONO.fetch_add(1_800_000, Ordering::SeqCst);
        VIRTUAL_WALL.fetch_add(1_800_000, Ordering::SeqCst);
        let s2 = c.stamp(&stats);
        assert_eq!(s2.mono - s.mono, Duration::from_millis(1_800_000));
        assert_eq!(s2.ts - s.ts, 1_800_000);
        assert_eq!(c.mono_ms_of(c.mono_now()), 1_805_000);
        assert_eq!(c.wall_ms(), 1_767_227_400_000);
        assert_eq!(stats.get(Counter::ClockJumps), 0);
    }
}
