//! An HTTP fallback's downstream (docs/SESSIONS.md §8.2): the events a
//! session hands it wait here, bounded as a WebSocket's queue is, until
//! the client's streaming GET reads them; the response's body
//! ([`EventBody`]) takes them in order, joined, and ends after the close
//! event, at server shutdown, or when the client goes away (its drop tells
//! the session the transport ended).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame};

use super::events;
use crate::conn::{ConnId, TransportKind};
use crate::server::ShutdownSignal;
use crate::server::shutdown::ShutdownSlot;
use crate::ws::CloseCode;

/// One downstream.
pub(crate) struct Downstream {
    id: ConnId,
    kind: TransportKind,
    limit: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    events: VecDeque<Bytes>,
    bytes: usize,
    waker: Option<Waker>,
    /// No event after those queued.
    ended: bool,
    /// A GET took the downstream (it is read once).
    read: bool,
}

impl Downstream {
    /// A downstream of `kind`, at most `limit` bytes waiting.
    pub(crate) fn new(kind: TransportKind, limit: usize) -> Arc<Self> {
        Arc::new(Self { id: ConnId::next(), kind, limit, state: Mutex::default() })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// This transport's id.
    pub(crate) fn id(&self) -> ConnId {
        self.id
    }

    /// SSE or stream.
    pub(crate) fn kind(&self) -> TransportKind {
        self.kind
    }

    /// Queues an event. Past the bound the client reads too slowly: the
    /// downstream ends (1008), the session keeps what it did not take.
    pub(crate) fn push(&self, event: Bytes) {
        let mut state = self.lock();
        if state.ended {
            return;
        }
        if state.bytes + event.len() > self.limit && !state.events.is_empty() {
            drop(state);
            return self.end(events::close(CloseCode::POLICY_VIOLATION, "slow consumer"));
        }
        state.bytes += event.len();
        state.events.push_back(event);
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }

    /// Queues the last event (the close event) and ends the downstream.
    pub(crate) fn end(&self, last: Bytes) {
        let mut state = self.lock();
        if state.ended {
            return;
        }
        state.bytes += last.len();
        state.events.push_back(last);
        state.ended = true;
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }

    /// Whether a GET may read it: once only.
    pub(crate) fn take_reader(&self) -> bool {
        !std::mem::replace(&mut self.lock().read, true)
    }

    /// Whether a GET read it.
    pub(crate) fn was_read(&self) -> bool {
        self.lock().read
    }

    /// Everything queued, joined; `None` once ended and drained.
    fn poll_events(&self, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        let mut state = self.lock();
        let chunk = match state.events.len() {
            0 if state.ended => return Poll::Ready(None),
            0 => {
                state.waker = Some(cx.waker().clone());
                return Poll::Pending;
            }
            1 => state.events.pop_front().expect("one event"),
            _ => {
                let mut joined = BytesMut::with_capacity(state.bytes);
                for event in state.events.drain(..) {
                    joined.extend_from_slice(&event);
                }
                joined.freeze()
            }
        };
        state.bytes -= chunk.len();
        Poll::Ready(Some(chunk))
    }
}

/// How a downstream's response ended, for the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// The client went away, or the session closed it.
    Gone,
    /// The server shuts down.
    Shutdown,
}

/// The body of a downstream's response.
pub(crate) struct EventBody {
    downstream: Arc<Downstream>,
    shutdown: ShutdownSignal,
    slot: Option<ShutdownSlot>,
    ending: Ending,
    /// Told once, when the body is dropped.
    on_end: Option<Box<dyn FnOnce(Ending) + Send>>,
}

impl EventBody {
    /// Reads `downstream`; `on_end` is told how it ended.
    pub(crate) fn new(
        downstream: Arc<Downstream>,
        shutdown: ShutdownSignal,
        on_end: impl FnOnce(Ending) + Send + 'static,
    ) -> Self {
        Self {
            downstream,
            shutdown,
            slot: None,
            ending: Ending::Gone,
            on_end: Some(Box::new(on_end)),
        }
    }
}

impl Body for EventBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = &mut *self;
        if this.ending == Ending::Gone && this.shutdown.poll_started(cx, &mut this.slot).is_ready()
        {
            this.ending = Ending::Shutdown;
            this.downstream.end(events::close(CloseCode::GOING_AWAY, "server shutdown"));
        }
        this.downstream.poll_events(cx).map(|chunk| chunk.map(|bytes| Ok(Frame::data(bytes))))
    }
}

impl Drop for EventBody {
    fn drop(&mut self) {
        if let Some(on_end) = self.on_end.take() {
            on_end(self.ending);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use super::*;

    fn poll(downstream: &Downstream) -> Poll<Option<Bytes>> {
        downstream.poll_events(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn events_come_out_joined_in_order_then_the_end() {
        let downstream = Downstream::new(TransportKind::ServerSentEvents, 1024);
        assert_eq!(poll(&downstream), Poll::Pending);
        downstream.push(Bytes::from_static(b"a"));
        downstream.push(Bytes::from_static(b"b"));
        assert_eq!(poll(&downstream), Poll::Ready(Some(Bytes::from_static(b"ab"))));
        downstream.end(Bytes::from_static(b"z"));
        downstream.push(Bytes::from_static(b"late"));
        assert_eq!(poll(&downstream), Poll::Ready(Some(Bytes::from_static(b"z"))));
        assert_eq!(poll(&downstream), Poll::Ready(None));
    }

    #[test]
    fn past_its_bound_a_downstream_ends_as_a_slow_consumer() {
        let downstream = Downstream::new(TransportKind::Streaming, 4);
        downstream.push(Bytes::from_static(b"123"));
        downstream.push(Bytes::from_static(b"45"));
        let Poll::Ready(Some(chunk)) = poll(&downstream) else { panic!("events") };
        let text = String::from_utf8(chunk.to_vec()).unwrap();
        assert!(text.starts_with("123event:close\ndata:{\"code\":1008"), "{text}");
        assert_eq!(poll(&downstream), Poll::Ready(None));
    }

    #[test]
    fn a_downstream_is_read_once() {
        let downstream = Downstream::new(TransportKind::ServerSentEvents, 4);
        assert!(!downstream.was_read());
        assert!(downstream.take_reader());
        assert!(!downstream.take_reader());
        assert!(downstream.was_read());
    }
}
