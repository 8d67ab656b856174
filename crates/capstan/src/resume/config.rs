//! A session-mode route's settings.

use std::time::Duration;

use crate::overflow::Overflow;

/// How a route's sessions keep, acknowledge and wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// How long a session outlives its transport (30 s by default).
    pub grace: Duration,
    /// A heartbeat (`hb`) is sent when nothing else was sent for this long.
    pub heartbeat: Duration,
    /// The bound of the data messages kept until the client acknowledges
    /// them, in payload bytes.
    pub max_retained_bytes: usize,
    /// Past the bound: end the session (the default), or forget the oldest
    /// kept messages (a client resuming from before them is told).
    pub on_overflow: Overflow,
    /// Acknowledge the client's data messages at least every this many.
    pub ack_every: u32,
    /// … and at most this long after the first one not acknowledged.
    pub ack_delay: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            grace: Duration::from_secs(30),
            heartbeat: Duration::from_secs(15),
            max_retained_bytes: 4 << 20,
            on_overflow: Overflow::Close,
            ack_every: 32,
            ack_delay: Duration::from_millis(500),
        }
    }
}
