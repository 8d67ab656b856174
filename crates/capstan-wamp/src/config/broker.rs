//! `broker`: the engine the router's publications go through, so that
//! routers in several processes are one WAMP network for pub/sub. Left
//! out, the router is one process (capstan's in-process broker).

use std::fmt;

use super::error::ConfigError;
use super::file;

/// The broker a router publishes through (`"broker": {"redis": URL}` or
/// `{"nats": URL}` in the config file; `--redis URL` or `--nats URL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokerConfig {
    /// Redis (7 or later) at this URL, `redis://[user:password@]host:port[/db]`.
    Redis(String),
    /// NATS at this URL, `nats://host:port` (several, comma-separated, for
    /// a cluster).
    Nats(String),
}

impl BrokerConfig {
    /// `redis` or `nats`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Redis(_) => "redis",
            Self::Nats(_) => "nats",
        }
    }

    /// The URL as given (passwords included).
    pub fn url(&self) -> &str {
        match self {
            Self::Redis(url) | Self::Nats(url) => url,
        }
    }

    /// The URL with any `user:password@` hidden, to print or log.
    pub fn shown_url(&self) -> String {
        self.url().split(',').map(hide_credentials).collect::<Vec<_>>().join(",")
    }

    /// The file's `broker`: exactly one of `redis` and `nats`, not empty.
    pub(crate) fn from_file(broker: file::Broker) -> Result<Self, ConfigError> {
        let broker = match (broker.redis, broker.nats) {
            (Some(_), Some(_)) => return Err(ConfigError::TwoBrokers),
            (None, None) => return Err(ConfigError::NoBroker),
            (Some(url), None) => Self::Redis(url),
            (None, Some(url)) => Self::Nats(url),
        };
        if broker.url().trim().is_empty() {
            return Err(ConfigError::EmptyBrokerUrl { broker: broker.kind() });
        }
        Ok(broker)
    }
}

impl fmt::Display for BrokerConfig {
    /// `redis at redis://host:6379`, credentials hidden.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.kind(), self.shown_url())
    }
}

/// `scheme://user:password@host…` → `scheme://***@host…`; anything else
/// as it is.
fn hide_credentials(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_hidden_when_shown() {
        let redis = BrokerConfig::Redis("redis://user:secret@db:6379/2".into());
        assert_eq!(redis.to_string(), "redis at redis://***@db:6379/2");
        assert_eq!(redis.url(), "redis://user:secret@db:6379/2");
        let nats = BrokerConfig::Nats("nats://a:4222,nats://token@b:4222".into());
        assert_eq!(nats.to_string(), "nats at nats://a:4222,nats://***@b:4222");
        let bare = BrokerConfig::Redis("redis://127.0.0.1:6379".into());
        assert_eq!(bare.shown_url(), "redis://127.0.0.1:6379");
    }
}
