//! The `exclude` lists of this node's kept publications, held until each
//! publication comes back over pub/sub (then it is delivered without
//! them). Bounded in number and in age: a publication that never comes
//! back (Redis failed, this node unsubscribed) does not hold its list
//! forever.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use capstan::ConnId;

/// Most lists held; past it the oldest go.
const MOST: usize = 65_536;

/// The longest a list is held.
const LONGEST: Duration = Duration::from_secs(60);

/// The `exclude` lists of publications on their way, by publication
/// number (lists of [`ConnId`]s; of anything, in tests).
#[derive(Debug)]
pub(crate) struct Exclusions<T = ConnId> {
    waiting: Mutex<BTreeMap<u64, (Instant, Vec<T>)>>,
}

impl<T> Default for Exclusions<T> {
    fn default() -> Self {
        Self { waiting: Mutex::default() }
    }
}

impl<T: Clone> Exclusions<T> {
    /// Holds `exclude` for publication `number` (numbers only grow).
    pub(crate) fn hold(&self, number: u64, exclude: &[T]) {
        self.hold_at(number, exclude, Instant::now());
    }

    fn hold_at(&self, number: u64, exclude: &[T], now: Instant) {
        if exclude.is_empty() {
            return;
        }
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        while let Some((_, (at, _))) = waiting.first_key_value() {
            if waiting.len() < MOST && now.saturating_duration_since(*at) < LONGEST {
                break;
            }
            waiting.pop_first();
        }
        waiting.insert(number, (now, exclude.to_vec()));
    }

    /// The list of publication `number`, forgotten (empty if none).
    pub(crate) fn take(&self, number: u64) -> Vec<T> {
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        waiting.remove(&number).map(|(_, exclude)| exclude).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn len(exclusions: &Exclusions<u32>) -> usize {
        exclusions.waiting.lock().unwrap().len()
    }

    #[test]
    fn a_list_is_taken_once() {
        let exclusions = Exclusions::default();
        exclusions.hold(1, &[]);
        assert_eq!(len(&exclusions), 0, "an empty list is not held");
        exclusions.hold(2, &[7, 8]);
        assert_eq!(exclusions.take(2), [7, 8]);
        assert_eq!(exclusions.take(2), Vec::<u32>::new());
    }

    #[test]
    fn the_oldest_go_past_the_bound_in_number_and_in_age() {
        let exclusions = Exclusions::default();
        let start = Instant::now();
        for number in 0..(MOST as u64 + 10) {
            exclusions.hold_at(number, &[1], start);
        }
        assert_eq!(len(&exclusions), MOST);
        assert!(exclusions.take(9).is_empty(), "the oldest went");
        assert_eq!(exclusions.take(10), [1]);
        exclusions.hold_at(u64::MAX, &[2], start + LONGEST);
        assert_eq!(len(&exclusions), 1, "every list older than the bound went");
    }
}
