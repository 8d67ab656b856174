//! One application served by several routes: a plain WebSocket route and
//! a session-mode route (`SessionRoute`) of the same chat, say. Each route
//! holds a clone; every clone is the same application.

use std::future::Future;
use std::sync::Arc;

use super::{CloseInfo, StatefulComponent};
use crate::conn::Conn;
use crate::error::ConnError;
use crate::ws::Message;

/// An application shared by several routes.
pub struct Shared<C>(Arc<C>);

impl<C> Shared<C> {
    /// Shares `app`.
    pub fn new(app: C) -> Self {
        Self(Arc::new(app))
    }

    /// The application.
    pub fn get(&self) -> &C {
        &self.0
    }
}

impl<C> Clone for Shared<C> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<C: StatefulComponent> StatefulComponent for Shared<C> {
    type State = C::State;

    fn on_open(&self, conn: &Conn) -> impl Future<Output = C::State> + Send {
        self.0.on_open(conn)
    }

    fn on_message(
        &self,
        conn: &Conn,
        state: &mut C::State,
        message: Message,
    ) -> impl Future<Output = ()> + Send {
        self.0.on_message(conn, state, message)
    }

    fn on_close(
        &self,
        conn: &Conn,
        state: C::State,
        close: CloseInfo,
    ) -> impl Future<Output = ()> + Send {
        self.0.on_close(conn, state, close)
    }

    fn on_error(
        &self,
        conn: &Conn,
        state: &mut C::State,
        error: ConnError,
    ) -> impl Future<Output = ()> + Send {
        self.0.on_error(conn, state, error)
    }
}
