//! Retry backoff: base × 2ⁿ, capped, with ± jitter so clients that failed together do not
//! retry together. The jitter comes from a tiny seeded xorshift: deterministic in tests, no
//! `rand` dependency.

use std::time::Duration;

use super::RetryPolicy;

/// xorshift64* (Vigna): plenty for jitter, never for anything secret.
#[derive(Debug, Clone)]
pub(crate) struct XorShift(u64);

impl XorShift {
    pub(crate) fn new(seed: u64) -> XorShift {
        // The all-zero state is a fixed point; any other seed works.
        XorShift(if seed == 0 { 0x9E37_79B9_7F4A_7C15 } else { seed })
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub(crate) fn next_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [-1, 1).
    pub(crate) fn next_signed_unit(&mut self) -> f64 {
        self.next_unit() * 2.0 - 1.0
    }

    /// Uniform in [0, max]: a random part of a window.
    pub(crate) fn within(&mut self, max: Duration) -> Duration {
        Duration::try_from_secs_f64(max.as_secs_f64() * self.next_unit()).unwrap_or(max).min(max)
    }

    /// `d` ± `share` of it (share clamped to [0, 1]).
    pub(crate) fn spread(&mut self, d: Duration, share: f64) -> Duration {
        let share = if share.is_finite() { share.clamp(0.0, 1.0) } else { 0.0 };
        Duration::try_from_secs_f64(d.as_secs_f64() * (1.0 + share * self.next_signed_unit())).unwrap_or(d)
    }
}

/// The wait before restart number `n` of a tracker's rolling window (0 = the first): a random
/// part of `first` for the first, so a fleet that lost its sessions together does not restart
/// together; then `first × 2ⁿ` ±20 %, capped at `cap`.
pub(crate) fn restart_delay(first: Duration, cap: Duration, n: u32, rng: &mut XorShift) -> Duration {
    if n == 0 {
        return rng.within(first.min(cap));
    }
    let factor = 1u32.checked_shl(n.min(31)).unwrap_or(u32::MAX);
    let exp = first.checked_mul(factor).unwrap_or(cap).min(cap);
    rng.spread(exp, 0.2).min(cap)
}

/// The wait before retry number `retry` (0 = the first retry): `base × 2^retry`, capped at
/// `cap`, then ± `jitter` share; the result never exceeds `cap`, so at the cap the spread is
/// downward only.
pub(crate) fn delay(policy: &RetryPolicy, retry: u32, rng: &mut XorShift) -> Duration {
    let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
    let exp = policy.base.checked_mul(factor).unwrap_or(policy.cap).min(policy.cap);
    let jitter = if policy.jitter.is_finite() { policy.jitter.clamp(0.0, 1.0) } else { 0.0 };
    if jitter == 0.0 {
        return exp;
    }
    let scaled = exp.as_secs_f64() * (1.0 + jitter * rng.next_signed_unit());
    Duration::try_from_secs_f64(scaled).unwrap_or(exp).min(policy.cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(jitter: f64) -> RetryPolicy {
        RetryPolicy { jitter, ..RetryPolicy::default() }
    }

    #[test]
    fn doubles_from_base_up_to_the_cap() {
        let p = policy(0.0);
        let mut rng = XorShift::new(1);
        let got: Vec<u64> = (0..8).map(|n| delay(&p, n, &mut rng).as_millis() as u64).collect();
        assert_eq!(got, [500, 1000, 2000, 4000, 8000, 8000, 8000, 8000]);
        assert_eq!(delay(&p, u32::MAX, &mut rng), Duration::from_secs(8));
    }

    #[test]
    fn jitter_stays_within_its_share_and_under_the_cap() {
        let p = policy(0.2);
        let mut rng = XorShift::new(42);
        let mut seen_low = false;
        let mut seen_high = false;
        for _ in 0..1000 {
            let d = delay(&p, 1, &mut rng).as_secs_f64();
            assert!((0.8..=1.2).contains(&d), "{d}");
            seen_low |= d < 0.95;
            seen_high |= d > 1.05;
            let c = delay(&p, 10, &mut rng).as_secs_f64();
            assert!((6.4..=8.0).contains(&c), "{c}");
        }
        assert!(seen_low && seen_high);
    }

    #[test]
    fn restart_delays_start_random_then_grow_to_the_cap() {
        let (first, cap) = (Duration::from_secs(10), Duration::from_secs(600));
        let mut rng = XorShift::new(9);
        let firsts: Vec<f64> = (0..1000).map(|_| restart_delay(first, cap, 0, &mut rng).as_secs_f64()).collect();
        assert!(firsts.iter().all(|d| (0.0..=10.0).contains(d)));
        assert!(firsts.iter().any(|d| *d < 2.0) && firsts.iter().any(|d| *d > 8.0), "spread over the window");
        for (n, mid) in [(1u32, 20.0), (2, 40.0), (3, 80.0), (5, 320.0)] {
            let d = restart_delay(first, cap, n, &mut rng).as_secs_f64();
            assert!((mid * 0.8..=mid * 1.2).contains(&d), "restart {n}: {d}");
        }
        assert!(restart_delay(first, cap, 6, &mut rng) <= cap);
        assert!(restart_delay(first, cap, u32::MAX, &mut rng) <= cap);
    }

    #[test]
    fn odd_policies_never_panic() {
        let mut rng = XorShift::new(0);
        for jitter in [f64::NAN, -1.0, 5.0, f64::INFINITY] {
            let p = RetryPolicy { base: Duration::MAX, cap: Duration::MAX, jitter, ..RetryPolicy::default() };
            let _ = delay(&p, 40, &mut rng);
        }
        let p = RetryPolicy { base: Duration::ZERO, cap: Duration::ZERO, ..RetryPolicy::default() };
        assert_eq!(delay(&p, 3, &mut rng), Duration::ZERO);
    }
}
