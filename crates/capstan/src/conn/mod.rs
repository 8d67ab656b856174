//! The handle an application holds for one connection.

mod attributes;
pub(crate) mod direct_write;
pub(crate) mod handover;
mod membership;
pub(crate) mod outbound;
mod prefetch;
pub(crate) mod read_buffers;
pub(crate) mod session_sink;
mod transport_kind;

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use bytes::Bytes;

pub use attributes::Attributes;
pub(crate) use membership::Handover;
pub use membership::Membership;
use membership::Memberships;
use outbound::Outbound;
pub use outbound::Overflow;
pub use read_buffers::waiting_with_read_buffer;

use crate::error::SendError;
use crate::request::Request;
use crate::resume::SessionId;
use crate::stats;
use crate::ws::PreparedMessage;
use crate::ws::deflate::{DeflateParams, compress_shared};
use crate::ws::{CloseCode, CloseFrame, Message, OpCode, OutFrame, Utf8Bytes};
use session_sink::SessionSink;
pub use transport_kind::TransportKind;

/// A connection's id: unique within the process, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(u64);

impl ConnId {
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The number behind the id.
    pub fn get(self) -> u64 {
        self.0
    }

    /// The id whose number is `raw` (as [`ConnId::get`] gives it): for
    /// tables an application keeps by connection, and their tests.
    pub fn from_raw(raw: u64) -> Self {
        Self(raw)
    }
}

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

struct Inner {
    id: ConnId,
    request: Request,
    /// What few connections have (a subprotocol, compression, a
    /// session), boxed together: every idle connection keeps 8 bytes for
    /// them instead of 48.
    extras: Option<Box<Extras>>,
    attributes: Attributes,
    outbound: Outbound,
    /// The topics (or other groups) it is in, left when it ends.
    memberships: Memberships,
}

/// See `Inner::extras`.
struct Extras {
    protocol: Option<Box<str>>,
    deflate: Option<DeflateParams>,
    /// A session-mode connection's session: what it sends goes through it
    /// (numbered, kept, handed to the transport attached now).
    /// Held weakly: a session finished and let go refuses the sends of a
    /// `Conn` the application kept.
    session: Option<Weak<dyn SessionSink>>,
}

impl Inner {
    fn session(&self) -> Option<&Weak<dyn SessionSink>> {
        self.extras.as_ref().and_then(|extras| extras.session.as_ref())
    }

    fn deflate(&self) -> Option<&DeflateParams> {
        self.extras.as_ref().and_then(|extras| extras.deflate.as_ref())
    }
}

/// One WebSocket connection: who it is, what it asked for, and a
/// non-blocking way to send to it. Cheap to clone; clones are the same
/// connection.
#[derive(Clone)]
pub struct Conn(Arc<Inner>);

impl Conn {
    pub(crate) fn new(
        remote: SocketAddr,
        request: Request,
        protocol: Option<String>,
        deflate: Option<DeflateParams>,
        outbound_limit: usize,
        overflow: Overflow,
    ) -> Self {
        let outbound = Outbound::with_overflow(outbound_limit, overflow);
        Self::with_parts(remote, request, protocol, deflate, outbound, None)
    }

    /// A session-mode connection (a session route's): its sends go through
    /// `link`, whichever transport carries it (its own queue stays empty).
    pub(crate) fn for_session(
        remote: SocketAddr,
        request: Request,
        link: Weak<dyn SessionSink>,
    ) -> Self {
        let outbound = Outbound::with_overflow(0, Overflow::Close);
        Self::with_parts(remote, request, None, None, outbound, Some(link))
    }

    fn with_parts(
        remote: SocketAddr,
        mut request: Request,
        protocol: Option<String>,
        deflate: Option<DeflateParams>,
        outbound: Outbound,
        session: Option<Weak<dyn SessionSink>>,
    ) -> Self {
        // The address lives in the request (kept once).
        request.set_remote_addr(remote);
        Self(Arc::new(Inner {
            id: ConnId::next(),
            request,
            extras: (protocol.is_some() || deflate.is_some() || session.is_some()).then(|| {
                Box::new(Extras {
                    protocol: protocol.map(String::into_boxed_str),
                    deflate,
                    session,
                })
            }),
            attributes: Attributes::default(),
            outbound,
            memberships: Memberships::default(),
        }))
    }

