//! What a WAMP v1 application implements: Ratchet's `WampServerInterface`,
//! method for method, with `async` callbacks.

use std::fmt;
use std::future::Future;

use capstan::ConnError;

use super::conn::WampConn;
use super::error::DecodeError;
use super::topic::Topic;
use crate::value::Value;

/// A WAMP v1 application (Ratchet's `WampServerInterface`). Served by
/// [`WampV1Server`](super::WampV1Server), which answers WELCOME, keeps the
/// CURIE prefixes, expands URIs and keeps topic subscriptions before it
/// calls these.
///
/// Callbacks for one client run one at a time, in order; callbacks for
/// different clients run concurrently.
pub trait WampV1App: Send + Sync + 'static {
    /// A client connected; WELCOME has been sent to it.
    fn on_open(&self, conn: &WampConn) -> impl Future<Output = ()> + Send {
        let _ = conn;
        async {}
    }

    /// The client is gone; called once after `on_open`. Its subscriptions
    /// end right after (the application is not told of each).
    fn on_close(&self, conn: &WampConn) -> impl Future<Output = ()> + Send {
        let _ = conn;
        async {}
    }

    /// Something went wrong on the connection: the WebSocket failed, or the
    /// client broke WAMP v1 and is being closed. `on_close` follows.
    fn on_error(&self, conn: &WampConn, error: WampV1Error) -> impl Future<Output = ()> + Send {
        let _ = (conn, error);
        async {}
    }

    /// A CALL: answer it with [`WampConn::call_result`] or
    /// [`WampConn::call_error`] and `call_id`. `topic` is the procedure's
    /// URI, CURIE expanded (a [`Topic`], as Ratchet passes it); `params`
    /// are the arguments as the client gave them.
    fn on_call(
        &self,
        conn: &WampConn,
        call_id: &str,
        topic: &Topic,
        params: Vec<Value>,
    ) -> impl Future<Output = ()> + Send;

    /// The client subscribed to `topic` (it is among the topic's
    /// subscribers already). Not called again for a topic it is in.
    fn on_subscribe(&self, conn: &WampConn, topic: &Topic) -> impl Future<Output = ()> + Send {
        let _ = (conn, topic);
        async {}
    }

    /// The client unsubscribed from `topic` (it is no longer among its
    /// subscribers). Not called for a topic it was not in.
    fn on_unsubscribe(&self, conn: &WampConn, topic: &Topic) -> impl Future<Output = ()> + Send {
        let _ = (conn, topic);
        async {}
    }

    /// A PUBLISH: nothing is sent unless the application sends it, usually
    /// `topic.broadcast(&event, exclude, eligible)`. `exclude` holds the
    /// publisher's own session ID when it asked `excludeMe`; an empty
    /// `eligible` restricts nothing.
    fn on_publish(
        &self,
        conn: &WampConn,
        topic: &Topic,
        event: Value,
        exclude: &[String],
        eligible: &[String],
    ) -> impl Future<Output = ()> + Send;
}

/// What [`WampV1App::on_error`] is told.
#[derive(Debug)]
#[non_exhaustive]
pub enum WampV1Error {
    /// The WebSocket connection failed: the peer broke RFC 6455, or the
    /// socket did.
    Connection(ConnError),
    /// The client sent a message that breaks WAMP v1; it is being closed
    /// with the error's [close code](DecodeError::close_code).
    Protocol(DecodeError),
}

impl fmt::Display for WampV1Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connection(error) => write!(f, "connection: {error}"),
            Self::Protocol(error) => write!(f, "WAMP v1: {error}"),
        }
    }
}

impl std::error::Error for WampV1Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Connection(error) => Some(error),
            Self::Protocol(error) => Some(error),
        }
    }
}
