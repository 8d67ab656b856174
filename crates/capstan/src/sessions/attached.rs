//! The transport a session sends through while one is attached: what the
//! session hands it (numbered data, controls, the end) and how each kind
//! of transport carries it — a WebSocket with the one-byte prefixes, an
//! HTTP fallback's downstream as Server-Sent Events.

use std::sync::Arc;

use super::downstream::Downstream;
use super::events;
use crate::conn::{Conn, ConnId, TransportKind};
use crate::resume::{ServerControl, SessionError, prefix};
use crate::ws::{CloseCode, Message, PreparedMessage};

/// One attached transport.
#[derive(Clone)]
pub(crate) enum Attached {
    /// A WebSocket connection of the route.
    WebSocket(Conn),
    /// An HTTP fallback's downstream.
    Http(Arc<Downstream>),
}

impl Attached {
    /// Which transport this is (a resume replaces it by another).
    pub(crate) fn id(&self) -> ConnId {
        match self {
            Self::WebSocket(conn) => conn.id(),
            Self::Http(downstream) => downstream.id(),
        }
    }

    /// Its kind.
    pub(crate) fn kind(&self) -> TransportKind {
        match self {
            Self::WebSocket(_) => TransportKind::WebSocket,
            Self::Http(downstream) => downstream.kind(),
        }
    }

    /// Sends data message `number`. A refusal (the transport is closing,
    /// or its own queue is full and it is being closed) loses nothing: the
    /// session keeps the message until the client acknowledges it, and a
    /// resume sends it again.
    pub(crate) fn send_data(&self, number: u64, message: Message) {
        match self {
            Self::WebSocket(conn) => {
                let _ = conn.send_prefixed(prefix::DATA, message);
            }
            Self::Http(downstream) => downstream.push(events::data(number, &message)),
        }
    }

    /// Sends data message `number`, prepared once for many sessions.
    pub(crate) fn send_prepared(&self, number: u64, message: &PreparedMessage) {
        match self {
            Self::WebSocket(conn) => {
                let _ = conn.send_prepared(message.prefixed(prefix::DATA));
            }
            Self::Http(downstream) => downstream.push(events::data(number, &message.message())),
        }
    }

    /// Sends a control.
    pub(crate) fn send_control(&self, control: &ServerControl) {
        match self {
            Self::WebSocket(conn) => {
                let _ = conn.send(prefix::control(&control.to_json()));
            }
            Self::Http(downstream) => downstream.push(events::control(control)),
        }
    }

    /// Sends `error`'s control, then closes with its close code.
    pub(crate) fn fail(&self, error: &SessionError) {
        self.send_control(&error.control());
        let frame = error.close_frame();
        self.close(frame.code, &frame.reason);
    }

    /// Closes the transport (what was sent before goes first).
    pub(crate) fn close(&self, code: CloseCode, reason: &str) {
        match self {
            Self::WebSocket(conn) => conn.close(code, reason),
            Self::Http(downstream) => downstream.end(events::close(code, reason)),
        }
    }
}