    /// The transport under the connection: a WebSocket, or for a
    /// session-mode route ([`crate::SessionRoute`]) the one attached last,
    /// which may be an HTTP fallback. The application sends and receives
    /// alike on each.
    /// (A session finished and let go says `WebSocket`.)
    pub fn transport(&self) -> TransportKind {
        self.live_session().map_or(TransportKind::WebSocket, |link| link.transport())
    }

    /// The session of a session-mode connection, while it lives (its
    /// `on_close` included).
    pub fn session_id(&self) -> Option<SessionId> {
        self.live_session().map(|link| link.id())
    }

    fn live_session(&self) -> Option<Arc<dyn SessionSink>> {
        self.0.session().and_then(Weak::upgrade)
    }

    /// This connection's id.
    pub fn id(&self) -> ConnId {
        self.0.id
    }

    /// The peer's address.
    pub fn remote_addr(&self) -> SocketAddr {
        self.0.request.remote_addr().expect("set in Conn::new")
    }

    /// The upgrade request: path, query, headers, cookies.
    pub fn request(&self) -> &Request {
        &self.0.request
    }

    /// The identity attached at the handshake by an authentication layer,
    /// if it is of type `T`.
    pub fn identity<T: std::any::Any + Send + Sync>(&self) -> Option<&T> {
        self.0.request.identity()
    }

    /// The subprotocol agreed in the handshake, if any.
    pub fn protocol(&self) -> Option<&str> {
        self.0.extras.as_ref().and_then(|extras| extras.protocol.as_deref())
    }

    /// Typed per-connection values the application keeps (a user name, a
    /// session).
    pub fn attributes(&self) -> &Attributes {
        &self.0.attributes
    }

    /// Sends a message; never blocks: written to the socket at once if the
    /// connection's task waits with nothing queued (plain TCP), queued for
    /// the task otherwise. Refused when the connection is
    /// closing, or when its outbound queue is over its bound (the connection
    /// is then closed as a slow consumer).
    pub fn send(&self, message: impl Into<Message>) -> Result<(), SendError> {
        let message = message.into();
        self.catch_up();
        if let Some(session) = self.0.session() {
            let session = session.upgrade().ok_or(SendError::Closed)?;
            return session.send(message);
        }
        let len = message.len();
        let frame = match self.deflate_for(message.len()) {
            None => OutFrame::message(message),
            Some(params) if params.server_no_context_takeover => {
                let (opcode, payload) = parts(&message);
                let level = params.level;
                let compressed = compress_shared(payload, level, params.server_max_window_bits);
                OutFrame::compressed(opcode, Bytes::from(compressed))
            }
            // Compressed in order by this connection's own compressor.
            Some(_) => OutFrame::message(message).compress_later(),
        };
        self.0.outbound.push(frame)?;
        stats::message_out(len);
        Ok(())
    }

    /// Sends `prefix` then `message`'s payload as one message of its type
    /// (a session-mode data message): the prefix rides in the frame's head,
    /// the payload is not copied — unless the message is to be compressed.
    pub(crate) fn send_prefixed(&self, prefix: u8, message: Message) -> Result<(), SendError> {
        let len = 1 + message.len();
        if self.deflate_for(len).is_some() {
            return self.send(crate::resume::PrefixedData::new(message).to_message());
        }
        let frame = match message {
            Message::Text(text) => OutFrame::prefixed(OpCode::Text, prefix, text.into_bytes()),
            Message::Binary(data) => OutFrame::prefixed(OpCode::Binary, prefix, data),
        };
        self.0.outbound.push(frame)?;
        stats::message_out(len);
        Ok(())
    }

