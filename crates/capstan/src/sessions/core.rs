//! What every transport of a session-mode route shares: the application,
//! the settings, the live sessions, and the steps each transport takes —
//! open a session or resume one, deliver a message, finish a session that
//! is over — so that a WebSocket and an HTTP fallback do them alike.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Weak};

use tokio::time::Instant;

use super::attached::Attached;
use super::batch::Batch;
use super::clock::{Clock, Timed};
use super::entry::Entry;
use super::link::{BatchRefusal, Fired, SessionLink};
use super::registry::Registry;
use crate::component::{CloseCause, CloseInfo, StatefulComponent};
use crate::conn::session_sink::SessionSink;
use crate::conn::{Conn, ConnId};
use crate::request::Request;
use crate::resume::{
    ErrorCode, Identity, Opening, SessionConfig, SessionError, SessionId, SessionState,
};
use crate::ws::{CloseCode, Message};

/// Gives the identity a request's session is bound to (docs/SESSIONS.md
/// §5.1).
pub type Identify = dyn Fn(&Request) -> Identity + Send + Sync;

/// A session-mode route's shared part.
pub(crate) struct RouteCore<A: StatefulComponent> {
    pub(crate) app: A,
    pub(crate) config: Arc<SessionConfig>,
    identify: Box<Identify>,
    registry: Registry<A::State>,
    /// One timer for all the route's sessions.
    clock: Arc<Clock>,
}

impl<A: StatefulComponent> RouteCore<A> {
    pub(crate) fn new(app: A, config: SessionConfig, identify: Box<Identify>) -> Self {
        let clock = Arc::new(Clock::default());
        Self { app, config: Arc::new(config), identify, registry: Registry::new(), clock }
    }

    /// Live sessions.
    pub(crate) fn sessions(&self) -> usize {
        self.registry.len()
    }

    /// A transport's first message asked for `opening`: a new session
    /// (the application's `on_open`), or the resume of one. Refused: the
    /// error for the transport (it is to be told and closed).
    pub(crate) async fn open(
        self: &Arc<Self>,
        transport: Attached,
        request: &Request,
        opening: Opening,
    ) -> Result<Arc<Entry<A::State>>, SessionError> {
        let identity = (self.identify)(request);
        match opening {
            Opening::New => self.start(transport, request, identity).await,
            Opening::Resume { sid, rx } => self.resume(transport, identity, &sid, rx).await,
        }
    }

