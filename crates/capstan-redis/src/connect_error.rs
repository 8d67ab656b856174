//! Why a node could not connect its engine to Redis.

use std::fmt;

use crate::config::ConfigError;
use crate::unavailable::Unavailable;

/// Why [`RedisEngine::connect`](crate::RedisEngine::connect) failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectError {
    /// The configuration breaks a rule.
    Config(ConfigError),
    /// The URL is not a Redis URL.
    InvalidUrl(String),
    /// Redis could not be reached, or did not answer in time.
    Unreachable(Unavailable),
    /// `sharded` asks for SPUBLISH / SSUBSCRIBE, which need Redis 7.
    ShardedPubSubNeedsRedis7 {
        /// The version Redis gave.
        version: String,
    },
}

impl From<Unavailable> for ConnectError {
    fn from(error: Unavailable) -> Self {
        Self::Unreachable(error)
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(error) => write!(f, "invalid redis engine config: {error}"),
            Self::InvalidUrl(why) => write!(f, "invalid redis URL {why}"),
            Self::Unreachable(error) => error.fmt(f),
            Self::ShardedPubSubNeedsRedis7 { version } => write!(
                f,
                "sharded pub/sub needs Redis 7 or later, this one is {version:?} (set sharded to false)"
            ),
        }
    }
}

impl std::error::Error for ConnectError {}
