//! A connection's bounded outbound queue: senders push frames from any task
//! without blocking; the connection's own task takes them in batches. The
//! task registers its waker when it takes (one slot: only that task waits),
//! so an idle connection carries no waiting future for its queue.
//!
//! While the task waits with nothing left to write, the queue also holds
//! its socket (plain TCP): a sender then writes a data frame to the socket
//! itself and neither queues it nor wakes the task, unless the socket does
//! not take it all. The queue forgets the socket, under its lock, whenever
//! the task stops waiting (it takes, unregisters or ends), so the socket
//! never has two writers; why it is never written after it closes is the
//! business of [`super::direct_write`].

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::Waker;

use bytes::Bytes;

use super::direct_write::{Lender, SocketSlot};

use crate::error::SendError;
use crate::stats;
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
    /// Kept while it runs, so that registering again clones nothing.
    waker: Option<Waker>,
    /// The socket, while the task waits with nothing to write.
    socket: SocketSlot,
    /// Bytes of the front frame a sender wrote to the socket itself (the
    /// socket took only part of it): the task writes the rest.
    front_written: usize,
}

pub use crate::overflow::Overflow;

/// Most frames the connection task takes from the queue at once: the rest
/// stays where, under `DropOldest`, it can still be dropped.
const TAKE_AT_ONCE: usize = 32;

/// What the connection task takes from the queue.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Taken {
    /// Why the queue stopped, if it did.
    pub stop: Option<Stop>,
    /// Bytes of the first frame taken that are already written (by a
    /// sender writing to the socket itself).
    pub front_written: usize,
}

/// Frames waiting to be written, bounded in bytes.
#[derive(Debug)]
pub(crate) struct Outbound {
    state: Mutex<State>,
    queued_bytes: AtomicUsize,
    limit: usize,
    overflow: Overflow,
    /// The socket took none of the last bytes offered to it (full: the
    /// peer does not read as fast as it is sent to).
    write_blocked: AtomicBool,
    /// Whether the task waits on the queue: set when it registers, cleared
    /// when it runs (takes, unregisters) or is woken. Written under the
    /// lock; read without it by the task, which then knows that nothing
    /// reached the queue since it registered (see [`Outbound::is_waiting`]).
    waiting: AtomicBool,
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
            write_blocked: AtomicBool::new(false),
            waiting: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues a data frame, unless the connection is stopping or the queue
    /// is at its bound (which stops it: the peer is a slow consumer). If
    /// the task waits with nothing to write, the frame is written to the
    /// socket at once instead, as far as the socket takes it.
    pub fn push(&self, frame: OutFrame) -> Result<(), SendError> {
        self.push_with(frame, true).map(drop)
    }

    /// As [`Outbound::push`] if `at_once`, else always queued (the task
    /// writes it). Says whether the frame went to the socket whole, at once.
    pub fn push_with(&self, frame: OutFrame, at_once: bool) -> Result<bool, SendError> {
        let mut state = self.lock();
        self.admit(&mut state)?;
        if at_once && state.socket.is_lent() {
            match Self::send_now(&state, &frame) {
                // Out already: the task waits on, with the socket.
                Some(written) if written == frame.wire_len() => return Ok(true),
                Some(written) => state.front_written = written,
                // Nothing taken (full, or failed: the task meets the error).
                None => {}
            }
            // The task is woken to write the rest: it has the socket back.
            state.socket.forget();
        }
        self.enqueue(&mut state, frame);
        Ok(false)
    }

