//! A topic's publishes, held from the publish until its flush hands them
//! to the subscribers, in batches (`flush`). Under a flood, a batch holds
//! every publish since the last flush, and each subscriber gets it in one
//! write: one touch of each subscriber per batch instead of one queue push
//! per message, as uWebSockets drains its topics once per loop.
//!
//! Every publish is numbered in the process's order (`conn::handover`):
//! a connection that is about to be sent something else first takes what
//! its topics hold for it ([`Batcher::held_for`]), so that it receives
//! everything in the order it was published and sent.

use std::sync::{Arc, Mutex, MutexGuard};

use bytes::{Bytes, BytesMut};

use crate::conn::ConnId;
use crate::conn::handover;
use crate::ws::PreparedMessage;

/// One held publish.
#[derive(Debug)]
pub(crate) struct Entry {
    /// Its number in the process's order of publishes.
    pub number: u64,
    pub message: PreparedMessage,
    /// The connections it skips, sorted.
    exclude: Box<[ConnId]>,
}

impl Entry {
    /// Whether it skips the connection `id`.
    pub fn excludes(&self, id: ConnId) -> bool {
        self.exclude.binary_search(&id).is_ok()
    }
}

/// Publishes closed for handing over, oldest first.
#[derive(Debug)]
pub(crate) struct Batch {
    entries: Vec<Entry>,
    /// Every entry's frame, joined: what a subscriber that takes them all
    /// is written in one go.
    whole: Bytes,
    /// Whether some entry skips some connection.
    excludes_any: bool,
}

impl Batch {
    fn new(entries: Vec<Entry>) -> Self {
        let whole = match entries.as_slice() {
            [one] => one.message.frame().clone(),
            many => {
                let len = many.iter().map(|e| e.message.frame().len()).sum();
                let mut whole = BytesMut::with_capacity(len);
                for entry in many {
                    whole.extend_from_slice(entry.message.frame());
                }
                whole.freeze()
            }
        };
        let excludes_any = entries.iter().any(|e| !e.exclude.is_empty());
        Self { entries, whole, excludes_any }
    }

    /// The number of its first publish.
    pub fn first(&self) -> u64 {
        self.entries.first().map_or(0, |e| e.number)
    }

    /// The number of its last publish.
    pub fn last(&self) -> u64 {
        self.entries.last().map_or(0, |e| e.number)
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Every entry's frame, joined.
    pub fn whole(&self) -> &Bytes {
        &self.whole
    }

    /// Whether some entry skips some connection.
    pub fn excludes_any(&self) -> bool {
        self.excludes_any
    }
}

#[derive(Debug, Default)]
struct State {
    /// Held since the last batch was closed.
    open: Vec<Entry>,
    /// The batch being handed over.
    flushing: Option<Arc<Batch>>,
    /// Whether a flush is on its way (from the first publish held until
    /// nothing is held).
    scheduled: bool,
}

/// What a topic holds for its subscribers.
#[derive(Debug, Default)]
pub(crate) struct Batcher(Mutex<State>);

impl Batcher {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Holds `message`, skipping `exclude`. True if no flush was on its
    /// way: the caller schedules one.
    pub fn hold(&self, message: &PreparedMessage, exclude: Box<[ConnId]>) -> bool {
        let mut state = self.lock();
        // Numbered under the lock: in this topic's order.
        let number = handover::next();
        state.open.push(Entry { number, message: message.clone(), exclude });
        if state.scheduled {
            return false;
        }
        state.scheduled = true;
        handover::holding();
        true
    }

    /// Closes what is held into a batch to hand over, if anything is.
    pub fn close(&self) -> Option<Arc<Batch>> {
        let mut state = self.lock();
        if state.open.is_empty() {
            return None;
        }
        let batch = Arc::new(Batch::new(std::mem::take(&mut state.open)));
        state.flushing = Some(batch.clone());
        Some(batch)
    }

    /// The closed batch is handed over. True if more was held meanwhile
    /// (the flush goes on); false if the flush ends.
    pub fn handed_over(&self) -> bool {
        let mut state = self.lock();
        state.flushing = None;
        if !state.open.is_empty() {
            return true;
        }
        if state.scheduled {
            state.scheduled = false;
            handover::released();
        }
        false
    }

    /// Adds to `out` what is held for the connection `id`, numbered after
    /// `after` and up to `upto`.
    pub fn held_for(
        &self,
        id: ConnId,
        after: u64,
        upto: u64,
        out: &mut Vec<(u64, PreparedMessage)>,
    ) {
        let state = self.lock();
        let flushing = state.flushing.iter().flat_map(|batch| batch.entries.iter());
        for entry in flushing.chain(state.open.iter()) {
            if entry.number > after && entry.number <= upto && !entry.excludes(id) {
                out.push((entry.number, entry.message.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(raw: &[u64]) -> Box<[ConnId]> {
        let mut ids: Vec<ConnId> = raw.iter().map(|&n| ConnId::from_raw(n)).collect();
        ids.sort_unstable();
        ids.into()
    }

    #[test]
    fn a_batch_joins_its_frames_and_numbers_its_publishes_in_order() {
        let batcher = Batcher::default();
        assert!(batcher.hold(&PreparedMessage::new("a"), ids(&[])), "the first schedules");
        assert!(!batcher.hold(&PreparedMessage::new("bc"), ids(&[7])), "then it is on its way");
        let batch = batcher.close().unwrap();
        assert_eq!(&batch.whole()[..], b"\x81\x01a\x81\x02bc");
        assert!(batch.first() < batch.last());
        assert!(batch.excludes_any());
        assert!(batch.entries()[1].excludes(ConnId::from_raw(7)));
        assert!(!batch.entries()[0].excludes(ConnId::from_raw(7)));
        assert!(batcher.close().is_none(), "nothing more held");
        assert!(!batcher.handed_over(), "the flush ends");
        assert!(batcher.hold(&PreparedMessage::new("d"), ids(&[])), "a new flush");
        drain(&batcher);
    }

    /// Hands everything over, as a flush does (the process's count of
    /// topics holding publishes comes back down).
    fn drain(batcher: &Batcher) {
        while batcher.close().is_some() || batcher.handed_over() {}
    }

    #[test]
    fn what_is_held_for_a_connection_skips_what_excludes_it_and_what_is_out_of_range() {
        let batcher = Batcher::default();
        batcher.hold(&PreparedMessage::new("one"), ids(&[]));
        let closed = batcher.close().unwrap();
        batcher.hold(&PreparedMessage::new("two"), ids(&[5]));
        batcher.hold(&PreparedMessage::new("three"), ids(&[]));
        let numbers = |id: u64, after: u64, upto: u64| {
            let mut out = Vec::new();
            batcher.held_for(ConnId::from_raw(id), after, upto, &mut out);
            out.iter().map(|(n, m)| (*n - closed.first(), m.len())).collect::<Vec<_>>()
        };
        let first = closed.first();
        // The batch being handed over, then what was held since.
        assert_eq!(numbers(1, 0, u64::MAX), [(0, 3), (1, 3), (2, 5)]);
        assert_eq!(numbers(5, 0, u64::MAX), [(0, 3), (2, 5)], "5 is excluded from two");
        assert_eq!(numbers(1, first, u64::MAX), [(1, 3), (2, 5)], "after the first");
        assert_eq!(numbers(1, 0, first + 1), [(0, 3), (1, 3)], "up to the second");
        assert!(batcher.handed_over(), "more was held meanwhile");
        drain(&batcher);
    }
}
