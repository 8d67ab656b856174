//! The order of publishes across topics, and the topics that hold
//! publishes not yet handed to their subscribers.
//!
//! A topic hands its publishes over in batches, after the publisher's
//! turn (`pubsub::batch`): under a flood, every subscriber then gets what
//! piled up in one write instead of one queue push per message. A
//! connection keeps its order all the same: every publish is numbered from
//! one counter of the process, and before anything else is queued for a
//! connection (a direct send, a close, another topic's batch), what its
//! topics hold for it with a smaller number is handed over first
//! (`Conn::catch_up`).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// The number of the last publish.
static LAST: AtomicU64 = AtomicU64::new(0);

/// Topics holding publishes not yet handed over.
static HOLDING: AtomicUsize = AtomicUsize::new(0);

/// Numbers a publish: greater than every number given before. A topic
/// takes it under the lock it appends the publish under, so that whoever
/// reads [`last`] and then takes that lock finds the publish there.
pub(crate) fn next() -> u64 {
    LAST.fetch_add(1, Ordering::SeqCst) + 1
}

/// The number of the last publish.
pub(crate) fn last() -> u64 {
    LAST.load(Ordering::SeqCst)
}

/// A topic began to hold publishes.
pub(crate) fn holding() {
    HOLDING.fetch_add(1, Ordering::SeqCst);
}

/// A topic has handed everything over.
pub(crate) fn released() {
    HOLDING.fetch_sub(1, Ordering::SeqCst);
}

/// How many topics hold publishes not yet handed over.
pub(crate) fn topics_holding() -> usize {
    HOLDING.load(Ordering::SeqCst)
}