    /// Queues a run of encoded data frames (a topic's batch) as
    /// [`Outbound::push`] queues each, `whole` being their bytes joined: if
    /// the task waits with nothing to write, `whole` goes to the socket in
    /// one write, and the frames it did not take whole are queued (the
    /// first of them begun); the bound holds per frame.
    pub fn push_run<'a>(
        &self,
        whole: &Bytes,
        frames: impl Iterator<Item = &'a Bytes>,
    ) -> Result<(), SendError> {
        let mut state = self.lock();
        self.admit(&mut state)?;
        let mut sent = 0;
        if state.socket.is_lent() {
            sent = Self::send_bytes_now(&state, &[], whole).unwrap_or(0);
            if sent == whole.len() {
                return Ok(());
            }
            // The task is woken to write the rest: it has the socket back.
            state.socket.forget();
        }
        let mut admitted = true;
        for frame in frames {
            if sent >= frame.len() {
                sent -= frame.len();
                continue;
            }
            if sent > 0 {
                // Begun on the socket: queued whatever the bound says.
                state.front_written = std::mem::take(&mut sent);
            } else if !std::mem::take(&mut admitted) {
                self.admit(&mut state)?;
            }
            self.enqueue(&mut state, OutFrame::encoded(frame.clone()));
        }
        Ok(())
    }

    /// Whether a data frame may be queued: not once the queue stopped, nor
    /// at its bound (which stops it: the peer is a slow consumer), unless
    /// the oldest are dropped to make room.
    fn admit(&self, state: &mut State) -> Result<(), SendError> {
        if state.stop.is_some() {
            return Err(SendError::Closed);
        }
        if self.overflow == Overflow::DropOldest {
            self.drop_oldest(state);
        } else if self.queued_bytes.load(Ordering::Relaxed) >= self.limit {
            state.stop = Some(Stop::Overflow);
            self.wake(state);
            return Err(SendError::QueueFull);
        }
        Ok(())
    }

    /// Writes `frame` to the lent socket if the queue is empty and the
    /// frame needs nothing from the task (compression); how many bytes
    /// went, if any.
    fn send_now(state: &State, frame: &OutFrame) -> Option<usize> {
        if frame.pending_compression().is_some() {
            return None;
        }
        Self::send_bytes_now(state, frame.head(), frame.payload())
    }

    /// Writes `head` then `payload` to the lent socket if the queue is
    /// empty (nothing may overtake what is queued); how many bytes went,
    /// if any.
    fn send_bytes_now(state: &State, head: &[u8], payload: &[u8]) -> Option<usize> {
        if !state.frames.is_empty() {
            return None;
        }
        match state.socket.send(head, payload) {
            Some(Ok(written)) if written > 0 => Some(written),
            _ => None,
        }
    }

    /// Drops the oldest data messages still in the queue until it is under
    /// its bound (control and close frames stay).
    fn drop_oldest(&self, state: &mut State) {
        // A frame a sender began to write stays: the stream must stay framed.
        let first = usize::from(state.front_written > 0);
        while self.queued_bytes.load(Ordering::Relaxed) >= self.limit {
            let Some(index) =
                state.frames.iter().skip(first).position(OutFrame::is_data).map(|i| i + first)
            else {
                break;
            };
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
        let unsent: usize = state.frames.iter().map(OutFrame::wire_len).sum();
        self.release(unsent);
        state.frames = VecDeque::new();
        state.front_written = 0;
        // The waker keeps the task's memory alive; the Conn may outlive it.
        state.waker = None;
        state.socket.forget();
    }

    /// Wakes the connection task if it waits (something outside the queue
    /// needs it: the server is shutting down).
    pub fn wake_waiting(&self) {
        self.wake(&self.lock());
    }

    /// Forgets the socket: its transport is being dropped.
    pub fn forget_socket(&self) {
        self.lock().socket.forget();
    }

    /// Wakes the connection task if it waits (called under the lock); it
    /// waits no more until it registers again.
    fn wake(&self, state: &State) {
        if self.waiting.load(Ordering::Relaxed) {
            self.waiting.store(false, Ordering::Release);
            if let Some(waker) = &state.waker {
                waker.wake_by_ref();
            }
        }
    }

    fn enqueue(&self, state: &mut State, frame: OutFrame) {
        self.charge(frame.wire_len());
        let was_empty = state.frames.is_empty();
        state.frames.push_back(frame);
        if was_empty {
            self.wake(state);
        }
    }

    /// Moves queued frames to the back of `batch` (all of them, or under
    /// `DropOldest` up to a small batch), with why the queue stopped, if it
    /// did. The task is about to write: senders queue from now on.
    pub fn take(&self, batch: &mut VecDeque<OutFrame>) -> Taken {
        let mut state = self.lock();
        self.waiting.store(false, Ordering::Relaxed);
        state.socket.forget();
        Self::move_frames(&mut state, self.overflow, batch)
    }

    /// As [`Outbound::take`], and registers `waker` to be woken when frames
    /// arrive or the queue stops (under the same lock: nothing is missed).
    /// If `batch` is then empty (nothing left to write), the socket of
    /// `lender` is held for senders to write to at once until the task
    /// next takes.
    pub fn take_and_register(
        &self,
        batch: &mut VecDeque<OutFrame>,
        waker: &Waker,
        lender: Option<Lender<'_>>,
    ) -> Taken {
        let mut state = self.lock();
        let taken = Self::move_frames(&mut state, self.overflow, batch);
        if !matches!(state.stop, Some(Stop::Ended)) {
            match &mut state.waker {
                Some(current) if current.will_wake(waker) => {}
                slot => *slot = Some(waker.clone()),
            }
            self.waiting.store(true, Ordering::Relaxed);
        }
        let idle = batch.is_empty() && state.stop.is_none();
        state.socket.lend(lender.filter(|_| idle), self);
        taken
    }

    /// Stops waking the task and forgets the socket: the connection task
    /// calls it while it runs, so that what it queues itself (answers to
    /// the messages it handles) does not wake it again for nothing and is
    /// written by it, in batches; it waits anew when it next registers
    /// (the waker is kept: the same one is not cloned again).
    pub fn unregister(&self) {
        let mut state = self.lock();
        self.waiting.store(false, Ordering::Relaxed);
        state.socket.forget();
    }

    /// Whether the task still waits as it registered last: nothing was
    /// queued, no stop came, and nobody woke it since. Read without the
    /// lock: a sender that clears it wakes the task after, so a stale
    /// `true` only delays what the next poll sees.
    pub fn is_waiting(&self) -> bool {
        self.waiting.load(Ordering::Acquire)
    }

    fn move_frames(state: &mut State, overflow: Overflow, batch: &mut VecDeque<OutFrame>) -> Taken {
        // Only a frame sent while the task had nothing left can be begun.
        debug_assert!(batch.is_empty() || state.front_written == 0);
        let front_written =
            if batch.is_empty() { std::mem::take(&mut state.front_written) } else { 0 };
        Self::move_queued(state, overflow, batch);
        Taken { stop: state.stop.clone(), front_written }
    }

    fn move_queued(state: &mut State, overflow: Overflow, batch: &mut VecDeque<OutFrame>) {
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
        stats::queued(bytes);
    }

    /// Records that `bytes` left the queue (written or dropped).
    pub fn release(&self, bytes: usize) {
        self.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
        stats::unqueued(bytes);
    }

    /// Bytes queued and not yet written.
    pub fn queued_bytes(&self) -> usize {
        self.queued_bytes.load(Ordering::Relaxed)
    }

    /// Whether the socket took none of the last bytes the task offered it.
    pub fn is_write_blocked(&self) -> bool {
        self.write_blocked.load(Ordering::Relaxed)
    }

    /// Records whether the last write found the socket full.
    pub fn set_write_blocked(&self, blocked: bool) {
        self.write_blocked.store(blocked, Ordering::Relaxed);
    }
}

