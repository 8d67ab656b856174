//! One live session as its route keeps it, in one allocation: the
//! application's [`Conn`], the session's state and transport
//! ([`SessionLink`]), and the application's state for it. The state is
//! held by one callback at a time (whichever transport delivers), under
//! one lock taken from taking a message in to delivering it, so that
//! messages reach the application in their numbers' order and the
//! session's callbacks never overlap. Whoever finds the session over with
//! the state at home finishes it: exactly one party does.
//!
//! The route's clock wakes the entry itself, and its `Conn` sends through
//! it: both hold it weakly, so that a finished session is freed once its
//! route and transports let it go (a `Conn` the application kept is then
//! refused as closed).

use std::net::SocketAddr;
use std::sync::{Arc, Weak};

use tokio::sync::{Mutex, MutexGuard};
use tokio::time::Instant;

use super::attached::Attached;
use super::clock::{Clock, Timed};
use super::link::{Fired, SessionLink};
use crate::conn::session_sink::SessionSink;
use crate::conn::{Conn, TransportKind};
use crate::error::SendError;
use crate::request::Request;
use crate::resume::{SessionId, SessionState};
use crate::ws::{CloseCode, Message, PreparedMessage};

/// Where the application's state is.
pub(crate) enum Slot<S> {
    /// Being made (`on_open` runs).
    Opening,
    /// Made: lent to each callback in turn.
    Here(S),
    /// Given to `on_close`: the session is finished.
    Finished,
}

/// Who finishes a session the clock found over (its route).
pub(crate) trait Finish<S>: Send + Sync {
    /// Finishes `entry` (the application's `on_close`) on a task of its own.
    fn finish_later(self: Arc<Self>, entry: Arc<Entry<S>>);
}

/// One session.
pub(crate) struct Entry<S> {
    conn: Conn,
    link: SessionLink<Self>,
    app: Mutex<Slot<S>>,
    route: Weak<dyn Finish<S>>,
}

impl<S: Send + 'static> Entry<S> {
    /// A session whose first transport is `attached`, its state being
    /// made: the caller holds the state's lock (returned) through
    /// `on_open`. The clock starts with it.
    pub(crate) fn opening(
        session: SessionState,
        attached: Attached,
        remote: SocketAddr,
        request: Request,
        clock: Arc<Clock<Self>>,
        route: Weak<dyn Finish<S>>,
    ) -> Arc<Self> {
        Arc::new_cyclic(|me: &Weak<Self>| {
            let sink: Weak<dyn SessionSink> = me.clone();
            Self {
                conn: Conn::for_session(remote, request, sink),
                link: SessionLink::new(session, attached, clock, me.clone()),
                app: Mutex::new(Slot::Opening),
                route,
            }
        })
    }
}

impl<S: Send + 'static> Entry<S> {
    /// The application's connection.
    pub(crate) fn conn(&self) -> &Conn {
        &self.conn
    }

    /// The session's state and transport.
    pub(crate) fn link(&self) -> &SessionLink<Self> {
        &self.link
    }

    /// The application's state, for one callback at a time (at once when
    /// free, as it nearly always is: one transport delivers at a time).
    pub(crate) async fn app(&self) -> MutexGuard<'_, Slot<S>> {
        match self.app.try_lock() {
            Ok(guard) => guard,
            Err(_) => self.app.lock().await,
        }
    }

    /// The state's lock of a session just made (nobody else knows it yet).
    pub(crate) fn app_of_new(&self) -> MutexGuard<'_, Slot<S>> {
        self.app.try_lock().expect("a new session's state is free")
    }
}

impl<S: Send + 'static> Timed for Entry<S> {
    fn fire(self: Arc<Self>, at: Instant, now: Instant) -> Option<Instant> {
        match self.link.fire(at, now) {
            Fired::Stale => None,
            Fired::Next(next) => next,
            Fired::Over => {
                if let Some(route) = self.route.upgrade() {
                    route.finish_later(self);
                }
                None
            }
        }
    }
}

impl<S: Send + 'static> SessionSink for Entry<S> {
    fn send(&self, message: Message) -> Result<(), SendError> {
        self.link.send(message)
    }

    fn send_prepared(&self, message: &PreparedMessage) -> Result<(), SendError> {
        self.link.send_prepared(message)
    }

    fn close(&self, code: CloseCode, reason: &str) {
        self.link.close(code, reason);
    }

    fn transport(&self) -> TransportKind {
        self.link.transport()
    }

    fn id(&self) -> SessionId {
        self.link.id()
    }
}
