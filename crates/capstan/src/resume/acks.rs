//! When to acknowledge the client's data messages: once `ack_every` are
//! unacknowledged, or `ack_delay` after the first of them, whichever comes
//! first. `welcome`'s `rx` acknowledges too.

use std::time::Duration;

use tokio::time::Instant;

/// When acknowledgements are owed: every `every` messages (at least 1),
/// or `delay` after the first not acknowledged (a route's, shared by its
/// sessions: an [`AckClock`] keeps only what is its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckPolicy {
    /// Acknowledge at least every this many messages.
    pub every: u32,
    /// … and at most this long after the first one not acknowledged.
    pub delay: Duration,
}

/// The acknowledgements owed to the client.
#[derive(Debug, Default)]
pub struct AckClock {
    /// The last number acknowledged.
    acked: u64,
    /// When the first message not acknowledged arrived.
    waiting_since: Option<Instant>,
}

impl AckClock {
    /// Nothing received yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A data message arrived at `now`, making `received` in all: the ack
    /// to send at once, if `policy`'s count is reached.
    pub fn received(&mut self, now: Instant, received: u64, policy: &AckPolicy) -> Option<u64> {
        if received - self.acked >= u64::from(policy.every.max(1)) {
            self.acknowledged(received);
            return Some(received);
        }
        self.waiting_since.get_or_insert(now);
        None
    }

    /// `received` were acknowledged (an `ack` or `welcome` went).
    pub fn acknowledged(&mut self, received: u64) {
        self.acked = self.acked.max(received);
        self.waiting_since = None;
    }

    /// When an ack is due under `policy`, if one is owed.
    pub fn deadline(&self, policy: &AckPolicy) -> Option<Instant> {
        self.waiting_since.map(|since| since + policy.delay)
    }

    /// The timer fired at `now`: the ack to send, if it is due.
    pub fn due(&mut self, now: Instant, received: u64, policy: &AckPolicy) -> Option<u64> {
        let deadline = self.deadline(policy)?;
        if now < deadline || received == self.acked {
            return None;
        }
        self.acknowledged(received);
        Some(received)
    }

    /// The last number acknowledged.
    pub fn acked(&self) -> u64 {
        self.acked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn policy(every: u32, delay: Duration) -> AckPolicy {
        AckPolicy { every, delay }
    }

    #[test]
    fn every_nth_message_is_acknowledged_at_once() {
        let (mut clock, t0, p) = (AckClock::new(), Instant::now(), policy(3, 1000 * MS));
        assert_eq!(clock.received(t0, 1, &p), None);
        assert_eq!(clock.received(t0, 2, &p), None);
        assert_eq!(clock.received(t0, 3, &p), Some(3));
        assert_eq!((clock.acked(), clock.deadline(&p)), (3, None));
        assert_eq!(clock.received(t0, 4, &p), None);
        assert_eq!(clock.received(t0, 5, &p), None);
        assert_eq!(clock.received(t0, 6, &p), Some(6));
    }

    #[test]
    fn a_lone_message_is_acknowledged_after_the_delay_from_the_first() {
        let (mut clock, t0, p) = (AckClock::new(), Instant::now(), policy(32, 1000 * MS));
        assert_eq!(clock.deadline(&p), None);
        clock.received(t0, 1, &p);
        clock.received(t0 + 600 * MS, 2, &p);
        assert_eq!(clock.deadline(&p), Some(t0 + 1000 * MS), "from the first, not the last");
        assert_eq!(clock.due(t0 + 999 * MS, 2, &p), None);
        assert_eq!(clock.due(t0 + 1000 * MS, 2, &p), Some(2));
        assert_eq!(clock.deadline(&p), None);
        assert_eq!(clock.due(t0 + 5000 * MS, 2, &p), None, "nothing owed");
    }

    #[test]
    fn a_welcome_acknowledges() {
        let (mut clock, t0, p) = (AckClock::new(), Instant::now(), policy(32, 1000 * MS));
        clock.received(t0, 1, &p);
        clock.acknowledged(1);
        assert_eq!(clock.deadline(&p), None);
        assert_eq!(clock.received(t0, 2, &p), None);
        assert_eq!(clock.deadline(&p), Some(t0 + 1000 * MS));
    }
}
