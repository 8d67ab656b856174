//! The WebSocket transport of a session-mode route: a component of its
//! own under [`WsServer`](crate::WsServer), which reads each message's
//! prefix, opens or resumes the session on the first one, and hands the
//! data messages to the application's session.

use std::sync::Arc;

use super::attached::Attached;
use super::core::RouteCore;
use super::entry::Entry;
use crate::component::{CloseInfo, StatefulComponent};
use crate::conn::Conn;
use crate::resume::opening;
use crate::ws::Message;

/// Serves one route's WebSocket transports.
pub(crate) struct WsCarrier<A: StatefulComponent> {
    core: Arc<RouteCore<A>>,
}

impl<A: StatefulComponent> WsCarrier<A> {
    pub(crate) fn new(core: Arc<RouteCore<A>>) -> Self {
        Self { core }
    }
}

/// Where a WebSocket transport is in its life.
pub(crate) enum Carried<S> {
    /// Before its first message.
    Opening,
    /// Carrying this session.
    Carrying(Arc<Entry<S>>),
    /// Refused: waits to be closed.
    Refused,
}

impl<A: StatefulComponent> WsCarrier<A> {
    /// The transport's first message: opens or resumes its session, or
    /// is refused (the transport is told and closed).
    async fn open(&self, transport: &Conn, message: Message) -> Carried<A::State> {
        let attached = Attached::WebSocket(transport.clone());
        let opened = match opening(message) {
            Ok(asked) => self.core.open(attached.clone(), transport.request(), asked).await,
            Err(error) => Err(error),
        };
        match opened {
            Ok(entry) => Carried::Carrying(entry),
            Err(error) => {
                tracing::debug!(transport = %transport.id(), %error, "session refused");
                attached.fail(&error);
                Carried::Refused
            }
        }
    }
}

impl<A: StatefulComponent> StatefulComponent for WsCarrier<A> {
    type State = Carried<A::State>;

    async fn on_open(&self, _transport: &Conn) -> Self::State {
        Carried::Opening
    }

    async fn on_message(&self, transport: &Conn, carried: &mut Self::State, message: Message) {
        match carried {
            // Boxed: once per transport, and it would otherwise size the
            // future of every message's delivery.
            Carried::Opening => *carried = Box::pin(self.open(transport, message)).await,
            Carried::Carrying(entry) => self.core.receive(entry, transport.id(), message).await,
            Carried::Refused => {}
        }
    }

    async fn on_close(&self, transport: &Conn, carried: Self::State, info: CloseInfo) {
        if let Carried::Carrying(entry) = carried {
            self.core.transport_ended(&entry, transport.id(), &info).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::resume::{Identity, SessionConfig};
    use crate::ws_server::{SizedEcho as Echo, connection_future_size};

    /// What every open WebSocket transport of a session route keeps for
    /// its whole life stays small (as a plain connection's, see the
    /// driver's test): its opening and its ending (finishing a session,
    /// the application's `on_close`) are boxed when they run.
    #[tokio::test]
    async fn a_session_transport_future_stays_small() {
        let identify = Box::new(|_: &crate::http::Request| Identity::anonymous());
        let core = RouteCore::new(Echo, SessionConfig::default(), identify);
        let size = connection_future_size(WsCarrier::new(Arc::new(core))).await;
        assert!(size <= 900, "the session transport's future grew to {size} bytes");
    }
}
