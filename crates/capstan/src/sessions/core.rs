//! What every transport of a session-mode route shares: the application,
//! the settings, the live sessions, and the steps each transport takes —
//! open a session or resume one, deliver a message, finish a session that
//! is over — so that a WebSocket and an HTTP fallback do them alike.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Weak};

use tokio::time::Instant;

use super::attached::Attached;
use super::batch::Batch;
use super::clock::Clock;
use super::entry::{Entry, Finish, Slot};
use super::link::BatchRefusal;
use super::registry::Registry;
use crate::component::{CloseCause, CloseInfo, StatefulComponent};
use crate::conn::ConnId;
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
    clock: Arc<Clock<Entry<A::State>>>,
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
        let remote = request.remote_addr().unwrap_or(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)));
        let route: Weak<dyn Finish<A::State>> = Arc::downgrade(self) as Weak<Self>;
        let clock = self.clock.clone();
        let entry = Entry::opening(state, transport, remote, request.clone(), clock, route);
        {
            let mut app = entry.app_of_new();
            entry.link().welcome_new();
            self.registry.insert(id, entry.clone());
            entry.link().start_clock();
            *app = Slot::Here(self.app.on_open(entry.conn()).await);
            self.finish_locked(&entry, &mut app).await;
        }
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
        let mut app = entry.app().await;
        if let Some(data) = entry.link().received(from, message) {
            self.deliver(entry, &mut app, data).await;
        }
        self.finish_locked(entry, &mut app).await;
    }

    /// A POST batch arrived on HTTP transport `from`: its new messages go
    /// to the application, in order.
    pub(crate) async fn receive_batch(
        &self,
        entry: &Entry<A::State>,
        from: ConnId,
        batch: Batch,
    ) -> Result<(), BatchRefusal> {
        let mut app = entry.app().await;
        let count = batch.messages.len() as u64;
        let fresh = entry.link().received_batch(from, batch.first, count, batch.ack);
        if let Err(BatchRefusal::Violation(_)) = &fresh {
            self.finish_locked(entry, &mut app).await;
        }
        let fresh = fresh?;
        let skip = usize::try_from(fresh.start).unwrap_or(usize::MAX);
        for message in batch.messages.into_iter().skip(skip) {
            self.deliver(entry, &mut app, message).await;
        }
        self.finish_locked(entry, &mut app).await;
        Ok(())
    }

    /// Gives `message` (a data message of the client) to the application.
    async fn deliver(&self, entry: &Entry<A::State>, app: &mut Slot<A::State>, message: Message) {
        if let Slot::Here(state) = app
            && !entry.link().is_over()
        {
            self.app.on_message(entry.conn(), state, message).await;
        }
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

    /// If the session is over: the application's `on_close`, once (by
    /// whoever holds its state then).
    pub(crate) async fn finish_if_over(&self, entry: &Entry<A::State>) {
        if entry.link().is_over() {
            let mut app = entry.app().await;
            self.finish_locked(entry, &mut app).await;
        }
    }

    /// If the session is over and its state made (`app` is its lock): the
    /// application's `on_close`, once.
    async fn finish_locked(&self, entry: &Entry<A::State>, app: &mut Slot<A::State>) {
        if !entry.link().is_over() || !matches!(app, Slot::Here(_)) {
            return;
        }
        let Slot::Here(state) = std::mem::replace(app, Slot::Finished) else { return };
        // Boxed: rare, and it would otherwise size every delivery's future.
        Box::pin(self.finish(entry, state)).await;
    }

    async fn finish(&self, entry: &Entry<A::State>, state: A::State) {
        let link = entry.link();
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

impl<A: StatefulComponent> Finish<A::State> for RouteCore<A> {
    fn finish_later(self: Arc<Self>, entry: Arc<Entry<A::State>>) {
        tokio::spawn(async move { self.finish_if_over(&entry).await });
    }
}
