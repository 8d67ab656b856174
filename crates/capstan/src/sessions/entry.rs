//! One live session as its route keeps it: the application's [`Conn`] and
//! the application's state for it. The state is lent to one callback at a
//! time (whichever transport delivers), so that a transport that is cut
//! or replaced holds nothing, and the session's callbacks never overlap.
//! Whoever finds the session over with the state at home finishes it:
//! exactly one party does.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use super::clock::Timed;
use super::link::SessionLink;
use crate::conn::Conn;

/// Where the application's state is.
enum Slot<S> {
    /// A callback has it.
    Lent,
    /// At home.
    Here(S),
    /// Given to `on_close`: the session is finished.
    Finished,
}

/// One session.
pub(crate) struct Entry<S> {
    conn: Conn,
    link: Arc<SessionLink>,
    slot: Mutex<Slot<S>>,
    /// Wakes a callback waiting for the state.
    returned: Notify,
    /// Held from taking a message in to delivering it, so that messages
    /// reach the application in their numbers' order whichever transport
    /// (or concurrent POST) brought them.
    inbox: tokio::sync::Mutex<()>,
    /// What the route's clock wakes for this session (it holds it weakly).
    timer: std::sync::OnceLock<Arc<dyn Timed>>,
}

impl<S> Entry<S> {
    /// A session whose state is being made (lent to `on_open`).
    pub(crate) fn opening(conn: Conn, link: Arc<SessionLink>) -> Self {
        Self {
            conn,
            link,
            slot: Mutex::new(Slot::Lent),
            returned: Notify::new(),
            inbox: tokio::sync::Mutex::new(()),
            timer: std::sync::OnceLock::new(),
        }
    }

    /// Keeps what the route's clock wakes for this session, while it lives.
    pub(crate) fn keep_timer(&self, timer: Arc<dyn Timed>) {
        let _ = self.timer.set(timer);
    }

    /// The application's connection.
    pub(crate) fn conn(&self) -> &Conn {
        &self.conn
    }

    /// The session's state and transport.
    pub(crate) fn link(&self) -> &SessionLink {
        &self.link
    }

    /// Taken while messages are taken in and delivered (at once when free,
    /// as it nearly always is: one transport delivers at a time).
    pub(crate) async fn inbox(&self) -> tokio::sync::MutexGuard<'_, ()> {
        match self.inbox.try_lock() {
            Ok(guard) => guard,
            Err(_) => self.inbox.lock().await,
        }
    }

    fn slot(&self) -> MutexGuard<'_, Slot<S>> {
        self.slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes the state for a callback, waiting while another has it;
    /// `None` once the session is finished.
    pub(crate) async fn borrow(&self) -> Option<S> {
        loop {
            let returned = self.returned.notified();
            tokio::pin!(returned);
            returned.as_mut().enable();
            {
                let mut slot = self.slot();
                match std::mem::replace(&mut *slot, Slot::Lent) {
                    Slot::Here(state) => return Some(state),
                    Slot::Finished => {
                        *slot = Slot::Finished;
                        return None;
                    }
                    Slot::Lent => {}
                }
            }
            returned.await;
        }
    }

    /// A callback is done with the state.
    pub(crate) fn give_back(&self, state: S) {
        *self.slot() = Slot::Here(state);
        self.returned.notify_one();
    }

    /// The state, to be given to `on_close`, if it is at home and the
    /// session not finished yet (then it is, from now).
    pub(crate) fn take_to_finish(&self) -> Option<S> {
        let mut slot = self.slot();
        match std::mem::replace(&mut *slot, Slot::Finished) {
            Slot::Here(state) => Some(state),
            other => {
                *slot = other;
                None
            }
        }
    }
}
