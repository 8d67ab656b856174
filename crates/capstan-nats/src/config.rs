//! Where the NATS server is, and how the broker uses it.

use std::time::Duration;

use crate::subject::encode_topic;

/// How a [`NatsBroker`](crate::NatsBroker) reaches NATS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatsConfig {
    /// The server to connect to (`nats://host:4222`; several, comma
    /// separated, for a cluster).
    pub url: String,
    /// The first tokens of every subject the broker uses: topic `t` is
    /// published on `<prefix>.t.<encoded t>` (see [`NatsConfig::subject`]).
    /// Deployments sharing a NATS server keep apart by prefix.
    pub prefix: String,
    /// How long the broker waits for NATS: to connect, to confirm a
    /// subscription ([`Broker::ready`]), to take and flush a publication.
    ///
    /// [`Broker::ready`]: capstan::pubsub::Broker::ready
    pub timeout: Duration,
    /// Most publications waiting to be handed to NATS; past it a publish
    /// is answered [`BrokerError::Unavailable`] at once.
    ///
    /// [`BrokerError::Unavailable`]: capstan::pubsub::BrokerError::Unavailable
    pub max_pending: usize,
}

impl Default for NatsConfig {
    fn default() -> Self {
        Self {
            url: "nats://127.0.0.1:4222".to_owned(),
            prefix: "capstan".to_owned(),
            timeout: Duration::from_secs(1),
            max_pending: 8192,
        }
    }
}

impl NatsConfig {
    /// The defaults, with the server at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), ..Self::default() }
    }

    /// With `prefix` before every subject.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// With `timeout` for every wait on NATS.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The subject `topic`'s publications travel on:
    /// `<prefix>.t.<encoded topic>` (see [`encode_topic`]).
    pub fn subject(&self, topic: &str) -> String {
        format!("{}.t.{}", self.prefix, encode_topic(topic))
    }

    /// The subject this node's round trips go to (nobody listens there:
    /// the server's "no responders" is the answer).
    pub(crate) fn probe_subject(&self, node: &str) -> String {
        format!("{}.probe.{node}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_subjects() {
        let config = NatsConfig::new("nats://n:4222");
        assert_eq!(config.url, "nats://n:4222");
        assert_eq!(config.prefix, "capstan");
        assert_eq!(config.timeout, Duration::from_secs(1));
        assert_eq!(config.subject("room.1"), "capstan.t.room%2E1");
        assert_eq!(config.with_prefix("app.ws").subject(""), "app.ws.t.%");
    }
}
