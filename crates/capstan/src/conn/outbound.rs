//! A connection's bounded outbound queue: senders push frames from any task
//! without blocking; the connection's own task takes them in batches. The
//! task registers its waker when it takes (one slot: only that task waits),
//! so an idle connection carries no waiting future for its queue.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Waker;

use crate::error::SendError;
use crate::ws::{CloseFrame, OutFrame};

/// Why the queue stopped taking messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The application asked to close with this frame (already queued).
    /// Boxed: every connection's queue carries a `Stop` slot.
    Close(Box<CloseFrame>),
    /// The byte bound was passed.
    Overflow,
    /// The connection task has ended.
    Ended,
}

#[derive(Debug, Default)]
struct State {
    frames: VecDeque<OutFrame>,
    stop: Option<Stop>,
    /// Messages dropped under [`Overflow::DropOldest`].
    dropped: u64,
    /// The connection task, woken when frames arrive or the queue stops.
    waker: Option<Waker>,
}

/// What happens when a connection's queue is at its bound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Overflow {
    /// Refuse the send and close the connection as a slow consumer (1008).
    #[default]
    Close,
    /// Drop the oldest queued messages (not yet handed to the socket) to
    /// make room, and count them; the connection stays.
    DropOldest,
}

/// Most frames the connection task takes from the queue at once: the rest
/// stays where, under `DropOldest`, it can still be dropped.
const TAKE_AT_ONCE: usize = 32;

/// Frames waiting to be written, bounded in bytes.
#[derive(Debug)]
pub(crate) struct Outbound {
    state: Mutex<State>,
    queued_bytes: AtomicUsize,
    limit: usize,
    overflow: Overflow,
}

impl Outbound {
    /// A queue that refuses sends once it holds `limit` bytes or more.
    #[cfg(test)]
    pub fn new(limit: usize) -> Self {
        Self::with_overflow(limit, Overflow::Close)
    }

