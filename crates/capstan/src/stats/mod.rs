//! Process-wide counters and gauges of the server: connections accepted,
//! open and closed (by cause), handshake rejections (by status), messages
//! and bytes in and out, pub/sub deliveries, queued bytes, slow consumers,
//! topics and subscriptions. [`snapshot`] reads them all; capstan-api
//! renders them for Prometheus.
//!
//! Cheap on the hot path: each thread counts in a slot of its own (see
//! `shards`), and a read sums the slots. With capstan's `metrics` feature
//! off (it is on by default), nothing is counted and every number reads 0.

// Without the `metrics` feature, the counting parts stand unused.
#![cfg_attr(not(feature = "metrics"), allow(dead_code))]

mod close_kind;
mod fields;
mod record;
mod shards;
mod snapshot;
mod statuses;

pub use close_kind::CloseKind;
pub(crate) use record::*;
pub use snapshot::{ByCause, ByStatus, Snapshot};

/// Whether counting is compiled in (capstan's `metrics` feature).
pub const ENABLED: bool = cfg!(feature = "metrics");

/// The counters of the whole process.
static SHARDS: shards::Shards = shards::Shards::new();

/// Rejections by status, for the whole process.
static STATUSES: statuses::Statuses = statuses::Statuses::new();

/// Every counter and gauge of the process, now. Each number is read on
/// its own (no lock stops the counting), so two of them may be a few
/// events apart.
pub fn snapshot() -> Snapshot {
    use fields::*;
    let shards = &SHARDS;
    Snapshot {
        enabled: ENABLED,
        accepted_plain: shards.sum(ACCEPTED_PLAIN),
        accepted_tls: shards.sum(ACCEPTED_TLS),
        open: shards.gauge(OPEN),
        closed: ByCause::from_fn(|kind| shards.sum(fields::closed(kind))),
        rejected: ByStatus::new(STATUSES.counted()),
        messages_in: shards.sum(MESSAGES_IN),
        bytes_in: shards.sum(BYTES_IN),
        messages_out: shards.sum(MESSAGES_OUT),
        bytes_out: shards.sum(BYTES_OUT),
        deliveries: shards.sum(DELIVERIES),
        queued_bytes: shards.gauge(QUEUED_BYTES),
        slow_consumer_closes: shards.sum(SLOW_CONSUMER_CLOSES),
        topics: shards.gauge(TOPICS),
        subscriptions: shards.gauge(SUBSCRIPTIONS),
    }
}

#[cfg(all(test, feature = "metrics"))]
mod tests {
    use super::*;

    #[test]
    fn what_is_recorded_shows_in_the_snapshot() {
        let before = snapshot();
        accepted(true);
        rejected(431);
        message_in(10);
        message_out(7);
        opened();
        closed(CloseKind::RateLimited);
        let after = snapshot();
        assert!(after.enabled);
        assert!(after.accepted_tls > before.accepted_tls);
        assert!(after.rejected.get(431) > before.rejected.get(431));
        assert!(after.bytes_in >= before.bytes_in + 10);
        assert!(after.bytes_out >= before.bytes_out + 7);
        let limited = CloseKind::RateLimited;
        assert!(after.closed.get(limited) > before.closed.get(limited));
    }
}
