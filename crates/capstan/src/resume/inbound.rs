//! The client's data messages counted: on a WebSocket the k-th one is
//! simply the next number; where numbers are named (the fallback
//! transports' POST batches), one already received is a duplicate to drop
//! and one beyond the next expected is a gap to refuse.

use std::fmt;
use std::ops::Range;

/// A named number that cannot be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gap {
    /// Numbers follow each other: `number` came when `expected` was next.
    Skipped {
        /// The next number expected.
        expected: u64,
        /// The number that came.
        number: u64,
    },
    /// Numbers start at 1.
    Zero,
}

impl fmt::Display for Gap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Skipped { expected, number } => {
                write!(f, "gap: message {number} came when {expected} was next")
            }
            Self::Zero => f.write_str("gap: data messages are numbered from 1"),
        }
    }
}

/// What a named number was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// New: deliver it.
    Fresh(u64),
    /// Already received: drop it.
    Duplicate(u64),
}

/// The client's data messages received.
#[derive(Debug, Default)]
pub struct Inbound {
    received: u64,
}

impl Inbound {
    /// Nothing received yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many were received (the last one's number).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The next message on an ordered transport (WebSocket): its number.
    pub fn take_next(&mut self) -> u64 {
        self.received += 1;
        self.received
    }

    /// A message named `number`.
    pub fn receive(&mut self, number: u64) -> Result<Received, Gap> {
        let range = self.receive_batch(number, 1)?;
        Ok(if range.is_empty() { Received::Duplicate(number) } else { Received::Fresh(number) })
    }

    /// A batch of `count` messages, the first named `first`: the indices
    /// (within the batch) of the new ones, which follow the duplicates.
    pub fn receive_batch(&mut self, first: u64, count: u64) -> Result<Range<u64>, Gap> {
        if first == 0 {
            return Err(Gap::Zero);
        }
        let expected = self.received + 1;
        if first > expected {
            return Err(Gap::Skipped { expected, number: first });
        }
        let skip = (expected - first).min(count);
        self.received = self.received.max(first + count - 1);
        Ok(skip..count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ordered_transport_counts_from_one() {
        let mut inbound = Inbound::new();
        assert_eq!((inbound.take_next(), inbound.take_next()), (1, 2));
        assert_eq!(inbound.received(), 2);
    }

    #[test]
    fn duplicates_are_dropped() {
        let mut inbound = Inbound::new();
        assert_eq!(inbound.receive(1), Ok(Received::Fresh(1)));
        assert_eq!(inbound.receive(1), Ok(Received::Duplicate(1)));
        assert_eq!(inbound.receive(2), Ok(Received::Fresh(2)));
        assert_eq!(inbound.receive(1), Ok(Received::Duplicate(1)));
        assert_eq!(inbound.received(), 2);
    }

    #[test]
    fn gaps_are_refused() {
        let mut inbound = Inbound::new();
        assert_eq!(inbound.receive(2), Err(Gap::Skipped { expected: 1, number: 2 }));
        assert_eq!(inbound.receive(0), Err(Gap::Zero));
        assert_eq!(inbound.received(), 0, "nothing counted");
        inbound.take_next();
        assert_eq!(inbound.receive(3), Err(Gap::Skipped { expected: 2, number: 3 }));
    }

    #[test]
    fn a_batch_overlapping_what_was_received_delivers_the_rest() {
        let mut inbound = Inbound::new();
        assert_eq!(inbound.receive_batch(1, 3), Ok(0..3));
        // A retried POST of 2..=5: 2 and 3 are duplicates.
        assert_eq!(inbound.receive_batch(2, 4), Ok(2..4));
        assert_eq!(inbound.received(), 5);
        // Wholly received already: nothing to deliver.
        assert_eq!(inbound.receive_batch(1, 5), Ok(5..5));
        assert_eq!(inbound.receive_batch(4, 1), Ok(1..1));
        assert_eq!(inbound.received(), 5);
        assert_eq!(inbound.receive_batch(7, 1), Err(Gap::Skipped { expected: 6, number: 7 }));
        assert_eq!(inbound.receive_batch(6, 0), Ok(0..0));
        assert_eq!(inbound.received(), 5, "an empty batch counts nothing");
    }
}
