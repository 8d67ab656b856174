//! Why a NATS broker could not be made.

use std::fmt;

/// Why [`NatsBroker::connect`](crate::NatsBroker::connect) failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum NatsError {
    /// The subject prefix is not tokens separated by single dots (empty
    /// token, wildcard, whitespace).
    InvalidPrefix(String),
    /// The URL (or one of the comma-separated URLs) is not a server address.
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// `connect` was not called inside a tokio runtime.
    NoRuntime,
    /// The NATS server could not be reached or refused the connection.
    Connect {
        /// The URL tried.
        url: String,
        /// What the client said.
        source: async_nats::ConnectError,
    },
}

impl fmt::Display for NatsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidPrefix(prefix) => write!(
                f,
                "invalid NATS subject prefix {prefix:?}: tokens separated by single dots, \
                 without wildcards or whitespace"
            ),
            Self::InvalidUrl { url, why } => write!(f, "invalid NATS URL {url:?}: {why}"),
            Self::NoRuntime => f.write_str("the NATS broker needs a tokio runtime"),
            Self::Connect { url, source } => write!(f, "cannot connect to NATS at {url}: {source}"),
        }
    }
}

impl std::error::Error for NatsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Connect { source, .. } => Some(source),
            _ => None,
        }
    }
}
