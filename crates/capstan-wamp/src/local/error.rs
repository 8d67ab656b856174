//! What a local session's request can end in besides success: the error
//! URI and payload the router or a callee answered with.

use std::fmt;

use crate::message::{Message, Payload};
use crate::value::Value;

/// An error answer (ERROR or ABORT), or the session having left.
#[derive(Debug, Clone, PartialEq)]
pub struct WampError {
    /// The error URI (`wamp.error.no_such_procedure`, an application's, …).
    pub uri: String,
    /// Its arguments.
    pub payload: Payload,
}

impl WampError {
    /// An error of `uri` with one message argument, as a procedure
    /// answers it.
    pub fn new(uri: impl Into<String>, message: impl Into<String>) -> Self {
        Self { uri: uri.into(), payload: Payload::args(vec![Value::Str(message.into())]) }
    }

    /// The session is no longer in its realm.
    pub(super) fn left() -> Self {
        Self::new("wamp.error.canceled", "the local session left its realm")
    }

    /// The router answered with a message that fits no request.
    pub(super) fn unexpected(message: &Message) -> Self {
        Self::new("wamp.error.protocol_violation", format!("unexpected {}", message.code().name()))
    }
}

impl fmt::Display for WampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.uri)?;
        if let Some(Value::Str(message)) = self.payload.args.as_ref().and_then(|a| a.first()) {
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

impl std::error::Error for WampError {}
