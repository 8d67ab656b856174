//! The control messages (docs/SESSIONS.md §4): one JSON object with one
//! key, the control's name. The client's are read strictly (every
//! malformed input is a [`ControlError`] named after the rule it breaks);
//! the server's are read as a client must (unknown fields of `welcome` and
//! `error` ignored). Both are written here, for the server and for clients
//! and tests.

use std::fmt;

use serde_json::{Map, Value, json};

use super::error_code::ErrorCode;
use super::id::{SessionId, SessionIdError};
use super::{MAX_NUMBER, prefix};
use crate::ws::Message;

/// What a client sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientControl {
    /// `{"hello":{"v":V}}`: the first message of a new session.
    Hello {
        /// The protocol version the client speaks.
        version: u64,
    },
    /// `{"resume":{"sid":S,"rx":N}}`: the first message of a transport
    /// that resumes session `sid`, having received `rx` data messages.
    Resume {
        /// The session.
        sid: SessionId,
        /// Data messages the client received from the server.
        rx: u64,
    },
    /// `{"ack":N}`: the client received the server's data messages 1..=N.
    Ack(u64),
}

/// `welcome`'s fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Welcome {
    /// The session.
    pub sid: SessionId,
    /// Data messages the server received from the client.
    pub rx: u64,
    /// Whether this resumed a session (`false` after `hello`).
    pub resumed: bool,
    /// The server sends something at least this often, in milliseconds.
    pub heartbeat_ms: u64,
    /// How long the session outlives a transport, in milliseconds.
    pub grace_ms: u64,
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerControl {
    /// `{"welcome":{…}}`: the server's first message on a transport.
    Welcome(Welcome),
    /// `{"ack":N}`: the server received the client's data messages 1..=N.
    Ack(u64),
    /// `{"hb":N}`: a heartbeat; N data messages sent in the session so far.
    Heartbeat(u64),
    /// `{"error":{"code":C,"message":M}}`: sent just before closing with
    /// the code's close code.
    Error {
        /// What went wrong.
        code: ErrorCode,
        /// For people.
        message: String,
    },
}

/// Why a text is not a control (each is a protocol violation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlError {
    /// A control is JSON (RFC 8259).
    NotJson,
    /// A control is a JSON object.
    NotAnObject,
    /// A control's object has exactly one key (it had this many).
    NotOneKey(usize),
    /// The key names a control of the sender's side.
    UnknownControl(String),
    /// A control's fields are all there (this one was missing).
    MissingField(&'static str),
    /// A control has only the fields of its kind.
    UnknownField {
        /// The control.
        control: &'static str,
        /// The field it does not have.
        field: String,
    },
    /// A value is of its field's type.
    WrongType {
        /// The field, as `control.field` (or the control's name for its
        /// value as a whole).
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// `sid` is a session id's canonical text.
    MalformedSessionId(SessionIdError),
    /// `error.code` is one of the protocol's codes.
    UnknownErrorCode(String),
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotJson => f.write_str("control is not JSON"),
            Self::NotAnObject => f.write_str("control is not a JSON object"),
            Self::NotOneKey(n) => write!(f, "control has {n} keys, not one"),
            Self::UnknownControl(name) => write!(f, "unknown control {name:?}"),
            Self::MissingField(field) => write!(f, "{field} is missing"),
            Self::UnknownField { control, field } => write!(f, "{control} has no field {field:?}"),
            Self::WrongType { field, expected } => write!(f, "{field} must be {expected}"),
            Self::MalformedSessionId(e) => write!(f, "malformed sid: {e}"),
            Self::UnknownErrorCode(code) => write!(f, "unknown error code {code:?}"),
        }
    }
}

impl std::error::Error for ControlError {}

const A_NUMBER: &str = "an integer from 0 to 2^53 - 1";

/// The one key of a control's object and its value.
fn named(json: &str) -> Result<(String, Value), ControlError> {
    let value: Value = serde_json::from_str(json).map_err(|_| ControlError::NotJson)?;
    let Value::Object(object) = value else { return Err(ControlError::NotAnObject) };
    if object.len() != 1 {
        return Err(ControlError::NotOneKey(object.len()));
    }
    Ok(object.into_iter().next().expect("one key"))
}

/// A control's value that is an object of fields.
struct Fields {
    control: &'static str,
    map: Map<String, Value>,
}

impl Fields {
    fn of(control: &'static str, value: Value) -> Result<Self, ControlError> {
        match value {
            Value::Object(map) => Ok(Self { control, map }),
            _ => Err(ControlError::WrongType { field: control, expected: "an object" }),
        }
    }

    fn take(&mut self, field: &'static str, path: &'static str) -> Result<Value, ControlError> {
        self.map.remove(field).ok_or(ControlError::MissingField(path))
    }

    fn number(&mut self, field: &'static str, path: &'static str) -> Result<u64, ControlError> {
        number(&self.take(field, path)?, path)
    }

    fn string(&mut self, field: &'static str, path: &'static str) -> Result<String, ControlError> {
        match self.take(field, path)? {
            Value::String(s) => Ok(s),
            _ => Err(ControlError::WrongType { field: path, expected: "a string" }),
        }
    }