    /// The agreed permessage-deflate parameters, if a message of `len`
    /// bytes is to be compressed.
    fn deflate_for(&self, len: usize) -> Option<&DeflateParams> {
        self.0.deflate().filter(|params| len >= params.threshold)
    }

    /// permessage-deflate as agreed in the handshake, if at all.
    pub fn deflate(&self) -> Option<&DeflateParams> {
        self.0.deflate()
    }

    /// Queues a text message.
    pub fn send_text(&self, text: impl Into<Utf8Bytes>) -> Result<(), SendError> {
        self.send(Message::Text(text.into()))
    }

    /// Queues a binary message.
    pub fn send_binary(&self, data: impl Into<Bytes>) -> Result<(), SendError> {
        self.send(Message::Binary(data.into()))
    }

    /// Queues a message encoded once for many connections: only a reference
    /// to its bytes is queued.
    pub fn send_prepared(&self, message: &PreparedMessage) -> Result<(), SendError> {
        self.send_prepared_paced(message, true).map(drop)
    }

    /// As [`Conn::send_prepared`]; `at_once`: whether the frame may be
    /// written to the socket by the caller, if the connection waits with
    /// nothing queued (a topic decides by how fast it publishes). Says
    /// whether it was written so.
    pub(crate) fn send_prepared_paced(
        &self,
        message: &PreparedMessage,
        at_once: bool,
    ) -> Result<bool, SendError> {
        self.catch_up();
        self.deliver_prepared(message, at_once)
    }

    /// As [`Conn::send_prepared_paced`], without handing over first what
    /// the connection's topics hold (they call it to hand over).
    pub(crate) fn deliver_prepared(
        &self,
        message: &PreparedMessage,
        at_once: bool,
    ) -> Result<bool, SendError> {
        if let Some(session) = self.0.session() {
            let session = session.upgrade().ok_or(SendError::Closed)?;
            return session.send_prepared(message).map(|()| false);
        }
        let frame = match self.deflate_for(message.len()) {
            None => OutFrame::encoded(message.frame().clone()),
            Some(params) if params.server_no_context_takeover => {
                OutFrame::encoded(message.compressed_frame(params))
            }
            Some(_) => {
                let (opcode, payload) = message.parts();
                OutFrame::new(opcode, payload.clone()).compress_later()
            }
        };
        let at_once = self.0.outbound.push_with(frame, at_once)?;
        stats::message_out(message.len());
        Ok(at_once)
    }

