//! `WampConn`, what a WAMP v1 application is handed for each client, with
//! the methods of Ratchet's `WampConnection`: answer a call, send an
//! event, declare a prefix, expand a CURIE.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use capstan::{CloseCode, Conn, PreparedMessage};

use super::encode;
use super::message::Message;
use super::session::{Inbound, Refusal, Session};
use crate::value::Value;

/// Where what is sent to a connection goes.
enum Outlet {
    /// A WebSocket connection.
    Socket(Conn),
    /// Nowhere but a list, read back by tests.
    Detached(Mutex<Vec<String>>),
}

struct Inner {
    /// The session's ID, also in `session`: read without the lock.
    id: String,
    session: Mutex<Session>,
    outlet: Outlet,
}

/// One WAMP v1 client, as Ratchet's `WampConnection`: its session ID, its
/// CURIE prefixes, and the messages a server sends it. Cheap to clone;
/// clones are the same client (keep one to push to it later). Sends never
/// block; a connection that is closing, or whose outbound queue is past
/// its bound, drops them (the WebSocket layer closes the latter as a slow
/// consumer).
#[derive(Clone)]
pub struct WampConn(Arc<Inner>);

impl WampConn {
    /// The client on `conn`, in `session`.
    pub(super) fn new(conn: Conn, session: Session) -> Self {
        Self::with_outlet(session, Outlet::Socket(conn))
    }

    /// A client with no connection behind it, for testing an application
    /// without sockets: what is sent to it is kept, in order, and read with
    /// [`take_sent`](Self::take_sent).
    pub fn detached(session_id: impl Into<String>) -> Self {
        Self::with_outlet(Session::new(session_id), Outlet::Detached(Mutex::default()))
    }

    fn with_outlet(session: Session, outlet: Outlet) -> Self {
        let id = session.id().to_owned();
        Self(Arc::new(Inner { id, session: Mutex::new(session), outlet }))
    }

    /// The WAMP session ID (Ratchet's `$conn->WAMP->sessionId`): what
    /// exclude and eligible lists name.
    pub fn session_id(&self) -> &str {
        &self.0.id
    }

    /// The WebSocket connection (its id, address, request, attributes);
    /// `None` for a [detached](Self::detached) client.
    pub fn conn(&self) -> Option<&Conn> {
        match &self.0.outlet {
            Outlet::Socket(conn) => Some(conn),
            Outlet::Detached(_) => None,
        }
    }

    /// Answers call `call_id` with `result`: CALLRESULT (Ratchet's `callResult`).
    pub fn call_result(&self, call_id: &str, result: impl Into<Value>) -> &Self {
        let result = result.into();
        self.send(&Message::CallResult { call_id: call_id.to_owned(), result })
    }

    /// Answers call `call_id` with an error: CALLERROR with `error_uri`
    /// (a URI, or a [`Topic`](super::Topic)) and a description for
    /// developers (Ratchet's `callError` without details).
    pub fn call_error(&self, call_id: &str, error_uri: impl AsRef<str>, desc: &str) -> &Self {
        self.send_call_error(call_id, error_uri.as_ref(), desc, None)
    }

    /// As [`call_error`](Self::call_error), with application details
    /// (the fifth element).
    pub fn call_error_with_details(
        &self,
        call_id: &str,
        error_uri: impl AsRef<str>,
        desc: &str,
        details: impl Into<Value>,
    ) -> &Self {
        self.send_call_error(call_id, error_uri.as_ref(), desc, Some(details.into()))
    }

    fn send_call_error(
        &self,
        call_id: &str,
        error_uri: &str,
        desc: &str,
        details: Option<Value>,
    ) -> &Self {
        self.send(&Message::CallError {
            call_id: call_id.to_owned(),
            error_uri: error_uri.to_owned(),
            error_desc: desc.to_owned(),
            error_details: details,
        })
    }

    /// Sends `event` on `topic` (a URI, or a [`Topic`](super::Topic)) to
    /// this client alone: EVENT (Ratchet's `event`). To reach a topic's
    /// subscribers, [`Topic::broadcast`](super::Topic::broadcast) encodes
    /// once for all.
    pub fn event(&self, topic: impl AsRef<str>, event: impl Into<Value>) -> &Self {
        self.send_text(encode::event_text(topic.as_ref(), &event.into()))
    }

    /// Declares `curie` for `uri` on this connection and tells the client:
    /// PREFIX (Ratchet's `prefix`).
    pub fn prefix(&self, curie: &str, uri: impl AsRef<str>) -> &Self {
        let uri = uri.as_ref();
        self.session().declare_prefix(curie, uri);
        self.send(&Message::Prefix { prefix: curie.to_owned(), uri: uri.to_owned() })
    }

