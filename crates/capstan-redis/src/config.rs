//! What a node needs to know to run its topics on Redis: where Redis is,
//! the keys' prefix, how much history is kept and for how long, how long
//! presence entries live, sharded or classic pub/sub, and how long a
//! command may take before the engine answers "unavailable".

use std::fmt;
use std::time::Duration;

/// The Redis engine's settings. Start from [`RedisConfig::new`] and change
/// the fields you need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisConfig {
    /// Where Redis is: `redis://[user:password@]host:port[/db]`. RESP3 is
    /// asked for whatever the URL says (pushes need it).
    pub url: String,
    /// The first part of every key and channel (default `capstan`). It
    /// must not contain `{` or `}`: the topic's hash tag comes after it.
    pub prefix: String,
    /// Most publications kept per topic (default 1000): the stream is
    /// trimmed to exactly this many at each append.
    pub history_max_len: usize,
    /// How long a publication stays in the history (default 24 h); also
    /// how long an idempotency key is remembered.
    pub history_ttl: Duration,
    /// How long a topic's epoch and last offset are kept after its last
    /// publication (default 7 days, at least `history_ttl`): a client that
    /// comes back within it to a quiet topic is told "nothing missed"
    /// instead of "reload".
    pub meta_ttl: Duration,
    /// How long a presence entry lives unless its node refreshes it
    /// (default 30 s); nodes refresh theirs every third of it.
    pub presence_ttl: Duration,
    /// Sharded pub/sub (`SPUBLISH` / `SSUBSCRIBE`, Redis 7; default): in a
    /// Redis Cluster a publication goes to its topic's shard only. `false`:
    /// classic `PUBLISH` / `SUBSCRIBE`, broadcast to every node.
    pub sharded: bool,
    /// How long any command may take before the engine answers
    /// "unavailable" (default 1 s): while Redis is down or paused, a
    /// publish fails within it instead of hanging.
    pub command_timeout: Duration,
}

impl RedisConfig {
    /// The defaults, with Redis at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            prefix: "capstan".into(),
            history_max_len: 1000,
            history_ttl: Duration::from_secs(24 * 3600),
            meta_ttl: Duration::from_secs(7 * 24 * 3600),
            presence_ttl: Duration::from_secs(30),
            sharded: true,
            command_timeout: Duration::from_secs(1),
        }
    }

    /// Checks the rules below; [`RedisEngine::connect`](crate::RedisEngine::connect)
    /// does it first.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.prefix.contains(['{', '}']) {
            return Err(ConfigError::PrefixHasBrace(self.prefix.clone()));
        }
        if self.history_max_len == 0 {
            return Err(ConfigError::HistoryKeepsNothing);
        }
        if self.history_ttl < Duration::from_millis(1) {
            return Err(ConfigError::TtlBelowOneMillisecond("history_ttl"));
        }
        if self.meta_ttl < self.history_ttl {
            return Err(ConfigError::MetaDiesBeforeHistory {
                meta_ttl: self.meta_ttl,
                history_ttl: self.history_ttl,
            });
        }
        if self.presence_ttl < Duration::from_millis(30) {
            return Err(ConfigError::PresenceTtlTooShort(self.presence_ttl));
        }
        if self.command_timeout.is_zero() {
            return Err(ConfigError::NoTimeForCommands);
        }
        Ok(())
    }
}

impl Default for RedisConfig {
    /// The defaults, with Redis at `redis://127.0.0.1:6379`.
    fn default() -> Self {
        Self::new("redis://127.0.0.1:6379")
    }
}

/// A [`RedisConfig`] rule that was broken.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The prefix has a `{` or `}`: it would become the keys' hash tag,
    /// putting every topic in one Redis Cluster slot.
    PrefixHasBrace(String),
    /// `history_max_len` is 0: a history that keeps nothing recovers
    /// nothing.
    HistoryKeepsNothing,
    /// A time-to-live below a millisecond (Redis keeps milliseconds).
    TtlBelowOneMillisecond(&'static str),
    /// `meta_ttl` is shorter than `history_ttl`: a topic's offsets would be
    /// forgotten while its publications are still kept, and begin again.
    MetaDiesBeforeHistory {
        /// The meta's time-to-live asked for.
        meta_ttl: Duration,
        /// The history's.
        history_ttl: Duration,
    },
    /// `presence_ttl` under 30 ms: entries could not be refreshed (every
    /// third of it) before they expire.
    PresenceTtlTooShort(Duration),
    /// `command_timeout` is zero: every command would fail.
    NoTimeForCommands,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PrefixHasBrace(prefix) => write!(
                f,
                "the key prefix {prefix:?} must not contain '{{' or '}}' (it would be the keys' hash tag)"
            ),
            Self::HistoryKeepsNothing => f.write_str("history_max_len must be at least 1"),
            Self::TtlBelowOneMillisecond(which) => write!(f, "{which} must be at least 1 ms"),
            Self::MetaDiesBeforeHistory { meta_ttl, history_ttl } => write!(
                f,
                "meta_ttl ({meta_ttl:?}) must be at least history_ttl ({history_ttl:?}): \
                 offsets must not begin again while publications are kept"
            ),
            Self::PresenceTtlTooShort(ttl) => {
                write!(f, "presence_ttl ({ttl:?}) must be at least 30 ms")
            }
            Self::NoTimeForCommands => f.write_str("command_timeout must be more than zero"),
        }
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_pass_and_each_rule_is_named() {
        let config = RedisConfig::default();
        assert_eq!(config.validate(), Ok(()));
        let broken = |change: fn(&mut RedisConfig)| {
            let mut config = RedisConfig::default();
            change(&mut config);
            config.validate().unwrap_err()
        };
        assert!(matches!(broken(|c| c.prefix = "a{b".into()), ConfigError::PrefixHasBrace(_)));
        assert_eq!(broken(|c| c.history_max_len = 0), ConfigError::HistoryKeepsNothing);
        assert!(matches!(
            broken(|c| c.meta_ttl = Duration::from_secs(1)),
            ConfigError::MetaDiesBeforeHistory { .. }
        ));
        assert!(matches!(
            broken(|c| c.presence_ttl = Duration::from_millis(3)),
            ConfigError::PresenceTtlTooShort(_)
        ));
        assert_eq!(broken(|c| c.command_timeout = Duration::ZERO), ConfigError::NoTimeForCommands);
    }
}
