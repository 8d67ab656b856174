//! What the layers above call to count. With the `metrics` feature off,
//! each of these is empty and compiles to nothing.

#[cfg(feature = "metrics")]
use super::fields::*;
#[cfg(feature = "metrics")]
use super::{SHARDS, STATUSES};

use super::close_kind::CloseKind;

/// A TCP connection was accepted (`tls`: on a TLS listener).
#[inline]
pub(crate) fn accepted(tls: bool) {
    #[cfg(feature = "metrics")]
    SHARDS.local().add(if tls { ACCEPTED_TLS } else { ACCEPTED_PLAIN }, 1);
    #[cfg(not(feature = "metrics"))]
    let _ = tls;
}

/// A request was answered with an HTTP error `status` and closed.
#[inline]
pub(crate) fn rejected(status: u16) {
    #[cfg(feature = "metrics")]
    STATUSES.record(status);
    #[cfg(not(feature = "metrics"))]
    let _ = status;
}

/// A WebSocket connection opened (its handshake was answered).
#[inline]
pub(crate) fn opened() {
    #[cfg(feature = "metrics")]
    SHARDS.local().add(OPEN, 1);
}

/// A WebSocket connection ended, for `kind`.
#[inline]
pub(crate) fn closed(kind: CloseKind) {
    #[cfg(feature = "metrics")]
    {
        let slot = SHARDS.local();
        slot.add(OPEN, 1u64.wrapping_neg());
        slot.add(super::fields::closed(kind), 1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = kind;
}

/// A data message of `bytes` payload bytes arrived.
#[inline]
pub(crate) fn message_in(bytes: usize) {
    #[cfg(feature = "metrics")]
    {
        let slot = SHARDS.local();
        slot.add(MESSAGES_IN, 1);
        slot.add(BYTES_IN, bytes as u64);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = bytes;
}

/// A data message of `bytes` payload bytes was taken for sending.
#[inline]
pub(crate) fn message_out(bytes: usize) {
    #[cfg(feature = "metrics")]
    {
        let slot = SHARDS.local();
        slot.add(MESSAGES_OUT, 1);
        slot.add(BYTES_OUT, bytes as u64);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = bytes;
}

/// A publish reached `subscribers` connections (counted once per publish).
#[inline]
pub(crate) fn delivered(subscribers: usize) {
    #[cfg(feature = "metrics")]
    if subscribers > 0 {
        SHARDS.local().add(DELIVERIES, subscribers as u64);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = subscribers;
}

/// `bytes` entered an outbound queue.
#[inline]
pub(crate) fn queued(bytes: usize) {
    #[cfg(feature = "metrics")]
    SHARDS.local().add(QUEUED_BYTES, bytes as u64);
    #[cfg(not(feature = "metrics"))]
    let _ = bytes;
}

/// `bytes` left an outbound queue (written, dropped, or its connection
/// gone).
#[inline]
pub(crate) fn unqueued(bytes: usize) {
    #[cfg(feature = "metrics")]
    SHARDS.local().add(QUEUED_BYTES, (bytes as u64).wrapping_neg());
    #[cfg(not(feature = "metrics"))]
    let _ = bytes;
}

/// A connection's queue passed its bound: it is closed as a slow consumer.
#[inline]
pub(crate) fn slow_consumer() {
    #[cfg(feature = "metrics")]
    SHARDS.local().add(SLOW_CONSUMER_CLOSES, 1);
}

/// A topic came to be (`1`) or went (`-1`).
#[inline]
pub(crate) fn topics(change: i64) {
    #[cfg(feature = "metrics")]
    SHARDS.local().add(TOPICS, change as u64);
    #[cfg(not(feature = "metrics"))]
    let _ = change;
}

/// Subscriptions were added (positive) or removed (negative).
#[inline]
pub(crate) fn subscriptions(change: i64) {
    #[cfg(feature = "metrics")]
    SHARDS.local().add(SUBSCRIPTIONS, change as u64);
    #[cfg(not(feature = "metrics"))]
    let _ = change;
}
