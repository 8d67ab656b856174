//! Where IDs come from: global-scope IDs (sessions, publications) drawn at
//! random over 1..=2^53, as the spec asks, so that they say nothing of how
//! many came before; router-scope IDs (subscriptions, registrations,
//! invocations) counted from 1.

use crate::id::{Id, MAX_ID};

/// A source of IDs.
#[derive(Debug)]
pub struct IdSource {
    /// SplitMix64 state, seeded from the OS.
    random: u64,
    next: u64,
}

impl Default for IdSource {
    fn default() -> Self {
        Self::new()
    }
}

impl IdSource {
    /// A source seeded from the OS's random source.
    pub fn new() -> Self {
        let mut seed = [0u8; 8];
        // Without an OS source, the time still makes IDs differ per run.
        if getrandom::fill(&mut seed).is_err() {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            seed = nanos.to_le_bytes();
        }
        Self { random: u64::from_le_bytes(seed), next: 0 }
    }

    /// A global-scope ID: uniform over 1..=2^53.
    pub fn random(&mut self) -> Id {
        // SplitMix64: one step, then the top 53 bits, plus one.
        self.random = self.random.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.random;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Id::new((z >> 11) + 1).expect("53 bits plus one is an ID")
    }

    /// A router-scope ID: the next one.
    pub fn next(&mut self) -> Id {
        self.next = if self.next >= MAX_ID { 1 } else { self.next + 1 };
        Id::new(self.next).expect("within 1..=2^53")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_differ_and_counted_ones_count() {
        let mut ids = IdSource::new();
        let drawn: std::collections::HashSet<Id> = (0..10_000).map(|_| ids.random()).collect();
        assert_eq!(drawn.len(), 10_000);
        assert_eq!((ids.next().get(), ids.next().get()), (1, 2));
    }
}
