//! Idempotent publishes: the first reply to each channel's key, kept for a
//! bounded window and count, so that a retried publish is made once and
//! gets the first one's reply — with or without history, concurrent
//! retries included (they wait for the first).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

use crate::reply::PublishReply;

/// The first reply to a key, once it is known.
pub(super) type Slot = Arc<OnceCell<PublishReply>>;

/// The keys seen lately, by channel.
pub(super) struct Idempotency {
    window: Duration,
    max_keys: usize,
    state: Mutex<State>,
}

/// A channel and a key.
type Name = (String, String);

#[derive(Default)]
struct State {
    /// By name: the slot and the number of its order record.
    slots: HashMap<Name, (u64, Slot)>,
    /// The keys in the order they came (number, when, name), to forget
    /// the oldest first.
    order: VecDeque<(u64, Instant, Name)>,
    /// The number of the next order record.
    next: u64,
}

impl Idempotency {
    /// Keys kept `window` long, at most `max_keys` of them (the oldest
    /// forgotten first).
    pub(super) fn new(window: Duration, max_keys: usize) -> Self {
        Self { window, max_keys: max_keys.max(1), state: Mutex::default() }
    }

    /// The slot of `key` on `channel` at `now`: the one a publish with
    /// this key made within the window, or a new one.
    pub(super) fn slot(&self, channel: &str, key: &str, now: Instant) -> Slot {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let State { slots, order, next } = &mut *state;
        let expired = |at: &Instant| now.saturating_duration_since(*at) >= self.window;
        while order.front().is_some_and(|(_, at, _)| expired(at)) {
            forget_oldest(slots, order);
        }
        let name = (channel.to_owned(), key.to_owned());
        if let Some((_, slot)) = slots.get(&name) {
            return slot.clone();
        }
        while slots.len() >= self.max_keys && !order.is_empty() {
            forget_oldest(slots, order);
        }
        let slot = Slot::default();
        *next += 1;
        slots.insert(name.clone(), (*next, slot.clone()));
        order.push_back((*next, now, name));
        slot
    }
}

/// Forgets the oldest key (if the slot is still the one its order record
/// stands for).
fn forget_oldest(
    slots: &mut HashMap<Name, (u64, Slot)>,
    order: &mut VecDeque<(u64, Instant, Name)>,
) {
    if let Some((number, _, name)) = order.pop_front()
        && slots.get(&name).is_some_and(|(made, _)| *made == number)
    {
        slots.remove(&name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_key_on_the_same_channel_shares_a_slot_within_the_window() {
        let keys = Idempotency::new(Duration::from_secs(60), 10);
        let start = Instant::now();
        let first = keys.slot("news", "k", start);
        assert!(Arc::ptr_eq(&first, &keys.slot("news", "k", start + Duration::from_secs(59))));
        assert!(!Arc::ptr_eq(&first, &keys.slot("sport", "k", start)), "keys act per channel");
        let later = keys.slot("news", "k", start + Duration::from_secs(61));
        assert!(!Arc::ptr_eq(&first, &later), "past the window the key is forgotten");
    }

    #[test]
    fn the_oldest_key_is_forgotten_past_the_count() {
        let keys = Idempotency::new(Duration::from_secs(60), 2);
        let now = Instant::now();
        let a = keys.slot("c", "a", now);
        let b = keys.slot("c", "b", now);
        let _c = keys.slot("c", "c", now);
        assert!(Arc::ptr_eq(&b, &keys.slot("c", "b", now)));
        assert!(!Arc::ptr_eq(&a, &keys.slot("c", "a", now)), "a was the oldest of three");
    }
}
