//! The WebSocket layer as a value: `WsServer::new(app)` checks the upgrade,
//! answers 101 and runs each connection for the application.

mod driver;
#[cfg(test)]
pub(crate) use driver::sizes::{Echo as SizedEcho, connection_future_size};
mod session;
mod writer;

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;

use crate::component::StatefulComponent;
use crate::conn::Overflow;
use crate::http::component::ServeFuture;
use crate::http::{Decision, HttpComponent, Rejection, Request, Upgrade};
use crate::server::{ConnContext, Transport};
use crate::ws::deflate::DeflateConfig;
use crate::ws::{Limits, handshake};

/// Limits and timers of the WebSocket layer.
#[derive(Debug, Clone)]
pub struct WsConfig {
    /// Largest frame and message accepted (1009 beyond).
    pub limits: Limits,
    /// The bound of each connection's outbound queue, in bytes.
    pub max_outbound_bytes: usize,
    /// Past the bound: close the connection as a slow consumer (1008, the
    /// default), or drop its oldest queued messages and count them.
    pub on_overflow: Overflow,
    /// Interval of keepalive pings, counted from the last byte received;
    /// `None` disables them.
    pub ping_interval: Option<Duration>,
    /// How long a peer has to answer a ping (with anything) before it is
    /// considered dead and dropped.
    pub pong_timeout: Duration,
    /// Close (1001) connections that send no message for this long.
    pub idle_timeout: Option<Duration>,
    /// How long to wait for the peer's close frame after sending ours.
    pub close_timeout: Duration,
    /// Subprotocols spoken, in the server's terms; the client's order of
    /// preference picks among them.
    pub protocols: Vec<String>,
    /// permessage-deflate (RFC 7692): whether and how to compress.
    pub deflate: DeflateConfig,
    /// Most data messages a peer may send: `per_second` on average, with
    /// bursts of `burst`; beyond, the connection is closed with 1008.
    /// `None`: no limit.
    pub message_rate: Option<MessageRate>,
}

/// A message rate limit (token bucket).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MessageRate {
    /// Messages per second allowed on average.
    pub per_second: f64,
    /// Messages allowed at once.
    pub burst: u32,
}

impl Default for WsConfig {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            max_outbound_bytes: 4 << 20,
            on_overflow: Overflow::Close,
            ping_interval: Some(Duration::from_secs(30)),
            pong_timeout: Duration::from_secs(30),
            idle_timeout: None,
            close_timeout: Duration::from_secs(5),
            protocols: Vec::new(),
            deflate: DeflateConfig::default(),
            message_rate: None,
        }
    }
}

/// What every connection of one WebSocket layer shares.
pub(crate) struct Shared<A> {
    pub(crate) app: A,
    pub(crate) config: WsConfig,
}

/// Runs the application over WebSocket connections.
pub struct WsServer<A> {
    shared: Arc<Shared<A>>,
}

impl<A: StatefulComponent> WsServer<A> {
    /// The WebSocket layer around `app`, with default limits.
    pub fn new(app: A) -> Self {
        Self::with_config(app, WsConfig::default())
    }

    /// The WebSocket layer around `app`, with `config`.
    pub fn with_config(app: A, config: WsConfig) -> Self {
        Self { shared: Arc::new(Shared { app, config }) }
    }

    /// The configuration in force.
    pub fn config(&self) -> &WsConfig {
        &self.shared.config
    }
}

impl<A: StatefulComponent> HttpComponent for WsServer<A> {
    async fn on_request(&self, request: &mut Request) -> Decision {
        if !request.is_upgrade() {
            let answer = Rejection::new(426, "this endpoint speaks WebSocket")
                .with_header("Upgrade", "websocket")
                .with_header("Sec-WebSocket-Version", handshake::VERSION);
            return Decision::Pass(answer);
        }
        match handshake::accept(request, &self.shared.config.protocols, &self.shared.config.deflate)
        {
            Ok(accepted) => {
                Decision::Upgrade(Box::new(WsUpgrade { shared: self.shared.clone(), accepted }))
            }
            Err(error) => Decision::Reject(error.rejection()),
        }
    }
}

struct WsUpgrade<A> {
    shared: Arc<Shared<A>>,
    accepted: handshake::Accepted,
}

impl<A: StatefulComponent> Upgrade for WsUpgrade<A> {
    fn serve(
        self: Box<Self>,
        transport: Transport,
        request: Request,
        buffered: BytesMut,
        context: ConnContext,
    ) -> ServeFuture {
        let WsUpgrade { shared, accepted } = *self;
        Box::pin(driver::run(shared, transport, request, accepted, buffered, context))
    }
}
