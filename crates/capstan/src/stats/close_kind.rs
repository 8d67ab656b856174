//! Why connections ended, as the counters tell them apart.

/// Why a connection ended, as counted: one per
/// [`CloseCause`](crate::CloseCause) (the two timeouts apart), with the
/// label a metric gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseKind {
    /// The peer sent a close frame.
    PeerClosed,
    /// The application closed it.
    ClosedByServer,
    /// No answer to a keepalive ping.
    KeepaliveTimeout,
    /// Nothing received within the idle timeout.
    IdleTimeout,
    /// The peer broke RFC 6455.
    ProtocolError,
    /// The server shut down.
    ServerShutdown,
    /// Its outbound queue passed its bound.
    SlowConsumer,
    /// It passed the message rate limit.
    RateLimited,
    /// The TCP connection ended without a close handshake.
    ConnectionLost,
}

impl CloseKind {
    /// Every kind, in the order of their numbers.
    pub const ALL: [CloseKind; 9] = [
        Self::PeerClosed,
        Self::ClosedByServer,
        Self::KeepaliveTimeout,
        Self::IdleTimeout,
        Self::ProtocolError,
        Self::ServerShutdown,
        Self::SlowConsumer,
        Self::RateLimited,
        Self::ConnectionLost,
    ];

    /// Its label: snake case (`peer_closed`, `slow_consumer`, …).
    pub fn label(self) -> &'static str {
        match self {
            Self::PeerClosed => "peer_closed",
            Self::ClosedByServer => "closed_by_server",
            Self::KeepaliveTimeout => "keepalive_timeout",
            Self::IdleTimeout => "idle_timeout",
            Self::ProtocolError => "protocol_error",
            Self::ServerShutdown => "server_shutdown",
            Self::SlowConsumer => "slow_consumer",
            Self::RateLimited => "rate_limited",
            Self::ConnectionLost => "connection_lost",
        }
    }

    /// Its place in [`CloseKind::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod tests {
    use super::CloseKind;

    #[test]
    fn all_lists_each_kind_at_its_index_with_its_own_label() {
        for (index, kind) in CloseKind::ALL.into_iter().enumerate() {
            assert_eq!(kind.index(), index);
        }
        let mut labels: Vec<&str> = CloseKind::ALL.iter().map(|k| k.label()).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), CloseKind::ALL.len());
    }
}
