//! What the counters say at one moment, as plain values.

use super::close_kind::CloseKind;

/// The process's counters and gauges at one moment (see
/// [`snapshot`](super::snapshot)). Counters only grow; gauges (`open`,
/// `queued_bytes`, `topics`, `subscriptions`) rise and fall.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Whether counting was compiled in (capstan's `metrics` feature);
    /// without it every number is 0.
    pub enabled: bool,
    /// TCP connections accepted on plain listeners.
    pub accepted_plain: u64,
    /// TCP connections accepted on TLS listeners (counted before the TLS
    /// handshake).
    pub accepted_tls: u64,
    /// WebSocket connections open now (handshake answered, not yet ended).
    pub open: u64,
    /// WebSocket connections ended, by why.
    pub closed: ByCause,
    /// Requests answered with an HTTP error instead of an upgrade or the
    /// plain-HTTP service (bad head, refused handshake, no route, refused
    /// by a policy or authentication, server full), by status.
    pub rejected: ByStatus,
    /// Data messages received (whole messages, after reassembly).
    pub messages_in: u64,
    /// Their payload bytes (decompressed).
    pub bytes_in: u64,
    /// Data messages taken for sending to a connection (queued, or written
    /// to its socket at once), a publication once per subscriber.
    pub messages_out: u64,
    /// Their payload bytes (before compression, without frame headers).
    pub bytes_out: u64,
    /// Publications taken by a subscriber (each connection a publish or a
    /// fan-out reached), a part of `messages_out`.
    pub deliveries: u64,
    /// Bytes waiting in connections' outbound queues now.
    pub queued_bytes: u64,
    /// Connections whose outbound queue passed its bound, closed as slow
    /// consumers (counted when the close starts).
    pub slow_consumer_closes: u64,
    /// Topics alive now (in a registry, or held by the application).
    pub topics: u64,
    /// Subscriptions of connections to topics now.
    pub subscriptions: u64,
}

/// A count for each [`CloseKind`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ByCause([u64; CloseKind::ALL.len()]);

impl ByCause {
    pub(crate) fn from_fn(count: impl Fn(CloseKind) -> u64) -> Self {
        Self(CloseKind::ALL.map(count))
    }

    /// The count for `kind`.
    pub fn get(&self, kind: CloseKind) -> u64 {
        self.0[kind.index()]
    }

    /// Every kind with its count, in [`CloseKind::ALL`]'s order.
    pub fn iter(&self) -> impl Iterator<Item = (CloseKind, u64)> + '_ {
        CloseKind::ALL.into_iter().zip(self.0.iter().copied())
    }

    /// The sum over every kind.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }
}

/// Counts by HTTP status: only statuses counted at least once, ascending.
/// Statuses outside 100–599 are counted as 0.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ByStatus(Vec<(u16, u64)>);

impl ByStatus {
    pub(crate) fn new(counted: Vec<(u16, u64)>) -> Self {
        Self(counted)
    }

    /// The count for `status` (0 if never counted).
    pub fn get(&self, status: u16) -> u64 {
        self.0.iter().find(|(s, _)| *s == status).map_or(0, |(_, count)| *count)
    }

    /// Each status counted, with its count, ascending.
    pub fn iter(&self) -> impl Iterator<Item = (u16, u64)> + '_ {
        self.0.iter().copied()
    }

    /// The sum over every status.
    pub fn total(&self) -> u64 {
        self.0.iter().map(|(_, count)| count).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakdowns_answer_by_key_and_in_total() {
        let closed = ByCause::from_fn(|kind| (kind.index() as u64) * 2);
        assert_eq!(closed.get(CloseKind::ClosedByServer), 2);
        assert_eq!(closed.iter().nth(3), Some((CloseKind::IdleTimeout, 6)));
        assert_eq!(closed.total(), (0..9u64).map(|i| i * 2).sum::<u64>());
        let rejected = ByStatus::new(vec![(400, 2), (404, 5)]);
        assert_eq!((rejected.get(404), rejected.get(403)), (5, 0));
        assert_eq!(rejected.total(), 7);
    }
}
