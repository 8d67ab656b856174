//! Logged-in admin sessions: a random id each (32 bytes from the OS,
//! hex), kept in memory with an expiry, at most a bounded number (a new
//! login past it ends the oldest). Ids are compared in constant time.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;

/// The bytes of randomness in a session id.
const ID_BYTES: usize = 32;

/// The sessions of one admin page.
pub(crate) struct Sessions {
    ttl: Duration,
    max: usize,
    /// (id, expiry), oldest first.
    open: Mutex<Vec<(String, Instant)>>,
}

impl Sessions {
    /// Sessions that last `ttl`, at most `max` at once.
    pub(crate) fn new(ttl: Duration, max: usize) -> Self {
        Self { ttl, max: max.max(1), open: Mutex::default() }
    }

    fn open(&self) -> std::sync::MutexGuard<'_, Vec<(String, Instant)>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long a session lasts.
    pub(crate) fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A new session, as of `now`: its id.
    pub(crate) fn start(&self, now: Instant) -> Result<String, getrandom::Error> {
        let mut bytes = [0u8; ID_BYTES];
        getrandom::fill(&mut bytes)?;
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let mut open = self.open();
        open.retain(|(_, expiry)| *expiry > now);
        if open.len() >= self.max {
            open.remove(0);
        }
        open.push((id.clone(), now + self.ttl));
        Ok(id)
    }

    /// Whether `id` is a session that has not expired at `now`.
    pub(crate) fn is_valid(&self, id: &str, now: Instant) -> bool {
        // Every session compared, each in constant time.
        self.open().iter().fold(false, |found, (open, expiry)| {
            let same: bool = open.as_bytes().ct_eq(id.as_bytes()).into();
            found | (same && *expiry > now)
        })
    }

    /// Ends session `id` (logout).
    pub(crate) fn end(&self, id: &str) {
        self.open().retain(|(open, _)| !bool::from(open.as_bytes().ct_eq(id.as_bytes())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_lasts_its_ttl() {
        let sessions = Sessions::new(Duration::from_secs(60), 4);
        let start = Instant::now();
        let id = sessions.start(start).unwrap();
        assert_eq!(id.len(), 64);
        assert!(sessions.is_valid(&id, start + Duration::from_secs(59)));
        assert!(!sessions.is_valid(&id, start + Duration::from_secs(60)));
        assert!(!sessions.is_valid("not-a-session", start));
    }

    #[test]
    fn ids_differ_and_logout_ends_one() {
        let sessions = Sessions::new(Duration::from_secs(60), 4);
        let now = Instant::now();
        let (a, b) = (sessions.start(now).unwrap(), sessions.start(now).unwrap());
        assert_ne!(a, b);
        sessions.end(&a);
        assert!(!sessions.is_valid(&a, now));
        assert!(sessions.is_valid(&b, now));
    }

    #[test]
    fn past_the_bound_the_oldest_ends() {
        let sessions = Sessions::new(Duration::from_secs(60), 2);
        let now = Instant::now();
        let ids: Vec<String> = (0..3).map(|_| sessions.start(now).unwrap()).collect();
        assert!(!sessions.is_valid(&ids[0], now));
        assert!(sessions.is_valid(&ids[1], now) && sessions.is_valid(&ids[2], now));
    }
}