    /// A queue bounded at `limit` bytes, with `overflow` past it.
    pub fn with_overflow(limit: usize, overflow: Overflow) -> Self {
        Self {
            state: Mutex::new(State::default()),
            queued_bytes: AtomicUsize::new(0),
            limit,
            overflow,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues a data frame, unless the connection is stopping or the queue
    /// is at its bound (which stops it: the peer is a slow consumer).
    pub fn push(&self, frame: OutFrame) -> Result<(), SendError> {
        let mut state = self.lock();
        if state.stop.is_some() {
            return Err(SendError::Closed);
        }
        if self.overflow == Overflow::DropOldest {
            self.drop_oldest(&mut state);
        } else if self.queued_bytes.load(Ordering::Relaxed) >= self.limit {
            state.stop = Some(Stop::Overflow);
            wake(&state);
            return Err(SendError::QueueFull);
        }
        self.enqueue(&mut state, frame);
        Ok(())
    }

    /// Drops the oldest data messages still in the queue until it is under
    /// its bound (control and close frames stay).
    fn drop_oldest(&self, state: &mut State) {
        while self.queued_bytes.load(Ordering::Relaxed) >= self.limit {
            let Some(index) = state.frames.iter().position(OutFrame::is_data) else { break };
            let dropped = state.frames.remove(index).expect("found");
            self.release(dropped.wire_len());
            state.dropped += 1;
        }
    }

    /// Messages dropped to make room, under [`Overflow::DropOldest`].
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    /// Queues a control frame (pong, ping) outside the bound.
    pub fn push_control(&self, frame: OutFrame) {
        let mut state = self.lock();
        if state.stop.is_none() {
            self.enqueue(&mut state, frame);
        }
    }

    /// Queues a close frame after everything already queued and stops
    /// taking messages. False if the queue had already stopped.
    pub fn close(&self, frame: CloseFrame) -> bool {
        self.stop_with(OutFrame::close(Some(&frame)), Stop::Close(Box::new(frame))).is_ok()
    }

    /// Queues `last` after everything already queued and stops taking
    /// messages for `stop`; if the queue had stopped already, says why.
    pub fn stop_with(&self, last: OutFrame, stop: Stop) -> Result<(), Stop> {
        let mut state = self.lock();
        if let Some(existing) = &state.stop {
            return Err(existing.clone());
        }
        self.enqueue(&mut state, last);
        state.stop = Some(stop);
        Ok(())
    }

    /// Marks the queue ended: later sends are refused.
    pub fn end(&self) {
        let mut state = self.lock();
        state.stop.get_or_insert(Stop::Ended);
        state.frames = VecDeque::new();
        // The waker keeps the task's memory alive; the Conn may outlive it.
        state.waker = None;
    }

    fn enqueue(&self, state: &mut State, frame: OutFrame) {
        self.queued_bytes.fetch_add(frame.wire_len(), Ordering::Relaxed);
        let was_empty = state.frames.is_empty();
        state.frames.push_back(frame);
        if was_empty {
            wake(state);
        }
    }

    /// Moves queued frames to the back of `batch` (all of them, or under
    /// `DropOldest` up to a small batch); returns why the queue stopped, if
    /// it did.
    pub fn take(&self, batch: &mut VecDeque<OutFrame>) -> Option<Stop> {
        let mut state = self.lock();
        Self::move_frames(&mut state, self.overflow, batch);
        state.stop.clone()
    }

    /// As [`Outbound::take`], and registers `waker` to be woken when frames
    /// arrive or the queue stops (under the same lock: nothing is missed).
    pub fn take_and_register(&self, batch: &mut VecDeque<OutFrame>, waker: &Waker) -> Option<Stop> {
        let mut state = self.lock();
        Self::move_frames(&mut state, self.overflow, batch);
        if !matches!(state.stop, Some(Stop::Ended)) {
            match &mut state.waker {
                Some(current) if current.will_wake(waker) => {}
                slot => *slot = Some(waker.clone()),
            }
        }
        state.stop.clone()
    }

    /// Forgets the registered waker: the connection task calls it while it
    /// runs, so that what it queues itself (answers to the messages it
    /// handles) does not wake it again for nothing; it registers anew when
    /// it next waits.
    pub fn unregister(&self) {
        self.lock().waker = None;
    }

    fn move_frames(state: &mut State, overflow: Overflow, batch: &mut VecDeque<OutFrame>) {
        if overflow == Overflow::DropOldest {
            // Leave the backlog here, where the oldest can still be dropped.
            let room = TAKE_AT_ONCE.saturating_sub(batch.len());
            let take = room.min(state.frames.len());
            batch.extend(state.frames.drain(..take));
        } else if batch.is_empty() {
            std::mem::swap(batch, &mut state.frames);
        } else {
            batch.append(&mut state.frames);
        }
    }

    /// Counts `bytes` the connection task queued itself (close replies).
    pub fn charge(&self, bytes: usize) {
        self.queued_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Records that `bytes` left the queue (written or dropped).
    pub fn release(&self, bytes: usize) {
        self.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
    }

    /// Bytes queued and not yet written.
    pub fn queued_bytes(&self) -> usize {
        self.queued_bytes.load(Ordering::Relaxed)
    }
}

/// Wakes the connection task, if it waits.
fn wake(state: &State) {
    if let Some(waker) = &state.waker {
        waker.wake_by_ref();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::{CloseCode, Message};

    fn frame(len: usize) -> OutFrame {
        OutFrame::message(Message::binary(vec![0u8; len]))
    }

    #[test]
    fn refuses_sends_past_the_bound_and_stops() {
        let out = Outbound::new(100);
        out.push(frame(60)).unwrap();
        out.push(frame(60)).unwrap(); // 62 queued < 100: taken
        assert_eq!(out.push(frame(1)), Err(SendError::QueueFull));
        assert_eq!(out.push(frame(1)), Err(SendError::Closed));
        let mut batch = VecDeque::new();
        assert_eq!(out.take(&mut batch), Some(Stop::Overflow));
        assert_eq!(batch.len(), 2);
    }

    #[test]
    fn written_bytes_make_room_again() {
        let out = Outbound::new(100);
        out.push(frame(120)).unwrap();
        let mut batch = VecDeque::new();
        out.take(&mut batch);
        out.release(batch.iter().map(OutFrame::wire_len).sum());
        assert_eq!(out.queued_bytes(), 0);
        out.push(frame(10)).unwrap();
    }

    #[test]
    fn close_is_queued_after_data_and_stops_sends() {
        let out = Outbound::new(1000);
        out.push(frame(3)).unwrap();
        assert!(out.close(CloseFrame::new(CloseCode::NORMAL, "bye")));
        assert!(!out.close(CloseFrame::new(CloseCode::NORMAL, "again")));
        assert_eq!(out.push(frame(1)), Err(SendError::Closed));
        let mut batch = VecDeque::new();
        let stop = out.take(&mut batch);
        assert_eq!(stop, Some(Stop::Close(Box::new(CloseFrame::new(CloseCode::NORMAL, "bye")))));
        assert_eq!(batch.len(), 2);
        assert_eq!(batch[1].head()[0], 0x88);
    }

    #[test]
    fn drop_oldest_keeps_the_newest_and_counts() {
        let out = Outbound::with_overflow(250, Overflow::DropOldest);
        for i in 0..10u8 {
            out.push(OutFrame::message(Message::binary(vec![i; 100]))).unwrap();
        }
        out.push_control(OutFrame::new(crate::ws::OpCode::Pong, bytes::Bytes::new()));
        assert!(out.queued_bytes() < 250 + 102 + 2, "{}", out.queued_bytes());
        assert_eq!(out.dropped(), 7);
        let mut batch = VecDeque::new();
        assert_eq!(out.take(&mut batch), None);
        let firsts: Vec<u8> =
            batch.iter().filter(|f| f.is_data()).map(|f| f.payload()[0]).collect();
        assert_eq!(firsts, [7, 8, 9], "the newest survive");
        assert_eq!(batch.iter().filter(|f| !f.is_data()).count(), 1, "the pong stays");
    }

    #[test]
    fn control_frames_pass_the_bound() {
        let out = Outbound::new(10);
        out.push(frame(20)).unwrap();
        out.push_control(OutFrame::new(crate::ws::OpCode::Pong, bytes::Bytes::new()));
        let mut batch = VecDeque::new();
        assert_eq!(out.take(&mut batch), None);
        assert_eq!(batch.len(), 2);
    }
}