    /// `curie_or_uri` with a prefix declared on this connection expanded
    /// (Ratchet's `getUri`); anything else as it is.
    pub fn get_uri(&self, curie_or_uri: &str) -> String {
        self.session().prefixes().expand(curie_or_uri).into_owned()
    }

    /// Closes the connection normally (1000), after what is already queued.
    /// What the client sends from now on is not handed to the application.
    pub fn close(&self) {
        self.close_with(CloseCode::NORMAL, "");
    }

    /// Closes the connection with `code` and `reason`.
    pub(super) fn close_with(&self, code: CloseCode, reason: &str) {
        if let Outlet::Socket(conn) = &self.0.outlet {
            conn.close(code, reason);
        }
    }

    /// What was sent to a [detached](Self::detached) client since last
    /// asked, as JSON texts; always empty for a connected one.
    pub fn take_sent(&self) -> Vec<String> {
        match &self.0.outlet {
            Outlet::Socket(_) => Vec::new(),
            Outlet::Detached(sent) => std::mem::take(&mut *lock(sent)),
        }
    }

    /// Takes what the client sent (see [`Session::receive`]).
    pub(super) fn receive(&self, message: &capstan::Message) -> Result<Inbound, Refusal> {
        self.session().receive(message)
    }

    /// Sends `message`.
    pub(super) fn send(&self, message: &Message) -> &Self {
        self.send_text(message.to_text())
    }

    fn send_text(&self, text: String) -> &Self {
        match &self.0.outlet {
            // Refused only when closing or over its bound: see the type's doc.
            Outlet::Socket(conn) => drop(conn.send_text(text)),
            Outlet::Detached(sent) => lock(sent).push(text),
        }
        self
    }

    /// Sends a frame encoded once for many clients.
    pub(super) fn send_prepared(&self, frame: &PreparedMessage) {
        match &self.0.outlet {
            Outlet::Socket(conn) => drop(conn.send_prepared(frame)),
            Outlet::Detached(sent) => {
                let text = frame.message().as_text().unwrap_or_default().to_owned();
                lock(sent).push(text);
            }
        }
    }

    fn session(&self) -> MutexGuard<'_, Session> {
        lock(&self.0.session)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl PartialEq for WampConn {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for WampConn {}

impl fmt::Debug for WampConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("WampConn");
        out.field("session_id", &self.0.id);
        match &self.0.outlet {
            Outlet::Socket(conn) => out.field("conn", &conn.id()),
            Outlet::Detached(_) => out.field("conn", &"detached"),
        };
        out.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratchets_methods_send_what_the_spec_says() {
        let conn = WampConn::detached("s1");
        assert_eq!(conn.session_id(), "s1");
        assert!(conn.conn().is_none());
        conn.call_result("c1", 5i64);
        conn.call_error("c2", "http://x/error#bad", "bad");
        conn.call_error_with_details("c3", "http://x/error#bad", "bad", vec![Value::from("why")]);
        conn.event("http://x/t", "hi");
        conn.prefix("x", "http://x/").event("x:t", Value::Null);
        assert_eq!(
            conn.take_sent(),
            [
                r#"[3,"c1",5]"#,
                r#"[4,"c2","http://x/error#bad","bad"]"#,
                r#"[4,"c3","http://x/error#bad","bad",["why"]]"#,
                r#"[8,"http://x/t","hi"]"#,
                r#"[1,"x","http://x/"]"#,
                r#"[8,"x:t",null]"#,
            ]
        );
        assert!(conn.take_sent().is_empty(), "taken once");
    }

    #[test]
    fn get_uri_expands_prefixes_declared_by_either_side() {
        let conn = WampConn::detached("s1");
        conn.prefix("calc", "http://example.com/calc#");
        conn.receive(&capstan::Message::text(r#"[1,"ev","http://example.com/event#"]"#)).unwrap();
        assert_eq!(conn.get_uri("calc:add"), "http://example.com/calc#add");
        assert_eq!(conn.get_uri("ev:x"), "http://example.com/event#x");
        assert_eq!(conn.get_uri("http://example.com/y"), "http://example.com/y");
    }

    #[test]
    fn clones_are_the_same_client() {
        let conn = WampConn::detached("s1");
        let clone = conn.clone();
        clone.event("t", 1i64);
        assert_eq!(conn, clone);
        assert_ne!(conn, WampConn::detached("s1"));
        assert_eq!(conn.take_sent(), [r#"[8,"t",1]"#]);
        assert!(format!("{conn:?}").contains("detached"));
    }
}