/// What is still counted as queued when the queue goes (frames the task
/// had taken but not written when its connection ended) leaves the
/// process's count of queued bytes.
impl Drop for Outbound {
    fn drop(&mut self) {
        stats::unqueued(*self.queued_bytes.get_mut());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::direct_write::{KeepsOutbound, LentTransport};
    use crate::server::Transport;
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
        assert_eq!(out.take(&mut batch).stop, Some(Stop::Overflow));
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
        let stop = out.take(&mut batch).stop;
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
        assert_eq!(out.take(&mut batch).stop, None);
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
        assert_eq!(out.take(&mut batch).stop, None);
        assert_eq!(batch.len(), 2);
    }

    /// Counts its wakes.
    #[derive(Default)]
    struct CountingWaker(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for CountingWaker {
        fn wake(self: std::sync::Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &std::sync::Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A connected pair over loopback: (the server's side, the client's).
    async fn socket_pair() -> (tokio::net::TcpStream, tokio::net::TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        (accepted.unwrap().0, client.unwrap())
    }

    impl KeepsOutbound for std::sync::Arc<Outbound> {
        fn outbound(&self) -> &Outbound {
            self
        }
    }

    /// `server` as a connection's transport, lent to `out`'s senders.
    fn lent(
        server: tokio::net::TcpStream,
        out: &std::sync::Arc<Outbound>,
    ) -> LentTransport<std::sync::Arc<Outbound>> {
        LentTransport::new(Transport::tcp(server).unwrap(), out.clone())
    }

    #[test]
    fn the_task_waits_from_its_registration_until_anything_reaches_the_queue() {
        let counter = std::sync::Arc::new(CountingWaker::default());
        let waker = Waker::from(counter.clone());
        let out = Outbound::new(64);
        let mut batch = VecDeque::new();
        assert!(!out.is_waiting(), "not registered yet");
        out.take_and_register(&mut batch, &waker, None);
        assert!(out.is_waiting());
        // A frame wakes the task, once: it waits no more until it registers.
        out.push(frame(10)).unwrap();
        out.push(frame(10)).unwrap();
        assert!(!out.is_waiting());
        assert_eq!(counter.0.load(Ordering::Relaxed), 1);
        out.take_and_register(&mut batch, &waker, None);
        assert_eq!(batch.len(), 2);
        assert!(out.is_waiting(), "registered again");
        // A stop wakes it too.
        assert!(out.close(CloseFrame::new(CloseCode::NORMAL, "")));
        assert!(!out.is_waiting());
        assert_eq!(counter.0.load(Ordering::Relaxed), 2);
        // Running (unregistered, or taking without registering) is not waiting.
        out.take_and_register(&mut batch, &waker, None);
        out.unregister();
        assert!(!out.is_waiting());
        out.take_and_register(&mut batch, &waker, None);
        out.take(&mut batch);
        assert!(!out.is_waiting());
    }

    #[tokio::test]
    async fn a_socket_lent_to_another_queue_is_refused() {
        let (server, _client) = socket_pair().await;
        let waker = Waker::from(std::sync::Arc::new(CountingWaker::default()));
        let (mine, other) = (std::sync::Arc::new(Outbound::new(64)), Outbound::new(64));
        let mut server = lent(server, &mine);
        let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            other.take_and_register(&mut VecDeque::new(), &waker, server.split().1)
        }));
        assert!(refused.is_err());
    }