    /// Hands a topic's batch of prepared messages over at once, `whole`
    /// being their frames joined: one write if the connection's task waits
    /// (`Outbound::push_run`). `None` if this connection takes them one by
    /// one (session mode, compression).
    pub(crate) fn deliver_run<'a>(
        &self,
        whole: &Bytes,
        messages: impl Iterator<Item = &'a PreparedMessage> + Clone,
    ) -> Option<Result<(), SendError>> {
        if self.0.session().is_some() || self.0.deflate().is_some() {
            return None;
        }
        let result = self.0.outbound.push_run(whole, messages.clone().map(PreparedMessage::frame));
        if result.is_ok() {
            for message in messages {
                stats::message_out(message.len());
            }
        }
        Some(result)
    }

    /// Starts the close handshake: what is already queued is sent, then a
    /// close frame with `code` and `reason` (cut to 123 bytes). Later sends
    /// are refused. Codes that may not be sent become 1000.
    pub fn close(&self, code: CloseCode, reason: &str) {
        let code = if code.is_sendable() { code } else { CloseCode::NORMAL };
        self.catch_up();
        if let Some(session) = self.0.session() {
            if let Some(session) = session.upgrade() {
                session.close(code, reason);
            }
            return;
        }
        self.0.outbound.close(CloseFrame::new(code, reason));
    }

    /// Messages dropped to make room in the queue (routes configured with
    /// [`Overflow::DropOldest`]).
    pub fn dropped_messages(&self) -> u64 {
        self.0.outbound.dropped()
    }

    /// Bytes queued for this connection and not yet written.
    pub fn queued_bytes(&self) -> usize {
        self.0.outbound.queued_bytes()
    }

    /// Whether the last write to this connection's socket found it full
    /// (nothing taken): its peer reads slower than it is sent to, and what
    /// is sent now waits in the queue.
    pub fn is_write_blocked(&self) -> bool {
        self.0.outbound.is_write_blocked()
    }

    pub(crate) fn outbound(&self) -> &Outbound {
        &self.0.outbound
    }

    /// Records that the connection is in `group` (a topic does it when it
    /// subscribes the connection), to be left when the connection ends.
    pub fn join_group(&self, group: Arc<dyn Membership>) {
        self.join_group_after(group, handover::last());
    }

    /// As [`Conn::join_group`]; `joined`: the number of the last publish
    /// before (what the group held before is not this connection's).
    pub(crate) fn join_group_after(&self, group: Arc<dyn Membership>, joined: u64) {
        self.0.memberships.join(group, joined);
    }

    /// Hands over, in the order they were published, the messages this
    /// connection's topics hold for it (published, not yet written to
    /// their subscribers: `handover`), before anything else is queued.
    pub(crate) fn catch_up(&self) {
        if handover::topics_holding() == 0 {
            return;
        }
        let mut memberships = self.0.memberships.handover();
        let upto = handover::last();
        if memberships.groups() == 0 || memberships.handed_over() >= upto {
            return;
        }
        self.hand_over_held(&mut memberships, upto);
    }

    /// Hands over, in the order they were published, everything its
    /// topics hold for it numbered up to `upto` (with its memberships
    /// locked: in order, and once).
    pub(crate) fn hand_over_held(&self, memberships: &mut Handover<'_>, upto: u64) {
        for (_, message) in memberships.held(self.id(), upto) {
            let _ = self.deliver_prepared(&message, true);
        }
        memberships.set_handed_over(upto);
    }

    /// A waker of the connection's task, valid for the connection's life:
    /// it wakes the task if it waits (through its queue), whichever waker
    /// the task registered last.
    pub(crate) fn waker(&self) -> std::task::Waker {
        std::task::Waker::from(self.0.clone())
    }

    /// Starts loading what a topic's hand-over touches first (the
    /// memberships' lock, the queue's lock, the extras' pointer) while the
    /// topic still hands over to the subscribers before this one.
    pub(crate) fn prefetch_for_handover(&self) {
        prefetch::prefetch(&self.0.memberships);
        prefetch::prefetch(&self.0.outbound);
        prefetch::prefetch(&self.0.extras);
    }

    /// Its memberships, locked, for a topic to hand a batch over.
    pub(crate) fn handover(&self) -> Handover<'_> {
        self.0.memberships.handover()
    }

    /// Forgets `group` (the connection left it).
    pub fn leave_group(&self, group: &Arc<dyn Membership>) {
        self.0.memberships.remove(group);
    }

    /// How many topics (or other groups) the connection is in.
    pub fn groups(&self) -> usize {
        self.0.memberships.len()
    }

    /// Ends the connection's life: no more sends, out of every group.
    pub(crate) fn finish(&self) {
        self.0.outbound.end();
        self.0.memberships.leave_all(self.id());
    }
}

/// See [`Conn::waker`].
impl std::task::Wake for Inner {
    fn wake(self: Arc<Self>) {
        self.outbound.wake_waiting();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.outbound.wake_waiting();
    }
}

fn parts(message: &Message) -> (OpCode, &[u8]) {
    match message {
        Message::Text(text) => (OpCode::Text, text.as_bytes()),
        Message::Binary(data) => (OpCode::Binary, data),
    }
}

impl direct_write::KeepsOutbound for Conn {
    fn outbound(&self) -> &Outbound {
        &self.0.outbound
    }
}

impl PartialEq for Conn {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl Eq for Conn {}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conn")
            .field("id", &self.id())
            .field("remote", &self.remote_addr())
            .field("path", &self.request().path())
            .finish()
    }
}
