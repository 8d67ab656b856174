//! The per-key rate limit: a token bucket for each configured key, fed
//! the instant of each request (so it is tested without waiting).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::RateLimit;

/// A bucket per key.
pub(crate) struct KeyRates {
    limit: RateLimit,
    buckets: Mutex<Vec<Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl KeyRates {
    /// `keys` full buckets under `limit`, as of `now`.
    pub(crate) fn new(limit: RateLimit, keys: usize, now: Instant) -> Self {
        let full = Bucket { tokens: f64::from(limit.burst), at: now };
        Self { limit, buckets: Mutex::new(vec![full; keys]) }
    }

    /// Takes `count` tokens from key `key`'s bucket at `now`; if it holds
    /// fewer, takes none and says how long until it would hold them (a
    /// count above the burst waits for a full bucket).
    pub(crate) fn take(&self, key: usize, count: u32, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let Some(bucket) = buckets.get_mut(key) else { return Ok(()) };
        let rate = f64::from(self.limit.per_second);
        let burst = f64::from(self.limit.burst);
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.at = bucket.at.max(now);
        let wanted = f64::from(count).min(burst);
        if bucket.tokens >= wanted {
            bucket.tokens -= wanted;
            return Ok(());
        }
        Err(Duration::from_secs_f64((wanted - bucket.tokens) / rate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_rate() {
        let start = Instant::now();
        let rates = KeyRates::new(RateLimit { per_second: 2, burst: 3 }, 2, start);
        for _ in 0..3 {
            rates.take(0, 1, start).unwrap();
        }
        let wait = rates.take(0, 1, start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        // The other key has its own bucket.
        rates.take(1, 3, start).unwrap();
        // Half a second later one token is back, not two.
        let later = start + Duration::from_millis(500);
        rates.take(0, 1, later).unwrap();
        assert!(rates.take(0, 1, later).is_err());
    }

    #[test]
    fn a_batch_takes_one_token_per_command_and_never_more_than_the_burst() {
        let start = Instant::now();
        let rates = KeyRates::new(RateLimit { per_second: 10, burst: 5 }, 1, start);
        assert_eq!(rates.take(0, 6, start), Ok(()), "capped at the burst: a full bucket serves it");
        assert_eq!(rates.take(0, 1, start), Err(Duration::from_millis(100)));
        let refill = start + Duration::from_secs(10);
        rates.take(0, 4, refill).unwrap();
        assert!(rates.take(0, 2, refill).is_err(), "one left");
        rates.take(0, 1, refill).unwrap();
    }
}