    #[tokio::test]
    async fn a_dropped_transport_is_forgotten_by_its_queue() {
        let (server, _client) = socket_pair().await;
        let waker = Waker::from(std::sync::Arc::new(CountingWaker::default()));
        let out = std::sync::Arc::new(Outbound::new(1 << 20));
        let mut server = lent(server, &out);
        out.take_and_register(&mut VecDeque::new(), &waker, server.split().1);
        assert!(out.lock().socket.is_lent());
        drop(server);
        assert!(!out.lock().socket.is_lent(), "a closed socket stays lent");
    }

    fn wire(frame: &OutFrame) -> Vec<u8> {
        [frame.head(), &frame.payload()[..]].concat()
    }

    async fn read_exactly(client: &mut tokio::net::TcpStream, len: usize) -> Vec<u8> {
        use tokio::io::AsyncReadExt;
        let mut bytes = vec![0; len];
        client.read_exact(&mut bytes).await.unwrap();
        bytes
    }

    #[tokio::test]
    async fn a_sender_writes_to_the_socket_of_a_waiting_task_itself() {
        let (server, mut client) = socket_pair().await;
        let counter = std::sync::Arc::new(CountingWaker::default());
        let waker = Waker::from(counter.clone());
        let out = std::sync::Arc::new(Outbound::new(1 << 20));
        let mut server = lent(server, &out);
        let mut batch = VecDeque::new();
        assert_eq!(out.take_and_register(&mut batch, &waker, server.split().1), Taken::default());

        let sent = OutFrame::message(Message::text("straight out"));
        out.push(sent.clone()).unwrap();
        assert_eq!(out.queued_bytes(), 0, "not queued");
        assert_eq!(counter.0.load(Ordering::Relaxed), 0, "the task is not woken");
        assert_eq!(read_exactly(&mut client, sent.wire_len()).await, wire(&sent));

        // Once the task runs (it unregisters), senders queue and wake it no more.
        out.unregister();
        out.push(frame(10)).unwrap();
        assert_eq!(out.queued_bytes(), 12);
        assert_eq!(out.take(&mut batch), Taken::default());
        assert_eq!(batch.len(), 1);
        batch.clear();

        // A task that still has frames to write lends no socket.
        out.push(frame(10)).unwrap();
        let mut pending = VecDeque::from([frame(1)]);
        out.take_and_register(&mut pending, &waker, server.split().1);
        out.push(frame(10)).unwrap();
        assert_eq!(out.take(&mut batch).front_written, 0);
        assert_eq!(batch.len(), 1, "queued behind the task's frames");
        drop(server);
    }

    #[tokio::test]
    async fn what_the_socket_does_not_take_goes_to_the_task_to_finish() {
        let (server, mut client) = socket_pair().await;
        let counter = std::sync::Arc::new(CountingWaker::default());
        let waker = Waker::from(counter.clone());
        let out = std::sync::Arc::new(Outbound::with_overflow(1 << 20, Overflow::DropOldest));
        let mut server = lent(server, &out);
        let mut batch = VecDeque::new();
        out.take_and_register(&mut batch, &waker, server.split().1);

        // More than a loopback socket takes at once, unread.
        let big = OutFrame::message(Message::binary(vec![7u8; 32 << 20]));
        out.push(big.clone()).unwrap();
        assert_eq!(counter.0.load(Ordering::Relaxed), 1, "the task is woken for the rest");
        // Past the bound: the oldest are dropped, but not the begun frame.
        for _ in 0..3 {
            out.push(frame(10)).unwrap();
        }
        let taken = out.take(&mut batch);
        let begun = taken.front_written;
        assert!(begun > 0 && begun < big.wire_len(), "{begun}");
        assert_eq!(batch.front().map(OutFrame::wire_len), Some(big.wire_len()));
        assert_eq!(out.dropped(), 2);

        // The task writes the rest: the peer reads one whole frame.
        let whole = wire(&big);
        let rest = whole[begun..].to_vec();
        let writing = tokio::spawn(async move { server.write_all(&rest).await.map(|()| server) });
        assert!(read_exactly(&mut client, whole.len()).await == whole);
        drop(writing.await.unwrap().unwrap());
    }
}
