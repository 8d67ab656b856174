//! The task behind each WebSocket connection: reads and decodes frames,
//! calls the application in order, writes the outbound queue, runs the
//! keepalive and close handshake. One task, one timer, no buffer kept while
//! the connection is idle.

use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use bytes::{Bytes, BytesMut};
use tokio::time::{Instant, Sleep, sleep_until};

use super::session::{PeerClose, Session, TimerStep};
use super::writer::Writer;
use super::{Shared, WsConfig};
use crate::component::{CloseCause, CloseInfo, StatefulComponent};
use crate::conn::Conn;
use crate::conn::direct_write::LentTransport;
use crate::conn::outbound::Stop;
use crate::conn::read_buffers::Waiting;
use crate::error::ConnError;
use crate::request::Request;
use crate::server::shutdown::{ShutdownRegistration, TrackerGuard};
use crate::server::{ConnContext, ShutdownSignal, Transport};
use crate::stats::{self, CloseKind};
use crate::ws::deflate::DeflateParams;
use crate::ws::{
    CloseCode, CloseFrame, Decoder, Event, OpCode, OutFrame, ProtocolError, Role, handshake,
};

/// Smallest read; larger when a big frame is being received.
const MIN_READ: usize = 4096;
/// Largest single growth of the read buffer.
const MAX_READ: usize = 256 * 1024;

/// Sets a connection up (its [`Conn`], decoder, writer) and returns the
/// future that answers the handshake and serves the connection to its end.
/// The setup is done before the future is made, and the future is one
/// async block over the [`Driver`] (no nested async functions holding
/// copies of the same arguments), so that what a live connection keeps is only what
/// serving it needs: a few hundred bytes per idle connection.
pub(crate) fn run<A: StatefulComponent>(
    shared: Arc<Shared<A>>,
    transport: Transport,
    request: Request,
    accepted: handshake::Accepted,
    buffered: BytesMut,
    context: ConnContext,
) -> impl Future<Output = ()> + Send + 'static {
    let response = handshake::response(&accepted);
    let deflate = accepted.deflate.map(|(params, _)| params);
    let config = &shared.config;
    let (remote, shutdown, live) = context.into_parts();
    let conn = Conn::new(
        remote,
        request,
        accepted.protocol,
        deflate,
        config.max_outbound_bytes,
        config.on_overflow,
    );
    tracing::Span::current().record("ws", conn.id().get());
    let mut driver = Driver::new(&conn, shared, transport, buffered, deflate, shutdown);
    // The answer goes first, written before the application hears of the
    // connection (`serve_to_end`).
    driver.writer.queue_first(conn.outbound(), OutFrame::encoded(response));
    driver.serve_to_end(conn, live)
}

/// What woke a waiting connection.
enum Wake {
    Shutdown,
    Written(io::Result<Option<Stop>>),
    Read(io::Result<usize>),
    Timer,
}

/// The application and this connection's state, lent together to the
/// parts of the task that call it (one pointer, not two, in the future a
/// waiting connection keeps).
struct AppState<A: StatefulComponent> {
    shared: Arc<Shared<A>>,
    state: A::State,
}

/// Everything a connection's task keeps while it waits, in one place:
/// the waiting code captures a pointer to it, not a copy of each part.
struct Driver<A> {
    shared: Arc<Shared<A>>,
    /// Lent to senders while the task waits (`conn::direct_write`).
    transport: LentTransport<Conn>,
    decoder: Decoder,
    read_buf: BytesMut,
    writer: Writer,
    /// The close handshake, timers and rate limit, without I/O.
    session: Session,
    /// Made only while a deadline exists (keepalive, idle or close
    /// timeout): a connection without one carries no timer.
    timer: Option<Pin<Box<Sleep>>>,
    /// Shutdown wakes the task through its queue (`Conn::waker`): one
    /// registration for the connection's life, and an atomic flag read
    /// once the task has registered to wait, instead of a lock per poll.
    shutdown: ShutdownRegistration,
    shutdown_seen: bool,
    write_error: Option<io::Error>,
    fin_sent: bool,
}

