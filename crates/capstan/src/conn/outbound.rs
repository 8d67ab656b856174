//! A connection's bounded outbound queue: senders push frames from any task
//! without blocking; the connection's own task takes them in batches.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

use crate::error::SendError;
use crate::ws::{CloseFrame, OutFrame};

/// Why the queue stopped taking messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The application asked to close with this frame (already queued).
    Close(CloseFrame),
    /// The byte bound was passed.
    Overflow,
    /// The connection task has ended.
    Ended,
}

#[derive(Debug, Default)]
struct State {
    frames: VecDeque<OutFrame>,
    stop: Option<Stop>,
}

/// Frames waiting to be written, bounded in bytes.
#[derive(Debug)]
pub(crate) struct Outbound {
    state: Mutex<State>,
    queued_bytes: AtomicUsize,
    limit: usize,
    wake: Notify,
}

impl Outbound {
    /// A queue that refuses sends once it holds `limit` bytes or more.
    pub fn new(limit: usize) -> Self {
        Self {
            state: Mutex::new(State::default()),
            queued_bytes: AtomicUsize::new(0),
            limit,
            wake: Notify::new(),
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
        if self.queued_bytes.load(Ordering::Relaxed) >= self.limit {
            state.stop = Some(Stop::Overflow);
            drop(state);
            self.wake.notify_one();
            return Err(SendError::QueueFull);
        }
        self.enqueue(&mut state, frame);
        Ok(())
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
        self.stop_with(OutFrame::close(Some(&frame)), Stop::Close(frame)).is_ok()
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
    }

    fn enqueue(&self, state: &mut State, frame: OutFrame) {
        self.queued_bytes.fetch_add(frame.wire_len(), Ordering::Relaxed);
        let was_empty = state.frames.is_empty();
        state.frames.push_back(frame);
        if was_empty {
            self.wake.notify_one();
        }
    }

    /// Moves every queued frame to the back of `batch`; returns why the
    /// queue stopped, if it did.
    pub fn take(&self, batch: &mut VecDeque<OutFrame>) -> Option<Stop> {
        let mut state = self.lock();
        if batch.is_empty() {
            std::mem::swap(batch, &mut state.frames);
        } else {
            batch.append(&mut state.frames);
        }
        state.stop.clone()
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

    /// Waits until something is queued (or the queue stops).
    pub async fn wait(&self) {
        self.wake.notified().await
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
        assert_eq!(stop, Some(Stop::Close(CloseFrame::new(CloseCode::NORMAL, "bye"))));
        assert_eq!(batch.len(), 2);
        assert_eq!(batch[1].head()[0], 0x88);
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
