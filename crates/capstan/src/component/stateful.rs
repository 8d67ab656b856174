//! Components that keep typed state per connection: made by `on_open`,
//! handed to every later callback of that connection by the connection's
//! own task — no type map to look it up in, nothing to `expect`.

use std::future::Future;

use super::{CloseInfo, Component};
use crate::conn::Conn;
use crate::error::ConnError;
use crate::ws::Message;

/// A real-time application with state of its own for each connection
/// (a user's session, the rooms they are in). `on_open` makes it; the
/// connection's task keeps it and hands it to each callback, so it is
/// never shared and never missing.
///
/// Every [`Component`] is a `StatefulComponent` whose state is `()`;
/// [`crate::WsServer`] serves either.
pub trait StatefulComponent: Send + Sync + 'static {
    /// What each connection keeps.
    type State: Send + 'static;

    /// A client completed the WebSocket handshake: its state.
    fn on_open(&self, conn: &Conn) -> impl Future<Output = Self::State> + Send;

    /// A complete text or binary message arrived.
    fn on_message(
        &self,
        conn: &Conn,
        state: &mut Self::State,
        message: Message,
    ) -> impl Future<Output = ()> + Send;

    /// The connection ended; called exactly once after `on_open`, with the
    /// state, which ends here.
    fn on_close(
        &self,
        conn: &Conn,
        state: Self::State,
        close: CloseInfo,
    ) -> impl Future<Output = ()> + Send {
        let _ = (conn, state, close);
        async {}
    }

    /// Something went wrong on the connection; `on_close` follows.
    fn on_error(
        &self,
        conn: &Conn,
        state: &mut Self::State,
        error: ConnError,
    ) -> impl Future<Output = ()> + Send {
        let _ = (conn, state, error);
        async {}
    }
}

impl<C: Component> StatefulComponent for C {
    type State = ();

    fn on_open(&self, conn: &Conn) -> impl Future<Output = ()> + Send {
        Component::on_open(self, conn)
    }

    fn on_message(
        &self,
        conn: &Conn,
        _state: &mut (),
        message: Message,
    ) -> impl Future<Output = ()> + Send {
        Component::on_message(self, conn, message)
    }

    fn on_close(
        &self,
        conn: &Conn,
        _state: (),
        close: CloseInfo,
    ) -> impl Future<Output = ()> + Send {
        Component::on_close(self, conn, close)
    }

    fn on_error(
        &self,
        conn: &Conn,
        _state: &mut (),
        error: ConnError,
    ) -> impl Future<Output = ()> + Send {
        Component::on_error(self, conn, error)
    }
}