impl<A: StatefulComponent> Driver<A> {
    fn new(
        conn: &Conn,
        shared: Arc<Shared<A>>,
        transport: Transport,
        buffered: BytesMut,
        deflate: Option<DeflateParams>,
        shutdown: ShutdownSignal,
    ) -> Self {
        let config = &shared.config;
        let mut decoder = Decoder::new(Role::Server, config.limits);
        if let Some(params) = &deflate {
            decoder = decoder.with_deflate(params.client_no_context_takeover);
        }
        let session = Session::new(Instant::now(), config);
        let shutdown = shutdown.register_for_life(conn.waker());
        Self {
            shared,
            transport: LentTransport::new(transport, conn.clone()),
            decoder,
            read_buf: buffered,
            writer: Writer::new(deflate),
            session,
            timer: None,
            shutdown,
            shutdown_seen: false,
            write_error: None,
            fin_sent: false,
        }
    }

    fn config(&self) -> &WsConfig {
        &self.shared.config
    }

    /// Writes the handshake's answer, then runs the application's
    /// callbacks over the connection's life: open, messages, close; then
    /// lingers for the peer's FIN. `live` counts the connection until the
    /// end.
    /// (An async block, not an `async fn`: the arguments of an `async fn`
    /// are moved into its state a second time, doubling what it keeps:
    /// measured at bfa041a, 1,056 bytes instead of 624.)
    #[allow(clippy::manual_async_fn)]
    fn serve_to_end(
        mut self,
        conn: Conn,
        live: Option<TrackerGuard>,
    ) -> impl Future<Output = ()> + Send + 'static {
        async move {
            let out = conn.outbound();
            if Box::pin(self.writer.flush_all(&mut self.transport, out)).await.is_err() {
                return;
            }
            let shared = self.shared.clone();
            stats::opened();
            // The opening and closing callbacks are boxed while they run:
            // an application's may be large, and would otherwise size what
            // every open connection keeps.
            let state = self.run_app(&conn, Box::pin(shared.app.on_open(&conn))).await;
            let mut app = AppState { shared, state };
            let end = self.serve(&mut app, &conn).await;
            conn.finish();
            stats::closed(CloseKind::from(&end.cause));
            tracing::debug!(conn = %conn.id(), code = %end.code, cause = ?end.cause, "closed");
            let AppState { shared, state } = app;
            Box::pin(shared.app.on_close(&conn, state, end)).await;
            Box::pin(self.linger()).await;
            // Counted as live until here.
            drop(live);
        }
    }

    /// Runs an application callback to completion while the connection's
    /// output keeps flowing.
    async fn run_app<T>(&mut self, conn: &Conn, callback: impl Future<Output = T>) -> T {
        let mut callback = std::pin::pin!(callback);
        poll_fn(|cx| {
            if let Poll::Ready(done) = callback.as_mut().poll(cx) {
                return Poll::Ready(done);
            }
            // Write until the stream or the queue has nothing more to give
            // (then both are registered to wake this task).
            while self.write_error.is_none() {
                match self.writer.poll_write_some(cx, &mut self.transport, conn.outbound()) {
                    Poll::Pending => break,
                    Poll::Ready(result) => self.on_written(conn, result),
                }
            }
            Poll::Pending
        })
        .await
    }

    /// Acts on the outcome of one write.
    fn on_written(&mut self, conn: &Conn, result: io::Result<Option<Stop>>) {
        match result {
            Err(error) => self.write_error = Some(error),
            Ok(Some(stop)) => self.on_stop(conn, stop),
            Ok(None) => {}
        }
    }

    async fn serve(&mut self, app: &mut AppState<A>, conn: &Conn) -> CloseInfo {
        loop {
            // Boxed while it runs: the decoding and the application's
            // callbacks do not size what a waiting connection keeps.
            if !self.read_buf.is_empty()
                && let Some(end) = Box::pin(self.process_input(app, conn)).await
            {
                return end;
            }
            if let Some(error) = self.write_error.take() {
                return Box::pin(self.lost(app, conn, error)).await;
            }
            if self.read_buf.is_empty() {
                // Give the buffer back while idle.
                self.read_buf = BytesMut::new();
            }
            self.set_timer();
            let waiting = Waiting::with_capacity(self.read_buf.capacity());
            let wake = poll_fn(|cx| self.poll_wake(cx, conn)).await;
            drop(waiting);
            // Input is handled registered for as long as it can be
            // (`process_input`); anything else runs unregistered.
            if !matches!(wake, Wake::Read(Ok(1..))) {
                conn.outbound().unregister();
            }
            match wake {
                Wake::Shutdown => self.start_close(
                    conn,
                    CloseCode::GOING_AWAY,
                    "server shutdown",
                    CloseCause::ServerShutdown,
                ),
                Wake::Written(result) => self.on_written(conn, result),
                Wake::Read(Ok(0)) => return self.session.ended(),
                Wake::Read(Ok(_)) if Session::times_bytes(&self.shared.config) => {
                    self.session.bytes_received(Instant::now());
                }
                Wake::Read(Ok(_)) => {}
                Wake::Read(Err(error)) => return Box::pin(self.lost(app, conn, error)).await,
                Wake::Timer => {
                    if let Some(end) = self.on_timer(conn) {
                        return end;
                    }
                }
            }
        }
    }

    /// Keeps the timer on the session's next deadline (none: no timer).
    fn set_timer(&mut self) {
        match (self.session.next_deadline(&self.shared.config), &mut self.timer) {
            (None, timer) => *timer = None,
            (Some(deadline), Some(timer)) if timer.deadline() == deadline => {}
            (Some(deadline), Some(timer)) => timer.as_mut().reset(deadline),
            (Some(deadline), timer) => *timer = Some(Box::pin(sleep_until(deadline))),
        }
    }

    /// One poll over every source, in this order: no future is kept per
    /// source while the connection waits.
    fn poll_wake(&mut self, cx: &mut std::task::Context<'_>, conn: &Conn) -> Poll<Wake> {
        // Writes until the queue is empty or the socket full; only a stop
        // or an error goes back to the loop (a plain write changes nothing
        // it checks: one turn less per reply).
        let out = conn.outbound();
        while let Poll::Ready(result) = self.writer.poll_write_some(cx, &mut self.transport, out) {
            if !matches!(result, Ok(None)) {
                return Poll::Ready(Wake::Written(result));
            }
        }
        let wanted = self.decoder.bytes_wanted(self.read_buf.len()).clamp(MIN_READ, MAX_READ);
        let read = self.transport.poll_read_into(cx, &mut self.read_buf, wanted);
        if let Poll::Ready(result) = read {
            return Poll::Ready(Wake::Read(result));
        }
        if self.timer.as_mut().is_some_and(|timer| timer.as_mut().poll(cx).is_ready()) {
            return Poll::Ready(Wake::Timer);
        }
        // After the queue registered the task: a shutdown that starts from
        // here on finds it waiting there.
        if self.session.is_open() && !self.shutdown_seen && self.shutdown.is_triggered() {
            self.shutdown_seen = true;
            return Poll::Ready(Wake::Shutdown);
        }
        Poll::Pending
    }

    /// Decodes and handles every complete event in the read buffer.
    ///
    /// The last message read, while the task still waits as it registered
    /// (nothing to write, the socket lent to senders), is handled so: what
    /// it is answered with goes to the socket as it is sent, one `send`
    /// and no turn through the queue. Before anything else the task stops
    /// waiting: what is sent then is queued, and written by the task in
    /// one batch (several messages read at once, one write).
    async fn process_input(&mut self, app: &mut AppState<A>, conn: &Conn) -> Option<CloseInfo> {
        let mut unregistered = false;
        loop {
            let event = match self.decoder.decode(&mut self.read_buf) {
                Ok(Some(event)) => event,
                Ok(None) => return None,
                // Boxed, as the other ending paths: rare, and they would otherwise
                // size the future every waiting connection keeps.
                Err(error) => {
                    conn.outbound().unregister();
                    return Some(Box::pin(self.fail(app, conn, error)).await);
                }
            };
            let straight = matches!(event, Event::Message(_))
                && self.read_buf.is_empty()
                && self.writer.waits_idle(conn.outbound());
            if !straight && !std::mem::replace(&mut unregistered, true) {
                conn.outbound().unregister();
            }
            match event {
                Event::Message(message) => {
                    stats::message_in(message.len());
                    let config = &self.shared.config;
                    if Session::times_messages(config)
                        && let Some(close) = self.session.message_received(Instant::now(), config)
                    {
                        self.queue_server_close(conn, close);
                    }
                    if self.session.is_open() {
                        self.run_app(
                            conn,
                            app.shared.app.on_message(conn, &mut app.state, message),
                        )
                        .await;
                    }
                }
                Event::Ping(payload) => {
                    if self.session.is_open() {
                        conn.outbound().push_control(OutFrame::new(OpCode::Pong, payload));
                    }
                }
                Event::Pong(_) => {}
                Event::Close(frame) => {
                    return Some(Box::pin(self.on_peer_close(conn, frame)).await);
                }
            }
        }
    }

    /// The peer's close frame: answer it (or it answers ours) and finish.
    async fn on_peer_close(&mut self, conn: &Conn, frame: Option<CloseFrame>) -> CloseInfo {
        let PeerClose { reply, info } = self.session.peer_closed(frame);
        if let Some(reply) = reply {
            self.queue_close(conn, OutFrame::close(reply.as_ref()), Stop::Ended);
        }
        self.close_transport(conn).await;
        info
    }

    /// The peer broke the protocol: tell the app, send what was already
    /// queued (answers to messages accepted before the violation), then the
    /// RFC's close code, and close.
    async fn fail(
        &mut self,
        app: &mut AppState<A>,
        conn: &Conn,
        error: ProtocolError,
    ) -> CloseInfo {
        tracing::debug!(conn = %conn.id(), %error, "protocol error");
        let (close, info) = self.session.failed(error.clone());
        if let Some(frame) = close {
            self.queue_close(conn, OutFrame::close(Some(&frame)), Stop::Ended);
        }
        let callback = app.shared.app.on_error(conn, &mut app.state, ConnError::Protocol(error));
        self.run_app(conn, callback).await;
        self.close_transport(conn).await;
        info
    }

    /// The socket failed.
    async fn lost(&mut self, app: &mut AppState<A>, conn: &Conn, error: io::Error) -> CloseInfo {
        app.shared.app.on_error(conn, &mut app.state, ConnError::Io(error)).await;
        self.session.ended()
    }

    /// The outbound queue stopped: the app closed, or the peer fell behind.
    fn on_stop(&mut self, conn: &Conn, stop: Stop) {
        if !self.session.is_open() {
            return;
        }
        let now = Instant::now();
        match stop {
            Stop::Close(frame) => {
                self.session.close_sent(
                    now,
                    &self.shared.config,
                    *frame,
                    CloseCause::ClosedByServer,
                );
            }
            Stop::Overflow => {
                stats::slow_consumer();
                let frame = CloseFrame::new(CloseCode::POLICY_VIOLATION, "slow consumer");
                self.writer.replace_unstarted(conn.outbound(), OutFrame::close(Some(&frame)));
                self.session.close_sent(now, &self.shared.config, frame, CloseCause::SlowConsumer);
            }
            Stop::Ended => {}
        }
    }

    /// The server closes for `cause` (shutdown): queues our close frame
    /// after what is queued, unless a close is under way.
    fn start_close(&mut self, conn: &Conn, code: CloseCode, reason: &str, cause: CloseCause) {
        let config = &self.shared.config;
        if let Some(frame) = self.session.start_close(Instant::now(), config, code, reason, cause) {
            self.queue_server_close(conn, frame);
        }
    }

    /// Queues the close frame the session started.
    fn queue_server_close(&mut self, conn: &Conn, frame: CloseFrame) {
        let close = OutFrame::close(Some(&frame));
        self.queue_close(conn, close, Stop::Close(Box::new(frame)));
    }

    /// Queues a close frame after everything queued. If the queue had
    /// stopped already: nothing to add when a close frame is queued there;
    /// after an overflow, the close goes ahead of what was not started.
    fn queue_close(&mut self, conn: &Conn, close: OutFrame, stop: Stop) {
        match conn.outbound().stop_with(close.clone(), stop) {
            Ok(()) | Err(Stop::Close(_) | Stop::Ended) => {}
            Err(Stop::Overflow) => self.writer.replace_unstarted(conn.outbound(), close),
        }
    }

    /// The timer fired: does what the session says.
    fn on_timer(&mut self, conn: &Conn) -> Option<CloseInfo> {
        match self.session.timer_fired(Instant::now(), &self.shared.config) {
            TimerStep::Wait => None,
            TimerStep::Ping => {
                conn.outbound().push_control(OutFrame::new(OpCode::Ping, Bytes::new()));
                None
            }
            TimerStep::Close(frame) => {
                self.queue_server_close(conn, frame);
                None
            }
            TimerStep::End(info) => Some(info),
        }
    }

    /// Writes what is left (our close frame among it) and sends FIN.
    async fn close_transport(&mut self, conn: &Conn) {
        let timeout = self.config().close_timeout;
        let flushed = tokio::time::timeout(timeout, async {
            self.writer.flush_all(&mut self.transport, conn.outbound()).await?;
            self.transport.shutdown().await
        })
        .await;
        conn.outbound().end();
        self.fin_sent = matches!(flushed, Ok(Ok(())));
    }

    /// After our FIN, reads until the peer closes too (bounded by the close
    /// timeout), so that no reset destroys the close frame in flight.
    async fn linger(&mut self) {
        if !self.fin_sent {
            return;
        }
        let mut sink = BytesMut::new();
        let _ = tokio::time::timeout(self.config().close_timeout, async {
            loop {
                sink.clear();
                match self.transport.read_into(&mut sink, MIN_READ).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        })
        .await;
    }
}

