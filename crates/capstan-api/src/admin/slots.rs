//! The cap on admin connections: a slot is taken at the handshake and
//! given back when the connection (which keeps it in its identity) goes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Up to `max` slots.
pub(crate) struct Slots {
    taken: Arc<AtomicUsize>,
    max: usize,
}

/// One taken slot, given back when dropped.
pub(crate) struct Slot(Arc<AtomicUsize>);

impl Slots {
    /// `max` free slots.
    pub(crate) fn new(max: usize) -> Self {
        Self { taken: Arc::default(), max }
    }

    /// A slot, if one is free.
    pub(crate) fn take(&self) -> Option<Slot> {
        self.taken
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < self.max).then_some(n + 1))
            .ok()
            .map(|_| Slot(self.taken.clone()))
    }

    /// How many are taken.
    #[cfg(test)]
    pub(crate) fn taken(&self) -> usize {
        self.taken.load(Ordering::Acquire)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_max_and_given_back() {
        let slots = Slots::new(2);
        let a = slots.take().unwrap();
        let _b = slots.take().unwrap();
        assert!(slots.take().is_none());
        drop(a);
        assert_eq!(slots.taken(), 1);
        assert!(slots.take().is_some());
    }
}
