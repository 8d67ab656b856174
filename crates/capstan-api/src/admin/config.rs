//! [`AdminConfig`]: whether the admin page is on (its token), and its
//! bounds; [`AdminConfigError`] names the rule a config breaks.

use std::fmt;
use std::time::Duration;

/// The shortest admin token accepted, in bytes: 16 random bytes, hex or
/// base64, are at least this long.
pub const MIN_TOKEN_BYTES: usize = 16;

/// The admin page's settings. With no token the page is off: every
/// `/admin` path and `/admin/ws` answer 404.
#[derive(Clone)]
pub struct AdminConfig {
    /// The admin token (distinct from the API key); `None`: off.
    pub token: Option<String>,
    /// How long a login lasts (default 12 hours).
    pub session_ttl: Duration,
    /// Logins kept at once; a new one past it ends the oldest (default 16).
    pub max_sessions: usize,
    /// Admin pages connected at once; past it the handshake gets 503
    /// (default 8).
    pub max_connections: usize,
    /// Between two points of the charts (default 1 s).
    pub interval: Duration,
    /// How far back the charts go (default 5 minutes).
    pub history: Duration,
    /// Rows of the top-topics table (default 10).
    pub top_topics: usize,
    /// Mark the session cookie `Secure` (sent over HTTPS only): on when the
    /// page is served over TLS or behind a TLS proxy (default off).
    pub secure_cookie: bool,
    /// Origins, besides the server's own host, whose pages may open the
    /// feed (`https://admin.example`; default none).
    pub allowed_origins: Vec<String>,
}

impl fmt::Debug for AdminConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminConfig")
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("session_ttl", &self.session_ttl)
            .field("max_sessions", &self.max_sessions)
            .field("max_connections", &self.max_connections)
            .field("interval", &self.interval)
            .field("history", &self.history)
            .field("top_topics", &self.top_topics)
            .field("secure_cookie", &self.secure_cookie)
            .field("allowed_origins", &self.allowed_origins)
            .finish()
    }
}

impl Default for AdminConfig {
    /// Off (no token), the other settings at their defaults.
    fn default() -> Self {
        Self {
            token: None,
            session_ttl: Duration::from_secs(12 * 3600),
            max_sessions: 16,
            max_connections: 8,
            interval: Duration::from_secs(1),
            history: Duration::from_secs(5 * 60),
            top_topics: 10,
            secure_cookie: false,
            allowed_origins: Vec::new(),
        }
    }
}

impl AdminConfig {
    /// On, behind `token`, the other settings at their defaults.
    pub fn with_token(token: impl Into<String>) -> Self {
        Self { token: Some(token.into()), ..Self::default() }
    }

    /// Whether the admin page is on.
    pub fn is_on(&self) -> bool {
        self.token.is_some()
    }

    /// The points the history keeps: `history / interval`.
    pub(crate) fn capacity(&self) -> usize {
        (self.history.as_millis() / self.interval.as_millis().max(1)) as usize
    }

    /// Checks the rules; the first broken is named.
    pub fn check(&self) -> Result<(), AdminConfigError> {
        if let Some(token) = &self.token
            && token.len() < MIN_TOKEN_BYTES
        {
            return Err(AdminConfigError::TokenTooShort);
        }
        if self.interval < Duration::from_millis(100) {
            return Err(AdminConfigError::IntervalTooShort);
        }
        if self.history < self.interval {
            return Err(AdminConfigError::HistoryShorterThanInterval);
        }
        if self.max_connections == 0 {
            return Err(AdminConfigError::NoConnectionAllowed);
        }
        if self.max_sessions == 0 {
            return Err(AdminConfigError::NoSessionAllowed);
        }
        if self.session_ttl.is_zero() {
            return Err(AdminConfigError::SessionTtlZero);
        }
        Ok(())
    }
}

/// The rule an [`AdminConfig`] breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdminConfigError {
    /// The token is shorter than [`MIN_TOKEN_BYTES`].
    TokenTooShort,
    /// The interval is under 100 ms.
    IntervalTooShort,
    /// The history is shorter than one interval.
    HistoryShorterThanInterval,
    /// `max_connections` is 0.
    NoConnectionAllowed,
    /// `max_sessions` is 0.
    NoSessionAllowed,
    /// `session_ttl` is zero.
    SessionTtlZero,
}

impl fmt::Display for AdminConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TokenTooShort => "admin token: at least 16 bytes",
            Self::IntervalTooShort => "admin interval: at least 100 ms",
            Self::HistoryShorterThanInterval => "admin history: at least one interval",
            Self::NoConnectionAllowed => "admin max_connections: at least 1",
            Self::NoSessionAllowed => "admin max_sessions: at least 1",
            Self::SessionTtlZero => "admin session_ttl: more than zero",
        })
    }
}

impl std::error::Error for AdminConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_is_named() {
        assert_eq!(AdminConfig::default().check(), Ok(()));
        assert_eq!(AdminConfig::with_token("0123456789abcdef").check(), Ok(()));
        let short = AdminConfig::with_token("0123456789abcde");
        assert_eq!(short.check(), Err(AdminConfigError::TokenTooShort));
        let fast = AdminConfig { interval: Duration::from_millis(10), ..AdminConfig::default() };
        assert_eq!(fast.check(), Err(AdminConfigError::IntervalTooShort));
        let brief = AdminConfig { history: Duration::from_millis(500), ..AdminConfig::default() };
        assert_eq!(brief.check(), Err(AdminConfigError::HistoryShorterThanInterval));
        let closed = AdminConfig { max_connections: 0, ..AdminConfig::default() };
        assert_eq!(closed.check(), Err(AdminConfigError::NoConnectionAllowed));
        let none = AdminConfig { max_sessions: 0, ..AdminConfig::default() };
        assert_eq!(none.check(), Err(AdminConfigError::NoSessionAllowed));
        let zero = AdminConfig { session_ttl: Duration::ZERO, ..AdminConfig::default() };
        assert_eq!(zero.check(), Err(AdminConfigError::SessionTtlZero));
    }

    #[test]
    fn five_minutes_of_seconds_are_300_points() {
        assert_eq!(AdminConfig::default().capacity(), 300);
    }

    #[test]
    fn the_token_is_not_in_debug_output() {
        let config = AdminConfig::with_token("secret-secret-secret");
        assert!(!format!("{config:?}").contains("secret-secret"));
    }
}