/// What the tests of connection memory share.
#[cfg(test)]
pub(crate) mod sizes {
    use std::sync::Arc;

    use bytes::BytesMut;
    use tokio::net::{TcpListener, TcpStream};

    use super::run;
    use crate::component::{Component, StatefulComponent};
    use crate::conn::Conn;
    use crate::request::Request;
    use crate::server::shutdown::{ShutdownHandle, Tracker};
    use crate::server::{ConnContext, Transport};
    use crate::ws::deflate::DeflateConfig;
    use crate::ws::handshake;
    use crate::ws_server::{Shared, WsConfig};

    /// The plainest application: each message sent back.
    pub(crate) struct Echo;

    impl Component for Echo {
        async fn on_message(&self, conn: &Conn, message: crate::Message) {
            let _ = conn.send(message);
        }
    }

    /// The size of the future an open connection of `app` keeps for its
    /// whole life (boxed) beside its `Conn`.
    pub(crate) async fn connection_future_size<A: StatefulComponent>(app: A) -> usize {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (server, remote) = listener.accept().await.unwrap();
        let head = b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
            Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        let (request, _) = Request::parse(head).unwrap().unwrap();
        let accepted = handshake::accept(&request, &[], &DeflateConfig::disabled()).unwrap();
        let shared = Arc::new(Shared { app, config: WsConfig::default() });
        let tracker = Arc::new(Tracker::default());
        let context = ConnContext::new(remote, ShutdownHandle::new().signal(), tracker.enter());
        let transport = Transport::tcp(server).unwrap();
        let future = run(shared, transport, request, accepted, BytesMut::new(), context);
        let size = std::mem::size_of_val(&future);
        drop((future, client));
        size
    }
}

#[cfg(test)]
mod tests {
    use super::sizes::{Echo, connection_future_size};

    /// What every open connection keeps for its whole life is this future
    /// (boxed) beside its `Conn`: the idle-memory budget (docs in
    /// BENCHMARKS.md) depends on it staying small. Rare paths (opening,
    /// closing, protocol errors, lingering) are boxed when taken so as not
    /// to size it.
    #[tokio::test]
    async fn a_connection_future_stays_small() {
        // 552 bytes in release, 560 in debug (issue #20; 792 before).
        let size = connection_future_size(Echo).await;
        assert!(size <= 576, "the connection future grew to {size} bytes");
    }
}
