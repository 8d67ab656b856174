//! Why Redis gave no usable answer. Each of the engine's parts turns it
//! into its seam's "unavailable" error, with this text.

use std::fmt;
use std::time::Duration;

/// Redis did not do what was asked, or it is not known whether it did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unavailable {
    /// Every command must be answered within the command timeout; this
    /// one was not (Redis down and the client retrying, or paused). It
    /// may still be carried out later.
    TimedOut {
        /// The command timeout.
        after: Duration,
    },
    /// The connection to Redis failed (refused, reset, closed).
    Unreachable(String),
    /// Redis answered with an error (a script error, out of memory).
    Failed(String),
    /// Redis answered, in a shape the engine does not read.
    UnexpectedReply(String),
}

impl Unavailable {
    /// The kind of failure a redis-rs error is (a command that timed out
    /// did so after `timeout`).
    pub(crate) fn from_redis(error: &redis::RedisError, timeout: Duration) -> Self {
        if error.kind() == redis::ErrorKind::UnexpectedReturnType {
            Self::UnexpectedReply(error.to_string())
        } else if error.is_timeout() {
            Self::TimedOut { after: timeout }
        } else if error.is_io_error()
            || error.is_connection_dropped()
            || error.is_connection_refusal()
            || error.is_unrecoverable_error()
        {
            Self::Unreachable(error.to_string())
        } else {
            Self::Failed(error.to_string())
        }
    }
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TimedOut { after } => {
                write!(f, "redis did not answer within {} ms", after.as_millis())
            }
            Self::Unreachable(why) => write!(f, "redis unreachable: {why}"),
            Self::Failed(why) => write!(f, "redis answered with an error: {why}"),
            Self::UnexpectedReply(what) => write!(f, "redis answered unexpectedly: {what}"),
        }
    }
}

impl std::error::Error for Unavailable {}

impl From<Unavailable> for capstan::pubsub::BrokerError {
    fn from(error: Unavailable) -> Self {
        Self::Unavailable(error.to_string())
    }
}

impl From<Unavailable> for capstan::pubsub::HistoryError {
    fn from(error: Unavailable) -> Self {
        Self::Unavailable(error.to_string())
    }
}

impl From<Unavailable> for capstan::pubsub::PresenceError {
    fn from(error: Unavailable) -> Self {
        Self::Unavailable(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_messages_say_what_happened() {
        let timed_out = Unavailable::TimedOut { after: Duration::from_secs(1) };
        assert_eq!(timed_out.to_string(), "redis did not answer within 1000 ms");
        let broker: capstan::pubsub::BrokerError = timed_out.into();
        assert_eq!(
            broker,
            capstan::pubsub::BrokerError::Unavailable("redis did not answer within 1000 ms".into())
        );
        assert!(
            Unavailable::Unreachable("refused".into()).to_string().starts_with("redis unreachable")
        );
    }
}
