//! Counters kept per thread: each thread adds to a slot of its own (its
//! own cache lines), so counting on the hot path never contends for a
//! line with another core; a read sums the slots.
//!
//! A thread takes a slot the first time it counts, round robin; past
//! [`SLOTS`] threads, two may share one, which stays correct (the adds are
//! atomic) and only costs that pair some sharing. Gauges are kept the same
//! way: their rises and falls are added in two's complement, so a fall
//! counted on one thread cancels a rise counted on another.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Slots of a set: as many threads as this count without sharing.
pub(crate) const SLOTS: usize = 64;

/// Numbers kept per slot (see `Field`).
pub(crate) const FIELDS: usize = 24;

/// One number of a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field(pub(crate) usize);

/// One thread's numbers, on cache lines of their own (128 bytes: the
/// adjacent-line prefetcher pulls pairs of 64-byte lines).
#[repr(align(128))]
pub(crate) struct Slot([AtomicU64; FIELDS]);

impl Slot {
    const fn new() -> Self {
        Self([const { AtomicU64::new(0) }; FIELDS])
    }

    /// Adds `delta` (wrapping: a gauge's fall is added as its negation).
    #[inline]
    pub(crate) fn add(&self, field: Field, delta: u64) {
        self.0[field.0].fetch_add(delta, Ordering::Relaxed);
    }
}

/// A set of slots, one per thread that counts.
pub(crate) struct Shards {
    slots: [Slot; SLOTS],
}

thread_local! {
    /// This thread's slot number; `usize::MAX` until it first counts.
    static SLOT: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// The next slot number to hand out.
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

/// This thread's slot number, taken on first use.
#[inline]
fn slot_number() -> usize {
    SLOT.with(|slot| {
        let number = slot.get();
        if number != usize::MAX {
            return number;
        }
        let number = NEXT_SLOT.fetch_add(1, Ordering::Relaxed) % SLOTS;
        slot.set(number);
        number
    })
}

impl Shards {
    /// A set with every number at zero.
    pub(crate) const fn new() -> Self {
        Self { slots: [const { Slot::new() }; SLOTS] }
    }

    /// The calling thread's slot.
    #[inline]
    pub(crate) fn local(&self) -> &Slot {
        &self.slots[slot_number()]
    }

    /// A counter's value: the sum over every slot.
    pub(crate) fn sum(&self, field: Field) -> u64 {
        self.slots
            .iter()
            .fold(0u64, |sum, slot| sum.wrapping_add(slot.0[field.0].load(Ordering::Relaxed)))
    }

    /// A gauge's value. Slots are read one after the other, so a fall
    /// counted on a later slot may be seen without the rise before it on
    /// an earlier one: a moment's sum below zero reads as zero.
    pub(crate) fn gauge(&self, field: Field) -> u64 {
        u64::try_from(self.sum(field) as i64).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Field = Field(0);
    const B: Field = Field(FIELDS - 1);

    #[test]
    fn counts_from_many_threads_add_up() {
        let shards = Box::new(Shards::new());
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..1000 {
                        shards.local().add(A, 1);
                        shards.local().add(B, 3);
                    }
                });
            }
        });
        assert_eq!(shards.sum(A), 8000);
        assert_eq!(shards.sum(B), 24_000);
    }

    #[test]
    fn a_gauge_falls_on_another_thread_than_it_rose() {
        let shards = Box::new(Shards::new());
        shards.local().add(A, 10);
        std::thread::scope(|scope| {
            scope.spawn(|| shards.local().add(A, 4u64.wrapping_neg()));
        });
        assert_eq!(shards.gauge(A), 6);
        std::thread::scope(|scope| {
            scope.spawn(|| shards.local().add(A, 20u64.wrapping_neg()));
        });
        assert_eq!(shards.gauge(A), 0, "below zero reads as zero");
    }

    #[test]
    fn threads_take_slots_of_their_own() {
        let first = std::thread::spawn(slot_number).join().unwrap();
        let second = std::thread::spawn(slot_number).join().unwrap();
        assert_ne!(first, second);
        assert_eq!(slot_number(), slot_number(), "a thread keeps its slot");
    }

    #[test]
    fn a_slot_fills_whole_cache_lines() {
        assert_eq!(std::mem::align_of::<Slot>(), 128);
        assert_eq!(std::mem::size_of::<Slot>() % 128, 0);
    }
}
