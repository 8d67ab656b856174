//! Per-connection flood control: a token bucket for requests, and a second
//! one for refused requests, past which the peer is cut off.

use std::time::Instant;

/// A token bucket: `rate` tokens per second, at most `burst` saved.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate: f64, burst: f64) -> Self {
        Self::new_at(rate, burst, Instant::now())
    }

    /// A bucket full at `now`.
    pub fn new_at(rate: f64, burst: f64, now: Instant) -> Self {
        Self { rate, burst, tokens: burst, last: now }
    }

    /// Takes a token at `now`, if there is one.
    pub fn try_take_at(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl TokenBucket {
    /// Whether the bucket has refilled to its burst by `now` (nothing
    /// taken lately is remembered).
    pub fn is_full_at(&self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens + elapsed * self.rate >= self.burst
    }
}

/// What the limiter says about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead.
    Allow,
    /// Refuse with `rate_limited`.
    Refuse,
    /// The peer keeps flooding after refusals: close the connection (1008).
    Disconnect,
}

/// Requests at `rate` per second (bursts of `burst`); a peer that keeps
/// sending after refusals, at ten times that, is disconnected.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    requests: TokenBucket,
    refusals: TokenBucket,
}

impl RateLimiter {
    /// A limiter for `rate` requests per second and bursts of `burst`.
    pub fn new(rate: f64, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        Self {
            requests: TokenBucket::new(rate, burst),
            refusals: TokenBucket::new(rate * 10.0, burst * 10.0),
        }
    }

    /// Judges one request arriving now.
    pub fn check(&mut self) -> Verdict {
        self.check_at(Instant::now())
    }

    /// Judges one request arriving at `now`.
    pub fn check_at(&mut self, now: Instant) -> Verdict {
        if self.requests.try_take_at(now) {
            Verdict::Allow
        } else if self.refusals.try_take_at(now) {
            Verdict::Refuse
        } else {
            Verdict::Disconnect
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn allows_a_burst_then_refuses_then_refills() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(2.0, 3);
        for _ in 0..3 {
            assert_eq!(limiter.check_at(start), Verdict::Allow);
        }
        assert_eq!(limiter.check_at(start), Verdict::Refuse);
        assert_eq!(limiter.check_at(start + Duration::from_millis(500)), Verdict::Allow);
        assert_eq!(limiter.check_at(start + Duration::from_millis(500)), Verdict::Refuse);
    }

    #[test]
    fn disconnects_a_peer_that_ignores_refusals() {
        let now = Instant::now();
        let mut limiter = RateLimiter::new(1.0, 1);
        assert_eq!(limiter.check_at(now), Verdict::Allow);
        for _ in 0..10 {
            assert_eq!(limiter.check_at(now), Verdict::Refuse);
        }
        assert_eq!(limiter.check_at(now), Verdict::Disconnect);
    }
}