    fn boolean(&mut self, field: &'static str, path: &'static str) -> Result<bool, ControlError> {
        match self.take(field, path)? {
            Value::Bool(b) => Ok(b),
            _ => Err(ControlError::WrongType { field: path, expected: "a boolean" }),
        }
    }

    /// Strict: nothing else may be left.
    fn done(self) -> Result<(), ControlError> {
        match self.map.into_iter().next() {
            Some((field, _)) => Err(ControlError::UnknownField { control: self.control, field }),
            None => Ok(()),
        }
    }
}

fn number(value: &Value, path: &'static str) -> Result<u64, ControlError> {
    // Only integers written as such: `1.0` and `1e3` are floats to serde_json.
    value
        .as_u64()
        .filter(|n| *n <= MAX_NUMBER)
        .ok_or(ControlError::WrongType { field: path, expected: A_NUMBER })
}

/// `{"ack":N}` written compactly, as clients send it every few dozen
/// messages: read without building a JSON tree (any other spelling goes
/// through the full parser, which reads it the same).
fn compact_ack(json: &str) -> Option<u64> {
    let digits = json.strip_prefix(r#"{"ack":"#)?.strip_suffix('}')?;
    let canonical = digits == "0" || !digits.starts_with('0');
    if digits.is_empty() || digits.len() > 16 || !canonical {
        return None;
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| *n <= MAX_NUMBER)
}

impl ClientControl {
    /// Reads a client's control (the JSON after the `c`), strictly.
    pub fn parse(json: &str) -> Result<Self, ControlError> {
        match compact_ack(json) {
            Some(n) => Ok(Self::Ack(n)),
            None => Self::parse_tree(json),
        }
    }

    /// [`ClientControl::parse`] through a JSON tree (any control).
    fn parse_tree(json: &str) -> Result<Self, ControlError> {
        let (name, value) = named(json)?;
        match name.as_str() {
            "hello" => {
                let mut fields = Fields::of("hello", value)?;
                let version = fields.number("v", "hello.v")?;
                fields.done()?;
                Ok(Self::Hello { version })
            }
            "resume" => {
                let mut fields = Fields::of("resume", value)?;
                let sid = fields.string("sid", "resume.sid")?;
                let sid = SessionId::parse(&sid).map_err(ControlError::MalformedSessionId)?;
                let rx = fields.number("rx", "resume.rx")?;
                fields.done()?;
                Ok(Self::Resume { sid, rx })
            }
            "ack" => Ok(Self::Ack(number(&value, "ack")?)),
            _ => Err(ControlError::UnknownControl(name)),
        }
    }

    /// The control's JSON.
    pub fn to_json(&self) -> String {
        match self {
            Self::Hello { version } => json!({ "hello": { "v": version } }),
            Self::Resume { sid, rx } => json!({ "resume": { "sid": sid.encode(), "rx": rx } }),
            Self::Ack(n) => json!({ "ack": n }),
        }
        .to_string()
    }

    /// The control as a session-mode message (`c` and its JSON).
    pub fn to_message(&self) -> Message {
        prefix::control(&self.to_json())
    }
}

impl ServerControl {
    /// Reads a server's control (the JSON after the `c`) as a client must:
    /// unknown fields of `welcome` and `error` are ignored.
    pub fn parse(json: &str) -> Result<Self, ControlError> {
        let (name, value) = named(json)?;
        match name.as_str() {
            "welcome" => {
                let mut f = Fields::of("welcome", value)?;
                let sid = f.string("sid", "welcome.sid")?;
                Ok(Self::Welcome(Welcome {
                    sid: SessionId::parse(&sid).map_err(ControlError::MalformedSessionId)?,
                    rx: f.number("rx", "welcome.rx")?,
                    resumed: f.boolean("resumed", "welcome.resumed")?,
                    heartbeat_ms: f.number("heartbeat_ms", "welcome.heartbeat_ms")?,
                    grace_ms: f.number("grace_ms", "welcome.grace_ms")?,
                }))
            }
            "ack" => Ok(Self::Ack(number(&value, "ack")?)),
            "hb" => Ok(Self::Heartbeat(number(&value, "hb")?)),
            "error" => {
                let mut f = Fields::of("error", value)?;
                let code = f.string("code", "error.code")?;
                let code = ErrorCode::parse(&code).ok_or(ControlError::UnknownErrorCode(code))?;
                Ok(Self::Error { code, message: f.string("message", "error.message")? })
            }
            _ => Err(ControlError::UnknownControl(name)),
        }
    }

    /// The control's JSON.
    pub fn to_json(&self) -> String {
        match self {
            Self::Welcome(w) => json!({ "welcome": {
                "sid": w.sid.encode(),
                "rx": w.rx,
                "resumed": w.resumed,
                "heartbeat_ms": w.heartbeat_ms,
                "grace_ms": w.grace_ms,
            } }),
            // Every few dozen messages: written without a JSON tree.
            Self::Ack(n) => return format!(r#"{{"ack":{n}}}"#),
            Self::Heartbeat(n) => json!({ "hb": n }),
            Self::Error { code, message } => {
                json!({ "error": { "code": code.as_str(), "message": message } })
            }
        }
        .to_string()
    }

    /// The control as a session-mode message (`c` and its JSON).
    pub fn to_message(&self) -> Message {
        prefix::control(&self.to_json())
    }
}

#[cfg(test)]
mod tests;
