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

    /// Uniform in [-1, 1).
    pub(crate) fn next_signed_unit(&mut self) -> f64 {
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        unit * 2.0 - 1.0
    }
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