    async fn start(
        self: &Arc<Self>,
        transport: Attached,
        request: &Request,
        identity: Identity,
    ) -> Result<Arc<Entry<A::State>>, SessionError> {
        let id = SessionId::generate().map_err(|error| {
            SessionError::new(ErrorCode::ProtocolViolation, format_args!("no session id: {error}"))
        })?;
        let state = SessionState::new(id.clone(), identity, self.config.clone(), Instant::now());
        let link = Arc::new(SessionLink::new(state, transport));
        let remote = request.remote_addr().unwrap_or(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)));
        let conn = Conn::for_session(remote, request.clone(), link.clone());
        link.welcome_new();
        let entry = Arc::new(Entry::opening(conn, link.clone()));
        self.registry.insert(id, entry.clone());
        let timer: Arc<dyn Timed> =
            Arc::new(SessionTimer { core: Arc::downgrade(self), entry: Arc::downgrade(&entry) });
        link.start_clock(self.clock.clone(), Arc::downgrade(&timer));
        entry.keep_timer(timer);
        let state = self.app.on_open(entry.conn()).await;
        entry.give_back(state);
        self.finish_if_over(&entry).await;
        Ok(entry)
    }

    async fn resume(
        &self,
        transport: Attached,
        identity: Identity,
        sid: &SessionId,
        rx: u64,
    ) -> Result<Arc<Entry<A::State>>, SessionError> {
        let unknown = || {
            let mut error = SessionError::new(ErrorCode::UnknownSession, "no such session");
            error.ends_session = false;
            error
        };
        let entry = self.registry.get(sid).ok_or_else(unknown)?;
        let link = entry.link();
        if !link.accepts(&identity) {
            return Err(unknown());
        }
        if let Some(old) = link.take_transport() {
            let code = ErrorCode::Replaced;
            old.close(code.close_code(), code.as_str());
        }
        match link.resume(transport, &identity, rx) {
            Ok(()) => Ok(entry),
            Err(error) => {
                self.finish_if_over(&entry).await;
                Err(error)
            }
        }
    }

    /// A message (after the first) arrived on WebSocket transport `from`:
    /// its data, if any, goes to the application.
    pub(crate) async fn receive(&self, entry: &Entry<A::State>, from: ConnId, message: Message) {
        let _inbox = entry.inbox().await;
        if let Some(data) = entry.link().received(from, message) {
            self.deliver(entry, data).await;
        }
    }

    /// A POST batch arrived on HTTP transport `from`: its new messages go
    /// to the application, in order.
    pub(crate) async fn receive_batch(
        &self,
        entry: &Entry<A::State>,
        from: ConnId,
        batch: Batch,
    ) -> Result<(), BatchRefusal> {
        let _inbox = entry.inbox().await;
        let count = batch.messages.len() as u64;
        let fresh = entry.link().received_batch(from, batch.first, count, batch.ack);
        if let Err(BatchRefusal::Violation(_)) = &fresh {
            self.finish_if_over(entry).await;
        }
        let fresh = fresh?;
        let skip = usize::try_from(fresh.start).unwrap_or(usize::MAX);
        for message in batch.messages.into_iter().skip(skip) {
            self.deliver(entry, message).await;
        }
        Ok(())
    }

    /// Gives `message` (a data message of the client) to the application.
    async fn deliver(&self, entry: &Entry<A::State>, message: Message) {
        let Some(mut state) = entry.borrow().await else { return };
        self.app.on_message(entry.conn(), &mut state, message).await;
        entry.give_back(state);
        self.finish_if_over(entry).await;
    }

    /// Transport `transport` of `entry`'s session ended as `info` says:
    /// the session waits for a resume, or, when the client closed it
    /// (1000), broke the rules, or the server shuts down, it is over.
    pub(crate) async fn transport_ended(
        &self,
        entry: &Entry<A::State>,
        transport: ConnId,
        info: &CloseInfo,
    ) {
        // A client that broke RFC 6455 or the rate limit would do it again
        // on its next transport: its session is over too.
        let ends = match info.cause {
            CloseCause::PeerClosed => info.code == CloseCode::NORMAL,
            CloseCause::ServerShutdown | CloseCause::ProtocolError(_) | CloseCause::RateLimited => {
                true
            }
            _ => false,
        };
        entry.link().detach(transport, ends.then_some(info));
        self.finish_if_over(entry).await;
    }

    /// If the session is over and its state at home: the application's
    /// `on_close`, once.
    pub(crate) async fn finish_if_over(&self, entry: &Entry<A::State>) {
        let link = entry.link();
        if !link.is_over() {
            return;
        }
        let Some(state) = entry.take_to_finish() else { return };
        let fallback = CloseInfo {
            code: CloseCode::ABNORMAL,
            reason: String::new(),
            cause: CloseCause::ConnectionLost,
        };
        let info = link.end_info(fallback);
        self.registry.remove(&link.id());
        let conn = entry.conn();
        conn.finish();
        tracing::debug!(conn = %conn.id(), cause = ?info.cause, "session ended");
        self.app.on_close(conn, state, info).await;
    }
}

/// What the route's clock wakes for one session: its acks and heartbeats
/// while a transport is attached, the end of its grace period while none
/// is; it finishes the session once over (when nobody else holds its
/// state).
struct SessionTimer<A: StatefulComponent> {
    core: Weak<RouteCore<A>>,
    entry: Weak<Entry<A::State>>,
}

impl<A: StatefulComponent> Timed for SessionTimer<A> {
    fn fire(self: Arc<Self>, at: Instant, now: Instant) -> Option<Instant> {
        let entry = self.entry.upgrade()?;
        match entry.link().fire(at, now) {
            Fired::Stale => None,
            Fired::Next(next) => next,
            Fired::Over => {
                let core = self.core.upgrade()?;
                tokio::spawn(async move { core.finish_if_over(&entry).await });
                None
            }
        }
    }
}
