//! When to acknowledge the client's data messages: once `ack_every` are
//! unacknowledged, or `ack_delay` after the first of them, whichever comes
//! first. `welcome`'s `rx` acknowledges too.

use std::time::Duration;

use tokio::time::Instant;

/// The acknowledgements owed to the client.
#[derive(Debug)]
pub struct AckClock {
    every: u64,
    delay: Duration,
    /// The last number acknowledged.
    acked: u64,
    /// When the first message not acknowledged arrived.
    waiting_since: Option<Instant>,
}

impl AckClock {
    /// Acknowledging every `every` messages (at least 1) or `delay` after
    /// the first not acknowledged.
    pub fn new(every: u32, delay: Duration) -> Self {
        Self { every: u64::from(every.max(1)), delay, acked: 0, waiting_since: None }
    }

    /// A data message arrived at `now`, making `received` in all: the ack
    /// to send at once, if the count is reached.
    pub fn received(&mut self, now: Instant, received: u64) -> Option<u64> {
        if received - self.acked >= self.every {
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

    /// When an ack is due, if one is owed.
    pub fn deadline(&self) -> Option<Instant> {
        self.waiting_since.map(|since| since + self.delay)
    }

    /// The timer fired at `now`: the ack to send, if it is due.
    pub fn due(&mut self, now: Instant, received: u64) -> Option<u64> {
        let deadline = self.deadline()?;
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

    #[test]
    fn every_nth_message_is_acknowledged_at_once() {
        let (mut clock, t0) = (AckClock::new(3, 1000 * MS), Instant::now());
        assert_eq!(clock.received(t0, 1), None);
        assert_eq!(clock.received(t0, 2), None);
        assert_eq!(clock.received(t0, 3), Some(3));
        assert_eq!((clock.acked(), clock.deadline()), (3, None));
        assert_eq!(clock.received(t0, 4), None);
        assert_eq!(clock.received(t0, 5), None);
        assert_eq!(clock.received(t0, 6), Some(6));
    }

    #[test]
    fn a_lone_message_is_acknowledged_after_the_delay_from_the_first() {
        let (mut clock, t0) = (AckClock::new(32, 1000 * MS), Instant::now());
        assert_eq!(clock.deadline(), None);
        clock.received(t0, 1);
        clock.received(t0 + 600 * MS, 2);
        assert_eq!(clock.deadline(), Some(t0 + 1000 * MS), "from the first, not the last");
        assert_eq!(clock.due(t0 + 999 * MS, 2), None);
        assert_eq!(clock.due(t0 + 1000 * MS, 2), Some(2));
        assert_eq!(clock.deadline(), None);
        assert_eq!(clock.due(t0 + 5000 * MS, 2), None, "nothing owed");
    }

    #[test]
    fn a_welcome_acknowledges() {
        let (mut clock, t0) = (AckClock::new(32, 1000 * MS), Instant::now());
        clock.received(t0, 1);
        clock.acknowledged(1);
        assert_eq!(clock.deadline(), None);
        assert_eq!(clock.received(t0, 2), None);
        assert_eq!(clock.deadline(), Some(t0 + 1000 * MS));
    }
}
