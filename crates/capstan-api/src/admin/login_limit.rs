//! The bound on wrong tokens: a token bucket of failed logins for the
//! whole server (the plain-HTTP service is not told the peer's address).
//! Each wrong token takes one; while none is left, every login (right or
//! wrong) gets 429 without being compared, so guessing goes no faster
//! than the refill. Fed instants, so it is tested without waiting.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wrong tokens accepted in a burst.
pub(crate) const BURST: f64 = 5.0;
/// Then one more every this long.
pub(crate) const REFILL: Duration = Duration::from_secs(2);

/// The failed-login bucket.
pub(crate) struct LoginLimit {
    bucket: Mutex<(f64, Instant)>,
}

impl LoginLimit {
    /// A full bucket as of `now`.
    pub(crate) fn new(now: Instant) -> Self {
        Self { bucket: Mutex::new((BURST, now)) }
    }

    fn refilled(&self, now: Instant) -> std::sync::MutexGuard<'_, (f64, Instant)> {
        let mut bucket = self.bucket.lock().unwrap_or_else(|p| p.into_inner());
        let elapsed = now.saturating_duration_since(bucket.1).as_secs_f64();
        bucket.0 = (bucket.0 + elapsed / REFILL.as_secs_f64()).min(BURST);
        bucket.1 = bucket.1.max(now);
        bucket
    }

    /// Whether a login may be judged at `now`; if not, how long until one
    /// may.
    pub(crate) fn admit(&self, now: Instant) -> Result<(), Duration> {
        let bucket = self.refilled(now);
        if bucket.0 >= 1.0 {
            return Ok(());
        }
        Err(REFILL.mul_f64(1.0 - bucket.0))
    }

    /// A wrong token was given at `now`.
    pub(crate) fn failed(&self, now: Instant) {
        let mut bucket = self.refilled(now);
        bucket.0 = (bucket.0 - 1.0).max(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_failures_then_the_refill() {
        let start = Instant::now();
        let limit = LoginLimit::new(start);
        for _ in 0..5 {
            limit.admit(start).unwrap();
            limit.failed(start);
        }
        assert_eq!(limit.admit(start), Err(REFILL));
        assert_eq!(limit.admit(start + REFILL / 2), Err(REFILL / 2));
        limit.admit(start + REFILL).unwrap();
    }

    #[test]
    fn right_tokens_take_nothing() {
        let start = Instant::now();
        let limit = LoginLimit::new(start);
        for _ in 0..100 {
            limit.admit(start).unwrap();
        }
    }
}
