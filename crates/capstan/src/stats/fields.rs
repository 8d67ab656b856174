//! Which number of a slot holds what. The ones counted per message come
//! first, on the slot's first cache line.

use super::close_kind::CloseKind;
use super::shards::{FIELDS, Field};

/// Data messages received.
pub(crate) const MESSAGES_IN: Field = Field(0);
/// Their payload bytes.
pub(crate) const BYTES_IN: Field = Field(1);
/// Data messages taken for sending.
pub(crate) const MESSAGES_OUT: Field = Field(2);
/// Their payload bytes.
pub(crate) const BYTES_OUT: Field = Field(3);
/// Bytes in outbound queues (a gauge).
pub(crate) const QUEUED_BYTES: Field = Field(4);
/// Publications taken by a subscriber.
pub(crate) const DELIVERIES: Field = Field(5);
/// Connections accepted on plain TCP listeners.
pub(crate) const ACCEPTED_PLAIN: Field = Field(6);
/// Connections accepted on TLS listeners.
pub(crate) const ACCEPTED_TLS: Field = Field(7);
/// WebSocket connections open (a gauge).
pub(crate) const OPEN: Field = Field(8);
/// Connections closed as slow consumers.
pub(crate) const SLOW_CONSUMER_CLOSES: Field = Field(9);
/// Topics alive (a gauge).
pub(crate) const TOPICS: Field = Field(10);
/// Connections subscribed to topics, counted once per topic (a gauge).
pub(crate) const SUBSCRIPTIONS: Field = Field(11);
/// The first of the closes by cause, one per [`CloseKind`].
const CLOSED_FIRST: usize = 12;

/// The count of connections closed for `kind`.
pub(crate) fn closed(kind: CloseKind) -> Field {
    Field(CLOSED_FIRST + kind.index())
}

// Every field fits in a slot.
const _: () = assert!(CLOSED_FIRST + CloseKind::ALL.len() <= FIELDS);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_fields_share_a_number() {
        let mut all = vec![
            MESSAGES_IN,
            BYTES_IN,
            MESSAGES_OUT,
            BYTES_OUT,
            QUEUED_BYTES,
            DELIVERIES,
            ACCEPTED_PLAIN,
            ACCEPTED_TLS,
            OPEN,
            SLOW_CONSUMER_CLOSES,
            TOPICS,
            SUBSCRIPTIONS,
        ];
        all.extend(CloseKind::ALL.map(closed));
        let mut numbers: Vec<usize> = all.iter().map(|f| f.0).collect();
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!(numbers.len(), all.len());
        assert!(numbers.iter().all(|&n| n < FIELDS));
    }
}
