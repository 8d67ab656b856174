//! A session-mode route: the layer an application's connections survive
//! cuts through (docs/SESSIONS.md). It stands where a [`WsServer`] stands
//! and takes the same application.

use std::sync::Arc;

use super::carrier::WsCarrier;
use super::core::{Identify, RouteCore};
use super::fallback::{Fallback, FallbackConfig};
use crate::component::StatefulComponent;
use crate::http::{Decision, HttpComponent, Request};
use crate::overflow::Overflow;
use crate::resume::{Identity, SessionConfig};
use crate::ws_server::{WsConfig, WsServer};

/// Serves `A` in session mode: each connection is a session that outlives
/// the transports under it, for the grace period of its
/// [`SessionConfig`].
pub struct SessionRoute<A: StatefulComponent> {
    core: Arc<RouteCore<A>>,
    websocket: WsServer<WsCarrier<A>>,
    fallback: Arc<Fallback<A>>,
}

/// How a [`SessionRoute`] is made.
pub struct SessionRouteBuilder<A> {
    app: A,
    ws: WsConfig,
    sessions: SessionConfig,
    fallback: Option<FallbackConfig>,
    identify: Box<Identify>,
}

impl<A: StatefulComponent> SessionRoute<A> {
    /// `app` in session mode, with the default settings, sessions bound to
    /// no identity (the session id alone is the capability).
    pub fn new(app: A) -> Self {
        Self::builder(app).build()
    }

    /// `app` in session mode, settings to choose.
    pub fn builder(app: A) -> SessionRouteBuilder<A> {
        SessionRouteBuilder {
            app,
            ws: WsConfig::default(),
            sessions: SessionConfig::default(),
            fallback: None,
            identify: Box::new(|_| Identity::anonymous()),
        }
    }

    /// Sessions alive now (attached or within their grace period).
    pub fn sessions(&self) -> usize {
        self.core.sessions()
    }

    /// The application.
    pub fn app(&self) -> &A {
        &self.core.app
    }
}

impl<A: StatefulComponent> SessionRouteBuilder<A> {
    /// The WebSocket transports' limits and timers. The outbound bound and
    /// overflow policy are the session's ([`SessionConfig`]): a
    /// transport's queue only holds what the session keeps.
    pub fn websocket(mut self, config: WsConfig) -> Self {
        self.ws = config;
        self
    }

    /// The sessions' grace period, bound, acks and heartbeat.
    pub fn sessions(mut self, config: SessionConfig) -> Self {
        self.sessions = config;
        self
    }

    /// The HTTP fallbacks' limits (by default: on, with the WebSocket's
    /// message and outbound bounds).
    pub fn fallback(mut self, config: FallbackConfig) -> Self {
        self.fallback = Some(config);
        self
    }

    /// Binds each session to the identity `identify` gives its first
    /// request: a resume from a request of another identity is refused as
    /// an unknown session. `identify` reads what the route's
    /// authentication layer attached ([`Request::identity`]).
    pub fn identify(
        mut self,
        identify: impl Fn(&Request) -> Identity + Send + Sync + 'static,
    ) -> Self {
        self.identify = Box::new(identify);
        self
    }

    /// The route.
    pub fn build(self) -> SessionRoute<A> {
        let kept = self.sessions.max_retained_bytes;
        let fallback = self.fallback.unwrap_or_else(|| FallbackConfig {
            max_message_bytes: self.ws.limits.max_message_size,
            max_downstream_bytes: transport_bound(kept, 8),
            ..FallbackConfig::default()
        });
        // What waits in a transport's queue was kept by the session too
        // (or is a control): the session's bound governs, the transport's
        // is only a backstop (frame heads, controls) wide enough for a
        // resume's resend. A transport never drops a message (that would
        // shift the implicit numbers): past it, it closes, and the client
        // resumes.
        let mut ws = self.ws;
        ws.max_outbound_bytes = transport_bound(kept, 4);
        ws.on_overflow = Overflow::Close;
        let core = Arc::new(RouteCore::new(self.app, self.sessions, self.identify));
        let fallback = Arc::new(Fallback::new(core.clone(), fallback));
        let websocket = WsServer::with_config(WsCarrier::new(core.clone()), ws);
        SessionRoute { core, websocket, fallback }
    }
}

impl<A: StatefulComponent> HttpComponent for SessionRoute<A> {
    async fn on_request(&self, request: &mut Request) -> Decision {
        if self.fallback.wants(request) {
            return Decision::Upgrade(self.fallback.upgrade());
        }
        self.websocket.on_request(request).await
    }
}

/// A transport's backstop bound: `factor` times what the session keeps
/// (a data message's frame or event is larger than its payload: a frame
/// head, JSON escapes, base64), plus room for controls.
fn transport_bound(kept: usize, factor: usize) -> usize {
    kept.saturating_mul(factor).saturating_add(64 << 10)
}
