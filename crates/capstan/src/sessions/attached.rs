//! The transport a session sends through while one is attached: what the
//! session hands it (data with its prefix, controls, the end) and how each
//! kind of transport carries it.

use crate::conn::{Conn, ConnId};
use crate::resume::{PrefixedData, ServerControl, SessionError, prefix};
use crate::ws::{CloseCode, Message, PreparedMessage};

use crate::conn::TransportKind;

/// One attached transport.
#[derive(Clone)]
pub(crate) enum Attached {
    /// A WebSocket connection of the route.
    WebSocket(Conn),
}

impl Attached {
    /// Which transport this is (a resume replaces it by another).
    pub(crate) fn id(&self) -> ConnId {
        match self {
            Self::WebSocket(conn) => conn.id(),
        }
    }

    /// Its kind.
    pub(crate) fn kind(&self) -> TransportKind {
        match self {
            Self::WebSocket(_) => TransportKind::WebSocket,
        }
    }

    /// Sends a data message. A refusal (the transport is closing, or
    /// its own queue is full and it is being closed) loses nothing: the
    /// session keeps the message until the client acknowledges it, and a
    /// resume sends it again.
    pub(crate) fn send_data(&self, message: &Message) {
        match self {
            Self::WebSocket(conn) => {
                let _ = conn.send(PrefixedData::new(message.clone()).to_message());
            }
        }
    }

    /// Sends a data message prepared once for many sessions.
    pub(crate) fn send_prepared(&self, message: &PreparedMessage) {
        match self {
            Self::WebSocket(conn) => {
                let _ = conn.send_prepared(message.prefixed(prefix::DATA));
            }
        }
    }

    /// Sends a control.
    pub(crate) fn send_control(&self, control: &ServerControl) {
        match self {
            Self::WebSocket(conn) => {
                let _ = conn.send(prefix::control(&control.to_json()));
            }
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
        }
    }
}
